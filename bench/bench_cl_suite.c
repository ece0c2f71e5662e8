/*
 * The OpenCL race: twelve OpenCL C kernels written as OpenCL users write
 * them (docs/examples/opencl/), each run on vgpufs (copied into mem/, `launch`
 * on the queue, timed by the command's own ELAPSED_US) and on the installed
 * OpenCL CPU platform (PoCL, timed by its profiling events), with the same
 * source, arguments and NDRange; medians of several runs after a warm-up
 * run whose results are compared between the two. Then the user-written
 * saxpy against the built-in axpy on 64Mi elements, and the tiled matmul
 * at 2048 against PoCL and against OpenBLAS's sgemm in-process. Then what
 * a program costs before it runs: a cold compile of a 100-line program,
 * and a launch of a compiled one against the built-in fill's round trip.
 * usage: bench_cl_suite [--quick] [--only ROWS] [--kernels NAMES]
 *                       [--local N] [--rounds N] [-- DAEMON_OPTIONS...]
 * ROWS is a comma-separated list of race, saxpy, tiled, compile, launch
 * (default: all); NAMES a comma-separated list of the race's kernels
 * (default: all), for comparing a few; --local N gives the race's kernels
 * that leave `local` to the device groups of N across (1D, where N
 * divides the global size), as user code with local=1 or 4 does;
 * --rounds N races each kernel in N rounds (default 5, at most 32), for a
 * machine whose memory bandwidth drifts (each round's ratio is printed).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_cl_pocl.h"
#include "bench_harness.h"
#include "bench_round_trip.h"

#define MAX_BUFS 6

enum fill { ZERO, RAND_F, RAND_U8, BODIES, SMALL_F };
/* MOSTLY: 1% may differ (OpenCL lets a compiler fuse a*b+c, PoCL does:
 * iteration counts on the set's edge differ) */
enum compare { NONE, EXACT, CLOSE, MOSTLY };

struct buf {
	const char *name;
	size_t bytes;
	enum fill fill;
	enum compare cmp;
};

struct kcase {
	const char *file, *kernel;
	unsigned dims;
	size_t global[3], local[3];
	struct buf bufs[MAX_BUFS];
	struct kernel_arg args[8];
	int reps;
};

#define MI ((size_t)1 << 20)
/* An argument: the kernel's parameter NAME and its value. */
#define B(n, i)                                                                \
	{                                                                      \
		.kind = KA_BUF, .name = (n), .v.buf = (i)                      \
	}
#define I32(n, v_)                                                             \
	{                                                                      \
		.kind = KA_I32, .name = (n), .v.i32 = (v_)                     \
	}
#define U32(n, v_)                                                             \
	{                                                                      \
		.kind = KA_U32, .name = (n), .v.u32 = (v_)                     \
	}
#define F32(n, v_)                                                             \
	{                                                                      \
		.kind = KA_F32, .name = (n), .v.f32 = (v_)                     \
	}
#define LOCAL(n, b_)                                                           \
	{                                                                      \
		.kind = KA_LOCAL, .name = (n), .v.local = (b_)                 \
	}

static struct kcase cases[] = {
    {"saxpy.cl",
     "saxpy",
     1,
     {16 * MI},
     {0},
     {{"x", 64 * MI, RAND_F, NONE}, {"y", 64 * MI, RAND_F, CLOSE}},
     {F32("a", 0.5f), B("x", 0), B("y", 1)},
     9},
    {"matmul_naive.cl",
     "matmul_naive",
     2,
     {512, 512},
     {0},
     {{"a", MI, RAND_F, NONE}, {"b", MI, RAND_F, NONE}, {"c", MI, ZERO, CLOSE}},
     {I32("n", 512), B("a", 0), B("b", 1), B("c", 2)},
     5},
    {"matmul_tiled.cl",
     "matmul_tiled",
     2,
     {1024, 1024},
     {16, 16},
     {{"a", 4 * MI, RAND_F, NONE},
      {"b", 4 * MI, RAND_F, NONE},
      {"c", 4 * MI, ZERO, CLOSE}},
     {I32("n", 1024), B("a", 0), B("b", 1), B("c", 2)},
     5},
    {"conv2d_5x5.cl",
     "conv2d_5x5",
     2,
     {2048, 2048},
     {0},
     {{"in", 16 * MI, RAND_F, NONE},
      {"filt", 100, RAND_F, NONE},
      {"out", 16 * MI, ZERO, CLOSE}},
     {I32("w", 2048), I32("h", 2048), B("in", 0), B("filt", 1), B("out", 2)},
     7},
    {"jacobi2d.cl",
     "jacobi2d",
     2,
     {4096, 4096},
     {0},
     {{"u", 64 * MI, RAND_F, NONE}, {"v", 64 * MI, ZERO, CLOSE}},
     {I32("w", 4096), I32("h", 4096), B("u", 0), B("v", 1)},
     7},
    {"reduce.cl",
     "reduce",
     1,
     {16 * MI},
     {256},
     {{"in", 64 * MI, RAND_F, NONE}, {"partial", 256 * 1024, ZERO, CLOSE}},
     {B("in", 0), B("partial", 1), LOCAL("scratch", 1024), U32("n", 16 * MI)},
     7},
    {"histogram.cl",
     "histogram",
     1,
     {16384},
     {256},
     {{"data", 64 * MI, RAND_U8, NONE}, {"bins", 1024, ZERO, EXACT}},
     {B("data", 0), U32("n", 64 * MI), B("bins", 1)},
     7},
    {"transpose.cl",
     "transpose",
     2,
     {4096, 4096},
     {16, 16},
     {{"in", 64 * MI, RAND_F, NONE}, {"out", 64 * MI, ZERO, EXACT}},
     {I32("w", 4096), I32("h", 4096), B("in", 0), B("out", 1)},
     7},
    {"nbody.cl",
     "nbody",
     1,
     {8192},
     {0},
     {{"pos", 8192 * 16, BODIES, NONE},
      {"vel", 8192 * 16, SMALL_F, CLOSE},
      {"new_pos", 8192 * 16, ZERO, CLOSE}},
     {I32("n", 8192), F32("dt", 0.01f), F32("eps2", 0.01f), B("pos", 0),
      B("vel", 1), B("new_pos", 2)},
     5},
    {"mandelbrot.cl",
     "mandelbrot",
     2,
     {1024, 1024},
     {0},
     {{"count", 4 * MI, ZERO, MOSTLY}},
     {I32("w", 1024), F32("x0", -2.0f), F32("y0", -1.25f),
      F32("scale", 2.5f / 1024), I32("max_iter", 256), B("count", 0)},
     5},
    {"scan.cl",
     "scan_blocks",
     1,
     {8 * MI},
     {256},
     {{"in", 64 * MI, SMALL_F, NONE},
      {"out", 64 * MI, ZERO, CLOSE},
      {"block_sums", 128 * 1024, ZERO, CLOSE}},
     {B("in", 0), B("out", 1), B("block_sums", 2), LOCAL("tmp", 2048)},
     7},
    {"bitonic.cl",
     "bitonic_step",
     1,
     {16 * MI},
     {0},
     {{"keys", 64 * MI, RAND_F, EXACT}},
     {B("keys", 0), U32("j", 1024), U32("k", 4096)},
     7},
    /* RAND_U8: about half the cells live (bytes of 128 and up) */
    {"life.cl",
     "life_step",
     2,
     {4096, 4096},
     {0},
     {{"src", 16 * MI, RAND_U8, NONE}, {"dst", 16 * MI, ZERO, EXACT}},
     {B("src", 0), B("dst", 1), I32("w", 4096), I32("h", 4096)},
     7},
};

/* Its arguments: those given (the rest of args[] is zero). */
static unsigned nargs_of(const struct kcase *c)
{
	unsigned n = 0;
	while (n < 8 && c->args[n].name)
		n++;
	return n;
}
static unsigned nbufs_of(const struct kcase *c)
{
	unsigned n = 0;
	while (n < MAX_BUFS && c->bufs[n].name)
		n++;
	return n;
}

static uint64_t rng = 88172645463325252u;
static uint32_t next_u32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static float unit_f(void) /* in [-1, 1) */
{
	return (float)(next_u32() >> 8) / (float)(1u << 23) - 1.0f;
}

static void fill(void *p, size_t bytes, enum fill how)
{
	float *f = p;
	unsigned char *u = p;
	for (size_t i = 0; i < bytes / 4; i++) {
		switch (how) {
		case ZERO:
			f[i] = 0;
			break;
		case RAND_F:
			f[i] = unit_f();
			break;
		case SMALL_F:
			f[i] = unit_f() * 0.01f;
			break;
		case BODIES: /* x, y, z in a cube, mass in [0.5, 1] */
			f[i] = i % 4 == 3 ? 0.75f + 0.25f * unit_f()
					  : 10.0f * unit_f();
			break;
		case RAND_U8:
			memcpy(u + 4 * i, &(uint32_t){next_u32()}, 4);
			break;
		}
	}
	memset(u + bytes / 4 * 4, 0, bytes % 4);
}

/* Writes BYTES of DATA to mem/NAME, as `cp` would. */
static void copy_in(const struct device *d, const char *name, const void *data,
		    size_t bytes)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(path(d, rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, bytes) != (ssize_t)bytes)
		die(rel);
	close(fd);
}

static void append(char *line, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *line, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + len, cap - len, fmt, ap);
	va_end(ap);
}

static void dims_list(char *line, size_t cap, const char *key, const size_t *v,
		      unsigned dims)
{
	append(line, cap, " %s=", key);
	for (unsigned i = 0; i < dims; i++)
		append(line, cap, i ? ",%zu" : "%zu", v[i]);
}

/* The case's `launch` line (buffers mem/<kernel>.<name>). */
static void launch_line(const struct kcase *c, char *line, size_t cap)
{
	snprintf(line, cap, "launch prog=%s kernel=%s", c->file, c->kernel);
	dims_list(line, cap, "global", c->global, c->dims);
	if (c->local[0])
		dims_list(line, cap, "local", c->local, c->dims);
	for (unsigned i = 0; i < nargs_of(c); i++) {
		const struct kernel_arg *a = &c->args[i];
		append(line, cap, " %s=", a->name);
		switch (a->kind) {
		case KA_BUF:
			append(line, cap, "%s.%s", c->kernel,
			       c->bufs[a->v.buf].name);
			break;
		case KA_I32:
			append(line, cap, "%d", a->v.i32);
			break;
		case KA_U32:
			append(line, cap, "%u", a->v.u32);
			break;
		case KA_F32:
			append(line, cap, "%.9g", (double)a->v.f32);
			break;
		case KA_LOCAL:
			append(line, cap, "%zu", a->v.local);
			break;
		}
	}
	append(line, cap, "\n");
}

/* Median seconds of the case on vgpufs; first-run results into FIRST. */
static double vgpufs_run(const struct device *d, const struct kcase *c,
			 const char *src, void **init, void **first)
{
	unsigned nb = nbufs_of(c);
	void *map[MAX_BUFS];
	char name[128], line[1024];
	copy_in(d, c->file, src, strlen(src));
	for (unsigned b = 0; b < nb; b++) {
		snprintf(name, sizeof(name), "%s.%s", c->kernel,
			 c->bufs[b].name);
		map[b] = map_buffer(d, name, c->bufs[b].bytes);
		memcpy(map[b], init[b], c->bufs[b].bytes);
	}
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0)
		die("queue");
	snprintf(line, sizeof(line), "build prog=%s\n", c->file);
	double compile = submit_elapsed(q, line);
	launch_line(c, line, sizeof(line));
	submit_elapsed(q, line); /* the warm-up, compared below */
	for (unsigned b = 0; b < nb; b++)
		if (first[b])
			memcpy(first[b], map[b], c->bufs[b].bytes);
	double t[16];
	for (int r = 0; r < c->reps; r++)
		t[r] = submit_elapsed(q, line);
	close(q);
	for (unsigned b = 0; b < nb; b++) {
		snprintf(name, sizeof(name), "%s.%s", c->kernel,
			 c->bufs[b].name);
		unmap_buffer(d, name, map[b], c->bufs[b].bytes);
	}
	printf("#   %s: compiled in %.1f ms\n", c->kernel, compile * 1e3);
	return percentile(t, (size_t)c->reps, 0.5);
}

/* Whether the two first-run results agree; says where they do not. */
static bool same_results(const struct kcase *c, void **mine, void **theirs)
{
	bool ok = true;
	for (unsigned b = 0; b < nbufs_of(c); b++) {
		const struct buf *bf = &c->bufs[b];
		if (bf->cmp == NONE)
			continue;
		size_t n = bf->bytes / 4, bad = 0, first_bad = 0;
		const float *x = mine[b], *y = theirs[b];
		for (size_t i = 0; i < n; i++) {
			bool eq;
			if (bf->cmp == CLOSE)
				eq = fabsf(x[i] - y[i]) <=
				     1e-3f * (1.0f + fabsf(y[i]));
			else
				eq = memcmp(&x[i], &y[i], 4) == 0;
			if (!eq && bad++ == 0)
				first_bad = i;
		}
		size_t allowed = bf->cmp == MOSTLY ? n / 100 : 0;
		if (bad > allowed) {
			printf("#   %s: %s differs from OpenCL's in %zu of %zu "
			       "elements (first at %zu)\n",
			       c->kernel, bf->name, bad, n, first_bad);
			ok = false;
		}
	}
	return ok;
}

/* Rounds of a race: each runs the case on vgpufs then on PoCL, so that
 * the machine's drift (a memory-bound kernel's rate moved 2x between
 * runs on either side) hits both alike; each side's median is taken.
 * --rounds sets how many. */
enum { RACE_ROUNDS_MAX = 32 };
static int race_rounds = 5;

/* Runs one case on both; the speed ratio (theirs / ours), or 0. */
static double race(const struct device *d, struct kcase *c, bool quick)
{
	unsigned nb = nbufs_of(c);
	void *init[MAX_BUFS], *mine[MAX_BUFS], *theirs[MAX_BUFS];
	void *none[MAX_BUFS] = {0};
	size_t bytes[MAX_BUFS];
	if (quick)
		c->reps = 3;
	for (unsigned b = 0; b < nb; b++) {
		bytes[b] = c->bufs[b].bytes;
		init[b] = malloc(bytes[b]);
		mine[b] = c->bufs[b].cmp ? malloc(bytes[b]) : NULL;
		theirs[b] = c->bufs[b].cmp ? malloc(bytes[b]) : NULL;
		if (!init[b])
			die("malloc");
		fill(init[b], bytes[b], c->bufs[b].fill);
	}
	char *src = cl_source(c->file);
	double tvs[RACE_ROUNDS_MAX], tps[RACE_ROUNDS_MAX];
	size_t rounds = 0;
	for (int round = 0; round < race_rounds; round++) {
		/* the first round's results are the ones compared */
		tvs[round] = vgpufs_run(d, c, src, init, round ? none : mine);
		tps[round] = pocl_run(
		    &(struct kernel_launch){
			.source = src,
			.kernel = c->kernel,
			.dims = c->dims,
			.global = {c->global[0], c->global[1], c->global[2]},
			.local = {c->local[0], c->local[1], c->local[2]},
			.args = c->args,
			.nargs = nargs_of(c),
			.bufs = init,
			.first = round ? none : theirs,
			.buf_bytes = bytes,
			.nbufs = nb},
		    c->reps);
		rounds++;
		if (tps[round] <= 0)
			break; /* no OpenCL run: ours alone */
	}
	if (rounds > 1 && tps[rounds - 1] > 0) {
		printf("#   %s, each round's speed ratio:", c->kernel);
		for (size_t i = 0; i < rounds; i++)
			printf(" %.3f", tps[i] / tvs[i]);
		printf("\n");
	}
	double tv = percentile(tvs, rounds, 0.5);
	double tp = tps[rounds - 1] <= 0 ? 0 : percentile(tps, rounds, 0.5);
	double ratio = 0;
	char name[64];
	snprintf(name, sizeof(name), "%s vs OpenCL (runs/s)", c->kernel);
	if (tp > 0) {
		bool same = same_results(c, mine, theirs);
		struct result r = {name, "runs/s", 1 / tv, 1 / tp, 1.0, true};
		report(&r);
		ratio = same ? tp / tv : 0;
	} else {
		printf("%-44s %10.2f runs/s (no OpenCL run)\n", name, 1 / tv);
	}
	for (unsigned b = 0; b < nb; b++) {
		free(init[b]);
		free(mine[b]);
		free(theirs[b]);
	}
	free(src);
	return ratio;
}

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *,
			 int, const float *, int, float, float *, int);

/* OpenBLAS's sgemm in-process at N with THREADS threads: GFLOP/s. */
static double openblas_gflops(int n, unsigned threads)
{
	void *lib = dlopen(OPENBLAS_PTHREAD_SO, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		die("dlopen OpenBLAS");
	sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
	void (*set_threads)(int) =
	    (void (*)(int))dlsym(lib, "openblas_set_num_threads");
	if (!sgemm || !set_threads)
		die("OpenBLAS symbols");
	set_threads((int)threads);
	size_t e = (size_t)n * n;
	float *a = malloc(e * 4), *b = malloc(e * 4), *c = malloc(e * 4);
	fill(a, e * 4, RAND_F);
	fill(b, e * 4, RAND_F);
	double t[3];
	for (int r = 0; r < 4; r++) {
		double t0 = now();
		/* 101 row-major, 111 no transpose */
		sgemm(101, 111, 111, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
		if (r)
			t[r - 1] = now() - t0;
	}
	free(a), free(b), free(c);
	return 2.0 * n * n * n / percentile(t, 3, 0.5) / 1e9;
}

/*
 * The user's saxpy against the built-in axpy on 64Mi elements: after the
 * saxpy's own runs (its compile and warm-up), launches of the one and
 * the other alternate on the same two new buffers, so that the buffers'
 * placement and the machine's drift are the same for both.
 */
static void saxpy_vs_axpy(const struct device *d, bool quick)
{
	size_t n = 64 * MI;
	struct kcase c = cases[0];
	c.global[0] = n;
	c.bufs[0].bytes = c.bufs[1].bytes = n * 4;
	c.bufs[1].cmp = NONE;
	c.reps = quick ? 3 : 7;
	void *init[2] = {malloc(n * 4), malloc(n * 4)}, *none[2] = {0};
	fill(init[0], n * 4, RAND_F);
	fill(init[1], n * 4, RAND_F);
	char *src = cl_source(c.file);
	vgpufs_run(d, &c, src, init, none);
	/* the buffers again (vgpufs_run removed its own), for both sides */
	float *x = map_buffer(d, "saxpy.x", n * 4),
	      *y = map_buffer(d, "saxpy.y", n * 4);
	memcpy(x, init[0], n * 4);
	memcpy(y, init[1], n * 4);
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0)
		die("queue");
	char user[1024], builtin[128];
	launch_line(&c, user, sizeof(user));
	snprintf(builtin, sizeof(builtin),
		 "axpy x=saxpy.x y=saxpy.y n=%zu alpha=0.5\n", n);
	submit_elapsed(q, builtin); /* its warm-up */
	int reps = 2 * c.reps + 1;
	double tus[32], tbs[32];
	for (int r = 0; r < reps; r++) {
		tus[r] = submit_elapsed(q, user);
		tbs[r] = submit_elapsed(q, builtin);
	}
	close(q);
	unmap_buffer(d, "saxpy.x", x, n * 4);
	unmap_buffer(d, "saxpy.y", y, n * 4);
	double tu = percentile(tus, (size_t)reps, 0.5);
	double tb = percentile(tbs, (size_t)reps, 0.5);
	struct result r = {"saxpy (user) vs axpy (built-in), 64Mi, GB/s",
			   "GB/s",
			   12.0 * n / tu / 1e9,
			   12.0 * n / tb / 1e9,
			   0.9,
			   true};
	report(&r);
	free(init[0]), free(init[1]), free(src);
}

/* The user's tiled matmul at 2048 against PoCL and OpenBLAS. */
static void tiled_2048(const struct device *d, bool quick)
{
	int n = quick ? 1024 : 2048;
	size_t bytes = (size_t)n * n * 4;
	struct kcase c = cases[2];
	c.global[0] = c.global[1] = (size_t)n;
	for (int b = 0; b < 3; b++)
		c.bufs[b].bytes = bytes;
	c.bufs[2].cmp = NONE;
	c.args[0].v.i32 = n;
	c.reps = 3;
	void *init[3], *none[3] = {0};
	for (int b = 0; b < 3; b++) {
		init[b] = malloc(bytes);
		fill(init[b], bytes, b < 2 ? RAND_F : ZERO);
	}
	char *src = cl_source(c.file);
	double tv = vgpufs_run(d, &c, src, init, none);
	size_t bb[3] = {bytes, bytes, bytes};
	double tp = pocl_run(
	    &(struct kernel_launch){.source = src,
				    .kernel = c.kernel,
				    .dims = 2,
				    .global = {(size_t)n, (size_t)n, 1},
				    .local = {16, 16, 1},
				    .args = c.args,
				    .nargs = 4,
				    .bufs = init,
				    .first = none,
				    .buf_bytes = bb,
				    .nbufs = 3},
	    1);
	double flop = 2.0 * n * n * n, gv = flop / tv / 1e9;
	char name[80];
	if (tp > 0) {
		snprintf(name, sizeof(name),
			 "matmul_tiled %d vs OpenCL, GFLOP/s", n);
		struct result r = {name, "GFLOP/s", gv, flop / tp / 1e9,
				   8.0,	 true};
		report(&r);
	}
	snprintf(name, sizeof(name), "matmul_tiled %d vs OpenBLAS, GFLOP/s", n);
	struct result r = {name, "GFLOP/s", gv, openblas_gflops(n, d->workers),
			   0.6,	 true};
	report(&r);
	for (int b = 0; b < 3; b++)
		free(init[b]);
	free(src);
}

/* The program the cold-compile row compiles: about 100 lines. */
#define COLD_PROGRAM "options.cl"

/* The front end's and the code generator's milliseconds of the last
 * "compiled" line among the events TRACE (O_NONBLOCK) has now. */
static void last_compile(int trace, double *front_ms, double *codegen_ms)
{
	static char buf[1 << 16];
	ssize_t n;
	size_t len = 0;
	while (len < sizeof(buf) - 1 &&
	       (n = read(trace, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	*front_ms = *codegen_ms = 0;
	for (char *l = strstr(buf, " compiled "); l;
	     l = strstr(l + 1, " compiled ")) {
		const char *f = strstr(l, " front_ns="),
			   *c = strstr(l, " codegen_ns=");
		if (f && c) {
			*front_ms = strtod(f + 10, NULL) / 1e6;
			*codegen_ms = strtod(c + 12, NULL) / 1e6;
		}
	}
}

/*
 * A program compiled cold: copied into mem/ and built, its bytes new to
 * the daemon each time (a comment numbers them), so that every build is
 * a cache miss; the client's time for both, median, against the issue's
 * 100 ms, and the daemon's own compile times from the trace.
 */
static void cold_compile(const struct device *d, bool quick)
{
	int reps = quick ? 5 : 15;
	char *src = cl_source(COLD_PROGRAM), *text = malloc(strlen(src) + 64);
	int lines = 0;
	for (const char *p = src; *p; p++)
		lines += *p == '\n';
	int q = open(path(d, "queue"), O_RDWR),
	    trace = open(path(d, "trace"), O_RDONLY | O_NONBLOCK);
	if (q < 0 || trace < 0 || !text)
		die("cold compile");
	/* the daemon's first compile also starts LLVM: not what is measured */
	char *first = cl_source("saxpy.cl");
	copy_in(d, "first.cl", first, strlen(first));
	double t0 = now();
	submit(q, "build prog=first.cl\n");
	printf("# first build of this run (saxpy.cl): %.1f ms\n",
	       (now() - t0) * 1e3);
	double total[16], front[16], codegen[16];
	for (int r = 0; r < reps; r++) {
		int len = sprintf(text, "/* cold %d.%d */\n%s", (int)getpid(),
				  r, src);
		t0 = now();
		copy_in(d, "cold.cl", text, (size_t)len);
		submit(q, "build prog=cold.cl\n");
		total[r] = (now() - t0) * 1e3;
		last_compile(trace, &front[r], &codegen[r]);
	}
	close(trace);
	close(q);
	printf("#   the daemon's compile, median: front end %.1f ms, code "
	       "generation %.1f ms\n",
	       percentile(front, (size_t)reps, 0.5),
	       percentile(codegen, (size_t)reps, 0.5));
	char name[80];
	snprintf(name, sizeof(name), "cold cp + build, %d-line program, ms",
		 lines);
	printf("# (the baseline column is the issue's target)\n");
	struct result res = {name,  "ms", percentile(total, (size_t)reps, 0.5),
			     100.0, 1.0,  false};
	report(&res);
	free(first), free(text), free(src);
}

/*
 * A launch of a compiled program (16 work-items storing a float each)
 * against the built-in `fill n=16` on the same buffer, round trips on one
 * context in alternating blocks: the target is within 1.2x.
 */
static void cached_launch(const struct device *d, bool quick)
{
	static const char fill_cl[] =
	    "__kernel void fill16(__global float *buf, const float value)\n"
	    "{\n"
	    "\tbuf[get_global_id(0)] = value;\n"
	    "}\n";
	static const char launch_line[] =
	    "launch prog=fill16.cl kernel=fill16 global=16 buf=f16 value=1\n";
	static const char fill_line[] = "fill buf=f16 value=1 n=16\n";
	int n = quick ? 2000 : 20000;
	double *lat_launch = calloc((size_t)n, sizeof(double)),
	       *lat_fill = calloc((size_t)n, sizeof(double));
	void *buf = map_buffer(d, "f16", 64);
	copy_in(d, "fill16.cl", fill_cl, strlen(fill_cl));
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0 || !lat_launch || !lat_fill)
		die("cached launch");
	submit(q, "build prog=fill16.cl\n");
	struct message ml = {launch_line, sizeof(launch_line) - 1, 256};
	struct message mf = {fill_line, sizeof(fill_line) - 1, 256};
	n = alternate(q, &ml, lat_launch, q, &mf, lat_fill, n);
	close(q);
	unmap_buffer(d, "f16", buf, 64);
	printf("#   p99: launch %.1f us, fill %.1f us\n",
	       percentile(lat_launch, (size_t)n, 0.99),
	       percentile(lat_fill, (size_t)n, 0.99));
	struct result res = {"cached launch vs text fill n=16, median",
			     "us",
			     percentile(lat_launch, (size_t)n, 0.5),
			     percentile(lat_fill, (size_t)n, 0.5),
			     1.2,
			     false};
	report(&res);
	free(lat_launch), free(lat_fill);
}

/* The race: each case (of KERNELS, NULL: all) on both devices, and the
 * geometric mean. */
static void race_all(const struct device *d, bool quick, const char *kernels,
		     size_t local)
{
	double logsum = 0;
	int counted = 0;
	size_t ncases = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!bench_wanted(kernels, cases[i].kernel))
			continue;
		ncases++;
		struct kcase c = cases[i];
		if (local && !c.local[0] && c.dims == 1 &&
		    c.global[0] % local == 0) {
			c.local[0] = local;
			c.local[1] = c.local[2] = 1;
			printf("# %s with local=%zu\n", c.kernel, local);
		}
		double ratio = race(d, &c, quick);
		if (ratio > 0) {
			logsum += log(ratio);
			counted++;
		}
	}
	if (counted) {
		struct result r = {"geometric mean of speed ratios",
				   "x",
				   exp(logsum / counted),
				   1.0,
				   1.3,
				   true};
		report(&r);
		if (counted < (int)ncases)
			printf("# %zu kernel(s) not counted: no OpenCL run or "
			       "results that differ\n",
			       ncases - (size_t)counted);
	}
}

int main(int argc, char **argv)
{
	struct device d;
	const char *only = bench_only(argc, argv);
	bool quick =
	    bench_start(argc, argv, VGPUFSD_PATH, "OpenCL C kernels", &d);
	const char *peer = pocl_describe();
	printf("# OpenCL peer: %s\n", peer ? peer
					   : "none installed "
					     "(scripts/install-bench-"
					     "deps.sh)");
	const char *rounds = bench_option(argc, argv, "--rounds");
	if (rounds) {
		race_rounds = atoi(rounds);
		if (race_rounds < 1 || race_rounds > RACE_ROUNDS_MAX) {
			fprintf(stderr, "bench: --rounds takes 1 to 32\n");
			return 2;
		}
	}
	if (bench_wanted(only, "race"))
		race_all(&d, quick, bench_option(argc, argv, "--kernels"),
			 bench_option(argc, argv, "--local")
			     ? strtoull(bench_option(argc, argv, "--local"),
					NULL, 10)
			     : 0);
	if (bench_wanted(only, "saxpy"))
		saxpy_vs_axpy(&d, quick);
	if (bench_wanted(only, "tiled"))
		tiled_2048(&d, quick);
	if (bench_wanted(only, "compile"))
		cold_compile(&d, quick);
	if (bench_wanted(only, "launch"))
		cached_launch(&d, quick);
	device_stop(&d);
	return 0;
}
