/*
 * The virtual bus (--bus): bad specs refused at start; with a slow custom
 * link, tier moves and opens and closes of buffers take at least the
 * modelled time, and stats count exactly what crossed; other clients go
 * on while an open is held back; without a bus nothing is paced or
 * counted. Times are only bounded below (the machine may be loaded),
 * except where a held-back open must not stall others.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"

#define MiB (1u << 20)
/* custom:bw=100M/s is 100 MiB per second */
#define SLOW	 "custom:bw=100M/s,lat=1ms"
#define SLOW_BW	 (100.0 * MiB)
#define SLOW_LAT 0.001

static struct daemon_proc d;
static char disk[64];
static bool running;

static void start(const char *bus)
{
	snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(disk));
	const char *args[10] = {"--vram", "256M",	 "--disk",
				disk,	  "--disk-size", "256M"};
	int n = 6;
	if (bus) {
		args[n++] = "--bus";
		args[n++] = bus;
	}
	args[n] = NULL;
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	running = true;
}

/* A clean stop (nothing left held), and the disk tier's files gone. */
static void teardown(void)
{
	bool was_running = running;
	running = false;
	ck_assert_int_eq(was_running ? daemon_stop(&d) : 0, 0);
	remove_tree(disk);
}

static const char *mem(const char *name)
{
	return mem_path(&d, name);
}

/* mem/NAME of SIZE bytes, made without any transfer over the bus. */
static void make(const char *name, off_t size)
{
	int fd = open(mem(name), O_RDONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	close(fd);
	ck_assert_int_eq(truncate(mem(name), size), 0);
}

/* Modelled seconds of one transfer of BYTES over SLOW. */
static double slow_time(double bytes)
{
	return SLOW_LAT + bytes / SLOW_BW;
}

static double bus_stat(const char *dir, const char *what)
{
	char key[64];
	snprintf(key, sizeof(key), "bus_%s_%s", dir, what);
	return stats_value(&d, key);
}

/* The figures of one direction, as stats shows them. */
struct figures {
	double bytes, transfers, modelled, real, waited;
};

static struct figures figures(const char *dir)
{
	return (struct figures){
	    bus_stat(dir, "bytes"), bus_stat(dir, "transfers"),
	    bus_stat(dir, "modelled_seconds"), bus_stat(dir, "real_seconds"),
	    bus_stat(dir, "waited_seconds")};
}

/* Checks that one more transfer of BYTES went from BEFORE to AFTER. */
static void one_more(const struct figures *before, const struct figures *after,
		     double bytes)
{
	ck_assert_double_eq(after->bytes - before->bytes, bytes);
	ck_assert_double_eq(after->transfers - before->transfers, 1);
	ck_assert_double_eq_tol(after->modelled - before->modelled,
				slow_time(bytes), 2e-9);
	/* alone on its link: from its start to its end is the same */
	ck_assert_double_eq_tol(after->waited - before->waited,
				slow_time(bytes), 2e-9);
}

static int run_daemon(const char *opts)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "%s %s /tmp/vgpufs-bus-never >/tmp/vgpufs-bus-err.txt 2>&1",
		 getenv("VGPUFSD"), opts);
	int status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(bad_specs_refused)
{
	static const char *const bad[] = {
	    "",
	    "pcie9x16",
	    "PCIE4X16",
	    "custom:",
	    "custom:bw=100M/s",
	    "custom:lat=1ms",
	    "custom:bw=0/s,lat=1ms",
	    "custom:bw=-5M/s,lat=1ms",
	    "custom:bw=100X/s,lat=1ms",
	    "custom:bw=100M/s,lat=5",
	    "custom:bw=100M/s,lat=1h",
	    "custom:bw=100M/s,lat=2m",
	    "custom:bw=100M/s,lat=1ms,",
	    "custom:bw=100M/s,bw=1G/s,lat=1ms",
	    "custom:bw=100M/s,lat=1ms,x=1",
	    "custom:bw=100M/s,lat=999999s",
	    "custom:bw=100M/s;lat=1ms",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char opts[256];
		snprintf(opts, sizeof(opts), "--bus '%s'", bad[i]);
		ck_assert_msg(run_daemon(opts) == 2, "--bus %s accepted",
			      bad[i]);
		const char *err = slurp("/tmp/vgpufs-bus-err.txt");
		ck_assert_msg(
		    strstr(err, "invalid value") && strstr(err, "for bus") &&
			strstr(err, "custom:bw=SIZE/s,lat=DURATION") &&
			strstr(err, "pcie4x16"),
		    "--bus %s: %s", bad[i], err);
	}
	/* the same check for the configuration file's key */
	FILE *f = fopen("/tmp/vgpufs-bus-conf.txt", "w");
	ck_assert_ptr_nonnull(f);
	fputs("bus = usb4\n", f);
	fclose(f);
	ck_assert_int_eq(run_daemon("--config /tmp/vgpufs-bus-conf.txt"), 2);
	ck_assert_ptr_nonnull(
	    strstr(slurp("/tmp/vgpufs-bus-err.txt"), "'usb4' for bus"));
	unlink("/tmp/vgpufs-bus-conf.txt");
	unlink("/tmp/vgpufs-bus-err.txt");
}
END_TEST

START_TEST(profiles_start)
{
	static const char *const good[] = {"pcie3x16", "pcie4x16", "pcie5x16",
					   "usb3",     "nvme",	   "none"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		start(good[i]);
		char want[64];
		snprintf(want, sizeof(want), "bus: %s\n", good[i]);
		const char *info = slurp(dpath(&d, "info"));
		ck_assert_msg(strstr(info, want), "%s", info);
		if (strcmp(good[i], "usb3") == 0) {
			ck_assert_double_eq(
			    stats_value(&d, "bus_bandwidth_bytes_per_second"),
			    400e6);
			ck_assert_double_eq_tol(
			    stats_value(&d, "bus_latency_seconds"), 50e-6,
			    1e-12);
		}
		teardown();
	}
	/* keys in either order, bandwidth without /s, latency 0 */
	start("custom:lat=0,bw=1G");
	ck_assert_double_eq(stats_value(&d, "bus_bandwidth_bytes_per_second"),
			    1 << 30);
	ck_assert_double_eq(stats_value(&d, "bus_latency_seconds"), 0);
	ck_assert_ptr_nonnull(
	    strstr(slurp(dpath(&d, "info")), "bus: custom\n"));
}
END_TEST

/* Sets the tier of mem/NAME; returns the seconds it took. */
static double move(const char *name, const char *tier)
{
	double t0 = now_seconds();
	ck_assert_msg(
	    setxattr(mem(name), "user.vgpu.tier", tier, strlen(tier), 0) == 0,
	    "move %s to %s: %s", name, tier, strerror(errno));
	return now_seconds() - t0;
}

START_TEST(tier_moves_paced)
{
	start(SLOW);
	const size_t size = 12 * MiB;
	make("a", (off_t)size);
	struct figures out0 = figures("tier_out"), in0 = figures("tier_in");
	double t = move("a", "disk");
	ck_assert_msg(t >= slow_time(size), "to disk in %.3f s", t);
	struct figures out1 = figures("tier_out");
	one_more(&out0, &out1, size);
	ck_assert(out1.real > out0.real); /* the copy itself was timed */
	/* and back */
	t = move("a", "ram");
	ck_assert_msg(t >= slow_time(size), "to RAM in %.3f s", t);
	struct figures in1 = figures("tier_in");
	one_more(&in0, &in1, size);
	ck_assert(in1.real > in0.real);
	/* nothing crossed between host and device */
	ck_assert_double_eq(bus_stat("h2d", "transfers"), 0);
	ck_assert_double_eq(bus_stat("d2h", "transfers"), 0);
	/* metrics has the same figures */
	char want[128];
	snprintf(want, sizeof(want),
		 "vgpu_bus_bytes_total{direction=\"tier_in\"} %zu\n", size);
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert_msg(strstr(m, want), "%s", m);
	ck_assert_ptr_nonnull(strstr(m, "vgpu_bus_info{profile=\"custom\"} 1"));
	promtool_check(m);
	ck_assert_ptr_nonnull(
	    strstr(m, "vgpu_bus_modelled_seconds_total{direction=\"tier_out\"} "
		      "0.121000000"));
}
END_TEST

START_TEST(open_and_close_paced)
{
	start(SLOW);
	const size_t size = 16 * MiB;
	make("b", (off_t)size);
	struct figures d2h0 = figures("d2h"), h2d0 = figures("h2d");
	/* open to read: the buffer comes to the host */
	double t0 = now_seconds();
	int fd = open(mem("b"), O_RDONLY);
	double t = now_seconds() - t0;
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(t >= slow_time(size), "open in %.3f s", t);
	close(fd); /* read only: nothing goes back */
	struct figures d2h1 = figures("d2h"), h2d1 = figures("h2d");
	one_more(&d2h0, &d2h1, size);
	ck_assert_double_eq(h2d1.transfers, h2d0.transfers);
	ck_assert_double_eq(d2h1.real, 0); /* passthrough: not seen */

	/* open to write: not paced, but its close is, and counted once */
	fd = open(mem("b"), O_WRONLY);
	ck_assert_int_ge(fd, 0);
	int fd2 = dup(fd);
	t0 = now_seconds();
	close(fd2); /* the first flush carries the buffer */
	t = now_seconds() - t0;
	ck_assert_msg(t >= slow_time(size), "close in %.3f s", t);
	close(fd);
	ck_assert(stats_wait(&d, "bus_h2d_transfers 1\n", true, 5));
	struct figures d2h2 = figures("d2h"), h2d2 = figures("h2d");
	one_more(&h2d1, &h2d2, size);
	ck_assert_double_eq(d2h2.transfers, d2h1.transfers);

	/* read and write: both ways */
	t0 = now_seconds();
	fd = open(mem("b"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	close(fd);
	t = now_seconds() - t0;
	ck_assert_msg(t >= 2 * slow_time(size), "open+close in %.3f s", t);
	ck_assert(stats_wait(&d, "bus_h2d_transfers 2\n", true, 5));
	ck_assert_double_eq(bus_stat("d2h", "transfers"), 2);
	ck_assert_double_eq(bus_stat("h2d", "bytes"), 2.0 * size);
	ck_assert_double_eq(bus_stat("d2h", "bytes"), 2.0 * size);

	/* an open that truncates brings nothing to the host (latency
	 * only); what was written goes to the device at close */
	make("c", 0);
	fd = open(mem("c"), O_RDWR | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "four", 4), 4);
	close(fd);
	ck_assert(stats_wait(&d, "bus_h2d_bytes 33554436\n", true, 5));
}
END_TEST

/* A request that the bus holds back, on a thread of its own. */
struct slow_call {
	const char *path;
	bool move; /* to the disk tier, else an open to read */
	volatile bool done;
	double seconds;
	int err;
};

static void *call_slowly(void *arg)
{
	struct slow_call *c = arg;
	double t0 = now_seconds();
	int fd = -1;
	if (c->move)
		c->err = setxattr(c->path, "user.vgpu.tier", "disk", 4, 0) < 0
			     ? errno
			     : 0;
	else if ((fd = open(c->path, O_RDONLY)) < 0)
		c->err = errno;
	c->seconds = now_seconds() - t0;
	if (fd >= 0)
		close(fd);
	c->done = true;
	return NULL;
}

START_TEST(others_not_stalled)
{
	/* 40 MiB at 10 MiB/s: an open and a move each held back for 4 s */
	start("custom:bw=10M/s,lat=1ms");
	make("big", 40 * MiB);
	make("big2", 40 * MiB);
	/*
	 * Over io_uring a request goes to the queue of the CPU it is made
	 * on, served by one thread: from one CPU, all of ours share it, and
	 * a held request that slept on that thread would stall the rest.
	 */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	struct slow_call c[2] = {{.path = mem("big")},
				 {.path = mem("big2"), .move = true}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, call_slowly, &c[i]), 0);
	ck_assert(stats_wait(&d, "bus_d2h_transfers 1\n", true, 5));
	ck_assert(stats_wait(&d, "bus_tier_out_transfers 1\n", true, 5));
	/* both are held: the rest of the device still answers */
	for (int i = 0; i < 3; i++) {
		double t0 = now_seconds();
		char line[256];
		run_line(&d, "nop", line, sizeof(line));
		ck_assert_msg(strstr(line, " ok nop"), "%s", line);
		slurp(dpath(&d, "stats"));
		struct stat st;
		ck_assert_int_eq(stat(mem("big"), &st), 0);
		ck_assert_int_eq(st.st_size, 40 * MiB);
		double t = now_seconds() - t0;
		ck_assert_msg(t < 1.0, "stalled for %.3f s", t);
	}
	ck_assert_msg(!c[0].done, "the open was not held back");
	ck_assert_msg(!c[1].done, "the move was not held back");
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(c[i].err, 0);
		ck_assert_msg(c[i].seconds >= 0.001 + 4.0, "%s in %.3f s",
			      c[i].move ? "move" : "open", c[i].seconds);
	}
}
END_TEST

/* A stop while an open is held answers it and ends cleanly. */
START_TEST(stop_while_held)
{
	start("custom:bw=10M/s,lat=1ms");
	make("big", 40 * MiB);
	struct slow_call c = {.path = mem("big")};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, call_slowly, &c), 0);
	ck_assert(stats_wait(&d, "bus_d2h_transfers 1\n", true, 5));
	running = false;
	ck_assert_int_eq(daemon_stop(&d), 0);
	pthread_join(th, NULL);
	ck_assert_msg(c.seconds < 4.0, "open held %.3f s past the stop",
		      c.seconds);
}
END_TEST

/*
 * A held open cannot be cut short: once the kernel has sent it, its
 * caller waits for the answer even through SIGKILL. Once answered, the
 * dead caller's file is released and the buffer is free again.
 */
START_TEST(killed_opener_leaves_no_open)
{
	start("custom:bw=10M/s,lat=1ms");
	make("big", 10 * MiB); /* held back 1 s */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		open(mem("big"), O_RDONLY);
		_exit(0);
	}
	ck_assert(stats_wait(&d, "bus_d2h_transfers 1\n", true, 5));
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFSIGNALED(status));
	double until = now_seconds() + 10;
	int rc;
	while ((rc = setxattr(mem("big"), "user.vgpu.tier", "disk", 4, 0)) <
		   0 &&
	       errno == EBUSY && now_seconds() < until)
		usleep(50000);
	ck_assert_msg(rc == 0, "move after a killed open: %s", strerror(errno));
}
END_TEST

START_TEST(no_bus_nothing_counted)
{
	start(NULL);
	make("a", 4 * MiB);
	move("a", "disk");
	int fd = open(mem("a"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	close(fd);
	move("a", "ram");
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert_ptr_nonnull(strstr(st, "bus_profile none\n"));
	ck_assert_ptr_null(strstr(st, "bus_d2h"));
	ck_assert_ptr_null(strstr(st, "bus_tier_in"));
	ck_assert_ptr_null(strstr(slurp(dpath(&d, "metrics")), "vgpu_bus_"));
	ck_assert_ptr_nonnull(strstr(slurp(dpath(&d, "info")), "bus: none\n"));
}
END_TEST

/* docs/examples/bus.sh runs, and each timed step takes the model's time. */
START_TEST(docs_example)
{
	start(SLOW);
	const char *docs = getenv("VGPUFS_DOCS");
	ck_assert_msg(docs, "VGPUFS_DOCS is not set");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "sh %s/examples/bus.sh %s", docs, d.mnt);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[256], step[32];
	int timed = 0;
	bool h2d = false;
	while (fgets(line, sizeof(line), p)) {
		double s;
		if (sscanf(line, "%31[a-z-]: %lf s", step, &s) == 2) {
			ck_assert_msg(s >= slow_time(32.0 * MiB), "%s", line);
			timed++;
		}
		h2d |= strcmp(line, "bus_h2d_bytes 33554432\n") == 0;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(timed, 3);
	ck_assert(h2d);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    bad_specs_refused,	    profiles_start,
	    tier_moves_paced,	    open_and_close_paced,
	    others_not_stalled,	    killed_opener_leaves_no_open,
	    no_bus_nothing_counted, docs_example,
	    stop_while_held};
	return run_suite(suite_with_daemon("bus", NULL, teardown, 120, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
