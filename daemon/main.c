/*
 * vgpufsd: mounts a virtual GPU as a file tree. Startup order matters:
 * the mount is made before daemonizing (so errors reach the terminal), and
 * threads are started after (fork keeps only the calling thread).
 */
#include <errno.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vgpufs/kernel_impl.h>

#include "device.h"
#include "fault_inject.h"
#include "fs/fs_internal.h"
#include "fs/mountpoint.h"
#include "fs/node.h"
#include "fs/reply.h"
#include "mem/buffer.h"
#include "mem/bus.h"
#include "mem/bus_pace.h"
#include "mem/disk_tier.h"
#include "observe/log.h"
#include "observe/service_notify.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "ooc/ooc.h"
#include "options.h"
#include "mem/user_usage.h"
#include "sched/context.h"
#include "prog/launch_watchdog.h"
#include "prog/program.h"
#include "sched/parked.h"
#include "sched/scheduler.h"
#include "sched/topology.h"

#define URING_PARAM "/sys/module/fuse/parameters/enable_uring"

/* FUSE over io_uring if the kernel has it; enables the module switch. */
static bool setup_uring(bool wanted)
{
	if (!wanted)
		return false;
#ifndef VGPUFS_FUSE_URING_SAFE
	/* Its io_uring can lose the answer to a blocked read (build-libfuse.sh,
	 * scripts/patches). */
	log_info("libfuse %s is not the one vgpufs builds with its io_uring "
		 "fix; using /dev/fuse",
		 fuse_pkgversion());
	return false;
#endif
	FILE *f = fopen(URING_PARAM, "r+e");
	if (!f) {
		log_info(
		    "this kernel has no FUSE over io_uring; using /dev/fuse");
		return false;
	}
	int c = fgetc(f);
	bool on = c == 'Y' || c == '1';
	if (!on) {
		rewind(f);
		on = fputs("Y\n", f) >= 0;
	}
	if (fclose(f) != 0)
		on = false;
	if (!on)
		log_warn("cannot enable %s; using /dev/fuse", URING_PARAM);
	return on;
}

/* File descriptors kept for everything but buffers: FUSE, io_uring, /proc. */
#define FD_RESERVE 256

/*
 * Every buffer is a file in the RAM tier held open by the daemon, so the
 * descriptor limit is the buffer limit: raise the soft limit to the hard
 * one, and keep a reserve so that a full table of buffers never stops the
 * daemon from serving (creating one more then fails with ENOSPC).
 */
static uint64_t buffer_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024 - FD_RESERVE;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	uint64_t cur = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : rl.rlim_cur;
	return cur > 2 * FD_RESERVE ? cur - FD_RESERVE : cur / 2;
}

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

static void stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]);
	     i++)
		sigaddset(set, stop_signals[i]);
}

/*
 * Waits for a stop signal, then drains while the FUSE session still runs,
 * so that completions of the last kernels reach their readers: stop
 * accepting, let running kernels finish, cancel the rest, give readers up
 * to 2 s to collect what is left, answer blocked readers; only then end
 * the session (which unmounts).
 */
static void *signal_main(void *arg)
{
	struct device *dev = arg;
	reply_thread_is_ours();
	sigset_t set;
	stop_signal_set(&set);
	int sig;
	sigwait(&set, &sig);
	log_info("signal %d: draining and unmounting", sig);
	service_notify_stop();
	sched_stop();
	context_wait_read(2000);
	context_abort_readers();
	trace_abort_readers();
	bus_pace_drain();
	fuse_session_exit(dev->se); /* wakes the loop */
	return NULL;
}

static void *signal_watch_main(void *arg)
{
	(void)arg;
	reply_thread_is_ours();
	static void (*const sweeps[])(void) = {context_interrupt_signalled,
					       trace_interrupt_signalled};
	parked_watch_run(sweeps, sizeof(sweeps) / sizeof(sweeps[0]));
	return NULL;
}

static struct fuse_session *new_session(struct device *dev)
{
	char depth[64];
	snprintf(depth, sizeof(depth), "io_uring_q_depth=%u",
		 dev->opts->uring_depth);
	char *argv[] = {
	    "vgpufsd",
	    "-o",
	    "allow_other,default_permissions,fsname=vgpufs,subtype=vgpufs",
	    "-o",
	    "io_uring",
	    "-o",
	    depth,
	    NULL};
	struct fuse_args args = FUSE_ARGS_INIT(dev->uring ? 7 : 3, argv);
	struct fuse_session *se =
	    fuse_session_new(&args, &device_ops, sizeof(device_ops), dev);
	fuse_opt_free_args(&args);
	return se;
}

static int serve(struct device *dev)
{
	pthread_t watchdog, sigthread;
	/* Every thread (ours and libfuse's) inherits this: signals go to one.
	 */
	sigset_t set;
	stop_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int rc = topology_init(dev->opts->workers);
	ooc_staging_init(dev->opts->staging);
	if (rc == 0)
		rc = launch_watchdog_start(dev->opts->kernel_timeout_s);
	if (rc == 0)
		rc = sched_start(dev->opts->workers);
	if (rc < 0) {
		log_err("cannot start workers: %s", strerror(-rc));
		return -1;
	}
	rc = reply_start(dev->uring);
	if (rc < 0) {
		log_err("cannot start the reply thread: %s", strerror(-rc));
		sched_stop();
		return -1;
	}
	rc = fs_bus_start(dev->se);
	if (rc < 0) {
		log_err("cannot start the bus thread: %s", strerror(-rc));
		sched_stop();
		reply_stop();
		return -1;
	}
	if (pthread_create(&watchdog, NULL, signal_watch_main, NULL) != 0) {
		sched_stop();
		reply_stop();
		return -1;
	}
	if (pthread_create(&sigthread, NULL, signal_main, dev) != 0) {
		parked_watch_stop();
		pthread_join(watchdog, NULL);
		sched_stop();
		reply_stop();
		return -1;
	}
	/* READY=1 comes from its thread once the mount answers. */
	if (service_notify_start(dev->opts->mountpoint) < 0)
		log_warn("cannot start the service notification thread: "
			 "systemd will not hear that the device is ready");
	log_info(
	    "serving %s: %u workers, %llu MiB RAM tier, up to %llu buffers, %s",
	    dev->opts->mountpoint, dev->opts->workers,
	    (unsigned long long)(tier_capacity(dev->tiers[TIER_RAM]) >> 20),
	    (unsigned long long)dev->max_buffers,
	    dev->uring ? "FUSE over io_uring" : "/dev/fuse");
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, 64);
	fuse_session_loop_mt(dev->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	/* Ended by a signal (drained already) or an unmount: drain if needed.
	 */
	bus_pace_stop(); /* what an unmount left held */
	pthread_kill(sigthread, SIGTERM);
	pthread_join(sigthread, NULL);
	parked_watch_stop();
	pthread_join(watchdog, NULL);
	reply_stop();
	if (dev->no_passthrough) {
		log_err(
		    "this kernel does not offer FUSE passthrough (Linux 6.9 or "
		    "newer is needed): buffers cannot be zero-copy, refusing "
		    "to run");
		return -1;
	}
	return 0;
}

/* The disk tier, if any, and the buffers and directories kept on it. */
static int open_disk_tier(struct device *dev)
{
	const struct options *o = dev->opts;
	if (!o->disk_dir[0])
		return 0;
	dev->tiers[TIER_DISK] =
	    disk_tier_open(o->disk_dir, o->disk_bytes, !o->disk_sync_none);
	if (!dev->tiers[TIER_DISK])
		return -1;
	pthread_mutex_lock(&tree_lock);
	int n = disk_load(dev->tiers[TIER_DISK]);
	pthread_mutex_unlock(&tree_lock);
	if (n < 0) {
		log_err("cannot read the disk tier %s: %s", o->disk_dir,
			strerror(-n));
		return -1;
	}
	log_info(
	    "disk tier %s: %llu MiB, %d entries restored", o->disk_dir,
	    (unsigned long long)(tier_capacity(dev->tiers[TIER_DISK]) >> 20),
	    n);
	return 0;
}

/*
 * TOTAL * share, the share being --user-quota of --vram: a user's part of
 * the RAM is their part of every other resource unless an option says.
 */
static uint64_t share_of(const struct options *o, uint64_t total)
{
	return (uint64_t)((long double)total * o->user_quota / o->vram_bytes);
}

/* --user-buffers and --user-disk-quota, given or their defaults. */
static void set_user_limits(const struct device *dev)
{
	const struct options *o = dev->opts;
	uint64_t nodes = o->user_buffers, disk = o->user_disk_quota;
	if (!nodes)
		nodes = o->user_quota ? share_of(o, dev->max_buffers)
				      : dev->max_buffers / 4;
	if (nodes < 1)
		nodes = 1;
	if (!disk)
		disk = o->user_quota && dev->tiers[TIER_DISK]
			   ? share_of(o, tier_capacity(dev->tiers[TIER_DISK]))
			   : UINT64_MAX;
	usage_init(nodes, disk);
	if (disk == UINT64_MAX)
		log_info("per user: up to %llu buffers and directories",
			 (unsigned long long)nodes);
	else
		log_info("per user: up to %llu buffers and directories, %llu "
			 "MiB of the disk tier",
			 (unsigned long long)nodes,
			 (unsigned long long)(disk >> 20));
}

int main(int argc, char **argv)
{
	struct options opts;
	int rc = options_parse(&opts, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	log_set_level((enum log_level)opts.log_level);
	bus_init(opts.bus[0] ? opts.bus : NULL); /* checked by options_parse */
	if (geteuid() != 0) {
		log_err(
		    "must run as root: FUSE passthrough needs CAP_SYS_ADMIN");
		return 1;
	}
	if (mountpoint_prepare(opts.mountpoint) < 0)
		return 1;
	struct device dev = {.opts = &opts, .max_buffers = buffer_limit()};
	dev.tiers[TIER_RAM] = tier_ram_open(opts.vram_bytes, opts.user_quota);
	if (!dev.tiers[TIER_RAM]) {
		log_err("cannot create the RAM tier (tmpfs of %llu bytes): %m",
			(unsigned long long)opts.vram_bytes);
		return 1;
	}
	stats_init();
	vgpu_kernels_init();
	context_set_limits(opts.queue_depth, opts.max_contexts_per_user);
	buffer_init();
	if (tree_init() < 0) {
		log_err("out of memory");
		return 1;
	}
	if (open_disk_tier(&dev) < 0)
		return 1;
	set_user_limits(&dev);
	dev.uring = setup_uring(opts.uring);
	/* A quarter of each ring per user, and a quarter kept for requests
	 * that are answered at once (parked.h). */
	parked_set_limits(opts.uring_depth / 4,
			  dev.uring ? opts.uring_depth - opts.uring_depth / 4
				    : 0);
	dev.se = new_session(&dev);
	int status = 1;
	if (!dev.se) {
		log_err("cannot create the FUSE session");
		goto out;
	}
	if (fuse_session_mount(dev.se, opts.mountpoint) < 0) {
		log_err("cannot mount %s", opts.mountpoint);
		goto out_session;
	}
	if (!opts.foreground && fuse_daemonize(0) < 0)
		goto out_unmount;
	status = serve(&dev) < 0 ? 1 : 0;
	if (fault_sleep_cancelled()) {
		log_err("a FUSE handler's thread was cancelled mid-request");
		status = 1;
	}
out_unmount:
	fuse_session_unmount(dev.se);
out_session:
	fuse_session_destroy(dev.se);
	service_notify_join();
	reply_join();		/* only now, as sched_join() */
	bus_pace_join();	/* likewise */
	sched_join();		/* only now: see sched_stop() */
	launch_watchdog_stop(); /* no launch runs any more */
out:
	vgpu_kernels_cleanup();
	program_cache_clear();
	trace_cleanup();
	tree_destroy();
	for (int i = 0; i < TIER_COUNT; i++)
		tier_close(dev.tiers[i]);
	usage_cleanup();
	log_info("stopped");
	return status;
}
