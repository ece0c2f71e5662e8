/*
 * Small work-groups on the real daemon: launches with local sizes 1 to 4
 * (1D, 2D, 3D, offsets, a prime number of groups along dimension 0) of
 * tests/cl/fused_groups.cl, whose groups the device runs fused along
 * dimension 0 when nothing in the kernel can tell (docs/compiler.md,
 * "Fused groups"). Every group query checked against the launch's own
 * groups; a kernel with a barrier and __local memory; an access out of
 * bounds in a fused run failing as it does unfused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpu/vgpu.h>

#include "harness.h"

static struct daemon_proc d;
static vgpu_device *dev;
static vgpu_buffer *prog;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
	ck_assert_int_eq(vgpu_program_load_file(
			     dev, NULL, cl_path("fused_groups.cl"), &prog),
			 0);
}

static void teardown(void)
{
	vgpu_buffer_close(prog);
	vgpu_close(dev);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* KERNEL over ND with buffer OUT as "out" and NMORE more arguments; the
 * launch's status, its message in MSG. */
static int run(const char *kernel, const vgpu_ndrange *nd, vgpu_buffer *out,
	       const vgpu_karg *more, size_t nmore, char msg[256])
{
	vgpu_karg args[4] = {VGPU_KBUF("out", out, 0)};
	if (nmore)
		memcpy(args + 1, more, nmore * sizeof(*more));
	vgpu_stream *s;
	ck_assert_int_eq(vgpu_stream_create(dev, &s), 0);
	int64_t c = vgpu_launch_kernel(s, prog, kernel, nd, args, 1 + nmore);
	ck_assert_msg(c > 0, "%s: %lld", kernel, (long long)c);
	int rc = vgpu_wait(s, c);
	snprintf(msg, 256, "%s", vgpu_last_message(s));
	vgpu_stream_destroy(s);
	return rc;
}

/* dims, groups along 0, global 1, global 2, local 1, local 2 */
static const uint64_t shapes[][6] = {
    {1, 67, 1, 1, 1, 1}, {1, 257, 1, 1, 1, 1}, {2, 37, 5, 1, 1, 1},
    {2, 29, 4, 1, 2, 1}, {3, 23, 3, 4, 1, 2},  {3, 19, 2, 2, 2, 1},
};

static vgpu_ndrange shape(size_t s, uint64_t l0)
{
	const uint64_t *S = shapes[s];
	vgpu_ndrange nd = {(unsigned)S[0],
			   {S[1] * l0, S[2], S[3]},
			   {l0, S[4], S[5]},
			   {5, S[0] > 1 ? 3 : 0, S[0] > 2 ? 7 : 0}};
	return nd;
}

START_TEST(group_queries)
{
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (uint64_t l0 = 1; l0 <= 4; l0++) {
			vgpu_ndrange nd = shape(s, l0);
			uint64_t n = nd.global[0] * nd.global[1] * nd.global[2];
			vgpu_buffer *b;
			uint64_t *out;
			ck_assert_int_eq(
			    vgpu_buffer_create(dev, NULL, n * 15 * 8, 0644, &b),
			    0);
			ck_assert_int_eq(vgpu_buffer_map(b, (void **)&out), 0);
			char msg[256];
			ck_assert_msg(run("ids", &nd, b, NULL, 0, msg) == 0,
				      "%s", msg);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t c[3] = {
				    i % nd.global[0],
				    i / nd.global[0] % nd.global[1],
				    i / nd.global[0] / nd.global[1]};
				for (int dd = 0; dd < 3; dd++) {
					uint64_t want[5] = {
					    c[dd] / nd.local[dd],
					    c[dd] % nd.local[dd],
					    c[dd] + nd.offset[dd], nd.local[dd],
					    nd.global[dd] / nd.local[dd]};
					for (int w = 0; w < 5; w++)
						ck_assert_msg(
						    out[i * 15 + dd * 5 + w] ==
							want[w],
						    "shape %zu local %llu item "
						    "%llu dim %d query %d: "
						    "%llu, want %llu",
						    s, (unsigned long long)l0,
						    (unsigned long long)i, dd,
						    w,
						    (unsigned long long)
							out[i * 15 + dd * 5 +
							    w],
						    (unsigned long long)
							want[w]);
				}
			}
			vgpu_buffer_close(b);
		}
}
END_TEST

/* A kernel of global ids only and one with a barrier and __local memory,
 * at local sizes 1 to 4. */
START_TEST(saxpy_and_barrier)
{
	for (uint64_t l0 = 1; l0 <= 4; l0++) {
		vgpu_ndrange nd = shape(1, l0);
		uint64_t n = nd.global[0];
		vgpu_buffer *bx, *by;
		float *x, *y;
		ck_assert_int_eq(
		    vgpu_buffer_create(dev, NULL, n * 4, 0644, &bx), 0);
		ck_assert_int_eq(
		    vgpu_buffer_create(dev, NULL, n * 8, 0644, &by), 0);
		ck_assert_int_eq(vgpu_buffer_map(bx, (void **)&x), 0);
		ck_assert_int_eq(vgpu_buffer_map(by, (void **)&y), 0);
		for (uint64_t i = 0; i < n; i++) {
			x[i] = (float)i;
			y[i] = 0.5f * (float)i;
		}
		vgpu_karg more[2] = {VGPU_KFLOAT("a", 2.0),
				     VGPU_KBUF("x", bx, 0)};
		char msg[256];
		vgpu_karg args[3] = {VGPU_KBUF("y", by, 0), more[0], more[1]};
		vgpu_stream *s;
		ck_assert_int_eq(vgpu_stream_create(dev, &s), 0);
		int64_t c = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, 3);
		ck_assert(c > 0);
		ck_assert_msg(vgpu_wait(s, c) == 0, "%s", vgpu_last_message(s));
		vgpu_stream_destroy(s);
		for (uint64_t i = 0; i < n; i++)
			ck_assert_msg(y[i] == 2.5f * (float)i,
				      "saxpy local %llu: y[%llu] = %g",
				      (unsigned long long)l0,
				      (unsigned long long)i, y[i]);
		uint64_t *o = (uint64_t *)y;
		ck_assert_msg(run("rev", &nd, by, NULL, 0, msg) == 0, "%s",
			      msg);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t g = i / l0, j = g * l0 + l0 - 1 - i % l0;
			ck_assert_msg(o[i] == (j + 5) * 100 + g,
				      "rev local %llu: %llu: %llu",
				      (unsigned long long)l0,
				      (unsigned long long)i,
				      (unsigned long long)o[i]);
		}
		vgpu_buffer_close(bx);
		vgpu_buffer_close(by);
	}
}
END_TEST

/* Out of bounds in a fused run: the launch fails with the message of an
 * unfused one. */
START_TEST(fault_in_fused_run)
{
	for (uint64_t l0 = 1; l0 <= 4; l0++) {
		vgpu_ndrange nd = {1, {64 * l0, 1, 1}, {l0, 1, 1}, {0}};
		vgpu_buffer *b;
		float *out;
		ck_assert_int_eq(
		    vgpu_buffer_create(dev, NULL, 64 * l0 * 4, 0644, &b), 0);
		ck_assert_int_eq(vgpu_buffer_map(b, (void **)&out), 0);
		vgpu_karg k = VGPU_KINT("k", 3);
		char msg[256];
		ck_assert_int_ne(run("wr", &nd, b, &k, 1, msg), 0);
		char want[64];
		snprintf(want, sizeof(want), "byte offset %llu",
			 (unsigned long long)(64 * l0 * 4));
		ck_assert_msg(strstr(msg, "'wr'") && strstr(msg, "'out'") &&
				  strstr(msg, want),
			      "local %llu: %s", (unsigned long long)l0, msg);
		vgpu_buffer_close(b);
	}
}
END_TEST

/* Groups of the device's own size (256) run fused too, so that a call's
 * fixed cost is spread thin: the first two groups of 256 x 2 (in a tile of
 * the daemon's with more: 4096 groups) as one run, whose first fault is in
 * its first row (in the second group), where the groups one after the
 * other would fault in the first group's second row. */
START_TEST(device_size_groups_fused)
{
	const uint64_t w = 4096 * 256, n = 2 * w;
	vgpu_ndrange nd = {2, {w, 2, 1}, {256, 2, 1}, {0}};
	vgpu_buffer *b;
	ck_assert_int_eq(vgpu_buffer_create(dev, NULL, n * 4, 0644, &b), 0);
	vgpu_karg k = VGPU_KINT("n", (int64_t)n);
	char msg[256], want[64];
	ck_assert_int_ne(run("two_faults", &nd, b, &k, 1, msg), 0);
	snprintf(want, sizeof(want), "byte offset %llu", /* (300, 0)'s */
		 (unsigned long long)(n + 300) * 4);
	ck_assert_msg(strstr(msg, "'two_faults'") && strstr(msg, want), "%s",
		      msg);
	vgpu_buffer_close(b);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {group_queries, saxpy_and_barrier,
				      fault_in_fused_run,
				      device_size_groups_fused};
	return run_suite(suite_with_daemon("cl_groups", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
