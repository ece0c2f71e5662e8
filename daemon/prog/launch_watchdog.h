/*
 * The launch watchdog (--kernel-timeout): a launched kernel that runs
 * longer than the timeout has its stop flag set, which the generated code
 * polls at loop back-edges and between groups; its tiles then end with
 * ETIMEDOUT and free their workers. One thread sleeps until the earliest
 * deadline of the launches running, or a timeout from now when none runs,
 * so that arming a launch needs no wake-up of it.
 */
#ifndef VGPUFSD_LAUNCH_WATCHDOG_H
#define VGPUFSD_LAUNCH_WATCHDOG_H

#include <stdatomic.h>
#include <stdint.h>

struct launch_watch {
	struct launch_watch *next;
	_Atomic int *stop;
	uint64_t deadline_ns;
	int armed;
};

/* Starts the thread; 0 or -errno. */
int launch_watchdog_start(unsigned timeout_s);
/* Ends it, once no launch runs any more. */
void launch_watchdog_stop(void);
/* Sets *STOP when the timeout has passed from now, unless disarmed. */
void launch_watchdog_arm(struct launch_watch *w, _Atomic int *stop);
void launch_watchdog_disarm(struct launch_watch *w);
/* The timeout, for messages. */
unsigned launch_watchdog_timeout_s(void);

#endif
