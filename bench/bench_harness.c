#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_harness.h"

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double now(void)
{
	return (double)now_ns() * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double percentile(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

char *path(const struct device *d, const char *rel)
{
	static char buf[4][256];
	static int i;
	char *p = buf[i++ % 4];
	snprintf(p, 256, "%s/%s", d->mnt, rel);
	return p;
}

void bench_own_session(void)
{
	/* A bench killed midway (a timeout) must not leave its daemon
	 * running: it would hold the mount, and any lock the bench was
	 * started under (flock), keeping the next benchmarks waiting. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (!getenv("VGPUFS_BENCH_SAME_SESSION"))
		setsid();
}

void device_start(struct device *d, const char *bin, char **extra)
{
	snprintf(d->mnt, sizeof(d->mnt), "/tmp/vgpufs-bench-XXXXXX");
	if (!mkdtemp(d->mnt))
		die("mkdtemp");
	d->pid = fork();
	if (d->pid == 0) {
		bench_own_session();
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

void device_stop(struct device *d)
{
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	umount2(d->mnt, MNT_DETACH); /* only if it died badly */
	rmdir(d->mnt);
}

void *map_buffer(const struct device *d, const char *name, size_t bytes)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(path(d, rel), O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
		die("buffer");
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	return p;
}

const char *bench_option(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc - 1 && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

const char *bench_only(int argc, char **argv)
{
	return bench_option(argc, argv, "--only");
}

bool bench_wanted(const char *only, const char *row)
{
	if (!only)
		return true;
	size_t len = strlen(row);
	for (const char *p = only; p; p = strchr(p, ',')) {
		p += *p == ',';
		if (strncmp(p, row, len) == 0 && (p[len] == ',' || !p[len]))
			return true;
	}
	return false;
}

bool bench_start(int argc, char **argv, const char *bin, const char *what,
		 struct device *d)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	char **extra = NULL;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			extra = argv + i + 1;
	if (getenv("VGPUFSD"))
		bin = getenv("VGPUFSD");
	*d = (struct device){0};
	device_start(d, bin, extra);
	printf("# vgpufs %s benchmark: device %s, %u workers; value, same-run "
	       "baseline, ratio\n",
	       what, d->mnt, d->workers);
	return quick;
}

void unmap_buffer(const struct device *d, const char *name, void *p,
		  size_t bytes)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	munmap(p, bytes);
	unlink(path(d, rel));
}

double submit_elapsed(int fd, const char *line)
{
	char buf[512];
	size_t len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len)
		die("write queue");
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		die("read queue");
	buf[n] = '\0';
	if (!strstr(buf, " ok ")) {
		fprintf(stderr, "bench: %s -> %s", line, buf);
		exit(1);
	}
	return strtod(strrchr(buf, ' ') + 1, NULL) * 1e-6; /* "SEQ ok K US" */
}

void submit(int fd, const char *line)
{
	submit_elapsed(fd, line);
}

char *cl_source(const char *file)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", BENCH_CL_DIR, file);
	FILE *f = fopen(p, "r");
	if (!f)
		die(p);
	char *buf = malloc(1 << 16);
	size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (!buf || n == 0)
		die(p);
	buf[n] = '\0';
	return buf;
}

/* A row: its value, the baseline, their ratio against the target (0:
 * none, for information). */
static void print_row(const char *name, double value, const char *unit,
		      double baseline, double ratio, double target,
		      bool higher_better)
{
	printf("%-44s %10.2f %-6s baseline %10.2f  ratio %5.3f  ", name, value,
	       unit, baseline, ratio);
	if (target == 0) {
		printf("(no target)\n");
		return;
	}
	bool met = higher_better ? ratio >= target : ratio <= target;
	printf("target %s%.2f  %s\n", higher_better ? ">=" : "<=", target,
	       met ? "met" : "MISSED");
}

void report(const struct result *r)
{
	print_row(r->name, r->value, r->unit, r->baseline,
		  r->value / r->baseline, r->target, r->higher_better);
}

void report_paired(const char *name, const char *unit, const double *value,
		   const double *baseline, size_t n, double target,
		   bool higher_better)
{
	double v[64], b[64], ratio[64];
	n = n < 64 ? n : 64;
	for (size_t i = 0; i < n; i++) {
		v[i] = value[i];
		b[i] = baseline[i];
		ratio[i] = value[i] / baseline[i];
	}
	double r = percentile(ratio, n, 0.5);
	print_row(name, percentile(v, n, 0.5), unit, percentile(b, n, 0.5), r,
		  target, higher_better);
}

double stats_value(const struct device *d, const char *key)
{
	FILE *f = fopen(path(d, "stats"), "r");
	char line[512];
	size_t len = strlen(key);
	double v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0 && line[len] == ' ')
			v = strtod(line + len + 1, NULL);
	if (f)
		fclose(f);
	return v;
}

bool transport_is_uring(const struct device *d)
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

void report_vs(const char *name, const char *unit, double value,
	       double baseline)
{
	struct result r = {name, unit, value, baseline, 1.0, true};
	report(&r);
}
