/* Statements (C99 6.8) but goto and labels, which OpenCL C kernels here
 * do not have. */
#include "parse_internal.h"

static struct vcl_node *statement(struct parser *p);

/* '(' expression ')' after if, while, switch. */
static struct vcl_node *condition(struct parser *p)
{
	if (!p_expect(p, VCL_T_LPAREN, "'('"))
		return NULL;
	struct vcl_node *e = p_expr(p);
	return e && p_expect(p, VCL_T_RPAREN, "')'") ? e : NULL;
}

/* Skips to the end of a broken statement: past its ';', or to the '}'
 * that closes the block. */
static void sync_stmt(struct parser *p)
{
	for (;;) {
		enum vcl_tok k = p_peek(p, 0)->kind;
		if (k == VCL_T_EOF || k == VCL_T_RBRACE)
			return;
		p_next(p);
		if (k == VCL_T_SEMI)
			return;
	}
}

static struct vcl_node *decl_stmt(struct parser *p, struct vcl_loc loc)
{
	struct vcl_node *d = p_declaration(p, false);
	if (!d)
		return NULL;
	struct vcl_node *n = p_node(p, VCL_N_DECL_STMT, loc);
	if (n)
		n->list = d;
	return n;
}

static struct vcl_node *for_stmt(struct parser *p, struct vcl_node *n)
{
	if (!p_expect(p, VCL_T_LPAREN, "'(' after 'for'"))
		return NULL;
	p_scope_push(p);
	bool ok = true;
	if (p_starts_declaration(p)) {
		ok = (n->list = decl_stmt(p, n->loc)) != NULL;
	} else if (!p_accept(p, VCL_T_SEMI)) {
		struct vcl_node *init = p_node(p, VCL_N_EXPR_STMT, n->loc);
		ok = init && (init->a = p_expr(p)) &&
		     p_expect(p, VCL_T_SEMI, "';'");
		n->list = init;
	}
	if (ok && !p_is(p, VCL_T_SEMI))
		ok = (n->a = p_expr(p)) != NULL;
	ok = ok && p_expect(p, VCL_T_SEMI, "';'");
	if (ok && !p_is(p, VCL_T_RPAREN))
		ok = (n->c = p_expr(p)) != NULL;
	ok = ok && p_expect(p, VCL_T_RPAREN, "')'") && (n->b = statement(p));
	p_scope_pop(p);
	return ok ? n : NULL;
}

static struct vcl_node *keyword_stmt(struct parser *p, struct vcl_node *n,
				     enum vcl_tok k)
{
	switch (k) {
	case VCL_T_KW_IF:
		n->kind = VCL_N_IF;
		if (!(n->a = condition(p)) || !(n->b = statement(p)))
			return NULL;
		if (p_accept(p, VCL_T_KW_ELSE) && !(n->c = statement(p)))
			return NULL;
		return n;
	case VCL_T_KW_WHILE:
		n->kind = VCL_N_WHILE;
		return (n->a = condition(p)) && (n->b = statement(p)) ? n
								      : NULL;
	case VCL_T_KW_DO:
		n->kind = VCL_N_DO;
		if (!(n->b = statement(p)) ||
		    !p_expect(p, VCL_T_KW_WHILE, "'while' after 'do'") ||
		    !(n->a = condition(p)))
			return NULL;
		return p_expect(p, VCL_T_SEMI, "';'") ? n : NULL;
	case VCL_T_KW_FOR:
		n->kind = VCL_N_FOR;
		return for_stmt(p, n);
	case VCL_T_KW_SWITCH:
		n->kind = VCL_N_SWITCH;
		return (n->a = condition(p)) && (n->b = statement(p)) ? n
								      : NULL;
	case VCL_T_KW_CASE:
		n->kind = VCL_N_CASE;
		if (!(n->a = p_assign(p)) ||
		    !p_expect(p, VCL_T_COLON, "':' after the case value"))
			return NULL;
		return (n->b = statement(p)) ? n : NULL;
	case VCL_T_KW_DEFAULT:
		n->kind = VCL_N_DEFAULT;
		if (!p_expect(p, VCL_T_COLON, "':' after 'default'"))
			return NULL;
		return (n->b = statement(p)) ? n : NULL;
	case VCL_T_KW_BREAK:
	case VCL_T_KW_CONTINUE:
		n->kind = k == VCL_T_KW_BREAK ? VCL_N_BREAK : VCL_N_CONTINUE;
		return p_expect(p, VCL_T_SEMI, "';'") ? n : NULL;
	case VCL_T_KW_RETURN:
		n->kind = VCL_N_RETURN;
		if (!p_is(p, VCL_T_SEMI) && !(n->a = p_expr(p)))
			return NULL;
		return p_expect(p, VCL_T_SEMI, "';'") ? n : NULL;
	default: /* goto */
		p_error(p, n->loc, "'goto' is not supported in OpenCL C here");
		return NULL;
	}
}

static struct vcl_node *statement(struct parser *p)
{
	if (!p_enter(p))
		return NULL;
	const struct vcl_token *t = p_peek(p, 0);
	enum vcl_tok k = t->kind;
	struct vcl_node *n;
	if (k == VCL_T_LBRACE) {
		n = p_block(p);
	} else if (k == VCL_T_KW_IF || k == VCL_T_KW_WHILE ||
		   k == VCL_T_KW_DO || k == VCL_T_KW_FOR ||
		   k == VCL_T_KW_SWITCH || k == VCL_T_KW_CASE ||
		   k == VCL_T_KW_DEFAULT || k == VCL_T_KW_BREAK ||
		   k == VCL_T_KW_CONTINUE || k == VCL_T_KW_RETURN ||
		   k == VCL_T_KW_GOTO) {
		n = p_node(p, VCL_N_EXPR_STMT, p_next(p).loc);
		n = n ? keyword_stmt(p, n, k) : NULL;
	} else if (k == VCL_T_IDENT && p_peek(p, 1)->kind == VCL_T_COLON) {
		p_error(p, t->loc,
			"labels are not supported in OpenCL C here "
			"(there is no goto)");
		n = NULL;
	} else if (p_starts_declaration(p)) {
		n = decl_stmt(p, t->loc);
	} else {
		n = p_node(p, VCL_N_EXPR_STMT, t->loc);
		if (n && !p_accept(p, VCL_T_SEMI))
			n = (n->a = p_expr(p)) && p_expect(p, VCL_T_SEMI, "';'")
				? n
				: NULL;
	}
	p_leave(p);
	return n;
}

struct vcl_node *p_block(struct parser *p)
{
	struct vcl_node *b = p_node(p, VCL_N_BLOCK, p_peek(p, 0)->loc);
	if (!b || !p_expect(p, VCL_T_LBRACE, "'{'") || !p_enter(p))
		return NULL;
	p_scope_push(p);
	struct vcl_node **tail = &b->list;
	while (!p_is(p, VCL_T_RBRACE) && !p_is(p, VCL_T_EOF) && !p->fatal) {
		struct vcl_node *s = statement(p);
		if (!s) {
			sync_stmt(p);
			continue;
		}
		*tail = s;
		tail = &s->next;
	}
	p_scope_pop(p);
	p_leave(p);
	return p_expect(p, VCL_T_RBRACE, "'}'") ? b : NULL;
}
