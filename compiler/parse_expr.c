/* Expressions with C's precedence (C99 6.5), OpenCL's vector literals
 * `(float4)(a, b, c, d)` as casts of a parenthesized list. */
#include <string.h>

#include "parse_internal.h"

static struct vcl_node *cast_expr(struct parser *p);

static struct vcl_node *binary_node(struct parser *p, enum vcl_node_kind k,
				    const struct vcl_token *op,
				    struct vcl_node *a, struct vcl_node *b)
{
	if (!a || !b)
		return NULL;
	struct vcl_node *n = p_node(p, k, op->loc);
	if (n) {
		n->op = op->kind;
		n->a = a;
		n->b = b;
		if (op->flags & VCL_TF_NO_CONTRACT)
			n->flags |= VCL_E_NO_CONTRACT;
	}
	return n;
}

/* '(' assignment-expression {',' ...} ')' into a list and its length;
 * false on a syntax error. */
static bool paren_list(struct parser *p, struct vcl_node **list,
		       unsigned *count)
{
	struct vcl_node **tail = list;
	*list = NULL;
	*count = 0;
	if (!p_expect(p, VCL_T_LPAREN, "'('") || !p_enter(p))
		return false;
	bool ok = true;
	if (!p_accept(p, VCL_T_RPAREN)) {
		do {
			struct vcl_node *e = p_assign(p);
			if (!e) {
				ok = false;
				break;
			}
			*tail = e;
			tail = &e->next;
			++*count;
		} while (p_accept(p, VCL_T_COMMA));
		ok = ok && p_expect(p, VCL_T_RPAREN, "')'");
	}
	p_leave(p);
	return ok;
}

static struct vcl_node *primary(struct parser *p)
{
	const struct vcl_token *t = p_peek(p, 0);
	struct vcl_node *n;
	switch ((enum vcl_tok)t->kind) {
	case VCL_T_IDENT:
		n = p_node(p, VCL_N_IDENT, t->loc);
		if (n) {
			n->name = t->text;
			n->name_len = t->len;
		}
		p_next(p);
		return n;
	case VCL_T_INT_LIT:
	case VCL_T_FLOAT_LIT:
	case VCL_T_STRING:
		n = p_node(p,
			   t->kind == VCL_T_INT_LIT	? VCL_N_INT
			   : t->kind == VCL_T_FLOAT_LIT ? VCL_N_FLOAT
							: VCL_N_STRING,
			   t->loc);
		if (n)
			n->lit = *t;
		p_next(p);
		return n;
	case VCL_T_LPAREN:
		p_next(p);
		n = p_expr(p);
		if (!n || !p_expect(p, VCL_T_RPAREN, "')'"))
			return NULL;
		return n;
	case VCL_T_EOF:
		p_error(p, t->loc,
			"expected an expression at the end of the "
			"input");
		return NULL;
	default:
		p_error(p, t->loc, "expected an expression, found '%.*s'",
			(int)t->len, t->text);
		return NULL;
	}
}

static struct vcl_node *postfix_ops(struct parser *p, struct vcl_node *n)
{
	while (n) {
		struct vcl_token op = *p_peek(p, 0);
		struct vcl_node *m;
		if (op.kind == VCL_T_LBRACKET) {
			p_next(p);
			if (!p_enter(p))
				return NULL;
			m = binary_node(p, VCL_N_INDEX, &op, n, p_expr(p));
			p_leave(p);
			if (!p_expect(p, VCL_T_RBRACKET, "']'"))
				return NULL;
		} else if (op.kind == VCL_T_LPAREN && n->kind == VCL_N_IDENT &&
			   n->name_len == 8 &&
			   !memcmp(n->name, "vec_step", 8) &&
			   p_starts_type(p, p_peek(p, 1))) {
			/* OpenCL's vec_step takes a type as well. */
			p_next(p);
			m = p_node(p, VCL_N_VEC_STEP_TYPE, n->loc);
			if (!m || !(m->type = p_type_name(p)) ||
			    !p_expect(p, VCL_T_RPAREN, "')'"))
				return NULL;
		} else if (op.kind == VCL_T_LPAREN) {
			unsigned count;
			struct vcl_node *args;
			if (!paren_list(p, &args, &count))
				return NULL;
			m = p_node(p, VCL_N_CALL, op.loc);
			if (m) {
				m->a = n;
				m->list = args;
			}
		} else if (op.kind == VCL_T_DOT || op.kind == VCL_T_ARROW) {
			p_next(p);
			const struct vcl_token *name = p_peek(p, 0);
			/* Swizzles such as .s01 lex as numbers after '.'. */
			if (name->kind != VCL_T_IDENT) {
				p_error(p, name->loc,
					"expected a member name after '%s'",
					op.kind == VCL_T_DOT ? "." : "->");
				return NULL;
			}
			m = p_node(p,
				   op.kind == VCL_T_DOT ? VCL_N_MEMBER
							: VCL_N_ARROW,
				   op.loc);
			if (m) {
				m->a = n;
				m->name = name->text;
				m->name_len = name->len;
			}
			p_next(p);
		} else if (op.kind == VCL_T_INC || op.kind == VCL_T_DEC) {
			p_next(p);
			m = p_node(p, VCL_N_POSTFIX, op.loc);
			if (m) {
				m->op = op.kind;
				m->a = n;
			}
		} else {
			return n;
		}
		n = m;
	}
	return n;
}

static bool starts_type_name(struct parser *p, unsigned k)
{
	return p_starts_type(p, p_peek(p, k));
}

static struct vcl_node *unary(struct parser *p)
{
	struct vcl_token op = *p_peek(p, 0);
	struct vcl_node *n;
	switch ((enum vcl_tok)op.kind) {
	case VCL_T_INC:
	case VCL_T_DEC:
	case VCL_T_AMP:
	case VCL_T_STAR:
	case VCL_T_PLUS:
	case VCL_T_MINUS:
	case VCL_T_TILDE:
	case VCL_T_BANG:
		p_next(p);
		if (!p_enter(p))
			return NULL;
		n = op.kind == VCL_T_INC || op.kind == VCL_T_DEC ? unary(p)
								 : cast_expr(p);
		p_leave(p);
		if (!n)
			return NULL;
		struct vcl_node *u = p_node(p, VCL_N_UNARY, op.loc);
		if (u) {
			u->op = op.kind;
			u->a = n;
		}
		return u;
	case VCL_T_KW_SIZEOF:
		p_next(p);
		if (p_is(p, VCL_T_LPAREN) && starts_type_name(p, 1)) {
			p_next(p);
			struct vcl_type *t = p_type_name(p);
			if (!t || !p_expect(p, VCL_T_RPAREN, "')'"))
				return NULL;
			n = p_node(p, VCL_N_SIZEOF_TYPE, op.loc);
			if (n)
				n->type = t;
			return n;
		}
		if (!p_enter(p))
			return NULL;
		struct vcl_node *a = unary(p);
		p_leave(p);
		if (!a)
			return NULL;
		n = p_node(p, VCL_N_SIZEOF_EXPR, op.loc);
		if (n)
			n->a = a;
		return n;
	default:
		if (!p_enter(p))
			return NULL;
		n = postfix_ops(p, primary(p));
		p_leave(p);
		return n;
	}
}

static struct vcl_node *cast_expr(struct parser *p)
{
	if (!p_is(p, VCL_T_LPAREN) || !starts_type_name(p, 1))
		return unary(p);
	struct vcl_loc loc = p_next(p).loc;
	struct vcl_type *t = p_type_name(p);
	if (!t || !p_expect(p, VCL_T_RPAREN, "')'"))
		return NULL;
	if (p_is(p, VCL_T_LBRACE)) {
		p_error(p, loc, "compound literals are not supported");
		return NULL;
	}
	struct vcl_node *n;
	if (p_is(p, VCL_T_LPAREN) && !starts_type_name(p, 1)) {
		/* (T)(a, b, ...): OpenCL's vector literal. */
		unsigned count;
		struct vcl_node *list;
		if (!paren_list(p, &list, &count))
			return NULL;
		if (!count) {
			p_error(p, loc,
				"expected an expression in the "
				"parentheses");
			return NULL;
		}
		if (count == 1) {
			n = postfix_ops(p, list);
		} else {
			n = p_node(p, VCL_N_CAST_LIST, loc);
			if (n) {
				n->type = t;
				n->list = list;
			}
			return postfix_ops(p, n);
		}
	} else {
		if (!p_enter(p))
			return NULL;
		n = cast_expr(p);
		p_leave(p);
	}
	if (!n)
		return NULL;
	struct vcl_node *c = p_node(p, VCL_N_CAST, loc);
	if (c) {
		c->type = t;
		c->a = n;
	}
	return c;
}

/* Precedence climbing; the recursion is bounded by the ten levels. */
static struct vcl_node *binary(struct parser *p, int min_prec)
{
	struct vcl_node *a = cast_expr(p);
	while (a) {
		struct vcl_token op = *p_peek(p, 0);
		int prec = vcl_tok_binary_precedence(op.kind);
		if (!prec || prec < min_prec)
			return a;
		p_next(p);
		a = binary_node(p, VCL_N_BINARY, &op, a, binary(p, prec + 1));
	}
	return a;
}

static bool is_assign_op(enum vcl_tok k)
{
	return k == VCL_T_ASSIGN ||
	       (k >= VCL_T_MUL_ASSIGN && k <= VCL_T_OR_ASSIGN);
}

static struct vcl_node *conditional(struct parser *p)
{
	struct vcl_node *c = binary(p, 1);
	if (!c || !p_is(p, VCL_T_QUESTION))
		return c;
	struct vcl_loc loc = p_next(p).loc;
	if (!p_enter(p))
		return NULL;
	struct vcl_node *a = p_expr(p);
	struct vcl_node *b = NULL;
	if (a && p_expect(p, VCL_T_COLON, "':'"))
		b = conditional(p);
	p_leave(p);
	if (!b)
		return NULL;
	struct vcl_node *n = p_node(p, VCL_N_COND, loc);
	if (n) {
		n->a = c;
		n->b = a;
		n->c = b;
	}
	return n;
}

struct vcl_node *p_assign(struct parser *p)
{
	struct vcl_node *a = conditional(p);
	struct vcl_token op = *p_peek(p, 0);
	if (!a || !is_assign_op(op.kind))
		return a;
	p_next(p);
	if (!p_enter(p))
		return NULL;
	struct vcl_node *b = p_assign(p);
	p_leave(p);
	return binary_node(p, VCL_N_ASSIGN, &op, a, b);
}

struct vcl_node *p_expr(struct parser *p)
{
	struct vcl_node *a = p_assign(p);
	while (a && p_is(p, VCL_T_COMMA)) {
		struct vcl_token op = p_next(p);
		a = binary_node(p, VCL_N_COMMA, &op, a, p_assign(p));
	}
	return a;
}

/* An initializer: an expression or a brace list with designators. */
struct vcl_node *p_initializer(struct parser *p)
{
	if (!p_is(p, VCL_T_LBRACE))
		return p_assign(p);
	struct vcl_node *list = p_node(p, VCL_N_INIT_LIST, p_next(p).loc);
	if (!list || !p_enter(p))
		return NULL;
	struct vcl_node **tail = &list->list;
	while (!p_is(p, VCL_T_RBRACE)) {
		struct vcl_node *d = NULL;
		const struct vcl_token *t = p_peek(p, 0);
		if (t->kind == VCL_T_DOT || t->kind == VCL_T_LBRACKET) {
			d = p_node(p, VCL_N_DESIGNATED, t->loc);
			if (!d)
				break;
			if (p_next(p).kind == VCL_T_DOT) {
				const struct vcl_token *name = p_peek(p, 0);
				d->name = name->text;
				d->name_len = name->len;
				if (!p_expect(p, VCL_T_IDENT, "a member name"))
					break;
			} else if (!(d->b = conditional(p)) ||
				   !p_expect(p, VCL_T_RBRACKET, "']'")) {
				break;
			}
			if (!p_expect(p, VCL_T_ASSIGN, "'='"))
				break;
		}
		struct vcl_node *e = p_initializer(p);
		if (!e)
			break;
		if (d) {
			d->a = e;
			e = d;
		}
		*tail = e;
		tail = &e->next;
		if (!p_accept(p, VCL_T_COMMA))
			break;
	}
	p_leave(p);
	return p_expect(p, VCL_T_RBRACE, "'}'") ? list : NULL;
}
