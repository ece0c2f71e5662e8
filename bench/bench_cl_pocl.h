/*
 * The peer in the OpenCL race: the same kernel source built and run by
 * the installed OpenCL CPU platform (PoCL on Debian), timed by its own
 * profiling events (kernel execution only).
 */
#ifndef VGPUFS_BENCH_CL_POCL_H
#define VGPUFS_BENCH_CL_POCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One argument as both devices take it. */
enum kernel_arg_kind { KA_BUF, KA_I32, KA_U32, KA_F32, KA_LOCAL };
struct kernel_arg {
	enum kernel_arg_kind kind;
	const char *name; /* the kernel's parameter name */
	union {
		int buf; /* KA_BUF: index into the case's buffers */
		int32_t i32;
		uint32_t u32;
		float f32;
		size_t local; /* KA_LOCAL: bytes */
	} v;
};

struct kernel_launch {
	const char *source, *kernel;
	unsigned dims;
	size_t global[3], local[3]; /* local[0] == 0: the device picks */
	const struct kernel_arg *args;
	unsigned nargs;
	void **bufs;  /* initial contents of each buffer */
	void **first; /* each buffer after the first run (entries may be
		       * NULL: not wanted) */
	const size_t *buf_bytes;
	unsigned nbufs;
};

/* The platform's version and device, or NULL when there is none. */
const char *pocl_describe(void);
/*
 * Runs L once on copies of its buffers (results into L->first), then REPS
 * more times; the median kernel time in seconds, or -1 (with a message on
 * stderr) when it could not run.
 */
double pocl_run(const struct kernel_launch *l, int reps);

#endif
