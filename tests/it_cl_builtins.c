/*
 * OpenCL C 1.2 built-ins and statements on the real daemon: the kernels
 * of tests/cl/builtins_libm.cl (math without an LLVM intrinsic, on float
 * and double, out parameters in every address space, mad_sat on 64 bits,
 * upsample, nan) and switch_labels.cl (case labels inside ifs and loops,
 * Duff's device) built by the daemon and launched through libvgpu; what
 * they wrote checked by builtins_check.c against libm and C. And
 * fp_contract.cl: a * b - c fused by default, not under FP_CONTRACT OFF.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpu/vgpu.h>

#include "builtins_check.h"
#include "harness.h"

static struct daemon_proc d;
static vgpu_device *dev;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
}

static void teardown(void)
{
	vgpu_close(dev);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* bc_runner: KERNEL of tests/cl/FILE over ITEMS work-items. */
static void launch(const char *file, const char *kernel, struct bc_param *p,
		   unsigned n, uint64_t items)
{
	vgpu_buffer *prog, *b[8];
	ck_assert_int_eq(
	    vgpu_program_load_file(dev, NULL, cl_path(file), &prog), 0);
	vgpu_karg args[8];
	void *map[8];
	ck_assert(n <= 8);
	for (unsigned k = 0; k < n; k++) {
		ck_assert_int_eq(
		    vgpu_buffer_create(dev, NULL, p[k].size, 0644, &b[k]), 0);
		ck_assert_int_eq(vgpu_buffer_map(b[k], &map[k]), 0);
		memcpy(map[k], p[k].data, p[k].size);
		args[k] = VGPU_KBUF(p[k].name, b[k], 0);
	}
	vgpu_stream *s;
	ck_assert_int_eq(vgpu_stream_create(dev, &s), 0);
	vgpu_ndrange nd = {.dims = 1, .global = {items}};
	int64_t c = vgpu_launch_kernel(s, prog, kernel, &nd, args, n);
	ck_assert_msg(c > 0, "%s: %lld", kernel, (long long)c);
	ck_assert_msg(vgpu_wait(s, c) == 0, "%s: %s", kernel,
		      vgpu_last_message(s));
	for (unsigned k = 0; k < n; k++) {
		memcpy(p[k].data, map[k], p[k].size);
		vgpu_buffer_close(b[k]);
	}
	vgpu_stream_destroy(s);
	vgpu_buffer_close(prog);
}

START_TEST(math_float)
{
	bc_math(launch, false);
}
END_TEST

START_TEST(math_double)
{
	bc_math(launch, true);
}
END_TEST

START_TEST(out_parameters)
{
	bc_out_parameters(launch);
}
END_TEST

START_TEST(int64_builtins)
{
	bc_int64(launch);
}
END_TEST

START_TEST(switch_labels)
{
	bc_switch_labels(launch);
}
END_TEST

/* tests/cl/fp_contract.cl: a * a - c with a = 1 + 2^-12 (or 1 + 3 *
 * 2^-12) and c the product rounded: 0 in two roundings, 2^-24 in one.
 * The fused result only where the CPU has an FMA (llvm.fmuladd). */
static void contract_run(const char *kernel, float *out, unsigned nout)
{
	float a[8];
	for (unsigned k = 0; k < 4; k++) {
		a[k] = 1.0f + (k & 1 ? 3.0f : 1.0f) * 0x1p-12f;
		volatile float p = a[k] * a[k]; /* rounded, never fused */
		a[k + 4] = p;
	}
	memset(out, 0, sizeof(float) * nout);
	struct bc_param p[] = {{"a", a, sizeof(a)},
			       {"out", out, sizeof(float) * nout}};
	launch("fp_contract.cl", kernel, p, 2, 4);
}

START_TEST(fp_contract)
{
	const float fused = __builtin_cpu_supports("fma") ? 0x1p-24f : 0.0f;
	float out[12];
	contract_run("contract_default", out, 4);
	for (unsigned k = 0; k < 4; k++)
		ck_assert_msg(out[k] == fused, "default %u: %a, wanted %a", k,
			      (double)out[k], (double)fused);
	contract_run("contract_off", out, 4);
	for (unsigned k = 0; k < 4; k++)
		ck_assert_msg(out[k] == 0.0f, "OFF %u: %a, wanted 0", k,
			      (double)out[k]);
	contract_run("contract_after", out, 12);
	for (unsigned k = 0; k < 4; k++) {
		ck_assert_msg(out[k] == 0.0f, "through a variable %u: %a", k,
			      (double)out[k]);
		ck_assert_msg(out[k + 4] == fused, "after OFF's block %u: %a",
			      k, (double)out[k + 4]);
		ck_assert_msg(out[k + 8] == fused, "mad %u: %a", k,
			      (double)out[k + 8]);
	}
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {math_float,     math_double,
				      out_parameters, int64_builtins,
				      switch_labels,  fp_contract};
	return run_suite(suite_with_daemon("cl_builtins", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
