/* #if expressions (C99 6.10.1): `defined` first, then macro expansion,
 * then evaluation in intmax_t/uintmax_t (here 64 bits) with C's
 * precedence, short-circuit and usual arithmetic conversions. */
#include <string.h>

#include "lex_literal.h"
#include "pp_internal.h"

struct val {
	uint64_t v;
	bool u; /* unsigned */
};

struct ev {
	struct vcl_pp *pp;
	const struct vcl_token *t;
	uint32_t n, i, depth;
	bool failed;
};

static const struct vcl_token *peek(struct ev *e)
{
	static const struct vcl_token eof = {.kind = VCL_T_EOF};
	return e->i < e->n ? &e->t[e->i] : &eof;
}

static struct vcl_loc here(struct ev *e)
{
	if (e->i < e->n)
		return e->t[e->i].loc;
	return e->n ? e->t[e->n - 1].loc : (struct vcl_loc){0};
}

static struct val bad(struct ev *e, const char *what)
{
	if (!e->failed) {
		const struct vcl_token *t = peek(e);
		if (t->kind == VCL_T_EOF)
			pp_error(e->pp, here(e),
				 "%s in #if, found the end of "
				 "the line",
				 what);
		else
			pp_error(e->pp, here(e), "%s in #if, found '%.*s'",
				 what, (int)t->len, t->text);
	}
	e->failed = true;
	return (struct val){0};
}

static bool enter(struct ev *e)
{
	if (++e->depth > VCL_MAX_EXPR_DEPTH) {
		if (!e->failed)
			pp_error(e->pp, here(e),
				 "#if expression nested more than %u deep",
				 VCL_MAX_EXPR_DEPTH);
		e->failed = true;
		return false;
	}
	return true;
}

static struct val parse_comma(struct ev *e, bool live);
static struct val parse_cond(struct ev *e, bool live);

static struct val primary(struct ev *e, bool live)
{
	const struct vcl_token *t = peek(e);
	char err[160];
	if (t->kind == VCL_T_LPAREN) {
		e->i++;
		struct val v = parse_comma(e, live);
		if (peek(e)->kind != VCL_T_RPAREN)
			return bad(e, "expected ')'");
		e->i++;
		return v;
	}
	if (t->kind == VCL_T_PP_NUMBER) {
		struct vcl_token lit;
		e->i++;
		if (!vcl_parse_number(t->text, t->len, &lit, err,
				      sizeof(err))) {
			pp_error(e->pp, t->loc, "%s", err);
			e->failed = true;
			return (struct val){0};
		}
		if (lit.kind != VCL_T_INT_LIT) {
			pp_error(
			    e->pp, t->loc,
			    "floating constant in preprocessor expression");
			e->failed = true;
			return (struct val){0};
		}
		/* Too big for intmax_t: uintmax_t, as C99 6.4.4.1 says. */
		return (struct val){lit.u.i, (lit.aux & VCL_LIT_U) ||
						 lit.u.i > INT64_MAX};
	}
	if (t->kind == VCL_T_CHAR_CONST) {
		int64_t c;
		e->i++;
		if (!vcl_parse_char(t->text, t->len, &c, err, sizeof(err))) {
			pp_error(e->pp, t->loc, "%s", err);
			e->failed = true;
		}
		return (struct val){(uint64_t)c, false};
	}
	if (t->kind == VCL_T_IDENT && pp_spell_equal(t, "defined")) {
		/* Undefined behaviour in C99 (6.10.1p4); refused plainly. */
		pp_error(e->pp, t->loc,
			 "'defined' made by macro expansion is not supported "
			 "in #if");
		e->failed = true;
		return (struct val){0};
	}
	if (t->kind == VCL_T_IDENT) {
		/* Identifiers left after expansion are 0 (6.10.1p4). */
		e->i++;
		return (struct val){0, false};
	}
	return bad(e, "expected a value");
}

static struct val unary(struct ev *e, bool live)
{
	if (!enter(e))
		return (struct val){0};
	enum vcl_tok k = peek(e)->kind;
	struct val v;
	if (k == VCL_T_PLUS || k == VCL_T_MINUS || k == VCL_T_TILDE ||
	    k == VCL_T_BANG) {
		e->i++;
		v = unary(e, live);
		if (k == VCL_T_MINUS)
			v.v = -v.v;
		else if (k == VCL_T_TILDE)
			v.v = ~v.v;
		else if (k == VCL_T_BANG)
			v = (struct val){v.v == 0, false};
	} else {
		v = primary(e, live);
	}
	e->depth--;
	return v;
}

static struct val apply(struct ev *e, enum vcl_tok op, struct val a,
			struct val b, bool live, struct vcl_loc loc)
{
	bool u = a.u || b.u;
	int64_t sa = (int64_t)a.v, sb = (int64_t)b.v;
	struct val r = {0, u};
	switch (op) {
	case VCL_T_STAR:
		r.v = a.v * b.v;
		break;
	case VCL_T_SLASH:
	case VCL_T_PERCENT:
		if (b.v == 0) {
			if (live) {
				pp_error(e->pp, loc, "division by zero in #if");
				e->failed = true;
			}
			return r;
		}
		if (u)
			r.v = op == VCL_T_SLASH ? a.v / b.v : a.v % b.v;
		else if (sa == INT64_MIN && sb == -1)
			r.v = op == VCL_T_SLASH ? a.v : 0; /* wraps */
		else
			r.v = (uint64_t)(op == VCL_T_SLASH ? sa / sb : sa % sb);
		break;
	case VCL_T_PLUS:
		r.v = a.v + b.v;
		break;
	case VCL_T_MINUS:
		r.v = a.v - b.v;
		break;
	case VCL_T_SHL:
		r = (struct val){b.v >= 64 ? 0 : a.v << b.v, a.u};
		break;
	case VCL_T_SHR:
		if (a.u)
			r = (struct val){b.v >= 64 ? 0 : a.v >> b.v, true};
		else
			r = (struct val){
			    (uint64_t)(sa >> (b.v >= 64 ? 63 : b.v)), false};
		break;
	case VCL_T_LT:
		r = (struct val){u ? a.v < b.v : sa < sb, false};
		break;
	case VCL_T_GT:
		r = (struct val){u ? a.v > b.v : sa > sb, false};
		break;
	case VCL_T_LE:
		r = (struct val){u ? a.v <= b.v : sa <= sb, false};
		break;
	case VCL_T_GE:
		r = (struct val){u ? a.v >= b.v : sa >= sb, false};
		break;
	case VCL_T_EQ:
		r = (struct val){a.v == b.v, false};
		break;
	case VCL_T_NE:
		r = (struct val){a.v != b.v, false};
		break;
	case VCL_T_AMP:
		r.v = a.v & b.v;
		break;
	case VCL_T_CARET:
		r.v = a.v ^ b.v;
		break;
	case VCL_T_PIPE:
		r.v = a.v | b.v;
		break;
	case VCL_T_ANDAND:
		r = (struct val){a.v && b.v, false};
		break;
	default: /* VCL_T_OROR */
		r = (struct val){a.v || b.v, false};
		break;
	}
	return r;
}

/* Precedence climbing: operators at least as binding as min_prec. */
static struct val binary(struct ev *e, int min_prec, bool live)
{
	struct val a = unary(e, live);
	for (;;) {
		const struct vcl_token *op = peek(e);
		int p = vcl_tok_binary_precedence(op->kind);
		if (!p || p < min_prec || e->failed)
			return a;
		e->i++;
		bool rhs_live = live;
		if (op->kind == VCL_T_ANDAND)
			rhs_live = live && a.v;
		else if (op->kind == VCL_T_OROR)
			rhs_live = live && !a.v;
		if (!enter(e))
			return a;
		struct val b = binary(e, p + 1, rhs_live);
		e->depth--;
		a = apply(e, op->kind, a, b, rhs_live, op->loc);
	}
}

static struct val parse_cond(struct ev *e, bool live)
{
	if (!enter(e))
		return (struct val){0};
	struct val c = binary(e, 1, live);
	if (peek(e)->kind == VCL_T_QUESTION && !e->failed) {
		e->i++;
		struct val a = parse_comma(e, live && c.v);
		if (peek(e)->kind != VCL_T_COLON) {
			e->depth--;
			return bad(e, "expected ':'");
		}
		e->i++;
		struct val b = parse_cond(e, live && !c.v);
		c = c.v ? a : b;
		c.u = a.u || b.u;
	}
	e->depth--;
	return c;
}

static struct val parse_comma(struct ev *e, bool live)
{
	struct val v = parse_cond(e, live);
	while (peek(e)->kind == VCL_T_COMMA && !e->failed) {
		e->i++;
		v = parse_cond(e, live);
	}
	return v;
}

/* `defined X` and `defined ( X )` into 1 or 0, before expansion. */
static bool replace_defined(struct vcl_pp *pp, const struct vcl_token *t,
			    uint32_t n, struct tokvec *out)
{
	for (uint32_t i = 0; i < n; i++) {
		struct vcl_token r = t[i];
		if (t[i].kind == VCL_T_IDENT &&
		    pp_spell_equal(&t[i], "defined")) {
			uint32_t k = i + 1;
			bool paren = k < n && t[k].kind == VCL_T_LPAREN;
			k += paren;
			if (k >= n || t[k].kind != VCL_T_IDENT ||
			    (paren &&
			     (k + 1 >= n || t[k + 1].kind != VCL_T_RPAREN))) {
				pp_error(pp, t[i].loc,
					 "macro name missing or malformed "
					 "after 'defined'");
				return false;
			}
			bool def = pp_lookup(pp, t[k].text, t[k].len) != NULL;
			r.kind = VCL_T_PP_NUMBER;
			r.text = def ? "1" : "0";
			r.len = 1;
			i = k + paren;
		}
		if (!tokvec_push(pp, out, &r))
			return false;
	}
	return true;
}

bool pp_eval_if(struct vcl_pp *pp, const struct vcl_token *toks, uint32_t n,
		struct vcl_loc loc)
{
	struct tokvec pre = {0}, x = {0};
	bool result = false;
	if (!n) {
		pp_error(pp, loc, "#if with no expression");
	} else if (replace_defined(pp, toks, n, &pre) &&
		   pp_expand_list(pp, &pre, &x)) {
		struct ev e = {.pp = pp, .t = x.v, .n = x.n};
		struct val v = parse_comma(&e, true);
		if (!e.failed && e.i < e.n)
			bad(&e, "expected the end of the expression");
		result = !e.failed && v.v != 0;
	}
	tokvec_free(pp, &pre);
	tokvec_free(pp, &x);
	return result;
}
