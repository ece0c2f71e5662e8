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

uint32_t lower_intrin(struct lower *L, vcl_ir_type t, const char *name,
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

/* a * b + d clamped, on 64 bits: the 128-bit product as mul_hi and the
 * wrapped low half, d added with its carry (and its sign's borrow), then
 * saturated when the high half is not the low half's sign. */
static uint32_t mad_sat64(struct call *c, uint32_t a, uint32_t b, uint32_t d)
{
	struct lower *L = c->L;
	uint32_t hi = mul_hi(c, a, b), lo = bin(c, VCL_IR_MUL, a, b);
	uint32_t sum = bin(c, VCL_IR_ADD, lo, d);
	uint32_t carry = emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_ULT, sum, lo);
	hi = bin(c, VCL_IR_ADD, hi,
		 emit_value(L, VCL_IR_ZEXT, c->t, carry, VCL_IR_NONE));
	if (!kind_signed(c->k))
		return emit_select(L, c->t, cmp(c, VCL_T_NE, hi, konst(c, 0)),
				   konst(c, UINT64_MAX), sum);
	uint32_t sh = konst(c, 63);
	hi = bin(c, VCL_IR_ADD, hi, bin(c, VCL_IR_ASHR, d, sh));
	uint32_t fits = cmp(c, VCL_T_EQ, hi, bin(c, VCL_IR_ASHR, sum, sh));
	uint32_t lim = emit_select(L, c->t, cmp(c, VCL_T_LT, hi, konst(c, 0)),
				   konst(c, UINT64_C(1) << 63),
				   konst(c, (UINT64_C(1) << 63) - 1));
	return emit_select(L, c->t, fits, sum, lim);
}

/* upsample(hi, lo): hi's bits above lo's, in the integer twice as wide
 * (hi's sign; lo is unsigned). */
static uint32_t upsample(struct call *c, uint32_t hi, uint32_t lo)
{
	/* char -> short -> int -> long, the kinds' order in ast.h */
	enum vcl_type_kind wk = (enum vcl_type_kind)(c->k + 2);
	enum vcl_type_kind uk =
	    kind_signed(c->k) ? (enum vcl_type_kind)(c->k + 1) : c->k;
	vcl_ir_type wt = kind_type(wk);
	uint32_t h = lower_convert(c->L, hi, c->k, wk);
	uint32_t l = lower_convert(c->L, lo, uk, wk);
	return emit_value(
	    c->L, VCL_IR_OR, wt,
	    emit_value(c->L, VCL_IR_SHL, wt, h, emit_const(c->L, wt, c->bits)),
	    l);
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
	if (!strcmp(name, "mad_sat") && c->bits == 64)
		return mad_sat64(c, x[0], x[1], x[2]);
	if (!strcmp(name, "upsample"))
		return upsample(c, x[0], x[1]);
	if (!strcmp(name, "nan")) {
		/* a quiet NaN, the code in the significand's bits below the
		 * quiet bit */
		bool f32 = c->bits == 32;
		uint64_t q = UINT64_C(1) << (f32 ? 22 : 51);
		uint64_t inf = f32 ? 0x7f800000u : UINT64_C(0x7ff) << 52;
		uint32_t r =
		    bin(c, VCL_IR_OR, bin(c, VCL_IR_AND, x[0], konst(c, q - 1)),
			konst(c, inf | q));
		return lower_reinterpret(L, r, c->t,
					 f32 ? VCL_IR_F32 : VCL_IR_F64);
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

/* x's sign bit as an i1: -0.0 and negative NaNs included. */
static uint32_t sign_bit(struct call *c, uint32_t x)
{
	vcl_ir_type it = c->bits == 32 ? VCL_IR_I32 : VCL_IR_I64;
	uint32_t b = lower_reinterpret(c->L, x, c->t, it);
	return lower_compare(c->L, VCL_T_LT, VCL_TY_LONG, b,
			     emit_const(c->L, it, 0));
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
	uint32_t mag = lower_intrin(L, c->t, "fabs", x, 1);
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
	if (!strcmp(name, "signbit"))
		return sign_bit(c, x[0]);
	return VCL_IR_NONE;
}

/* a lane's most significant bit, as select, any and all read it */
static uint32_t msb(struct lower *L, uint32_t v, enum vcl_type_kind k)
{
	return emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_SLT, v,
			emit_const(L, kind_type(k), 0));
}

static uint32_t intrin1(struct call *c, const char *name, uint32_t x)
{
	return lower_intrin(c->L, c->t, name, &x, 1);
}

static uint32_t intrin2(struct call *c, const char *name, uint32_t x,
			uint32_t y)
{
	uint32_t v[2] = {x, y};
	return lower_intrin(c->L, c->t, name, v, 2);
}

static uint32_t fconst(struct call *c, double v)
{
	return konst(c, lower_float_bits(c->t, v));
}

static uint32_t i32const(struct call *c, uint64_t v)
{
	return emit_const(c->L, VCL_IR_I32, v);
}

/* The same call on another floating kind (a double for the float
 * functions computed in double). */
static struct call on_kind(const struct call *c, enum vcl_type_kind k)
{
	struct call d = *c;
	d.k = k;
	d.t = kind_type(k);
	d.bits = vcl_ir_type_size(d.t) * 8;
	return d;
}

/* x finite and not zero (NaN is not). */
static uint32_t finite_nonzero(struct call *c, uint32_t x)
{
	return emit_value(
	    c->L, VCL_IR_AND, VCL_IR_I1,
	    cmp(c, VCL_T_LT, intrin1(c, "fabs", x), fconst(c, __builtin_inf())),
	    cmp(c, VCL_T_NE, x, fconst(c, 0)));
}

/* x's exponent e (|x| = 1.f * 2^e for finite x but 0), a subnormal
 * scaled into the normal range first (exactly); the scaled x's bits in
 * *bits. In the integer type of x's size. */
static uint32_t exponent(struct call *c, uint32_t x, uint32_t *bits)
{
	struct lower *L = c->L;
	bool f32 = c->bits == 32;
	vcl_ir_type it = f32 ? VCL_IR_I32 : VCL_IR_I64;
	uint32_t mant = f32 ? 23 : 52, bias = f32 ? 127 : 1023;
	uint32_t up = mant + 1; /* by 2^up: every subnormal is normal */
	uint32_t sub = cmp(c, VCL_T_LT, intrin1(c, "fabs", x),
			   fconst(c, f32 ? 0x1p-126 : 0x1p-1022));
	uint32_t y = emit_select(
	    L, c->t, sub,
	    bin(c, VCL_IR_FMUL, x, fconst(c, f32 ? 0x1p24 : 0x1p53)), x);
	*bits = lower_reinterpret(L, y, c->t, it);
	uint32_t field = emit_value(
	    L, VCL_IR_AND, it,
	    emit_value(L, VCL_IR_LSHR, it, *bits, emit_const(L, it, mant)),
	    emit_const(L, it, f32 ? 0xff : 0x7ff));
	uint32_t off = emit_select(L, it, sub, emit_const(L, it, bias + up),
				   emit_const(L, it, bias));
	return emit_value(L, VCL_IR_SUB, it, field, off);
}

/* An integer of x's size as an int (a double's exponent). */
static uint32_t to_int(struct call *c, uint32_t e)
{
	return c->bits == 32 ? e
			     : lower_convert(c->L, e, VCL_TY_LONG, VCL_TY_INT);
}

/* ilogb: the exponent; FP_ILOGB0 (INT_MIN) for 0, FP_ILOGBNAN (INT_MAX)
 * for NaN, INT_MAX for infinities, as clang's OpenCL headers. */
static uint32_t ilogb_lane(struct call *c, uint32_t x)
{
	uint32_t bits, e = to_int(c, exponent(c, x, &bits));
	e = emit_select(
	    c->L, VCL_IR_I32,
	    cmp(c, VCL_T_LT, intrin1(c, "fabs", x), fconst(c, __builtin_inf())),
	    e, i32const(c, 0x7fffffff));
	return emit_select(c->L, VCL_IR_I32, cmp(c, VCL_T_EQ, x, fconst(c, 0)),
			   i32const(c, 0x80000000u), e);
}

/* frexp: x's significand in [0.5, 1) (x's exponent field made -1's) and
 * the exponent into *e; x itself and 0 for zeros, infinities and NaN. */
static uint32_t frexp_lane(struct call *c, uint32_t x, uint32_t *e)
{
	struct lower *L = c->L;
	bool f32 = c->bits == 32;
	vcl_ir_type it = f32 ? VCL_IR_I32 : VCL_IR_I64;
	uint32_t bits, ex = to_int(c, exponent(c, x, &bits));
	uint64_t field = f32 ? UINT64_C(0xff) << 23 : UINT64_C(0x7ff) << 52;
	uint64_t half = f32 ? UINT64_C(126) << 23 : UINT64_C(1022) << 52;
	uint32_t m = emit_value(
	    L, VCL_IR_OR, it,
	    emit_value(L, VCL_IR_AND, it, bits, emit_const(L, it, ~field)),
	    emit_const(L, it, half));
	uint32_t ok = finite_nonzero(c, x);
	*e = emit_select(
	    L, VCL_IR_I32, ok,
	    emit_value(L, VCL_IR_ADD, VCL_IR_I32, ex, i32const(c, 1)),
	    i32const(c, 0));
	return emit_select(L, c->t, ok, lower_reinterpret(L, m, it, c->t), x);
}

/* remainder and remquo, exactly: r = fmod(|x|, 8|y|), then the
 * quotient's three low bits by subtracting 4|y|, 2|y|, |y| where r is
 * that large (exact: r is within twice of each), then rounded to the
 * nearest quotient, ties to even; x's sign. The quotient's low bits with
 * the sign of x/y into *quo (0 for a NaN result), as glibc's. */
static uint32_t remquo_lane(struct call *c, uint32_t x, uint32_t y,
			    uint32_t *quo)
{
	struct lower *L = c->L;
	uint32_t ax = intrin1(c, "fabs", x), ay = intrin1(c, "fabs", y);
	/* 8|y| may overflow: fmod(|x|, inf) is |x|, below it anyway */
	uint32_t r =
	    bin(c, VCL_IR_FREM, ax, bin(c, VCL_IR_FMUL, ay, fconst(c, 8)));
	uint32_t q = i32const(c, 0);
	for (unsigned k = 4; k >= 1; k /= 2) {
		uint32_t step = bin(c, VCL_IR_FMUL, ay, fconst(c, k));
		uint32_t ge = cmp(c, VCL_T_GE, r, step);
		r = emit_select(L, c->t, ge, bin(c, VCL_IR_FSUB, r, step), r);
		q = emit_select(
		    L, VCL_IR_I32, ge,
		    emit_value(L, VCL_IR_ADD, VCL_IR_I32, q, i32const(c, k)),
		    q);
	}
	/* 2r is exact, or infinite where it is above |y| anyway */
	uint32_t twice = bin(c, VCL_IR_FADD, r, r);
	uint32_t odd =
	    emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_NE,
		     emit_value(L, VCL_IR_AND, VCL_IR_I32, q, i32const(c, 1)),
		     i32const(c, 0));
	uint32_t up =
	    emit_value(L, VCL_IR_OR, VCL_IR_I1, cmp(c, VCL_T_GT, twice, ay),
		       emit_value(L, VCL_IR_AND, VCL_IR_I1,
				  cmp(c, VCL_T_EQ, twice, ay), odd));
	r = emit_select(L, c->t, up, bin(c, VCL_IR_FSUB, r, ay), r);
	q = emit_select(
	    L, VCL_IR_I32, up,
	    emit_value(L, VCL_IR_ADD, VCL_IR_I32, q, i32const(c, 1)), q);
	r = bin(c, VCL_IR_FMUL, r, intrin2(c, "copysign", fconst(c, 1), x));
	if (!quo)
		return r;
	q = emit_value(L, VCL_IR_AND, VCL_IR_I32, q, i32const(c, 7));
	uint32_t flip = emit_value(L, VCL_IR_XOR, VCL_IR_I1, sign_bit(c, x),
				   sign_bit(c, y));
	q = emit_select(
	    L, VCL_IR_I32, flip,
	    emit_value(L, VCL_IR_SUB, VCL_IR_I32, i32const(c, 0), q), q);
	*quo = emit_select(L, VCL_IR_I32, cmp(c, VCL_T_NE, r, r),
			   i32const(c, 0), q);
	return r;
}

/* tgamma and lgamma from libm's double functions (the code generator's
 * symbol table; lgamma through lgamma_r, glibc's lgamma writes the
 * global signgam), a float's rounded once. */
static uint32_t gamma_lane(struct call *c, const char *name, uint32_t x)
{
	if (c->bits == 64)
		return intrin1(c, name, x);
	struct call d = on_kind(c, VCL_TY_DOUBLE);
	uint32_t r = intrin1(
	    &d, name, lower_convert(c->L, x, VCL_TY_FLOAT, VCL_TY_DOUBLE));
	return lower_convert(c->L, r, VCL_TY_DOUBLE, VCL_TY_FLOAT);
}

/* lgamma_r's sign of gamma(x): -1 for x in (-2k-1, -2k) and for -0, as
 * glibc's (+1 at the poles and for NaN). */
static uint32_t gamma_sign(struct call *c, uint32_t x)
{
	struct lower *L = c->L;
	uint32_t f = intrin1(c, "floor", x);
	uint32_t h = bin(c, VCL_IR_FMUL, f, fconst(c, 0.5));
	uint32_t odd = cmp(c, VCL_T_NE, intrin1(c, "floor", h), h);
	uint32_t zero = fconst(c, 0);
	uint32_t neg = emit_value(L, VCL_IR_AND, VCL_IR_I1,
				  emit_value(L, VCL_IR_AND, VCL_IR_I1,
					     cmp(c, VCL_T_LT, x, zero),
					     cmp(c, VCL_T_NE, x, f)),
				  odd);
	uint32_t nzero = emit_value(L, VCL_IR_AND, VCL_IR_I1,
				    cmp(c, VCL_T_EQ, x, zero), sign_bit(c, x));
	return emit_select(L, VCL_IR_I32,
			   emit_value(L, VCL_IR_OR, VCL_IR_I1, neg, nzero),
			   i32const(c, UINT32_MAX), i32const(c, 1));
}

/* fract, modf, sincos, frexp, remquo and lgamma_r: the result, and what
 * goes through the pointer into *second, of type *st. */
static uint32_t float_out_lane(struct call *c, const char *name,
			       const uint32_t *x, uint32_t *second,
			       vcl_ir_type *st)
{
	struct lower *L = c->L;
	*st = VCL_IR_I32;
	if (!strcmp(name, "frexp"))
		return frexp_lane(c, x[0], second);
	if (!strcmp(name, "remquo"))
		return remquo_lane(c, x[0], x[1], second);
	if (!strcmp(name, "lgamma_r")) {
		*second = gamma_sign(c, x[0]);
		return gamma_lane(c, "lgamma", x[0]);
	}
	*st = c->t;
	if (!strcmp(name, "sincos")) {
		*second = intrin1(c, "cos", x[0]);
		return intrin1(c, "sin", x[0]);
	}
	uint32_t zero = konst(c, lower_float_bits(c->t, 0));
	uint32_t inf = cmp(c, VCL_T_EQ, intrin1(c, "fabs", x[0]),
			   konst(c, lower_float_bits(c->t, __builtin_inf())));
	/* +-0 for an infinity, the sign kept */
	uint32_t signed_zero = intrin2(c, "copysign", zero, x[0]);
	if (!strcmp(name, "modf")) {
		*second = intrin1(c, "trunc", x[0]);
		return emit_select(L, c->t, inf, signed_zero,
				   intrin2(c, "copysign",
					   bin(c, VCL_IR_FSUB, x[0], *second),
					   x[0]));
	}
	if (!strcmp(name, "fract")) {
		/* x - floor(x), below 1; NaN stays NaN */
		*second = intrin1(c, "floor", x[0]);
		uint32_t below1 =
		    konst(c, lower_float_bits(
				 c->t, c->bits == 32 ? 0x1.fffffep-1
						     : 0x1.fffffffffffffp-1));
		uint32_t f = intrin2(
		    c, "fmin", bin(c, VCL_IR_FSUB, x[0], *second), below1);
		f = emit_select(L, c->t, cmp(c, VCL_T_NE, x[0], x[0]), x[0], f);
		return emit_select(L, c->t, inf, signed_zero, f);
	}
	lower_error(L, c->n, "not lowered yet: built-in '%s'", name);
	return VCL_IR_NONE;
}
/* maxmag, minmag: the larger (smaller) magnitude, fmax (fmin) on a tie;
 * nextafter: x's bits one step toward y. VCL_IR_NONE for other names. */
static uint32_t float_exact(struct call *c, const char *name, const uint32_t *x)
{
	struct lower *L = c->L;
	if (!strcmp(name, "maxmag") || !strcmp(name, "minmag")) {
		enum vcl_tok more = name[1] == 'a' ? VCL_T_GT : VCL_T_LT;
		uint32_t ax = intrin1(c, "fabs", x[0]),
			 ay = intrin1(c, "fabs", x[1]);
		return emit_select(
		    L, c->t, cmp(c, more, ax, ay), x[0],
		    emit_select(L, c->t, cmp(c, more, ay, ax), x[1],
				intrin2(c, name[1] == 'a' ? "fmax" : "fmin",
					x[0], x[1])));
	}
	if (strcmp(name, "nextafter"))
		return VCL_IR_NONE;
	vcl_ir_type it = c->bits == 32 ? VCL_IR_I32 : VCL_IR_I64;
	uint32_t b = lower_reinterpret(L, x[0], c->t, it);
	uint32_t zero = konst(c, lower_float_bits(c->t, 0));
	/* away from zero when y lies beyond x on x's side */
	uint32_t away =
	    emit_value(L, VCL_IR_XOR, VCL_IR_I1, cmp(c, VCL_T_LT, x[0], x[1]),
		       cmp(c, VCL_T_LT, x[0], zero));
	uint32_t step = emit_select(L, it, away, emit_const(L, it, 1),
				    emit_const(L, it, UINT64_MAX));
	uint32_t r = lower_reinterpret(
	    L, emit_value(L, VCL_IR_ADD, it, b, step), it, c->t);
	/* from zero: the smallest subnormal with y's sign */
	uint32_t tiny =
	    intrin2(c, "copysign",
		    lower_reinterpret(L, emit_const(L, it, 1), it, c->t), x[1]);
	r = emit_select(L, c->t, cmp(c, VCL_T_EQ, x[0], zero), tiny, r);
	r = emit_select(L, c->t, cmp(c, VCL_T_EQ, x[0], x[1]), x[1], r);
	/* NaN in, NaN out */
	uint32_t nan =
	    emit_value(L, VCL_IR_OR, VCL_IR_I1, cmp(c, VCL_T_NE, x[0], x[0]),
		       cmp(c, VCL_T_NE, x[1], x[1]));
	return emit_select(L, c->t, nan, bin(c, VCL_IR_FADD, x[0], x[1]), r);
}

/* sinpi, cospi (k 0, 1) of a double: a - 2 rint(a / 2) in [-1, 1], then
 * f = that - n / 2 in [-1/4, 1/4] for n = rint(2 (a - ...)), all exact,
 * so sin or cos(pi f) by the quadrant n mod 4 has only pi f's rounding
 * (and the intrinsics'): within 2 ulp. An exact zero takes the sign C23
 * gives it (sinpi: x's, cospi: +). */
static uint32_t sin_cos_pi(struct call *d, bool cos, uint32_t a)
{
	struct lower *L = d->L;
	uint32_t half = fconst(d, 0.5), two = fconst(d, 2);
	uint32_t r = bin(d, VCL_IR_FSUB, a,
			 bin(d, VCL_IR_FMUL, two,
			     intrin1(d, "rint", bin(d, VCL_IR_FMUL, a, half))));
	uint32_t n = intrin1(d, "rint", bin(d, VCL_IR_FMUL, r, two));
	uint32_t f = bin(d, VCL_IR_FSUB, r, bin(d, VCL_IR_FMUL, n, half));
	uint32_t t = bin(d, VCL_IR_FMUL, f, fconst(d, 3.14159265358979323846));
	uint32_t s = intrin1(d, "sin", t), co = intrin1(d, "cos", t);
	uint32_t q = lower_convert(L, n, VCL_TY_DOUBLE, VCL_TY_INT);
	if (cos)
		q = emit_value(L, VCL_IR_ADD, VCL_IR_I32, q, i32const(d, 1));
	/* sinpi: s, co, -s, -co by q mod 4; cospi: the same at q + 1 */
	uint32_t qodd =
	    emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_NE,
		     emit_value(L, VCL_IR_AND, VCL_IR_I32, q, i32const(d, 1)),
		     i32const(d, 0));
	uint32_t neg =
	    emit_cmp(L, VCL_IR_ICMP, VCL_ICMP_NE,
		     emit_value(L, VCL_IR_AND, VCL_IR_I32, q, i32const(d, 2)),
		     i32const(d, 0));
	uint32_t v = emit_select(L, d->t, qodd, co, s);
	v = emit_select(L, d->t, neg,
			emit_value(L, VCL_IR_FNEG, d->t, v, VCL_IR_NONE), v);
	uint32_t zero = fconst(d, 0);
	return emit_select(L, d->t, cmp(d, VCL_T_EQ, v, zero),
			   cos ? zero : intrin2(d, "copysign", zero, a), v);
}

/* 2^n of a double, n (an int) in [-1022, 1023], from its exponent bits:
 * LLVM makes exp2 of an integer a libm ldexp call. */
static uint32_t pow2(struct call *d, uint32_t n)
{
	struct lower *L = d->L;
	uint32_t e =
	    emit_value(L, VCL_IR_SHL, VCL_IR_I64,
		       emit_value(L, VCL_IR_ADD, VCL_IR_I64,
				  lower_convert(L, n, VCL_TY_INT, VCL_TY_LONG),
				  emit_const(L, VCL_IR_I64, 1023)),
		       emit_const(L, VCL_IR_I64, 52));
	return lower_reinterpret(L, e, VCL_IR_I64, VCL_IR_F64);
}

/* y * 2^n of a double (n an int), rounded once, as musl's scalbn: up to
 * two steps of 2^1023 or of 2^-969 first (a step below the normal range
 * rounds only where the rest of n takes the result under half the least
 * subnormal, so to zero anyway), then the rest of n. */
static uint32_t scale2(struct call *d, uint32_t y, uint32_t n)
{
	struct lower *L = d->L;
	struct call i = on_kind(d, VCL_TY_INT);
	for (int step = 0; step < 2; step++) {
		uint32_t up = cmp(&i, VCL_T_GT, n, konst(&i, 1023));
		uint32_t down =
		    cmp(&i, VCL_T_LT, n, konst(&i, (uint64_t)-1022));
		y = emit_select(
		    L, d->t, up, bin(d, VCL_IR_FMUL, y, fconst(d, 0x1p1023)),
		    emit_select(L, d->t, down,
				bin(d, VCL_IR_FMUL, y, fconst(d, 0x1p-969)),
				y));
		n = emit_select(
		    L, VCL_IR_I32, up, bin(&i, VCL_IR_SUB, n, konst(&i, 1023)),
		    emit_select(L, VCL_IR_I32, down,
				bin(&i, VCL_IR_ADD, n, konst(&i, 969)), n));
	}
	n = imin(&i, imax(&i, n, konst(&i, (uint64_t)-1022)), konst(&i, 1023));
	return bin(d, VCL_IR_FMUL, y, pow2(d, n));
}

/* rootn(a, n) of a double: |a| = m 2^e (frexp), e = q n + s with
 * q = rint(e / n), so the root is pow(m 2^s, 1/n) 2^q, and m 2^s's log
 * over n is below ln 2 (pow(|a|, 1/n) would carry 1/n's rounding times
 * the result's log: 230 ulp at 1e100). For |n| > 1000 q is 0 (|a|'s log
 * over n is small already). Negative a only for odd n (else NaN), the
 * sign of a (-0 too) kept for odd n; n = 0 gives NaN. */
static uint32_t rootn_lane(struct call *d, uint32_t a, uint32_t n)
{
	struct lower *L = d->L;
	struct call i = on_kind(d, VCL_TY_INT);
	uint32_t ax = intrin1(d, "fabs", a), e;
	uint32_t m = frexp_lane(d, ax, &e);
	uint32_t nd = lower_convert(L, n, VCL_TY_INT, VCL_TY_DOUBLE);
	/* |n| > 1000 as two compares: -INT_MIN wraps */
	uint32_t big = emit_value(
	    L, VCL_IR_OR, VCL_IR_I1, cmp(&i, VCL_T_GT, n, konst(&i, 1000)),
	    cmp(&i, VCL_T_LT, n, konst(&i, (uint64_t)-1000)));
	uint32_t direct = emit_value(L, VCL_IR_OR, VCL_IR_I1, big,
				     emit_value(L, VCL_IR_XOR, VCL_IR_I1,
						finite_nonzero(d, ax),
						emit_const(L, VCL_IR_I1, 1)));
	uint32_t q = lower_convert(
	    L,
	    intrin1(d, "rint",
		    bin(d, VCL_IR_FDIV,
			lower_convert(L, e, VCL_TY_INT, VCL_TY_DOUBLE), nd)),
	    VCL_TY_DOUBLE, VCL_TY_INT);
	q = emit_select(L, VCL_IR_I32, direct, konst(&i, 0), q);
	uint32_t s = bin(&i, VCL_IR_SUB, e, bin(&i, VCL_IR_MUL, q, n));
	/* |s| <= 500 here, so 2^s is a normal double */
	uint32_t base = emit_select(
	    L, d->t, direct, ax,
	    bin(d, VCL_IR_FMUL, m,
		pow2(d, imin(&i, imax(&i, s, konst(&i, (uint64_t)-1000)),
			     konst(&i, 1000)))));
	uint32_t r = scale2(
	    d, intrin2(d, "pow", base, bin(d, VCL_IR_FDIV, fconst(d, 1), nd)),
	    q);
	uint32_t odd = lower_compare(
	    L, VCL_T_NE, VCL_TY_INT,
	    emit_value(L, VCL_IR_AND, VCL_IR_I32, n, konst(&i, 1)),
	    konst(&i, 0));
	uint32_t nan = fconst(d, __builtin_nan(""));
	r = emit_select(
	    L, d->t, odd, intrin2(d, "copysign", r, a),
	    emit_select(L, d->t, cmp(d, VCL_T_LT, a, fconst(d, 0)), nan, r));
	return emit_select(L, d->t, cmp(&i, VCL_T_EQ, n, konst(&i, 0)), nan, r);
}

/* sinpi cospi tanpi asinpi acospi atanpi atan2pi ldexp rootn, computed
 * in double (a float's rounded once, far below its ulp; a double's
 * within OpenCL's limits): sinpi, cospi and tanpi (their quotient) by
 * sin_cos_pi; the inverse ones the intrinsic over pi; ldexp exact (a
 * float's by one product in double, n clamped where the result is 0 or
 * inf anyway; a double's by scale2); rootn by rootn_lane. VCL_IR_NONE
 * for other names. */
static uint32_t via_double(struct call *c, const char *name, const uint32_t *x)
{
	static const char *const names[] = {"sinpi",   "cospi",	 "tanpi",
					    "asinpi",  "acospi", "atanpi",
					    "atan2pi", "ldexp",	 "rootn"};
	size_t k = 0, count = sizeof(names) / sizeof(*names);
	while (k < count && strcmp(name, names[k]))
		k++;
	if (k == count)
		return VCL_IR_NONE;
	struct lower *L = c->L;
	bool f32 = c->k == VCL_TY_FLOAT;
	struct call d = on_kind(c, VCL_TY_DOUBLE), i = on_kind(c, VCL_TY_INT);
	uint32_t a = f32 ? lower_convert(L, x[0], VCL_TY_FLOAT, VCL_TY_DOUBLE)
			 : x[0],
		 r;
	uint32_t pi = fconst(&d, 3.14159265358979323846);
	if (k <= 2) {
		r = sin_cos_pi(&d, k == 1, a);
		if (k == 2)
			r = bin(&d, VCL_IR_FDIV, r, sin_cos_pi(&d, true, a));
	} else if (k <= 5) {
		r = bin(&d, VCL_IR_FDIV,
			intrin1(&d,
				k == 3	 ? "asin"
				: k == 4 ? "acos"
					 : "atan",
				a),
			pi);
	} else if (k == 6) {
		uint32_t b =
		    f32 ? lower_convert(L, x[1], VCL_TY_FLOAT, VCL_TY_DOUBLE)
			: x[1];
		r = bin(&d, VCL_IR_FDIV, intrin2(&d, "atan2", a, b), pi);
	} else if (k == 7 && f32) {
		uint32_t n = imin(&i, imax(&i, x[1], konst(&i, (uint64_t)-400)),
				  konst(&i, 400));
		r = bin(&d, VCL_IR_FMUL, a, pow2(&d, n)); /* exact */
	} else if (k == 7) {
		r = scale2(&d, a, x[1]);
	} else {
		r = rootn_lane(&d, a, x[1]);
	}
	return f32 ? lower_convert(L, r, VCL_TY_DOUBLE, VCL_TY_FLOAT) : r;
}
static uint32_t float_lane(struct call *c, const char *name, const uint32_t *x,
			   uint32_t nargs)
{
	uint32_t e = float_exact(c, name, x);
	if (e == VCL_IR_NONE)
		e = via_double(c, name, x);
	if (e != VCL_IR_NONE)
		return e;
	if (!strcmp(name, "ilogb"))
		return ilogb_lane(c, x[0]);
	if (!strcmp(name, "remainder"))
		return remquo_lane(c, x[0], x[1], NULL);
	if (!strcmp(name, "tgamma") || !strcmp(name, "lgamma"))
		return gamma_lane(c, name, x[0]);
	const char *base = vcl_ir_intrin_base(name, nargs);
	if (base)
		return lower_intrin(c->L, c->t, base, x, nargs);
	if (!strcmp(name, "pown")) {
		/* pow of an integer-valued exponent: exact for |n| < 2^24 */
		uint32_t y[2] = {x[0],
				 lower_convert(c->L, x[1], VCL_TY_INT, c->k)};
		return lower_intrin(c->L, c->t, "pow", y, 2);
	}
	lower_error(c->L, c->n, "not lowered yet: built-in '%s'", name);
	return VCL_IR_NONE;
}

static uint32_t dot(struct call *c, const struct lanes *a,
		    const struct lanes *b)
{
	/* as mads: the spec lets the geometric functions contract */
	uint32_t s = bin(c, VCL_IR_FMUL, a->v[0], b->v[0]);
	for (uint32_t i = 1; i < a->n; i++) {
		uint32_t x[3] = {a->v[i], b->v[i % b->n], s};
		s = lower_intrin(c->L, c->t, "mad", x, 3);
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
		out->v[0] = lower_intrin(c->L, c->t, "sqrt", &s, 1);
	} else if (!strcmp(name, "normalize")) {
		/* x / |x|; a zero vector stays zero */
		uint32_t s = dot(c, &a[0], &a[0]);
		uint32_t r = lower_intrin(c->L, c->t, "rsqrt", &s, 1);
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
	uint32_t pv = VCL_IR_NONE; /* the out pointer (fract, frexp...) */
	vcl_ir_type pt = VCL_IR_NONE;
	for (const struct vcl_node *e = n->list; e; e = e->next, nargs++) {
		if (nargs == ARGS_MAX || !e->ty ||
		    (e->ty->kind == VCL_TY_POINTER && e->next)) {
			lower_error(L, n, "not lowered yet: built-in '%s'",
				    name);
			return false;
		}
		if (e->ty->kind == VCL_TY_POINTER) {
			pv = lower_rvalue(L, e);
			pt = lower_type(L, e->ty, e);
			a[nargs].n = 1;
			continue;
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
		if (pv != VCL_IR_NONE) {
			uint32_t second = VCL_IR_NONE;
			vcl_ir_type st = c.t;
			r = kind_float(c.k)
				? float_out_lane(&c, name, x, &second, &st)
				: VCL_IR_NONE;
			if (r == VCL_IR_NONE)
				return false;
			lower_store_at(L, pv, pt, i * vcl_ir_type_size(st), st,
				       second);
			out->v[i] = r;
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
