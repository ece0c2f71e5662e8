/* Lowering vectors by scalarizing them: a vector value is its lanes (one
 * scalar value each), a vector object is memory whose lanes are loaded
 * and stored one by one; operators, swizzles, literals, conditionals,
 * vload/vstore and calls returning vectors work lane by lane. The IR
 * keeps only scalars, which is also what running a work-group as vectors
 * across its work-items wants. */
#include <string.h>

#include "ir_lower.h"

uint32_t lower_offset(struct lower *L, uint32_t p, vcl_ir_type pt,
		      uint64_t bytes)
{
	if (!bytes)
		return p;
	return emit_value(L, VCL_IR_PTRADD, pt, p,
			  emit_const(L, VCL_IR_I64, bytes));
}

static uint32_t check_at(struct lower *L, uint32_t p, vcl_ir_type pt,
			 uint64_t bytes, vcl_ir_type t)
{
	uint32_t q = lower_offset(L, p, pt, bytes);
	struct vcl_ir_inst *c = emit(L, VCL_IR_CHECK, pt);
	c->a = q;
	c->imm = c->imm2 = vcl_ir_type_size(t);
	return c->id;
}

uint32_t lower_load_at(struct lower *L, uint32_t p, vcl_ir_type pt,
		       uint64_t bytes, vcl_ir_type t)
{
	return emit_value(L, VCL_IR_LOAD, t, check_at(L, p, pt, bytes, t),
			  VCL_IR_NONE);
}

void lower_store_at(struct lower *L, uint32_t p, vcl_ir_type pt, uint64_t bytes,
		    vcl_ir_type t, uint32_t v)
{
	emit_value(L, VCL_IR_STORE, VCL_IR_VOID, check_at(L, p, pt, bytes, t),
		   v);
}

/* Objects of at most this many words are copied or zeroed by unrolled
 * stores; bigger ones by a loop, a few instructions whatever their size. */
enum { UNROLLED_WORDS = 64 };

/* One word of type t at byte k * unit: src's there, or zero. */
static uint32_t word_at(struct lower *L, uint32_t src, vcl_ir_type spt,
			uint32_t off, vcl_ir_type t)
{
	if (src == VCL_IR_NONE)
		return emit_const(L, t, 0);
	return lower_load_at(L, emit_value(L, VCL_IR_PTRADD, spt, src, off),
			     spt, 0, t);
}

void lower_words(struct lower *L, const struct vcl_node *at, uint32_t dst,
		 vcl_ir_type dpt, uint32_t src, vcl_ir_type spt, uint64_t count,
		 uint32_t unit)
{
	vcl_ir_type t = word_type(unit);
	if (count <= UNROLLED_WORDS) {
		uint32_t z = src == VCL_IR_NONE ? emit_const(L, t, 0) : 0;
		for (uint64_t k = 0; k < count; k++)
			lower_store_at(
			    L, dst, dpt, k * unit, t,
			    src == VCL_IR_NONE
				? z
				: lower_load_at(L, src, spt, k * unit, t));
		return;
	}
	if (L->nopen >= VCL_IR_MAX_DEPTH) {
		lower_error(L, at, "loops nested more than %d deep",
			    VCL_IR_MAX_DEPTH);
		return;
	}
	/* for (i = 0; i < count; i++) dst[i] = src ? src[i] : 0; */
	uint32_t i = new_slot(L, VCL_IR_I64);
	uint32_t first = emit_const(L, VCL_IR_I64, 0);
	struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = i;
	st->a = first;
	L->is_switch[L->nopen++] = false;
	struct vcl_ir_inst *lp = emit(L, VCL_IR_LOOP, VCL_IR_VOID);
	struct vcl_ir_block *saved = L->cur;
	L->cur = &lp->then;
	struct vcl_ir_inst *k = emit(L, VCL_IR_LDS, VCL_IR_I64);
	k->imm = i;
	uint32_t more = emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_ULT, k->id,
				 emit_const(L, VCL_IR_I64, count));
	struct vcl_ir_inst *c = emit(L, VCL_IR_IF, VCL_IR_VOID);
	c->a = more;
	L->cur = &c->els;
	emit(L, VCL_IR_BREAK, VCL_IR_VOID)->imm = 0;
	L->cur = &lp->then;
	uint32_t off = emit_value(L, VCL_IR_MUL, VCL_IR_I64, k->id,
				  emit_const(L, VCL_IR_I64, unit));
	uint32_t v = word_at(L, src, spt, off, t);
	lower_store_at(L, emit_value(L, VCL_IR_PTRADD, dpt, dst, off), dpt, 0,
		       t, v);
	L->cur = &lp->els;
	struct vcl_ir_inst *k2 = emit(L, VCL_IR_LDS, VCL_IR_I64);
	k2->imm = i;
	uint32_t next = emit_value(L, VCL_IR_ADD, VCL_IR_I64, k2->id,
				   emit_const(L, VCL_IR_I64, 1));
	st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = i;
	st->a = next;
	L->cur = saved;
	L->nopen--;
}

uint32_t lower_memory_slot(struct lower *L, uint64_t size, uint32_t align,
			   const struct vcl_node *at)
{
	int64_t k = vcl_ir_add_object(L->m, &L->f->slots, &L->f->nslots, size,
				      align ? align : 1);
	if (k < 0) {
		lower_error(L, at, "too many private variables for the IR");
		return VCL_IR_NONE;
	}
	struct vcl_ir_inst *i =
	    emit(L, VCL_IR_SLOT, VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE));
	i->imm = (uint64_t)k;
	return i->id;
}

struct lanes *lanes_new(struct lower *L)
{
	struct lanes *v = vcl_ir_alloc(L->m, sizeof(*v));
	if (!v)
		lower_error(L, NULL, "out of memory");
	else
		v->n = 0;
	return v;
}

static void splat(struct lanes *out, uint32_t v, uint32_t n)
{
	out->n = n;
	for (uint32_t i = 0; i < n; i++)
		out->v[i] = v;
}

bool lower_vlvalue(struct lower *L, const struct vcl_node *n,
		   struct vlvalue *vl)
{
	if (n->kind == VCL_N_MEMBER && n->a->ty &&
	    n->a->ty->kind == VCL_TY_VECTOR) {
		struct vlvalue in;
		if (!lower_vlvalue(L, n->a, &in))
			return false;
		*vl = in;
		vl->n = n->info;
		for (uint32_t i = 0; i < vl->n; i++)
			vl->lane[i] = in.lane[vcl_swizzle_at(n, i) % in.n];
		return true;
	}
	struct lvalue lv;
	if (!lower_lvalue(L, n, &lv))
		return false;
	vl->ptr = lv.ptr;
	vl->pt = lvalue_pointer(&lv);
	vl->et = kind_type(ty_elem(n->ty));
	vl->n = ty_lanes(n->ty);
	for (uint32_t i = 0; i < vl->n; i++)
		vl->lane[i] = (uint8_t)i;
	return lv.memory && vl->et != VCL_IR_NONE;
}

static void vload(struct lower *L, const struct vlvalue *vl, struct lanes *out)
{
	out->n = vl->n;
	for (uint32_t i = 0; i < vl->n; i++)
		out->v[i] = lower_load_at(
		    L, vl->ptr, vl->pt, vl->lane[i] * vcl_ir_type_size(vl->et),
		    vl->et);
}

void lower_vstore(struct lower *L, const struct vlvalue *vl,
		  const struct lanes *v)
{
	for (uint32_t i = 0; i < vl->n && i < v->n; i++)
		lower_store_at(L, vl->ptr, vl->pt,
			       vl->lane[i] * vcl_ir_type_size(vl->et), vl->et,
			       v->v[i]);
}

static bool vec_value(struct lower *L, const struct vcl_node *n,
		      struct lanes *out);

bool lower_lanes(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	if (n && n->ty && n->ty->kind == VCL_TY_VECTOR)
		return vec_value(L, n, out);
	out->n = 1;
	out->v[0] = lower_rvalue(L, n);
	return out->v[0] != VCL_IR_NONE;
}

uint32_t lower_vector(struct lower *L, const struct vcl_node *n)
{
	struct lanes *v = lanes_new(L);
	return v && vec_value(L, n, v) && v->n ? v->v[0] : VCL_IR_NONE;
}

/* A comparison's i1 as OpenCL's vector truth: -1 or 0 in kind k. */
static uint32_t truth(struct lower *L, uint32_t c, enum vcl_type_kind k)
{
	return emit_value(L, VCL_IR_SEXT, kind_type(k), c, VCL_IR_NONE);
}

static uint32_t is_nonzero(struct lower *L, uint32_t v, enum vcl_type_kind k)
{
	return lower_convert(L, v, k, VCL_TY_BOOL);
}

/* Unary operators and ++/-- on a vector. */
__attribute__((noinline)) static bool
vec_unary(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	enum vcl_type_kind k = ty_elem(n->ty), ak = ty_elem(n->a->ty);
	vcl_ir_type t = kind_type(k);
	if (n->op == VCL_T_INC || n->op == VCL_T_DEC) {
		struct vlvalue vl;
		struct lanes cur;
		if (!lower_vlvalue(L, n->a, &vl))
			return false;
		vload(L, &vl, &cur);
		uint32_t one = emit_const(L, t, lower_float_bits(t, 1));
		*out = cur;
		for (uint32_t i = 0; i < cur.n; i++)
			out->v[i] = lower_arith(
			    L, n, n->op == VCL_T_DEC ? VCL_T_MINUS : VCL_T_PLUS,
			    k, cur.v[i], one);
		lower_vstore(L, &vl, out);
		if (n->kind == VCL_N_POSTFIX)
			*out = cur;
		return true;
	}
	if (!lower_lanes(L, n->a, out))
		return false;
	for (uint32_t i = 0; i < out->n; i++) {
		uint32_t v = out->v[i];
		switch (n->op) {
		case VCL_T_PLUS:
			break;
		case VCL_T_MINUS:
			v = kind_float(k)
				? emit_value(L, VCL_IR_FNEG, t, v, VCL_IR_NONE)
				: emit_value(L, VCL_IR_SUB, t,
					     emit_const(L, t, 0), v);
			break;
		case VCL_T_TILDE:
			v = emit_value(L, VCL_IR_XOR, t, v,
				       emit_const(L, t, UINT64_MAX));
			break;
		case VCL_T_BANG:
			v = emit_value(L, VCL_IR_XOR, VCL_IR_I1,
				       is_nonzero(L, v, ak),
				       emit_const(L, VCL_IR_I1, 1));
			v = truth(L, v, k);
			break;
		default:
			lower_error(L, n, "not lowered yet: this operator");
			return false;
		}
		out->v[i] = v;
	}
	return true;
}

static bool is_comparison(enum vcl_tok op)
{
	return op == VCL_T_LT || op == VCL_T_GT || op == VCL_T_LE ||
	       op == VCL_T_GE || op == VCL_T_EQ || op == VCL_T_NE;
}

/* A binary operator on vectors (the type checker splatted scalars). */
__attribute__((noinline)) static bool
vec_binary(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	if (n->op == VCL_T_COMMA) {
		lower_rvalue(L, n->a);
		return lower_lanes(L, n->b, out);
	}
	struct lanes *b = lanes_new(L);
	if (!b || !lower_lanes(L, n->a, out) || !lower_lanes(L, n->b, b))
		return false;
	enum vcl_type_kind k = ty_elem(n->ty), ak = ty_elem(n->a->ty);
	for (uint32_t i = 0; i < out->n; i++) {
		uint32_t x = out->v[i], y = b->v[i % b->n];
		if (n->op == VCL_T_ANDAND || n->op == VCL_T_OROR)
			out->v[i] = truth(
			    L,
			    emit_value(L,
				       n->op == VCL_T_ANDAND ? VCL_IR_AND
							     : VCL_IR_OR,
				       VCL_IR_I1, is_nonzero(L, x, ak),
				       is_nonzero(L, y, ty_elem(n->b->ty))),
			    k);
		else if (is_comparison(n->op))
			out->v[i] =
			    truth(L, lower_compare(L, n->op, ak, x, y), k);
		else
			out->v[i] = lower_arith(L, n, n->op, k, x, y);
	}
	return true;
}

/* v = x and v op= x on a vector lvalue. */
__attribute__((noinline)) static bool
vec_assign(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	struct vlvalue vl;
	if (!lower_vlvalue(L, n->a, &vl))
		return false;
	struct lanes *b = lanes_new(L);
	if (!b)
		return false;
	if (n->op == VCL_T_ASSIGN) {
		if (!lower_lanes(L, n->b, out))
			return false;
	} else {
		vload(L, &vl, out);
		if (!lower_lanes(L, n->b, b))
			return false;
		enum vcl_tok op = vcl_tok_compound_base(n->op);
		for (uint32_t i = 0; i < out->n; i++)
			out->v[i] =
			    lower_arith(L, n, op, (enum vcl_type_kind)n->info,
					out->v[i], b->v[i % b->n]);
	}
	lower_vstore(L, &vl, out);
	return true;
}

/* c ? a : b: a vector c selects per lane on each lane's most significant
 * bit (both sides evaluated, as OpenCL says); a scalar c runs one side,
 * its lanes through slots. */
__attribute__((noinline)) static bool
vec_cond(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	enum vcl_type_kind k = ty_elem(n->ty);
	vcl_ir_type t = kind_type(k);
	if (n->a->ty && n->a->ty->kind == VCL_TY_VECTOR) {
		struct lanes *c = lanes_new(L), *a = lanes_new(L);
		if (!c || !a || !lower_lanes(L, n->a, c) ||
		    !lower_lanes(L, n->b, a) || !lower_lanes(L, n->c, out))
			return false;
		vcl_ir_type ct = kind_type(ty_elem(n->a->ty));
		for (uint32_t i = 0; i < out->n; i++) {
			uint32_t neg = emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_SLT,
						c->v[i], emit_const(L, ct, 0));
			out->v[i] = emit_select(L, t, neg, a->v[i], out->v[i]);
		}
		return true;
	}
	uint32_t c = lower_cond(L, n->a), w = ty_lanes(n->ty);
	uint32_t slots[LANES_MAX];
	for (uint32_t i = 0; i < w; i++)
		slots[i] = new_slot(L, t);
	struct vcl_ir_inst *f = emit(L, VCL_IR_IF, VCL_IR_VOID);
	f->a = c;
	struct vcl_ir_block *saved = L->cur;
	for (int side = 0; side < 2; side++) {
		L->cur = side ? &f->els : &f->then;
		if (!lower_lanes(L, side ? n->c : n->b, out)) {
			L->cur = saved;
			return false;
		}
		for (uint32_t i = 0; i < w; i++) {
			struct vcl_ir_inst *st =
			    emit(L, VCL_IR_STS, VCL_IR_VOID);
			st->imm = slots[i];
			st->a = out->v[i % out->n];
		}
	}
	L->cur = saved;
	out->n = w;
	for (uint32_t i = 0; i < w; i++) {
		struct vcl_ir_inst *ld = emit(L, VCL_IR_LDS, t);
		ld->imm = slots[i];
		out->v[i] = ld->id;
	}
	return true;
}

/* (float4)(a, b.xy, c): the components listed, in order; (float4)(x)
 * and (float4)x splat x. */
__attribute__((noinline)) static bool
vec_literal(struct lower *L, const struct vcl_node *n, struct lanes *out)
{
	enum vcl_type_kind k = ty_elem(n->ty);
	uint32_t w = ty_lanes(n->ty);
	if (n->kind == VCL_N_CAST) {
		if (n->a->ty && n->a->ty->kind == VCL_TY_VECTOR)
			return lower_lanes(L, n->a, out);
		uint32_t v = lower_rvalue(L, n->a);
		splat(out, lower_convert(L, v, ty_elem(n->a->ty), k), w);
		return v != VCL_IR_NONE;
	}
	out->n = 0;
	for (const struct vcl_node *e = n->list; e; e = e->next) {
		struct lanes *part = lanes_new(L);
		if (!part || !lower_lanes(L, e, part))
			return false;
		for (uint32_t i = 0; i < part->n && out->n < LANES_MAX; i++)
			out->v[out->n++] = part->v[i];
	}
	if (out->n == 1)
		splat(out, out->v[0], w);
	return out->n == w;
}

static bool vec_value(struct lower *L, const struct vcl_node *n,
		      struct lanes *out)
{
	out->n = 0;
	if (!n || L->d->full)
		return false;
	enum vcl_type_kind k = ty_elem(n->ty);
	/* an lvalue, or a vector member of a struct value (f().v) */
	if ((n->lvalue && n->kind != VCL_N_ASSIGN) ||
	    (n->kind == VCL_N_MEMBER && is_record(n->a->ty))) {
		struct vlvalue vl;
		if (!lower_vlvalue(L, n, &vl))
			return false;
		vload(L, &vl, out);
		return true;
	}
	switch (n->kind) {
	case VCL_N_CONVERT:
		if (n->info == VCL_CV_SPLAT) {
			uint32_t v = lower_rvalue(L, n->a);
			splat(out, v, ty_lanes(n->ty));
			return v != VCL_IR_NONE;
		}
		if (!lower_lanes(L, n->a, out))
			return false;
		for (uint32_t i = 0; i < out->n; i++)
			out->v[i] =
			    lower_convert(L, out->v[i], ty_elem(n->a->ty), k);
		return true;
	case VCL_N_CAST:
	case VCL_N_CAST_LIST:
		return vec_literal(L, n, out);
	case VCL_N_MEMBER: {
		struct lanes *v = lanes_new(L);
		if (!v || !lower_lanes(L, n->a, v))
			return false;
		out->n = n->info;
		for (uint32_t i = 0; i < out->n; i++)
			out->v[i] = v->v[vcl_swizzle_at(n, i) % v->n];
		return true;
	}
	case VCL_N_UNARY:
	case VCL_N_POSTFIX:
		return vec_unary(L, n, out);
	case VCL_N_BINARY:
		return vec_binary(L, n, out);
	case VCL_N_COMMA:
		lower_rvalue(L, n->a);
		return lower_lanes(L, n->b, out);
	case VCL_N_ASSIGN:
		return vec_assign(L, n, out);
	case VCL_N_COND:
		return vec_cond(L, n, out);
	case VCL_N_CALL:
		return lower_vector_call(L, n, out);
	default:
		break;
	}
	lower_error(L, n, "not lowered yet: this vector expression");
	return false;
}

/* vloadN(offset, p) and vstoreN(data, offset, p): N elements from
 * p + offset * N (vload3 too: 3 elements at offset * 3). */
static bool vload_vstore(struct lower *L, const struct vcl_node *n,
			 struct lanes *out)
{
	bool is_load = VCL_CALL_KIND(n->info) == VCL_CALL_VLOAD;
	const struct vcl_node *data = is_load ? NULL : n->list;
	const struct vcl_node *off = is_load ? n->list : n->list->next;
	const struct vcl_node *p = off ? off->next : NULL;
	if (!p || !p->ty || p->ty->kind != VCL_TY_POINTER)
		return false;
	uint32_t w = ty_lanes(is_load ? n->ty : data->ty);
	bool half = p->ty->base->kind == VCL_TY_HALF; /* as 16-bit words */
	vcl_ir_type et = half ? VCL_IR_I16 : kind_type(p->ty->base->kind);
	struct lanes *d = lanes_new(L);
	if (!d || (data && !lower_lanes(L, data, d)))
		return false;
	uint32_t o =
	    lower_convert(L, lower_rvalue(L, off), off->ty->kind, VCL_TY_LONG);
	uint32_t pv = lower_rvalue(L, p);
	vcl_ir_type pt = lower_type(L, p->ty, p);
	if (et == VCL_IR_NONE || pt == VCL_IR_NONE) {
		lower_error(L, n, "not lowered yet: this vload or vstore");
		return false;
	}
	uint32_t esize = vcl_ir_type_size(et);
	uint32_t bytes = emit_value(L, VCL_IR_MUL, VCL_IR_I64, o,
				    emit_const(L, VCL_IR_I64, w * esize));
	uint32_t base = emit_value(L, VCL_IR_PTRADD, pt, pv, bytes);
	out->n = is_load ? w : 0;
	for (uint32_t i = 0; i < w; i++) {
		if (is_load) {
			out->v[i] = lower_load_at(L, base, pt, i * esize, et);
			if (half)
				out->v[i] = lower_half_to_float(L, out->v[i]);
		} else {
			uint32_t v = d->v[i];
			if (half)
				v = lower_float_to_half(
				    L, v, VCL_CALL_ROUNDING(n->info));
			lower_store_at(L, base, pt, i * esize, et, v);
		}
	}
	if (!is_load)
		out->v[0] = VCL_IR_NONE;
	return true;
}

bool lower_vector_call(struct lower *L, const struct vcl_node *n,
		       struct lanes *out)
{
	out->n = 0;
	switch (VCL_CALL_KIND(n->info)) {
	case VCL_CALL_USER: {
		uint32_t ret =
		    lower_memory_slot(L, n->ty->size, n->ty->align, n);
		lower_user_call(L, n, VCL_IR_VOID, ret);
		struct vlvalue vl = {
		    .ptr = ret,
		    .pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE),
		    .et = kind_type(ty_elem(n->ty)),
		    .n = ty_lanes(n->ty)};
		for (uint32_t i = 0; i < vl.n; i++)
			vl.lane[i] = (uint8_t)i;
		vload(L, &vl, out);
		return ret != VCL_IR_NONE;
	}
	case VCL_CALL_BUILTIN:
		return lower_builtin_lanes(
		    L, n, vcl_builtin_name(VCL_CALL_BUILTIN(n->info)), out);
	case VCL_CALL_CONVERT:
		return lower_convert_call(L, n, out);
	case VCL_CALL_AS:
		return lower_as_call(L, n, out);
	case VCL_CALL_VLOAD:
	case VCL_CALL_VSTORE:
		return vload_vstore(L, n, out);
	default:
		lower_error(L, n, "not lowered yet: this call");
		return false;
	}
}
