/*
 * Kernels called from kernels, and private objects of more than 4096
 * words (issue 12): tests/cl/kernel_calls.cl run by the real daemon and
 * checked against C. A kernel called like a function (its work-item
 * functions the caller's), one with a barrier called twice, arrays of
 * 8192 ints zeroed by {0} and partly initialized, a struct of 20 KiB
 * copied; and the refusal of a call of a kernel that declares __local
 * variables, naming it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
	mem_put_cl(&d, "kernel_calls.cl", "k.cl");
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static void launch_ok(const char *line)
{
	expect_completion(&d, line, "ok launch", NULL);
}

enum { N = 256, G = 16, W = 64 };

START_TEST(kernel_called_like_a_function)
{
	static float x[N], got[N];
	for (int i = 0; i < N; i++)
		x[i] = (float)(i % 17) - 4.0f;
	mem_put(&d, "x", x, sizeof(x));
	launch_ok("launch prog=k.cl kernel=scale_add global=256 x=x a=3 b=0.5");
	buf_read(&d, "x", got, sizeof(got));
	for (int i = 0; i < N; i++)
		ck_assert_msg(got[i] == x[i] * 3.0f + 0.5f, "x[%d] = %g", i,
			      got[i]);
}
END_TEST

START_TEST(kernel_with_barrier_called)
{
	static int v[N], tmp[N], got[N];
	for (int i = 0; i < N; i++)
		v[i] = i * 7 - 300;
	mem_put(&d, "v", v, sizeof(v));
	mem_put(&d, "tmp", tmp, sizeof(tmp));
	launch_ok("launch prog=k.cl kernel=reverse_add_reverse global=256 "
		  "local=16 v=v tmp=tmp");
	buf_read(&d, "v", got, sizeof(got));
	for (int i = 0; i < N; i++) {
		int g = i / G * G, r = g + G - 1 - (i - g);
		ck_assert_msg(got[i] == v[i] + r, "v[%d] = %d, want %d", i,
			      got[i], v[i] + r);
	}
}
END_TEST

enum { BIG = 8192 };

START_TEST(big_array_zeroed)
{
	static int out[W];
	mem_put(&d, "o", out, sizeof(out));
	launch_ok("launch prog=k.cl kernel=big_zero global=64 out=o");
	buf_read(&d, "o", out, sizeof(out));
	for (int i = 0; i < W; i++) {
		static int z[BIG];
		memset(z, 0, sizeof(z));
		z[i % BIG] = 5;
		z[BIG - 1] += i;
		long s = 0;
		for (int k = 0; k < BIG; k++)
			s += (long)z[k] * (k + 1);
		ck_assert_int_eq(out[i], (int)s);
	}
}
END_TEST

START_TEST(big_array_partly_initialized)
{
	static int out[W];
	mem_put(&d, "o", out, sizeof(out));
	launch_ok("launch prog=k.cl kernel=big_partial global=64 out=o");
	buf_read(&d, "o", out, sizeof(out));
	for (int i = 0; i < W; i++) {
		static int p[BIG];
		memset(p, 0, sizeof(p));
		p[0] = i;
		p[1] = 2;
		p[2] = 3;
		p[BIG - 2] = 9;
		long s = 0;
		for (int k = 0; k < BIG; k++)
			s += (long)p[k] * (k + 7);
		ck_assert_int_eq(out[i], (int)s);
	}
}
END_TEST

START_TEST(big_struct_copied)
{
	static int out[W];
	mem_put(&d, "o", out, sizeof(out));
	launch_ok("launch prog=k.cl kernel=big_copy global=64 out=o");
	buf_read(&d, "o", out, sizeof(out));
	for (int i = 0; i < W; i++) {
		long s = 0;
		for (int k = 0; k < 5119; k++)
			s += (long)(k * 3 + i) * (k % 11 + 1);
		ck_assert_int_eq(out[i],
				 (int)s + (int)(0.5f * (float)i * 4.0f));
	}
}
END_TEST

/* OpenCL leaves a called kernel's __local variables to the
 * implementation: refused, naming the construct. */
START_TEST(kernel_with_local_refused)
{
	const char *src =
	    "__kernel void in(__global int *q) { __local int s[4];\n"
	    "  s[0] = 1; q[0] = s[0]; }\n"
	    "__kernel void out(__global int *q) { in(q); }\n";
	mem_put(&d, "l.cl", src, strlen(src));
	static int q[4];
	mem_put(&d, "q", q, sizeof(q));
	expect_completion(&d, "launch prog=l.cl kernel=out global=1 q=q", "err",
			  "calling a kernel that declares __local variables");
	launch_ok("launch prog=k.cl kernel=scale global=4 x=q a=1");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel_calls");
	TCase *tc = tcase_create("kernel_calls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, kernel_called_like_a_function);
	tcase_add_test(tc, kernel_with_barrier_called);
	tcase_add_test(tc, big_array_zeroed);
	tcase_add_test(tc, big_array_partly_initialized);
	tcase_add_test(tc, big_struct_copied);
	tcase_add_test(tc, kernel_with_local_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
