#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cond_deadline.h"
#include "observe/log.h"
#include "observe/stats.h"
#include "sched/parked.h"
#include "sched/user_count.h"

/* Queues counted apart; more receiving threads share counts (modulo). */
#define MAX_QUEUES 1024

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	unsigned parked;
	bool stop;
	/* Limits (parked_set_limits()) and what counts against them. */
	unsigned per_user, per_queue;
	struct user_counts users;
	unsigned queue[MAX_QUEUES];
	uint64_t logged_ns; /* the last refusal logged */
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The calling thread's index in watch.queue[] (per_queue set). */
static int my_queue(void)
{
	static atomic_uint next;
	static _Thread_local int mine = -1;
	if (mine < 0)
		mine = (int)(atomic_fetch_add(&next, 1) % MAX_QUEUES);
	return mine;
}

void parked_set_limits(unsigned per_user, unsigned per_queue)
{
	watch.per_user = per_user;
	watch.per_queue = per_queue;
}

/* One line per 10 s at most: refusals come as fast as a client asks. */
static void log_refusal(const struct parked *p, bool user)
{
	uint64_t now = now_ns();
	if (watch.logged_ns && now - watch.logged_ns < 10000000000ull)
		return;
	watch.logged_ns = now;
	if (user)
		log_warn("user %u has %u requests waiting (a quarter of "
			 "--uring-depth): more blocking reads and writes "
			 "fail with EAGAIN",
			 (unsigned)p->uid, watch.per_user);
	else
		log_warn("%u requests wait on one FUSE queue (--uring-depth "
			 "less a quarter, kept for other requests): more "
			 "blocking reads and writes there fail with EAGAIN",
			 watch.per_queue);
}

/* P, to be parked, counts against the limits: 0, -EAGAIN, -ENOMEM. */
static int admit(struct parked *p)
{
	pthread_mutex_lock(&watch.lock);
	int rc = 0;
	bool was_full = false;
	if (watch.per_queue && watch.queue[p->queue] >= watch.per_queue) {
		rc = -EAGAIN;
		log_refusal(p, false);
	} else if (p->uid) {
		rc = user_count_add(&watch.users, p->uid, watch.per_user,
				    &was_full);
		if (rc == -EAGAIN && !was_full)
			log_refusal(p, true);
	}
	if (rc == 0) {
		if (watch.per_queue)
			watch.queue[p->queue]++;
		if (++watch.parked == 1)
			pthread_cond_signal(&watch.cv);
	}
	pthread_mutex_unlock(&watch.lock);
	if (rc == 0)
		stats_parked_readers(1);
	return rc;
}

/* P left its queue. */
static void leave(const struct parked *p)
{
	stats_parked_readers(-1);
	pthread_mutex_lock(&watch.lock);
	watch.parked--;
	if (watch.per_queue)
		watch.queue[p->queue]--;
	if (p->uid)
		user_count_sub(&watch.users, p->uid);
	pthread_mutex_unlock(&watch.lock);
}

/* Readers of a queue's head may not hold its lock (context_write()). */
static void set_link(struct parked **link, struct parked *p)
{
	atomic_store_explicit((_Atomic(struct parked *) *)link, p,
			      memory_order_relaxed);
}

void parked_init(struct parked_queue *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

int parked_push(struct parked_queue *q, fuse_req_t req, size_t size,
		const void *data)
{
	struct parked *p = malloc(sizeof(*p) + (data ? size : 0));
	if (!p)
		return -ENOMEM;
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	*p = (struct parked){.size = size,
			     .tid = fc->pid,
			     .uid = fc->uid,
			     .queue = watch.per_queue ? my_queue() : -1,
			     .since_ns = now_ns()};
	int rc = admit(p);
	if (rc < 0) {
		free(p);
		return rc;
	}
	reply_init(&p->r, req, data != NULL);
	if (data)
		memcpy(p->data, data, size);
	set_link(q->tail, p);
	q->tail = &p->next;
	return 0;
}

struct parked *parked_pop(struct parked_queue *q)
{
	struct parked *p = q->head;
	if (p) {
		set_link(&q->head, p->next);
		if (!q->head)
			q->tail = &q->head;
		leave(p);
	}
	return p;
}

void parked_free(struct parked *p)
{
	free(p);
}

void parked_take(struct parked_queue *q, bool (*keep)(const struct parked *),
		 struct parked_queue *out)
{
	for (struct parked **pp = &q->head; *pp;) {
		struct parked *p = *pp;
		if (keep && keep(p)) {
			pp = &p->next;
			continue;
		}
		set_link(pp, p->next);
		leave(p);
		p->next = NULL;
		*out->tail = p;
		out->tail = &p->next;
	}
	q->tail = &q->head;
	while (*q->tail)
		q->tail = &(*q->tail)->next;
}

void parked_answer(struct parked_queue *q, int err)
{
	/* Requests in Q left their queue already: counted out there. */
	REPLY_LIST(out);
	for (struct parked *p = q->head, *next; p; p = next) {
		next = p->next;
		p->r.err = err;
		reply_push(&out, &p->r);
	}
	parked_init(q);
	reply_send(&out);
}

/*
 * A thread with a pending, unblocked signal (Ctrl-C, SIGKILL) is
 * disturbed: its request is answered with EINTR instead of being left in
 * uninterruptible sleep. A thread that is gone is, too.
 */
bool parked_undisturbed(const struct parked *p)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false; /* gone */
	unsigned long long pnd = 0, shd = 0, blk = 0, v;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SigPnd: %llx", &v) == 1)
			pnd = v;
		else if (sscanf(line, "ShdPnd: %llx", &v) == 1)
			shd = v;
		else if (sscanf(line, "SigBlk: %llx", &v) == 1)
			blk = v;
	}
	fclose(f);
	return ((pnd | shd) & ~blk) == 0;
}

void parked_watch_run(void (*const sweeps[])(void), size_t n)
{
	pthread_mutex_lock(&watch.lock);
	while (!watch.stop) {
		if (!watch.parked) {
			pthread_cond_wait(&watch.cv, &watch.lock);
			continue;
		}
		struct timespec until = cond_deadline_ms(100);
		pthread_cond_timedwait(&watch.cv, &watch.lock, &until);
		pthread_mutex_unlock(&watch.lock);
		for (size_t i = 0; i < n; i++)
			sweeps[i]();
		pthread_mutex_lock(&watch.lock);
	}
	pthread_mutex_unlock(&watch.lock);
}

void parked_watch_stop(void)
{
	pthread_mutex_lock(&watch.lock);
	watch.stop = true;
	pthread_cond_signal(&watch.cv);
	pthread_mutex_unlock(&watch.lock);
}
