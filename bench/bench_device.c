/*
 * vgpufs transport benchmark. Mounts its own device and prints, in one
 * run, each figure next to a baseline measured in the same run:
 *   - the write()+read() round trip of a nop vs a bare FUSE write+read on a
 *     minimal file system with the same libfuse and transport
 *   - write() bandwidth of 256 MiB into a buffer vs into a tmpfs file
 *   - a text fill (n=16) round trip against the text nop's, same context
 *   - through libvgpu's submission ring: nop and fill (n=16) round trips
 *     and batched nops, against the targets; a gemm (1024) and an
 *     axpy (64Mi f32) through a ring and beside an idle ring, vs queue;
 *     beside another thread launching nops at a fixed rate (--busy-rate,
 *     2000 a second) through a ring, vs the same beside that thread
 *     launching them through queue
 *   - the daemon's CPU with idle rings open, over --idle SECONDS (10; 3
 *     with --quick)
 * The daemon and the bare file system run in sessions of their own
 * (setsid), as users start them; VGPUFS_BENCH_SAME_SESSION=1 keeps them in
 * this one (the figures then differ: see docs/benchmarks.md).
 * usage: bench_device [--quick] [--only ROWS] [--idle SECONDS]
 *                     [--busy-rate NOPS_A_SECOND] [-- DAEMON_OPTIONS...]
 * ROWS is a comma-separated list of text, binary, batch, fill, ring, gemm,
 * axpy, idle, bw (default: all); ring-batch is the last row of ring alone (to
 * profile it).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <vgpu/vgpu.h>
#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>

#include "bare_fuse.h"
#include "bench_harness.h"
#include "bench_round_trip.h"

/*
 * Device and bare round trips (alternate(), the same blocks for both).
 */
static void bench_latency(const struct device *d, int n, bool pinned,
			  bool binary)
{
	double *dev = calloc((size_t)n, sizeof(double));
	double *bare = calloc((size_t)n, sizeof(double));
	char mnt[] = "/tmp/vgpufs-bare-XXXXXX";
	if (!mkdtemp(mnt))
		die("mkdtemp");
	pid_t bare_pid = bare_fuse_start(mnt, d->uring);
	if (bare_pid < 0)
		die("bare fuse");
	char file[64];
	snprintf(file, sizeof(file), "%s/echo", mnt);
	int fd = open(file, O_RDWR), q = open(path(d, "queue"), O_RDWR);
	if (fd < 0 || q < 0)
		die("open");
	char pkt[sizeof(struct vgpu_bin_header)];
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_NOP, 1);
	struct message m = {"nop\n", 4, 256};
	if (binary) {
		m = (struct message){pkt, sizeof(pkt), 256};
		if (write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) !=
		    VGPU_BIN_MAGIC_LEN)
			die("magic");
	}
	/*
	 * Pinned, the client cannot be moved between CPUs on wakeups, which
	 * isolates the file systems' own cost from the scheduler's placement.
	 */
	cpu_set_t all, one;
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (pinned)
		sched_setaffinity(0, sizeof(one), &one);
	n = alternate(q, &m, dev, fd, &m, bare, n);
	close(fd);
	close(q);
	sched_setaffinity(0, sizeof(all), &all);
	bool bare_uring = bare_fuse_stop(bare_pid);
	rmdir(mnt);
	printf("# transports: device %s, bare %s\n",
	       d->uring ? "io_uring" : "/dev/fuse",
	       bare_uring ? "io_uring" : "/dev/fuse");
	double dmed = percentile(dev, (size_t)n, 0.5),
	       dp99 = percentile(dev, (size_t)n, 0.99);
	double bmed = percentile(bare, (size_t)n, 0.5),
	       bp99 = percentile(bare, (size_t)n, 0.99);
	char mname[64], pname[64];
	const char *how = pinned ? "client pinned" : "client free";
	const char *form = binary ? "binary" : "text";
	snprintf(mname, sizeof(mname), "%s nop round trip, median, %s", form,
		 how);
	snprintf(pname, sizeof(pname), "%s nop round trip, p99, %s", form, how);
	/* the binary form's target is the issue's: within 10% */
	double target = binary ? 1.10 : 1.25;
	struct result med = {mname, "us", dmed, bmed, target, false};
	struct result p99 = {pname, "us", dp99, bp99, 1.25, false};
	report(&med);
	report(&p99);
	free(dev);
	free(bare);
}

/*
 * A text `fill n=16` round trip against the text `nop` round trip on the
 * same context, in alternating blocks (the target: within 1.5x).
 */
static void bench_text_fill(const struct device *d, int n)
{
	double *nop = calloc((size_t)n, sizeof(double));
	double *fill = calloc((size_t)n, sizeof(double));
	void *buf = map_buffer(d, "fill16", 64);
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0)
		die("open queue");
	static const char fill_line[] = "fill buf=fill16 value=1 n=16\n";
	struct message mn = {"nop\n", 4, 256};
	struct message mf = {fill_line, sizeof(fill_line) - 1, 256};
	n = alternate(q, &mn, nop, q, &mf, fill, n);
	close(q);
	unmap_buffer(d, "fill16", buf, 64);
	struct result med = {"text fill n=16 vs text nop round trip, median",
			     "us",
			     percentile(fill, (size_t)n, 0.5),
			     percentile(nop, (size_t)n, 0.5),
			     1.5,
			     false};
	report(&med);
	free(nop);
	free(fill);
}

/* Seconds to write TOTAL bytes in 1 MiB writes to a new file at P. */
static double write_file(const char *p, size_t total)
{
	static char *chunk;
	const size_t csz = 1 << 20;
	if (!chunk) {
		chunk = malloc(csz);
		memset(chunk, 0x3c, csz);
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(p);
	double t0 = now();
	for (size_t done = 0; done < total; done += csz)
		if (write(fd, chunk, csz) != (ssize_t)csz)
			die("write");
	double t = now() - t0;
	close(fd);
	unlink(p);
	return t;
}

static void bench_write_bw(const struct device *d, int reps)
{
	const size_t total = 256u << 20;
	char shm[] = "/dev/shm/vgpufs-bench-XXXXXX";
	int fd = mkstemp(shm);
	if (fd < 0)
		die("mkstemp /dev/shm");
	close(fd);
	double bdev = 1e9, bshm = 1e9;
	/* Untimed first pass: the first touch of fresh memory costs the same
	 * on both sides and is not what this measures. */
	write_file(path(d, "mem/bw"), total);
	write_file(shm, total);
	for (int r = 0; r < reps; r++) {
		double t = write_file(path(d, "mem/bw"), total);
		bdev = t < bdev ? t : bdev;
		t = write_file(shm, total);
		bshm = t < bshm ? t : bshm;
	}
	struct result res = {"write() 256 MiB into a buffer",
			     "GB/s",
			     total / bdev / 1e9,
			     total / bshm / 1e9,
			     0.9,
			     true};
	report(&res);
}

/*
 * nops in batches of BATCH packets a write, completions read after each
 * batch: commands per second through one context (no baseline in this run:
 * the figure is compared with the target, 500,000/s).
 */
static void bench_batch_rate(const struct device *d, int total)
{
	enum { BATCH = 1024 };
	const size_t hs = sizeof(struct vgpu_bin_header);
	static char batch[BATCH * sizeof(struct vgpu_bin_header)];
	static struct vgpu_bin_completion recs[BATCH];
	for (int i = 0; i < BATCH; i++)
		vgpu_bin_begin(batch + i * hs, hs, VGPU_K_NOP, (uint64_t)i);
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0 ||
	    write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) != VGPU_BIN_MAGIC_LEN)
		die("binary context");
	double t0 = 0;
	for (int done = -BATCH * 16; done < total; done += BATCH) {
		if (done == 0)
			t0 = now(); /* after a warm-up of 16 batches */
		if (write(q, batch, sizeof(batch)) != (ssize_t)sizeof(batch))
			die("batch write");
		for (size_t got = 0; got < sizeof(recs);) {
			ssize_t r =
			    read(q, (char *)recs + got, sizeof(recs) - got);
			if (r <= 0)
				die("batch read");
			got += (size_t)r;
		}
	}
	double rate = total / (now() - t0);
	close(q);
	struct result res = {"binary nops in batches of 1024, commands/s",
			     "k/s",
			     rate / 1e3,
			     500.0,
			     1.0,
			     true};
	printf("# (the baseline column is the target rate, 500k/s)\n");
	report(&res);
}

/* The daemon's CPU time so far (user + system), in seconds, from /proc. */
static double daemon_cpu(const struct device *d)
{
	char p[64], buf[2048];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)d->pid);
	FILE *f = fopen(p, "r");
	if (!f)
		die("daemon stat");
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	unsigned long long ut = 0, st = 0;
	const char *c = strrchr(buf, ')');
	if (!c || sscanf(c + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			 "%llu",
			 &ut, &st) != 2)
		die("daemon stat");
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The daemon's threads by what they do. */
enum { POLLERS, WORKERS, REST, THREAD_KINDS };

/*
 * The CPU time so far, seconds, of the daemon's ring pollers (threads
 * named vgpu-ring), workers (vgpu-w*) and the rest (FUSE's threads, the
 * reply, timer and other threads), from each thread's schedstat
 * (nanoseconds, not ticks), in one walk of its threads.
 */
static void daemon_threads_cpu(const struct device *d, double cpu[THREAD_KINDS])
{
	char p[96], buf[64];
	snprintf(p, sizeof(p), "/proc/%d/task", (int)d->pid);
	DIR *dir = opendir(p);
	if (!dir)
		die("daemon tasks");
	unsigned long long ns[THREAD_KINDS] = {0}, run;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%.16s/comm", (int)d->pid,
			 e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue; /* the thread is gone */
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		int kind = strncmp(buf, "vgpu-ring", 9) == 0 ? POLLERS
			   : strncmp(buf, "vgpu-w", 6) == 0  ? WORKERS
							     : REST;
		snprintf(p, sizeof(p), "/proc/%d/task/%.16s/schedstat",
			 (int)d->pid, e->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			ns[kind] += run;
		fclose(f);
	}
	closedir(dir);
	for (int i = 0; i < THREAD_KINDS; i++)
		cpu[i] = (double)ns[i] * 1e-9;
}

/* The daemon's CPU use over SECONDS with four rings open and idle. */
static void bench_idle(const struct device *d, vgpu_device *dev, int seconds)
{
	vgpu_stream *s[4];
	for (int i = 0; i < 4; i++) {
		if (vgpu_stream_create(dev, &s[i]) < 0 ||
		    vgpu_launchl(s[i], "nop", VGPU_END) < 1 ||
		    vgpu_wait_all(s[i]) != 0)
			die("idle rings");
	}
	usleep(100 * 1000);
	double c0 = daemon_cpu(d), t0 = now();
	sleep((unsigned)seconds);
	double cpu = (daemon_cpu(d) - c0) / (now() - t0) * 100;
	char name[64];
	snprintf(name, sizeof(name), "idle daemon CPU, 4 rings open, %d s",
		 seconds);
	struct result res = {name, "%", cpu, 1.0, 1.0, false};
	report(&res);
	for (int i = 0; i < 4; i++)
		vgpu_stream_destroy(s[i]);
}

/* This thread's CPU time, seconds. */
static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A big command on the buffers M: launches it on S, returns its id. */
struct big_kernel {
	const char *name; /* the row's */
	int64_t (*launch)(vgpu_stream *s, vgpu_buffer *const m[3]);
	uint64_t bytes; /* of each buffer */
};

#define GEMM_N 1024
static int64_t launch_gemm(vgpu_stream *s, vgpu_buffer *const m[3])
{
	return VGPU_LAUNCH(s, "gemm", VGPU_BUF("a", m[0], 0),
			   VGPU_BUF("b", m[1], 0), VGPU_BUF("c", m[2], 0),
			   VGPU_I64("m", GEMM_N), VGPU_I64("n", GEMM_N),
			   VGPU_I64("k", GEMM_N));
}

#define AXPY_N (64 << 20)
static int64_t launch_axpy(vgpu_stream *s, vgpu_buffer *const m[3])
{
	return VGPU_LAUNCH(s, "axpy", VGPU_BUF("x", m[0], 0),
			   VGPU_BUF("y", m[1], 0), VGPU_F64("alpha", 0.5),
			   VGPU_I64("n", AXPY_N));
}

/* Seconds of the best of REPS runs of K on M, each on a new stream. */
static double big_time(vgpu_device *dev, const struct big_kernel *k,
		       vgpu_buffer *const m[3], int reps)
{
	vgpu_stream *s;
	if (vgpu_stream_create(dev, &s) < 0)
		die("big kernel stream");
	double best = 1e9;
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		int64_t id = k->launch(s, m);
		if (id < 1 || vgpu_wait(s, id) != 0)
			die(vgpu_stream_last_message(s));
		double t = now() - t0;
		best = t < best ? t : best;
	}
	vgpu_stream_destroy(s);
	return best;
}

/*
 * Another client kept busy at a fixed rate: an open loop that launches a
 * nop and waits for it at every tick of RATE a second (absolute deadlines,
 * so a slow round trip does not slow the rate). A client held up (its CPU
 * taken by the workers) makes up the ticks it missed, up to BUSY_DEBT of
 * them, so that through either transport it does the same work: the same
 * client through a ring or through queue (the file queue, what a user had
 * before rings), so that the kernel's time beside one against the other
 * is the ring's own cost, the client's CPU on both sides.
 */
enum { BUSY_DEBT = 64 };

struct busy_client {
	vgpu_stream *s;
	pthread_t thread;
	atomic_bool stop;
	long period_ns;
	atomic_long nops;
};

static void *busy_client_main(void *arg)
{
	struct busy_client *b = arg;
	/* the default 50 us of slack would blur the ticks */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	int64_t tick = now_ns();
	while (!atomic_load(&b->stop)) {
		int64_t id = vgpu_launchl(b->s, "nop", VGPU_END);
		if (id < 1 || vgpu_wait(b->s, id) != 0)
			die(vgpu_stream_last_message(b->s));
		atomic_fetch_add(&b->nops, 1);
		tick += b->period_ns;
		/* further behind than the debt: that much is forgotten */
		int64_t floor = now_ns() - BUSY_DEBT * b->period_ns;
		tick = tick < floor ? floor : tick;
		struct timespec at = {.tv_sec = tick / 1000000000,
				      .tv_nsec = tick % 1000000000};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
				       NULL) == EINTR)
			;
	}
	return NULL;
}

/* Starts B on a new stream, through a ring or through queue (RING). */
static void busy_client_start(vgpu_device *dev, struct busy_client *b,
			      bool ring, long rate)
{
	*b = (struct busy_client){.period_ns = 1000000000L / rate};
	if (!ring)
		setenv("VGPU_RING", "0", 1);
	int rc = vgpu_stream_create(dev, &b->s);
	unsetenv("VGPU_RING");
	if (rc < 0 || vgpu_stream_uses_ring(b->s) != ring)
		die("busy client's stream");
	if (pthread_create(&b->thread, NULL, busy_client_main, b) != 0)
		die("busy client thread");
}

/* Stops B. */
static void busy_client_stop(struct busy_client *b)
{
	atomic_store(&b->stop, true);
	pthread_join(b->thread, NULL);
	vgpu_stream_destroy(b->s);
}

/* CPU time of the daemon's threads by kind (daemon_threads_cpu), a
 * client's thread, and the wall time, over a row. */
struct row_cpu {
	double wall, cpu[THREAD_KINDS], client;
};

/* Now's, CLIENT's thread's CPU with it (if any). */
static struct row_cpu row_cpu_now(const struct device *d, pthread_t *client)
{
	struct row_cpu c = {.wall = now()};
	daemon_threads_cpu(d, c.cpu);
	clockid_t id;
	struct timespec ts;
	if (client && pthread_getcpuclockid(*client, &id) == 0 &&
	    clock_gettime(id, &ts) == 0)
		c.client = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	return c;
}

/* SUM plus what went on between T0 and T. */
static void row_cpu_add(struct row_cpu *sum, struct row_cpu t0,
			struct row_cpu t)
{
	sum->wall += t.wall - t0.wall;
	for (int i = 0; i < THREAD_KINDS; i++)
		sum->cpu[i] += t.cpu[i] - t0.cpu[i];
	sum->client += t.client - t0.client;
}

/* What went on over a row (row_cpu_add's), in CPUs. */
static void row_cpu_print(const char *row, const struct row_cpu *c)
{
	printf("# %s: CPUs used over %.2f s: daemon's workers %.2f, "
	       "pollers %.2f, FUSE and the rest %.2f; busy client %.2f\n",
	       row, c->wall, c->cpu[WORKERS] / c->wall,
	       c->cpu[POLLERS] / c->wall, c->cpu[REST] / c->wall,
	       c->client / c->wall);
}

/* The big kernel beside a busy client through one transport. */
struct busy_side {
	struct row_cpu cpu;
	long nops; /* the client's, over the rows */
};

/* REPS runs of K beside a busy client at RATE through a ring or queue
 * (RING), added to SIDE; the best run's seconds. */
static double beside_busy(const struct device *d, vgpu_device *dev,
			  const struct big_kernel *k, vgpu_buffer *const m[3],
			  int reps, bool ring, long rate,
			  struct busy_side *side)
{
	struct busy_client b;
	busy_client_start(dev, &b, ring, rate);
	usleep(50 * 1000); /* its stream and the daemon's side settled */
	long n0 = atomic_load(&b.nops);
	struct row_cpu c0 = row_cpu_now(d, &b.thread);
	double t = big_time(dev, k, m, reps);
	/* before its poller is gone */
	struct row_cpu c1 = row_cpu_now(d, &b.thread);
	side->nops += atomic_load(&b.nops) - n0;
	busy_client_stop(&b);
	row_cpu_add(&side->cpu, c0, c1);
	return t;
}

/* Passes over a big kernel's rows: a VM's memory bandwidth drifts by a
 * quarter for a second at a time. Each row is compared with its baseline
 * pass by pass (report_paired): a pass holds both sides, side by side in
 * time, and the median of the passes' ratios leaves out the passes that
 * drift split. */
enum { BIG_PASSES = 8 };

/*
 * Big kernels with a ring: K launched through a ring (its poller spinning
 * then asleep) against the same through queue, through a ring while
 * another ring is open and idle (its poller asleep), and beside another
 * client launching nops at a fixed RATE through a ring against the same
 * client through queue (the rows alternate, BIG_PASSES times). The CPU each
 * side used in the rows is printed, and the busy client's achieved rate.
 */
static void bench_big_kernel(const struct device *d, vgpu_device *dev,
			     const struct big_kernel *k, int reps, long rate)
{
	vgpu_buffer *m[3];
	for (int i = 0; i < 3; i++)
		if (vgpu_buffer_create(dev, NULL, k->bytes, 0600, &m[i]) < 0)
			die(vgpu_device_last_message(dev));
	big_time(dev, k, m, 1);		    /* warm-up: pages, threads */
	int half = reps > 3 ? reps / 2 : 2; /* runs a row a pass */
	/* a pass: queue, a ring, beside an idle ring; each the best of
	 * HALF runs, ms */
	double queue[BIG_PASSES], ring[BIG_PASSES], beside[BIG_PASSES];
	struct row_cpu via_ring = {0};
	for (int pass = 0; pass < BIG_PASSES; pass++) {
		setenv("VGPU_RING", "0", 1);
		queue[pass] = big_time(dev, k, m, half) * 1e3;
		unsetenv("VGPU_RING");
		struct row_cpu c0 = row_cpu_now(d, NULL);
		ring[pass] = big_time(dev, k, m, half) * 1e3;
		row_cpu_add(&via_ring, c0, row_cpu_now(d, NULL));
		vgpu_stream *idle;
		if (vgpu_stream_create(dev, &idle) < 0 ||
		    !vgpu_stream_uses_ring(idle))
			die("idle ring");
		usleep(100 * 1000); /* its poller is asleep by now */
		beside[pass] = big_time(dev, k, m, half) * 1e3;
		vgpu_stream_destroy(idle);
	}
	row_cpu_print("via a ring", &via_ring);
	/* a pass: the client through queue [0], then through a ring [1] */
	struct busy_side busy[2];
	memset(busy, 0, sizeof(busy));
	double busy_ms[2][BIG_PASSES];
	for (int pass = 0; pass < BIG_PASSES; pass++)
		for (int via = 0; via < 2; via++)
			busy_ms[via][pass] =
			    beside_busy(d, dev, k, m, half, via, rate,
					&busy[via]) *
			    1e3;
	for (int via = 0; via < 2; via++) {
		char row[96];
		snprintf(row, sizeof(row),
			 "beside a busy client via %s (%.0f nops/s, asked "
			 "%ld)",
			 via ? "a ring" : "queue",
			 (double)busy[via].nops / busy[via].cpu.wall, rate);
		row_cpu_print(row, &busy[via].cpu);
	}
	char name[4][64];
	snprintf(name[0], sizeof(name[0]), "%s via a ring vs via queue",
		 k->name);
	snprintf(name[1], sizeof(name[1]), "%s, another ring idle, vs queue",
		 k->name);
	snprintf(name[2], sizeof(name[2]), "%s, busy ring, vs queue alone",
		 k->name);
	snprintf(name[3], sizeof(name[3]), "%s, busy ring vs busy queue",
		 k->name);
	printf("#   (each ratio: the median of %d passes' ratios)\n",
	       BIG_PASSES);
	report_paired(name[0], "ms", ring, queue, BIG_PASSES, 1.05, false);
	report_paired(name[1], "ms", beside, queue, BIG_PASSES, 1.05, false);
	/* For information: the client's own CPU is on top, which no
	 * transport gives back, and its passes came later than queue's. */
	double best_queue = queue[0],
	       best_busy[2] = {busy_ms[0][0], busy_ms[1][0]};
	for (int pass = 1; pass < BIG_PASSES; pass++) {
		best_queue = fmin(best_queue, queue[pass]);
		for (int via = 0; via < 2; via++)
			best_busy[via] =
			    fmin(best_busy[via], busy_ms[via][pass]);
	}
	printf("# %s beside the busy client via queue vs no client: %.3f\n",
	       k->name, best_busy[0] / best_queue);
	struct result alone = {name[2],	   "ms", best_busy[1],
			       best_queue, 0,	 false};
	report(&alone);
	report_paired(name[3], "ms", busy_ms[1], busy_ms[0], BIG_PASSES, 1.05,
		      false);
	for (int i = 0; i < 3; i++)
		vgpu_buffer_close(m[i]);
}

/* N launch+wait round trips of one command on stream S, in us. */
static void ring_trips(vgpu_stream *s, const char *kernel, vgpu_buffer *b,
		       double *lat, int n)
{
	for (int i = 0; i < n; i++) {
		double t0 = now();
		int64_t id = b ? vgpu_launchl(s, kernel, VGPU_BUF("buf", b, 0),
					      VGPU_F64("value", 1.0),
					      VGPU_I64("n", 16), VGPU_END)
			       : vgpu_launchl(s, kernel, VGPU_END);
		if (id < 1 || vgpu_wait(s, id) != 0)
			die(vgpu_stream_last_message(s));
		lat[i] = (now() - t0) * 1e6;
	}
}

/* Median and p99 of N round trips of KERNEL, against the targets. */
static void ring_latency(vgpu_stream *s, const char *kernel, vgpu_buffer *b,
			 int n, double med_target, double p99_target)
{
	double *lat = calloc((size_t)n, sizeof(double));
	ring_trips(s, kernel, b, lat, n / 10); /* warm-up */
	ring_trips(s, kernel, b, lat, n);
	char mname[64], pname[64];
	snprintf(mname, sizeof(mname), "ring %s round trip, median", kernel);
	snprintf(pname, sizeof(pname), "ring %s round trip, p99", kernel);
	struct result med = {mname,	 "us", percentile(lat, (size_t)n, 0.5),
			     med_target, 1.0,  false};
	struct result p99 = {pname,	 "us", percentile(lat, (size_t)n, 0.99),
			     p99_target, 1.0,  false};
	report(&med);
	if (p99_target > 0)
		report(&p99);
	free(lat);
}

/*
 * Nops launched in batches of 1024 on S, TOTAL of them: commands/s, and
 * the CPU time each side spent a command (spinning included), which a
 * busy machine changes less than the rate.
 */
static void ring_batch_rate(const struct device *d, vgpu_stream *s, int total)
{
	vgpu_stream_set_batch(s, 1024);
	double t0 = 0, c0 = 0, dc0 = 0;
	for (int done = -1024 * 16; done < total; done += 1024) {
		if (done == 0) { /* after a warm-up of 16 batches */
			t0 = now();
			c0 = thread_cpu();
			dc0 = daemon_cpu(d);
		}
		for (int i = 0; i < 1024; i++)
			if (vgpu_launchl(s, "nop", VGPU_END) < 1)
				die(vgpu_stream_last_message(s));
		if (vgpu_wait_all(s) != 0)
			die(vgpu_stream_last_message(s));
	}
	double rate = total / (now() - t0);
	printf("# ring batches: CPU a command, client %.0f ns, daemon %.0f "
	       "ns\n",
	       (thread_cpu() - c0) / total * 1e9,
	       (daemon_cpu(d) - dc0) / total * 1e9);
	struct result res = {"ring nops in batches of 1024, commands/s",
			     "M/s",
			     rate / 1e6,
			     20.0,
			     1.0,
			     true};
	report(&res);
}

/*
 * libvgpu streams on the device's submission ring: round trips of a nop
 * and a small fill, and nops launched in batches of 1024 (the baseline
 * column holds the targets); the rows in ONLY.
 */
static void bench_ring(const struct device *d, const char *only, int n,
		       int total, bool quick, int idle_s, long busy_rate)
{
	vgpu_device *dev;
	vgpu_stream *s;
	vgpu_buffer *b;
	if (vgpu_open(d->mnt, &dev) < 0 || vgpu_stream_create(dev, &s) < 0 ||
	    vgpu_buffer_create(dev, NULL, 64, 0600, &b) < 0)
		die(vgpu_device_last_message(dev));
	if (bench_wanted(only, "ring")) {
		printf("# (ring: the baseline column is the issue's "
		       "target)\n");
		ring_latency(s, "nop", NULL, n, 5.0, 20.0);
		ring_latency(s, "fill", b, n, 8.0, 0);
	}
	if (bench_wanted(only, "ring") || bench_wanted(only, "ring-batch"))
		ring_batch_rate(d, s, total);
	vgpu_buffer_close(b);
	vgpu_stream_destroy(s);
	static const struct big_kernel gemm = {"gemm 1024 f32", launch_gemm,
					       (uint64_t)GEMM_N * GEMM_N * 4};
	static const struct big_kernel axpy = {"axpy 64Mi f32", launch_axpy,
					       (uint64_t)AXPY_N * 4};
	if (bench_wanted(only, "gemm"))
		bench_big_kernel(d, dev, &gemm, quick ? 3 : 10, busy_rate);
	if (bench_wanted(only, "axpy"))
		bench_big_kernel(d, dev, &axpy, quick ? 3 : 10, busy_rate);
	if (bench_wanted(only, "idle"))
		bench_idle(d, dev, idle_s);
	vgpu_close(dev);
}

int main(int argc, char **argv)
{
	struct device d;
	const char *only = bench_only(argc, argv);
	const char *idle = bench_option(argc, argv, "--idle");
	if (idle && atoi(idle) < 1)
		die("--idle takes seconds, at least 1");
	const char *rate = bench_option(argc, argv, "--busy-rate");
	long busy_rate = rate ? atol(rate) : 2000;
	if (busy_rate < 1 || busy_rate > 1000000)
		die("--busy-rate takes nops a second, 1 to 1000000");
	bool quick = bench_start(argc, argv, VGPUFSD_PATH, "transport", &d);
	int idle_s = idle ? atoi(idle) : quick ? 3 : 10;
	int q = open(path(&d, "queue"), O_RDWR);
	submit(q, "nop\n"); /* the transport is known once requests went */
	close(q);
	d.uring = transport_is_uring(&d);
	int n = quick ? 2000 : 20000;
	for (int binary = 0; binary < 2; binary++)
		if (bench_wanted(only, binary ? "binary" : "text"))
			for (int pinned = 0; pinned < 2; pinned++)
				bench_latency(&d, n, pinned, binary);
	if (bench_wanted(only, "fill"))
		bench_text_fill(&d, n);
	if (bench_wanted(only, "batch"))
		bench_batch_rate(&d, quick ? 200000 : 2000000);
	bench_ring(&d, only, n, quick ? 2000000 : 20000000, quick, idle_s,
		   busy_rate);
	if (bench_wanted(only, "bw"))
		bench_write_bw(&d, quick ? 1 : 5);
	device_stop(&d);
	return 0;
}
