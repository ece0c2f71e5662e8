/* Deadlines for pthread_cond_timedwait() on a default (realtime) condvar. */
#ifndef VGPUFSD_COND_DEADLINE_H
#define VGPUFSD_COND_DEADLINE_H

#include <time.h>

/* CLOCK_REALTIME now plus MS milliseconds. */
static inline struct timespec cond_deadline_ms(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

#endif
