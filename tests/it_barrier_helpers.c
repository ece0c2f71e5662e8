/*
 * Barriers in helper functions (issue 12): the kernels of
 * tests/cl/barrier_helpers.cl, whose helpers hold barriers that the
 * compiler inlines into them, built and launched on the real daemon over
 * real buffers, each result against the same computation in C.
 */
#include <check.h>
#include <fcntl.h>
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
	mem_put_cl(&d, "barrier_helpers.cl", "bh.cl");
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* mem/NAME made with LEN bytes of DATA. */
static void put(const char *name, const void *data, size_t len)
{
	ck_assert_int_eq(buf_create(&d, name, len), 0);
	buf_write(&d, name, data, len);
}

/* Runs a launch of bh.cl (ARGS after the program), which must succeed. */
static void launch(const char *args)
{
	char line[512], buf[512];
	snprintf(line, sizeof(line), "launch prog=bh.cl %s", args);
	run_line(&d, line, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, " ok launch"), "'%s' -> '%s'", line, buf);
}

enum { N = 32 }; /* matrices N x N, tiles of 8 */

/* The tile loads and their barriers in a helper called in the kernel's
 * loop over tiles. */
START_TEST(matmul_tiles_in_helper)
{
	static float a[N * N], b[N * N], c[N * N], want[N * N];
	for (int i = 0; i < N * N; i++) {
		a[i] = (float)(i % 7 - 3);
		b[i] = (float)(i % 5 - 2);
	}
	for (int r = 0; r < N; r++)
		for (int k = 0; k < N; k++) {
			float s = 0;
			for (int t = 0; t < N; t++)
				s += a[r * N + t] * b[t * N + k];
			want[r * N + k] = s;
		}
	put("a", a, sizeof(a));
	put("b", b, sizeof(b));
	put("c", c, sizeof(c));
	launch("kernel=matmul_tiles global=32,32 local=8,8 A=a B=b C=c n=32");
	buf_read(&d, "c", c, sizeof(c));
	for (int i = 0; i < N * N; i++)
		ck_assert_msg(c[i] == want[i], "c[%d] = %g, want %g", i, c[i],
			      want[i]);
}
END_TEST

/* A tree reduction in a helper: a loop of barriers, a result. */
START_TEST(reduction_in_helper)
{
	enum { n = 1024, group = 256 };
	static float x[n], sums[n / group], centered[n];
	for (int i = 0; i < n; i++)
		x[i] = (float)((i * 37) % 19);
	put("x", x, sizeof(x));
	put("sums", sums, sizeof(sums));
	put("centered", centered, sizeof(centered));
	launch("kernel=group_sums global=1024 local=256 x=x out=sums "
	       "centered=centered tmp=1024");
	buf_read(&d, "sums", sums, sizeof(sums));
	buf_read(&d, "centered", centered, sizeof(centered));
	for (int g = 0; g < n / group; g++) {
		float s = 0; /* small integers: exact in any order */
		for (int i = 0; i < group; i++)
			s += x[g * group + i];
		ck_assert_msg(sums[g] == s, "group %d: %g, want %g", g, sums[g],
			      s);
		for (int i = 0; i < group; i++)
			ck_assert(centered[g * group + i] ==
				  x[g * group + i] - s / group);
	}
}
END_TEST

/* A helper with barriers calling another in its loop (two levels). */
START_TEST(scan_two_levels)
{
	enum { n = 256, group = 64 };
	static int x[n], y[n];
	for (int i = 0; i < n; i++)
		x[i] = (i * 13) % 11 - 5;
	put("x", x, sizeof(x));
	put("y", y, sizeof(y));
	launch("kernel=scan_groups global=256 local=64 x=x y=y t=256");
	buf_read(&d, "y", y, sizeof(y));
	for (int g = 0; g < n / group; g++) {
		int s = 0;
		for (int i = g * group; i < (g + 1) * group; i++) {
			s += x[i];
			ck_assert_msg(y[i] == s, "y[%d] = %d, want %d", i, y[i],
				      s);
		}
	}
}
END_TEST

/* A helper with barriers called in the kernel's uniform loop (one round
 * skipped by continue). */
START_TEST(helper_in_uniform_loop)
{
	enum { n = 128, group = 64, rounds = 9 };
	static float x[n], want[n];
	for (int i = 0; i < n; i++)
		x[i] = (float)((i * 29) % 17);
	for (int g = 0; g < n / group; g++) {
		float a[group], b[group];
		memcpy(a, x + g * group, sizeof(a));
		for (int r = 0; r < rounds; r++) {
			if (r == 5)
				continue;
			for (int l = 0; l < group; l++)
				b[l] = (a[(l + group - 1) % group] + a[l] +
					a[(l + 1) % group]) /
				       4.0f;
			memcpy(a, b, sizeof(a));
		}
		memcpy(want + g * group, a, sizeof(a));
	}
	put("x", x, sizeof(x));
	launch("kernel=smooth_rounds global=128 local=64 x=x a=256 b=256 "
	       "rounds=9");
	buf_read(&d, "x", x, sizeof(x));
	for (int i = 0; i < n; i++)
		ck_assert_msg(x[i] == want[i], "x[%d] = %g, want %g", i, x[i],
			      want[i]);
}
END_TEST

/* A helper with barriers, a result, private and __local pointer
 * parameters, a return taken by the whole group before its barriers and
 * one taken by some work-items after them. */
START_TEST(helper_result_and_pointers)
{
	enum { n = 96, group = 32 };
	static int x[n], out[2 * n];
	for (int i = 0; i < n; i++)
		x[i] = (i * 7) % 23;
	put("x", x, sizeof(x));
	put("out", out, sizeof(out));
	launch("kernel=ranks global=96 local=32 x=x out=out vals=128 "
	       "limit=12");
	buf_read(&d, "out", out, sizeof(out));
	for (int i = 0; i < n; i++) {
		int g = i / group * group, below = 0, rank = 0;
		for (int k = 0; k < group; k++) {
			int v = x[g + k];
			below += v < 12;
			rank += v < x[i] || (v == x[i] && g + k < i);
		}
		int c = x[i] >= 12 ? below + 1000 : below;
		ck_assert_msg(out[2 * i] == c && out[2 * i + 1] == rank,
			      "item %d: %d %d, want %d %d", i, out[2 * i],
			      out[2 * i + 1], c, rank);
	}
	launch("kernel=ranks global=96 local=32 x=x out=out vals=128 "
	       "limit=-1");
	buf_read(&d, "out", out, sizeof(out));
	for (int i = 0; i < n; i++)
		ck_assert(out[2 * i] == -1 && out[2 * i + 1] == -7);
}
END_TEST

/* An argument whose variable the call's arguments change (i++). */
START_TEST(argument_changed_by_call)
{
	enum { n = 64, group = 16 };
	static int y[2 * n];
	put("y", y, sizeof(y));
	launch("kernel=post_increment global=64 local=16 y=y t=64");
	buf_read(&d, "y", y, sizeof(y));
	for (int i = 0; i < n; i++) {
		int next = i / group * group + (i + 1) % group;
		ck_assert_msg(y[2 * i] == next + i && y[2 * i + 1] == i + 1,
			      "item %d: %d %d", i, y[2 * i], y[2 * i + 1]);
	}
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    matmul_tiles_in_helper,
	    reduction_in_helper,
	    scan_two_levels,
	    helper_in_uniform_loop,
	    helper_result_and_pointers,
	    argument_changed_by_call,
	};
	return run_suite(suite_with_daemon("barrier_helpers", setup, teardown,
					   120, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
