/*
 * A bound on the stack a kernel's group function may take: per function,
 * its slots (a pointer variable's as a whole fat pointer), 32 bytes per
 * value (a fat pointer is four registers that may all be spilled) and a
 * fixed frame (saved registers, a call's outgoing arguments), plus the
 * largest bound among the functions it calls. Functions call only
 * functions before them, so one pass in order computes it. Conservative:
 * LLVM's frames are far smaller in practice (inlining merges them, values
 * share spill slots), but none can be larger.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

#define FRAME_FIXED   4096
#define BYTES_A_VALUE 32

static uint64_t callees_max(const struct vcl_ir_block *b, const uint64_t *bound,
			    uint32_t nbound)
{
	uint64_t max = 0;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		uint64_t c = 0;
		if (i->op == VCL_IR_CALL && i->imm < nbound)
			c = bound[i->imm];
		uint64_t t = callees_max(&i->then, bound, nbound),
			 e = callees_max(&i->els, bound, nbound);
		c = c > t ? c : t;
		c = c > e ? c : e;
		max = max > c ? max : c;
	}
	return max;
}

int jit_stack_bounds(const struct vcl_ir_module *m, uint64_t *bound)
{
	for (uint32_t f = 0; f < m->nfuncs; f++) {
		const struct vcl_ir_function *fn = &m->funcs[f];
		uint64_t *slots = cg_slot_bytes(fn);
		if (!slots)
			return -ENOMEM;
		uint64_t own =
		    FRAME_FIXED + (uint64_t)BYTES_A_VALUE * fn->nvalues;
		for (uint32_t s = 0; s < fn->nslots; s++)
			own += slots[s] + 16; /* an alloca aligned to 16 */
		free(slots);
		bound[f] = own + callees_max(&fn->body, bound, f);
	}
	return 0;
}
