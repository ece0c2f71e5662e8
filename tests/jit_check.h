/*
 * What the code generator's in-process tests share: a launch checked and
 * run, every group of it, on the calling thread.
 */
#ifndef VGPUFS_TESTS_JIT_CHECK_H
#define VGPUFS_TESTS_JIT_CHECK_H

#include <stdint.h>

#include <vgpujit/jit.h>

/* A stop flag nobody sets. */
extern const _Atomic int jit_never_stop;

/*
 * Checks the launch of KERNEL (a refusal fails the test) and runs all its
 * groups: vjit_run_groups's result, FAULT its message.
 */
int jit_run_all(const struct vjit_program *p, int kernel,
		const struct vjit_arg *args, uint32_t nargs,
		const struct vjit_ndrange *nd, struct vjit_fault *fault);

#endif
