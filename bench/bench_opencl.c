#include "bench_opencl.h"

#ifndef HAVE_OPENCL

const char *ocl_platform_name(void)
{
	return "none";
}

double ocl_saxpy_seconds(const float *x, float *y, size_t n, int reps)
{
	(void)x, (void)y, (void)n, (void)reps;
	return -1;
}

double ocl_sgemm_seconds(const float *a, const float *b, float *c, int n,
			 int reps)
{
	(void)a, (void)b, (void)c, (void)n, (void)reps;
	return -1;
}

#else

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_harness.h"

static const char *source =
    "__kernel void saxpy(float alpha, __global const float *x,\n"
    "                    __global float *y) {\n"
    "  size_t i = get_global_id(0);\n"
    "  y[i] = alpha * x[i] + y[i];\n"
    "}\n"
    "#define T 16\n"
    "__kernel __attribute__((reqd_work_group_size(T, T, 1)))\n"
    "void sgemm(int n, __global const float *a, __global const float *b,\n"
    "           __global float *c) {\n"
    "  __local float as[T][T], bs[T][T];\n"
    "  int r = get_local_id(1), q = get_local_id(0);\n"
    "  int row = get_group_id(1) * T + r, col = get_group_id(0) * T + q;\n"
    "  float acc = 0;\n"
    "  for (int t = 0; t < n; t += T) {\n"
    "    as[r][q] = a[row * n + t + q];\n"
    "    bs[r][q] = b[(t + r) * n + col];\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (int k = 0; k < T; k++)\n"
    "      acc += as[r][k] * bs[k][q];\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "  }\n"
    "  c[row * n + col] = acc;\n"
    "}\n";

static struct {
	bool tried, ok;
	char name[128];
	cl_context ctx;
	cl_command_queue q;
	cl_program prog;
	cl_kernel saxpy, sgemm;
} ocl;

static bool ocl_init(void)
{
	if (ocl.tried)
		return ocl.ok;
	ocl.tried = true;
	cl_platform_id plat;
	cl_device_id dev;
	cl_uint n = 0;
	if (clGetPlatformIDs(1, &plat, &n) != CL_SUCCESS || n == 0)
		return false;
	if (clGetDeviceIDs(plat, CL_DEVICE_TYPE_CPU, 1, &dev, &n) !=
		CL_SUCCESS ||
	    n == 0)
		return false;
	char pname[256] = "", dname[256] = "";
	clGetPlatformInfo(plat, CL_PLATFORM_NAME, sizeof(pname), pname, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof(dname), dname, NULL);
	snprintf(ocl.name, sizeof(ocl.name), "%.100s", pname);
	cl_int err;
	ocl.ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
	if (err != CL_SUCCESS)
		return false;
	ocl.q = clCreateCommandQueue(ocl.ctx, dev, 0, &err);
	ocl.prog = clCreateProgramWithSource(ocl.ctx, 1, &source, NULL, &err);
	if (err != CL_SUCCESS ||
	    clBuildProgram(ocl.prog, 1, &dev, "-cl-fast-relaxed-math", NULL,
			   NULL) != CL_SUCCESS) {
		fprintf(stderr, "bench: OpenCL program did not build\n");
		return false;
	}
	ocl.saxpy = clCreateKernel(ocl.prog, "saxpy", &err);
	ocl.sgemm = clCreateKernel(ocl.prog, "sgemm", &err);
	ocl.ok = err == CL_SUCCESS;
	char version[256] = "";
	clGetPlatformInfo(plat, CL_PLATFORM_VERSION, sizeof(version), version,
			  NULL);
	printf("# OpenCL: %s on %s\n", version, dname);
	return ocl.ok;
}

const char *ocl_platform_name(void)
{
	return ocl_init() ? ocl.name : "none";
}

static cl_mem wrap(const void *host, size_t bytes)
{
	cl_int err;
	cl_mem m =
	    clCreateBuffer(ocl.ctx, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
			   bytes, (void *)host, &err);
	if (err != CL_SUCCESS)
		die("clCreateBuffer");
	return m;
}

/* Median seconds of REPS launches of K over GLOBAL (LOCAL may be NULL). */
static double time_kernel(cl_kernel k, cl_uint dims, const size_t *global,
			  const size_t *local, int reps)
{
	double *t = calloc((size_t)reps, sizeof(double));
	clEnqueueNDRangeKernel(ocl.q, k, dims, NULL, global, local, 0, NULL,
			       NULL);
	clFinish(ocl.q); /* warm-up: compiles for the work-group size */
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		if (clEnqueueNDRangeKernel(ocl.q, k, dims, NULL, global, local,
					   0, NULL, NULL) != CL_SUCCESS)
			die("clEnqueueNDRangeKernel");
		clFinish(ocl.q);
		t[r] = now() - t0;
	}
	double med = percentile(t, (size_t)reps, 0.5);
	free(t);
	return med;
}

double ocl_saxpy_seconds(const float *x, float *y, size_t n, int reps)
{
	if (!ocl_init())
		return -1;
	cl_mem bx = wrap(x, n * 4), by = wrap(y, n * 4);
	float alpha = 0.5f;
	clSetKernelArg(ocl.saxpy, 0, sizeof(alpha), &alpha);
	clSetKernelArg(ocl.saxpy, 1, sizeof(bx), &bx);
	clSetKernelArg(ocl.saxpy, 2, sizeof(by), &by);
	double t = time_kernel(ocl.saxpy, 1, &n, NULL, reps);
	clReleaseMemObject(bx);
	clReleaseMemObject(by);
	return t;
}

double ocl_sgemm_seconds(const float *a, const float *b, float *c, int n,
			 int reps)
{
	if (!ocl_init() || n % 16)
		return -1;
	size_t bytes = (size_t)n * n * 4;
	cl_mem ba = wrap(a, bytes), bb = wrap(b, bytes), bc = wrap(c, bytes);
	clSetKernelArg(ocl.sgemm, 0, sizeof(n), &n);
	clSetKernelArg(ocl.sgemm, 1, sizeof(ba), &ba);
	clSetKernelArg(ocl.sgemm, 2, sizeof(bb), &bb);
	clSetKernelArg(ocl.sgemm, 3, sizeof(bc), &bc);
	size_t global[2] = {(size_t)n, (size_t)n}, local[2] = {16, 16};
	/* big ones are slow: fewer runs */
	int r = n >= 2048 ? 1 : reps;
	double t = time_kernel(ocl.sgemm, 2, global, local, r);
	clReleaseMemObject(ba);
	clReleaseMemObject(bb);
	clReleaseMemObject(bc);
	return t;
}

#endif
