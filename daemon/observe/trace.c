/*
 * Trace subscriptions. One lock guards the subscriptions and their rings:
 * it is taken only when someone subscribes (trace_on() keeps every hook
 * out otherwise), and an event's timestamp is read under it, so that each
 * ring holds its lines in timestamp order.
 *
 * Events come from FUSE handlers too, and a handler must not answer a
 * request parked by another (see parked_answer()): a handler that came
 * over io_uring holds its queue's lock, and two handlers answering each
 * other's queues would wait for each other. So parked reads and polls are
 * answered by a thread of their own, the waker, with no lock held.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <vgpufs/catalog.h>
#include <vgpufs/command.h>
#include <vgpufs/errnames.h>

#include "clock.h"
#include "observe/trace.h"
#include "prog/program.h"
#include "sched/context.h"
#include "sched/job.h"
#include "sched/parked.h"

struct trace_gate trace_gate;

struct trace_sub {
	struct trace_sub *next, **prev;
	uid_t viewer; /* sees the events of its own contexts; root all */
	_Atomic unsigned refs;
	char *ring;	     /* TRACE_RING_BYTES */
	uint64_t head, tail; /* bytes written and read so far */
	uint64_t lost;	     /* events dropped since the last "lost" line */
	struct parked_queue readers;
	struct fuse_pollhandle *poll;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work; /* for the waker */
	struct trace_sub *subs;
	bool stopped;
	bool waker_started, waker_stop, wake_pending;
	pthread_t waker;
} T = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

/* An answer the waker sends: lines for a read, or a poll's wake-up. */
struct answer {
	struct answer *next;
	fuse_req_t req;
	struct fuse_pollhandle *poll;
	size_t len;
	char data[];
};

#define LINE_MAX_BYTES (VGPU_MSG_MAX + 256)

static size_t ring_used(const struct trace_sub *s)
{
	return (size_t)(s->head - s->tail);
}

static void ring_write(struct trace_sub *s, const char *p, size_t n)
{
	size_t off = (size_t)(s->head % TRACE_RING_BYTES);
	size_t first = n < TRACE_RING_BYTES - off ? n : TRACE_RING_BYTES - off;
	memcpy(s->ring + off, p, first);
	memcpy(s->ring, p + first, n - first);
	s->head += n;
}

/* The "lost" line, if events were dropped and it fits now (lock held). */
static void report_lost(struct trace_sub *s, uint64_t ts, size_t reserve)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%llu lost %llu\n",
			 (unsigned long long)ts, (unsigned long long)s->lost);
	if (TRACE_RING_BYTES - ring_used(s) >= (size_t)n + reserve) {
		ring_write(s, line, (size_t)n);
		s->lost = 0;
	}
}

/*
 * The bytes a read of SIZE takes from the ring, as up to two pieces in
 * IOV: whole lines, or the start of a line longer than SIZE. Returns the
 * number of pieces; lock held, the ring not empty.
 */
static int take_lines(struct trace_sub *s, size_t size, struct iovec iov[2])
{
	size_t avail = ring_used(s), m = avail < size ? avail : size, n = m;
	if (m < avail) { /* stop after the last whole line */
		while (n &&
		       s->ring[(s->tail + n - 1) % TRACE_RING_BYTES] != '\n')
			n--;
		if (!n)
			n = m;
	}
	size_t off = (size_t)(s->tail % TRACE_RING_BYTES);
	size_t first = n < TRACE_RING_BYTES - off ? n : TRACE_RING_BYTES - off;
	iov[0] = (struct iovec){s->ring + off, first};
	iov[1] = (struct iovec){s->ring, n - first};
	s->tail += n;
	return n > first ? 2 : 1;
}

/* Has the waker answer S's parked reads and poll, if it has lines now. */
static void wake(struct trace_sub *s)
{
	if ((s->readers.head || s->poll) && ring_used(s) && !T.wake_pending) {
		T.wake_pending = true;
		pthread_cond_signal(&T.work);
	}
}

/* Adds an answer for REQ or POLL with LEN bytes to *OUT; NULL if no memory. */
static struct answer *answer_add(struct answer **out, fuse_req_t req,
				 struct fuse_pollhandle *poll, size_t len)
{
	struct answer *a = malloc(sizeof(*a) + len);
	if (a) {
		*a = (struct answer){
		    .next = *out, .req = req, .poll = poll, .len = len};
		*out = a;
	}
	return a;
}

/* The answers that are due, taken off the subscriptions (lock held). */
static struct answer *collect_answers(void)
{
	struct answer *out = NULL;
	for (struct trace_sub *s = T.subs; s; s = s->next) {
		while (s->readers.head && ring_used(s)) {
			size_t size = s->readers.head->size,
			       used = ring_used(s);
			struct answer *a =
			    answer_add(&out, s->readers.head->r.req, NULL,
				       size < used ? size : used);
			if (!a)
				break; /* stays parked until the next event */
			parked_free(parked_pop(&s->readers));
			struct iovec iov[2];
			int n = take_lines(s, a->len, iov);
			a->len = 0;
			for (int i = 0; i < n; i++) {
				memcpy(a->data + a->len, iov[i].iov_base,
				       iov[i].iov_len);
				a->len += iov[i].iov_len;
			}
		}
		if (s->poll && ring_used(s) &&
		    answer_add(&out, NULL, s->poll, 0))
			s->poll = NULL;
	}
	return out;
}

static void send_answers(struct answer *a)
{
	while (a) {
		struct answer *next = a->next;
		if (a->poll) {
			fuse_lowlevel_notify_poll(a->poll);
			fuse_pollhandle_destroy(a->poll);
		} else {
			fuse_reply_buf(a->req, a->data, a->len);
		}
		free(a);
		a = next;
	}
}

static void *waker_main(void *arg)
{
	(void)arg;
	reply_thread_is_ours(); /* it holds no lock when it answers */
	pthread_mutex_lock(&T.lock);
	while (!T.waker_stop) {
		if (!T.wake_pending) {
			pthread_cond_wait(&T.work, &T.lock);
			continue;
		}
		T.wake_pending = false;
		struct answer *out = collect_answers();
		pthread_mutex_unlock(&T.lock);
		send_answers(out);
		pthread_mutex_lock(&T.lock);
	}
	pthread_mutex_unlock(&T.lock);
	return NULL;
}

/* Appends LINE to S's ring, or counts it lost (lock held). */
static void push(struct trace_sub *s, const char *line, size_t n, uint64_t ts)
{
	if (s->lost)
		report_lost(s, ts, n);
	if (s->lost || TRACE_RING_BYTES - ring_used(s) < n) {
		s->lost++;
		return;
	}
	ring_write(s, line, n);
	wake(s);
}

/* Delivers the event "TS BODY" to the subscriptions that may see OWNER's. */
static void deliver(uid_t owner, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void deliver(uid_t owner, const char *fmt, ...)
{
	char body[LINE_MAX_BYTES];
	va_list ap;
	va_start(ap, fmt);
	int blen = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (blen < 0)
		return;
	if ((size_t)blen >= sizeof(body))
		blen = sizeof(body) - 1;
	char line[LINE_MAX_BYTES + 32];
	pthread_mutex_lock(&T.lock);
	if (T.subs) {
		uint64_t ts = now_ns();
		int n = snprintf(line, sizeof(line), "%llu %.*s\n",
				 (unsigned long long)ts, blen, body);
		for (struct trace_sub *s = T.subs; s; s = s->next)
			if (s->viewer == 0 || s->viewer == owner)
				push(s, line, (size_t)n, ts);
	}
	pthread_mutex_unlock(&T.lock);
}

/* Text from users (a process name, a message) on one line of the trace. */
static void one_line(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* A path from users as one field: no control characters, no spaces. */
static void one_field(char *dst, size_t cap, const char *src)
{
	one_line(dst, cap, src);
	for (char *c = dst; *c; c++)
		if (*c == ' ')
			*c = '_';
}

static const char *kernel_name(const struct vgpu_kernel_spec *k)
{
	return k ? k->name : "-";
}

static const char *status_name(int err)
{
	return err ? vgpu_errno_name(err) : "ok";
}

#define U(x) ((unsigned long long)(x))

void trace_emit_opened(const struct context *ctx)
{
	char comm[sizeof(ctx->comm)];
	one_line(comm, sizeof(comm), ctx->comm);
	deliver(ctx->uid, "opened ctx=%llu uid=%u pid=%d comm=%s", U(ctx->id),
		(unsigned)ctx->uid, (int)ctx->pid, comm);
}

void trace_emit_closed(const struct context *ctx)
{
	deliver(ctx->uid, "closed ctx=%llu", U(ctx->id));
}

void trace_emit_queued(const struct context *ctx, uint64_t seq,
		       const struct vgpu_kernel_spec *k, uint64_t flops,
		       uint64_t bytes)
{
	deliver(ctx->uid,
		"queued ctx=%llu seq=%llu kernel=%s flops=%llu "
		"bytes=%llu",
		U(ctx->id), U(seq), kernel_name(k), U(flops), U(bytes));
}

void trace_emit_tile(const struct job *job, unsigned worker, uint32_t tile,
		     int rc)
{
	const struct context *ctx = job->ctx;
	const char *what = rc > 0 ? "started" : "finished";
	deliver(ctx->uid,
		"%s ctx=%llu seq=%llu kernel=%s%s%s worker=%u tile=%u/%u%s%s",
		what, U(ctx->id), U(job->seq), kernel_name(job->cmd.spec),
		job->label ? " program=" : "", job->label ? job->label : "",
		worker, (unsigned)tile, (unsigned)job->ntiles,
		rc > 0 ? "" : " status=", rc > 0 ? "" : status_name(rc));
}

void trace_emit_completed(const struct context *ctx, const struct completion *c)
{
	char msg[VGPU_MSG_MAX];
	one_line(msg, sizeof(msg), c->err && c->msg ? c->msg : "");
	deliver(ctx->uid,
		"completed ctx=%llu seq=%llu kernel=%s%s%s status=%s%s%s",
		U(ctx->id), U(c->seq), kernel_name(c->kernel),
		c->label ? " program=" : "", c->label ? c->label : "",
		status_name(c->err), c->err ? " msg=" : "", msg);
}

void trace_emit_program(const struct job *job, const char *program,
			const struct program_compile_time *t, int err)
{
	const struct context *ctx = job->ctx;
	char name[VGPU_MSG_MAX];
	one_field(name, sizeof(name), program);
	if (!t->compiled) {
		deliver(ctx->uid,
			"cache_hit ctx=%llu seq=%llu kernel=%s program=%s",
			U(ctx->id), U(job->seq), kernel_name(job->cmd.spec),
			name);
		return;
	}
	deliver(ctx->uid,
		"compiled ctx=%llu seq=%llu kernel=%s program=%s status=%s "
		"ns=%llu front_ns=%llu codegen_ns=%llu",
		U(ctx->id), U(job->seq), kernel_name(job->cmd.spec), name,
		status_name(err), U(t->front_ns + t->codegen_ns),
		U(t->front_ns), U(t->codegen_ns));
}

struct trace_sub *trace_open(fuse_req_t req, int *err)
{
	uid_t uid = fuse_req_ctx(req)->uid;
	struct trace_sub *s = calloc(1, sizeof(*s));
	char *ring = malloc(TRACE_RING_BYTES);
	if (!s || !ring) {
		free(s);
		free(ring);
		*err = -ENOMEM;
		return NULL;
	}
	s->viewer = uid;
	s->ring = ring;
	atomic_init(&s->refs, 1);
	parked_init(&s->readers);
	pthread_mutex_lock(&T.lock);
	if (!T.waker_started) {
		T.waker_started =
		    pthread_create(&T.waker, NULL, waker_main, NULL) == 0;
		if (T.waker_started)
			pthread_setname_np(T.waker, "vgpu-trace");
	}
	unsigned all = 0, mine = 0;
	for (struct trace_sub *o = T.subs; o; o = o->next) {
		all++;
		mine += o->viewer == uid;
	}
	if (!T.waker_started || all >= TRACE_SUBS_MAX ||
	    (uid && mine >= TRACE_SUBS_PER_USER)) {
		pthread_mutex_unlock(&T.lock);
		free(ring);
		free(s);
		*err = T.waker_started ? -EMFILE : -EAGAIN;
		return NULL;
	}
	s->next = T.subs;
	if (T.subs)
		T.subs->prev = &s->next;
	s->prev = &T.subs;
	T.subs = s;
	atomic_fetch_add_explicit(&trace_gate.subscribers, 1,
				  memory_order_relaxed);
	pthread_mutex_unlock(&T.lock);
	return s;
}

void trace_get(struct trace_sub *sub)
{
	atomic_fetch_add_explicit(&sub->refs, 1, memory_order_relaxed);
}

void trace_put(struct trace_sub *sub)
{
	if (atomic_fetch_sub_explicit(&sub->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (sub->poll)
		fuse_pollhandle_destroy(sub->poll);
	free(sub->ring);
	free(sub);
}

/* Takes S off the list (lock held). */
static void unlink_sub(struct trace_sub *s)
{
	*s->prev = s->next;
	if (s->next)
		s->next->prev = s->prev;
	atomic_fetch_sub_explicit(&trace_gate.subscribers, 1,
				  memory_order_relaxed);
}

void trace_close(struct trace_sub *sub)
{
	struct parked_queue gone;
	parked_init(&gone);
	pthread_mutex_lock(&T.lock);
	unlink_sub(sub);
	/* Reads still parked belong to a caller the kernel gave up on. */
	parked_take(&sub->readers, NULL, &gone);
	pthread_mutex_unlock(&T.lock);
	parked_answer(&gone, EBADF);
	trace_put(sub);
}

void trace_read(struct trace_sub *sub, fuse_req_t req, size_t size,
		bool nonblock)
{
	if (size == 0) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	pthread_mutex_lock(&T.lock);
	if (!ring_used(sub) && sub->lost)
		report_lost(sub, now_ns(), 0);
	if (ring_used(sub)) { /* its own request: no other queue's lock */
		struct iovec iov[2];
		fuse_reply_iov(req, iov, take_lines(sub, size, iov));
	} else if (T.stopped) {
		fuse_reply_err(req, ESHUTDOWN);
	} else if (nonblock) {
		fuse_reply_err(req, EAGAIN);
	} else {
		int rc = parked_push(&sub->readers, req, size, NULL);
		if (rc < 0)
			fuse_reply_err(req, -rc);
	}
	pthread_mutex_unlock(&T.lock);
}

void trace_poll(struct trace_sub *sub, fuse_req_t req,
		struct fuse_pollhandle *ph)
{
	pthread_mutex_lock(&T.lock);
	unsigned revents = 0;
	if (ring_used(sub) || sub->lost || T.stopped)
		revents |= POLLIN | POLLRDNORM;
	if (ph) {
		if (sub->poll)
			fuse_pollhandle_destroy(sub->poll);
		sub->poll = ph;
	}
	pthread_mutex_unlock(&T.lock);
	fuse_reply_poll(req, revents);
}

void trace_interrupt_signalled(void)
{
	struct parked_queue out;
	parked_init(&out);
	pthread_mutex_lock(&T.lock);
	for (struct trace_sub *s = T.subs; s; s = s->next)
		parked_take(&s->readers, parked_undisturbed, &out);
	pthread_mutex_unlock(&T.lock);
	parked_answer(&out, EINTR);
}

void trace_abort_readers(void)
{
	struct parked_queue out;
	struct answer *polls = NULL;
	parked_init(&out);
	pthread_mutex_lock(&T.lock);
	T.stopped = true;
	for (struct trace_sub *s = T.subs; s; s = s->next) {
		parked_take(&s->readers, NULL, &out);
		/* a poller reads, and learns it is over */
		if (s->poll && answer_add(&polls, NULL, s->poll, 0))
			s->poll = NULL;
	}
	pthread_mutex_unlock(&T.lock);
	parked_answer(&out, ESHUTDOWN);
	send_answers(polls);
}

void trace_cleanup(void)
{
	pthread_mutex_lock(&T.lock);
	T.waker_stop = true;
	pthread_cond_signal(&T.work);
	pthread_mutex_unlock(&T.lock);
	if (T.waker_started)
		pthread_join(T.waker, NULL);
	pthread_mutex_lock(&T.lock);
	while (T.subs) {
		struct trace_sub *s = T.subs;
		unlink_sub(s);
		struct parked *p; /* answered already, by the abort */
		while ((p = parked_pop(&s->readers)))
			parked_free(p);
		trace_put(s);
	}
	pthread_mutex_unlock(&T.lock);
}
