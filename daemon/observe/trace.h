/*
 * The trace file: a live stream of scheduler events (contexts opened and
 * closed, commands queued and completed, tiles started and finished on
 * workers) as text lines, one subscription per open(). docs/file-tree.md
 * describes the lines.
 *
 * Each subscription has a bounded ring of its own: a reader that falls
 * behind loses events (and is told so by a "lost N" line) instead of
 * slowing anyone down. With nobody subscribed an event costs one relaxed
 * atomic load: the trace_* hooks below are inline and return at once.
 */
#ifndef VGPUFSD_TRACE_H
#define VGPUFSD_TRACE_H

#include <fuse_lowlevel.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct completion;
struct context;
struct job;
struct program_compile_time;
struct trace_sub;
struct vgpu_kernel_spec;

#define TRACE_RING_BYTES    (256u << 10) /* a subscription's ring */
#define TRACE_SUBS_MAX	    64		 /* subscriptions, all users */
#define TRACE_SUBS_PER_USER 16		 /* ...of one user (root: no limit) */

/*
 * Open subscriptions: the hot path's only cost when there are none. On a
 * cache line of its own, so that reading it never misses because a
 * neighbour was written.
 */
struct trace_gate {
	_Alignas(64) _Atomic unsigned subscribers;
	char pad[64 - sizeof(unsigned)];
};
extern struct trace_gate trace_gate;

static inline bool trace_on(void)
{
	return atomic_load_explicit(&trace_gate.subscribers,
				    memory_order_relaxed) != 0;
}

/* The events; the trace_emit_* functions are the slow half of the hooks. */
void trace_emit_opened(const struct context *ctx);
void trace_emit_closed(const struct context *ctx);
void trace_emit_queued(const struct context *ctx, uint64_t seq,
		       const struct vgpu_kernel_spec *k, uint64_t flops,
		       uint64_t bytes);
/* RC: a started tile when > 0, else the finished tile's status. */
void trace_emit_tile(const struct job *job, unsigned worker, uint32_t tile,
		     int rc);
void trace_emit_completed(const struct context *ctx,
			  const struct completion *c);
void trace_emit_program(const struct job *job, const char *program,
			const struct program_compile_time *t, int err);

static inline void trace_opened(const struct context *ctx)
{
	if (trace_on())
		trace_emit_opened(ctx);
}

static inline void trace_closed(const struct context *ctx)
{
	if (trace_on())
		trace_emit_closed(ctx);
}

/* Command SEQ of CTX was written (K: NULL when the input named none). */
static inline void trace_queued(const struct context *ctx, uint64_t seq,
				const struct vgpu_kernel_spec *k,
				uint64_t flops, uint64_t bytes)
{
	if (trace_on())
		trace_emit_queued(ctx, seq, k, flops, bytes);
}

#define TRACE_TILE_STARTED 1
static inline void trace_tile(const struct job *job, unsigned worker,
			      uint32_t tile, int rc)
{
	if (trace_on())
		trace_emit_tile(job, worker, tile, rc);
}

static inline void trace_completed(const struct context *ctx,
				   const struct completion *c)
{
	if (trace_on())
		trace_emit_completed(ctx, c);
}

/*
 * JOB (a build or launch) got its program, named PROGRAM: compiled, with
 * ERR its outcome ("compiled"), or from the cache ("cache_hit").
 */
static inline void trace_program(const struct job *job, const char *program,
				 const struct program_compile_time *t, int err)
{
	if (trace_on())
		trace_emit_program(job, program, t, err);
}

/*
 * A subscription for the caller of REQ (who sees its own contexts' events,
 * root all); NULL with *ERR = -ENOMEM or -EMFILE (too many).
 */
struct trace_sub *trace_open(fuse_req_t req, int *err);
/* The file was closed: a parked read is answered with EBADF. */
void trace_close(struct trace_sub *sub);
/* Held by a request on the file while it runs (the file may close). */
void trace_get(struct trace_sub *sub);
void trace_put(struct trace_sub *sub);
/* read(): whole lines; parks when there are none (EAGAIN if NONBLOCK). */
void trace_read(struct trace_sub *sub, fuse_req_t req, size_t size,
		bool nonblock);
void trace_poll(struct trace_sub *sub, fuse_req_t req,
		struct fuse_pollhandle *ph);

/* The signal watch's sweep: parked reads of signalled threads, EINTR. */
void trace_interrupt_signalled(void);
/* Shutdown: parked reads get ESHUTDOWN, and later ones too when empty. */
void trace_abort_readers(void);
/* At exit: frees subscriptions whose file was never released. */
void trace_cleanup(void);

#endif
