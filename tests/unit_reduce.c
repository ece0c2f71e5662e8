/*
 * The matrix kernels (sum mean amax amin argmax argmin along either axis,
 * softmax log_softmax layernorm of each row, transpose) against naive
 * references, run three ways (the serial runner, tiles in reverse order,
 * tiles on several threads at once), on every dtype each takes, with rows
 * and columns of 0, 1, odd and multi-tile counts, offsets, in-place
 * operation and special values. Operands sit inside larger arrays whose
 * other bytes must come out unchanged. Also their text lines through the
 * parser and the validator.
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
#include <vgpufs/validate.h>

#include "kernel_check.h"

static bool is_float(int dt)
{
	return dt == VGPU_F32 || dt == VGPU_F64;
}

/*
 * Float operands rounded to multiples of 2^-16 (at most 100: 24 bits):
 * every sum of them in this test is exact in double, so the references of
 * sum and mean need no tolerance, and neither do the kernels.
 */
static void quantize(struct arr *a, size_t n)
{
	if (is_float(a->dt))
		for (size_t i = 0; i < n; i++)
			put(a->p, a->dt, i,
			    ldexp(nearbyint(ldexp(get(a->p, a->dt, i), 16)),
				  -16));
}

/*
 * A command of kernel ID on a ROWS x COLS matrix of type DT; AXIS for the
 * reductions. The cols argument follows rows in every kernel's list.
 */
static struct vgpu_cmd shaped(unsigned id, int64_t dt, int64_t rows,
			      int64_t cols, int64_t axis)
{
	struct vgpu_cmd c = mkcmd(id);
	unsigned r = RED_ROWS, d = RED_DTYPE;
	if (id == VGPU_K_LAYERNORM)
		r = LN_ROWS, d = LN_DTYPE;
	else if (id == VGPU_K_SOFTMAX || id == VGPU_K_LOG_SOFTMAX)
		r = SMAX_ROWS, d = SMAX_DTYPE;
	else if (id == VGPU_K_TRANSPOSE)
		r = TR_ROWS, d = TR_DTYPE;
	else
		c.val[RED_AXIS].i = axis;
	c.val[r].i = rows;
	c.val[r + 1].i = cols;
	c.val[d].i = dt;
	return c;
}

/* Reductions */

static const unsigned reduce_ids[] = {VGPU_K_SUM,    VGPU_K_MEAN,
				      VGPU_K_AMAX,   VGPU_K_AMIN,
				      VGPU_K_ARGMAX, VGPU_K_ARGMIN};

static bool is_pick(unsigned id)
{
	return id != VGPU_K_SUM && id != VGPU_K_MEAN;
}

static bool is_arg(unsigned id)
{
	return id == VGPU_K_ARGMAX || id == VGPU_K_ARGMIN;
}

/* The dtype of out. */
static int out_dt(unsigned id, int dt)
{
	return is_arg(id)			     ? VGPU_I32
	       : id == VGPU_K_MEAN && dt == VGPU_I32 ? VGPU_F64
						     : dt;
}

/* Written plainly: element i of reduction k, whole sums, first matches. */
static double ref_reduce(unsigned id, const struct arr *x, size_t rows,
			 size_t cols, int axis, size_t k)
{
	size_t len = axis ? cols : rows;
#define AT(i) arr_old(x, axis ? k *cols + (i) : (i)*cols + k)
	if (id == VGPU_K_SUM || id == VGPU_K_MEAN) {
		if (x->dt == VGPU_I32) {
			int64_t s = 0;
			for (size_t i = 0; i < len; i++)
				s += (int64_t)AT(i);
			if (id == VGPU_K_MEAN)
				return (double)s / (double)len;
			return (int32_t)(uint32_t)(uint64_t)s;
		}
		double s = 0;
		for (size_t i = 0; i < len; i++)
			s += AT(i);
		return to_dt(id == VGPU_K_MEAN ? s / (double)len : s, x->dt);
	}
	bool lo = id == VGPU_K_AMIN || id == VGPU_K_ARGMIN;
	size_t at = 0;
	for (size_t i = 0; i < len; i++) {
		if (isnan(AT(i))) {
			at = i;
			break;
		}
		if (lo ? AT(i) < AT(at) : AT(i) > AT(at))
			at = i;
	}
	return is_arg(id) ? (double)at : AT(at);
#undef AT
}

struct rcase {
	unsigned id;
	int dt;
	size_t rows, cols;
	int axis;
	bool specials;
};

static void check_reduce(const struct rcase *t, enum mode mode)
{
	int dt = t->dt, odt = out_dt(t->id, dt);
	size_t n = t->rows * t->cols, kept = t->axis ? t->rows : t->cols;
	struct arr x, o;
	arr_init(&x, dt, 1 + n % 3, n, 100.0);
	quantize(&x, n);
	if (t->specials)
		sprinkle_specials(&x, n);
	arr_init(&o, odt, 2 + kept % 2, kept, 100.0);
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c =
	    shaped(t->id, dt, (int64_t)t->rows, (int64_t)t->cols, t->axis);
	void *ptr[VGPU_MAX_ARGS] = {[RED_X] = x.p, [RED_OUT] = o.p};
	run_ok(&c, ptr, mode);
	for (size_t k = 0; k < kept; k++) {
		double want =
		    ref_reduce(t->id, &x, t->rows, t->cols, t->axis, k);
		double got = get(o.p, odt, k);
		/* exact; of -0 and +0 a pick may give either */
		EXPECT(close_to(got, want, 0) &&
			   (is_pick(t->id) || odt == VGPU_I32 || isnan(want) ||
			    signbit(got) == signbit(want)),
		       "%s %s %zux%zu axis=%d (%s): out[%zu] = %.17g, want "
		       "%.17g",
		       c.spec->name, dtname(dt), t->rows, t->cols, t->axis,
		       mode_name[mode], k, got, want);
	}
	EXPECT(arr_outside_same(&o, kept), "%s %s %zux%zu: wrote outside out",
	       c.spec->name, dtname(dt), t->rows, t->cols);
	EXPECT(arr_same(&x), "%s: x changed", c.spec->name);
	arr_free(&x);
	arr_free(&o);
}

/*
 * Every shape of 0, 1, odd counts, several column blocks (512 columns
 * each), and tiles that split long rows or columns into segments.
 */
static const size_t shapes[][2] = {
    {0, 0}, {0, 4},	{4, 0},	    {1, 1},	 {1, 9},      {9, 1},
    {3, 5}, {33, 1000}, {1000, 33}, {517, 1031}, {1, 140001}, {140001, 3}};

START_TEST(reduce)
{
	unsigned id = reduce_ids[_i];
	static const int dts[] = {VGPU_F32, VGPU_F64, VGPU_I32};
	for (size_t d = 0; d < COUNT(dts); d++)
		for (size_t s = 0; s < COUNT(shapes); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				struct rcase t = {.id = id,
						  .dt = dts[d],
						  .rows = shapes[s][0],
						  .cols = shapes[s][1],
						  .specials = (s + mode) % 2};
				for (t.axis = 0; t.axis <= 1; t.axis++) {
					size_t len = t.axis ? t.cols : t.rows;
					size_t kept = t.axis ? t.rows : t.cols;
					if (!is_pick(id) || len || !kept)
						check_reduce(&t, mode);
				}
			}
}
END_TEST

/* Runs a reduction of a ROWS x COLS f64 or i32 matrix X into OUT. */
static void reduce_into(unsigned id, int dt, const void *x, void *out,
			size_t rows, size_t cols, int axis, enum mode mode)
{
	struct vgpu_cmd c = shaped(id, dt, (int64_t)rows, (int64_t)cols, axis);
	void *ptr[VGPU_MAX_ARGS] = {[RED_X] = (void *)x, [RED_OUT] = out};
	run_ok(&c, ptr, mode);
}

/*
 * Sums are compensated, also across the segments of a long row or column:
 * 1e100 + 1 + ... + 1 - 1e100 is the number of ones, where a plain double
 * sum gives 0.
 */
START_TEST(reduce_compensated)
{
	const size_t n = 300001; /* 2.4 MB: several segments */
	double *x = malloc(n * sizeof(double)), out[2];
	float *xf = malloc(n * sizeof(float)), outf;
	ck_assert(x && xf);
	for (size_t i = 0; i < n; i++)
		x[i] = 1, xf[i] = 1;
	x[0] = 1e100, x[n - 1] = -1e100;
	xf[0] = 1e30f, xf[n - 1] = -1e30f;
	for (int mode = 0; mode < RUN_MODES; mode++)
		for (int axis = 0; axis <= 1; axis++) {
			/* one row of n, or one column of n */
			size_t rows = axis ? 1 : n, cols = axis ? n : 1;
			reduce_into(VGPU_K_SUM, VGPU_F64, x, out, rows, cols,
				    axis, mode);
			ck_assert_msg(out[0] == (double)(n - 2), "%.17g",
				      out[0]);
			reduce_into(VGPU_K_MEAN, VGPU_F64, x, out, rows, cols,
				    axis, mode);
			ck_assert(out[0] == (double)(n - 2) / (double)n);
			reduce_into(VGPU_K_SUM, VGPU_F32, xf, &outf, rows, cols,
				    axis, mode);
			ck_assert(outf == (float)(n - 2));
		}
	/* the classic: 1 + 1e100 + 1 - 1e100 */
	double y[] = {1, 1e100, 1, -1e100};
	reduce_into(VGPU_K_SUM, VGPU_F64, y, out, 1, 4, 1, RUN_SERIAL);
	ck_assert(out[0] == 2);
	/* infinities are no compensation error */
	double z[] = {INFINITY, 1, -1e300, -1e300, 2, -INFINITY, NAN, 0};
	reduce_into(VGPU_K_SUM, VGPU_F64, z, out, 2, 2, 1, RUN_SERIAL);
	ck_assert(out[0] == INFINITY && out[1] == -2e300);
	reduce_into(VGPU_K_SUM, VGPU_F64, z + 4, out, 1, 2, 1, RUN_SERIAL);
	ck_assert(out[0] == -INFINITY);
	reduce_into(VGPU_K_SUM, VGPU_F64, z, out, 1, 6, 1, RUN_SERIAL);
	ck_assert(isnan(out[0])); /* inf - inf */
	/* f64 sums overflow to inf, f32 ones only when rounded to f32 */
	double big[] = {DBL_MAX, DBL_MAX, -DBL_MAX};
	reduce_into(VGPU_K_SUM, VGPU_F64, big, out, 1, 3, 1, RUN_SERIAL);
	ck_assert(out[0] == INFINITY);
	float bigf[] = {FLT_MAX, FLT_MAX, -FLT_MAX};
	reduce_into(VGPU_K_SUM, VGPU_F32, bigf, &outf, 1, 3, 1, RUN_SERIAL);
	ck_assert(outf == FLT_MAX);
	reduce_into(VGPU_K_SUM, VGPU_F32, bigf, &outf, 1, 2, 1, RUN_SERIAL);
	ck_assert(outf == INFINITY);
	free(x);
	free(xf);
}
END_TEST

/* The documented corner cases, exactly. */
START_TEST(reduce_specials)
{
	double out[4];
	int32_t idx[4];
	/* i32 sums wrap; i32 means are exact f64 */
	int32_t iv[] = {INT32_MAX, 1, INT32_MAX, INT32_MAX, INT32_MIN, -1};
	reduce_into(VGPU_K_SUM, VGPU_I32, iv, idx, 3, 2, 1, RUN_SERIAL);
	ck_assert(idx[0] == INT32_MIN && idx[1] == -2 && idx[2] == INT32_MAX);
	reduce_into(VGPU_K_MEAN, VGPU_I32, iv, out, 3, 2, 1, RUN_SERIAL);
	ck_assert(out[0] == 1073741824.0 && out[1] == 2147483647.0 &&
		  out[2] == -1073741824.5);
	reduce_into(VGPU_K_MEAN, VGPU_I32, iv, out, 0, 2, 0, RUN_SERIAL);
	ck_assert(isnan(out[0]) && isnan(out[1]));
	/* empty sums are 0, empty means NaN */
	float f[2] = {7, 7};
	reduce_into(VGPU_K_SUM, VGPU_F32, iv, f, 2, 0, 1, RUN_SERIAL);
	ck_assert(f[0] == 0 && f[1] == 0 && !signbit(f[0]));
	reduce_into(VGPU_K_MEAN, VGPU_F32, iv, f, 2, 0, 1, RUN_SERIAL);
	ck_assert(isnan(f[0]) && isnan(f[1]));
	/* ties: the first; NaN: the first NaN; all -inf: index 0 */
	double v[] = {1,	 3,	    3,	       1,
		      NAN,	 2,	    NAN,       -INFINITY,
		      -INFINITY, -INFINITY, -INFINITY, -INFINITY};
	for (int mode = 0; mode < RUN_MODES; mode++) {
		reduce_into(VGPU_K_ARGMAX, VGPU_F64, v, idx, 3, 4, 1, mode);
		ck_assert(idx[0] == 1 && idx[1] == 0 && idx[2] == 0);
		reduce_into(VGPU_K_ARGMIN, VGPU_F64, v, idx, 3, 4, 1, mode);
		ck_assert(idx[0] == 0 && idx[1] == 0 && idx[2] == 0);
		reduce_into(VGPU_K_ARGMAX, VGPU_F64, v, idx, 4, 3, 0, mode);
		/* columns: 1 1 NAN -inf | 3 NAN -inf -inf | 3 2 -inf -inf */
		ck_assert(idx[0] == 2 && idx[1] == 1 && idx[2] == 0);
		reduce_into(VGPU_K_AMAX, VGPU_F64, v, out, 4, 3, 0, mode);
		ck_assert(isnan(out[0]) && isnan(out[1]) && out[2] == 3);
		reduce_into(VGPU_K_AMIN, VGPU_F64, v, out, 3, 4, 1, mode);
		ck_assert(out[0] == 1 && isnan(out[1]) && out[2] == -INFINITY);
	}
	/* ties across the segments of a long row or column: the first */
	const size_t n = 300001;
	double *same = malloc(n * sizeof(double));
	ck_assert_ptr_nonnull(same);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++)
			same[i] = k ? -INFINITY : 5;
		for (int mode = 0; mode < RUN_MODES; mode++)
			for (int axis = 0; axis <= 1; axis++) {
				size_t rows = axis ? 1 : n, cols = axis ? n : 1;
				idx[0] = -1;
				reduce_into(VGPU_K_ARGMAX, VGPU_F64, same, idx,
					    rows, cols, axis, mode);
				ck_assert_int_eq(idx[0], 0);
				idx[0] = -1;
				reduce_into(VGPU_K_ARGMIN, VGPU_F64, same, idx,
					    rows, cols, axis, mode);
				ck_assert_int_eq(idx[0], 0);
			}
	}
	free(same);
	/* argmax of -inf and NaN alone */
	double w[] = {-INFINITY, NAN};
	reduce_into(VGPU_K_ARGMIN, VGPU_F64, w, idx, 1, 2, 1, RUN_SERIAL);
	ck_assert(idx[0] == 1);
	reduce_into(VGPU_K_AMAX, VGPU_F64, w, out, 1, 1, 1, RUN_SERIAL);
	ck_assert(out[0] == -INFINITY);
}
END_TEST

/* softmax, log_softmax */

/*
 * What log_softmax subtracts from x - m in row OFF.. of N elements of A:
 * log(1 + t) in long double, t the sum of exp(x - m) over all elements but
 * one maximum (its term is 1), so that it stays exact near 0 too. *M gets
 * the maximum; NaN when it is not finite.
 */
static long double log_sum_ref(const struct arr *a, size_t off, size_t n,
			       long double *m)
{
	*m = -INFINITY;
	size_t k = 0;
	for (size_t j = 0; j < n; j++) {
		long double v = arr_old(a, off + j);
		if (isnan(v) || v > *m)
			*m = isnan(*m) ? *m : v, k = j;
	}
	if (!isfinite(*m))
		return NAN;
	long double t = 0;
	for (size_t j = 0; j < n; j++)
		if (j != k)
			t += expl(arr_old(a, off + j) - *m);
	return log1pl(t);
}

/*
 * How far log_softmax may be off WANT: f64 a few ulps, relative; f32 (from
 * f64, rounded once) half an ulp and a bit; subnormals an ulp of theirs.
 */
static double log_softmax_tol(int dt, double want)
{
	return (dt == VGPU_F32 ? 1 : 4) * eps(dt) * fabs(want) +
	       (dt == VGPU_F32 ? 0x1p-149 : 0x1p-1074);
}

static void check_softmax(unsigned id, int dt, size_t rows, size_t cols,
			  bool inplace, enum mode mode)
{
	size_t n = rows * cols;
	bool take_log = id == VGPU_K_LOG_SOFTMAX;
	struct arr x, o;
	arr_init(&x, dt, 3 - n % 3, n, 30.0);
	arr_init(&o, dt, 1, n, 30.0);
	if (mode != RUN_SERIAL)
		sprinkle_specials(&x, n);
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c = shaped(id, dt, (int64_t)rows, (int64_t)cols, 0);
	struct arr *out = inplace ? &x : &o;
	void *ptr[VGPU_MAX_ARGS] = {[SMAX_X] = x.p, [SMAX_OUT] = out->p};
	run_ok(&c, ptr, mode);
	for (size_t r = 0; r < rows; r++) {
		long double m, s = 0;
		long double ls = log_sum_ref(&x, r * cols, cols, &m);
		for (size_t j = 0; j < cols; j++)
			s += expl(arr_old(&x, r * cols + j) - m);
		for (size_t j = 0; j < cols; j++) {
			long double d = arr_old(&x, r * cols + j) - m;
			double want =
			    take_log ? (double)(d - ls) : (double)(expl(d) / s);
			double got = get(out->p, dt, r * cols + j);
			/* one or two roundings to dtype; log_softmax's, and
			 * f64's few ulps */
			double tol =
			    take_log ? log_softmax_tol(dt, want)
				     : 3 * eps(dt) * fabs(want) +
					   (dt == VGPU_F32 ? 1e-45 : 1e-300);
			EXPECT(close_to(got, want, tol),
			       "%s %s %zux%zu%s (%s): out[%zu,%zu] = %.17g, "
			       "want %.17g",
			       c.spec->name, dtname(dt), rows, cols,
			       inplace ? " in place" : "", mode_name[mode], r,
			       j, got, want);
		}
	}
	EXPECT(arr_outside_same(out, n), "%s %s %zux%zu: wrote outside out",
	       c.spec->name, dtname(dt), rows, cols);
	EXPECT(arr_same(inplace ? &o : &x), "%s: another array changed",
	       c.spec->name);
	arr_free(&x);
	arr_free(&o);
}

/* Rows of one tile each and of many tiles: 0, 1, odd, long rows. */
static const size_t row_shapes[][2] = {
    {0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 77}, {9, 1}, {257, 513}, {3, 200001}};

START_TEST(softmax)
{
	unsigned id = _i ? VGPU_K_LOG_SOFTMAX : VGPU_K_SOFTMAX;
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (size_t s = 0; s < COUNT(row_shapes); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				check_softmax(id, dt, row_shapes[s][0],
					      row_shapes[s][1], false, mode);
				check_softmax(id, dt, row_shapes[s][0],
					      row_shapes[s][1], true, mode);
			}
}
END_TEST

/*
 * log_softmax of rows where one element dominates: its result is near 0
 * (-t for the sum t of the others' exp(x - m)), where log(1 + t) rounds to
 * 0 or loses digits; still within the documented ulps, relative.
 */
START_TEST(log_softmax_near_zero)
{
	static const double gaps[] = {0.5, 5,	20,  30,  37,
				      45,  100, 700, 740, 760};
	const size_t rows = 200, cols_max = 64;
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++) {
		struct arr x, o;
		arr_init(&x, dt, 1, rows * cols_max, 1.0);
		arr_init(&o, dt, 2, rows * cols_max, 1.0);
		for (size_t r = 0; r < rows; r++) {
			size_t cols = 2 + r % (cols_max - 1), k = r % cols;
			double top = 10 * urand(), gap = gaps[r % COUNT(gaps)];
			for (size_t j = 0; j < cols; j++)
				put(x.p, dt, r * cols_max + j,
				    j == k ? top
					   : top - gap - 20 * (urand() + 1));
			put(x.p, dt, r * cols_max + (k + 1) % cols, top - gap);
			for (size_t j = cols; j < cols_max; j++) /* no effect */
				put(x.p, dt, r * cols_max + j, -INFINITY);
		}
		arr_snap(&x);
		struct vgpu_cmd c = shaped(VGPU_K_LOG_SOFTMAX, dt,
					   (int64_t)rows, (int64_t)cols_max, 0);
		void *ptr[VGPU_MAX_ARGS] = {[SMAX_X] = x.p, [SMAX_OUT] = o.p};
		run_ok(&c, ptr, RUN_THREADS);
		for (size_t r = 0; r < rows; r++) {
			long double m;
			long double ls =
			    log_sum_ref(&x, r * cols_max, cols_max, &m);
			for (size_t j = 0; j < cols_max; j++) {
				size_t at = r * cols_max + j;
				double want =
				    (double)(arr_old(&x, at) - m - ls);
				double got = get(o.p, dt, at);
				EXPECT(close_to(got, want,
						log_softmax_tol(dt, want)),
				       "log_softmax %s [%zu,%zu] = %.17g, want "
				       "%.17g",
				       dtname(dt), r, j, got, want);
			}
		}
		arr_free(&x);
		arr_free(&o);
	}
}
END_TEST

/* Infinities and NaN: the documented results, exactly. */
START_TEST(softmax_specials)
{
	const double in[][3] = {
	    {-INFINITY, -INFINITY, -INFINITY}, /* all NaN */
	    {1, NAN, 2},		       /* all NaN */
	    {1, INFINITY, 2},		       /* all NaN */
	    {-INFINITY, 0, -INFINITY},	       /* 0 1 0; -inf 0 -inf */
	    {1000, 1000, -1000},	       /* no overflow */
	};
	const double want[][3] = {{NAN, NAN, NAN},
				  {NAN, NAN, NAN},
				  {NAN, NAN, NAN},
				  {0, 1, 0},
				  {0.5, 0.5, 0}};
	const double want_log[][3] = {{NAN, NAN, NAN},
				      {NAN, NAN, NAN},
				      {NAN, NAN, NAN},
				      {-INFINITY, 0, -INFINITY},
				      {-M_LN2, -M_LN2, -2000 - M_LN2}};
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (int lg = 0; lg <= 1; lg++) {
			double buf[15];
			for (size_t i = 0; i < 15; i++)
				put(buf, dt, i, in[i / 3][i % 3]);
			struct vgpu_cmd c =
			    shaped(lg ? VGPU_K_LOG_SOFTMAX : VGPU_K_SOFTMAX, dt,
				   5, 3, 0);
			void *ptr[VGPU_MAX_ARGS] = {buf, buf};
			run_ok(&c, ptr, RUN_THREADS);
			for (size_t i = 0; i < 15; i++) {
				double w = to_dt(
				    (lg ? want_log : want)[i / 3][i % 3], dt);
				ck_assert_msg(close_to(get(buf, dt, i), w, 0),
					      "%s %s [%zu] = %g, want %g",
					      c.spec->name, dtname(dt), i,
					      get(buf, dt, i), w);
			}
		}
}
END_TEST

/* layernorm */

enum { LN_WITH_GAMMA = 1, LN_WITH_BETA = 2 };

static void check_layernorm(int dt, size_t rows, size_t cols, int with,
			    double epsv, bool inplace, enum mode mode)
{
	size_t n = rows * cols;
	struct arr x, o, g, b;
	arr_init(&x, dt, 1 + cols % 4, n, 3.0);
	arr_init(&o, dt, 2, n, 3.0);
	arr_init(&g, dt, 3, cols, 2.0);
	arr_init(&b, dt, 1, cols, 2.0);
	if (mode == RUN_THREADS)
		sprinkle_specials(&x, n);
	/* rows of a large mean and a small spread, and constant ones */
	for (size_t r = 0; r < rows && cols; r += 3)
		for (size_t j = 0; j < cols; j++)
			put(x.p, dt, r * cols + j,
			    r % 2 ? 7.0 : 1000 + get(x.p, dt, r * cols + j));
	arr_snap(&x);
	arr_snap(&o);
	arr_snap(&g);
	arr_snap(&b);
	struct vgpu_cmd c =
	    shaped(VGPU_K_LAYERNORM, dt, (int64_t)rows, (int64_t)cols, 0);
	if (epsv >= 0)
		c.val[LN_EPS].f = epsv;
	c.given |= (with & LN_WITH_GAMMA ? 1u << LN_GAMMA : 0) |
		   (with & LN_WITH_BETA ? 1u << LN_BETA : 0);
	struct arr *out = inplace ? &x : &o;
	void *ptr[VGPU_MAX_ARGS] = {
	    [LN_X] = x.p,
	    [LN_OUT] = out->p,
	    [LN_GAMMA] = with & LN_WITH_GAMMA ? g.p : x.p,
	    [LN_BETA] = with & LN_WITH_BETA ? b.p : x.p,
	};
	run_ok(&c, ptr, mode);
	double e = vgpu_cmd_f(&c, LN_EPS);
	for (size_t r = 0; r < rows; r++) {
		long double m = 0, v = 0;
		for (size_t j = 0; j < cols; j++)
			m += arr_old(&x, r * cols + j);
		m /= cols;
		for (size_t j = 0; j < cols; j++) {
			long double d = arr_old(&x, r * cols + j) - m;
			v += d * d;
		}
		v /= cols;
		long double rs = 1 / sqrtl(v + e);
		for (size_t j = 0; j < cols; j++) {
			double gj = with & LN_WITH_GAMMA ? arr_old(&g, j) : 1;
			double bj = with & LN_WITH_BETA ? arr_old(&b, j) : 0;
			long double t = (arr_old(&x, r * cols + j) - m) * rs;
			double want = (double)(t * gj + bj);
			double got = get(out->p, dt, r * cols + j);
			/* computed in double, rounded once to dtype; the
			 * deviations' error scales with the mean */
			double tol = eps(dt) * fabs(want) +
				     16 * DBL_EPSILON *
					 (fabs((double)t * gj) + fabs(bj) +
					  fabs((double)(m * rs) * gj));
			EXPECT(close_to(got, want, tol),
			       "layernorm %s %zux%zu with=%d eps=%g%s (%s): "
			       "out[%zu,%zu] = %.17g, want %.17g",
			       dtname(dt), rows, cols, with, e,
			       inplace ? " in place" : "", mode_name[mode], r,
			       j, got, want);
		}
	}
	EXPECT(arr_outside_same(out, n), "layernorm: wrote outside out");
	EXPECT(arr_same(inplace ? &o : &x), "layernorm: another array changed");
	EXPECT(arr_same(&g) && arr_same(&b),
	       "layernorm: gamma or beta changed");
	arr_free(&x);
	arr_free(&o);
	arr_free(&g);
	arr_free(&b);
}

START_TEST(layernorm)
{
	static const double epss[] = {-1 /* default */, 0.5, 1e-3};
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (size_t s = 0; s < COUNT(row_shapes); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				int with = (int)(s + mode) % 4;
				double e = epss[(s + (size_t)dt) % 3];
				check_layernorm(dt, row_shapes[s][0],
						row_shapes[s][1], with, e,
						false, mode);
				check_layernorm(dt, row_shapes[s][0],
						row_shapes[s][1], 3 - with, e,
						true, mode);
			}
}
END_TEST

START_TEST(layernorm_specials)
{
	/* a constant row is beta (eps > 0) or NaN (eps 0); a NaN or an
	 * infinity spoils its row; one column is beta */
	double x[] = {5, 5, 5, 1, NAN, 2, INFINITY, 0, 1};
	double g[] = {2, 3, 4}, b[] = {-1, 0.5, 0};
	struct vgpu_cmd c = shaped(VGPU_K_LAYERNORM, VGPU_F64, 3, 3, 0);
	c.given |= 1u << LN_GAMMA | 1u << LN_BETA;
	double o[9];
	void *ptr[VGPU_MAX_ARGS] = {
	    [LN_X] = x, [LN_OUT] = o, [LN_GAMMA] = g, [LN_BETA] = b};
	run_ok(&c, ptr, RUN_SERIAL);
	for (int j = 0; j < 3; j++)
		ck_assert(o[j] == b[j] && isnan(o[3 + j]) && isnan(o[6 + j]));
	c.val[LN_EPS].f = 0;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert(isnan(o[0]) && isnan(o[1]) && isnan(o[2]));
	c.val[LN_ROWS].i = 9;
	c.val[LN_COLS].i = 1;
	c.val[LN_EPS].f = 1e-5;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert(o[0] == -1 && o[1] == -1 && isnan(o[4]) && isnan(o[6]));
	/* rows=1: out may be x and gamma at once, read before written */
	double y[] = {1, 2, 3, 6}, by[] = {0, 0, 0, 1};
	c.val[LN_ROWS].i = 1;
	c.val[LN_COLS].i = 4;
	c.val[LN_EPS].f = 0;
	void *same[VGPU_MAX_ARGS] = {
	    [LN_X] = y, [LN_OUT] = y, [LN_GAMMA] = y, [LN_BETA] = by};
	run_ok(&c, same, RUN_SERIAL);
	/* mean 3, variance 3.5 */
	double r = 1 / sqrt(3.5);
	ck_assert(fabs(y[0] - (-2 * r * 1)) < 1e-15);
	ck_assert(fabs(y[3] - (3 * r * 6 + 1)) < 1e-14);
}
END_TEST

/* transpose */

static void check_transpose(int dt, size_t rows, size_t cols, enum mode mode)
{
	size_t n = rows * cols, es = esz(dt);
	struct arr x, o;
	arr_init(&x, dt, 1 + rows % 5, n, 1e6);
	arr_init(&o, dt, 3, n, 1e6);
	sprinkle_specials(&x, n);
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c =
	    shaped(VGPU_K_TRANSPOSE, dt, (int64_t)rows, (int64_t)cols, 0);
	void *ptr[VGPU_MAX_ARGS] = {[TR_X] = x.p, [TR_OUT] = o.p};
	run_ok(&c, ptr, mode);
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			EXPECT(memcmp((char *)o.p + (j * rows + i) * es,
				      (char *)x.p + (i * cols + j) * es,
				      es) == 0,
			       "transpose %s %zux%zu (%s): out[%zu,%zu] = "
			       "%.17g, want x[%zu,%zu] = %.17g",
			       dtname(dt), rows, cols, mode_name[mode], j, i,
			       get(o.p, dt, j * rows + i), i, j,
			       get(x.p, dt, i * cols + j));
	EXPECT(arr_outside_same(&o, n), "transpose %s %zux%zu: wrote outside",
	       dtname(dt), rows, cols);
	EXPECT(arr_same(&x), "transpose: x changed");
	arr_free(&x);
	arr_free(&o);
}

START_TEST(transpose)
{
	static const size_t tshapes[][2] = {
	    {0, 0},   {0, 7},	{7, 0},	     {1, 1},	  {1, 1000},  {1000, 1},
	    {33, 65}, {64, 64}, {517, 1031}, {3, 300001}, {300001, 2}};
	int dt = _i;
	for (size_t s = 0; s < COUNT(tshapes); s++)
		for (int mode = 0; mode < RUN_MODES; mode++)
			check_transpose(dt, tshapes[s][0], tshapes[s][1], mode);
}
END_TEST

/* Tiles: about 512 KiB, rows or columns split where they are long. */
START_TEST(plans)
{
	void *ptr[VGPU_MAX_ARGS] = {0}; /* plans look at no memory */
	struct {
		unsigned id;
		int dt;
		size_t rows, cols;
		int axis;
		uint32_t lo, hi;
	} t[] = {
	    {VGPU_K_SUM, VGPU_F32, 0, 0, 1, 1, 1},
	    {VGPU_K_SUM, VGPU_F32, 1000, 1000, 1, 7, 8},      /* row blocks */
	    {VGPU_K_SUM, VGPU_F32, 1, 1 << 20, 1, 8, 8},      /* segments */
	    {VGPU_K_SUM, VGPU_F32, 1 << 20, 1, 0, 8, 8},      /* segments */
	    {VGPU_K_SUM, VGPU_F32, 1 << 20, 1, 1, 8, 8},      /* row blocks */
	    {VGPU_K_AMAX, VGPU_F64, 1000, 1000, 0, 8, 16},    /* both */
	    {VGPU_K_ARGMAX, VGPU_I32, 4, 1 << 20, 0, 32, 32}, /* blocks */
	    /* a huge one: the grid stays at most 2^16 tiles, the scratch
	     * area small */
	    {VGPU_K_SUM, VGPU_F64, 1 << 20, 1 << 20, 0, 2048, 1 << 16},
	    {VGPU_K_SOFTMAX, VGPU_F32, 1000, 1000, 0, 56, 64},
	    {VGPU_K_SOFTMAX, VGPU_F32, 3, 1 << 20, 0, 3, 3}, /* whole rows */
	    {VGPU_K_LAYERNORM, VGPU_F64, 1 << 16, 1, 0, 8, 8},
	    {VGPU_K_TRANSPOSE, VGPU_F32, 1000, 1000, 0, 28, 64},
	    {VGPU_K_TRANSPOSE, VGPU_U8, 3, 1 << 20, 0, 24, 32},
	    {VGPU_K_TRANSPOSE, VGPU_F64, 1 << 20, 3, 0, 192, 256},
	};
	for (size_t k = 0; k < COUNT(t); k++) {
		struct vgpu_cmd c = shaped(t[k].id, t[k].dt, (int64_t)t[k].rows,
					   (int64_t)t[k].cols, t[k].axis);
		uint32_t nt = ntiles_for(&c, ptr, 2);
		ck_assert_msg(nt >= t[k].lo && nt <= t[k].hi,
			      "%s %zux%zu: %u tiles", c.spec->name, t[k].rows,
			      t[k].cols, nt);
		ck_assert_uint_eq(ntiles_for(&c, ptr, 64), nt);
	}
}
END_TEST

/* Defensive checks: what validation refuses is -EINVAL at run time too. */
START_TEST(bad_arguments)
{
	double buf[16] = {0}, old[16];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 8, buf + 12, buf + 14};
	struct {
		unsigned id;
		int64_t dt, rows, cols, axis;
	} t[] = {
	    {VGPU_K_SUM, VGPU_U8, 2, 2, 1},
	    {VGPU_K_SUM, 4, 2, 2, 1},
	    {VGPU_K_MEAN, -1, 2, 2, 1},
	    {VGPU_K_AMAX, VGPU_F32, 2, 0, 1}, /* empty rows */
	    {VGPU_K_ARGMIN, VGPU_F32, 0, 2, 0},
	    {VGPU_K_SUM, VGPU_F32, 2, 2, 2}, /* no such axis */
	    {VGPU_K_SUM, VGPU_F32, -1, 2, 1},
	    {VGPU_K_SUM, VGPU_F32, INT64_MAX / 8, INT64_MAX / 8, 1},
	    {VGPU_K_ARGMAX, VGPU_F32, 1, (int64_t)1 << 32, 1},
	    {VGPU_K_SOFTMAX, VGPU_I32, 2, 2, 0},
	    {VGPU_K_LOG_SOFTMAX, VGPU_F32, (int64_t)1 << 40, 1 << 30, 0},
	    {VGPU_K_LAYERNORM, VGPU_U8, 2, 2, 0},
	    {VGPU_K_TRANSPOSE, 9, 2, 2, 0},
	    {VGPU_K_TRANSPOSE, VGPU_F64, 1, -5, 0},
	};
	for (size_t k = 0; k < COUNT(t); k++) {
		struct vgpu_cmd c =
		    shaped(t[k].id, t[k].dt, t[k].rows, t[k].cols, t[k].axis);
		for (int mode = 0; mode < RUN_MODES; mode++)
			ck_assert_msg(run(&c, ptr, mode) == -EINVAL,
				      "case %zu (%s): not refused", k,
				      mode_name[mode]);
	}
	/* layernorm's eps */
	struct vgpu_cmd c = shaped(VGPU_K_LAYERNORM, VGPU_F32, 2, 2, 0);
	c.val[LN_EPS].f = -1;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

/*
 * Validates LINE with buffer argument i of SIZE[i] bytes, each its own
 * buffer; expects WANT_ERR with WANT_MSG in the message.
 */
static void expect_sizes(const char *line, const uint64_t size[], int want_err,
			 const char *want_msg)
{
	ck_assert_msg(parse(line) == VGPU_LINE_COMMAND, "'%s': %s", line,
		      line_msg);
	struct vgpu_bufinfo info[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		info[i] = (struct vgpu_bufinfo){i + 1, size[i]};
	line_msg[0] = '\0';
	int rc = vgpu_cmd_validate(&line_cmd, info, line_msg, sizeof(line_msg));
	ck_assert_msg(rc == want_err && strstr(line_msg, want_msg),
		      "'%s': %d '%s', want %d '%s'", line, rc, line_msg,
		      want_err, want_msg);
}

#define SIZES(...) ((const uint64_t[VGPU_MAX_ARGS]){__VA_ARGS__})

START_TEST(text_lines)
{
	/* reductions: the extent of out follows axis */
	expect_valid("sum x=X out=Y rows=100 cols=30 axis=1", 12000, false);
	ck_assert_int_eq(line_cmd.spec->id, VGPU_K_SUM);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, RED_AXIS), 1);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, RED_DTYPE), VGPU_F32);
	expect_sizes("amax x=X out=Y rows=100 cols=30 axis=0 dtype=f64",
		     SIZES(24000, 239), -EINVAL,
		     "amax: buffer 'out' holds 239 bytes, needs 240 (cols*8)");
	expect_sizes("amax x=X out=Y rows=100 cols=30 axis=0 dtype=f64",
		     SIZES(24000, 240), 0, "");
	expect_invalid("mean x=X out=Y rows=100 cols=30 axis=1", 11999, false,
		       -EINVAL,
		       "mean: buffer 'x' holds 11999 bytes, needs 12000 "
		       "(rows*cols*4)");
	/* argmax writes i32, the mean of i32 f64 */
	expect_sizes("argmax x=X out=Y rows=10 cols=3 axis=1 dtype=f64",
		     SIZES(240, 39), -EINVAL, "needs 40 (rows*4)");
	expect_sizes("argmax x=X out=Y rows=10 cols=3 axis=1 dtype=f64",
		     SIZES(240, 40), 0, "");
	expect_sizes("mean x=X out=Y rows=10 cols=3 axis=0 dtype=i32",
		     SIZES(120, 23), -EINVAL, "needs 24 (cols*8)");
	expect_sizes("mean x=X out=Y rows=10 cols=3 axis=0 dtype=i32",
		     SIZES(120, 24), 0, "");
	expect_parse_error("sum x=X out=Y rows=10 cols=3", -EINVAL,
			   "sum: missing argument 'axis'");
	expect_parse_error("sum x=X out=Y rows=10 cols=3 axis=2", -ERANGE,
			   "out of range");
	expect_parse_error("sum x=X out=Y rows=-1 cols=3 axis=0", -ERANGE,
			   "out of range");
	expect_invalid("sum x=X out=Y rows=10 cols=3 axis=0 dtype=u8", 1000,
		       false, -EINVAL,
		       "sum: dtype=u8 is not supported (f32, f64, i32)");
	/* empty rows or columns: no maximum; fine when out is empty too */
	expect_invalid("amax x=X out=Y rows=5 cols=0 axis=1", 100, false,
		       -EINVAL,
		       "amax: cols=0 with axis=1: the 5 rows are empty, and "
		       "an empty row has no maximum");
	expect_invalid("argmin x=X out=Y rows=0 cols=3 axis=0", 100, false,
		       -EINVAL,
		       "argmin: rows=0 with axis=0: the 3 columns are empty, "
		       "and an empty column has no minimum");
	expect_valid("amax x=X out=Y rows=0 cols=0 axis=1", 0, false);
	expect_valid("amin x=X out=Y rows=0 cols=5 axis=1", 0, false);
	expect_valid("sum x=X out=Y rows=5 cols=0 axis=1", 20, false);
	expect_valid("mean x=X out=Y rows=0 cols=5 axis=0", 20, false);
	/* i32 indices; exact i32 means */
	expect_invalid("argmax x=X out=Y rows=1 cols=2147483649 axis=1 "
		       "dtype=i32",
		       (uint64_t)1 << 40, false, -EINVAL,
		       "argmax: cols=2147483649 with axis=1: indices past "
		       "2147483647 do not fit the i32 output");
	expect_valid("argmax x=X out=Y rows=1 cols=2147483648 axis=1 dtype=i32",
		     (uint64_t)1 << 40, false);
	expect_invalid("mean x=X out=Y rows=4294967297 cols=1 axis=0 "
		       "dtype=i32",
		       (uint64_t)1 << 40, false, -EINVAL,
		       "the mean of i32 takes at most 4294967296 elements");
	expect_valid("mean x=X out=Y rows=4294967297 cols=1 axis=0 dtype=f32",
		     (uint64_t)1 << 40, false);
	/* overflow of rows*cols */
	expect_invalid("sum x=X out=Y rows=4G cols=4G axis=1", 1 << 20, false,
		       -EOVERFLOW, "sum: rows*cols overflows a 64-bit size");
	expect_invalid("transpose x=X out=Y rows=2G cols=2G dtype=f64", 1 << 20,
		       false, -EOVERFLOW, "transpose: rows*cols overflows");
	/* out may not overlap x at all */
	expect_invalid("sum x=X out=X rows=10 cols=1 axis=1", 1 << 20, true,
		       -EINVAL, "sum: 'out' overlaps 'x' in the same buffer");
	expect_valid("sum x=X out=X+40 rows=10 cols=1 axis=1", 1 << 20, true);
	/* softmax: in place or disjoint */
	expect_valid("softmax x=X out=X rows=64 cols=1000", 256000, true);
	expect_valid("log_softmax x=X out=Y rows=64 cols=1000 dtype=f64",
		     512000, false);
	expect_invalid("softmax x=X out=X+4 rows=64 cols=1000", 1 << 20, true,
		       -EINVAL, "softmax: 'out' overlaps 'x'");
	expect_invalid("softmax x=X out=Y rows=64 cols=1000 dtype=i32", 1 << 20,
		       false, -EINVAL,
		       "softmax: dtype=i32 is not supported (f32, f64)");
	expect_parse_error("softmax x=X out=Y rows=64", -EINVAL,
			   "softmax: missing argument 'cols'");
	/* layernorm: gamma and beta are optional, cols elements */
	expect_valid("layernorm x=h out=h gamma=g beta=b rows=512 cols=768",
		     512 * 768 * 4, false);
	ck_assert(vgpu_cmd_f(&line_cmd, LN_EPS) == 1e-5);
	ck_assert(vgpu_cmd_given(&line_cmd, LN_GAMMA));
	ck_assert_int_eq(
	    parse("layernorm x=h out=o gamma=g rows=512 cols=768 eps=0"),
	    VGPU_LINE_COMMAND);
	ck_assert(!vgpu_cmd_given(&line_cmd, LN_BETA));
	ck_assert(vgpu_cmd_f(&line_cmd, LN_EPS) == 0);
	expect_sizes(
	    "layernorm x=h out=o gamma=g rows=512 cols=768 eps=0",
	    SIZES([LN_X] = 1572864, [LN_OUT] = 1572864, [LN_GAMMA] = 3071),
	    -EINVAL,
	    "layernorm: buffer 'gamma' holds 3071 bytes, needs 3072 "
	    "(cols*4)");
	expect_sizes(
	    "layernorm x=h out=o gamma=g rows=512 cols=768 eps=0",
	    SIZES([LN_X] = 1572864, [LN_OUT] = 1572864, [LN_GAMMA] = 3072), 0,
	    "");
	expect_valid("layernorm x=h out=o rows=2 cols=3 dtype=f64", 48, false);
	expect_invalid("layernorm x=h out=h rows=2 cols=3 eps=-1e-9", 48, true,
		       -EINVAL, "layernorm: eps=-1e-09 is negative");
	expect_parse_error("layernorm x=h out=h rows=2 cols=3 eps=inf", -EINVAL,
			   "not a finite number");
	expect_invalid("layernorm x=X out=X+4096 gamma=X+4096 rows=2 cols=3",
		       1 << 20, true, -EINVAL, "'out' overlaps 'gamma'");
	expect_invalid("layernorm x=X out=X+4096 beta=X+4100 rows=2 cols=3",
		       1 << 20, true, -EINVAL, "'out' overlaps 'beta'");
	expect_valid("layernorm x=X out=X gamma=X beta=X+12 rows=1 cols=3",
		     1 << 20, true);
	/* transpose: any dtype, never in place */
	expect_valid("transpose x=A out=At rows=1K cols=512 dtype=u8",
		     512 * 1024, false);
	expect_invalid("transpose x=A out=At rows=1K cols=512 dtype=u8",
		       512 * 1024 - 1, false, -EINVAL,
		       "transpose: buffer 'x' holds 524287 bytes, needs 524288 "
		       "(rows*cols*1)");
	expect_invalid("transpose x=A out=A rows=1 cols=5", 1 << 20, true,
		       -EINVAL,
		       "transpose: 'out' overlaps 'x' in the same "
		       "buffer");
	expect_valid("transpose x=A out=A+20 rows=1 cols=5", 1 << 20, true);
	expect_parse_error("transpose x=A out=B rows=1 cols=5 axis=1", -EINVAL,
			   "transpose: unknown argument 'axis'");
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {
	    "sum",    "mean",	 "amax",	"amin",	     "argmax",
	    "argmin", "softmax", "log_softmax", "layernorm", "transpose"};
	for (unsigned i = 0; i < COUNT(names); i++) {
		const struct vgpu_kernel_spec *k =
		    vgpu_catalog_find(names[i], strlen(names[i]));
		ck_assert_msg(k != NULL, "%s", names[i]);
		ck_assert_ptr_eq(vgpu_catalog_by_id(k->id), k);
		ck_assert_ptr_nonnull(vgpu_kernel_impl(k->id));
		char buf[4096];
		int n = vgpu_catalog_describe(k, buf, sizeof(buf));
		ck_assert_int_lt(n, (int)sizeof(buf));
		ck_assert(strstr(buf, "dtypes: f32, f64"));
		ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s: %s",
			      k->example, line_msg);
		ck_assert_ptr_eq(line_cmd.spec, k);
	}
}
END_TEST

int main(void)
{
	vgpu_kernels_init();
	TCase *tc = tcase_create("reduce");
	tcase_set_timeout(tc, 600); /* sanitizers are slow */
	tcase_add_loop_test(tc, reduce, 0, COUNT(reduce_ids));
	tcase_add_test(tc, reduce_compensated);
	tcase_add_test(tc, reduce_specials);
	tcase_add_loop_test(tc, softmax, 0, 2);
	tcase_add_test(tc, softmax_specials);
	tcase_add_test(tc, log_softmax_near_zero);
	tcase_add_test(tc, layernorm);
	tcase_add_test(tc, layernorm_specials);
	tcase_add_loop_test(tc, transpose, 0, VGPU_DTYPE_COUNT);
	tcase_add_test(tc, plans);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, catalog);
	return run_tcase("reduce", tc);
}
