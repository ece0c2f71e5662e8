/*
 * Compensated sums in double precision (Ogita, Rump and Oishi's Sum2): the
 * rounding error of every addition is computed exactly (Knuth's TwoSum)
 * and added up on the side, so that a sum of n terms is good to about one
 * rounding of the result plus n*2^-106 of the sum of the magnitudes,
 * instead of n*2^-53, whatever the order of the terms. TwoSum has no
 * branch: the lanes below vectorise, and a sum runs at nearly the speed of
 * a plain one. Used where rows of floats are summed (sum, mean, softmax,
 * layernorm).
 */
#ifndef VGPUFS_KERNELS_COMPENSATED_SUM_H
#define VGPUFS_KERNELS_COMPENSATED_SUM_H

#include <math.h>
#include <stdint.h>

/* *S + *C += V. */
static inline void vgpu_csum_add(double *s, double *c, double v)
{
	double t = *s + v, bp = t - *s;
	*c += (*s - (t - bp)) + (v - bp);
	*s = t;
}

/*
 * The sum S + C. Once S is an infinity or NaN, C is meaningless (inf -
 * inf): S is the answer.
 */
static inline double vgpu_csum_value(double s, double c)
{
	return isfinite(s) ? s + c : s;
}

/* Independent sums that the CPU overlaps and the compiler vectorises. */
#define VGPU_CSUM_LANES 8

/*
 * Adds TERM(i) for 0 <= i < N to *S, *C (TERM: a function-like macro of
 * the index), in VGPU_CSUM_LANES lanes.
 */
#define VGPU_CSUM_TERMS(S, C, N, TERM)                                         \
	do {                                                                   \
		double s_[VGPU_CSUM_LANES] = {0}, c_[VGPU_CSUM_LANES] = {0};   \
		uint64_t i_ = 0;                                               \
		for (; i_ + VGPU_CSUM_LANES <= (N); i_ += VGPU_CSUM_LANES)     \
			for (unsigned l_ = 0; l_ < VGPU_CSUM_LANES; l_++)      \
				vgpu_csum_add(&s_[l_], &c_[l_],                \
					      TERM(i_ + l_));                  \
		for (; i_ < (N); i_++)                                         \
			vgpu_csum_add(&s_[0], &c_[0], TERM(i_));               \
		for (unsigned l_ = 0; l_ < VGPU_CSUM_LANES; l_++) {            \
			vgpu_csum_add((S), (C), s_[l_]);                       \
			*(C) += c_[l_];                                        \
		}                                                              \
	} while (0)

#endif
