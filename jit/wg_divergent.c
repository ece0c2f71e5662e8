/*
 * Loops with a divergent exit run at group level (docs/compiler.md,
 * "Divergent loops"), as ISPC runs them: Mandelbrot's `while (k <
 * max_iter && zr * zr + zi * zi <= 4.0f)` leaves at a different step in
 * each work-item, so it was the innermost loop inside the work-item loop,
 * one work-item's chain of dependent steps at a time, scalar (LLVM
 * vectorizes innermost loops only). Run as `do { for (work-items) if
 * (live[wi]) step; } while (any live)`, each step is a work-item loop
 * LLVM if-converts and vectorizes across work-items: the work-item's state
 * (zr, zi, k) kept per work-item in the context as across a barrier, its
 * "left the loop" flag too, all read and written unconditionally so that
 * the vector body is loads, selects and stores; the group's loop polls
 * the stop flag once per step.
 *
 * Work-items between barriers are unordered, so running their steps
 * interleaved is one of the orders the kernel allows. Which loops: in the
 * kernel's body itself, not one the implicit barriers run already (a
 * uniform trip count), holding no memory access, pointer, call, atomic,
 * barrier, return or inner loop, and no break or continue out of it: pure
 * arithmetic on private values, where the vector lanes pay and no fault
 * can happen in a new order.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

/* Whether B, DEPTH loops inside the candidate, is pure arithmetic. */
static bool pure(const struct vcl_ir_block *b, uint32_t depth)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		switch (i->op) {
		case VCL_IR_RETURN:
		case VCL_IR_CALL:
		case VCL_IR_ATOMIC:
		case VCL_IR_BARRIER:
		case VCL_IR_LOOP:
		case VCL_IR_LOAD:
		case VCL_IR_STORE:
		case VCL_IR_CHECK:
		case VCL_IR_SLOT:
		case VCL_IR_LOCAL:
		case VCL_IR_PTRADD:
		case VCL_IR_NULLPTR:
		case VCL_IR_PTRDIFF:
		case VCL_IR_PTRCMP:
			return false;
		case VCL_IR_BREAK:
		case VCL_IR_CONTINUE:
			if (i->imm > depth)
				return false;
			break;
		default:
			break;
		}
		if (VCL_IR_KIND(i->type) == VCL_IR_PTR ||
		    !pure(&i->then, depth) || !pure(&i->els, depth))
			return false;
	}
	return true;
}

bool wg_divergent_loop(const struct wg_plan *P, const struct vcl_ir_inst *L)
{
	return L->op == VCL_IR_LOOP && !wg_has_barrier(P, L) &&
	       pure(&L->then, 0) && pure(&L->els, 0);
}

/* L's index in the plan's divergent loops, or ndiv. */
static size_t index_of(const struct wg_plan *P, const struct vcl_ir_inst *L)
{
	size_t k = 0;
	while (k < P->ndiv && P->div[k] != L)
		k++;
	return k;
}

bool wg_divergent(const struct wg_plan *P, const struct vcl_ir_inst *L)
{
	return index_of(P, L) < P->ndiv;
}

/* Slot S's first access in block B: 1 a store at B's top level (its value
 * on entry is dead), 2 any other, 0 none. */
static int first_access(const struct vcl_ir_block *b, uint64_t s)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if ((i->op == VCL_IR_STS || i->op == VCL_IR_LDS) && i->imm == s)
			return i->op == VCL_IR_STS ? 1 : 2;
		if (first_access(&i->then, s) || first_access(&i->els, s))
			return 2;
	}
	return 0;
}

static void mark_used(const struct vcl_ir_block *b, uint8_t *used,
		      uint32_t nslots)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if ((i->op == VCL_IR_STS || i->op == VCL_IR_LDS) &&
		    i->imm < nslots)
			used[i->imm] = 1;
		mark_used(&i->then, used, nslots);
		mark_used(&i->els, used, nslots);
	}
}

int wg_divergent_slots(struct wg_plan *P, const struct vcl_ir_function *f,
		       const struct vcl_ir_inst *L)
{
	uint8_t *used = calloc(f->nslots + 1, 1);
	if (!used)
		return -1;
	mark_used(&L->then, used, f->nslots);
	mark_used(&L->els, used, f->nslots);
	/* A slot carries its value from step to step unless each step
	 * stores it before any read (a temporary such as `&&`'s): the
	 * work-item loop's own slots are zeroed at every step. */
	for (uint32_t s = 0; s < f->nslots; s++)
		if (used[s] && first_access(&L->then, s) != 1)
			P->slot_off[s] = 0; /* placed with the others */
	free(used);
	return 0;
}

/* The work-item's flag while its step runs, and whether any is live. */
static void allocas(struct cg_func *C)
{
	if (C->div_any)
		return;
	C->div_left = LLVMBuildAlloca(C->eb, C->M->i32, "div.left");
	C->div_any = LLVMBuildAlloca(C->eb, C->M->i32, "div.any");
}

void wg_divergent_step(struct cg_func *C, const struct vcl_ir_inst *L)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	if (C->nloops > VCL_IR_MAX_DEPTH) {
		cg_fail(C, -EINVAL, "loops nested too deep");
		return;
	}
	allocas(C);
	LLVMValueRef at =
	    wg_ctx_addr(C, C->plan->left_off[index_of(C->plan, L)], 4, C->flat);
	LLVMValueRef left = LLVMBuildLoad2(B, M->i32, at, "left");
	LLVMBuildStore(B, left, C->div_left);
	LLVMBasicBlockRef run = cg_new_bb(C, "div.step"),
			  cont = cg_new_bb(C, "div.cont"),
			  brk = cg_new_bb(C, "div.break"),
			  join = cg_new_bb(C, "div.join");
	LLVMBuildCondBr(
	    B,
	    LLVMBuildICmp(B, LLVMIntNE, left, LLVMConstInt(M->i32, 0, 0), ""),
	    join, run);
	LLVMPositionBuilderAtEnd(B, run);
	C->loops[C->nloops++] = (struct cg_loop){brk, cont, false};
	cg_block(C, &L->then);
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)))
		LLVMBuildBr(B, cont);
	LLVMPositionBuilderAtEnd(B, cont);
	cg_block(C, &L->els);
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)))
		LLVMBuildBr(B, join);
	C->nloops--;
	LLVMPositionBuilderAtEnd(B, brk);
	LLVMBuildStore(B, LLVMConstInt(M->i32, 1, 0), C->div_left);
	LLVMBuildBr(B, join);
	/* unconditional: a select and a store of every lane */
	LLVMPositionBuilderAtEnd(B, join);
	left = LLVMBuildLoad2(B, M->i32, C->div_left, "");
	LLVMBuildStore(B, left, at);
	LLVMValueRef any = LLVMBuildLoad2(B, M->i32, C->div_any, "");
	LLVMBuildStore(
	    B,
	    LLVMBuildOr(B, any,
			LLVMBuildXor(B, left, LLVMConstInt(M->i32, 1, 0), ""),
			""),
	    C->div_any);
}

void wg_divergent_region(struct cg_func *C, const struct vcl_ir_inst *L)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	LLVMBasicBlockRef step = cg_new_bb(C, "g.div"),
			  more = cg_new_bb(C, "g.more"),
			  exit = cg_new_bb(C, "g.enddiv");
	LLVMBuildBr(B, step);
	LLVMPositionBuilderAtEnd(B, step);
	allocas(C);
	LLVMBuildStore(B, LLVMConstInt(M->i32, 0, 0), C->div_any);
	C->div_loop = L;
	wg_wi_loop_nest(C, L, L->next, false);
	C->div_loop = NULL;
	LLVMValueRef any = LLVMBuildLoad2(B, M->i32, C->div_any, "");
	/* poll *stop once per step of the group */
	LLVMBuildCondBr(B, cg_stop_set(C), C->ret_bb, more);
	LLVMPositionBuilderAtEnd(B, more);
	LLVMBuildCondBr(
	    B, LLVMBuildICmp(B, LLVMIntNE, any, LLVMConstInt(M->i32, 0, 0), ""),
	    step, exit);
	LLVMPositionBuilderAtEnd(B, exit);
}
