#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/text_proto.h>

#include "clock.h"
#include "fault_inject.h"
#include "fs/reply.h"
#include "mem/mem_trim.h"
#include "observe/log.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "ring/ring.h"
#include "sched/context.h"
#include "sched/context_input.h"
#include "sched/job.h"
#include "sched/parked.h"
#include "sched/scheduler.h"
#include "sched/user_count.h"

struct early_line {
	struct early_line *next;
	uint64_t seq;
	size_t len;
	char text[];
};

static unsigned max_inflight = 4096, max_per_user = 256;

void context_set_limits(unsigned inflight, unsigned per_user)
{
	max_inflight = inflight;
	max_per_user = per_user;
}

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
/* contexts alive, and their watermark (all_lock) */
static uint64_t all_count;
static struct mem_watermark all_mark;
static struct user_counts user_contexts; /* alive, per user but root */

static struct context *all_head;
static uint64_t next_id = 1;

static void read_comm(pid_t pid, char comm[16])
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	comm[0] = '\0';
	if (f) {
		if (fgets(comm, 16, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
}

/* One more context for UID (all_lock held): 0, -EMFILE, -ENOMEM. */
static int count_user_context(uid_t uid)
{
	if (!uid)
		return 0;
	bool was_full;
	int rc = user_count_add(&user_contexts, uid, max_per_user, &was_full);
	if (rc != -EAGAIN)
		return rc;
	if (!was_full)
		log_warn("user %u has %u contexts (--max-contexts-per-user): "
			 "more opens of queue fail with EMFILE",
			 (unsigned)uid, max_per_user);
	return -EMFILE;
}

static void uncount_user_context(uid_t uid)
{
	if (uid)
		user_count_sub(&user_contexts, uid);
}

int context_open(fuse_req_t req, struct context **out)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	pthread_mutex_lock(&all_lock);
	int rc = count_user_context(fc->uid);
	pthread_mutex_unlock(&all_lock);
	if (rc < 0)
		return rc;
	/* aligned: its inflight has a cache line of its own */
	struct context *ctx =
	    aligned_alloc(_Alignof(struct context), sizeof(*ctx));
	if (!ctx)
		goto nomem;
	memset(ctx, 0, sizeof(*ctx));
	ctx->pid = fc->pid;
	ctx->uid = fc->uid;
	read_comm(fc->pid, ctx->comm);
	ctx->refs = 1;
	ctx->running_kernel = -1;
	parked_init(&ctx->readers);
	parked_init(&ctx->writers);
	ctx->next_post = 1;
	ctx->read_late = fault_inject("read_late");
	if (sched_context_opened(ctx) < 0) {
		free(ctx);
		goto nomem;
	}
	pthread_mutex_init(&ctx->submit_lock, NULL);
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_lock(&all_lock);
	ctx->id = next_id++;
	ctx->all_next = all_head;
	if (all_head)
		all_head->all_prev = &ctx->all_next;
	all_head = ctx;
	ctx->all_prev = &all_head;
	mem_trim_count(&all_mark, ++all_count);
	pthread_mutex_unlock(&all_lock);
	stats_context_opened();
	trace_opened(ctx);
	*out = ctx;
	return 0;
nomem:
	pthread_mutex_lock(&all_lock);
	uncount_user_context(fc->uid);
	pthread_mutex_unlock(&all_lock);
	return -ENOMEM;
}

void context_get(struct context *ctx)
{
	atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
}

void context_put(struct context *ctx)
{
	if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
		return;
	sched_context_gone(ctx);
	pthread_mutex_lock(&all_lock);
	*ctx->all_prev = ctx->all_next;
	if (ctx->all_next)
		ctx->all_next->all_prev = ctx->all_prev;
	uncount_user_context(ctx->uid);
	pthread_mutex_unlock(&all_lock);
	if (ctx->poll)
		fuse_pollhandle_destroy(ctx->poll);
	while (ctx->early) {
		struct early_line *e = ctx->early;
		ctx->early = e->next;
		free(e);
	}
	ring_free(ctx->ring);
	pthread_mutex_destroy(&ctx->submit_lock);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->done);
	free(ctx);
	stats_context_closed();
	pthread_mutex_lock(&all_lock);
	mem_trim_count(&all_mark, --all_count);
	pthread_mutex_unlock(&all_lock);
}

static void take_ctx_readers(struct context *c,
			     bool (*keep)(const struct parked *),
			     struct parked_queue *out);
static void take_ctx_writers(struct context *c,
			     bool (*keep)(const struct parked *),
			     struct parked_queue *out);

/*
 * Whether thread TID is exiting because of a signal (SIGKILL, a crash): its
 * files are closed then by the kernel, not by the program. /proc's stat
 * shows it while the thread exits: PF_EXITING in its flags, and the signal
 * in the low bits of its exit code (a normal exit has them clear).
 */
static bool thread_killed(pid_t tid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t len = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[len] = '\0';
	char *p = strrchr(line, ')'); /* comm may hold anything */
	if (!p)
		return false;
	/* fields 3 (state) onwards: flags is the 9th, exit_code the 52nd */
	unsigned long long flags = 0, exit_code = 0;
	char *save = NULL;
	int field = 3;
	for (char *tok = strtok_r(p + 1, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 9)
			flags = strtoull(tok, NULL, 10);
		else if (field == 52)
			exit_code = strtoull(tok, NULL, 10);
	}
	if (field <= 52)
		return false; /* a kernel without exit_code in stat */
	const unsigned long long pf_exiting = 0x4;
	return (flags & pf_exiting) && (exit_code & 0x7f);
}

void context_flush(struct context *ctx, pid_t tid)
{
	atomic_store_explicit(&ctx->closer_killed, thread_killed(tid),
			      memory_order_relaxed);
}

void context_close(struct context *ctx)
{
	/*
	 * Requests still parked here belong to a caller the kernel gave up on
	 * (killed while blocked); they get an answer nobody reads, and go.
	 */
	struct parked_queue gone;
	parked_init(&gone);
	take_ctx_writers(ctx, NULL, &gone);
	take_ctx_readers(ctx, NULL, &gone);
	parked_answer(&gone, EBADF);
	bool killed =
	    atomic_load_explicit(&ctx->closer_killed, memory_order_relaxed);
	if (ctx->ring) /* a killed client's packets are dropped, not run */
		ring_stop(ctx->ring, !killed);
	trace_closed(ctx);
	pthread_mutex_lock(&ctx->lock);
	ctx->closed = true;
	free(ctx->done);
	ctx->done = NULL;
	ctx->done_off = ctx->done_len = ctx->done_cap = 0;
	ctx->unread = 0;
	pthread_mutex_unlock(&ctx->lock);
	sched_context_closed(ctx, killed);
	context_put(ctx);
}

bool context_has_room(struct context *ctx)
{
	if (atomic_load_explicit(&ctx->inflight, memory_order_relaxed) >=
	    max_inflight)
		return false;
	if (ctx->ring) /* unread records are the ring's to count (cq_room) */
		return true;
	pthread_mutex_lock(&ctx->lock);
	bool room = ctx->closed || ctx->unread < VGPU_UNREAD_MAX;
	pthread_mutex_unlock(&ctx->lock);
	return room;
}

static void cred_of(fuse_req_t req, struct cred *cred)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	/* The group list is loaded only if a check needs it. */
	*cred = CRED_INIT(fc->uid, fc->gid, fc->pid);
}

/*
 * Takes waiting writes while there is room (submit_lock held); their
 * answers are added to *OUT.
 */
static void resume_writers_locked(struct context *ctx, struct reply_list *out)
{
	while (ctx->writers.head) {
		struct parked *w = ctx->writers.head;
		struct cred cred;
		cred_of(w->r.req, &cred);
		ssize_t taken =
		    context_take_input(ctx, &cred, w->data, w->size);
		cred_release(&cred);
		if (taken == 0)
			return;
		parked_pop(&ctx->writers);
		if (taken < 0) /* a broken binary stream */
			w->r.err = (int)-taken;
		else /* maybe short: the caller writes the rest */
			w->r.count = (size_t)taken;
		reply_push(out, &w->r);
	}
}

/* Room may have come free: commands finished, or completions were read. */
static void resume_writers(struct context *ctx)
{
	/* Pairs with the fence in context_write (see there). */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(
		(_Atomic(struct parked *) *)&ctx->writers.head,
		memory_order_relaxed))
		return;
	REPLY_LIST(out);
	reply_hold_begin();
	pthread_mutex_lock(&ctx->submit_lock);
	resume_writers_locked(ctx, &out);
	pthread_mutex_unlock(&ctx->submit_lock);
	reply_hold_end();
	reply_send(&out);
}

void context_write(struct context *ctx, fuse_req_t req, const char *data,
		   size_t size, bool nonblock)
{
	if (sched_stopping()) {
		fuse_reply_err(req, ESHUTDOWN);
		return;
	}
	struct cred cred;
	cred_of(req, &cred);
	REPLY_LIST(out);
	int err = 0;
	bool parked = false;
	/* A small command runs on this thread before the write is answered:
	 * its completion is there for the read that follows, without two
	 * hand-offs to a worker and back (scheduler.h). */
	sched_inline_offer(ctx);
	reply_hold_begin();
	pthread_mutex_lock(&ctx->submit_lock);
	/* Behind waiting writes nothing may overtake them. */
	ssize_t taken =
	    ctx->writers.head ? 0 : context_take_input(ctx, &cred, data, size);
	cred_release(&cred);
	if (taken < 0) {
		err = (int)-taken;
	} else if (taken || size == 0) {
		/* answered below */
	} else if (nonblock) {
		err = EAGAIN;
	} else {
		int rc = parked_push(&ctx->writers, req, size, data);
		if (rc < 0) {
			err = -rc;
		} else {
			/*
			 * Room may have come free since the check above, and
			 * the resume_writers() that followed seen no writer
			 * yet: nothing would wake this one. Look again.
			 */
			atomic_thread_fence(memory_order_seq_cst);
			resume_writers_locked(ctx, &out);
			parked = true;
		}
	}
	pthread_mutex_unlock(&ctx->submit_lock);
	reply_hold_end();
	/* Outside the submission lock, which completing takes. */
	sched_inline_run();
	sched_inline_await();
	if (parked)
		reply_send(&out);
	else if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, (size_t)taken);
}

/*
 * How many bytes of completions a read of SIZE gets: whole lines (or part
 * of one line longer than SIZE), whole binary records; ctx->lock held,
 * data available. They start at ctx->done + ctx->done_off.
 */
static size_t lines_for(struct context *ctx, size_t size)
{
	const char *p = ctx->done + ctx->done_off;
	size_t avail = ctx->done_len - ctx->done_off, n = 0;
	if (ctx->binary) { /* whole records; reads are at least one */
		n = size - size % sizeof(struct vgpu_bin_completion);
		avail = n < avail ? n : avail;
	}
	while (n < avail && !ctx->binary) {
		const char *nl = memchr(p + n, '\n', avail - n);
		size_t end = (size_t)(nl - p) + 1;
		if (end > size)
			break;
		n = end;
	}
	if (n == 0 || ctx->binary)
		n = size < avail ? size : avail;
	return n;
}

/* Bigger than this, done[] is freed once it is all read. */
#define DONE_KEEP (16u << 10)

/* The N bytes lines_for() chose are read (ctx->lock held). */
static void consume(struct context *ctx, size_t n)
{
	if (ctx->binary) { /* whole records */
		ctx->unread -=
		    (unsigned)(n / sizeof(struct vgpu_bin_completion));
	} else { /* a line counts as read with its newline */
		const char *p = ctx->done + ctx->done_off, *end = p + n;
		for (const char *nl; (nl = memchr(p, '\n', (size_t)(end - p)));
		     p = nl + 1)
			ctx->unread--;
	}
	ctx->done_off += n;
	if (ctx->done_off < ctx->done_len)
		return;
	ctx->done_off = ctx->done_len = 0;
	if (ctx->done_cap > DONE_KEEP) { /* a burst is over */
		free(ctx->done);
		ctx->done = NULL;
		ctx->done_cap = 0;
	}
}

/* Whether commands of CTX are still to complete (ctx->lock held). */
static bool completions_owed(struct context *ctx)
{
	return ctx->next_post <=
	       atomic_load_explicit(&ctx->next_seq, memory_order_acquire);
}

void context_read(struct context *ctx, fuse_req_t req, size_t size,
		  bool nonblock)
{
	if (size == 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	pthread_mutex_lock(&ctx->lock);
	bool taken = ctx->done_len > ctx->done_off;
	if (ctx->binary && size < sizeof(struct vgpu_bin_completion)) {
		taken = false;
		fuse_reply_err(req, EINVAL); /* records are not split */
	} else if (taken) {
		/* Under the lock, no copy: REQ is this thread's own request,
		 * whose answer takes no ring lock (see reply.h). */
		size_t n = lines_for(ctx, size);
		fuse_reply_buf(req, ctx->done + ctx->done_off, n);
		consume(ctx, n);
	} else if (nonblock) {
		fuse_reply_err(req, EAGAIN);
	} else if (sched_stopping() && !completions_owed(ctx)) {
		fuse_reply_err(req, ESHUTDOWN);
	} else {
		int rc = parked_push(&ctx->readers, req, size, NULL);
		if (rc < 0)
			fuse_reply_err(req, -rc);
	}
	pthread_mutex_unlock(&ctx->lock);
	if (taken)
		resume_writers(ctx); /* completions read: room for writes */
	if (ctx->read_late)
		fault_sleep(300); /* answered; the handler not yet returned */
}

void context_poll(struct context *ctx, fuse_req_t req,
		  struct fuse_pollhandle *ph)
{
	pthread_mutex_lock(&ctx->lock);
	unsigned revents = POLLOUT | POLLWRNORM;
	if (ctx->ring ? ring_unread(ctx->ring) : ctx->done_len > ctx->done_off)
		revents |= POLLIN | POLLRDNORM;
	if (ph) {
		if (ctx->poll)
			fuse_pollhandle_destroy(ctx->poll);
		ctx->poll = ph;
	}
	pthread_mutex_unlock(&ctx->lock);
	fuse_reply_poll(req, revents);
}

static int append_line(struct context *ctx, const char *line, size_t len)
{
	if (ctx->done_len + len > ctx->done_cap && ctx->done_off) {
		/* Read lines go first: a reader that never catches up does
		 * not make done[] grow past twice the unread lines. */
		ctx->done_len -= ctx->done_off;
		memmove(ctx->done, ctx->done + ctx->done_off, ctx->done_len);
		ctx->done_off = 0;
	}
	if (ctx->done_len + len > ctx->done_cap) {
		size_t cap = ctx->done_cap ? ctx->done_cap * 2 : 4096;
		while (cap < ctx->done_len + len)
			cap *= 2;
		char *p = realloc(ctx->done, cap);
		if (!p)
			return -ENOMEM;
		ctx->done = p;
		ctx->done_cap = cap;
	}
	memcpy(ctx->done + ctx->done_len, line, len);
	ctx->done_len += len;
	return 0;
}

static void post(struct context *ctx, uint64_t seq, const char *line,
		 size_t len)
{
	if (ctx->ring) { /* read from shared memory, not by read() */
		if (!ctx->closed)
			ring_post(ctx->ring, seq, line, len);
	} else if (!ctx->closed && append_line(ctx, line, len) < 0) {
		ctx->unread--;
		log_err("context %llu: completion %llu lost: out of memory",
			(unsigned long long)ctx->id, (unsigned long long)seq);
	}
	if (seq >= ctx->next_post)
		ctx->next_post = seq + 1;
}

/* Posts the completions kept aside that are now next (ctx->lock held). */
static void post_early(struct context *ctx)
{
	while (ctx->early && ctx->early->seq == ctx->next_post) {
		struct early_line *e = ctx->early;
		ctx->early = e->next;
		post(ctx, e->seq, e->text, e->len);
		free(e);
	}
}

/*
 * Appends the line of completion SEQ, or keeps it aside until the earlier
 * ones are in (ctx->lock held). Jobs of one context finish in order, but
 * their completions are posted from different threads.
 */
static void post_in_order(struct context *ctx, uint64_t seq, const char *line,
			  size_t len)
{
	/* Counted at once: nops and refused commands complete while an
	 * earlier command (a wait) still runs, and wait here meanwhile. */
	if (!ctx->closed && !ctx->ring)
		ctx->unread++;
	if (seq > ctx->next_post) {
		struct early_line *e = malloc(sizeof(*e) + len);
		if (e) {
			e->seq = seq;
			e->len = len;
			memcpy(e->text, line, len);
			struct early_line **pp = &ctx->early;
			while (*pp && (*pp)->seq < seq)
				pp = &(*pp)->next;
			e->next = *pp;
			*pp = e;
			return;
		}
		log_err("context %llu: out of memory ordering completions",
			(unsigned long long)ctx->id);
	}
	post(ctx, seq, line, len);
	post_early(ctx);
}

/*
 * The completions of commands that did no work, which a ring's poller
 * defers (context_batch_begin), kept for context_batch_end(): of one
 * context, consecutive, no error and no time of their own.
 */
#define BATCH_MAX 256
static _Thread_local struct {
	struct context *ctx; /* batching for, or NULL */
	unsigned n;
	uint64_t first_seq;
	uint64_t tag[BATCH_MAX];
	uint16_t kernel[BATCH_MAX];
} batch;

/* Wakes parked readers and a poller of CTX (its lock held: answers and
 * the poll handle go into OUT and *PH, sent after the lock). */
static void wake_readers(struct context *ctx, struct reply_list *out,
			 struct fuse_pollhandle **ph)
{
	if (ctx->ring)
		ring_publish(ctx->ring); /* once for all posted meanwhile */
	/* Copies for the answers, which go out after the lock (reply.h). */
	while (ctx->readers.head && ctx->done_len > ctx->done_off) {
		struct parked *pr = parked_pop(&ctx->readers);
		size_t n = lines_for(ctx, pr->size);
		pr->r.data = malloc(n);
		if (pr->r.data) {
			memcpy(pr->r.data, ctx->done + ctx->done_off, n);
			pr->r.len = n;
			consume(ctx, n);
		} else {
			pr->r.err =
			    ENOMEM; /* the lines stay for the next read */
		}
		reply_push(out, &pr->r);
	}
	if (ctx->poll && (ctx->ring || ctx->done_len > ctx->done_off)) {
		*ph = ctx->poll;
		ctx->poll = NULL;
	}
}

static void send_wakes(struct reply_list *out, struct fuse_pollhandle *ph)
{
	reply_send(out);
	if (ph) {
		fuse_lowlevel_notify_poll(ph);
		fuse_pollhandle_destroy(ph);
	}
}

void context_batch_begin(struct context *ctx)
{
	batch.ctx = ctx->ring ? ctx : NULL;
	batch.n = 0;
}

/*
 * Posts the completions kept so far. When they are next in order (the
 * usual case: nothing before them still runs) their records go straight
 * into the completion ring, one after another; else each waits its turn.
 */
static void batch_flush(void)
{
	struct context *ctx = batch.ctx;
	unsigned n = batch.n;
	batch.n = 0;
	if (!ctx || n == 0)
		return;
	/* One time for all: none of them did any work. */
	struct completion c = {.t_start_ns = now_ns()};
	c.t_end_ns = c.t_start_ns;
	REPLY_LIST(out);
	struct fuse_pollhandle *ph = NULL;
	bool traced = trace_on();
	pthread_mutex_lock(&ctx->lock);
	bool in_order = ctx->next_post == batch.first_seq;
	if (in_order) {
		if (!ctx->closed)
			ring_post_run(ctx->ring, batch.first_seq, batch.tag,
				      batch.kernel, n, c.t_start_ns);
		ctx->next_post = batch.first_seq + n;
	}
	for (unsigned i = 0; i < n && traced; i++) {
		c.seq = batch.first_seq + i;
		c.tag = batch.tag[i];
		c.kernel = vgpu_catalog_by_id(batch.kernel[i]);
		trace_completed(ctx, &c);
	}
	for (unsigned i = 0; !in_order && i < n; i++) {
		char line[RING_LINE_MAX];
		size_t len = ring_line(line, batch.tag[i], 0, batch.kernel[i],
				       c.t_start_ns, c.t_end_ns, NULL);
		post_in_order(ctx, batch.first_seq + i, line, len);
	}
	post_early(ctx);
	wake_readers(ctx, &out, &ph);
	pthread_mutex_unlock(&ctx->lock);
	atomic_fetch_add_explicit(&ctx->completed, n, memory_order_relaxed);
	send_wakes(&out, ph);
}

void context_batch_end(void)
{
	batch_flush();
	batch.ctx = NULL;
}

/* Keeps the completion of command SEQ (TAG, KERNEL) in the batch. */
static void batch_keep(uint64_t seq, uint64_t tag, uint16_t kernel)
{
	if (batch.n &&
	    (batch.n == BATCH_MAX || seq != batch.first_seq + batch.n))
		batch_flush(); /* full, or not the next one */
	if (batch.n == 0)
		batch.first_seq = seq;
	batch.tag[batch.n] = tag;
	batch.kernel[batch.n++] = kernel;
}

bool context_post_batched(struct context *ctx, const struct completion *c)
{
	if (batch.ctx != ctx || c->err || !c->kernel)
		return false;
	batch_keep(c->seq, c->tag, c->kernel->id);
	return true;
}

void context_post_nops(struct context *ctx, uint64_t first_seq,
		       const unsigned char *p, unsigned n)
{
	const size_t hs = sizeof(struct vgpu_bin_header);
	for (unsigned i = 0; i < n; i++) {
		struct vgpu_bin_header h;
		memcpy(&h, p + i * hs, hs);
		if (batch.ctx == ctx) {
			batch_keep(first_seq + i, h.tag, VGPU_K_NOP);
			continue;
		}
		struct completion c = {.seq = first_seq + i,
				       .tag = h.tag,
				       .kernel =
					   vgpu_catalog_by_id(VGPU_K_NOP)};
		c.t_start_ns = c.t_end_ns = now_ns();
		context_post(ctx, &c);
	}
}

void context_post(struct context *ctx, const struct completion *c)
{
	union {
		char line[VGPU_MSG_MAX + 128];
		struct vgpu_bin_completion rec;
		char ring[RING_LINE_MAX];
	} u;
	size_t len = sizeof(u.rec);
	int err = c->err;
	uint64_t seq = c->seq;
	uint16_t kernel = c->kernel ? c->kernel->id : VGPU_BIN_NO_KERNEL;
	if (batch.ctx == ctx)
		batch_flush(); /* the earlier ones first */
	if (ctx->ring)
		len = ring_line(u.ring, c->tag, err, kernel, c->t_start_ns,
				c->t_end_ns, c->msg);
	else if (ctx->binary)
		vgpu_bin_complete(&u.rec, c->tag, seq, err, kernel,
				  c->t_start_ns, c->t_end_ns,
				  err ? c->msg : NULL);
	else if (err)
		len = vgpu_format_err(u.line, sizeof(u.line), seq, err, c->msg);
	else
		len =
		    vgpu_format_ok(u.line, sizeof(u.line), seq, c->kernel->name,
				   (c->t_end_ns - c->t_start_ns) / 1000);
	const char *line = u.line;
	trace_completed(ctx, c);
	atomic_fetch_add_explicit((err ? &ctx->failed : &ctx->completed), 1,
				  memory_order_relaxed);
	REPLY_LIST(out);
	struct fuse_pollhandle *ph = NULL;
	pthread_mutex_lock(&ctx->lock);
	post_in_order(ctx, seq, line, len);
	wake_readers(ctx, &out, &ph);
	pthread_mutex_unlock(&ctx->lock);
	send_wakes(&out, ph);
}

void context_complete(struct context *ctx, const struct job *job)
{
	struct completion c = {.seq = job->seq,
			       .tag = job->tag,
			       .err = job->err,
			       .kernel = job->cmd.spec,
			       .msg = job->msg,
			       .label = job->label,
			       .t_start_ns = job->t_start_ns,
			       .t_end_ns = job->t_end_ns};
	context_post(ctx, &c);
	atomic_fetch_sub_explicit(&ctx->inflight, 1, memory_order_relaxed);
	if (ctx->ring)
		ring_kick(ctx->ring); /* room for its poller */
	else
		resume_writers(ctx);
}

void context_for_each(void (*fn)(const struct context *, void *), void *arg)
{
	pthread_mutex_lock(&all_lock);
	for (struct context *c = all_head; c; c = c->all_next)
		fn(c, arg);
	pthread_mutex_unlock(&all_lock);
}

/* Moves parked readers of C for which KEEP returns false to OUT. */
static void take_ctx_readers(struct context *c,
			     bool (*keep)(const struct parked *),
			     struct parked_queue *out)
{
	pthread_mutex_lock(&c->lock);
	parked_take(&c->readers, keep, out);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Answers parked readers (or writers, with TAKE) for which KEEP returns
 * false with ERR, once no lock is held (see parked_answer()).
 */
static void drop_all(void (*take)(struct context *,
				  bool (*)(const struct parked *),
				  struct parked_queue *),
		     bool (*keep)(const struct parked *), int err)
{
	struct parked_queue out;
	parked_init(&out);
	pthread_mutex_lock(&all_lock);
	for (struct context *c = all_head; c; c = c->all_next)
		take(c, keep, &out);
	pthread_mutex_unlock(&all_lock);
	parked_answer(&out, err);
}

static bool all_read(void)
{
	bool done = true;
	pthread_mutex_lock(&all_lock);
	for (struct context *c = all_head; c && done; c = c->all_next) {
		pthread_mutex_lock(&c->lock);
		done = c->closed || c->done_len == c->done_off;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&all_lock);
	return done;
}

void context_wait_read(unsigned timeout_ms)
{
	for (unsigned waited = 0; waited < timeout_ms && !all_read();
	     waited += 10)
		usleep(10 * 1000);
}

/*
 * Moves waiting writes of C for which KEEP returns false to OUT. A pass of
 * its own: submit_lock comes before a context's lock elsewhere.
 */
static void take_ctx_writers(struct context *c,
			     bool (*keep)(const struct parked *),
			     struct parked_queue *out)
{
	pthread_mutex_lock(&c->submit_lock);
	parked_take(&c->writers, keep, out);
	pthread_mutex_unlock(&c->submit_lock);
}

void context_abort_readers(void)
{
	drop_all(take_ctx_readers, NULL, ESHUTDOWN);
	drop_all(take_ctx_writers, NULL, ESHUTDOWN);
}

void context_interrupt_signalled(void)
{
	drop_all(take_ctx_readers, parked_undisturbed, EINTR);
	drop_all(take_ctx_writers, parked_undisturbed, EINTR);
}
