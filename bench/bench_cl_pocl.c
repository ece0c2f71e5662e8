#include "bench_cl_pocl.h"

#ifndef HAVE_OPENCL

const char *pocl_describe(void)
{
	return NULL;
}

double pocl_run(const struct kernel_launch *l, int reps)
{
	(void)l, (void)reps;
	return -1;
}

#else

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_harness.h"

static struct {
	bool tried, ok;
	cl_device_id dev;
	cl_context ctx;
	cl_command_queue q;
	char desc[300];
} ocl;

static bool ocl_init(void)
{
	if (ocl.tried)
		return ocl.ok;
	ocl.tried = true;
	cl_platform_id plat;
	cl_uint n = 0;
	if (clGetPlatformIDs(1, &plat, &n) != CL_SUCCESS || n == 0 ||
	    clGetDeviceIDs(plat, CL_DEVICE_TYPE_CPU, 1, &ocl.dev, &n) !=
		CL_SUCCESS ||
	    n == 0)
		return false;
	char version[128] = "", dname[128] = "";
	clGetPlatformInfo(plat, CL_PLATFORM_VERSION, sizeof(version), version,
			  NULL);
	clGetDeviceInfo(ocl.dev, CL_DEVICE_NAME, sizeof(dname), dname, NULL);
	snprintf(ocl.desc, sizeof(ocl.desc), "%s on %s", version, dname);
	cl_int err;
	ocl.ctx = clCreateContext(NULL, 1, &ocl.dev, NULL, NULL, &err);
	if (err != CL_SUCCESS)
		return false;
	ocl.q = clCreateCommandQueue(ocl.ctx, ocl.dev,
				     CL_QUEUE_PROFILING_ENABLE, &err);
	ocl.ok = err == CL_SUCCESS;
	return ocl.ok;
}

const char *pocl_describe(void)
{
	return ocl_init() ? ocl.desc : NULL;
}

static cl_kernel build(const struct kernel_launch *l, cl_program *prog)
{
	cl_int err;
	const char *src = l->source;
	*prog = clCreateProgramWithSource(ocl.ctx, 1, &src, NULL, &err);
	if (err != CL_SUCCESS)
		return NULL;
	/* No options: the same semantics the source gets on vgpufs. */
	if (clBuildProgram(*prog, 1, &ocl.dev, "", NULL, NULL) != CL_SUCCESS) {
		char log[4096] = "";
		clGetProgramBuildInfo(*prog, ocl.dev, CL_PROGRAM_BUILD_LOG,
				      sizeof(log), log, NULL);
		fprintf(stderr, "bench: OpenCL: %s did not build:\n%s\n",
			l->kernel, log);
		return NULL;
	}
	cl_kernel k = clCreateKernel(*prog, l->kernel, &err);
	return err == CL_SUCCESS ? k : NULL;
}

static bool set_args(cl_kernel k, const struct kernel_launch *l, cl_mem *mems)
{
	for (unsigned i = 0; i < l->nargs; i++) {
		const struct kernel_arg *a = &l->args[i];
		cl_int rc = CL_INVALID_VALUE;
		switch (a->kind) {
		case KA_BUF:
			rc = clSetKernelArg(k, i, sizeof(cl_mem),
					    &mems[a->v.buf]);
			break;
		case KA_I32:
			rc = clSetKernelArg(k, i, 4, &a->v.i32);
			break;
		case KA_U32:
			rc = clSetKernelArg(k, i, 4, &a->v.u32);
			break;
		case KA_F32:
			rc = clSetKernelArg(k, i, 4, &a->v.f32);
			break;
		case KA_LOCAL:
			rc = clSetKernelArg(k, i, a->v.local, NULL);
			break;
		}
		if (rc != CL_SUCCESS) {
			fprintf(stderr, "bench: OpenCL: %s argument %s: %d\n",
				l->kernel, a->name, rc);
			return false;
		}
	}
	return true;
}

/* Seconds the kernel ran, by its profiling event; -1 on error. */
static double run_once(cl_kernel k, const struct kernel_launch *l)
{
	cl_event ev;
	if (clEnqueueNDRangeKernel(ocl.q, k, l->dims, NULL, l->global,
				   l->local[0] ? l->local : NULL, 0, NULL,
				   &ev) != CL_SUCCESS ||
	    clWaitForEvents(1, &ev) != CL_SUCCESS)
		return -1;
	cl_ulong t0 = 0, t1 = 0;
	clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof(t0), &t0,
				NULL);
	clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof(t1), &t1,
				NULL);
	clReleaseEvent(ev);
	return (double)(t1 - t0) * 1e-9;
}

double pocl_run(const struct kernel_launch *l, int reps)
{
	if (!ocl_init())
		return -1;
	cl_program prog = NULL;
	cl_kernel k = build(l, &prog);
	cl_mem mems[16] = {0};
	double med = -1;
	double *t = calloc((size_t)reps, sizeof(double));
	if (!k || l->nbufs > 16 || !t)
		goto out;
	for (unsigned b = 0; b < l->nbufs; b++) {
		cl_int err;
		mems[b] = clCreateBuffer(
		    ocl.ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
		    l->buf_bytes[b], l->bufs[b], &err);
		if (err != CL_SUCCESS)
			goto out;
	}
	if (!set_args(k, l, mems) || run_once(k, l) < 0)
		goto out;
	for (unsigned b = 0; b < l->nbufs; b++)
		if (l->first[b] &&
		    clEnqueueReadBuffer(ocl.q, mems[b], CL_TRUE, 0,
					l->buf_bytes[b], l->first[b], 0, NULL,
					NULL) != CL_SUCCESS)
			goto out;
	for (int r = 0; r < reps; r++)
		if ((t[r] = run_once(k, l)) < 0)
			goto out;
	med = percentile(t, (size_t)reps, 0.5);
out:
	for (unsigned b = 0; b < l->nbufs && b < 16; b++)
		if (mems[b])
			clReleaseMemObject(mems[b]);
	if (k)
		clReleaseKernel(k);
	if (prog)
		clReleaseProgram(prog);
	free(t);
	return med;
}

#endif
