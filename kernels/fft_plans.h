/*
 * FFTW plans shared by all fft tiles: made once, under a lock (FFTW's
 * planner is not thread-safe), kept in a small bounded cache, and executed
 * by many threads at once on other arrays with fftwf_execute_dft (which is
 * thread-safe). A plan applies to arrays of the shape, direction and
 * in-placeness it was made for, whose alignment (fftwf_alignment_of) is
 * that of the arrays it was made on: all part of its key.
 */
#ifndef VGPUFS_KERNELS_FFT_PLANS_H
#define VGPUFS_KERNELS_FFT_PLANS_H

#include <stdbool.h>
#include <stdint.h>

#include <fftw3.h>

struct vgpu_fft_key {
	int rows, n; /* rows 1: a 1-D transform of n */
	int sign;    /* FFTW_FORWARD or FFTW_BACKWARD */
	bool inplace;
	int align_in, align_out; /* fftwf_alignment_of the arrays */
};

/* The key for one transform from IN to OUT (which may be IN). */
struct vgpu_fft_key vgpu_fft_key_for(int rows, int n, int sign,
				     fftwf_complex *in, fftwf_complex *out);

/*
 * A plan for KEY, made on IN and OUT (which must match the key) when none
 * is cached. It stays valid until vgpu_fft_plan_release(); NULL when FFTW
 * cannot plan the transform. Planning with FFTW_ESTIMATE touches neither
 * array, and out-of-place plans preserve their input.
 */
fftwf_plan vgpu_fft_plan_acquire(const struct vgpu_fft_key *key,
				 fftwf_complex *in, fftwf_complex *out);
void vgpu_fft_plan_release(fftwf_plan plan);

/*
 * Destroys every cached plan and FFTW's own planner state. Only when no
 * plan is acquired (at exit); the cache can be used again afterwards.
 */
void vgpu_fft_plans_free(void);

/* For tests: plans made since the start (cache misses). */
uint64_t vgpu_fft_plans_made(void);
/*
 * For tests: at most ELEMS complex elements of transforms cached together
 * (0: the default, 64M).
 */
void vgpu_fft_plans_set_limit(uint64_t elems);

#endif
