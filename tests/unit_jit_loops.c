/*
 * The work-group loop nest's transformations of loops (jit/wg_interchange.c,
 * jit/wg_group_counter.c, jit/wg_implicit_barrier.c): OpenCL C through the real
 * front end and code generator, run in-process against C references, on the
 * sizes where they could go wrong (rows of work-items not a multiple of the
 * rows run together, one work-item a row, loops that must keep their order, a
 * counter left by break, a fault inside a loop run across work-items).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vgpujit/jit.h>

#include "compiler_check.h"
#include "jit_check.h"

struct prog {
	struct cc_lowered l;
	struct vjit_program *p;
	int k;
};

static void compile(struct prog *g, const char *src, const char *kernel)
{
	cc_lower(&g->l, src, strlen(src));
	ck_assert_msg(g->l.m, "%s", g->l.diags);
	char msg[VJIT_MSG_MAX];
	int rc = vjit_compile(g->l.m, &g->p, msg);
	ck_assert_msg(rc == 0, "vjit_compile: %s", msg);
	g->k = vjit_kernel_index(g->p, kernel);
	ck_assert_int_ge(g->k, 0);
}

static void release(struct prog *g)
{
	vjit_program_free(g->p);
	cc_unlower(&g->l);
}

/* Every group of the launch: the run's result, FAULT its message. */
static int run(struct prog *g, const struct vjit_arg *args, uint32_t nargs,
	       const struct vjit_ndrange *nd, struct vjit_fault *fault)
{
	return jit_run_all(g->p, g->k, args, nargs, nd, fault);
}

/* The run faults, its message naming OBJECT and AT. */
static void expect_fault(struct prog *g, const struct vjit_arg *args,
			 uint32_t nargs, const struct vjit_ndrange *nd,
			 const char *object, const char *at)
{
	struct vjit_fault fault;
	ck_assert_int_eq(run(g, args, nargs, nd, &fault), -EFAULT);
	ck_assert_msg(strstr(fault.msg, object) && strstr(fault.msg, at), "%s",
		      fault.msg);
}

/* A constant k loop after a barrier: run for rows of work-items together. */
static const char rows_src[] =
    "__kernel void rows(__global const float *a, __global float *out)\n"
    "{\n"
    "	__local float t[256];\n"
    "	const int lx = get_local_id(0), ly = get_local_id(1);\n"
    "	const int w = get_local_size(0);\n"
    "	const int g = get_global_id(1) * get_global_size(0) +\n"
    "		      get_global_id(0);\n"
    "	float acc = 0.0f;\n"
    "	t[ly * w + lx] = a[g];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < 8; k++)\n"
    "		acc += t[ly * w + (lx + k) % w] * (float)(k + 1) +\n"
    "		       t[((ly + k) % get_local_size(1)) * w + lx];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	out[g] = acc;\n"
    "}\n";

START_TEST(rows_of_any_height)
{
	static const uint64_t sizes[][2] = {{16, 16}, {16, 6}, {3, 7},	{1, 5},
					    {8, 1},   {5, 3},  {16, 4}, {2, 9}};
	struct prog g;
	compile(&g, rows_src, "rows");
	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		uint64_t lw = sizes[c][0], lh = sizes[c][1];
		uint64_t gw = lw * 3, gh = lh * 2, n = gw * gh;
		float *a = malloc(n * 4), *out = calloc(n, 4);
		for (uint64_t i = 0; i < n; i++)
			a[i] = (float)((i * 37) % 101) - 50.0f;
		struct vjit_arg args[2] = {{a, n * 4}, {out, n * 4}};
		struct vjit_ndrange nd = {2, {gw, gh, 1}, {lw, lh, 1}, {0}};
		struct vjit_fault fault;
		ck_assert_int_eq(run(&g, args, 2, &nd, &fault), 0);
		for (uint64_t y = 0; y < gh; y++)
			for (uint64_t x = 0; x < gw; x++) {
				uint64_t gx = x / lw * lw, gy = y / lh * lh;
				uint64_t lx = x % lw, ly = y % lh;
				float acc = 0.0f;
				for (uint64_t k = 0; k < 8; k++) {
					float p = a[(gy + ly) * gw + gx +
						    (lx + k) % lw];
					float q = a[(gy + (ly + k) % lh) * gw +
						    gx + lx];
					acc += p * (float)(k + 1) + q;
				}
				float got = out[y * gw + x];
				ck_assert_msg(fabsf(got - acc) <=
						  1e-5f * (1.0f + fabsf(acc)),
					      "local %llux%llu: out[%llu][%llu]"
					      " = %g, want %g",
					      (unsigned long long)lw,
					      (unsigned long long)lh,
					      (unsigned long long)y,
					      (unsigned long long)x, got, acc);
			}
		free(a);
		free(out);
	}
	release(&g);
}
END_TEST

/* Loops that keep their order: a trip count per work-item, one loaded
 * from memory, a break on data, a value carried from step to step. */
static const char kept_src[] =
    "__kernel void kept(__global const int *a, __global int *out,\n"
    "		   __global const int *bound)\n"
    "{\n"
    "	__local int t[64];\n"
    "	const int l = get_local_id(0), n = get_local_size(0);\n"
    "	int s = 0;\n"
    "	t[l] = a[get_global_id(0)];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < l + 1; k++)\n"
    "		s += t[k];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < bound[0]; k++)\n"
    "		s += 3 * t[(l + k) % n];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < 16; k++) {\n"
    "		if (t[(l + k) % n] < 0)\n"
    "			break;\n"
    "		s += 5;\n"
    "	}\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	for (int k = 0; k < 16; k++)\n"
    "		s = s * 3 + t[(l + k) % n];\n"
    "	barrier(CLK_LOCAL_MEM_FENCE);\n"
    "	out[get_global_id(0)] = s;\n"
    "}\n";

START_TEST(order_kept)
{
	struct prog g;
	compile(&g, kept_src, "kept");
	enum { N = 96, L = 32 };
	int a[N], out[N], bound = 5;
	for (int i = 0; i < N; i++)
		a[i] = (i * 7) % 23 - 4;
	struct vjit_arg args[3] = {
	    {a, sizeof(a)}, {out, sizeof(out)}, {&bound, sizeof(bound)}};
	struct vjit_ndrange nd = {1, {N, 1, 1}, {L, 1, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(run(&g, args, 3, &nd, &fault), 0);
	for (int i = 0; i < N; i++) {
		const int *t = a + i / L * L;
		int l = i % L;
		unsigned s = 0;
		for (int k = 0; k < l + 1; k++)
			s += (unsigned)t[k];
		for (int k = 0; k < bound; k++)
			s += 3u * (unsigned)t[(l + k) % L];
		for (int k = 0; k < 16 && t[(l + k) % L] >= 0; k++)
			s += 5;
		for (int k = 0; k < 16; k++)
			s = s * 3u + (unsigned)t[(l + k) % L];
		ck_assert_msg(out[i] == (int)s, "out[%d] = %d, want %d", i,
			      out[i], (int)s);
	}
	release(&g);
}
END_TEST

/* The counter of a loop holding barriers, one for the group: stepped by
 * a parameter, left by break, read after the loop and in the loads. */
static const char counter_src[] =
    "__kernel void counter(__global const int *a, __global int *out,\n"
    "		      const int n, const int step, const int stop)\n"
    "{\n"
    "	__local int s[64];\n"
    "	const int l = get_local_id(0), w = get_local_size(0);\n"
    "	int sum = 0, t;\n"
    "	for (t = 1; t < n; t += step) {\n"
    "		s[l] = a[t + l];\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		sum += s[(l + 1) % w] * t;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		if (t >= stop)\n"
    "			break;\n"
    "	}\n"
    "	out[get_global_id(0)] = sum * 1000 + t;\n"
    "}\n";

START_TEST(group_counter)
{
	static const int cases[][3] = {{40, 3, 1000}, {40, 3, 20},
				       {1, 2, 5},     {64, 7, 0},
				       {30, 1, 29},   {200, 16, 1000}};
	struct prog g;
	compile(&g, counter_src, "counter");
	enum { N = 48, L = 16, A = 128 };
	int a[A];
	for (int i = 0; i < A; i++)
		a[i] = (i * 5) % 17 - 8;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int n = cases[c][0], step = cases[c][1], stop = cases[c][2];
		int out[N];
		struct vjit_arg args[5] = {{a, sizeof(a)},
					   {out, sizeof(out)},
					   {&n, 0},
					   {&step, 0},
					   {&stop, 0}};
		struct vjit_ndrange nd = {1, {N, 1, 1}, {L, 1, 1}, {0}};
		if (n > A - L) {
			/* past a's end at t = 113 (t + l up to 128): the
			 * checks made once per group read the counter */
			expect_fault(&g, args, 5, &nd, "parameter 'a'",
				     "at byte offset 512");
			continue;
		}
		struct vjit_fault fault;
		ck_assert_int_eq(run(&g, args, 5, &nd, &fault), 0);
		for (int i = 0; i < N; i++) {
			int l = i % L, sum = 0, t;
			for (t = 1; t < n; t += step) {
				sum += a[t + (l + 1) % L] * t;
				if (t >= stop)
					break;
			}
			ck_assert_msg(out[i] == sum * 1000 + t,
				      "case %zu: out[%d] = %d, want %d", c, i,
				      out[i], sum * 1000 + t);
		}
	}
	release(&g);
}
END_TEST

/* A counter read before `t = init` in the same segment (its value from
 * the last round): kept per work-item, each reads its own. */
static const char reread_src[] =
    "__kernel void reread(__global int *out)\n"
    "{\n"
    "	__local int s[64];\n"
    "	const int l = get_local_id(0);\n"
    "	int t, sum = 0;\n"
    "	for (int r = 0; r < 3; r++) {\n"
    "		s[l] = r;\n"
    "		barrier(CLK_LOCAL_MEM_FENCE);\n"
    "		sum = sum * 10 + t;\n"
    "		for (t = 0; t < 5; t++) {\n"
    "			barrier(CLK_LOCAL_MEM_FENCE);\n"
    "			sum += s[(l + t) % 16];\n"
    "		}\n"
    "	}\n"
    "	out[get_global_id(0)] = sum;\n"
    "}\n";

START_TEST(counter_read_before_init)
{
	struct prog g;
	compile(&g, reread_src, "reread");
	int out[32];
	struct vjit_arg args[1] = {{out, sizeof(out)}};
	struct vjit_ndrange nd = {1, {32, 1, 1}, {16, 1, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(run(&g, args, 1, &nd, &fault), 0);
	int sum = 0, t = 0;
	for (int r = 0; r < 3; r++) {
		sum = sum * 10 + t;
		for (t = 0; t < 5; t++)
			sum += r;
	}
	for (int i = 0; i < 32; i++)
		ck_assert_msg(out[i] == sum, "out[%d] = %d, want %d", i, out[i],
			      sum);
	release(&g);
}
END_TEST

/* An access out of bounds inside a loop run across work-items: the same
 * fault as in the order written (each object's lowest offset). */
static const char fault_src[] = "__kernel void far(__global float *out)\n"
				"{\n"
				"	__local float t[64];\n"
				"	const int l = get_local_id(0);\n"
				"	float acc = 0.0f;\n"
				"	t[l] = (float)l;\n"
				"	barrier(CLK_LOCAL_MEM_FENCE);\n"
				"	for (int k = 0; k < 8; k++)\n"
				"		acc += t[l * 2 + k];\n"
				"	barrier(CLK_LOCAL_MEM_FENCE);\n"
				"	out[get_global_id(0)] = acc;\n"
				"}\n";

START_TEST(fault_in_loop)
{
	struct prog g;
	compile(&g, fault_src, "far");
	float out[64];
	struct vjit_arg args[1] = {{out, sizeof(out)}};
	struct vjit_ndrange nd = {1, {64, 1, 1}, {64, 1, 1}, {0}};
	expect_fault(&g, args, 1, &nd, "__local array", "at byte offset 256");
	release(&g);
}
END_TEST

/* The kernel's arguments in order: scalars by address, the three
 * float4 arrays of BYTES each. */
static void nbody_args(struct vjit_arg args[8], int *n, float *dt, float *eps2,
		       float *pos, float *vel, float *np, size_t bytes,
		       int *first, int *step)
{
	const struct vjit_arg a[8] = {{n, 0},	    {dt, 0},	  {eps2, 0},
				      {pos, bytes}, {vel, bytes}, {np, bytes},
				      {first, 0},   {step, 0}};
	memcpy(args, a, sizeof(a));
}

/* n-body's step (docs/examples/opencl/nbody.cl) with the loop's start and
 * step parameters too: its j loop runs at group level, the work-item loop
 * inside it (jit/wg_implicit_barrier.c), p and acc kept per work-item
 * across the steps. */
static const char nbody_src[] =
    "__kernel void nbody(const int n, const float dt, const float eps2,\n"
    "		    __global const float4 *pos, __global float4 *vel,\n"
    "		    __global float4 *new_pos, const int first,\n"
    "		    const int step)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	const float4 p = pos[i];\n"
    "	float3 acc = (float3)(0.0f, 0.0f, 0.0f);\n"
    "	for (int j = first; j < n; j += step) {\n"
    "		const float4 q = pos[j];\n"
    "		const float3 d = q.xyz - p.xyz;\n"
    "		const float inv = rsqrt(dot(d, d) + eps2);\n"
    "		acc += d * (q.w * inv * inv * inv);\n"
    "	}\n"
    "	float4 v = vel[i];\n"
    "	v.xyz += acc * dt;\n"
    "	vel[i] = v;\n"
    "	new_pos[i] = (float4)(p.xyz + v.xyz * dt, p.w);\n"
    "}\n";

static void nbody_ref(const float *pos, float *vel, float *np, int i, int n,
		      int first, int step, float dt, float eps2)
{
	const float *p = pos + 4 * i;
	double acc[3] = {0, 0, 0};
	for (int j = first; j < n; j += step) {
		const float *q = pos + 4 * j;
		double d[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
		double inv =
		    1.0 / sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps2);
		for (int c = 0; c < 3; c++)
			acc[c] += d[c] * (q[3] * inv * inv * inv);
	}
	for (int c = 0; c < 3; c++) {
		vel[4 * i + c] += (float)(acc[c] * dt);
		np[4 * i + c] = p[c] + vel[4 * i + c] * dt;
	}
	np[4 * i + 3] = p[3];
}

START_TEST(nbody_steps)
{
	/* global, local, n, first, step: groups not a multiple of the
	 * vector width, one work-item, trip counts 0, 1 and many */
	static const int cases[][5] = {
	    {96, 32, 96, 0, 1}, {100, 100, 100, 0, 1}, {37, 37, 37, 0, 1},
	    {45, 15, 45, 3, 4}, {1, 1, 1, 0, 1},       {64, 16, 0, 0, 1},
	    {64, 64, 1, 0, 1},	{64, 8, 64, 63, 1},    {50, 25, 50, 49, 7},
	    {17, 17, 17, 5, 2}, {64, 64, 64, 70, 1}};
	struct prog g;
	compile(&g, nbody_src, "nbody");
	enum { N = 100 };
	static float pos[4 * N], vel[4 * N], v0[4 * N], np[4 * N];
	static float rvel[4 * N], rnp[4 * N];
	for (int i = 0; i < 4 * N; i++)
		pos[i] = i % 4 == 3 ? 1.0f + (float)(i % 7) * 0.25f
				    : (float)((i * 37) % 101) * 0.1f - 5.0f;
	for (int i = 0; i < 4 * N; i++)
		v0[i] = (float)((i * 13) % 11) * 0.01f;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int gs = cases[c][0], ls = cases[c][1], n = cases[c][2],
		    first = cases[c][3], step = cases[c][4];
		float dt = 0.01f, eps2 = 0.01f;
		memcpy(vel, v0, sizeof(vel));
		memcpy(rvel, v0, sizeof(rvel));
		memset(np, 0, sizeof(np));
		memset(rnp, 0, sizeof(rnp));
		struct vjit_arg args[8];
		nbody_args(args, &n, &dt, &eps2, pos, vel, np, sizeof(pos),
			   &first, &step);
		struct vjit_ndrange nd = {
		    1, {(uint64_t)gs, 1, 1}, {(uint64_t)ls, 1, 1}, {0}};
		struct vjit_fault fault;
		int rc = run(&g, args, 8, &nd, &fault);
		ck_assert_msg(rc == 0, "case %zu: %d %s", c, rc,
			      rc ? fault.msg : "");
		for (int i = 0; i < gs; i++)
			nbody_ref(pos, rvel, rnp, i, n, first, step, dt, eps2);
		for (int i = 0; i < 4 * N; i++) {
			ck_assert_msg(fabsf(vel[i] - rvel[i]) <=
					  1e-4f * (1.0f + fabsf(rvel[i])),
				      "case %zu: vel[%d] = %g, want %g", c, i,
				      vel[i], rvel[i]);
			ck_assert_msg(fabsf(np[i] - rnp[i]) <=
					  1e-4f * (1.0f + fabsf(rnp[i])),
				      "case %zu: new_pos[%d] = %g, want %g", c,
				      i, np[i], rnp[i]);
		}
	}
	release(&g);
}
END_TEST

/* A loop with a uniform trip count runs at group level: step j of every
 * work-item before step j + 1 of any (one of the orders OpenCL allows a
 * kernel racing on c[0]; asserted here to see the loop interchanged). */
static const char steps_src[] =
    "__kernel void steps(__global int *c, __global int *order, const int n)\n"
    "{\n"
    "	const int l = get_global_id(0);\n"
    "	int last = -1;\n"
    "	for (int j = 0; j < n; j++) {\n"
    "		const int t = c[0];\n"
    "		c[0] = t + 1;\n"
    "		order[l * n + j] = t;\n"
    "		last = t;\n"
    "	}\n"
    "	order[get_global_size(0) * n + l] = last;\n"
    "}\n";

START_TEST(steps_across_work_items)
{
	struct prog g;
	compile(&g, steps_src, "steps");
	enum { G = 13, N = 5 };
	int c[1] = {0}, order[G * N + G], n = N;
	struct vjit_arg args[3] = {
	    {c, sizeof(c)}, {order, sizeof(order)}, {&n, 0}};
	struct vjit_ndrange nd = {1, {G, 1, 1}, {G, 1, 1}, {0}};
	struct vjit_fault fault;
	ck_assert_int_eq(run(&g, args, 3, &nd, &fault), 0);
	ck_assert_int_eq(c[0], G * N);
	for (int l = 0; l < G; l++) {
		for (int j = 0; j < N; j++)
			ck_assert_msg(order[l * N + j] == j * G + l,
				      "work-item %d step %d: %d, want %d", l, j,
				      order[l * N + j], j * G + l);
		ck_assert_int_eq(order[G * N + l], (N - 1) * G + l);
	}
	release(&g);
}
END_TEST

/* A fault inside such a loop: the lowest offset past the object, as in
 * the order written; a start before pos's first element too. */
START_TEST(nbody_fault)
{
	struct prog g;
	compile(&g, nbody_src, "nbody");
	enum { N = 40 };
	float pos[4 * N], vel[4 * N], np[4 * N];
	for (int i = 0; i < 4 * N; i++)
		pos[i] = vel[i] = (float)(i % 5);
	float dt = 0.01f, eps2 = 0.01f;
	int n = N + 3, first = 0, step = 1;
	struct vjit_arg args[8];
	nbody_args(args, &n, &dt, &eps2, pos, vel, np, sizeof(pos), &first,
		   &step);
	struct vjit_ndrange nd = {1, {N, 1, 1}, {N / 2, 1, 1}, {0}};
	expect_fault(&g, args, 8, &nd, "parameter 'pos'", "at byte offset 640");
	n = N;
	first = -3;
	step = 5;
	expect_fault(&g, args, 8, &nd, "parameter 'pos'", "at byte offset -48");
	release(&g);
}
END_TEST

/* Groups of one work-item, which the device runs 2048 at a time (fused,
 * jit/wg_fuse.c) when nothing tells: a loop run at group level keeps
 * per-work-item values in a context sized for one group, so its kernel's
 * groups are not fused (fused, the context overran the stack). */
static const char sum_src[] =
    "__kernel void sum(__global const float *a, __global float *out,\n"
    "		  const int n)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	float acc = (float)i;\n"
    "	for (int j = 0; j < n; j++)\n"
    "		acc += a[j];\n"
    "	out[i] = acc;\n"
    "}\n";

START_TEST(small_groups)
{
	struct prog g;
	compile(&g, sum_src, "sum");
	enum { N = 2048 };
	static float a[N], out[N];
	float total = 0.0f;
	for (int i = 0; i < N; i++)
		a[i] = (float)(i % 3);
	for (int local = 1; local <= 16; local *= 4) {
		int n = N;
		struct vjit_arg args[3] = {
		    {a, sizeof(a)}, {out, sizeof(out)}, {&n, 0}};
		struct vjit_ndrange nd = {
		    1, {N, 1, 1}, {(uint64_t)local, 1, 1}, {0}};
		struct vjit_fault fault;
		ck_assert_int_eq(run(&g, args, 3, &nd, &fault), 0);
		for (int i = 0; i < N; i++) {
			total = (float)i;
			for (int j = 0; j < N; j++)
				total += a[j];
			ck_assert_msg(out[i] == total,
				      "local %d: out[%d] = %g, want %g", local,
				      i, out[i], total);
		}
	}
	release(&g);
}
END_TEST

/* Private values of every kind kept across such a loop's steps: a char2
 * (lanes of one byte), a float3, an int, a private array past the lanes'
 * bound (kept whole), a pointer into it (no copies then: steps_ptr). */
static const char lanes_src[] =
    "__kernel void lanes(__global const int *a, __global int *out,\n"
    "		    const int n)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	char2 c = (char2)(i, -i);\n"
    "	float3 f = (float3)(i, 2 * i, 3 * i);\n"
    "	int big[20];\n"
    "	for (int k = 0; k < 20; k++)\n"
    "		big[k] = i + k;\n"
    "	int s = 0;\n"
    "	for (int j = 0; j < n; j++) {\n"
    "		c.x += (char)a[j];\n"
    "		c.y -= 1;\n"
    "		f.y += (float)a[j];\n"
    "		big[j % 20] += a[j];\n"
    "		s += big[(i + j) % 20];\n"
    "	}\n"
    "	out[i] = s + c.x * 1000 + c.y * 100000 + (int)f.y * 7 +\n"
    "		 big[i % 20] * 3;\n"
    "}\n"
    "__kernel void steps_ptr(__global const int *a, __global int *out,\n"
    "			const int n)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	int v[2] = {i, 0};\n"
    "	int *p = &v[1];\n"
    "	for (int j = 0; j < n; j++)\n"
    "		*p += a[j] + v[0];\n"
    "	out[i] = v[1];\n"
    "}\n";

START_TEST(lanes_kept)
{
	struct prog g, h;
	compile(&g, lanes_src, "lanes");
	compile(&h, lanes_src, "steps_ptr");
	enum { N = 45, L = 15, A = 33 };
	int a[A], out[N];
	for (int j = 0; j < A; j++)
		a[j] = (j * 7) % 13 - 6;
	for (int n = 0; n <= A; n += 11) {
		struct vjit_arg args[3] = {
		    {a, sizeof(a)}, {out, sizeof(out)}, {&n, 0}};
		struct vjit_ndrange nd = {1, {N, 1, 1}, {L, 1, 1}, {0}};
		struct vjit_fault fault;
		ck_assert_int_eq(run(&g, args, 3, &nd, &fault), 0);
		for (int i = 0; i < N; i++) {
			signed char cx = (signed char)i, cy = (signed char)-i;
			float fy = 2.0f * (float)i;
			int big[20], s = 0;
			for (int k = 0; k < 20; k++)
				big[k] = i + k;
			for (int j = 0; j < n; j++) {
				cx = (signed char)(cx + (signed char)a[j]);
				cy = (signed char)(cy - 1);
				fy += (float)a[j];
				big[j % 20] += a[j];
				s += big[(i + j) % 20];
			}
			int want = s + cx * 1000 + cy * 100000 + (int)fy * 7 +
				   big[i % 20] * 3;
			ck_assert_msg(out[i] == want,
				      "n %d: out[%d] = %d, want %d", n, i,
				      out[i], want);
		}
		ck_assert_int_eq(run(&h, args, 3, &nd, &fault), 0);
		for (int i = 0; i < N; i++) {
			int y = 0;
			for (int j = 0; j < n; j++)
				y += a[j] + i;
			ck_assert_int_eq(out[i], y);
		}
	}
	release(&g);
	release(&h);
}
END_TEST

/* Loops with a divergent exit run at group level while any work-item
 * stays in them (jit/wg_divergent.c): Mandelbrot in fixed point (exact),
 * each work-item leaving at its own step, and a loop with `continue`, two
 * `break`s and a value stored in some steps only, read after the loop,
 * then a second one; work-items that returned before such a loop. */
static const char escape_src[] =
    "__kernel void escape(__global int *count, __global int *last,\n"
    "		     const int w, const int x0, const int y0,\n"
    "		     const int scale, const int max_iter)\n"
    "{\n"
    "	const int px = get_global_id(0), py = get_global_id(1);\n"
    "	const int cr = x0 + px * scale, ci = y0 + py * scale;\n"
    "	int zr = 0, zi = 0, k = 0;\n"
    "	while (k < max_iter && zr * zr + zi * zi <= (4 << 24)) {\n"
    "		const int t = ((zr * zr - zi * zi) >> 12) + cr;\n"
    "		zi = ((2 * zr * zi) >> 12) + ci;\n"
    "		zr = t;\n"
    "		k++;\n"
    "	}\n"
    "	count[py * w + px] = k;\n"
    "	last[py * w + px] = zr;\n"
    "}\n"
    "__kernel void collatz(__global int *out, const int cap)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	int n = i + 1, odd = 0, third, j;\n"
    "	for (j = 0; j < cap; j++) {\n"
    "		if (n == 1)\n"
    "			break;\n"
    "		if (j == 3)\n"
    "			third = n;\n"
    "		if (n & 1) {\n"
    "			n = 3 * n + 1;\n"
    "			odd++;\n"
    "			continue;\n"
    "		}\n"
    "		n >>= 1;\n"
    "		if (n == 16 && odd > 2)\n"
    "			break;\n"
    "	}\n"
    "	out[4 * i] = j;\n"
    "	out[4 * i + 1] = odd * 1000 + n;\n"
    "	out[4 * i + 2] = j > 3 ? third : -1;\n"
    "	/* a second such loop: every work-item in it again */\n"
    "	int m = 0;\n"
    "	while (n > 1 && m < cap) {\n"
    "		n = n & 1 ? n - 1 : n / 2;\n"
    "		m++;\n"
    "	}\n"
    "	out[4 * i + 3] = m;\n"
    "}\n"
    "__kernel void bounded(__global int *out, const int n, const int cap)\n"
    "{\n"
    "	const int i = get_global_id(0);\n"
    "	if (i >= n)\n"
    "		return; /* before the loop: these never enter it */\n"
    "	int v = i, k = 0;\n"
    "	while (v != 0 && k < cap) {\n"
    "		v /= 2;\n"
    "		k++;\n"
    "	}\n"
    "	out[i] = k * 100 + v;\n"
    "}\n";

static void escape_ref(int x, int y, int x0, int y0, int scale, int max_iter,
		       int *count, int *last)
{
	const int cr = x0 + x * scale, ci = y0 + y * scale;
	int zr = 0, zi = 0, k = 0;
	while (k < max_iter && zr * zr + zi * zi <= (4 << 24)) {
		const int t = ((zr * zr - zi * zi) >> 12) + cr;
		zi = ((2 * zr * zi) >> 12) + ci;
		zr = t;
		k++;
	}
	*count = k;
	*last = zr;
}

START_TEST(divergent_exits)
{
	static const uint64_t sizes[][2] = {{16, 16}, {16, 6}, {3, 7},	{1, 5},
					    {8, 1},   {5, 3},  {64, 2}, {1, 1}};
	struct prog g;
	compile(&g, escape_src, "escape");
	static int count[192 * 64], last[192 * 64];
	int min_k = 1 << 30, max_k = 0;
	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		/* the same plane, [-2, 0.5) x [-1.25, 1), whatever the grid */
		int W = (int)sizes[c][0] * 3, H = (int)sizes[c][1] * 4;
		W = W < 24 ? W * (24 / W + 1) : W;
		H = H < 20 ? H * (20 / H + 1) : H;
		int x0 = -(2 << 12), y0 = -(5 << 10), scale = 10240 / W;
		for (int max_iter = 0; max_iter <= 64; max_iter += 64) {
			struct vjit_arg args[7] = {{count, sizeof(count)},
						   {last, sizeof(last)},
						   {&W, 0},
						   {&x0, 0},
						   {&y0, 0},
						   {&scale, 0},
						   {&max_iter, 0}};
			struct vjit_ndrange nd = {2,
						  {(uint64_t)W, (uint64_t)H, 1},
						  {sizes[c][0], sizes[c][1], 1},
						  {0}};
			struct vjit_fault fault;
			ck_assert_int_eq(run(&g, args, 7, &nd, &fault), 0);
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					int k, z;
					escape_ref(x, y, x0, y0, scale,
						   max_iter, &k, &z);
					ck_assert_msg(
					    count[y * W + x] == k &&
						last[y * W + x] == z,
					    "local %llux%llu: (%d, %d) %d %d, "
					    "want %d %d",
					    (unsigned long long)sizes[c][0],
					    (unsigned long long)sizes[c][1], x,
					    y, count[y * W + x],
					    last[y * W + x], k, z);
					min_k = k < min_k ? k : min_k;
					max_k = k > max_k ? k : max_k;
				}
		}
	}
	/* lanes left at step 0 (max_iter 0), at 64 and between */
	ck_assert_int_eq(min_k, 0);
	ck_assert_int_eq(max_k, 64);
	release(&g);

	compile(&g, escape_src, "collatz");
	enum { N = 45 };
	int out[4 * N];
	for (int cap = 0; cap <= 200; cap += 8) {
		static const uint64_t locals[] = {1, 3, 5, 9, 15, 45};
		for (size_t l = 0; l < sizeof(locals) / sizeof(*locals); l++) {
			uint64_t local = locals[l];
			struct vjit_arg args[2] = {{out, sizeof(out)},
						   {&cap, 0}};
			struct vjit_ndrange nd = {
			    1, {N, 1, 1}, {local, 1, 1}, {0}};
			struct vjit_fault fault;
			ck_assert_int_eq(run(&g, args, 2, &nd, &fault), 0);
			for (int i = 0; i < N; i++) {
				int n = i + 1, odd = 0, third = -1, j;
				for (j = 0; j < cap; j++) {
					if (n == 1)
						break;
					if (j == 3)
						third = n;
					if (n & 1) {
						n = 3 * n + 1;
						odd++;
						continue;
					}
					n >>= 1;
					if (n == 16 && odd > 2)
						break;
				}
				int want[4] = {j, odd * 1000 + n,
					       j > 3 ? third : -1, 0};
				while (n > 1 && want[3] < cap) {
					n = n & 1 ? n - 1 : n / 2;
					want[3]++;
				}
				for (int k = 0; k < 4; k++)
					ck_assert_msg(
					    out[4 * i + k] == want[k],
					    "cap %d local %llu: out[%d][%d] "
					    "= %d, want %d",
					    cap, (unsigned long long)local, i,
					    k, out[4 * i + k], want[k]);
			}
		}
	}
	release(&g);

	compile(&g, escape_src, "bounded");
	for (int n = 0; n <= N; n += 20) {
		int cap = 4;
		struct vjit_arg args[3] = {
		    {out, sizeof(out)}, {&n, 0}, {&cap, 0}};
		struct vjit_ndrange nd = {1, {N, 1, 1}, {15, 1, 1}, {0}};
		struct vjit_fault fault;
		memset(out, 0xff, sizeof(out));
		ck_assert_int_eq(run(&g, args, 3, &nd, &fault), 0);
		for (int i = 0; i < N; i++) {
			int v = i, k = 0;
			while (v != 0 && k < cap) {
				v /= 2;
				k++;
			}
			int want = i < n ? k * 100 + v : -1;
			ck_assert_msg(out[i] == want,
				      "n %d: out[%d] = %d, want %d", n, i,
				      out[i], want);
		}
	}
	release(&g);
}
END_TEST

/* Lines of the code of SRC's KERNEL (VGPUJIT_DUMP) before optimization
 * (STAGE "pre") or after ("opt") that MATCH. */
static int dumped(const char *src, const char *kernel, const char *stage,
		  bool (*match)(const char *line))
{
	char prefix[JIT_DUMP_PREFIX];
	jit_dump_start(prefix);
	struct prog g;
	compile(&g, src, kernel);
	release(&g);
	return jit_dump_end(prefix, stage, match);
}

/* The group-level loop of a divergent one (wg_divergent.c names it). */
static bool div_block(const char *line)
{
	return strncmp(line, "g.div", 5) == 0; /* g.div:, g.div1:, ... */
}

static bool vector_shift(const char *line)
{
	return strstr(line, "ashr <") != NULL;
}

/* docs/examples/opencl/mandelbrot.cl, and the same loop reading memory
 * (a zero added), which stays inside the work-item loop: the same float
 * operations in the same order, so the same counts bit for bit. */
static const char mandel_src[] =
    "__kernel void mandelbrot(const int w, const float x0, const float y0,\n"
    "			 const float scale, const int max_iter,\n"
    "			 __global int *count)\n"
    "{\n"
    "	const int px = get_global_id(0), py = get_global_id(1);\n"
    "	const float cr = x0 + px * scale, ci = y0 + py * scale;\n"
    "	float zr = 0.0f, zi = 0.0f;\n"
    "	int k = 0;\n"
    "	while (k < max_iter && zr * zr + zi * zi <= 4.0f) {\n"
    "		const float t = zr * zr - zi * zi + cr;\n"
    "		zi = 2.0f * zr * zi + ci;\n"
    "		zr = t;\n"
    "		k++;\n"
    "	}\n"
    "	count[py * w + px] = k;\n"
    "}\n"
    "__kernel void scalar(const int w, const float x0, const float y0,\n"
    "		     const float scale, const int max_iter,\n"
    "		     __global int *count, __global const int *zero)\n"
    "{\n"
    "	const int px = get_global_id(0), py = get_global_id(1);\n"
    "	const float cr = x0 + px * scale, ci = y0 + py * scale;\n"
    "	float zr = 0.0f, zi = 0.0f;\n"
    "	int k = 0;\n"
    "	while (k < max_iter && zr * zr + zi * zi <= 4.0f) {\n"
    "		const float t = zr * zr - zi * zi + cr;\n"
    "		zi = 2.0f * zr * zi + ci;\n"
    "		zr = t;\n"
    "		k += 1 + zero[0];\n"
    "	}\n"
    "	count[py * w + px] = k;\n"
    "}\n";

START_TEST(divergent_same_floats)
{
	enum { W = 128, H = 96 };
	static int got[W * H], want[W * H];
	int zero = 0, w = W, max_iter = 200;
	float x0 = -2.0f, y0 = -1.25f, scale = 2.5f / W;
	struct vjit_arg args[7] = {{&w, 0},
				   {&x0, 0},
				   {&y0, 0},
				   {&scale, 0},
				   {&max_iter, 0},
				   {got, sizeof(got)},
				   {&zero, sizeof(zero)}};
	struct vjit_ndrange nd = {2, {W, H, 1}, {64, 2, 1}, {0}};
	struct vjit_fault fault;
	struct prog g;
	compile(&g, mandel_src, "mandelbrot");
	ck_assert_int_eq(run(&g, args, 6, &nd, &fault), 0);
	release(&g);
	args[5].base = want;
	compile(&g, mandel_src, "scalar");
	ck_assert_int_eq(run(&g, args, 7, &nd, &fault), 0);
	release(&g);
	for (int i = 0; i < W * H; i++)
		ck_assert_msg(got[i] == want[i], "count[%d] = %d, want %d", i,
			      got[i], want[i]);
	/* mandelbrot's, not scalar's */
	ck_assert_int_eq(dumped(mandel_src, "mandelbrot", "pre", div_block), 1);
}
END_TEST

/* The steps of all work-items in one work-item loop (its group-level
 * loop, g.div), vectorized across them: the shifts of the step are
 * vector shifts; a loop with a memory access stays where it was. The
 * code dumped is the whole program's: one g.div a divergent loop. */
START_TEST(divergent_vectorized)
{
	/* escape's, collatz's two and bounded's */
	ck_assert_int_eq(dumped(escape_src, "escape", "pre", div_block), 4);
	ck_assert_int_gt(dumped(escape_src, "escape", "opt", vector_shift), 0);
	ck_assert_int_eq(dumped(sum_src, "sum", "pre", div_block), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jit_loops");
	TCase *t = tcase_create("jit_loops");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, rows_of_any_height);
	tcase_add_test(t, order_kept);
	tcase_add_test(t, group_counter);
	tcase_add_test(t, fault_in_loop);
	tcase_add_test(t, counter_read_before_init);
	tcase_add_test(t, nbody_steps);
	tcase_add_test(t, steps_across_work_items);
	tcase_add_test(t, nbody_fault);
	tcase_add_test(t, small_groups);
	tcase_add_test(t, lanes_kept);
	tcase_add_test(t, divergent_exits);
	tcase_add_test(t, divergent_vectorized);
	tcase_add_test(t, divergent_same_floats);
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
