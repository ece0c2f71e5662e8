/* Lowering expressions: lvalues (struct members at byte offsets), loads
 * and stores, operators in the type the checker chose, conversions
 * (VCL_N_CONVERT and casts), struct copies, calls of user functions,
 * work-item functions, barrier, the fences and atomics; vector values go
 * to ir_lower_vec.c, the other built-ins to ir_lower_builtin.c. */
#include <string.h>

#include "ir_lower.h"

uint64_t lower_float_bits(vcl_ir_type t, double v)
{
	if (t != VCL_IR_F32 && t != VCL_IR_F64)
		return (uint64_t)(int64_t)v;
	if (t == VCL_IR_F32) {
		float f = (float)v;
		uint32_t b;
		memcpy(&b, &f, 4);
		return b;
	}
	uint64_t b;
	memcpy(&b, &v, 8);
	return b;
}

/* A scalar of kind `from` to kind `to`. */
uint32_t lower_convert(struct lower *L, uint32_t v, enum vcl_type_kind from,
		       enum vcl_type_kind to)
{
	vcl_ir_type ft = kind_type(from), tt = kind_type(to);
	if (ft == VCL_IR_NONE || tt == VCL_IR_NONE || from == to)
		return v;
	if (to == VCL_TY_BOOL) {
		/* != 0, true on NaN as C says */
		uint32_t zero = emit_const(L, ft, lower_float_bits(ft, 0));
		struct vcl_ir_inst *i = emit(
		    L, kind_float(from) ? VCL_IR_FCMP : VCL_IR_ICMP, VCL_IR_I1);
		i->imm = kind_float(from) ? VCL_FCMP_UNE : VCL_ICMP_NE;
		i->a = v;
		i->b = zero;
		return i->id;
	}
	enum vcl_ir_op op;
	if (kind_float(from) && kind_float(to))
		op = to == VCL_TY_DOUBLE ? VCL_IR_FPEXT : VCL_IR_FPTRUNC;
	else if (kind_float(from))
		op = kind_signed(to) ? VCL_IR_FPTOSI : VCL_IR_FPTOUI;
	else if (kind_float(to))
		op = kind_signed(from) ? VCL_IR_SITOFP : VCL_IR_UITOFP;
	else if (ft == tt)
		return v;
	else if (vcl_ir_type_size(tt) < vcl_ir_type_size(ft) || tt == VCL_IR_I1)
		op = VCL_IR_TRUNC;
	else
		op = kind_signed(from) ? VCL_IR_SEXT : VCL_IR_ZEXT;
	return emit_value(L, op, tt, v, VCL_IR_NONE);
}

static uint32_t rvalue(struct lower *L, const struct vcl_node *n);

/* The pointer p advanced by `index` elements of `size` bytes. */
static uint32_t advance(struct lower *L, uint32_t p, vcl_ir_type pt,
			uint32_t index, uint64_t size, bool negate)
{
	uint32_t bytes = emit_value(L, VCL_IR_MUL, VCL_IR_I64, index,
				    emit_const(L, VCL_IR_I64, size));
	if (negate)
		bytes = emit_value(L, VCL_IR_SUB, VCL_IR_I64,
				   emit_const(L, VCL_IR_I64, 0), bytes);
	return emit_value(L, VCL_IR_PTRADD, pt, p, bytes);
}

static bool is_aggregate(const struct vcl_ty *t)
{
	return t->kind == VCL_TY_ARRAY || t->kind == VCL_TY_VECTOR ||
	       t->kind == VCL_TY_STRUCT || t->kind == VCL_TY_UNION;
}

/* s.m, p->m (members at their byte offsets) and v.x (one lane). */
__attribute__((noinline)) static bool
member_lvalue(struct lower *L, const struct vcl_node *n, struct lvalue *lv)
{
	lv->memory = true;
	const struct vcl_ty *bt = n->a->ty;
	if (n->kind == VCL_N_MEMBER && bt && bt->kind == VCL_TY_VECTOR) {
		struct vlvalue vl;
		if (!lower_vlvalue(L, n->a, &vl))
			return false;
		lv->ptr = lower_offset(L, vl.ptr, vl.pt,
				       (uint64_t)vl.lane[vcl_swizzle_at(n, 0)] *
					   vcl_ir_type_size(vl.et));
		return true;
	}
	uint32_t base;
	vcl_ir_type pt;
	if (n->kind == VCL_N_ARROW) {
		base = rvalue(L, n->a);
		pt = lower_type(L, bt, n->a);
		bt = bt ? bt->base : NULL;
	} else if (!n->a->lvalue) {
		/* a member of a struct value: f().m */
		if (!lower_struct_ptr(L, n->a, &base, &pt))
			return false;
	} else {
		struct lvalue b;
		if (!lower_lvalue(L, n->a, &b))
			return false;
		base = b.ptr;
		pt = lvalue_pointer(&b);
	}
	if (!bt || !bt->record || n->info >= bt->record->nfields ||
	    pt == VCL_IR_NONE)
		return false;
	const struct vcl_field *f = &bt->record->fields[n->info];
	if (f->type->kind == VCL_TY_POINTER) {
		lower_error(L, n,
			    "not lowered yet: pointer members (a pointer is "
			    "never in memory)");
		return false;
	}
	lv->ptr = lower_offset(L, base, pt, f->offset);
	return true;
}

bool lower_lvalue(struct lower *L, const struct vcl_node *n, struct lvalue *lv)
{
	memset(lv, 0, sizeof(*lv));
	lv->ty = n->ty;
	lv->type = VCL_IR_NONE;
	if (n->ty && !is_aggregate(n->ty)) {
		lv->type = lower_type(L, n->ty, n);
		if (lv->type == VCL_IR_NONE)
			return false;
	}
	switch (n->kind) {
	case VCL_N_IDENT: {
		const struct vcl_sym *s = n->sym;
		const struct var *v = NULL;
		if (s && s->kind == VCL_SYM_VAR && s->scope == 0) {
			for (uint32_t k = 0; k < L->prog->nglobals; k++)
				if (L->prog->globals[k] == s)
					v = &L->gvars[k];
		} else if (s && s->kind == VCL_SYM_VAR && s->index < L->nvars)
			v = &L->vars[s->index];
		else if (s && s->kind == VCL_SYM_PARAM &&
			 s->index < L->f->nparams)
			v = &L->params[s->index];
		if (!v || v->kind == VAR_NONE) {
			lower_error(L, n, "not lowered yet: this variable");
			return false;
		}
		if (v->kind == VAR_SCALAR) {
			lv->slot = v->index;
			return true;
		}
		if (v->kind == VAR_VALUE) {
			lower_error(L, n,
				    "not lowered yet: '&' of a parameter");
			return false;
		}
		if (v->kind == VAR_AT) {
			lv->memory = true;
			lv->ptr = v->index;
			return true;
		}
		lv->memory = true;
		/* a __constant variable is a private copy reached through a
		 * read-only pointer: ptr.constant, as the source says */
		enum vcl_addr_space sp =
		    v->kind == VAR_LOCAL ? VCL_AS_LOCAL
		    : s->type && s->type->space == VCL_AS_CONSTANT
			? VCL_AS_CONSTANT
			: VCL_AS_PRIVATE;
		struct vcl_ir_inst *i =
		    emit(L, v->kind == VAR_LOCAL ? VCL_IR_LOCAL : VCL_IR_SLOT,
			 VCL_IR_TYPE(VCL_IR_PTR, 0, sp));
		i->imm = v->index;
		lv->ptr = i->id;
		return true;
	}
	case VCL_N_UNARY:
		if (n->op != VCL_T_STAR)
			break;
		lv->memory = true;
		lv->ptr = rvalue(L, n->a);
		return lv->ptr != VCL_IR_NONE;
	case VCL_N_INDEX: {
		const struct vcl_node *p = n->a, *i = n->b;
		if (!p->ty || p->ty->kind != VCL_TY_POINTER) {
			p = n->b;
			i = n->a;
		}
		vcl_ir_type pt = lower_type(L, p->ty, p);
		uint32_t pv;
		if (p->kind == VCL_N_CONVERT && p->info == VCL_CV_DECAY) {
			/* an array's element */
			struct lvalue a;
			if (!lower_lvalue(L, p->a, &a))
				return false;
			pv = a.ptr;
			pt = lvalue_pointer(&a);
		} else {
			pv = rvalue(L, p);
		}
		uint32_t iv = rvalue(L, i);
		if (pt == VCL_IR_NONE || !p->ty->base)
			return false;
		lv->memory = true;
		lv->ptr = advance(L, pv, pt, iv, p->ty->base->size, false);
		return true;
	}
	case VCL_N_MEMBER:
	case VCL_N_ARROW:
		return member_lvalue(L, n, lv);
	default:
		break;
	}
	lower_error(L, n, "not lowered yet: this lvalue");
	return false;
}

/* A checked pointer for an access of lv's whole type. */
vcl_ir_type lvalue_pointer(const struct lvalue *lv)
{
	return pointer_to(lv->ty);
}

static uint32_t checked(struct lower *L, const struct lvalue *lv)
{
	struct vcl_ir_inst *c = emit(L, VCL_IR_CHECK, lvalue_pointer(lv));
	c->a = lv->ptr;
	c->imm = vcl_ir_type_size(lv->type);
	c->imm2 = lv->ty && lv->ty->align ? lv->ty->align : c->imm;
	return c->id;
}

static uint32_t load(struct lower *L, const struct lvalue *lv)
{
	if (!lv->memory) {
		struct vcl_ir_inst *i = emit(L, VCL_IR_LDS, lv->type);
		i->imm = lv->slot;
		return i->id;
	}
	return emit_value(L, VCL_IR_LOAD, lv->type, checked(L, lv),
			  VCL_IR_NONE);
}

static void store(struct lower *L, const struct lvalue *lv, uint32_t v)
{
	if (!lv->memory) {
		struct vcl_ir_inst *i = emit(L, VCL_IR_STS, VCL_IR_VOID);
		i->imm = lv->slot;
		i->a = v;
		return;
	}
	emit_value(L, VCL_IR_STORE, VCL_IR_VOID, checked(L, lv), v);
}

/* The product value v is, when lower_arith made it for an operand of at
 * (so in at's expression, as C's contraction asks), else NULL. */
static const struct product *product_of(const struct lower *L,
					const struct vcl_node *at, uint32_t v)
{
	const struct product *p = &L->products[v % PRODUCTS];
	return p->node && p->id == v && (p->node == at->a || p->node == at->b)
		   ? p
		   : NULL;
}

/* a + b or a - b with a or b a product x * y of at's operands, as one
 * `intrin mad` (llvm.fmuladd: fused where the CPU has an FMA, as clang
 * does for OpenCL); VCL_IR_NONE when neither is one. */
static uint32_t contract(struct lower *L, const struct vcl_node *at, bool minus,
			 vcl_ir_type t, uint32_t a, uint32_t b)
{
	const struct product *p = product_of(L, at, a);
	uint32_t x[3];
	if (p) { /* x * y + b, x * y - b */
		x[0] = p->x;
		x[1] = p->y;
		x[2] =
		    minus ? emit_value(L, VCL_IR_FNEG, t, b, VCL_IR_NONE) : b;
	} else if ((p = product_of(L, at, b))) { /* a + x * y, a - x * y */
		x[0] = minus ? emit_value(L, VCL_IR_FNEG, t, p->x, VCL_IR_NONE)
			     : p->x;
		x[1] = p->y;
		x[2] = a;
	} else {
		return VCL_IR_NONE;
	}
	return lower_intrin(L, t, "mad", x, 3);
}

/* a OP b in the scalar kind k (both operands of that kind). */
uint32_t lower_arith(struct lower *L, const struct vcl_node *at,
		     enum vcl_tok op, enum vcl_type_kind k, uint32_t a,
		     uint32_t b)
{
	bool f = kind_float(k), s = kind_signed(k);
	bool fuse = f && !(at->flags & VCL_E_NO_CONTRACT);
	enum vcl_ir_op o;
	switch (op) {
	case VCL_T_PLUS:
	case VCL_T_MINUS:
		if (fuse) {
			uint32_t r = contract(L, at, op == VCL_T_MINUS,
					      kind_type(k), a, b);
			if (r != VCL_IR_NONE)
				return r;
		}
		o = op == VCL_T_PLUS ? f ? VCL_IR_FADD : VCL_IR_ADD
		    : f		     ? VCL_IR_FSUB
				     : VCL_IR_SUB;
		break;
	case VCL_T_STAR:
		o = f ? VCL_IR_FMUL : VCL_IR_MUL;
		if (fuse) {
			uint32_t v = emit_value(L, o, kind_type(k), a, b);
			L->products[v % PRODUCTS] =
			    (struct product){v, a, b, at};
			return v;
		}
		break;
	case VCL_T_SLASH:
		o = f ? VCL_IR_FDIV : s ? VCL_IR_SDIV : VCL_IR_UDIV;
		break;
	case VCL_T_PERCENT:
		o = f ? VCL_IR_FREM : s ? VCL_IR_SREM : VCL_IR_UREM;
		break;
	case VCL_T_AMP:
		o = VCL_IR_AND;
		break;
	case VCL_T_PIPE:
		o = VCL_IR_OR;
		break;
	case VCL_T_CARET:
		o = VCL_IR_XOR;
		break;
	case VCL_T_SHL:
		o = VCL_IR_SHL;
		break;
	case VCL_T_SHR:
		o = s ? VCL_IR_ASHR : VCL_IR_LSHR;
		break;
	default:
		lower_error(L, at, "not lowered yet: operator '%s'",
			    vcl_tok_spelling(op));
		return VCL_IR_NONE;
	}
	return emit_value(L, o, kind_type(k), a, b);
}

/* Copies an object of type t from src to dst (pointers to objects of
 * those types), in units of its alignment up to 8 bytes: memory holds
 * bytes, so a union's copy is exact too. */
void lower_copy(struct lower *L, const struct vcl_node *at, uint32_t dst,
		vcl_ir_type dpt, uint32_t src, vcl_ir_type spt,
		const struct vcl_ty *dt)
{
	uint32_t unit = dt->align > 8 ? 8 : dt->align ? dt->align : 1;
	lower_words(L, at, dst, dpt, src, spt, dt->size / unit, unit);
}

/* a = b on structs: b's bytes copied; the destination's memory. */
__attribute__((noinline)) static bool struct_assign(struct lower *L,
						    const struct vcl_node *n,
						    uint32_t *ptr,
						    vcl_ir_type *pt)
{
	struct lvalue d;
	uint32_t src;
	vcl_ir_type spt;
	if (!lower_lvalue(L, n->a, &d) ||
	    !lower_struct_ptr(L, n->b, &src, &spt))
		return false;
	*ptr = d.ptr;
	*pt = lvalue_pointer(&d);
	lower_copy(L, n, d.ptr, *pt, src, spt, n->a->ty);
	return true;
}

bool lower_struct_ptr(struct lower *L, const struct vcl_node *n, uint32_t *ptr,
		      vcl_ir_type *pt)
{
	while (n && n->kind == VCL_N_CONVERT)
		n = n->a;
	if (!n || L->d->full)
		return false;
	if (n->kind == VCL_N_ASSIGN)
		return struct_assign(L, n, ptr, pt);
	if (n->kind == VCL_N_COMMA ||
	    (n->kind == VCL_N_BINARY && n->op == VCL_T_COMMA)) {
		rvalue(L, n->a);
		return lower_struct_ptr(L, n->b, ptr, pt);
	}
	if (n->kind == VCL_N_CALL && VCL_CALL_KIND(n->info) == VCL_CALL_USER) {
		/* the result goes through a slot the caller gives */
		*ptr = lower_memory_slot(L, n->ty->size, n->ty->align, n);
		*pt = VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE);
		lower_user_call(L, n, VCL_IR_VOID, *ptr);
		return *ptr != VCL_IR_NONE;
	}
	struct lvalue lv;
	if (!n->lvalue) {
		lower_error(L, n, "not lowered yet: this struct value");
		return false;
	}
	if (!lower_lvalue(L, n, &lv))
		return false;
	*ptr = lv.ptr;
	*pt = lvalue_pointer(&lv);
	return true;
}

__attribute__((noinline)) static uint32_t assign(struct lower *L,
						 const struct vcl_node *n)
{
	struct lvalue lv;
	if (!lower_lvalue(L, n->a, &lv))
		return VCL_IR_NONE;
	uint32_t b = rvalue(L, n->b);
	if (n->op == VCL_T_ASSIGN) {
		store(L, &lv, b);
		return b;
	}
	uint32_t cur = load(L, &lv), r;
	enum vcl_type_kind k = (enum vcl_type_kind)n->info, lk = n->a->ty->kind;
	enum vcl_tok op = vcl_tok_compound_base(n->op);
	if (k == VCL_TY_POINTER) {
		r = advance(L, cur, lv.type, b, n->a->ty->base->size,
			    op == VCL_T_MINUS);
	} else {
		if (op == VCL_T_SHL || op == VCL_T_SHR)
			b = lower_convert(L, b, n->b->ty->kind, k);
		r = lower_convert(
		    L,
		    lower_arith(L, n, op, k, lower_convert(L, cur, lk, k), b),
		    k, lk);
	}
	store(L, &lv, r);
	return r;
}

/* ++ and -- (prefix or postfix). */
__attribute__((noinline)) static uint32_t step(struct lower *L,
					       const struct vcl_node *n)
{
	struct lvalue lv;
	if (!lower_lvalue(L, n->a, &lv))
		return VCL_IR_NONE;
	uint32_t cur = load(L, &lv), r;
	bool dec = n->op == VCL_T_DEC;
	enum vcl_type_kind k = n->a->ty->kind;
	if (k == VCL_TY_POINTER) {
		r = advance(L, cur, lv.type, emit_const(L, VCL_IR_I64, 1),
			    n->a->ty->base->size, dec);
	} else if (k == VCL_TY_BOOL) {
		lower_error(L, n, "not lowered yet: ++ and -- on bool");
		return VCL_IR_NONE;
	} else {
		vcl_ir_type t = kind_type(k);
		uint32_t one = emit_const(L, t, lower_float_bits(t, 1));
		r = lower_arith(L, n, dec ? VCL_T_MINUS : VCL_T_PLUS, k, cur,
				one);
	}
	store(L, &lv, r);
	return n->kind == VCL_N_POSTFIX ? cur : r;
}

static bool is_comparison(enum vcl_tok op)
{
	return op == VCL_T_LT || op == VCL_T_GT || op == VCL_T_LE ||
	       op == VCL_T_GE || op == VCL_T_EQ || op == VCL_T_NE;
}

uint32_t lower_compare(struct lower *L, enum vcl_tok op, enum vcl_type_kind k,
		       uint32_t a, uint32_t b)
{
	bool f = kind_float(k), s = kind_signed(k);
	uint64_t p;
	switch (op) {
	case VCL_T_EQ:
		p = f ? VCL_FCMP_OEQ : VCL_ICMP_EQ;
		break;
	case VCL_T_NE:
		p = f ? VCL_FCMP_UNE : VCL_ICMP_NE;
		break;
	case VCL_T_LT:
		p = f ? VCL_FCMP_OLT : s ? VCL_ICMP_SLT : VCL_ICMP_ULT;
		break;
	case VCL_T_LE:
		p = f ? VCL_FCMP_OLE : s ? VCL_ICMP_SLE : VCL_ICMP_ULE;
		break;
	case VCL_T_GT:
		p = f ? VCL_FCMP_OGT : s ? VCL_ICMP_SGT : VCL_ICMP_UGT;
		break;
	default:
		p = f ? VCL_FCMP_OGE : s ? VCL_ICMP_SGE : VCL_ICMP_UGE;
	}
	struct vcl_ir_inst *i =
	    emit(L, f ? VCL_IR_FCMP : VCL_IR_ICMP, VCL_IR_I1);
	i->imm = p;
	i->a = a;
	i->b = b;
	return i->id;
}

/* A comparison as an i1. */
__attribute__((noinline)) static uint32_t compare(struct lower *L,
						  const struct vcl_node *n)
{
	enum vcl_type_kind k = n->a->ty ? n->a->ty->kind : VCL_TY_VOID;
	uint32_t a = rvalue(L, n->a), b = rvalue(L, n->b);
	if (k == VCL_TY_POINTER) {
		/* ptrcmp takes icmp's signed predicates: offsets as signed */
		static const struct {
			enum vcl_tok op;
			enum vcl_ir_icmp pred;
		} preds[] = {
		    {VCL_T_EQ, VCL_ICMP_EQ},  {VCL_T_NE, VCL_ICMP_NE},
		    {VCL_T_LT, VCL_ICMP_SLT}, {VCL_T_LE, VCL_ICMP_SLE},
		    {VCL_T_GT, VCL_ICMP_SGT}, {VCL_T_GE, VCL_ICMP_SGE}};
		size_t p = 0;
		while (p + 1 < sizeof(preds) / sizeof(preds[0]) &&
		       preds[p].op != n->op)
			p++;
		return emit_cmp(L, VCL_IR_PTRCMP, preds[p].pred, a, b);
	}
	if (kind_type(k) == VCL_IR_NONE) {
		lower_error(L, n, "not lowered yet: this comparison");
		return VCL_IR_NONE;
	}
	return lower_compare(L, n->op, k, a, b);
}

/* Stores v into slot s inside block b. */
static void store_in(struct lower *L, struct vcl_ir_block *b, uint32_t s,
		     const struct vcl_node *n, bool as_cond)
{
	struct vcl_ir_block *saved = L->cur;
	L->cur = b;
	uint32_t v = as_cond ? lower_cond(L, n) : rvalue(L, n);
	struct vcl_ir_inst *i = emit(L, VCL_IR_STS, VCL_IR_VOID);
	i->imm = s;
	i->a = v;
	L->cur = saved;
}

/* && and || as an i1, the right side in a region through a slot. */
__attribute__((noinline)) static uint32_t logical(struct lower *L,
						  const struct vcl_node *n)
{
	uint32_t s = new_slot(L, VCL_IR_I1);
	uint32_t a = lower_cond(L, n->a);
	struct vcl_ir_inst *st = emit(L, VCL_IR_STS, VCL_IR_VOID);
	st->imm = s;
	st->a = a;
	struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = a;
	store_in(L, n->op == VCL_T_ANDAND ? &i->then : &i->els, s, n->b, true);
	struct vcl_ir_inst *ld = emit(L, VCL_IR_LDS, VCL_IR_I1);
	ld->imm = s;
	return ld->id;
}

__attribute__((noinline)) static uint32_t conditional(struct lower *L,
						      const struct vcl_node *n)
{
	uint32_t c = lower_cond(L, n->a);
	vcl_ir_type t = n->ty && n->ty->kind == VCL_TY_VOID
			    ? VCL_IR_VOID
			    : lower_type(L, n->ty, n);
	if (t == VCL_IR_NONE)
		return VCL_IR_NONE;
	struct vcl_ir_inst *i = emit(L, VCL_IR_IF, VCL_IR_VOID);
	i->a = c;
	if (t == VCL_IR_VOID) {
		struct vcl_ir_block *saved = L->cur;
		L->cur = &i->then;
		rvalue(L, n->b);
		L->cur = &i->els;
		rvalue(L, n->c);
		L->cur = saved;
		return VCL_IR_NONE;
	}
	uint32_t s = new_slot(L, t);
	store_in(L, &i->then, s, n->b, false);
	store_in(L, &i->els, s, n->c, false);
	struct vcl_ir_inst *ld = emit(L, VCL_IR_LDS, t);
	ld->imm = s;
	return ld->id;
}

static const char *const wi_funcs[VCL_WI_COUNT] = {
    "get_global_id",  "get_local_id",	"get_group_id",	     "get_global_size",
    "get_local_size", "get_num_groups", "get_global_offset", "get_work_dim"};

static const struct {
	const char *name;
	enum vcl_ir_atomic op;
	int operands; /* 0: inc/dec (1 implied), 1, 2: cmpxchg */
} atomics[] = {
    {"add", VCL_AT_ADD, 1},   {"sub", VCL_AT_SUB, 1},
    {"xchg", VCL_AT_XCHG, 1}, {"cmpxchg", VCL_AT_CMPXCHG, 2},
    {"min", VCL_AT_SMIN, 1},  {"max", VCL_AT_SMAX, 1},
    {"and", VCL_AT_AND, 1},   {"or", VCL_AT_OR, 1},
    {"xor", VCL_AT_XOR, 1},   {"inc", VCL_AT_ADD, 0},
    {"dec", VCL_AT_SUB, 0},
};

/* atomic_OP(p, ...) and atom_OP(p, ...); false when name is no atomic. */
static bool atomic(struct lower *L, const struct vcl_node *n, vcl_ir_type t,
		   const char *name, uint32_t *result)
{
	if (strncmp(name, "atomic_", 7) == 0)
		name += 7;
	else if (strncmp(name, "atom_", 5) == 0)
		name += 5;
	else
		return false;
	size_t k = 0, count = sizeof(atomics) / sizeof(*atomics);
	while (k < count && strcmp(name, atomics[k].name) != 0)
		k++;
	const struct vcl_node *p = n->list;
	if (k == count || !p || !p->ty || p->ty->kind != VCL_TY_POINTER)
		return false;
	struct lvalue lv = {.memory = true, .type = t, .ty = p->ty->base};
	lv.ptr = rvalue(L, p);
	uint32_t b, c = VCL_IR_NONE;
	if (atomics[k].operands == 0) {
		b = emit_const(L, t, 1);
	} else {
		b = rvalue(L, p->next);
		if (atomics[k].operands == 2) {
			c = b; /* atomic_cmpxchg(p, cmp, val) */
			b = rvalue(L, p->next ? p->next->next : NULL);
		}
	}
	enum vcl_ir_atomic op = atomics[k].op;
	if (p->ty->base->kind == VCL_TY_UINT && op == VCL_AT_SMIN)
		op = VCL_AT_UMIN;
	if (p->ty->base->kind == VCL_TY_UINT && op == VCL_AT_SMAX)
		op = VCL_AT_UMAX;
	uint32_t cp = checked(L, &lv);
	struct vcl_ir_inst *i = emit(L, VCL_IR_ATOMIC, t);
	i->imm = op;
	i->a = cp;
	i->b = b;
	i->c = c;
	*result = i->id;
	return true;
}

static uint32_t builtin(struct lower *L, const struct vcl_node *n,
			vcl_ir_type t)
{
	const char *name = vcl_builtin_name(VCL_CALL_BUILTIN(n->info));
	for (int w = 0; w < VCL_WI_COUNT; w++) {
		if (strcmp(name, wi_funcs[w]) != 0)
			continue;
		uint32_t dim =
		    n->list ? rvalue(L, n->list) : emit_const(L, VCL_IR_I32, 0);
		struct vcl_ir_inst *i = emit(L, VCL_IR_WI, t);
		i->imm = (uint64_t)w;
		i->a = dim;
		return i->id;
	}
	if (strcmp(name, "barrier") == 0) {
		/* The fences as a constant; both when not one. */
		const struct vcl_node *a = n->list;
		while (a && a->kind == VCL_N_CONVERT)
			a = a->a;
		uint64_t flags = a && a->kind == VCL_N_INT ? a->lit.u.i : 3;
		if (!(a && a->kind == VCL_N_INT))
			rvalue(L, n->list);
		emit(L, VCL_IR_BARRIER, VCL_IR_VOID)->imm = flags & 3;
		return VCL_IR_NONE;
	}
	/* Work-items of a group run on one thread in order: a fence orders
	 * nothing more than program order already does. */
	if (strcmp(name, "mem_fence") == 0 ||
	    strcmp(name, "read_mem_fence") == 0 ||
	    strcmp(name, "write_mem_fence") == 0) {
		rvalue(L, n->list);
		return VCL_IR_NONE;
	}
	uint32_t r;
	if (atomic(L, n, t, name, &r))
		return r;
	struct lanes *out = lanes_new(L);
	return out && lower_builtin_lanes(L, n, name, out) ? out->v[0]
							   : VCL_IR_NONE;
}

/* A call of a user function: vector arguments as their lanes, a vector
 * result through ret, a pointer to private memory passed first. */
uint32_t lower_user_call(struct lower *L, const struct vcl_node *n,
			 vcl_ir_type t, uint32_t ret)
{
	int64_t f = n->sym ? lower_callee(L, n->sym, n) : -1;
	if (f < 0)
		return VCL_IR_NONE;
	uint32_t k = ret != VCL_IR_NONE;
	for (const struct vcl_node *a = n->list; a; a = a->next)
		k += ty_lanes(a->ty);
	uint32_t *args = vcl_ir_alloc(L->m, sizeof(*args) * (k + 1));
	if (!args) {
		lower_error(L, n, "out of memory");
		return VCL_IR_NONE;
	}
	k = 0;
	if (ret != VCL_IR_NONE)
		args[k++] = ret;
	for (const struct vcl_node *a = n->list; a; a = a->next) {
		if (is_record(a->ty)) {
			/* a pointer to a copy the callee may change */
			uint32_t src, copy;
			vcl_ir_type spt;
			if (!lower_struct_ptr(L, a, &src, &spt))
				return VCL_IR_NONE;
			copy =
			    lower_memory_slot(L, a->ty->size, a->ty->align, a);
			lower_copy(L, a, copy,
				   VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_PRIVATE),
				   src, spt, a->ty);
			args[k++] = copy;
		} else if (a->ty && a->ty->kind == VCL_TY_VECTOR) {
			struct lanes *v = lanes_new(L);
			if (!v || !lower_lanes(L, a, v))
				return VCL_IR_NONE;
			for (uint32_t j = 0; j < v->n; j++)
				args[k++] = v->v[j];
		} else {
			args[k++] = rvalue(L, a);
		}
	}
	struct vcl_ir_inst *i = emit(L, VCL_IR_CALL, t);
	i->imm = (uint64_t)f;
	i->args = args;
	i->nargs = k;
	return i->id;
}

__attribute__((noinline)) static uint32_t call(struct lower *L,
					       const struct vcl_node *n)
{
	vcl_ir_type t = n->ty && n->ty->kind == VCL_TY_VOID
			    ? VCL_IR_VOID
			    : lower_type(L, n->ty, n);
	if (t == VCL_IR_NONE)
		return VCL_IR_NONE;
	switch (VCL_CALL_KIND(n->info)) {
	case VCL_CALL_USER:
		return lower_user_call(L, n, t, VCL_IR_NONE);
	case VCL_CALL_BUILTIN:
		return builtin(L, n, t);
	case VCL_CALL_VEC_STEP:
		return emit_const(L, t, (uint64_t)n->value);
	default: {
		struct lanes *out = lanes_new(L);
		return out && lower_vector_call(L, n, out) ? out->v[0]
							   : VCL_IR_NONE;
	}
	}
}

static uint32_t literal(struct lower *L, const struct vcl_node *n,
			vcl_ir_type t)
{
	if (n->kind == VCL_N_FLOAT)
		return emit_const(L, t, lower_float_bits(t, n->lit.u.f));
	if (n->kind == VCL_N_INT)
		return emit_const(L, t, n->lit.u.i);
	return emit_const(L, t, (uint64_t)n->value);
}

static uint32_t zext_bool(struct lower *L, uint32_t v, vcl_ir_type t)
{
	return emit_value(L, VCL_IR_ZEXT, t, v, VCL_IR_NONE);
}

static uint32_t null_pointer(struct lower *L, vcl_ir_type t)
{
	return emit_value(L, VCL_IR_NULLPTR, t, VCL_IR_NONE, VCL_IR_NONE);
}

/* p != NULL, an i1. */
static uint32_t pointer_bool(struct lower *L, const struct vcl_node *n)
{
	vcl_ir_type t = lower_type(L, n->ty, n);
	uint32_t p = rvalue(L, n);
	if (t == VCL_IR_NONE || p == VCL_IR_NONE)
		return VCL_IR_NONE;
	return emit_cmp(L, VCL_IR_PTRCMP, VCL_ICMP_NE, p, null_pointer(L, t));
}

__attribute__((noinline)) static uint32_t convert_node(struct lower *L,
						       const struct vcl_node *n)
{
	switch ((enum vcl_conv)n->info) {
	case VCL_CV_ARITH:
		if (n->ty->kind == VCL_TY_BOOL)
			return lower_cond(L, n);
		return lower_convert(L, rvalue(L, n->a), n->a->ty->kind,
				     n->ty->kind);
	case VCL_CV_DECAY: {
		struct lvalue lv;
		if (!lower_lvalue(L, n->a, &lv) || !lv.memory)
			return VCL_IR_NONE;
		return lv.ptr;
	}
	case VCL_CV_PTR:
		return rvalue(L, n->a);
	case VCL_CV_NULL:
		return null_pointer(L, lower_type(L, n->ty, n));
	case VCL_CV_PTR_BOOL:
		return pointer_bool(L, n->a);
	default:
		lower_error(L, n, "not lowered yet: this conversion");
		return VCL_IR_NONE;
	}
}

/* Kept out of line, as the other cases holding an lvalue: rvalue recurses
 * as deep as the tree, so its own frame must stay small (ASan's too). */
__attribute__((noinline)) static uint32_t load_lvalue(struct lower *L,
						      const struct vcl_node *n)
{
	struct lvalue lv;
	return lower_lvalue(L, n, &lv) ? load(L, &lv) : VCL_IR_NONE;
}

__attribute__((noinline)) static uint32_t address_of(struct lower *L,
						     const struct vcl_node *n)
{
	struct lvalue lv;
	if (!lower_lvalue(L, n->a, &lv))
		return VCL_IR_NONE;
	if (!lv.memory) {
		lower_error(L, n, "not lowered yet: '&' of a scalar variable");
		return VCL_IR_NONE;
	}
	return lv.ptr;
}

/* One lane of a vector that is no lvalue: (a + b).x */
__attribute__((noinline)) static uint32_t lane_of(struct lower *L,
						  const struct vcl_node *n)
{
	struct lanes *v = lanes_new(L);
	if (!v || !lower_lanes(L, n->a, v))
		return VCL_IR_NONE;
	return v->v[vcl_swizzle_at(n, 0) % v->n];
}

/* p - q in elements: the offsets' difference in bytes, divided. */
static uint32_t pointer_difference(struct lower *L, const struct vcl_node *n,
				   vcl_ir_type t)
{
	const struct vcl_ty *pt = n->a->ty;
	if (n->op != VCL_T_MINUS || !pt->base || !pt->base->size ||
	    t != VCL_IR_I64) {
		lower_error(L, n, "not lowered yet: this pointer arithmetic");
		return VCL_IR_NONE;
	}
	uint32_t a = rvalue(L, n->a), b = rvalue(L, n->b);
	uint32_t d = emit_value(L, VCL_IR_PTRDIFF, VCL_IR_I64, a, b);
	if (pt->base->size == 1)
		return d;
	return emit_value(L, VCL_IR_SDIV, VCL_IR_I64, d,
			  emit_const(L, VCL_IR_I64, pt->base->size));
}

static uint32_t rvalue(struct lower *L, const struct vcl_node *n)
{
	if (!n || L->d->full)
		return VCL_IR_NONE;
	if (n->ty && n->ty->kind == VCL_TY_VECTOR)
		return lower_vector(L, n);
	if (is_record(n->ty)) {
		/* evaluated for its effects: an assignment, a call */
		uint32_t p;
		vcl_ir_type pt;
		lower_struct_ptr(L, n, &p, &pt);
		return VCL_IR_NONE;
	}
	vcl_ir_type t = VCL_IR_VOID;
	if (n->ty && n->ty->kind != VCL_TY_VOID && n->ty->kind != VCL_TY_ARRAY)
		t = lower_type(L, n->ty, n);
	if (t == VCL_IR_NONE)
		return VCL_IR_NONE;
	if (n->kind == VCL_N_IDENT && n->sym && n->sym->kind == VCL_SYM_PARAM &&
	    n->sym->index < L->f->nparams &&
	    L->params[n->sym->index].kind == VAR_VALUE)
		return L->params[n->sym->index].index;
	if (n->kind == VCL_N_IDENT && n->sym &&
	    n->sym->kind == VCL_SYM_ENUM_CONST)
		return emit_const(L, t, (uint64_t)n->sym->value);
	if (n->lvalue && n->kind != VCL_N_ASSIGN)
		return load_lvalue(L, n);
	switch (n->kind) {
	case VCL_N_INT:
	case VCL_N_FLOAT:
	case VCL_N_SIZEOF_EXPR:
	case VCL_N_SIZEOF_TYPE:
	case VCL_N_VEC_STEP_TYPE:
		return literal(L, n, t);
	case VCL_N_CONVERT:
		return convert_node(L, n);
	case VCL_N_CAST:
		if (t == VCL_IR_VOID) {
			rvalue(L, n->a);
			return VCL_IR_NONE;
		}
		if (n->ty->kind == VCL_TY_POINTER)
			return n->a->ty && n->a->ty->kind != VCL_TY_POINTER
				   ? null_pointer(L, t) /* (T *)0 */
				   : rvalue(L, n->a);
		if (n->a->ty && n->a->ty->kind == VCL_TY_POINTER) {
			if (n->ty->kind == VCL_TY_BOOL)
				return pointer_bool(L, n->a); /* (bool)p */
			lower_error(
			    L, n,
			    "not lowered yet: a pointer converted to an "
			    "integer (no address reaches a kernel)");
			return VCL_IR_NONE;
		}
		if (n->ty->kind == VCL_TY_BOOL)
			return lower_convert(L, rvalue(L, n->a), n->a->ty->kind,
					     VCL_TY_BOOL);
		return lower_convert(L, rvalue(L, n->a), n->a->ty->kind,
				     n->ty->kind);
	case VCL_N_UNARY:
		switch (n->op) {
		case VCL_T_PLUS:
			return rvalue(L, n->a);
		case VCL_T_MINUS:
			if (kind_float(n->ty->kind))
				return emit_value(L, VCL_IR_FNEG, t,
						  rvalue(L, n->a), VCL_IR_NONE);
			return emit_value(L, VCL_IR_SUB, t, emit_const(L, t, 0),
					  rvalue(L, n->a));
		case VCL_T_TILDE:
			return emit_value(L, VCL_IR_XOR, t, rvalue(L, n->a),
					  emit_const(L, t, UINT64_MAX));
		case VCL_T_BANG:
			return zext_bool(
			    L,
			    emit_value(L, VCL_IR_XOR, VCL_IR_I1,
				       lower_cond(L, n->a),
				       emit_const(L, VCL_IR_I1, 1)),
			    t);
		case VCL_T_AMP:
			return address_of(L, n);
		case VCL_T_INC:
		case VCL_T_DEC:
			return step(L, n);
		default:
			break;
		}
		break;
	case VCL_N_POSTFIX:
		return step(L, n);
	case VCL_N_BINARY:
		if (n->op == VCL_T_COMMA) {
			rvalue(L, n->a);
			return rvalue(L, n->b);
		}
		if (n->op == VCL_T_ANDAND || n->op == VCL_T_OROR)
			return zext_bool(L, logical(L, n), t);
		if (is_comparison(n->op))
			return zext_bool(L, compare(L, n), t);
		if (n->ty->kind == VCL_TY_POINTER) {
			if (n->a->ty->kind != VCL_TY_POINTER ||
			    n->b->ty->kind == VCL_TY_POINTER) {
				lower_error(L, n,
					    "not lowered yet: this pointer "
					    "arithmetic");
				return VCL_IR_NONE;
			}
			uint32_t p = rvalue(L, n->a);
			return advance(L, p, t, rvalue(L, n->b),
				       n->ty->base->size, n->op == VCL_T_MINUS);
		}
		if (n->a->ty->kind == VCL_TY_POINTER)
			return pointer_difference(L, n, t);
		{
			uint32_t a = rvalue(L, n->a), b = rvalue(L, n->b);
			if (n->op == VCL_T_SHL || n->op == VCL_T_SHR)
				b = lower_convert(L, b, n->b->ty->kind,
						  n->ty->kind);
			return lower_arith(L, n, n->op, n->ty->kind, a, b);
		}
	case VCL_N_COMMA:
		rvalue(L, n->a);
		return rvalue(L, n->b);
	case VCL_N_ASSIGN:
		return assign(L, n);
	case VCL_N_COND:
		return conditional(L, n);
	case VCL_N_CALL:
		return call(L, n);
	case VCL_N_MEMBER:
		if (n->a->ty && n->a->ty->kind == VCL_TY_VECTOR)
			return lane_of(L, n);
		if (is_record(n->a->ty))
			return load_lvalue(L, n);
		break;
	default:
		break;
	}
	lower_error(L, n, "not lowered yet: this expression");
	return VCL_IR_NONE;
}

uint32_t lower_rvalue(struct lower *L, const struct vcl_node *n)
{
	return rvalue(L, n);
}

uint32_t lower_cond(struct lower *L, const struct vcl_node *n)
{
	if (!n)
		return VCL_IR_NONE;
	const struct vcl_node *x = n;
	if (n->kind == VCL_N_CONVERT && n->info == VCL_CV_ARITH)
		x = n->a;
	else if (n->kind == VCL_N_CONVERT)
		return rvalue(L, n); /* reports what is not lowered */
	if (x->kind == VCL_N_BINARY && is_comparison(x->op))
		return compare(L, x);
	if (x->kind == VCL_N_BINARY &&
	    (x->op == VCL_T_ANDAND || x->op == VCL_T_OROR))
		return logical(L, x);
	if (x->kind == VCL_N_UNARY && x->op == VCL_T_BANG)
		return emit_value(L, VCL_IR_XOR, VCL_IR_I1, lower_cond(L, x->a),
				  emit_const(L, VCL_IR_I1, 1));
	uint32_t v = rvalue(L, x);
	return x->ty ? lower_convert(L, v, x->ty->kind, VCL_TY_BOOL) : v;
}
