#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cond_deadline.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "sched/context.h"
#include "sched/parked.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	unsigned parked;
	bool stop;
} watch = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false};

static void parked_changed(int delta)
{
	stats_parked_readers(delta);
	pthread_mutex_lock(&watch.lock);
	watch.parked += (unsigned)delta;
	if (delta > 0 && watch.parked == 1)
		pthread_cond_signal(&watch.cv);
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

struct parked *parked_push(struct parked_queue *q, fuse_req_t req, size_t size,
			   const void *data)
{
	struct parked *p = malloc(sizeof(*p) + (data ? size : 0));
	if (!p)
		return NULL;
	*p = (struct parked){
	    .size = size, .tid = fuse_req_ctx(req)->pid, .since_ns = now_ns()};
	reply_init(&p->r, req, data != NULL);
	if (data)
		memcpy(p->data, data, size);
	set_link(q->tail, p);
	q->tail = &p->next;
	parked_changed(1);
	return p;
}

struct parked *parked_pop(struct parked_queue *q)
{
	struct parked *p = q->head;
	if (p) {
		set_link(&q->head, p->next);
		if (!q->head)
			q->tail = &q->head;
		parked_changed(-1);
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
		parked_changed(-1);
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

void parked_watch_run(void)
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
		context_interrupt_signalled();
		trace_interrupt_signalled();
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
