/*
 * Context slots copied to a work-item's own alloca for the length of a
 * work-item loop's body (kernels with implicit loop barriers,
 * wg_implicit_barrier.c), and kept in the context lane by lane. A private
 * `float3 acc` kept as one 16-byte element a work-item, read and written
 * a component at a time at offsets 0, 4 and 8, was vectorized across
 * work-items as gathers and scatters (a gap at 12 in every element),
 * which cost n-body what its vector arithmetic saved. Kept as one array
 * per 4-byte lane (structure of arrays), each component is a contiguous
 * vector load or store; in the body the work-item's accesses are to an
 * alloca, which SROA puts in registers. Only slots up to LANES_MAX
 * bytes (a private array keeps its one array and its direct accesses),
 * and only when no pointer to a slot can outlive the body
 * (wg_implicit_copy_ok): the alloca is reused by the next work-item.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

/* Bytes of the largest slot split into lanes: a float16 or a long8. */
#define LANES_MAX 64

uint32_t wg_slot_lane(const struct wg_plan *P, uint32_t s)
{
	uint64_t n = P->slot_bytes[s];
	if (!P->copy_slots || P->slot_off[s] == CTX_NONE || !n ||
	    n > LANES_MAX || wg_group_counter(P, s))
		return 0;
	return n % 4 ? 1 : 4;
}

static void uses(const struct vcl_ir_function *f, const struct vcl_ir_inst *i,
		 const struct vcl_ir_inst *end, uint8_t *used)
{
	for (; i && i != end; i = i->next) {
		if ((i->op == VCL_IR_LDS || i->op == VCL_IR_STS ||
		     i->op == VCL_IR_SLOT) &&
		    i->imm < f->nslots)
			used[i->imm] = 1;
		uses(f, i->then.first, NULL, used);
		uses(f, i->els.first, NULL, used);
	}
}

/* Each lane between the context and the copy, TO_CTX the direction. */
static void copy(struct cg_func *C, uint32_t s, bool to_ctx)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	uint32_t lane = wg_slot_lane(C->plan, s);
	LLVMTypeRef t = lane == 4 ? M->i32 : M->i8;
	for (uint64_t k = 0; k < C->slot_bytes[s] / lane; k++) {
		LLVMValueRef in_ctx = wg_ctx_addr(
		    C, C->plan->slot_off[s] + k * lane, lane, C->flat);
		LLVMValueRef off = LLVMConstInt(M->i64, k * lane, 0);
		LLVMValueRef in_copy = LLVMBuildInBoundsGEP2(
		    B, M->i8, C->slot_copy[s], &off, 1, "");
		LLVMValueRef from = to_ctx ? in_copy : in_ctx,
			     to = to_ctx ? in_ctx : in_copy;
		LLVMValueRef v = LLVMBuildLoad2(B, t, from, "");
		LLVMSetAlignment(v, lane);
		LLVMSetAlignment(LLVMBuildStore(B, v, to), lane);
	}
}

void wg_slot_copy_in(struct cg_func *C, const struct vcl_ir_inst *first,
		     const struct vcl_ir_inst *end)
{
	const struct vcl_ir_function *f = C->f;
	if (!C->plan || !C->plan->copy_slots)
		return;
	uint8_t *used = calloc(f->nslots + 1, 1);
	if (!used || !C->slot_copy || C->wi_body) {
		/* the lanes have no other access */
		free(used);
		cg_fail(C, C->wi_body ? -EINVAL : -ENOMEM,
			C->wi_body ? "slot lanes in an interchanged loop"
				   : "out of memory");
		return;
	}
	uses(f, first, end, used);
	for (uint32_t s = 0; s < f->nslots; s++) {
		if (!used[s] || C->slot_ptr[s] || !wg_slot_lane(C->plan, s))
			continue;
		if (!C->slot_copy[s]) {
			C->slot_copy[s] = LLVMBuildAlloca(
			    C->eb, LLVMArrayType2(C->M->i8, C->slot_bytes[s]),
			    "slot.copy");
			LLVMSetAlignment(C->slot_copy[s], 16);
		}
		copy(C, s, false);
		C->slot_ptr[s] = C->slot_copy[s];
	}
	free(used);
}

void wg_slot_copy_out(struct cg_func *C)
{
	if (!C->slot_copy)
		return;
	for (uint32_t s = 0; s < C->f->nslots; s++) {
		if (!C->slot_copy[s] || C->slot_ptr[s] != C->slot_copy[s])
			continue;
		C->slot_ptr[s] = NULL;
		copy(C, s, true);
	}
}
