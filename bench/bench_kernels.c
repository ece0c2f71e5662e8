/*
 * vgpufs catalogue benchmark. Mounts its own device and prints, in one run,
 * each figure next to a baseline measured in the same run:
 *   - f32 gemm at 256, 1024, 2048 and 4096 through the device vs OpenBLAS
 *     in-process (the pthread variant, with as many threads as the device
 *     has workers)
 *   - axpy and add on 64Mi f32 elements vs a plain C loop in-process (GB/s)
 *   - conv2d on a ResNet-style layer vs im2col + OpenBLAS in-process
 *   - where an OpenCL platform is installed (Debian's pocl-opencl-icd) and
 *     the bench was built with OpenCL headers: saxpy and sgemm through it
 * usage: bench_kernels [--quick] [-- DAEMON_OPTIONS...]
 */
#include <cblas.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_harness.h"
#include "bench_opencl.h"

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *,
			 int, const float *, int, float, float *, int);

static sgemm_fn host_sgemm; /* OpenBLAS pthread, WORKERS threads */

static void load_openblas(unsigned threads)
{
	void *lib = dlopen(OPENBLAS_PTHREAD_SO, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "bench_kernels: %s\n", dlerror());
		exit(1);
	}
	host_sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
	void (*set_threads)(int) =
	    (void (*)(int))dlsym(lib, "openblas_set_num_threads");
	if (!host_sgemm || !set_threads) {
		fprintf(stderr, "bench_kernels: OpenBLAS symbols missing\n");
		exit(1);
	}
	set_threads((int)threads);
}

/* Median seconds of REPS runs of LINE on a new context (after a warm-up). */
static double time_line(const struct device *d, const char *line, int reps)
{
	int q = open(path(d, "queue"), O_RDWR);
	if (q < 0)
		die("open queue");
	double *t = calloc((size_t)reps, sizeof(double));
	submit(q, line); /* warm-up: page tables, OpenBLAS buffers */
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		submit(q, line);
		t[r] = now() - t0;
	}
	close(q);
	double med = percentile(t, (size_t)reps, 0.5);
	free(t);
	return med;
}

static float max_abs_diff(const float *x, const float *y, size_t n)
{
	float m = 0;
	for (size_t i = 0; i < n; i++) {
		float d = fabsf(x[i] - y[i]);
		m = d > m ? d : m;
	}
	return m;
}

static void fill_pattern(float *p, size_t n, unsigned mod)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(i % mod) / (float)mod - 0.5f;
}

static double gemm_device_s(const struct device *d, int n, int reps)
{
	char line[128];
	snprintf(line, sizeof(line), "gemm a=A b=B c=C m=%d n=%d k=%d\n", n, n,
		 n);
	return time_line(d, line, reps);
}

static void bench_gemm(const struct device *d, int n, int reps)
{
	size_t elems = (size_t)n * n, bytes = elems * 4;
	float *a = map_buffer(d, "A", bytes), *b = map_buffer(d, "B", bytes);
	float *c = map_buffer(d, "C", bytes);
	fill_pattern(a, elems, 17);
	fill_pattern(b, elems, 13);
	double tdev = gemm_device_s(d, n, reps);

	float *ha = malloc(bytes), *hb = malloc(bytes), *hc = malloc(bytes);
	memcpy(ha, a, bytes);
	memcpy(hb, b, bytes);
	double *t = calloc((size_t)reps, sizeof(double));
	host_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, ha, n,
		   hb, n, 0, hc, n);
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		host_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
			   1, ha, n, hb, n, 0, hc, n);
		t[r] = now() - t0;
	}
	double thost = percentile(t, (size_t)reps, 0.5);
	float diff = max_abs_diff(hc, c, elems);
	if (diff > 1e-2f * (float)n)
		fprintf(stderr, "bench_kernels: gemm %d differs by %g\n", n,
			diff);
	double flop = 2.0 * n * n * n;
	char name[64];
	snprintf(name, sizeof(name), "gemm f32 %d (%u threads)", n, d->workers);
	struct result res = {
	    name, "GFLOP/s", flop / tdev / 1e9, flop / thost / 1e9, 0.95, true};
	report(&res);

	double tocl = n <= 2048 ? ocl_sgemm_seconds(ha, hb, hc, n, reps) : -1;
	if (tocl > 0) {
		snprintf(name, sizeof(name), "gemm f32 %d vs OpenCL (%s)", n,
			 ocl_platform_name());
		report_vs(name, "GFLOP/s", flop / tdev / 1e9,
			  flop / tocl / 1e9);
	}
	free(ha), free(hb), free(hc), free(t);
	unmap_buffer(d, "A", a, bytes);
	unmap_buffer(d, "B", b, bytes);
	unmap_buffer(d, "C", c, bytes);
}

/* The plain loops a user would write in-process (vectorised by -O2). */
static void host_axpy(float alpha, const float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = alpha * x[i] + y[i];
}

static void host_add(const float *a, const float *b, float *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		o[i] = a[i] + b[i];
}

/* axpy and add on N f32: bytes moved (two reads, one write) per second. */
static void bench_vector(const struct device *d, size_t n, int reps)
{
	size_t bytes = n * 4;
	double moved = 3.0 * (double)bytes;
	float *x = map_buffer(d, "x", bytes), *y = map_buffer(d, "y", bytes);
	float *z = map_buffer(d, "z", bytes);
	fill_pattern(x, n, 101);
	fill_pattern(y, n, 103);
	char line[128];
	snprintf(line, sizeof(line), "axpy x=x y=y alpha=0.5 n=%zu\n", n);
	double tdev_axpy = time_line(d, line, reps);
	snprintf(line, sizeof(line), "add a=x b=y out=z n=%zu\n", n);
	double tdev_add = time_line(d, line, reps);

	float *hx = malloc(bytes), *hy = malloc(bytes), *hz = malloc(bytes);
	memcpy(hx, x, bytes);
	memcpy(hy, y, bytes);
	memset(hz, 0, bytes); /* first touch outside the timing */
	double *t = calloc((size_t)reps, sizeof(double));
	host_axpy(0.5f, hx, hy, n);
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		host_axpy(0.5f, hx, hy, n);
		t[r] = now() - t0;
	}
	double thost_axpy = percentile(t, (size_t)reps, 0.5);
	host_add(hx, hy, hz, n);
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		host_add(hx, hy, hz, n);
		t[r] = now() - t0;
	}
	double thost_add = percentile(t, (size_t)reps, 0.5);
	struct result ra = {"axpy f32 64Mi (vs 1-thread C loop)",
			    "GB/s",
			    moved / tdev_axpy / 1e9,
			    moved / thost_axpy / 1e9,
			    0.9,
			    true};
	struct result rb = {"add f32 64Mi (vs 1-thread C loop)",
			    "GB/s",
			    moved / tdev_add / 1e9,
			    moved / thost_add / 1e9,
			    0.9,
			    true};
	report(&ra);
	report(&rb);
	double tocl = ocl_saxpy_seconds(hx, hy, n, reps);
	if (tocl > 0) {
		char name[64];
		snprintf(name, sizeof(name), "axpy f32 64Mi vs OpenCL (%s)",
			 ocl_platform_name());
		report_vs(name, "GB/s", moved / tdev_axpy / 1e9,
			  moved / tocl / 1e9);
	}
	free(hx), free(hy), free(hz), free(t);
	unmap_buffer(d, "x", x, bytes);
	unmap_buffer(d, "y", y, bytes);
	unmap_buffer(d, "z", z, bytes);
}

/* The layer: N=8, C=K=64, 56x56, 3x3 filters, stride 1, padding 1. */
enum { CN = 8, CC = 64, CH = 56, CW = 56, CK = 64, CR = 3, CS = 3 };

/* im2col of image X (C x H x W) into COL ((C*R*S) x (H*W)), pad 1. */
static void im2col(const float *x, float *col)
{
	for (int c = 0; c < CC; c++)
		for (int r = 0; r < CR; r++)
			for (int t = 0; t < CS; t++) {
				float *row = col + ((size_t)(c * CR + r) * CS +
						    (size_t)t) *
						       CH * CW;
				for (int p = 0; p < CH; p++) {
					int y = p + r - 1;
					for (int q = 0; q < CW; q++) {
						int xx = q + t - 1;
						row[p * CW + q] =
						    y < 0 || y >= CH ||
							    xx < 0 || xx >= CW
							? 0
							: x[((size_t)c * CH +
							     y) *
								CW +
							    xx];
					}
				}
			}
}

/*
 * conv2d on a ResNet-style layer vs im2col + OpenBLAS in-process with the
 * same threads (im2col on one thread, sgemm on all, image by image).
 */
static void bench_conv2d(const struct device *d, int reps)
{
	if (access(path(d, "kernels/conv2d"), R_OK) != 0) {
		printf("# conv2d: not in this daemon's catalogue\n");
		return;
	}
	size_t xn = (size_t)CN * CC * CH * CW, wn = (size_t)CK * CC * CR * CS,
	       on = (size_t)CN * CK * CH * CW;
	float *x = map_buffer(d, "img", xn * 4),
	      *w = map_buffer(d, "filt", wn * 4),
	      *o = map_buffer(d, "act", on * 4);
	fill_pattern(x, xn, 29);
	fill_pattern(w, wn, 31);
	double tdev = time_line(d,
				"conv2d x=img weight=filt out=act n=8 c=64 "
				"h=56 w=56 k=64 kh=3 kw=3 pad_h=1 pad_w=1\n",
				reps);
	size_t krs = (size_t)CC * CR * CS, pq = (size_t)CH * CW;
	float *col = malloc(krs * pq * 4), *ho = malloc(on * 4);
	double *t = calloc((size_t)reps + 1, sizeof(double));
	for (int r = 0; r <= reps; r++) { /* run 0 warms up */
		double t0 = now();
		for (int n = 0; n < CN; n++) {
			im2col(x + (size_t)n * CC * CH * CW, col);
			host_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
				   CK, (int)pq, (int)krs, 1, w, (int)krs, col,
				   (int)pq, 0, ho + (size_t)n * CK * pq,
				   (int)pq);
		}
		t[r] = now() - t0;
	}
	double thost = percentile(t + 1, (size_t)reps, 0.5);
	float diff = max_abs_diff(ho, o, on);
	if (diff > 1e-3f)
		fprintf(stderr, "bench_kernels: conv2d differs by %g\n", diff);
	double flop = 2.0 * CN * CK * (double)pq * (double)krs;
	struct result res = {"conv2d 8x64x56x56, 64 3x3 filters",
			     "GFLOP/s",
			     flop / tdev / 1e9,
			     flop / thost / 1e9,
			     0.95,
			     true};
	report(&res);
	free(col), free(ho), free(t);
	unmap_buffer(d, "img", x, xn * 4);
	unmap_buffer(d, "filt", w, wn * 4);
	unmap_buffer(d, "act", o, on * 4);
}

int main(int argc, char **argv)
{
	struct device d;
	bool quick = bench_start(argc, argv, VGPUFSD_PATH, "catalogue", &d);
	load_openblas(d.workers);
	bench_gemm(&d, 256, quick ? 20 : 200);
	bench_gemm(&d, 1024, quick ? 3 : 20);
	bench_gemm(&d, 2048, quick ? 2 : 8);
	bench_gemm(&d, 4096, quick ? 1 : 3);
	bench_vector(&d, (size_t)64 << 20, quick ? 3 : 10);
	bench_conv2d(&d, quick ? 2 : 5);
	device_stop(&d);
	return 0;
}
