#include "bench_opencl.h"

#include <stdlib.h>
#include <string.h>

#include "bench_cl_pocl.h"
#include "bench_harness.h"

const char *ocl_platform_name(void)
{
	const char *d = pocl_describe();
	return d ? d : "none";
}

/* Runs docs/examples/opencl/FILE's KERNEL over copies of the host arrays. */
static double run(const char *file, const char *kernel, unsigned dims, size_t g,
		  size_t l, const struct kernel_arg *args, unsigned nargs,
		  void **bufs, const size_t *bytes, unsigned nbufs, int reps)
{
	if (!pocl_describe())
		return -1;
	char *src = cl_source(file);
	void *first[3] = {0};
	double t =
	    pocl_run(&(struct kernel_launch){.source = src,
					     .kernel = kernel,
					     .dims = dims,
					     .global = {g, dims > 1 ? g : 1, 1},
					     .local = {l, l ? l : 1, 1},
					     .args = args,
					     .nargs = nargs,
					     .bufs = bufs,
					     .first = first,
					     .buf_bytes = bytes,
					     .nbufs = nbufs},
		     reps);
	free(src);
	return t;
}

double ocl_saxpy_seconds(const float *x, float *y, size_t n, int reps)
{
	struct kernel_arg args[] = {{KA_F32, "a", {.f32 = 0.5f}},
				    {KA_BUF, "x", {.buf = 0}},
				    {KA_BUF, "y", {.buf = 1}}};
	void *bufs[] = {(void *)x, y};
	size_t bytes[] = {n * 4, n * 4};
	return run("saxpy.cl", "saxpy", 1, n, 0, args, 3, bufs, bytes, 2, reps);
}

double ocl_sgemm_seconds(const float *a, const float *b, float *c, int n,
			 int reps)
{
	if (n % 16)
		return -1;
	struct kernel_arg args[] = {{KA_I32, "n", {.i32 = n}},
				    {KA_BUF, "a", {.buf = 0}},
				    {KA_BUF, "b", {.buf = 1}},
				    {KA_BUF, "c", {.buf = 2}}};
	void *bufs[] = {(void *)a, (void *)b, c};
	size_t e = (size_t)n * n * 4, bytes[] = {e, e, e};
	/* big ones are slow: fewer runs */
	return run("matmul_tiled.cl", "matmul_tiled", 2, (size_t)n, 16, args, 4,
		   bufs, bytes, 3, n >= 2048 ? 1 : reps);
}
