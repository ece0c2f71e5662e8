/* OpenCL C 1.2's math built-ins without an LLVM intrinsic, the out-parameter
 * ones in every address space, mad_sat on 64 bits, upsample and nan
 * (tests/builtins_check.c checks what they write against libm and C). */

#define MATH_OUT 16
/* rootn's n: small, large (|n| > 1000 takes another way), or INT_MIN
 * (for 1e-310: its exponent is past 1000) */
#define ROOT_N(n)                                                              \
	((n) == -9 ? INT_MIN : (n) % 5 ? (n) % 7 : (n) * 100000 + 1)
#define MATH_INT 5

/* Each work-item: a = x[i], b = y[i], n = k[i] into o[16 i...], io[5 i...]. */
#define MATH_BODY(T, T3)                                                       \
	size_t i = get_global_id(0);                                           \
	T a = x[i], b = y[i];                                                  \
	int n = k[i], q, e, s;                                                 \
	__global T *r = o + MATH_OUT * i;                                      \
	__global int *ri = io + MATH_INT * i;                                  \
	r[0] = remainder(a, b);                                                \
	r[1] = remquo(a, b, &q);                                               \
	ri[0] = q;                                                             \
	r[2] = frexp(a, &e);                                                   \
	ri[1] = e;                                                             \
	r[3] = tgamma(a);                                                      \
	r[4] = lgamma(a);                                                      \
	r[5] = lgamma_r(a, &s);                                                \
	ri[2] = s;                                                             \
	ri[3] = ilogb(a);                                                      \
	r[6] = sinpi(a);                                                       \
	r[7] = cospi(a);                                                       \
	r[8] = tanpi(a);                                                       \
	r[9] = asinpi(clamp(a, (T)-1, (T)1));                                  \
	r[10] = acospi(clamp(a, (T)-1, (T)1));                                 \
	r[11] = atanpi(a);                                                     \
	r[12] = atan2pi(a, b);                                                 \
	r[13] = ldexp(a, n * 37);                                              \
	r[14] = rootn(a, ROOT_N(n));                                           \
	/* a 3-lane vector through a private int3 */                           \
	int3 e3;                                                               \
	T3 m3 = frexp((T3)(b, a, b), &e3);                                     \
	r[15] = m3.y;                                                          \
	ri[4] = e3.y;

__kernel void math_f(__global const float *x, __global const float *y,
		     __global const int *k, __global float *o,
		     __global int *io)
{
	MATH_BODY(float, float3)
}

#pragma OPENCL EXTENSION cl_khr_fp64 : enable
__kernel void math_d(__global const double *x, __global const double *y,
		     __global const int *k, __global double *o,
		     __global int *io)
{
	MATH_BODY(double, double3)
}

/* The out parameters through __global, __local and __private pointers,
 * on vectors: o[4 i...] and io[4 i...] for each x[i]. */
__kernel void spaces(__global const float4 *x, __global float4 *o,
		     __global int4 *io)
{
	__local int4 l[256];
	size_t i = get_global_id(0), j = get_local_id(0);
	int4 p;
	o[4 * i] = frexp(x[i], &io[4 * i]);
	o[4 * i + 1] = remquo(x[i], (float4)(0.75f), &l[j]);
	io[4 * i + 1] = l[j];
	o[4 * i + 2] = lgamma_r(x[i], &p);
	io[4 * i + 2] = p;
	o[4 * i + 3] = remainder(x[i], (float4)(-0.75f));
	io[4 * i + 3] = ilogb(x[i]);
}

/* The same with double2 and __local / __global / __private int2. */
__kernel void spaces_d(__global const double2 *x, __global double2 *o,
		       __global int2 *io)
{
	__local int2 l[256];
	size_t i = get_global_id(0), j = get_local_id(0);
	int2 p;
	o[3 * i] = frexp(x[i], &l[j]);
	io[3 * i] = l[j];
	o[3 * i + 1] = remquo(x[i], (double2)(0.75), &io[3 * i + 1]);
	o[3 * i + 2] = lgamma_r(x[i], &p);
	io[3 * i + 2] = p;
}

#define INT_OUT 14

/* mad_sat on long and ulong (scalars, long2, ulong3), upsample of every
 * pair, nan of uint and ulong: o[14 i...]. */
__kernel void ints(__global const long *a, __global const long *b,
		   __global const long *c, __global long *o)
{
	size_t i = get_global_id(0);
	long x = a[i], y = b[i], z = c[i];
	__global long *r = o + INT_OUT * i;
	r[0] = mad_sat(x, y, z);
	long2 l2 = mad_sat((long2)(x, y), (long2)(y, y), (long2)(z, z));
	r[1] = l2.y;
	r[2] = (long)mad_sat((ulong)x, (ulong)y, (ulong)z);
	ulong3 u3 = mad_sat((ulong3)((ulong)x, (ulong)y, (ulong)x),
			    (ulong3)((ulong)y, (ulong)y, (ulong)x),
			    (ulong3)((ulong)z));
	r[3] = (long)u3.z;
	r[4] = upsample((char)x, (uchar)y);
	r[5] = upsample((uchar)x, (uchar)y);
	r[6] = upsample((short)x, (ushort)y);
	r[7] = upsample((ushort)x, (ushort)y);
	r[8] = upsample((int)x, (uint)y);
	r[9] = (long)upsample((uint)x, (uint)y);
	int4 i4 = upsample((short4)((short)y, (short)x, 0, (short)x),
			   (ushort4)((ushort)x));
	r[10] = i4.w;
	r[11] = as_uint(nan((uint)x));
	r[12] = (long)as_ulong(nan((ulong)x));
	r[13] = isnan(nan((uint)y)) + isnan(nan((ulong)y)) +
		any(isnan(nan((uint2)(0u, 1u))));
}
