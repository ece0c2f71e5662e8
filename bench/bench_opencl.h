/*
 * The OpenCL side of the catalogue benchmark: saxpy and sgemm on the first
 * CPU device of the first OpenCL platform (PoCL on Debian). Built only when
 * OpenCL headers are present (HAVE_OPENCL); otherwise every call returns a
 * negative time and the benchmark prints no OpenCL line.
 */
#ifndef VGPUFS_BENCH_OPENCL_H
#define VGPUFS_BENCH_OPENCL_H

#include <stddef.h>

/* "PoCL 3.1 ..." or "none". */
const char *ocl_platform_name(void);
/*
 * Median seconds of REPS runs of y = 0.5*x + y over N floats, kernels only
 * (buffers wrap the host arrays, and are mapped back once); < 0 when there
 * is no OpenCL device.
 */
double ocl_saxpy_seconds(const float *x, float *y, size_t n, int reps);
/* The same for C = A*B, N x N row-major, with a 16x16 local-memory tiled
 * kernel (what a user of OpenCL on CPUs would write). */
double ocl_sgemm_seconds(const float *a, const float *b, float *c, int n,
			 int reps);

#endif
