/*
 * A function's code: its signature, values, and the structured control
 * flow (if, loop with its continuing part, break, continue, return) inside
 * one work-item. A helper function gets the run-time block and the
 * work-item's local ids as hidden parameters and each pointer as four
 * (base, size, offset, object); a kernel becomes a group function
 * (wg_loop.c). Loops poll *stop at their back-edge.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

void cg_fail(struct cg_func *C, int err, const char *fmt, ...)
{
	if (C->err)
		return;
	C->err = err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(C->M->msg, VJIT_MSG_MAX, fmt, ap);
	va_end(ap);
}

LLVMTypeRef cg_type(struct cg_module *M, vcl_ir_type t)
{
	switch (VCL_IR_KIND(t)) {
	case VCL_IR_I1:
		return M->i1;
	case VCL_IR_I8:
		return M->i8;
	case VCL_IR_I16:
		return M->i16;
	case VCL_IR_I32:
		return M->i32;
	case VCL_IR_I64:
		return M->i64;
	case VCL_IR_F32:
		return M->f32;
	case VCL_IR_F64:
		return M->f64;
	case VCL_IR_PTR:
		return M->fat;
	default:
		return M->vd;
	}
}

static bool is_ptr(vcl_ir_type t)
{
	return VCL_IR_KIND(t) == VCL_IR_PTR;
}

LLVMValueRef cg_rt_field(struct cg_func *C, LLVMBuilderRef b, unsigned field,
			 LLVMTypeRef t)
{
	struct cg_module *M = C->M;
	LLVMValueRef idx = LLVMConstInt(M->i64, 8ull * field, 0);
	LLVMValueRef p = LLVMBuildInBoundsGEP2(b, M->i8, C->rt, &idx, 1, "");
	return LLVMBuildLoad2(b, t, p, "");
}

LLVMValueRef cg_intrinsic(struct cg_func *C, const char *name,
			  LLVMTypeRef *over, unsigned nover, LLVMValueRef *args,
			  unsigned nargs)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMValueRef fn =
	    LLVMGetIntrinsicDeclaration(C->M->mod, id, over, nover);
	LLVMTypeRef ty = LLVMIntrinsicGetType(C->M->ctx, id, over, nover);
	return LLVMBuildCall2(C->b, ty, fn, args, nargs, "");
}

/* The fat pointer as one aggregate (returns, pointer slots) and back. */
LLVMValueRef cg_pack(struct cg_func *C, struct cg_val v)
{
	LLVMValueRef agg = LLVMGetUndef(C->M->fat);
	agg = LLVMBuildInsertValue(C->b, agg, v.base, 0, "");
	agg = LLVMBuildInsertValue(C->b, agg, v.size, 1, "");
	agg = LLVMBuildInsertValue(C->b, agg, v.v, 2, "");
	return LLVMBuildInsertValue(C->b, agg, v.obj, 3, "");
}

struct cg_val cg_unpack(struct cg_func *C, LLVMValueRef agg)
{
	struct cg_val v = {0};
	v.base = LLVMBuildExtractValue(C->b, agg, 0, "");
	v.size = LLVMBuildExtractValue(C->b, agg, 1, "");
	v.v = LLVMBuildExtractValue(C->b, agg, 2, "");
	v.obj = LLVMBuildExtractValue(C->b, agg, 3, "");
	return v;
}

/* A value kept in the context: its slot for work-item FLAT. */
static LLVMValueRef spill_addr(struct cg_func *C, uint32_t x)
{
	const struct wg_plan *P = C->plan;
	LLVMValueRef flat =
	    C->seg == SEG_GROUP ? LLVMConstInt(C->M->i64, 0, 0) : C->flat;
	return wg_ctx_addr(C, P->ctx_off[x], wg_elem_size(P->vty[x]), flat);
}

struct cg_val cg_get(struct cg_func *C, uint32_t x)
{
	const struct wg_plan *P = C->plan;
	if (!P || x >= C->f->nvalues || P->ctx_off[x] == CTX_NONE ||
	    P->def_seg[x] == C->seg)
		return C->vals[x];
	struct cg_module *M = C->M;
	LLVMValueRef a = spill_addr(C, x);
	vcl_ir_type t = P->vty[x];
	struct cg_val v = {0};
	if (is_ptr(t)) {
		v = cg_unpack(C, LLVMBuildLoad2(C->b, M->spill_fat, a, ""));
		LLVMValueRef agg = LLVMBuildLoad2(C->b, M->spill_fat, a, "");
		v.ok = LLVMBuildTrunc(
		    C->b, LLVMBuildExtractValue(C->b, agg, 4, ""), M->i1, "");
	} else if (VCL_IR_KIND(t) == VCL_IR_I1) {
		v.v = LLVMBuildTrunc(C->b, LLVMBuildLoad2(C->b, M->i8, a, ""),
				     M->i1, "");
	} else {
		v.v = LLVMBuildLoad2(C->b, cg_type(M, t), a, "");
	}
	return v;
}

void cg_define(struct cg_func *C, const struct vcl_ir_inst *i, struct cg_val v)
{
	if (i->id >= C->f->nvalues)
		return;
	C->vals[i->id] = v;
	const struct wg_plan *P = C->plan;
	if (!P || P->ctx_off[i->id] == CTX_NONE)
		return;
	struct cg_module *M = C->M;
	LLVMValueRef a = spill_addr(C, i->id);
	if (is_ptr(i->type)) {
		LLVMValueRef agg = LLVMGetUndef(M->spill_fat);
		agg = LLVMBuildInsertValue(C->b, agg, v.base, 0, "");
		agg = LLVMBuildInsertValue(C->b, agg, v.size, 1, "");
		agg = LLVMBuildInsertValue(C->b, agg, v.v, 2, "");
		agg = LLVMBuildInsertValue(C->b, agg, v.obj, 3, "");
		LLVMValueRef ok = v.ok ? LLVMBuildZExt(C->b, v.ok, M->i32, "")
				       : LLVMConstInt(M->i32, 0, 0);
		agg = LLVMBuildInsertValue(C->b, agg, ok, 4, "");
		LLVMBuildStore(C->b, agg, a);
	} else if (VCL_IR_KIND(i->type) == VCL_IR_I1) {
		LLVMBuildStore(C->b, LLVMBuildZExt(C->b, v.v, M->i8, ""), a);
	} else {
		LLVMBuildStore(C->b, v.v, a);
	}
}

/* Ends the current block with a branch unless it has ended. */
static void br_open(struct cg_func *C, LLVMBasicBlockRef to)
{
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(C->b)))
		LLVMBuildBr(C->b, to);
}

LLVMBasicBlockRef cg_new_bb(struct cg_func *C, const char *name)
{
	return LLVMAppendBasicBlockInContext(C->M->ctx, C->fn, name);
}

/* After a branch: the rest of the list is dead code in a block of its
 * own. */
static void after_jump(struct cg_func *C)
{
	LLVMPositionBuilderAtEnd(C->b, cg_new_bb(C, "dead"));
}

static LLVMValueRef zero_of(struct cg_module *M, vcl_ir_type t)
{
	return LLVMConstNull(cg_type(M, t));
}

/* Leaves the function (stopped, or a helper's return). */
static void leave(struct cg_func *C, LLVMValueRef val)
{
	if (C->kernel) {
		LLVMBuildBr(C->b, C->ret_bb);
	} else if (C->f->ret == VCL_IR_VOID) {
		LLVMBuildRetVoid(C->b);
	} else {
		LLVMBuildRet(C->b, val ? val : zero_of(C->M, C->f->ret));
	}
}

/*
 * *stop polled at a loop's back-edge. A relaxed atomic load would be
 * right but costly: LLVM counts an ordered load as a write to all memory,
 * so no load or store in the loop could stay in a register across it. The
 * poll is a plain load in inline assembly instead, marked as touching only
 * memory the code cannot otherwise reach (inaccessiblemem: readwrite): not
 * hoisted, merged or dropped (it "writes"; and sideeffect, for the machine
 * passes, which see no IR attributes), and no clobber of buffers, __local
 * memory or the context. An aligned 32-bit load is atomic on the
 * targets below; elsewhere the atomic load stays.
 */
#if defined(__x86_64__)
#define STOP_ASM "movl ($1), $0"
#elif defined(__aarch64__)
#define STOP_ASM "ldr ${0:w}, [$1]"
#endif
LLVMValueRef cg_stop_set(struct cg_func *C)
{
	struct cg_module *M = C->M;
	LLVMValueRef s;
#ifdef STOP_ASM
	LLVMTypeRef ty = LLVMFunctionType(M->i32, &M->ptr, 1, 0);
	static const char text[] = STOP_ASM, cons[] = "=r,r";
	LLVMValueRef as =
	    LLVMGetInlineAsm(ty, text, sizeof(text) - 1, cons, sizeof(cons) - 1,
			     1, 0, LLVMInlineAsmDialectATT, 0);
	s = LLVMBuildCall2(C->b, ty, as, &C->stopp, 1, "stop");
	/* MemoryEffects: 2 bits per location, inaccessible memory second */
	static const char *const kinds[] = {"nounwind", "willreturn"};
	for (size_t k = 0; k < 2; k++)
		LLVMAddCallSiteAttribute(
		    s, LLVMAttributeFunctionIndex,
		    LLVMCreateEnumAttribute(M->ctx,
					    LLVMGetEnumAttributeKindForName(
						kinds[k], strlen(kinds[k])),
					    0));
	LLVMAddCallSiteAttribute(
	    s, LLVMAttributeFunctionIndex,
	    LLVMCreateEnumAttribute(
		M->ctx, LLVMGetEnumAttributeKindForName("memory", 6), 3u << 2));
#else
	s = LLVMBuildLoad2(C->b, M->i32, C->stopp, "stop");
	LLVMSetOrdering(s, LLVMAtomicOrderingMonotonic);
	LLVMSetAlignment(s, 4);
#endif
	return LLVMBuildICmp(C->b, LLVMIntNE, s, LLVMConstInt(M->i32, 0, 0),
			     "");
}

static void poll_stop(struct cg_func *C)
{
	struct cg_module *M = C->M;
	LLVMValueRef stop = cg_stop_set(C);
	if (!C->stop_bb) {
		LLVMBasicBlockRef here = LLVMGetInsertBlock(C->b);
		C->stop_bb = cg_new_bb(C, "stopped");
		LLVMPositionBuilderAtEnd(C->b, C->stop_bb);
		leave(C, NULL);
		LLVMPositionBuilderAtEnd(C->b, here);
	}
	LLVMBasicBlockRef go = cg_new_bb(C, "go");
	LLVMValueRef args[2] = {stop, LLVMConstInt(M->i1, 0, 0)};
	LLVMTypeRef over = M->i1;
	stop = cg_intrinsic(C, "llvm.expect", &over, 1, args, 2);
	LLVMBuildCondBr(C->b, stop, C->stop_bb, go);
	LLVMPositionBuilderAtEnd(C->b, go);
}

static void region_if(struct cg_func *C, const struct vcl_ir_inst *i)
{
	int known = wg_split_known(C, i);
	if (known >= 0) { /* the side that runs in a split's middle loop */
		cg_block(C, known ? &i->then : &i->els);
		return;
	}
	if (wg_split_flatten(C, i))
		return;
	LLVMBasicBlockRef t = cg_new_bb(C, "then"), e = cg_new_bb(C, "else"),
			  j = cg_new_bb(C, "endif");
	LLVMBuildCondBr(C->b, cg_get(C, i->a).v, t, e);
	LLVMPositionBuilderAtEnd(C->b, t);
	cg_block(C, &i->then);
	br_open(C, j);
	LLVMPositionBuilderAtEnd(C->b, e);
	cg_block(C, &i->els);
	br_open(C, j);
	LLVMPositionBuilderAtEnd(C->b, j);
}

static void region_loop(struct cg_func *C, const struct vcl_ir_inst *i)
{
	if (C->nloops > VCL_IR_MAX_DEPTH) {
		cg_fail(C, -EINVAL, "loops nested too deep");
		return;
	}
	bool poll = !cg_loop_short(C, C->prev, i);
	LLVMBasicBlockRef body = cg_new_bb(C, "loop"),
			  cont = cg_new_bb(C, "cont"),
			  exit = cg_new_bb(C, "endloop");
	br_open(C, body);
	C->loops[C->nloops++] = (struct cg_loop){exit, cont, false};
	LLVMPositionBuilderAtEnd(C->b, body);
	cg_block(C, &i->then);
	br_open(C, cont);
	LLVMPositionBuilderAtEnd(C->b, cont);
	cg_block(C, &i->els);
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(C->b))) {
		if (poll)
			poll_stop(C);
		LLVMBuildBr(C->b, body);
	}
	C->nloops--;
	LLVMPositionBuilderAtEnd(C->b, exit);
}

/* break/continue n; a loop around the work-item loop is left through the
 * group's exit code (wg_loop.c). */
static void jump(struct cg_func *C, const struct vcl_ir_inst *i)
{
	if (i->imm >= C->nloops) {
		cg_fail(C, -EINVAL, "break outside a loop");
		return;
	}
	uint32_t k = C->nloops - 1 - (uint32_t)i->imm;
	bool brk = i->op == VCL_IR_BREAK;
	if (C->loops[k].group) {
		LLVMBuildStore(C->b,
			       LLVMConstInt(C->M->i32, 1 + 2 * k + !brk, 0),
			       C->exitcode);
		LLVMBuildBr(C->b, C->wi_latch);
	} else {
		LLVMBuildBr(C->b, brk ? C->loops[k].brk : C->loops[k].cont);
	}
	after_jump(C);
}

static void ret(struct cg_func *C, const struct vcl_ir_inst *i)
{
	if (!C->kernel) {
		LLVMValueRef v = NULL;
		if (i->a != VCL_IR_NONE) {
			struct cg_val x = cg_get(C, i->a);
			v = is_ptr(C->f->ret) ? cg_pack(C, x) : x.v;
		}
		leave(C, v);
	} else {
		if (C->plan->barriers) {
			struct cg_module *M = C->M;
			LLVMBuildStore(
			    C->b, LLVMConstInt(M->i8, 1, 0),
			    wg_ctx_addr(C, C->plan->done_off, 1, C->flat));
			LLVMValueRef n =
			    LLVMBuildLoad2(C->b, M->i64, C->ndone, "");
			n = LLVMBuildAdd(C->b, n, LLVMConstInt(M->i64, 1, 0),
					 "");
			LLVMBuildStore(C->b, n, C->ndone);
		}
		LLVMBuildBr(C->b, C->wi_latch);
	}
	after_jump(C);
}

/* Hidden parameters first: rt, local ids x y z. */
#define HIDDEN 4

static void call(struct cg_func *C, const struct vcl_ir_inst *i)
{
	struct cg_module *M = C->M;
	const struct vcl_ir_function *g = &M->m->funcs[i->imm];
	LLVMValueRef args[HIDDEN + 4 * VCL_IR_MAX_PARAMS];
	unsigned n = 0;
	args[n++] = C->rt;
	for (int d = 0; d < 3; d++)
		args[n++] = C->lid[d];
	for (uint32_t k = 0; k < i->nargs; k++) {
		struct cg_val a = cg_get(C, i->args[k]);
		if (is_ptr(g->params[k].type)) {
			args[n++] = a.base;
			args[n++] = a.size;
			args[n++] = a.v;
			args[n++] = a.obj;
		} else {
			args[n++] = a.v;
		}
	}
	LLVMValueRef r = LLVMBuildCall2(C->b, M->fn_types[i->imm],
					M->fns[i->imm], args, n, "");
	struct cg_val v = {0};
	if (is_ptr(g->ret))
		v = cg_unpack(C, r);
	else
		v.v = r;
	cg_define(C, i, v);
}

void cg_inst(struct cg_func *C, const struct vcl_ir_inst *i)
{
	switch (i->op) {
	case VCL_IR_IF:
		region_if(C, i);
		break;
	case VCL_IR_LOOP:
		region_loop(C, i);
		break;
	case VCL_IR_BREAK:
	case VCL_IR_CONTINUE:
		jump(C, i);
		break;
	case VCL_IR_RETURN:
		ret(C, i);
		break;
	case VCL_IR_CALL:
		call(C, i);
		break;
	case VCL_IR_INTRIN:
		cg_math(C, i);
		break;
	case VCL_IR_WI:
		cg_workitem(C, i);
		break;
	case VCL_IR_BARRIER:
		/* Only in a helper (refused) or between segments. */
		cg_fail(C, -EINVAL, "barrier inside a work-item loop");
		break;
	case VCL_IR_LDS:
	case VCL_IR_STS:
	case VCL_IR_SLOT:
	case VCL_IR_LOCAL:
	case VCL_IR_PTRADD:
	case VCL_IR_CHECK:
	case VCL_IR_LOAD:
	case VCL_IR_STORE:
	case VCL_IR_ATOMIC:
	case VCL_IR_NULLPTR:
	case VCL_IR_PTRDIFF:
	case VCL_IR_PTRCMP:
		cg_memory(C, i);
		break;
	default:
		cg_arith(C, i);
	}
}

void cg_block(struct cg_func *C, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = b->first; i && !C->err;
	     prev = i, i = i->next) {
		C->prev = prev;
		cg_inst(C, i);
	}
}

/* The LLVM signature of function f (a kernel: its group function). */
static LLVMTypeRef signature(struct cg_module *M,
			     const struct vcl_ir_function *f)
{
	LLVMTypeRef p[HIDDEN + 4 * VCL_IR_MAX_PARAMS];
	unsigned n = 0;
	p[n++] = M->ptr;
	if (f->is_kernel)
		return LLVMFunctionType(M->vd, p, n, 0);
	for (int d = 0; d < 3; d++)
		p[n++] = M->i64;
	for (uint32_t k = 0; k < f->nparams && k < VCL_IR_MAX_PARAMS; k++) {
		if (is_ptr(f->params[k].type)) {
			p[n++] = M->ptr;
			p[n++] = M->i64;
			p[n++] = M->i64;
			p[n++] = M->i32;
		} else {
			p[n++] = cg_type(M, f->params[k].type);
		}
	}
	return LLVMFunctionType(cg_type(M, f->ret), p, n, 0);
}

static void declare(struct cg_module *M, uint32_t findex)
{
	const struct vcl_ir_function *f = &M->m->funcs[findex];
	char name[40];
	snprintf(name, sizeof(name), "%s%u",
		 f->is_kernel ? "__vjit_kernel_" : "__vjit_f", findex);
	M->fn_types[findex] = signature(M, f);
	M->fns[findex] = LLVMAddFunction(M->mod, name, M->fn_types[findex]);
	if (!f->is_kernel)
		LLVMSetLinkage(M->fns[findex], LLVMInternalLinkage);
	LLVMSetFunctionCallConv(M->fns[findex], LLVMCCallConv);
	unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(M->fns[findex], LLVMAttributeFunctionIndex,
				LLVMCreateEnumAttribute(M->ctx, nounwind, 0));
}

/* A helper's parameters into values; slots zeroed at entry. */
static void helper_entry(struct cg_func *C)
{
	unsigned n = 0;
	C->rt = LLVMGetParam(C->fn, n++);
	for (int d = 0; d < 3; d++)
		C->lid[d] = LLVMGetParam(C->fn, n++);
	for (uint32_t k = 0; k < C->f->nparams; k++) {
		struct cg_val v = {0};
		if (is_ptr(C->f->params[k].type)) {
			v.base = LLVMGetParam(C->fn, n++);
			v.size = LLVMGetParam(C->fn, n++);
			v.v = LLVMGetParam(C->fn, n++);
			v.obj = LLVMGetParam(C->fn, n++);
		} else {
			v.v = LLVMGetParam(C->fn, n++);
		}
		C->vals[k] = v;
	}
	C->stopp = cg_rt_field(C, C->eb, RT_STOP, C->M->ptr);
	cg_make_slots(C);
	cg_zero_slots(C);
}

int cg_function(struct cg_module *M, uint32_t findex,
		const struct wg_plan *plan)
{
	const struct vcl_ir_function *f = &M->m->funcs[findex];
	declare(M, findex);
	struct cg_func *C = calloc(1, sizeof(*C));
	if (!C)
		return -ENOMEM;
	C->M = M;
	C->f = f;
	C->findex = findex;
	C->fn = M->fns[findex];
	C->kernel = f->is_kernel;
	C->plan = plan;
	C->seg = SEG_GROUP;
	C->vals = calloc(f->nvalues + 1, sizeof(*C->vals));
	C->slot_ptr = calloc(f->nslots + 1, sizeof(*C->slot_ptr));
	C->slot_bytes = plan ? plan->slot_bytes : cg_slot_bytes(f);
	if (plan && plan->ctx_stack)
		C->ctx_arr = calloc(plan->per_wi + 1, sizeof(*C->ctx_arr));
	/* without it, the slots stay in the context (wg_slot_copy.c) */
	if (plan && plan->copy_slots)
		C->slot_copy = calloc(f->nslots + 1, sizeof(*C->slot_copy));
	if (!C->vals || !C->slot_ptr || !C->slot_bytes ||
	    (plan && plan->ctx_stack && !C->ctx_arr)) {
		free(C->ctx_arr);
		if (!plan)
			free(C->slot_bytes);
		free(C->vals);
		free(C->slot_ptr);
		free(C);
		return -ENOMEM;
	}
	C->b = LLVMCreateBuilderInContext(M->ctx);
	C->eb = LLVMCreateBuilderInContext(M->ctx);
	LLVMBasicBlockRef entry = cg_new_bb(C, "entry");
	LLVMBasicBlockRef start = cg_new_bb(C, "start");
	LLVMPositionBuilderAtEnd(C->eb, entry);
	LLVMPositionBuilderAtEnd(C->b, start);
	if (f->is_kernel) {
		wg_kernel_body(C);
	} else {
		helper_entry(C);
		cg_block(C, &f->body);
		if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(C->b)))
			leave(C, NULL);
	}
	LLVMBuildBr(C->eb, start);
	int err = C->err;
	LLVMDisposeBuilder(C->b);
	LLVMDisposeBuilder(C->eb);
	if (!plan)
		free(C->slot_bytes);
	free(C->sites);
	free(C->pf);
	cg_loop_short_free(C);
	wg_hoist_free(C);
	free(C->ctx_arr);
	free(C->slot_copy);
	free(C->vals);
	free(C->slot_ptr);
	free(C);
	return err;
}
