/* Expressions: OpenCL C's operators on scalars, vectors (usual arithmetic
 * conversions of OpenCL C 1.2 section 6.2.6, swizzles, vector literals)
 * and pointers with address spaces; implicit conversions become
 * VCL_N_CONVERT nodes, so every operand has the type its operator uses. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sema_internal.h"

void sema_convert(struct sema *s, struct vcl_node **slot,
		  const struct vcl_ty *to, enum vcl_conv how)
{
	struct vcl_node *n = *slot;
	struct vcl_node *c = sema_alloc(s, sizeof(*c));
	if (!c)
		return;
	c->kind = VCL_N_CONVERT;
	c->loc = n->loc;
	c->a = n;
	c->ty = to;
	c->info = how;
	c->next = n->next;
	n->next = NULL;
	*slot = c;
}

/* Scalar or vector `from` to the arithmetic type `to` (an element kind
 * then a splat when `to` is a vector and `from` a scalar). */
static void arith_to(struct sema *s, struct vcl_node **slot,
		     const struct vcl_ty *from, const struct vcl_ty *to)
{
	if (ty_equal(from, to, false))
		return;
	if (to->kind == VCL_TY_VECTOR && from->kind != VCL_TY_VECTOR) {
		const struct vcl_ty *e = ty_scalar(to->elem);
		if (from->kind != to->elem)
			sema_convert(s, slot, e, VCL_CV_ARITH);
		sema_convert(s, slot, to, VCL_CV_SPLAT);
		return;
	}
	sema_convert(s, slot, to, VCL_CV_ARITH);
}

static bool is_null_constant(struct sema *s, struct vcl_node *n);

bool sema_coerce(struct sema *s, struct vcl_node **slot,
		 const struct vcl_ty *from, const struct vcl_ty *to,
		 const char *what)
{
	to = ty_value(s, to);
	if (ty_is_arith(to) && ty_is_arith(from)) {
		arith_to(s, slot, from, to);
		return true;
	}
	if (to->kind == VCL_TY_BOOL && from->kind == VCL_TY_POINTER) {
		sema_convert(s, slot, to, VCL_CV_PTR_BOOL);
		return true;
	}
	if (to->kind == VCL_TY_VECTOR) {
		if (from->kind == VCL_TY_VECTOR && ty_equal(from, to, false))
			return true;
		if (ty_is_arith(from)) {
			if (vcl_ty_is_floating(from) &&
			    kind_is_integer(to->elem)) {
				sema_error(s, (*slot)->loc,
					   "cannot convert '%s' to '%s' in %s",
					   ty_str(s, from), ty_str(s, to),
					   what);
				return false;
			}
			arith_to(s, slot, from, to);
			return true;
		}
		if (from->kind == VCL_TY_VECTOR) {
			sema_error(s, (*slot)->loc,
				   "cannot convert '%s' to '%s' in %s (use "
				   "convert_%s)",
				   ty_str(s, from), ty_str(s, to), what,
				   ty_str(s, to));
			return false;
		}
	}
	if (to->kind == VCL_TY_POINTER && from->kind == VCL_TY_POINTER) {
		const struct vcl_ty *tb = to->base, *fb = from->base;
		if (ty_space(tb) != ty_space(fb)) {
			sema_error(s, (*slot)->loc,
				   "'%s' and '%s' point to different address "
				   "spaces (%s)",
				   ty_str(s, from), ty_str(s, to), what);
			return false;
		}
		if (!ty_equal(tb, fb, false) && tb->kind != VCL_TY_VOID &&
		    fb->kind != VCL_TY_VOID) {
			sema_error(s, (*slot)->loc,
				   "cannot convert '%s' to '%s' in %s",
				   ty_str(s, from), ty_str(s, to), what);
			return false;
		}
		uint32_t lost =
		    fb->quals & ~tb->quals & (VCL_Q_CONST | VCL_Q_VOLATILE);
		if (lost) {
			sema_error(s, (*slot)->loc,
				   "%s of '%s' to '%s' discards the '%s' "
				   "qualifier",
				   what, ty_str(s, from), ty_str(s, to),
				   lost & VCL_Q_CONST ? "const" : "volatile");
			return false;
		}
		if (!ty_equal(tb, fb, true))
			sema_convert(s, slot, to, VCL_CV_PTR);
		return true;
	}
	if (to->kind == VCL_TY_POINTER && vcl_ty_is_integer(from) &&
	    is_null_constant(s, *slot)) {
		sema_convert(s, slot, to, VCL_CV_NULL);
		return true;
	}
	if ((to->kind == VCL_TY_STRUCT || to->kind == VCL_TY_UNION) &&
	    ty_equal(to, from, false))
		return true;
	sema_error(s, (*slot)->loc, "cannot convert '%s' to '%s' in %s",
		   ty_str(s, from), ty_str(s, to), what);
	return false;
}

bool sema_assign_conv(struct sema *s, struct vcl_node **slot,
		      const struct vcl_ty *to, const char *what)
{
	const struct vcl_ty *from = sema_rvalue(s, slot);
	return from && sema_coerce(s, slot, from, to, what);
}

const struct vcl_ty *sema_rvalue(struct sema *s, struct vcl_node **slot)
{
	const struct vcl_ty *t = sema_expr(s, slot);
	if (!t)
		return NULL;
	if (t->kind == VCL_TY_ARRAY) {
		const struct vcl_ty *p = ty_pointer(
		    s, ty_qualified(s, t->base, t->base->quals, ty_space(t)));
		if (p)
			sema_convert(s, slot, p, VCL_CV_DECAY);
		return p;
	}
	if (t->kind == VCL_TY_FUNCTION) {
		sema_error(s, (*slot)->loc,
			   "a function is only called (function pointers are "
			   "not supported)");
		return NULL;
	}
	if (vcl_ty_scalar(t) == VCL_TY_HALF) {
		sema_error(s, (*slot)->loc,
			   "half arithmetic is not supported (use vload_half "
			   "and vstore_half)");
		return NULL;
	}
	return ty_value(s, t);
}

bool sema_condition(struct sema *s, struct vcl_node **slot)
{
	const struct vcl_ty *t = sema_rvalue(s, slot);
	if (!t)
		return false;
	if (t->kind == VCL_TY_POINTER) {
		sema_convert(s, slot, ty_scalar(VCL_TY_BOOL), VCL_CV_PTR_BOOL);
		return true;
	}
	if (!ty_is_arith(t)) {
		sema_error(s, (*slot)->loc,
			   "a condition must be a scalar, not '%s'%s",
			   ty_str(s, t),
			   t->kind == VCL_TY_VECTOR
			       ? " (use any() or all() on a vector)"
			       : "");
		return false;
	}
	arith_to(s, slot, t, ty_scalar(VCL_TY_BOOL));
	return true;
}

/* Integer constant evaluation of a checked tree; false (silently) when
 * the expression is not one. */
static bool eval(struct sema *s, const struct vcl_node *n, int64_t *v)
{
	if (!sema_enter(s, n->loc))
		return false;
	bool ok = false;
	int64_t a = 0, b = 0;
	const struct vcl_ty *t = n->ty;
	bool is_uns = t && kind_is_unsigned(t->kind);
	switch (n->kind) {
	case VCL_N_INT:
		*v = (int64_t)n->lit.u.i;
		ok = true;
		break;
	case VCL_N_IDENT:
		ok = n->sym && n->sym->kind == VCL_SYM_ENUM_CONST;
		if (ok)
			*v = n->sym->value;
		break;
	case VCL_N_SIZEOF_EXPR:
	case VCL_N_SIZEOF_TYPE:
	case VCL_N_VEC_STEP_TYPE:
		*v = n->value;
		ok = true;
		break;
	case VCL_N_CALL:
		ok = VCL_CALL_KIND(n->info) == VCL_CALL_VEC_STEP;
		*v = n->value;
		break;
	case VCL_N_CONVERT:
	case VCL_N_CAST:
		if (!t || !vcl_ty_is_integer(t) ||
		    !vcl_ty_is_integer(n->a->ty) || !eval(s, n->a, &a))
			break;
		switch (t->size) {
		case 1:
			*v = t->kind == VCL_TY_BOOL ? a != 0
			     : is_uns		    ? (uint8_t)a
						    : (int8_t)a;
			break;
		case 2:
			*v = is_uns ? (uint16_t)a : (int16_t)a;
			break;
		case 4:
			*v =
			    is_uns ? (int64_t)(uint32_t)a : (int64_t)(int32_t)a;
			break;
		default:
			*v = a;
		}
		ok = true;
		break;
	case VCL_N_UNARY:
		if (!eval(s, n->a, &a))
			break;
		ok = true;
		if (n->op == VCL_T_MINUS)
			*v = (int64_t)(0 - (uint64_t)a);
		else if (n->op == VCL_T_PLUS)
			*v = a;
		else if (n->op == VCL_T_TILDE)
			*v = ~a;
		else if (n->op == VCL_T_BANG)
			*v = !a;
		else
			ok = false;
		break;
	case VCL_N_COND:
		if (eval(s, n->a, &a))
			ok = eval(s, a ? n->b : n->c, v);
		break;
	case VCL_N_BINARY: {
		if (!eval(s, n->a, &a) || !eval(s, n->b, &b))
			break;
		uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
		bool opu = n->a->ty && kind_is_unsigned(n->a->ty->kind) &&
			   n->a->ty->size >= 8;
		ok = true;
		switch (n->op) {
		case VCL_T_PLUS:
			*v = (int64_t)(ua + ub);
			break;
		case VCL_T_MINUS:
			*v = (int64_t)(ua - ub);
			break;
		case VCL_T_STAR:
			*v = (int64_t)(ua * ub);
			break;
		case VCL_T_SLASH:
		case VCL_T_PERCENT:
			if (!b || (!opu && a == INT64_MIN && b == -1)) {
				ok = false;
				break;
			}
			if (opu)
				*v = (int64_t)(n->op == VCL_T_SLASH ? ua / ub
								    : ua % ub);
			else
				*v = n->op == VCL_T_SLASH ? a / b : a % b;
			break;
		case VCL_T_SHL:
			*v = (int64_t)(ua << (ub & 63));
			break;
		case VCL_T_SHR:
			*v = opu ? (int64_t)(ua >> (ub & 63)) : a >> (ub & 63);
			break;
		case VCL_T_LT:
			*v = opu ? ua < ub : a < b;
			break;
		case VCL_T_GT:
			*v = opu ? ua > ub : a > b;
			break;
		case VCL_T_LE:
			*v = opu ? ua <= ub : a <= b;
			break;
		case VCL_T_GE:
			*v = opu ? ua >= ub : a >= b;
			break;
		case VCL_T_EQ:
			*v = a == b;
			break;
		case VCL_T_NE:
			*v = a != b;
			break;
		case VCL_T_AMP:
			*v = a & b;
			break;
		case VCL_T_PIPE:
			*v = a | b;
			break;
		case VCL_T_CARET:
			*v = a ^ b;
			break;
		case VCL_T_ANDAND:
			*v = a && b;
			break;
		case VCL_T_OROR:
			*v = a || b;
			break;
		default:
			ok = false;
		}
		/* The result wraps to its type, as the device computes it. */
		if (ok && t && t->size == 4)
			*v = is_uns ? (int64_t)(uint32_t)*v
				    : (int64_t)(int32_t)*v;
		break;
	}
	default:
		break;
	}
	sema_leave(s);
	return ok;
}

static bool is_null_constant(struct sema *s, struct vcl_node *n)
{
	int64_t v;
	return eval(s, n, &v) && v == 0;
}

bool sema_const_int(struct sema *s, struct vcl_node **slot, int64_t *out)
{
	const struct vcl_ty *t =
	    (*slot)->ty ? (*slot)->ty : sema_rvalue(s, slot);
	if (!t)
		return false;
	if (!vcl_ty_is_integer(t) || !eval(s, *slot, out)) {
		sema_error(s, (*slot)->loc,
			   "expected an integer constant expression");
		return false;
	}
	return true;
}

bool sema_check_store(struct sema *s, struct vcl_node *n, const char *what)
{
	const struct vcl_ty *t = n->ty;
	if (!n->lvalue) {
		sema_error(s, n->loc,
			   "%s needs an lvalue (a variable or "
			   "memory)",
			   what);
		return false;
	}
	if (t->space == VCL_AS_CONSTANT) {
		sema_error(s, n->loc,
			   "%s stores to __constant memory, which is "
			   "read-only",
			   what);
		return false;
	}
	if (t->quals & VCL_Q_CONST) {
		sema_error(s, n->loc,
			   "%s stores to a const object of type '%s'", what,
			   ty_str(s, t));
		return false;
	}
	if (t->kind == VCL_TY_ARRAY) {
		sema_error(s, n->loc, "%s to an array (assign its elements)",
			   what);
		return false;
	}
	struct vcl_node *base = n;
	while (base->kind == VCL_N_MEMBER || base->kind == VCL_N_INDEX)
		base = base->a->kind == VCL_N_CONVERT ? base->a->a : base->a;
	if (base->kind == VCL_N_IDENT && base->sym)
		base->sym->stored = true;
	return true;
}

/* A signed integer vector (or int) for comparisons' results. */
static const struct vcl_ty *compare_result(const struct vcl_ty *t)
{
	if (t->kind != VCL_TY_VECTOR)
		return ty_scalar(VCL_TY_INT);
	return ty_vector(kind_with_sign(t->elem, false), t->width);
}

/* Usual arithmetic conversions on a binary operator's operands, both
 * rvalues of arithmetic types; the common type or NULL (reported). */
static const struct vcl_ty *arith_common(struct sema *s, struct vcl_node *n,
					 const struct vcl_ty *a,
					 const struct vcl_ty *b)
{
	const struct vcl_ty *r;
	if (a->kind == VCL_TY_VECTOR && b->kind == VCL_TY_VECTOR) {
		if (!ty_equal(a, b, false)) {
			sema_error(s, n->loc,
				   "operands of different vector types '%s' "
				   "and '%s' (convert one with convert_T)",
				   ty_str(s, a), ty_str(s, b));
			return NULL;
		}
		r = a;
	} else if (a->kind == VCL_TY_VECTOR || b->kind == VCL_TY_VECTOR) {
		const struct vcl_ty *v = a->kind == VCL_TY_VECTOR ? a : b;
		const struct vcl_ty *sc = v == a ? b : a;
		if (vcl_ty_is_floating(sc) && kind_is_integer(v->elem)) {
			sema_error(s, n->loc,
				   "a '%s' scalar with a '%s' vector: the "
				   "scalar's type ranks higher than the "
				   "elements'",
				   ty_str(s, sc), ty_str(s, v));
			return NULL;
		}
		r = v;
	} else {
		r = ty_scalar(kind_common(a->kind, b->kind));
	}
	arith_to(s, &n->a, a, r);
	arith_to(s, &n->b, b, r);
	return r;
}

static bool need_integer(struct sema *s, struct vcl_node *n,
			 const struct vcl_ty *t)
{
	if ((ty_is_arith(t) || t->kind == VCL_TY_VECTOR) &&
	    kind_is_integer(vcl_ty_scalar(t)))
		return true;
	sema_error(s, n->loc, "'%s' needs integer operands, not '%s'",
		   vcl_tok_spelling(n->op), ty_str(s, t));
	return false;
}

static bool is_arith_or_vector(const struct vcl_ty *t)
{
	return ty_is_arith(t) || t->kind == VCL_TY_VECTOR;
}

/* The operator op on checked rvalue operands a and b at n->a, n->b. */
static NOINLINE const struct vcl_ty *
binary_op(struct sema *s, struct vcl_node *n, enum vcl_tok op,
	  const struct vcl_ty *a, const struct vcl_ty *b)
{
	const struct vcl_ty *r;
	bool pa = a->kind == VCL_TY_POINTER, pb = b->kind == VCL_TY_POINTER;
	switch (op) {
	case VCL_T_PLUS:
	case VCL_T_MINUS:
		if (pa || pb) {
			const struct vcl_ty *p = pa ? a : b;
			if (p->base->kind == VCL_TY_VOID || !p->base->size) {
				sema_error(s, n->loc,
					   "arithmetic on '%s', a pointer to "
					   "an incomplete type",
					   ty_str(s, p));
				return NULL;
			}
			if (pa && pb && op == VCL_T_MINUS) {
				if (!ty_equal(a->base, b->base, false) ||
				    ty_space(a->base) != ty_space(b->base)) {
					sema_error(s, n->loc,
						   "subtracting '%s' and '%s'",
						   ty_str(s, a), ty_str(s, b));
					return NULL;
				}
				return ty_scalar(VCL_TY_LONG);
			}
			const struct vcl_ty *i = pa ? b : a;
			if (!vcl_ty_is_integer(i) ||
			    (pb && op == VCL_T_MINUS)) {
				sema_error(s, n->loc,
					   "invalid operands '%s' and '%s' to "
					   "'%s'",
					   ty_str(s, a), ty_str(s, b),
					   vcl_tok_spelling(op));
				return NULL;
			}
			arith_to(s, pa ? &n->b : &n->a, i,
				 ty_scalar(kind_is_unsigned(i->kind)
					       ? VCL_TY_ULONG
					       : VCL_TY_LONG));
			return p;
		}
		/* fall through */
	case VCL_T_STAR:
	case VCL_T_SLASH:
	case VCL_T_PERCENT:
	case VCL_T_AMP:
	case VCL_T_PIPE:
	case VCL_T_CARET:
		if (!is_arith_or_vector(a) || !is_arith_or_vector(b)) {
			sema_error(
			    s, n->loc, "invalid operands '%s' and '%s' to '%s'",
			    ty_str(s, a), ty_str(s, b), vcl_tok_spelling(op));
			return NULL;
		}
		if ((op == VCL_T_PERCENT || op == VCL_T_AMP ||
		     op == VCL_T_PIPE || op == VCL_T_CARET) &&
		    (!need_integer(s, n, a) || !need_integer(s, n, b)))
			return NULL;
		return arith_common(s, n, a, b);
	case VCL_T_SHL:
	case VCL_T_SHR:
		if (!need_integer(s, n, a) || !need_integer(s, n, b))
			return NULL;
		if (a->kind != VCL_TY_VECTOR) {
			if (b->kind == VCL_TY_VECTOR) {
				sema_error(s, n->loc,
					   "shifting a scalar by a vector");
				return NULL;
			}
			r = ty_scalar(kind_promoted(a->kind));
			arith_to(s, &n->a, a, r);
			return r;
		}
		if (b->kind == VCL_TY_VECTOR && b->width != a->width) {
			sema_error(s, n->loc, "shifting '%s' by '%s'",
				   ty_str(s, a), ty_str(s, b));
			return NULL;
		}
		if (b->kind == VCL_TY_VECTOR && !ty_equal(a, b, false))
			sema_convert(s, &n->b, a, VCL_CV_ARITH);
		else
			arith_to(s, &n->b, b, a);
		return a;
	case VCL_T_LT:
	case VCL_T_GT:
	case VCL_T_LE:
	case VCL_T_GE:
	case VCL_T_EQ:
	case VCL_T_NE:
		if (pa || pb) {
			bool eq = op == VCL_T_EQ || op == VCL_T_NE;
			if (pa && pb) {
				if (ty_space(a->base) != ty_space(b->base)) {
					sema_error(s, n->loc,
						   "comparing pointers to "
						   "different address spaces");
					return NULL;
				}
			} else if (!eq ||
				   !is_null_constant(s, pa ? n->b : n->a)) {
				sema_error(s, n->loc, "comparing '%s' and '%s'",
					   ty_str(s, a), ty_str(s, b));
				return NULL;
			} else {
				sema_convert(s, pa ? &n->b : &n->a, pa ? a : b,
					     VCL_CV_NULL);
			}
			return ty_scalar(VCL_TY_INT);
		}
		if (!is_arith_or_vector(a) || !is_arith_or_vector(b)) {
			sema_error(s, n->loc, "comparing '%s' and '%s'",
				   ty_str(s, a), ty_str(s, b));
			return NULL;
		}
		r = arith_common(s, n, a, b);
		return r ? compare_result(r) : NULL;
	case VCL_T_ANDAND:
	case VCL_T_OROR:
		if (a->kind == VCL_TY_VECTOR || b->kind == VCL_TY_VECTOR) {
			r = arith_common(s, n, a, b);
			return r ? compare_result(r) : NULL;
		}
		if (!sema_condition(s, &n->a) || !sema_condition(s, &n->b))
			return NULL;
		return ty_scalar(VCL_TY_INT);
	default:
		sema_error(s, n->loc, "unexpected operator");
		return NULL;
	}
}

static NOINLINE const struct vcl_ty *binary(struct sema *s, struct vcl_node *n)
{
	if (n->op == VCL_T_ANDAND || n->op == VCL_T_OROR) {
		const struct vcl_ty *a = sema_expr(s, &n->a);
		const struct vcl_ty *b = sema_expr(s, &n->b);
		if (!a || !b)
			return NULL;
		if (a->kind == VCL_TY_VECTOR || b->kind == VCL_TY_VECTOR) {
			a = sema_rvalue(s, &n->a);
			b = sema_rvalue(s, &n->b);
			return a && b ? binary_op(s, n, n->op, a, b) : NULL;
		}
		/* Scalars: each side a condition (converted to bool). */
		if (!sema_condition(s, &n->a) || !sema_condition(s, &n->b))
			return NULL;
		return ty_scalar(VCL_TY_INT);
	}
	const struct vcl_ty *a = sema_rvalue(s, &n->a);
	const struct vcl_ty *b = sema_rvalue(s, &n->b);
	return a && b ? binary_op(s, n, n->op, a, b) : NULL;
}

static NOINLINE const struct vcl_ty *assign(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *lt = sema_expr(s, &n->a);
	if (!lt)
		return NULL;
	if (!sema_check_store(s, n->a, "assignment"))
		return NULL;
	const struct vcl_ty *target = ty_value(s, lt);
	if (n->op == VCL_T_ASSIGN)
		return sema_assign_conv(s, &n->b, target, "assignment") ? target
									: NULL;
	const struct vcl_ty *b = sema_rvalue(s, &n->b);
	if (!b)
		return NULL;
	/* a op= b is a = a op b with a read once: the operation's type is
	 * recorded in info, b converted to it; the result goes back to a's
	 * type. A placeholder stands for a's value while checking. */
	struct vcl_node hold = *n;
	struct vcl_node lhs = {
	    .kind = VCL_N_IDENT, .loc = n->loc, .ty = target};
	hold.a = &lhs;
	const struct vcl_ty *r =
	    binary_op(s, &hold, vcl_tok_compound_base(n->op), target, b);
	n->b = hold.b;
	if (!r)
		return NULL;
	if (target->kind == VCL_TY_POINTER) {
		if (r != target) {
			sema_error(s, n->loc,
				   "invalid compound assignment to "
				   "a pointer");
			return NULL;
		}
		n->info = VCL_TY_POINTER;
		return target;
	}
	if (r->kind == VCL_TY_VECTOR && !ty_equal(r, target, false)) {
		sema_error(s, n->loc, "cannot assign '%s' to '%s'",
			   ty_str(s, r), ty_str(s, target));
		return NULL;
	}
	n->info = vcl_ty_scalar(r);
	return target;
}

static NOINLINE const struct vcl_ty *incdec(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *t = sema_expr(s, &n->a);
	if (!t ||
	    !sema_check_store(s, n->a, n->op == VCL_T_INC ? "'++'" : "'--'"))
		return NULL;
	t = ty_value(s, t);
	if (t->kind == VCL_TY_POINTER ? !t->base->size
				      : !is_arith_or_vector(t)) {
		sema_error(s, n->loc, "cannot increment or decrement '%s'",
			   ty_str(s, t));
		return NULL;
	}
	return t;
}

static NOINLINE const struct vcl_ty *unary(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *t;
	switch (n->op) {
	case VCL_T_INC:
	case VCL_T_DEC:
		return incdec(s, n);
	case VCL_T_AMP:
		t = sema_expr(s, &n->a);
		if (!t)
			return NULL;
		if (!n->a->lvalue || (n->a->kind == VCL_N_MEMBER &&
				      n->a->a->ty->kind == VCL_TY_VECTOR)) {
			sema_error(s, n->loc,
				   "cannot take the address of this "
				   "expression");
			return NULL;
		}
		return ty_pointer(s, ty_qualified(s, t, t->quals, ty_space(t)));
	case VCL_T_STAR:
		t = sema_rvalue(s, &n->a);
		if (!t)
			return NULL;
		if (t->kind != VCL_TY_POINTER) {
			sema_error(s, n->loc, "'*' needs a pointer, not '%s'",
				   ty_str(s, t));
			return NULL;
		}
		if (t->base->kind == VCL_TY_VOID) {
			sema_error(s, n->loc, "dereferencing '%s'",
				   ty_str(s, t));
			return NULL;
		}
		n->lvalue = true;
		return t->base;
	case VCL_T_BANG:
		t = sema_expr(s, &n->a);
		if (!t)
			return NULL;
		if (t->kind == VCL_TY_VECTOR) {
			t = sema_rvalue(s, &n->a);
			return t ? compare_result(t) : NULL;
		}
		return sema_condition(s, &n->a) ? ty_scalar(VCL_TY_INT) : NULL;
	default: /* + - ~ */
		t = sema_rvalue(s, &n->a);
		if (!t)
			return NULL;
		if (!is_arith_or_vector(t)) {
			sema_error(s, n->loc, "invalid operand '%s' to '%s'",
				   ty_str(s, t), vcl_tok_spelling(n->op));
			return NULL;
		}
		if (n->op == VCL_T_TILDE && !need_integer(s, n, t))
			return NULL;
		if (t->kind != VCL_TY_VECTOR) {
			const struct vcl_ty *r =
			    ty_scalar(kind_promoted(t->kind));
			arith_to(s, &n->a, t, r);
			return r;
		}
		return t;
	}
}

/* .xyzw, .s0-.sF, .lo .hi .even .odd on a vector of width w: the
 * components into n->swizzle, their count into n->info. */
static void put_component(struct vcl_node *n, uint32_t i, unsigned c)
{
	n->swizzle |= (uint64_t)c << (4 * i);
}

static NOINLINE const struct vcl_ty *swizzle(struct sema *s, struct vcl_node *n,
					     const struct vcl_ty *v)
{
	const char *p = n->name;
	uint32_t len = n->name_len, w = v->width, count = 0;
	uint32_t half = (w == 3 ? 4 : w) / 2;
	if (name_is(n, "lo") || name_is(n, "hi") || name_is(n, "even") ||
	    name_is(n, "odd")) {
		for (uint32_t i = 0; i < half; i++)
			put_component(n, count++,
				      p[0] == 'l'   ? i
				      : p[0] == 'h' ? half + i
				      : p[0] == 'e' ? 2 * i
						    : 2 * i + 1);
	} else if (len >= 2 && (p[0] == 's' || p[0] == 'S')) {
		for (uint32_t i = 1; i < len; i++) {
			char c = p[i];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : 99;
			if ((uint32_t)d >= w || count == 16) {
				sema_error(s, n->loc,
					   "'%.*s' is not a component of '%s'",
					   (int)len, p, ty_str(s, v));
				return NULL;
			}
			put_component(n, count++, (unsigned)d);
		}
	} else {
		static const char xyzw[] = "xyzw";
		for (uint32_t i = 0; i < len; i++) {
			const char *at = memchr(xyzw, p[i], 4);
			if (!at || (uint32_t)(at - xyzw) >= w || count == 4 ||
			    w > 4) {
				sema_error(s, n->loc,
					   "'%.*s' is not a component of '%s'",
					   (int)len, p, ty_str(s, v));
				return NULL;
			}
			put_component(n, count++, (unsigned)(at - xyzw));
		}
	}
	if (count != 1 && ty_width_index(count) < 0) {
		sema_error(s, n->loc, "'.%.*s' selects %u components", (int)len,
			   p, count);
		return NULL;
	}
	n->info = count;
	bool repeats = false;
	for (uint32_t i = 0; i < count; i++)
		for (uint32_t j = 0; j < i; j++)
			repeats |= vcl_swizzle_at(n, i) == vcl_swizzle_at(n, j);
	n->lvalue = n->a->lvalue && !repeats;
	const struct vcl_ty *r = ty_vector(v->elem, count);
	return ty_qualified(s, r, v->quals, v->space);
}

static NOINLINE const struct vcl_ty *member(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *t;
	bool arrow = n->kind == VCL_N_ARROW;
	t = arrow ? sema_rvalue(s, &n->a) : sema_expr(s, &n->a);
	if (!t)
		return NULL;
	if (arrow) {
		if (t->kind != VCL_TY_POINTER) {
			sema_error(s, n->loc, "'->' needs a pointer, not '%s'",
				   ty_str(s, t));
			return NULL;
		}
		t = t->base;
	} else if (t->kind == VCL_TY_VECTOR) {
		return swizzle(s, n, t);
	}
	if (!t->record || !t->record->complete) {
		sema_error(s, n->loc, "'%s' has no members", ty_str(s, t));
		return NULL;
	}
	for (uint32_t i = 0; i < t->record->nfields; i++) {
		const struct vcl_field *f = &t->record->fields[i];
		if (f->name_len == n->name_len &&
		    !memcmp(f->name, n->name, n->name_len)) {
			n->info = i;
			n->lvalue = arrow || n->a->lvalue;
			return ty_qualified(
			    s, f->type, f->type->quals | t->quals, t->space);
		}
	}
	sema_error(s, n->loc, "'%s' has no member '%.*s'", ty_str(s, t),
		   (int)n->name_len, n->name);
	return NULL;
}

static NOINLINE const struct vcl_ty *index_expr(struct sema *s,
						struct vcl_node *n)
{
	const struct vcl_ty *a = sema_rvalue(s, &n->a);
	const struct vcl_ty *b = sema_rvalue(s, &n->b);
	if (!a || !b)
		return NULL;
	if (a->kind != VCL_TY_POINTER && b->kind == VCL_TY_POINTER) {
		/* i[p] is p[i]. */
		struct vcl_node *tmp = n->a;
		n->a = n->b;
		n->b = tmp;
		const struct vcl_ty *t = a;
		a = b;
		b = t;
	}
	if (a->kind != VCL_TY_POINTER || !vcl_ty_is_integer(b)) {
		sema_error(s, n->loc, "cannot index '%s' with '%s'%s",
			   ty_str(s, a), ty_str(s, b),
			   a->kind == VCL_TY_VECTOR
			       ? " (select components with .s0 ... .sF)"
			       : "");
		return NULL;
	}
	if (!a->base->size) {
		sema_error(s, n->loc,
			   "indexing '%s', a pointer to an "
			   "incomplete type",
			   ty_str(s, a));
		return NULL;
	}
	arith_to(
	    s, &n->b, b,
	    ty_scalar(kind_is_unsigned(b->kind) ? VCL_TY_ULONG : VCL_TY_LONG));
	n->lvalue = true;
	return a->base;
}

static NOINLINE const struct vcl_ty *cast(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *to = sema_type(s, n->type);
	const struct vcl_ty *from = sema_rvalue(s, &n->a);
	if (!to || !from)
		return NULL;
	to = ty_value(s, to);
	bool ok;
	if (to->kind == VCL_TY_VOID)
		ok = true;
	else if (ty_is_arith(to))
		ok = ty_is_arith(from) || from->kind == VCL_TY_POINTER;
	else if (to->kind == VCL_TY_VECTOR)
		ok = ty_is_arith(from) || ty_equal(from, to, false);
	else if (to->kind == VCL_TY_POINTER)
		ok = (from->kind == VCL_TY_POINTER &&
		      ty_space(from->base) == ty_space(to->base)) ||
		     (vcl_ty_is_integer(from) && is_null_constant(s, n->a));
	else
		ok = ty_equal(from, to, false);
	if (!ok) {
		const char *why =
		    to->kind == VCL_TY_VECTOR && from->kind == VCL_TY_VECTOR
			? " (use convert_T or as_T)"
		    : to->kind == VCL_TY_POINTER && from->kind == VCL_TY_POINTER
			? " (a pointer keeps its address space)"
		    : to->kind == VCL_TY_POINTER
			? " (a pointer cannot be made from an integer)"
			: "";
		sema_error(s, n->loc, "cannot cast '%s' to '%s'%s",
			   ty_str(s, from), ty_str(s, to), why);
		return NULL;
	}
	return to;
}

/* (float4)(a, b, ...): the components of the scalars and vectors listed,
 * of the element type, must add up to the width. */
static NOINLINE const struct vcl_ty *vector_literal(struct sema *s,
						    struct vcl_node *n)
{
	const struct vcl_ty *t = sema_type(s, n->type);
	if (!t)
		return NULL;
	t = ty_value(s, t);
	if (t->kind != VCL_TY_VECTOR) {
		sema_error(s, n->loc,
			   "a parenthesized list after a cast needs a vector "
			   "type, not '%s'",
			   ty_str(s, t));
		return NULL;
	}
	uint32_t count = 0;
	bool ok = true;
	for (struct vcl_node **e = &n->list; *e; e = &(*e)->next) {
		const struct vcl_ty *et = sema_rvalue(s, e);
		if (!et) {
			ok = false;
			continue;
		}
		if (et->kind == VCL_TY_VECTOR) {
			if (et->elem != t->elem) {
				sema_error(s, (*e)->loc,
					   "'%s' in a '%s' literal",
					   ty_str(s, et), ty_str(s, t));
				ok = false;
			}
			count += et->width;
		} else if (ty_is_arith(et)) {
			arith_to(s, e, et, ty_scalar(t->elem));
			count++;
		} else {
			sema_error(s, (*e)->loc, "'%s' in a '%s' literal",
				   ty_str(s, et), ty_str(s, t));
			ok = false;
		}
	}
	if (ok && count != t->width) {
		sema_error(s, n->loc, "a '%s' literal with %u components",
			   ty_str(s, t), count);
		return NULL;
	}
	return ok ? t : NULL;
}

static NOINLINE const struct vcl_ty *conditional(struct sema *s,
						 struct vcl_node *n)
{
	const struct vcl_ty *c = sema_expr(s, &n->a);
	if (!c)
		return NULL;
	bool vector_cond = c->kind == VCL_TY_VECTOR;
	if (vector_cond) {
		c = sema_rvalue(s, &n->a);
		if (!c || !kind_is_integer(c->elem)) {
			sema_error(s, n->loc,
				   "a vector condition needs integer "
				   "components");
			return NULL;
		}
	} else {
		if (!sema_condition(s, &n->a))
			return NULL;
	}
	const struct vcl_ty *a = sema_rvalue(s, &n->b);
	const struct vcl_ty *b = sema_rvalue(s, &n->c);
	if (!a || !b)
		return NULL;
	if (is_arith_or_vector(a) && is_arith_or_vector(b)) {
		struct vcl_node hold = *n;
		hold.a = n->b;
		hold.b = n->c;
		const struct vcl_ty *r = arith_common(s, &hold, a, b);
		n->b = hold.a;
		n->c = hold.b;
		if (r && vector_cond &&
		    (r->kind != VCL_TY_VECTOR || r->width != c->width ||
		     r->size != c->size)) {
			sema_error(s, n->loc,
				   "'%s' condition for '%s' operands",
				   ty_str(s, c), ty_str(s, r));
			return NULL;
		}
		return r;
	}
	if (vector_cond) {
		sema_error(s, n->loc, "a vector condition selects vectors");
		return NULL;
	}
	if (a->kind == VCL_TY_POINTER || b->kind == VCL_TY_POINTER) {
		const struct vcl_ty *p = a->kind == VCL_TY_POINTER ? a : b;
		if (a->kind == b->kind) {
			const struct vcl_ty *q = p == a ? b : a;
			if (ty_space(p->base) != ty_space(q->base) ||
			    !ty_equal(p->base, q->base, false)) {
				sema_error(s, n->loc, "'?:' with '%s' and '%s'",
					   ty_str(s, a), ty_str(s, b));
				return NULL;
			}
			uint32_t quals = p->base->quals | q->base->quals;
			p = ty_pointer(
			    s, ty_qualified(s, p->base, quals, p->base->space));
		}
		const char *what = "'?:'";
		return sema_coerce(s, &n->b, a, p, what) &&
			       sema_coerce(s, &n->c, b, p, what)
			   ? p
			   : NULL;
	}
	if (ty_equal(a, b, false))
		return a;
	sema_error(s, n->loc, "'?:' with '%s' and '%s'", ty_str(s, a),
		   ty_str(s, b));
	return NULL;
}

static NOINLINE const struct vcl_ty *call(struct sema *s, struct vcl_node *n)
{
	struct vcl_node *callee = n->a;
	if (callee->kind != VCL_N_IDENT) {
		sema_error(s, n->loc, "only a function is called by name");
		return NULL;
	}
	struct vcl_sym *f =
	    sema_lookup(s, callee->name, callee->name_len, false);
	if (!f || f->kind != VCL_SYM_FUNC) {
		if (!f && sema_builtin_call(s, n))
			return n->ty;
		if (f)
			sema_error(s, n->loc, "'%.*s' is not a function",
				   (int)callee->name_len, callee->name);
		else
			sema_error(s, n->loc,
				   "call to undeclared function '%.*s'",
				   (int)callee->name_len, callee->name);
		return NULL;
	}
	callee->sym = f;
	n->sym = f;
	n->info = VCL_CALL_USER;
	const struct vcl_ty *ft = f->type;
	uint32_t i = 0;
	bool ok = true;
	for (struct vcl_node **e = &n->list; *e; e = &(*e)->next, i++) {
		char what[96];
		if (i >= ft->nparams) {
			sema_rvalue(s, e);
			continue;
		}
		snprintf(what, sizeof(what), "argument %u of '%.*s'", i + 1,
			 (int)f->name_len, f->name);
		ok &= sema_assign_conv(s, e, ft->params[i], what);
	}
	if (i != ft->nparams) {
		sema_error(s, n->loc, "'%.*s' takes %u arguments, not %u",
			   (int)f->name_len, f->name, ft->nparams, i);
		return NULL;
	}
	if (s->fn)
		sema_add_call(s, f, n->loc);
	return ok ? ft->base : NULL;
}

/* The float constants OpenCL C defines as built-ins. */
static bool float_constant(struct vcl_node *n)
{
	double v;
	bool is_float = true;
	if (name_is(n, "MAXFLOAT"))
		v = 3.402823466e+38;
	else if (name_is(n, "HUGE_VALF") || name_is(n, "INFINITY"))
		v = INFINITY;
	else if (name_is(n, "NAN"))
		v = NAN;
	else if (name_is(n, "HUGE_VAL")) {
		v = INFINITY;
		is_float = false;
	} else
		return false;
	n->kind = VCL_N_FLOAT;
	n->lit.u.f = v;
	n->lit.aux = is_float ? VCL_LIT_F : 0;
	return true;
}

static NOINLINE const struct vcl_ty *ident(struct sema *s, struct vcl_node *n)
{
	struct vcl_sym *y = sema_lookup(s, n->name, n->name_len, false);
	if (!y) {
		if (float_constant(n))
			return ty_scalar(n->lit.aux ? VCL_TY_FLOAT
						    : VCL_TY_DOUBLE);
		sema_error(s, n->loc, "use of undeclared identifier '%.*s'",
			   (int)n->name_len, n->name);
		return NULL;
	}
	n->sym = y;
	switch (y->kind) {
	case VCL_SYM_VAR:
	case VCL_SYM_PARAM:
		n->lvalue = true;
		return y->type;
	case VCL_SYM_ENUM_CONST:
		return y->type;
	case VCL_SYM_FUNC:
		return y->type;
	default:
		sema_error(s, n->loc, "'%.*s' is a type, not a value",
			   (int)n->name_len, n->name);
		return NULL;
	}
}

static NOINLINE const struct vcl_ty *int_literal(struct sema *s,
						 struct vcl_node *n)
{
	uint64_t v = n->lit.u.i;
	uint32_t suf = n->lit.aux;
	if (suf & VCL_LIT_CHAR)
		return ty_scalar(VCL_TY_INT);
	bool decimal = n->lit.text[0] != '0' || n->lit.len == 1;
	bool u = suf & VCL_LIT_U, l = suf & VCL_LIT_L;
	if (!l && !u && v <= INT32_MAX)
		return ty_scalar(VCL_TY_INT);
	if (!l && (u || !decimal) && v <= UINT32_MAX)
		return ty_scalar(VCL_TY_UINT);
	if (!u && v <= INT64_MAX)
		return ty_scalar(VCL_TY_LONG);
	if (u || !decimal)
		return ty_scalar(VCL_TY_ULONG);
	sema_error(s, n->loc, "integer literal '%.*s' is too large for long",
		   (int)n->lit.len, n->lit.text);
	return NULL;
}

static NOINLINE const struct vcl_ty *
sizeof_of(struct sema *s, struct vcl_node *n, const struct vcl_ty *t)
{
	if (!t)
		return NULL;
	if (!t->size || t->kind == VCL_TY_FUNCTION) {
		sema_error(s, n->loc, "sizeof of incomplete type '%s'",
			   ty_str(s, t));
		return NULL;
	}
	n->value = (int64_t)t->size;
	return ty_scalar(VCL_TY_ULONG);
}

static const struct vcl_ty *expr_kind(struct sema *s, struct vcl_node *n)
{
	const struct vcl_ty *t;
	switch (n->kind) {
	case VCL_N_IDENT:
		return ident(s, n);
	case VCL_N_INT:
		return int_literal(s, n);
	case VCL_N_FLOAT:
		return ty_scalar(n->lit.aux & VCL_LIT_F ? VCL_TY_FLOAT
							: VCL_TY_DOUBLE);
	case VCL_N_STRING:
		sema_error(s, n->loc,
			   "string literals are not supported "
			   "(there is no printf)");
		return NULL;
	case VCL_N_UNARY:
		return unary(s, n);
	case VCL_N_POSTFIX:
		return incdec(s, n);
	case VCL_N_BINARY:
		return binary(s, n);
	case VCL_N_ASSIGN:
		return assign(s, n);
	case VCL_N_COND:
		return conditional(s, n);
	case VCL_N_COMMA:
		if (!sema_expr(s, &n->a))
			return NULL;
		return sema_rvalue(s, &n->b);
	case VCL_N_CALL:
		return call(s, n);
	case VCL_N_INDEX:
		return index_expr(s, n);
	case VCL_N_MEMBER:
	case VCL_N_ARROW:
		return member(s, n);
	case VCL_N_CAST:
		return cast(s, n);
	case VCL_N_CAST_LIST:
		return vector_literal(s, n);
	case VCL_N_SIZEOF_EXPR:
		t = sema_expr(s, &n->a);
		return sizeof_of(s, n, t);
	case VCL_N_SIZEOF_TYPE:
		return sizeof_of(s, n, sema_type(s, n->type));
	case VCL_N_VEC_STEP_TYPE:
		t = sema_type(s, n->type);
		if (!t)
			return NULL;
		n->value = t->kind == VCL_TY_VECTOR
			       ? (t->width == 3 ? 4 : t->width)
			       : 1;
		return ty_scalar(VCL_TY_INT);
	case VCL_N_INIT_LIST:
		sema_error(s, n->loc,
			   "a brace list only initializes a declaration");
		return NULL;
	case VCL_N_CONVERT:
		return n->ty;
	default:
		sema_error(s, n->loc, "expected an expression");
		return NULL;
	}
}

const struct vcl_ty *sema_expr(struct sema *s, struct vcl_node **slot)
{
	struct vcl_node *n = *slot;
	if (n->ty)
		return n->ty; /* checked already (a re-read of an operand) */
	if (!sema_enter(s, n->loc))
		return NULL;
	const struct vcl_ty *t = expr_kind(s, n);
	sema_leave(s);
	n = *slot;
	if (t && n->kind != VCL_N_CONVERT)
		n->ty = t;
	return t;
}
