/*
 * vgpufs transport benchmark. Mounts its own device and prints, in one
 * run, each figure next to a baseline measured in the same run:
 *   - the write()+read() round trip of a nop vs a bare FUSE write+read on a
 *     minimal file system with the same libfuse and transport
 *   - write() bandwidth of 256 MiB into a buffer vs into a tmpfs file
 * usage: bench_device [--quick] [-- DAEMON_OPTIONS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bare_fuse.h"
#include "bench_harness.h"

/* N write+read round trips on FD of MSG; latencies in microseconds. */
static void round_trips(int fd, const char *msg, double *lat, int n)
{
	char buf[256];
	size_t len = strlen(msg);
	for (int i = 0; i < n; i++) {
		double t0 = now();
		if (write(fd, msg, len) != (ssize_t)len ||
		    read(fd, buf, sizeof(buf)) <= 0)
			die("round trip");
		lat[i] = (now() - t0) * 1e6;
	}
}

/*
 * Device and bare round trips alternate in blocks, so that drift in the
 * machine (this is often a VM) hits both sides alike.
 */
static void bench_latency(const struct device *d, int n, bool pinned)
{
	enum { BLOCKS = 20 };
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
	round_trips(q, "nop\n", dev, n / 10); /* warm-up */
	round_trips(fd, "nop\n", bare, n / 10);
	int per = n / BLOCKS;
	for (int b = 0; b < BLOCKS; b++) {
		round_trips(q, "nop\n", dev + b * per, per);
		round_trips(fd, "nop\n", bare + b * per, per);
	}
	n = per * BLOCKS;
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
	snprintf(mname, sizeof(mname), "nop round trip, median, %s", how);
	snprintf(pname, sizeof(pname), "nop round trip, p99, %s", how);
	struct result med = {mname, "us", dmed, bmed, 1.25, false};
	struct result p99 = {pname, "us", dp99, bp99, 1.25, false};
	report(&med);
	report(&p99);
	free(dev);
	free(bare);
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

int main(int argc, char **argv)
{
	struct device d;
	bool quick = bench_start(argc, argv, VGPUFSD_PATH, "transport", &d);
	int q = open(path(&d, "queue"), O_RDWR);
	submit(q, "nop\n"); /* the transport is known once requests went */
	close(q);
	d.uring = transport_is_uring(&d);
	bench_latency(&d, quick ? 2000 : 20000, false);
	bench_latency(&d, quick ? 2000 : 20000, true);
	bench_write_bw(&d, quick ? 1 : 5);
	device_stop(&d);
	return 0;
}
