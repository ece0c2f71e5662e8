/* A plain evaluator of verified IR for the compiler's tests: runs a
 * kernel one work-item at a time (each its own group of one, 1-D) over
 * caller-owned buffers, with the IR's semantics as docs/compiler.md
 * states them (checked accesses, safe division, saturating float to
 * integer). A reference for what the lowering means, not the code
 * generator: it is slow and knows only the intrinsics the tests use. */
#ifndef IR_EVAL_H
#define IR_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpucl/ir.h>

/* A kernel argument: a buffer (pointer parameters) or a scalar's bits
 * (a float's as its 32 bits). */
struct ev_arg {
	void *data;
	uint64_t size;
	uint64_t bits;
};

/* Runs kernel `name` for work-items 0..global-1. Returns 0, or -1 with a
 * message in err (an access out of bounds, an unknown intrinsic...). */
int ev_run(const struct vcl_ir_module *m, const char *name,
	   const struct ev_arg *args, uint32_t nargs, uint64_t global,
	   char *err, size_t cap);

#endif
