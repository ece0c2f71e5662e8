/* convert_T with _sat and the rounding modes, and as_T, on scalars and
 * vectors lane by lane, with the IR's conversions, compares and selects
 * (docs/compiler.md, "Lowering from the typed tree", says exactly what
 * each rounding does). */
#include <stdint.h>

#include "ir_lower.h"

uint32_t lower_reinterpret(struct lower *L, uint32_t v, vcl_ir_type from,
			   vcl_ir_type to)
{
	uint32_t size = vcl_ir_type_size(from);
	uint32_t p = lower_memory_slot(L, size, size, NULL);
	vcl_ir_type pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
	lower_store_at(L, p, pt, 0, from, v);
	return lower_load_at(L, p, pt, 0, to);
}

static uint32_t icmp(struct lower *L, enum vcl_ir_icmp p, uint32_t a,
		     uint32_t b)
{
	return emit_cmp(L, VCL_IR_ICMP, p, a, b);
}

static uint32_t fcmp(struct lower *L, enum vcl_ir_fcmp p, uint32_t a,
		     uint32_t b)
{
	return emit_cmp(L, VCL_IR_FCMP, p, a, b);
}

static void int_range(enum vcl_type_kind k, int64_t *lo, uint64_t *hi)
{
	unsigned bits = vcl_ir_type_size(kind_type(k)) * 8;
	if (kind_signed(k)) {
		*hi = (UINT64_C(1) << (bits - 1)) - 1;
		*lo = -(int64_t)*hi - 1;
	} else {
		*lo = 0;
		*hi = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	}
}

uint32_t lower_saturate(struct lower *L, uint32_t v, enum vcl_type_kind from,
			enum vcl_type_kind to)
{
	int64_t flo, tlo;
	uint64_t fhi, thi;
	int_range(from, &flo, &fhi);
	int_range(to, &tlo, &thi);
	vcl_ir_type t64 = VCL_IR_I64;
	uint32_t x = lower_convert(
	    L, v, from, kind_signed(from) ? VCL_TY_LONG : VCL_TY_ULONG);
	bool sgn = kind_signed(from) || from != VCL_TY_ULONG;
	if (tlo > flo) {
		uint32_t lo = emit_const(L, t64, (uint64_t)tlo);
		x = emit_select(L, t64, icmp(L, VCL_ICMP_SLT, x, lo), lo, x);
	}
	if (thi < fhi && (!sgn || thi <= INT64_MAX)) {
		uint32_t hi = emit_const(L, t64, thi);
		x = emit_select(
		    L, t64, icmp(L, sgn ? VCL_ICMP_SGT : VCL_ICMP_UGT, x, hi),
		    hi, x);
	}
	return lower_convert(L, x, VCL_TY_LONG, to);
}

/* f, of kind `to`, rounded to nearest: one step toward zero, +inf or
 * -inf as the rounding mode wants, given whether it lies above or below
 * the exact value. */
static uint32_t step_float(struct lower *L, uint32_t f, enum vcl_type_kind to,
			   uint32_t above, uint32_t below, enum vcl_rounding r)
{
	vcl_ir_type ft = kind_type(to);
	vcl_ir_type t = ft == VCL_IR_F32 ? VCL_IR_I32 : VCL_IR_I64;
	uint32_t zero = emit_const(L, ft, 0);
	uint32_t up, down;
	if (r == VCL_RND_RTP) {
		up = below;
		down = emit_const(L, VCL_IR_I1, 0);
	} else if (r == VCL_RND_RTN) {
		up = emit_const(L, VCL_IR_I1, 0);
		down = above;
	} else { /* toward zero */
		up = emit_value(L, VCL_IR_AND, VCL_IR_I1, below,
				fcmp(L, VCL_FCMP_OLT, f, zero));
		down = emit_value(L, VCL_IR_AND, VCL_IR_I1, above,
				  fcmp(L, VCL_FCMP_OGT, f, zero));
	}
	/* The next float up is bits + 1 for a positive f, - 1 for a
	 * negative one (infinity and the largest float are neighbours). */
	uint32_t b = lower_reinterpret(L, f, ft, t);
	uint32_t neg = icmp(L, VCL_ICMP_SLT, b, emit_const(L, t, 0));
	uint32_t plus = emit_const(L, t, 1),
		 minus = emit_const(L, t, UINT64_MAX);
	uint32_t sup = emit_select(L, t, neg, minus, plus);
	uint32_t sdown = emit_select(L, t, neg, plus, minus);
	uint32_t step = emit_select(
	    L, t, up, sup, emit_select(L, t, down, sdown, emit_const(L, t, 0)));
	return lower_reinterpret(L, emit_value(L, VCL_IR_ADD, t, b, step), t,
				 ft);
}

/* v (of kind `from`) to floating kind `to` under rounding mode r: the
 * nearest, stepped when it lies past the exact value on the wrong side.
 * Compared in double where the source is exact there (32-bit integers,
 * double), else (64-bit integers) as integers: a rounded result that
 * large is integral, so converting it back is exact but at 2^63 (2^64
 * unsigned), which only a larger source can round up to. */
static uint32_t round_to_float(struct lower *L, uint32_t v,
			       enum vcl_type_kind from, enum vcl_type_kind to,
			       enum vcl_rounding r)
{
	uint32_t f = lower_convert(L, v, from, to), above, below;
	if (vcl_ir_type_size(kind_type(from)) < 8 || kind_float(from)) {
		uint32_t x = lower_convert(L, v, from, VCL_TY_DOUBLE);
		uint32_t fe = lower_convert(L, f, to, VCL_TY_DOUBLE);
		above = fcmp(L, VCL_FCMP_OGT, fe, x);
		below = fcmp(L, VCL_FCMP_OLT, fe, x);
	} else {
		bool s = kind_signed(from);
		uint32_t back = lower_convert(L, f, to, from);
		uint32_t top = emit_const(
		    L, kind_type(to),
		    lower_float_bits(kind_type(to), s ? 0x1p63 : 0x1p64));
		above = emit_value(
		    L, VCL_IR_OR, VCL_IR_I1, fcmp(L, VCL_FCMP_OGE, f, top),
		    icmp(L, s ? VCL_ICMP_SGT : VCL_ICMP_UGT, back, v));
		below = icmp(L, s ? VCL_ICMP_SLT : VCL_ICMP_ULT, back, v);
	}
	return step_float(L, f, to, above, below, r);
}

static uint32_t convert_lane(struct lower *L, uint32_t v,
			     enum vcl_type_kind from, enum vcl_type_kind to,
			     bool sat, enum vcl_rounding r)
{
	vcl_ir_type ft = kind_type(from);
	if (kind_float(from) && !kind_float(to)) {
		/* fptosi.sat saturates (NaN gives 0): _sat or not alike. */
		static const char *const rounders[] = {[VCL_RND_RTE] = "rint",
						       [VCL_RND_RTP] = "ceil",
						       [VCL_RND_RTN] = "floor"};
		if (r == VCL_RND_RTE || r == VCL_RND_RTP || r == VCL_RND_RTN) {
			struct vcl_ir_inst *i = emit(L, VCL_IR_INTRIN, ft);
			i->name = rounders[r];
			i->args = vcl_ir_alloc(L->m, sizeof(uint32_t));
			if (i->args) {
				i->args[0] = v;
				i->nargs = 1;
			}
			v = i->id;
		}
		return lower_convert(L, v, from, to);
	}
	if (!kind_float(to))
		return sat ? lower_saturate(L, v, from, to)
			   : lower_convert(L, v, from, to);
	/* exact (to double from 32 bits or float, float to float, from
	 * char and short), or to nearest as asked */
	unsigned fbits = vcl_ir_type_size(ft) * 8;
	bool exact =
	    from == to || fbits < 32 || (to == VCL_TY_DOUBLE && fbits <= 32);
	if (r == VCL_RND_DEFAULT || r == VCL_RND_RTE || exact)
		return lower_convert(L, v, from, to);
	return round_to_float(L, v, from, to, r);
}

bool lower_convert_call(struct lower *L, const struct vcl_node *n,
			struct lanes *out)
{
	const struct vcl_node *a = n->list;
	if (!a || !lower_lanes(L, a, out))
		return false;
	bool sat = (n->info & VCL_CALL_SAT) != 0;
	enum vcl_rounding r = VCL_CALL_ROUNDING(n->info);
	for (uint32_t i = 0; i < out->n; i++)
		out->v[i] = convert_lane(L, out->v[i], ty_elem(a->ty),
					 ty_elem(n->ty), sat, r);
	return true;
}

/* as_T: the operand's bytes (a 3-lane vector's fourth lane zero) read
 * back as T, through a private slot. */
bool lower_as_call(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	const struct vcl_node *a = n->list;
	struct lanes *in = lanes_new(L);
	if (!a || !in || !lower_lanes(L, a, in))
		return false;
	vcl_ir_type at = kind_type(ty_elem(a->ty)),
		    t = kind_type(ty_elem(n->ty));
	uint64_t size = n->ty->size > a->ty->size ? n->ty->size : a->ty->size;
	uint32_t p = lower_memory_slot(L, size, (uint32_t)size, n);
	vcl_ir_type pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
	uint32_t asz = vcl_ir_type_size(at), tsz = vcl_ir_type_size(t);
	for (uint32_t i = 0; i * asz < size; i++)
		lower_store_at(L, p, pt, i * asz, at,
			       i < in->n ? in->v[i] : emit_const(L, at, 0));
	out->n = ty_lanes(n->ty);
	for (uint32_t i = 0; i < out->n; i++)
		out->v[i] = lower_load_at(L, p, pt, i * tsz, t);
	return true;
}

/* A half's bits (an i16) to the float it is, exactly: a normal half
 * rebiased, infinities and NaN kept, a subnormal as m * 2^-24. */
uint32_t lower_half_to_float(struct lower *L, uint32_t h16)
{
	vcl_ir_type t = VCL_IR_I32;
#define K(v) emit_const(L, t, (uint64_t)(v))
	uint32_t h = emit_value(L, VCL_IR_ZEXT, t, h16, VCL_IR_NONE);
	uint32_t sign =
	    emit_value(L, VCL_IR_SHL, t,
		       emit_value(L, VCL_IR_AND, t, h, K(0x8000)), K(16));
	uint32_t e = emit_value(L, VCL_IR_AND, t,
				emit_value(L, VCL_IR_LSHR, t, h, K(10)), K(31));
	uint32_t m = emit_value(L, VCL_IR_AND, t, h, K(0x3ff));
	uint32_t top = icmp(L, VCL_ICMP_EQ, e, K(31));
	uint32_t exp = emit_select(
	    L, t, top, K(0x7f800000),
	    emit_value(L, VCL_IR_SHL, t,
		       emit_value(L, VCL_IR_ADD, t, e, K(112)), K(23)));
	uint32_t bits =
	    emit_value(L, VCL_IR_OR, t, emit_value(L, VCL_IR_OR, t, sign, exp),
		       emit_value(L, VCL_IR_SHL, t, m, K(13)));
	uint32_t normal = lower_reinterpret(L, bits, t, VCL_IR_F32);
	uint32_t sub = emit_value(
	    L, VCL_IR_FMUL, VCL_IR_F32,
	    emit_value(L, VCL_IR_UITOFP, VCL_IR_F32, m, VCL_IR_NONE),
	    emit_const(L, VCL_IR_F32, lower_float_bits(VCL_IR_F32, 0x1p-24)));
	sub = emit_select(
	    L, VCL_IR_F32, icmp(L, VCL_ICMP_NE, sign, K(0)),
	    emit_value(L, VCL_IR_FNEG, VCL_IR_F32, sub, VCL_IR_NONE), sub);
	return emit_select(L, VCL_IR_F32, icmp(L, VCL_ICMP_EQ, e, K(0)), sub,
			   normal);
}

/* v >> k (k a value below 32) rounded as r wants, s the sign (i1). */
static uint32_t shift_round(struct lower *L, uint32_t v, uint32_t k, uint32_t s,
			    enum vcl_rounding r)
{
	vcl_ir_type t = VCL_IR_I32;
	uint32_t q = emit_value(L, VCL_IR_LSHR, t, v, k);
	uint32_t rem =
	    emit_value(L, VCL_IR_AND, t, v,
		       emit_value(L, VCL_IR_SUB, t,
				  emit_value(L, VCL_IR_SHL, t, K(1), k), K(1)));
	uint32_t inexact = icmp(L, VCL_ICMP_NE, rem, K(0)), up;
	if (r == VCL_RND_RTZ)
		return q;
	if (r == VCL_RND_RTP || r == VCL_RND_RTN) {
		uint32_t want = r == VCL_RND_RTP
				    ? emit_value(L, VCL_IR_XOR, VCL_IR_I1, s,
						 emit_const(L, VCL_IR_I1, 1))
				    : s;
		up = emit_value(L, VCL_IR_AND, VCL_IR_I1, inexact, want);
	} else { /* to nearest, ties to even */
		uint32_t half =
		    emit_value(L, VCL_IR_SHL, t, K(1),
			       emit_value(L, VCL_IR_SUB, t, k, K(1)));
		uint32_t odd =
		    icmp(L, VCL_ICMP_NE, emit_value(L, VCL_IR_AND, t, q, K(1)),
			 K(0));
		up = emit_value(
		    L, VCL_IR_OR, VCL_IR_I1, icmp(L, VCL_ICMP_UGT, rem, half),
		    emit_value(L, VCL_IR_AND, VCL_IR_I1,
			       icmp(L, VCL_ICMP_EQ, rem, half), odd));
	}
	return emit_value(L, VCL_IR_ADD, t, q,
			  emit_value(L, VCL_IR_ZEXT, t, up, VCL_IR_NONE));
}

/* A float to a half's bits (an i16) rounded as r says (the default to
 * nearest even), in integers: a normal half from the float's bits
 * rebiased and shifted by 13, a subnormal one from the significand
 * shifted by 126 minus the exponent; an overflow to infinity or to the
 * largest half as the mode wants, NaN a quiet NaN. */
uint32_t lower_float_to_half(struct lower *L, uint32_t f, enum vcl_rounding r)
{
	vcl_ir_type t = VCL_IR_I32;
	uint32_t b = lower_reinterpret(L, f, VCL_IR_F32, t);
	uint32_t a = emit_value(L, VCL_IR_AND, t, b, K(0x7fffffff));
	uint32_t s = icmp(L, VCL_ICMP_SLT, b, K(0));
	uint32_t normal = shift_round(
	    L, emit_value(L, VCL_IR_SUB, t, a, K(0x38000000)), K(13), s, r);
	uint32_t e = emit_value(L, VCL_IR_LSHR, t, a, K(23));
	uint32_t e1 = emit_select(L, t, icmp(L, VCL_ICMP_EQ, e, K(0)), K(1), e);
	uint32_t mant = emit_value(
	    L, VCL_IR_OR, t, emit_value(L, VCL_IR_AND, t, a, K(0x7fffff)),
	    emit_select(L, t, icmp(L, VCL_ICMP_EQ, e, K(0)), K(0),
			K(0x800000)));
	uint32_t k = emit_value(L, VCL_IR_SUB, t, K(126), e1);
	k = emit_select(L, t, icmp(L, VCL_ICMP_UGT, k, K(31)), K(31), k);
	uint32_t sub = shift_round(L, mant, k, s, r);
	uint32_t h = emit_select(L, t, icmp(L, VCL_ICMP_ULT, a, K(0x38800000)),
				 sub, normal);
	/* overflow: infinity, or the largest half toward zero */
	bool to_inf_pos =
	    r == VCL_RND_DEFAULT || r == VCL_RND_RTE || r == VCL_RND_RTP;
	bool to_inf_neg =
	    r == VCL_RND_DEFAULT || r == VCL_RND_RTE || r == VCL_RND_RTN;
	uint32_t over = emit_select(L, t, s, K(to_inf_neg ? 0x7c00 : 0x7bff),
				    K(to_inf_pos ? 0x7c00 : 0x7bff));
	h = emit_select(L, t, icmp(L, VCL_ICMP_UGE, h, K(0x7c00)), over, h);
	h = emit_select(L, t, icmp(L, VCL_ICMP_EQ, a, K(0x7f800000)), K(0x7c00),
			h);
	h = emit_select(L, t, icmp(L, VCL_ICMP_UGT, a, K(0x7f800000)),
			K(0x7e00), h);
	h = emit_value(L, VCL_IR_OR, t, h,
		       emit_select(L, t, s, K(0x8000), K(0)));
	return emit_value(L, VCL_IR_TRUNC, VCL_IR_I16, h, VCL_IR_NONE);
#undef K
}
