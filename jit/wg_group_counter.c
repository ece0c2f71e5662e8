/*
 * The counter of a loop holding a barrier as one value for the whole
 * group (docs/compiler.md, "Code generation"). The tiled multiply's
 * `for (t = 0; t < n; t += 16) { ...; barrier; ...; barrier; }` runs
 * once per group, but its counter was a private slot like any other:
 * kept per work-item in the context, `t = t + 16` run by a work-item loop,
 * and `a[row * n + t + lc]` read t from an array, so its check was not
 * made once per group and the loads were not vectorized.
 *
 * Which counters: a counted loop (cg_counted_loop: `t = init` just
 * before it, the body starting with the test, the continuing part
 * exactly `t = t + step`) that holds a barrier, init and step constants
 * or parameters, t stored nowhere else and never addressed. Every
 * work-item then holds the same t at every point (the loop is uniform,
 * the verifier's rule), so one slot for the group holds what each copy
 * would: zeroed once when the group starts, stored by `t = init` (every
 * work-item stores the same value), stepped once per iteration by the
 * continuing part run at group level.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

struct counter_scan {
	struct wg_plan *P;
	const struct vcl_ir_function *f;
};

/* A constant or a parameter: the same in every work-item. */
static bool uniform(const struct counter_scan *S, uint32_t x)
{
	if (x < S->f->nparams)
		return true;
	const struct vcl_ir_inst *d =
	    x < S->f->nvalues ? S->P->facts.def[x] : NULL;
	return d && d->op == VCL_IR_CONST;
}

/* Whether the instructions FIRST up to END (and their regions) read
 * slot s. */
static bool reads(const struct vcl_ir_inst *first,
		  const struct vcl_ir_inst *end, uint64_t s)
{
	for (const struct vcl_ir_inst *i = first; i && i != end; i = i->next)
		if ((i->op == VCL_IR_LDS && i->imm == s) ||
		    reads(i->then.first, NULL, s) ||
		    reads(i->els.first, NULL, s))
			return true;
	return false;
}

/* The group-level block B, as wg_plan.c's plan_group walks it. */
static void find(struct counter_scan *S, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *prev = NULL, *seg = b->first;
	for (const struct vcl_ir_inst *i = b->first; i; prev = i, i = i->next) {
		if (!wg_has_barrier(S->P, i))
			continue;
		const struct vcl_ir_inst *seg_first = seg;
		seg = i->next;
		if (i->op == VCL_IR_BARRIER)
			continue;
		find(S, &i->then);
		find(S, &i->els);
		struct counted_loop c;
		if (i->op == VCL_IR_LOOP && !wg_divergent(S->P, i) &&
		    cg_counted_loop(S->P->facts.def, S->f->nvalues,
				    S->P->facts.addressed, S->f->nslots, prev,
				    i, &c) &&
		    uniform(S, c.init) && uniform(S, c.step) &&
		    S->P->facts.stores[c.slot] == 2 &&
		    /* a work-item reading its own t before `t = init` in
		     * the same work-item loop would see another's init */
		    !reads(seg_first, prev, c.slot)) {
			S->P->gcounter[c.slot] = 1;
			S->P->gstep[c.slot] = c.step;
		}
	}
}

int wg_group_counter_plan(struct wg_plan *P, const struct vcl_ir_function *f)
{
	struct counter_scan S = {P, f};
	P->gcounter = calloc(f->nslots + 1, 1);
	P->gstep = calloc(f->nslots + 1, sizeof(*P->gstep));
	if (!P->gcounter || !P->gstep)
		return -ENOMEM;
	find(&S, &f->body);
	for (uint32_t s = 0; s < f->nslots; s++)
		if (P->gcounter[s])
			P->slot_off[s] = CTX_NONE;
	return 0;
}

bool wg_group_counter(const struct wg_plan *P, uint64_t slot)
{
	return P && P->gcounter && P->gcounter[slot];
}

bool wg_group_counter_loop(const struct wg_plan *P, const struct vcl_ir_inst *L)
{
	const struct vcl_ir_inst *st = L->els.last;
	return L->op == VCL_IR_LOOP && st && st->op == VCL_IR_STS &&
	       wg_group_counter(P, st->imm);
}

void wg_group_counter_zero(struct cg_func *C)
{
	for (uint32_t s = 0; s < C->f->nslots; s++)
		if (wg_group_counter(C->plan, s))
			LLVMBuildMemSet(
			    C->b, C->slot_ptr[s], LLVMConstInt(C->M->i8, 0, 0),
			    LLVMConstInt(C->M->i64, C->slot_bytes[s], 0), 1);
}
