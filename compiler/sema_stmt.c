/* Statements: scopes, conditions converted to bool, loops and switches
 * (break, continue, case values: integer constants, no duplicates),
 * returns converted to the function's type. */
#include <stdlib.h>

#include "sema_internal.h"

struct case_value {
	int64_t v;
	struct vcl_loc loc;
};

static void stmt(struct sema *s, struct vcl_node *n);

static void block_items(struct sema *s, struct vcl_node *b)
{
	for (struct vcl_node *n = b->list; n && !s->fatal; n = n->next)
		stmt(s, n);
}

static int by_value(const void *a, const void *b)
{
	const struct case_value *x = a, *y = b;
	return x->v < y->v ? -1 : x->v > y->v;
}

static void switch_stmt(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *t = sema_rvalue(s, &n->a);
	if (t && !vcl_ty_is_integer(t)) {
		sema_error(s, n->a->loc, "switch needs an integer, not '%s'",
			   ty_str(s, t));
		t = NULL;
	}
	if (t && kind_promoted(t->kind) != t->kind) {
		const struct vcl_ty *p = ty_scalar(kind_promoted(t->kind));
		sema_coerce(s, &n->a, t, p, "switch");
		t = p;
	}
	struct switch_ctx sw = {.outer = s->sw, .type = t};
	s->sw = &sw;
	s->breakable++;
	stmt(s, n->b);
	s->breakable--;
	s->sw = sw.outer;
	struct case_value *v = (struct case_value *)sw.values;
	if (sw.n > 1) {
		qsort(v, sw.n, sizeof(*v), by_value);
		for (uint32_t i = 1; i < sw.n; i++)
			if (v[i].v == v[i - 1].v)
				sema_error(s, v[i].loc,
					   "duplicate case value %lld",
					   (long long)v[i].v);
	}
	free(sw.values);
}

static void case_stmt(struct sema *s, struct vcl_node *n)
{
	struct switch_ctx *sw = s->sw;
	int64_t v;
	if (!sw) {
		sema_error(s, n->loc, "'case' outside a switch");
	} else if (sema_const_int(s, &n->a, &v) && sw->type) {
		sema_coerce(s, &n->a, n->a->ty, sw->type, "case");
		n->value = v;
		if (sw->n == sw->cap) {
			uint32_t cap = sw->cap ? sw->cap * 2 : 16;
			void *w = realloc(sw->values,
					  cap * sizeof(struct case_value));
			if (!w) {
				sema_alloc(s, SIZE_MAX / 2);
				return;
			}
			sw->values = w;
			sw->cap = cap;
		}
		((struct case_value *)sw->values)[sw->n++] =
		    (struct case_value){v, n->loc};
	}
	stmt(s, n->b);
}

static void return_stmt(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *ret = s->fn->type->base;
	if (ret->kind == VCL_TY_VOID) {
		if (n->a) {
			sema_error(s, n->loc,
				   "'%.*s' returns void but 'return' has a "
				   "value",
				   (int)s->fn->name_len, s->fn->name);
			sema_expr(s, &n->a);
		}
		return;
	}
	if (!n->a) {
		sema_error(s, n->loc, "'return' without a value in '%.*s'",
			   (int)s->fn->name_len, s->fn->name);
		return;
	}
	sema_assign_conv(s, &n->a, ret, "return");
}

static void stmt(struct sema *s, struct vcl_node *n)
{
	if (!sema_enter(s, n->loc))
		return;
	switch (n->kind) {
	case VCL_N_BLOCK:
		sema_scope_push(s);
		block_items(s, n);
		sema_scope_pop(s);
		break;
	case VCL_N_EXPR_STMT:
		if (n->a)
			sema_expr(s, &n->a);
		break;
	case VCL_N_DECL_STMT:
		for (struct vcl_node *d = n->list; d && !s->fatal; d = d->next)
			sema_local_decl(s, d);
		break;
	case VCL_N_IF:
		sema_condition(s, &n->a);
		stmt(s, n->b);
		if (n->c)
			stmt(s, n->c);
		break;
	case VCL_N_WHILE:
	case VCL_N_DO:
		sema_condition(s, &n->a);
		s->loops++;
		s->breakable++;
		stmt(s, n->b);
		s->loops--;
		s->breakable--;
		break;
	case VCL_N_FOR:
		sema_scope_push(s);
		if (n->list)
			stmt(s, n->list);
		if (n->a)
			sema_condition(s, &n->a);
		if (n->c)
			sema_expr(s, &n->c);
		s->loops++;
		s->breakable++;
		stmt(s, n->b);
		s->loops--;
		s->breakable--;
		sema_scope_pop(s);
		break;
	case VCL_N_SWITCH:
		switch_stmt(s, n);
		break;
	case VCL_N_CASE:
		case_stmt(s, n);
		break;
	case VCL_N_DEFAULT:
		if (!s->sw)
			sema_error(s, n->loc, "'default' outside a switch");
		else if (s->sw->has_default)
			sema_error(s, n->loc, "a second 'default' in a switch");
		else
			s->sw->has_default = true;
		stmt(s, n->b);
		break;
	case VCL_N_BREAK:
		if (!s->breakable)
			sema_error(s, n->loc,
				   "'break' outside a loop or switch");
		break;
	case VCL_N_CONTINUE:
		if (!s->loops)
			sema_error(s, n->loc, "'continue' outside a loop");
		break;
	case VCL_N_RETURN:
		return_stmt(s, n);
		break;
	default:
		sema_error(s, n->loc, "expected a statement");
		break;
	}
	sema_leave(s);
}

void sema_function_body(struct sema *s, struct vcl_node *fn)
{
	const struct vcl_ty *ft = fn->ty;
	sema_scope_push(s);
	uint32_t i = 0;
	for (struct vcl_node *p = fn->type->params; p; p = p->next, i++) {
		if (!p->name) {
			sema_error(s, p->loc,
				   "parameter %u of '%.*s' has no name", i + 1,
				   (int)fn->name_len, fn->name);
			continue;
		}
		struct vcl_sym *y = sema_declare(s, VCL_SYM_PARAM, p->name,
						 p->name_len, p->loc);
		if (!y)
			continue;
		const struct vcl_ty *t = ft->params[i];
		y->type = ty_qualified(s, t, t->quals, VCL_AS_PRIVATE);
		y->index = i;
		y->decl = p;
		p->sym = y;
	}
	s->loops = s->breakable = 0;
	s->sw = NULL;
	/* The body's outermost block shares the parameters' scope, as in C:
	 * redeclaring a parameter there is an error. */
	block_items(s, fn->b);
	sema_scope_pop(s);
}
