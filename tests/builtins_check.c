/*
 * References for tests/cl/builtins_libm.cl and switch_labels.cl: libm's
 * long double functions (11 bits more than a double: their own error is
 * far below the tolerances), sinpi and friends by an exact reduction in
 * long double (glibc 2.36 has no sinpi), __int128 for mad_sat, the
 * switch's code run by C. Tolerances in ulps of the result's type:
 * OpenCL 1.2's for double (sinpi cospi 4, tanpi 6, asinpi acospi atanpi
 * 5, atan2pi 6, rootn 4, tgamma 16; lgamma has none: 16 here), 1 for
 * float (computed in double, rounded once), 0 for the exact ones
 * (remainder, remquo, frexp, ilogb, ldexp).
 */
#include "builtins_check.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <string.h>

enum {
	BC_N = 40,	    /* math_f, math_d: work-items */
	BC_MATH_OUT = 16,   /* their results per work-item */
	BC_MATH_INT = 5,    /* and integer results */
	BC_SPACES_N = 10,   /* spaces: float4 work-items (BC_N floats) */
	BC_SPACES_D_N = 20, /* spaces_d: double2 work-items */
	BC_INT_N = 144,	    /* ints: work-items */
	BC_INT_OUT = 14,
	BC_DUFF_N = 20, /* duff: work-items, copying 0..19 ints */
	BC_PATHS_N = 12 /* paths: switch values -3..8 */
};

static const double xs[BC_N] = {
    0.25,  -0.75,      0.5,  1.0,   3.3,    -123.4, 0.1,      -0.9,
    8.0,   1000000.5,  0.0,  -0.0,  1e-310, 1e-40,  INFINITY, -INFINITY,
    NAN,   2.5,	       -2.5, -3.5,  171.5,  35.2,   1e-5,     -1e-5,
    7.0,   123456.789, -4.5, 0.999, 1.5,    10.0,   2.0,      -1.0,
    1e300, -7.25,      0.3,  5.0,   1e-300, 44.0,   -0.2,     3.0};
static const double ys[13] = {2.0,	0.3, -1.5, 3.0,	   0.7,	  10.0, 0.0,
			      INFINITY, NAN, -3.0, 1e-310, 0.125, -0.5};

/* x or y lane i of type dbl (double) or float, as a double. */
static double val(const double *v, size_t i, bool dbl)
{
	return dbl ? v[i] : (double)(float)v[i];
}

static double yval(size_t i, bool dbl)
{
	return val(ys, i % 13, dbl);
}

static void bc_math_inputs(bool dbl, void *x, void *y, int32_t *k)
{
	for (size_t i = 0; i < BC_N; i++) {
		if (dbl) {
			((double *)x)[i] = xs[i];
			((double *)y)[i] = yval(i, true);
		} else {
			((float *)x)[i] = (float)xs[i];
			((float *)y)[i] = (float)yval(i, false);
		}
		k[i] = (int32_t)(i * 17 % 61) - 30;
	}
}

/* |got - want| in ulps of want rounded to the type (a subnormal's ulp
 * below the normal range); 0 when both are the same infinity, NaN or
 * zero of the same sign, infinite when they differ in those. */
static double ulps(long double want, double got, bool dbl)
{
	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got) ? 0 : INFINITY;
	double w = dbl ? (double)want : (double)(float)want;
	if (isinf(w) || isinf(got))
		return w == got ? 0 : INFINITY;
	if (w == 0 && got == 0)
		return signbit(w) == signbit(got) ? 0 : INFINITY;
	int p = dbl ? 52 : 23, emin = dbl ? -1022 : -126;
	int e = w == 0 || ilogb(w) < emin ? emin : ilogb(w);
	return (double)(fabsl((long double)got - want) / ldexpl(1, e - p));
}

/* sinpi and cospi in long double: remainder by 2 is exact, then a
 * reduction to [-1/2, 1/2] by exact differences; exact zeros with
 * C23's signs. */
static long double sinpi_l(long double x)
{
	if (!isfinite(x))
		return NAN;
	long double r = remainderl(x, 2);
	if (r == 0 || fabsl(r) == 1)
		return copysignl(0, x);
	if (fabsl(r) > 0.5L)
		r = copysignl(1, r) - r;
	return sinl(M_PIl * r);
}

static long double cospi_l(long double x)
{
	if (!isfinite(x))
		return NAN;
	long double r = fabsl(remainderl(x, 2));
	if (r == 0.5L)
		return 0;
	return r < 0.25L ? cosl(M_PIl * r) : sinpi_l(0.5L - r);
}

/* rootn: powl's 1/n rounding costs |ln result| 2^-64, below 0.4 ulp of
 * a double. */
static long double rootn_l(long double x, int n)
{
	if (n == 0 || (x < 0 && n % 2 == 0))
		return NAN;
	long double r = powl(fabsl(x), 1.0L / n);
	return n % 2 ? copysignl(r, x) : r;
}

static void near(const char *what, size_t i, double a, long double want,
		 double got, bool dbl, double tol)
{
	double u = ulps(want, got, dbl);
	ck_assert_msg(u <= tol, "%s %s(%a): %a, want %La (%g ulp > %g)",
		      dbl ? "double" : "float", what, a, got, want, u, tol);
	(void)i;
}

static void bc_check_math(bool dbl, const void *o, const int32_t *io)
{
	for (size_t i = 0; i < BC_N; i++) {
		double r[BC_MATH_OUT];
		for (int f = 0; f < BC_MATH_OUT; f++)
			r[f] = dbl ? ((const double *)o)[i * BC_MATH_OUT + f]
				   : ((const float *)o)[i * BC_MATH_OUT + f];
		const int32_t *ri = io + i * BC_MATH_INT;
		double a = val(xs, i, dbl), b = yval(i, dbl);
		int k = (int)(i * 17 % 61) - 30;
		const double t =
		    1; /* float: computed in double, rounded once */
		int q, e, s;
		near("remainder", i, a, remainderl(a, b), r[0], dbl, 0);
		near("remquo", i, a, remquol(a, b, &q), r[1], dbl, 0);
		if (!isnan(r[1]))
			ck_assert_msg(ri[0] == q,
				      "remquo(%a, %a): quo %d, want %d", a, b,
				      ri[0], q);
		long double m = frexpl(a, &e);
		near("frexp", i, a, m, r[2], dbl, 0);
		near("frexp (double3)", i, a, m, r[15], dbl, 0);
		if (!isfinite(a))
			e = 0; /* C leaves it unspecified; 0 here */
		ck_assert_msg(ri[1] == e && ri[4] == e,
			      "frexp(%a): exponent %d (%d), want %d", a, ri[1],
			      ri[4], e);
		near("tgamma", i, a, tgammal(a), r[3], dbl, dbl ? 16 : t);
		long double lg = lgammal_r(a, &s);
		near("lgamma", i, a, lg, r[4], dbl, dbl ? 16 : t);
		near("lgamma_r", i, a, lg, r[5], dbl, dbl ? 16 : t);
		ck_assert_msg(ri[2] == s, "lgamma_r(%a): sign %d, want %d", a,
			      ri[2], s);
		int il = isnan(a) ? INT_MAX : ilogb(a);
		ck_assert_msg(ri[3] == il, "ilogb(%a): %d, want %d", a, ri[3],
			      il);
		near("sinpi", i, a, sinpi_l(a), r[6], dbl, dbl ? 4 : t);
		near("cospi", i, a, cospi_l(a), r[7], dbl, dbl ? 4 : t);
		near("tanpi", i, a, sinpi_l(a) / cospi_l(a), r[8], dbl,
		     dbl ? 6 : t);
		long double c = fminl(fmaxl(a, -1), 1); /* clamp's NaN: -1 */
		near("asinpi", i, a, asinl(c) / M_PIl, r[9], dbl, dbl ? 5 : t);
		near("acospi", i, a, acosl(c) / M_PIl, r[10], dbl, dbl ? 5 : t);
		near("atanpi", i, a, atanl(a) / M_PIl, r[11], dbl, dbl ? 5 : t);
		near("atan2pi", i, a, atan2l(a, b) / M_PIl, r[12], dbl,
		     dbl ? 6 : t);
		near("ldexp", i, a, ldexpl(a, k * 37), r[13], dbl, 0);
		int rn = k == -9 ? INT_MIN : k % 5 ? k % 7 : k * 100000 + 1;
		near("rootn", i, a, rootn_l(a, rn), r[14], dbl, dbl ? 4 : t);
	}
}

static void bc_spaces_inputs(float *x)
{
	for (size_t i = 0; i < BC_N; i++)
		x[i] = (float)xs[i];
}

/* frexp, remquo and lgamma_r of x[j] (a float or double) against
 * o[step * (j / lanes) + slot * lanes + j % lanes] and the same in io. */
static void check_out_params(bool dbl, double a, const double *r,
			     const int32_t *ri)
{
	int e, q, s;
	near("frexp", 0, a, frexpl(a, &e), r[0], dbl, 0);
	if (!isfinite(a))
		e = 0;
	ck_assert_msg(ri[0] == e, "frexp(%a): %d, want %d", a, ri[0], e);
	near("remquo", 0, a, remquol(a, 0.75L, &q), r[1], dbl, 0);
	if (!isnan(r[1]))
		ck_assert_msg(ri[1] == q, "remquo(%a, 0.75): quo %d, want %d",
			      a, ri[1], q);
	near("lgamma_r", 0, a, lgammal_r(a, &s), r[2], dbl, dbl ? 16 : 1);
	ck_assert_msg(ri[2] == s, "lgamma_r(%a): sign %d, want %d", a, ri[2],
		      s);
}

static void bc_check_spaces(const float *o, const int32_t *io)
{
	for (size_t j = 0; j < BC_N; j++) {
		size_t base = 16 * (j / 4) + j % 4;
		double a = (float)xs[j], r[4];
		int32_t ri[4];
		for (int f = 0; f < 4; f++) {
			r[f] = o[base + 4 * f];
			ri[f] = io[base + 4 * f];
		}
		check_out_params(false, a, r, ri);
		near("remainder", j, a, remainderl(a, -0.75L), r[3], false, 0);
		int il = isnan(a) ? INT_MAX : ilogb(a);
		ck_assert_msg(ri[3] == il, "ilogb(%a): %d, want %d", a, ri[3],
			      il);
	}
}

static void bc_spaces_d_inputs(double *x)
{
	memcpy(x, xs, sizeof(xs));
}

static void bc_check_spaces_d(const double *o, const int32_t *io)
{
	for (size_t j = 0; j < BC_N; j++) {
		size_t base = 6 * (j / 2) + j % 2;
		double r[3];
		int32_t ri[3];
		for (int f = 0; f < 3; f++) {
			r[f] = o[base + 2 * f];
			ri[f] = io[base + 2 * f];
		}
		check_out_params(true, xs[j], r, ri);
	}
}

static const int64_t edges[12] = {0,
				  1,
				  -1,
				  2,
				  INT64_MAX,
				  INT64_MIN,
				  3037000499, /* its square is below 2^63 */
				  3037000500,
				  INT64_C(1) << 32,
				  -(INT64_C(1) << 32),
				  0x123456789abcdefLL,
				  -3};

static void bc_int_inputs(int64_t *a, int64_t *b, int64_t *c)
{
	for (size_t i = 0; i < BC_INT_N; i++) {
		a[i] = edges[i / 12];
		b[i] = edges[i % 12];
		c[i] = edges[(i * 5 + i / 12) % 12];
	}
}

static int64_t sat_s(__int128 v)
{
	return v > INT64_MAX   ? INT64_MAX
	       : v < INT64_MIN ? INT64_MIN
			       : (int64_t)v;
}

static uint64_t sat_u(unsigned __int128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static void bc_check_ints(const int64_t *o)
{
	int64_t a[BC_INT_N], b[BC_INT_N], c[BC_INT_N];
	bc_int_inputs(a, b, c);
	for (size_t i = 0; i < BC_INT_N; i++) {
		int64_t x = a[i], y = b[i], z = c[i];
		uint64_t ux = (uint64_t)x, uy = (uint64_t)y, uz = (uint64_t)z;
		uint32_t qnan32 = 0x7fc00000u | ((uint32_t)ux & 0x3fffffu);
		uint64_t qnan64 =
		    (UINT64_C(0x7ff8) << 48) | (ux & ((UINT64_C(1) << 51) - 1));
		int64_t want[BC_INT_OUT] = {
		    sat_s((__int128)x * y + z),
		    sat_s((__int128)y * y + z),
		    (int64_t)sat_u((unsigned __int128)ux * uy + uz),
		    (int64_t)sat_u((unsigned __int128)ux * ux + uz),
		    (int16_t)((uint16_t)(int8_t)x << 8 | (uint8_t)y),
		    (uint16_t)((uint8_t)x << 8 | (uint8_t)y),
		    (int32_t)((uint32_t)(int16_t)x << 16 | (uint16_t)y),
		    (uint32_t)((uint32_t)(uint16_t)x << 16 | (uint16_t)y),
		    (int64_t)((uint64_t)(int32_t)x << 32 | (uint32_t)y),
		    (int64_t)((uint64_t)(uint32_t)x << 32 | (uint32_t)y),
		    (int32_t)((uint32_t)(int16_t)x << 16 | (uint16_t)x),
		    qnan32,
		    (int64_t)qnan64,
		    3};
		for (int f = 0; f < BC_INT_OUT; f++)
			ck_assert_msg(o[i * BC_INT_OUT + f] == want[f],
				      "ints %d of (%lld, %lld, %lld): %lld, "
				      "want %lld",
				      f, (long long)x, (long long)y,
				      (long long)z,
				      (long long)o[i * BC_INT_OUT + f],
				      (long long)want[f]);
	}
}

static void bc_duff_inputs(int32_t *src, int32_t *counts, int32_t *dst)
{
	for (int i = 0; i < 64; i++)
		src[i] = 1000 + i * 7;
	for (int i = 0; i < BC_DUFF_N; i++)
		counts[i] = i;
	for (int i = 0; i < 64 * BC_DUFF_N; i++)
		dst[i] = -1;
}

static void bc_check_duff(const int32_t *dst)
{
	for (int i = 0; i < BC_DUFF_N; i++)
		for (int j = 0; j < 64; j++) {
			int32_t want = j < i ? 1000 + j * 7 : -1;
			ck_assert_msg(dst[64 * i + j] == want,
				      "duff of %d: dst[%d] = %d, want %d", i, j,
				      dst[64 * i + j], want);
		}
}

static void bc_paths_inputs(int32_t *v)
{
	for (int i = 0; i < BC_PATHS_N; i++)
		v[i] = i - 3;
}

/* tests/cl/switch_labels.cl's paths, in C (falling through is the
 * point). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
static int paths(int x)
{
	int r = 0, j = 0;
	switch (x) {
	case 0:
		r += 1;
		if (x > 100) {
		case 1:
			r += 10;
		} else {
		case 2:
			r += 100;
			if (x == 2)
				break;
		}
		r += 1000;
		for (j = 0; j < 3; j++) {
			r += 10000;
		case 3:
			r += 100000;
			if (j == 1)
				break;
		}
		r += j * 1000000;
	case 4:
		while (r < 50) {
			r += 5;
		case 5:
			r += 2;
			if (r & 1)
				continue;
			switch (r) {
			case 2:
				r += 3;
			default:
				r += 1;
			}
		}
		break;
	default:
		r = -1;
		if (x < 0) {
		case 6:
			r -= 20;
		}
	}
	return r;
}
#pragma GCC diagnostic pop

static void bc_check_paths(const int32_t *o)
{
	for (int i = 0; i < BC_PATHS_N; i++)
		ck_assert_msg(o[i] == paths(i - 3), "paths(%d): %d, want %d",
			      i - 3, o[i], paths(i - 3));
}

#define P(name, a)                                                             \
	{                                                                      \
		name, (a), sizeof(a)                                           \
	}

void bc_math(bc_runner *run, bool dbl)
{
	double x[BC_N], y[BC_N], o[BC_N * BC_MATH_OUT];
	int32_t k[BC_N], io[BC_N * BC_MATH_INT];
	bc_math_inputs(dbl, x, y, k);
	size_t w = dbl ? 8 : 4;
	struct bc_param p[] = {{"x", x, BC_N * w},
			       {"y", y, BC_N * w},
			       P("k", k),
			       {"o", o, BC_N * BC_MATH_OUT * w},
			       P("io", io)};
	run("builtins_libm.cl", dbl ? "math_d" : "math_f", p, 5, BC_N);
	bc_check_math(dbl, o, io);
}

void bc_out_parameters(bc_runner *run)
{
	float x[BC_N], o[4 * BC_N];
	int32_t io[4 * BC_N];
	bc_spaces_inputs(x);
	struct bc_param p[] = {P("x", x), P("o", o), P("io", io)};
	run("builtins_libm.cl", "spaces", p, 3, BC_SPACES_N);
	bc_check_spaces(o, io);
	double xd[BC_N], od[3 * BC_N];
	int32_t iod[3 * BC_N];
	bc_spaces_d_inputs(xd);
	struct bc_param pd[] = {P("x", xd), P("o", od), P("io", iod)};
	run("builtins_libm.cl", "spaces_d", pd, 3, BC_SPACES_D_N);
	bc_check_spaces_d(od, iod);
}

void bc_int64(bc_runner *run)
{
	int64_t a[BC_INT_N], b[BC_INT_N], c[BC_INT_N], o[BC_INT_N * BC_INT_OUT];
	bc_int_inputs(a, b, c);
	struct bc_param p[] = {P("a", a), P("b", b), P("c", c), P("o", o)};
	run("builtins_libm.cl", "ints", p, 4, BC_INT_N);
	bc_check_ints(o);
}

void bc_switch_labels(bc_runner *run)
{
	int32_t src[64], counts[BC_DUFF_N], dst[64 * BC_DUFF_N];
	bc_duff_inputs(src, counts, dst);
	struct bc_param p[] = {P("src", src), P("dst", dst),
			       P("counts", counts)};
	run("switch_labels.cl", "duff", p, 3, BC_DUFF_N);
	bc_check_duff(dst);
	int32_t v[BC_PATHS_N], o[BC_PATHS_N];
	bc_paths_inputs(v);
	struct bc_param pp[] = {P("v", v), P("o", o)};
	run("switch_labels.cl", "paths", pp, 2, BC_PATHS_N);
	bc_check_paths(o);
}
