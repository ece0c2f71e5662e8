/*
 * The first kernels through the real device, checked against naive
 * references. Inputs go in through client mappings and results are read
 * through the same mappings: the kernels see what clients wrote, and
 * clients see results once the completion has been read.
 */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;
static unsigned rng = 12345;

static void setup(void)
{
	const char *args[] = {"--vram", "512M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static double rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return ((rng >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* A buffer mapped into the test: size in bytes. */
static void *map_new(const char *name, size_t size)
{
	ck_assert_int_eq(buf_create(&d, name, size), 0);
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(&d, rel), O_RDWR);
	ck_assert_int_ge(fd, 0);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	return p;
}

static void expect_ok(const char *line)
{
	char out[512];
	run_line(&d, line, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok "), "%s -> %s", line, out);
}

/*
 * gemm of the given shape through the device, f32 or f64, against a
 * double-precision triple loop. Matrices sit at byte offset OFF inside
 * their buffers, with leading dimensions PAD elements wider than packed.
 */
static void check_gemm(int m, int n, int k, int ta, int tb, double alpha,
		       double beta, int pad, int off, int f64)
{
	size_t es = f64 ? 8 : 4;
	int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
	int lda = ac + pad, ldb = bc + pad, ldc = n + pad;
	size_t asz = off + (size_t)ar * lda * es,
	       bsz = off + (size_t)br * ldb * es,
	       csz = off + (size_t)m * ldc * es;
	char *A = map_new("A", asz), *B = map_new("B", bsz),
	     *C = map_new("C", csz);
	double *ref = malloc(sizeof(double) * (size_t)m * n);
#define EL(P, i)                                                               \
	(f64 ? ((double *)((P) + off))[i] : (double)((float *)((P) + off))[i])
#define SET(P, i, v)                                                           \
	do {                                                                   \
		if (f64)                                                       \
			((double *)((P) + off))[i] = (v);                      \
		else                                                           \
			((float *)((P) + off))[i] = (float)(v);                \
	} while (0)
	for (int i = 0; i < ar * lda; i++)
		SET(A, i, rnd());
	for (int i = 0; i < br * ldb; i++)
		SET(B, i, rnd());
	for (int i = 0; i < m * ldc; i++)
		SET(C, i, beta == 0 ? NAN : rnd());
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;
			for (int p = 0; p < k; p++)
				s += EL(A, ta ? p * lda + i : i * lda + p) *
				     EL(B, tb ? j * ldb + p : p * ldb + j);
			ref[i * n + j] =
			    alpha * s +
			    (beta == 0 ? 0 : beta * EL(C, i * ldc + j));
		}
	char line[512];
	snprintf(line, sizeof(line),
		 "gemm a=A+%d b=B+%d c=C+%d m=%d n=%d k=%d transa=%d transb=%d "
		 "alpha=%.17g beta=%.17g lda=%d ldb=%d ldc=%d dtype=%s",
		 off, off, off, m, n, k, ta, tb, alpha, beta, lda, ldb, ldc,
		 f64 ? "f64" : "f32");
	expect_ok(line);
	double tol = f64 ? 1e-10 : 1e-4;
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double got = EL(C, i * ldc + j), want = ref[i * n + j];
			ck_assert_msg(fabs(got - want) <=
					  tol * (1 + fabs(want)) * sqrt(k + 1),
				      "%s: C[%d,%d] = %g, want %g", line, i, j,
				      got, want);
		}
	/* padding columns of C are left alone (NaN or the old value) */
	if (pad && beta == 0)
		ck_assert(isnan(EL(C, n)));
	free(ref);
	munmap(A, asz);
	munmap(B, bsz);
	munmap(C, csz);
	unlink(dpath(&d, "mem/A"));
	unlink(dpath(&d, "mem/B"));
	unlink(dpath(&d, "mem/C"));
#undef EL
#undef SET
}

START_TEST(gemm_shapes)
{
	static const int shapes[][3] = {{1, 1, 1},	 {7, 5, 3},
					{33, 130, 17},	 {257, 64, 129},
					{300, 301, 302}, {64, 1, 500}};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (int t = 0; t < 4; t++)
			check_gemm(shapes[s][0], shapes[s][1], shapes[s][2],
				   t & 1, t >> 1, 1.0, 0.0, 0, 0, 0);
}
END_TEST

START_TEST(gemm_options)
{
	check_gemm(65, 47, 31, 0, 0, -0.5, 1.25, 3, 4096, 0);
	check_gemm(65, 47, 31, 1, 1, 2.0, 0.0, 5, 8, 0);
	check_gemm(100, 80, 60, 1, 0, 1.0, 0.5, 0, 0, 1);
	check_gemm(129, 33, 257, 0, 1, 0.75, 0.0, 2, 16, 1);
	/* big enough to be split into many tiles */
	check_gemm(700, 600, 300, 0, 0, 1.0, 0.0, 0, 0, 0);
}
END_TEST

START_TEST(vector_kernels)
{
	const int n = 1000003; /* odd: tiles do not divide it */
	float *x = map_new("x", n * 4), *y = map_new("y", n * 4);
	float *out = map_new("out", 8);
	double *xd = map_new("xd", n * 8);
	expect_ok("fill buf=x value=0.5 n=1000003");
	for (int i = 0; i < n; i++)
		ck_assert(x[i] == 0.5f);
	for (int i = 0; i < n; i++)
		x[i] = (float)rnd(), y[i] = (float)rnd();
	float *y0 = malloc(n * 4);
	memcpy(y0, y, n * 4);
	expect_ok("axpy x=x y=y alpha=-3 n=1000003");
	for (int i = 0; i < n; i++)
		ck_assert_msg(y[i] == y0[i] + -3.0f * x[i] ||
				  fabsf(y[i] - (y0[i] - 3 * x[i])) < 1e-6f,
			      "y[%d]", i);
	double dot = 0;
	for (int i = 0; i < n; i++)
		dot += (double)x[i] * y[i];
	expect_ok("dot x=x y=y out=out n=1000003");
	ck_assert_msg(fabs(out[0] - dot) < 1e-3 * (1 + fabs(dot)), "%g vs %g",
		      out[0], dot);
	expect_ok("dot x=x y=y out=out+4 n=0");
	ck_assert(out[1] == 0.0f);
	/* copy, also within one buffer with overlap (memmove semantics) */
	expect_ok("copy src=x dst=y bytes=4000012");
	ck_assert(memcmp(x, y, n * 4) == 0);
	memcpy(y0, x, n * 4);
	expect_ok("copy src=x dst=x+4 bytes=4000000");
	ck_assert(memcmp(x + 1, y0, 4000000) == 0);
	/* f64 */
	expect_ok("fill buf=xd value=0.1 n=1000003 dtype=f64");
	for (int i = 0; i < n; i++)
		ck_assert(xd[i] == 0.1);
	expect_ok("axpy x=xd y=xd alpha=1 n=1000003 dtype=f64");
	ck_assert(xd[n - 1] == 0.2);
	expect_ok("nop");
	free(y0);
}
END_TEST

static void expect_error(const char *line, const char *what)
{
	char out[512];
	run_line(&d, line, out, sizeof(out));
	ck_assert_msg(strstr(out, " err ") && strstr(out, what), "%s -> %s",
		      line, out);
}

/*
 * Elementwise kernels through the device: a row-broadcast add, a scalar
 * operand, a unary kernel in place and casts from u8 images, on an odd
 * shape that no tile size divides.
 */
START_TEST(elementwise_kernels)
{
	const int rows = 333, cols = 1001, n = rows * cols;
	float *a = map_new("a", (size_t)n * 4), *b = map_new("b", cols * 4),
	      *o = map_new("o", (size_t)n * 4);
	uint8_t *u = map_new("u", n);
	for (int i = 0; i < n; i++)
		a[i] = (float)rnd(), u[i] = (uint8_t)(i * 7);
	for (int j = 0; j < cols; j++)
		b[j] = (float)rnd();
	expect_ok("add a=a b=b out=o n=333333 rows=333");
	for (int i = 0; i < n; i++)
		ck_assert_msg(o[i] == a[i] + b[i % cols], "o[%d]", i);
	expect_ok("mul a=o bscalar=-2 out=o n=333333");
	expect_ok("relu x=o out=o n=333333");
	for (int i = 0; i < n; i++) {
		float want = (a[i] + b[i % cols]) * -2.0f;
		ck_assert_msg(o[i] == (want < 0 ? 0.0f : want), "o[%d]", i);
	}
	expect_ok("cast x=u out=o n=333333 from=u8 to=f32");
	for (int i = 0; i < n; i++)
		ck_assert(o[i] == (float)u[i]);
	expect_ok("cast x=a out=u n=333333 from=f32 to=u8");
	for (int i = 0; i < n; i++) /* a in [-1, 1): 0 saturates, 0 truncates */
		ck_assert(u[i] == 0);
	expect_error("add a=a b=b out=o n=333333 rows=2", "does not divide");
	expect_error("div a=u b=u out=u n=3 dtype=u8", "not supported");
	expect_error("add a=a b=a+4 out=a n=1000", "overlaps");
}
END_TEST

/*
 * gemv (both ways, with lda and offsets), scal, nrm2 and asum through the
 * device, on odd shapes.
 */
START_TEST(blas_kernels)
{
	const int m = 333, n = 1001, lda = 1003, off = 4096;
	char *A = map_new("A", off + (size_t)m * lda * 4);
	float *a = (float *)(A + off), *x = map_new("x", 4 * n),
	      *y = map_new("y", 4 * n);
	for (int i = 0; i < m * lda; i++)
		a[i] = (float)rnd();
	for (int t = 0; t < 2; t++) {
		int xlen = t ? m : n, ylen = t ? n : m;
		for (int i = 0; i < xlen; i++)
			x[i] = (float)rnd();
		for (int j = 0; j < ylen; j++)
			y[j] = (float)rnd();
		double want[1001];
		for (int j = 0; j < ylen; j++) {
			double s = 0;
			for (int p = 0; p < xlen; p++)
				s += (double)(t ? a[p * lda + j]
						: a[j * lda + p]) *
				     x[p];
			want[j] = -0.5 * s + 2.0 * y[j];
		}
		char line[256];
		snprintf(line, sizeof(line),
			 "gemv a=A+%d x=x y=y m=%d n=%d lda=%d transa=%d "
			 "alpha=-0.5 beta=2",
			 off, m, n, lda, t);
		expect_ok(line);
		for (int j = 0; j < ylen; j++)
			ck_assert_msg(fabs(y[j] - want[j]) < 1e-4 * sqrt(xlen),
				      "%s: y[%d] = %g, want %g", line, j, y[j],
				      want[j]);
	}
	/* scal, nrm2, asum of a vector of several tiles */
	const int len = 1000003;
	float *v = map_new("v", 4 * len), *r = map_new("r", 8);
	double *vd = map_new("vd", 8 * len);
	double ss = 0, sa = 0;
	for (int i = 0; i < len; i++) {
		v[i] = (float)(rnd() * 1e30);
		vd[i] = v[i];
		ss += (double)v[i] / 1e30 * (double)v[i] / 1e30;
		sa += fabs((double)v[i]);
	}
	expect_ok("nrm2 x=v out=r n=1000003");
	ck_assert_msg(fabs(r[0] / 1e30 - sqrt(ss)) < 1e-5 * sqrt(ss), "%g",
		      r[0]);
	expect_ok("asum x=vd out=r n=1000003 dtype=f64");
	ck_assert_msg(fabs(*(double *)r - sa) < 1e-12 * sa, "%g", *(double *)r);
	expect_ok("scal x=v alpha=-0.25 n=1000003");
	for (int i = 0; i < len; i++)
		ck_assert(v[i] == (float)(vd[i] * -0.25));
	expect_error("gemv a=A x=x y=y m=3 n=10 lda=5", "lda=5 is less than");
	expect_error("gemv a=A x=x y=A m=3 n=10", "'y' overlaps 'a'");
	expect_error("scal x=v n=10", "missing argument 'alpha'");
	expect_error("nrm2 x=v out=r n=3 dtype=i32", "not supported");
	expect_error("asum x=r out=r n=3 dtype=f64", "needs 24 (n*8)");
}
END_TEST

/*
 * gemm_batched with a shared B, padded leading dimensions, an offset and
 * gaps between the Cs; then gemm on bf16 inputs made by cast from f32
 * small integers, whose f32 result must be exact.
 */
START_TEST(gemm_batched_and_bf16)
{
	const int m = 37, n = 29, k = 53, batch = 7, lda = 55, ldc = 31;
	const int sa = m * lda, sc = m * ldc + 5, off = 4096;
	char *A = map_new("A", off + (size_t)batch * sa * 4);
	float *a = (float *)(A + off), *b = map_new("B", (size_t)k * n * 4),
	      *c = map_new("C", (size_t)batch * sc * 4);
	float *c0 = malloc((size_t)batch * sc * 4);
	for (int i = 0; i < batch * sa; i++)
		a[i] = (float)rnd();
	for (int i = 0; i < k * n; i++)
		b[i] = (float)rnd();
	for (int i = 0; i < batch * sc; i++)
		c[i] = c0[i] = (float)rnd();
	expect_ok("gemm_batched a=A+4096 b=B c=C m=37 n=29 k=53 batch=7 "
		  "lda=55 ldc=31 stride_b=0 stride_c=1152 alpha=0.5 beta=-1");
	for (int t = 0; t < batch; t++)
		for (int i = 0; i < m; i++)
			for (int j = 0; j < ldc && i * ldc + j < sc; j++) {
				int at = t * sc + i * ldc + j;
				if (j >= n) { /* padding and gaps: untouched */
					ck_assert(c[at] == c0[at]);
					continue;
				}
				double s = 0;
				for (int p = 0; p < k; p++)
					s += (double)a[t * sa + i * lda + p] *
					     b[p * n + j];
				double want = 0.5 * s - c0[at];
				ck_assert_msg(fabs(c[at] - want) < 1e-4,
					      "C%d[%d][%d] = %g, want %g", t, i,
					      j, c[at], want);
			}
	for (int i = batch * sc - 5; i < batch * sc; i++)
		ck_assert(c[i] == c0[i]);
	/* bf16: cast f32 small integers in, multiply, exact f32 out */
	const int bm = 33, bn = 65, bk = 300;
	float *fa = map_new("fa", (size_t)bm * bk * 4),
	      *fb = map_new("fb", (size_t)bk * bn * 4),
	      *fc = map_new("fc", (size_t)bm * bn * 4);
	map_new("ha", (size_t)bm * bk * 2);
	map_new("hb", (size_t)bk * bn * 2);
	for (int i = 0; i < bm * bk; i++)
		fa[i] = (float)(i % 17 - 8);
	for (int i = 0; i < bk * bn; i++)
		fb[i] = (float)(i % 13 - 6);
	expect_ok("cast x=fa out=ha n=9900 from=f32 to=bf16");
	expect_ok("cast x=fb out=hb n=19500 from=f32 to=bf16");
	expect_ok("gemm a=ha b=hb c=fc m=33 n=65 k=300 dtype=bf16 alpha=2");
	for (int i = 0; i < bm; i++)
		for (int j = 0; j < bn; j++) {
			double s = 0;
			for (int p = 0; p < bk; p++)
				s += (double)fa[i * bk + p] * fb[p * bn + j];
			ck_assert_msg(fc[i * bn + j] == 2 * s, "C[%d][%d]", i,
				      j);
		}
	/* and back: bf16 to f32 is exact */
	expect_ok("cast x=ha out=fa n=9900 from=bf16 to=f32");
	for (int i = 0; i < bm * bk; i++)
		ck_assert(fa[i] == (float)(i % 17 - 8));
	expect_error("gemm_batched a=A b=B c=C m=2 n=2 k=2 batch=2 stride_c=3",
		     "C matrices would overlap");
	expect_error("gemm a=ha b=hb c=fc m=33 n=66 k=300 dtype=bf16",
		     "needs 39600 (k*n*2)");
	expect_error("gemv a=ha x=hb y=fc m=1 n=1 dtype=bf16", "not supported");
	free(c0);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    gemm_shapes,	 gemm_options, vector_kernels,
	    elementwise_kernels, blas_kernels, gemm_batched_and_bf16,
	};
	return run_suite(suite_with_daemon("kernels", setup, teardown, 300,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
