/*
 * The out-of-core gemm (daemon/ooc/ooc_gemm.c) against the same gemm in RAM:
 * an f32 n x n x n gemm once on disk-tier buffers of a device whose RAM
 * tier holds a quarter of them or less (--vram, --staging), then on
 * RAM-tier buffers of a device big enough for them (--ram-vram). Prints
 * GFLOP/s of each and their ratio (target 0.7), and checks that the runner
 * took the command (stats) and that both give the same C.
 *
 *   bench_ooc_gemm [--n 10240] [--vram 256M] [--staging 64M]
 *                  [--ram-vram 2G] [--disk DIR] [--reps 1] [--trans T]
 *
 * --trans a, b or ab runs both with transa, transb or both (the
 * matrices are square, so only how they are read changes).
 *
 * The defaults put 1.2 GB of matrices on disk (/var/tmp unless --disk);
 * --n 2048 checks that it works in a few seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bench_harness.h"

struct options {
	long n;
	int reps;
	const char *vram, *staging, *ram_vram, *disk;
	const char *trans; /* "", "a", "b" or "ab" */
};

/* Samples of C compared between the runs. */
#define SAMPLES 64

static void fill_pattern(float *p, size_t n, size_t from, unsigned mod)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((from + i) % mod) / (float)mod - 0.5f;
}

/* mem/NAME in TIER with N*N floats of a pattern (zeros: MOD 0). */
static void make_matrix(const struct device *d, const char *name,
			const char *tier, long n, unsigned mod)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(path(d, rel), O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die(rel);
	close(fd);
	/* set on the empty, closed buffer: an open one is busy */
	if (setxattr(path(d, rel), "user.vgpu.tier", tier, strlen(tier), 0) < 0)
		die("user.vgpu.tier");
	fd = open(path(d, rel), O_WRONLY);
	size_t total = (size_t)n * (size_t)n, chunk = 1u << 20;
	float *buf = malloc(chunk * sizeof(float));
	if (fd < 0 || !buf)
		die(rel);
	for (size_t at = 0; at < total; at += chunk) {
		size_t len = total - at < chunk ? total - at : chunk;
		if (mod)
			fill_pattern(buf, len, at, mod);
		else
			memset(buf, 0, len * sizeof(float));
		if (pwrite(fd, buf, len * sizeof(float),
			   (off_t)(at * sizeof(float))) !=
		    (ssize_t)(len * sizeof(float)))
			die("write matrix");
	}
	free(buf);
	close(fd);
}

/*
 * The gemm on a device started with EXTRA, its matrices in TIER: the best
 * of REPS seconds, and SAMPLES elements of C.
 */
static double run(const struct options *o, char **extra, const char *tier,
		  float sample[SAMPLES])
{
	const char *bin = getenv("VGPUFSD") ? getenv("VGPUFSD") : VGPUFSD_PATH;
	struct device d = {0};
	device_start(&d, bin, extra);
	make_matrix(&d, "A", tier, o->n, 17);
	make_matrix(&d, "B", tier, o->n, 13);
	make_matrix(&d, "C", tier, o->n, 0);
	int q = open(path(&d, "queue"), O_RDWR);
	if (q < 0)
		die("queue");
	char line[160];
	snprintf(line, sizeof(line),
		 "gemm a=A b=B c=C m=%ld n=%ld k=%ld transa=%d transb=%d\n",
		 o->n, o->n, o->n, strchr(o->trans, 'a') != NULL,
		 strchr(o->trans, 'b') != NULL);
	double best = INFINITY;
	for (int r = 0; r < o->reps; r++) {
		double t0 = now();
		submit(q, line);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	close(q);
	if (strcmp(tier, "disk") == 0) {
		double cmds = stats_value(&d, "ooc_gemm_commands");
		double rd = stats_value(&d, "ooc_read_bytes");
		double wr = stats_value(&d, "ooc_write_bytes");
		printf("# disk run: %g gemm out of core, %.2f GB read, %.2f GB "
		       "written\n",
		       cmds, rd / 1e9, wr / 1e9);
		if (cmds < o->reps)
			fprintf(stderr, "bench_ooc_gemm: the runner declined: "
					"the disk figure is the mapped path\n");
	}
	int fd = open(path(&d, "mem/C"), O_RDONLY);
	size_t total = (size_t)o->n * (size_t)o->n;
	for (int i = 0; i < SAMPLES; i++) {
		size_t at =
		    total / SAMPLES * (size_t)i + (size_t)i * 7919 % o->n;
		if (fd < 0 || pread(fd, &sample[i], 4, (off_t)(at * 4)) != 4)
			die("read C");
	}
	close(fd);
	device_stop(&d);
	return best;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	struct options o = {10240, 1, "256M", "64M", "2G", NULL, ""};
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--n") == 0)
			o.n = atol(v);
		else if (strcmp(k, "--reps") == 0)
			o.reps = atoi(v);
		else if (strcmp(k, "--vram") == 0)
			o.vram = v;
		else if (strcmp(k, "--staging") == 0)
			o.staging = v;
		else if (strcmp(k, "--ram-vram") == 0)
			o.ram_vram = v;
		else if (strcmp(k, "--disk") == 0)
			o.disk = v;
		else if (strcmp(k, "--trans") == 0 &&
			 strspn(v, "ab") == strlen(v))
			o.trans = v;
		else {
			fprintf(stderr,
				"usage: bench_ooc_gemm [--n N] [--vram "
				"SIZE] [--staging SIZE] [--ram-vram "
				"SIZE] [--disk DIR] [--reps R] [--trans "
				"a|b|ab]\n");
			return 2;
		}
	}
	if (o.n < 1 || o.n > 65536 || o.reps < 1) {
		fprintf(stderr, "bench_ooc_gemm: bad --n or --reps\n");
		return 2;
	}
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/vgpufs-ooc-XXXXXX",
		 o.disk ? o.disk : "/var/tmp");
	if (!mkdtemp(dir))
		die(dir);
	double bytes = 3.0 * (double)o.n * (double)o.n * 4;
	char disk_size[32];
	snprintf(disk_size, sizeof(disk_size), "%.0f",
		 bytes * 1.1 + (64 << 20));
	printf("# vgpufs out-of-core gemm benchmark: f32 %ld^3, %.2f GB of "
	       "matrices; disk tier in %s\n",
	       o.n, bytes / 1e9, dir);
	char *disk_args[] = {"--vram",		(char *)o.vram, "--staging",
			     (char *)o.staging, "--disk",	dir,
			     "--disk-size",	disk_size,	NULL};
	char *ram_args[] = {"--vram", (char *)o.ram_vram, NULL};
	float cd[SAMPLES], cr[SAMPLES];
	double td = run(&o, disk_args, "disk", cd);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	double tr = run(&o, ram_args, "ram", cr);
	float diff = 0;
	for (int i = 0; i < SAMPLES; i++)
		diff = fmaxf(diff, fabsf(cd[i] - cr[i]));
	if (diff > 1e-4f * (float)o.n)
		fprintf(stderr, "bench_ooc_gemm: C differs by %g\n", diff);
	double flop = 2.0 * (double)o.n * (double)o.n * (double)o.n;
	char name[96];
	snprintf(name, sizeof(name),
		 "gemm%s%s f32 %ld disk (staging %s) vs RAM",
		 *o.trans ? " trans=" : "", o.trans, o.n, o.staging);
	struct result r = {name, "GFLOP/s", flop / td / 1e9, flop / tr / 1e9,
			   0.7,	 true};
	report(&r);
	return 0;
}
