/* The kernels of tests/cl/builtins_libm.cl and switch_labels.cl run on
 * their inputs and checked against libm (in long double) and C: shared
 * by unit_compiler_run (the IR evaluator and the code generator
 * in-process) and it_cl_builtins (the real daemon), each giving its own
 * way to run a kernel. */
#ifndef BUILTINS_CHECK_H
#define BUILTINS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A kernel's buffer parameter: its name and the bytes it starts with,
 * read back into data once the kernel ran. */
struct bc_param {
	const char *name;
	void *data;
	size_t size;
};

/* Runs KERNEL of tests/cl/FILE over ITEMS work-items (one group when
 * the runner can) with its N buffer parameters P, in order. */
typedef void bc_runner(const char *file, const char *kernel, struct bc_param *p,
		       unsigned n, uint64_t items);

/* remainder remquo frexp tgamma lgamma lgamma_r ilogb sinpi cospi tanpi
 * asinpi acospi atanpi atan2pi ldexp rootn on float (dbl false) or
 * double. */
void bc_math(bc_runner *run, bool dbl);
/* frexp, remquo, lgamma_r through __global, __local and __private
 * pointers to float4 and double2 lanes. */
void bc_out_parameters(bc_runner *run);
/* mad_sat on long and ulong, upsample, nan. */
void bc_int64(bc_runner *run);
/* Duff's device and labels inside ifs, a for, a while. */
void bc_switch_labels(bc_runner *run);

#endif
