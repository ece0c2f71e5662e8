#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "clock.h"
#include "prog/launch_watchdog.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	struct launch_watch *head;
	pthread_t thread;
	bool started, exit;
	unsigned timeout_s;
	uint64_t until; /* when the thread wakes up next */
} W = {.lock = PTHREAD_MUTEX_INITIALIZER, .timeout_s = 10};

static void *watchdog_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&W.lock);
	while (!W.exit) {
		uint64_t now = now_ns(), next = UINT64_MAX;
		for (struct launch_watch **pp = &W.head; *pp;) {
			struct launch_watch *w = *pp;
			if (w->deadline_ns <= now) {
				/* 1, unless the client's death came first */
				int running = 0;
				atomic_compare_exchange_strong(w->stop,
							       &running, 1);
				w->armed = 0;
				*pp = w->next;
				continue;
			}
			if (w->deadline_ns < next)
				next = w->deadline_ns;
			pp = &w->next;
		}
		/* Idle, it still wakes a timeout from now: a launch armed
		 * meanwhile expires no earlier, so arming never has to wake it
		 * (a small launch's round trip would pay for that). */
		if (next == UINT64_MAX)
			next = now + (uint64_t)W.timeout_s * 1000000000u;
		W.until = next;
		struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u),
				      .tv_nsec = (long)(next % 1000000000u)};
		pthread_cond_timedwait(&W.cond, &W.lock, &ts);
	}
	pthread_mutex_unlock(&W.lock);
	return NULL;
}

int launch_watchdog_start(unsigned timeout_s)
{
	W.timeout_s = timeout_s;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&W.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc == 0)
		rc = pthread_create(&W.thread, NULL, watchdog_main, NULL);
	W.started = rc == 0;
	return -rc;
}

void launch_watchdog_stop(void)
{
	if (!W.started)
		return;
	pthread_mutex_lock(&W.lock);
	W.exit = true;
	pthread_cond_signal(&W.cond);
	pthread_mutex_unlock(&W.lock);
	pthread_join(W.thread, NULL);
	pthread_cond_destroy(&W.cond);
	W.started = false;
}

void launch_watchdog_arm(struct launch_watch *w, _Atomic int *stop)
{
	pthread_mutex_lock(&W.lock);
	w->stop = stop;
	w->deadline_ns = now_ns() + (uint64_t)W.timeout_s * 1000000000u;
	w->armed = 1;
	w->next = W.head;
	W.head = w;
	if (W.started && w->deadline_ns < W.until)
		pthread_cond_signal(&W.cond);
	pthread_mutex_unlock(&W.lock);
}

void launch_watchdog_disarm(struct launch_watch *w)
{
	pthread_mutex_lock(&W.lock);
	for (struct launch_watch **pp = &W.head; w->armed && *pp;
	     pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			w->armed = 0;
			break;
		}
	pthread_mutex_unlock(&W.lock);
}

unsigned launch_watchdog_timeout_s(void)
{
	return W.timeout_s;
}
