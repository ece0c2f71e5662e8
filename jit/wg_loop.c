/*
 * A kernel as a group function (the work-group function transformation,
 * as PoCL does it, on the structured IR): the body's runs of instructions
 * between barriers (segments, wg_plan.c) become loops over the group's
 * work-items (z, y, x; x innermost, the local id the induction variable so
 * LLVM can vectorize across work-items); an if or loop holding a barrier
 * (uniform: the verifier's rule) runs once per group with the work-item
 * loops inside it. Values and slots that live across a segment's end are
 * kept per work-item in the context (wg_ctx_addr). A break, continue or
 * return inside a work-item loop that leaves a group-level loop sets the
 * group's exit code, which is acted on after the work-item loop; a return
 * marks the work-item done, so later loops skip it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "jit_internal.h"

static LLVMValueRef c64(struct cg_func *C, uint64_t v)
{
	return LLVMConstInt(C->M->i64, v, 0);
}

/*
 * The element of work-item FLAT of the context array at per-work-item
 * offset OFF. On the stack (when it fits: jit_compile.c), each array is
 * an alloca of its own, zeroed per group: LLVM then knows that no buffer,
 * no __local area and no other array aliases it, keeps its elements in
 * registers across loops and vectorizes work-item loops over it. On the
 * heap, the arrays are laid out one after the other (structure of
 * arrays), each group_size elements of ELEM bytes.
 */
LLVMValueRef wg_ctx_addr(struct cg_func *C, uint64_t off, uint64_t elem,
			 LLVMValueRef flat)
{
	LLVMBuilderRef B = C->b;
	if (C->ctx_arr) {
		struct cg_module *M = C->M;
		if (!C->ctx_arr[off]) {
			LLVMValueRef a = LLVMBuildAlloca(
			    C->eb,
			    LLVMArrayType2(M->i8, elem * C->plan->max_group),
			    "ctx");
			LLVMSetAlignment(a, 16);
			LLVMBuildMemSet(
			    C->eb, a, LLVMConstInt(M->i8, 0, 0),
			    LLVMBuildMul(C->eb, C->gsize, c64(C, elem), ""),
			    16);
			C->ctx_arr[off] = a;
		}
		LLVMValueRef idx = LLVMBuildMul(B, flat, c64(C, elem), "");
		return LLVMBuildInBoundsGEP2(B, M->i8, C->ctx_arr[off], &idx, 1,
					     "");
	}
	LLVMValueRef arr = LLVMBuildMul(B, c64(C, off), C->gsize, "");
	LLVMValueRef idx =
	    LLVMBuildAdd(B, arr, LLVMBuildMul(B, flat, c64(C, elem), ""), "");
	return LLVMBuildInBoundsGEP2(B, C->M->i8, C->ctx, &idx, 1, "");
}

/* After a work-item loop of a kernel with barriers: a return by every
 * work-item ends the group; an exit code leaves a group-level loop. */
static void after_wi_loop(struct cg_func *C)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	if (C->plan->returns) {
		LLVMValueRef n = LLVMBuildLoad2(B, M->i64, C->ndone, "");
		LLVMBasicBlockRef go = cg_new_bb(C, "live");
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntEQ, n, C->gsize, ""),
				C->ret_bb, go);
		LLVMPositionBuilderAtEnd(B, go);
	}
	uint32_t ngroup = 0;
	for (uint32_t k = 0; k < C->nloops; k++)
		ngroup += C->loops[k].group;
	if (!ngroup)
		return;
	LLVMValueRef code = LLVMBuildLoad2(B, M->i32, C->exitcode, "");
	LLVMBuildStore(B, LLVMConstInt(M->i32, 0, 0), C->exitcode);
	LLVMBasicBlockRef go = cg_new_bb(C, "stay");
	LLVMValueRef sw = LLVMBuildSwitch(B, code, go, 2 * ngroup);
	for (uint32_t k = 0; k < C->nloops; k++) {
		if (!C->loops[k].group)
			continue;
		LLVMAddCase(sw, LLVMConstInt(M->i32, 1 + 2 * k, 0),
			    C->loops[k].brk);
		LLVMAddCase(sw, LLVMConstInt(M->i32, 2 + 2 * k, 0),
			    C->loops[k].cont);
	}
	LLVMPositionBuilderAtEnd(B, go);
}

/*
 * Marks the loop whose latch branch is BR as one LLVM must not unroll.
 * The outer work-item loops (y, z) hold the x loop LLVM vectorizes, and
 * runtime-unrolling them copied that whole nest for little gain; the
 * checked copy of a loop runs only when a hoisted check fails. Unrolled,
 * they were a seventh of options.cl's optimized code (docs/benchmarks.md).
 */
static void no_unroll(struct cg_func *C, LLVMValueRef br)
{
	wg_loop_mark(C, br, "llvm.loop.unroll.disable");
}

void wg_loop_mark(struct cg_func *C, LLVMValueRef br, const char *hint)
{
	LLVMContextRef ctx = C->M->ctx;
	LLVMMetadataRef self = LLVMTemporaryMDNode(ctx, NULL, 0);
	LLVMMetadataRef str = LLVMMDStringInContext2(ctx, hint, strlen(hint));
	LLVMMetadataRef ops[2] = {self, LLVMMDNodeInContext2(ctx, &str, 1)};
	LLVMMetadataRef loop = LLVMMDNodeInContext2(ctx, ops, 2);
	LLVMMetadataReplaceAllUsesWith(self, loop);
	LLVMSetMetadata(br, LLVMGetMDKindIDInContext(ctx, "llvm.loop", 9),
			LLVMMetadataAsValue(ctx, loop));
}

/*
 * The x loop of a row: FIRST up to END (exclusive) once per work-item for
 * local ids FROM up to TO, then on to EXIT. GUARD: it may run none (a
 * split's part); else at least one. HOLD: not to be unrolled.
 */
static void x_loop(struct cg_func *C, const struct vcl_ir_inst *first,
		   const struct vcl_ir_inst *end, LLVMValueRef from,
		   LLVMValueRef to, LLVMBasicBlockRef exit, bool guard,
		   bool hold)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(B);
	LLVMBasicBlockRef head = cg_new_bb(C, "wi.head"),
			  latch = cg_new_bb(C, "wi.latch");
	if (guard)
		LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntULT, from, to, ""),
				head, exit);
	else
		LLVMBuildBr(B, head);
	LLVMPositionBuilderAtEnd(B, head);
	LLVMValueRef phi = LLVMBuildPhi(B, M->i64, "lid.x");
	C->lid[0] = phi;
	C->flat = LLVMBuildAdd(
	    B,
	    LLVMBuildMul(
		B,
		LLVMBuildAdd(B, LLVMBuildMul(B, C->lid[2], C->lsize[1], ""),
			     C->lid[1], ""),
		C->lsize[0], ""),
	    phi, "flat");
	if (C->plan->barriers && C->plan->returns) {
		LLVMBasicBlockRef body = cg_new_bb(C, "wi.body");
		LLVMValueRef done = LLVMBuildLoad2(
		    B, M->i8, wg_ctx_addr(C, C->plan->done_off, 1, C->flat),
		    "");
		LLVMBuildCondBr(B,
				LLVMBuildICmp(B, LLVMIntNE, done,
					      LLVMConstInt(M->i8, 0, 0), ""),
				latch, body);
		LLVMPositionBuilderAtEnd(B, body);
	}
	C->wi_latch = latch;
	cg_zero_slots(C);
	wg_slot_copy_in(C, first, end);
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = first; i != end && !C->err;
	     prev = i, i = i->next) {
		C->prev = prev;
		C->wi_top = i;
		if (i == C->div_loop)
			wg_divergent_step(C, i);
		else
			cg_inst(C, i);
	}
	C->wi_top = NULL;
	if (C->wi_body)
		C->wi_body(C, C->wi_arg);
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)))
		LLVMBuildBr(B, latch);
	LLVMPositionBuilderAtEnd(B, latch);
	wg_slot_copy_out(C);
	LLVMValueRef next = LLVMBuildNUWAdd(B, phi, c64(C, 1), "lid.next");
	LLVMValueRef br = LLVMBuildCondBr(
	    B, LLVMBuildICmp(B, LLVMIntULT, next, to, ""), head, exit);
	if (hold)
		no_unroll(C, br);
	LLVMBasicBlockRef from_bb[2] = {pre, latch};
	LLVMValueRef in[2] = {from, next};
	LLVMAddIncoming(phi, in, from_bb, 2);
}

/* The instructions FIRST up to END (exclusive) once per work-item; ends
 * positioned after the loop. With C->split, each row's x range in three
 * loops, the middle one generated knowing the split's ifs. */
void wg_wi_loop_nest(struct cg_func *C, const struct vcl_ir_inst *first,
		     const struct vcl_ir_inst *end, bool checked_copy)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(B);
	LLVMBasicBlockRef head[3], latch[3], after = cg_new_bb(C, "wi.end");
	for (int d = 2; d >= 1; d--)
		head[d] = cg_new_bb(C, "wi.head");
	for (int d = 1; d < 3; d++)
		latch[d] = cg_new_bb(C, "wi.latch");
	LLVMValueRef phi[3];
	LLVMBuildBr(B, head[2]);
	for (int d = 2; d >= 1; d--) {
		LLVMPositionBuilderAtEnd(B, head[d]);
		phi[d] = LLVMBuildPhi(B, M->i64, "lid");
		C->lid[d] = phi[d];
		if (d == 2)
			LLVMBuildBr(B, head[1]);
	}
	LLVMPositionBuilderAtEnd(B, head[1]);
	/* x too when its trip count is reqd_work_group_size's constant: LLVM
	 * unrolled it in full before the loop vectorizer, and the SLP
	 * vectorizer made the copies' loads through sign-extended int
	 * offsets gathers (the tiled multiply's tile loads: scalar, half
	 * its time) */
	bool hold = checked_copy || C->f->reqd_work_group_size[0];
	if (C->split) {
		LLVMValueRef lo, hi;
		wg_split_bounds(C, C->split, &lo, &hi);
		LLVMBasicBlockRef mid = cg_new_bb(C, "wi.split.mid"),
				  tail = cg_new_bb(C, "wi.split.tail");
		/* the edges: a few work-items a row */
		x_loop(C, first, end, c64(C, 0), lo, mid, true, true);
		LLVMPositionBuilderAtEnd(B, mid);
		C->split_mid = true;
		x_loop(C, first, end, lo, hi, tail, true, hold);
		C->split_mid = false;
		LLVMPositionBuilderAtEnd(B, tail);
		x_loop(C, first, end, hi, C->lsize[0], latch[1], true, true);
	} else {
		x_loop(C, first, end, c64(C, 0), C->lsize[0], latch[1], false,
		       hold);
	}
	for (int d = 1; d < 3; d++) {
		LLVMPositionBuilderAtEnd(B, latch[d]);
		if (d == 1)
			wg_prefetch_emit(C); /* the x loop has ended */
		bool rows = d == 1 && C->wi_yend;
		LLVMValueRef next = LLVMBuildNUWAdd(
		    B, phi[d], c64(C, rows ? C->wi_ystep : 1), "lid.next");
		LLVMValueRef br = LLVMBuildCondBr(
		    B,
		    LLVMBuildICmp(B, LLVMIntULT, next,
				  rows ? C->wi_yend : C->lsize[d], ""),
		    head[d], d < 2 ? latch[d + 1] : after);
		no_unroll(C, br);
		LLVMBasicBlockRef from[2] = {d < 2 ? head[d + 1] : pre,
					     latch[d]};
		LLVMValueRef in[2] = {rows ? C->wi_y0 : c64(C, 0), next};
		LLVMAddIncoming(phi[d], in, from, 2);
	}
	LLVMPositionBuilderAtEnd(B, after);
	C->wi_latch = NULL;
	for (int d = 0; d < 3; d++)
		C->lid[d] = c64(C, 0);
	C->flat = c64(C, 0);
}

/* Segments past this many instructions are not generated twice. */
#define HOIST_MAX_INSTS 4096

static uint64_t count_insts(const struct vcl_ir_inst *first,
			    const struct vcl_ir_inst *end)
{
	uint64_t n = 0;
	for (const struct vcl_ir_inst *i = first; i && i != end; i = i->next)
		n += 1 + count_insts(i->then.first, NULL) +
		     count_insts(i->els.first, NULL);
	return n;
}

/*
 * A work-item loop; when some of its checks can be made once per group
 * (wg_hoist.c), two: without those checks when all of them pass, the
 * checked one otherwise.
 */
static void wi_loop(struct cg_func *C, const struct vcl_ir_inst *first,
		    const struct vcl_ir_inst *end)
{
	LLVMBuilderRef B = C->b;
	uint8_t *mark = NULL;
	LLVMValueRef all_in = NULL;
	const struct wg_xchg *x = wg_interchanged(C->plan, first, end);
	bool small = count_insts(first, end) <= HOIST_MAX_INSTS;
	if (small && (mark = calloc(C->f->nvalues + 1, 1)))
		all_in = wg_hoist_checks(C, first, end, mark);
	/* split where it runs unchecked, or where nothing is hoisted */
	struct wg_split *split =
	    !x && small ? wg_split_plan(C, first, end) : NULL;
	if (all_in) {
		LLVMBasicBlockRef fast = cg_new_bb(C, "wi.unchecked"),
				  slow = cg_new_bb(C, "wi.checked"),
				  join = cg_new_bb(C, "wi.done");
		/* Likely: unmarked, both copies looked equally hot, and the
		 * register allocator's spills and the block placement served
		 * the fast copy no better than the slow one (the 5x5
		 * convolution ran at half the speed of unchecked code). */
		LLVMBuildCondBr(B, cg_likely(C, all_in), fast, slow);
		LLVMPositionBuilderAtEnd(B, fast);
		C->unchecked = mark;
		C->split = split;
		if (x)
			wg_interchange_emit(C, first, x);
		else
			wg_wi_loop_nest(C, first, end, false);
		C->split = NULL;
		C->unchecked = NULL;
		LLVMBuildBr(B, join);
		LLVMPositionBuilderAtEnd(B, slow);
		/* the checked copy in the order written: the same faults */
		wg_wi_loop_nest(C, first, end, true);
		LLVMBuildBr(B, join);
		LLVMPositionBuilderAtEnd(B, join);
	} else if (x) {
		wg_interchange_emit(C, first, x);
	} else {
		C->split = split;
		wg_wi_loop_nest(C, first, end, false);
		C->split = NULL;
	}
	wg_split_free(split);
	free(mark);
	if (C->plan->barriers)
		after_wi_loop(C);
}

static void group_block(struct cg_func *C, const struct vcl_ir_block *b);

static void group_region(struct cg_func *C, const struct vcl_ir_inst *i)
{
	LLVMBuilderRef B = C->b;
	if (i->op == VCL_IR_IF) {
		/* uniform: work-item 0's condition is everyone's */
		C->seg = SEG_GROUP;
		LLVMValueRef c = cg_get(C, i->a).v;
		LLVMBasicBlockRef t = cg_new_bb(C, "g.then"),
				  e = cg_new_bb(C, "g.else"),
				  j = cg_new_bb(C, "g.endif");
		LLVMBuildCondBr(B, c, t, e);
		LLVMPositionBuilderAtEnd(B, t);
		C->group_nest++;
		group_block(C, &i->then);
		LLVMBuildBr(B, j);
		LLVMPositionBuilderAtEnd(B, e);
		group_block(C, &i->els);
		C->group_nest--;
		LLVMBuildBr(B, j);
		LLVMPositionBuilderAtEnd(B, j);
		return;
	}
	if (C->nloops > VCL_IR_MAX_DEPTH) {
		cg_fail(C, -EINVAL, "loops nested too deep");
		return;
	}
	LLVMBasicBlockRef body = cg_new_bb(C, "g.loop"),
			  cont = cg_new_bb(C, "g.cont"),
			  exit = cg_new_bb(C, "g.endloop");
	LLVMBuildBr(B, body);
	C->loops[C->nloops++] = (struct cg_loop){exit, cont, true};
	LLVMPositionBuilderAtEnd(B, body);
	C->group_nest++;
	group_block(C, &i->then);
	LLVMBuildBr(B, cont);
	LLVMPositionBuilderAtEnd(B, cont);
	if (wg_group_counter_loop(C->plan, i)) {
		/* `t = t + step` once for the group (wg_group_counter.c) */
		C->seg = C->nseg++;
		for (const struct vcl_ir_inst *j = i->els.first; j && !C->err;
		     j = j->next)
			cg_inst(C, j);
		C->seg = SEG_GROUP;
	} else {
		group_block(C, &i->els);
	}
	C->group_nest--;
	/* poll *stop once per iteration of the group's loop */
	LLVMBuildCondBr(B, cg_stop_set(C), C->ret_bb, body);
	C->nloops--;
	LLVMPositionBuilderAtEnd(B, exit);
}

/* A block at group level; the walk is wg_plan.c's plan_group. */
static void group_block(struct cg_func *C, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *i = b->first;
	while (i && !C->err) {
		if (wg_divergent(C->plan, i)) {
			C->seg = C->nseg++;
			wg_divergent_region(C, i);
			if (C->plan->returns)
				after_wi_loop(C);
			C->seg = SEG_GROUP;
			i = i->next;
			continue;
		}
		if (wg_has_barrier(C->plan, i)) {
			if (i->op != VCL_IR_BARRIER)
				group_region(C, i);
			i = i->next;
			continue;
		}
		const struct vcl_ir_inst *end = i;
		while (end && !wg_has_barrier(C->plan, end))
			end = end->next;
		C->seg = C->nseg++;
		wi_loop(C, i, end);
		C->seg = SEG_GROUP;
		i = end;
	}
}

/* The group function: uniform values and parameters in the entry block,
 * then the body. */
void wg_kernel_body(struct cg_func *C)
{
	struct cg_module *M = C->M;
	const struct vcl_ir_function *f = C->f;
	C->rt = LLVMGetParam(C->fn, 0);
	C->stopp = cg_rt_field(C, C->eb, RT_STOP, M->ptr);
	for (int d = 0; d < 3; d++)
		C->lsize[d] = cg_local_size(C, d);
	C->gsize = f->reqd_work_group_size[0]
		       ? LLVMConstInt(M->i64,
				      (uint64_t)f->reqd_work_group_size[0] *
					  f->reqd_work_group_size[1] *
					  f->reqd_work_group_size[2],
				      0)
		       : cg_rt_field(C, C->eb, RT_GROUP_SIZE, M->i64);
	if (!C->ctx_arr)
		C->ctx = cg_rt_field(C, C->eb, RT_CTX, M->ptr);
	LLVMValueRef bases = cg_rt_field(C, C->eb, RT_ARG_BASE, M->ptr);
	LLVMValueRef sizes = cg_rt_field(C, C->eb, RT_ARG_SIZE, M->ptr);
	for (uint32_t k = 0; k < f->nparams; k++) {
		LLVMValueRef idx = c64(C, k);
		LLVMValueRef base = LLVMBuildLoad2(
		    C->eb, M->ptr,
		    LLVMBuildInBoundsGEP2(C->eb, M->ptr, bases, &idx, 1, ""),
		    f->params[k].name ? f->params[k].name : "");
		struct cg_val v = {0};
		vcl_ir_type t = f->params[k].type;
		if (VCL_IR_KIND(t) == VCL_IR_PTR) {
			v.base = base;
			v.size = LLVMBuildLoad2(
			    C->eb, M->i64,
			    LLVMBuildInBoundsGEP2(C->eb, M->i64, sizes, &idx, 1,
						  ""),
			    "");
			v.v = c64(C, 0);
			v.obj = LLVMConstInt(M->i32, OBJ_PARAM + k, 0);
		} else if (VCL_IR_KIND(t) == VCL_IR_I1) {
			v.v = LLVMBuildICmp(
			    C->eb, LLVMIntNE,
			    LLVMBuildLoad2(C->eb, M->i8, base, ""),
			    LLVMConstInt(M->i8, 0, 0), "");
		} else {
			LLVMValueRef x =
			    LLVMBuildLoad2(C->eb, cg_type(M, t), base, "");
			LLVMSetAlignment(x, 1);
			v.v = x;
		}
		C->vals[k] = v;
	}
	cg_make_slots(C);
	LLVMBasicBlockRef ret = cg_new_bb(C, "ret");
	C->ret_bb = ret;
	LLVMBuilderRef B = C->b;
	if (C->plan->barriers) {
		C->exitcode = LLVMBuildAlloca(C->eb, M->i32, "exitcode");
		C->ndone = LLVMBuildAlloca(C->eb, M->i64, "ndone");
		LLVMBuildStore(B, LLVMConstInt(M->i32, 0, 0), C->exitcode);
		LLVMBuildStore(B, c64(C, 0), C->ndone);
		wg_group_counter_zero(C);
		/* the group's own context: zero, as the slots are */
		if (C->ctx)
			LLVMBuildMemSet(B, C->ctx, LLVMConstInt(M->i8, 0, 0),
					LLVMBuildMul(B, c64(C, C->plan->per_wi),
						     C->gsize, ""),
					16);
	}
	group_block(C, &f->body);
	if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)))
		LLVMBuildBr(B, ret);
	LLVMPositionBuilderAtEnd(B, ret);
	cg_report_faults(C);
	LLVMBuildRetVoid(B);
	if (C->ctx)
		cg_mark_context(C);
}
