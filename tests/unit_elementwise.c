/*
 * The elementwise kernels (add sub mul div max min pow, relu gelu sigmoid
 * tanh exp log sqrt abs neg recip, cast) against naive references, run
 * three ways (the serial runner, tiles in reverse order, tiles on several
 * threads at once), on every dtype each kernel takes, with n = 0, 1, odd
 * and multi-tile sizes, offsets, in-place operation, broadcast rows, scalar
 * operands and special values. Operands sit inside larger arrays whose
 * other bytes must come out unchanged. Also their text lines through the
 * parser and the validator.
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

static int32_t wrap32(int64_t v)
{
	return (int32_t)(uint32_t)(uint64_t)v;
}

/* Binary */

static const unsigned binary_ids[] = {VGPU_K_ADD, VGPU_K_SUB, VGPU_K_MUL,
				      VGPU_K_DIV, VGPU_K_MAX, VGPU_K_MIN,
				      VGPU_K_POW};

static bool takes(unsigned id, int dt)
{
	return vgpu_catalog_by_id(id)->dtypes & VGPU_DT(dt);
}

static double ref_binary(unsigned id, int dt, double x, double y)
{
	if (dt == VGPU_I32) {
		int64_t a = (int64_t)x, b = (int64_t)y;
		switch (id) {
		case VGPU_K_ADD:
			return wrap32(a + b);
		case VGPU_K_SUB:
			return wrap32(a - b);
		case VGPU_K_MUL:
			return wrap32(a * b);
		case VGPU_K_DIV:
			return b == 0 ? 0 : wrap32(a / b);
		case VGPU_K_MAX:
			return a > b ? (double)a : (double)b;
		case VGPU_K_MIN:
			return a < b ? (double)a : (double)b;
		}
		ck_abort_msg("no i32 %u", id);
	}
	/*
	 * f32 operands are exact in double, and + - * / of two of them
	 * rounded once to double and then to float is the float result.
	 */
	switch (id) {
	case VGPU_K_ADD:
		return to_dt(x + y, dt);
	case VGPU_K_SUB:
		return to_dt(x - y, dt);
	case VGPU_K_MUL:
		return to_dt(x * y, dt);
	case VGPU_K_DIV:
		return to_dt(x / y, dt);
	case VGPU_K_MAX:
		return isnan(x) || isnan(y) ? NAN : x > y ? x : y;
	case VGPU_K_MIN:
		return isnan(x) || isnan(y) ? NAN : x < y ? x : y;
	default:
		return to_dt(pow(x, y), dt);
	}
}

enum bmode { B_FULL, B_ROWS, B_SCALAR };
enum balias { AL_NONE, AL_OUT_A, AL_OUT_B };

struct bcase {
	unsigned id;
	int dt;
	size_t n, rows; /* rows: B_ROWS only */
	enum bmode bm;
	enum balias al;
	double scalar;
};

static void check_binary(const struct bcase *t, enum mode mode)
{
	int dt = t->dt;
	size_t n = t->n;
	size_t bn = t->bm == B_ROWS ? (t->rows ? n / t->rows : 0) : n;
	struct arr a, b, o;
	double scale = t->id == VGPU_K_POW ? 2.0 : 100.0;
	arr_init(&a, dt, 1 + n % 3, n, scale);
	arr_init(&b, dt, 2 + n % 5, bn, scale);
	arr_init(&o, dt, 3, n, scale);
	sprinkle_specials(&a, n);
	sprinkle_specials(&b, bn);
	if (dt == VGPU_I32 && t->id == VGPU_K_DIV && bn > 2) {
		/* the defined corner cases */
		put(b.p, dt, 0, 0);
		put(b.p, dt, 1, -1);
		put(a.p, dt, 1, INT32_MIN);
		put(b.p, dt, bn - 1, 0);
	}
	arr_snap(&a);
	arr_snap(&b);
	arr_snap(&o);
	struct vgpu_cmd c = mkcmd(t->id);
	c.val[BIN_N].i = (int64_t)n;
	c.val[BIN_DTYPE].i = dt;
	if (t->bm == B_ROWS) {
		c.val[BIN_ROWS].i = (int64_t)t->rows;
		c.given |= 1u << BIN_ROWS;
	}
	if (t->bm == B_SCALAR) {
		c.val[BIN_BSCALAR].f = t->scalar;
		c.given |= 1u << BIN_BSCALAR;
	} else {
		c.given |= 1u << BIN_B;
	}
	struct arr *out = t->al == AL_OUT_A ? &a : t->al == AL_OUT_B ? &b : &o;
	void *ptr[VGPU_MAX_ARGS] = {
	    [BIN_A] = a.p,
	    [BIN_B] = t->bm == B_SCALAR ? a.p : b.p,
	    [BIN_OUT] = out->p,
	};
	run_ok(&c, ptr, mode);
	size_t cols = t->bm == B_ROWS && t->rows ? n / t->rows : 1;
	for (size_t i = 0; i < n; i++) {
		double x = arr_old(&a, i);
		double y = t->bm == B_SCALAR ? to_dt(t->scalar, dt)
			   : t->bm == B_ROWS ? arr_old(&b, i % cols)
					     : arr_old(&b, i);
		double want = ref_binary(t->id, dt, x, y);
		double got = get(out->p, dt, i);
		double tol =
		    t->id == VGPU_K_POW
			? 4 * (dt == VGPU_F32 ? FLT_EPSILON : DBL_EPSILON) *
			      fabs(want)
			: 0;
		EXPECT(close_to(got, want, tol) &&
			   (want != 0 || t->id == VGPU_K_MAX ||
			    t->id == VGPU_K_MIN || dt == VGPU_I32 ||
			    signbit(got) == signbit(want)),
		       "%s %s n=%zu bmode=%d rows=%zu alias=%d (%s): "
		       "out[%zu] = %.17g, want %.17g (a %.17g, b %.17g)",
		       c.spec->name, dtname(dt), n, t->bm, t->rows, t->al,
		       mode_name[mode], i, got, want, x, y);
	}
	/* only out's n elements changed */
	EXPECT(arr_outside_same(out, n), "%s %s n=%zu: wrote outside out",
	       c.spec->name, dtname(dt), n);
	if (out != &a)
		EXPECT(arr_same(&a), "%s: a changed", c.spec->name);
	if (out != &b)
		EXPECT(arr_same(&b), "%s: b changed", c.spec->name);
	if (out != &o)
		EXPECT(arr_same(&o), "%s: out's array changed", c.spec->name);
	arr_free(&a);
	arr_free(&b);
	arr_free(&o);
}

/* the last: several tiles of every dtype but u8 */
static const size_t sizes[] = {0, 1, 7, 1000, 140001};

START_TEST(binary)
{
	unsigned id = binary_ids[_i];
	for (int dt = 0; dt < VGPU_DTYPE_COUNT; dt++) {
		if (!takes(id, dt))
			continue;
		for (size_t s = 0; s < COUNT(sizes); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				struct bcase t = {.id = id,
						  .dt = dt,
						  .n = sizes[s],
						  .bm = B_FULL};
				check_binary(&t, mode);
				t.al = (enum balias)(1 + (s + mode) % 2);
				check_binary(&t, mode);
				/* scalar, also in place */
				t.bm = B_SCALAR;
				t.al = (s + mode) % 2 ? AL_OUT_A : AL_NONE;
				t.scalar = dt == VGPU_I32     ? -7 - (double)s
					   : id == VGPU_K_POW ? 3.0 - (double)s
							      : 2.5 - (double)s;
				check_binary(&t, mode);
			}
	}
}
END_TEST

/* b is one row of n/rows elements, used for every row of a. */
START_TEST(binary_rows)
{
	static const size_t nr[][2] = {
	    {0, 3},	  {1, 1},	 {7, 7},	 {7, 1},     {1000, 8},
	    {1000, 1000}, {150000, 150}, {150000, 1000}, {140001, 1}};
	unsigned id = binary_ids[_i];
	for (int dt = 0; dt < VGPU_DTYPE_COUNT; dt++) {
		if (!takes(id, dt))
			continue;
		for (size_t s = 0; s < COUNT(nr); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				struct bcase t = {.id = id,
						  .dt = dt,
						  .n = nr[s][0],
						  .rows = nr[s][1],
						  .bm = B_ROWS};
				/* out may be a (b only when rows=1) */
				t.al = (s + mode) % 2 ? AL_OUT_A : AL_NONE;
				if (t.rows == 1 && mode == RUN_THREADS)
					t.al = AL_OUT_B;
				check_binary(&t, mode);
			}
	}
}
END_TEST

/* The integer edge cases, explicitly. */
START_TEST(binary_i32_edges)
{
	int32_t a[] = {7, -7, INT32_MIN, INT32_MIN, INT32_MAX, 5, 0, -1};
	int32_t b[] = {2, 2, -1, 0, 1, 0, 0, INT32_MIN};
	int32_t want_div[] = {3, -3, INT32_MIN, 0, INT32_MAX, 0, 0, 0};
	int32_t want_add[] = {9,	 -5, INT32_MAX, INT32_MIN,
			      INT32_MIN, 5,  0,		INT32_MAX};
	int32_t want_mul[] = {14,	 -14, INT32_MIN, 0,
			      INT32_MAX, 0,   0,	 INT32_MIN};
	int32_t out[8];
	struct {
		unsigned id;
		const int32_t *want;
	} cases[] = {{VGPU_K_DIV, want_div},
		     {VGPU_K_ADD, want_add},
		     {VGPU_K_MUL, want_mul}};
	for (size_t k = 0; k < COUNT(cases); k++) {
		struct vgpu_cmd c = mkcmd(cases[k].id);
		c.val[BIN_N].i = 8;
		c.val[BIN_DTYPE].i = VGPU_I32;
		c.given |= 1u << BIN_B;
		void *ptr[VGPU_MAX_ARGS] = {
		    [BIN_A] = a, [BIN_B] = b, [BIN_OUT] = out};
		run_ok(&c, ptr, RUN_SERIAL);
		for (int i = 0; i < 8; i++)
			ck_assert_msg(out[i] == cases[k].want[i],
				      "%s: %d, %d -> %d, want %d", c.spec->name,
				      a[i], b[i], out[i], cases[k].want[i]);
	}
	/* an i32 scalar out of range (refused by validation) saturates */
	struct vgpu_cmd c = mkcmd(VGPU_K_MAX);
	c.val[BIN_N].i = 8;
	c.val[BIN_DTYPE].i = VGPU_I32;
	c.val[BIN_BSCALAR].f = 1e20;
	c.given |= 1u << BIN_BSCALAR;
	void *ptr[VGPU_MAX_ARGS] = {[BIN_A] = a, [BIN_B] = a, [BIN_OUT] = out};
	run_ok(&c, ptr, RUN_SERIAL);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(out[i], INT32_MAX);
}
END_TEST

/* Unary */

static const unsigned unary_ids[] = {
    VGPU_K_RELU, VGPU_K_GELU, VGPU_K_SIGMOID, VGPU_K_TANH, VGPU_K_EXP,
    VGPU_K_LOG,	 VGPU_K_SQRT, VGPU_K_ABS,     VGPU_K_NEG,  VGPU_K_RECIP};

static double ref_unary(unsigned id, int dt, double x)
{
	if (dt == VGPU_I32) {
		int64_t v = (int64_t)x;
		if (id == VGPU_K_ABS)
			return wrap32(v < 0 ? -v : v);
		return wrap32(-v);
	}
	switch (id) {
	case VGPU_K_RELU:
		return x < 0 ? 0 : x;
	case VGPU_K_GELU:
		return x == -INFINITY ? 0 : 0.5 * x * erfc(-x / sqrt(2.0));
	case VGPU_K_SIGMOID:
		return 1 / (1 + exp(-x));
	case VGPU_K_TANH:
		return tanh(x);
	case VGPU_K_EXP:
		return exp(x);
	case VGPU_K_LOG:
		return log(x);
	case VGPU_K_SQRT:
		return sqrt(x);
	case VGPU_K_ABS:
		return fabs(x);
	case VGPU_K_NEG:
		return -x;
	default:
		return 1 / x;
	}
}

static void check_unary(unsigned id, int dt, size_t n, bool inplace,
			enum mode mode)
{
	struct arr x, o;
	arr_init(&x, dt, 2 + n % 3, n, 5.0);
	arr_init(&o, dt, 1, n, 5.0);
	sprinkle_specials(&x, n);
	if (dt == VGPU_I32 && n > 1) {
		put(x.p, dt, 0, INT32_MIN);
		put(x.p, dt, n - 1, INT32_MAX);
	}
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c = mkcmd(id);
	c.val[UN_N].i = (int64_t)n;
	c.val[UN_DTYPE].i = dt;
	struct arr *out = inplace ? &x : &o;
	void *ptr[VGPU_MAX_ARGS] = {[UN_X] = x.p, [UN_OUT] = out->p};
	run_ok(&c, ptr, mode);
	double e = dt == VGPU_F32 ? FLT_EPSILON : DBL_EPSILON;
	for (size_t i = 0; i < n; i++) {
		double xi = arr_old(&x, i);
		double want = to_dt(ref_unary(id, dt, xi), dt);
		double got = get(out->p, dt, i);
		/* libm's float functions are within a few ulp; gelu's
		 * 1 + erf cancels for negative x */
		double tol = dt == VGPU_I32 ? 0
			     : id == VGPU_K_GELU
				 ? 8 * e * (fabs(want) + fabs(xi)) + DBL_MIN
				 : 8 * e * fabs(want) + DBL_MIN;
		EXPECT(close_to(got, want, tol) &&
			   (want != 0 || id == VGPU_K_GELU ||
			    signbit(got) == signbit(want)),
		       "%s %s n=%zu%s (%s): out[%zu] = %.17g, want %.17g "
		       "(x %.17g)",
		       c.spec->name, dtname(dt), n, inplace ? " in place" : "",
		       mode_name[mode], i, got, want, xi);
	}
	EXPECT(arr_outside_same(out, n), "%s %s n=%zu: wrote outside out",
	       c.spec->name, dtname(dt), n);
	if (!inplace)
		EXPECT(arr_same(&x), "%s: x changed", c.spec->name);
	else
		EXPECT(arr_same(&o), "%s: other array changed", c.spec->name);
	arr_free(&x);
	arr_free(&o);
}

START_TEST(unary)
{
	unsigned id = unary_ids[_i];
	int tested = 0;
	for (int dt = 0; dt < VGPU_DTYPE_COUNT; dt++) {
		if (!takes(id, dt))
			continue;
		tested++;
		for (size_t s = 0; s < COUNT(sizes); s++)
			for (int mode = 0; mode < RUN_MODES; mode++) {
				check_unary(id, dt, sizes[s], false, mode);
				check_unary(id, dt, sizes[s], true, mode);
			}
	}
	ck_assert_int_ge(tested, 2);
}
END_TEST

/* The documented special values, exactly. */
START_TEST(unary_specials)
{
	struct {
		unsigned id;
		double x, want;
	} t[] = {
	    {VGPU_K_RELU, -0.0, -0.0},
	    {VGPU_K_RELU, NAN, NAN},
	    {VGPU_K_RELU, -INFINITY, 0},
	    {VGPU_K_GELU, -INFINITY, 0},
	    {VGPU_K_GELU, INFINITY, INFINITY},
	    {VGPU_K_GELU, -60, 0},
	    {VGPU_K_GELU, NAN, NAN},
	    {VGPU_K_SIGMOID, -INFINITY, 0},
	    {VGPU_K_SIGMOID, INFINITY, 1},
	    {VGPU_K_SIGMOID, -1000, 0},
	    {VGPU_K_SIGMOID, 0, 0.5},
	    {VGPU_K_TANH, INFINITY, 1},
	    {VGPU_K_EXP, 1000, INFINITY},
	    {VGPU_K_EXP, -INFINITY, 0},
	    {VGPU_K_LOG, 0, -INFINITY},
	    {VGPU_K_LOG, -1, NAN},
	    {VGPU_K_SQRT, -1, NAN},
	    {VGPU_K_SQRT, -0.0, -0.0},
	    {VGPU_K_ABS, -0.0, 0.0},
	    {VGPU_K_NEG, 0.0, -0.0},
	    {VGPU_K_RECIP, 0.0, INFINITY},
	    {VGPU_K_RECIP, -0.0, -INFINITY},
	    {VGPU_K_RECIP, 4, 0.25},
	};
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (size_t k = 0; k < COUNT(t); k++) {
			double buf[2] = {0, 0};
			put(buf, dt, 0, t[k].x);
			struct vgpu_cmd c = mkcmd(t[k].id);
			c.val[UN_N].i = 1;
			c.val[UN_DTYPE].i = dt;
			void *ptr[VGPU_MAX_ARGS] = {
			    [UN_X] = buf, [UN_OUT] = buf};
			run_ok(&c, ptr, RUN_SERIAL);
			double got = get(buf, dt, 0);
			ck_assert_msg(close_to(got, t[k].want, 0) &&
					  (isnan(got) ||
					   signbit(got) == signbit(t[k].want)),
				      "%s %s(%g) = %g, want %g", dtname(dt),
				      c.spec->name, t[k].x, got, t[k].want);
		}
}
END_TEST

/* cast */

static double ref_cast(double v, int to)
{
	switch (to) {
	case VGPU_F32:
	case VGPU_BF16:
	case VGPU_F64:
		return to_dt(v, to);
	case VGPU_I32:
		if (isnan(v))
			return 0;
		if (v < -2147483648.0)
			return INT32_MIN;
		if (v > 2147483647.0)
			return INT32_MAX;
		return trunc(v) + 0.0; /* integers have no -0 */
	default:
		if (isnan(v) || v < 0)
			return 0;
		if (v > 255)
			return 255;
		return trunc(v) + 0.0;
	}
}

static void check_cast(int from, int to, size_t n, bool inplace, enum mode mode)
{
	struct arr x, o;
	arr_init(&x, from, 1 + n % 4, n, 400.0);
	arr_init(&o, to, 3, n, 400.0);
	if (from == VGPU_F32 || from == VGPU_F64 || from == VGPU_BF16) {
		static const double sp[] = {
		    NAN,	   INFINITY,	  -INFINITY,	-0.0,
		    -0.5,	   0.99,	  255.0,	255.99,
		    256.0,	   -1.0,	  2147483647.0, 2147483648.0,
		    -2147483648.0, -2147483904.0, 1e10,		-1e10,
		    1e300,	   3e38,	  16777217.0,	-3.75};
		for (size_t k = 0; k < COUNT(sp) && k < n; k++)
			put(x.p, from, (size_t)(rnd() % n),
			    from != VGPU_F64 && fabs(sp[k]) > 3.4e38 &&
				    !isinf(sp[k])
				? sp[k] / 1e270
				: sp[k]);
	} else if (from == VGPU_I32 && n > 3) {
		put(x.p, from, 0, INT32_MIN);
		put(x.p, from, 1, INT32_MAX);
		put(x.p, from, 2, 256);
		put(x.p, from, 3, 16777217);
	}
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c = mkcmd(VGPU_K_CAST);
	c.val[CAST_N].i = (int64_t)n;
	c.val[CAST_FROM].i = from;
	c.val[CAST_TO].i = to;
	void *out = inplace ? x.p : o.p;
	void *ptr[VGPU_MAX_ARGS] = {[CAST_X] = x.p, [CAST_OUT] = out};
	run_ok(&c, ptr, mode);
	for (size_t i = 0; i < n; i++) {
		double v = arr_old(&x, i);
		double want = ref_cast(v, to), got = get(out, to, i);
		EXPECT(close_to(got, want, 0) && signbit(got) == signbit(want),
		       "cast %s to %s n=%zu%s (%s): out[%zu] = %.17g, want "
		       "%.17g (x %.17g)",
		       dtname(from), dtname(to), n, inplace ? " in place" : "",
		       mode_name[mode], i, got, want, v);
	}
	if (inplace) {
		struct arr view = x;
		view.dt = to;
		EXPECT(arr_outside_same(&view, n), "cast wrote outside x");
		EXPECT(arr_same(&o), "cast in place changed another array");
	} else {
		EXPECT(arr_same(&x), "cast changed x");
		EXPECT(arr_outside_same(&o, n),
		       "cast %s to %s n=%zu: wrote "
		       "outside out",
		       dtname(from), dtname(to), n);
	}
	arr_free(&x);
	arr_free(&o);
}

START_TEST(cast)
{
	int from = _i / VGPU_DTYPE_COUNT, to = _i % VGPU_DTYPE_COUNT;
	for (size_t s = 0; s < COUNT(sizes); s++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			check_cast(from, to, sizes[s], false, mode);
			if (esz(from) == esz(to))
				check_cast(from, to, sizes[s], true, mode);
		}
}
END_TEST

/*
 * bf16 rounding, bit by bit: ties to even, overflow, NaN payloads, and the
 * f64 values that rounding through f32 would round twice.
 */
/* Casts N elements at X of type FROM to OUT of type TO, serially. */
static void cast_n(int from, int to, const void *x, void *out, int64_t n)
{
	struct vgpu_cmd c = mkcmd(VGPU_K_CAST);
	c.val[CAST_N].i = n;
	c.val[CAST_FROM].i = from;
	c.val[CAST_TO].i = to;
	void *ptr[VGPU_MAX_ARGS] = {[CAST_X] = (void *)x, [CAST_OUT] = out};
	run_ok(&c, ptr, RUN_SERIAL);
}

static uint16_t to_bf16_bits(int from, double v)
{
	union {
		double d;
		float f;
		int32_t i;
	} x;
	if (from == VGPU_F64)
		x.d = v;
	else if (from == VGPU_F32)
		x.f = (float)v;
	else
		x.i = (int32_t)v;
	uint16_t out = 0xdead;
	cast_n(from, VGPU_BF16, &x, &out, 1);
	return out;
}

START_TEST(cast_bf16_bits)
{
	static const struct {
		int from;
		double v;
		uint16_t want;
	} t[] = {
	    {VGPU_F32, 1.0, 0x3f80},
	    {VGPU_F32, 1 + 0x1p-8, 0x3f80},	      /* tie: to even, down */
	    {VGPU_F32, 1 + 0x3p-8, 0x3f82},	      /* tie: to even, up */
	    {VGPU_F32, 1 + 0x1p-8 + 0x1p-20, 0x3f81}, /* just above the tie */
	    {VGPU_F32, -0.0, 0x8000},
	    {VGPU_F32, 0x1.fep127, 0x7f7f},	/* the largest bf16 */
	    {VGPU_F32, 0x1.fefffep127, 0x7f7f}, /* below the halfway */
	    {VGPU_F32, 0x1.ffp127, 0x7f80},	/* halfway: to inf */
	    {VGPU_F32, -FLT_MAX, 0xff80},
	    {VGPU_F32, -INFINITY, 0xff80},
	    {VGPU_F32, 0x1p-133, 0x0001}, /* the least subnormal */
	    {VGPU_F32, 0x1p-134, 0x0000}, /* tie: to even, 0 */
	    {VGPU_F32, 0x1.8p-134, 0x0001},
	    {VGPU_F64, 1 + 0x1p-8 + 0x1p-40, 0x3f81}, /* f32 would make a tie */
	    {VGPU_F64, -(1 + 0x1p-8 + 0x1p-40), 0xbf81},
	    {VGPU_F64, 1 + 0x1p-8, 0x3f80},
	    {VGPU_F64, 1e300, 0x7f80},
	    {VGPU_F64, 1e-300, 0x0000},
	    {VGPU_F64, -1e-300, 0x8000},
	    {VGPU_F64, 0x1.ffp127 - 0x1p80, 0x7f7f}, /* f32 would round up */
	    {VGPU_I32, 16777217, 0x4b80},
	    {VGPU_I32, 257, 0x4380}, /* tie: 256 */
	    {VGPU_I32, 259, 0x4382}, /* tie: 260 */
	    {VGPU_I32, INT32_MIN, 0xcf00},
	};
	for (size_t k = 0; k < COUNT(t); k++) {
		uint16_t got = to_bf16_bits(t[k].from, t[k].v);
		ck_assert_msg(got == t[k].want,
			      "%s %a -> bf16 %#06x, want %#06x",
			      dtname(t[k].from), t[k].v, got, t[k].want);
	}
	/* NaNs stay NaNs, also those with only low payload bits */
	static const uint32_t nan32[] = {0x7f800001, 0xff800001, 0x7fc00000,
					 0x7fa00000};
	uint16_t h[COUNT(nan32)];
	cast_n(VGPU_F32, VGPU_BF16, nan32, h, COUNT(nan32));
	for (size_t k = 0; k < COUNT(nan32); k++)
		ck_assert_msg((h[k] & 0x7f80) == 0x7f80 && (h[k] & 0x7f) != 0 &&
				  (h[k] >> 15) == (nan32[k] >> 31),
			      "NaN %#x -> %#06x", nan32[k], h[k]);
	ck_assert_uint_eq(to_bf16_bits(VGPU_F64, -NAN) & 0xffc0, 0xffc0);
	/* and back: exact */
	static const uint16_t b[] = {0x3f81, 0x0001, 0xff80, 0x7fc1};
	double d[COUNT(b)];
	cast_n(VGPU_BF16, VGPU_F64, b, d, COUNT(b));
	ck_assert(d[0] == 1 + 0x1p-7 && d[1] == 0x1p-133 && d[2] == -INFINITY &&
		  isnan(d[3]));
}
END_TEST

/*
 * A NaN comes out quiet and of the same sign from every float type to
 * every float type, itself included: signalling NaNs (the quiet bit clear,
 * a payload in the lowest fraction bit) are the ones a plain copy of the
 * bits would keep.
 */
static const struct float_bits {
	int dt;
	uint64_t exponent, quiet, sign;
} float_bits[] = {
    {VGPU_F32, 0x7f800000, 0x00400000, 0x80000000},
    {VGPU_F64, 0x7ff0000000000000, 0x0008000000000000, 0x8000000000000000},
    {VGPU_BF16, 0x7f80, 0x40, 0x8000},
};

static void put_bits(void *p, int dt, uint64_t bits)
{
	uint16_t h = (uint16_t)bits;
	uint32_t w = (uint32_t)bits;
	memcpy(p,
	       dt == VGPU_F64	? (void *)&bits
	       : dt == VGPU_F32 ? (void *)&w
				: &h,
	       esz(dt));
}

static uint64_t get_bits(const void *p, int dt)
{
	uint16_t h;
	uint32_t w;
	uint64_t d;
	memcpy(dt == VGPU_F64	? (void *)&d
	       : dt == VGPU_F32 ? (void *)&w
				: &h,
	       p, esz(dt));
	return dt == VGPU_F64 ? d : dt == VGPU_F32 ? w : h;
}

START_TEST(cast_quiets_nans)
{
	for (size_t f = 0; f < COUNT(float_bits); f++)
		for (size_t t = 0; t < COUNT(float_bits); t++)
			for (int neg = 0; neg <= 1; neg++) {
				const struct float_bits *from = &float_bits[f],
							*to = &float_bits[t];
				uint64_t snan =
				    from->exponent | 1 | (neg ? from->sign : 0);
				uint64_t in = 0, out = 0;
				put_bits(&in, from->dt, snan);
				cast_n(from->dt, to->dt, &in, &out, 1);
				uint64_t got = get_bits(&out, to->dt);
				ck_assert_msg((got & to->exponent) ==
						      to->exponent &&
						  (got & to->quiet) &&
						  !(got & to->sign) == !neg,
					      "cast %s to %s: NaN %#llx gives "
					      "%#llx, want a quiet NaN",
					      dtname(from->dt), dtname(to->dt),
					      (unsigned long long)snan,
					      (unsigned long long)got);
			}
}
END_TEST

/* Tiles: 256 KiB to 1 MiB, whatever the dtype. */
START_TEST(plans)
{
	void *ptr[VGPU_MAX_ARGS] = {0}; /* plans look at no memory */
	struct vgpu_cmd c = mkcmd(VGPU_K_ADD);
	c.val[BIN_N].i = 0;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	c.val[BIN_N].i = 1 << 20; /* 4 MiB an operand */
	uint32_t t = ntiles_for(&c, ptr, 4);
	ck_assert(t >= 4 && t <= 16);
	c = mkcmd(VGPU_K_EXP);
	c.val[UN_N].i = 1 << 20;
	c.val[UN_DTYPE].i = VGPU_F64;
	t = ntiles_for(&c, ptr, 2);
	ck_assert(t >= 8 && t <= 32);
	c = mkcmd(VGPU_K_CAST);
	c.val[CAST_N].i = 4 << 20;
	c.val[CAST_FROM].i = VGPU_U8;
	c.val[CAST_TO].i = VGPU_F32; /* 16 MiB of output */
	t = ntiles_for(&c, ptr, 2);
	ck_assert(t >= 16 && t <= 64);
}
END_TEST

/* Defensive checks: what validation refuses is -EINVAL at run time too. */
START_TEST(bad_arguments)
{
	double buf[8] = {0}, old[8];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 2, buf + 4};
	static const int64_t bad[] = {VGPU_U8, VGPU_BF16, VGPU_DTYPE_COUNT, -1,
				      (int64_t)1 << 32};
	for (size_t i = 0; i < COUNT(bad); i++) {
		struct vgpu_cmd c = mkcmd(VGPU_K_ADD);
		c.val[BIN_N].i = 2;
		c.val[BIN_DTYPE].i = bad[i];
		c.given |= 1u << BIN_B;
		ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
		c = mkcmd(VGPU_K_SQRT);
		c.val[UN_N].i = 2;
		c.val[UN_DTYPE].i = bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_THREADS), -EINVAL);
		c = mkcmd(VGPU_K_CAST);
		c.val[CAST_N].i = 2;
		c.val[CAST_FROM].i = VGPU_F32;
		c.val[CAST_TO].i = bad[i] == VGPU_U8 || bad[i] == VGPU_BF16
				       ? VGPU_DTYPE_COUNT + 3
				       : bad[i];
		ck_assert_int_eq(run(&c, ptr, RUN_REVERSE), -EINVAL);
	}
	/* pow and relu take no integers */
	struct vgpu_cmd c = mkcmd(VGPU_K_POW);
	c.val[BIN_N].i = 2;
	c.val[BIN_DTYPE].i = VGPU_I32;
	c.given |= 1u << BIN_B;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	c = mkcmd(VGPU_K_RELU);
	c.val[UN_N].i = 2;
	c.val[UN_DTYPE].i = VGPU_I32;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	/* rows that do not divide n */
	c = mkcmd(VGPU_K_ADD);
	c.val[BIN_N].i = 3;
	c.val[BIN_ROWS].i = 2;
	c.given |= 1u << BIN_B;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

START_TEST(text_lines)
{
	/* binary: the three forms of b */
	expect_valid("add a=x b=y out=z n=100", 400, false);
	ck_assert_int_eq(line_cmd.spec->id, VGPU_K_ADD);
	ck_assert(vgpu_cmd_given(&line_cmd, BIN_B));
	ck_assert(!vgpu_cmd_given(&line_cmd, BIN_BSCALAR));
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, BIN_ROWS), 0);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, BIN_DTYPE), VGPU_F32);
	expect_valid("add a=x b=y out=z n=1000", 4000, false);
	expect_invalid("add a=x b=y out=z n=1000", 400, false, -EINVAL,
		       "add: buffer 'a' holds 400 bytes, needs 4000 (n*4)");
	expect_valid("sub a=x b=row out=z n=1000 rows=10 dtype=f64", 8000,
		     false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, BIN_ROWS), 10);
	/* a broadcast row needs n/rows elements only */
	ck_assert_int_eq(parse("sub a=x b=row out=z n=1000 rows=10"),
			 VGPU_LINE_COMMAND);
	{
		struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {
		    [BIN_A] = {1, 4000},
		    [BIN_B] = {2, 399},
		    [BIN_OUT] = {3, 4000}};
		ck_assert_int_eq(vgpu_cmd_validate(&line_cmd, info, line_msg,
						   sizeof(line_msg)),
				 -EINVAL);
		ck_assert_str_eq(line_msg, "sub: buffer 'b' holds 399 bytes, "
					   "needs 400 (n/rows*4)");
		info[BIN_B].size = 400;
		ck_assert_int_eq(vgpu_cmd_validate(&line_cmd, info, line_msg,
						   sizeof(line_msg)),
				 0);
	}
	expect_invalid("add a=x b=y out=z n=1000 rows=3", 1 << 20, false,
		       -EINVAL, "add: rows=3 does not divide n=1000");
	expect_parse_error("add a=x b=y out=z n=10 rows=0", -ERANGE,
			   "out of range");
	expect_valid("add a=x b=y out=z n=0 rows=7", 0, false);
	/* scalar: b is bound to a's buffer and needs nothing */
	expect_valid("mul a=x+8 bscalar=-0.5 out=z n=100", 408, false);
	ck_assert(!vgpu_cmd_given(&line_cmd, BIN_B));
	ck_assert_int_eq(line_cmd.buf[BIN_B].name_len, 1);
	ck_assert(memcmp(line_cmd.buf[BIN_B].name, "x", 1) == 0);
	ck_assert_int_eq(line_cmd.buf[BIN_B].offset, 8);
	ck_assert(vgpu_cmd_f(&line_cmd, BIN_BSCALAR) == -0.5);
	expect_valid("mul a=x bscalar=2 out=x n=100", 400, true);
	expect_invalid("add a=x b=y bscalar=1 out=z n=10", 400, false, -EINVAL,
		       "add: give either b= (a vector) or bscalar=");
	expect_invalid("add a=x out=z n=10", 400, false, -EINVAL,
		       "add: missing argument 'b'");
	expect_invalid("add a=x bscalar=1 out=z n=10 rows=2", 400, false,
		       -EINVAL, "rows= goes with b=");
	expect_parse_error("add a=x bscalar=nan out=z n=10", -EINVAL,
			   "not a finite number");
	/* integers */
	expect_valid("min a=x b=y out=x n=1M dtype=i32", 4 << 20, false);
	expect_valid("div a=x bscalar=-3 out=z n=10 dtype=i32", 40, false);
	expect_invalid("add a=x bscalar=2.5 out=z n=10 dtype=i32", 40, false,
		       -EINVAL, "add: bscalar=2.5 is not an i32 value");
	expect_invalid("add a=x bscalar=3e9 out=z n=10 dtype=i32", 40, false,
		       -EINVAL, "is not an i32 value");
	expect_valid("add a=x bscalar=-2147483648 out=z n=10 dtype=i32", 40,
		     false);
	/* dtypes a kernel does not take: refused by validation */
	expect_invalid("pow a=x b=y out=z n=10 dtype=i32", 40, false, -EINVAL,
		       "pow: dtype=i32 is not supported (f32, f64)");
	expect_invalid("add a=x b=y out=z n=10 dtype=u8", 40, false, -EINVAL,
		       "add: dtype=u8 is not supported (f32, f64, i32)");
	expect_invalid("relu x=x out=y n=10 dtype=i32", 40, false, -EINVAL,
		       "relu: dtype=i32 is not supported (f32, f64)");
	expect_invalid("fill buf=x value=1 n=1 dtype=u8", 40, false, -EINVAL,
		       "fill: dtype=u8 is not supported (f32, f64)");
	expect_invalid("gemm a=A b=B c=C m=1 n=1 k=1 dtype=i32", 40, false,
		       -EINVAL,
		       "gemm: dtype=i32 is not supported (f32, f64, bf16)");
	expect_invalid("axpy x=x y=y n=1 dtype=i32", 40, false, -EINVAL,
		       "axpy: dtype=i32 is not supported");
	expect_invalid("dot x=x y=y out=r n=1 dtype=u8", 40, false, -EINVAL,
		       "dot: dtype=u8 is not supported");
	expect_parse_error(
	    "add a=x b=y out=z n=10 dtype=f16", -EINVAL,
	    "add: unknown dtype 'f16' (f32, f64, i32, u8, bf16)");
	expect_invalid("add a=x b=y out=z n=10 dtype=bf16", 40, false, -EINVAL,
		       "add: dtype=bf16 is not supported (f32, f64, i32)");
	expect_invalid("exp x=x out=y n=10 dtype=bf16", 40, false, -EINVAL,
		       "exp: dtype=bf16 is not supported (f32, f64)");
	expect_parse_error("cast x=x out=y n=10 from=f32", -EINVAL,
			   "missing argument 'to'");
	/* aliasing: out may be the very same range as a or a full b */
	expect_valid("add a=X b=X+4096 out=X n=100", 1 << 20, true);
	expect_valid("add a=X b=X+4096 out=X+4096 n=100", 1 << 20, true);
	expect_valid("add a=X b=X out=X n=100", 1 << 20, true);
	expect_invalid("add a=X b=X+4096 out=X+4 n=100", 1 << 20, true, -EINVAL,
		       "add: 'out' overlaps 'a' in the same buffer");
	expect_invalid("add a=X b=X+4096 out=X+4000 n=100", 1 << 20, true,
		       -EINVAL, "'out' overlaps 'b'");
	/* never a broadcast row, which every tile reads */
	expect_invalid("add a=X+4096 b=X out=X n=100 rows=10", 1 << 20, true,
		       -EINVAL, "'out' overlaps 'b'");
	expect_invalid("add a=X+4096 b=X+200 out=X n=100 rows=10", 1 << 20,
		       true, -EINVAL, "'out' overlaps 'b'");
	expect_valid("add a=X+4096 b=X+400 out=X n=100 rows=10", 1 << 20, true);
	expect_valid("add a=X+4096 b=X out=X n=100 rows=1", 1 << 20, true);
	/* a and b may overlap each other in any way: both are read */
	expect_valid("add a=X b=X+4 out=X+4096 n=100", 1 << 20, true);
	/* unary */
	expect_valid("relu x=X out=X n=100", 400, true);
	expect_invalid("exp x=X out=X+8 n=100", 1 << 20, true, -EINVAL,
		       "exp: 'out' overlaps 'x'");
	expect_invalid("abs x=x out=y n=100 dtype=i32", 399, false, -EINVAL,
		       "abs: buffer 'x' holds 399 bytes, needs 400 (n*4)");
	expect_valid("neg x=x out=y+800 n=100 dtype=f64", 1600, false);
	/* cast: sizes from each side's dtype */
	expect_invalid("cast x=img out=f n=1000 from=u8 to=f32", 1000, false,
		       -EINVAL,
		       "cast: buffer 'out' holds 1000 bytes, needs 4000 (n*4)");
	expect_valid("cast x=X out=X n=100 from=f32 to=i32", 400, true);
	expect_invalid("cast x=X out=X n=100 from=f32 to=f64", 800, true,
		       -EINVAL, "cast: 'out' overlaps 'x'");
	expect_valid("cast x=X out=X n=100 from=u8 to=u8", 400, true);
	expect_invalid("cast x=X out=X+1 n=100 from=u8 to=u8", 400, true,
		       -EINVAL, "overlaps");
	expect_valid("cast x=x out=y n=10 from=f32 to=bf16", 40, false);
	expect_invalid("cast x=x out=y n=10 from=bf16 to=u8", 19, false,
		       -EINVAL,
		       "cast: buffer 'x' holds 19 bytes, needs 20 (n*2)");
	expect_valid("cast x=X out=X n=10 from=bf16 to=bf16", 20, true);
	expect_invalid("cast x=X out=X n=10 from=bf16 to=u8", 20, true, -EINVAL,
		       "cast: 'out' overlaps 'x'");
	/* the largest n: no overflow, just too big */
	expect_invalid("add a=x b=y out=z n=576460752303423487 dtype=f64",
		       1 << 20, false, -EINVAL, "needs 4611686018427387896");
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {
	    "add", "sub",  "mul",  "div",     "max",   "min",
	    "pow", "relu", "gelu", "sigmoid", "tanh",  "exp",
	    "log", "sqrt", "abs",  "neg",     "recip", "cast"};
	ck_assert_uint_gt(vgpu_catalog_count(), VGPU_K_CAST);
	for (unsigned i = 0; i < COUNT(names); i++) {
		const struct vgpu_kernel_spec *k =
		    vgpu_catalog_find(names[i], strlen(names[i]));
		ck_assert_ptr_nonnull(k);
		ck_assert_uint_eq(k->id, VGPU_K_ADD + i);
		ck_assert_ptr_eq(vgpu_catalog_by_id(k->id), k);
		ck_assert(k->dtypes & VGPU_DT_FLT);
		char buf[4096];
		int n = vgpu_catalog_describe(k, buf, sizeof(buf));
		ck_assert_int_lt(n, (int)sizeof(buf));
		ck_assert(strstr(buf, "dtypes: f32, f64"));
		ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s: %s",
			      k->example, line_msg);
		ck_assert_ptr_eq(line_cmd.spec, k);
	}
	char buf[4096];
	vgpu_catalog_describe(vgpu_catalog_by_id(VGPU_K_CAST), buf,
			      sizeof(buf));
	ck_assert(strstr(buf, "dtypes: f32, f64, i32, u8, bf16\n"));
	vgpu_catalog_describe(vgpu_catalog_by_id(VGPU_K_NOP), buf, sizeof(buf));
	ck_assert(!strstr(buf, "dtypes:"));
	/* dtypes */
	char list[64];
	ck_assert_str_eq(vgpu_dtype_list(VGPU_DT_ALL, list, sizeof(list)),
			 "f32, f64, i32, u8, bf16");
	ck_assert_int_eq(vgpu_dtype_parse("bf16", 4), VGPU_BF16);
	ck_assert_uint_eq(vgpu_dtype_size(VGPU_BF16), 2);
	ck_assert_str_eq(vgpu_dtype_list(0, list, sizeof(list)), "");
	ck_assert_str_eq(vgpu_dtype_list(VGPU_DT(VGPU_U8), list, 3), "u8");
	ck_assert_str_eq(vgpu_dtype_list(VGPU_DT_FLT, list, 5), "f32,");
	ck_assert_int_eq(vgpu_dtype_parse("i32", 3), VGPU_I32);
	ck_assert_int_eq(vgpu_dtype_parse("u8", 2), VGPU_U8);
	ck_assert_uint_eq(vgpu_dtype_size(VGPU_U8), 1);
	ck_assert_uint_eq(vgpu_dtype_size(VGPU_I32), 4);
	ck_assert_uint_eq(vgpu_dtype_size(VGPU_DTYPE_COUNT), 0);
}
END_TEST

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("elementwise");
	tcase_set_timeout(tc, 300); /* sanitizers are slow */
	tcase_add_loop_test(tc, binary, 0, COUNT(binary_ids));
	tcase_add_loop_test(tc, binary_rows, 0, COUNT(binary_ids));
	tcase_add_test(tc, binary_i32_edges);
	tcase_add_loop_test(tc, unary, 0, COUNT(unary_ids));
	tcase_add_test(tc, unary_specials);
	tcase_add_loop_test(tc, cast, 0, VGPU_DTYPE_COUNT * VGPU_DTYPE_COUNT);
	tcase_add_test(tc, cast_bf16_bits);
	tcase_add_test(tc, cast_quiets_nans);
	tcase_add_test(tc, plans);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, catalog);
	return run_tcase("elementwise", tc);
}
