/*
 * Conversions between element types that are defined for every input: no
 * undefined behaviour for NaN or out-of-range values (float to integer
 * saturates, NaN gives 0; integers wrap or saturate as documented).
 */
#ifndef VGPUFS_KERNELS_CONVERT_H
#define VGPUFS_KERNELS_CONVERT_H

#include <stdint.h>

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

#endif
