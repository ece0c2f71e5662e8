/*
 * Allocation failures on demand, for tests of what a failure leaves
 * behind: with VGPUFS_FAULT=SITE[,SITE...] in the daemon's environment,
 * every allocation at a named site fails. Only in test builds
 * (VGPUFS_FAULT_INJECTION); elsewhere it compiles to nothing.
 *
 * Sites: tmpfile (a buffer's backing file), node (a tree node),
 * passthrough (registering a buffer for passthrough), quota (a user's
 * part of the tier); and I/O failures: ooc_read, ooc_write (a transfer
 * between the disk tier and staging of the streaming runner, which fails
 * with EIO), ooc_io (every read and write of the out-of-core gemm goes to
 * a bad descriptor: an I/O error); and ooc_cold: the streaming runner
 * takes the page cache to hold none of a command's inputs (it streams
 * what it would otherwise run mapped); ring_publish_late: a ring's poller,
 * having stored cq_tail, looks at cq_waiters only once its client set it
 * (up to 1 s), as if preempted in between (tests/it_ring.c). Read when a
 * ring is made. read_late: the handler of every read of a queue, having
 * answered it, sleeps 300 ms in fault_sleep() before it returns, as if
 * preempted at a cancellation point there (tests/it_lifecycle.c); read
 * when the queue is opened.
 */
#ifndef VGPUFSD_FAULT_INJECT_H
#define VGPUFSD_FAULT_INJECT_H

#include <stdbool.h>

#ifdef VGPUFS_FAULT_INJECTION
bool fault_inject(const char *site);
/*
 * Sleeps MS milliseconds, a cancellation point. A thread cancelled there
 * is remembered: fault_sleep_cancelled() tells, and the daemon then exits
 * with an error (a handler's thread must never die mid-request).
 */
void fault_sleep(unsigned ms);
bool fault_sleep_cancelled(void);
#else
static inline bool fault_inject(const char *site)
{
	(void)site;
	return false;
}
static inline void fault_sleep(unsigned ms)
{
	(void)ms;
}
static inline bool fault_sleep_cancelled(void)
{
	return false;
}
#endif

#endif
