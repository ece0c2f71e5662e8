/*
 * The first kernels through the real device, checked against naive
 * references. Inputs go in through client mappings and results are read
 * through the same mappings: the kernels see what clients wrote, and
 * clients see results once the completion has been read.
 */
#include <check.h>
#include <complex.h>
#include <fcntl.h>
#include <float.h>
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
 * In-place DFT of COUNT complex doubles at V with stride STRIDE (in
 * complex elements), sign -1 forward: the direct sum, for references.
 */
static void dft_strided(double complex *v, int count, int stride, int sign)
{
	double complex *t = malloc(sizeof(*t) * (size_t)count);
	for (int k = 0; k < count; k++) {
		t[k] = 0;
		for (int j = 0; j < count; j++)
			t[k] += v[j * stride] *
				cexp(sign * 2 * M_PI * I *
				     (double)(j * k % count) / count);
	}
	for (int k = 0; k < count; k++)
		v[k * stride] = t[k];
	free(t);
}

/*
 * fft through the device: a batch of odd 2-D transforms out of place from
 * an offset, against row-then-column DFTs in double; then the inverse in
 * place with norm=n gives the input back.
 */
START_TEST(fft_kernel)
{
	enum { ROWS = 5, N = 33, BATCH = 3, ITEM = ROWS * N };
	float complex *x = map_new("x", 8 + BATCH * ITEM * 8),
		      *y = map_new("y", BATCH * ITEM * 8);
	float complex *xs = x + 1; /* 8 bytes in: not 16-byte aligned */
	double complex *ref = malloc(sizeof(*ref) * BATCH * ITEM);
	for (int i = 0; i < BATCH * ITEM; i++) {
		xs[i] = (float)rnd() + I * (float)rnd();
		ref[i] = xs[i];
	}
	for (int b = 0; b < BATCH; b++) {
		for (int r = 0; r < ROWS; r++)
			dft_strided(ref + b * ITEM + r * N, N, 1, -1);
		for (int k = 0; k < N; k++)
			dft_strided(ref + b * ITEM + k, ROWS, N, -1);
	}
	expect_ok("fft x=x+8 out=y n=33 rows=5 batch=3");
	for (int i = 0; i < BATCH * ITEM; i++)
		ck_assert_msg(cabs(y[i] - ref[i]) < 1e-4 * sqrt(ITEM),
			      "y[%d] = %g%+gi, want %g%+gi", i, crealf(y[i]),
			      cimagf(y[i]), creal(ref[i]), cimag(ref[i]));
	expect_ok("fft x=y out=y n=33 rows=5 batch=3 inverse=1 norm=n");
	for (int i = 0; i < BATCH * ITEM; i++)
		ck_assert_msg(cabsf(y[i] - xs[i]) < 1e-5, "round trip [%d]", i);
	expect_error("fft x=x out=x+8 n=33", "overlaps");
	expect_error("fft x=x out=y n=33 norm=backward", "not one of");
	free(ref);
}
END_TEST

/* Within TOL of WANT relative to its size; NaN only for NaN. */
static bool near(double got, double want, double tol)
{
	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	return fabs(got - want) <= tol * (1 + fabs(want));
}

/*
 * The matrix kernels through the device, each once on a 333 x 1001 matrix
 * (no tile size divides it), against plain references, and one bad line
 * each.
 */
START_TEST(matrix_kernels)
{
	enum { R = 333, C = 1001, N = R * C };
	float *a = map_new("a", N * 4), *o = map_new("o", N * 4);
	float *o2 = map_new("o2", N * 4);
	float *g = map_new("g", C * 4), *b = map_new("b", C * 4);
	int32_t *ai = map_new("ai", N * 4), *idx = map_new("idx", C * 4);
	double *od = map_new("od", C * 8);
	map_new("small", 8);
	for (int i = 0; i < N; i++)
		a[i] = (float)rnd(), ai[i] = (int32_t)(rnd() * 2e9);
	for (int j = 0; j < C; j++)
		g[j] = (float)rnd(), b[j] = (float)rnd();
#define A(i, j) ((double)a[(i)*C + (j)])
	/* sum of each row, exact but for the last rounding */
	expect_ok("sum x=a out=o rows=333 cols=1001 axis=1");
	for (int i = 0; i < R; i++) {
		double s = 0;
		for (int j = 0; j < C; j++)
			s += A(i, j);
		ck_assert_msg(near(o[i], s, FLT_EPSILON), "sum %d", i);
	}
	/* i32 column means are f64 */
	expect_ok("mean x=ai out=od rows=333 cols=1001 axis=0 dtype=i32");
	for (int j = 0; j < C; j++) {
		int64_t s = 0;
		for (int i = 0; i < R; i++)
			s += ai[i * C + j];
		ck_assert_msg(od[j] == (double)s / R, "mean %d", j);
	}
	expect_ok("amax x=a out=o rows=333 cols=1001 axis=1");
	expect_ok("amin x=a out=o+1332 rows=333 cols=1001 axis=0");
	for (int i = 0; i < R; i++) {
		double m = A(i, 0);
		for (int j = 1; j < C; j++)
			m = A(i, j) > m ? A(i, j) : m;
		ck_assert(o[i] == m);
	}
	for (int j = 0; j < C; j++) {
		double m = A(0, j);
		for (int i = 1; i < R; i++)
			m = A(i, j) < m ? A(i, j) : m;
		ck_assert(o[R + j] == m);
	}
	/* indices of the first largest (smallest) */
	expect_ok("argmax x=a out=idx rows=333 cols=1001 axis=1");
	for (int i = 0; i < R; i++) {
		int at = 0;
		for (int j = 1; j < C; j++)
			at = A(i, j) > A(i, at) ? j : at;
		ck_assert_int_eq(idx[i], at);
	}
	expect_ok("argmin x=a out=idx rows=333 cols=1001 axis=0");
	for (int j = 0; j < C; j++) {
		int at = 0;
		for (int i = 1; i < R; i++)
			at = A(i, j) < A(at, j) ? i : at;
		ck_assert_int_eq(idx[j], at);
	}
	/* softmax of each row in place on a copy, log_softmax */
	memcpy(o, a, N * 4);
	expect_ok("softmax x=o out=o rows=333 cols=1001");
	expect_ok("log_softmax x=a out=o2 rows=333 cols=1001");
	for (int i = 0; i < R; i++) {
		double m = -INFINITY, s = 0;
		for (int j = 0; j < C; j++)
			m = A(i, j) > m ? A(i, j) : m;
		for (int j = 0; j < C; j++)
			s += exp(A(i, j) - m);
		for (int j = 0; j < C; j++) {
			ck_assert_msg(near(o[i * C + j], exp(A(i, j) - m) / s,
					   2 * FLT_EPSILON),
				      "softmax %d %d", i, j);
			ck_assert_msg(near(o2[i * C + j], A(i, j) - m - log(s),
					   2 * FLT_EPSILON),
				      "log_softmax %d %d", i, j);
		}
	}
	expect_ok("layernorm x=a out=o gamma=g beta=b rows=333 cols=1001");
	for (int i = 0; i < R; i++) {
		double m = 0, v = 0;
		for (int j = 0; j < C; j++)
			m += A(i, j) / C;
		for (int j = 0; j < C; j++)
			v += (A(i, j) - m) * (A(i, j) - m) / C;
		for (int j = 0; j < C; j++) {
			double want =
			    (A(i, j) - m) / sqrt(v + 1e-5) * g[j] + b[j];
			ck_assert_msg(near(o[i * C + j], want, 1e-5),
				      "layernorm %d %d", i, j);
		}
	}
	expect_ok("transpose x=a out=o rows=333 cols=1001");
	for (int i = 0; i < R; i++)
		for (int j = 0; j < C; j++)
			ck_assert(o[j * R + i] == a[i * C + j]);
#undef A
	expect_error("sum x=a out=o rows=333 cols=1001",
		     "missing argument 'axis'");
	expect_error("mean x=a out=a rows=333 cols=1001 axis=0", "overlaps");
	expect_error("amax x=a out=o rows=333 cols=0 axis=1", "has no maximum");
	expect_error("amin x=a out=o rows=3 cols=3 axis=0 dtype=u8",
		     "not supported");
	expect_error("argmax x=a out=small rows=333 cols=1001 axis=1",
		     "holds 8 bytes, needs 1332 (rows*4)");
	expect_error("argmin x=a out=o rows=3 cols=3 axis=3", "out of range");
	expect_error("softmax x=ai out=ai rows=3 cols=3 dtype=i32",
		     "not supported");
	expect_error("log_softmax x=a out=a+4 rows=3 cols=3", "overlaps");
	expect_error("layernorm x=a out=o rows=3 cols=3 eps=-1", "negative");
	expect_error("transpose x=a out=a rows=333 cols=1001", "overlaps");
}
END_TEST

/* Element (y, x) of a plane of H x W (stride W), 0 outside. */
static double at0(const float *plane, int h, int w, int y, int x)
{
	return y < 0 || x < 0 || y >= h || x >= w ? 0 : plane[y * w + x];
}

/*
 * conv2d with groups, stride, padding and bias, and both poolings,
 * through the device on odd shapes, against direct loops.
 */
START_TEST(conv_kernels)
{
	enum { N = 2, C = 6, H = 13, W = 11, K = 4, G = 2, P = 7, Q = 7 };
	enum { MP = 7, MQ = 6, PP = 5, PQ = 4 }; /* pools' outputs */
	float *x = map_new("x", N * C * H * W * 4),
	      *wt = map_new("wt", K * (C / G) * 9 * 4),
	      *b = map_new("b", K * 4), *o = map_new("o", N * K * P * Q * 4),
	      *mp = map_new("mp", N * C * MP * MQ * 4),
	      *ap = map_new("ap", N * C * PP * PQ * 4);
	for (int i = 0; i < N * C * H * W; i++)
		x[i] = (float)rnd();
	for (int i = 0; i < K * (C / G) * 9; i++)
		wt[i] = (float)rnd();
	for (int i = 0; i < K; i++)
		b[i] = (float)rnd();
	expect_ok("conv2d x=x weight=wt bias=b out=o n=2 c=6 h=13 w=11 k=4 "
		  "kh=3 kw=3 stride_h=2 stride_w=2 pad_h=1 pad_w=2 groups=2");
	for (int n = 0; n < N; n++)
		for (int k = 0; k < K; k++)
			for (int i = 0; i < P * Q; i++) {
				int p = i / Q, q = i % Q, g = k / (K / G);
				double want = b[k];
				for (int ci = 0; ci < C / G; ci++)
					for (int t = 0; t < 9; t++)
						want +=
						    wt[(k * (C / G) + ci) * 9 +
						       t] *
						    at0(x + (n * C +
							     g * (C / G) + ci) *
								H * W,
							H, W, 2 * p - 1 + t / 3,
							2 * q - 2 + t % 3);
				float got = o[(n * K + k) * P * Q + i];
				ck_assert_msg(fabs(got - want) < 1e-5,
					      "conv2d out[%d][%d][%d] = %g, "
					      "want %g",
					      n, k, i, got, want);
			}
	expect_ok("maxpool2d x=x out=mp n=2 c=6 h=13 w=11 kh=3 kw=3 "
		  "stride_h=2 stride_w=2 pad_h=1 pad_w=1");
	expect_ok("avgpool2d x=x out=ap n=2 c=6 h=13 w=11 kh=3 kw=4 "
		  "stride_h=3 stride_w=3 pad_h=1 pad_w=2 "
		  "count_include_pad=0");
	for (int pl = 0; pl < N * C; pl++) {
		const float *in = x + pl * H * W;
		for (int i = 0; i < MP * MQ; i++) {
			double m = -INFINITY;
			for (int t = 0; t < 9; t++) {
				int y = 2 * (i / MQ) - 1 + t / 3,
				    xx = 2 * (i % MQ) - 1 + t % 3;
				if (y >= 0 && xx >= 0 && y < H && xx < W)
					m = fmax(m, in[y * W + xx]);
			}
			ck_assert(mp[pl * MP * MQ + i] == (float)m);
		}
		for (int i = 0; i < PP * PQ; i++) {
			double sum = 0;
			int cnt = 0;
			for (int t = 0; t < 12; t++) {
				int y = 3 * (i / PQ) - 1 + t / 4,
				    xx = 3 * (i % PQ) - 2 + t % 4;
				if (y >= 0 && xx >= 0 && y < H && xx < W)
					sum += in[y * W + xx], cnt++;
			}
			ck_assert_msg(fabs(ap[pl * PP * PQ + i] - sum / cnt) <
					  1e-6,
				      "avgpool2d plane %d out[%d]", pl, i);
		}
	}
	expect_error("conv2d x=x weight=wt out=o n=2 c=6 h=13 w=11 k=4 kh=3 "
		     "kw=3 groups=4",
		     "conv2d: groups=4 does not divide c=6");
	expect_error("maxpool2d x=x out=mp n=2 c=6 h=13 w=11 kh=3 kw=3 "
		     "pad_h=2",
		     "maxpool2d: pad_h=2 is more than half of kh=3");
	expect_error("avgpool2d x=x out=ap n=2 c=6 h=13 w=11 kh=3 kw=3 "
		     "stride_h=1",
		     "avgpool2d: buffer 'out' holds 960 bytes, needs 1584");
}
END_TEST

/* A pixel of an H x W x C u8 image, edges replicated. */
static double pix(const uint8_t *im, int h, int w, int c, int y, int x, int ch)
{
	y = y < 0 ? 0 : y >= h ? h - 1 : y;
	x = x < 0 ? 0 : x >= w ? w - 1 : x;
	return im[(y * w + x) * c + ch];
}

/* The image filters through the device on an odd RGB image. */
START_TEST(image_kernels)
{
	enum { H = 37, W = 53, C = 3, OH = 40, OW = 9 };
	uint8_t *img = map_new("img", H * W * C),
		*blur = map_new("blur", H * W * C),
		*edge = map_new("edge", H * W * C),
		*small = map_new("small", OH * OW * C);
	for (int i = 0; i < H * W * C; i++)
		img[i] = (uint8_t)(rnd() * 127 + 128);
	expect_ok("gaussian_blur x=img out=blur h=37 w=53 c=3 sigma=0.9 "
		  "dtype=u8");
	expect_ok("sobel x=img out=edge h=37 w=53 c=3 dtype=u8");
	expect_ok("resize x=img out=small h=37 w=53 c=3 out_h=40 out_w=9 "
		  "dtype=u8");
	double wts[7], norm = 0; /* sigma 0.9: radius 3 */
	for (int i = 0; i < 7; i++)
		norm += wts[i] = exp(-(i - 3) * (i - 3) / (2 * 0.81));
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			for (int ch = 0; ch < C; ch++) {
				double bl = 0, gx = 0, gy = 0;
				for (int i = 0; i < 49; i++)
					bl += wts[i / 7] * wts[i % 7] *
					      pix(img, H, W, C, y + i / 7 - 3,
						  x + i % 7 - 3, ch);
				for (int d = -1; d <= 1; d++) {
					int k = d ? 1 : 2;
					gx += k * (pix(img, H, W, C, y + d,
						       x + 1, ch) -
						   pix(img, H, W, C, y + d,
						       x - 1, ch));
					gy += k * (pix(img, H, W, C, y + 1,
						       x + d, ch) -
						   pix(img, H, W, C, y - 1,
						       x + d, ch));
				}
				int at = (y * W + x) * C + ch;
				ck_assert_msg(
				    fabs(blur[at] - bl / (norm * norm)) <= 0.51,
				    "blur[%d] = %d, want %g", at, blur[at],
				    bl / (norm * norm));
				double mag = fmin(255, sqrt(gx * gx + gy * gy));
				ck_assert_msg(fabs(edge[at] - mag) <= 0.5,
					      "sobel[%d] = %d, want %g", at,
					      edge[at], mag);
			}
	for (int y = 0; y < OH; y++)
		for (int x = 0; x < OW; x++) {
			/* OpenCV's INTER_LINEAR source position,
			 * clamped */
			double sy = fmax(0, (y + 0.5) * H / OH - 0.5),
			       sx = fmax(0, (x + 0.5) * W / OW - 0.5);
			int y0 = (int)sy, x0 = (int)sx;
			double fy = sy - y0, fx = sx - x0;
			for (int ch = 0; ch < C; ch++) {
				double want =
				    (1 - fy) * ((1 - fx) * pix(img, H, W, C, y0,
							       x0, ch) +
						fx * pix(img, H, W, C, y0,
							 x0 + 1, ch)) +
				    fy * ((1 - fx) * pix(img, H, W, C, y0 + 1,
							 x0, ch) +
					  fx * pix(img, H, W, C, y0 + 1, x0 + 1,
						   ch));
				int at = (y * OW + x) * C + ch;
				ck_assert_msg(fabs(small[at] - want) <= 0.51,
					      "resize[%d] = %d, want %g", at,
					      small[at], want);
			}
		}
	expect_error("gaussian_blur x=img out=blur h=37 w=53 c=3 sigma=0 "
		     "dtype=u8",
		     "ERANGE: gaussian_blur: sigma=0 is out of range");
	expect_error("sobel x=img out=edge h=37 w=53 c=5 dtype=u8",
		     "ERANGE: sobel: c=5 is out of range [1, 4]");
	expect_error("resize x=img out=small h=37 w=53 c=3 out_h=40 out_w=9",
		     "resize: buffer 'x' holds 5883 bytes, needs 23532 "
		     "(h*w*c*4)");
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
	    gemm_shapes,	   gemm_options,  vector_kernels,
	    elementwise_kernels,   fft_kernel,	  matrix_kernels,
	    conv_kernels,	   image_kernels, blas_kernels,
	    gemm_batched_and_bf16,
	};
	return run_suite(suite_with_daemon("kernels", setup, teardown, 300,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
