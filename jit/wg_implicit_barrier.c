/*
 * Implicit loop barriers (docs/compiler.md, "Implicit loop barriers"), as
 * PoCL makes them: a loop of the kernel's body whose trip count is the
 * same in every work-item runs at group level, as if it held a barrier,
 * so the work-item loop is inside it. n-body's `for (j = 0; j < n; j++)
 * acc += f(p, pos[j]);` was the work-item loop around the j loop: one
 * work-item's chain of interactions at a time, scalar (a sqrt and a
 * divide each). Run as `for (j...) for (work-items) body`, each step of j
 * is a work-item loop LLVM vectorizes across work-items, pos[j] a
 * broadcast checked once per group (wg_hoist.c); what lives across the
 * steps (p, acc) is kept per work-item in the context, as across a
 * barrier; the group's loop polls the stop flag once per step.
 *
 * Work-items between barriers are unordered, so running the steps of all
 * work-items interleaved is one of the orders the kernel allows. Which
 * loops: in the kernel's body itself (not inside an if or another loop),
 * counted (cg_counted_loop) with init and step constants or parameters
 * and the bound a parameter (a constant bound is wg_interchange.c's), the
 * counter stored only by `k = init` and the step, and a body without
 * barriers, returns, breaks or continues out of it, calls, atomics or
 * pointer selects (wg_interchange_body_ok). Every work-item then takes
 * the same steps; the counter is the group's (wg_group_counter.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "jit_internal.h"

/* A constant or a parameter: the same in every work-item. */
static bool uniform(const struct wg_facts *F, const struct vcl_ir_function *f,
		    uint32_t x)
{
	if (x < f->nparams)
		return true;
	const struct vcl_ir_inst *d = x < f->nvalues ? F->def[x] : NULL;
	return d && d->op == VCL_IR_CONST;
}

static bool implicit(const struct wg_plan *P, const struct vcl_ir_function *f,
		     const struct vcl_ir_inst *prev,
		     const struct vcl_ir_inst *L)
{
	const struct wg_facts *F = &P->facts;
	struct counted_loop c;
	if (L->op != VCL_IR_LOOP || wg_has_barrier(P, L) ||
	    !cg_counted_loop(F->def, f->nvalues, F->addressed, f->nslots, prev,
			     L, &c) ||
	    c.bound >= f->nparams || !uniform(F, f, c.init) ||
	    !uniform(F, f, c.step) || F->stores[c.slot] != 2)
		return false;
	const struct vcl_ir_inst *hif = wg_interchange_head_if(L);
	return wg_interchange_body_ok(&L->then, hif) &&
	       wg_interchange_body_ok(&L->els, hif);
}

int wg_implicit_barriers(struct wg_plan *P, const struct vcl_ir_function *f,
			 const struct vcl_ir_inst ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = f->body.first; i;
	     prev = i, i = i->next) {
		if (!implicit(P, f, prev, i))
			continue;
		const struct vcl_ir_inst **m =
		    realloc(*out, (*n + 1) * sizeof(*m));
		if (!m) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -ENOMEM;
		}
		*out = m;
		m[(*n)++] = i;
	}
	return 0;
}

bool wg_implicit_any(const struct vcl_ir_function *f)
{
	struct wg_plan P = {0};
	bool any = wg_facts_make(&P.facts, f) != 0;
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = f->body.first; i && !any;
	     prev = i, i = i->next)
		any = implicit(&P, f, prev, i) || wg_divergent_loop(&P, i);
	wg_facts_free(&P.facts);
	return any;
}

static vcl_ir_type type_of(const struct wg_plan *P,
			   const struct vcl_ir_function *f, uint32_t x)
{
	if (x < f->nparams)
		return f->params[x].type;
	const struct vcl_ir_inst *d = x < f->nvalues ? P->facts.def[x] : NULL;
	return d ? d->type : VCL_IR_VOID;
}

/* A call, or a pointer stored to memory or a slot (its target could be a
 * slot's copy, reused by the next work-item). */
static bool escapes(const struct wg_plan *P, const struct vcl_ir_function *f,
		    const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->op == VCL_IR_CALL ||
		    (i->op == VCL_IR_STORE &&
		     VCL_IR_KIND(type_of(P, f, i->b)) == VCL_IR_PTR) ||
		    (i->op == VCL_IR_STS &&
		     VCL_IR_KIND(type_of(P, f, i->a)) == VCL_IR_PTR) ||
		    escapes(P, f, &i->then) || escapes(P, f, &i->els))
			return true;
	}
	return false;
}

bool wg_implicit_copy_ok(const struct wg_plan *P,
			 const struct vcl_ir_function *f)
{
	if (P->returns || escapes(P, f, &f->body))
		return false;
	/* nor a pointer kept across a segment's end */
	for (uint32_t v = f->nparams; v < f->nvalues; v++)
		if (P->ctx_off[v] != CTX_NONE &&
		    VCL_IR_KIND(P->vty[v]) == VCL_IR_PTR)
			return false;
	return true;
}
