/*
 * The work-group plan of a kernel (docs/compiler.md, "Code generation"):
 * which instructions hold a barrier, how the body splits into segments
 * (runs of instructions between barriers, each run as a loop over the
 * group's work-items), and which values and private slots live across a
 * segment's end and so are kept per work-item in the group's context.
 * wg_loop.c walks the body in the same order, so segment numbers agree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

struct planner {
	struct wg_plan *P;
	const struct vcl_ir_function *f;
	uint32_t *slot_seg;
	size_t capbar;
	bool oom;
	uint32_t seg;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const void *const *)a,
		  y = (uintptr_t) * (const void *const *)b;
	return x < y ? -1 : x > y;
}

bool wg_has_barrier(const struct wg_plan *P, const struct vcl_ir_inst *i)
{
	if (i->op == VCL_IR_BARRIER)
		return true;
	if (i->op != VCL_IR_IF && i->op != VCL_IR_LOOP)
		return false;
	return P->nbar &&
	       bsearch(&i, P->bar, P->nbar, sizeof(*P->bar), cmp_ptr) != NULL;
}

/* Records the regions holding a barrier; true when b has one. */
static bool find_barriers(struct planner *pl, const struct vcl_ir_block *b)
{
	bool any = false;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		bool has = i->op == VCL_IR_BARRIER;
		if (i->op == VCL_IR_RETURN)
			pl->P->returns = true;
		if (i->op == VCL_IR_IF || i->op == VCL_IR_LOOP) {
			bool t = find_barriers(pl, &i->then);
			has = find_barriers(pl, &i->els) || t;
			if (has) {
				if (pl->P->nbar == pl->capbar) {
					size_t c =
					    pl->capbar ? 2 * pl->capbar : 16;
					const struct vcl_ir_inst **n =
					    realloc(pl->P->bar, c * sizeof(*n));
					if (!n) {
						pl->oom = true;
						return true;
					}
					pl->P->bar = n;
					pl->capbar = c;
				}
				pl->P->bar[pl->P->nbar++] = i;
			}
		}
		any |= has;
	}
	return any;
}

void wg_operands(const struct vcl_ir_inst *i, void (*fn)(void *arg, uint32_t x),
		 void *arg)
{
	switch (i->op) {
	case VCL_IR_CONST:
	case VCL_IR_LDS:
	case VCL_IR_SLOT:
	case VCL_IR_LOCAL:
	case VCL_IR_NULLPTR:
	case VCL_IR_BARRIER:
	case VCL_IR_LOOP:
	case VCL_IR_BREAK:
	case VCL_IR_CONTINUE:
		return;
	case VCL_IR_CALL:
	case VCL_IR_INTRIN:
		for (uint32_t k = 0; k < i->nargs; k++)
			fn(arg, i->args[k]);
		return;
	case VCL_IR_SELECT:
		fn(arg, i->a);
		fn(arg, i->b);
		fn(arg, i->c);
		return;
	case VCL_IR_ATOMIC:
		fn(arg, i->a);
		fn(arg, i->b);
		if (i->imm == VCL_AT_CMPXCHG)
			fn(arg, i->c);
		return;
	case VCL_IR_RETURN:
		if (i->a != VCL_IR_NONE)
			fn(arg, i->a);
		return;
	case VCL_IR_FNEG:
	case VCL_IR_STS:
	case VCL_IR_CHECK:
	case VCL_IR_LOAD:
	case VCL_IR_WI:
	case VCL_IR_IF:
		fn(arg, i->a);
		return;
	default:
		if (i->op >= VCL_IR_SEXT && i->op <= VCL_IR_FPTOUI) {
			fn(arg, i->a);
			return;
		}
		/* binary ops, compares, ptradd, store */
		fn(arg, i->a);
		fn(arg, i->b);
	}
}

static void use(void *arg, uint32_t x)
{
	struct planner *pl = arg;
	struct wg_plan *P = pl->P;
	if (x >= pl->f->nvalues)
		return;
	uint32_t s = P->def_seg[x];
	if (s != SEG_PARAM && s != SEG_CONST && s != pl->seg)
		P->ctx_off[x] = 0; /* placed later */
}

static void use_slot(struct planner *pl, uint64_t s, bool addressed)
{
	if (s >= pl->f->nslots)
		return;
	if (addressed ||
	    (pl->slot_seg[s] != SEG_PARAM && pl->slot_seg[s] != pl->seg))
		pl->P->slot_off[s] = 0;
	pl->slot_seg[s] = pl->seg;
}

static void plan_block(struct planner *pl, const struct vcl_ir_block *b);

static void plan_inst(struct planner *pl, const struct vcl_ir_inst *i)
{
	wg_operands(i, use, pl);
	if (i->op == VCL_IR_LDS || i->op == VCL_IR_STS || i->op == VCL_IR_SLOT)
		use_slot(pl, i->imm, i->op == VCL_IR_SLOT);
	if (i->id < pl->f->nvalues) {
		pl->P->def_seg[i->id] =
		    i->op == VCL_IR_CONST ? SEG_CONST : pl->seg;
		pl->P->vty[i->id] = i->type;
	}
	plan_block(pl, &i->then);
	plan_block(pl, &i->els);
}

static void plan_block(struct planner *pl, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		plan_inst(pl, i);
}

/* A block at group level: runs without barriers are segments; regions
 * with one are walked at group level. wg_loop.c's walk is the same. */
static void plan_group(struct planner *pl, const struct vcl_ir_block *b)
{
	const struct vcl_ir_inst *i = b->first;
	while (i) {
		if (wg_divergent(pl->P, i)) {
			/* one segment: each step of a work-item, whole */
			pl->seg = pl->P->nseg++;
			plan_inst(pl, i);
			pl->oom |= wg_divergent_slots(pl->P, pl->f, i) != 0;
			i = i->next;
			continue;
		}
		if (wg_has_barrier(pl->P, i)) {
			if (i->op == VCL_IR_IF) {
				pl->seg = SEG_GROUP;
				use(pl, i->a);
			}
			plan_group(pl, &i->then);
			plan_group(pl, &i->els);
			i = i->next;
			continue;
		}
		pl->seg = pl->P->nseg++;
		for (; i && !wg_has_barrier(pl->P, i); i = i->next)
			plan_inst(pl, i);
	}
}

static uint64_t place(struct wg_plan *P, uint64_t size, uint64_t align)
{
	align = align ? align : 1; /* a value of no size: the verifier's job */
	P->per_wi = (P->per_wi + align - 1) / align * align;
	uint64_t off = P->per_wi;
	P->per_wi += (size + align - 1) / align * align;
	P->narrays++;
	return off;
}

/* A slot's array, or its lanes' one after the other (wg_slot_copy.c):
 * the first's offset. */
static uint64_t place_slot(struct wg_plan *P, const struct vcl_ir_function *f,
			   uint32_t s)
{
	uint32_t lane = wg_slot_lane(P, s);
	if (!lane)
		return place(P, P->slot_bytes[s],
			     f->slots[s].align ? f->slots[s].align : 1);
	uint64_t off = place(P, lane, lane);
	for (uint64_t k = 1; k < P->slot_bytes[s] / lane; k++)
		place(P, lane, lane);
	return off;
}

static void scan_facts(struct wg_facts *F, const struct vcl_ir_function *f,
		       const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->id < f->nvalues)
			F->def[i->id] = i;
		if ((i->op == VCL_IR_LDS || i->op == VCL_IR_STS ||
		     i->op == VCL_IR_SLOT) &&
		    i->imm < f->nslots) {
			F->uses[i->imm]++;
			F->stores[i->imm] += i->op == VCL_IR_STS;
			F->addressed[i->imm] |= i->op == VCL_IR_SLOT;
		}
		scan_facts(F, f, &i->then);
		scan_facts(F, f, &i->els);
	}
}

int wg_facts_make(struct wg_facts *F, const struct vcl_ir_function *f)
{
	F->def = calloc(f->nvalues + 1, sizeof(*F->def));
	F->addressed = calloc(f->nslots + 1, 1);
	F->stores = calloc(f->nslots + 1, sizeof(*F->stores));
	F->uses = calloc(f->nslots + 1, sizeof(*F->uses));
	if (!F->def || !F->addressed || !F->stores || !F->uses)
		return -ENOMEM;
	scan_facts(F, f, &f->body);
	return 0;
}

/* The loops run as if they held a barrier (wg_implicit_barrier.c) join
 * the regions holding one; the facts are needed to find them. */
static int add_implicit(struct planner *pl, const struct vcl_ir_function *f)
{
	struct wg_plan *P = pl->P;
	const struct vcl_ir_inst **loops;
	size_t n;
	if (wg_facts_make(&P->facts, f) ||
	    wg_implicit_barriers(P, f, &loops, &n))
		return -ENOMEM;
	if (!n)
		return 0;
	const struct vcl_ir_inst **b =
	    realloc(P->bar, (P->nbar + n) * sizeof(*b));
	if (!b) {
		free(loops);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		b[P->nbar++] = loops[k];
	P->implicit = true;
	free(loops);
	P->bar = b;
	pl->capbar = P->nbar;
	qsort(P->bar, P->nbar, sizeof(*P->bar), cmp_ptr);
	return 0;
}

/* Then the loops left with a divergent exit (wg_divergent.c). */
static int add_divergent(struct planner *pl, const struct vcl_ir_function *f)
{
	struct wg_plan *P = pl->P;
	for (const struct vcl_ir_inst *i = f->body.first; i; i = i->next) {
		if (!wg_divergent_loop(P, i))
			continue;
		const struct vcl_ir_inst **d =
		    realloc(P->div, (P->ndiv + 1) * sizeof(*d));
		if (!d)
			return -ENOMEM;
		P->div = d;
		P->div[P->ndiv++] = i;
	}
	if (!P->ndiv)
		return 0;
	P->left_off = calloc(P->ndiv, sizeof(*P->left_off));
	if (!P->left_off)
		return -ENOMEM;
	const struct vcl_ir_inst **b =
	    realloc(P->bar, (P->nbar + P->ndiv) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t k = 0; k < P->ndiv; k++)
		b[P->nbar++] = P->div[k];
	P->implicit = true;
	P->bar = b;
	pl->capbar = P->nbar;
	qsort(P->bar, P->nbar, sizeof(*P->bar), cmp_ptr);
	return 0;
}

int wg_plan_make(struct wg_plan *P, const struct vcl_ir_function *f, char *msg)
{
	memset(P, 0, sizeof(*P));
	struct planner pl = {.P = P, .f = f};
	find_barriers(&pl, &f->body);
	if (P->nbar)
		qsort(P->bar, P->nbar, sizeof(*P->bar), cmp_ptr);
	if (!pl.oom && (add_implicit(&pl, f) || add_divergent(&pl, f))) {
		snprintf(msg, VJIT_MSG_MAX, "out of memory");
		return -ENOMEM;
	}
	P->barriers = P->nbar > 0;
	for (const struct vcl_ir_inst *i = f->body.first; i && !P->barriers;
	     i = i->next)
		P->barriers = i->op == VCL_IR_BARRIER;
	P->def_seg = malloc((f->nvalues + 1) * sizeof(*P->def_seg));
	P->ctx_off = malloc((f->nvalues + 1) * sizeof(*P->ctx_off));
	P->vty = malloc((f->nvalues + 1) * sizeof(*P->vty));
	P->slot_off = malloc((f->nslots + 1) * sizeof(*P->slot_off));
	pl.slot_seg = malloc((f->nslots + 1) * sizeof(*pl.slot_seg));
	P->slot_bytes = cg_slot_bytes(f);
	if (pl.oom || !P->def_seg || !P->ctx_off || !P->vty || !P->slot_off ||
	    !P->slot_bytes || !pl.slot_seg) {
		free(pl.slot_seg);
		snprintf(msg, VJIT_MSG_MAX, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t v = 0; v < f->nvalues; v++) {
		P->def_seg[v] = v < f->nparams ? SEG_PARAM : SEG_GROUP;
		P->ctx_off[v] = CTX_NONE;
		P->vty[v] = v < f->nparams ? f->params[v].type : VCL_IR_VOID;
	}
	for (uint32_t s = 0; s < f->nslots; s++) {
		P->slot_off[s] = CTX_NONE;
		pl.slot_seg[s] = SEG_PARAM; /* unused yet */
	}
	P->max_group = VJIT_MAX_WORK_GROUP_SIZE;
	if (f->reqd_work_group_size[0])
		P->max_group = (uint64_t)f->reqd_work_group_size[0] *
			       f->reqd_work_group_size[1] *
			       f->reqd_work_group_size[2];
	if (P->barriers) {
		plan_group(&pl, &f->body);
		if (wg_remat_plan(P, f)) {
			wg_remat_free(&P->remat);
			memset(&P->remat, 0, sizeof(P->remat));
		}
		for (uint32_t s = 0; P->remat.store && s < f->nslots; s++)
			if (P->remat.store[s])
				P->slot_off[s] = CTX_NONE;
		if (pl.oom || wg_group_counter_plan(P, f) ||
		    wg_interchange_plan(P, f)) {
			free(pl.slot_seg);
			snprintf(msg, VJIT_MSG_MAX, "out of memory");
			return -ENOMEM;
		}
		P->copy_slots =
		    P->implicit && !P->nxchg && wg_implicit_copy_ok(P, f);
		/* Place what crosses a barrier; `0` marked it above. */
		for (uint32_t v = f->nparams; v < f->nvalues; v++)
			if (P->ctx_off[v] != CTX_NONE)
				P->ctx_off[v] =
				    place(P, wg_elem_size(P->vty[v]),
					  wg_elem_size(P->vty[v]));
		for (uint32_t s = 0; s < f->nslots; s++)
			if (P->slot_off[s] != CTX_NONE)
				P->slot_off[s] = place_slot(P, f, s);
		P->done_off = place(P, 1, 1);
		/* one a loop: each starts with every work-item in it */
		for (size_t k = 0; k < P->ndiv; k++)
			P->left_off[k] = place(P, 4, 4);
	} else {
		for (uint32_t s = 0; s < f->nslots; s++)
			P->slot_off[s] = CTX_NONE;
	}
	free(pl.slot_seg);
	return 0;
}

void wg_facts_free(struct wg_facts *F)
{
	free(F->def);
	free(F->addressed);
	free(F->stores);
	free(F->uses);
}

uint64_t wg_ctx_stack_bytes(const struct wg_plan *P)
{
	return P->per_wi * P->max_group + 16 * P->narrays;
}

uint32_t wg_elem_size(vcl_ir_type t)
{
	/* A pointer is kept as (base, size, offset, object, checked). */
	return VCL_IR_KIND(t) == VCL_IR_PTR ? 32 : vcl_ir_type_size(t);
}

void wg_plan_free(struct wg_plan *P)
{
	wg_remat_free(&P->remat);
	wg_interchange_free(P);
	free(P->gcounter);
	free(P->gstep);
	wg_facts_free(&P->facts);
	free(P->vty);
	free(P->slot_bytes);
	free(P->bar);
	free(P->div);
	free(P->left_off);
	free(P->def_seg);
	free(P->ctx_off);
	free(P->slot_off);
}
