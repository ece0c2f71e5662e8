/*
 * A work-item loop split on its edge tests (docs/compiler.md, "Code
 * generation"). A kernel such as the Game of Life's step tests whether
 * its work-item is inside the board, `if (x > 0 && x < w - 1 && ...)`,
 * and calls a helper with checked accesses for the edge: the branch keeps
 * the loop vectorizer out of the whole work-item loop. When such a test
 * is an AND of comparisons of an affine function of the local id along x
 * against values the same for the whole row (kernel arguments, the other
 * dimensions' ids), the row's x range where it holds is an interval
 * [lo, hi): the row runs as three x loops, [0, lo) and [hi, n) as
 * written, [lo, hi) with the test known, its other side not generated.
 * The work-items still run in their order (the same first fault).
 *
 * The IR gives `a && b` as a private variable: `s = a; if (s) { s = b; }`
 * (and `a || b` with the store in the else), read after it; these chains
 * are followed at the top level of the loop's body, where each variable's
 * store is known. An if whose test is an OR of such comparisons is known
 * false where all of them fail (the early `return` of a work-item past the
 * board's end). A comparison's affine side is A(l) = A(0) + k l, k = 1 or
 * -1, in its type's bits (modulo 2^width through add, sub, mul and shl by
 * constants, trunc); the row's bounds are computed in 64 bits before the
 * loops, from A(0) and the other side, and only where A's exact value
 * stays in the comparison's range over the whole row (no wrap), else the
 * middle loop runs none. Kernels with barriers, interchanged loops, and
 * splits that would drop nothing costly (a call, a check or a loop on the
 * dead side) are left as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

#define SPLIT_MAX_LEAVES 8
#define SPLIT_MAX_CONDS	 64
#define SPLIT_MAX_KNOWN	 8
#define SPLIT_MAX_COEF	 (INT64_C(1) << 20)

enum { C_LEAF, C_AND, C_OR };

/* A condition: one comparison, or an AND or OR of some. */
struct split_cond {
	uint8_t kind, n;
	uint32_t leaf[SPLIT_MAX_LEAVES]; /* ICMP values */
};

struct wg_split {
	const struct vcl_ir_function *f;
	uint8_t fuse;
	const struct vcl_ir_inst **def;	  /* per value */
	const struct vcl_ir_inst **reach; /* per LDS: the store it reads */
	const struct vcl_ir_inst **cur;	  /* per slot: its known store */
	uint16_t *slot_cond;		  /* per slot: 1 + its condition */
	uint16_t *val_cond;		  /* per i1 value: 1 + condition */
	uint8_t *addressed;		  /* per slot */
	uint8_t *state;	  /* per value: 0 unseen, 1 affine, 2 not */
	int64_t *coef;	  /* per affine value: k */
	uint8_t *done;	  /* per value: emitted for the current row */
	uint8_t *flat_st; /* per slot: stored by the if being flattened */
	struct split_cond conds[SPLIT_MAX_CONDS];
	uint32_t nconds;
	struct {
		const struct vcl_ir_inst *i;
		uint16_t cond;
		bool then; /* the then side runs in [lo, hi) */
	} known[SPLIT_MAX_KNOWN];
	uint32_t nknown;
};

static bool int_kind(vcl_ir_type t)
{
	return VCL_IR_KIND(t) >= VCL_IR_I8 && VCL_IR_KIND(t) <= VCL_IR_I64 &&
	       (t >> 8 & 0xff) <= 1; /* scalars */
}

static unsigned bits(vcl_ir_type t)
{
	static const unsigned w[] = {[VCL_IR_I8] = 8,
				     [VCL_IR_I16] = 16,
				     [VCL_IR_I32] = 32,
				     [VCL_IR_I64] = 64};
	return w[VCL_IR_KIND(t)];
}

static vcl_ir_type type_of(const struct wg_split *S, uint32_t x)
{
	if (x < S->f->nparams)
		return S->f->params[x].type;
	return x < S->f->nvalues && S->def[x] ? S->def[x]->type : VCL_IR_VOID;
}

/* The signed value of constant value x, when it is one. */
static bool const_of(const struct wg_split *S, uint32_t x, int64_t *c)
{
	const struct vcl_ir_inst *d =
	    x >= S->f->nparams && x < S->f->nvalues ? S->def[x] : NULL;
	if (!d || d->op != VCL_IR_CONST || !int_kind(d->type))
		return false;
	unsigned w = bits(d->type);
	uint64_t v = d->imm;
	if (w < 64)
		v = (v & ((UINT64_C(1) << w) - 1)) ^ (UINT64_C(1) << (w - 1));
	*c = w < 64 ? (int64_t)v - (INT64_C(1) << (w - 1)) : (int64_t)v;
	return true;
}

static bool bounded(int64_t k)
{
	return k >= -SPLIT_MAX_COEF && k <= SPLIT_MAX_COEF;
}

/* Whether integer value x is k l + (the same in the whole row), l the
 * local id along x, in its bits; k in S->coef[x]. */
static bool affine(struct wg_split *S, uint32_t x, int depth)
{
	const struct vcl_ir_function *f = S->f;
	if (x < f->nparams)
		return int_kind(f->params[x].type) && !(S->coef[x] = 0);
	if (x >= f->nvalues || !S->def[x] || depth > 48)
		return false;
	if (S->state[x])
		return S->state[x] == 1;
	const struct vcl_ir_inst *d = S->def[x];
	int64_t k = 0, c;
	bool ok = int_kind(d->type);
	switch (ok ? d->op : VCL_IR_OP_COUNT) {
	case VCL_IR_CONST:
		break;
	case VCL_IR_WI: {
		const struct vcl_ir_inst *dim =
		    d->a < f->nvalues ? S->def[d->a] : NULL;
		if (d->imm == VCL_WI_WORK_DIM)
			break;
		ok = dim && dim->op == VCL_IR_CONST;
		if (!ok || dim->imm != 0)
			break;
		/* fused groups (wg_fuse.c): the local and group ids along x
		 * are the run's counter split, not affine */
		if (d->imm == VCL_WI_GLOBAL_ID ||
		    (d->imm == VCL_WI_LOCAL_ID && S->fuse == FUSE_NO))
			k = 1;
		else if (d->imm == VCL_WI_LOCAL_ID ||
			 (d->imm == VCL_WI_GROUP_ID && S->fuse != FUSE_NO))
			ok = false;
		break;
	}
	case VCL_IR_LDS:
		ok = S->reach[x] && affine(S, S->reach[x]->a, depth + 1);
		k = ok ? S->coef[S->reach[x]->a] : 0;
		break;
	case VCL_IR_ADD:
	case VCL_IR_SUB:
		ok = affine(S, d->a, depth + 1) && affine(S, d->b, depth + 1);
		if (ok)
			k = d->op == VCL_IR_ADD ? S->coef[d->a] + S->coef[d->b]
						: S->coef[d->a] - S->coef[d->b];
		break;
	case VCL_IR_MUL:
		ok = affine(S, d->a, depth + 1) && affine(S, d->b, depth + 1);
		if (ok && S->coef[d->a] && S->coef[d->b])
			ok = false;
		else if (ok && S->coef[d->a])
			ok = const_of(S, d->b, &c) && bounded(c) &&
			     (k = S->coef[d->a] * c, true);
		else if (ok && S->coef[d->b])
			ok = const_of(S, d->a, &c) && bounded(c) &&
			     (k = S->coef[d->b] * c, true);
		break;
	case VCL_IR_SHL:
		ok = affine(S, d->a, depth + 1) && affine(S, d->b, depth + 1);
		if (ok && S->coef[d->b])
			ok = false;
		else if (ok && S->coef[d->a])
			ok = const_of(S, d->b, &c) && c >= 0 && c < 20 &&
			     (k = S->coef[d->a] * (INT64_C(1) << c), true);
		break;
	case VCL_IR_TRUNC:
		ok = affine(S, d->a, depth + 1);
		k = ok ? S->coef[d->a] : 0;
		break;
	case VCL_IR_SEXT:
	case VCL_IR_ZEXT:
		/* an extension of a wrapping value is not affine */
		ok = affine(S, d->a, depth + 1) && !S->coef[d->a];
		break;
	default:
		ok = false;
	}
	ok = ok && bounded(k);
	S->state[x] = ok ? 1 : 2;
	S->coef[x] = ok ? k : 0;
	return ok;
}

/* A comparison the split can use: the same in the row, or affine with
 * k = +-1 against the same in the row, 32 bits or fewer, not == or !=. */
static bool leaf_ok(struct wg_split *S, uint32_t x, bool *moves)
{
	const struct vcl_ir_inst *d =
	    x >= S->f->nparams && x < S->f->nvalues ? S->def[x] : NULL;
	if (!d || d->op != VCL_IR_ICMP || !affine(S, d->a, 0) ||
	    !affine(S, d->b, 0))
		return false;
	int64_t ka = S->coef[d->a], kb = S->coef[d->b];
	if (!ka && !kb)
		return true;
	*moves = true;
	int64_t k = ka ? ka : kb;
	return (!ka || !kb) && (k == 1 || k == -1) &&
	       bits(type_of(S, d->a)) <= 32 && d->imm != VCL_ICMP_EQ &&
	       d->imm != VCL_ICMP_NE;
}

static uint16_t new_cond(struct wg_split *S, uint8_t kind)
{
	if (S->nconds == SPLIT_MAX_CONDS)
		return 0;
	S->conds[S->nconds] = (struct split_cond){.kind = kind};
	return (uint16_t)++S->nconds;
}

/* The condition of i1 value x (1 + its index), or 0. */
static uint16_t cond_of(struct wg_split *S, uint32_t x)
{
	if (x < S->f->nparams || x >= S->f->nvalues)
		return 0;
	if (S->val_cond[x])
		return S->val_cond[x];
	const struct vcl_ir_inst *d = S->def[x];
	if (!d || d->op != VCL_IR_ICMP)
		return 0;
	uint16_t c = new_cond(S, C_LEAF);
	if (c) {
		S->conds[c - 1].n = 1;
		S->conds[c - 1].leaf[0] = x;
	}
	return S->val_cond[x] = c;
}

/* A op B, each a leaf or of kind OP: 1 + the new condition, or 0. */
static uint16_t combine(struct wg_split *S, uint8_t op, uint16_t a, uint16_t b)
{
	if (!a || !b)
		return 0;
	uint16_t c = new_cond(S, op);
	if (!c)
		return 0;
	struct split_cond *r = &S->conds[c - 1];
	for (int s = 0; s < 2; s++) {
		const struct split_cond *p = &S->conds[(s ? b : a) - 1];
		if ((p->kind != C_LEAF && p->kind != op) ||
		    r->n + p->n > SPLIT_MAX_LEAVES)
			return 0;
		memcpy(r->leaf + r->n, p->leaf, p->n * sizeof(*p->leaf));
		r->n += p->n;
	}
	return c;
}

/* Forgets the stores that B makes anywhere. */
static void forget(struct wg_split *S, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->op == VCL_IR_STS && i->imm < S->f->nslots) {
			S->cur[i->imm] = NULL;
			S->slot_cond[i->imm] = 0;
		}
		forget(S, &i->then);
		forget(S, &i->els);
	}
}

/* The store closing `s = a; if (s) { ...; s = b; }` (or the else
 * holding it, for ||): B holds no region, no exit and no other store,
 * and ends storing S; NULL otherwise. */
static const struct vcl_ir_inst *chain_store(const struct vcl_ir_block *b,
					     uint64_t s)
{
	const struct vcl_ir_inst *last = NULL;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->op == VCL_IR_IF || i->op == VCL_IR_LOOP ||
		    i->op == VCL_IR_BREAK || i->op == VCL_IR_CONTINUE ||
		    i->op == VCL_IR_RETURN || i->op == VCL_IR_SLOT ||
		    i->op == VCL_IR_BARRIER ||
		    (i->op == VCL_IR_STS && (i->next || i->imm != s)))
			return NULL;
		last = i;
	}
	return last && last->op == VCL_IR_STS ? last : NULL;
}

/* A call, check or loop anywhere in B: what the split drops is costly. */
static bool costly(const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if (i->op == VCL_IR_CALL || i->op == VCL_IR_CHECK ||
		    i->op == VCL_IR_LOOP || costly(&i->then) || costly(&i->els))
			return true;
	return false;
}

/* B is a break, continue or return, and nothing else. */
static bool exits_only(const struct vcl_ir_block *b)
{
	return b->first && !b->first->next &&
	       (b->first->op == VCL_IR_RETURN || b->first->op == VCL_IR_BREAK ||
		b->first->op == VCL_IR_CONTINUE);
}

/* Records the LDS of B (a chain's straight list) reading known stores. */
static void reach_list(struct wg_split *S, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if (i->op == VCL_IR_LDS && i->imm < S->f->nslots &&
		    i->id < S->f->nvalues)
			S->reach[i->id] = S->cur[i->imm];
}

/* An if of the body's top level: a link of a chain, or one to know. */
static void scan_if(struct wg_split *S, const struct vcl_ir_inst *i,
		    bool *trigger)
{
	const struct vcl_ir_inst *st = NULL;
	uint8_t op = C_AND;
	uint64_t s = UINT64_MAX;
	/* the slot the test was just stored to */
	for (uint32_t k = 0; k < S->f->nslots && s == UINT64_MAX; k++)
		if (S->cur[k] && S->cur[k]->a == i->a && !S->addressed[k])
			s = k;
	if (s != UINT64_MAX) {
		if (!i->els.first)
			st = chain_store(&i->then, s);
		else if (!i->then.first)
			st = chain_store(&i->els, s), op = C_OR;
		else
			st = NULL;
	}
	if (st) {
		reach_list(S, op == C_AND ? &i->then : &i->els);
		uint16_t c =
		    combine(S, op, cond_of(S, i->a), cond_of(S, st->a));
		S->cur[s] = NULL;
		S->slot_cond[s] = c;
		return;
	}
	uint16_t c = cond_of(S, i->a);
	bool moves = false, ok = c && S->nknown < SPLIT_MAX_KNOWN;
	for (uint32_t k = 0; ok && k < S->conds[c - 1].n; k++)
		ok = leaf_ok(S, S->conds[c - 1].leaf[k], &moves);
	if (ok && moves) {
		/* one comparison is either: the side dropped is the costly
		 * one, or an early exit (`if (x >= w) return;`) */
		uint8_t kind = S->conds[c - 1].kind;
		bool then = kind == C_AND ||
			    (kind == C_LEAF && !costly(&i->then) &&
			     (costly(&i->els) || !exits_only(&i->then)));
		S->known[S->nknown].i = i;
		S->known[S->nknown].cond = c;
		S->known[S->nknown++].then = then;
		*trigger |= costly(then ? &i->els : &i->then);
	}
	forget(S, &i->then);
	forget(S, &i->els);
}

static void addressed_slots(struct wg_split *S, const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->id < S->f->nvalues)
			S->def[i->id] = i;
		if (i->op == VCL_IR_SLOT && i->imm < S->f->nslots)
			S->addressed[i->imm] = 1;
		addressed_slots(S, &i->then);
		addressed_slots(S, &i->els);
	}
}

void wg_split_free(struct wg_split *S)
{
	if (!S)
		return;
	free(S->def);
	free(S->reach);
	free(S->cur);
	free(S->slot_cond);
	free(S->val_cond);
	free(S->addressed);
	free(S->state);
	free(S->coef);
	free(S->done);
	free(S->flat_st);
	free(S);
}

struct wg_split *wg_split_plan(struct cg_func *C,
			       const struct vcl_ir_inst *first,
			       const struct vcl_ir_inst *end)
{
	const struct vcl_ir_function *f = C->f;
	if (C->plan->barriers || !first || C->wi_body || C->wi_yend)
		return NULL;
	struct wg_split *S = calloc(1, sizeof(*S));
	if (!S)
		return NULL;
	size_t nv = f->nvalues + 1, ns = f->nslots + 1;
	S->f = f;
	S->fuse = C->M->fuse;
	S->def = calloc(nv, sizeof(*S->def));
	S->reach = calloc(nv, sizeof(*S->reach));
	S->cur = calloc(ns, sizeof(*S->cur));
	S->slot_cond = calloc(ns, sizeof(*S->slot_cond));
	S->val_cond = calloc(nv, sizeof(*S->val_cond));
	S->addressed = calloc(ns, 1);
	S->state = calloc(nv, 1);
	S->coef = calloc(nv, sizeof(*S->coef));
	S->done = calloc(nv, 1);
	S->flat_st = calloc(ns, 1);
	if (!S->def || !S->reach || !S->cur || !S->slot_cond || !S->val_cond ||
	    !S->addressed || !S->state || !S->coef || !S->done) {
		wg_split_free(S);
		return NULL;
	}
	addressed_slots(S, &f->body);
	bool trigger = false;
	for (const struct vcl_ir_inst *i = first; i && i != end; i = i->next) {
		if (i->op == VCL_IR_STS && i->imm < f->nslots &&
		    !S->addressed[i->imm]) {
			S->cur[i->imm] = i;
			S->slot_cond[i->imm] =
			    VCL_IR_KIND(type_of(S, i->a)) == VCL_IR_I1
				? cond_of(S, i->a)
				: 0;
		} else if (i->op == VCL_IR_LDS && i->imm < f->nslots &&
			   i->id < f->nvalues) {
			S->reach[i->id] = S->cur[i->imm];
			if (S->slot_cond[i->imm])
				S->val_cond[i->id] = S->slot_cond[i->imm];
		} else if (i->op == VCL_IR_IF) {
			scan_if(S, i, &trigger);
		} else {
			forget(S, &i->then);
			forget(S, &i->els);
		}
	}
	if (!trigger) {
		wg_split_free(S);
		return NULL;
	}
	return S;
}

int wg_split_known(const struct cg_func *C, const struct vcl_ir_inst *i)
{
	const struct wg_split *S = C->split_mid ? C->split : NULL;
	for (uint32_t k = 0; S && k < S->nknown; k++)
		if (S->known[k].i == i)
			return S->known[k].then;
	return -1;
}

/* Value x for local id 0 along x (the row's other ids as they are),
 * through the code generator's own operations. */
static LLVMValueRef eval(struct cg_func *C, struct wg_split *S, uint32_t x)
{
	if (x < S->f->nparams || S->done[x])
		return C->vals[x].v;
	const struct vcl_ir_inst *d = S->def[x];
	/* the operations affine() and leaf_ok() allow */
	if (d->op == VCL_IR_LDS) {
		C->vals[x] = (struct cg_val){.v = eval(C, S, S->reach[x]->a)};
	} else {
		if (d->op == VCL_IR_WI ? d->imm != VCL_WI_WORK_DIM
				       : d->op != VCL_IR_CONST)
			eval(C, S, d->a);
		if ((d->op >= VCL_IR_ADD && d->op <= VCL_IR_ASHR) ||
		    d->op == VCL_IR_ICMP)
			eval(C, S, d->b);
		cg_inst(C, d);
	}
	S->done[x] = 1;
	return C->vals[x].v;
}

static LLVMValueRef c64(struct cg_func *C, int64_t v)
{
	return LLVMConstInt(C->M->i64, (uint64_t)v, 1);
}

static LLVMValueRef smax(struct cg_func *C, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(C->b, LLVMBuildICmp(C->b, LLVMIntSGT, a, b, ""),
			       a, b, "");
}

static LLVMValueRef smin(struct cg_func *C, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(C->b, LLVMBuildICmp(C->b, LLVMIntSLT, a, b, ""),
			       a, b, "");
}

static const uint8_t negated[VCL_ICMP_COUNT] = {
    [VCL_ICMP_SLT] = VCL_ICMP_SGE, [VCL_ICMP_SLE] = VCL_ICMP_SGT,
    [VCL_ICMP_SGT] = VCL_ICMP_SLE, [VCL_ICMP_SGE] = VCL_ICMP_SLT,
    [VCL_ICMP_ULT] = VCL_ICMP_UGE, [VCL_ICMP_ULE] = VCL_ICMP_UGT,
    [VCL_ICMP_UGT] = VCL_ICMP_ULE, [VCL_ICMP_UGE] = VCL_ICMP_ULT};
static const uint8_t swapped[VCL_ICMP_COUNT] = {
    [VCL_ICMP_SLT] = VCL_ICMP_SGT, [VCL_ICMP_SLE] = VCL_ICMP_SGE,
    [VCL_ICMP_SGT] = VCL_ICMP_SLT, [VCL_ICMP_SGE] = VCL_ICMP_SLE,
    [VCL_ICMP_ULT] = VCL_ICMP_UGT, [VCL_ICMP_ULE] = VCL_ICMP_UGE,
    [VCL_ICMP_UGT] = VCL_ICMP_ULT, [VCL_ICMP_UGE] = VCL_ICMP_ULE};

/* Narrows [*lo, *hi) to where comparison leaf x (negated when NEG)
 * holds; *ok false where that cannot be known exactly. */
static void leaf_bounds(struct cg_func *C, struct wg_split *S, uint32_t x,
			bool neg, LLVMValueRef n, LLVMValueRef *lo,
			LLVMValueRef *hi, LLVMValueRef *ok)
{
	LLVMBuilderRef B = C->b;
	const struct vcl_ir_inst *d = S->def[x];
	if (!S->coef[d->a] && !S->coef[d->b]) {
		LLVMValueRef v = eval(C, S, x);
		*ok =
		    LLVMBuildAnd(B, *ok, neg ? LLVMBuildNot(B, v, "") : v, "");
		return;
	}
	uint8_t p = neg ? negated[d->imm] : (uint8_t)d->imm;
	uint32_t a = d->a, u = d->b;
	if (!S->coef[a]) {
		a = d->b;
		u = d->a;
		p = swapped[p];
	}
	bool sign = p <= VCL_ICMP_SGE;
	unsigned w = bits(type_of(S, a));
	LLVMValueRef a0 = eval(C, S, a), ub = eval(C, S, u);
	a0 = sign ? LLVMBuildSExt(B, a0, C->M->i64, "")
		  : LLVMBuildZExt(B, a0, C->M->i64, "");
	ub = sign ? LLVMBuildSExt(B, ub, C->M->i64, "")
		  : LLVMBuildZExt(B, ub, C->M->i64, "");
	/* A(l) = a0 + k l is exact over the row: its far end in range */
	int64_t min = sign ? -(INT64_C(1) << (w - 1)) : 0,
		max = sign ? (INT64_C(1) << (w - 1)) - 1
			   : (int64_t)((UINT64_C(1) << w) - 1);
	LLVMValueRef last = LLVMBuildSub(B, n, c64(C, 1), "");
	if (S->coef[a] > 0) {
		*ok = LLVMBuildAnd(B, *ok,
				   LLVMBuildICmp(B, LLVMIntSLE,
						 LLVMBuildAdd(B, a0, last, ""),
						 c64(C, max), ""),
				   "");
	} else {
		*ok = LLVMBuildAnd(B, *ok,
				   LLVMBuildICmp(B, LLVMIntSGE,
						 LLVMBuildSub(B, a0, last, ""),
						 c64(C, min), ""),
				   "");
		/* -A(l) = -a0 + l against -u */
		a0 = LLVMBuildNeg(B, a0, "");
		ub = LLVMBuildNeg(B, ub, "");
		p = swapped[p];
	}
	/* a0 + l p ub, l an integer */
	LLVMValueRef gap = LLVMBuildSub(B, ub, a0, "");
	LLVMValueRef gap1 = LLVMBuildAdd(B, gap, c64(C, 1), "");
	switch (p) {
	case VCL_ICMP_SLT:
	case VCL_ICMP_ULT:
		*hi = smin(C, *hi, gap);
		break;
	case VCL_ICMP_SLE:
	case VCL_ICMP_ULE:
		*hi = smin(C, *hi, gap1);
		break;
	case VCL_ICMP_SGT:
	case VCL_ICMP_UGT:
		*lo = smax(C, *lo, gap1);
		break;
	default:
		*lo = smax(C, *lo, gap);
	}
}

void wg_split_bounds(struct cg_func *C, struct wg_split *S, LLVMValueRef *lo,
		     LLVMValueRef *hi)
{
	LLVMBuilderRef B = C->b;
	LLVMValueRef n = C->lsize[0], l = c64(C, 0), h = n;
	LLVMValueRef ok =
	    LLVMBuildICmp(B, LLVMIntULE, n, c64(C, INT64_C(1) << 31), "");
	LLVMValueRef lid0 = C->lid[0];
	C->lid[0] = c64(C, 0);
	memset(S->done, 0, S->f->nvalues + 1);
	for (uint32_t k = 0; k < S->nknown; k++) {
		const struct split_cond *c = &S->conds[S->known[k].cond - 1];
		for (uint32_t j = 0; j < c->n; j++)
			leaf_bounds(C, S, c->leaf[j], !S->known[k].then, n, &l,
				    &h, &ok);
	}
	C->lid[0] = lid0;
	l = smin(C, smax(C, l, c64(C, 0)), n);
	h = smin(C, smax(C, h, l), n);
	*lo = LLVMBuildSelect(B, ok, l, c64(C, 0), "split.lo");
	*hi = LLVMBuildSelect(B, ok, h, c64(C, 0), "split.hi");
}

/* Function g computes only: no memory, no calls, no loops. */
static bool pure_function(const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		switch (i->op) {
		case VCL_IR_LOAD:
		case VCL_IR_STORE:
		case VCL_IR_CHECK:
		case VCL_IR_CALL:
		case VCL_IR_INTRIN:
		case VCL_IR_ATOMIC:
		case VCL_IR_LOOP:
		case VCL_IR_BARRIER:
		case VCL_IR_SLOT:
		case VCL_IR_LOCAL:
		case VCL_IR_SDIV:
		case VCL_IR_SREM:
			return false;
		default:
			if (!pure_function(&i->then) || !pure_function(&i->els))
				return false;
		}
	}
	return true;
}

/* An ordered comparison: the hoisted checks under an if testing it may
 * hold only where it does (wg_hoist.c, narrow). */
static bool may_narrow(const struct cg_func *C, const struct vcl_ir_inst *i)
{
	const struct vcl_ir_inst *d =
	    i->a >= C->f->nparams && i->a < C->f->nvalues ? C->split->def[i->a]
							  : NULL;
	return !d || (d->op == VCL_IR_ICMP && d->imm != VCL_ICMP_EQ &&
		      d->imm != VCL_ICMP_NE);
}

struct slice {
	const struct wg_split *S;
	int depth;
	bool hit;
};

static bool reads_flat(const struct wg_split *S, uint32_t x, int depth);

static void slice_operand(void *arg, uint32_t x)
{
	struct slice *sl = arg;
	sl->hit = sl->hit || reads_flat(sl->S, x, sl->depth + 1);
}

/* Value x may read a variable the flattened if stores: speculated, such
 * a read sees what the store did not make (the address a hoisted check
 * covers would not be the one loaded). */
static bool reads_flat(const struct wg_split *S, uint32_t x, int depth)
{
	if (x < S->f->nparams)
		return false;
	if (x >= S->f->nvalues || !S->def[x] || depth > 32)
		return true;
	const struct vcl_ir_inst *d = S->def[x];
	if (d->op == VCL_IR_LDS)
		return d->imm >= S->f->nslots || S->flat_st[d->imm];
	if (d->op == VCL_IR_CALL || d->op == VCL_IR_LOAD ||
	    d->op == VCL_IR_INTRIN || d->op == VCL_IR_ATOMIC)
		return d->op != VCL_IR_LOAD; /* a loaded index: its own load */
	struct slice sl = {S, depth, false};
	wg_operands(d, slice_operand, &sl);
	return sl.hit;
}

/* Block B may run for every work-item of the middle loop: it computes,
 * sets private variables whose address is not taken, calls functions
 * that compute only, and loads through checks hoisted for the group. */
static bool flat_block(const struct cg_func *C, const struct vcl_ir_block *b)
{
	struct wg_split *S = C->split;
	const struct vcl_ir_inst *d;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		switch (i->op) {
		case VCL_IR_IF:
			if ((i->then.first && may_narrow(C, i)) ||
			    !flat_block(C, &i->then) || !flat_block(C, &i->els))
				return false;
			break;
		case VCL_IR_STS:
			if (i->imm >= S->f->nslots || S->addressed[i->imm] ||
			    VCL_IR_KIND(type_of(S, i->a)) == VCL_IR_PTR)
				return false;
			S->flat_st[i->imm] = 1;
			break;
		case VCL_IR_LOAD:
			d = i->a >= S->f->nparams && i->a < S->f->nvalues
				? S->def[i->a]
				: NULL;
			if (!d || d->op != VCL_IR_CHECK)
				return false;
			break;
		case VCL_IR_CHECK:
			if (!C->unchecked || i->id >= S->f->nvalues ||
			    !C->unchecked[i->id] || reads_flat(S, i->a, 0))
				return false;
			break;
		case VCL_IR_CALL:
			if (i->imm >= C->M->m->nfuncs ||
			    !pure_function(&C->M->m->funcs[i->imm].body))
				return false;
			break;
		case VCL_IR_PTRADD:
		case VCL_IR_LDS:
		case VCL_IR_CONST:
		case VCL_IR_WI:
		case VCL_IR_SELECT:
		case VCL_IR_ICMP:
		case VCL_IR_FCMP:
			break;
		default:
			if (!(i->op >= VCL_IR_ADD && i->op <= VCL_IR_FNEG &&
			      i->op != VCL_IR_SDIV && i->op != VCL_IR_SREM) &&
			    !(i->op >= VCL_IR_SEXT && i->op <= VCL_IR_FPTOUI))
				return false;
		}
	}
	return true;
}

bool wg_split_flatten(struct cg_func *C, const struct vcl_ir_inst *i)
{
	if (!C->split_mid || !C->split)
		return false;
	memset(C->split->flat_st, 0, C->f->nslots + 1);
	if ((i->then.first && may_narrow(C, i)) || !flat_block(C, &i->then) ||
	    !flat_block(C, &i->els))
		return false;
	LLVMBuilderRef B = C->b;
	LLVMValueRef c = cg_get(C, i->a).v, outer = C->pred;
	LLVMValueRef t = outer ? LLVMBuildAnd(B, outer, c, "") : c,
		     e = LLVMBuildNot(B, c, "");
	e = outer ? LLVMBuildAnd(B, outer, e, "") : e;
	C->pred = t;
	cg_block(C, &i->then);
	C->pred = e;
	cg_block(C, &i->els);
	C->pred = outer;
	return true;
}
