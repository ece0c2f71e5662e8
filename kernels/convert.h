/*
 * Conversions between element types that are defined for every input: no
 * undefined behaviour for NaN or out-of-range values (float to integer
 * saturates, NaN gives 0; integers wrap or saturate as documented).
 */
#ifndef VGPUFS_KERNELS_CONVERT_H
#define VGPUFS_KERNELS_CONVERT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Truncates toward zero, saturates; NaN gives 0. */
static inline int32_t vgpu_sat_i32(double v)
{
	if (v != v)
		return 0;
	if (v <= -2147483648.0)
		return INT32_MIN;
	if (v >= 2147483647.0)
		return INT32_MAX;
	return (int32_t)v;
}

/* Truncates toward zero, saturates to [0, 255]; NaN gives 0. */
static inline uint8_t vgpu_sat_u8(double v)
{
	if (!(v > 0)) /* also NaN */
		return 0;
	if (v >= 255.0)
		return 255;
	return (uint8_t)v;
}

/*
 * Rounds to nearest, ties to even (as OpenCV's saturate_cast), saturates
 * to [0, 255]; NaN gives 0. Adding 2^23 leaves no fraction bits, so the
 * FPU rounds (in its default mode) without a call to libm.
 */
static inline uint8_t vgpu_round_u8(float v)
{
	if (!(v > 0))
		return 0;
	if (v >= 255.0f)
		return 255;
	float t = v + 8388608.0f;
	return (uint8_t)(t - 8388608.0f);
}

static inline uint8_t vgpu_sat_u8_i32(int32_t v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Two's complement wrap-around arithmetic, without signed overflow. */
static inline int32_t vgpu_wrap_i32(uint32_t v)
{
	return v <= INT32_MAX ? (int32_t)v
			      : (int32_t)(v - 0x80000000u) + INT32_MIN;
}

/*
 * A NaN made quiet (its quiet bit, the top fraction bit, set), anything
 * else as it is: what IEEE conversions between float types do, for the
 * casts that only copy bits (a type to itself, bf16 to f32). Bit operations,
 * as the compiler may drop a multiplication by 1.
 */
#define VGPU_QUIET(NAME, T, U, INF_BITS, QUIET_BIT)                            \
	static inline T NAME(T f)                                              \
	{                                                                      \
		U u;                                                           \
		memcpy(&u, &f, sizeof(u));                                     \
		if ((u << 1 >> 1) > (INF_BITS)) /* past inf: a NaN */          \
			u |= (QUIET_BIT);                                      \
		memcpy(&f, &u, sizeof(f));                                     \
		return f;                                                      \
	}
VGPU_QUIET(vgpu_quiet_f32, float, uint32_t, 0x7f800000u, 0x00400000u)
VGPU_QUIET(vgpu_quiet_f64, double, uint64_t, 0x7ff0000000000000u,
	   0x0008000000000000u)
#undef VGPU_QUIET

static inline uint16_t vgpu_quiet_bf16(uint16_t h)
{
	return (h & 0x7fff) > 0x7f80 ? (uint16_t)(h | 0x40) : h;
}

/*
 * bfloat16: the upper 16 bits of an f32 (8 exponent bits, 7 fraction
 * bits), so widening is exact.
 */
static inline float vgpu_bf16_to_f32(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * Rounds to nearest, ties to even; past the largest bf16 (0x1.fep127)
 * gives +-inf as IEEE rounding does. A NaN stays a NaN of the same sign:
 * its quiet bit is set, so that dropping the low fraction bits cannot turn
 * it into an infinity.
 */
static inline uint16_t vgpu_f32_to_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	if (f != f)
		return (uint16_t)((u >> 16) | 0x40);
	u +=
	    0x7fff + ((u >> 16) & 1); /* carries into the exponent as it must */
	return (uint16_t)(u >> 16);
}

/*
 * f64 to bf16 rounded once, to nearest even. Rounding to f32 first and then
 * to bf16 would round twice (wrong for values just off a bf16 tie), so the
 * f32 step rounds to odd instead: truncate, and set the last bit when
 * anything was dropped. With 16 more bits than bf16, the odd f32 keeps
 * every tie and sticky bit the second rounding needs.
 */
static inline uint16_t vgpu_f64_to_bf16(double d)
{
	float f = (float)d;
	if (d != d || (double)f == d)
		return vgpu_f32_to_bf16(f);
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	if (fabs((double)f) > fabs(d)) /* rounded away from zero (also inf) */
		u--;
	u |= 1;
	memcpy(&f, &u, sizeof(f));
	return vgpu_f32_to_bf16(f);
}

#endif
