/*
 * Loops that need no stop poll (docs/compiler.md, "Code generation"): a
 * counted loop `for (s = c0; s < c1; s += k)` with constants c0, c1, k > 0,
 * that cannot wrap, whose loops inside are such loops too, all together
 * at most SHORT_TRIPS iterations, and whose counter s (a slot) nothing
 * else writes or addresses (cg_counted_loop). Such a loop ends on
 * its own in bounded time (its calls poll in their own loops), so it goes
 * without the poll at its back-edge, and LLVM may unroll it and vectorize
 * the work-item loop around it. Any other loop keeps its poll.
 */
#include <stdlib.h>

#include "jit_internal.h"

#define SHORT_TRIPS (1u << 16)

struct short_scan {
	const struct vcl_ir_inst **def; /* per value: its instruction */
	uint32_t ndef;
	uint8_t *addressed; /* per slot: a SLOT takes its address */
	uint32_t nslots;
};

static void scan(struct short_scan *S, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->id < S->ndef)
			S->def[i->id] = i;
		if (i->op == VCL_IR_SLOT && i->imm < S->nslots)
			S->addressed[i->imm] = 1;
		scan(S, &i->then);
		scan(S, &i->els);
	}
}

static const struct vcl_ir_inst *def_of(const struct short_scan *S, uint32_t x,
					enum vcl_ir_op op)
{
	const struct vcl_ir_inst *d = x < S->ndef ? S->def[x] : NULL;
	return d && d->op == op ? d : NULL;
}

/* A scalar integer constant of 32 or 64 bits, signed or not, or the
 * difference of two (`-2` is `0 - 2` in the IR) that its type holds. */
static bool int_const(const struct short_scan *S, uint32_t x, bool sign,
		      int64_t *out)
{
	const struct vcl_ir_inst *d = def_of(S, x, VCL_IR_CONST);
	const struct vcl_ir_inst *sub = def_of(S, x, VCL_IR_SUB);
	int64_t a, b;
	if (sub && !VCL_IR_LANES(sub->type) &&
	    def_of(S, sub->a, VCL_IR_CONST) &&
	    def_of(S, sub->b, VCL_IR_CONST) && int_const(S, sub->a, sign, &a) &&
	    int_const(S, sub->b, sign, &b) &&
	    !__builtin_sub_overflow(a, b, out)) {
		bool wide = VCL_IR_KIND(sub->type) == VCL_IR_I64;
		int64_t lo = sign ? (wide ? INT64_MIN : INT32_MIN) : 0;
		int64_t hi = wide ? INT64_MAX : sign ? INT32_MAX : UINT32_MAX;
		return *out >= lo && *out <= hi;
	}
	if (!d || VCL_IR_LANES(d->type))
		return false;
	if (VCL_IR_KIND(d->type) == VCL_IR_I64) {
		if (!sign && d->imm > INT64_MAX)
			return false;
		*out = (int64_t)d->imm;
		return true;
	}
	if (VCL_IR_KIND(d->type) != VCL_IR_I32)
		return false;
	uint32_t v = (uint32_t)d->imm;
	*out = sign ? (int64_t)(int32_t)v : (int64_t)v;
	return true;
}

/* Whether a block (and its regions) writes slot s. */
static bool writes(const struct vcl_ir_block *b, uint64_t s)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if ((i->op == VCL_IR_STS && i->imm == s) ||
		    writes(&i->then, s) || writes(&i->els, s))
			return true;
	return false;
}

static const struct vcl_ir_inst *def_in(const struct vcl_ir_inst *const *def,
					uint32_t ndef, uint32_t x,
					enum vcl_ir_op op)
{
	const struct vcl_ir_inst *d = x < ndef ? def[x] : NULL;
	return d && d->op == op ? d : NULL;
}

static bool lds_in(const struct vcl_ir_inst *const *def, uint32_t ndef,
		   uint32_t x, uint64_t s)
{
	const struct vcl_ir_inst *d = def_in(def, ndef, x, VCL_IR_LDS);
	return d && d->imm == s;
}

bool cg_counted_loop(const struct vcl_ir_inst *const *def, uint32_t ndef,
		     const uint8_t *addressed, uint32_t nslots,
		     const struct vcl_ir_inst *prev,
		     const struct vcl_ir_inst *L, struct counted_loop *out)
{
	/* s = init just before the loop */
	if (!prev || prev->op != VCL_IR_STS || prev->imm >= nslots ||
	    addressed[prev->imm])
		return false;
	uint64_t s = prev->imm;
	/* the body starts with: if (s < bound) {} else break; */
	const struct vcl_ir_inst *i = L->then.first;
	while (i && (i->op == VCL_IR_LDS || i->op == VCL_IR_CONST ||
		     i->op == VCL_IR_ICMP))
		i = i->next;
	if (!i || i->op != VCL_IR_IF || i->then.first || !i->els.first ||
	    i->els.first != i->els.last || i->els.first->op != VCL_IR_BREAK ||
	    i->els.first->imm != 0)
		return false;
	const struct vcl_ir_inst *cmp = def_in(def, ndef, i->a, VCL_IR_ICMP);
	if (!cmp || !lds_in(def, ndef, cmp->a, s))
		return false;
	bool sign = cmp->imm == VCL_ICMP_SLT || cmp->imm == VCL_ICMP_SLE;
	bool incl = cmp->imm == VCL_ICMP_SLE || cmp->imm == VCL_ICMP_ULE;
	if (!sign && cmp->imm != VCL_ICMP_ULT && cmp->imm != VCL_ICMP_ULE)
		return false;
	/* the continuing part is exactly s = s + step */
	const struct vcl_ir_inst *st = L->els.last;
	if (!st || st->op != VCL_IR_STS || st->imm != s)
		return false;
	const struct vcl_ir_inst *add = def_in(def, ndef, st->a, VCL_IR_ADD);
	if (!add)
		return false;
	uint32_t kx = lds_in(def, ndef, add->a, s) ? add->b : add->a;
	if (!lds_in(def, ndef, kx == add->b ? add->a : add->b, s))
		return false;
	for (const struct vcl_ir_inst *c = L->els.first; c != st; c = c->next)
		if (c->op != VCL_IR_LDS && c->op != VCL_IR_CONST &&
		    c->op != VCL_IR_ADD)
			return false;
	if (writes(&L->then, s))
		return false;
	const struct vcl_ir_inst *ld = def_in(def, ndef, cmp->a, VCL_IR_LDS);
	*out = (struct counted_loop){s,
				     prev->a,
				     cmp->b,
				     kx,
				     sign,
				     incl,
				     VCL_IR_KIND(ld->type) == VCL_IR_I64};
	return true;
}

#define NOT_SHORT UINT64_MAX

static uint64_t trips(const struct short_scan *S,
		      const struct vcl_ir_inst *prev,
		      const struct vcl_ir_inst *L);

/* Iterations of the loops in a block per run of it, or NOT_SHORT. */
static uint64_t inner_trips(const struct short_scan *S,
			    const struct vcl_ir_block *b)
{
	uint64_t n = 0;
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = b->first; i; prev = i, i = i->next) {
		uint64_t t = i->op == VCL_IR_LOOP ? trips(S, prev, i)
						  : inner_trips(S, &i->then);
		uint64_t e = i->op == VCL_IR_LOOP ? 0 : inner_trips(S, &i->els);
		if (t == NOT_SHORT || e == NOT_SHORT)
			return NOT_SHORT;
		n += t + e;
		if (n > SHORT_TRIPS)
			return NOT_SHORT;
	}
	return n;
}

/* Iterations of loop L and of the loops in it, or NOT_SHORT. */
static uint64_t trips(const struct short_scan *S,
		      const struct vcl_ir_inst *prev,
		      const struct vcl_ir_inst *L)
{
	struct counted_loop c;
	if (!cg_counted_loop(S->def, S->ndef, S->addressed, S->nslots, prev, L,
			     &c))
		return NOT_SHORT;
	bool sign = c.sign, incl = c.incl;
	int64_t c0, c1, k;
	if (!int_const(S, c.init, sign, &c0) ||
	    !int_const(S, c.bound, sign, &c1) ||
	    !int_const(S, c.step, sign, &k) || k <= 0 || k > SHORT_TRIPS)
		return NOT_SHORT;
	/* no wrap: the first value past c1 still fits the counter's type */
	int64_t max = c.wide ? INT64_MAX
		      : sign ? INT32_MAX
			     : (int64_t)UINT32_MAX;
	if (incl && c1 == max)
		return NOT_SHORT;
	int64_t end = c1 + incl; /* s < end */
	if (end > max - (k - 1) || c0 < -max)
		return NOT_SHORT;
	if (end <= c0)
		return 0;
	uint64_t n = ((uint64_t)(end - c0) + (uint64_t)k - 1) / (uint64_t)k;
	uint64_t body = inner_trips(S, &L->then);
	if (n > SHORT_TRIPS || body == NOT_SHORT ||
	    n * (1 + body) > SHORT_TRIPS)
		return NOT_SHORT;
	return n * (1 + body);
}

/* The function's scan is made once, at its first loop. */
bool cg_loop_short(struct cg_func *C, const struct vcl_ir_inst *prev,
		   const struct vcl_ir_inst *L)
{
	const struct vcl_ir_function *f = C->f;
	struct short_scan *S = C->short_scan;
	if (!S) {
		S = calloc(1, sizeof(*S));
		if (!S)
			return false;
		*S = (struct short_scan){
		    calloc(f->nvalues + 1, sizeof(*S->def)), f->nvalues,
		    calloc(f->nslots + 1, 1), f->nslots};
		C->short_scan = S;
		if (S->def && S->addressed)
			scan(S, &f->body);
	}
	return S->def && S->addressed && trips(S, prev, L) != NOT_SHORT;
}

void cg_loop_short_free(struct cg_func *C)
{
	struct short_scan *S = C->short_scan;
	if (S) {
		free(S->def);
		free(S->addressed);
		free(S);
	}
}
