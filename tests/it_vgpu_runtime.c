/*
 * The CUDA-flavoured layer against the real device: allocations, copies
 * and memsets each way, launches on streams, synchronisation, sticky
 * errors, and results checked against the same computation on the host.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpu/vgpu_runtime.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
	ck_assert_int_eq(vgpuSetDevicePath(d.mnt), vgpuSuccess);
}

static void teardown(void)
{
	ck_assert_int_eq(vgpuDeviceReset(), vgpuSuccess);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* Counts the runtime's buffers in mem/. */
static int anon_count(void)
{
	int n = 0;
	for (int i = 0; i < 1000; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "mem/.anon-%d-%d", (int)getpid(), i);
		n += access(dpath(&d, rel), F_OK) == 0;
	}
	return n;
}

static void random_floats(float *x, int n, unsigned seed)
{
	srand(seed);
	for (int i = 0; i < n; i++)
		x[i] = (float)(rand() % 2001 - 1000) / 250.0f;
}

/* Host to device, a gemm, device to host: as the host computes it. */
START_TEST(gemm_round_trip)
{
	enum { M = 33, N = 17, K = 29 };
	static float a[M * K], b[K * N], c[M * N];
	random_floats(a, M * K, 1);
	random_floats(b, K * N, 2);
	float *da, *db, *dc;
	ck_assert_int_eq(vgpuMalloc((void **)&da, sizeof(a)), vgpuSuccess);
	ck_assert_int_eq(vgpuMalloc((void **)&db, sizeof(b)), vgpuSuccess);
	ck_assert_int_eq(vgpuMalloc((void **)&dc, sizeof(c)), vgpuSuccess);
	ck_assert_int_eq(anon_count(), 3);
	ck_assert_int_eq(vgpuMemcpy(da, a, sizeof(a), vgpuMemcpyHostToDevice),
			 0);
	ck_assert_int_eq(vgpuMemcpy(db, b, sizeof(b), vgpuMemcpyDefault), 0);
	ck_assert_int_eq(vgpuLaunch(NULL, "gemm", VGPU_PTR("a", da),
				    VGPU_PTR("b", db), VGPU_PTR("c", dc),
				    VGPU_I64("m", M), VGPU_I64("n", N),
				    VGPU_I64("k", K), VGPU_F64("alpha", 0.5)),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuMemcpy(c, dc, sizeof(c), vgpuMemcpyDeviceToHost),
			 0);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double want = 0;
			for (int k = 0; k < K; k++)
				want += (double)a[i * K + k] * b[k * N + j];
			want *= 0.5;
			ck_assert_msg(fabs(c[i * N + j] - want) <
					  1e-4 * (1 + fabs(want)),
				      "c[%d][%d] = %g, want %g", i, j,
				      c[i * N + j], want);
		}
	ck_assert_int_eq(vgpuFree(da), 0);
	ck_assert_int_eq(vgpuFree(db), 0);
	ck_assert_int_eq(vgpuFree(dc), 0);
	ck_assert_int_eq(anon_count(), 0);
}
END_TEST

START_TEST(copies)
{
	enum { N = 1000 };
	static unsigned char host[N], back[N];
	for (int i = 0; i < N; i++)
		host[i] = (unsigned char)(i * 7);
	unsigned char *x, *y;
	ck_assert_int_eq(vgpuMalloc((void **)&x, N), 0);
	ck_assert_int_eq(vgpuMalloc((void **)&y, N), 0);
	ck_assert_int_eq(vgpuMemcpy(x, host, N, vgpuMemcpyHostToDevice), 0);
	/* device to device, inside allocations: the copy kernel */
	ck_assert_int_eq(
	    vgpuMemcpy(y + 10, x + 20, 500, vgpuMemcpyDeviceToDevice), 0);
	ck_assert(memcmp(y + 10, host + 20, 500) == 0);
	ck_assert(y[9] == 0 && y[510] == 0);
	/* overlapping, like memmove */
	ck_assert_int_eq(vgpuMemcpy(x + 1, x, 600, vgpuMemcpyDefault), 0);
	ck_assert_int_eq(vgpuMemcpy(back, x, N, vgpuMemcpyDeviceToHost), 0);
	ck_assert(back[0] == host[0]);
	ck_assert(memcmp(back + 1, host, 600) == 0);
	ck_assert(memcmp(back + 601, host + 601, N - 601) == 0);
	/* asynchronous on a stream, then synchronised */
	vgpuStream_t s;
	ck_assert_int_eq(vgpuStreamCreate(&s), 0);
	ck_assert_int_eq(vgpuMemcpyAsync(y, x, N, vgpuMemcpyDeviceToDevice, s),
			 0);
	ck_assert_int_eq(vgpuStreamSynchronize(s), 0);
	ck_assert(memcmp(y, back, N) == 0);
	memset(back, 0, N);
	ck_assert_int_eq(vgpuMemcpyAsync(back, y, N, vgpuMemcpyDeviceToHost, s),
			 0);
	ck_assert(memcmp(y, back, N) == 0);
	ck_assert_int_eq(vgpuMemcpy(back, host, N, vgpuMemcpyHostToHost), 0);
	ck_assert(memcmp(back, host, N) == 0);
	ck_assert_int_eq(vgpuMemcpy(x, host, 0, vgpuMemcpyHostToDevice), 0);

	/* the pointers must be what the kind says, inside their allocation */
	ck_assert_int_eq(vgpuMemcpy(back, host, N, vgpuMemcpyHostToDevice),
			 -EINVAL);
	ck_assert(strstr(vgpuGetLastErrorMessage(), "vgpuMemcpy dst: ") !=
		  NULL);
	ck_assert_int_eq(vgpuGetLastError(), -EINVAL);
	ck_assert_int_eq(vgpuGetLastError(), vgpuSuccess);
	ck_assert_int_eq(vgpuMemcpy(back, host, N, vgpuMemcpyDeviceToHost),
			 -EINVAL);
	ck_assert_int_eq(vgpuMemcpy(x + 1, host, N, vgpuMemcpyHostToDevice),
			 -EINVAL);
	ck_assert(strstr(vgpuGetLastErrorMessage(),
			 "pass the end of its 1000-byte allocation"));
	ck_assert_int_eq(vgpuMemcpy(y, x, N, (vgpuMemcpyKind)9), -EINVAL);
	ck_assert_int_eq(vgpuPeekAtLastError(), -EINVAL);
	ck_assert_int_eq(vgpuPeekAtLastError(), -EINVAL);
	vgpuGetLastError();
	ck_assert_int_eq(vgpuStreamDestroy(s), 0);
	ck_assert_int_eq(vgpuFree(x), 0);
	ck_assert_int_eq(vgpuFree(y), 0);
}
END_TEST

START_TEST(memsets)
{
	enum { N = 4096 };
	unsigned char *x, host[N];
	ck_assert_int_eq(vgpuMalloc((void **)&x, N), 0);
	ck_assert_int_eq(vgpuMemset(x + 1, 0xab, 100), 0);
	ck_assert_int_eq(vgpuMemcpy(host, x, N, vgpuMemcpyDeviceToHost), 0);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(host[i], i >= 1 && i <= 100 ? 0xab : 0);
	vgpuStream_t s;
	ck_assert_int_eq(vgpuStreamCreate(&s), 0);
	/* whole f32 elements: the fill kernel; any other: after a sync */
	const struct {
		int off, len, value;
	} cases[] = {{0, N, 0x3f}, {8, 400, 0x00}, {4, 16, 0xff},
		     {3, 9, 0x12}, {0, 4, 0x80},   {1000, 1, 0x7f}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ck_assert_int_eq(vgpuMemsetAsync(x + cases[c].off,
						 cases[c].value, cases[c].len,
						 s),
				 0);
		ck_assert_int_eq(vgpuStreamSynchronize(s), 0);
		memset(host + cases[c].off, cases[c].value,
		       (size_t)cases[c].len);
		ck_assert_msg(memcmp(x, host, N) == 0, "case %zu", c);
	}
	ck_assert_int_eq(vgpuMemset(host, 0, 4), -EINVAL);
	ck_assert_int_eq(vgpuMemset(x, 0, N + 1), -EINVAL);
	vgpuGetLastError();
	ck_assert_int_eq(vgpuStreamDestroy(s), 0);
	ck_assert_int_eq(vgpuFree(x), 0);
}
END_TEST

/* A kernel's failure comes from the next synchronisation, with words. */
START_TEST(errors_and_sync)
{
	float *x;
	ck_assert_int_eq(vgpuMalloc((void **)&x, 64), 0);
	vgpuStream_t s;
	ck_assert_int_eq(vgpuStreamCreate(&s), 0);
	ck_assert_int_eq(vgpuLaunch(s, "fill", VGPU_PTR("buf", x),
				    VGPU_F64("value", 1), VGPU_I64("n", 17)),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuStreamSynchronize(s), -EINVAL);
	ck_assert_msg(strstr(vgpuGetLastErrorMessage(),
			     "fill: buffer 'buf' holds 64 bytes, needs 68"),
		      "%s", vgpuGetLastErrorMessage());
	ck_assert_int_eq(vgpuGetLastError(), -EINVAL);
	ck_assert_int_eq(vgpuStreamSynchronize(s), vgpuSuccess);
	ck_assert_str_eq(vgpuGetErrorString(-EINVAL), "Invalid argument");
	ck_assert_str_eq(vgpuGetErrorName(-EINVAL), "EINVAL");
	ck_assert_str_eq(vgpuGetErrorName(vgpuSuccess), "vgpuSuccess");
	/* refused at launch */
	ck_assert_int_eq(vgpuLaunch(s, "nosuch"), -ENOSYS);
	ck_assert(strstr(vgpuGetLastErrorMessage(), "unknown kernel"));
	const vgpu_arg args[] = {VGPU_PTR("buf", x), VGPU_F64("value", 2),
				 VGPU_I64("n", 16)};
	ck_assert_int_eq(vgpuLaunchArgs(s, "fill", args, 3), 0);
	/* a failure on another stream shows in the device's sync */
	ck_assert_int_eq(vgpuLaunch(NULL, "copy", VGPU_PTR("src", x),
				    VGPU_PTR("dst", x + 8),
				    VGPU_I64("bytes", 64)),
			 0);
	ck_assert_int_eq(vgpuDeviceSynchronize(), -EINVAL);
	ck_assert(x[15] == 2.0f);
	ck_assert_int_eq(vgpuDeviceSynchronize(), 0);
	ck_assert_int_eq(vgpuGetLastError(), -EINVAL);
	ck_assert_int_eq(vgpuStreamQuery(s), vgpuSuccess);
	/* a wait held by an event: the stream is busy until signalled */
	ck_assert_int_eq(vgpuLaunch(s, "wait", VGPU_NAME("event", "e")), 0);
	ck_assert_int_eq(vgpuStreamQuery(s), -EAGAIN);
	ck_assert_int_eq(vgpuPeekAtLastError(), 0); /* not an error */
	ck_assert_int_eq(vgpuLaunch(NULL, "signal", VGPU_NAME("event", "e")),
			 0);
	ck_assert_int_eq(vgpuStreamSynchronize(s), 0);
	ck_assert_int_eq(vgpuStreamQuery(s), vgpuSuccess);
	ck_assert_int_eq(vgpuStreamDestroy(s), 0);
	ck_assert_int_eq(vgpuStreamDestroy(NULL), -EINVAL);
	ck_assert_int_eq(vgpuStreamDestroy((vgpuStream_t)x), -EINVAL);
	ck_assert_int_eq(vgpuFree(x + 1), -EINVAL);
	ck_assert_int_eq(vgpuFree(x), 0);
	ck_assert_int_eq(vgpuFree(NULL), 0);
	vgpuGetLastError();
}
END_TEST

START_TEST(memory_and_reset)
{
	size_t free0, total;
	ck_assert_int_eq(vgpuMemGetInfo(&free0, &total), 0);
	ck_assert_uint_eq(total, 64u << 20);
	void *p, *q;
	ck_assert_int_eq(vgpuMalloc(&p, 1 << 20), 0);
	size_t free1;
	ck_assert_int_eq(vgpuMemGetInfo(&free1, &total), 0);
	ck_assert_uint_le(free1, free0 - (1 << 20));
	ck_assert_int_eq(vgpuMalloc(&q, 0), 0);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(vgpuMalloc(&q, 128u << 20), -ENOSPC);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(vgpuGetLastError(), -ENOSPC);
	ck_assert_int_eq(vgpuSetDevicePath(d.mnt), -EBUSY);
	vgpuGetLastError();
	vgpu_device *dev;
	ck_assert_int_eq(vgpuGetDevice(&dev), 0);
	ck_assert_str_eq(vgpu_device_path(dev), d.mnt);
	ck_assert_int_eq(vgpuMalloc(&q, 100), 0);
	ck_assert_int_eq(anon_count(), 2);
	/* reset frees everything; the next call opens the device again */
	ck_assert_int_eq(vgpuDeviceReset(), 0);
	ck_assert_int_eq(anon_count(), 0);
	ck_assert_int_eq(vgpuSetDevicePath("/nonexistent"), 0);
	ck_assert_int_eq(vgpuMalloc(&p, 16), -ENOENT);
	ck_assert(strstr(vgpuGetLastErrorMessage(), "/nonexistent"));
	ck_assert_int_eq(vgpuSetDevicePath(d.mnt), 0);
	ck_assert_int_eq(vgpuMalloc(&p, 16), 0);
	ck_assert_int_eq(vgpuFree(p), 0);
}
END_TEST

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	enum { N = 1024 };
	float *x, host[N];
	vgpuStream_t s;
	if (vgpuMalloc((void **)&x, N * 4) || vgpuStreamCreate(&s))
		return (void *)1;
	for (int round = 0; round < 50; round++) {
		float v = (float)(id * 1000 + round);
		if (vgpuLaunch(s, "fill", VGPU_PTR("buf", x),
			       VGPU_F64("value", v), VGPU_I64("n", N)) ||
		    vgpuMemcpyAsync(host, x, sizeof(host),
				    vgpuMemcpyDeviceToHost, s))
			return (void *)2;
		for (int i = 0; i < N; i++)
			if (host[i] != v)
				return (void *)3;
	}
	return vgpuStreamDestroy(s) || vgpuFree(x) ? (void *)4 : NULL;
}

START_TEST(threads)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++) {
		void *rc;
		pthread_join(t[i], &rc);
		ck_assert_ptr_null(rc);
	}
	ck_assert_int_eq(anon_count(), 0);
}
END_TEST

/* CUDA-style modules: saxpy, and a group sum with sharedMem for __local. */
static const char kernels_cl[] =
    "__kernel void saxpy(float a, __global const float *x,\n"
    "                    __global float *y, uint n)\n"
    "{\n"
    "\tuint i = get_global_id(0);\n"
    "\tif (i < n)\n"
    "\t\ty[i] = a * x[i] + y[i];\n"
    "}\n"
    "__kernel void gsum(__global const int *in, __local int *tmp,\n"
    "                   __global long *out)\n"
    "{\n"
    "\tsize_t l = get_local_id(0);\n"
    "\ttmp[l] = in[get_global_id(0)];\n"
    "\tbarrier(CLK_LOCAL_MEM_FENCE);\n"
    "\tif (l == 0) {\n"
    "\t\tlong s = 0;\n"
    "\t\tfor (size_t i = 0; i < get_local_size(0); i++)\n"
    "\t\t\ts += tmp[i];\n"
    "\t\tout[get_group_id(0)] = s;\n"
    "\t}\n"
    "}\n";

START_TEST(modules_and_launch_kernel)
{
	enum { N = 1000, B = 128, G = 8 };
	vgpuModule_t m;
	ck_assert_int_eq(vgpuModuleLoadData(&m, kernels_cl, 0), vgpuSuccess);
	vgpuFunction_t saxpy, gsum, none;
	ck_assert_int_eq(vgpuModuleGetFunction(&saxpy, m, "saxpy"), 0);
	ck_assert_int_eq(vgpuModuleGetFunction(&gsum, m, "gsum"), 0);
	ck_assert_int_eq(vgpuModuleGetFunction(&none, m, "nope"), -ENOENT);
	float *x, *y, want[N], fused[N];
	ck_assert_int_eq(vgpuMalloc((void **)&x, N * 4), 0);
	ck_assert_int_eq(vgpuMalloc((void **)&y, N * 4), 0);
	random_floats(x, N, 3);
	random_floats(y, N, 4);
	/* a * x + y may be fused (FP_CONTRACT is on by default in OpenCL C):
	 * one rounding on an FMA CPU, two without */
	for (int i = 0; i < N; i++) {
		float product = 1.5f * x[i];
		want[i] = product + y[i];
		fused[i] = fmaf(1.5f, x[i], y[i]);
	}
	float a = 1.5f;
	unsigned n = N;
	void *args[] = {&a, &x, &y, &n};
	/* 8 blocks of 128: past n, the kernel's guard */
	ck_assert_int_eq(vgpuLaunchKernel(saxpy, (vgpuDim3){G, 1, 1},
					  (vgpuDim3){B, 1, 1}, args, 0, NULL),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuStreamSynchronize(NULL), vgpuSuccess);
	for (int i = 0; i < N; i++)
		ck_assert_msg(y[i] == want[i] || y[i] == fused[i],
			      "y[%d] = %a, want %a or fused %a", i, y[i],
			      want[i], fused[i]);

	int *in;
	long long *out;
	ck_assert_int_eq(vgpuMalloc((void **)&in, G * B * 4), 0);
	ck_assert_int_eq(vgpuMalloc((void **)&out, (G + 1) * 8), 0);
	for (int i = 0; i < G * B; i++)
		in[i] = i * 3 - 500;
	long long *out1 = out + 1; /* a pointer inside an allocation */
	void *gargs[] = {&in, NULL, &out1};
	vgpuStream_t s;
	ck_assert_int_eq(vgpuStreamCreate(&s), 0);
	ck_assert_int_eq(vgpuLaunchKernel(gsum, (vgpuDim3){G, 0, 0},
					  (vgpuDim3){B, 1, 1}, gargs, B * 4, s),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuStreamSynchronize(s), vgpuSuccess);
	for (int g = 0; g < G; g++) {
		long long sum = 0;
		for (int i = 0; i < B; i++)
			sum += in[g * B + i];
		ck_assert_int_eq(out[1 + g], sum);
	}
	/* the rule for sharedMem, a host pointer, a too small __local */
	ck_assert_int_eq(vgpuLaunchKernel(gsum, (vgpuDim3){G, 1, 1},
					  (vgpuDim3){B, 1, 1}, gargs, 0, s),
			 -EINVAL);
	ck_assert(strstr(vgpuGetLastErrorMessage(), "sharedMem"));
	float host[4];
	float *hp = host;
	void *bad[] = {&a, &hp, &y, &n};
	ck_assert_int_eq(vgpuLaunchKernel(saxpy, (vgpuDim3){1, 1, 1},
					  (vgpuDim3){4, 1, 1}, bad, 0, s),
			 -EINVAL);
	ck_assert(strstr(vgpuGetLastErrorMessage(), "is not device memory"));
	ck_assert_int_eq(vgpuLaunchKernel(gsum, (vgpuDim3){G, 1, 1},
					  (vgpuDim3){B, 1, 1}, gargs, 4, s),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuStreamSynchronize(s), -EFAULT);
	ck_assert_msg(strstr(vgpuGetLastErrorMessage(), "tmp"), "%s",
		      vgpuGetLastErrorMessage());
	ck_assert_int_eq(vgpuStreamDestroy(s), 0);
	vgpuFree(x);
	vgpuFree(y);
	vgpuFree(in);
	vgpuFree(out);
	ck_assert_int_eq(vgpuModuleUnload(m), 0);
}
END_TEST

START_TEST(module_compile_error)
{
	vgpuModule_t m = (vgpuModule_t)1;
	ck_assert_int_eq(
	    vgpuModuleLoadData(&m,
			       "__kernel void k(__global int *p)\n{\n"
			       "\tp[0] = nothing;\n}\n",
			       0),
	    -EINVAL);
	ck_assert(m == NULL);
	ck_assert_msg(strstr(vgpuGetLastErrorMessage(), "module:3:"), "%s",
		      vgpuGetLastErrorMessage());
	ck_assert_int_eq(vgpuModuleLoad(&m, "/nonexistent.cl"), -ENOENT);
	ck_assert_int_eq(anon_count(), 0); /* nothing left behind */
}
END_TEST

/*
 * Vector parameters as CUDA passes them, a pointer to the lanes (an int3:
 * 3 ints), with scalars of every width, against C.
 */
static const char vectors_cl[] =
    "__kernel void mix(__global float4 *y, __global const float *x,\n"
    "                  float4 a, int3 k, double s, short h, char c,\n"
    "                  long l)\n"
    "{\n"
    "\tsize_t i = get_global_id(0);\n"
    "\tfloat t = (float)(k.x + k.y * k.z + h + c + l) + (float)s;\n"
    "\ty[i] = a * x[i] + t;\n"
    "}\n";

START_TEST(module_vector_params)
{
	enum { N = 64 };
	vgpuModule_t m;
	ck_assert_int_eq(vgpuModuleLoadData(&m, vectors_cl, 0), vgpuSuccess);
	vgpuFunction_t mix;
	ck_assert_int_eq(vgpuModuleGetFunction(&mix, m, "mix"), vgpuSuccess);
	float *x, *y;
	ck_assert_int_eq(vgpuMalloc((void **)&x, N * 4), 0);
	ck_assert_int_eq(vgpuMalloc((void **)&y, N * 16), 0);
	random_floats(x, N, 7);
	float a[4] = {1.5f, -2, 0.25f, 3};
	int k[3] = {2, -3, 5};
	double sd = 0.5;
	short h = -7;
	char c = -100;
	long long l = 1ll << 20;
	void *args[] = {&y, &x, a, k, &sd, &h, &c, &l};
	ck_assert_int_eq(vgpuLaunchKernel(mix, (vgpuDim3){N / 8, 1, 1},
					  (vgpuDim3){8, 1, 1}, args, 0, NULL),
			 vgpuSuccess);
	ck_assert_int_eq(vgpuStreamSynchronize(NULL), vgpuSuccess);
	float t = (float)(k[0] + k[1] * k[2] + h + c + l) + (float)sd;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 4; j++)
			ck_assert_float_eq(y[i * 4 + j], a[j] * x[i] + t);
	vgpuFree(x);
	vgpuFree(y);
	ck_assert_int_eq(vgpuModuleUnload(m), 0);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    gemm_round_trip,
	    copies,
	    memsets,
	    errors_and_sync,
	    memory_and_reset,
	    threads,
	    modules_and_launch_kernel,
	    module_compile_error,
	    module_vector_params,
	};
	return run_suite(suite_with_daemon("vgpu_runtime", setup, teardown, 60,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
