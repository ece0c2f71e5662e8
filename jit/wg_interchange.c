/*
 * A counted loop inside the work-items run outside them (docs/compiler.md,
 * "Code generation"): a segment `for (k = 0; k < 16; k++) acc += As[ly][k]
 * * Bs[k][lx];` is the work-item loop around the k loop, so LLVM sees one
 * work-item's chain of 16 dependent additions at a time. Run as
 * `for (k...) for (work-items) body`, each step of k is a work-item loop
 * of independent work-items: `As[ly][k]` a broadcast, `Bs[k][lx..]` a
 * vector load, one accumulator per row, which LLVM may keep in registers
 * across k.
 *
 * Work-items between barriers are unordered (OpenCL: a work-item seeing
 * another's write without a barrier is a data race), and each work-item
 * still runs its own steps in order, so this is one of the orders the
 * kernel allows. Which loops: the last instruction of a segment, only
 * constants before its `k = init`, counted with constant init, bound and
 * step and short (loop_short.c: no stop poll, at most 65536 iterations),
 * its counter read and written nowhere else, and a body without
 * barriers, returns, breaks or continues out of it, calls, atomics or
 * pointer selects (the faults that are reported in the order they happen
 * rather than as each object's lowest offset). Slots the body uses move
 * to the context (one per work-item, as a value kept across a barrier),
 * but for the counter, now one value for the whole group, and slots
 * recomputed after barriers (wg_remat.c). A loop whose trip count is not
 * such constants (a parameter, a value loaded) is left alone.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

struct xchg_scan {
	struct wg_plan *P;
	const struct vcl_ir_function *f;
	uint32_t *in_loop;   /* per slot: those inside the loop looked at */
	struct cg_func *tmp; /* for loop_short.c's scan */
	bool oom;
};

/* Whether the body may run interleaved with other work-items' bodies;
 * DEPTH is the number of loops inside the interchanged one around B. */
static bool body_ok(const struct vcl_ir_block *b, uint32_t depth,
		    const struct vcl_ir_inst *head_if)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i == head_if)
			continue;
		switch (i->op) {
		case VCL_IR_RETURN:
		case VCL_IR_CALL:
		case VCL_IR_ATOMIC:
		case VCL_IR_BARRIER:
			return false;
		case VCL_IR_BREAK:
		case VCL_IR_CONTINUE:
			if (i->imm >= depth)
				return false;
			break;
		case VCL_IR_SELECT:
			if (VCL_IR_KIND(i->type) == VCL_IR_PTR)
				return false;
			break;
		default:
			break;
		}
		uint32_t d = depth + (i->op == VCL_IR_LOOP);
		if (!body_ok(&i->then, d, head_if) ||
		    !body_ok(&i->els, d, head_if))
			return false;
	}
	return true;
}

static void count_in(struct xchg_scan *X, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if ((i->op == VCL_IR_LDS || i->op == VCL_IR_STS ||
		     i->op == VCL_IR_SLOT) &&
		    i->imm < X->f->nslots)
			X->in_loop[i->imm]++;
		count_in(X, &i->then);
		count_in(X, &i->els);
	}
}

bool wg_interchange_body_ok(const struct vcl_ir_block *b,
			    const struct vcl_ir_inst *head_if)
{
	return body_ok(b, 0, head_if);
}

const struct vcl_ir_inst *wg_interchange_head_if(const struct vcl_ir_inst *L)
{
	const struct vcl_ir_inst *i = L->then.first;
	while (i && i->op != VCL_IR_IF)
		i = i->next;
	return i;
}

static void add(struct xchg_scan *X, const struct wg_xchg *x)
{
	struct wg_plan *P = X->P;
	struct wg_xchg *n = realloc(P->xchg, (P->nxchg + 1) * sizeof(*n));
	if (!n) {
		X->oom = true;
		return;
	}
	P->xchg = n;
	P->xchg[P->nxchg++] = *x;
}

/* The segment FIRST..LAST (its last instruction). */
static void consider(struct xchg_scan *X, const struct vcl_ir_inst *first,
		     const struct vcl_ir_inst *last)
{
	const struct vcl_ir_function *f = X->f;
	if (last->op != VCL_IR_LOOP)
		return;
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = first; i != last; i = i->next) {
		if (prev && prev->op != VCL_IR_CONST)
			return;
		prev = i;
	}
	struct counted_loop c;
	const struct wg_facts *F = &X->P->facts;
	if (!cg_counted_loop(F->def, f->nvalues, F->addressed, f->nslots, prev,
			     last, &c) ||
	    !cg_loop_short(X->tmp, prev, last))
		return;
	const struct vcl_ir_inst *hif = wg_interchange_head_if(last);
	if (!body_ok(&last->then, 0, hif) || !body_ok(&last->els, 0, hif))
		return;
	for (uint32_t s = 0; s < f->nslots; s++)
		X->in_loop[s] = 0;
	count_in(X, &last->then);
	count_in(X, &last->els);
	/* the counter: its init and the loop's own reads and writes only */
	if (F->uses[c.slot] != X->in_loop[c.slot] + 1)
		return;
	const struct vcl_ir_inst *in = F->def[c.init], *bd = F->def[c.bound],
				 *st = F->def[c.step];
	if (!in || !bd || !st || in->op != VCL_IR_CONST ||
	    bd->op != VCL_IR_CONST || st->op != VCL_IR_CONST)
		return;
	struct wg_plan *P = X->P;
	for (uint32_t s = 0; s < f->nslots; s++)
		if (X->in_loop[s] && s != c.slot &&
		    !(P->remat.store && P->remat.store[s]) &&
		    !wg_group_counter(P, s) && P->slot_off[s] == CTX_NONE)
			P->slot_off[s] = 0; /* placed with the others */
	/* iterations (loop_short.c proved no wrap) */
	int64_t c0 = c.wide   ? (int64_t)in->imm
		     : c.sign ? (int64_t)(int32_t)in->imm
			      : (int64_t)(uint32_t)in->imm;
	int64_t c1 = c.wide   ? (int64_t)bd->imm
		     : c.sign ? (int64_t)(int32_t)bd->imm
			      : (int64_t)(uint32_t)bd->imm;
	int64_t k = c.wide ? (int64_t)st->imm : (int64_t)(int32_t)st->imm;
	int64_t end = c1 + c.incl;
	uint64_t trips =
	    end <= c0 || k <= 0 ? 0 : ((uint64_t)(end - c0) + k - 1) / k;
	add(X, &(struct wg_xchg){last, hif, c, in, bd, st, trips});
}

/* A block at group level, walked as wg_plan.c's plan_group walks it. */
static void find(struct xchg_scan *X, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *i = b->first;
	while (i && !X->oom) {
		if (wg_has_barrier(X->P, i)) {
			if (wg_divergent(X->P, i)) { /* a segment, no loop */
				i = i->next;
				continue;
			}
			find(X, &i->then);
			find(X, &i->els);
			i = i->next;
			continue;
		}
		const struct vcl_ir_inst *first = i, *last = i;
		for (; i && !wg_has_barrier(X->P, i); i = i->next)
			last = i;
		consider(X, first, last);
	}
}

int wg_interchange_plan(struct wg_plan *P, const struct vcl_ir_function *f)
{
	struct cg_func *tmp = calloc(1, sizeof(*tmp));
	struct xchg_scan X = {P, f, calloc(f->nslots + 1, sizeof(*X.in_loop)),
			      tmp, false};
	int r = -ENOMEM;
	if (tmp && X.in_loop) {
		tmp->f = f;
		find(&X, &f->body);
		r = X.oom ? -ENOMEM : 0;
	}
	if (tmp)
		cg_loop_short_free(tmp);
	free(tmp);
	free(X.in_loop);
	return r;
}

const struct wg_xchg *wg_interchanged(const struct wg_plan *P,
				      const struct vcl_ir_inst *first,
				      const struct vcl_ir_inst *end)
{
	const struct vcl_ir_inst *last = NULL;
	for (const struct vcl_ir_inst *i = first; i != end; i = i->next)
		last = i;
	for (size_t k = 0; last && k < P->nxchg; k++)
		if (P->xchg[k].loop == last)
			return &P->xchg[k];
	return NULL;
}

/* A constant of the IR as LLVM's (generated again where it stands). */
static LLVMValueRef constant(struct cg_func *C, const struct vcl_ir_inst *d)
{
	cg_inst(C, d);
	return cg_get(C, d->id).v;
}

/* Steps (times rows) of a loop unrolled in full: the work-item loop
 * around it is then innermost, and LLVM vectorizes it across work-items
 * (the accumulators of the rows in registers along the steps). */
#define UNROLL_MAX 128

/* Rows of work-items one step of the loop runs together. */
#define JAM_ROWS 4

struct jam {
	const struct wg_xchg *x;
	uint32_t rows;
};

/* The loop, each step's body once for each of J's rows at the work-item
 * loop's (x, y): work-items (x, y), (x, y + 1), ... */
static void jam_body(struct cg_func *C, void *arg)
{
	const struct jam *J = arg;
	const struct wg_xchg *x = J->x;
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	LLVMValueRef init = constant(C, x->init), bound = constant(C, x->bound),
		     step = constant(C, x->step);
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(B),
			  head = cg_new_bb(C, "xk.head"),
			  body = cg_new_bb(C, "xk.body"),
			  exit = cg_new_bb(C, "xk.end");
	LLVMBuildBr(B, head);
	LLVMPositionBuilderAtEnd(B, head);
	LLVMValueRef k = LLVMBuildPhi(B, LLVMTypeOf(init), "xk");
	LLVMIntPredicate p = x->c.sign ? (x->c.incl ? LLVMIntSLE : LLVMIntSLT)
				       : (x->c.incl ? LLVMIntULE : LLVMIntULT);
	LLVMBuildCondBr(B, LLVMBuildICmp(B, p, k, bound, ""), body, exit);
	LLVMPositionBuilderAtEnd(B, body);
	LLVMBuildStore(B, k, cg_slot_addr(C, (uint32_t)x->c.slot));
	LLVMValueRef lid1 = C->lid[1], flat = C->flat;
	/* with reqd_work_group_size the rows' distance is a constant, which
	 * LLVM needs to vectorize the rows' stores side by side */
	LLVMValueRef row =
	    C->f->reqd_work_group_size[0]
		? LLVMConstInt(M->i64, C->f->reqd_work_group_size[0], 0)
		: C->lsize[0];
	for (uint32_t u = 0; u < J->rows && !C->err; u++) {
		LLVMValueRef du = LLVMConstInt(M->i64, u, 0);
		C->lid[1] = LLVMBuildNUWAdd(B, lid1, du, "");
		C->flat = LLVMBuildNUWAdd(B, flat,
					  LLVMBuildNUWMul(B, du, row, ""), "");
		const struct vcl_ir_inst *prev = NULL;
		for (const struct vcl_ir_inst *i = x->loop->then.first;
		     i && !C->err; prev = i, i = i->next) {
			C->prev = prev;
			if (i != x->head_if)
				cg_inst(C, i);
		}
	}
	C->lid[1] = lid1;
	C->flat = flat;
	/* no wrap: loop_short.c proved the value past the bound fits */
	LLVMValueRef next = LLVMBuildAdd(B, k, step, "xk.next");
	LLVMBasicBlockRef from[2] = {pre, LLVMGetInsertBlock(B)};
	LLVMValueRef in[2] = {init, next};
	LLVMAddIncoming(k, in, from, 2);
	LLVMValueRef br = LLVMBuildBr(B, head);
	if (x->trips * J->rows <= UNROLL_MAX)
		wg_loop_mark(C, br, "llvm.loop.unroll.full");
	LLVMPositionBuilderAtEnd(B, exit);
}

/* Work-item loops over rows Y0, Y0 + STEP, ... below YEND, each running
 * J's rows, when COND holds. */
static void rows_nest(struct cg_func *C, struct jam *J, LLVMValueRef cond,
		      LLVMValueRef y0, LLVMValueRef yend)
{
	LLVMBuilderRef B = C->b;
	LLVMBasicBlockRef run = cg_new_bb(C, "xk.rows"),
			  done = cg_new_bb(C, "xk.rows.end");
	LLVMBuildCondBr(B, cond, run, done);
	LLVMPositionBuilderAtEnd(B, run);
	C->wi_y0 = y0;
	C->wi_yend = yend;
	C->wi_ystep = J->rows;
	C->wi_body = jam_body;
	C->wi_arg = J;
	wg_wi_loop_nest(C, NULL, NULL, false);
	C->wi_y0 = C->wi_yend = NULL;
	C->wi_body = NULL;
	C->wi_arg = NULL;
	LLVMBuildBr(B, done);
	LLVMPositionBuilderAtEnd(B, done);
}

void wg_interchange_emit(struct cg_func *C, const struct vcl_ir_inst *first,
			 const struct wg_xchg *x)
{
	struct cg_module *M = C->M;
	LLVMBuilderRef B = C->b;
	for (const struct vcl_ir_inst *i = first; i->next != x->loop;
	     i = i->next)
		cg_inst(C, i); /* constants */
	/* a work-item that returned is skipped one by one: no rows */
	uint32_t rows = C->plan->returns ? 1 : JAM_ROWS;
	LLVMValueRef ly = C->lsize[1], zero = LLVMConstInt(M->i64, 0, 0),
		     r = LLVMConstInt(M->i64, rows, 0);
	LLVMValueRef full =
	    LLVMBuildSub(B, ly, LLVMBuildURem(B, ly, r, ""), "xk.full");
	struct jam J = {x, rows};
	rows_nest(C, &J, LLVMBuildICmp(B, LLVMIntNE, full, zero, ""), zero,
		  LLVMBuildAdd(B, LLVMBuildSub(B, full, r, ""),
			       LLVMConstInt(M->i64, 1, 0), ""));
	if (rows > 1) {
		struct jam one = {x, 1};
		rows_nest(C, &one, LLVMBuildICmp(B, LLVMIntULT, full, ly, ""),
			  full, ly);
	}
}

void wg_interchange_free(struct wg_plan *P)
{
	free(P->xchg);
}
