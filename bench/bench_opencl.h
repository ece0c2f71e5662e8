/*
 * The OpenCL side of the catalogue benchmark: docs/examples/opencl's saxpy and
 * tiled matmul on the OpenCL CPU platform (PoCL on Debian, bench_cl_pocl.c).
 * Without OpenCL every call returns a negative time and the benchmark
 * prints no OpenCL line.
 */
#ifndef VGPUFS_BENCH_OPENCL_H
#define VGPUFS_BENCH_OPENCL_H

#include <stddef.h>

/* "PoCL 3.1 ..." or "none". */
const char *ocl_platform_name(void);
/*
 * Median seconds of REPS runs of y = 0.5*x + y over N floats, kernels only
 * (on copies of the host arrays); < 0 when there is no OpenCL device.
 */
double ocl_saxpy_seconds(const float *x, float *y, size_t n, int reps);
/* The same for C = A*B, N x N row-major, with a 16x16 local-memory tiled
 * kernel (what a user of OpenCL on CPUs would write). */
double ocl_sgemm_seconds(const float *a, const float *b, float *c, int n,
			 int reps);

#endif
