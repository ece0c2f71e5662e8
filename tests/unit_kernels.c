/*
 * kernels: every kernel against a naive reference, run three ways (the
 * serial runner, tiles in reverse order, tiles on several threads at once)
 * so that a tile depending on another's work or order shows up. Operands
 * sit inside larger arrays whose other bytes must come out unchanged.
 */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "kernel_check.h"

/* The first kernels take f32 (0) and f64 (1): dtypes 0 to FLOAT_DTYPES-1. */
#define FLOAT_DTYPES (VGPU_F64 + 1)

/* Registry and nop */

START_TEST(registry)
{
	for (unsigned id = 0; id < VGPU_K_COUNT; id++) {
		const struct vgpu_kernel_impl *k = vgpu_kernel_impl(id);
		const struct vgpu_kernel_spec *spec = vgpu_catalog_by_id(id);
		if (spec->control || spec->program) { /* the daemon's own */
			ck_assert_msg(k == NULL, "a kernel for control %u", id);
			continue;
		}
		ck_assert_msg(k != NULL, "no kernel for id %u", id);
		ck_assert_uint_eq(k->id, id);
		ck_assert_ptr_nonnull(k->plan);
		ck_assert_ptr_nonnull(k->run_tile);
	}
	ck_assert_ptr_null(vgpu_kernel_impl(VGPU_K_COUNT));
	ck_assert_ptr_null(vgpu_kernel_impl(1000));
	ck_assert_ptr_null(vgpu_kernel_impl(~0u));

	struct vgpu_cmd c = mkcmd(VGPU_K_NOP);
	void *ptr[VGPU_MAX_ARGS] = {0};
	ck_assert_uint_eq(ntiles_for(&c, ptr, 8), 1);
	for (int mode = 0; mode < RUN_MODES; mode++)
		run_ok(&c, ptr, mode);
}
END_TEST

/* fill */

static void check_fill(int dt, size_t n, double v, enum mode mode)
{
	struct arr x;
	arr_init(&x, dt, 1 + n % 5, n, 1.0);
	arr_snap(&x);
	struct vgpu_cmd c = mkcmd(VGPU_K_FILL);
	c.val[FILL_N].i = (int64_t)n;
	c.val[FILL_VALUE].f = v;
	c.val[FILL_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {[FILL_BUF] = x.p};
	run_ok(&c, ptr, mode);
	double want = dt == VGPU_F32 ? (double)(float)v : v;
	for (size_t i = 0; i < n; i++)
		EXPECT(get(x.p, dt, i) == want,
		       "fill %s n=%zu (%s): x[%zu] = %g, want %g", dtname(dt),
		       n, mode_name[mode], i, get(x.p, dt, i), want);
	for (size_t j = 0; j < x.total; j++)
		if (j < arr_index(&x, 0) || j >= arr_index(&x, n))
			EXPECT(arr_elem_same(&x, j),
			       "fill %s n=%zu: wrote element %zu "
			       "outside the range",
			       dtname(dt), n, j);
	arr_free(&x);
}

START_TEST(fill)
{
	static const size_t ns[] = {0, 1, 7, 1000, 1024 * 1024 + 3};
	for (int dt = 0; dt < FLOAT_DTYPES; dt++)
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			for (int mode = 0; mode < RUN_MODES; mode++)
				check_fill(dt, ns[i], i % 2 ? 0.1 : -3.25e7,
					   mode);
}
END_TEST

/* copy */

static void check_copy_disjoint(size_t bytes, enum mode mode)
{
	struct arr s, d;
	/* f64 arrays used as bytes; odd byte offsets below */
	arr_init(&s, VGPU_F64, 0, bytes / 8 + 2, 1.0);
	arr_init(&d, VGPU_F64, 0, bytes / 8 + 2, 1.0);
	arr_snap(&s);
	arr_snap(&d);
	char *src = (char *)s.base + 8 + 3, *dst = (char *)d.base + 8 + 5;
	struct vgpu_cmd c = mkcmd(VGPU_K_COPY);
	c.val[COPY_BYTES].i = (int64_t)bytes;
	void *ptr[VGPU_MAX_ARGS] = {[COPY_SRC] = src, [COPY_DST] = dst};
	run_ok(&c, ptr, mode);
	ck_assert(memcmp(s.base, s.snap, s.total * 8) == 0);
	ck_assert_msg(memcmp(dst, src, bytes) == 0, "copy of %zu bytes (%s)",
		      bytes, mode_name[mode]);
	size_t before = (size_t)(dst - (char *)d.base);
	ck_assert(memcmp(d.base, d.snap, before) == 0);
	ck_assert(memcmp(dst + bytes, (char *)d.snap + before + bytes,
			 d.total * 8 - before - bytes) == 0);
	arr_free(&s);
	arr_free(&d);
}

/* Copies within one buffer, DIST bytes forward (dst after src) or back. */
static void check_copy_overlap(size_t size, size_t dist, bool forward,
			       enum mode mode)
{
	unsigned char *buf = malloc(size), *want = malloc(size);
	ck_assert(buf && want);
	for (size_t i = 0; i < size; i++)
		buf[i] = want[i] = (unsigned char)rnd();
	size_t bytes = size - dist - 3;
	unsigned char *src = buf + 1 + (forward ? 0 : dist);
	unsigned char *dst = buf + 1 + (forward ? dist : 0);
	memmove(want + (dst - buf), want + (src - buf), bytes);
	struct vgpu_cmd c = mkcmd(VGPU_K_COPY);
	c.val[COPY_BYTES].i = (int64_t)bytes;
	void *ptr[VGPU_MAX_ARGS] = {[COPY_SRC] = src, [COPY_DST] = dst};
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	run_ok(&c, ptr, mode);
	ck_assert_msg(memcmp(buf, want, size) == 0,
		      "overlapping copy, %zu bytes %s by %zu (%s): not like "
		      "memmove",
		      bytes, forward ? "forward" : "back", dist,
		      mode_name[mode]);
	free(buf);
	free(want);
}

START_TEST(copy)
{
	static const size_t sizes[] = {0, 1, 4095, 4097, 3 * 1024 * 1024 + 5};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int mode = 0; mode < RUN_MODES; mode++)
			check_copy_disjoint(sizes[i], mode);

	static const size_t dists[] = {1, 7, 4096, 1024 * 1024 + 3};
	for (size_t i = 0; i < sizeof(dists) / sizeof(dists[0]); i++)
		for (int fwd = 0; fwd < 2; fwd++)
			for (int mode = 0; mode < RUN_MODES; mode++)
				check_copy_overlap(3 * 1024 * 1024 + 100,
						   dists[i], fwd, mode);

	/* Onto itself: nothing changes. */
	unsigned char buf[64], old[64];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = old[i] = (unsigned char)i;
	struct vgpu_cmd c = mkcmd(VGPU_K_COPY);
	c.val[COPY_BYTES].i = 60;
	void *ptr[VGPU_MAX_ARGS] = {[COPY_SRC] = buf + 2, [COPY_DST] = buf + 2};
	run_ok(&c, ptr, RUN_THREADS);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

/* axpy */

static void check_axpy(int dt, size_t n, double alpha, bool same,
		       enum mode mode)
{
	struct arr x, y;
	arr_init(&x, dt, 2, n, 1.0);
	arr_init(&y, dt, 3 + n % 4, n, 1.0);
	arr_snap(&x);
	arr_snap(&y);
	struct vgpu_cmd c = mkcmd(VGPU_K_AXPY);
	c.val[AXPY_N].i = (int64_t)n;
	c.val[AXPY_ALPHA].f = alpha;
	c.val[AXPY_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {
	    [AXPY_X] = same ? y.p : x.p, [AXPY_Y] = y.p};
	run_ok(&c, ptr, mode);
	double a = dt == VGPU_F32 ? (double)(float)alpha : alpha;
	for (size_t i = 0; i < n; i++) {
		double xi = same ? arr_old(&y, i) : arr_old(&x, i);
		double yi = arr_old(&y, i);
		double want = a * xi + yi;
		double tol = 2 * eps(dt) * (fabs(a * xi) + fabs(yi));
		EXPECT(fabs(get(y.p, dt, i) - want) <= tol,
		       "axpy %s n=%zu alpha=%g%s (%s): y[%zu] = %.17g, "
		       "want %.17g",
		       dtname(dt), n, alpha, same ? " x=y" : "",
		       mode_name[mode], i, get(y.p, dt, i), want);
	}
	ck_assert(memcmp(x.base, x.snap, x.total * esz(dt)) == 0);
	for (size_t j = 0; j < y.total; j++)
		if (j < arr_index(&y, 0) || j >= arr_index(&y, n))
			EXPECT(arr_elem_same(&y, j),
			       "axpy wrote y outside the range");
	arr_free(&x);
	arr_free(&y);
}

START_TEST(axpy)
{
	static const size_t ns[] = {0, 1, 7, 1000, 300007};
	static const double alphas[] = {2.5, -1.0, 0.0};
	for (int dt = 0; dt < FLOAT_DTYPES; dt++)
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				check_axpy(dt, ns[i], alphas[i % 3], false,
					   mode);
				check_axpy(dt, ns[i], alphas[(i + 1) % 3], true,
					   mode);
			}
}
END_TEST

/*
 * alpha = 0 leaves y as it is, bit for bit, without reading x (BLAS's rule,
 * documented): NaN and inf in x do not reach y. -0, and an alpha that
 * rounds to 0 in f32, count as 0; a tiny alpha that does not is an ordinary
 * product (NaN comes through).
 */
static void check_axpy_alpha_zero(int dt, double alpha, enum mode mode)
{
	const size_t n = 300007; /* several tiles */
	struct arr x, y;
	arr_init(&x, dt, 2, n, 1.0);
	arr_init(&y, dt, 3, n, 1.0);
	static const double specials[] = {NAN, INFINITY, -INFINITY};
	for (size_t i = 0; i < n; i += 3)
		put(x.p, dt, i, specials[i / 3 % 3]);
	sprinkle_specials(&y, n);
	arr_snap(&y);
	struct vgpu_cmd c = mkcmd(VGPU_K_AXPY);
	c.val[AXPY_N].i = (int64_t)n;
	c.val[AXPY_ALPHA].f = alpha;
	c.val[AXPY_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {[AXPY_X] = x.p, [AXPY_Y] = y.p};
	run_ok(&c, ptr, mode);
	if (alpha == 0 || dt == VGPU_F32)
		EXPECT(arr_same(&y), "axpy %s alpha=%g (%s): y changed",
		       dtname(dt), alpha, mode_name[mode]);
	else
		EXPECT(isnan(get(y.p, dt, 0)),
		       "axpy %s alpha=%g (%s): y[0] = %g, want NaN", dtname(dt),
		       alpha, mode_name[mode], get(y.p, dt, 0));
	arr_free(&x);
	arr_free(&y);
}

START_TEST(axpy_alpha_zero)
{
	static const double zeros[] = {0.0, -0.0, 1e-50};
	for (int dt = 0; dt < FLOAT_DTYPES; dt++)
		for (size_t z = 0; z < COUNT(zeros); z++)
			for (int mode = 0; mode < RUN_MODES; mode++)
				check_axpy_alpha_zero(dt, zeros[z], mode);
}
END_TEST

/* dot */

static void check_dot(int dt, size_t n, bool out_is_x, enum mode mode)
{
	struct arr x, y, out;
	arr_init(&x, dt, 1, n + 1, 1.0);
	arr_init(&y, dt, 4, n, 1.0);
	arr_init(&out, dt, 3, 1, 1.0);
	put(out.p, dt, 0, NAN);
	arr_snap(&x);
	arr_snap(&y);
	arr_snap(&out);
	double want = 0, mag = 0;
	for (size_t i = 0; i < n; i++) {
		want += arr_old(&x, i) * arr_old(&y, i);
		mag += fabs(arr_old(&x, i) * arr_old(&y, i));
	}
	struct vgpu_cmd c = mkcmd(VGPU_K_DOT);
	c.val[DOT_N].i = (int64_t)n;
	c.val[DOT_DTYPE].i = dt;
	/* out may be x itself: it is written after all of x was read. */
	void *o = out_is_x ? x.p : out.p;
	void *ptr[VGPU_MAX_ARGS] = {
	    [DOT_X] = x.p, [DOT_Y] = y.p, [DOT_OUT] = o};
	run_ok(&c, ptr, mode);
	double got = get(o, dt, 0);
	double tol = dt == VGPU_F32 ? FLT_EPSILON * fabs(want) + 1e-12 * mag
				    : (double)(n + 1) * DBL_EPSILON * mag;
	ck_assert_msg(fabs(got - want) <= tol,
		      "dot %s n=%zu (%s): %.17g, want %.17g", dtname(dt), n,
		      mode_name[mode], got, want);
	ck_assert(memcmp(y.base, y.snap, y.total * esz(dt)) == 0);
	struct arr *untouched = out_is_x ? &out : &x;
	ck_assert(memcmp(untouched->base, untouched->snap,
			 untouched->total * esz(dt)) == 0);
	struct arr *written = out_is_x ? &x : &out;
	for (size_t j = 0; j < written->total; j++)
		if (j != arr_index(written, 0))
			EXPECT(arr_elem_same(written, j),
			       "dot wrote element %zu", j);
	arr_free(&x);
	arr_free(&y);
	arr_free(&out);
}

START_TEST(dot)
{
	static const size_t ns[] = {0, 1, 7, 1000, 1024 * 1024 + 7};
	for (int dt = 0; dt < FLOAT_DTYPES; dt++)
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			for (int mode = 0; mode < RUN_MODES; mode++)
				check_dot(dt, ns[i], i % 2, mode);
}
END_TEST

/*
 * f32 sums go in double: with 2^24 first, each later 1 would vanish in a
 * float sum (and a float sum per tile would lose them too).
 */
START_TEST(dot_accumulates_in_double)
{
	size_t n = 1024 * 1024 + 7;
	float *x = malloc(n * 4), *y = malloc(n * 4), out;
	ck_assert(x && y);
	for (size_t i = 0; i < n; i++)
		x[i] = y[i] = 1;
	x[0] = 16777216.0f;
	struct vgpu_cmd c = mkcmd(VGPU_K_DOT);
	c.val[DOT_N].i = (int64_t)n;
	void *ptr[VGPU_MAX_ARGS] = {[DOT_X] = x, [DOT_Y] = y, [DOT_OUT] = &out};
	ck_assert_uint_gt(ntiles_for(&c, ptr, 4), 1);
	for (int mode = 0; mode < RUN_MODES; mode++) {
		out = NAN;
		run_ok(&c, ptr, mode);
		ck_assert_float_eq(out, (float)(16777216.0 + (double)(n - 1)));
	}
	free(x);
	free(y);
}
END_TEST

/* gemm */

struct gemm_case {
	int dt;
	size_t m, n, k;
	int ta, tb;
	double alpha, beta;
	size_t pada, padb, padc; /* ld beyond packed; 0: ld left at default */
	bool nan_c;		 /* C's elements NaN (with beta = 0) */
	unsigned workers;	 /* for RUN_SERIAL's plan; 0: the default */
};

struct mat {
	struct arr a;
	size_t rows, cols, ld;
};

static void mat_init(struct mat *m, int dt, size_t rows, size_t cols,
		     size_t pad)
{
	m->rows = rows;
	m->cols = cols;
	m->ld = (cols ? cols : 1) + pad;
	/* the last row needs only COLS elements, but keep it whole */
	arr_init(&m->a, dt, irand(0, 5), rows * m->ld, 1.0);
}

static int64_t ld_arg(const struct mat *m, size_t pad)
{
	return pad ? (int64_t)m->ld : 0;
}

static void check_gemm(const struct gemm_case *g, enum mode mode)
{
	int dt = g->dt;
	struct mat a, b, cm;
	mat_init(&a, dt, g->ta ? g->k : g->m, g->ta ? g->m : g->k, g->pada);
	mat_init(&b, dt, g->tb ? g->n : g->k, g->tb ? g->k : g->n, g->padb);
	mat_init(&cm, dt, g->m, g->n, g->padc);
	if (g->nan_c)
		for (size_t i = 0; i < g->m; i++)
			for (size_t j = 0; j < g->n; j++)
				put(cm.a.p, dt, i * cm.ld + j, NAN);
	arr_snap(&a.a);
	arr_snap(&b.a);
	arr_snap(&cm.a);

	struct vgpu_cmd c = mkcmd(VGPU_K_GEMM);
	c.val[GEMM_M].i = (int64_t)g->m;
	c.val[GEMM_N].i = (int64_t)g->n;
	c.val[GEMM_K].i = (int64_t)g->k;
	c.val[GEMM_DTYPE].i = dt;
	c.val[GEMM_TRANSA].i = g->ta;
	c.val[GEMM_TRANSB].i = g->tb;
	c.val[GEMM_ALPHA].f = g->alpha;
	c.val[GEMM_BETA].f = g->beta;
	c.val[GEMM_LDA].i = ld_arg(&a, g->pada);
	c.val[GEMM_LDB].i = ld_arg(&b, g->padb);
	c.val[GEMM_LDC].i = ld_arg(&cm, g->padc);
	void *ptr[VGPU_MAX_ARGS] = {
	    [GEMM_A] = a.a.p, [GEMM_B] = b.a.p, [GEMM_C] = cm.a.p};
	int rc;
	if (mode == RUN_SERIAL && g->workers) {
		struct vgpu_launch l = {.cmd = &c};
		memcpy(l.ptr, ptr, sizeof(l.ptr));
		rc = vgpu_kernel_run_serial(&l, g->workers);
	} else {
		rc = run(&c, ptr, mode);
	}
	ck_assert_int_eq(rc, 0);

	double alpha = g->alpha, beta = g->beta;
	if (dt == VGPU_F32) {
		alpha = (float)alpha;
		beta = (float)beta;
	}
	double tol = 2 * (double)(g->k + 3) * eps(dt);
	for (size_t i = 0; i < g->m; i++)
		for (size_t j = 0; j < g->n; j++) {
			double s = 0, mag = 0;
			for (size_t l = 0; l < g->k; l++) {
				double av = arr_old(&a.a, g->ta ? l * a.ld + i
								: i * a.ld + l);
				double bv = arr_old(&b.a, g->tb ? j * b.ld + l
								: l * b.ld + j);
				s += av * bv;
				mag += fabs(av * bv);
			}
			double want = alpha * s, bound = fabs(alpha) * mag;
			if (beta != 0) {
				double c0 = arr_old(&cm.a, i * cm.ld + j);
				want += beta * c0;
				bound += fabs(beta * c0);
			}
			double got = get(cm.a.p, dt, i * cm.ld + j);
			EXPECT(fabs(got - want) <= tol * bound + 1e-300,
			       "gemm %s m=%zu n=%zu k=%zu transa=%d transb=%d "
			       "alpha=%g beta=%g pads=%zu,%zu,%zu (%s): "
			       "C[%zu][%zu] = %.17g, want %.17g",
			       dtname(dt), g->m, g->n, g->k, g->ta, g->tb,
			       g->alpha, g->beta, g->pada, g->padb, g->padc,
			       mode_name[mode], i, j, got, want);
		}
	/* A and B are only read; C changes only in its m x n elements. */
	ck_assert(memcmp(a.a.base, a.a.snap, a.a.total * esz(dt)) == 0);
	ck_assert(memcmp(b.a.base, b.a.snap, b.a.total * esz(dt)) == 0);
	size_t c0 = arr_index(&cm.a, 0);
	for (size_t j = 0; j < cm.a.total; j++) {
		bool inside = j >= c0 && (j - c0) / cm.ld < g->m &&
			      (j - c0) % cm.ld < g->n;
		if (!inside)
			EXPECT(arr_elem_same(&cm.a, j),
			       "gemm m=%zu n=%zu ldc pad %zu: wrote C "
			       "element %zu outside the matrix",
			       g->m, g->n, g->padc, j);
	}
	arr_free(&a.a);
	arr_free(&b.a);
	arr_free(&cm.a);
}

static const double alpha_beta[][2] = {
    {1.0, 0.0}, {-0.5, 2.0}, {2.5, 1.0}, {1.5, -0.75}};

START_TEST(gemm_shapes)
{
	static const size_t mnk[][3] = {
	    {1, 1, 1},	     {1, 7, 33},     {7, 1, 130},   {33, 130, 1},
	    {130, 257, 7},   {257, 33, 130}, {7, 7, 7},	    {64, 64, 64},
	    {130, 130, 130}, {257, 257, 33}, {1, 257, 257}, {257, 1, 130},
	};
	int dt = _i;
	for (size_t s = 0; s < sizeof(mnk) / sizeof(mnk[0]); s++)
		for (int t = 0; t < 4; t++) {
			const double *ab = alpha_beta[(s + t) % 4];
			struct gemm_case g = {
			    .dt = dt,
			    .m = mnk[s][0],
			    .n = mnk[s][1],
			    .k = mnk[s][2],
			    .ta = t & 1,
			    .tb = t >> 1,
			    .alpha = ab[0],
			    .beta = ab[1],
			    .nan_c = ab[1] == 0,
			};
			for (int mode = 0; mode < RUN_MODES; mode++)
				check_gemm(&g, mode);
		}
}
END_TEST

/*
 * Several tiles, so sub-block offsets into transposed operands with padded
 * leading dimensions are exercised, inside larger arrays.
 */
START_TEST(gemm_ld_and_tiles)
{
	int dt = _i;
	for (int t = 0; t < 4; t++) {
		struct gemm_case g = {
		    .dt = dt,
		    .m = 300,
		    .n = 290,
		    .k = 200,
		    .ta = t & 1,
		    .tb = t >> 1,
		    .alpha = -1.25,
		    .beta = t == 3 ? 0.0 : 0.5,
		    .nan_c = t == 3,
		    .pada = 3,
		    .padb = 17,
		    .padc = 5,
		};
		struct vgpu_cmd c = mkcmd(VGPU_K_GEMM);
		c.val[GEMM_M].i = 300;
		c.val[GEMM_N].i = 290;
		c.val[GEMM_K].i = 200;
		c.val[GEMM_DTYPE].i = dt;
		void *ptr[VGPU_MAX_ARGS] = {0};
		ck_assert_uint_ge(ntiles_for(&c, ptr, 2), 4);
		for (int mode = 0; mode < RUN_MODES; mode++)
			check_gemm(&g, mode);
		/* the same with packed leading dimensions */
		g.pada = g.padb = g.padc = 0;
		check_gemm(&g, RUN_THREADS);
	}
}
END_TEST

START_TEST(gemm_degenerate)
{
	int dt = _i;
	for (int t = 0; t < 4; t++) {
		int ta = t & 1, tb = t >> 1;
		/* k = 0: C = beta*C, and beta = 0 clears NaNs. */
		struct gemm_case g = {.dt = dt,
				      .m = 5,
				      .n = 6,
				      .k = 0,
				      .ta = ta,
				      .tb = tb,
				      .alpha = 1,
				      .beta = 0,
				      .nan_c = true};
		check_gemm(&g, RUN_THREADS);
		g.beta = 2;
		g.nan_c = false;
		g.padc = 3;
		check_gemm(&g, RUN_SERIAL);
		/* m = 0 or n = 0: nothing happens */
		struct gemm_case e = {.dt = dt,
				      .m = 0,
				      .n = 9,
				      .k = 4,
				      .ta = ta,
				      .tb = tb,
				      .alpha = 1,
				      .beta = 0};
		check_gemm(&e, RUN_THREADS);
		e.m = 9;
		e.n = 0;
		check_gemm(&e, RUN_SERIAL);
		e.m = e.n = e.k = 0;
		check_gemm(&e, RUN_REVERSE);
		/* alpha = 0, beta = 0: zeros */
		struct gemm_case z = {.dt = dt,
				      .m = 17,
				      .n = 3,
				      .k = 9,
				      .ta = ta,
				      .tb = tb,
				      .alpha = 0,
				      .beta = 0,
				      .nan_c = true};
		check_gemm(&z, RUN_THREADS);
	}
	/* k = 0 over several tiles */
	struct gemm_case g = {
	    .dt = dt, .m = 2100, .n = 2000, .k = 0, .alpha = 1, .beta = 2};
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMM);
	c.val[GEMM_M].i = 2100;
	c.val[GEMM_N].i = 2000;
	c.val[GEMM_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {0};
	ck_assert_uint_gt(ntiles_for(&c, ptr, 4), 1);
	check_gemm(&g, RUN_THREADS);
	g.beta = 0;
	g.nan_c = true;
	check_gemm(&g, RUN_REVERSE);
}
END_TEST

/*
 * Random shapes, transposes, scalars, leading dimensions and worker
 * counts: each tiling that plan() makes must cover C exactly once (beta
 * is mostly nonzero, so a block done twice or never shows).
 */
START_TEST(gemm_random)
{
	int multi = 0, cases = 120;
	for (int i = 0; i < cases; i++) {
		struct gemm_case g = {
		    .dt = (int)irand(0, 1),
		    .m = irand(1, 3) == 1 ? irand(1, 20) : irand(100, 700),
		    .n = irand(1, 3) == 1 ? irand(1, 20) : irand(100, 700),
		    .k = irand(0, 100),
		    .ta = (int)irand(0, 1),
		    .tb = (int)irand(0, 1),
		    .alpha = urand() * 3,
		    .beta = irand(0, 3) ? urand() * 2 : 0.0,
		    .pada = irand(0, 1) ? irand(1, 9) : 0,
		    .padb = irand(0, 1) ? irand(1, 9) : 0,
		    .padc = irand(0, 1) ? irand(1, 9) : 0,
		    .workers = (unsigned)irand(1, 16),
		};
		g.nan_c = g.beta == 0;
		struct vgpu_cmd c = mkcmd(VGPU_K_GEMM);
		c.val[GEMM_M].i = (int64_t)g.m;
		c.val[GEMM_N].i = (int64_t)g.n;
		c.val[GEMM_K].i = (int64_t)g.k;
		c.val[GEMM_DTYPE].i = g.dt;
		void *ptr[VGPU_MAX_ARGS] = {0};
		multi += ntiles_for(&c, ptr, g.workers) > 1;
		check_gemm(&g, (enum mode)(i % RUN_MODES));
	}
	/* otherwise this test would not test the tiling */
	ck_assert_int_ge(multi, cases / 5);
}
END_TEST

static uint32_t gemm_tiles(size_t m, size_t n, size_t k, int dt,
			   unsigned workers)
{
	return gemm_tiles_of(VGPU_K_GEMM, m, n, k, 0, dt, workers);
}

/* How plan() sizes tiles; the planned launches are not run. */
START_TEST(gemm_plan)
{
	for (unsigned w = 1; w <= 64; w *= 2) {
		ck_assert_uint_eq(gemm_tiles(64, 64, 64, VGPU_F32, w), 1);
		ck_assert_uint_eq(gemm_tiles(1, 1, 1, VGPU_F64, w), 1);
		ck_assert_uint_eq(gemm_tiles(0, 100, 100, VGPU_F32, w), 1);
	}
	/*
	 * big: tiles of about 6.6 GFLOP at most (f64 counting double), at
	 * least 2 a worker
	 */
	for (unsigned w = 2; w <= 32; w *= 4) {
		double flop = 2.0 * 4096 * 4096 * 4096;
		uint32_t t32 = gemm_tiles(4096, 4096, 4096, VGPU_F32, w);
		uint32_t t64 = gemm_tiles(4096, 4096, 4096, VGPU_F64, w);
		ck_assert_uint_ge(t32, 2 * w);
		ck_assert_uint_ge(t32, (uint32_t)(flop / 6.6e9));
		ck_assert_uint_ge(t64, (uint32_t)(2 * flop / 6.6e9));
		ck_assert_uint_le(t32, 64 * 16);
		ck_assert_uint_le(t64, 64 * 16);
	}
	/* the shape measured best: 512-row panels, full width, at 2048 */
	ck_assert_uint_eq(gemm_tiles(2048, 2048, 2048, VGPU_F32, 2), 4);
	ck_assert_uint_eq(gemm_tiles(1024, 1024, 1024, VGPU_F32, 2), 4);
	/* small work is never split, however many workers there are */
	ck_assert_uint_eq(gemm_tiles(339, 9, 4, VGPU_F32, 15), 1);
	ck_assert_uint_eq(gemm_tiles(4, 200, 100, VGPU_F32, 64), 1);
	/* skinny ones count their bytes: 1.6 Mflop and 834 KB */
	ck_assert_uint_ge(gemm_tiles(4, 2000, 100, VGPU_F32, 64), 2);
	for (int i = 0; i < 1000; i++) {
		size_t m = irand(1, 2000), n = irand(1, 2000), k = irand(0, 64);
		unsigned w = (unsigned)irand(1, 64);
		double work = 2.0 * (double)m * (double)n * (double)(k ? k : 1) +
			      4.0 * 4 * ((double)m * k + (double)k * n + m * n);
		uint32_t nt = gemm_tiles(m, n, k, VGPU_F32, w);
		ck_assert_msg(
		    nt == 1 || work / nt >= 1e6 || nt <= ceil(work / 6.6e9),
		    "m=%zu n=%zu k=%zu w=%u: %u tiles", m, n, k, w, nt);
		/* the grid has coarse steps: allow some overshoot */
		ck_assert_msg(nt <= 4 * fmax(2 * w, ceil(work / 6.6e9)),
			      "m=%zu n=%zu k=%zu w=%u: %u tiles", m, n, k, w,
			      nt);
	}
	/* medium: enough tiles for the workers, and a multiple of them */
	uint32_t t = gemm_tiles(1024, 1024, 1024, VGPU_F32, 2);
	ck_assert_uint_ge(t, 4);
	ck_assert_uint_eq(t % 2, 0);
	t = gemm_tiles(1024, 1024, 1024, VGPU_F32, 4);
	ck_assert_uint_ge(t, 8);
	ck_assert_uint_eq(t % 4, 0);
	ck_assert_uint_gt(gemm_tiles(256, 256, 256, VGPU_F32, 2), 1);
	/* long and thin: split along the long side */
	ck_assert_uint_ge(gemm_tiles(64, 8192, 1024, VGPU_F32, 2), 4);
	ck_assert_uint_ge(gemm_tiles(8192, 64, 1024, VGPU_F32, 2), 4);
}
END_TEST

/* Tile counts of the elementwise kernels: 256 KiB to 1 MiB a tile. */
START_TEST(elementwise_plan)
{
	/* plan() looks at addresses only (copy: do they overlap?) */
	char *a = (char *)(uintptr_t)0x10000000;
	char *b = (char *)(uintptr_t)0x14000000;
	struct vgpu_cmd c = mkcmd(VGPU_K_FILL);
	void *ptr[VGPU_MAX_ARGS] = {a, b, a};
	c.val[FILL_N].i = 16;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	c.val[FILL_N].i = 0;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	c.val[FILL_N].i = 1 << 20; /* 4 MiB of f32 */
	uint32_t t = ntiles_for(&c, ptr, 4);
	ck_assert(t >= 4 && t <= 16);

	c = mkcmd(VGPU_K_COPY);
	c.val[COPY_BYTES].i = 4 << 20;
	t = ntiles_for(&c, ptr, 4); /* a and b do not overlap */
	ck_assert(t >= 4 && t <= 16);
	ptr[COPY_DST] = a + 1;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);

	c = mkcmd(VGPU_K_DOT);
	c.val[DOT_N].i = 0;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	c.val[DOT_N].i = 1 << 20;
	c.val[DOT_DTYPE].i = VGPU_F64; /* 8 MiB a vector */
	t = ntiles_for(&c, ptr, 4);
	ck_assert(t >= 16 && t <= 64);
}
END_TEST

/* Defensive checks: what validation should have refused is -EINVAL. */
START_TEST(bad_arguments)
{
	static const int64_t bad[] = {2, -1, (int64_t)1 << 32};
	double buf[8] = {0}, old[8];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 2, buf + 4};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vgpu_cmd c = mkcmd(VGPU_K_FILL);
		c.val[FILL_N].i = 2;
		c.val[FILL_VALUE].f = 1;
		c.val[FILL_DTYPE].i = bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
		c = mkcmd(VGPU_K_AXPY);
		c.val[AXPY_N].i = 2;
		c.val[AXPY_DTYPE].i = bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_THREADS), -EINVAL);
		c = mkcmd(VGPU_K_DOT);
		c.val[DOT_N].i = 2;
		c.val[DOT_DTYPE].i = bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
		c = mkcmd(VGPU_K_GEMM);
		c.val[GEMM_M].i = c.val[GEMM_N].i = c.val[GEMM_K].i = 1;
		c.val[GEMM_DTYPE].i = bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_REVERSE), -EINVAL);
	}
	/* lda shorter than a row of A */
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMM);
	c.val[GEMM_M].i = c.val[GEMM_N].i = 1;
	c.val[GEMM_K].i = 2;
	c.val[GEMM_LDA].i = 1;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("kernels");
	/* generous: the reference gemm is naive and sanitizers slow it */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, registry);
	tcase_add_test(tc, fill);
	tcase_add_test(tc, copy);
	tcase_add_test(tc, axpy);
	tcase_add_test(tc, axpy_alpha_zero);
	tcase_add_test(tc, dot);
	tcase_add_test(tc, dot_accumulates_in_double);
	tcase_add_loop_test(tc, gemm_shapes, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, gemm_ld_and_tiles, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, gemm_degenerate, 0, FLOAT_DTYPES);
	tcase_add_test(tc, gemm_random);
	tcase_add_test(tc, gemm_plan);
	tcase_add_test(tc, elementwise_plan);
	tcase_add_test(tc, bad_arguments);
	return run_tcase("kernels", tc);
}
