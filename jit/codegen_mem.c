/*
 * Memory: private slots, __local allocations, pointer arithmetic, the
 * bounds check and the accesses it guards. A pointer is (base, size,
 * offset, object); `check` computes whether [offset, offset + bytes) lies
 * in [0, size); an access through a failed check does nothing (a load gives
 * 0) and calls vjit_rt_fault, which records the first fault of the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

static LLVMValueRef c64(struct cg_func *C, uint64_t v)
{
	return LLVMConstInt(C->M->i64, v, 0);
}

struct slot_walk {
	const struct vcl_ir_function *f;
	vcl_ir_type *vty;
	uint64_t *bytes;
};

static void mark_pointer_slots(struct slot_walk *w,
			       const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->id < w->f->nvalues)
			w->vty[i->id] = i->type;
		if (i->op == VCL_IR_STS && i->imm < w->f->nslots &&
		    i->a < w->f->nvalues &&
		    VCL_IR_KIND(w->vty[i->a]) == VCL_IR_PTR)
			w->bytes[i->imm] = CG_FAT_BYTES;
		mark_pointer_slots(w, &i->then);
		mark_pointer_slots(w, &i->els);
	}
}

/* Bytes each slot takes: its size, but a pointer variable holds the whole
 * fat pointer (the IR counts a pointer as 8 bytes). */
uint64_t *cg_slot_bytes(const struct vcl_ir_function *f)
{
	struct slot_walk w = {f, calloc(f->nvalues + 1, sizeof(*w.vty)),
			      malloc((f->nslots + 1) * sizeof(*w.bytes))};
	if (!w.vty || !w.bytes) {
		free(w.vty);
		free(w.bytes);
		return NULL;
	}
	for (uint32_t v = 0; v < f->nparams && v < f->nvalues; v++)
		w.vty[v] = f->params[v].type;
	for (uint32_t s = 0; s < f->nslots; s++)
		w.bytes[s] = f->slots[s].size;
	mark_pointer_slots(&w, &f->body);
	free(w.vty);
	return w.bytes;
}

/* Allocas for the slots not kept in the context, in the entry block. */
void cg_make_slots(struct cg_func *C)
{
	struct cg_module *M = C->M;
	for (uint32_t s = 0; s < C->f->nslots; s++) {
		if (C->plan && C->plan->slot_off[s] != CTX_NONE)
			continue;
		uint64_t size = C->slot_bytes[s];
		LLVMTypeRef t = LLVMArrayType2(M->i8, size ? size : 1);
		C->slot_ptr[s] = LLVMBuildAlloca(C->eb, t, "slot");
		uint32_t al = C->f->slots[s].align;
		LLVMSetAlignment(C->slot_ptr[s], al > 16 ? al : 16);
	}
}

/* Zeroes the work-item's own slots: nothing reads another's bytes, and
 * LLVM never sees an uninitialized load (undef could pass a check). */
void cg_zero_slots(struct cg_func *C)
{
	for (uint32_t s = 0; s < C->f->nslots; s++) {
		if (!C->slot_ptr[s] || wg_group_counter(C->plan, s))
			continue; /* the group's: zeroed once */
		LLVMBuildMemSet(
		    C->b, C->slot_ptr[s], LLVMConstInt(C->M->i8, 0, 0),
		    c64(C, C->slot_bytes[s]),
		    C->f->slots[s].align ? C->f->slots[s].align : 1);
	}
}

LLVMValueRef cg_slot_addr(struct cg_func *C, uint32_t s)
{
	if (C->slot_ptr[s])
		return C->slot_ptr[s];
	uint64_t al = C->f->slots[s].align ? C->f->slots[s].align : 1;
	return wg_ctx_addr(C, C->plan->slot_off[s],
			   (C->slot_bytes[s] + al - 1) / al * al, C->flat);
}

static struct cg_val object(struct cg_func *C, LLVMValueRef base,
			    LLVMValueRef size, uint32_t obj)
{
	struct cg_val v = {0};
	v.base = base;
	v.size = size;
	v.v = c64(C, 0);
	v.obj = LLVMConstInt(C->M->i32, obj, 0);
	return v;
}

/*
 * Pointer operations of IR 0.2. Null is no object (base NULL, size 0, so
 * every check on it fails). Equality is the same object (the same base,
 * and both null or neither: a 0-byte buffer's base may be NULL too) at
 * the same offset; differences and the order are the offsets' alone, so
 * nothing about addresses reaches the kernel.
 */
static struct cg_val pointer_op(struct cg_func *C, const struct vcl_ir_inst *i)
{
	static const LLVMIntPredicate pred[] = {[VCL_ICMP_SLT] = LLVMIntSLT,
						[VCL_ICMP_SLE] = LLVMIntSLE,
						[VCL_ICMP_SGT] = LLVMIntSGT,
						[VCL_ICMP_SGE] = LLVMIntSGE};
	struct cg_module *M = C->M;
	if (i->op == VCL_IR_NULLPTR)
		return object(C, LLVMConstNull(M->ptr), c64(C, 0), OBJ_NULL);
	struct cg_val a = cg_get(C, i->a), b = cg_get(C, i->b), r = {0};
	if (i->op == VCL_IR_PTRDIFF) {
		r.v = LLVMBuildSub(C->b, a.v, b.v, "");
		return r;
	}
	if (i->imm != VCL_ICMP_EQ && i->imm != VCL_ICMP_NE) {
		r.v = LLVMBuildICmp(C->b, pred[i->imm], a.v, b.v, "");
		return r;
	}
	LLVMValueRef null = LLVMConstInt(M->i32, OBJ_NULL, 0);
	LLVMValueRef same = LLVMBuildAnd(
	    C->b, LLVMBuildICmp(C->b, LLVMIntEQ, a.base, b.base, ""),
	    LLVMBuildICmp(C->b, LLVMIntEQ, a.v, b.v, ""), "");
	same = LLVMBuildAnd(
	    C->b, same,
	    LLVMBuildICmp(C->b, LLVMIntEQ,
			  LLVMBuildICmp(C->b, LLVMIntEQ, a.obj, null, ""),
			  LLVMBuildICmp(C->b, LLVMIntEQ, b.obj, null, ""), ""),
	    "");
	r.v = i->imm == VCL_ICMP_EQ ? same : LLVMBuildNot(C->b, same, "");
	return r;
}

/*
 * In bounds when offset <u max(size + 1 - bytes, 0): one compare with a
 * bound that is invariant where the pointer's object is, so LLVM neither
 * splits the test nor unswitches loops on half of it. Sizes are below
 * 2^62 (vjit_check_launch), so size + 1 does not wrap.
 */
static void check(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_val p = cg_get(C, i->a);
	LLVMValueRef room =
	    LLVMBuildSub(C->b, LLVMBuildAdd(C->b, p.size, c64(C, 1), ""),
			 c64(C, i->imm), "");
	LLVMValueRef a[2] = {room, c64(C, 0)};
	LLVMTypeRef t = C->M->i64;
	room = cg_intrinsic(C, "llvm.smax", &t, 1, a, 2);
	p.ok = LLVMBuildICmp(C->b, LLVMIntULT, p.v, room, "ok");
	if (C->unchecked && i->id < C->f->nvalues && C->unchecked[i->id])
		p.ok =
		    LLVMConstInt(C->M->i1, 1, 0); /* checked before the loop */
#ifdef VJIT_NO_CHECKS
	/* benchmark builds only (jit/CMakeLists.txt): every access runs */
	p.ok = LLVMConstInt(C->M->i1, 1, 0);
#endif
	cg_define(C, i, p);
}

/* Runs ACCESS when ok, else reports the fault; a load's value is 0 on the
 * fault path. Returns the merged value (or NULL for void). */
/*
 * In a kernel, an access whose object is known keeps its fault in its
 * object's variable, the smallest offset out of bounds (a umin
 * reduction: no call in the loop, so LLVM can still vectorize the
 * work-item loop, the access becoming a masked one); the group function
 * reports it on its way out (cg_report_faults).
 */
#define MAX_FAULT_VARS 64

/* The fault variable of p's object; NULL past MAX_FAULT_VARS objects. */
static LLVMValueRef fault_var(struct cg_func *C, LLVMValueRef obj)
{
	for (size_t k = 0; k < C->nsites; k++)
		if (C->sites[k].obj == obj)
			return C->sites[k].var;
	if (C->nsites == MAX_FAULT_VARS)
		return NULL;
	if (!C->sites) {
		C->sites = malloc(MAX_FAULT_VARS * sizeof(*C->sites));
		if (!C->sites)
			return NULL;
	}
	struct cg_module *M = C->M;
	LLVMValueRef var = LLVMBuildAlloca(C->eb, M->i64, "fault");
	LLVMBuildStore(C->eb, LLVMConstAllOnes(M->i64), var);
	C->sites[C->nsites++] = (struct cg_site){var, obj};
	return var;
}

/* False when the fault must be reported by a call instead. */
static bool fault_site(struct cg_func *C, struct cg_val p, LLVMValueRef ok)
{
	struct cg_module *M = C->M;
	LLVMValueRef var = fault_var(C, p.obj);
	if (!var)
		return false;
	LLVMValueRef a[2] = {
	    LLVMBuildLoad2(C->b, M->i64, var, ""),
	    LLVMBuildSelect(C->b, ok, LLVMConstAllOnes(M->i64), p.v, "")};
	LLVMTypeRef t = M->i64;
	LLVMBuildStore(C->b, cg_intrinsic(C, "llvm.umin", &t, 1, a, 2), var);
	return true;
}

void cg_report_faults(struct cg_func *C)
{
	struct cg_module *M = C->M;
	for (size_t k = 0; k < C->nsites; k++) {
		LLVMValueRef off =
		    LLVMBuildLoad2(C->b, M->i64, C->sites[k].var, "");
		LLVMBasicBlockRef report = cg_new_bb(C, "report"),
				  next = cg_new_bb(C, "reported");
		LLVMBuildCondBr(C->b,
				LLVMBuildICmp(C->b, LLVMIntNE, off,
					      LLVMConstAllOnes(M->i64), ""),
				report, next);
		LLVMPositionBuilderAtEnd(C->b, report);
		LLVMValueRef args[3] = {C->rt, C->sites[k].obj, off};
		LLVMBuildCall2(C->b, M->fault_ty, M->fault_fn, args, 3, "");
		LLVMBuildBr(C->b, next);
		LLVMPositionBuilderAtEnd(C->b, next);
	}
}

LLVMValueRef cg_likely(struct cg_func *C, LLVMValueRef cond)
{
	LLVMValueRef args[2] = {cond, LLVMConstInt(C->M->i1, 1, 0)};
	LLVMTypeRef over = C->M->i1;
	return cg_intrinsic(C, "llvm.expect", &over, 1, args, 2);
}

static void object_scope(struct cg_func *C, LLVMValueRef x, uint64_t obj);

static LLVMValueRef
guarded(struct cg_func *C, struct cg_val p, LLVMValueRef ok, LLVMTypeRef t,
	LLVMValueRef (*access)(struct cg_func *C, LLVMValueRef addr,
			       const struct vcl_ir_inst *i),
	const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	LLVMBasicBlockRef good = cg_new_bb(C, "inbounds"),
			  bad = cg_new_bb(C, "fault"),
			  join = cg_new_bb(C, "accessed");
	bool site =
	    C->kernel && LLVMIsAConstantInt(p.obj) && fault_site(C, p, ok);
	LLVMBuildCondBr(C->b, cg_likely(C, ok), good, bad);
	LLVMPositionBuilderAtEnd(C->b, bad);
	if (!site) {
		LLVMValueRef args[3] = {C->rt, p.obj, p.v};
		LLVMBuildCall2(C->b, M->fault_ty, M->fault_fn, args, 3, "");
	}
	LLVMBuildBr(C->b, join);
	LLVMPositionBuilderAtEnd(C->b, good);
	LLVMValueRef addr = LLVMBuildGEP2(C->b, M->i8, p.base, &p.v, 1, "");
	LLVMValueRef v = access(C, addr, i);
	LLVMBasicBlockRef good_end = LLVMGetInsertBlock(C->b);
	if (C->plan && C->plan->barriers && LLVMIsAConstantInt(p.obj) &&
	    LLVMConstIntGetZExtValue(p.obj) < OBJ_SLOT)
		for (LLVMValueRef x = LLVMGetFirstInstruction(good_end); x;
		     x = LLVMGetNextInstruction(x))
			object_scope(C, x, LLVMConstIntGetZExtValue(p.obj));
	LLVMBuildBr(C->b, join);
	LLVMPositionBuilderAtEnd(C->b, join);
	if (!t)
		return NULL;
	LLVMValueRef phi = LLVMBuildPhi(C->b, t, "");
	LLVMValueRef in[2] = {v, LLVMConstNull(t)};
	LLVMBasicBlockRef from[2] = {good_end, bad};
	LLVMAddIncoming(phi, in, from, 2);
	return phi;
}

/* Memory holds an i1 as a byte; any non-zero byte reads as true. */
static LLVMValueRef do_load(struct cg_func *C, LLVMValueRef addr,
			    const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	bool bit = VCL_IR_KIND(i->type) == VCL_IR_I1;
	LLVMValueRef v =
	    LLVMBuildLoad2(C->b, bit ? M->i8 : cg_type(M, i->type), addr, "");
	LLVMSetAlignment(v, 1);
	if (bit)
		v = LLVMBuildICmp(C->b, LLVMIntNE, v, LLVMConstInt(M->i8, 0, 0),
				  "");
	return v;
}

static LLVMValueRef do_store(struct cg_func *C, LLVMValueRef addr,
			     const struct vcl_ir_inst *i)
{
	LLVMValueRef v = cg_get(C, i->b).v;
	if (LLVMTypeOf(v) == C->M->i1)
		v = LLVMBuildZExt(C->b, v, C->M->i8, "");
	LLVMSetAlignment(LLVMBuildStore(C->b, v, addr), 1);
	return NULL;
}

static const LLVMAtomicRMWBinOp rmw_ops[VCL_AT_COUNT] = {
    [VCL_AT_ADD] = LLVMAtomicRMWBinOpAdd,
    [VCL_AT_SUB] = LLVMAtomicRMWBinOpSub,
    [VCL_AT_XCHG] = LLVMAtomicRMWBinOpXchg,
    [VCL_AT_SMIN] = LLVMAtomicRMWBinOpMin,
    [VCL_AT_UMIN] = LLVMAtomicRMWBinOpUMin,
    [VCL_AT_SMAX] = LLVMAtomicRMWBinOpMax,
    [VCL_AT_UMAX] = LLVMAtomicRMWBinOpUMax,
    [VCL_AT_AND] = LLVMAtomicRMWBinOpAnd,
    [VCL_AT_OR] = LLVMAtomicRMWBinOpOr,
    [VCL_AT_XOR] = LLVMAtomicRMWBinOpXor,
};

static LLVMValueRef do_atomic(struct cg_func *C, LLVMValueRef addr,
			      const struct vcl_ir_inst *i)
{
	LLVMValueRef v = cg_get(C, i->b).v, r;
	if (i->imm == VCL_AT_CMPXCHG) {
		r = LLVMBuildAtomicCmpXchg(C->b, addr, cg_get(C, i->c).v, v,
					   LLVMAtomicOrderingMonotonic,
					   LLVMAtomicOrderingMonotonic, 0);
		r = LLVMBuildExtractValue(C->b, r, 0, "");
	} else {
		r = LLVMBuildAtomicRMW(C->b, rmw_ops[i->imm], addr, v,
				       LLVMAtomicOrderingMonotonic, 0);
	}
	LLVMSetAlignment(r, 4);
	return r;
}

/* The atomics that are one LLVM instruction on a group's own memory. */
static const LLVMOpcode local_op[VCL_AT_COUNT] = {
    [VCL_AT_ADD] = LLVMAdd, [VCL_AT_SUB] = LLVMSub, [VCL_AT_AND] = LLVMAnd,
    [VCL_AT_OR] = LLVMOr,   [VCL_AT_XOR] = LLVMXor,
};

/*
 * An atomic on the group's own __local memory as a plain read, operation
 * and write: a group's work-items run one after the other on the thread
 * running the group, and its __local area is that run's own
 * (vjit_run_groups), so no other thread can reach it between the read and
 * the write. A locked instruction costs about twenty cycles; this, one.
 */
static LLVMValueRef do_local_atomic(struct cg_func *C, LLVMValueRef addr,
				    const struct vcl_ir_inst *i)
{
	LLVMBuilderRef B = C->b;
	LLVMTypeRef t = cg_type(C->M, i->type);
	LLVMValueRef old = LLVMBuildLoad2(B, t, addr, ""),
		     v = cg_get(C, i->b).v, r = v;
	LLVMSetAlignment(old, 4);
	switch (i->imm) {
	case VCL_AT_CMPXCHG:
		/* b is the new value, c the one compared (do_atomic) */
		r = LLVMBuildSelect(
		    B, LLVMBuildICmp(B, LLVMIntEQ, old, cg_get(C, i->c).v, ""),
		    v, old, "");
		break;
	case VCL_AT_SMIN:
	case VCL_AT_UMIN:
	case VCL_AT_SMAX:
	case VCL_AT_UMAX: {
		static const char *const name[] = {"llvm.smin", "llvm.umin",
						   "llvm.smax", "llvm.umax"};
		LLVMValueRef a[2] = {old, v};
		r = cg_intrinsic(C, name[i->imm - VCL_AT_SMIN], &t, 1, a, 2);
		break;
	}
	case VCL_AT_XCHG:
		break;
	default: /* one instruction: add, sub, and, or, xor */
		r = LLVMBuildBinOp(B, local_op[i->imm], old, v, "");
	}
	LLVMSetAlignment(LLVMBuildStore(B, r, addr), 4);
	return old;
}

/* Whether p is the group's own __local memory: one of the kernel's
 * __local arrays or __local parameters (a helper's pointer parameter may
 * be either space, its object unknown here). */
static bool group_local(struct cg_func *C, struct cg_val p)
{
	if (!C->kernel || !LLVMIsAConstantInt(p.obj))
		return false;
	uint64_t o = LLVMConstIntGetZExtValue(p.obj);
	if (o >= OBJ_LOCAL && o < OBJ_SLOT)
		return true;
	return o < C->f->nparams &&
	       VCL_IR_KIND(C->f->params[o].type) == VCL_IR_PTR &&
	       VCL_IR_SPACE(C->f->params[o].type) == VCL_AS_LOCAL;
}

static void access(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	struct cg_val p = cg_get(C, i->a);
	LLVMValueRef ok = p.ok ? p.ok : LLVMConstInt(M->i1, 0, 0);
	struct cg_val r = {0};
	switch (i->op) {
	case VCL_IR_LOAD:
		wg_prefetch_note(C, i, p);
		r.v = guarded(C, p, ok, cg_type(M, i->type), do_load, i);
		break;
	case VCL_IR_STORE:
		guarded(C, p, ok, NULL, do_store, i);
		break;
	default: {
		/* An atomic needs its natural alignment (never a libcall). */
		LLVMValueRef a = LLVMBuildAdd(
		    C->b, LLVMBuildPtrToInt(C->b, p.base, M->i64, ""), p.v, "");
		LLVMValueRef al = LLVMBuildICmp(
		    C->b, LLVMIntEQ, LLVMBuildAnd(C->b, a, c64(C, 3), ""),
		    c64(C, 0), "");
		r.v = guarded(
		    C, p, LLVMBuildAnd(C->b, ok, al, ""), cg_type(M, i->type),
		    group_local(C, p) ? do_local_atomic : do_atomic, i);
	}
	}
	cg_define(C, i, r);
}

/* A whole-variable slot (lds/sts): an i1 as a byte, a pointer as its
 * aggregate. */
static struct cg_val slot_load(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	LLVMValueRef a = cg_slot_addr(C, (uint32_t)i->imm);
	struct cg_val v = {0};
	if (VCL_IR_KIND(i->type) == VCL_IR_I1)
		v.v = LLVMBuildTrunc(C->b, LLVMBuildLoad2(C->b, M->i8, a, ""),
				     M->i1, "");
	else if (VCL_IR_KIND(i->type) == VCL_IR_PTR)
		v = cg_unpack(C, LLVMBuildLoad2(C->b, M->fat, a, ""));
	else
		v.v = LLVMBuildLoad2(C->b, cg_type(M, i->type), a, "");
	return v;
}

static void slot_store(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	LLVMValueRef a = cg_slot_addr(C, (uint32_t)i->imm);
	struct cg_val x = cg_get(C, i->a);
	if (C->pred && !x.base) /* an if run as selects (wg_split.c) */
		x.v = LLVMBuildSelect(
		    C->b, C->pred, x.v,
		    LLVMTypeOf(x.v) == M->i1
			? LLVMBuildTrunc(C->b,
					 LLVMBuildLoad2(C->b, M->i8, a, ""),
					 M->i1, "")
			: LLVMBuildLoad2(C->b, LLVMTypeOf(x.v), a, ""),
		    "");
	if (x.base)
		LLVMBuildStore(C->b, cg_pack(C, x), a);
	else if (LLVMTypeOf(x.v) == M->i1)
		LLVMBuildStore(C->b, LLVMBuildZExt(C->b, x.v, M->i8, ""), a);
	else
		LLVMBuildStore(C->b, x.v, a);
}

void cg_memory(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	struct cg_val v = {0};
	switch (i->op) {
	case VCL_IR_LDS:
		if (!wg_remat_load(C, i))
			cg_define(C, i, slot_load(C, i));
		return;
	case VCL_IR_STS:
		slot_store(C, i);
		return;
	case VCL_IR_SLOT:
		v = object(C, cg_slot_addr(C, (uint32_t)i->imm),
			   c64(C, C->f->slots[i->imm].size),
			   OBJ_SLOT + (uint32_t)i->imm);
		break;
	case VCL_IR_LOCAL: {
		LLVMValueRef lb = cg_rt_field(C, C->eb, RT_LOCAL_BASE, M->ptr);
		LLVMValueRef idx = c64(C, i->imm);
		LLVMValueRef base = LLVMBuildLoad2(
		    C->eb, M->ptr,
		    LLVMBuildGEP2(C->eb, M->ptr, lb, &idx, 1, ""), "local");
		v = object(C, base, c64(C, C->f->locals[i->imm].size),
			   OBJ_LOCAL + (uint32_t)i->imm);
		break;
	}
	case VCL_IR_PTRADD:
		v = cg_get(C, i->a);
		v.ok = NULL;
		v.v = LLVMBuildAdd(C->b, v.v, cg_get(C, i->b).v, "");
		break;
	case VCL_IR_CHECK:
		check(C, i);
		return;
	case VCL_IR_NULLPTR:
	case VCL_IR_PTRDIFF:
	case VCL_IR_PTRCMP:
		v = pointer_op(C, i);
		break;
	default:
		access(C, i);
		return;
	}
	cg_define(C, i, v);
}

/*
 * The context is the run's own allocation: a buffer's or a __local
 * area's checked access never reaches it. LLVM cannot see that (every
 * base is a pointer read from the run-time block), so each context access
 * gets !alias.scope and each access through a parameter's or a __local
 * allocation's base gets !noalias of one scope: values kept in the
 * context stay in registers across loops that read __local memory.
 */
/* The scope NAME of the kernel's one domain. */
static LLVMMetadataRef scope(struct cg_func *C, const char *name)
{
	LLVMContextRef ctx = C->M->ctx;
	LLVMMetadataRef dom = LLVMMDStringInContext2(ctx, "vgpufs", 6);
	dom = LLVMMDNodeInContext2(ctx, &dom, 1);
	LLVMMetadataRef s[2] = {LLVMMDStringInContext2(ctx, name, strlen(name)),
				dom};
	return LLVMMDNodeInContext2(ctx, s, 2);
}

static void set_scopes(struct cg_func *C, LLVMValueRef x, const char *kind,
		       LLVMMetadataRef *list, size_t n)
{
	LLVMContextRef ctx = C->M->ctx;
	LLVMSetMetadata(
	    x, LLVMGetMDKindIDInContext(ctx, kind, strlen(kind)),
	    LLVMMetadataAsValue(ctx, LLVMMDNodeInContext2(ctx, list, n)));
}

void cg_alias_scope(struct cg_func *C, LLVMValueRef x, const char *kind)
{
	LLVMOpcode op = LLVMGetInstructionOpcode(x);
	if (op != LLVMLoad && op != LLVMStore && op != LLVMAtomicRMW &&
	    op != LLVMAtomicCmpXchg)
		return;
	LLVMMetadataRef s = scope(C, "vgpufs.context");
	set_scopes(C, x, kind, &s, 1);
}

/* __local objects with a scope of their own; past it they share one. */
#define LOCAL_SCOPES 16

/* A __local object's own scope's name: an allocation's or a parameter's. */
static void local_name(char *buf, size_t len, uint64_t obj)
{
	snprintf(buf, len, "vgpufs.local.%llu", (unsigned long long)obj);
}

/*
 * An access through a parameter or a __local allocation (OBJ): beside
 * the context's scope (above), the buffers share one scope and the
 * __local memory another, and each __local object has its own. A
 * checked access stays in its object; __local objects are disjoint parts
 * of the group's area, which no buffer overlaps (two buffer parameters
 * may be one buffer: they share a scope). LLVM then needs no run-time
 * test that the tile copy's stores to __local memory do not overlap its
 * loads of A and B (one per row of work-items before).
 */
static void object_scope(struct cg_func *C, LLVMValueRef x, uint64_t obj)
{
	LLVMOpcode op = LLVMGetInstructionOpcode(x);
	if (op != LLVMLoad && op != LLVMStore && op != LLVMAtomicRMW &&
	    op != LLVMAtomicCmpXchg)
		return;
	const struct vcl_ir_function *f = C->f;
	struct cg_val p = {.obj = LLVMConstInt(C->M->i32, obj, 0)};
	bool local = group_local(C, p);
	uint64_t objs[LOCAL_SCOPES];
	size_t nobj = 0;
	for (uint32_t k = 0; k < f->nparams + f->nlocals; k++) {
		uint64_t o = k < f->nparams ? k : OBJ_LOCAL + k - f->nparams;
		struct cg_val q = {.obj = LLVMConstInt(C->M->i32, o, 0)};
		if (!group_local(C, q))
			continue;
		if (nobj == LOCAL_SCOPES) {
			nobj = 0; /* too many: one scope for all of them */
			break;
		}
		objs[nobj++] = o;
	}
	LLVMMetadataRef own[2], other[LOCAL_SCOPES + 2];
	size_t nown = 0, nother = 0;
	char name[40];
	other[nother++] = scope(C, "vgpufs.context");
	own[nown++] = scope(C, local ? "vgpufs.local" : "vgpufs.global");
	other[nother++] = scope(C, local ? "vgpufs.global" : "vgpufs.local");
	for (size_t k = 0; local && k < nobj; k++) {
		local_name(name, sizeof(name), objs[k]);
		if (objs[k] == obj)
			own[nown++] = scope(C, name);
		else
			other[nother++] = scope(C, name);
	}
	set_scopes(C, x, "alias.scope", own, nown);
	set_scopes(C, x, "noalias", other, nother);
}

/* Marks the kernel's loads and stores of the context (see above). */
void cg_mark_context(struct cg_func *C)
{
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(C->fn); bb;
	     bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef x = LLVMGetFirstInstruction(bb); x;
		     x = LLVMGetNextInstruction(x)) {
			LLVMOpcode op = LLVMGetInstructionOpcode(x);
			if (op != LLVMLoad && op != LLVMStore)
				continue;
			LLVMValueRef a = LLVMGetOperand(x, op == LLVMStore);
			while (LLVMIsAGetElementPtrInst(a))
				a = LLVMGetOperand(a, 0);
			if (a == C->ctx)
				cg_alias_scope(C, x, "alias.scope");
		}
}
