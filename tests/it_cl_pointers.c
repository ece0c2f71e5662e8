/*
 * Pointer operators in users' OpenCL C (issue 12), run by the real daemon
 * from tests/cl/pointers.cl and checked against C: comparisons and
 * differences (a binary search, a linked walk to an end pointer), null
 * pointers and pointers as conditions (an optional parameter chosen by a
 * flag), a store through null failing the launch with EFAULT, and a
 * __constant table passed to a helper and pointed into.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
	mem_put_cl(&d, "pointers.cl", "p.cl");
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* LINE runs without error. */
static void launch_ok(const char *line)
{
	expect_completion(&d, line, "ok launch", NULL);
}

enum { N = 1000, K = 256 };

START_TEST(binary_search)
{
	static int sorted[N], keys[K], out[K];
	for (int i = 0; i < N; i++)
		sorted[i] = 3 * i + 1; /* 1, 4, 7, ... */
	for (int k = 0; k < K; k++)
		keys[k] =
		    (k * 37) % (3 * N + 4) - 2; /* hits, misses, outside */
	mem_put(&d, "sorted", sorted, sizeof(sorted));
	mem_put(&d, "keys", keys, sizeof(keys));
	mem_put(&d, "out", out, sizeof(out));
	launch_ok("launch prog=p.cl kernel=bsearch global=256 sorted=sorted "
		  "n=1000 keys=keys out=out");
	buf_read(&d, "out", out, sizeof(out));
	int hits = 0;
	for (int k = 0; k < K; k++) {
		int want = -1;
		for (int i = 0; i < N; i++)
			if (sorted[i] == keys[k])
				want = i;
		hits += want >= 0;
		ck_assert_msg(out[k] == want, "key %d: %d, want %d", keys[k],
			      out[k], want);
	}
	ck_assert_int_gt(hits, 10);
	ck_assert_int_lt(hits, K - 10);
}
END_TEST

START_TEST(linked_walk)
{
	static int steps[N];
	static float vals[N], out[N];
	for (int i = 0; i < N; i++) {
		int s = 1 + (i * 7) % 5;
		steps[i] = i + s <= N ? s : N - i; /* lands on the end */
		vals[i] = (float)(i % 13) * 0.25f;
	}
	mem_put(&d, "steps", steps, sizeof(steps));
	mem_put(&d, "vals", vals, sizeof(vals));
	mem_put(&d, "out", out, sizeof(out));
	launch_ok("launch prog=p.cl kernel=walk global=1000 steps=steps "
		  "vals=vals n=1000 out=out");
	buf_read(&d, "out", out, sizeof(out));
	for (int s = 0; s < N; s++) {
		float sum = 0.0f;
		for (int p = s; p != N; p += steps[p])
			sum += vals[p];
		ck_assert_msg(out[s] == sum, "walk from %d: %g, want %g", s,
			      out[s], sum);
	}
}
END_TEST

START_TEST(optional_pointer)
{
	static float x[K], bias[K], got[K];
	for (int i = 0; i < K; i++) {
		x[i] = (float)i;
		bias[i] = (float)(i % 7) - 3.0f;
	}
	mem_put(&d, "bias", bias, sizeof(bias));
	for (int use = 0; use <= 1; use++) {
		mem_put(&d, "x", x, sizeof(x));
		char line[256];
		snprintf(line, sizeof(line),
			 "launch prog=p.cl kernel=optional global=256 x=x "
			 "bias=bias use_bias=%d",
			 use);
		launch_ok(line);
		buf_read(&d, "x", got, sizeof(got));
		for (int i = 0; i < K; i++) {
			float want = use ? x[i] + bias[i] : (x[i] + 0.5f) * 2;
			if (use && bias[i] < 0.0f)
				want = -want;
			ck_assert_msg(got[i] == want,
				      "use_bias=%d x[%d] = %g, want %g", use, i,
				      got[i], want);
		}
	}
}
END_TEST

START_TEST(null_store_faults)
{
	static float x[64], got[64];
	for (int i = 0; i < 64; i++)
		x[i] = -1.0f;
	mem_put(&d, "x", x, sizeof(x));
	expect_completion(
	    &d, "launch prog=p.cl kernel=null_store global=64 x=x bad=1",
	    "err EFAULT",
	    "kernel 'null_store': access through a null pointer at byte "
	    "offset 0");
	buf_read(&d, "x", got, sizeof(got));
	ck_assert_mem_eq(got, x, sizeof(x)); /* nothing written */
	/* the daemon serves on; the same kernel without null runs */
	launch_ok("launch prog=p.cl kernel=null_store global=64 x=x bad=0");
	buf_read(&d, "x", got, sizeof(got));
	for (int i = 0; i < 64; i++)
		ck_assert(got[i] == 1.0f);
}
END_TEST

START_TEST(constant_table)
{
	static const float table[8] = {0.5f, 1.5f, 2.5f, 3.5f,
				       4.5f, 5.5f, 6.5f, 7.5f};
	static int idx[K];
	static float out[K];
	for (int i = 0; i < K; i++)
		idx[i] = i * 5 - 300;
	mem_put(&d, "idx", idx, sizeof(idx));
	mem_put(&d, "out", out, sizeof(out));
	launch_ok("launch prog=p.cl kernel=lut global=256 idx=idx out=out");
	buf_read(&d, "out", out, sizeof(out));
	for (int i = 0; i < K; i++) {
		float want =
		    table[idx[i] & 7] + table[1] + table[idx[i] & 3] + 100.0f;
		ck_assert_msg(out[i] == want, "out[%d] = %g, want %g", i,
			      out[i], want);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cl_pointers");
	TCase *tc = tcase_create("pointers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, binary_search);
	tcase_add_test(tc, linked_walk);
	tcase_add_test(tc, optional_pointer);
	tcase_add_test(tc, null_store_faults);
	tcase_add_test(tc, constant_table);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
