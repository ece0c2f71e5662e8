/*
 * What the lowering means, run: kernels using vectors, the integer,
 * common, geometric and relational built-ins, convert_T with _sat and
 * rounding modes, as_T and structs are lowered, verified and run over
 * buffers, each output checked against the same computation in C. Built
 * twice: unit_compiler_run runs them on the tests' IR evaluator
 * (ir_eval.h), unit_jit_lower (RUN_ON_JIT) on the code generator.
 */
#include <check.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins_check.h"
#include "compiler_check.h"
#include "ir_eval.h"
#ifdef RUN_ON_JIT
#include <vgpujit/jit.h>

/* Compiles m and runs kernel k over n work-items. */
static int engine_run(const struct vcl_ir_module *m, const char *k,
		      struct ev_arg *args, uint32_t nargs, uint64_t n,
		      char *err, size_t cap)
{
	static const _Atomic int never;
	struct vjit_program *p;
	char msg[VJIT_MSG_MAX];
	if (vjit_compile(m, &p, msg)) {
		snprintf(err, cap, "vjit_compile: %s", msg);
		return -1;
	}
	int kernel = vjit_kernel_index(p, k);
	const struct vcl_ir_function *f = vjit_kernel_ir(p, kernel);
	struct vjit_arg va[VCL_IR_MAX_PARAMS];
	for (uint32_t i = 0; i < nargs && i < VCL_IR_MAX_PARAMS; i++)
		va[i] = VCL_IR_KIND(f->params[i].type) == VCL_IR_PTR
			    ? (struct vjit_arg){args[i].data, args[i].size}
			    : (struct vjit_arg){&args[i].bits, 0};
	/* one group of all the work-items: the work-group loop runs them */
	uint64_t local = n <= 256 ? n : 1;
	struct vjit_ndrange nd = {1, {n, 1, 1}, {local, 1, 1}, {0, 0, 0}};
	struct vjit_fault fault = {0};
	int rc = vjit_check_launch(p, kernel, va, nargs, &nd, &fault);
	if (!rc)
		rc = vjit_run_groups(p, kernel, va, &nd, 0, n / local, &never,
				     &fault);
	if (rc)
		snprintf(err, cap, "%d %s", rc, fault.msg);
	vjit_program_free(p);
	return rc ? -1 : 0;
}
#define RUN_GROUP_ALL 1
#else
#define engine_run    ev_run
#define RUN_GROUP_ALL 0 /* the evaluator runs groups of one */
#endif

/* Lowers and verifies src, runs kernel k over n work-items. */
static void run(const char *src, const char *k, struct ev_arg *args,
		uint32_t nargs, uint64_t n)
{
	struct cc_lowered r;
	cc_lower(&r, src, strlen(src));
	ck_assert_msg(r.m, "%s\n%s", src, r.diags);
	char out[4096];
	ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s\n%s", out, r.text);
	char err[512];
	ck_assert_msg(engine_run(r.m, k, args, nargs, n, err, sizeof(err)) == 0,
		      "%s\n%s", err, r.text);
	cc_unlower(&r);
}

#define BUF(a)                                                                 \
	{                                                                      \
		(a), sizeof(a), 0                                              \
	}

static const int32_t ints[] = {
    0,	      1,       -1,	   2,	       7,
    -8,	      100,     -100,	   0x7fffffff, (int32_t)0x80000000,
    12345678, -987654, 0x40000000, 31,	       32,
    33};
enum { NI = sizeof(ints) / sizeof(*ints) };

static uint32_t rotl32(uint32_t x, uint32_t k)
{
	k &= 31;
	return k ? x << k | x >> (32 - k) : x;
}

static int32_t sat32(int64_t v)
{
	return v > INT32_MAX   ? INT32_MAX
	       : v < INT32_MIN ? INT32_MIN
			       : (int32_t)v;
}

/* The integer built-ins on int, against C, every pair of inputs. */
START_TEST(integer_builtins)
{
	enum { F = 15 };
	int32_t x[NI * NI], y[NI * NI], o[NI * NI * F];
	for (int i = 0; i < NI; i++)
		for (int j = 0; j < NI; j++) {
			x[i * NI + j] = ints[i];
			y[i * NI + j] = ints[j];
		}
	struct ev_arg args[] = {BUF(x), BUF(y), BUF(o)};
	run("__kernel void k(__global int *x, __global int *y, __global int "
	    "*o) {\n"
	    "  size_t i = get_global_id(0); int a = x[i], b = y[i];\n"
	    "  __global int *r = o + i * 15;\n"
	    "  r[0] = popcount(a); r[1] = clz(a); r[2] = rotate(a, b);\n"
	    "  r[3] = abs(a); r[4] = abs_diff(a, b); r[5] = add_sat(a, b);\n"
	    "  r[6] = sub_sat(a, b); r[7] = hadd(a, b); r[8] = rhadd(a, b);\n"
	    "  r[9] = mul_hi(a, b); r[10] = min(a, b); r[11] = max(a, b);\n"
	    "  r[12] = clamp(a, -100, 100); r[13] = mad_hi(a, b, 5) + "
	    "mad24(a, b, 1) - mul24(a, b);\n"
	    "  r[14] = mad_sat(a, b, 7);\n"
	    "}",
	    "k", args, 3, NI * NI);
	for (int i = 0; i < NI * NI; i++) {
		int32_t a = x[i], b = y[i];
		uint32_t ua = (uint32_t)a;
		int64_t wa = a, wb = b;
		int32_t want[F] = {
		    __builtin_popcount(ua),
		    a ? __builtin_clz(ua) : 32,
		    (int32_t)rotl32(ua, (uint32_t)b),
		    (int32_t)(a < 0 ? 0u - ua : ua),
		    (int32_t)(uint32_t)(a > b ? wa - wb : wb - wa),
		    sat32(wa + wb),
		    sat32(wa - wb),
		    (int32_t)((wa + wb) >> 1),
		    (int32_t)((wa + wb + 1) >> 1),
		    (int32_t)((wa * wb) >> 32),
		    a < b ? a : b,
		    a > b ? a : b,
		    a < -100  ? -100
		    : a > 100 ? 100
			      : a,
		    (int32_t)((wa * wb) >> 32) + 5 + 1,
		    sat32(wa * wb + 7)};
		for (int f = 0; f < F; f++)
			ck_assert_msg(o[i * F + f] == want[f],
				      "function %d of (%d, %d): %d, want %d", f,
				      a, b, o[i * F + f], want[f]);
	}
}
END_TEST

/* popcount, clz, rotate, add_sat on uchar and ulong: other widths. */
START_TEST(integer_widths)
{
	uint8_t c[256], co[256 * 4];
	uint64_t l[64], lo[64 * 5];
	for (int i = 0; i < 256; i++)
		c[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		l[i] = (UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)i) >> (i % 7);
	struct ev_arg args[] = {BUF(c), BUF(co), BUF(l), BUF(lo)};
	run("__kernel void k(__global uchar *c, __global uchar *co, __global "
	    "ulong *l, __global ulong *lo) {\n"
	    "  size_t i = get_global_id(0); uchar a = c[i];\n"
	    "  co[4 * i] = popcount(a); co[4 * i + 1] = clz(a);\n"
	    "  co[4 * i + 2] = rotate(a, (uchar)(i % 11));\n"
	    "  co[4 * i + 3] = add_sat(a, (uchar)100);\n"
	    "  if (i < 64) { ulong x = l[i], y = l[63 - i]; lo[5 * i] = "
	    "popcount(x); lo[5 * i + 1] = clz(x); lo[5 * i + 2] = rotate(x, "
	    "(ulong)i); lo[5 * i + 3] = mul_hi(x, y); lo[5 * i + 4] = "
	    "mad_hi((long)x, (long)y, 3L); }\n"
	    "}",
	    "k", args, 4, 256);
	for (int i = 0; i < 256; i++) {
		unsigned k = (unsigned)(i % 11) & 7;
		uint8_t want[4] = {
		    (uint8_t)__builtin_popcount((unsigned)i),
		    (uint8_t)(i ? __builtin_clz((unsigned)i) - 24 : 8),
		    (uint8_t)(k ? (i << k | i >> (8 - k)) : i),
		    (uint8_t)(i + 100 > 255 ? 255 : i + 100)};
		for (int f = 0; f < 4; f++)
			ck_assert_msg(co[4 * i + f] == want[f],
				      "uchar function %d of %d: %d, want %d", f,
				      i, co[4 * i + f], want[f]);
	}
	for (int i = 0; i < 64; i++) {
		uint64_t x = l[i], y = l[63 - i];
		uint64_t want[5] = {
		    (uint64_t)__builtin_popcountll(x),
		    x ? (uint64_t)__builtin_clzll(x) : 64,
		    i ? x << i | x >> (64 - i) : x,
		    (uint64_t)(((unsigned __int128)x * y) >> 64),
		    (uint64_t)(((__int128)(int64_t)x * (int64_t)y) >> 64) + 3};
		for (int f = 0; f < 5; f++)
			ck_assert_msg(lo[5 * i + f] == want[f],
				      "ulong function %d of %llx", f,
				      (unsigned long long)x);
	}
}
END_TEST

static const float floats[] = {0.0f,
			       -0.0f,
			       0.5f,
			       1.5f,
			       2.5f,
			       -2.5f,
			       -0.5f,
			       1.0e10f,
			       -1.0e10f,
			       3.7f,
			       -3.7f,
			       255.5f,
			       65535.9f,
			       2147483520.0f,
			       (float)INFINITY,
			       -(float)INFINITY,
			       (float)NAN};
enum { NF = sizeof(floats) / sizeof(*floats) };

static int32_t c_sat(double v)
{
	if (v != v)
		return 0;
	return v >= 2147483647.0    ? INT32_MAX
	       : v <= -2147483648.0 ? INT32_MIN
				    : (int32_t)v;
}

/* float to int with each rounding mode, saturating; integers to
 * narrower ones with _sat. */
START_TEST(convert_to_integers)
{
	enum { F = 7 };
	float x[NF];
	int32_t o[NF * F];
	memcpy(x, floats, sizeof(x));
	struct ev_arg args[] = {BUF(x), BUF(o)};
	run("__kernel void k(__global float *x, __global int *o) {\n"
	    "  size_t i = get_global_id(0); float f = x[i]; __global int *r "
	    "= o + 7 * i;\n"
	    "  r[0] = convert_int_sat(f); r[1] = convert_int_sat_rte(f);\n"
	    "  r[2] = convert_int_sat_rtp(f); r[3] = convert_int_sat_rtn(f);\n"
	    "  r[4] = convert_int_sat_rtz(f);\n"
	    "  r[5] = convert_uchar_sat(r[0]); r[6] = "
	    "convert_short_sat(convert_uint_sat(f));\n"
	    "}",
	    "k", args, 2, NF);
	for (int i = 0; i < NF; i++) {
		double f = x[i];
		int32_t t = c_sat(trunc(f));
		int32_t want[F] = {t,
				   c_sat(rint(f)),
				   c_sat(ceil(f)),
				   c_sat(floor(f)),
				   t,
				   t < 0     ? 0
				   : t > 255 ? 255
					     : t,
				   f != f || f <= 0 ? 0
				   : f >= 32767.0   ? 32767
						    : (int32_t)f};
		for (int k = 0; k < F; k++)
			ck_assert_msg(o[i * F + k] == want[k],
				      "conversion %d of %g: %d, want %d", k, f,
				      o[i * F + k], want[k]);
	}
}
END_TEST

/* int, uint and double to float toward zero, +inf and -inf: against the
 * C conversions under each rounding mode. */
START_TEST(convert_rounding_to_float)
{
	static const int32_t is[] = {0,		1,	  -1,	     16777217,
				     -16777217, 16777219, INT32_MAX, INT32_MIN,
				     123456789, -33554435};
	static const double ds[] = {0.1,
				    -0.1,
				    1e39,
				    -1e39,
				    1e-46,
				    -1e-46,
				    3.4028235677973366e38,
				    1.0,
				    16777217.0,
				    -16777217.0};
	enum { N = 10 };
	int32_t xi[N];
	double xd[N];
	float o[N * 9];
	memcpy(xi, is, sizeof(xi));
	memcpy(xd, ds, sizeof(xd));
	struct ev_arg args[] = {BUF(xi), BUF(xd), BUF(o)};
	run("__kernel void k(__global int *xi, __global double *xd, __global "
	    "float *o) {\n"
	    "  size_t i = get_global_id(0); __global float *r = o + 9 * i;\n"
	    "  int a = xi[i]; uint u = (uint)a; double d = xd[i];\n"
	    "  r[0] = convert_float_rtz(a); r[1] = convert_float_rtp(a); r[2] "
	    "= convert_float_rtn(a);\n"
	    "  r[3] = convert_float_rtz(u); r[4] = convert_float_rtp(u); r[5] "
	    "= convert_float_rtn(u);\n"
	    "  r[6] = convert_float_rtz(d); r[7] = convert_float_rtp(d); r[8] "
	    "= convert_float_rtn(d);\n"
	    "}",
	    "k", args, 3, N);
	static const int modes[] = {FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD};
	for (int i = 0; i < N; i++)
		for (int m = 0; m < 3; m++) {
			fesetround(modes[m]);
			volatile int32_t a = xi[i];
			volatile uint32_t u = (uint32_t)xi[i];
			volatile double d = xd[i];
			float want[3] = {(float)a, (float)u, (float)d};
			fesetround(FE_TONEAREST);
			for (int k = 0; k < 3; k++) {
				float got = o[9 * i + 3 * k + m];
				ck_assert_msg(
				    memcmp(&got, &want[k], 4) == 0,
				    "source %d (%d/%u/%g) mode %d: %a, want %a",
				    k, xi[i], (uint32_t)xi[i], xd[i], m,
				    (double)got, (double)want[k]);
			}
		}
}
END_TEST

/* long and ulong to float and double toward zero, +inf and -inf: the
 * 64-bit sources compared as integers. */
START_TEST(convert_rounding_from_64_bits)
{
	static const int64_t ls[] = {0,
				     1,
				     -1,
				     (INT64_C(1) << 53) + 1,
				     -(INT64_C(1) << 53) - 1,
				     INT64_MAX,
				     INT64_MIN,
				     INT64_C(123456789012345678),
				     -INT64_C(987654321987654321),
				     (INT64_C(1) << 24) + 1};
	enum { N = 10 };
	int64_t x[N];
	float fo[N * 6];
	double dout[N * 6];
	memcpy(x, ls, sizeof(x));
	struct ev_arg args[] = {BUF(x), BUF(fo), BUF(dout)};
	run("__kernel void k(__global long *x, __global float *f, __global "
	    "double *d) {\n"
	    "  size_t i = get_global_id(0); long a = x[i]; ulong u = "
	    "(ulong)a;\n"
	    "  __global float *r = f + 6 * i; __global double *s = d + 6 * i;\n"
	    "  r[0] = convert_float_rtz(a); r[1] = convert_float_rtp(a); r[2] "
	    "= convert_float_rtn(a);\n"
	    "  r[3] = convert_float_rtz(u); r[4] = convert_float_rtp(u); r[5] "
	    "= convert_float_rtn(u);\n"
	    "  s[0] = convert_double_rtz(a); s[1] = convert_double_rtp(a); "
	    "s[2] = convert_double_rtn(a);\n"
	    "  s[3] = convert_double_rtz(u); s[4] = convert_double_rtp(u); "
	    "s[5] = convert_double_rtn(u);\n"
	    "}",
	    "k", args, 3, N);
	static const int modes[] = {FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD};
	for (int i = 0; i < N; i++)
		for (int m = 0; m < 3; m++) {
			fesetround(modes[m]);
			volatile int64_t a = x[i];
			volatile uint64_t u = (uint64_t)x[i];
			float wf[2] = {(float)a, (float)u};
			double wd[2] = {(double)a, (double)u};
			fesetround(FE_TONEAREST);
			for (int k = 0; k < 2; k++) {
				ck_assert_msg(fo[6 * i + 3 * k + m] == wf[k],
					      "float from %s %lld mode %d: %a, "
					      "want %a",
					      k ? "ulong" : "long",
					      (long long)x[i], m,
					      (double)fo[6 * i + 3 * k + m],
					      (double)wf[k]);
				ck_assert_msg(dout[6 * i + 3 * k + m] == wd[k],
					      "double from %s %lld mode %d: "
					      "%a, want %a",
					      k ? "ulong" : "long",
					      (long long)x[i], m,
					      dout[6 * i + 3 * k + m], wd[k]);
			}
		}
}
END_TEST

/* Vectors: literals, swizzles read and written, arithmetic, compares
 * and select, ?:, vload/vstore, a helper taking and returning float4,
 * dot, cross, length, normalize, any/all, as_T. */
START_TEST(vectors)
{
	float in[16], out[16 * 4];
	int32_t iout[16 * 4];
	for (int i = 0; i < 16; i++)
		in[i] = (float)(i * 3 % 7) - 2.5f;
	struct ev_arg args[] = {BUF(in), BUF(out), BUF(iout)};
	run("float4 twice(float4 v, float s) { return v * s + v.wzyx; }\n"
	    "__kernel void k(__global float *in, __global float *out, "
	    "__global int *io) {\n"
	    "  float4 a = vload4(0, in), b = vload4(1, in);\n"
	    "  float4 c = (float4)(a.xy, 1.0f, b.w);\n"
	    "  c.wx = (float2)(7.0f, 8.0f);\n"
	    "  c.lo += b.hi;\n"
	    "  int4 m = a < b;\n"
	    "  vstore4(twice(c, 2.0f), 0, out);\n"
	    "  vstore4(select(a, b, m), 1, out);\n"
	    "  vstore4(m.x ? a : b, 2, out);\n"
	    "  float3 x = cross(a.xyz, b.xyz);\n"
	    "  out[12] = dot(a, b); out[13] = length(a.xy); out[14] = x.y;\n"
	    "  out[15] = normalize(b).z;\n"
	    "  vstore4(fmax(a, b) - clamp(a, -1.0f, 1.0f), 4, out);\n"
	    "  vstore4(m, 0, io);\n"
	    "  io[4] = any(m); io[5] = all(m); io[6] = as_int(a.x);\n"
	    "  vstore4(as_int4(b) ^ (int4)(1), 2, io);\n"
	    "  int4 n = -m; n++; io[7] = n.s3 + isless(a, b).y;\n"
	    "}",
	    "k", args, 3, 1);
	const float *a = in, *b = in + 4;
	float c[4] = {8.0f, a[1], 1.0f, 7.0f};
	c[0] += b[2];
	c[1] += b[3];
	int m[4];
	for (int i = 0; i < 4; i++)
		m[i] = a[i] < b[i] ? -1 : 0;
	float want[20];
	for (int i = 0; i < 4; i++) {
		want[i] = c[i] * 2.0f + c[3 - i];
		want[4 + i] = m[i] < 0 ? b[i] : a[i];
		want[8 + i] = m[0] ? a[i] : b[i];
		want[16 + i] = fmaxf(a[i], b[i]) - fminf(fmaxf(a[i], -1), 1);
	}
	want[12] = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
	want[13] = sqrtf(a[0] * a[0] + a[1] * a[1]);
	want[14] = a[2] * b[0] - a[0] * b[2];
	float bb = b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + b[3] * b[3];
	want[15] = b[2] * (float)(1 / sqrt(bb));
	for (int i = 0; i < 20; i++)
		ck_assert_msg(fabsf(out[i] - want[i]) <= 1e-6f * fabsf(want[i]),
			      "out[%d] %g, want %g", i, out[i], want[i]);
	int32_t bits;
	memcpy(&bits, &a[0], 4);
	int iwant[12] = {m[0],
			 m[1],
			 m[2],
			 m[3],
			 m[0] | m[1] | m[2] | m[3] ? 1 : 0,
			 m[0] & m[1] & m[2] & m[3] ? 1 : 0,
			 bits,
			 -m[3] + 1 + (a[1] < b[1] ? -1 : 0)};
	for (int i = 0; i < 4; i++) {
		memcpy(&bits, &b[i], 4);
		iwant[8 + i] = bits ^ 1;
	}
	for (int i = 0; i < 12; i++)
		ck_assert_msg(iout[i] == iwant[i], "io[%d] %d, want %d", i,
			      iout[i], iwant[i]);
}
END_TEST

/* Structs in buffers and private memory, unions, initializer lists,
 * & of a scalar. */
START_TEST(structs)
{
	struct particle {
		float pos[4];
		int32_t id;
		float w[3];
	} p[4];
	int32_t out[4];
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < 4; k++)
			p[i].pos[k] = (float)(i + k);
		p[i].w[0] = (float)i * 0.5f;
	}
	struct ev_arg args[] = {BUF(p), BUF(out), {NULL, 0, 0}};
	float dt = 0.25f;
	memcpy(&args[2].bits, &dt, 4);
	size_t len;
	char *src = cc_read_kernel("structs.cl", &len);
	run(src, "move", args, 3, 4);
	free(src);
	for (int i = 0; i < 4; i++) {
		ck_assert(p[i].pos[0] == (float)i + dt);
		ck_assert(p[i].pos[3] == (float)(i + 3));
		ck_assert_int_eq(p[i].id, i + 1);
		ck_assert(p[i].w[1] == (float)i);
		ck_assert(p[i].w[2] == p[i].pos[0]);
		uint32_t ub;
		memcpy(&ub, &dt, 4);
		/* n = 2 + 0 + 1, z.id 7, b.u, g[1][0] 3, z.w[1] 2 */
		ck_assert_int_eq(out[i], (int32_t)(3 + 7 + ub + 3 + 2));
	}
}
END_TEST

/* Other widths and element types: float3 (stored as 3 by vload3 and
 * vstore3), uchar16 with .lo .hi .even .odd .sA, int8, double2, vector
 * conversions with _sat, as_T between a uchar4 and a uint. */
START_TEST(vector_widths)
{
	float x[6], y[6];
	uint8_t c[16], co[16 + 8];
	int32_t io[8 + 4 + 1];
	double d[2];
	for (int i = 0; i < 6; i++)
		x[i] = (float)i - 1.5f;
	for (int i = 0; i < 16; i++)
		c[i] = (uint8_t)(i * 37);
	struct ev_arg args[] = {BUF(x),	 BUF(y),  BUF(c),
				BUF(co), BUF(io), BUF(d)};
	run("__kernel void k(__global float *x, __global float *y, __global "
	    "uchar *c, __global uchar *co, __global int *io, __global double "
	    "*d) {\n"
	    "  for (int i = 0; i < 2; i++) { float3 a = vload3(i, x); "
	    "vstore3(a * 2.0f + a.zxy, i, y); }\n"
	    "  uchar16 v = vload16(0, c);\n"
	    "  vstore16(v.s0123456789abcdef + (uchar)1, 0, co);\n"
	    "  uchar8 e = v.even, o = v.odd;\n"
	    "  vstore8(add_sat(e, o) - v.hi + v.lo, 2, co);\n"
	    "  int8 w = convert_int8(e) - convert_int8(o);\n"
	    "  vstore8(w > 0 ? w : -w, 0, io);\n"
	    "  uchar4 s = convert_uchar4_sat(w.lo * 3);\n"
	    "  vstore4(convert_int4(s), 2, io);\n"
	    "  io[12] = (int)as_uint(s);\n"
	    "  double2 p = (double2)(0.25, -4.0); p *= p.yx; vstore2(p, 0, "
	    "d);\n"
	    "}",
	    "k", args, 6, 1);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 3; k++) {
			const float *a = x + 3 * i;
			float want = a[k] * 2.0f + a[(k + 2) % 3];
			ck_assert_msg(y[3 * i + k] == want, "y[%d] %g, want %g",
				      3 * i + k, y[3 * i + k], want);
		}
	uint8_t e[8], o[8];
	int32_t w[8];
	for (int k = 0; k < 8; k++) {
		e[k] = c[2 * k];
		o[k] = c[2 * k + 1];
		w[k] = e[k] - o[k];
	}
	for (int k = 0; k < 16; k++)
		ck_assert_int_eq(co[k], (uint8_t)(c[k] + 1));
	for (int k = 0; k < 8; k++) {
		int sat = e[k] + o[k] > 255 ? 255 : e[k] + o[k];
		ck_assert_int_eq(co[16 + k], (uint8_t)(sat - c[8 + k] + c[k]));
		ck_assert_int_eq(io[k], w[k] > 0 ? w[k] : -w[k]);
	}
	uint8_t s[4];
	for (int k = 0; k < 4; k++) {
		int v3 = w[k] * 3;
		s[k] = (uint8_t)(v3 < 0 ? 0 : v3 > 255 ? 255 : v3);
		ck_assert_int_eq(io[8 + k], s[k]);
	}
	uint32_t bits;
	memcpy(&bits, s, 4);
	ck_assert_int_eq(io[12], (int32_t)bits);
	ck_assert(d[0] == 0.25 * -4.0 && d[1] == -4.0 * 0.25);
}
END_TEST

/* The relational built-ins on special values: scalars give 1 or 0,
 * vectors -1 or 0 per lane; bitselect on a float's bits; select. */
START_TEST(relational_values)
{
	static const float vals[] = {0.0f,
				     -0.0f,
				     1.0f,
				     -2.5f,
				     1e-40f,
				     (float)INFINITY,
				     -(float)INFINITY,
				     (float)NAN};
	enum { N = 8, F = 11 };
	float x[N], fo[N];
	int32_t o[N * F], vo[N * 4];
	memcpy(x, vals, sizeof(x));
	struct ev_arg args[] = {BUF(x), BUF(o), BUF(vo), BUF(fo)};
	run("__kernel void k(__global float *x, __global int *o, __global int4 "
	    "*vo, __global float *fo) {\n"
	    "  size_t i = get_global_id(0); float a = x[i], b = x[(i + 3) % "
	    "8];\n"
	    "  __global int *r = o + 11 * i;\n"
	    "  r[0] = isnan(a); r[1] = isinf(a); r[2] = isfinite(a); r[3] = "
	    "isnormal(a);\n"
	    "  r[4] = signbit(a); r[5] = isequal(a, b); r[6] = "
	    "islessgreater(a, b);\n"
	    "  r[7] = isordered(a, b); r[8] = isunordered(a, b); r[9] = "
	    "isgreaterequal(a, b);\n"
	    "  r[10] = select(3, 4, isless(a, b));\n"
	    "  float4 v = (float4)(a, b, 1.0f, a);\n"
	    "  vo[i] = isnan(v) + isinf(v) * 2 + signbit(v) * 4;\n"
	    "  fo[i] = bitselect(a, b, as_float(0x80000000u));\n"
	    "}",
	    "k", args, 4, N);
	for (int i = 0; i < N; i++) {
		float a = x[i], b = x[(i + 3) % 8];
		int want[F] = {isnan(a) != 0,	     isinf(a) != 0,
			       isfinite(a) != 0,     isnormal(a) != 0,
			       signbit(a) != 0,	     a == b,
			       a < b || a > b,	     !isnan(a) && !isnan(b),
			       isnan(a) || isnan(b), a >= b,
			       a < b ? 4 : 3};
		for (int f = 0; f < F; f++)
			ck_assert_msg(o[F * i + f] == want[f],
				      "relation %d of (%g, %g): %d, want %d", f,
				      a, b, o[F * i + f], want[f]);
		float v[4] = {a, b, 1.0f, a};
		for (int k = 0; k < 4; k++) {
			int w = -(isnan(v[k]) != 0) - 2 * (isinf(v[k]) != 0) -
				4 * (signbit(v[k]) != 0);
			ck_assert_msg(vo[4 * i + k] == w,
				      "lane %d of %g: %d, want %d", k, v[k],
				      vo[4 * i + k], w);
		}
		uint32_t ua, ub, ur;
		memcpy(&ua, &a, 4);
		memcpy(&ub, &b, 4);
		ur = (ua & 0x7fffffffu) | (ub & 0x80000000u);
		uint32_t got;
		memcpy(&got, &fo[i], 4);
		ck_assert_msg(got == ur, "bitselect of %g, %g", a, b);
	}
}
END_TEST

/* fract, modf and sincos (a result through a pointer), maxmag, minmag
 * and nextafter, on ordinary and special values, against libm. */
START_TEST(math_without_intrinsics)
{
	static const float vals[] = {2.75f,
				     -2.75f,
				     0.0f,
				     -0.0f,
				     1e-45f,
				     -1e30f,
				     (float)INFINITY,
				     -(float)INFINITY,
				     (float)NAN,
				     3.0f,
				     -0.3f,
				     1.0f};
	enum { N = sizeof(vals) / sizeof(*vals), F = 10 };
	float x[N], o[N * F];
	memcpy(x, vals, sizeof(x));
	struct ev_arg args[] = {BUF(x), BUF(o)};
	run("__kernel void k(__global float *x, __global float *o) {\n"
	    "  size_t i = get_global_id(0); float a = x[i], b = x[(i + 5) % "
	    "12];\n"
	    "  __global float *r = o + 10 * i; float ip;\n"
	    "  r[0] = fract(a, &ip); r[1] = ip; r[2] = modf(a, &r[3]);\n"
	    "  float cv; float2 c; r[4] = sincos(a, &cv) - cv + 1.0f;\n"
	    "  r[5] = maxmag(a, b); r[6] = minmag(a, b); r[7] = nextafter(a, "
	    "b);\n"
	    "  float2 f2 = fract((float2)(a, b), &c);\n"
	    "  r[8] = f2.y; r[9] = c.y;\n"
	    "}",
	    "k", args, 2, N);
	for (int i = 0; i < N; i++) {
		float a = x[i], b = x[(i + 5) % 12];
		float fl = floorf(a), ip;
		float want[F] = {isinf(a)   ? copysignf(0.0f, a)
				 : isnan(a) ? a
					    : fminf(a - fl, 0x1.fffffep-1f),
				 fl,
				 modff(a, &ip),
				 ip,
				 sinf(a) - cosf(a) + 1.0f,
				 fabsf(a) > fabsf(b)   ? a
				 : fabsf(b) > fabsf(a) ? b
						       : fmaxf(a, b),
				 fabsf(a) < fabsf(b)   ? a
				 : fabsf(b) < fabsf(a) ? b
						       : fminf(a, b),
				 nextafterf(a, b),
				 isinf(b) ? copysignf(0.0f, b)
				 : isnan(b)
				     ? b
				     : fminf(b - floorf(b), 0x1.fffffep-1f),
				 floorf(b)};
		for (int f = 0; f < F; f++) {
			if (f == 4 && (isinf(a) || isnan(a)))
				continue; /* sin - cos of inf: NaN both */
			uint32_t g, w;
			memcpy(&g, &o[F * i + f], 4);
			memcpy(&w, &want[f], 4);
			bool both_nan =
			    o[F * i + f] != o[F * i + f] && want[f] != want[f];
			ck_assert_msg(g == w || both_nan ||
					  (f == 4 && fabsf(o[F * i + f] -
							   want[f]) < 1e-6f),
				      "function %d of (%g, %g): %a, want %a", f,
				      a, b, (double)o[F * i + f],
				      (double)want[f]);
		}
	}
}
END_TEST

/* bc_runner: kernel k of tests/cl/FILE over n work-items. */
static void run_file(const char *file, const char *k, struct bc_param *p,
		     unsigned n, uint64_t items)
{
	size_t len;
	char *src = cc_read_kernel(file, &len);
	ck_assert_msg(src, "%s", file);
	struct ev_arg args[8];
	for (unsigned i = 0; i < n && i < 8; i++)
		args[i] = (struct ev_arg){p[i].data, p[i].size, 0};
	run(src, k, args, n, items);
	free(src);
}

/* The math built-ins without an intrinsic (remainder, remquo, frexp,
 * tgamma, lgamma, lgamma_r, ilogb) and those computed in double (sinpi
 * cospi tanpi asinpi acospi atanpi atan2pi ldexp rootn), on float and
 * double, against libm in long double (builtins_check.c). */
START_TEST(math_libm_float)
{
	bc_math(run_file, false);
}
END_TEST

START_TEST(math_libm_double)
{
	bc_math(run_file, true);
}
END_TEST

/* frexp, remquo and lgamma_r through __global, __local and __private
 * pointers to vectors (float4, double2). */
START_TEST(math_out_parameters)
{
	bc_out_parameters(run_file);
}
END_TEST

/* mad_sat on long and ulong over pairs of edge values, upsample, nan. */
START_TEST(int64_builtins)
{
	bc_int64(run_file);
}
END_TEST

/* case labels inside ifs and loops of their switch: Duff's device and
 * a switch jumping into both branches of an if, a for and a while. */
START_TEST(switch_labels_in_statements)
{
	bc_switch_labels(run_file);
}
END_TEST

/* A half's value, by its definition. */
static double half_value(uint16_t h)
{
	int e = h >> 10 & 31, m = h & 0x3ff;
	double v = e == 0    ? ldexp(m, -24)
		   : e == 31 ? (m ? NAN : INFINITY)
			     : ldexp(1024 + m, e - 25);
	return h & 0x8000 ? -v : v;
}

/* The half x rounds to under mode (0 nearest even, 1 toward zero, 2 up,
 * 3 down), by looking at every half. */
static uint16_t half_of(float x, int mode)
{
	if (x != x)
		return 0x7e00;
	if (isinf(x)) /* exact in every mode */
		return x < 0 ? 0xfc00 : 0x7c00;
	double best = NAN;
	uint16_t pick = 0;
	for (uint32_t h = 0; h < 0x10000; h++) {
		double v = half_value((uint16_t)h);
		if (v != v || (v == 0 && !signbit(v) != !signbit(x)))
			continue;
		bool ok = mode == 2   ? v >= x
			  : mode == 3 ? v <= x
			  : mode == 1 ? fabs(v) <= fabs(x)
				      : true;
		if (!ok)
			continue;
		double d = fabs(v - x), bd = fabs(best - x);
		if (mode == 0 && fabs(x) >= 65520.0)
			return x < 0 ? 0xfc00 : 0x7c00;
		if (best != best || d < bd ||
		    (d == bd && mode == 0 && !(h & 1)))
			best = v, pick = (uint16_t)h;
	}
	return pick;
}

/* vstore_half with each rounding mode and vload_half: every half read
 * back exactly; floats stored rounded as a search over every half says. */
START_TEST(half_loads_and_stores)
{
	static const float vals[] = {0.0f,
				     -0.0f,
				     1.0f,
				     65504.0f,
				     65519.99f,
				     65520.0f,
				     1e5f,
				     -1e5f,
				     0x1p-14f,
				     0x1p-24f,
				     0x1p-25f,
				     0x1.8p-25f,
				     1e-9f,
				     -1e-9f,
				     0.1f,
				     1.0f / 3,
				     -2.5e-6f,
				     1000.5f,
				     1001.5f,
				     2049.0f,
				     -3.7f,
				     (float)INFINITY,
				     -(float)INFINITY,
				     (float)NAN};
	enum { N = sizeof(vals) / sizeof(*vals), H = 0x10000 };
	float x[N], back[N * 4];
	uint16_t h[N * 4];
	memcpy(x, vals, sizeof(x));
	struct ev_arg args[] = {BUF(x), BUF(h), BUF(back)};
	run("__kernel void k(__global float *x, __global half *h, __global "
	    "float *back) {\n"
	    "  size_t i = get_global_id(0); float v = x[i];\n"
	    "  vstore_half(v, 4 * i, h); vstore_half_rtz(v, 4 * i + 1, h);\n"
	    "  vstore_half_rtp(v, 4 * i + 2, h); vstore_half_rtn(v, 4 * i + 3, "
	    "h);\n"
	    "  vstore4(vload_half4(i, h), i, back);\n"
	    "}",
	    "k", args, 3, N);
	for (int i = 0; i < N; i++)
		for (int m = 0; m < 4; m++) {
			uint16_t want = half_of(x[i], m);
			ck_assert_msg(h[4 * i + m] == want,
				      "%a mode %d: %04x, want %04x",
				      (double)x[i], m, h[4 * i + m], want);
			double v = half_value(want);
			ck_assert(
			    back[4 * i + m] == v ||
			    (v != v && back[4 * i + m] != back[4 * i + m]));
		}
	/* every half pattern to a float */
	uint16_t *all = malloc(H * 2);
	float *f = malloc(H * 4);
	ck_assert(all && f);
	for (uint32_t k = 0; k < H; k++)
		all[k] = (uint16_t)k;
	struct ev_arg args2[] = {{all, H * 2, 0}, {f, H * 4, 0}};
	run("__kernel void k(__global const half *h, __global float *f) { "
	    "size_t i = get_global_id(0); f[i] = vload_half(i, h); }",
	    "k", args2, 2, H);
	for (uint32_t k = 0; k < H; k++) {
		double v = half_value((uint16_t)k);
		ck_assert_msg(f[k] == v || (v != v && f[k] != f[k]) ||
				  (v == 0 && !signbit(f[k]) == !signbit(v)),
			      "half %04x: %a, want %a", k, (double)f[k], v);
		ck_assert(!signbit(f[k]) == !(k >> 15));
	}
	free(all);
	free(f);
}
END_TEST

/* pown: pow of the exponent made a float, negative bases included. */
START_TEST(pown_values)
{
	static const float xs[] = {2.0f, -2.0f, 0.5f, -1.5f, 3.0f, 0.0f};
	static const int32_t ns[] = {3, 3, -2, 5, 0, 2};
	enum { N = 6 };
	float x[N], o[N * 4];
	int32_t n[N];
	memcpy(x, xs, sizeof(x));
	memcpy(n, ns, sizeof(n));
	struct ev_arg args[] = {BUF(x), BUF(n), BUF(o)};
	run("__kernel void k(__global float *x, __global int *n, __global "
	    "float4 *o) { size_t i = get_global_id(0); o[i] = "
	    "pown((float4)(x[i]), (int4)(n[i], 1, 2, -1)); }",
	    "k", args, 3, N);
	for (int i = 0; i < N; i++) {
		int e[4] = {n[i], 1, 2, -1};
		for (int k = 0; k < 4; k++) {
			float want = (float)pow((double)x[i], e[k]);
			ck_assert_msg(
			    o[4 * i + k] == want ||
				(o[4 * i + k] != o[4 * i + k] && want != want),
			    "pown(%g, %d): %g, want %g", x[i], e[k],
			    o[4 * i + k], want);
		}
	}
}
END_TEST

/* A kernel's float4 parameter is given as its four lanes. */
START_TEST(vector_parameter)
{
	float o[4];
	struct ev_arg args[5] = {BUF(o)};
	for (int i = 0; i < 4; i++) {
		float lane = (float)i + 0.5f;
		memcpy(&args[1 + i].bits, &lane, 4);
	}
	run("__kernel void k(__global float4 *o, float4 v) { o[0] = v.wzyx * "
	    "2.0f; }",
	    "k", args, 5, 1);
	for (int i = 0; i < 4; i++)
		ck_assert(o[i] == 2.0f * ((float)(3 - i) + 0.5f));
}
END_TEST

/* __constant tables (tests/cl/constant.cl) read by index, member, lane,
 * in a kernel and a helper. */
START_TEST(constant_tables)
{
	enum { N = 8 };
	float x[N + 4], y[N];
	int32_t z[N];
	for (int i = 0; i < N + 4; i++)
		x[i] = (float)(i * i % 5);
	struct ev_arg args[] = {BUF(x), BUF(y), BUF(z)};
	size_t len;
	char *src = cc_read_kernel("constant.cl", &len);
	run(src, "blur", args, 3, N);
	free(src);
	static const float w[5] = {0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f};
	static const int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
	for (int i = 0; i < N; i++) {
		float s = 0.0f;
		for (int k = 0; k < 5; k++)
			s += w[k] * x[i + k];
		float want = s * (i % 2 ? 0.5f : 2.0f) + 4.0f;
		ck_assert_msg(y[i] == want, "y[%d] %g, want %g", i, y[i], want);
		int zw = grid[i % 2][i % 3] + (i % 2 ? -1 : 1) +
			 (i % 2 ? 20 : 10) + (i < 3 ? i : 3);
		ck_assert_msg(z[i] == zw, "z[%d] %d, want %d", i, z[i], zw);
	}
}
END_TEST

/* tests/cl/pointers.cl: a binary search by pointer compare and
 * difference, an optional pointer and a __constant table passed to a
 * helper, against C (it_cl_pointers runs them in the daemon). */
START_TEST(pointer_operators)
{
	enum { N = 16 };
	int32_t sorted[N], keys[N], found[N], idx[N];
	float x[N], bias[N], out[N];
	for (int i = 0; i < N; i++) {
		sorted[i] = 2 * i;
		keys[i] = i * 3 - 4;
		idx[i] = i * 5 - 9;
		x[i] = (float)i;
		bias[i] = (float)(i % 3) - 1.0f;
	}
	size_t len;
	char *src = cc_read_kernel("pointers.cl", &len);
	struct ev_arg search[] = {
	    BUF(sorted), {NULL, 0, N}, BUF(keys), BUF(found)};
	run(src, "bsearch", search, 4, N);
	for (int i = 0; i < N; i++) {
		int want = keys[i] >= 0 && keys[i] < 2 * N && keys[i] % 2 == 0
			       ? keys[i] / 2
			       : -1;
		ck_assert_msg(found[i] == want, "key %d: %d, want %d", keys[i],
			      found[i], want);
	}
	struct ev_arg opt[] = {BUF(x), BUF(bias), {NULL, 0, 1}};
	run(src, "optional", opt, 3, N);
	for (int i = 0; i < N; i++) {
		float want = (float)i + bias[i];
		ck_assert(x[i] == (bias[i] < 0.0f ? -want : want));
	}
	struct ev_arg lut[] = {BUF(idx), BUF(out)};
	run(src, "lut", lut, 2, N);
	static const float table[8] = {0.5f, 1.5f, 2.5f, 3.5f,
				       4.5f, 5.5f, 6.5f, 7.5f};
	for (int i = 0; i < N; i++)
		ck_assert(out[i] == table[idx[i] & 7] + 1.5f +
					table[idx[i] & 3] + 100.0f);
	free(src);
}
END_TEST

/* A __local scalar shared by the group: zeroed by one work-item,
 * summed into with atomics between barriers. */
START_TEST(local_scalar)
{
	enum { N = 16 };
	int32_t x[N], o[N];
	for (int i = 0; i < N; i++)
		x[i] = i * i - 7;
	struct ev_arg args[] = {BUF(x), BUF(o)};
	run("__kernel void k(__global int *x, __global int *o) {\n"
	    "  __local int total; __local float4 v;\n"
	    "  size_t i = get_global_id(0), l = get_local_id(0);\n"
	    "  if (l == 0) { total = 0; v = (float4)(1.0f); }\n"
	    "  barrier(CLK_LOCAL_MEM_FENCE);\n"
	    "  atomic_add(&total, x[i]);\n"
	    "  barrier(CLK_LOCAL_MEM_FENCE);\n"
	    "  o[i] = total - (int)v.y;\n"
	    "}",
	    "k", args, 2, N);
	/* one group of all (the code generator) or groups of one (the
	 * evaluator): the group's sum either way */
	int32_t sum = 0;
	for (int i = 0; i < N; i++)
		sum += x[i];
	for (int i = 0; i < N; i++) {
		int32_t want = (RUN_GROUP_ALL ? sum : x[i]) - 1;
		ck_assert_msg(o[i] == want, "o[%d] %d, want %d", i, o[i], want);
	}
}
END_TEST

/* Structs passed to and returned from helpers by value: the callee
 * changes its copy only; a result's members read at once. */
START_TEST(structs_by_value)
{
	enum { N = 4 };
	float o[N * 3];
	struct ev_arg args[] = {BUF(o)};
	run("typedef struct { float3 o; float t; int hits; } ray;\n"
	    "ray advance(ray r, float d) { r.o.x += d; r.t += d; r.hits++; "
	    "return r; }\n"
	    "ray make(float x) { ray r = {(float3)(x, 1.0f, 2.0f), 0.0f, 0}; "
	    "return r; }\n"
	    "float far(ray r) { return r.t * 10.0f + r.o.y; }\n"
	    "__kernel void k(__global float *o) {\n"
	    "  size_t i = get_global_id(0);\n"
	    "  ray r = make((float)i), s;\n"
	    "  s = advance(advance(r, 0.5f), 0.25f);\n"
	    "  o[3 * i] = r.o.x; o[3 * i + 1] = s.o.x + s.hits;\n"
	    "  o[3 * i + 2] = far(s) + make(2.0f).o.z;\n"
	    "}",
	    "k", args, 1, N);
	for (int i = 0; i < N; i++) {
		ck_assert(o[3 * i] == (float)i);
		ck_assert(o[3 * i + 1] == (float)i + 0.75f + 2.0f);
		ck_assert(o[3 * i + 2] == 0.75f * 10.0f + 1.0f + 2.0f);
	}
}
END_TEST

/* A switch whose labels sit inside blocks of its body falls through
 * them as C does. */
START_TEST(switch_labels_in_blocks)
{
	int32_t x[8], o[8];
	for (int i = 0; i < 8; i++)
		x[i] = i;
	struct ev_arg args[] = {BUF(x), BUF(o)};
	run("__kernel void k(__global int *x, __global int *o) {\n"
	    "  size_t i = get_global_id(0); int r = 0;\n"
	    "  switch (x[i]) {\n"
	    "  case 0: r += 1;\n"
	    "  { case 1: r += 10; { case 2: r += 100; break; } case 3: r += "
	    "1000; }\n"
	    "  default: r += 10000; case 5: { r += 100000; }\n"
	    "  }\n"
	    "  o[i] = r;\n"
	    "}",
	    "k", args, 2, 8);
	/* C's fall-through worked out: 0 runs 1, 10, 100 then breaks; 3
	 * runs 1000, then default's 10000, then case 5's 100000. */
	static const int32_t want[8] = {111,	110,	100,	111000,
					110000, 100000, 110000, 110000};
	for (int i = 0; i < 8; i++)
		ck_assert_msg(o[i] == want[i], "switch on %d: %d, want %d", i,
			      o[i], want[i]);
}
END_TEST

#ifdef RUN_ON_JIT
/* Every kernel of tests/cl for these constructs compiles: the code
 * generator takes every op and intrinsic the lowering emits. */
START_TEST(jit_compiles_the_kernels)
{
	const char *names[] = {
	    "vectors.cl",  "builtins.cl",      "convert.cl",
	    "structs.cl",  "constant.cl",      "vector_ops.cl",
	    "pointers.cl", "builtins_libm.cl", "switch_labels.cl"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		size_t len;
		char *src = cc_read_kernel(names[k], &len);
		struct cc_lowered r;
		cc_lower(&r, src, len);
		ck_assert_msg(r.m, "%s: %s", names[k], r.diags);
		struct vjit_program *p;
		char msg[VJIT_MSG_MAX];
		ck_assert_msg(vjit_compile(r.m, &p, msg) == 0, "%s: %s",
			      names[k], msg);
		vjit_program_free(p);
		cc_unlower(&r);
		free(src);
	}
}
END_TEST
#endif

int main(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, integer_builtins);
	tcase_add_test(tc, integer_widths);
	tcase_add_test(tc, convert_to_integers);
	tcase_add_test(tc, convert_rounding_to_float);
	tcase_add_test(tc, convert_rounding_from_64_bits);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, structs);
	tcase_add_test(tc, switch_labels_in_blocks);
	tcase_add_test(tc, vector_parameter);
	tcase_add_test(tc, constant_tables);
	tcase_add_test(tc, pown_values);
	tcase_add_test(tc, math_without_intrinsics);
	tcase_add_test(tc, math_libm_float);
	tcase_add_test(tc, math_libm_double);
	tcase_add_test(tc, math_out_parameters);
	tcase_add_test(tc, int64_builtins);
	tcase_add_test(tc, switch_labels_in_statements);
	tcase_add_test(tc, half_loads_and_stores);
	tcase_add_test(tc, vector_widths);
	tcase_add_test(tc, relational_values);
	tcase_add_test(tc, local_scalar);
	tcase_add_test(tc, pointer_operators);
	tcase_add_test(tc, structs_by_value);
#ifdef RUN_ON_JIT
	tcase_add_test(tc, jit_compiles_the_kernels);
#endif
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
