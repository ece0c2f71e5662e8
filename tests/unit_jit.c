/*
 * The code generator: OpenCL C sources through the real front end
 * (preprocessor, parser, type checker, lowering, verifier), compiled by
 * jit/ and run in-process on malloc'd buffers through vjit_check_launch,
 * vjit_choose_local and vjit_run_groups; each result against a plain C
 * reference.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vgpucl/ir.h>
#include <vgpujit/jit.h>

#include "compiler_check.h"
#include "jit_check.h"

struct built {
	struct vcl_diags d;
	struct vcl_pp *pp;
	struct vcl_ast *ast;
	struct vcl_program *prog;
	struct vcl_ir_module *m;
	struct vjit_program *p;
	int kernel;
	double compile_ms;
	char *src; /* a file of tests/cl, when built from one */
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Front end then code generator; 0 or vjit_compile's error (msg). */
static int try_build(struct built *b, const char *src, const char *define,
		     const char *kernel, char msg[static VJIT_MSG_MAX])
{
	memset(b, 0, sizeof(*b));
	vcl_diags_init(&b->d, 0);
	struct vcl_pp_define def = {false, define};
	struct vcl_pp_options opt = {define ? &def : NULL, define ? 1 : 0, NULL,
				     NULL};
	struct vcl_source s = {"t.cl", src, strlen(src)};
	b->pp = vcl_pp_new(&opt, &s, &b->d);
	b->ast = vcl_parse(b->pp);
	ck_assert(b->ast);
	b->prog = vcl_sema(b->ast, b->pp);
	ck_assert(b->prog);
	char diags[4096];
	cc_format_diags(&b->d, diags, sizeof(diags));
	ck_assert_msg(b->d.errors == 0, "%s", diags);
	b->m = vcl_ir_lower(b->prog, b->pp);
	cc_format_diags(&b->d, diags, sizeof(diags));
	ck_assert_msg(b->m, "%s", diags);
	ck_assert_msg(vcl_ir_verify(b->m, &b->d), "%s", diags);
	double t0 = now_ms();
	int rc = vjit_compile(b->m, &b->p, msg);
	b->compile_ms = now_ms() - t0;
	if (!rc) {
		b->kernel = vjit_kernel_index(b->p, kernel);
		ck_assert_int_ge(b->kernel, 0);
	}
	return rc;
}

static void build(struct built *b, const char *src, const char *define,
		  const char *kernel)
{
	char msg[VJIT_MSG_MAX];
	int rc = try_build(b, src, define, kernel, msg);
	ck_assert_msg(rc == 0, "vjit_compile: %d %s", rc, msg);
}

static void unbuild(struct built *b)
{
	vjit_program_free(b->p);
	vcl_ir_free(b->m);
	vcl_program_free(b->prog);
	vcl_ast_free(b->ast);
	vcl_pp_free(b->pp);
	vcl_diags_free(&b->d);
	free(b->src);
}

/* build() on a file of tests/cl. */
static void build_file(struct built *b, const char *file, const char *define,
		       const char *kernel)
{
	size_t len;
	char *src = cc_read_kernel(file, &len);
	ck_assert(src);
	build(b, src, define, kernel);
	b->src = src;
}

static struct vjit_ndrange range1(uint64_t global, uint64_t local)
{
	struct vjit_ndrange nd = {1, {global, 1, 1}, {local, 1, 1}, {0}};
	return nd;
}

/* Checks and runs every group of the launch; the run's result. */
static int launch(struct built *b, const struct vjit_arg *args, uint32_t nargs,
		  const struct vjit_ndrange *nd, struct vjit_fault *fault)
{
	return jit_run_all(b->p, b->kernel, args, nargs, nd, fault);
}

static void run_ok(struct built *b, const struct vjit_arg *args, uint32_t nargs,
		   const struct vjit_ndrange *nd)
{
	struct vjit_fault fault;
	int rc = launch(b, args, nargs, nd, &fault);
	ck_assert_msg(rc == 0, "run: %d %s", rc, fault.msg);
}

static float frand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (float)((*seed >> 8) & 0xffff) / 65536.0f - 0.5f;
}

START_TEST(saxpy)
{
	struct built b;
	build_file(&b, "saxpy.cl", NULL, "saxpy");
	fprintf(stderr, "saxpy: compiled in %.1f ms\n", b.compile_ms);
	/* n not a multiple of the group: the kernel's own bound check */
	const uint32_t n = 1000, global = 1024;
	float *x = malloc(global * 4), *y = malloc(global * 4),
	      *ref = malloc(global * 4);
	unsigned seed = 1;
	for (uint32_t i = 0; i < global; i++) {
		x[i] = frand(&seed);
		y[i] = ref[i] = frand(&seed);
	}
	float a = 2.5f;
	for (uint32_t i = 0; i < n; i++)
		ref[i] = a * x[i] + ref[i];
	struct vjit_arg args[4] = {
	    {&a, 0}, {x, global * 4}, {y, global * 4}, {(void *)&n, 0}};
	struct vjit_ndrange nd = range1(global, 0);
	vjit_choose_local(b.p, b.kernel, &nd);
	ck_assert_uint_eq(global % nd.local[0], 0);
	run_ok(&b, args, 4, &nd);
	for (uint32_t i = 0; i < global; i++)
		ck_assert_msg(y[i] == ref[i], "y[%u] = %g, want %g", i, y[i],
			      ref[i]);
	free(x);
	free(y);
	free(ref);
	unbuild(&b);
}
END_TEST

START_TEST(reduce)
{
	struct built b;
	build_file(&b, "reduce.cl", NULL, "reduce_sum");
	const uint32_t n = 1000;
	for (uint64_t local = 1; local <= 256; local *= 4) {
		uint64_t global = (n + local - 1) / local * local;
		uint64_t groups = global / local;
		float *in = malloc(n * 4), *out = calloc(groups, 4);
		for (uint32_t i = 0; i < n; i++)
			in[i] = (float)(i % 7) - 2.0f;
		struct vjit_arg args[4] = {{in, n * 4},
					   {out, groups * 4},
					   {NULL, local * 4},
					   {(void *)&n, 0}};
		struct vjit_ndrange nd = range1(global, local);
		run_ok(&b, args, 4, &nd);
		for (uint64_t g = 0; g < groups; g++) {
			float want = 0;
			for (uint64_t i = g * local;
			     i < (g + 1) * local && i < n; i++)
				want += in[i];
			ck_assert_msg(fabsf(out[g] - want) < 1e-3f,
				      "local %llu group %llu: %g, want %g",
				      (unsigned long long)local,
				      (unsigned long long)g, out[g], want);
		}
		free(in);
		free(out);
	}
	unbuild(&b);
}
END_TEST

static void matmul_ref(const float *A, const float *B, float *C, int M, int N,
		       int K)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float s = 0;
			for (int k = 0; k < K; k++)
				s += A[i * K + k] * B[k * N + j];
			C[i * N + j] = s;
		}
}

static void matmul_case(struct built *b, int tile, int M, int N, int K)
{
	float *A = malloc(sizeof(float) * M * K),
	      *B = malloc(sizeof(float) * K * N),
	      *C = calloc((size_t)M * N, sizeof(float)),
	      *R = malloc(sizeof(float) * M * N);
	unsigned seed = 7;
	for (int i = 0; i < M * K; i++)
		A[i] = frand(&seed);
	for (int i = 0; i < K * N; i++)
		B[i] = frand(&seed);
	matmul_ref(A, B, R, M, N, K);
	struct vjit_arg args[6] = {{A, sizeof(float) * M * K},
				   {B, sizeof(float) * K * N},
				   {C, sizeof(float) * M * N},
				   {&M, 0},
				   {&N, 0},
				   {&K, 0}};
	uint64_t gx = (N + tile - 1) / tile * tile,
		 gy = (M + tile - 1) / tile * tile;
	struct vjit_ndrange nd = {2, {gx, gy, 1}, {tile, tile, 1}, {0, 0, 0}};
	run_ok(b, args, 6, &nd);
	for (int i = 0; i < M * N; i++)
		ck_assert_msg(fabsf(C[i] - R[i]) < 1e-3f,
			      "%dx%dx%d: C[%d] = %g, want %g", M, N, K, i, C[i],
			      R[i]);
	free(A);
	free(B);
	free(C);
	free(R);
}

START_TEST(matmul_tiled)
{
	struct built b;
	build_file(&b, "matmul_tiled.cl", NULL, "matmul_tiled");
	fprintf(stderr, "matmul_tiled: compiled in %.1f ms\n", b.compile_ms);
	matmul_case(&b, 16, 16, 16, 16);
	matmul_case(&b, 16, 64, 48, 80);
	matmul_case(&b, 16, 33, 17, 50); /* edges: partial tiles */
	unbuild(&b);
	struct built b4;
	build_file(&b4, "matmul_tiled.cl", "TILE=4", "matmul_tiled");
	matmul_case(&b4, 4, 10, 7, 9);
	unbuild(&b4);
}
END_TEST

static const char histogram_src[] =
    "__kernel void hist(__global const uchar *in, __global uint *bins,\n"
    "                   const uint n)\n"
    "{\n"
    "	__local uint part[16];\n"
    "	uint lid = get_local_id(0);\n"
    "	if (lid < 16)\n"
    "		part[lid] = 0;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	uint i = get_global_id(0);\n"
    "	if (i < n)\n"
    "		atomic_inc(&part[in[i] % 16]);\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	if (lid < 16)\n"
    "		atomic_add(&bins[lid], part[lid]);\n"
    "}\n";

START_TEST(histogram)
{
	struct built b;
	build(&b, histogram_src, NULL, "hist");
	const uint32_t n = 5000, global = 5120;
	unsigned char *in = malloc(n);
	uint32_t bins[16] = {0}, ref[16] = {0};
	for (uint32_t i = 0; i < n; i++) {
		in[i] = (unsigned char)(i * 37 + i / 3);
		ref[in[i] % 16]++;
	}
	struct vjit_arg args[3] = {
	    {in, n}, {bins, sizeof(bins)}, {(void *)&n, 0}};
	struct vjit_ndrange nd = range1(global, 64);
	run_ok(&b, args, 3, &nd);
	for (int k = 0; k < 16; k++)
		ck_assert_uint_eq(bins[k], ref[k]);
	free(in);
	unbuild(&b);
}
END_TEST

static const char helpers_src[] =
    "float sq(float x) { return x * x; }\n"
    "int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi "
    ": v; }\n"
    "void put(__global float *p, int i, float v) { p[i] = v; }\n"
    "float sum3(__global const float *p, int i)\n"
    "{\n"
    "	float s = 0.0f;\n"
    "	for (int k = -1; k <= 1; k++)\n"
    "		s += p[clampi(i + k, 0, (int)get_global_size(0) - 1)];\n"
    "	return s;\n"
    "}\n"
    "__kernel void k(__global const float *in, __global float *out)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	put(out, i, sq(sum3(in, i)) + sqrt(in[i]) + fmax(in[i], 2.0f));\n"
    "}\n";

START_TEST(helpers)
{
	struct built b;
	build(&b, helpers_src, NULL, "k");
	enum { N = 100 };
	float in[N], out[N];
	for (int i = 0; i < N; i++)
		in[i] = (float)i * 0.25f;
	struct vjit_arg args[2] = {{in, sizeof(in)}, {out, sizeof(out)}};
	struct vjit_ndrange nd = range1(N, 0);
	vjit_choose_local(b.p, b.kernel, &nd);
	run_ok(&b, args, 2, &nd);
	for (int i = 0; i < N; i++) {
		float s = 0;
		for (int k = -1; k <= 1; k++) {
			int j = i + k < 0 ? 0 : i + k > N - 1 ? N - 1 : i + k;
			s += in[j];
		}
		float want = s * s + sqrtf(in[i]) + fmaxf(in[i], 2.0f);
		ck_assert_msg(fabsf(out[i] - want) <
				  1e-4f * fabsf(want) + 1e-5f,
			      "out[%d] = %g, want %g", i, out[i], want);
	}
	unbuild(&b);
}
END_TEST

static const char division_src[] =
    "__kernel void k(__global const int *a, __global const int *b,\n"
    "                __global int *q, __global int *r, __global uint *uq,\n"
    "                __global int *sh, __global int *cv)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	q[i] = a[i] / b[i];\n"
    "	r[i] = a[i] % b[i];\n"
    "	uq[i] = (uint)a[i] / (uint)b[i] + (uint)a[i] % (uint)b[i];\n"
    "	sh[i] = ((a[i] << b[i]) ^ (a[i] >> b[i])) + (a[i] << 35);\n"
    "	cv[i] = (int)((float)a[i] * 4.0f);\n"
    "}\n";

START_TEST(division)
{
	struct built b;
	build(&b, division_src, NULL, "k");
	enum { N = 8 };
	int a[N] = {7, INT_MIN, INT_MIN, 5, -9, 0, INT_MAX, INT_MIN};
	int bb[N] = {0, -1, 0, 33, 2, 0, -1, 1};
	int q[N], r[N], sh[N], cv[N];
	unsigned uq[N];
	struct vjit_arg args[7] = {
	    {a, sizeof(a)},   {bb, sizeof(bb)}, {q, sizeof(q)},	 {r, sizeof(r)},
	    {uq, sizeof(uq)}, {sh, sizeof(sh)}, {cv, sizeof(cv)}};
	struct vjit_ndrange nd = range1(N, N);
	run_ok(&b, args, 7, &nd);
	for (int i = 0; i < N; i++) {
		int wq, wr;
		unsigned wu;
		if (bb[i] == 0) {
			wq = wr = 0;
			wu = 0;
		} else if (a[i] == INT_MIN && bb[i] == -1) {
			wq = INT_MIN;
			wr = 0;
			wu = (unsigned)a[i] / (unsigned)bb[i] +
			     (unsigned)a[i] % (unsigned)bb[i];
		} else {
			wq = a[i] / bb[i];
			wr = a[i] % bb[i];
			wu = (unsigned)a[i] / (unsigned)bb[i] +
			     (unsigned)a[i] % (unsigned)bb[i];
		}
		int s = bb[i] & 31;
		int wsh =
		    (int)((((unsigned)a[i] << s) ^ (unsigned)(a[i] >> s)) +
			  ((unsigned)a[i] << 3));
		float f = (float)a[i] * 4.0f;
		int wcv = f >= 2147483648.0f   ? INT_MAX
			  : f < -2147483648.0f ? INT_MIN
					       : (int)f;
		ck_assert_msg(q[i] == wq, "q[%d] = %d, want %d", i, q[i], wq);
		ck_assert_msg(r[i] == wr, "r[%d] = %d, want %d", i, r[i], wr);
		ck_assert_msg(uq[i] == wu, "uq[%d] = %u, want %u", i, uq[i],
			      wu);
		ck_assert_msg(sh[i] == wsh, "sh[%d] = %d, want %d", i, sh[i],
			      wsh);
		ck_assert_msg(cv[i] == wcv, "cv[%d] = %d, want %d", i, cv[i],
			      wcv);
	}
	unbuild(&b);
}
END_TEST

static const char oob_src[] =
    "__kernel void rd(__global const float *in, __global float *out, int "
    "k)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	out[i] = in[i + k] + 1.0f;\n"
    "}\n"
    "__kernel void part(__global const uchar *c, __global int *out, int "
    "k)\n"
    "{\n"
    "	out[0] = *(__global const int *)(c + k);\n"
    "}\n"
    "__kernel void wr(__global float *out, int k)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	out[i + k] = 5.0f;\n"
    "}\n";

START_TEST(out_of_bounds)
{
	struct built b;
	build(&b, oob_src, NULL, "rd");
	/* in has 16 floats inside a 32-float allocation: the rest must
	 * never be read nor written. */
	float *mem = malloc(64 * 4);
	for (int i = 0; i < 64; i++)
		mem[i] = 100.0f + i;
	float *in = mem, *out = mem + 32;
	int k = 4;
	struct vjit_arg args[3] = {{in, 16 * 4}, {out, 16 * 4}, {&k, 0}};
	struct vjit_ndrange nd = range1(16, 16);
	struct vjit_fault fault;
	int rc = launch(&b, args, 3, &nd, &fault);
	ck_assert_int_eq(rc, -EFAULT);
	ck_assert_int_eq(fault.err, EFAULT);
	ck_assert_msg(strstr(fault.msg, "'rd'") && strstr(fault.msg, "'in'") &&
			  strstr(fault.msg, "byte offset 64"),
		      "%s", fault.msg);
	for (int i = 0; i < 16; i++) /* the bad loads gave 0 */
		ck_assert_msg(out[i] == (i + 4 < 16 ? in[i + 4] + 1.0f : 1.0f),
			      "out[%d] = %g", i, out[i]);
	for (int i = 16; i < 32; i++)
		ck_assert(mem[i] == 100.0f + i);
	for (int i = 48; i < 64; i++)
		ck_assert(mem[i] == 100.0f + i);
	/* negative offset */
	k = -3;
	rc = launch(&b, args, 3, &nd, &fault);
	ck_assert_int_eq(rc, -EFAULT);
	ck_assert_msg(strstr(fault.msg, "byte offset -12"), "%s", fault.msg);

	/* an access that overlaps the end by one byte */
	b.kernel = vjit_kernel_index(b.p, "part");
	ck_assert_int_ge(b.kernel, 0);
	unsigned char bytes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	int word = 0;
	struct vjit_arg pargs[3] = {
	    {bytes, 10}, {&word, sizeof(word)}, {&k, 0}};
	struct vjit_ndrange one = range1(1, 1);
	k = 6;
	ck_assert_int_eq(launch(&b, pargs, 3, &one, &fault), 0);
	ck_assert_int_eq(word, 0x09080706);
	k = 7;
	ck_assert_int_eq(launch(&b, pargs, 3, &one, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "'c' (10 bytes)") &&
			  strstr(fault.msg, "byte offset 7"),
		      "%s", fault.msg);
	ck_assert_int_eq(word, 0); /* the load gave 0 */
	/* an object smaller than the access */
	pargs[0].size = 2;
	k = 0;
	ck_assert_int_eq(launch(&b, pargs, 3, &one, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "byte offset 0"), "%s", fault.msg);

	int wk = vjit_kernel_index(b.p, "wr");
	ck_assert_int_ge(wk, 0);
	b.kernel = wk;
	k = 8;
	for (int i = 0; i < 16; i++)
		out[i] = 7.0f;
	struct vjit_arg wargs[2] = {{out, 16 * 4}, {&k, 0}};
	rc = launch(&b, wargs, 2, &nd, &fault);
	ck_assert_int_eq(rc, -EFAULT);
	ck_assert_msg(strstr(fault.msg, "'wr'") && strstr(fault.msg, "'out'") &&
			  strstr(fault.msg, "byte offset 64"),
		      "%s", fault.msg);
	for (int i = 0; i < 16; i++) /* the bad stores did nothing */
		ck_assert_msg(out[i] == (i >= 8 ? 5.0f : 7.0f), "out[%d] = %g",
			      i, out[i]);
	for (int i = 48; i < 64; i++)
		ck_assert_msg(mem[i] == 100.0f + i, "mem[%d] = %g", i, mem[i]);
	free(mem);
	unbuild(&b);
}
END_TEST

static const char endless_src[] = "__kernel void spin(__global int *p)\n"
				  "{\n"
				  "	int i = 0;\n"
				  "	while (p[0] == 0)\n"
				  "		i++;\n"
				  "	p[1] = i;\n"
				  "}\n";

struct stopper {
	_Atomic int *stop;
	int ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec t = {0, s->ms * 1000000L};
	nanosleep(&t, NULL);
	atomic_store(s->stop, 1);
	return NULL;
}

START_TEST(stop)
{
	struct built b;
	build(&b, endless_src, NULL, "spin");
	int mem[2] = {0, 0};
	struct vjit_arg args[1] = {{mem, sizeof(mem)}};
	struct vjit_ndrange nd = range1(4, 4);
	struct vjit_fault fault;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 1, &nd, &fault),
			 0);
	_Atomic int stop = 0;
	struct stopper s = {&stop, 50};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, stop_later, &s), 0);
	double t0 = now_ms();
	int rc = vjit_run_groups(b.p, b.kernel, args, &nd, 0, 1, &stop, &fault);
	double took = now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_int_eq(fault.err, ETIMEDOUT);
	ck_assert_msg(took < 150, "stopped after %.1f ms", took);
	fprintf(stderr, "stop: run returned %.1f ms after start (stop at 50)\n",
		took);
	/* already set: nothing runs */
	rc = vjit_run_groups(b.p, b.kernel, args, &nd, 0, 1, &stop, &fault);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	unbuild(&b);
}
END_TEST

/* Loops that look counted but never end keep their stop poll (jit's
 * loop_short.c leaves it out of short counted loops only), and so does a
 * loop with a divergent exit, polled once per step of the group. */
static const char counted_src[] =
    "__kernel void reset(__global int *p)\n"
    "{\n"
    "	for (int i = 0; i < 16; i++)\n"
    "		if (p[0] == 0)\n"
    "			i = 0; /* the counter written in the body */\n"
    "	p[1] = 1;\n"
    "}\n"
    "__kernel void wraps(__global int *p)\n"
    "{\n"
    "	/* 2147483646 + 2 wraps below the bound: endless */\n"
    "	for (int i = 2147483600; i < 2147483647; i += 2)\n"
    "		p[1] = i;\n"
    "}\n"
    "__kernel void addressed(__global int *p)\n"
    "{\n"
    "	for (int i = 0; i < 16; i++) {\n"
    "		int *q = &i;\n"
    "		*q = p[0];\n"
    "	}\n"
    "	p[1] = 1;\n"
    "}\n"
    "__kernel void nested(__global int *p)\n"
    "{\n"
    "	for (int j = 0; j < 4; j++)\n"
    "		for (int i = 0; i < 4; i++)\n"
    "			if (p[0] == 0)\n"
    "				j = 0; /* the outer counter, inside */\n"
    "	p[1] = 1;\n"
    "}\n"
    "__kernel void divergent(__global int *p)\n"
    "{\n"
    "	/* endless in 3 of the 4, run at group level (wg_divergent.c) */\n"
    "	int i = get_global_id(0), k = 0;\n"
    "	while (i != 1)\n"
    "		k += i;\n"
    "	p[1] = k;\n"
    "}\n";

START_TEST(stop_counted)
{
	static const char *const kernels[] = {"reset", "wraps", "addressed",
					      "nested", "divergent"};
	for (int k = 0; k < 5; k++) {
		struct built b;
		build(&b, counted_src, NULL, kernels[k]);
		int mem[2] = {0, 0};
		struct vjit_arg args[1] = {{mem, sizeof(mem)}};
		struct vjit_ndrange nd = range1(4, 4);
		struct vjit_fault fault;
		ck_assert_int_eq(
		    vjit_check_launch(b.p, b.kernel, args, 1, &nd, &fault), 0);
		_Atomic int stop = 0;
		struct stopper s = {&stop, 50};
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, stop_later, &s), 0);
		int rc = vjit_run_groups(b.p, b.kernel, args, &nd, 0, 1, &stop,
					 &fault);
		pthread_join(t, NULL);
		ck_assert_msg(rc == -ETIMEDOUT, "%s: %d", kernels[k], rc);
		unbuild(&b);
	}
}
END_TEST

struct part {
	struct built *b;
	const struct vjit_arg *args;
	const struct vjit_ndrange *nd;
	uint64_t first, count;
	int rc;
};

static void *run_part(void *arg)
{
	struct part *p = arg;
	struct vjit_fault fault;
	p->rc = vjit_run_groups(p->b->p, p->b->kernel, p->args, p->nd, p->first,
				p->count, &jit_never_stop, &fault);
	return NULL;
}

START_TEST(threads)
{
	struct built b;
	build_file(&b, "matmul_tiled.cl", NULL, "matmul_tiled");
	int M = 64, N = 64, K = 64;
	float *A = malloc(4 * M * K), *B = malloc(4 * K * N),
	      *C = calloc(M * N, 4), *R = malloc(4 * M * N);
	unsigned seed = 3;
	for (int i = 0; i < M * K; i++)
		A[i] = frand(&seed);
	for (int i = 0; i < K * N; i++)
		B[i] = frand(&seed);
	matmul_ref(A, B, R, M, N, K);
	struct vjit_arg args[6] = {{A, 4 * M * K}, {B, 4 * K * N},
				   {C, 4 * M * N}, {&M, 0},
				   {&N, 0},	   {&K, 0}};
	struct vjit_ndrange nd = {2, {64, 64, 1}, {16, 16, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 6, &nd, &fault),
			 0);
	enum { T = 4 };
	pthread_t t[T];
	struct part parts[T];
	for (int k = 0; k < T; k++) { /* 16 groups, 4 each */
		parts[k] = (struct part){&b, args, &nd, 4 * k, 4, -1};
		ck_assert_int_eq(
		    pthread_create(&t[k], NULL, run_part, &parts[k]), 0);
	}
	for (int k = 0; k < T; k++) {
		pthread_join(t[k], NULL);
		ck_assert_int_eq(parts[k].rc, 0);
	}
	for (int i = 0; i < M * N; i++)
		ck_assert(fabsf(C[i] - R[i]) < 1e-3f);
	/* groups past the launch's are refused */
	ck_assert_int_eq(vjit_run_groups(b.p, b.kernel, args, &nd, 12, 5,
					 &jit_never_stop, &fault),
			 -EINVAL);
	free(A);
	free(B);
	free(C);
	free(R);
	unbuild(&b);
}
END_TEST

START_TEST(refused_launches)
{
	struct built b;
	build_file(&b, "reduce.cl", NULL, "reduce_sum");
	float in[4096], out[64];
	uint32_t n = 4096;
	struct vjit_arg args[4] = {
	    {in, sizeof(in)}, {out, sizeof(out)}, {NULL, 256 * 4}, {&n, 0}};
	struct vjit_fault fault;
	struct vjit_ndrange nd = range1(4096, 2048);
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 4, &nd, &fault),
			 -EINVAL);
	ck_assert_msg(strstr(fault.msg, "at most 1024"), "%s", fault.msg);
	nd = range1(4096, 48);
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 4, &nd, &fault),
			 -EINVAL);
	ck_assert_msg(strstr(fault.msg, "does not divide"), "%s", fault.msg);
	nd = range1(4096, 256);
	args[2].size = 65 << 10;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 4, &nd, &fault),
			 -EINVAL);
	ck_assert_msg(strstr(fault.msg, "__local"), "%s", fault.msg);
	args[2].size = 256 * 4;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 3, &nd, &fault),
			 -EINVAL);
	struct vjit_ndrange huge = {
	    3, {1ull << 40, 1ull << 30, 1}, {256, 1, 1}, {0}};
	ck_assert_int_eq(
	    vjit_check_launch(b.p, b.kernel, args, 4, &huge, &fault), -EINVAL);
	ck_assert_msg(strstr(fault.msg, "2^62 work-items"), "%s", fault.msg);
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 4, &nd, &fault),
			 0);
	unbuild(&b);
}
END_TEST

static const char helper_barrier_src[] =
    "void sync(int x) { if (x) barrier(CLK_LOCAL_MEM_FENCE); }\n"
    "__kernel void k(__global int *p, int n) { p[get_global_id(0)] = 1; "
    "sync(n); }\n"
    "__kernel void bad(__global int *p) { p[get_global_id(0)] = 1; "
    "sync(get_local_id(0) & 1); }\n";

/* A helper's barriers are inlined (tests/it_barrier_helpers.c runs such
 * kernels); where a call makes one divergent, the inlined code is refused
 * by the verifier, which vjit_compile runs on it. */
START_TEST(helper_with_barrier)
{
	struct built b;
	char msg[VJIT_MSG_MAX];
	ck_assert_int_eq(try_build(&b, helper_barrier_src, NULL, "k", msg),
			 -EINVAL);
	ck_assert_msg(strstr(msg, "barrier inlined: function 1 'bad'") &&
			  strstr(msg, "barrier where work-items may diverge"),
		      "%s", msg);
	unbuild(&b);
	static const char good[] =
	    "void sync(int x) { if (x) barrier(CLK_LOCAL_MEM_FENCE); }\n"
	    "__kernel void k(__global int *p, int n) { p[get_global_id(0)] = "
	    "1; sync(n); }\n";
	build(&b, good, NULL, "k");
	unbuild(&b);
}
END_TEST

static const char group_flow_src[] =
    "__kernel void flow(__global int *data, __local int *tmp, int rounds)\n"
    "{\n"
    "	int lid = get_local_id(0);\n"
    "	int n = get_local_size(0);\n"
    "	int priv[4];\n"
    "	for (int k = 0; k < 4; k++)\n"
    "		priv[k] = lid * k;\n"
    "	__global int *p = data + get_group_id(0) * n;\n"
    "	if (rounds < 0)\n"
    "		return;\n"
    "	tmp[lid] = p[lid];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	int r = 0;\n"
    "	while (1) {\n"
    "		if (r >= rounds)\n"
    "			break;\n"
    "		int v = tmp[(lid + 1) % n];\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		tmp[lid] = v + priv[r % 4];\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		r++;\n"
    "	}\n"
    "	for (int s = 0; s < 3; s++) {\n"
    "		if (s == 1)\n"
    "			continue;\n"
    "		tmp[lid] += s * 100;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	}\n"
    "	if (lid >= n - 2)\n"
    "		return;\n"
    "	p[lid] = tmp[lid];\n"
    "}\n";

/* The group's code as C: what flow() computes for one group. */
static void group_flow_ref(int *p, int n, int rounds)
{
	int tmp[64], v[64];
	if (rounds < 0)
		return;
	memcpy(tmp, p, n * sizeof(int));
	for (int r = 0; r < rounds; r++) {
		for (int l = 0; l < n; l++)
			v[l] = tmp[(l + 1) % n];
		for (int l = 0; l < n; l++)
			tmp[l] = v[l] + l * (r % 4);
	}
	for (int l = 0; l < n; l++)
		tmp[l] += 200;
	for (int l = 0; l < n - 2; l++)
		p[l] = tmp[l];
}

/* Barriers in uniform loops left by break and continue from inside a
 * work-item loop, a uniform return before any barrier, a varying return
 * after the last one; a pointer and a private array live across
 * barriers. */
START_TEST(group_control_flow)
{
	struct built b;
	build(&b, group_flow_src, NULL, "flow");
	const int groups = 3;
	for (int n = 4; n <= 64; n *= 4)
		for (int rounds = -1; rounds <= 5; rounds += 3) {
			int *data = malloc(sizeof(int) * n * groups),
			    *ref = malloc(sizeof(int) * n * groups);
			for (int i = 0; i < n * groups; i++)
				data[i] = ref[i] = i * 7 % 13;
			for (int g = 0; g < groups; g++)
				group_flow_ref(ref + g * n, n, rounds);
			struct vjit_arg args[3] = {
			    {data, sizeof(int) * n * groups},
			    {NULL, sizeof(int) * n},
			    {&rounds, 0}};
			struct vjit_ndrange nd = range1(n * groups, n);
			run_ok(&b, args, 3, &nd);
			for (int i = 0; i < n * groups; i++)
				ck_assert_msg(data[i] == ref[i],
					      "n %d rounds %d: data[%d] = %d, "
					      "want %d",
					      n, rounds, i, data[i], ref[i]);
			free(data);
			free(ref);
		}
	unbuild(&b);
}
END_TEST

static const char ids_src[] =
    "__kernel void ids(__global ulong *out)\n"
    "{\n"
    "	size_t x = get_global_id(0) - get_global_offset(0);\n"
    "	size_t y = get_global_id(1) - get_global_offset(1);\n"
    "	size_t z = get_global_id(2) - get_global_offset(2);\n"
    "	size_t i = (z * get_global_size(1) + y) * get_global_size(0) + x;\n"
    "	out[i] = get_global_id(0) + 100 * get_global_id(1) +\n"
    "		 10000 * get_global_id(2) + 1000000 * get_local_id(0) +\n"
    "		 10000000 * get_group_id(1) + 100000000 * "
    "get_num_groups(2) +\n"
    "		 1000000000 * get_local_size(1) + 20000000000 * "
    "get_work_dim() +\n"
    "		 get_global_id(3) + 7 * get_local_size(5);\n"
    "}\n";

/* Every work-item query in a 3D range with offsets (and a dimension out
 * of range: id 0, size 1). */
START_TEST(work_item_ids)
{
	struct built b;
	build(&b, ids_src, NULL, "ids");
	struct vjit_ndrange nd = {3, {6, 4, 6}, {3, 2, 2}, {5, 0, 9}};
	uint64_t out[6 * 4 * 6];
	memset(out, 0xff, sizeof(out));
	struct vjit_arg args[1] = {{out, sizeof(out)}};
	run_ok(&b, args, 1, &nd);
	for (uint64_t z = 0; z < 6; z++)
		for (uint64_t y = 0; y < 4; y++)
			for (uint64_t x = 0; x < 6; x++) {
				uint64_t gx = x + 5, gy = y, gz = z + 9;
				uint64_t want = gx + 100 * gy + 10000 * gz +
						1000000 * (x % 3) +
						10000000 * (y / 2) +
						100000000 * 3 + 1000000000 * 2 +
						20000000000ull * 3 + 0 + 7;
				uint64_t got = out[(z * 4 + y) * 6 + x];
				ck_assert_msg(
				    got == want,
				    "(%llu,%llu,%llu): %llu, want %llu",
				    (unsigned long long)x,
				    (unsigned long long)y,
				    (unsigned long long)z,
				    (unsigned long long)got,
				    (unsigned long long)want);
			}
	unbuild(&b);
}
END_TEST

static const char math_src[] =
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "__kernel void m(__global const float *x, __global float *f,\n"
    "                __global double *d)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	float a = x[i], b = x[i] * 0.5f + 1.0f;\n"
    "	int k = 0;\n"
    "	f[i * 16 + k++] = sin(a);\n"
    "	f[i * 16 + k++] = exp(a) + log(b);\n"
    "	f[i * 16 + k++] = pow(b, a);\n"
    "	f[i * 16 + k++] = atan2(a, b);\n"
    "	f[i * 16 + k++] = cbrt(a) + tanh(a);\n"
    "	f[i * 16 + k++] = fmod(a, b);\n"
    "	f[i * 16 + k++] = floor(a) + ceil(a) + round(a) + trunc(a);\n"
    "	f[i * 16 + k++] = hypot(a, b) + fabs(a);\n"
    "	f[i * 16 + k++] = clamp(a, -0.5f, 0.5f);\n"
    "	f[i * 16 + k++] = mix(a, b, 0.25f) + mad(a, b, 1.0f);\n"
    "	f[i * 16 + k++] = step(0.0f, a) + sign(a);\n"
    "	f[i * 16 + k++] = smoothstep(-1.0f, 1.0f, a);\n"
    "	f[i * 16 + k++] = rsqrt(b) + native_sqrt(b);\n"
    "	f[i * 16 + k++] = fmin(a, b) + fmax(a, b);\n"
    "	f[i * 16 + k++] = a / b + (float)(int)(a * 10.0f);\n"
    "	f[i * 16 + k++] = expm1(a) + log1p(b) + exp2(a) + log2(b) +\n"
    "			  exp2((float)(i - 16));\n"
    "	double e = (double)a;\n"
    "	d[i * 4] = sin(e) + cos(e);\n"
    "	d[i * 4 + 1] = sqrt((double)b) + pow((double)b, e);\n"
    "	d[i * 4 + 2] = fmod(e, 0.3);\n"
    "	d[i * 4 + 3] = atan(e) + erf(e);\n"
    "}\n";

static void near(double got, double want, double tol, const char *what, int i)
{
	ck_assert_msg(fabs(got - want) <= tol * (1 + fabs(want)),
		      "%s[%d] = %.9g, want %.9g", what, i, got, want);
}

/* The math intrinsics, f32 and f64, against libm. */
START_TEST(math)
{
	struct built b;
	build(&b, math_src, NULL, "m");
	enum { N = 32 };
	float x[N], f[N * 16];
	double d[N * 4];
	for (int i = 0; i < N; i++)
		x[i] = (float)(i - 15) * 0.13f;
	struct vjit_arg args[3] = {
	    {x, sizeof(x)}, {f, sizeof(f)}, {d, sizeof(d)}};
	struct vjit_ndrange nd = range1(N, 8);
	run_ok(&b, args, 3, &nd);
	for (int i = 0; i < N; i++) {
		float a = x[i], c = x[i] * 0.5f + 1.0f;
		float cl = a < -0.5f ? -0.5f : a > 0.5f ? 0.5f : a;
		float t = (a + 1.0f) / 2.0f;
		t = t < 0 ? 0 : t > 1 ? 1 : t;
		float want[16] = {
		    sinf(a),
		    expf(a) + logf(c),
		    powf(c, a),
		    atan2f(a, c),
		    cbrtf(a) + tanhf(a),
		    fmodf(a, c),
		    floorf(a) + ceilf(a) + roundf(a) + truncf(a),
		    hypotf(a, c) + fabsf(a),
		    cl,
		    a + (c - a) * 0.25f + a * c + 1.0f,
		    (a < 0.0f ? 0.0f : 1.0f) + (a > 0	? 1.0f
						: a < 0 ? -1.0f
							: a),
		    t * t * (3 - 2 * t),
		    1.0f / sqrtf(c) + sqrtf(c),
		    fminf(a, c) + fmaxf(a, c),
		    a / c + (float)(int)(a * 10.0f),
		    expm1f(a) + log1pf(c) + exp2f(a) + log2f(c) +
			exp2f((float)(i - 16)),
		};
		for (int k = 0; k < 16; k++)
			near(f[i * 16 + k], want[k], 1e-5, "f", i * 16 + k);
		double e = a;
		near(d[i * 4], sin(e) + cos(e), 1e-12, "d", i * 4);
		near(d[i * 4 + 1], sqrt((double)c) + pow((double)c, e), 1e-12,
		     "d", i * 4 + 1);
		near(d[i * 4 + 2], fmod(e, 0.3), 1e-12, "d", i * 4 + 2);
		near(d[i * 4 + 3], atan(e) + erf(e), 1e-12, "d", i * 4 + 3);
	}
	unbuild(&b);
}
END_TEST

static const char atomics_src[] =
    "__kernel void at(__global int *c, __global float *fx)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	atomic_add(&c[0], i);\n"
    "	atomic_min(&c[1], -i);\n"
    "	atomic_max(&c[2], i);\n"
    "	atomic_or(&c[3], 1 << (i % 31));\n"
    "	atomic_dec(&c[4]);\n"
    "	int old = atomic_cmpxchg(&c[5], i, i + 1);\n"
    "	c[6 + i] = old;\n"
    "	atomic_xchg(&fx[i], (float)i * 0.5f);\n"
    "}\n";

START_TEST(atomics)
{
	struct built b;
	build(&b, atomics_src, NULL, "at");
	enum { N = 64 };
	int c[6 + N] = {0};
	float fx[N] = {0};
	c[2] = INT_MIN;
	struct vjit_arg args[2] = {{c, sizeof(c)}, {fx, sizeof(fx)}};
	struct vjit_ndrange nd = range1(N, 16);
	run_ok(&b, args, 2, &nd);
	ck_assert_int_eq(c[0], N * (N - 1) / 2);
	ck_assert_int_eq(c[1], -(N - 1));
	ck_assert_int_eq(c[2], N - 1);
	ck_assert_int_eq(c[3], 0x7fffffff);
	ck_assert_int_eq(c[4], -N);
	/* in order on one thread: each cmpxchg sees the last one's value */
	ck_assert_int_eq(c[5], N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(c[6 + i], i);
		ck_assert(fx[i] == (float)i * 0.5f);
	}
	unbuild(&b);
}
END_TEST

/* Atomics on __local memory, an array of the kernel's and a __local
 * parameter: plain read-modify-writes (codegen_mem.c), one thread a
 * group; every operation against a reference, per group. */
static const char local_atomics_src[] =
    "__kernel void lat(__global int *out, __local int *p)\n"
    "{\n"
    "	__local int l[10];\n"
    "	int lid = get_local_id(0), g = get_group_id(0);\n"
    "	if (lid < 10)\n"
    "		l[lid] = lid == 2 ? -1000 : lid == 4 ? -1 : 0;\n"
    "	if (lid == 0)\n"
    "		p[0] = 7;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	atomic_add(&l[0], lid + g);\n"
    "	atomic_sub(&l[1], lid);\n"
    "	atomic_max(&l[2], lid * 3);\n"
    "	atomic_min(&l[3], -lid);\n"
    "	atomic_and(&l[4], ~(1 << lid));\n"
    "	atomic_or(&l[5], 1 << lid);\n"
    "	atomic_xor(&l[6], lid * 5);\n"
    "	atomic_inc(&l[7]);\n"
    "	out[64 + get_global_id(0)] = atomic_cmpxchg(&l[8], lid, lid + 1);\n"
    "	atomic_xchg(&l[9], lid);\n"
    "	atomic_add(p, 2);\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	if (lid < 10)\n"
    "		out[g * 16 + lid] = l[lid];\n"
    "	if (lid == 10)\n"
    "		out[g * 16 + 10] = p[0];\n"
    "}\n";

START_TEST(local_atomics)
{
	struct built b;
	build(&b, local_atomics_src, NULL, "lat");
	enum { L = 16, G = 4 };
	int out[64 + L * G] = {0};
	struct vjit_arg args[2] = {{out, sizeof(out)}, {NULL, 64}};
	struct vjit_ndrange nd = range1(L * G, L);
	run_ok(&b, args, 2, &nd);
	for (int g = 0; g < G; g++) {
		int xr = 0;
		for (int i = 0; i < L; i++)
			xr ^= i * 5;
		const int *o = out + g * 16;
		ck_assert_int_eq(o[0], L * (L - 1) / 2 + L * g);
		ck_assert_int_eq(o[1], -L * (L - 1) / 2);
		ck_assert_int_eq(o[2], (L - 1) * 3);
		ck_assert_int_eq(o[3], -(L - 1));
		ck_assert_int_eq(o[4], ~((1 << L) - 1));
		ck_assert_int_eq(o[5], (1 << L) - 1);
		ck_assert_int_eq(o[6], xr);
		ck_assert_int_eq(o[7], L);
		/* in order: work-item i finds i and leaves i + 1 */
		ck_assert_int_eq(o[8], L);
		ck_assert_int_eq(o[9], L - 1);
		ck_assert_int_eq(o[10], 7 + 2 * L);
		for (int i = 0; i < L; i++)
			ck_assert_int_eq(out[64 + g * L + i], i);
	}
	unbuild(&b);
	/* out of bounds, or misaligned: a fault, nothing written */
	build(&b,
	      "__kernel void lo(__global int *out, int k)\n"
	      "{\n"
	      "	__local int l[4];\n"
	      "	l[get_local_id(0) % 4] = 5;\n"
	      "	atomic_add((__local int *)((__local char *)l + k), 1);\n"
	      "	out[0] = l[0];\n"
	      "}\n",
	      NULL, "lo");
	static const int ks[2] = {16, 2};
	static const char *const msg[2] = {
	    "kernel 'lo': access out of bounds of __local array l0 at byte "
	    "offset 16",
	    "kernel 'lo': access out of bounds of __local array l0 at byte "
	    "offset 2"};
	for (int t = 0; t < 2; t++) {
		int k = ks[t];
		out[0] = -1;
		struct vjit_arg a2[2] = {{out, sizeof(out)}, {&k, 0}};
		struct vjit_ndrange n2 = range1(4, 4);
		struct vjit_fault fault;
		ck_assert_int_eq(launch(&b, a2, 2, &n2, &fault), -EFAULT);
		ck_assert_str_eq(fault.msg, msg[t]);
	}
	unbuild(&b);
}
END_TEST

/* The device's group size when the launch gives none: a power of two
 * up to 256 across, the whole size when nothing of 16 or more divides it
 * (a prime), and rows of the next dimension when few are across. */
START_TEST(chosen_local)
{
	struct built b;
	build(&b,
	      "__kernel void ls(__global int *o)\n"
	      "{\n"
	      "	o[get_global_id(1) * get_global_size(0) + get_global_id(0)] =\n"
	      "	    get_local_size(0) * 1000 + get_local_size(1);\n"
	      "}\n",
	      NULL, "ls");
	static const struct {
		uint32_t dims;
		uint64_t g0, g1, l0, l1;
	} cases[] = {
	    {1, 4096, 1, 256, 1},  {1, 1021, 1, 1021, 1}, {1, 2053, 1, 1, 1},
	    {1, 1000, 1, 250, 1},  {2, 4, 4096, 4, 64},	  {2, 3, 1024, 3, 64},
	    {2, 512, 512, 256, 1},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct vjit_ndrange nd = {
		    cases[c].dims, {cases[c].g0, cases[c].g1, 1}, {0}, {0}};
		vjit_choose_local(b.p, b.kernel, &nd);
		ck_assert_msg(nd.local[0] == cases[c].l0 &&
				  nd.local[1] == cases[c].l1 &&
				  nd.local[2] == 1,
			      "global %llu,%llu: local %llu,%llu,%llu",
			      (unsigned long long)cases[c].g0,
			      (unsigned long long)cases[c].g1,
			      (unsigned long long)nd.local[0],
			      (unsigned long long)nd.local[1],
			      (unsigned long long)nd.local[2]);
		size_t n = cases[c].g0 * cases[c].g1;
		int *o = calloc(n, sizeof(int));
		struct vjit_arg a[1] = {{o, n * sizeof(int)}};
		run_ok(&b, a, 1, &nd);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(
			    o[i], (int)(cases[c].l0 * 1000 + cases[c].l1));
		free(o);
	}
	unbuild(&b);
}
END_TEST

static const char private_oob_src[] =
    "__kernel void pv(__global int *out, int k)\n"
    "{\n"
    "	int a[8];\n"
    "	__local int l[8];\n"
    "	int i = get_global_id(0);\n"
    "	a[i % 8] = i;\n"
    "	l[i % 8] = i;\n"
    "	out[i] = a[(i + k) % 16] + (k > 100 ? l[k - 100] : 0);\n"
    "}\n";

/* Private and __local arrays are bounded too; their faults name them. */
/* A kernel after the first gets the room of its own __local arrays: 60
 * KiB of them and a __local parameter of 8 KiB are more than a group
 * has (the layout took the first function's arrays for every kernel, so
 * this one had none and its stores ran past the area). */
START_TEST(later_kernel_local_arrays)
{
	struct built b;
	build(&b,
	      "__kernel void first(__global int *o) { o[0] = 1; }\n"
	      "__kernel void second(__global int *o, __local int *p) {\n"
	      "  __local int l[15360];\n"
	      "  size_t i = get_local_id(0);\n"
	      "  l[i * 1000] = (int)i; p[i] = 1;\n"
	      "  barrier(CLK_LOCAL_MEM_FENCE);\n"
	      "  o[i] = l[i * 1000] + p[i];\n"
	      "}\n",
	      NULL, "second");
	int out[8];
	struct vjit_arg args[2] = {{out, sizeof(out)}, {NULL, 8192}};
	struct vjit_ndrange nd = range1(8, 8);
	struct vjit_fault fault;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 2, &nd, &fault),
			 -EINVAL);
	ck_assert_msg(strstr(fault.msg, "__local memory"), "%s", fault.msg);
	args[1].size = 32;
	run_ok(&b, args, 2, &nd);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(out[i], i + 1);
	unbuild(&b);
}
END_TEST

START_TEST(private_and_local_bounds)
{
	struct built b;
	build(&b, private_oob_src, NULL, "pv");
	int out[8];
	int k = 0;
	struct vjit_arg args[2] = {{out, sizeof(out)}, {&k, 0}};
	struct vjit_ndrange nd = range1(8, 8);
	run_ok(&b, args, 2, &nd);
	for (int i = 0; i < 8; i++) /* each work-item its own array */
		ck_assert_int_eq(out[i], i);
	k = 8;
	struct vjit_fault fault;
	ck_assert_int_eq(launch(&b, args, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "'pv'") &&
			  strstr(fault.msg, "private array") &&
			  strstr(fault.msg, "byte offset 32"),
		      "%s", fault.msg);
	k = 112; /* a[] within bounds, l[12] not */
	ck_assert_int_eq(launch(&b, args, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "__local array l0") &&
			  strstr(fault.msg, "byte offset 48"),
		      "%s", fault.msg);
	unbuild(&b);
}
END_TEST

static void *compile_saxpy(void *arg)
{
	struct built *b = arg;
	build_file(b, "saxpy.cl", NULL, "saxpy");
	return NULL;
}

/* Programs compile on several threads at once (one LLJIT each) and each
 * runs correctly. */
START_TEST(concurrent_compiles)
{
	enum { T = 3, N = 256 };
	struct built b[T];
	pthread_t t[T];
	for (int k = 0; k < T; k++)
		ck_assert_int_eq(
		    pthread_create(&t[k], NULL, compile_saxpy, &b[k]), 0);
	for (int k = 0; k < T; k++)
		pthread_join(t[k], NULL);
	for (int k = 0; k < T; k++) {
		float x[N], y[N], a = (float)k;
		uint32_t n = N;
		for (int i = 0; i < N; i++) {
			x[i] = (float)i;
			y[i] = 1.0f;
		}
		struct vjit_arg args[4] = {
		    {&a, 0}, {x, sizeof(x)}, {y, sizeof(y)}, {&n, 0}};
		struct vjit_ndrange nd = range1(N, 64);
		run_ok(&b[k], args, 4, &nd);
		for (int i = 0; i < N; i++)
			ck_assert(y[i] == a * (float)i + 1.0f);
		unbuild(&b[k]);
	}
}
END_TEST

/* CLOCK's time in ms. */
static double cpu_ms(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * A program of several units compiled by a thread pinned to one CPU, as
 * a daemon worker is: the units' other thread runs beside it (under
 * SCHED_FIFO, where a thread queued behind its creator on that CPU does
 * not run until the creator sleeps, the caller then does every unit),
 * and the caller is pinned to its CPU again after.
 */
START_TEST(pinned_caller_units)
{
	cpu_set_t all, one, after;
	ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	if (CPU_COUNT(&all) < 2)
		return; /* no other CPU to run beside it */
	int cpu = 0;
	while (!CPU_ISSET(cpu, &all))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	pthread_t self = pthread_self();
	ck_assert_int_eq(pthread_setaffinity_np(self, sizeof(one), &one), 0);
	struct sched_param fifo = {.sched_priority = 1};
	bool rt = pthread_setschedparam(self, SCHED_FIFO, &fifo) == 0;
	double mine = cpu_ms(CLOCK_THREAD_CPUTIME_ID),
	       all_ms = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
	struct built b;
	build_file(&b, "kernel_calls.cl", NULL, "big_copy");
	mine = cpu_ms(CLOCK_THREAD_CPUTIME_ID) - mine;
	all_ms = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - all_ms;
	struct sched_param other = {.sched_priority = 0};
	pthread_setschedparam(self, SCHED_OTHER, &other);
	ck_assert_int_eq(pthread_getaffinity_np(self, sizeof(after), &after),
			 0);
	ck_assert(CPU_EQUAL(&after, &one));
	/* not checked without the right to SCHED_FIFO (a busy machine may
	 * leave the other thread no time then) */
	if (rt)
		ck_assert_msg(mine < 0.9 * all_ms,
			      "the caller took %.1f of the compile's %.1f ms",
			      mine, all_ms);
	unbuild(&b);
}
END_TEST

/* The user's saxpy (docs/examples/opencl), without a bound of its own:
 * the work-item loop's checks are made once per group (jit/wg_hoist.c). */
static const char user_saxpy_src[] =
    "__kernel void saxpy(const float a, __global const float *x,\n"
    "		    __global float *y)\n"
    "{\n"
    "	const size_t i = get_global_id(0);\n"
    "	y[i] = a * x[i] + y[i];\n"
    "}\n"
    "__kernel void square(__global float *y)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	y[i * i] = 1.0f;\n"
    "}\n"
    "__kernel void rows(__global float *m, int w)\n"
    "{\n"
    "	int x = get_global_id(0), r = get_global_id(1);\n"
    "	m[r * w + x] += (float)(r * 1000 + x);\n"
    "}\n";

/* How many lines of the code (VGPUJIT_DUMP, jit_compile.c) of SRC, with
 * KERNEL in it, match: before optimization (STAGE "pre") or after ("opt"). */
static int dumped_count(const char *src, const char *kernel, const char *stage,
			bool (*match)(const char *line))
{
	char prefix[JIT_DUMP_PREFIX];
	jit_dump_start(prefix);
	struct built b;
	build(&b, src, NULL, kernel);
	unbuild(&b);
	return jit_dump_end(prefix, stage, match);
}

static int optimized_count(const char *src, const char *kernel,
			   bool (*match)(const char *line))
{
	return dumped_count(src, kernel, "opt", match);
}

static bool optimized_has(const char *src, const char *kernel,
			  bool (*match)(const char *line))
{
	return optimized_count(src, kernel, match) > 0;
}

/* A vector store that is not masked. */
static bool plain_vector_store(const char *line)
{
	return strstr(line, " store <") != NULL;
}

/* A check's blocks (codegen_mem.c names them), in the checked copy. */
static bool check_block(const char *line)
{
	return strncmp(line, "inbounds", 8) == 0 ||
	       strncmp(line, "accessed", 8) == 0;
}

/* ...copied by LLVM's runtime unrolling (its .prol/.epil blocks). */
static bool unrolled_check_block(const char *line)
{
	const char *colon = strchr(line, ':');
	return check_block(line) && colon &&
	       (strstr(line, ".prol") || strstr(line, ".epil")) &&
	       strcspn(line, " ") > (size_t)(colon - line);
}

/* The checked copy of a hoisted 2-D loop, and its y loop, are not
 * unrolled (wg_loop.c's llvm.loop.unroll.disable): unrolled, they copied
 * the whole nest for a path that runs only when a check fails. */
START_TEST(checked_copy_not_unrolled)
{
	ck_assert(optimized_has(user_saxpy_src, "rows", check_block));
	ck_assert(!optimized_has(user_saxpy_src, "rows", unrolled_check_block));
}
END_TEST

/* A loop's latch (its branch carries !llvm.loop). */
static bool loop_latch(const char *line)
{
	return strstr(line, "!llvm.loop !") != NULL;
}

/* A tile copied to __local memory by a required 16 x 16 group, its row
 * offsets in int (sign-extended to address). */
static const char tile_copy_src[] =
    "__kernel __attribute__((reqd_work_group_size(16, 16, 1)))\n"
    "void tile(const int n, __global const float *a, __global float *out)\n"
    "{\n"
    "	__local float t[16][16];\n"
    "	const int lx = get_local_id(0), ly = get_local_id(1);\n"
    "	const int row = get_group_id(1) * 16 + ly;\n"
    "	const int col = get_group_id(0) * 16 + lx;\n"
    "	t[ly][lx] = a[row * n + get_group_id(0) * 16 + lx];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	out[row * n + col] = t[lx][ly] + 1.0f;\n"
    "}\n";

/* A plain vector load (not masked, not a gather). */
static bool plain_vector_load(const char *line)
{
	return strstr(line, " load <") != NULL;
}

/* With reqd_work_group_size the x loop's trip count is a constant, and
 * LLVM unrolled it in full before the loop vectorizer: the copy's loads
 * became scalar ones with their addresses in vectors. Left a loop
 * (wg_loop.c), the loop vectorizer makes them vector loads. */
START_TEST(required_size_x_loop_vectorized)
{
	ck_assert(optimized_has(tile_copy_src, "tile", plain_vector_load));
	struct built b;
	build(&b, tile_copy_src, NULL, "tile");
	const int n = 48;
	float *a = malloc(n * n * 4), *out = malloc(n * n * 4);
	for (int i = 0; i < n * n; i++)
		a[i] = (float)(i % 97) - 40.0f;
	struct vjit_arg args[3] = {
	    {(void *)&n, 4}, {a, n * n * 4}, {out, n * n * 4}};
	struct vjit_ndrange nd = {2, {n, n, 1}, {16, 16, 1}, {0}};
	run_ok(&b, args, 3, &nd);
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int gx = x / 16 * 16, gy = y / 16 * 16;
			float want = a[(gy + x % 16) * n + gx + y % 16] + 1.0f;
			ck_assert_msg(out[y * n + x] == want,
				      "out[%d][%d] = %g, want %g", y, x,
				      out[y * n + x], want);
		}
	free(a);
	free(out);
	unbuild(&b);
}
END_TEST

/* The tiled multiply as users write it, its tiles' loads unconditional:
 * docs/examples/opencl/matmul_tiled.cl, which bench_cl_suite runs. */
static char *user_tiled_src(void)
{
	size_t len;
	char *src =
	    cc_read_kernel("../../docs/examples/opencl/matmul_tiled.cl", &len);
	ck_assert(src);
	return src;
}

static bool prefetch_call(const char *line)
{
	return strstr(line, "call void @llvm.prefetch") != NULL;
}

/* LLVM's run-time test that a vectorized loop's accesses do not overlap. */
static bool overlap_test(const char *line)
{
	return strncmp(line, "vector.memcheck", 15) == 0;
}

/* The tile copy's loads of A and B prefetch the next step's tile, once
 * per row after the x loop (wg_prefetch.c), the copy still vector loads;
 * its stores to __local memory need no run-time test against the loads
 * (scopes: codegen_mem.c). Results exact (small integers), and a fault
 * reported as before: the prefetches past B's end stay inside it. */
START_TEST(tile_prefetch)
{
	char *src = user_tiled_src();
	ck_assert_int_ge(optimized_count(src, "matmul_tiled", prefetch_call),
			 2);
	ck_assert(optimized_has(src, "matmul_tiled", plain_vector_load));
	ck_assert(!optimized_has(src, "matmul_tiled", overlap_test));
	struct built b;
	build(&b, src, NULL, "matmul_tiled");
	b.src = src;
	const int n = 64;
	float *A = malloc(n * n * 4), *B = malloc(n * n * 4),
	      *C = malloc(n * n * 4);
	for (int i = 0; i < n * n; i++) {
		A[i] = (float)(i * 7 % 13) - 6.0f;
		B[i] = (float)(i * 5 % 11) - 5.0f;
	}
	struct vjit_arg args[4] = {
	    {(void *)&n, 4}, {A, n * n * 4}, {B, n * n * 4}, {C, n * n * 4}};
	struct vjit_ndrange nd = {2, {n, n, 1}, {16, 16, 1}, {0}};
	run_ok(&b, args, 4, &nd);
	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++) {
			float want = 0.0f;
			for (int k = 0; k < n; k++)
				want += A[r * n + k] * B[k * n + c];
			ck_assert_msg(C[r * n + c] == want,
				      "C[%d][%d] = %g, want %g", r, c,
				      C[r * n + c], want);
		}
	/* B one float short: the last group's last tile faults there */
	args[2].size = (n * n - 1) * 4;
	struct vjit_fault fault;
	ck_assert_int_eq(launch(&b, args, 4, &nd, &fault), -EFAULT);
	char want[VJIT_MSG_MAX];
	snprintf(want, sizeof(want),
		 "kernel 'matmul_tiled': access out of bounds of parameter "
		 "'b' (%d bytes) at byte offset %d",
		 (n * n - 1) * 4, (n * n - 1) * 4);
	ck_assert_str_eq(fault.msg, want);
	free(A);
	free(B);
	free(C);
	unbuild(&b);
}
END_TEST

/* A kernel with reqd_work_group_size: its local sizes are constants in
 * the code (wg_loop.c), so the work-item loops' trip counts are known:
 * the loops of size 1 go, and the vectorized x loop needs no remainder:
 * 5 loops instead of 10 (10 and 10 when the sizes were read at run
 * time). Every query still gives the launch's sizes and ids. */
START_TEST(required_size_constant)
{
	static const char fmt[] =
	    "__kernel %s void q(__global float *y, __global int *o)\n"
	    "{\n"
	    "	size_t i = get_global_id(1) * get_global_size(0) +\n"
	    "		   get_global_id(0);\n"
	    "	y[i] = 2.0f * y[i];\n"
	    "	o[i] = get_local_size(0) * 1000000 + get_local_size(1) * "
	    "10000 +\n"
	    "	       get_local_size(2) * 1000 + get_local_id(1) * 100 +\n"
	    "	       get_group_id(1) * 10 + get_group_id(0);\n"
	    "}\n";
	char plain[1024], reqd[1024];
	snprintf(plain, sizeof(plain), fmt, "");
	snprintf(reqd, sizeof(reqd), fmt,
		 "__attribute__((reqd_work_group_size(64, 2, 1)))");
	int loops_plain = optimized_count(plain, "q", loop_latch),
	    loops_reqd = optimized_count(reqd, "q", loop_latch);
	ck_assert_msg(loops_reqd < loops_plain, "loops: %d with, %d without",
		      loops_reqd, loops_plain);
	struct built b;
	build(&b, reqd, NULL, "q");
	enum { W = 128, H = 4 };
	float y[W * H];
	int o[W * H];
	for (int i = 0; i < W * H; i++)
		y[i] = (float)i;
	struct vjit_arg a[2] = {{y, sizeof(y)}, {o, sizeof(o)}};
	struct vjit_ndrange nd = {2, {W, H, 1}, {64, 2, 1}, {0}};
	/* refused by the run itself too, not only by vjit_check_launch */
	struct vjit_ndrange other = {2, {W, H, 1}, {32, 4, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(vjit_run_groups(b.p, b.kernel, a, &other, 0, 4,
					 &jit_never_stop, &fault),
			 -EINVAL);
	ck_assert_str_eq(fault.msg, "kernel 'q' requires a work-group of "
				    "64,2,1");
	run_ok(&b, a, 2, &nd);
	for (int r = 0; r < H; r++)
		for (int x = 0; x < W; x++) {
			int i = r * W + x;
			ck_assert_float_eq(y[i], 2.0f * (float)i);
			ck_assert_int_eq(o[i], 64 * 1000000 + 2 * 10000 + 1000 +
						   (r % 2) * 100 +
						   (r / 2) * 10 + x / 64);
		}
	unbuild(&b);
}
END_TEST

/* A 128-bit instruction (wg_hoist.c's exact arithmetic). */
static bool wide_inst(const char *line)
{
	return strstr(line, " = ") && strstr(line, " i128 ");
}

/* The hoisted checks (of saxpy, square, rows: offsets affine in one or
 * two local ids) are computed at the box's corners, each operation once
 * where a corner's operands are the origin's: 131 instructions of 128
 * bits before optimization, 540 when each corner had its own copy. */
START_TEST(hoisted_check_corners_shared)
{
	ck_assert_int_le(dumped_count(user_saxpy_src, "rows", "pre", wide_inst),
			 200);
}
END_TEST

/* A module's first line in the dump. */
static bool module_start(const char *line)
{
	return strncmp(line, "; ModuleID", 10) == 0;
}

/* Each kernel is a unit of its own, with the helpers it calls
 * (jit_compile.c: the units compile side by side); a helper two kernels
 * call is in both, one no kernel calls in the first; every kernel runs
 * right. */
START_TEST(kernel_per_unit)
{
	static const char src[] =
	    "int twice(int x) { return 2 * x; }\n"
	    "int unused(int x) { return x - 1; }\n"
	    "__kernel void k1(__global int *a) {\n"
	    "	int i = get_global_id(0); a[i] = twice(i); }\n"
	    "__kernel void k2(__global int *a) {\n"
	    "	int i = get_global_id(0); a[i] = twice(i) + 1; }\n"
	    "__kernel void k3(__global int *a) {\n"
	    "	int i = get_global_id(0); a[i] = 3 * i; }\n";
	ck_assert_int_eq(optimized_count(src, "k1", module_start), 3);
	struct built b;
	build(&b, src, NULL, "k1");
	static const char *names[] = {"k1", "k2", "k3"};
	for (int k = 0; k < 3; k++) {
		int a[100];
		memset(a, 0xff, sizeof(a));
		struct vjit_arg args[1] = {{a, sizeof(a)}};
		struct vjit_ndrange nd = range1(100, 0);
		b.kernel = vjit_kernel_index(b.p, names[k]);
		ck_assert_int_ge(b.kernel, 0);
		vjit_choose_local(b.p, b.kernel, &nd);
		run_ok(&b, args, 1, &nd);
		for (int i = 0; i < 100; i++)
			ck_assert_int_eq(a[i], k == 0	? 2 * i
					       : k == 1 ? 2 * i + 1
							: 3 * i);
	}
	unbuild(&b);
}
END_TEST

/* Ten kernels, units compiled side by side in halves (jit_compile.c):
 * kernel k stores k * i + k, some through a helper they share, one with
 * a barrier and __local memory; every one runs right. */
START_TEST(many_kernel_units)
{
	enum { KERNELS = 10, N = 300 };
	char src[4096];
	size_t n = (size_t)snprintf(
	    src, sizeof(src),
	    "int affine(int k, int i) { return k * i + k; }\n"
	    "__kernel void k0(__global int *a, __local int *t) {\n"
	    "	int i = get_global_id(0), l = get_local_id(0);\n"
	    "	t[l] = i; barrier(CLK_LOCAL_MEM_FENCE);\n"
	    "	a[i] = t[get_local_size(0) - 1 - l] * 0; }\n");
	for (int k = 1; k < KERNELS; k++)
		n += (size_t)snprintf(
		    src + n, sizeof(src) - n,
		    k % 2 ? "__kernel void k%d(__global int *a, __local int "
			    "*t) {\n	int i = get_global_id(0);\n"
			    "	a[i] = affine(%d, i); }\n"
			  : "__kernel void k%d(__global int *a, __local int "
			    "*t) {\n	int i = get_global_id(0);\n"
			    "	a[i] = %d * i + %d; }\n",
		    k, k, k);
	ck_assert_uint_lt(n, sizeof(src));
	struct built b;
	build(&b, src, NULL, "k0");
	for (int k = 0; k < KERNELS; k++) {
		char name[16];
		snprintf(name, sizeof(name), "k%d", k);
		int a[N];
		memset(a, 0xff, sizeof(a));
		struct vjit_arg args[2] = {{a, sizeof(a)}, {NULL, 16 * 4}};
		struct vjit_ndrange nd = range1(N, 15);
		b.kernel = vjit_kernel_index(b.p, name);
		ck_assert_int_ge(b.kernel, 0);
		run_ok(&b, args, 2, &nd);
		for (int i = 0; i < N; i++)
			ck_assert_msg(a[i] == k * i + k, "%s: a[%d] = %d", name,
				      i, a[i]);
	}
	unbuild(&b);
}
END_TEST

/* Odd sizes, global offsets and group sizes against C; the unchecked
 * copy of the loop is the one that ran (plain vector stores). */
START_TEST(hoisted_saxpy)
{
	ck_assert(optimized_has(user_saxpy_src, "saxpy", plain_vector_store));
	struct built b;
	build(&b, user_saxpy_src, NULL, "saxpy");
	static const uint64_t sizes[] = {1, 7, 64, 1000, 4099};
	static const uint64_t offsets[] = {0, 3, 1000};
	for (size_t si = 0; si < 5; si++)
		for (size_t oi = 0; oi < 3; oi++) {
			uint64_t n = sizes[si], off = offsets[oi];
			uint64_t len = n + off;
			float *x = malloc(len * 4), *y = malloc(len * 4),
			      *ref = malloc(len * 4), a = -1.5f;
			unsigned seed = (unsigned)(n + off);
			for (uint64_t i = 0; i < len; i++) {
				x[i] = frand(&seed);
				y[i] = ref[i] = frand(&seed);
			}
			for (uint64_t i = off; i < len; i++)
				ref[i] = a * x[i] + ref[i];
			struct vjit_arg args[3] = {
			    {&a, 0}, {x, len * 4}, {y, len * 4}};
			struct vjit_ndrange nd = range1(n, 0);
			nd.offset[0] = off;
			vjit_choose_local(b.p, b.kernel, &nd);
			run_ok(&b, args, 3, &nd);
			for (uint64_t i = 0; i < len; i++)
				ck_assert_msg(fabsf(y[i] - ref[i]) <=
						  1e-6f * (1 + fabsf(ref[i])),
					      "n %llu off %llu: y[%llu] = %g, "
					      "want %g",
					      (unsigned long long)n,
					      (unsigned long long)off,
					      (unsigned long long)i, y[i],
					      ref[i]);
			free(x), free(y), free(ref);
		}
	/* 2-D, rows of w with a group of 8x2: affine in both ids */
	b.kernel = vjit_kernel_index(b.p, "rows");
	enum { W = 24, H = 6 };
	float m[W * H];
	for (int i = 0; i < W * H; i++)
		m[i] = 0.5f;
	int w = W;
	struct vjit_arg rargs[2] = {{m, sizeof(m)}, {&w, 0}};
	struct vjit_ndrange nd = {2, {W, H, 1}, {8, 2, 1}, {0}};
	run_ok(&b, rargs, 2, &nd);
	for (int r = 0; r < H; r++)
		for (int x = 0; x < W; x++)
			ck_assert(m[r * W + x] == 0.5f + (float)(r * 1000 + x));
	unbuild(&b);
}
END_TEST

/* A transpose through a __local tile in groups of the kernel's required
 * size (not square: 8x4, tiles of 8 rows of 8), with the group size read
 * back through get_local_size. */
static const char reqd_transpose_src[] =
    "__kernel __attribute__((reqd_work_group_size(8, 4, 1)))\n"
    "void tr(const int w, const int h, __global const float *in,\n"
    "	__global float *out, __global int *sizes)\n"
    "{\n"
    "	__local float tile[8][9];\n"
    "	const int lx = get_local_id(0), ly = get_local_id(1);\n"
    "	const int lw = get_local_size(0), lh = get_local_size(1);\n"
    "	int x = get_group_id(0) * lw + lx;\n"
    "	for (int r = ly; r < 8; r += lh) {\n"
    "		int y = get_group_id(1) * 8 + r;\n"
    "		if (x < w && y < h)\n"
    "			tile[r][lx] = in[y * w + x];\n"
    "	}\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	x = get_group_id(1) * 8 + lx;\n"
    "	for (int r = ly; r < 8; r += lh) {\n"
    "		int y = get_group_id(0) * lw + r;\n"
    "		if (x < h && y < w)\n"
    "			out[y * h + x] = tile[lx][r];\n"
    "	}\n"
    "	int g = get_global_id(1) * get_global_size(0) + get_global_id(0);\n"
    "	sizes[g] = lw * 100 + lh * 10 + (int)get_local_size(2);\n"
    "}\n";

/* A load of the run-time block's local sizes (struct vjit_rt, bytes 24,
 * 32, 40 of the group function's parameter). */
static bool local_size_load(const char *line)
{
	return strstr(line, "ptr %0, i64 24") ||
	       strstr(line, "ptr %0, i64 32") || strstr(line, "ptr %0, i64 40");
}

/* reqd_work_group_size makes the group's size a constant of the code
 * (LLVM knows the work-item loops' trip counts: the transpose's x loop
 * one vector step or unrolled, not a vector loop with a remainder), and
 * the kernel still runs right: matrices whose sides are not multiples of
 * the tile, the sizes get_local_size gives. */
START_TEST(reqd_size_constant)
{
	ck_assert(!optimized_has(reqd_transpose_src, "tr", local_size_load));
	ck_assert(optimized_has(user_saxpy_src, "saxpy", local_size_load));
	struct built b;
	build(&b, reqd_transpose_src, NULL, "tr");
	static const int shapes[][2] = {{8, 8}, {19, 5}, {5, 27}, {64, 40}};
	for (size_t k = 0; k < 4; k++) {
		int w = shapes[k][0], h = shapes[k][1];
		/* groups of 8x4 cover tiles of 8x8: y by 8 per group */
		uint64_t gx = (uint64_t)(w + 7) / 8 * 8,
			 gy = (uint64_t)(h + 7) / 8 * 4;
		float *in = malloc((size_t)w * h * 4),
		      *out = malloc((size_t)w * h * 4 + 4);
		int *sizes = malloc(gx * gy * sizeof(int));
		for (int i = 0; i < w * h; i++)
			in[i] = (float)i;
		for (int i = 0; i <= w * h; i++)
			out[i] = -1.0f;
		struct vjit_arg args[5] = {{&w, 0},
					   {&h, 0},
					   {in, (uint64_t)w * h * 4},
					   {out, (uint64_t)w * h * 4},
					   {sizes, gx * gy * sizeof(int)}};
		struct vjit_ndrange nd = {2, {gx, gy, 1}, {8, 4, 1}, {0}};
		run_ok(&b, args, 5, &nd);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				ck_assert_msg(out[x * h + y] == in[y * w + x],
					      "%dx%d: out[%d][%d] = %g", w, h,
					      x, y, out[x * h + y]);
		ck_assert(out[w * h] == -1.0f);
		for (uint64_t i = 0; i < gx * gy; i++)
			ck_assert_int_eq(sizes[i], 841);
		/* a global offset moves get_global_id (the group's base
		 * from the constant size), not the group ids */
		uint64_t n = (gy + 4) * gx + gx + 8;
		int *moved = calloc(n, sizeof(int));
		args[4] = (struct vjit_arg){moved, n * sizeof(int)};
		nd.offset[0] = 8;
		nd.offset[1] = 4;
		run_ok(&b, args, 5, &nd);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t x = i % gx, y = i / gx;
			bool in_range = y >= 4 && y < gy + 4 && x >= 8;
			/* gid1 * gx + gid0 with gid0 up to gx + 7 */
			bool hit = in_range || (y >= 5 && y < gy + 5 && x < 8);
			ck_assert_msg(moved[i] == (hit ? 841 : 0),
				      "%dx%d offset: [%llu] = %d", w, h,
				      (unsigned long long)i, moved[i]);
		}
		free(in), free(out), free(sizes), free(moved);
	}
	/* any other group size is refused, as before */
	int w = 8, h = 8;
	float m[64], o[64];
	int sz[64];
	struct vjit_arg args[5] = {
	    {&w, 0}, {&h, 0}, {m, sizeof(m)}, {o, sizeof(o)}, {sz, sizeof(sz)}};
	struct vjit_ndrange nd = {2, {8, 8, 1}, {8, 8, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(vjit_check_launch(b.p, b.kernel, args, 5, &nd, &fault),
			 -EINVAL);
	/* and running its groups without the check (the code's loops and
	 * context are of 8x4) */
	ck_assert_int_eq(vjit_run_groups(b.p, b.kernel, args, &nd, 0, 1,
					 &jit_never_stop, &fault),
			 -EINVAL);
	ck_assert_msg(strstr(fault.msg, "requires a work-group of 8,4,1"), "%s",
		      fault.msg);
	unbuild(&b);
}
END_TEST

/* One work-item out of range: the group runs the checked loop, and the
 * launch faults as every checked access does (the message, what ran). */
START_TEST(hoisted_fault)
{
	struct built b;
	build(&b, user_saxpy_src, NULL, "saxpy");
	enum { N = 64 };
	float mem[N + 8], a = 2.0f, x[N];
	for (int i = 0; i < N; i++)
		x[i] = (float)i;
	for (int i = 0; i < N + 8; i++)
		mem[i] = 1.0f;
	/* y holds N - 1 floats: work-item N - 1 writes past it */
	struct vjit_arg args[3] = {{&a, 0}, {x, sizeof(x)}, {mem, (N - 1) * 4}};
	struct vjit_ndrange nd = range1(N, 16);
	struct vjit_fault fault;
	ck_assert_int_eq(launch(&b, args, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "kernel 'saxpy': access out of bounds "
					"of parameter 'y' (252 bytes) at "
					"byte offset 252"),
		      "%s", fault.msg);
	for (int i = 0; i < N - 1; i++) /* every group before ran */
		ck_assert_msg(mem[i] == 2.0f * (float)i + 1.0f, "y[%d] = %g", i,
			      mem[i]);
	for (int i = N - 1; i < N + 8; i++) /* the bad access did nothing */
		ck_assert_msg(mem[i] == 1.0f, "mem[%d] = %g", i, mem[i]);
	/* a global offset that puts the first work-item before x */
	nd.offset[0] = (uint64_t)-1 >> 2;
	ck_assert_int_eq(launch(&b, args, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'x'"), "%s", fault.msg);

	/* not affine (i * i): checked per access */
	b.kernel = vjit_kernel_index(b.p, "square");
	for (int i = 0; i < N + 8; i++)
		mem[i] = 0.0f;
	struct vjit_arg sargs[1] = {{mem, 50 * 4}};
	nd = range1(16, 16);
	ck_assert_int_eq(launch(&b, sargs, 1, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (200 bytes) at byte "
					"offset 256"),
		      "%s", fault.msg);
	for (int i = 0; i < N + 8; i++) {
		int r = (int)sqrt((double)i);
		bool square = r * r == i && i < 50;
		ck_assert_msg(mem[i] == (square ? 1.0f : 0.0f), "mem[%d] = %g",
			      i, mem[i]);
	}
	unbuild(&b);
}
END_TEST

static const char hoist_more_src[] =
    "__kernel void rowsum(__global const float *m, __global float *out,\n"
    "		     int w, int cols)\n"
    "{\n"
    "	int r = get_global_id(0);\n"
    "	float s = 0.0f;\n"
    "	for (int k = 0; k < cols; k++)\n"
    "		s += m[r * w + k];\n"
    "	out[r] = s;\n"
    "}\n"
    "__kernel void maybe(__global float *y, int k)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	int j = i + k;\n"
    "	if (k > 4)\n"
    "		j = i;\n"
    "	y[j] = 1.0f;\n"
    "}\n"
    "__kernel void shift(__global float *y, __local float *t, int k)\n"
    "{\n"
    "	const int l = get_local_id(0), g = get_global_id(0);\n"
    "	t[l] = y[g];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	y[g + k] = t[l] * 2.0f;\n"
    "}\n"
    "__kernel void late(__global float *y, int c)\n"
    "{\n"
    "	int x;\n"
    "	if (c) {\n"
    "		x = get_local_id(0) + 5;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	}\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	y[x - 5] = 1.0f;\n"
    "}\n";

/* Checks made before the work-item loop from loop counters, from a
 * variable's last store and from variables kept across a barrier: right
 * in bounds, and out of bounds the same fault as checked per access. */
START_TEST(hoisted_loops)
{
	struct built b;
	build(&b, hoist_more_src, NULL, "rowsum");
	enum { R = 32, W = 8 };
	float m[R * W], out[R];
	for (int i = 0; i < R * W; i++)
		m[i] = (float)(i % 13);
	int w = W, cols = W;
	struct vjit_arg args[4] = {
	    {m, sizeof(m)}, {out, sizeof(out)}, {&w, 0}, {&cols, 0}};
	struct vjit_ndrange nd = range1(R, 8);
	run_ok(&b, args, 4, &nd);
	for (int r = 0; r < R; r++) {
		float want = 0;
		for (int k = 0; k < W; k++)
			want += m[r * W + k];
		ck_assert_msg(out[r] == want, "out[%d] = %g", r, out[r]);
	}
	/* the last row's last load is past m: its group runs checked */
	cols = W + 1;
	for (int r = 0; r < R; r++)
		out[r] = -1.0f;
	struct vjit_fault fault;
	ck_assert_int_eq(launch(&b, args, 4, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'm' (1024 bytes) at byte "
					"offset 1024"),
		      "%s", fault.msg);
	for (int r = 0; r < R; r++) {
		float want = 0;
		for (int k = 0; k < W + 1; k++)
			want += r * W + k < R * W ? m[r * W + k] : 0.0f;
		ck_assert_msg(out[r] == want, "out[%d] = %g, want %g", r,
			      out[r], want);
	}

	/* j's last store is conditional: its value is not known */
	b.kernel = vjit_kernel_index(b.p, "maybe");
	float y[20];
	for (int i = 0; i < 20; i++)
		y[i] = 0.0f;
	int k = 1;
	struct vjit_arg margs[2] = {{y, 16 * 4}, {&k, 0}};
	nd = range1(16, 16);
	ck_assert_int_eq(launch(&b, margs, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (64 bytes) at byte "
					"offset 64"),
		      "%s", fault.msg);
	for (int i = 0; i < 20; i++)
		ck_assert_msg(y[i] == (i >= 1 && i < 16 ? 1.0f : 0.0f),
			      "y[%d] = %g", i, y[i]);

	/* l and g kept across the barrier */
	b.kernel = vjit_kernel_index(b.p, "shift");
	for (int i = 0; i < 20; i++)
		y[i] = (float)i;
	k = 0;
	struct vjit_arg sargs[3] = {{y, 16 * 4}, {NULL, 8 * 4}, {&k, 0}};
	nd = range1(16, 8);
	run_ok(&b, sargs, 3, &nd);
	for (int i = 0; i < 20; i++)
		ck_assert_msg(y[i] == (i < 16 ? 2.0f * (float)i : (float)i),
			      "y[%d] = %g", i, y[i]);
	k = 1;
	ck_assert_int_eq(launch(&b, sargs, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (64 bytes) at byte "
					"offset 64"),
		      "%s", fault.msg);
	ck_assert(y[16] == 16.0f);

	/* x stored only when c: 0 otherwise, whatever its one store says */
	b.kernel = vjit_kernel_index(b.p, "late");
	float z[24];
	for (int i = 0; i < 24; i++)
		z[i] = 0.0f;
	int c = 0;
	struct vjit_arg largs[2] = {{z + 8, 8 * 4}, {&c, 0}};
	nd = range1(8, 8);
	ck_assert_int_eq(launch(&b, largs, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "byte offset -20"), "%s", fault.msg);
	for (int i = 0; i < 24; i++)
		ck_assert_msg(z[i] == 0.0f, "z[%d] = %g", i, z[i]);
	unbuild(&b);
}
END_TEST

static const char hoist_bitwise_src[] =
    "__kernel void flip(__global float *y, const uint j)\n"
    "{\n"
    "	const uint i = get_global_id(0);\n"
    "	y[i ^ j] = (float)i;\n"
    "}\n"
    "__kernel void masked(__global float *y, const uint m, const uint o)\n"
    "{\n"
    "	const uint i = get_global_id(0);\n"
    "	y[(i & m) | o] += 1.0f;\n"
    "}\n"
    "__kernel void halves(__global float *y, const int s)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	y[(i >> 1) + s] += 1.0f;\n"
    "}\n"
    "__kernel void signed_flip(__global float *y)\n"
    "{\n"
    "	const int i = (int)get_global_id(0) - 4;\n"
    "	y[(i ^ 1) + 4] = (float)i;\n"
    "}\n";

/* A line of the code that starts with PREFIX. */
static const char *line_prefix;
static bool starts_with_prefix(const char *line)
{
	return strncmp(line, line_prefix, strlen(line_prefix)) == 0;
}

/* Indices made with ^, &, | and >> of a local id: bounded before the
 * loop (wg_hoist.c's emit_bitwise), so the group runs an unchecked copy;
 * right in bounds, and out of bounds the same fault as checked per
 * access. */
START_TEST(hoisted_bitwise)
{
	line_prefix = "wi.unchecked";
	static const char *const names[] = {"flip", "masked", "halves"};
	for (int k = 0; k < 3; k++)
		ck_assert_msg(dumped_count(hoist_bitwise_src, names[k], "pre",
					   starts_with_prefix) > 0,
			      "%s: no unchecked copy", names[k]);
	struct built b;
	build(&b, hoist_bitwise_src, NULL, "flip");
	enum { N = 64 };
	float y[N + 8];
	struct vjit_fault fault;
	unsigned j = 5;
	struct vjit_arg args[2] = {{y, N * 4}, {&j, 0}};
	struct vjit_ndrange nd = range1(N, 16);
	for (int i = 0; i < N + 8; i++)
		y[i] = -1.0f;
	run_ok(&b, args, 2, &nd);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == (i < N ? (float)(i ^ 5) : -1.0f),
			      "y[%d] = %g", i, y[i]);
	/* i ^ 64 = i + 64: every one past y, nothing written */
	j = 64;
	for (int i = 0; i < N + 8; i++)
		y[i] = -1.0f;
	ck_assert_int_eq(launch(&b, args, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "kernel 'flip': access out of bounds "
					"of parameter 'y' (256 bytes) at byte "
					"offset 256"),
		      "%s", fault.msg);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == -1.0f, "y[%d] = %g", i, y[i]);
	/* y of 60 floats: the last group's 60 ^ 1 = 61 and 61 ^ 1 = 60 out */
	j = 1;
	args[0].size = 60 * 4;
	ck_assert_int_eq(launch(&b, args, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "(240 bytes) at byte offset 240"), "%s",
		      fault.msg);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == (i < 60 ? (float)(i ^ 1) : -1.0f),
			      "y[%d] = %g", i, y[i]);

	/* (i & 0x30) | 3: 3, 19, 35, 51 sixteen times each */
	b.kernel = vjit_kernel_index(b.p, "masked");
	unsigned m = 0x30, o = 3;
	struct vjit_arg margs[3] = {{y, N * 4}, {&m, 0}, {&o, 0}};
	for (int i = 0; i < N + 8; i++)
		y[i] = 0.0f;
	run_ok(&b, margs, 3, &nd);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == ((i & 15) == 3 && i < N ? 16.0f : 0.0f),
			      "y[%d] = %g", i, y[i]);
	/* y of 50 floats: the last group's 51 is out */
	margs[0].size = 50 * 4;
	ck_assert_int_eq(launch(&b, margs, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (200 bytes) at byte "
					"offset 204"),
		      "%s", fault.msg);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == ((i & 15) == 3 && i < 50 ? 32.0f
				       : i == 51	       ? 16.0f
							       : 0.0f),
			      "y[%d] = %g", i, y[i]);

	/* (i >> 1) + s: each of 32 twice */
	b.kernel = vjit_kernel_index(b.p, "halves");
	int s = 2;
	struct vjit_arg hargs[2] = {{y, 34 * 4}, {&s, 0}};
	for (int i = 0; i < N + 8; i++)
		y[i] = 0.0f;
	run_ok(&b, hargs, 2, &nd);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == (i >= 2 && i < 34 ? 2.0f : 0.0f),
			      "y[%d] = %g", i, y[i]);
	s = 3;
	ck_assert_int_eq(launch(&b, hargs, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "(136 bytes) at byte offset 136"), "%s",
		      fault.msg);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == (i == 2		  ? 2.0f
				       : i >= 3 && i < 34 ? 4.0f
							  : 0.0f),
			      "y[%d] = %g", i, y[i]);

	/* negative i: not bounded (the group runs checked), still right */
	b.kernel = vjit_kernel_index(b.p, "signed_flip");
	struct vjit_arg sargs[1] = {{y, 16 * 4}};
	nd = range1(12, 12);
	for (int i = 0; i < N + 8; i++)
		y[i] = 0.5f;
	run_ok(&b, sargs, 1, &nd);
	for (int i = 0; i < N + 8; i++)
		ck_assert_msg(y[i] == (i < 12 ? (float)(((i - 4) ^ 1)) : 0.5f),
			      "y[%d] = %g", i, y[i]);
	unbuild(&b);
}
END_TEST

static const char hoist_tree_src[] =
    "__kernel void tree(__global float *out, __local float *t, uint n)\n"
    "{\n"
    "	const uint lid = get_local_id(0);\n"
    "	t[lid] = out[get_global_id(0)];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (uint s = n; s > 0; s >>= 1) {\n"
    "		if (lid < s)\n"
    "			t[lid] += t[lid + s];\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	}\n"
    "	if (lid == 0)\n"
    "		out[get_group_id(0)] = t[0];\n"
    "}\n";
static const char hoist_uniform_src[] =
    "__kernel void skip(__global float *y, __local int *flag)\n"
    "{\n"
    "	const uint lid = get_local_id(0);\n"
    "	uint s = 1000;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < 1; k++) {\n"
    "		if (flag[0])\n"
    "			break;\n"
    "		flag[0] = 1;\n"
    "		s = 0;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	}\n"
    "	y[lid + s] = 1.0f;\n"
    "}\n"
    "__kernel void divergent(__global float *y, __local float *t)\n"
    "{\n"
    "	const uint lid = get_local_id(0);\n"
    "	uint s = 0;\n"
    "	if (lid == 3)\n"
    "		s = 100;\n"
    "	t[lid] = 1.0f;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	y[lid + s] = t[lid];\n"
    "}\n"
    "__kernel void below(__global float *y, __local float *t, int k)\n"
    "{\n"
    "	const int g = get_global_id(0), lid = get_local_id(0);\n"
    "	t[lid] = 2.0f;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	if (k > g)\n"
    "		y[g + 8] = t[lid];\n"
    "}\n";

/* A tree in __local memory whose rounds' `t[lid + s]`, under `lid < s`
 * with s the same in every work-item, is checked once per group
 * (wg_hoist.c: uniform slots, the local id bounded by the if): 7 checks
 * left in the optimized code, 12 when it stayed in the unchecked copy
 * too. Right, and out of
 * bounds (s too large) the fault of a checked access; a variable stored
 * under a divergent if is not taken as the same in every work-item. */
START_TEST(hoisted_uniform_and_guard)
{
	line_prefix = "  %ok"; /* a check's compare (codegen_mem.c) */
	ck_assert_int_le(
	    dumped_count(hoist_tree_src, "tree", "opt", starts_with_prefix), 9);
	struct built b;
	build(&b, hoist_tree_src, NULL, "tree");
	enum { N = 64, L = 16 };
	float out[N], want[N / L];
	unsigned n = L / 2;
	struct vjit_arg args[3] = {{out, sizeof(out)}, {NULL, L * 4}, {&n, 0}};
	struct vjit_ndrange nd = range1(N, L);
	for (int i = 0; i < N; i++)
		out[i] = (float)(i % 7);
	for (int g = 0; g < N / L; g++) {
		want[g] = 0;
		for (int i = 0; i < L; i++)
			want[g] += out[g * L + i];
	}
	run_ok(&b, args, 3, &nd);
	for (int g = 0; g < N / L; g++)
		ck_assert_msg(out[g] == want[g], "out[%d] = %g, want %g", g,
			      out[g], want[g]);
	/* s = L: t[lid + s] past t in the first round */
	n = L;
	struct vjit_fault fault;
	ck_assert_int_eq(launch(&b, args, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "kernel 'tree': access out of bounds "
					"of parameter 't' (64 bytes) at byte "
					"offset 64"),
		      "%s", fault.msg);

	unbuild(&b);

	/* memory the verifier takes as uniform: work-item 0 stores s = 0,
	 * the others break before it and keep 1000 (y[1001], past y, not
	 * written: y is the first 16 of z) */
	build(&b, hoist_uniform_src, NULL, "skip");
	float z[1100];
	for (int i = 0; i < 1100; i++)
		z[i] = 0.0f;
	struct vjit_arg kargs[2] = {{z, L * 4}, {NULL, 4}};
	nd = range1(L, L);
	ck_assert_int_eq(launch(&b, kargs, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (64 bytes) at byte "
					"offset 4004"),
		      "%s", fault.msg);
	for (int i = 0; i < 1100; i++)
		ck_assert_msg(z[i] == (i == 0 ? 1.0f : 0.0f), "z[%d] = %g", i,
			      z[i]);

	/* s is 100 in work-item 3 only: its store faults */
	b.kernel = vjit_kernel_index(b.p, "divergent");
	float y[L + 8];
	for (int i = 0; i < L + 8; i++)
		y[i] = 0.0f;
	struct vjit_arg dargs[2] = {{y, L * 4}, {NULL, L * 4}};
	nd = range1(L, L);
	ck_assert_int_eq(launch(&b, dargs, 2, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (64 bytes) at byte "
					"offset 412"),
		      "%s", fault.msg);
	for (int i = 0; i < L + 8; i++)
		ck_assert_msg(y[i] == (i < L && i != 3 ? 1.0f : 0.0f),
			      "y[%d] = %g", i, y[i]);

	/* g < k: y[g + 8] within y for k <= 8; with k = 9, g = 8 writes
	 * y[16], past it */
	b.kernel = vjit_kernel_index(b.p, "below");
	int k = 8;
	struct vjit_arg bargs[3] = {{y, L * 4}, {NULL, L * 4}, {&k, 0}};
	for (int i = 0; i < L + 8; i++)
		y[i] = 0.0f;
	run_ok(&b, bargs, 3, &nd);
	for (int i = 0; i < L + 8; i++)
		ck_assert_msg(y[i] == (i >= 8 && i < L ? 2.0f : 0.0f),
			      "y[%d] = %g", i, y[i]);
	k = 9;
	ck_assert_int_eq(launch(&b, bargs, 3, &nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, "parameter 'y' (64 bytes) at byte "
					"offset 64"),
		      "%s", fault.msg);
	/* k negative: nothing runs the store */
	k = -5;
	run_ok(&b, bargs, 3, &nd);
	unbuild(&b);
}
END_TEST

static const char odd_src[] =
    "void add_at(__global float *p, int i, float v)\n"
    "{\n"
    "	p[i] += v;\n"
    "}\n"
    "\n"
    "int classify(int v)\n"
    "{\n"
    "	switch (v % 4) {\n"
    "	case 0:\n"
    "		return 10;\n"
    "	case 1:\n"
    "	case 2:\n"
    "		v += 100;\n"
    "		break;\n"
    "	default:\n"
    "		return -1;\n"
    "	}\n"
    "	return v;\n"
    "}\n"
    "\n"
    "__kernel void odd(__global float *a, __global float *b, __global int *c,\n"
    "		  int d)\n"
    "{\n"
    "	int i = get_global_id(0);\n"
    "	__global float *p = (i & 1) ? a : b;\n"
    "	add_at(p, i, (float)get_global_size(d));\n"
    "	for (;;) {\n"
    "		c[i] = classify(i);\n"
    "		break;\n"
    "	}\n"
    "	if (i > 1000)\n"
    "		return;\n"
    "	c[i] += 1;\n"
    "	return;\n"
    "	c[i] = 0;\n"
    "}\n"
    "\n";

/* Shapes the lowering makes that the other kernels do not: a pointer
 * chosen by ?: passed to a helper, a switch with fall-through and returns
 * in a helper, a loop left at once, code after a return, a work-item
 * query whose dimension is not a constant. */
START_TEST(odd_shapes)
{
	struct built b;
	build(&b, odd_src, NULL, "odd");
	enum { N = 64 };
	float a[N], bb[N];
	int c[N];
	for (int i = 0; i < N; i++)
		a[i] = bb[i] = (float)i;
	for (int d = 0; d < 4; d++) {
		struct vjit_arg args[4] = {
		    {a, sizeof(a)}, {bb, sizeof(bb)}, {c, sizeof(c)}, {&d, 0}};
		struct vjit_ndrange nd = range1(N, 16);
		run_ok(&b, args, 4, &nd);
		float add = d == 0 ? (float)N : 1.0f;
		for (int i = 0; i < N; i++) {
			float *p = (i & 1) ? a : bb;
			float *q = (i & 1) ? bb : a;
			float before = (float)i;
			for (int k = 0; k < d; k++)
				before += k == 0 ? (float)N : 1.0f;
			ck_assert_msg(p[i] == before + add,
				      "d %d: [%d] = %g, want %g", d, i, p[i],
				      before + add);
			ck_assert(q[i] == (float)i);
			int want = i % 4 == 0 ? 10 : i % 4 == 3 ? -1 : i + 100;
			ck_assert_int_eq(c[i], want + 1);
		}
	}
	unbuild(&b);
}
END_TEST

/* Hand-built IR (users may write IR): an SSA value, a pointer and a
 * checked pointer defined before a barrier and used after it, which the
 * lowering never makes (its variables go through slots). */
static uint32_t emit(struct vcl_ir_module *m, struct vcl_ir_function *f,
		     enum vcl_ir_op op, vcl_ir_type t, uint32_t a, uint32_t b,
		     uint64_t imm, uint64_t imm2)
{
	struct vcl_ir_inst *i = vcl_ir_append(m, &f->body, op, t);
	ck_assert(i);
	i->a = a;
	i->b = b;
	i->imm = imm;
	i->imm2 = imm2;
	if (t != VCL_IR_VOID)
		i->id = f->nvalues++;
	return i->id;
}

START_TEST(values_across_barriers)
{
	const vcl_ir_type i32 = VCL_IR_TYPE(VCL_IR_I32, 0, 0),
			  i64 = VCL_IR_TYPE(VCL_IR_I64, 0, 0),
			  gptr = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_GLOBAL),
			  vd = VCL_IR_VOID;
	struct vcl_ir_module *m = vcl_ir_new(1);
	ck_assert(m);
	m->major = VCL_IR_MAJOR;
	m->minor = VCL_IR_MINOR;
	struct vcl_ir_function *f = vcl_ir_add_function(m, "k", 1);
	ck_assert(f);
	f->is_kernel = true;
	f->ret = vd;
	f->params[0] = (struct vcl_ir_param){"out", gptr, true};
	uint32_t zero =
	    emit(m, f, VCL_IR_CONST, i32, VCL_IR_NONE, VCL_IR_NONE, 0, 0);
	uint32_t lid =
	    emit(m, f, VCL_IR_WI, i64, zero, VCL_IR_NONE, VCL_WI_LOCAL_ID, 0);
	uint32_t gid =
	    emit(m, f, VCL_IR_WI, i64, zero, VCL_IR_NONE, VCL_WI_GLOBAL_ID, 0);
	uint32_t three =
	    emit(m, f, VCL_IR_CONST, i64, VCL_IR_NONE, VCL_IR_NONE, 3, 0);
	uint32_t v = emit(m, f, VCL_IR_MUL, i64, lid, three, 0, 0);
	uint32_t eight =
	    emit(m, f, VCL_IR_CONST, i64, VCL_IR_NONE, VCL_IR_NONE, 8, 0);
	uint32_t off = emit(m, f, VCL_IR_MUL, i64, gid, eight, 0, 0);
	uint32_t p = emit(m, f, VCL_IR_PTRADD, gptr, 0, off, 0, 0);
	uint32_t chk = emit(m, f, VCL_IR_CHECK, gptr, p, VCL_IR_NONE, 8, 8);
	emit(m, f, VCL_IR_BARRIER, vd, VCL_IR_NONE, VCL_IR_NONE, 1, 0);
	emit(m, f, VCL_IR_STORE, vd, chk, v, 0, 0);
	emit(m, f, VCL_IR_BARRIER, vd, VCL_IR_NONE, VCL_IR_NONE, 1, 0);
	uint32_t chk2 = emit(m, f, VCL_IR_CHECK, gptr, p, VCL_IR_NONE, 8, 8);
	uint32_t old = emit(m, f, VCL_IR_LOAD, i64, chk2, VCL_IR_NONE, 0, 0);
	uint32_t sum = emit(m, f, VCL_IR_ADD, i64, old, gid, 0, 0);
	emit(m, f, VCL_IR_STORE, vd, chk, sum, 0, 0);
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	char diags[2048];
	bool ok = vcl_ir_verify(m, &d);
	cc_format_diags(&d, diags, sizeof(diags));
	ck_assert_msg(ok, "%s", diags);
	vcl_diags_free(&d);
	struct built b = {.m = m};
	char msg[VJIT_MSG_MAX];
	ck_assert_msg(vjit_compile(m, &b.p, msg) == 0, "%s", msg);
	uint64_t out[32];
	struct vjit_arg args[1] = {{out, sizeof(out)}};
	struct vjit_ndrange nd = range1(32, 8);
	run_ok(&b, args, 1, &nd);
	for (uint64_t i = 0; i < 32; i++)
		ck_assert_msg(out[i] == 3 * (i % 8) + i, "out[%llu] = %llu",
			      (unsigned long long)i,
			      (unsigned long long)out[i]);
	vjit_program_free(b.p);
	vcl_ir_free(m);
}
END_TEST

/* Private arrays in a chain of calls: each function's are within the
 * type checker's bound, the chain's stack is not. */
static const char deep_stack_src[] =
    "int h0(int i) { int a[16000]; a[i] = i; return a[i / 2]; }\n"
    "int h1(int i) { int a[16000]; a[i] = h0(i); return a[i / 2]; }\n"
    "int h2(int i) { int a[16000]; a[i] = h1(i); return a[i / 2]; }\n"
    "int h3(int i) { int a[16000]; a[i] = h2(i); return a[i / 2]; }\n"
    "int h4(int i) { int a[16000]; a[i] = h3(i); return a[i / 2]; }\n"
    "int h5(int i) { int a[16000]; a[i] = h4(i); return a[i / 2]; }\n"
    "int h6(int i) { int a[16000]; a[i] = h5(i); return a[i / 2]; }\n"
    "int h7(int i) { int a[16000]; a[i] = h6(i); return a[i / 2]; }\n"
    "int h8(int i) { int a[16000]; a[i] = h7(i); return a[i / 2]; }\n"
    "__kernel void k(__global int *p) { p[0] = h8(get_global_id(0)); }\n";

/*
 * Private variables recomputed after a barrier rather than kept per
 * work-item (jit/wg_remat.c): each segment must see what the slot holds
 * there. `early` is read in the segment before its one store (its zero,
 * not the stored value), `late` stored in the second segment, `g` built from
 * `lx` and a parameter, `v` stored inside a group-level loop (kept), and
 * `w` stored twice (kept).
 */
static const char remat_src[] =
    "__kernel void k(__global int *out, const int n)\n"
    "{\n"
    "	__local int t[64];\n"
    "	int early;\n"
    "	const int lx = get_local_id(0);\n"
    "	const int g = get_group_id(0) * n + lx * 3;\n"
    "	int copy = early;\n"
    "	int w = lx + 1;\n"
    "	w = w * 2;\n"
    "	t[lx] = g;\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	early = lx * 5 + 1;\n"
    "	const int late = t[(lx + 1) % get_local_size(0)] + (lx << 2);\n"
    "	int v = 0;\n"
    "	for (int r = 0; r < 3; r++) {\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		v = v * 7 + lx + r;\n"
    "	}\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	const int i = get_global_id(0) * 6;\n"
    "	out[i] = g;\n"
    "	out[i + 1] = copy;\n"
    "	out[i + 2] = early;\n"
    "	out[i + 3] = late;\n"
    "	out[i + 4] = v;\n"
    "	out[i + 5] = w + lx;\n"
    "}\n";

START_TEST(remat_after_barrier)
{
	struct built b;
	build(&b, remat_src, NULL, "k");
	enum { L = 16, G = 64 };
	int n = 1000, *out = calloc(G * 6, sizeof(int));
	ck_assert(out);
	struct vjit_arg args[2] = {{out, G * 6 * sizeof(int)}, {&n, 0}};
	struct vjit_ndrange nd = range1(G, L);
	run_ok(&b, args, 2, &nd);
	for (int gid = 0; gid < G; gid++) {
		int lx = gid % L, grp = gid / L, next = (lx + 1) % L;
		int v = 0;
		for (int r = 0; r < 3; r++)
			v = v * 7 + lx + r;
		int want[6] = {grp * n + lx * 3,
			       0,
			       lx * 5 + 1,
			       grp * n + next * 3 + (lx << 2),
			       v,
			       (lx + 1) * 2 + lx};
		for (int k = 0; k < 6; k++)
			ck_assert_msg(out[gid * 6 + k] == want[k],
				      "work-item %d value %d: %d, want %d", gid,
				      k, out[gid * 6 + k], want[k]);
	}
	free(out);
	unbuild(&b);
}
END_TEST

START_TEST(stack_bound)
{
	struct built b;
	char msg[VJIT_MSG_MAX];
	ck_assert_int_eq(try_build(&b, deep_stack_src, NULL, "k", msg),
			 -EINVAL);
	ck_assert_msg(strstr(msg, "'k'") && strstr(msg, "KiB of stack"), "%s",
		      msg);
	unbuild(&b);
	build_file(&b, "matmul_tiled.cl", NULL, "matmul_tiled");
	uint64_t st = vjit_kernel_stack(b.p, b.kernel);
	fprintf(stderr, "matmul_tiled: stack bound %llu bytes\n",
		(unsigned long long)st);
	ck_assert(st > 0 && st <= VJIT_MAX_STACK);
	/* lr, lc, row and col are recomputed after the barriers, not kept
	 * per work-item (jit/wg_remat.c): 16 KiB less than the 35 KiB they
	 * took for 1024 work-items */
	ck_assert_uint_lt(st, 24u << 10);
	unbuild(&b);
}
END_TEST

/* A kernel the code generator refuses among others that it takes: the
 * build fails with that kernel named, whichever place it has. */
START_TEST(refused_kernel_among_units)
{
	static const char fine[] =
	    "__kernel void ok%d(__global int *p) { p[get_global_id(0)] = "
	    "%d; }\n";
	for (int at = 0; at < 3; at++) {
		char src[8192];
		size_t n = 0;
		for (int k = 0; k < 3; k++) {
			if (k == at)
				n += (size_t)snprintf(src + n, sizeof(src) - n,
						      "%s", deep_stack_src);
			n += (size_t)snprintf(src + n, sizeof(src) - n, fine, k,
					      k);
		}
		ck_assert_uint_lt(n, sizeof(src));
		struct built b;
		char msg[VJIT_MSG_MAX];
		ck_assert_int_eq(try_build(&b, src, NULL, "k", msg), -EINVAL);
		ck_assert_msg(strstr(msg, "'k'") && strstr(msg, "KiB of stack"),
			      "%s", msg);
		ck_assert(!b.p);
		unbuild(&b);
	}
}
END_TEST

/* A program past the code generator's size is refused before LLVM
 * starts (its optimizer's time grows faster than the code). */
START_TEST(size_bound)
{
	enum { STATEMENTS = 12000 };
	size_t cap = 64 + STATEMENTS * 20 + 128;
	char *src = malloc(cap);
	ck_assert(src);
	size_t n =
	    (size_t)snprintf(src, cap, "void big(__global float *p)\n{\n");
	for (int k = 0; k < STATEMENTS; k++)
		n += (size_t)snprintf(src + n, cap - n, "\tp[0] += 1.0f;\n");
	snprintf(src + n, cap - n,
		 "}\n__kernel void k(__global float *p) { big(p); }\n");
	struct built b;
	char msg[VJIT_MSG_MAX];
	double t0 = now_ms();
	ck_assert_int_eq(try_build(&b, src, NULL, "k", msg), -EINVAL);
	ck_assert_msg(strstr(msg, "IR instructions"), "%s", msg);
	fprintf(stderr, "size_bound: front end and refusal in %.0f ms\n",
		now_ms() - t0);
	unbuild(&b);
	free(src);
}
END_TEST

/* Every group query of dimensions 0..2 per work-item (one through a
 * helper with a dimension not known at compile time): a kernel whose
 * small groups run fused (jit/wg_fuse.c) must see its own launch's. */
static const char fuse_ids_src[] =
    "ulong q(uint w, uint d)\n"
    "{\n"
    "	return w == 0 ? get_group_id(d) : w == 1 ? get_local_id(d)\n"
    "	     : w == 2 ? get_global_id(d) : w == 3 ? get_local_size(d)\n"
    "	     : get_num_groups(d);\n"
    "}\n"
    "__kernel void ids(__global ulong *out, uint dyn)\n"
    "{\n"
    "	size_t x = get_global_id(0) - get_global_offset(0);\n"
    "	size_t y = get_global_id(1) - get_global_offset(1);\n"
    "	size_t z = get_global_id(2) - get_global_offset(2);\n"
    "	__global ulong *o =\n"
    "	    out + ((z * get_global_size(1) + y) * get_global_size(0) + x) *\n"
    "	    16;\n"
    "	for (uint d = 0; d < 3; d++) {\n"
    "		o[d * 5 + 0] = d == 0 ? get_group_id(0) : q(0, d);\n"
    "		o[d * 5 + 1] = d == 0 ? get_local_id(0) : q(1, d);\n"
    "		o[d * 5 + 2] = q(2, d);\n"
    "		o[d * 5 + 3] = d == 0 ? get_local_size(0) : q(3, d);\n"
    "		o[d * 5 + 4] = d == 0 ? get_num_groups(0) : q(4, d);\n"
    "	}\n"
    "	o[15] = q(0, dyn) * 1000 + q(1, dyn);\n"
    "}\n"
    /* no group query: fused whatever the local size */
    "__kernel void gid(__global ulong *out)\n"
    "{\n"
    "	size_t x = get_global_id(0) - get_global_offset(0);\n"
    "	size_t y = get_global_id(1) - get_global_offset(1);\n"
    "	size_t z = get_global_id(2) - get_global_offset(2);\n"
    "	out[(z * get_global_size(1) + y) * get_global_size(0) + x] =\n"
    "	    get_global_id(0) + 1000 * get_global_id(1) +\n"
    "	    1000000 * get_global_id(2);\n"
    "}\n"
    /* a barrier and __local memory: never fused */
    "__kernel void rev(__global ulong *out)\n"
    "{\n"
    "	__local ulong t[64];\n"
    "	size_t l = get_local_id(0), n = get_local_size(0);\n"
    "	t[l] = get_global_id(0) * 100 + get_group_id(0);\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	out[get_global_id(0) - get_global_offset(0)] = t[n - 1 - l];\n"
    "}\n";

/* Runs the launch's groups in pieces of `piece` (as the scheduler splits
 * them), so that runs of fused groups start anywhere. */
static void run_pieces(struct built *b, const struct vjit_arg *args,
		       uint32_t nargs, const struct vjit_ndrange *nd,
		       uint64_t piece)
{
	struct vjit_fault fault;
	int rc = vjit_check_launch(b->p, b->kernel, args, nargs, nd, &fault);
	ck_assert_msg(rc == 0, "check_launch: %s", fault.msg);
	uint64_t groups = 1;
	for (int d = 0; d < 3; d++)
		groups *= nd->global[d] / nd->local[d];
	for (uint64_t g = 0; g < groups; g += piece) {
		uint64_t n = groups - g < piece ? groups - g : piece;
		rc = vjit_run_groups(b->p, b->kernel, args, nd, g, n,
				     &jit_never_stop, &fault);
		ck_assert_msg(rc == 0, "run: %s", fault.msg);
	}
}

START_TEST(fused_small_groups)
{
	struct built b;
	build(&b, fuse_ids_src, NULL, "ids");
	int ids = b.kernel, gid = vjit_kernel_index(b.p, "gid"),
	    rev = vjit_kernel_index(b.p, "rev");
	ck_assert_int_ge(gid, 0);
	ck_assert_int_ge(rev, 0);
	/* groups along dimension 0: a prime number of them, so no run
	 * length divides it */
	const uint64_t shapes[][7] = {
	    /* dims, groups0, global1, global2, local1, local2, pieces */
	    {1, 67, 1, 1, 1, 1, 1000}, {1, 131, 1, 1, 1, 1, 7},
	    {2, 37, 5, 1, 1, 1, 1000}, {2, 29, 4, 1, 2, 1, 3},
	    {3, 23, 3, 4, 1, 2, 1000}, {3, 19, 2, 2, 2, 1, 5},
	};
	const uint64_t offset[3] = {5, 3, 7};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (uint64_t l0 = 1; l0 <= 4; l0++) {
			const uint64_t *S = shapes[s];
			uint32_t dims = (uint32_t)S[0];
			struct vjit_ndrange nd = {dims,
						  {S[1] * l0, S[2], S[3]},
						  {l0, S[4], S[5]},
						  {offset[0],
						   dims > 1 ? offset[1] : 0,
						   dims > 2 ? offset[2] : 0}};
			uint64_t n = nd.global[0] * nd.global[1] * nd.global[2];
			uint64_t *out = malloc(n * 16 * 8);
			memset(out, 0xff, n * 16 * 8);
			uint32_t dyn = (uint32_t)(s % 3);
			struct vjit_arg args[2] = {{out, n * 16 * 8},
						   {&dyn, 0}};
			b.kernel = ids;
			run_pieces(&b, args, 2, &nd, S[6]);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t c[3] = {
				    i % nd.global[0],
				    i / nd.global[0] % nd.global[1],
				    i / nd.global[0] / nd.global[1]};
				uint64_t want[16];
				for (int d = 0; d < 3; d++) {
					want[d * 5 + 0] = c[d] / nd.local[d];
					want[d * 5 + 1] = c[d] % nd.local[d];
					want[d * 5 + 2] = c[d] + nd.offset[d];
					want[d * 5 + 3] = nd.local[d];
					want[d * 5 + 4] =
					    nd.global[d] / nd.local[d];
				}
				want[15] =
				    want[dyn * 5] * 1000 + want[dyn * 5 + 1];
				for (int k = 0; k < 16; k++)
					ck_assert_msg(
					    out[i * 16 + k] == want[k],
					    "shape %zu local %llu item %llu "
					    "query %d: %llu, want %llu",
					    s, (unsigned long long)l0,
					    (unsigned long long)i, k,
					    (unsigned long long)out[i * 16 + k],
					    (unsigned long long)want[k]);
			}
			b.kernel = gid;
			memset(out, 0xff, n * 8);
			run_pieces(&b, args, 1, &nd, S[6]);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t x = i % nd.global[0],
					 y = i / nd.global[0] % nd.global[1],
					 z = i / nd.global[0] / nd.global[1];
				uint64_t want = x + nd.offset[0] +
						1000 * (y + nd.offset[1]) +
						1000000 * (z + nd.offset[2]);
				ck_assert_msg(out[i] == want,
					      "gid: shape %zu local %llu item "
					      "%llu: %llu, want %llu",
					      s, (unsigned long long)l0,
					      (unsigned long long)i,
					      (unsigned long long)out[i],
					      (unsigned long long)want);
			}
			if (dims == 1) {
				b.kernel = rev;
				run_pieces(&b, args, 1, &nd, S[6]);
				for (uint64_t i = 0; i < n; i++) {
					uint64_t g = i / l0,
						 j = g * l0 + l0 - 1 - i % l0;
					ck_assert_msg(
					    out[i] == (j + 5) * 100 + g,
					    "rev: local %llu item %llu: %llu",
					    (unsigned long long)l0,
					    (unsigned long long)i,
					    (unsigned long long)out[i]);
				}
			}
			free(out);
		}
	unbuild(&b);
}
END_TEST

/* Each group's turn (the order its groups ran in) at every work-item,
 * and its ids: a barrier and __local memory, so never fused. */
static const char panel_src[] =
    "__kernel void turn(__global ulong *out, __global int *seq)\n"
    "{\n"
    "	__local int t;\n"
    "	if (get_local_id(0) + get_local_id(1) + get_local_id(2) == 0)\n"
    "		t = atomic_inc(seq);\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	size_t x = get_global_id(0) - get_global_offset(0);\n"
    "	size_t y = get_global_id(1) - get_global_offset(1);\n"
    "	size_t z = get_global_id(2) - get_global_offset(2);\n"
    "	size_t i = (z * get_global_size(1) + y) * get_global_size(0) + x;\n"
    "	out[2 * i] = t;\n"
    "	out[2 * i + 1] = get_group_id(0) + 1000 * get_group_id(1) +\n"
    "			 1000000 * get_group_id(2);\n"
    "}\n";

/* A kernel that never runs fused: each plane's groups in panels of 8
 * rows (the last may be shorter), a panel column by column, whatever
 * pieces the launch is run in; every group once, with its own ids. */
START_TEST(panel_order)
{
	struct built b;
	build(&b, panel_src, NULL, "turn");
	const uint64_t shapes[][7] = {
	    /* groups0, groups1, groups2, local0, local1, local2, pieces */
	    {5, 19, 1, 2, 3, 1, 1000}, {7, 17, 2, 1, 2, 2, 13},
	    {1, 9, 1, 4, 1, 1, 4},     {6, 8, 3, 2, 2, 1, 7},
	    {11, 3, 1, 3, 1, 1, 5},    {37, 24, 1, 1, 1, 1, 100},
	};
	const uint64_t offset[3] = {5, 3, 7};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		const uint64_t *S = shapes[s];
		struct vjit_ndrange nd = {
		    3,
		    {S[0] * S[3], S[1] * S[4], S[2] * S[5]},
		    {S[3], S[4], S[5]},
		    {offset[0], offset[1], offset[2]}};
		uint64_t n = nd.global[0] * nd.global[1] * nd.global[2];
		uint64_t *out = malloc(n * 16);
		memset(out, 0xff, n * 16);
		int seq = 0;
		struct vjit_arg args[2] = {{out, n * 16}, {&seq, 4}};
		run_pieces(&b, args, 2, &nd, S[6]);
		ck_assert_int_eq(seq, (int)(S[0] * S[1] * S[2]));
		for (uint64_t i = 0; i < n; i++) {
			uint64_t gx = i % nd.global[0] / S[3],
				 gy = i / nd.global[0] % nd.global[1] / S[4],
				 gz = i / nd.global[0] / nd.global[1] / S[5];
			uint64_t y0 = gy / 8 * 8,
				 rows = S[1] - y0 < 8 ? S[1] - y0 : 8;
			uint64_t want =
			    gz * S[0] * S[1] + y0 * S[0] + gx * rows + gy - y0;
			ck_assert_msg(out[2 * i] == want &&
					  out[2 * i + 1] ==
					      gx + 1000 * gy + 1000000 * gz,
				      "shape %zu item %llu: turn %llu ids "
				      "%llu, want %llu %llu",
				      s, (unsigned long long)i,
				      (unsigned long long)out[2 * i],
				      (unsigned long long)out[2 * i + 1],
				      (unsigned long long)want,
				      (unsigned long long)(gx + 1000 * gy +
							   1000000 * gz));
		}
		free(out);
	}
	unbuild(&b);
}
END_TEST

/* A store indexed by the group: not affine in a fused run's counter, so
 * checked per access (a check made once for the run would miss it). */
static const char fuse_grp_src[] = "__kernel void wr(__global float *out, "
				   "int k)\n"
				   "{\n"
				   "	out[get_group_id(0) + k] = 5.0f;\n"
				   "}\n";

/* An access out of bounds in a run of fused groups: the same error, the
 * stores before it done, nothing outside written. */
static void fused_fault_case(const char *src, bool by_group)
{
	struct built b;
	build(&b, src, NULL, "wr");
	float *mem = malloc(256 * 4);
	for (uint64_t l0 = 1; l0 <= 4; l0 *= 2) {
		for (int i = 0; i < 256; i++)
			mem[i] = 100.0f + i;
		float *out = mem + 64;
		int k = 3;
		struct vjit_arg args[2] = {{out, 64 * 4}, {&k, 0}};
		struct vjit_ndrange nd = range1(by_group ? 64 * l0 : 64, l0);
		struct vjit_fault fault;
		ck_assert_int_eq(launch(&b, args, 2, &nd, &fault), -EFAULT);
		ck_assert_msg(
		    strstr(fault.msg, "'wr'") && strstr(fault.msg, "'out'") &&
			strstr(fault.msg, "byte offset 256"),
		    "local %llu: %s", (unsigned long long)l0, fault.msg);
		for (int i = 0; i < 256; i++) {
			float want = i >= 64 + 3 && i < 128 ? 5.0f : 100.0f + i;
			ck_assert_msg(mem[i] == want,
				      "local %llu: mem[%d] = %g",
				      (unsigned long long)l0, i, mem[i]);
		}
	}
	free(mem);
	unbuild(&b);
}

START_TEST(fused_fault)
{
	fused_fault_case(oob_src, false);
	fused_fault_case(fuse_grp_src, true);
}
END_TEST

/* A kernel's start on a w x h board: its cell x, y at index i past the
 * work-items beyond the board, and the interior test a split takes. */
#define BOARD_CELL                                                             \
	"{\n"                                                                  \
	"	const int x = get_global_id(0), y = get_global_id(1);\n"             \
	"	if (x >= w || y >= h)\n"                                             \
	"		return;\n"                                                          \
	"	const int i = y * w + x;\n"                                          \
	"	int n;\n"                                                            \
	"	if (x > 0 && y > 0 && x < w - 1 && y < h - 1)\n"

/* An interior test on an affine id around a call for the edge (the Game
 * of Life's step): the edge's result differs, so a wrong split shows. */
static const char edge_src[] =
    "int wrapped(__global const int *src, int x, int y, int w, int h)\n"
    "{\n"
    "	const int l = x == 0 ? w - 1 : x - 1, r = x == w - 1 ? 0 : x + 1;\n"
    "	const int up = y == 0 ? h - 1 : y - 1, dn = y == h - 1 ? 0 : y + 1;\n"
    "	return 1000 + src[up * w + x] + src[y * w + l] +\n"
    "	       2 * src[y * w + r] + 3 * src[dn * w + x];\n"
    "}\n"
    "__kernel void edge(__global const int *src, __global int *dst,\n"
    "		   const int w, const int h)\n" BOARD_CELL
    "		n = src[i - w] + src[i - 1] + 2 * src[i + 1] +\n"
    "		    3 * src[i + w];\n"
    "	else\n"
    "		n = wrapped(src, x, y, w, h);\n"
    "	dst[i] = (n & 7) == 3 || ((n & 7) == 2 && src[i] > 0) ? n : -n;\n"
    "}\n"
    /* the id's other side (k = -1), unsigned, <= and >= */
    "int far(__global const int *src, int x) { return src[x] - 7; }\n"
    "__kernel void mirror(__global const int *src, __global int *dst,\n"
    "		     const int w, const uint lo)\n"
    "{\n"
    "	const int r = w - 1 - (int)get_global_id(0);\n"
    "	if (r < 0)\n"
    "		return;\n"
    "	const int x = w - 1 - r;\n"
    "	int v;\n"
    "	if ((uint)x >= lo && r >= 1 && 2 <= r) {\n"
    "		v = src[x] + src[x + 1];\n"
    /* not run as selects: j's load would be 2 GiB before src */
    "		int j = -0x20000000;\n"
    "		if ((v & 1) == 0) {\n"
    "			j = x + 1;\n"
    "			v += src[j];\n"
    "		}\n"
    "	} else\n"
    "		v = far(src, x);\n"
    "	dst[x] = v;\n"
    "}\n";

/* The Game of Life's step (docs/examples/opencl/life.cl), its
 * `n == 3 || (n == 2 && ...)` a switch to LLVM unless run as selects. */
static const char cells_src[] =
    "int alive(const uchar c) { return c >> 7; }\n"
    "__kernel void cells(__global const uchar *src, __global uchar *dst,\n"
    "		    const int w, const int h)\n" BOARD_CELL
    "		n = alive(src[i - w]) + alive(src[i - 1]) +\n"
    "		    alive(src[i + 1]) + alive(src[i + w]);\n"
    "	else\n"
    "		n = alive(src[y * w + (x == 0 ? w - 1 : x - 1)]);\n"
    "	dst[i] = n == 3 || (n == 2 && alive(src[i])) ? 255 : 0;\n"
    "}\n";

static int edge_ref(const int *src, int x, int y, int w, int h)
{
	int n;
	if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
		n = src[(y - 1) * w + x] + src[y * w + x - 1] +
		    2 * src[y * w + x + 1] + 3 * src[(y + 1) * w + x];
	} else {
		int l = x == 0 ? w - 1 : x - 1, r = x == w - 1 ? 0 : x + 1;
		int up = y == 0 ? h - 1 : y - 1, dn = y == h - 1 ? 0 : y + 1;
		n = 1000 + src[up * w + x] + src[y * w + l] +
		    2 * src[y * w + r] + 3 * src[dn * w + x];
	}
	return (n & 7) == 3 || ((n & 7) == 2 && src[y * w + x] > 0) ? n : -n;
}

/* The split (wg_split.c) at 0, inside a group and at its end, a board
 * narrower than a group, groups past the board's edge. */
START_TEST(split_edges)
{
	static const int sizes[][4] = {
	    /* local x, y; board w, h */
	    {16, 1, 48, 5}, {16, 2, 37, 6}, {8, 4, 5, 9},   {1, 1, 7, 4},
	    {4, 4, 3, 3},   {32, 1, 64, 3}, {16, 1, 17, 2}, {5, 3, 23, 7}};
	struct built b;
	build(&b, edge_src, NULL, "edge");
	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		int lx = sizes[c][0], ly = sizes[c][1];
		int w = sizes[c][2], h = sizes[c][3];
		uint64_t gw = (uint64_t)(w + lx - 1) / lx * lx,
			 gh = (uint64_t)(h + ly - 1) / ly * ly;
		int *src = malloc((size_t)w * h * 4),
		    *dst = malloc((size_t)w * h * 4);
		for (int i = 0; i < w * h; i++) {
			src[i] = (i * 37) % 101 - 50;
			dst[i] = -1;
		}
		struct vjit_arg args[4] = {{src, (uint64_t)w * h * 4},
					   {dst, (uint64_t)w * h * 4},
					   {&w, 4},
					   {&h, 4}};
		struct vjit_ndrange nd = {
		    2, {gw, gh, 1}, {(uint64_t)lx, (uint64_t)ly, 1}, {0}};
		run_ok(&b, args, 4, &nd);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				ck_assert_msg(
				    dst[y * w + x] == edge_ref(src, x, y, w, h),
				    "local %dx%d, %dx%d: [%d][%d] = "
				    "%d, want %d",
				    lx, ly, w, h, y, x, dst[y * w + x],
				    edge_ref(src, x, y, w, h));
		free(src);
		free(dst);
	}
	unbuild(&b);
	build(&b, edge_src, NULL, "mirror");
	static const int msizes[][3] = {/* local, w, lo */
					{16, 40, 3},  {16, 40, 0}, {8, 5, 1},
					{4, 13, 20},  {1, 6, 2},   {32, 31, 17},
					{16, 16, 15}, {7, 30, 9}};
	for (size_t c = 0; c < sizeof(msizes) / sizeof(msizes[0]); c++) {
		int l = msizes[c][0], w = msizes[c][1];
		unsigned lo = (unsigned)msizes[c][2];
		int src[64], dst[64];
		for (int i = 0; i < 64; i++) {
			src[i] = i * i % 31;
			dst[i] = -1;
		}
		struct vjit_arg args[4] = {
		    {src, sizeof(src)}, {dst, sizeof(dst)}, {&w, 4}, {&lo, 4}};
		struct vjit_ndrange nd = {
		    1, {(uint64_t)(w + l - 1) / l * l, 1, 1}, {l, 1, 1}, {0}};
		run_ok(&b, args, 4, &nd);
		for (int x = 0; x < w; x++) {
			int r = w - 1 - x;
			int want = (unsigned)x >= lo && r >= 2
				       ? src[x] + src[x + 1]
				       : src[x] - 7;
			if ((unsigned)x >= lo && r >= 2 && (want & 1) == 0)
				want += src[x + 1];
			ck_assert_msg(
			    dst[x] == want,
			    "local %d, w %d, lo %u: [%d] = %d, want %d", l, w,
			    lo, x, dst[x], want);
		}
	}
	unbuild(&b);
}
END_TEST

/* The middle loop of a split (wg_loop.c names its block). */
static bool split_block(const char *line)
{
	return strncmp(line, "wi.split.mid", 12) == 0;
}

/* Split, the interior's loop runs without the edge's call, and its
 * `||` as selects (the loop vectorizer takes no switch): vectorized. */
START_TEST(split_vectorizes_interior)
{
	ck_assert(optimized_has(edge_src, "edge", plain_vector_load));
	ck_assert(optimized_has(cells_src, "cells", plain_vector_load));
	ck_assert_int_gt(dumped_count(edge_src, "mirror", "pre", split_block),
			 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jit");
	TCase *t = tcase_create("jit");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, saxpy);
	tcase_add_test(t, reduce);
	tcase_add_test(t, matmul_tiled);
	tcase_add_test(t, remat_after_barrier);
	tcase_add_test(t, histogram);
	tcase_add_test(t, helpers);
	tcase_add_test(t, division);
	tcase_add_test(t, out_of_bounds);
	tcase_add_test(t, stop);
	tcase_add_test(t, stop_counted);
	tcase_add_test(t, threads);
	tcase_add_test(t, concurrent_compiles);
	tcase_add_test(t, odd_shapes);
	tcase_add_test(t, values_across_barriers);
	tcase_add_test(t, stack_bound);
	tcase_add_test(t, size_bound);
	tcase_add_test(t, refused_launches);
	tcase_add_test(t, helper_with_barrier);
	tcase_add_test(t, group_control_flow);
	tcase_add_test(t, work_item_ids);
	tcase_add_test(t, math);
	tcase_add_test(t, atomics);
	tcase_add_test(t, local_atomics);
	tcase_add_test(t, chosen_local);
	tcase_add_test(t, private_and_local_bounds);
	tcase_add_test(t, later_kernel_local_arrays);
	tcase_add_test(t, hoisted_saxpy);
	tcase_add_test(t, checked_copy_not_unrolled);
	tcase_add_test(t, required_size_constant);
	tcase_add_test(t, kernel_per_unit);
	tcase_add_test(t, many_kernel_units);
	tcase_add_test(t, pinned_caller_units);
	tcase_add_test(t, refused_kernel_among_units);
	tcase_add_test(t, hoisted_check_corners_shared);
	tcase_add_test(t, hoisted_fault);
	tcase_add_test(t, reqd_size_constant);
	tcase_add_test(t, hoisted_loops);
	tcase_add_test(t, hoisted_bitwise);
	tcase_add_test(t, hoisted_uniform_and_guard);
	tcase_add_test(t, fused_small_groups);
	tcase_add_test(t, fused_fault);
	tcase_add_test(t, panel_order);
	tcase_add_test(t, required_size_x_loop_vectorized);
	tcase_add_test(t, tile_prefetch);
	tcase_add_test(t, split_edges);
	tcase_add_test(t, split_vectorizes_interior);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
