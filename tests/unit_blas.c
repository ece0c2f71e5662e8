/*
 * The BLAS kernels (gemv, scal, nrm2, asum) against naive references in
 * double (long double for the norms), run three ways (the serial runner,
 * tiles in reverse order, tiles on several threads at once), on f32 and
 * f64, with empty, single and odd shapes, leading dimensions, offsets,
 * transposes, alpha/beta variants, special values and multi-tile sizes.
 * Operands sit inside larger arrays whose other bytes must come out
 * unchanged. Also their text lines through the parser and the validator.
 */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "kernel_check.h"

/* f32 (0) and f64 (1) */
#define FLOAT_DTYPES (VGPU_F64 + 1)

/* scal */

static void check_scal(int dt, size_t n, double alpha, enum mode mode)
{
	struct arr x;
	arr_init(&x, dt, 1 + n % 4, n, 100.0);
	sprinkle_specials(&x, n);
	arr_snap(&x);
	struct vgpu_cmd c = mkcmd(VGPU_K_SCAL);
	c.val[SCAL_N].i = (int64_t)n;
	c.val[SCAL_ALPHA].f = alpha;
	c.val[SCAL_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {[SCAL_X] = x.p};
	run_ok(&c, ptr, mode);
	/* the product of two f32 is exact in double: one rounding, as f32's */
	double a = to_dt(alpha, dt);
	for (size_t i = 0; i < n; i++) {
		double old = arr_old(&x, i), want = to_dt(a * old, dt);
		double got = get(x.p, dt, i);
		EXPECT(close_to(got, want, 0) &&
			   (isnan(want) || signbit(got) == signbit(want)),
		       "scal %s n=%zu alpha=%g (%s): x[%zu] = %g, want %g "
		       "(was %g)",
		       dtname(dt), n, alpha, mode_name[mode], i, got, want,
		       old);
	}
	EXPECT(arr_outside_same(&x, n), "scal %s n=%zu: wrote outside x",
	       dtname(dt), n);
	arr_free(&x);
}

/* the last sizes: several tiles */
static const size_t sizes[] = {0, 1, 7, 1000, 140001, 300001};

START_TEST(scal)
{
	static const double alphas[] = {2.5, -0.75, 0.0, 1.0, -1.0, 1e-30};
	int dt = _i;
	for (size_t s = 0; s < COUNT(sizes); s++)
		for (size_t a = 0; a < COUNT(alphas); a++)
			check_scal(dt, sizes[s], alphas[a],
				   (enum mode)((s + a) % RUN_MODES));
}
END_TEST

/* nrm2 and asum */

enum specials { SP_NONE, SP_INF, SP_INF_NAN };

struct norm_case {
	unsigned id;
	int dt;
	size_t n;
	double scale; /* of the random values */
	enum specials sp;
	bool alias; /* out is x[0] */
};

static long double ref_norm(const struct norm_case *t, const struct arr *x)
{
	long double s = 0;
	for (size_t i = 0; i < t->n; i++) {
		long double v = arr_old(x, i);
		s += t->id == VGPU_K_NRM2 ? v * v : fabsl(v);
	}
	return t->id == VGPU_K_NRM2 ? sqrtl(s) : s;
}

static void check_norm(const struct norm_case *t, enum mode mode)
{
	int dt = t->dt;
	size_t n = t->n;
	struct arr x, o;
	arr_init(&x, dt, 3 - n % 3, n, t->scale);
	arr_init(&o, dt, 2, 1, 1.0);
	if (t->sp != SP_NONE && n) {
		/* apart, so that they may fall in different tiles */
		put(x.p, dt, n - 1, -INFINITY);
		if (t->sp == SP_INF_NAN)
			put(x.p, dt, n / 3, NAN);
	}
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c = mkcmd(t->id);
	c.val[NORM_N].i = (int64_t)n;
	c.val[NORM_DTYPE].i = dt;
	void *out = t->alias ? x.p : o.p;
	void *ptr[VGPU_MAX_ARGS] = {[NORM_X] = x.p, [NORM_OUT] = out};
	run_ok(&c, ptr, mode);
	double want = to_dt((double)ref_norm(t, &x), dt);
	double got = get(out, dt, 0);
	/*
	 * nrm2: OpenBLAS works in higher precision; asum sums a tile in the
	 * dtype (error growing as sqrt(n) for random data)
	 */
	double tol = (t->id == VGPU_K_NRM2 ? 8 : 4 * sqrt((double)n) + 8) *
		     eps(dt) * fabs(want);
	EXPECT(close_to(got, want, tol) && !(want == 0 && signbit(got)),
	       "%s %s n=%zu scale=%g specials=%d%s (%s): %.17g, want %.17g",
	       c.spec->name, dtname(dt), n, t->scale, t->sp,
	       t->alias ? " out=x" : "", mode_name[mode], got, want);
	if (t->alias) {
		EXPECT(arr_outside_same(&x, 1), "%s: wrote x", c.spec->name);
	} else {
		EXPECT(arr_same(&x), "%s: wrote x", c.spec->name);
		EXPECT(arr_outside_same(&o, 1), "%s: wrote outside out",
		       c.spec->name);
	}
	arr_free(&x);
	arr_free(&o);
}

START_TEST(norms)
{
	unsigned id = _i / FLOAT_DTYPES ? VGPU_K_ASUM : VGPU_K_NRM2;
	int dt = _i % FLOAT_DTYPES;
	/* squares of these overflow or underflow the dtype (f64: and the
	 * squares of a tile's norm overflow a double) */
	double huge = dt == VGPU_F32 ? 1e30 : 1e300;
	double tiny = dt == VGPU_F32 ? 1e-30 : 1e-300;
	const double scales[] = {1.0, huge, tiny};
	int cases = 0;
	for (size_t s = 0; s < COUNT(sizes); s++)
		for (size_t k = 0; k < COUNT(scales); k++)
			for (int sp = SP_NONE; sp <= SP_INF_NAN; sp++) {
				struct norm_case t = {
				    .id = id,
				    .dt = dt,
				    .n = sizes[s],
				    .scale = scales[k],
				    .sp = (enum specials)sp,
				    .alias = (s + k + sp) % 3 == 0};
				check_norm(&t,
					   (enum mode)(cases++ % RUN_MODES));
			}
}
END_TEST

/* The norms of vectors of equal huge or tiny values, exactly known. */
START_TEST(norm_extremes)
{
	static const struct {
		int dt;
		double v;
	} t[] = {{VGPU_F32, 1e30},  {VGPU_F32, -1e-30}, {VGPU_F32, 3e38},
		 {VGPU_F32, 1e-44}, {VGPU_F64, 1e300},	{VGPU_F64, -1e-300},
		 {VGPU_F64, 1e-320}};
	const size_t n = 4 * 65536; /* a square: sqrt(n) = 512 */
	for (size_t k = 0; k < COUNT(t); k++) {
		int dt = t[k].dt;
		struct arr x;
		arr_init(&x, dt, 0, n, 1.0);
		for (size_t i = 0; i < n; i++)
			put(x.p, dt, i, t[k].v);
		double out = 0;
		struct vgpu_cmd c = mkcmd(VGPU_K_NRM2);
		c.val[NORM_N].i = (int64_t)n;
		c.val[NORM_DTYPE].i = dt;
		void *ptr[VGPU_MAX_ARGS] = {[NORM_X] = x.p, [NORM_OUT] = &out};
		ck_assert_uint_gt(ntiles_for(&c, ptr, 4), 1);
		run_ok(&c, ptr, RUN_THREADS);
		double v = fabs(get(x.p, dt, 0)), got = get(&out, dt, 0);
		double want = to_dt(512 * v, dt);
		/* 3e38*512 is past FLT_MAX: the only overflow allowed */
		if (dt == VGPU_F32 && want > FLT_MAX)
			want = INFINITY;
		ck_assert_msg(close_to(got, want, 4 * eps(dt) * want),
			      "nrm2 %s of %g x %g: %g, want %g", dtname(dt),
			      (double)n, v, got, want);
		arr_free(&x);
	}
}
END_TEST

/* gemv */

struct gemv_case {
	int dt;
	size_t m, n;
	int ta;
	double alpha, beta;
	size_t pad; /* lda beyond n; 0: lda left at its default */
	bool nan_y; /* y's elements NaN (with beta = 0) */
	bool nan_a; /* a NaN in A (with alpha = 0) */
};

static void check_gemv(const struct gemv_case *g, enum mode mode)
{
	int dt = g->dt;
	size_t lda = (g->n ? g->n : 1) + g->pad;
	size_t xlen = g->ta ? g->m : g->n, ylen = g->ta ? g->n : g->m;
	struct arr a, x, y;
	arr_init(&a, dt, irand(0, 5), g->m * lda, 1.0);
	arr_init(&x, dt, irand(0, 3), xlen, 1.0);
	arr_init(&y, dt, irand(0, 3), ylen, 1.0);
	if (g->nan_y)
		for (size_t j = 0; j < ylen; j++)
			put(y.p, dt, j, NAN);
	if (g->nan_a && g->m && g->n)
		put(a.p, dt, (g->m - 1) * lda + g->n / 2, NAN);
	arr_snap(&a);
	arr_snap(&x);
	arr_snap(&y);
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMV);
	c.val[GEMV_M].i = (int64_t)g->m;
	c.val[GEMV_N].i = (int64_t)g->n;
	c.val[GEMV_TRANSA].i = g->ta;
	c.val[GEMV_ALPHA].f = g->alpha;
	c.val[GEMV_BETA].f = g->beta;
	c.val[GEMV_LDA].i = g->pad ? (int64_t)lda : 0;
	c.val[GEMV_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {
	    [GEMV_A] = a.p, [GEMV_X] = x.p, [GEMV_Y] = y.p};
	run_ok(&c, ptr, mode);
	double alpha = to_dt(g->alpha, dt), beta = to_dt(g->beta, dt);
	double tol = 2 * (double)(xlen + 3) * eps(dt);
	for (size_t j = 0; j < ylen; j++) {
		double s = 0, mag = 0;
		for (size_t p = 0; p < xlen && alpha != 0; p++) {
			double av =
			    arr_old(&a, g->ta ? p * lda + j : j * lda + p);
			double t = av * arr_old(&x, p);
			s += t;
			mag += fabs(t);
		}
		double want = alpha * s, bound = fabs(alpha) * mag;
		if (beta != 0) {
			want += beta * arr_old(&y, j);
			bound += fabs(beta * arr_old(&y, j));
		}
		double got = get(y.p, dt, j);
		EXPECT(fabs(got - want) <= tol * bound + 1e-300,
		       "gemv %s m=%zu n=%zu transa=%d alpha=%g beta=%g pad=%zu "
		       "(%s): y[%zu] = %.17g, want %.17g",
		       dtname(dt), g->m, g->n, g->ta, g->alpha, g->beta, g->pad,
		       mode_name[mode], j, got, want);
	}
	EXPECT(arr_same(&a) && arr_same(&x), "gemv: wrote A or x");
	EXPECT(arr_outside_same(&y, ylen), "gemv: wrote outside y");
	arr_free(&a);
	arr_free(&x);
	arr_free(&y);
}

static const double alpha_beta[][2] = {
    {1.0, 0.0}, {-0.5, 2.0}, {2.5, 1.0}, {1.5, -0.75}};

START_TEST(gemv_shapes)
{
	static const size_t mn[][2] = {
	    {0, 0},	  {0, 5},     {5, 0},	  {1, 1},      {1, 7},
	    {7, 1},	  {33, 130},  {130, 33},  {64, 64},    {257, 257},
	    {1000, 1000}, {3, 70001}, {70001, 3}, {5, 333333}, {333333, 5}};
	int dt = _i;
	for (size_t s = 0; s < COUNT(mn); s++)
		for (int ta = 0; ta < 2; ta++)
			for (int k = 0; k < 4; k++) {
				const double *ab = alpha_beta[(s + k) % 4];
				struct gemv_case g = {.dt = dt,
						      .m = mn[s][0],
						      .n = mn[s][1],
						      .ta = ta,
						      .alpha = ab[0],
						      .beta = ab[1],
						      .pad = k % 2 ? 3 : 0,
						      .nan_y = ab[1] == 0};
				check_gemv(&g,
					   (enum mode)((s + k) % RUN_MODES));
			}
}
END_TEST

/* Empty sums scale y; alpha = 0 ignores A (and its NaNs). */
START_TEST(gemv_degenerate)
{
	int dt = _i;
	for (int ta = 0; ta < 2; ta++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			struct gemv_case g = {.dt = dt,
					      .m = ta ? 0 : 9,
					      .n = ta ? 9 : 0,
					      .ta = ta,
					      .alpha = 1,
					      .beta = 2};
			check_gemv(&g, mode);
			g.beta = 0;
			g.nan_y = true;
			check_gemv(&g, mode);
			/* large enough for several tiles of y */
			g.m = ta ? 0 : 400000;
			g.n = ta ? 400000 : 0;
			check_gemv(&g, mode);
			/* alpha = 0, one tile and summed blocks */
			struct gemv_case z = {.dt = dt,
					      .m = 17,
					      .n = 9,
					      .ta = ta,
					      .alpha = 0,
					      .beta = -1.5,
					      .nan_a = true};
			check_gemv(&z, mode);
			z.m = ta ? 200000 : 4;
			z.n = ta ? 4 : 200000;
			check_gemv(&z, mode);
		}
}
END_TEST

/* gemm (bf16) and gemm_batched */

/* One operand of BATCH gemms: the matrices STRIDE elements apart. */
struct bop {
	struct arr a;
	size_t rows, cols, ld, span, stride;
	size_t total;	/* elements of all the matrices */
	int64_t ld_arg; /* 0: packed, the default */
};

static void bop_init(struct bop *o, int dt, size_t rows, size_t cols,
		     size_t pad, int64_t stride, size_t batch, bool exact)
{
	o->rows = rows;
	o->cols = cols;
	o->ld = (cols ? cols : 1) + pad;
	o->ld_arg = pad ? (int64_t)o->ld : 0;
	o->span = rows && cols ? (rows - 1) * o->ld + cols : 0;
	o->stride = stride >= 0 ? (size_t)stride : rows * (pad ? o->ld : cols);
	o->total = batch ? (batch - 1) * o->stride + o->span : 0;
	arr_init(&o->a, dt, irand(0, 5), o->total, 1.0);
	/* small integers: products and sums exact in f32 (and bf16 inputs) */
	for (size_t i = 0; exact && i < o->total; i++)
		put(o->a.p, dt, i, (double)irand(0, 16) - 8);
}

/* Element (r, c) of matrix I. */
static size_t bop_at(const struct bop *o, size_t i, size_t r, size_t c)
{
	return i * o->stride + r * o->ld + c;
}

struct bgemm_case {
	unsigned id; /* VGPU_K_GEMM (batch 1) or VGPU_K_GEMM_BATCHED */
	int dt;
	size_t m, n, k, batch;
	int ta, tb;
	double alpha, beta;
	size_t pada, padb, padc;
	int64_t sa, sb, sc; /* strides; -1: the default */
	bool nan_c;	    /* C's elements NaN (with beta = 0) */
	bool exact;	    /* small integers: the result must be exact */
	unsigned workers;   /* for RUN_SERIAL's plan; 0: the default */
};

static void run_workers(const struct vgpu_cmd *c, void *const *ptr,
			enum mode mode, unsigned workers)
{
	if (mode == RUN_SERIAL && workers) {
		struct vgpu_launch l = {.cmd = c};
		memcpy(l.ptr, ptr, sizeof(l.ptr));
		ck_assert_int_eq(vgpu_kernel_run_serial(&l, workers), 0);
	} else {
		run_ok(c, ptr, mode);
	}
}

static void check_bgemm(const struct bgemm_case *g, enum mode mode)
{
	int in = g->dt, out = g->dt == VGPU_BF16 ? VGPU_F32 : g->dt;
	size_t batch = g->id == VGPU_K_GEMM ? 1 : g->batch;
	struct bop a, b, cm;
	bop_init(&a, in, g->ta ? g->k : g->m, g->ta ? g->m : g->k, g->pada,
		 g->sa, batch, g->exact);
	bop_init(&b, in, g->tb ? g->n : g->k, g->tb ? g->k : g->n, g->padb,
		 g->sb, batch, g->exact);
	bop_init(&cm, out, g->m, g->n, g->padc, g->sc, batch, g->exact);
	for (size_t i = 0; g->nan_c && i < cm.total; i++)
		put(cm.a.p, out, i, NAN);
	arr_snap(&a.a);
	arr_snap(&b.a);
	arr_snap(&cm.a);

	struct vgpu_cmd c = mkcmd(g->id);
	c.val[GEMM_M].i = (int64_t)g->m;
	c.val[GEMM_N].i = (int64_t)g->n;
	c.val[GEMM_K].i = (int64_t)g->k;
	c.val[GEMM_DTYPE].i = g->dt;
	c.val[GEMM_TRANSA].i = g->ta;
	c.val[GEMM_TRANSB].i = g->tb;
	c.val[GEMM_ALPHA].f = g->alpha;
	c.val[GEMM_BETA].f = g->beta;
	c.val[GEMM_LDA].i = a.ld_arg;
	c.val[GEMM_LDB].i = b.ld_arg;
	c.val[GEMM_LDC].i = cm.ld_arg;
	if (g->id == VGPU_K_GEMM_BATCHED) {
		c.val[GEMMB_BATCH].i = (int64_t)g->batch;
		c.val[GEMMB_STRIDE_A].i = g->sa;
		c.val[GEMMB_STRIDE_B].i = g->sb;
		c.val[GEMMB_STRIDE_C].i = g->sc;
	}
	void *ptr[VGPU_MAX_ARGS] = {
	    [GEMM_A] = a.a.p, [GEMM_B] = b.a.p, [GEMM_C] = cm.a.p};
	run_workers(&c, ptr, mode, g->workers);

	/* alpha and beta are f32 for f32 C */
	double alpha = to_dt(g->alpha, out), beta = to_dt(g->beta, out);
	double tol = g->exact ? 0 : 2 * (double)(g->k + 3) * eps(out);
	bool *inside = calloc(cm.a.total, sizeof(bool));
	ck_assert_ptr_nonnull(inside);
	for (size_t t = 0; t < batch; t++)
		for (size_t i = 0; i < g->m; i++)
			for (size_t j = 0; j < g->n; j++) {
				double s = 0, mag = 0;
				for (size_t p = 0; p < g->k; p++) {
					double av = arr_old(
					    &a.a, g->ta ? bop_at(&a, t, p, i)
							: bop_at(&a, t, i, p));
					double bv = arr_old(
					    &b.a, g->tb ? bop_at(&b, t, j, p)
							: bop_at(&b, t, p, j));
					s += av * bv;
					mag += fabs(av * bv);
				}
				size_t at = bop_at(&cm, t, i, j);
				double want = alpha * s,
				       bound = fabs(alpha) * mag;
				if (beta != 0) {
					want += beta * arr_old(&cm.a, at);
					bound +=
					    fabs(beta * arr_old(&cm.a, at));
				}
				double got = get(cm.a.p, out, at);
				inside[arr_index(&cm.a, at)] = true;
				EXPECT(
				    fabs(got - want) <= tol * bound,
				    "%s %s m=%zu n=%zu k=%zu batch=%zu "
				    "transa=%d transb=%d alpha=%g beta=%g "
				    "pads=%zu,%zu,%zu strides=%lld,%lld,%lld "
				    "(%s): C%zu[%zu][%zu] = %.17g, want %.17g",
				    c.spec->name, dtname(g->dt), g->m, g->n,
				    g->k, g->batch, g->ta, g->tb, g->alpha,
				    g->beta, g->pada, g->padb, g->padc,
				    (long long)g->sa, (long long)g->sb,
				    (long long)g->sc, mode_name[mode], t, i, j,
				    got, want);
			}
	/* A and B are only read; C changes only in its matrices */
	EXPECT(arr_same(&a.a) && arr_same(&b.a), "%s: wrote A or B",
	       c.spec->name);
	for (size_t j = 0; j < cm.a.total; j++)
		EXPECT(inside[j] || arr_elem_same(&cm.a, j),
		       "%s m=%zu n=%zu batch=%zu: wrote C element %zu outside "
		       "the matrices",
		       c.spec->name, g->m, g->n, g->batch, j);
	free(inside);
	arr_free(&a.a);
	arr_free(&b.a);
	arr_free(&cm.a);
}

/* bf16 inputs exact in bf16: the f32 result must be exact too */
START_TEST(gemm_bf16)
{
	static const size_t mnk[][3] = {
	    {1, 1, 1},	     {1, 7, 33},     {7, 1, 130},    {33, 130, 1},
	    {130, 257, 7},   {5, 6, 0},	     {0, 9, 4},	     {9, 0, 4},
	    {300, 290, 200}, {1100, 8, 300}, {40, 2100, 300}};
	static const double ab[][2] = {
	    {1.0, 0.0}, {-0.5, 2.0}, {2.0, 1.0}, {0.25, -0.75}, {0, 0.5}};
	for (size_t s = 0; s < COUNT(mnk); s++)
		for (int t = 0; t < 4; t++) {
			const double *v = ab[(s + t) % COUNT(ab)];
			struct bgemm_case g = {
			    .id = VGPU_K_GEMM,
			    .dt = VGPU_BF16,
			    .m = mnk[s][0],
			    .n = mnk[s][1],
			    .k = mnk[s][2],
			    .ta = t & 1,
			    .tb = t >> 1,
			    .alpha = v[0],
			    .beta = v[1],
			    .pada = (s + t) % 3 ? 0 : 3,
			    .padb = (s + t) % 2 ? 0 : 5,
			    .padc = s % 2 ? 2 : 0,
			    .nan_c = v[1] == 0,
			    .exact = true,
			    .workers = (unsigned)(1 + s % 4),
			};
			check_bgemm(&g, (enum mode)((s + t) % RUN_MODES));
		}
	/* inputs rounded to bf16: the products of what is stored, in f32 */
	struct bgemm_case g = {.id = VGPU_K_GEMM,
			       .dt = VGPU_BF16,
			       .m = 77,
			       .n = 301,
			       .k = 555,
			       .tb = 1,
			       .alpha = 1.5,
			       .beta = -1};
	for (int mode = 0; mode < RUN_MODES; mode++)
		check_bgemm(&g, mode);
}
END_TEST

static const int gemm_dtypes[] = {VGPU_F32, VGPU_F64, VGPU_BF16};

/*
 * Layout T (0-3) of a case: transposes, alpha and beta (0 with NaN in C),
 * padding, default strides.
 */
static struct bgemm_case layout_case(int t)
{
	return (struct bgemm_case){.ta = t & 1,
				   .tb = t >> 1,
				   .alpha = t == 2 ? 0.0 : 1.25,
				   .beta = t % 2 ? 0.0 : -0.5,
				   .pada = t == 1 ? 2 : 0,
				   .padb = t == 2 ? 3 : 0,
				   .padc = t == 3 ? 1 : 0,
				   .sa = -1,
				   .sb = -1,
				   .sc = -1,
				   .nan_c = t % 2 != 0};
}

/* Batches: 0, 1 and many, shared operands (stride 0), gaps between Cs. */
START_TEST(gemm_batched)
{
	static const size_t shape[][4] = {/* m, n, k, batch */
					  {3, 5, 7, 0},	   {3, 5, 7, 1},
					  {1, 1, 1, 9},	   {17, 1, 33, 5},
					  {4, 4, 0, 6},	   {0, 4, 4, 3},
					  {8, 9, 10, 37},  {16, 16, 16, 2000},
					  {65, 31, 47, 4}, {200, 190, 150, 2}};
	int dt = gemm_dtypes[_i];
	int cases = 0;
	for (size_t s = 0; s < COUNT(shape); s++)
		for (int t = 0; t < 4; t++) {
			size_t m = shape[s][0], n = shape[s][1];
			struct bgemm_case g = layout_case(t);
			g.id = VGPU_K_GEMM_BATCHED;
			g.dt = dt;
			g.m = m;
			g.n = n;
			g.k = shape[s][2];
			g.batch = shape[s][3];
			g.exact = dt == VGPU_BF16;
			g.workers = (unsigned)(1 + (s + t) % 5);
			/* one A or one B for all; C matrices with gaps */
			if (s % 3 == 1)
				g.sa = 0;
			if (s % 3 == 2)
				g.sb = 0;
			if (t == 1)
				g.sc = (int64_t)(m * (n + 1) + 3);
			check_bgemm(&g, (enum mode)(cases++ % RUN_MODES));
		}
}
END_TEST

/* k = 0 ignores A and B, whatever their strides: C = beta*C */
START_TEST(gemm_batched_k0)
{
	float a[1] = {NAN}, cm[4 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMM_BATCHED);
	c.val[GEMM_M].i = 2;
	c.val[GEMM_N].i = 2;
	c.val[GEMMB_BATCH].i = 3;
	c.val[GEMM_BETA].f = -2;
	c.val[GEMMB_STRIDE_A].i = (int64_t)1 << 58;
	c.val[GEMMB_STRIDE_B].i = (int64_t)1 << 58;
	void *ptr[VGPU_MAX_ARGS] = {[GEMM_A] = a, [GEMM_B] = a, [GEMM_C] = cm};
	run_ok(&c, ptr, RUN_THREADS);
	for (int i = 0; i < 12; i++)
		ck_assert(cm[i] == -2.0f * (float)(i + 1));
}
END_TEST

/* The steps along k plan() gives the tiles of G's command (2 workers). */
static uint32_t gemm_steps_of(const struct bgemm_case *g)
{
	struct vgpu_cmd c = mkcmd(g->id);
	c.val[GEMM_M].i = (int64_t)g->m;
	c.val[GEMM_N].i = (int64_t)g->n;
	c.val[GEMM_K].i = (int64_t)g->k;
	c.val[GEMM_DTYPE].i = g->dt;
	if (g->id == VGPU_K_GEMM_BATCHED)
		c.val[GEMMB_BATCH].i = (int64_t)g->batch;
	struct vgpu_launch l = {.cmd = &c};
	size_t scratch = 0;
	vgpu_kernel_impl(g->id)->plan(&l, 2, &scratch);
	return l.steps;
}

/*
 * Tiles of big gemms run in steps along k (the scheduler hands them out
 * one by one): beta applies once, in the first, the others add, whatever
 * the layout. Small integers, so the result must be exact.
 */
START_TEST(gemm_steps)
{
	static const struct {
		int dt;
		size_t m, n, k, batch;
	} big[] = {{VGPU_F32, 100, 100, 20100, 1},
		   {VGPU_F64, 100, 100, 10100, 1},
		   {VGPU_BF16, 70, 70, 20500, 2}};
	for (int i = 0; i < (int)COUNT(big); i++) {
		struct bgemm_case g = layout_case(i + 1);
		g.id = big[i].batch > 1 ? VGPU_K_GEMM_BATCHED : VGPU_K_GEMM;
		g.dt = big[i].dt;
		g.m = big[i].m;
		g.n = big[i].n;
		g.k = big[i].k;
		g.batch = big[i].batch;
		g.alpha = -2; /* alpha 0 would not read A and B */
		g.exact = true;
		ck_assert_uint_gt(gemm_steps_of(&g), 1);
		/* in reverse: step by step, as the scheduler may */
		check_bgemm(&g, i == 1 ? RUN_SERIAL : RUN_REVERSE);
	}
}
END_TEST

static uint32_t bgemm_tiles(size_t m, size_t n, size_t k, size_t batch, int dt,
			    unsigned workers)
{
	return gemm_tiles_of(VGPU_K_GEMM_BATCHED, m, n, k, batch, dt, workers);
}

/* Many small gemms and a few big ones: both spread over the workers. */
START_TEST(gemm_batched_plan)
{
	for (unsigned w = 1; w <= 16; w *= 2) {
		ck_assert_uint_eq(bgemm_tiles(64, 64, 64, 0, VGPU_F32, w), 1);
		ck_assert_uint_eq(bgemm_tiles(8, 8, 8, 10, VGPU_F32, w), 1);
		uint32_t t = bgemm_tiles(16, 16, 16, 100000, VGPU_F32, w);
		ck_assert_uint_ge(t, 2 * w);
		ck_assert_uint_le(t, 4 * w + 100000 * 5e4 / 6.6e9);
		t = bgemm_tiles(1024, 1024, 1024, 2, VGPU_BF16, w);
		ck_assert_uint_ge(t, 2 * w);
		ck_assert_uint_eq(t % w, 0);
		/* a huge batch of big gemms: tiles of at most ~6.6 GFLOP */
		t = bgemm_tiles(512, 512, 512, 1000, VGPU_F64, w);
		ck_assert_uint_ge(t, 2 * 1000 * 2 * 512.0 * 512 * 512 / 6.6e9);
	}
	/* one gemm: as gemm plans it */
	for (int i = 0; i < 300; i++) {
		size_t m = irand(0, 3000), n = irand(0, 3000),
		       k = irand(0, 300);
		unsigned w = (unsigned)irand(1, 32);
		int dt = (int)irand(0, 1);
		ck_assert_uint_eq(
		    bgemm_tiles(m, n, k, 1, dt, w),
		    gemm_tiles_of(VGPU_K_GEMM, m, n, k, 0, dt, w));
	}
}
END_TEST

static uint32_t gemv_tiles(size_t m, size_t n, int ta, int dt)
{
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMV);
	c.val[GEMV_M].i = (int64_t)m;
	c.val[GEMV_N].i = (int64_t)n;
	c.val[GEMV_TRANSA].i = ta;
	c.val[GEMV_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {0};
	return ntiles_for(&c, ptr, 4);
}

/* Tiles of about 512 KiB of A, whichever way A is long. */
START_TEST(plans)
{
	for (int ta = 0; ta < 2; ta++) {
		ck_assert_uint_eq(gemv_tiles(0, 0, ta, VGPU_F32), 1);
		ck_assert_uint_eq(gemv_tiles(100, 100, ta, VGPU_F64), 1);
		uint32_t t = gemv_tiles(2048, 2048, ta, VGPU_F32); /* 16 MiB */
		ck_assert(t >= 16 && t <= 64);
		t = gemv_tiles(4, 1 << 20, ta, VGPU_F64); /* 32 MiB */
		ck_assert(t >= 32 && t <= 128);
		t = gemv_tiles(1 << 20, 4, ta, VGPU_F64);
		ck_assert(t >= 32 && t <= 128);
		/* x empty: tiles of y */
		t = gemv_tiles(ta ? 0 : 1 << 20, ta ? 1 << 20 : 0, ta,
			       VGPU_F32);
		ck_assert(t >= 4 && t <= 16);
	}
	void *ptr[VGPU_MAX_ARGS] = {0};
	struct vgpu_cmd c = mkcmd(VGPU_K_NRM2);
	c.val[NORM_N].i = 1 << 20;
	c.val[NORM_DTYPE].i = VGPU_F64;
	uint32_t t = ntiles_for(&c, ptr, 2);
	ck_assert(t >= 8 && t <= 32);
	c = mkcmd(VGPU_K_SCAL);
	c.val[SCAL_N].i = 1 << 20;
	t = ntiles_for(&c, ptr, 2);
	ck_assert(t >= 4 && t <= 16);
}
END_TEST

/* Defensive checks: what validation refuses is -EINVAL at run time too. */
START_TEST(bad_arguments)
{
	static const int64_t bad[] = {VGPU_I32,	 VGPU_U8,
				      VGPU_BF16, VGPU_DTYPE_COUNT,
				      -1,	 (int64_t)1 << 32};
	/* each kernel, its dtype argument and two size arguments set to 2 */
	static const unsigned k[][4] = {
	    {VGPU_K_GEMV, GEMV_DTYPE, GEMV_M, GEMV_N},
	    {VGPU_K_SCAL, SCAL_DTYPE, SCAL_N, SCAL_N},
	    {VGPU_K_NRM2, NORM_DTYPE, NORM_N, NORM_N},
	    {VGPU_K_ASUM, NORM_DTYPE, NORM_N, NORM_N},
	};
	double buf[8] = {0}, old[8];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 2, buf + 4};
	for (size_t i = 0; i < COUNT(bad); i++)
		for (size_t j = 0; j < COUNT(k); j++) {
			struct vgpu_cmd c = mkcmd(k[j][0]);
			c.val[k[j][2]].i = c.val[k[j][3]].i = 2;
			c.val[k[j][1]].i = bad[i];
			ck_assert_int_eq(
			    run(&c, ptr, (enum mode)(i % RUN_MODES)), -EINVAL);
		}
	/* lda shorter than a row of A */
	struct vgpu_cmd c = mkcmd(VGPU_K_GEMV);
	c.val[GEMV_M].i = 1;
	c.val[GEMV_N].i = 2;
	c.val[GEMV_LDA].i = 1;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

START_TEST(text_lines)
{
	/* gemv: A is m x n as stored; x and y swap lengths with transa */
	expect_valid("gemv a=A x=x y=y m=4096 n=1000", 4096 * 1000 * 4, false);
	ck_assert_int_eq(line_cmd.spec->id, VGPU_K_GEMV);
	ck_assert(vgpu_cmd_f(&line_cmd, GEMV_ALPHA) == 1);
	ck_assert(vgpu_cmd_f(&line_cmd, GEMV_BETA) == 0);
	expect_invalid("gemv a=A x=x y=y m=10 n=20", 799, false, -EINVAL,
		       "gemv: buffer 'a' holds 799 bytes, needs 800 (m*n*4)");
	expect_invalid("gemv a=A x=x+8 y=y m=1 n=20 dtype=f64", 160, false,
		       -EINVAL,
		       "gemv: buffer 'x' holds 160 bytes, needs 160 (n*8) from "
		       "offset 8");
	expect_invalid("gemv a=A x=x y=y+4 m=1 n=20 transa=1", 80, false,
		       -EINVAL,
		       "gemv: buffer 'y' holds 80 bytes, needs 80 (n*4) from "
		       "offset 4");
	/* offsets are multiples of the element size, checked first */
	expect_invalid("gemv a=A x=x y=y+1 m=1 n=20 transa=1", 80, false,
		       -EINVAL,
		       "gemv: 'y' offset 1 is not a multiple of 4 (the size of "
		       "f32)");
	expect_valid("gemv a=A x=x y=y+76 m=1 n=20", 80, false);
	expect_invalid("gemv a=A x=x y=y m=10 n=20 lda=19", 1 << 20, false,
		       -EINVAL,
		       "gemv: lda=19 is less than n=20, the row length of the "
		       "stored matrix");
	expect_invalid("gemv a=A x=x y=y m=10 n=20 lda=30", 1159, false,
		       -EINVAL, "needs 1160 (((m-1)*lda+n)*4)");
	expect_valid("gemv a=A x=x y=y m=0 n=20 lda=30", 80, false);
	expect_parse_error("gemv a=A x=x y=y m=2147483648 n=1", -ERANGE,
			   "gemv: m=2147483648 is out of range");
	/* y may not overlap A or x; A and x may overlap */
	expect_invalid("gemv a=X x=X+800 y=X+4 m=10 n=20", 1 << 20, true,
		       -EINVAL, "gemv: 'y' overlaps 'a'");
	expect_invalid("gemv a=X x=X+800 y=X+820 m=10 n=20 transa=1", 1 << 20,
		       true, -EINVAL, "gemv: 'y' overlaps 'x'");
	expect_valid("gemv a=X x=X y=X+800 m=10 n=20", 1 << 20, true);
	expect_invalid("gemv a=A x=x y=y m=1 n=1 dtype=bf16", 64, false,
		       -EINVAL, "gemv: dtype=bf16 is not supported (f32, f64)");
	/* scal */
	expect_parse_error("scal x=x n=10", -EINVAL,
			   "missing argument 'alpha'");
	expect_invalid("scal x=x alpha=2 n=10 dtype=f64", 79, false, -EINVAL,
		       "scal: buffer 'x' holds 79 bytes, needs 80 (n*8)");
	expect_valid("scal x=x alpha=-0.5 n=10", 40, false);
	ck_assert(vgpu_cmd_f(&line_cmd, SCAL_ALPHA) == -0.5);
	expect_invalid("scal x=x alpha=2 n=1 dtype=i32", 64, false, -EINVAL,
		       "scal: dtype=i32 is not supported (f32, f64)");
	/* nrm2, asum: out is one element, and may be in x */
	expect_valid("nrm2 x=x out=r n=10", 40, false);
	expect_invalid("nrm2 x=x out=r+40 n=10", 40, false, -EINVAL,
		       "nrm2: buffer 'out' holds 40 bytes, needs 4 (4) from "
		       "offset 40");
	expect_invalid("asum x=x out=r+36 n=10 dtype=f64", 80, false, -EINVAL,
		       "asum: 'out' offset 36 is not a multiple of 8 (the size "
		       "of f64)");
	expect_invalid("asum x=x out=r n=10 dtype=f64", 79, false, -EINVAL,
		       "asum: buffer 'x' holds 79 bytes, needs 80 (n*8)");
	expect_valid("asum x=X out=X+8 n=10", 40, true);
	expect_invalid("asum x=x out=r n=1 dtype=bf16", 64, false, -EINVAL,
		       "asum: dtype=bf16 is not supported (f32, f64)");
	expect_valid("nrm2 x=x out=r n=0", 4, false);
	/* gemm with bf16 inputs: A and B 2 bytes an element, C 4 */
	expect_valid("gemm a=A b=B c=C m=2 n=3 k=4 dtype=bf16", 24, false);
	expect_invalid("gemm a=A b=B c=C m=2 n=3 k=4 dtype=bf16", 23, false,
		       -EINVAL,
		       "gemm: buffer 'b' holds 23 bytes, needs 24 (k*n*2)");
	expect_invalid(
	    "gemm a=A b=B c=C+4 m=2 n=3 k=4 dtype=bf16", 24, false, -EINVAL,
	    "gemm: buffer 'c' holds 24 bytes, needs 24 (m*n*4) from offset 4");
	expect_invalid("gemm a=A b=B c=C+2 m=2 n=3 k=4 dtype=bf16", 1024, false,
		       -EINVAL,
		       "gemm: 'c' offset 2 is not a multiple of 4 (the size of "
		       "f32)");
	expect_valid("gemm a=A+2 b=B+6 c=C+4 m=2 n=3 k=4 dtype=bf16", 1024,
		     false);
	expect_invalid("gemm a=A b=B c=C m=2 n=3 k=4 lda=1 transa=1 dtype=bf16",
		       1 << 20, false, -EINVAL, "gemm: lda=1 is less than m=2");
	expect_invalid(
	    "gemm a=A b=B c=C m=2 n=3 k=4 lda=5 dtype=bf16", 15, false, -EINVAL,
	    "gemm: buffer 'a' holds 15 bytes, needs 18 (((m-1)*lda+k)*2)");
	/* gemm_batched: batch matrices at strides */
	const char *b5 = "gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5";
	{
		ck_assert_int_eq(parse(b5), VGPU_LINE_COMMAND);
		ck_assert_int_eq(vgpu_cmd_i(&line_cmd, GEMMB_STRIDE_A), -1);
		ck_assert_int_eq(vgpu_cmd_i(&line_cmd, GEMMB_BATCH), 5);
		struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {[GEMM_A] = {1, 160},
							   [GEMM_B] = {2, 240},
							   [GEMM_C] = {3, 120}};
		ck_assert_int_eq(vgpu_cmd_validate(&line_cmd, info, line_msg,
						   sizeof(line_msg)),
				 0);
		info[GEMM_A].size = 159;
		ck_assert_int_eq(vgpu_cmd_validate(&line_cmd, info, line_msg,
						   sizeof(line_msg)),
				 -EINVAL);
		ck_assert_str_eq(line_msg,
				 "gemm_batched: buffer 'a' holds 159 bytes, "
				 "needs 160 (((batch-1)*stride_a+m*k)*4)");
	}
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5 stride_a=0 "
		     "stride_b=0",
		     120, false);
	/* A matrices may overlap each other: they are only read */
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5 stride_a=1 "
		     "ldc=4",
		     1 << 20, false);
	expect_invalid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5 ldc=4 "
		       "stride_a=0 stride_b=0",
		       155, false, -EINVAL,
		       "gemm_batched: buffer 'c' holds 155 bytes, needs 156 "
		       "(((batch-1)*stride_c+(m-1)*ldc+n)*4)");
	expect_invalid(
	    "gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2 stride_c=0", 1 << 20,
	    false, -EINVAL,
	    "gemm_batched: stride_c=0 is less than 6 (m*n), the elements one C "
	    "spans: C matrices would overlap");
	expect_invalid(
	    "gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2 ldc=5 stride_c=7",
	    1 << 20, false, -EINVAL, "stride_c=7 is less than 8 ((m-1)*ldc+n)");
	expect_valid(
	    "gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2 ldc=5 stride_c=8",
	    1 << 20, false);
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=1 stride_c=0",
		     1 << 20, false);
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=0", 0, false);
	expect_valid("gemm_batched a=A b=B c=C m=0 n=3 k=4 batch=7 stride_c=0",
		     1 << 20, false);
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=0 batch=3 "
		     "stride_a=576460752303423487",
		     72, false);
	expect_invalid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2147483647 "
		       "stride_a=576460752303423487",
		       1 << 20, false, -EOVERFLOW,
		       "gemm_batched: stride_a overflows a 64-bit size");
	expect_invalid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2147483647 "
		       "stride_c=1000000000000",
		       1 << 20, false, -EOVERFLOW,
		       "gemm_batched: stride_c overflows");
	expect_invalid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=2147483647 "
		       "stride_a=0 stride_b=0 stride_c=100000000",
		       1 << 20, false, -EINVAL,
		       "gemm_batched: buffer 'c' holds 1048576 bytes, needs "
		       "858993458400000024 (((batch-1)*stride_c+m*n)*4)");
	/* C may not overlap A or B; A and B may overlap */
	expect_invalid(
	    "gemm_batched a=X b=X c=X+156 m=2 n=3 k=4 batch=5 stride_b=0",
	    1 << 20, true, -EINVAL, "gemm_batched: 'c' overlaps 'a'");
	expect_valid("gemm_batched a=X b=X c=X+160 m=2 n=3 k=4 batch=5 "
		     "stride_a=0 stride_b=0",
		     1 << 20, true);
	expect_valid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5 dtype=bf16",
		     120, false);
	expect_invalid("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=5 "
		       "stride_b=0 dtype=bf16",
		       119, false, -EINVAL,
		       "buffer 'c' holds 119 bytes, needs 120 "
		       "(((batch-1)*stride_c+m*n)*4)");
	expect_parse_error("gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=-1",
			   -ERANGE, "batch=-1 is out of range");
	expect_parse_error("gemm_batched a=A b=B c=C m=2 n=3 k=4", -EINVAL,
			   "missing argument 'batch'");
	expect_parse_error(
	    "gemm_batched a=A b=B c=C m=2 n=3 k=4 batch=1 stride_a=-1", -ERANGE,
	    "out of range");
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {"gemv", "scal", "nrm2", "asum",
					    "gemm_batched"};
	static const unsigned ids[] = {VGPU_K_GEMV, VGPU_K_SCAL, VGPU_K_NRM2,
				       VGPU_K_ASUM, VGPU_K_GEMM_BATCHED};
	for (unsigned i = 0; i < COUNT(names); i++) {
		const struct vgpu_kernel_spec *k =
		    vgpu_catalog_find(names[i], strlen(names[i]));
		ck_assert_ptr_nonnull(k);
		ck_assert_uint_eq(k->id, ids[i]);
		ck_assert_ptr_eq(vgpu_catalog_by_id(k->id), k);
		ck_assert_ptr_nonnull(vgpu_kernel_impl(k->id));
		char buf[4096];
		int n = vgpu_catalog_describe(k, buf, sizeof(buf));
		ck_assert_int_lt(n, (int)sizeof(buf));
		ck_assert(strstr(buf, ids[i] == VGPU_K_GEMM_BATCHED
					  ? "dtypes: f32, f64, bf16\n"
					  : "dtypes: f32, f64\n"));
		ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s: %s",
			      k->example, line_msg);
		ck_assert_ptr_eq(line_cmd.spec, k);
	}
	/* bf16 is taken only where a kernel really computes with it, or
	 * moves elements of any size (transpose) */
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		bool takes = k->dtypes & VGPU_DT(VGPU_BF16);
		ck_assert_msg(
		    takes == (id == VGPU_K_CAST || id == VGPU_K_GEMM ||
			      id == VGPU_K_GEMM_BATCHED ||
			      id == VGPU_K_TRANSPOSE),
		    "%s: bf16 %s", k->name, takes ? "taken" : "refused");
	}
}
END_TEST

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("blas");
	tcase_set_timeout(tc, 300); /* sanitizers are slow */
	tcase_add_loop_test(tc, scal, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, norms, 0, 2 * FLOAT_DTYPES);
	tcase_add_test(tc, norm_extremes);
	tcase_add_loop_test(tc, gemv_shapes, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, gemv_degenerate, 0, FLOAT_DTYPES);
	tcase_add_test(tc, gemm_bf16);
	tcase_add_loop_test(tc, gemm_batched, 0, COUNT(gemm_dtypes));
	tcase_add_test(tc, gemm_batched_k0);
	tcase_add_test(tc, gemm_steps);
	tcase_add_test(tc, gemm_batched_plan);
	tcase_add_test(tc, plans);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, catalog);
	return run_tcase("blas", tc);
}
