/*
 * What the code generator's in-process tests share: a launch checked and
 * run, every group of it, on the calling thread.
 */
#ifndef VGPUFS_TESTS_JIT_CHECK_H
#define VGPUFS_TESTS_JIT_CHECK_H

#include <stdbool.h>
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

/*
 * The code of the compiles between the two (VGPUJIT_DUMP, jit_compile.c):
 * start sets a fresh prefix; end counts the lines of the last compile's
 * code before optimization (STAGE "pre") or after ("opt") that MATCH,
 * and removes the files.
 */
#define JIT_DUMP_PREFIX 32
void jit_dump_start(char prefix[JIT_DUMP_PREFIX]);
int jit_dump_end(const char *prefix, const char *stage,
		 bool (*match)(const char *line));

#endif
