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
	expect_invalid("gemv a=A x=x y=y+1 m=1 n=20 transa=1", 80, false,
		       -EINVAL,
		       "gemv: buffer 'y' holds 80 bytes, needs 80 (n*4) from "
		       "offset 1");
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
	expect_invalid("nrm2 x=x out=r+37 n=10", 40, false, -EINVAL,
		       "nrm2: buffer 'out' holds 40 bytes, needs 4 (4) from "
		       "offset 37");
	expect_invalid("asum x=x out=r n=10 dtype=f64", 79, false, -EINVAL,
		       "asum: buffer 'x' holds 79 bytes, needs 80 (n*8)");
	expect_valid("asum x=X out=X+8 n=10", 40, true);
	expect_invalid("asum x=x out=r n=1 dtype=bf16", 64, false, -EINVAL,
		       "asum: dtype=bf16 is not supported (f32, f64)");
	expect_valid("nrm2 x=x out=r n=0", 4, false);
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {"gemv", "scal", "nrm2", "asum"};
	static const unsigned ids[] = {VGPU_K_GEMV, VGPU_K_SCAL, VGPU_K_NRM2,
				       VGPU_K_ASUM};
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
		ck_assert(strstr(buf, "dtypes: f32, f64\n"));
		ck_assert_msg(parse_line(k->example) == VGPU_LINE_COMMAND,
			      "%s: %s", k->example, line_msg);
		ck_assert_ptr_eq(line_cmd.spec, k);
	}
	/* bf16 is taken only where a kernel really computes with it */
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		bool takes = k->dtypes & VGPU_DT(VGPU_BF16);
		ck_assert_msg(takes == (id == VGPU_K_CAST), "%s: bf16 %s",
			      k->name, takes ? "taken" : "refused");
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
	tcase_add_test(tc, plans);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, catalog);
	return run_tcase("blas", tc);
}
