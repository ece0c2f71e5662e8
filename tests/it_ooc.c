/*
 * Out-of-core streaming: commands on disk-tier buffers run through the
 * staging memory (--staging, small here so that every command takes many
 * windows), checked against simple references, and against `stats` so
 * that a command the runner silently declined fails the test. Also: what
 * it must decline, coherence with a client's mapping, durability, a killed
 * client, and I/O errors.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"

#define ROWS 3000
#define COLS 1001
#define N    (ROWS * COLS) /* 12 MB of f32: many windows of a 4M staging */

static struct daemon_proc d;
static char disk[64];
static bool running;
static float *x, *y;

static void start_with(const char *staging, const char *env)
{
	if (!disk[0]) {
		snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(disk));
	}
	const char *args[] = {"--vram",	   "64M",	  "--disk",
			      disk,	   "--disk-size", "1G",
			      "--staging", staging,	  NULL};
	d = (struct daemon_proc){.env = env};
	daemon_start(&d, args);
	running = true;
}

static void make_disk_dir(void)
{
	const char *dir = dpath(&d, "mem/d");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(setxattr(dir, "user.vgpu.tier", "disk", 4, 0), 0);
}

/*
 * Every test's daemon takes the page cache to hold none of the inputs
 * (they were just written, so it does): commands stream instead of running
 * mapped (cached_inputs_run_mapped checks the real choice).
 */
#define COLD "VGPUFS_FAULT=ooc_cold"

static void setup(void)
{
	start_with("4M", COLD);
	make_disk_dir();
	x = malloc(N * sizeof(float));
	y = malloc(N * sizeof(float));
	srand(7);
	for (size_t i = 0; i < N; i++) {
		x[i] = (float)(rand() % 2001 - 1000) / 64.0f;
		y[i] = (float)(rand() % 2001 - 1000) / 32.0f;
	}
}

static void teardown(void)
{
	int status = running ? daemon_stop(&d) : 0;
	running = false;
	if (disk[0])
		remove_tree(disk);
	disk[0] = '\0';
	free(x);
	free(y);
	ck_assert_int_eq(status, 0); /* a clean stop: no leaks, no crash */
}

/* mem/NAME holds SIZE bytes of DATA (created, or truncated). */
static void put(const char *name, const void *data, size_t size)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(&d, rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", name, strerror(errno));
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, (const char *)data + done, size - done);
		ck_assert_msg(n > 0, "write %s: %s", name, strerror(errno));
		done += (size_t)n;
	}
	close(fd);
}

static void get(const char *name, void *data, size_t size, off_t off)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(&d, rel), O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", name, strerror(errno));
	ck_assert_int_eq(pread(fd, data, size, off), (ssize_t)size);
	close(fd);
}

static double streamed(void)
{
	return stats_value(&d, "ooc_stream_commands");
}

static char last[512];

/* Runs a command line; its completion is in LAST. */
static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	run_line(&d, line, last, sizeof(last));
}

/* The last command succeeded. */
static void expect_ok(void)
{
	ck_assert_msg(strncmp(last, "1 ok ", 5) == 0, "%s", last);
}

/* mem/NAME, new or truncated, of BYTES zero bytes. */
static void make_sized(const char *name, off_t bytes)
{
	put(name, NULL, 0);
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	ck_assert_int_eq(truncate(dpath(&d, rel), bytes), 0);
}

/* Runs a command that must succeed through the streaming runner. */
#define RUN_STREAMED(...)                                                      \
	do {                                                                   \
		double before_ = streamed();                                   \
		run(__VA_ARGS__);                                              \
		expect_ok();                                                   \
		ck_assert_msg(streamed() == before_ + 1, "not streamed: %s",   \
			      last);                                           \
	} while (0)

static void expect_f32(const char *name, const float *want, size_t n, off_t off)
{
	float *got = malloc(n * sizeof(float));
	get(name, got, n * sizeof(float), off);
	for (size_t i = 0; i < n; i++)
		if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
			ck_abort_msg("%s[%zu] = %.9g, want %.9g", name, i,
				     got[i], want[i]);
	free(got);
}

static void expect_near(double got, double want, double rel, const char *what)
{
	ck_assert_msg(fabs(got - want) <= rel * fmax(1.0, fabs(want)),
		      "%s = %.17g, want %.17g", what, got, want);
}

static float get1(const char *name, size_t idx)
{
	float v;
	get(name, &v, sizeof(v), (off_t)(idx * sizeof(v)));
	return v;
}

static void drop_page_cache(void)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	ck_assert_msg(fd >= 0, "drop_caches: %s", strerror(errno));
	ck_assert_int_eq(write(fd, "1", 1), 1);
	close(fd);
}

START_TEST(elementwise_streamed)
{
	size_t bytes = N * sizeof(float);
	put("d/x", x, bytes);
	put("d/y", y, bytes);
	put("d/o", x, bytes);
	float *want = malloc(bytes);

	RUN_STREAMED("add a=d/x b=d/y out=d/o n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = x[i] + y[i];
	expect_f32("d/o", want, N, 0);

	/* b one row for every row: staged a and out, b used mapped */
	put("row", y, COLS * sizeof(float));
	RUN_STREAMED("sub a=d/x b=row rows=%d out=d/o n=%d", ROWS, N);
	for (size_t i = 0; i < N; i++)
		want[i] = x[i] - y[i % COLS];
	expect_f32("d/o", want, N, 0);

	RUN_STREAMED("neg x=d/x out=d/o n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = -x[i];
	expect_f32("d/o", want, N, 0);

	/* in place, with a scalar */
	RUN_STREAMED("mul a=d/o bscalar=4 out=d/o n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = -x[i] * 4;
	expect_f32("d/o", want, N, 0);

	/* offsets that no O_DIRECT transfer could use as they are */
	RUN_STREAMED("add a=d/x+12 b=d/y+8 out=d/o+4 n=%d", N - 10);
	for (size_t i = 0; i < N - 10; i++)
		want[i] = x[i + 3] + y[i + 2];
	expect_f32("d/o", want, N - 10, 4);

	/* f32 to f64: out twice as wide as the input */
	make_sized("d/o64", N * 8);
	RUN_STREAMED("cast x=d/x out=d/o64 n=%d from=f32 to=f64", N);
	double *w64 = malloc(N * 8);
	get("d/o64", w64, N * 8, 0);
	for (size_t i = 0; i < N; i++)
		ck_assert_msg(w64[i] == (double)x[i], "o64[%zu]", i);
	free(w64);
	free(want);
}
END_TEST

START_TEST(blas_streamed)
{
	size_t bytes = N * sizeof(float);
	put("d/x", x, bytes);
	put("d/y", y, bytes);
	make_sized("r", 64);
	float *want = malloc(bytes);

	RUN_STREAMED("axpy x=d/x y=d/y alpha=0.5 n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = 0.5f * x[i] + y[i];
	expect_f32("d/y", want, N, 0);
	memcpy(y, want, bytes);

	/* alpha=0 leaves y as it is: NaN and inf in x do not reach it */
	float *specials = malloc(bytes);
	memcpy(specials, x, bytes);
	for (size_t i = 0; i < N; i += 1000)
		specials[i] =
		    i % 3000 ? (i % 2000 ? -INFINITY : INFINITY) : NAN;
	put("d/z", specials, bytes);
	free(specials);
	RUN_STREAMED("axpy x=d/z y=d/y alpha=0 n=%d", N);
	expect_f32("d/y", y, N, 0);

	/* x and y the very same range */
	put("d/z", x, bytes);
	RUN_STREAMED("axpy x=d/z y=d/z alpha=2 n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = 2 * x[i] + x[i];
	expect_f32("d/z", want, N, 0);

	double dot = 0, ssq = 0, asum = 0;
	for (size_t i = 0; i < N; i++) {
		dot += (double)x[i] * y[i];
		ssq += (double)x[i] * x[i];
		asum += fabs((double)x[i]);
	}
	RUN_STREAMED("dot x=d/x y=d/y out=r n=%d", N);
	expect_near(get1("r", 0), dot, 1e-6, "dot");
	RUN_STREAMED("nrm2 x=d/x out=r+4 n=%d", N);
	expect_near(get1("r", 1), sqrt(ssq), 1e-6, "nrm2");
	RUN_STREAMED("asum x=d/x out=r+8 n=%d", N);
	expect_near(get1("r", 2), asum, 1e-6, "asum");

	RUN_STREAMED("scal x=d/y alpha=-2 n=%d", N);
	for (size_t i = 0; i < N; i++)
		want[i] = -2 * y[i];
	expect_f32("d/y", want, N, 0);

	RUN_STREAMED("fill buf=d/y value=1.5 n=%d", N - 1);
	for (size_t i = 0; i < N - 1; i++)
		want[i] = 1.5f;
	expect_f32("d/y", want, N - 1, 0);

	/* copy between tiers, both ways, and within the disk tier */
	put("ram", y, bytes);
	RUN_STREAMED("copy src=ram dst=d/y bytes=%zu", bytes);
	expect_f32("d/y", y, N, 0);
	RUN_STREAMED("copy src=d/x dst=ram bytes=%zu", bytes);
	expect_f32("ram", x, N, 0);
	RUN_STREAMED("copy src=d/x+4 dst=d/y bytes=%zu", bytes - 4);
	expect_f32("d/y", x + 1, N - 1, 0);
	free(want);
}
END_TEST

START_TEST(reductions_streamed)
{
	put("d/x", x, N * sizeof(float));
	make_sized("r", ROWS * 8);

	double total = 0;
	for (size_t i = 0; i < N; i++)
		total += x[i];
	RUN_STREAMED("sum x=d/x out=r rows=1 cols=%d axis=1", N);
	expect_near(get1("r", 0), total, 1e-6, "sum");

	RUN_STREAMED("sum x=d/x out=r rows=%d cols=%d axis=1", ROWS, COLS);
	float *got = malloc(ROWS * sizeof(float));
	get("r", got, ROWS * sizeof(float), 0);
	for (size_t r = 0; r < ROWS; r++) {
		double s = 0;
		for (size_t c = 0; c < COLS; c++)
			s += x[r * COLS + c];
		expect_near(got[r], s, 1e-6, "row sum");
	}

	/* columns: 512 of them, one block, segments of rows */
	size_t rows = N / 512;
	RUN_STREAMED("mean x=d/x out=r rows=%zu cols=512 axis=0", rows);
	get("r", got, 512 * sizeof(float), 0);
	for (size_t c = 0; c < 512; c++) {
		double s = 0;
		for (size_t r = 0; r < rows; r++)
			s += x[r * 512 + c];
		expect_near(got[c], s / (double)rows, 1e-6, "column mean");
	}

	/* row-wise normalisations: whole rows a tile, out in place or not */
	put("d/o", x, N * sizeof(float));
	RUN_STREAMED("softmax x=d/x out=d/o rows=%d cols=%d", ROWS, COLS);
	float *row = malloc(COLS * sizeof(float));
	for (size_t r = 0; r < ROWS; r += 37) {
		get("d/o", row, COLS * sizeof(float),
		    (off_t)(r * COLS * sizeof(float)));
		double mx = -INFINITY, z = 0;
		for (size_t c = 0; c < COLS; c++)
			mx = fmax(mx, x[r * COLS + c]);
		for (size_t c = 0; c < COLS; c++)
			z += exp(x[r * COLS + c] - mx);
		for (size_t c = 0; c < COLS; c++)
			expect_near(row[c], exp(x[r * COLS + c] - mx) / z, 1e-5,
				    "softmax");
	}
	put("gamma", y, COLS * sizeof(float));
	RUN_STREAMED("layernorm x=d/o out=d/o gamma=gamma rows=%d cols=%d "
		     "eps=0",
		     ROWS, COLS);
	float *sm = malloc(COLS * sizeof(float));
	for (size_t r = 0; r < ROWS; r += 41) {
		get("d/o", row, COLS * sizeof(float),
		    (off_t)(r * COLS * sizeof(float)));
		double mx = -INFINITY, z = 0, m = 0, v = 0;
		for (size_t c = 0; c < COLS; c++)
			mx = fmax(mx, x[r * COLS + c]);
		for (size_t c = 0; c < COLS; c++)
			z += exp(x[r * COLS + c] - mx);
		for (size_t c = 0; c < COLS; c++)
			m += sm[c] = (float)(exp(x[r * COLS + c] - mx) / z);
		m /= COLS;
		for (size_t c = 0; c < COLS; c++)
			v += (sm[c] - m) * (sm[c] - m);
		v /= COLS;
		for (size_t c = 0; c < COLS; c++)
			expect_near(row[c], (sm[c] - m) / sqrt(v) * y[c], 1e-3,
				    "layernorm");
	}
	free(sm);
	free(row);

	size_t best = 0;
	for (size_t i = 1; i < N; i++)
		if (x[i] > x[best])
			best = i;
	RUN_STREAMED("amax x=d/x out=r rows=1 cols=%d axis=1", N);
	ck_assert(get1("r", 0) == x[best]);
	RUN_STREAMED("argmax x=d/x out=r rows=1 cols=%d axis=1", N);
	int32_t idx;
	get("r", &idx, 4, 0);
	ck_assert_int_eq(idx, (int32_t)best);
	free(got);
}
END_TEST

/*
 * What streaming would get wrong is run on mappings instead: a copy within
 * one buffer whose ranges overlap (memmove), and reductions whose tiles
 * would each need most of the matrix. Both still give the right result.
 */
START_TEST(declines_what_it_cannot_stream)
{
	size_t bytes = N * sizeof(float);
	put("d/x", x, bytes);
	double before = streamed();
	run("copy src=d/x dst=d/x+4096 bytes=%zu", bytes - 4096);
	expect_ok();
	expect_f32("d/x", x, (bytes - 4096) / 4, 4096);

	put("d/x", x, bytes);
	make_sized("r", 1 << 20);
	size_t cols = 100000, rows = N / cols;
	run("sum x=d/x out=r rows=%zu cols=%zu axis=0", rows, cols);
	expect_ok();
	for (size_t c = 0; c < cols; c += 997) {
		double s = 0;
		for (size_t r = 0; r < rows; r++)
			s += x[r * cols + c];
		expect_near(get1("r", c), s, 1e-6, "column sum");
	}
	ck_assert(streamed() == before);
}
END_TEST

/* --staging 0: no streaming at all, same results. */
START_TEST(staging_zero_runs_mapped)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	start_with("0", COLD);
	put("d/x", x, N * sizeof(float));
	put("d/y", y, N * sizeof(float));
	run("axpy x=d/x y=d/y alpha=3 n=%d", N);
	expect_ok();
	float *want = malloc(N * sizeof(float));
	for (size_t i = 0; i < N; i++)
		want[i] = 3 * x[i] + y[i];
	expect_f32("d/y", want, N, 0);
	ck_assert(streamed() == 0);
	ck_assert(stats_value(&d, "staging_total_bytes") == 0);
	free(want);
}
END_TEST

/*
 * A client writes through its mapping (no msync) and reads the result
 * through it: the staged reads see its writes, and it sees the staged
 * write-back.
 */
START_TEST(coherent_with_client_mappings)
{
	size_t bytes = N * sizeof(float);
	put("d/y", y, bytes);
	int fd = open(dpath(&d, "mem/d/y"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	float *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	for (size_t i = 0; i < N; i++)
		m[i] = x[i];
	RUN_STREAMED("scal x=d/y alpha=-0.5 n=%d", N);
	for (size_t i = 0; i < N; i++)
		if (m[i] != -0.5f * x[i])
			ck_abort_msg("mapping[%zu] = %g, want %g", i, m[i],
				     -0.5f * x[i]);
	munmap(m, bytes);
	close(fd);
}
END_TEST

/* What a completed streamed command wrote survives a SIGKILL. */
START_TEST(durable_at_completion)
{
	put("d/x", x, N * sizeof(float));
	put("d/y", y, N * sizeof(float));
	RUN_STREAMED("axpy x=d/x y=d/y alpha=-1 n=%d", N);
	daemon_kill(&d);
	running = false;
	drop_page_cache(); /* nothing of the page cache helps */
	start_with("4M", COLD);
	float *want = malloc(N * sizeof(float));
	for (size_t i = 0; i < N; i++)
		want[i] = y[i] - x[i];
	expect_f32("d/y", want, N, 0);
	free(want);
}
END_TEST

/* A client killed in the middle: the daemon serves, staging comes back. */
START_TEST(killed_client_gives_staging_back)
{
	put("d/x", x, N * sizeof(float));
	put("d/o", y, N * sizeof(float));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int q = queue_open(&d, 0);
		char line[128];
		snprintf(line, sizeof(line), "neg x=d/x out=d/o n=%d", N);
		for (int i = 0; i < 50; i++)
			queue_send(q, line);
		pause();
		_exit(0);
	}
	ck_assert(stats_wait(&d, "ooc_stream_commands 0\n", false, 10));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert(stats_wait(&d, "staging_used_bytes 0\n", true, 10));
	RUN_STREAMED("neg x=d/x out=d/o n=%d", N);
	float *want = malloc(N * sizeof(float));
	for (size_t i = 0; i < N; i++)
		want[i] = -x[i];
	expect_f32("d/o", want, N, 0);
	free(want);
}
END_TEST

/*
 * Inputs in the page cache run mapped (faster than any copy); the same
 * command on inputs only the disk holds streams.
 */
START_TEST(cached_inputs_run_mapped)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	start_with("4M", NULL);
	put("d/x", x, N * sizeof(float));
	put("d/x2", x, N * sizeof(float));
	make_sized("r", 8);
	double total = 0;
	for (size_t i = 0; i < N; i++)
		total += x[i];
	double before = streamed();
	run("sum x=d/x out=r rows=1 cols=%d axis=1", N);
	expect_ok();
	ck_assert(streamed() == before);
	expect_near(get1("r", 0), total, 1e-6, "sum (mapped)");
	/* d/x's pages are mapped by the daemon now, which pins them */
	drop_page_cache();
	RUN_STREAMED("sum x=d/x2 out=r rows=1 cols=%d axis=1", N);
	expect_near(get1("r", 0), total, 1e-6, "sum (streamed)");
}
END_TEST

/*
 * --bus: staged reads and write-backs cross the modelled link between the
 * tiers (tier_in, tier_out), and the command takes at least as long as
 * the link would; stats count exactly what was staged.
 */
START_TEST(bus_paces_staging)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	const char *args[] = {"--vram",	     "64M",
			      "--disk",	     disk,
			      "--disk-size", "1G",
			      "--staging",   "4M",
			      "--bus",	     "custom:bw=100M/s,lat=1ms",
			      NULL};
	d = (struct daemon_proc){.env = COLD};
	daemon_start(&d, args);
	put("d/x", x, N * sizeof(float));
	put("d/y", y, N * sizeof(float));
	/* opens and closes cross the host link (h2d, d2h), not tier_in */
	double in0 = stats_value(&d, "bus_tier_in_bytes");
	double out0 = stats_value(&d, "bus_tier_out_bytes");
	double t0 = now_seconds();
	RUN_STREAMED("axpy x=d/x y=d/y alpha=1 n=%d", N);
	double took = now_seconds() - t0;
	double in = stats_value(&d, "bus_tier_in_bytes") - in0;
	double out = stats_value(&d, "bus_tier_out_bytes") - out0;
	/* reads are whole pages, writes exact */
	ck_assert_msg(in >= 2.0 * N * 4 && in <= 2.0 * N * 4 + 2 * 4096 * 64,
		      "tier_in %.0f", in);
	ck_assert_msg(out == N * 4.0, "tier_out %.0f", out);
	/* 24 MB in at 100 MiB/s: 0.23 s at least (a lower bound only) */
	ck_assert_msg(took >= 2.0 * N * 4 / (100.0 * 1048576), "took %.3f s",
		      took);
	ck_assert(stats_value(&d, "bus_tier_in_real_seconds") > 0);

	/* the blocked gemm's staging crosses the same link */
	enum { G = 640 };
	put("d/a", x, G * G * 4);
	put("d/b", y, G * G * 4);
	put("d/c", x, G * G * 4);
	in0 = stats_value(&d, "bus_tier_in_bytes");
	out0 = stats_value(&d, "bus_tier_out_bytes");
	double gemms = stats_value(&d, "ooc_gemm_commands");
	run("gemm a=d/a b=d/b c=d/c m=%d n=%d k=%d beta=0", G, G, G);
	expect_ok();
	ck_assert(stats_value(&d, "ooc_gemm_commands") == gemms + 1);
	ck_assert(stats_value(&d, "bus_tier_in_bytes") - in0 >=
		  2.0 * G * G * 4);
	ck_assert(stats_value(&d, "bus_tier_out_bytes") - out0 == G * G * 4.0);
}
END_TEST

/* docs/examples/out_of_core.sh runs and streams. */
START_TEST(docs_example)
{
	const char *docs = getenv("VGPUFS_DOCS");
	ck_assert_ptr_nonnull(docs);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sh %s/examples/out_of_core.sh %s", docs,
		 d.mnt);
	double before = streamed();
	ck_assert_int_eq(system(cmd), 0);
	ck_assert(streamed() >= before + 2); /* the fills, at least */
}
END_TEST

/* A failed transfer fails the command with a message; nothing else. */
START_TEST(io_errors_fail_the_command)
{
	static const char *const env[] = {COLD ",ooc_read", COLD ",ooc_write"};
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(daemon_stop(&d), 0);
		start_with("4M", env[i]); /* mem/d is restored */
		put("d/x", x, N * sizeof(float));
		put("d/y", y, N * sizeof(float));
		run("axpy x=d/x y=d/y n=%d", N);
		ck_assert_msg(strstr(last, "EIO") && strstr(last, "disk tier"),
			      "%s: %s", env[i], last);
		ck_assert(stats_wait(&d, "staging_used_bytes 0\n", true, 5));
		put("ram", x, N * sizeof(float));
		run("scal x=ram alpha=2 n=%d", N);
		expect_ok();
	}
}
END_TEST

int main(void)
{
#ifndef VGPUFS_FAULT_INJECTION
	puts("it_ooc needs a test build (VGPUFS_FAULT_INJECTION): skipped");
	return 77;
#endif
	const TTest *const tests[] = {
	    elementwise_streamed,
	    blas_streamed,
	    reductions_streamed,
	    declines_what_it_cannot_stream,
	    staging_zero_runs_mapped,
	    coherent_with_client_mappings,
	    durable_at_completion,
	    killed_client_gives_staging_back,
	    bus_paces_staging,
	    cached_inputs_run_mapped,
	    docs_example,
	    io_errors_fail_the_command,
	};
	return run_suite(suite_with_daemon("ooc", setup, teardown, 300, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
