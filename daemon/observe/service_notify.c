/*
 * The probe: the daemon reads its own info file through the mount (the
 * kernel passes the open and read to the FUSE loop, so an answer proves
 * the loop serves) and asks the scheduler for a heartbeat (a worker must
 * pass through its loop: proves the lock is free and the workers are not
 * stuck). Only when both answer does it ping; a daemon stuck in either
 * place makes the probe wait or fail, the pings stop, and systemd restarts
 * the service after WatchdogSec.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cond_deadline.h"
#include "observe/log.h"
#include "observe/service_notify.h"
#include "sched/context.h"
#include "sched/scheduler.h"

/* STATUS= refresh when systemd asks for no watchdog pings. */
#define STATUS_PERIOD_MS 10000u
/* Before READY=1: how often to look whether the mount answers yet. */
#define READY_POLL_MS 10u

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stop;
	char info[4200];
	const char *mountpoint;
} N = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* 0, or -errno when the mount does not serve info. */
static int probe_mount(void)
{
	int fd = open(N.info, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	int rc = n > 0 ? 0 : n == 0 ? -ENODATA : -errno;
	close(fd);
	return rc;
}

static void count_context(const struct context *c, void *arg)
{
	(void)c;
	(*(unsigned *)arg)++;
}

/* Waits MS or until stopped; returns whether to go on. */
static bool nap(unsigned ms)
{
	struct timespec ts = cond_deadline_ms(ms);
	pthread_mutex_lock(&N.lock);
	while (!N.stop &&
	       pthread_cond_timedwait(&N.wake, &N.lock, &ts) != ETIMEDOUT)
		;
	bool go_on = !N.stop;
	pthread_mutex_unlock(&N.lock);
	return go_on;
}

static void *notify_main(void *arg)
{
	(void)arg;
	uint64_t usec = 0;
	bool watchdog = sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000;
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	unsigned period = watchdog ? (unsigned)(usec / 2000) : STATUS_PERIOD_MS;
	bool ready = false, failing = false;
	do {
		int rc = probe_mount();
		if (!ready && rc < 0)
			continue; /* the FUSE loop is still starting */
		const char *why = NULL;
		if (rc < 0)
			why = strerror(-rc);
		else if (!sched_alive(period))
			why = "no worker answered";
		if (why) {
			if (!failing)
				log_warn("watchdog: %s does not answer (%s): "
					 "no pings until it does",
					 N.mountpoint, why);
			failing = true;
			continue;
		}
		if (failing)
			log_info("watchdog: %s answers again", N.mountpoint);
		failing = false;
		unsigned contexts = 0;
		context_for_each(count_context, &contexts);
		pthread_mutex_lock(&N.lock); /* nothing after STOPPING=1 */
		if (!N.stop)
			sd_notifyf(
			    0,
			    "%s%sSTATUS=serving %s, %u context%s, %u workers",
			    ready ? "" : "READY=1\n",
			    watchdog ? "WATCHDOG=1\n" : "", N.mountpoint,
			    contexts, contexts == 1 ? "" : "s",
			    sched_workers());
		pthread_mutex_unlock(&N.lock);
		if (!ready)
			log_debug("ready: %s answers", N.mountpoint);
		ready = true;
	} while (nap(ready ? period : READY_POLL_MS));
	return NULL;
}

int service_notify_start(const char *mountpoint)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (!sock || !*sock)
		return 0;
	N.mountpoint = mountpoint;
	snprintf(N.info, sizeof(N.info), "%s/info", mountpoint);
	int rc = pthread_create(&N.thread, NULL, notify_main, NULL);
	if (rc)
		return -rc;
	pthread_setname_np(N.thread, "vgpu-notify");
	N.started = true;
	return 0;
}

void service_notify_stop(void)
{
	pthread_mutex_lock(&N.lock);
	if (N.started && !N.stop)
		sd_notify(0, "STOPPING=1");
	N.stop = true;
	pthread_cond_signal(&N.wake);
	pthread_mutex_unlock(&N.lock);
}

void service_notify_join(void)
{
	service_notify_stop();
	if (N.started)
		pthread_join(N.thread, NULL);
	N.started = false;
}
