/*
 * The work-group loop nest's transformations of loops (jit/wg_interchange.c,
 * jit/wg_group_counter.c): OpenCL C through the real front end and code
 * generator, run in-process against C references, on the sizes where they
 * could go wrong (rows of work-items not a multiple of the rows run
 * together, one work-item a row, loops that must keep their order, a
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
	suite_add_tcase(s, t);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
