/*
 * The next step's tile prefetched (docs/compiler.md, "Prefetch"). In
 * the tiled multiply's `for (t = 0; t < n; t += 16) { at[lr][lc] =
 * a[row * n + t + lc]; ...; barrier; ... }` the copy waited on its loads
 * of A and B (half the samples at 2048): each row of B's tile is 8 KiB
 * from the last, farther than the hardware's prefetchers go. A load at
 * the top level of a work-item loop whose offset moves with a group
 * counter (wg_group_counter.c) has the offset of the counter's next step
 * computed beside it (its instructions copied with the counter plus the
 * step), and after the x loop the last work-item's is prefetched: one
 * prefetch per row of work-items, none in the x loop (a call there
 * would stop LLVM vectorizing it).
 *
 * The address prefetched is always inside the load's buffer: the next
 * offset where it is in bounds, the buffer's start otherwise. A
 * prefetch never faults, but the daemon runs kernels in its own address
 * space, and prefetching an address of the kernel's choosing would let
 * it time which of the daemon's pages are mapped or cached.
 */
#include <stdlib.h>

#include "jit_internal.h"

/* Loads prefetched per work-item loop, instructions copied per offset. */
#define PF_MAX	  8
#define PF_COPIES 32

struct wg_prefetch {
	LLVMValueRef var; /* the last work-item's address, an alloca */
};

/* V + step when V loads a group counter, else NULL. */
static LLVMValueRef counter_next(struct cg_func *C, LLVMValueRef v)
{
	const struct wg_plan *P = C->plan;
	if (!LLVMIsALoadInst(v))
		return NULL;
	LLVMValueRef ptr = LLVMGetOperand(v, 0);
	LLVMTypeRef t = LLVMTypeOf(v);
	for (uint32_t s = 0; s < C->f->nslots; s++) {
		if (!wg_group_counter(P, s) || C->slot_ptr[s] != ptr)
			continue;
		uint32_t x = P->gstep[s];
		LLVMValueRef step;
		if (x < C->f->nparams) {
			step = cg_get(C, x).v;
		} else {
			const struct vcl_ir_inst *d = P->facts.def[x];
			step = LLVMConstInt(t, d->imm, 0);
		}
		if (!step || LLVMTypeOf(step) != t)
			return NULL;
		return LLVMBuildAdd(C->b, v, step, "pf.t");
	}
	return NULL;
}

static bool copied_op(LLVMOpcode op)
{
	switch (op) {
	case LLVMAdd:
	case LLVMSub:
	case LLVMMul:
	case LLVMShl:
	case LLVMLShr:
	case LLVMAShr:
	case LLVMAnd:
	case LLVMOr:
	case LLVMXor:
	case LLVMSExt:
	case LLVMZExt:
	case LLVMTrunc:
		return true;
	default:
		return false;
	}
}

/* V with the group counters it reads advanced one step (V itself when it
 * reads none through integer arithmetic), or NULL past *budget copies. */
static LLVMValueRef advanced(struct cg_func *C, LLVMValueRef v,
			     unsigned *budget)
{
	LLVMValueRef next = counter_next(C, v);
	if (next)
		return next;
	if (!LLVMIsAInstruction(v) || !copied_op(LLVMGetInstructionOpcode(v)))
		return v;
	if (!*budget)
		return NULL;
	--*budget;
	int n = LLVMGetNumOperands(v);
	LLVMValueRef ops[2];
	bool moved = false;
	for (int k = 0; k < n && k < 2; k++) {
		LLVMValueRef o = LLVMGetOperand(v, (unsigned)k);
		ops[k] = advanced(C, o, budget);
		if (!ops[k])
			return NULL;
		moved |= ops[k] != o;
	}
	if (!moved)
		return v;
	/* the copy keeps nsw/nuw: the offset may be poison past a wrap,
	 * which the freeze in wg_prefetch_note makes some offset */
	LLVMValueRef c = LLVMInstructionClone(v);
	for (int k = 0; k < n && k < 2; k++)
		LLVMSetOperand(c, (unsigned)k, ops[k]);
	LLVMInsertIntoBuilder(C->b, c);
	return c;
}

void wg_prefetch_note(struct cg_func *C, const struct vcl_ir_inst *i,
		      struct cg_val p)
{
	const struct wg_plan *P = C->plan;
	/* the top level of a plain work-item loop: its code runs for every
	 * work-item, so the last one's address is there after the x loop
	 * without a branch in it (a return's "done" test is one) */
	if (!C->kernel || !P || !P->gstep || P->returns || !C->wi_latch ||
	    C->wi_yend || C->wi_top != i || C->npf == PF_MAX ||
	    !LLVMIsAConstantInt(p.obj) ||
	    LLVMConstIntGetZExtValue(p.obj) >= C->f->nparams)
		return;
	if (!C->pf && !(C->pf = calloc(PF_MAX, sizeof(*C->pf))))
		return; /* no prefetch: the code is the same otherwise */
	unsigned budget = PF_COPIES;
	LLVMValueRef next = advanced(C, p.v, &budget);
	if (!next || next == p.v)
		return;
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	next = LLVMBuildFreeze(B, next, "");
	LLVMValueRef in = LLVMBuildICmp(B, LLVMIntULT, next, p.size, "");
	LLVMValueRef off =
	    LLVMBuildSelect(B, in, next, LLVMConstInt(M->i64, 0, 0), "");
	LLVMValueRef var = LLVMBuildAlloca(C->eb, M->ptr, "pf");
	LLVMBuildStore(C->eb, LLVMConstNull(M->ptr), var);
	LLVMBuildStore(B, LLVMBuildGEP2(B, M->i8, p.base, &off, 1, "pf.addr"),
		       var);
	C->pf[C->npf++].var = var;
}

void wg_prefetch_emit(struct cg_func *C)
{
	struct cg_module *M = C->M;
	for (uint32_t k = 0; k < C->npf; k++) {
		LLVMValueRef a[4] = {
		    LLVMBuildLoad2(C->b, M->ptr, C->pf[k].var, ""),
		    LLVMConstInt(M->i32, 0, 0),	 /* read */
		    LLVMConstInt(M->i32, 3, 0),	 /* keep in every level */
		    LLVMConstInt(M->i32, 1, 0)}; /* data */
		LLVMTypeRef t = M->ptr;
		cg_intrinsic(C, "llvm.prefetch", &t, 1, a, 4);
	}
	C->npf = 0;
}
