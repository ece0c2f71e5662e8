/*
 * Sums in double precision with Neumaier's compensation: the rounding
 * error of every addition is kept in a second double and added back at the
 * end, so that a sum of n terms is good to about one rounding of the result
 * plus n*2^-106 of the sum of the magnitudes, instead of n*2^-53. Used
 * where a long row of floats is summed (sum, mean, softmax, layernorm).
 */
#ifndef VGPUFS_KERNELS_COMPENSATED_SUM_H
#define VGPUFS_KERNELS_COMPENSATED_SUM_H

#include <math.h>
#include <stdint.h>

/* *S + *C += V. */
static inline void vgpu_csum_add(double *s, double *c, double v)
{
	double t = *s + v;
	*c += fabs(*s) >= fabs(v) ? (*s - t) + v : (v - t) + *s;
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

/*
 * Adds TERM(i) for 0 <= i < N to *S, *C (TERM: a function-like macro of
 * the index), in four independent chains that the CPU overlaps: one chain
 * waits for every addition.
 */
#define VGPU_CSUM_TERMS(S, C, N, TERM)                                         \
	do {                                                                   \
		double s_[4] = {0, 0, 0, 0}, c_[4] = {0, 0, 0, 0};             \
		uint64_t i_ = 0;                                               \
		for (; i_ + 4 <= (N); i_ += 4)                                 \
			for (unsigned l_ = 0; l_ < 4; l_++)                    \
				vgpu_csum_add(&s_[l_], &c_[l_],                \
					      TERM(i_ + l_));                  \
		for (; i_ < (N); i_++)                                         \
			vgpu_csum_add(&s_[0], &c_[0], TERM(i_));               \
		for (unsigned l_ = 0; l_ < 4; l_++) {                          \
			vgpu_csum_add((S), (C), s_[l_]);                       \
			*(C) += c_[l_];                                        \
		}                                                              \
	} while (0)

#endif
