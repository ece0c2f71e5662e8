/*
 * Private variables recomputed after a barrier instead of kept in the
 * context (docs/compiler.md, "Code generation"). A kernel's
 * `const int lx = get_local_id(0), row = get_group_id(1) * 16 + ly;`
 * is read in every segment; kept per work-item in the context, a later
 * segment loads it from an array, LLVM no longer sees it as the work-item
 * loop's counter, and an access `Bs[k][lx]` that was a vector load
 * becomes a gather. So a slot whose value is a cheap pure function of the
 * work-item's ids, the group's, the parameters and of other such slots is
 * computed again where a later segment reads it.
 *
 * Which slots: not addressed, stored once in the function, that store at
 * the top level of a segment outside the group's ifs and loops (it runs
 * once per work-item, before every later segment in program order), its
 * value built from constants, parameters, work-item queries, integer
 * arithmetic, comparisons and selects (no memory, no calls, none of them
 * can fault), and loads of such slots made after their store, at most
 * REMAT_MAX_NODES operations in all. A segment before the store reads
 * the slot's zero, the store's segment its own copy, each later one the
 * recomputed value: what the slot would hold there. The slot no longer
 * takes room in the context.
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

/* Operations one read of a recomputed slot may emit. */
#define REMAT_MAX_NODES 32

struct remat_scan {
	const struct vcl_ir_function *f;
	struct wg_remat *R;
	const struct wg_plan *P;
	uint8_t *reach; /* per LDS: its slot's store came before it */
	uint8_t *known; /* per slot: its one store came already */
	uint32_t seg, depth;
};

static bool pure_op(enum vcl_ir_op op)
{
	return (op >= VCL_IR_ADD && op <= VCL_IR_ASHR) || op == VCL_IR_ICMP ||
	       op == VCL_IR_SELECT || op == VCL_IR_SEXT || op == VCL_IR_ZEXT ||
	       op == VCL_IR_TRUNC || op == VCL_IR_WI || op == VCL_IR_CONST ||
	       op == VCL_IR_LDS;
}

struct cost {
	struct remat_scan *S;
	uint32_t n;
	bool ok;
};

static void cost_of(void *arg, uint32_t x);

/* Operations that recomputing value X emits (a shared operand counts
 * each time: the emitter does not share them either). */
static void cost_of(void *arg, uint32_t x)
{
	struct cost *c = arg;
	struct remat_scan *S = c->S;
	const struct vcl_ir_function *f = S->f;
	if (!c->ok || x < f->nparams)
		return;
	const struct vcl_ir_inst *d =
	    x < f->nvalues ? S->P->facts.def[x] : NULL;
	if (!d || !pure_op(d->op) || VCL_IR_KIND(d->type) == VCL_IR_PTR ||
	    S->P->def_seg[x] == SEG_GROUP) {
		c->ok = false;
		return;
	}
	if (d->op == VCL_IR_CONST || S->P->ctx_off[x] != CTX_NONE)
		return; /* a constant, or read from the context as it is */
	if (d->op == VCL_IR_LDS) {
		if (!S->reach[x] || !S->R->store[d->imm]) {
			c->ok = false;
			return;
		}
		c->n += 1 + S->R->nodes[d->imm];
	} else {
		c->n++;
		wg_operands(d, cost_of, c);
	}
	if (c->n > REMAT_MAX_NODES)
		c->ok = false;
}

/* A store at the top level of a segment outside the group's regions. */
static void top_store(struct remat_scan *S, const struct vcl_ir_inst *i)
{
	uint64_t s = i->imm;
	if (s >= S->f->nslots || S->P->facts.stores[s] != 1 ||
	    S->P->facts.addressed[s])
		return;
	struct cost c = {S, 0, true};
	cost_of(&c, i->a);
	if (!c.ok)
		return;
	S->R->store[s] = i;
	S->R->seg[s] = S->seg;
	S->R->nodes[s] = c.n;
}

/* FIRST up to END (and their regions) in program order: which loads
 * follow their slot's one store; TOP: the list is a segment's top level
 * outside the group's regions. */
static void walk(struct remat_scan *S, const struct vcl_ir_inst *first,
		 const struct vcl_ir_inst *end, bool top)
{
	const struct vcl_ir_function *f = S->f;
	for (const struct vcl_ir_inst *i = first; i != end; i = i->next) {
		walk(S, i->then.first, NULL, false);
		walk(S, i->els.first, NULL, false);
		if (i->op == VCL_IR_LDS && i->imm < f->nslots &&
		    i->id < f->nvalues)
			S->reach[i->id] = S->known[i->imm];
		if (i->op == VCL_IR_STS && i->imm < f->nslots) {
			if (top)
				top_store(S, i);
			S->known[i->imm] = 1;
		}
	}
}

/* The group-level walk of wg_plan.c's plan_group, numbering segments
 * the same way. */
static void walk_group(struct remat_scan *S, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *i = b->first;
	while (i) {
		if (wg_divergent(S->P, i)) { /* a segment of its own */
			walk(S, i, i->next, S->depth == 0);
			S->seg++;
			i = i->next;
			continue;
		}
		if (wg_has_barrier(S->P, i)) {
			S->depth++;
			walk_group(S, &i->then);
			walk_group(S, &i->els);
			S->depth--;
			i = i->next;
			continue;
		}
		const struct vcl_ir_inst *end = i;
		while (end && !wg_has_barrier(S->P, end))
			end = end->next;
		walk(S, i, end, S->depth == 0);
		S->seg++;
		i = end;
	}
}

int wg_remat_plan(struct wg_plan *P, const struct vcl_ir_function *f)
{
	struct wg_remat *R = &P->remat;
	size_t nv = f->nvalues + 1, ns = f->nslots + 1;
	R->store = calloc(ns, sizeof(*R->store));
	R->seg = calloc(ns, sizeof(*R->seg));
	R->nodes = calloc(ns, sizeof(*R->nodes));
	struct remat_scan S = {f, R, P, calloc(nv, 1), calloc(ns, 1), 0, 0};
	int err = 0;
	if (!R->store || !R->seg || !R->nodes || !S.reach || !S.known)
		err = -1;
	else
		walk_group(&S, &f->body);
	free(S.reach);
	free(S.known);
	return err;
}

void wg_remat_free(struct wg_remat *R)
{
	free(R->store);
	free(R->seg);
	free(R->nodes);
}

struct emit {
	struct cg_func *C;
	uint32_t n;
	uint32_t ids[REMAT_MAX_NODES + 1];
	struct cg_val old[REMAT_MAX_NODES + 1];
};

static void emit_value(void *arg, uint32_t x)
{
	struct emit *e = arg;
	struct cg_func *C = e->C;
	const struct wg_plan *P = C->plan;
	const struct vcl_ir_inst *d = P->facts.def[x];
	if (x < C->f->nparams || !d || d->op == VCL_IR_CONST ||
	    P->ctx_off[x] != CTX_NONE)
		return;		      /* cg_get has it */
	if (e->n > REMAT_MAX_NODES) { /* the analysis bounds it */
		cg_fail(C, -EINVAL, "code generator bug: recomputed slot");
		return;
	}
	wg_operands(d, emit_value, e);
	e->ids[e->n] = x;
	e->old[e->n++] = C->vals[x];
	cg_inst(C, d);
}

bool wg_remat_load(struct cg_func *C, const struct vcl_ir_inst *lds)
{
	const struct wg_plan *P = C->plan;
	if (!P || !P->barriers || !P->remat.store || lds->imm >= C->f->nslots)
		return false; /* none (out of memory planning them: kept) */
	const struct vcl_ir_inst *st = P->remat.store[lds->imm];
	if (!st || C->seg == SEG_GROUP || C->seg <= P->remat.seg[lds->imm])
		return false;
	struct emit e = {.C = C};
	emit_value(&e, st->a);
	struct cg_val v = cg_get(C, st->a);
	/* the store's segment keeps its own values */
	while (e.n--)
		C->vals[e.ids[e.n]] = e.old[e.n];
	cg_define(C, lds, v);
	return true;
}
