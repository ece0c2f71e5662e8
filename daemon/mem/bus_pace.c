#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "fs/reply.h"
#include "mem/bus_pace.h"

struct held {
	struct held *next;
	uint64_t due_ns;
	fuse_req_t req;
	bool open;
	fuse_ino_t ino;
	struct fuse_file_info fi;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cv;   /* on CLOCK_MONOTONIC, as due_ns */
	pthread_cond_t idle; /* nothing held */
	struct held *head;   /* soonest due first */
	pthread_t thread;
	bool running;
	bool closed; /* holds no more requests */
	bool now;    /* answers what is held without waiting */
	bool exit;
	struct fuse_session *se;
	bus_pace_cancel_fn *cancel;
} P = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static void answer(struct held *h)
{
	if (!h->open)
		fuse_reply_err(h->req, 0);
	else if (fuse_reply_open(h->req, &h->fi) == -ENOENT)
		P.cancel(P.se, h->ino, h->fi.fh); /* interrupted meanwhile */
	free(h);
}

static void *pace_main(void *arg)
{
	(void)arg;
	reply_thread_is_ours();
	pthread_mutex_lock(&P.lock);
	for (;;) {
		struct held *h = P.head;
		if (h && (P.now || h->due_ns <= now_ns())) {
			P.head = h->next;
			pthread_mutex_unlock(&P.lock);
			answer(h); /* holding nothing: see reply.h */
			pthread_mutex_lock(&P.lock);
			continue;
		}
		if (!h) {
			pthread_cond_broadcast(&P.idle);
			if (P.exit)
				break;
			pthread_cond_wait(&P.cv, &P.lock);
			continue;
		}
		struct timespec ts = {
		    .tv_sec = (time_t)(h->due_ns / 1000000000u),
		    .tv_nsec = (long)(h->due_ns % 1000000000u)};
		pthread_cond_timedwait(&P.cv, &P.lock, &ts);
	}
	pthread_mutex_unlock(&P.lock);
	return NULL;
}

int bus_pace_start(struct fuse_session *se, bus_pace_cancel_fn *cancel)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&P.cv, &attr);
	pthread_condattr_destroy(&attr);
	P.se = se;
	P.cancel = cancel;
	int rc = pthread_create(&P.thread, NULL, pace_main, NULL);
	if (rc) {
		pthread_cond_destroy(&P.cv);
		return -rc;
	}
	pthread_setname_np(P.thread, "vgpu-bus");
	P.running = true;
	return 0;
}

bool bus_pace_reply(fuse_req_t req, const struct fuse_file_info *fi,
		    fuse_ino_t ino, uint64_t due_ns)
{
	if (due_ns <= now_ns())
		return false;
	struct held *h = malloc(sizeof(*h));
	if (!h)
		return false;
	*h = (struct held){
	    .due_ns = due_ns, .req = req, .open = fi != NULL, .ino = ino};
	if (fi)
		h->fi = *fi;
	pthread_mutex_lock(&P.lock);
	bool ok = P.running && !P.closed;
	if (ok) {
		struct held **pp = &P.head;
		while (*pp && (*pp)->due_ns <= due_ns)
			pp = &(*pp)->next;
		h->next = *pp;
		*pp = h;
		if (P.head == h)
			pthread_cond_signal(&P.cv);
	}
	pthread_mutex_unlock(&P.lock);
	if (!ok)
		free(h);
	return ok;
}

void bus_pace_drain(void)
{
	pthread_mutex_lock(&P.lock);
	P.closed = P.now = true;
	pthread_cond_signal(&P.cv);
	while (P.running && P.head)
		pthread_cond_wait(&P.idle, &P.lock);
	pthread_mutex_unlock(&P.lock);
}

void bus_pace_stop(void)
{
	pthread_mutex_lock(&P.lock);
	P.closed = true;
	struct held *left = P.head;
	P.head = NULL;
	pthread_mutex_unlock(&P.lock);
	/* the loop ended without a drain (an unmount): the kernel gave up on
	 * these, and answering now would use rings that are gone */
	for (struct held *next; left; left = next) {
		next = left->next;
		if (left->open)
			P.cancel(P.se, left->ino, left->fi.fh);
		free(left);
	}
}

void bus_pace_join(void)
{
	pthread_mutex_lock(&P.lock);
	P.exit = true;
	pthread_cond_signal(&P.cv);
	bool running = P.running;
	pthread_mutex_unlock(&P.lock);
	if (!running)
		return;
	pthread_join(P.thread, NULL);
	P.running = false;
	pthread_cond_destroy(&P.cv);
}
