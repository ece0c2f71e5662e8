/*
 * What a context's writes become: text lines or binary packets, framed,
 * parsed and handed on as commands. The first bytes a context receives
 * decide its form for good: VGPU_BIN_MAGIC makes it binary.
 *
 * Lines and packets that fail to parse or validate, and commands that do
 * no work (nop), complete here and now: their completion still comes out
 * in order (context_post waits for the ones before it), and no command
 * object or hand-off is needed. That matters: the FUSE thread's time per
 * request decides where the kernel wakes the client (docs/benchmarks.md).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/text_proto.h>

#include "clock.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "ring/ring_take.h"
#include "sched/context.h"
#include "sched/context_input.h"
#include "sched/job.h"
#include "sched/scheduler.h"

static uint64_t next_seq(struct context *ctx)
{
	return atomic_fetch_add_explicit(&ctx->next_seq, 1,
					 memory_order_release) +
	       1;
}

/* Completes command C at once (no time spent: start = end). */
static void complete_now(struct context *ctx, struct completion *c)
{
	atomic_fetch_add_explicit(&ctx->submitted, 1, memory_order_relaxed);
	stats_command(c->kernel, c->err, 0);
	if (context_post_batched(ctx, c))
		return;	 /* a ring's poller posts it with the next ones */
	if (ctx->binary) /* only binary records carry times */
		c->t_start_ns = c->t_end_ns = now_ns();
	context_post(ctx, c);
}

/*
 * A parsed command (ERR = 0) or a failed one (ERR < 0, MSG says why; CMD's
 * spec is the kernel if it was known) goes on: completed here, or to the
 * scheduler.
 */
static void submit_cmd(struct context *ctx, struct cred *cred,
		       struct vgpu_cmd *cmd, uint64_t tag, int err,
		       const char *msg)
{
	struct completion c = {.seq = next_seq(ctx),
			       .tag = tag,
			       .err = err,
			       .kernel = cmd->spec,
			       .msg = msg};
	if (err || cmd->spec->id == VGPU_K_NOP) {
		trace_queued(ctx, c.seq, cmd->spec, 0, 0);
		complete_now(ctx, &c);
		return;
	}
	struct job *job = job_new(ctx, cmd, cred);
	trace_queued(ctx, c.seq, cmd->spec, job && !job->err ? job->flops : 0,
		     job && !job->err ? job->bytes : 0);
	if (!job || job->err) {
		c.err = job ? job->err : -ENOMEM;
		c.msg = job ? job->msg : "out of memory for the command";
		complete_now(ctx, &c);
		job_free(job);
		return;
	}
	if (job->bytes == 0 && !cmd->spec->control && !cmd->spec->program) {
		/* Every buffer extent is empty: nothing to read or write, so
		 * nothing to run, whatever the other dimensions say (softmax
		 * cols=0 looped over its empty rows: 1.2 s a 10^12 of them,
		 * and rows go up to 2^59; found by fuzz_exec). */
		complete_now(ctx, &c);
		job_free(job);
		return;
	}
	job->seq = c.seq;
	job->tag = tag;
	atomic_fetch_add_explicit(&ctx->submitted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ctx->inflight, 1, memory_order_relaxed);
	context_get(ctx);
	sched_submit(job);
}

/* The line gathered in ctx->line. */
static void submit_line(struct context *ctx, struct cred *cred)
{
	struct vgpu_cmd cmd = {0};
	int err = -E2BIG;
	char msg[VGPU_MSG_MAX] = "line longer than 4096 bytes; split the "
				 "command or shorten buffer names";
	enum vgpu_line_kind kind = VGPU_LINE_ERROR;
	if (!ctx->overlong)
		kind = vgpu_text_parse(ctx->line, ctx->line_len, &cmd, &err,
				       msg, sizeof(msg));
	if (kind != VGPU_LINE_EMPTY)
		submit_cmd(ctx, cred, &cmd, 0,
			   kind == VGPU_LINE_ERROR ? err : 0, msg);
}

/*
 * Takes lines of DATA while there is room; returns the bytes taken. A
 * trailing partial line is always taken: it holds nothing.
 */
static size_t take_lines(struct context *ctx, struct cred *cred,
			 const char *data, size_t size)
{
	size_t i = 0;
	while (i < size) {
		const char *nl = memchr(data + i, '\n', size - i);
		if (nl && !context_has_room(ctx))
			break;
		size_t chunk = nl ? (size_t)(nl - (data + i)) : size - i;
		if (!ctx->overlong) {
			if (ctx->line_len + chunk > VGPU_LINE_MAX) {
				ctx->overlong = true;
			} else {
				memcpy(ctx->line + ctx->line_len, data + i,
				       chunk);
				ctx->line_len += chunk;
			}
		}
		if (!nl)
			return size;
		submit_line(ctx, cred);
		i += chunk + 1;
		ctx->line_len = 0;
		ctx->overlong = false;
	}
	return i;
}

/*
 * A bare nop (ring/ring_take.h): completed without the parser, which
 * clears a whole command first. It is what batches of nops are made of.
 * Returns whether P (AVAIL bytes) was one.
 */
static bool take_bare_nop(struct context *ctx, const char *p, size_t avail)
{
	uint64_t tag;
	if (!ring_bare_nop(p, avail, &tag))
		return false;
	const struct vgpu_kernel_spec *nop = vgpu_catalog_by_id(VGPU_K_NOP);
	struct completion c = {.seq = next_seq(ctx), .tag = tag, .kernel = nop};
	trace_queued(ctx, c.seq, nop, 0, 0);
	complete_now(ctx, &c);
	return true;
}

unsigned context_take_nops(struct context *ctx, const unsigned char *p,
			   unsigned n)
{
	if (n == 0 || !context_has_room(ctx))
		return 0;
	const struct vgpu_kernel_spec *nop = vgpu_catalog_by_id(VGPU_K_NOP);
	uint64_t first =
	    atomic_fetch_add_explicit(&ctx->next_seq, n, memory_order_release) +
	    1;
	if (trace_on())
		for (unsigned i = 0; i < n; i++)
			trace_emit_queued(ctx, first + i, nop, 0, 0);
	atomic_fetch_add_explicit(&ctx->submitted, n, memory_order_relaxed);
	stats_commands_at_once(nop, n);
	context_post_nops(ctx, first, p, n);
	return n;
}

/*
 * Parses the packet at P (AVAIL bytes) and submits it; returns its size,
 * 0 when it is not whole yet, or -EINVAL when the stream is broken.
 */
static ssize_t take_packet(struct context *ctx, struct cred *cred,
			   const char *p, size_t avail)
{
	if (take_bare_nop(ctx, p, avail))
		return sizeof(struct vgpu_bin_header);
	struct vgpu_cmd cmd;
	size_t size = 0;
	uint64_t tag = 0;
	uint16_t kernel;
	int err = 0;
	char msg[VGPU_MSG_MAX];
	switch (vgpu_bin_parse(p, avail, &cmd, &size, &tag, &kernel, &err, msg,
			       sizeof(msg))) {
	case VGPU_BIN_MORE:
		return 0;
	case VGPU_BIN_BROKEN:
		return -EINVAL;
	case VGPU_BIN_ERROR:
	case VGPU_BIN_COMMAND:
		break;
	}
	submit_cmd(ctx, cred, &cmd, tag, err, msg);
	return (ssize_t)size;
}

/* Bytes still missing from the packet gathered in ctx->line (0: whole). */
static size_t packet_missing(const struct context *ctx)
{
	if (ctx->line_len < sizeof(uint32_t))
		return sizeof(uint32_t) - ctx->line_len;
	uint32_t size;
	memcpy(&size, ctx->line, sizeof(size));
	if (size > VGPU_BIN_PACKET_MAX || size < ctx->line_len)
		return 0; /* impossible: the parser says so */
	return size - ctx->line_len;
}

/*
 * Takes packets of DATA while there is room; returns the bytes taken, or
 * -EINVAL when a packet's size is impossible and nothing was taken before
 * it (the stream cannot be resynchronised). A trailing partial packet is
 * taken into ctx->line.
 */
static ssize_t take_packets(struct context *ctx, struct cred *cred,
			    const char *data, size_t size)
{
	size_t i = 0;
	while (i < size) {
		if (ctx->line_len) { /* complete the packet begun earlier */
			size_t n = packet_missing(ctx);
			if (n > size - i)
				n = size - i;
			memcpy(ctx->line + ctx->line_len, data + i, n);
			ctx->line_len += n;
			i += n;
			if (packet_missing(ctx))
				continue; /* more of it is needed */
			if (!context_has_room(ctx))
				return (ssize_t)i; /* whole packets wait */
			ssize_t rc =
			    take_packet(ctx, cred, ctx->line, ctx->line_len);
			if (rc == 0)
				continue; /* only the size field so far */
			ctx->line_len = 0;
			if (rc < 0)
				return i > n ? (ssize_t)(i - n) : rc;
			continue;
		}
		if (!context_has_room(ctx))
			break;
		ssize_t rc = take_packet(ctx, cred, data + i, size - i);
		if (rc < 0)
			return i ? (ssize_t)i : rc;
		if (rc == 0) { /* a partial packet ends the write */
			memcpy(ctx->line, data + i, size - i);
			ctx->line_len = size - i;
			return (ssize_t)size;
		}
		i += (size_t)rc;
	}
	return (ssize_t)i;
}

ssize_t context_take_input(struct context *ctx, struct cred *cred,
			   const char *data, size_t size)
{
	if (!ctx->form_known && size) {
		ctx->form_known = true;
		if (size >= VGPU_BIN_MAGIC_LEN &&
		    memcmp(data, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) == 0) {
			/* Under ctx->lock too: a read may be looking at it. */
			pthread_mutex_lock(&ctx->lock);
			ctx->binary = true;
			pthread_mutex_unlock(&ctx->lock);
			ssize_t rc =
			    take_packets(ctx, cred, data + VGPU_BIN_MAGIC_LEN,
					 size - VGPU_BIN_MAGIC_LEN);
			return rc < 0 ? VGPU_BIN_MAGIC_LEN
				      : rc + VGPU_BIN_MAGIC_LEN;
		}
	}
	if (ctx->binary)
		return take_packets(ctx, cred, data, size);
	return (ssize_t)take_lines(ctx, cred, data, size);
}
