/* The built-in functions on scalars and vectors, lane by lane: the math
 * functions the IR has as intrinsics, the integer, common, geometric and
 * relational ones with arithmetic, compares and selects (a scalar
 * argument where the others are vectors is used for every lane). */
#include <string.h>

#include "ir_lower.h"

enum { ARGS_MAX = 4 };

struct call {
	struct lower *L;
	const struct vcl_node *n;
	enum vcl_type_kind k; /* the first argument's element kind */
	vcl_ir_type t;	      /* its IR type */
	uint32_t bits;
};

static uint32_t bin(struct call *c, enum vcl_ir_op op, uint32_t a, uint32_t b)
{
	return emit_value(c->L, op, c->t, a, b);
}

static uint32_t konst(struct call *c, uint64_t v)
{
	return emit_const(c->L, c->t, v);
}

static uint32_t cmp(struct call *c, enum vcl_tok op, uint32_t a, uint32_t b)
{
	return lower_compare(c->L, op, c->k, a, b);
}

static uint32_t intrin(struct lower *L, vcl_ir_type t, const char *name,
		       const uint32_t *x, uint32_t nargs)
{
	struct vcl_ir_inst *i = emit(L, VCL_IR_INTRIN, t);
	i->name = name;
	i->args = vcl_ir_alloc(L->m, sizeof(uint32_t) * (nargs + 1));
	if (i->args) {
		memcpy(i->args, x, sizeof(uint32_t) * nargs);
		i->nargs = nargs;
	}
	return i->id;
}

static uint32_t imin(struct call *c, uint32_t a, uint32_t b)
{
	return emit_select(c->L, c->t, cmp(c, VCL_T_LT, a, b), a, b);
}

static uint32_t imax(struct call *c, uint32_t a, uint32_t b)
{
	return emit_select(c->L, c->t, cmp(c, VCL_T_GT, a, b), a, b);
}

/* Set bits, by halving sums in 64 bits (zero-extended). */
static uint32_t popcount(struct call *c, uint32_t x)
{
	struct lower *L = c->L;
	vcl_ir_type t = VCL_IR_I64;
	uint32_t v = lower_convert(L, x, c->k, VCL_TY_ULONG);
	if (kind_signed(c->k) && c->bits < 64) /* zero- not sign-extended */
		v = emit_value(L, VCL_IR_AND, t, v,
			       emit_const(L, t, (UINT64_C(1) << c->bits) - 1));
	static const uint64_t masks[] = {0x5555555555555555ull,
					 0x3333333333333333ull,
					 0x0f0f0f0f0f0f0f0full};
	for (int s = 0; s < 3; s++) {
		uint32_t sh = emit_const(L, t, 1u << s);
		uint32_t m = emit_const(L, t, masks[s]);
		uint32_t lo = emit_value(L, VCL_IR_AND, t, v, m);
		uint32_t hi = emit_value(
		    L, VCL_IR_AND, t, emit_value(L, VCL_IR_LSHR, t, v, sh), m);
		v = emit_value(L, VCL_IR_ADD, t, lo, hi);
	}
	v = emit_value(L, VCL_IR_MUL, t, v,
		       emit_const(L, t, 0x0101010101010101ull));
	v = emit_value(L, VCL_IR_LSHR, t, v, emit_const(L, t, 56));
	return lower_convert(L, v, VCL_TY_ULONG, c->k);
}

/* Leading zeros: the bit length by halving steps in 64 bits. */
static uint32_t clz(struct call *c, uint32_t x)
{
	struct lower *L = c->L;
	vcl_ir_type t = VCL_IR_I64;
	uint32_t v = lower_convert(L, x, c->k, VCL_TY_ULONG);
	if (kind_signed(c->k) && c->bits < 64)
		v = emit_value(L, VCL_IR_AND, t, v,
			       emit_const(L, t, (UINT64_C(1) << c->bits) - 1));
	uint32_t len = emit_const(L, t, 0), zero = emit_const(L, t, 0);
	for (unsigned s = 32; s >= 1; s /= 2) {
		uint32_t sh = emit_const(L, t, s);
		uint32_t y = emit_value(L, VCL_IR_LSHR, t, v, sh);
		uint32_t nz = emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_NE, y, zero);
		len = emit_value(L, VCL_IR_ADD, t, len,
				 emit_select(L, t, nz, sh, zero));
		v = emit_select(L, t, nz, y, v);
	}
	len = emit_value(L, VCL_IR_ADD, t, len, v); /* v is 0 or 1 now */
	uint32_t r =
	    emit_value(L, VCL_IR_SUB, t, emit_const(L, t, c->bits), len);
	return lower_convert(L, r, VCL_TY_ULONG, c->k);
}

/* The high half of a * b (a and b of at most 32 bits), in 64 bits. */
static uint32_t wide_mul(struct call *c, uint32_t a, uint32_t b)
{
	enum vcl_type_kind w = kind_signed(c->k) ? VCL_TY_LONG : VCL_TY_ULONG;
	return emit_value(c->L, VCL_IR_MUL, VCL_IR_I64,
			  lower_convert(c->L, a, c->k, w),
			  lower_convert(c->L, b, c->k, w));
}

/* The high half of a * b: through 64 bits up to 32-bit types; for 64
 * bits from the 32-bit halves' products (unsigned), then corrected for
 * negative signed operands. */
static uint32_t mul_hi(struct call *c, uint32_t a, uint32_t b)
{
	struct lower *L = c->L;
	if (c->bits <= 32)
		return lower_convert(
		    L,
		    emit_value(L, VCL_IR_LSHR, VCL_IR_I64, wide_mul(c, a, b),
			       emit_const(L, VCL_IR_I64, c->bits)),
		    VCL_TY_LONG, c->k);
	uint32_t m = konst(c, 0xffffffffu), h = konst(c, 32);
	uint32_t a0 = bin(c, VCL_IR_AND, a, m), a1 = bin(c, VCL_IR_LSHR, a, h);
	uint32_t b0 = bin(c, VCL_IR_AND, b, m), b1 = bin(c, VCL_IR_LSHR, b, h);
	uint32_t hl = bin(c, VCL_IR_MUL, a1, b0);
	uint32_t cross =
	    bin(c, VCL_IR_ADD,
		bin(c, VCL_IR_ADD,
		    bin(c, VCL_IR_LSHR, bin(c, VCL_IR_MUL, a0, b0), h),
		    bin(c, VCL_IR_AND, hl, m)),
		bin(c, VCL_IR_MUL, a0, b1));
	uint32_t hi = bin(c, VCL_IR_ADD,
			  bin(c, VCL_IR_ADD, bin(c, VCL_IR_MUL, a1, b1),
			      bin(c, VCL_IR_LSHR, hl, h)),
			  bin(c, VCL_IR_LSHR, cross, h));
	if (!kind_signed(c->k))
		return hi;
	uint32_t zero = konst(c, 0);
	hi = bin(c, VCL_IR_SUB, hi,
		 emit_select(L, c->t, cmp(c, VCL_T_LT, a, zero), b, zero));
	return bin(c, VCL_IR_SUB, hi,
		   emit_select(L, c->t, cmp(c, VCL_T_LT, b, zero), a, zero));
}

/* a + b clamped to the type's range, on wrapped sums. */
static uint32_t add_sat(struct call *c, uint32_t a, uint32_t b, bool sub)
{
	uint32_t r = bin(c, sub ? VCL_IR_SUB : VCL_IR_ADD, a, b);
	uint32_t zero = konst(c, 0);
	if (!kind_signed(c->k)) {
		uint32_t over =
		    sub ? cmp(c, VCL_T_LT, a, b) : cmp(c, VCL_T_LT, r, a);
		return emit_select(c->L, c->t, over,
				   sub ? zero : konst(c, UINT64_MAX), r);
	}
	/* Overflow when the result's sign differs from both operands' (a
	 * sum) or from a's while b's differs from a's (a difference). */
	uint32_t x = bin(c, VCL_IR_XOR, a, r);
	uint32_t y = sub ? bin(c, VCL_IR_XOR, a, b) : bin(c, VCL_IR_XOR, b, r);
	uint32_t over = cmp(c, VCL_T_LT, bin(c, VCL_IR_AND, x, y), zero);
	uint64_t max = (UINT64_C(1) << (c->bits - 1)) - 1;
	uint32_t lim = emit_select(c->L, c->t, cmp(c, VCL_T_LT, a, zero),
				   konst(c, max + 1), konst(c, max));
	return emit_select(c->L, c->t, over, lim, r);
}

static uint32_t int_lane(struct call *c, const char *name, const uint32_t *x)
{
	struct lower *L = c->L;
	bool s = kind_signed(c->k);
	if (!strcmp(name, "min"))
		return imin(c, x[0], x[1]);
	if (!strcmp(name, "max"))
		return imax(c, x[0], x[1]);
	if (!strcmp(name, "clamp"))
		return imin(c, imax(c, x[0], x[1]), x[2]);
	if (!strcmp(name, "abs"))
		return s ? emit_select(
			       L, c->t, cmp(c, VCL_T_LT, x[0], konst(c, 0)),
			       bin(c, VCL_IR_SUB, konst(c, 0), x[0]), x[0])
			 : x[0];
	if (!strcmp(name, "abs_diff"))
		return emit_select(L, c->t, cmp(c, VCL_T_GT, x[0], x[1]),
				   bin(c, VCL_IR_SUB, x[0], x[1]),
				   bin(c, VCL_IR_SUB, x[1], x[0]));
	if (!strcmp(name, "mul24"))
		return bin(c, VCL_IR_MUL, x[0], x[1]);
	if (!strcmp(name, "mad24"))
		return bin(c, VCL_IR_ADD, bin(c, VCL_IR_MUL, x[0], x[1]), x[2]);
	if (!strcmp(name, "popcount"))
		return popcount(c, x[0]);
	if (!strcmp(name, "clz"))
		return clz(c, x[0]);
	if (!strcmp(name, "rotate")) {
		uint32_t m = konst(c, c->bits - 1);
		uint32_t k = bin(c, VCL_IR_AND, x[1], m);
		uint32_t back = bin(
		    c, VCL_IR_AND, bin(c, VCL_IR_SUB, konst(c, c->bits), k), m);
		return bin(c, VCL_IR_OR, bin(c, VCL_IR_SHL, x[0], k),
			   bin(c, VCL_IR_LSHR, x[0], back));
	}
	if (!strcmp(name, "add_sat") || !strcmp(name, "sub_sat"))
		return add_sat(c, x[0], x[1], name[0] == 's');
	if (!strcmp(name, "hadd") || !strcmp(name, "rhadd")) {
		/* (a >> 1) + (b >> 1) + the carry of the low bits */
		uint32_t one = konst(c, 1);
		enum vcl_ir_op sh = s ? VCL_IR_ASHR : VCL_IR_LSHR;
		uint32_t h = bin(c, VCL_IR_ADD, bin(c, sh, x[0], one),
				 bin(c, sh, x[1], one));
		uint32_t low =
		    bin(c, name[0] == 'h' ? VCL_IR_AND : VCL_IR_OR, x[0], x[1]);
		return bin(c, VCL_IR_ADD, h, bin(c, VCL_IR_AND, low, one));
	}
	if (!strcmp(name, "mul_hi") || !strcmp(name, "mad_hi")) {
		uint32_t h = mul_hi(c, x[0], x[1]);
		return name[1] == 'u' ? h : bin(c, VCL_IR_ADD, h, x[2]);
	}
	if (c->bits <= 32 && !strcmp(name, "mad_sat")) {
		/* exact in 64 bits: |a * b + c| < 2^63, or < 2^64 unsigned */
		enum vcl_type_kind w = s ? VCL_TY_LONG : VCL_TY_ULONG;
		uint32_t r = emit_value(L, VCL_IR_ADD, VCL_IR_I64,
					wide_mul(c, x[0], x[1]),
					lower_convert(L, x[2], c->k, w));
		return lower_saturate(L, r, w, c->k);
	}
	lower_error(L, c->n, "not lowered yet: built-in '%s' on '%s'", name,
		    c->bits == 64 ? "64-bit integers" : "integers");
	return VCL_IR_NONE;
}

static const struct {
	const char *name;
	enum vcl_tok op;
} relations[] = {
    {"isequal", VCL_T_EQ},   {"isnotequal", VCL_T_NE},
    {"isgreater", VCL_T_GT}, {"isgreaterequal", VCL_T_GE},
    {"isless", VCL_T_LT},    {"islessequal", VCL_T_LE},
};

/* The relational tests as an i1; VCL_IR_NONE when name is none. */
static uint32_t relational(struct call *c, const char *name, const uint32_t *x)
{
	struct lower *L = c->L;
	for (size_t i = 0; i < sizeof(relations) / sizeof(*relations); i++)
		if (!strcmp(name, relations[i].name))
			return cmp(c, relations[i].op, x[0], x[1]);
	double inf = __builtin_inf();
	if (!strcmp(name, "isnan") || !strcmp(name, "isunordered") ||
	    !strcmp(name, "isordered")) {
		uint32_t u = cmp(c, VCL_T_NE, x[0], x[0]);
		if (name[2] != 'n')
			u = emit_value(L, VCL_IR_OR, VCL_IR_I1, u,
				       cmp(c, VCL_T_NE, x[1], x[1]));
		return name[2] == 'o' ? emit_value(L, VCL_IR_XOR, VCL_IR_I1, u,
						   emit_const(L, VCL_IR_I1, 1))
				      : u;
	}
	if (!strcmp(name, "islessgreater"))
		return emit_value(L, VCL_IR_OR, VCL_IR_I1,
				  cmp(c, VCL_T_LT, x[0], x[1]),
				  cmp(c, VCL_T_GT, x[0], x[1]));
	if (strcmp(name, "isinf") && strcmp(name, "isfinite") &&
	    strcmp(name, "isnormal") && strcmp(name, "signbit"))
		return VCL_IR_NONE;
	uint32_t mag = intrin(L, c->t, "fabs", x, 1);
	uint32_t infv = konst(c, lower_float_bits(c->t, inf));
	if (!strcmp(name, "isinf"))
		return cmp(c, VCL_T_EQ, mag, infv);
	if (!strcmp(name, "isfinite"))
		return cmp(c, VCL_T_LT, mag, infv);
	if (!strcmp(name, "isnormal"))
		return emit_value(
		    L, VCL_IR_AND, VCL_IR_I1, cmp(c, VCL_T_LT, mag, infv),
		    cmp(c, VCL_T_GE, mag,
			konst(c, lower_float_bits(c->t, c->bits == 32
							    ? 0x1p-126
							    : 0x1p-1022))));
	if (!strcmp(name, "signbit")) {
		/* the sign bit, -0.0 and negative NaNs included */
		vcl_ir_type it = c->bits == 32 ? VCL_IR_I32 : VCL_IR_I64;
		uint32_t b = lower_reinterpret(L, x[0], c->t, it);
		return lower_compare(L, VCL_T_LT, VCL_TY_LONG, b,
				     emit_const(L, it, 0));
	}
	return VCL_IR_NONE;
}

/* a lane's most significant bit, as select, any and all read it */
static uint32_t msb(struct lower *L, uint32_t v, enum vcl_type_kind k)
{
	return emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_SLT, v,
			emit_const(L, kind_type(k), 0));
}

static uint32_t float_lane(struct call *c, const char *name, const uint32_t *x,
			   uint32_t nargs)
{
	const char *base = vcl_ir_intrin_base(name, nargs);
	if (base)
		return intrin(c->L, c->t, base, x, nargs);
	if (!strcmp(name, "pown")) {
		/* pow of an integer-valued exponent: exact for |n| < 2^24 */
		uint32_t y[2] = {x[0],
				 lower_convert(c->L, x[1], VCL_TY_INT, c->k)};
		return intrin(c->L, c->t, "pow", y, 2);
	}
	lower_error(c->L, c->n, "not lowered yet: built-in '%s'", name);
	return VCL_IR_NONE;
}

static uint32_t dot(struct call *c, const struct lanes *a,
		    const struct lanes *b)
{
	uint32_t s = VCL_IR_NONE;
	for (uint32_t i = 0; i < a->n; i++) {
		uint32_t p = bin(c, VCL_IR_FMUL, a->v[i], b->v[i % b->n]);
		s = s == VCL_IR_NONE ? p : bin(c, VCL_IR_FADD, s, p);
	}
	return s;
}

/* dot cross length distance normalize (and the fast_ forms, which are
 * these); false when name is none of them. */
static bool geometric(struct call *c, const char *name, struct lanes *a,
		      uint32_t nargs, struct lanes *out)
{
	if (!strncmp(name, "fast_", 5))
		name += 5;
	out->n = 1;
	if (!strcmp(name, "dot")) {
		out->v[0] = dot(c, &a[0], &a[1]);
	} else if (!strcmp(name, "length") || !strcmp(name, "distance")) {
		struct lanes d = a[0];
		if (nargs == 2)
			for (uint32_t i = 0; i < d.n; i++)
				d.v[i] = bin(c, VCL_IR_FSUB, a[0].v[i],
					     a[1].v[i % a[1].n]);
		uint32_t s = dot(c, &d, &d);
		out->v[0] = intrin(c->L, c->t, "sqrt", &s, 1);
	} else if (!strcmp(name, "normalize")) {
		/* x / |x|; a zero vector stays zero */
		uint32_t s = dot(c, &a[0], &a[0]);
		uint32_t r = intrin(c->L, c->t, "rsqrt", &s, 1);
		uint32_t z = cmp(c, VCL_T_EQ, s, konst(c, 0));
		*out = a[0];
		for (uint32_t i = 0; i < out->n; i++)
			out->v[i] =
			    emit_select(c->L, c->t, z, a[0].v[i],
					bin(c, VCL_IR_FMUL, a[0].v[i], r));
	} else if (!strcmp(name, "cross")) {
		const uint32_t *p = a[0].v, *q = a[1].v;
		*out = a[0];
		for (uint32_t i = 0; i < 3; i++) {
			uint32_t j = (i + 1) % 3, k = (i + 2) % 3;
			out->v[i] =
			    bin(c, VCL_IR_FSUB, bin(c, VCL_IR_FMUL, p[j], q[k]),
				bin(c, VCL_IR_FMUL, p[k], q[j]));
		}
		if (out->n == 4)
			out->v[3] = konst(c, 0);
	} else {
		return false;
	}
	return true;
}

bool lower_builtin_lanes(struct lower *L, const struct vcl_node *n,
			 const char *name, struct lanes *out)
{
	struct lanes *a = vcl_ir_alloc(L->m, sizeof(*a) * ARGS_MAX);
	uint32_t nargs = 0, w = ty_lanes(n->ty);
	if (!a) {
		lower_error(L, n, "out of memory");
		return false;
	}
	const struct vcl_node *first = n->list;
	for (const struct vcl_node *e = n->list; e; e = e->next, nargs++) {
		if (nargs == ARGS_MAX || !e->ty ||
		    e->ty->kind == VCL_TY_POINTER) {
			lower_error(L, n, "not lowered yet: built-in '%s'",
				    name);
			return false;
		}
		if (!lower_lanes(L, e, &a[nargs]))
			return false;
		if (a[nargs].n > w)
			w = a[nargs].n;
	}
	struct call c = {L, n, ty_elem(first ? first->ty : n->ty), 0, 0};
	c.t = kind_type(c.k);
	c.bits = vcl_ir_type_size(c.t) * 8;
	if (!first || c.t == VCL_IR_NONE) {
		lower_error(L, n, "not lowered yet: built-in '%s'", name);
		return false;
	}
	if (kind_float(c.k) && geometric(&c, name, a, nargs, out))
		return true;
	enum vcl_type_kind rk = ty_elem(n->ty);
	bool vector = n->ty->kind == VCL_TY_VECTOR;
	if (!strcmp(name, "any") || !strcmp(name, "all")) {
		uint32_t r = msb(L, a[0].v[0], c.k);
		for (uint32_t i = 1; i < a[0].n; i++)
			r = emit_value(L,
				       name[1] == 'n' ? VCL_IR_OR : VCL_IR_AND,
				       VCL_IR_I1, r, msb(L, a[0].v[i], c.k));
		out->n = 1;
		out->v[0] =
		    emit_value(L, VCL_IR_ZEXT, kind_type(rk), r, VCL_IR_NONE);
		return true;
	}
	out->n = w;
	for (uint32_t i = 0; i < w; i++) {
		uint32_t x[ARGS_MAX];
		for (uint32_t j = 0; j < nargs; j++)
			x[j] = a[j].v[i % a[j].n];
		uint32_t r = VCL_IR_NONE;
		if (!strcmp(name, "select") || !strcmp(name, "bitselect")) {
			if (name[0] == 's') {
				enum vcl_type_kind ck =
				    ty_elem(first->next->next->ty);
				uint32_t take =
				    vector ? msb(L, x[2], ck)
					   : lower_convert(L, x[2], ck,
							   VCL_TY_BOOL);
				out->v[i] =
				    emit_select(L, c.t, take, x[1], x[0]);
				continue;
			}
			/* (a & ~c) | (b & c), on a float's bits */
			struct call ic = c;
			ic.k = c.bits == 64   ? VCL_TY_ULONG
			       : c.bits == 32 ? VCL_TY_UINT
					      : c.k;
			ic.t = kind_type(ic.k);
			uint32_t y[3];
			for (int j = 0; j < 3; j++) {
				if (!kind_float(c.k)) {
					y[j] = x[j];
					continue;
				}
				y[j] = lower_reinterpret(L, x[j], c.t, ic.t);
			}
			r = bin(&ic, VCL_IR_OR,
				bin(&ic, VCL_IR_AND, y[0],
				    bin(&ic, VCL_IR_XOR, y[2],
					konst(&ic, UINT64_MAX))),
				bin(&ic, VCL_IR_AND, y[1], y[2]));
			if (kind_float(c.k))
				r = lower_reinterpret(L, r, ic.t, c.t);
			out->v[i] = r;
			continue;
		}
		if (kind_float(c.k) &&
		    (r = relational(&c, name, x)) != VCL_IR_NONE) {
			out->v[i] =
			    emit_value(L, vector ? VCL_IR_SEXT : VCL_IR_ZEXT,
				       kind_type(rk), r, VCL_IR_NONE);
			continue;
		}
		r = kind_float(c.k) ? float_lane(&c, name, x, nargs)
				    : int_lane(&c, name, x);
		if (r == VCL_IR_NONE)
			return false;
		out->v[i] = r;
	}
	return true;
}
