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

/* f (rounded to nearest from the exact value x, an f64) one step
 * toward zero, +inf or -inf as the rounding mode wants. */
static uint32_t round_float(struct lower *L, uint32_t f, uint32_t x,
			    enum vcl_rounding r)
{
	uint32_t fe = lower_convert(L, f, VCL_TY_FLOAT, VCL_TY_DOUBLE);
	uint32_t above = fcmp(L, VCL_FCMP_OGT, fe, x);
	uint32_t below = fcmp(L, VCL_FCMP_OLT, fe, x);
	uint32_t zero = emit_const(L, VCL_IR_F64, 0);
	uint32_t up, down;
	if (r == VCL_RND_RTP) {
		up = below;
		down = emit_const(L, VCL_IR_I1, 0);
	} else if (r == VCL_RND_RTN) {
		up = emit_const(L, VCL_IR_I1, 0);
		down = above;
	} else { /* toward zero */
		up = emit_value(L, VCL_IR_AND, VCL_IR_I1, below,
				fcmp(L, VCL_FCMP_OLT, fe, zero));
		down = emit_value(L, VCL_IR_AND, VCL_IR_I1, above,
				  fcmp(L, VCL_FCMP_OGT, fe, zero));
	}
	/* The next float up is bits + 1 for a positive f, - 1 for a
	 * negative one (infinity and the largest float are neighbours). */
	vcl_ir_type t = VCL_IR_I32;
	uint32_t b = lower_reinterpret(L, f, VCL_IR_F32, t);
	uint32_t neg = icmp(L, VCL_ICMP_SLT, b, emit_const(L, t, 0));
	uint32_t plus = emit_const(L, t, 1),
		 minus = emit_const(L, t, UINT64_MAX);
	uint32_t sup = emit_select(L, t, neg, minus, plus);
	uint32_t sdown = emit_select(L, t, neg, plus, minus);
	uint32_t step = emit_select(
	    L, t, up, sup, emit_select(L, t, down, sdown, emit_const(L, t, 0)));
	return lower_reinterpret(L, emit_value(L, VCL_IR_ADD, t, b, step), t,
				 VCL_IR_F32);
}

static uint32_t convert_lane(struct lower *L, const struct vcl_node *at,
			     uint32_t v, enum vcl_type_kind from,
			     enum vcl_type_kind to, bool sat,
			     enum vcl_rounding r)
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
	uint32_t f = lower_convert(L, v, from, to);
	if (r == VCL_RND_DEFAULT || r == VCL_RND_RTE || to != VCL_TY_FLOAT ||
	    from == VCL_TY_FLOAT || vcl_ir_type_size(ft) < 4)
		return f; /* exact, or rounded to nearest as asked */
	if (vcl_ir_type_size(ft) == 8 && !kind_float(from)) {
		lower_error(L, at,
			    "not lowered yet: long to float with a rounding "
			    "mode other than _rte");
		return f;
	}
	return round_float(L, f, lower_convert(L, v, from, VCL_TY_DOUBLE), r);
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
		out->v[i] = convert_lane(L, n, out->v[i], ty_elem(a->ty),
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
