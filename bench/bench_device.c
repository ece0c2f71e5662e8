/*
 * vgpufs foundation benchmark. Mounts its own device and prints, in one
 * run, each figure next to a baseline measured in the same run:
 *   - f32 gemm 1024 and 2048 through the device vs OpenBLAS in-process
 *     (the pthread variant, with as many threads as the device has workers)
 *   - the write()+read() round trip of a nop vs a bare FUSE write+read on a
 *     minimal file system with the same libfuse and transport
 *   - write() bandwidth of 256 MiB into a buffer vs into a tmpfs file
 * usage: bench_device [--quick] [-- DAEMON_OPTIONS...]
 */
#include <cblas.h>
#include <dlfcn.h>
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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static void die(const char *what)
{
	fprintf(stderr, "bench_device: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct device {
	pid_t pid;
	char mnt[64];
	unsigned workers;
	bool uring;
};

static char *path(const struct device *d, const char *rel)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ % 4];
	snprintf(p, 256, "%s/%s", d->mnt, rel);
	return p;
}

static void device_start(struct device *d, const char *bin, char **extra)
{
	snprintf(d->mnt, sizeof(d->mnt), "/tmp/vgpufs-bench-XXXXXX");
	if (!mkdtemp(d->mnt))
		die("mkdtemp");
	d->pid = fork();
	if (d->pid == 0) {
		const char *argv[64] = {"vgpufsd",     "--foreground",
					"--log-level", "warning",
					"--vram",      "2G"};
		int argc = 6;
		for (int i = 0; extra && extra[i] && argc < 62; i++)
			argv[argc++] = extra[i];
		argv[argc++] = d->mnt;
		argv[argc] = NULL;
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000 && access(path(d, "info"), R_OK) != 0; i++)
		usleep(10000);
	FILE *f = fopen(path(d, "info"), "r");
	if (!f)
		die("device did not come up");
	char line[256];
	while (fgets(line, sizeof(line), f))
		sscanf(line, "workers: %u", &d->workers);
	fclose(f);
}

static void device_stop(struct device *d)
{
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	umount2(d->mnt, MNT_DETACH); /* only if it died badly */
	rmdir(d->mnt);
}

static float *map_buffer(const struct device *d, const char *name, size_t bytes)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(path(d, rel), O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
		die("buffer");
	float *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	return p;
}

/* One command on context FD, waiting for its completion. */
static void submit(int fd, const char *line)
{
	char buf[256];
	size_t len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len)
		die("write queue");
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		die("read queue");
	buf[n] = '\0';
	if (!strstr(buf, " ok ")) {
		fprintf(stderr, "bench_device: %s -> %s", line, buf);
		exit(1);
	}
}

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *,
			 int, const float *, int, float, float *, int);

struct result {
	const char *name, *unit;
	double value, baseline, target;
	bool higher_better; /* which side of the target ratio is good */
};

static void report(const struct result *r)
{
	double ratio = r->value / r->baseline;
	bool met = r->higher_better ? ratio >= r->target : ratio <= r->target;
	printf("%-44s %10.2f %-6s baseline %10.2f  ratio %5.3f  target %s%.2f  "
	       "%s\n",
	       r->name, r->value, r->unit, r->baseline, ratio,
	       r->higher_better ? ">=" : "<=", r->target,
	       met ? "met" : "MISSED");
}

static void bench_gemm(const struct device *d, int n, int reps)
{
	size_t bytes = (size_t)n * n * 4;
	float *a = map_buffer(d, "A", bytes), *b = map_buffer(d, "B", bytes);
	float *c = map_buffer(d, "C", bytes);
	for (size_t i = 0; i < (size_t)n * n; i++) {
		a[i] = (float)(i % 17) / 17.0f;
		b[i] = (float)(i % 13) / 13.0f;
	}
	int q = open(path(d, "queue"), O_RDWR);
	char line[128];
	snprintf(line, sizeof(line), "gemm a=A b=B c=C m=%d n=%d k=%d\n", n, n,
		 n);
	double *tdev = calloc((size_t)reps, sizeof(double));
	submit(q, line); /* warm-up: page tables, OpenBLAS buffers */
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		submit(q, line);
		tdev[r] = now() - t0;
	}
	close(q);

	void *lib = dlopen(OPENBLAS_PTHREAD_SO, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "bench_device: %s\n", dlerror());
		exit(1);
	}
	sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
	void (*set_threads)(int) =
	    (void (*)(int))dlsym(lib, "openblas_set_num_threads");
	set_threads((int)d->workers);
	float *ha = malloc(bytes), *hb = malloc(bytes), *hc = malloc(bytes);
	memcpy(ha, a, bytes);
	memcpy(hb, b, bytes);
	double *thost = calloc((size_t)reps, sizeof(double));
	sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, ha, n, hb,
	      n, 0, hc, n);
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, ha,
		      n, hb, n, 0, hc, n);
		thost[r] = now() - t0;
	}
	if (memcmp(hc, c, bytes) != 0) {
		double maxdiff = 0;
		for (size_t i = 0; i < (size_t)n * n; i++) {
			double df = hc[i] - c[i];
			df = df < 0 ? -df : df;
			maxdiff = df > maxdiff ? df : maxdiff;
		}
		if (maxdiff > 1e-2)
			fprintf(stderr,
				"bench_device: gemm results differ by %g\n",
				maxdiff);
	}
	double flop = 2.0 * n * n * n;
	char name[64];
	snprintf(name, sizeof(name), "gemm f32 %d (%u threads)", n, d->workers);
	struct result res = {name,
			     "GFLOP/s",
			     flop / percentile(tdev, (size_t)reps, 0.5) / 1e9,
			     flop / percentile(thost, (size_t)reps, 0.5) / 1e9,
			     0.95,
			     true};
	report(&res);
	free(ha), free(hb), free(hc), free(tdev), free(thost);
	munmap(a, bytes), munmap(b, bytes), munmap(c, bytes);
	unlink(path(d, "mem/A")), unlink(path(d, "mem/B")),
	    unlink(path(d, "mem/C"));
}

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

static bool transport_is_uring(const struct device *d)
{
	FILE *f = fopen(path(d, "info"), "r");
	char line[256];
	bool uring = false;
	while (f && fgets(line, sizeof(line), f))
		uring |= strcmp(line, "transport: fuse-io_uring\n") == 0;
	if (f)
		fclose(f);
	return uring;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	char **extra = NULL;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			extra = argv + i + 1;
	const char *bin = getenv("VGPUFSD") ? getenv("VGPUFSD") : VGPUFSD_PATH;
	struct device d = {0};
	device_start(&d, bin, extra);
	printf("# vgpufs benchmark: device %s, %u workers; value, same-run "
	       "baseline, ratio\n",
	       d.mnt, d.workers);
	bench_gemm(&d, 1024, quick ? 3 : 20);
	bench_gemm(&d, 2048, quick ? 2 : 8);
	d.uring = transport_is_uring(&d); /* known once requests went through */
	bench_latency(&d, quick ? 2000 : 20000, false);
	bench_latency(&d, quick ? 2000 : 20000, true);
	bench_write_bw(&d, quick ? 1 : 5);
	device_stop(&d);
	return 0;
}
