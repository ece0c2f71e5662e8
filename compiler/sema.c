/* The type checker's entry: names and scopes, errors, the translation
 * unit's declarations, then the call graph (recursion is an error) and the
 * flow summaries in callee-first order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

void *sema_alloc(struct sema *s, size_t n)
{
	void *v = vcl_arena_alloc(s->arena, n);
	if (!v) {
		if (!s->fatal)
			vcl_diag_add(s->diags, VCL_ERROR, NULL, 0, 0,
				     "out of memory");
		s->fatal = true;
		return NULL;
	}
	memset(v, 0, n);
	return v;
}

static void report(struct sema *s, enum vcl_severity sev, struct vcl_loc loc,
		   const char *fmt, va_list ap)
{
	if (s->fatal)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	vcl_diag_add(s->diags, sev, vcl_pp_file_name(s->pp, loc.file), loc.line,
		     loc.col, "%s", msg);
	if (s->diags->full)
		s->fatal = true;
}

void sema_error(struct sema *s, struct vcl_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(s, VCL_ERROR, loc, fmt, ap);
	va_end(ap);
}

void sema_warning(struct sema *s, struct vcl_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(s, VCL_WARNING, loc, fmt, ap);
	va_end(ap);
}

bool sema_enter(struct sema *s, struct vcl_loc loc)
{
	if (s->fatal)
		return false;
	if (s->depth == VCL_MAX_SEMA_DEPTH) {
		sema_error(s, loc, "expression nested more than %u deep",
			   VCL_MAX_SEMA_DEPTH);
		s->fatal = true;
		return false;
	}
	s->depth++;
	return true;
}

void sema_leave(struct sema *s)
{
	s->depth--;
}

bool name_is(const struct vcl_node *n, const char *str)
{
	size_t len = strlen(str);
	return n->name && n->name_len == len && !memcmp(n->name, str, len);
}

static uint32_t hash(const char *name, uint32_t len)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

static struct vcl_sym **bucket(struct sema *s, const char *name, uint32_t len,
			       bool tag)
{
	return &s->buckets[tag][hash(name, len) & (s->nbuckets - 1)];
}

/* Doubles the table: the stack re-inserted oldest first keeps every
 * chain newest first. */
static bool rehash(struct sema *s)
{
	uint32_t n = s->nbuckets ? s->nbuckets * 2 : 256;
	struct vcl_sym **b0 = calloc(n, sizeof(*b0));
	struct vcl_sym **b1 = calloc(n, sizeof(*b1));
	if (!b0 || !b1) {
		free(b0);
		free(b1);
		return false;
	}
	free(s->buckets[0]);
	free(s->buckets[1]);
	s->buckets[0] = b0;
	s->buckets[1] = b1;
	s->nbuckets = n;
	for (uint32_t i = 0; i < s->nstack; i++) {
		struct vcl_sym *y = s->stack[i];
		struct vcl_sym **b =
		    bucket(s, y->name, y->name_len, y->kind == VCL_SYM_TAG);
		y->shadowed = *b;
		*b = y;
	}
	return true;
}

void sema_scope_push(struct sema *s)
{
	s->scope++;
}

void sema_scope_pop(struct sema *s)
{
	while (s->nstack && s->stack[s->nstack - 1]->scope == s->scope) {
		struct vcl_sym *sym = s->stack[--s->nstack];
		bool tag = sym->kind == VCL_SYM_TAG;
		*bucket(s, sym->name, sym->name_len, tag) = sym->shadowed;
	}
	s->scope--;
}

struct vcl_sym *sema_lookup(struct sema *s, const char *name, uint32_t len,
			    bool tag)
{
	if (!s->nbuckets)
		return NULL;
	for (struct vcl_sym *y = *bucket(s, name, len, tag); y; y = y->shadowed)
		if (y->name_len == len && !memcmp(y->name, name, len))
			return y;
	return NULL;
}

struct vcl_sym *sema_declare(struct sema *s, enum vcl_sym_kind kind,
			     const char *name, uint32_t len, struct vcl_loc loc)
{
	bool tag = kind == VCL_SYM_TAG;
	struct vcl_sym *old = sema_lookup(s, name, len, tag);
	if (old && old->scope == s->scope) {
		sema_error(s, loc, "'%.*s' is already declared in this scope",
			   (int)len, name);
		return NULL;
	}
	if (s->nstack >= s->nbuckets && !rehash(s)) {
		sema_alloc(s, SIZE_MAX / 2);
		return NULL;
	}
	if (s->nstack == s->capstack) {
		uint32_t cap = s->capstack ? s->capstack * 2 : 256;
		struct vcl_sym **v = realloc(s->stack, cap * sizeof(*v));
		if (!v) {
			sema_alloc(s, SIZE_MAX / 2); /* reports */
			return NULL;
		}
		s->stack = v;
		s->capstack = cap;
	}
	struct vcl_sym *y = sema_alloc(s, sizeof(*y));
	if (!y)
		return NULL;
	y->kind = kind;
	y->name = name;
	y->name_len = len;
	y->scope = s->scope;
	struct vcl_sym **b = bucket(s, name, len, tag);
	y->shadowed = *b;
	*b = y;
	s->stack[s->nstack++] = y;
	return y;
}

void sema_add_call(struct sema *s, struct vcl_sym *callee, struct vcl_loc loc)
{
	if (s->ncalls == s->capcalls) {
		uint32_t cap = s->capcalls ? s->capcalls * 2 : 64;
		struct call_edge *v = realloc(s->calls, cap * sizeof(*v));
		if (!v) {
			sema_alloc(s, SIZE_MAX / 2);
			return;
		}
		s->calls = v;
		s->capcalls = cap;
	}
	s->calls[s->ncalls++] = (struct call_edge){s->fn, callee, loc};
}

static int by_caller(const void *a, const void *b)
{
	const struct call_edge *x = a, *y = b;
	return x->caller->index < y->caller->index   ? -1
	       : x->caller->index > y->caller->index ? 1
						     : 0;
}

/*
 * Recursion check and the callee-first order, by an iterative depth-first
 * walk (a hostile unit may chain thousands of functions). A function's
 * edges are calls[first[i] .. first[i + 1]).
 */
static void call_graph(struct sema *s)
{
	struct vcl_program *prog = s->prog;
	uint32_t n = prog->nfunctions;
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		prog->functions[i]->index = i;
	if (s->ncalls)
		qsort(s->calls, s->ncalls, sizeof(*s->calls), by_caller);
	uint32_t *first = calloc(n + 1, sizeof(*first));
	uint8_t *state = calloc(n, 1); /* 0 new, 1 on the path, 2 done */
	uint32_t *stack = calloc(n, sizeof(*stack));
	uint32_t *next = calloc(n, sizeof(*next));
	struct vcl_sym **order = calloc(n, sizeof(*order));
	if (!first || !state || !stack || !next || !order) {
		sema_alloc(s, SIZE_MAX / 2);
		goto out;
	}
	for (uint32_t e = 0; e < s->ncalls; e++) {
		struct vcl_sym *g = s->calls[e].callee;
		first[s->calls[e].caller->index + 1]++;
		if (!g->defined && !state[g->index]) {
			state[g->index] = 2; /* reported once, not walked */
			sema_error(s, s->calls[e].loc,
				   "'%.*s' is called but never defined",
				   (int)g->name_len, g->name);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	uint32_t norder = 0;
	bool cyclic = false;
	for (uint32_t root = 0; root < n; root++) {
		if (state[root])
			continue;
		uint32_t sp = 0;
		stack[sp++] = root;
		state[root] = 1;
		next[root] = first[root];
		while (sp) {
			uint32_t f = stack[sp - 1];
			if (next[f] == first[f + 1]) {
				state[f] = 2;
				order[norder++] = prog->functions[f];
				sp--;
				continue;
			}
			const struct call_edge *e = &s->calls[next[f]++];
			uint32_t g = e->callee->index;
			if (state[g] == 1) {
				cyclic = true;
				if (g == f)
					sema_error(
					    s, e->loc,
					    "recursion is not supported: "
					    "'%.*s' calls itself",
					    (int)e->callee->name_len,
					    e->callee->name);
				else
					sema_error(
					    s, e->loc,
					    "recursion is not supported: "
					    "'%.*s' calls '%.*s', which "
					    "leads back to it",
					    (int)e->caller->name_len,
					    e->caller->name,
					    (int)e->callee->name_len,
					    e->callee->name);
			} else if (!state[g]) {
				state[g] = 1;
				next[g] = first[g];
				stack[sp++] = g;
			}
		}
	}
	if (!cyclic && !vcl_diags_failed(s->diags))
		for (uint32_t i = 0; i < norder && !s->fatal; i++)
			sema_flow_function(s, order[i]);
out:
	free(first);
	free(state);
	free(stack);
	free(next);
	free(order);
}

/* The kernels' parameters as the device sees them. */
static void collect_kernels(struct sema *s)
{
	struct vcl_program *prog = s->prog;
	for (uint32_t i = 0; i < prog->nkernels; i++) {
		struct vcl_kernel *k = &prog->kernels[i];
		const struct vcl_ty *ft = k->sym->type;
		k->nparams = ft->nparams;
		k->params =
		    sema_alloc(s, (ft->nparams + 1) * sizeof(*k->params));
		if (!k->params)
			return;
		struct vcl_node *p = k->sym->decl->type->params;
		for (uint32_t j = 0; j < ft->nparams; j++, p = p->next) {
			struct vcl_kernel_param *kp = &k->params[j];
			kp->name = p->name;
			kp->name_len = p->name_len;
			kp->type = ft->params[j];
			uint64_t bit = 1ull << (j < 63 ? j : 63);
			/* Nothing stores through __constant: no cast leaves
			 * its space, no store enters it. */
			kp->may_store =
			    kp->type->kind == VCL_TY_POINTER &&
			    kp->type->base->space != VCL_AS_CONSTANT &&
			    (k->sym->stores_through & (bit | 1ull << 63));
		}
	}
}

struct vcl_program *vcl_sema(struct vcl_ast *ast, struct vcl_pp *pp)
{
	struct vcl_program *prog = calloc(1, sizeof(*prog));
	struct vcl_arena *arena = calloc(1, sizeof(*arena));
	struct sema *s = calloc(1, sizeof(*s));
	if (!prog || !arena || !s) {
		free(prog);
		free(arena);
		free(s);
		return NULL;
	}
	vcl_arena_init(arena, VCL_MAX_ARENA_BYTES);
	prog->priv = arena;
	prog->ast = ast;
	s->pp = pp;
	s->diags = vcl_pp_diags(pp);
	s->arena = arena;
	s->prog = prog;
	for (struct vcl_node *d = ast->decls; d && !s->fatal; d = d->next)
		sema_top_decl(s, d);
	for (uint32_t i = 0; i < prog->nfunctions && !s->fatal; i++) {
		struct vcl_sym *f = prog->functions[i];
		if (!f->defined && f->decl && f->decl->flags & VCL_D_KERNEL)
			sema_error(s, f->decl->loc, "kernel '%.*s' has no body",
				   (int)f->name_len, f->name);
	}
	if (!s->fatal)
		call_graph(s);
	if (!s->fatal)
		collect_kernels(s);
	free(s->stack);
	free(s->buckets[0]);
	free(s->buckets[1]);
	free(s->calls);
	free(s);
	return prog;
}

void vcl_program_free(struct vcl_program *prog)
{
	if (!prog)
		return;
	free(prog->kernels);
	free(prog->functions);
	free(prog->globals);
	vcl_arena_free(prog->priv);
	free(prog->priv);
	free(prog);
}
