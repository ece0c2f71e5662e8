/*
 * Two flow facts over a checked function, flow-insensitive and
 * conservative, computed callee-first so calls use their callees'
 * summaries:
 *
 * - Which pointer parameters it may store through. Every pointer value
 *   carries an origin mask (bit i: derived from parameter i; bit 63: from
 *   anywhere, as a pointer loaded from memory). A store through a pointer
 *   adds its origins to the function's stores; so does a pointer stored
 *   into memory, converted to an integer or passed to a callee that
 *   stores through that parameter. Variables' masks grow to a fixed point
 *   (bounded passes; past them every mask becomes "anywhere").
 *
 * - barrier() where work-items may diverge: under a condition that
 *   depends on get_global_id or get_local_id (through private variables
 *   too, in statement order), or after a return taken under one. A call of
 *   a function that calls barrier counts as a barrier.
 */
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

#define ANY (1ull << 63)
enum { MAX_PASSES = 16 };

struct flow {
	struct sema *s;
	struct vcl_sym *fn;
	uint64_t *vmask, *pmask; /* origins held by variables, parameters */
	uint8_t *vvary, *pvary;	 /* holds a work-item dependent value */
	uint32_t nv, np;
	uint64_t stores, returns;
	bool changed;
	bool div;	/* the statement being walked may be divergent */
	bool exited;	/* some work-items returned under a divergent one */
	uint32_t loops; /* nesting of the loop being walked */
	bool report;	/* the last pass: report barriers */
};

static uint64_t param_bit(uint32_t i)
{
	return 1ull << (i < 63 ? i : 63);
}

static uint64_t *mask_of(struct flow *f, struct vcl_sym *y)
{
	if (!y || y->scope == 0)
		return NULL;
	if (y->kind == VCL_SYM_PARAM && y->index < f->np)
		return &f->pmask[y->index];
	if (y->kind == VCL_SYM_VAR && y->index < f->nv)
		return &f->vmask[y->index];
	return NULL;
}

/* Whether a private variable holds a work-item dependent value; __local
 * ones are shared by the work-group, like memory (not followed). */
static uint8_t *vary_of(struct flow *f, struct vcl_sym *y)
{
	if (!y || y->scope == 0 || (y->type && y->type->space == VCL_AS_LOCAL))
		return NULL;
	if (y->kind == VCL_SYM_PARAM && y->index < f->np)
		return &f->pvary[y->index];
	if (y->kind == VCL_SYM_VAR && y->index < f->nv)
		return &f->vvary[y->index];
	return NULL;
}

static void grow(struct flow *f, uint64_t *m, uint64_t add)
{
	if (m && (*m | add) != *m) {
		*m |= add;
		f->changed = true;
	}
}

/* Work-item dependence follows the statements in order: an assignment to
 * a whole variable replaces what it held (strong), to a part adds to it.
 * Branches are not joined, so a dependence may be missed, never made up:
 * the barrier check errs towards accepting. */
static void set_vary(uint8_t *v, bool vary, bool strong)
{
	if (v)
		*v = strong ? vary : (*v | vary);
}

static bool holds_pointer(const struct vcl_ty *t)
{
	while (t && t->kind == VCL_TY_ARRAY)
		t = t->base;
	return t && (t->kind == VCL_TY_POINTER ||
		     (t->record && t->record->has_pointer));
}

/* A walk's result: the origins of a value and whether it depends on the
 * work-item. */
struct val {
	uint64_t m;
	bool vary;
};

static struct val walk(struct flow *f, struct vcl_node *n);

/* The private variable an lvalue is part of (x, x.f, x[i], x.s0), or
 * NULL when it is reached through a pointer. Walks the index
 * expressions; *vary gets theirs. */
static struct vcl_sym *private_var(struct flow *f, struct vcl_node *n,
				   bool *vary)
{
	for (;;) {
		if (n->kind == VCL_N_IDENT)
			return n->sym;
		if (n->kind == VCL_N_MEMBER) {
			n = n->a;
		} else if (n->kind == VCL_N_INDEX &&
			   n->a->kind == VCL_N_CONVERT &&
			   n->a->info == VCL_CV_DECAY) {
			*vary |= walk(f, n->b).vary;
			n = n->a->a;
		} else {
			return NULL;
		}
	}
}

/* The pointer an lvalue outside private variables is reached through:
 * its origins (walking the lvalue's parts once). */
static struct val through(struct flow *f, struct vcl_node *n)
{
	struct val r = {0, false};
	switch (n->kind) {
	case VCL_N_MEMBER:
		return through(f, n->a);
	case VCL_N_INDEX: {
		struct val b = walk(f, n->b);
		if (n->a->kind == VCL_N_CONVERT && n->a->info == VCL_CV_DECAY)
			r = through(f, n->a->a);
		else
			r = walk(f, n->a);
		r.vary |= b.vary;
		return r;
	}
	case VCL_N_UNARY: /* '*' */
	case VCL_N_ARROW:
		return walk(f, n->a);
	default:
		return r;
	}
}

/* A store into the lvalue n of a value carrying v. */
static bool store(struct flow *f, struct vcl_node *n, struct val v)
{
	bool vary = false;
	struct vcl_sym *y = private_var(f, n, &vary);
	if (y) {
		grow(f, mask_of(f, y), v.m);
		set_vary(vary_of(f, y), v.vary || vary || f->div,
			 n->kind == VCL_N_IDENT);
		return vary;
	}
	struct val p = through(f, n);
	f->stores |= p.m | v.m; /* the pointer stored to; a pointer stored */
	return p.vary;
}

/* The value of an lvalue read: a private variable's origins, or (a
 * pointer loaded from memory) anywhere. */
static struct val load(struct flow *f, struct vcl_node *n)
{
	bool vary = false;
	struct vcl_sym *y = private_var(f, n, &vary);
	struct val r = {0, vary};
	if (y) {
		uint64_t *m = mask_of(f, y);
		uint8_t *v = vary_of(f, y);
		r.m = m ? *m : 0;
		r.vary |= v && *v;
		return r;
	}
	struct val p = through(f, n);
	r.vary |= p.vary;
	r.m = holds_pointer(n->ty) ? ANY : 0;
	return r;
}

static bool varying_builtin(const struct vcl_node *n)
{
	const char *name = vcl_builtin_name(VCL_CALL_BUILTIN(n->info));
	return !strcmp(name, "get_global_id") ||
	       !strcmp(name, "get_local_id") || !strncmp(name, "atom", 4);
}

static void barrier_call(struct flow *f, struct vcl_node *n, bool user)
{
	if (!f->div || !f->report)
		return;
	if (user)
		sema_error(f->s, n->loc,
			   "'%.*s' calls barrier() and is called where "
			   "work-items may diverge (a condition depends on the "
			   "work-item id)",
			   (int)n->sym->name_len, n->sym->name);
	else
		sema_error(f->s, n->loc,
			   "barrier() where work-items may diverge: a "
			   "condition around it depends on the work-item id, "
			   "so some work-items would not reach it");
}

static struct val call(struct flow *f, struct vcl_node *n)
{
	struct val r = {0, false};
	enum vcl_call_kind k = VCL_CALL_KIND(n->info);
	struct vcl_sym *callee = n->sym;
	uint32_t i = 0;
	for (struct vcl_node *a = n->list; a; a = a->next, i++) {
		struct val v = walk(f, a);
		r.vary |= v.vary;
		if (!a->ty || a->ty->kind != VCL_TY_POINTER)
			continue;
		if (k == VCL_CALL_USER) {
			uint64_t bit = param_bit(i) | ANY;
			if (callee->stores_through & bit)
				f->stores |= v.m;
			if (callee->returns & bit)
				r.m |= v.m;
		} else if (k != VCL_CALL_VLOAD) {
			/* atomics, vstore, fract/modf/sincos write */
			f->stores |= v.m;
		}
	}
	if (k == VCL_CALL_USER) {
		if (callee->returns & ANY)
			r.m |= ANY;
		if (callee->has_barrier) {
			f->fn->has_barrier = true;
			barrier_call(f, n, true);
		}
	} else if (k == VCL_CALL_BUILTIN) {
		r.vary |= varying_builtin(n);
		if (!strcmp(vcl_builtin_name(VCL_CALL_BUILTIN(n->info)),
			    "barrier"))
			barrier_call(f, n, false);
	}
	return r;
}

static struct val walk(struct flow *f, struct vcl_node *n)
{
	struct val r = {0, false}, a, b;
	if (!n)
		return r;
	switch (n->kind) {
	case VCL_N_IDENT:
	case VCL_N_MEMBER:
	case VCL_N_INDEX:
	case VCL_N_ARROW:
		if (n->kind == VCL_N_IDENT &&
		    (!n->sym || n->sym->kind == VCL_SYM_ENUM_CONST))
			return r;
		return load(f, n);
	case VCL_N_CONVERT:
		if (n->info == VCL_CV_DECAY) {
			/* A pointer into a private array: its accesses
			 * stay in the variable. */
			bool vary = false;
			if (private_var(f, n->a, &vary))
				return (struct val){0, vary};
			return through(f, n->a);
		}
		r = walk(f, n->a);
		if (n->info == VCL_CV_PTR_BOOL)
			r.m = 0; /* a pointer as a condition: p != NULL */
		return r;
	case VCL_N_CAST:
		r = walk(f, n->a);
		if (n->a->ty && n->a->ty->kind == VCL_TY_POINTER &&
		    n->ty->kind != VCL_TY_POINTER)
			f->stores |= r.m; /* it may come back as a pointer */
		return r;
	case VCL_N_UNARY:
		if (n->op == VCL_T_STAR)
			return load(f, n);
		if (n->op == VCL_T_AMP) {
			bool vary = false;
			if (private_var(f, n->a, &vary))
				return (struct val){0, vary};
			return through(f, n->a);
		}
		if (n->op == VCL_T_INC || n->op == VCL_T_DEC) {
			r = load(f, n->a);
			store(f, n->a, r);
			return r;
		}
		return walk(f, n->a);
	case VCL_N_POSTFIX:
		r = load(f, n->a);
		store(f, n->a, r);
		return r;
	case VCL_N_ASSIGN:
		r = walk(f, n->b);
		if (n->op != VCL_T_ASSIGN) {
			a = load(f, n->a);
			r.m |= a.m;
			r.vary |= a.vary;
		}
		store(f, n->a, r);
		return r;
	case VCL_N_BINARY:
	case VCL_N_COMMA:
		a = walk(f, n->a);
		b = walk(f, n->b);
		if (n->kind == VCL_N_COMMA)
			return b;
		/* p - q, p < q: an integer, which never becomes a pointer */
		if (n->ty && n->ty->kind != VCL_TY_POINTER)
			a.m = b.m = 0;
		return (struct val){a.m | b.m, a.vary || b.vary};
	case VCL_N_COND:
		r = walk(f, n->a);
		a = walk(f, n->b);
		b = walk(f, n->c);
		return (struct val){a.m | b.m, r.vary || a.vary || b.vary};
	case VCL_N_CALL:
		return call(f, n);
	case VCL_N_CAST_LIST:
	case VCL_N_INIT_LIST:
		for (struct vcl_node *e = n->list; e; e = e->next) {
			a = walk(f, e);
			r.m |= a.m;
			r.vary |= a.vary;
		}
		return r;
	case VCL_N_DESIGNATED:
		return walk(f, n->a);
	default: /* literals, sizeof (not evaluated) */
		return r;
	}
}

static void stmt(struct flow *f, struct vcl_node *n);

static void guarded(struct flow *f, struct vcl_node *body, bool vary)
{
	bool outer = f->div;
	f->div = outer || vary;
	stmt(f, body);
	/* The work-items meet again after the statement, unless some left
	 * the function under a divergent condition. */
	f->div = outer || f->exited;
}

static void loop_once(struct flow *f, struct vcl_node *n)
{
	bool vary = walk(f, n->a).vary, outer = f->div;
	f->div = outer || vary;
	stmt(f, n->b);
	walk(f, n->c); /* a for's step runs as the body does */
	f->div = outer || f->exited;
}

/* A second iteration sees what the first assigned: the loop is walked
 * once silently first (to a nesting of 6; deeper, a dependence may be
 * missed). */
static void loop(struct flow *f, struct vcl_node *n)
{
	if (n->kind == VCL_N_FOR)
		stmt(f, n->list);
	f->loops++;
	if (f->loops <= 6) {
		bool report = f->report;
		f->report = false;
		loop_once(f, n);
		f->report = report;
	}
	loop_once(f, n);
	f->loops--;
}

static void stmt(struct flow *f, struct vcl_node *n)
{
	if (!n)
		return;
	struct val c;
	switch (n->kind) {
	case VCL_N_BLOCK:
		for (struct vcl_node *e = n->list; e; e = e->next)
			stmt(f, e);
		break;
	case VCL_N_EXPR_STMT:
		walk(f, n->a);
		break;
	case VCL_N_DECL_STMT:
		for (struct vcl_node *d = n->list; d; d = d->next)
			if (d->kind == VCL_N_VAR && d->sym && d->a) {
				c = walk(f, d->a);
				grow(f, mask_of(f, d->sym), c.m);
				set_vary(vary_of(f, d->sym), c.vary || f->div,
					 true);
			}
		break;
	case VCL_N_IF:
		c = walk(f, n->a);
		guarded(f, n->b, c.vary);
		guarded(f, n->c, c.vary);
		break;
	case VCL_N_WHILE:
	case VCL_N_DO:
	case VCL_N_FOR:
		loop(f, n);
		break;
	case VCL_N_SWITCH:
		c = walk(f, n->a);
		guarded(f, n->b, c.vary);
		break;
	case VCL_N_CASE:
	case VCL_N_DEFAULT:
		stmt(f, n->b);
		break;
	case VCL_N_RETURN:
		c = walk(f, n->a);
		f->returns |= c.m;
		/* Work-items that return here miss what follows. */
		if (f->div)
			f->exited = true;
		break;
	default:
		break;
	}
}

void sema_flow_function(struct sema *s, struct vcl_sym *fn)
{
	if (!fn->defined)
		return;
	struct vcl_node *d = fn->decl;
	struct flow f = {
	    .s = s, .fn = fn, .nv = fn->nlocals, .np = fn->type->nparams};
	f.vmask = calloc(f.nv + 1, sizeof(*f.vmask));
	f.pmask = calloc(f.np + 1, sizeof(*f.pmask));
	f.vvary = calloc(f.nv + 1, 1);
	f.pvary = calloc(f.np + 1, 1);
	if (!f.vmask || !f.pmask || !f.vvary || !f.pvary) {
		sema_alloc(s, SIZE_MAX / 2);
		goto out;
	}
	for (uint32_t i = 0; i < f.np; i++)
		f.pmask[i] = param_bit(i);
	int pass = 0;
	do {
		f.changed = false;
		f.div = f.exited = false;
		stmt(&f, d->b);
		if (++pass == MAX_PASSES && f.changed) {
			/* Not settled: every pointer may come from anywhere;
			 * no variable is taken as varying (no false
			 * barrier errors). */
			for (uint32_t i = 0; i < f.nv; i++)
				f.vmask[i] = ANY;
			for (uint32_t i = 0; i < f.np; i++)
				f.pmask[i] |= ANY;
			f.stores |= ANY;
			break;
		}
	} while (f.changed);
	/* The last pass, in order, follows work-item dependence and reports
	 * barriers. */
	memset(f.vvary, 0, f.nv);
	memset(f.pvary, 0, f.np);
	f.report = true;
	f.div = f.exited = false;
	stmt(&f, d->b);
	fn->stores_through = f.stores;
	fn->returns = f.returns;
	/* A store through a pointer of unknown origin may hit any of them. */
	if (fn->stores_through & ANY)
		fn->stores_through = ~0ull;
out:
	free(f.vmask);
	free(f.pmask);
	free(f.vvary);
	free(f.pvary);
}
