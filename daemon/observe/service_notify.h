/*
 * What the service manager hears (sd_notify): READY=1 once the mount
 * answers, STATUS= lines, WATCHDOG=1 pings while the daemon serves, and
 * STOPPING=1. Without $NOTIFY_SOCKET all of it is skipped.
 */
#ifndef VGPUFSD_SERVICE_NOTIFY_H
#define VGPUFSD_SERVICE_NOTIFY_H

/*
 * Starts the thread that probes MOUNTPOINT and the scheduler and tells the
 * service manager (after the workers are started). 0 or -errno.
 */
int service_notify_start(const char *mountpoint);
/* Sends STOPPING=1 and tells the probes to end (at the first stop signal). */
void service_notify_stop(void);
/*
 * Waits for the probe thread to end: only after the FUSE session is
 * destroyed, as a probe sent to a loop that has ended returns only then.
 */
void service_notify_join(void);

#endif
