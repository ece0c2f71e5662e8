/*
 * Bounds checks hoisted out of a work-item loop (docs/compiler.md, "Code
 * generation"). A check whose offset is affine in the local ids and in
 * the counters of counted loops around it, with coefficients the same for
 * the whole group, reaches its smallest and largest offset at the box's
 * corners: its offset is computed before the loop at the lowest point
 * (local ids 0, counters at their start) and with one local id at
 * lsize - 1 or one counter at its last value, in 128-bit exact
 * arithmetic. When every such check's range lies in its object, the group
 * runs a copy of the loop without those checks (LLVM vectorizes it with
 * plain loads and stores); else it runs the checked loop, so a launch out
 * of bounds faults exactly as before.
 *
 * Affine: constants, scalar parameters, work-item queries with a constant
 * dimension, add, sub, mul by a group-uniform value, shl by a constant,
 * sext, zext, trunc, a counted loop's counter (cg_counted_loop) in its
 * body, and/or/xor and shifts right by a constant (of values the same for
 * the whole group: exact; else bounded, see emit_bitwise), a variable the
 * same in every work-item (uniform_slots) read as work-item 0's before the
 * loop, and a private variable whose address is never taken read where the
 * store it holds is known: after a store in the same list of instructions
 * (a region's stores are forgotten after it, a loop's at its start), or,
 * stored once in the function at the top level of a segment outside the
 * group's ifs and loops, in any later segment. Soundness: each such
 * value's bits are its exact value modulo 2^width, and the exact value is
 * affine, so it lies between its corner values everywhere in the box.
 * Before the loop every value's exact range is checked to stay within
 * [-2^63, 2^63) (no 128-bit overflow) and, where a sext or zext reads it,
 * within the range that extension keeps; a counter's start and bound to be
 * values of its type that cannot make it wrap; the offset's range within
 * [0, size - bytes]. Inside `if (id < u)` with u uniform the local id's
 * highest value is lower (narrow): the checks there need hold for the
 * work-items that run them.
 */
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* Values a check's offset may be built from. */
#define HOIST_MAX_NODES 256
/* Counted loops around a check whose counter may be in its offset. */
#define HOIST_MAX_COUNTERS 4
/* Values bounded rather than affine (and, or, xor, shifts right), each
 * a variable of its own in the box. */
#define HOIST_MAX_RANGES 4
/* The points a value is computed at: everything at its lowest, then each
 * local id (dimension 0..2), each counter and each bounded value at its
 * highest. */
#define PT_RANGE (4 + HOIST_MAX_COUNTERS)
#define NPT	 (PT_RANGE + HOIST_MAX_RANGES)

struct hoist_scan {
	const struct vcl_ir_inst **def;	  /* per value: its instruction */
	const struct vcl_ir_inst **cur;	  /* per slot: the store it holds */
	const struct vcl_ir_inst **kept;  /* per slot: see hoist_segment */
	uint32_t *nsts;			  /* per slot: stores in the function */
	const struct vcl_ir_inst **reach; /* per LDS: the store it read */
	uint8_t *lds_ctr;   /* per LDS: 1 + the counter it read, or 0 */
	uint8_t *addressed; /* per slot: a SLOT takes it */
	uint8_t *state;	    /* per value: 0 unknown, 1 affine, 2 being seen */
	uint16_t *mask; /* per value: local ids (bits 0-2), counters, ranges */
	uint8_t *range; /* per value: 1 + its bounded variable, or 0 */
	uint32_t nranges;
	uint8_t *uni;	  /* per slot: the same in every work-item (uniform) */
	uint8_t *uni_val; /* per value: see uniform_value */
	LLVMValueRef lid_hi[3];	 /* i128 highest local id where known lower */
	LLVMValueRef (*at)[NPT]; /* per value: at the points */
	uint32_t *touched;	 /* values with `at` set */
	uint32_t ntouched, nodes;
	LLVMValueRef cond;			     /* everything in range */
	struct counted_loop ctr[HOIST_MAX_COUNTERS]; /* around the check */
	uint32_t nctr;
};

/* GROUP: B is a list every work-item runs all of (the body, a region
 * holding a barrier); a store elsewhere makes its slot not uniform. */
static void scan(struct hoist_scan *H, const struct wg_plan *P,
		 const struct vcl_ir_function *f, const struct vcl_ir_block *b,
		 bool group)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->id < f->nvalues)
			H->def[i->id] = i;
		if (i->op == VCL_IR_SLOT && i->imm < f->nslots)
			H->addressed[i->imm] = 1;
		if (i->op == VCL_IR_STS && i->imm < f->nslots) {
			H->nsts[i->imm]++;
			if (!group)
				H->uni[i->imm] = 0;
		}
		/* a divergent loop's steps are not every work-item's */
		bool inner =
		    group && wg_has_barrier(P, i) && !wg_divergent(P, i);
		scan(H, P, f, &i->then, inner);
		scan(H, P, f, &i->els, inner);
	}
}

/* Whether value x is the same in every work-item of the group, by its
 * operations (1 yes, 2 no in uni_val). */
static bool uniform_value(struct hoist_scan *H, const struct vcl_ir_function *f,
			  uint32_t x, int depth)
{
	if (x < f->nparams)
		return true;
	if (x >= f->nvalues || !H->def[x] || depth > 64)
		return false;
	if (H->uni_val[x])
		return H->uni_val[x] == 1;
	const struct vcl_ir_inst *d = H->def[x];
	bool ok = false;
	switch (d->op) {
	case VCL_IR_CONST:
		ok = true;
		break;
	case VCL_IR_WI: {
		const struct vcl_ir_inst *dim =
		    d->a < f->nvalues ? H->def[d->a] : NULL;
		ok = d->imm == VCL_WI_WORK_DIM ||
		     (d->imm != VCL_WI_GLOBAL_ID && d->imm != VCL_WI_LOCAL_ID &&
		      dim && dim->op == VCL_IR_CONST);
		break;
	}
	case VCL_IR_LDS:
		ok = d->imm < f->nslots && H->uni[d->imm];
		break;
	case VCL_IR_SEXT:
	case VCL_IR_ZEXT:
	case VCL_IR_TRUNC:
		ok = uniform_value(H, f, d->a, depth + 1);
		break;
	default:
		ok = ((d->op >= VCL_IR_ADD && d->op <= VCL_IR_ASHR) ||
		      d->op == VCL_IR_ICMP) &&
		     uniform_value(H, f, d->a, depth + 1) &&
		     uniform_value(H, f, d->b, depth + 1);
	}
	H->uni_val[x] = ok ? 1 : 2;
	return ok;
}

#define OP(o) (UINT64_C(1) << VCL_IR_##o)
_Static_assert(VCL_IR_OP_COUNT <= 64, "ops in a mask");

/* An instruction whose op is in OPS (a mask of OP()) anywhere in B. */
static bool block_has(const struct vcl_ir_block *b, uint64_t ops)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if ((i->op < 64 && (ops >> i->op & 1)) ||
		    block_has(&i->then, ops) || block_has(&i->els, ops))
			return true;
	return false;
}

/* A break, continue or return anywhere in B. */
static bool has_exit(const struct vcl_ir_block *b)
{
	return block_has(b, OP(BREAK) | OP(CONTINUE) | OP(RETURN));
}

/*
 * Whether i, run by every work-item of its segment, may take some of
 * them out of it and not others: a break or continue under an if whose
 * condition may differ between work-items (by the values alone: the
 * verifier takes memory as uniform, which a hostile kernel can make
 * false) or inside a loop of the work-items (it may leave more than
 * that loop).
 */
static bool divergent_exit(struct hoist_scan *H,
			   const struct vcl_ir_function *f,
			   const struct vcl_ir_inst *i)
{
	if (i->op == VCL_IR_LOOP)
		return has_exit(&i->then) || has_exit(&i->els);
	if (i->op != VCL_IR_IF)
		return false;
	if (!uniform_value(H, f, i->a, 0))
		return has_exit(&i->then) || has_exit(&i->els);
	for (int k = 0; k < 2; k++)
		for (const struct vcl_ir_inst *j = (k ? i->els : i->then).first;
		     j; j = j->next)
			if (divergent_exit(H, f, j))
				return true;
	return false;
}

/* Drops the uniform slots that a list every work-item runs (B, and the
 * group-level regions in it) stores a value to that may differ between
 * work-items, or stores after a divergent exit in its segment. */
static bool uniform_stores(struct hoist_scan *H, const struct wg_plan *P,
			   const struct vcl_ir_function *f,
			   const struct vcl_ir_block *b)
{
	bool changed = false, exited = false;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (wg_has_barrier(P, i) && !wg_divergent(P, i)) {
			changed |= uniform_stores(H, P, f, &i->then);
			changed |= uniform_stores(H, P, f, &i->els);
			exited = false; /* a segment starts after it */
			continue;
		}
		if (i->op == VCL_IR_STS && i->imm < f->nslots &&
		    H->uni[i->imm] &&
		    (exited || !uniform_value(H, f, i->a, 0))) {
			H->uni[i->imm] = 0;
			changed = true;
		}
		exited |= divergent_exit(H, f, i);
	}
	return changed;
}

/*
 * The slots whose value is the same in every work-item at every point:
 * in a kernel with barriers and no return (a work-item that returned
 * stops storing), not addressed, stored only where
 * every work-item runs the store (in a list every work-item runs, before
 * any divergent exit of its segment), and only values the same in every
 * work-item (the largest such set: all, then those storing anything else
 * dropped until none is). Work-item 0's value before a work-item loop is
 * then everyone's in it, until a store.
 */
static void uniform_slots(struct hoist_scan *H, const struct wg_plan *P,
			  const struct vcl_ir_function *f)
{
	for (uint32_t s = 0; s < f->nslots; s++)
		H->uni[s] = P->barriers && !P->returns;
	scan(H, P, f, &f->body, true);
	for (uint32_t s = 0; s < f->nslots; s++)
		H->uni[s] &= !H->addressed[s];
	do
		memset(H->uni_val, 0, f->nvalues + 1);
	while (uniform_stores(H, P, f, &f->body));
}

static struct hoist_scan *get_scan(struct cg_func *C)
{
	const struct vcl_ir_function *f = C->f;
	if (C->hoist)
		return C->hoist->def ? C->hoist : NULL;
	struct hoist_scan *H = calloc(1, sizeof(*H));
	if (!H)
		return NULL;
	C->hoist = H;
	size_t nv = f->nvalues + 1, ns = f->nslots + 1;
	H->def = calloc(nv, sizeof(*H->def));
	H->cur = calloc(ns, sizeof(*H->cur));
	H->kept = calloc(ns, sizeof(*H->kept));
	H->nsts = calloc(ns, sizeof(*H->nsts));
	H->reach = calloc(nv, sizeof(*H->reach));
	H->lds_ctr = calloc(nv, 1);
	H->addressed = calloc(ns, 1);
	H->state = calloc(nv, 1);
	H->mask = calloc(nv, sizeof(*H->mask));
	H->range = calloc(nv, 1);
	H->uni = calloc(ns, 1);
	H->uni_val = calloc(nv, 1);
	H->at = calloc(nv, sizeof(*H->at));
	H->touched = calloc(nv, sizeof(*H->touched));
	if (!H->def || !H->cur || !H->kept || !H->nsts || !H->reach ||
	    !H->lds_ctr || !H->addressed || !H->state || !H->mask ||
	    !H->range || !H->uni || !H->uni_val || !H->at || !H->touched) {
		wg_hoist_free(C);
		C->hoist = calloc(1, sizeof(*C->hoist)); /* def NULL: none */
		return NULL;
	}
	uniform_slots(H, C->plan, f); /* and def, addressed, nsts */
	return H;
}

void wg_hoist_free(struct cg_func *C)
{
	struct hoist_scan *H = C->hoist;
	if (!H)
		return;
	free(H->def);
	free(H->cur);
	free(H->kept);
	free(H->nsts);
	free(H->reach);
	free(H->lds_ctr);
	free(H->addressed);
	free(H->state);
	free(H->mask);
	free(H->range);
	free(H->uni);
	free(H->uni_val);
	free(H->at);
	free(H->touched);
	free(H);
	C->hoist = NULL;
}

static bool int_type(vcl_ir_type t)
{
	return !VCL_IR_LANES(t) &&
	       (VCL_IR_KIND(t) == VCL_IR_I32 || VCL_IR_KIND(t) == VCL_IR_I64);
}

static unsigned width(vcl_ir_type t)
{
	return VCL_IR_KIND(t) == VCL_IR_I64 ? 64 : 32;
}

/* Value x's type (VOID when unknown). */
static vcl_ir_type type_of(const struct vcl_ir_function *f,
			   const struct hoist_scan *H, uint32_t x)
{
	if (x < f->nparams)
		return f->params[x].type;
	return x < f->nvalues && H->def[x] ? H->def[x]->type : VCL_IR_VOID;
}

/* The store an LDS read, when the walk knew it (hoist_list). */
static const struct vcl_ir_inst *reaching_store(struct cg_func *C,
						struct hoist_scan *H,
						const struct vcl_ir_inst *d)
{
	if (d->imm >= C->f->nslots || H->addressed[d->imm])
		return NULL;
	return H->reach[d->id];
}

/* The active counter that slot s is, or -1. */
static int counter_of(const struct hoist_scan *H, uint64_t s)
{
	for (uint32_t j = 0; j < H->nctr; j++)
		if (H->ctr[j].slot == s)
			return (int)j;
	return -1;
}

static bool affine(struct cg_func *C, struct hoist_scan *H, uint32_t x);

/* A counter's bounds are the same for the whole group, its step a
 * positive constant. */
static bool counter_affine(struct cg_func *C, struct hoist_scan *H,
			   const struct counted_loop *c)
{
	const struct vcl_ir_inst *k =
	    c->step < C->f->nvalues ? H->def[c->step] : NULL;
	if (!k || k->op != VCL_IR_CONST || !int_type(k->type))
		return false;
	int64_t step = c->wide ? (int64_t)k->imm : (int32_t)(uint32_t)k->imm;
	return step > 0 && step <= INT32_MAX && affine(C, H, c->init) &&
	       !H->mask[c->init] && affine(C, H, c->bound) &&
	       !H->mask[c->bound];
}

/* Whether value x is affine in the local ids (sets H->mask[x]). */
static bool affine(struct cg_func *C, struct hoist_scan *H, uint32_t x)
{
	const struct vcl_ir_function *f = C->f;
	if (x >= f->nvalues)
		return false;
	if (H->state[x])
		return H->state[x] == 1;
	if (H->nodes++ > HOIST_MAX_NODES)
		return false;
	H->state[x] = 2; /* no cycles */
	uint16_t m = 0;
	bool ok = false;
	const struct vcl_ir_inst *d = H->def[x];
	if (x < f->nparams) {
		ok = int_type(f->params[x].type);
	} else if (!d || !int_type(d->type)) {
		ok = false;
	} else if (C->plan->barriers && C->plan->def_seg[x] == SEG_GROUP) {
		/* computed once per group (its local ids 0), not per work-item:
		 * not recomputed here */
		ok = false;
	} else {
		switch (d->op) {
		case VCL_IR_CONST:
			ok = true;
			break;
		case VCL_IR_WI: {
			enum vcl_ir_wi q = (enum vcl_ir_wi)d->imm;
			if (q == VCL_WI_WORK_DIM) {
				ok = true;
				break;
			}
			const struct vcl_ir_inst *dim =
			    d->a < f->nvalues ? H->def[d->a] : NULL;
			if (!dim || dim->op != VCL_IR_CONST || dim->imm > 2)
				break;
			/* fused groups: the run's counter, not affine */
			if (C->M->fuse != FUSE_NO && dim->imm == 0 &&
			    q != VCL_WI_GLOBAL_ID && q != VCL_WI_GLOBAL_SIZE &&
			    q != VCL_WI_GLOBAL_OFFSET)
				break;
			ok = true;
			if (q == VCL_WI_GLOBAL_ID || q == VCL_WI_LOCAL_ID)
				m = (uint16_t)(1u << dim->imm);
			break;
		}
		case VCL_IR_ADD:
		case VCL_IR_SUB:
		case VCL_IR_MUL:
			ok = affine(C, H, d->a) && affine(C, H, d->b);
			if (!ok)
				break;
			m = H->mask[d->a] | H->mask[d->b];
			if (d->op == VCL_IR_MUL && H->mask[d->a] &&
			    H->mask[d->b])
				ok = false;
			break;
		case VCL_IR_SHL: {
			const struct vcl_ir_inst *k =
			    d->b < f->nvalues ? H->def[d->b] : NULL;
			ok = k && k->op == VCL_IR_CONST &&
			     k->imm < width(d->type) && affine(C, H, d->a);
			if (ok)
				m = H->mask[d->a];
			break;
		}
		case VCL_IR_AND:
		case VCL_IR_OR:
		case VCL_IR_XOR:
		case VCL_IR_LSHR:
		case VCL_IR_ASHR: {
			bool shift =
			    d->op == VCL_IR_LSHR || d->op == VCL_IR_ASHR;
			const struct vcl_ir_inst *k =
			    d->b < f->nvalues ? H->def[d->b] : NULL;
			ok = affine(C, H, d->a) &&
			     (shift ? k && k->op == VCL_IR_CONST
				    : affine(C, H, d->b));
			if (!ok)
				break;
			m = H->mask[d->a] | (shift ? 0 : H->mask[d->b]);
			if (!m) /* the same for the whole group: exact */
				break;
			/* else a variable of its own, between bounds */
			if (H->nranges == HOIST_MAX_RANGES) {
				ok = false;
				break;
			}
			H->range[x] = (uint8_t)(1 + H->nranges);
			m = (uint16_t)(1u << (3 + HOIST_MAX_COUNTERS +
					      H->nranges++));
			break;
		}
		case VCL_IR_SEXT:
		case VCL_IR_ZEXT:
		case VCL_IR_TRUNC:
			ok = affine(C, H, d->a) &&
			     (d->a < f->nparams
				  ? int_type(f->params[d->a].type)
				  : H->def[d->a] &&
					int_type(H->def[d->a]->type));
			if (ok)
				m = H->mask[d->a];
			break;
		case VCL_IR_LDS: {
			if (wg_group_counter(C->plan, d->imm)) {
				ok = true; /* the group's: uniform */
				break;
			}
			int j = H->lds_ctr[x] - 1;
			if (j >= (int)H->nctr) /* a loop left: not its value */
				break;
			if (j >= 0) {
				ok = counter_affine(C, H, &H->ctr[j]);
				m = (uint16_t)(8u << j);
				break;
			}
			const struct vcl_ir_inst *st = reaching_store(C, H, d);
			/* a uniform slot kept in the context, not stored in
			 * this loop before: work-item 0's value at its start */
			if (!st && d->imm < f->nslots && H->uni[d->imm] &&
			    C->plan->slot_off[d->imm] != CTX_NONE) {
				ok = true;
				break;
			}
			/* read as stored: the same bits */
			ok = st && type_of(f, H, st->a) == d->type &&
			     affine(C, H, st->a);
			if (ok)
				m = H->mask[st->a];
			break;
		}
		default:
			break;
		}
	}
	/* a no is not kept: the walk's knowledge grows */
	H->state[x] = ok ? 1 : 0;
	H->mask[x] = m;
	return ok;
}

/* The object and the offset's value of a checked pointer x: a pointer
 * parameter or __local allocation plus affine offsets. */
static bool pointer(struct cg_func *C, struct hoist_scan *H, uint32_t x,
		    LLVMValueRef *size, uint32_t *offs, uint32_t *noffs)
{
	const struct vcl_ir_function *f = C->f;
	for (int depth = 0; depth < 32 && x < f->nvalues; depth++) {
		if (x < f->nparams) {
			if (VCL_IR_KIND(f->params[x].type) != VCL_IR_PTR)
				return false;
			*size = C->vals[x].size;
			return *size != NULL;
		}
		const struct vcl_ir_inst *d = H->def[x];
		if (!d)
			return false;
		if (d->op == VCL_IR_LOCAL && d->imm < f->nlocals) {
			*size =
			    LLVMConstInt(C->M->i64, f->locals[d->imm].size, 0);
			return true;
		}
		if (d->op == VCL_IR_LDS) {
			const struct vcl_ir_inst *st = reaching_store(C, H, d);
			if (!st)
				return false;
			x = st->a;
			continue;
		}
		if (d->op != VCL_IR_PTRADD || *noffs == 8 ||
		    !affine(C, H, d->b))
			return false;
		offs[(*noffs)++] = d->b;
		x = d->a;
	}
	return false;
}

static LLVMValueRef c128(struct cg_func *C, int64_t v)
{
	return LLVMConstInt(LLVMInt128TypeInContext(C->M->ctx), (uint64_t)v, 1);
}

/* The range of x over the box from its value at the 4 points: origin,
 * then lsize - 1 in each dimension. */
static void range_of(struct cg_func *C, LLVMValueRef at[NPT], LLVMValueRef *lo,
		     LLVMValueRef *hi)
{
	LLVMBuilderRef B = C->b;
	LLVMTypeRef t = LLVMInt128TypeInContext(C->M->ctx);
	*lo = *hi = at[0];
	for (int d = 1; d < NPT; d++) {
		if (at[d] == at[0])
			continue;
		LLVMValueRef delta = LLVMBuildSub(B, at[d], at[0], "");
		LLVMValueRef a[2] = {delta, c128(C, 0)};
		*lo = LLVMBuildAdd(
		    B, *lo, cg_intrinsic(C, "llvm.smin", &t, 1, a, 2), "");
		*hi = LLVMBuildAdd(
		    B, *hi, cg_intrinsic(C, "llvm.smax", &t, 1, a, 2), "");
	}
}

/* cond &= lo <= x <= hi over the box. */
static void require(struct cg_func *C, struct hoist_scan *H,
		    LLVMValueRef at[NPT], LLVMValueRef lo, LLVMValueRef hi)
{
	LLVMBuilderRef B = C->b;
	LLVMValueRef min, max;
	range_of(C, at, &min, &max);
	LLVMValueRef ok =
	    LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntSGE, min, lo, ""),
			 LLVMBuildICmp(B, LLVMIntSLE, max, hi, ""), "");
	LLVMValueRef yes = LLVMConstInt(C->M->i1, 1, 0); /* where it starts */
	H->cond = H->cond == yes ? ok : LLVMBuildAnd(B, H->cond, ok, "");
}

static LLVMValueRef wide(struct cg_func *C, LLVMValueRef v)
{
	return LLVMBuildSExt(C->b, v, LLVMInt128TypeInContext(C->M->ctx), "");
}

/* The highest local id in dimension dim where the checks are (i128). */
static LLVMValueRef lid_hi(struct cg_func *C, unsigned dim)
{
	if (C->hoist->lid_hi[dim])
		return C->hoist->lid_hi[dim];
	return wide(C, LLVMBuildSub(C->b, C->lsize[dim],
				    LLVMConstInt(C->M->i64, 1, 0), ""));
}

/* A work-item query at the 4 points (affine() accepted it). */
static void query_at(struct cg_func *C, const struct vcl_ir_inst *d,
		     unsigned dim, LLVMValueRef at[NPT])
{
	struct cg_module *M = C->M;
	enum vcl_ir_wi q = (enum vcl_ir_wi)d->imm;
	unsigned field = q == VCL_WI_WORK_DIM	   ? RT_WORK_DIM
			 : q == VCL_WI_GROUP_ID	   ? RT_GROUP_ID + dim
			 : q == VCL_WI_GLOBAL_SIZE ? RT_GLOBAL_SIZE + dim
			 : q == VCL_WI_LOCAL_SIZE  ? RT_LOCAL_SIZE + dim
			 : q == VCL_WI_NUM_GROUPS  ? RT_NUM_GROUPS + dim
						   : RT_GLOBAL_OFFSET + dim;
	LLVMValueRef base = c128(C, 0);
	if (q == VCL_WI_GLOBAL_ID) {
		LLVMValueRef g =
		    cg_rt_field(C, C->eb, RT_GROUP_ID + dim, M->i64);
		LLVMValueRef o =
		    cg_rt_field(C, C->eb, RT_GLOBAL_OFFSET + dim, M->i64);
		base = wide(
		    C,
		    LLVMBuildAdd(C->b, LLVMBuildMul(C->b, g, C->lsize[dim], ""),
				 o, ""));
	} else if (q == VCL_WI_LOCAL_SIZE) {
		base = wide(C, C->lsize[dim]);
	} else if (q != VCL_WI_LOCAL_ID) {
		base = wide(C, cg_rt_field(C, C->eb, field, M->i64));
	}
	for (int p = 0; p < NPT; p++)
		at[p] = base;
	if (q == VCL_WI_GLOBAL_ID || q == VCL_WI_LOCAL_ID)
		at[1 + dim] = LLVMBuildAdd(C->b, base, lid_hi(C, dim), "");
}

static LLVMValueRef *emit(struct cg_func *C, struct hoist_scan *H, uint32_t x);

/* A uniform slot's LDS at the points: work-item 0's value before the
 * loop (its context array's first element). */
static void uniform_at(struct cg_func *C, const struct vcl_ir_inst *d,
		       LLVMValueRef at[NPT])
{
	uint32_t s = (uint32_t)d->imm;
	uint64_t al = C->f->slots[s].align ? C->f->slots[s].align : 1;
	LLVMValueRef a = wg_ctx_addr(C, C->plan->slot_off[s],
				     (C->slot_bytes[s] + al - 1) / al * al,
				     LLVMConstInt(C->M->i64, 0, 0));
	LLVMValueRef v =
	    wide(C, LLVMBuildLoad2(C->b, cg_type(C->M, d->type), a, ""));
	for (int p = 0; p < NPT; p++)
		at[p] = v;
}

/* All ones from v's highest set bit down (v >= 0). */
static LLVMValueRef smear(struct cg_func *C, LLVMValueRef v)
{
	for (int k = 1; k < 128; k *= 2)
		v = LLVMBuildOr(C->b, v, LLVMBuildAShr(C->b, v, c128(C, k), ""),
				"");
	return v;
}

static LLVMValueRef minmax(struct cg_func *C, const char *name, LLVMValueRef x,
			   LLVMValueRef y)
{
	LLVMTypeRef t = LLVMInt128TypeInContext(C->M->ctx);
	LLVMValueRef a[2] = {x, y};
	return cg_intrinsic(C, name, &t, 1, a, 2);
}

/*
 * And, or, xor and shifts right by a constant (d) of operands A and B at
 * the points, into AT. Of values the same for the whole group, the exact
 * value: an exact value's bits are its value modulo 2^width, and these
 * operations commute with that, but for a shift right, which needs the
 * operand within the range its type reads (required). Else bounds, and
 * the value a variable of its own (point PT_RANGE + r) between them:
 * values between non-negative LO and HI share the bits above the
 * highest bit where LO and HI differ, so x op y keeps their prefixes'
 * op and anything below (M); a shift right is monotone.
 */
static void emit_bitwise(struct cg_func *C, struct hoist_scan *H,
			 const struct vcl_ir_inst *d, int r, LLVMValueRef *a,
			 LLVMValueRef *b, LLVMValueRef at[NPT])
{
	LLVMBuilderRef B = C->b;
	unsigned w = width(d->type);
	if (d->op == VCL_IR_LSHR || d->op == VCL_IR_ASHR) {
		int64_t lo =
		    d->op == VCL_IR_LSHR ? 0 : -(INT64_C(1) << (w - 1));
		int64_t hi = d->op == VCL_IR_ASHR || w == 64
				 ? (int64_t)((UINT64_C(1) << (w - 1)) - 1)
				 : (int64_t)((UINT64_C(1) << w) - 1);
		require(C, H, a, c128(C, lo), c128(C, hi));
		/* the count is masked (codegen_arith.c) */
		LLVMValueRef k =
		    c128(C, (int64_t)(H->def[d->b]->imm & (w - 1)));
		if (r < 0) {
			for (int p = 0; p < NPT; p++)
				at[p] = LLVMBuildAShr(B, a[0], k, "");
			return;
		}
		LLVMValueRef alo, ahi;
		range_of(C, a, &alo, &ahi);
		for (int p = 0; p < NPT; p++)
			at[p] = LLVMBuildAShr(B, alo, k, "");
		at[PT_RANGE + r] = LLVMBuildAShr(B, ahi, k, "");
		return;
	}
	LLVMOpcode op = d->op == VCL_IR_AND  ? LLVMAnd
			: d->op == VCL_IR_OR ? LLVMOr
					     : LLVMXor;
	if (r < 0) {
		for (int p = 0; p < NPT; p++)
			at[p] = LLVMBuildBinOp(B, op, a[0], b[0], "");
		return;
	}
	require(C, H, a, c128(C, 0), c128(C, INT64_MAX));
	require(C, H, b, c128(C, 0), c128(C, INT64_MAX));
	LLVMValueRef alo, ahi, blo, bhi;
	range_of(C, a, &alo, &ahi);
	range_of(C, b, &blo, &bhi);
	LLVMValueRef m =
	    smear(C, LLVMBuildOr(B, LLVMBuildXor(B, alo, ahi, ""),
				 LLVMBuildXor(B, blo, bhi, ""), ""));
	LLVMValueRef lo = LLVMBuildAnd(B, LLVMBuildBinOp(B, op, alo, blo, ""),
				       LLVMBuildNot(B, m, ""), "");
	LLVMValueRef hi = LLVMBuildOr(B, lo, m, "");
	if (d->op == VCL_IR_AND) /* x & y <= x, y */
		hi = minmax(C, "llvm.smin", hi,
			    minmax(C, "llvm.smin", ahi, bhi));
	if (d->op == VCL_IR_OR) /* x | y >= x, y */
		lo = minmax(C, "llvm.smax", lo,
			    minmax(C, "llvm.smax", alo, blo));
	for (int p = 0; p < NPT; p++)
		at[p] = lo;
	at[PT_RANGE + r] = hi;
}

/* Counter j at the points: init, and its last value in the body at its
 * own point (bound - 1, or bound for <=). In the body it lies between
 * them when init and bound are values of its type and s + step cannot
 * wrap (bound <= max - step + 1, or max - step for <=). */
static void counter_at(struct cg_func *C, struct hoist_scan *H, int j,
		       LLVMValueRef at[NPT])
{
	const struct counted_loop *c = &H->ctr[j];
	LLVMValueRef *init = emit(C, H, c->init), *bound = emit(C, H, c->bound);
	const struct vcl_ir_inst *k = H->def[c->step];
	int64_t step = c->wide ? (int64_t)k->imm : (int32_t)(uint32_t)k->imm;
	int64_t lo = c->sign ? (c->wide ? INT64_MIN : INT32_MIN) : 0;
	int64_t hi = c->sign || c->wide ? (c->wide ? INT64_MAX : INT32_MAX)
					: (int64_t)UINT32_MAX;
	require(C, H, init, c128(C, lo), c128(C, hi));
	require(C, H, bound, c128(C, lo), c128(C, hi - step + 1 - c->incl));
	for (int p = 0; p < NPT; p++)
		at[p] = init[0];
	at[4 + j] = LLVMBuildAdd(C->b, bound[0], c128(C, c->incl - 1), "");
}

/* Emits x's exact value at the points and its range conditions. */
static LLVMValueRef *emit(struct cg_func *C, struct hoist_scan *H, uint32_t x)
{
	LLVMValueRef *at = H->at[x];
	if (at[0])
		return at;
	H->touched[H->ntouched++] = x;
	const struct vcl_ir_function *f = C->f;
	LLVMBuilderRef B = C->b;
	if (x < f->nparams) {
		LLVMValueRef v = wide(C, C->vals[x].v);
		for (int p = 0; p < NPT; p++)
			at[p] = v;
		return at;
	}
	const struct vcl_ir_inst *d = H->def[x];
	unsigned w = width(d->type);
	LLVMValueRef *a = NULL, *b = NULL;
	switch (d->op) {
	case VCL_IR_CONST: {
		int64_t v =
		    w == 64 ? (int64_t)d->imm : (int32_t)(uint32_t)d->imm;
		for (int p = 0; p < NPT; p++)
			at[p] = c128(C, v);
		return at;
	}
	case VCL_IR_WI:
		query_at(
		    C, d,
		    d->imm == VCL_WI_WORK_DIM ? 0 : (unsigned)H->def[d->a]->imm,
		    at);
		return at;
	case VCL_IR_LDS:
		if (wg_group_counter(C->plan, d->imm)) {
			LLVMValueRef v =
			    wide(C, LLVMBuildLoad2(
					B, cg_type(C->M, d->type),
					cg_slot_addr(C, (uint32_t)d->imm), ""));
			for (int p = 0; p < NPT; p++)
				at[p] = v;
			return at;
		}
		if (H->lds_ctr[x]) {
			counter_at(C, H, H->lds_ctr[x] - 1, at);
			return at;
		}
		if (!reaching_store(C, H, d)) {
			uniform_at(C, d, at);
			return at;
		}
		memcpy(at, emit(C, H, reaching_store(C, H, d)->a),
		       NPT * sizeof(*at));
		return at;
	case VCL_IR_TRUNC:
		memcpy(at, emit(C, H, d->a), NPT * sizeof(*at));
		return at;
	case VCL_IR_SEXT:
	case VCL_IR_ZEXT: {
		a = emit(C, H, d->a);
		const struct vcl_ir_inst *src =
		    d->a < f->nparams ? NULL : H->def[d->a];
		unsigned sw =
		    src ? width(src->type) : width(f->params[d->a].type);
		if (sw < 64 || d->op == VCL_IR_ZEXT) {
			int64_t lo = d->op == VCL_IR_SEXT
					 ? -(INT64_C(1) << (sw - 1))
					 : 0;
			int64_t hi =
			    d->op == VCL_IR_SEXT
				? (int64_t)((UINT64_C(1) << (sw - 1)) - 1)
			    : sw == 64 ? INT64_MAX
				       : (int64_t)((UINT64_C(1) << sw) - 1);
			require(C, H, a, c128(C, lo), c128(C, hi));
		}
		memcpy(at, a, NPT * sizeof(*at));
		return at;
	}
	case VCL_IR_AND:
	case VCL_IR_OR:
	case VCL_IR_XOR:
	case VCL_IR_LSHR:
	case VCL_IR_ASHR:
		a = emit(C, H, d->a);
		b = d->op == VCL_IR_LSHR || d->op == VCL_IR_ASHR
			? NULL
			: emit(C, H, d->b);
		emit_bitwise(C, H, d, H->range[x] - 1, a, b, at);
		require(C, H, at, c128(C, INT64_MIN), c128(C, INT64_MAX));
		return at;
	default:
		a = emit(C, H, d->a);
		b = d->op == VCL_IR_SHL ? NULL : emit(C, H, d->b);
	}
	/* a point whose operands are the origin's has the origin's value:
	 * one instruction, and range_of() skips it */
	for (int p = 0; p < NPT; p++) {
		if (p && (H->mask[x] == 0 ||
			  (a[p] == a[0] && (!b || b[p] == b[0])))) {
			at[p] = at[0];
			continue;
		}
		switch (d->op) {
		case VCL_IR_ADD:
			at[p] = LLVMBuildAdd(B, a[p], b[p], "");
			break;
		case VCL_IR_SUB:
			at[p] = LLVMBuildSub(B, a[p], b[p], "");
			break;
		case VCL_IR_MUL:
			at[p] = LLVMBuildMul(B, a[p], b[p], "");
			break;
		default: /* SHL by a constant below the width */
			at[p] = LLVMBuildShl(
			    B, a[p], c128(C, (int64_t)H->def[d->b]->imm), "");
		}
	}
	/* no 128-bit overflow in what uses it */
	require(C, H, at, c128(C, INT64_MIN), c128(C, INT64_MAX));
	return at;
}

static void hoist_list(struct cg_func *C, struct hoist_scan *H,
		       const struct vcl_ir_inst *first,
		       const struct vcl_ir_inst *end, uint8_t *mark, bool *any);

/* The check i into H->cond when its offset is affine. */
static void hoist_check(struct cg_func *C, struct hoist_scan *H,
			const struct vcl_ir_inst *i, uint8_t *mark, bool *any)
{
	LLVMValueRef size = NULL;
	uint32_t offs[8], noffs = 0;
	H->nodes = 0;
	if (!pointer(C, H, i->a, &size, offs, &noffs))
		return;
	LLVMValueRef sum[NPT];
	for (int p = 0; p < NPT; p++)
		sum[p] = c128(C, 0);
	for (uint32_t k = 0; k < noffs; k++) {
		LLVMValueRef *o = emit(C, H, offs[k]), s0 = sum[0];
		for (int p = 0; p < NPT; p++)
			sum[p] = k == 0 ? o[p]
				 : p && sum[p] == s0 && o[p] == o[0]
				     ? sum[0] /* the origin's, as in emit() */
				     : LLVMBuildAdd(C->b, sum[p], o[p], "");
	}
	/* in bounds: 0 <= offset <= size - bytes (sizes below 2^62) */
	LLVMValueRef last =
	    LLVMBuildSub(C->b, wide(C, size), c128(C, (int64_t)i->imm), "");
	require(C, H, sum, c128(C, 0), last);
	mark[i->id] = 1;
	*any = true;
}

/* Forgets the values emitted (the box changed). */
static void forget_at(struct hoist_scan *H)
{
	for (uint32_t k = 0; k < H->ntouched; k++)
		memset(H->at[H->touched[k]], 0, sizeof(H->at[0]));
	H->ntouched = 0;
}

/* The query of a local or global id (constant dimension) that value x
 * is, through conversions and variables' known stores, or NULL. */
static const struct vcl_ir_inst *id_query(struct cg_func *C,
					  struct hoist_scan *H, uint32_t x)
{
	const struct vcl_ir_function *f = C->f;
	for (int depth = 0; depth < 8 && x >= f->nparams && x < f->nvalues;
	     depth++) {
		const struct vcl_ir_inst *d = H->def[x];
		if (!d || !int_type(d->type))
			return NULL;
		if (d->op == VCL_IR_WI) {
			const struct vcl_ir_inst *dim =
			    d->a < f->nvalues ? H->def[d->a] : NULL;
			return (d->imm == VCL_WI_LOCAL_ID ||
				d->imm == VCL_WI_GLOBAL_ID) &&
				       dim && dim->op == VCL_IR_CONST &&
				       dim->imm <= 2
				   ? d
				   : NULL;
		}
		if (d->op == VCL_IR_LDS && !H->lds_ctr[x]) {
			const struct vcl_ir_inst *st = reaching_store(C, H, d);
			if (!st)
				return NULL;
			x = st->a;
		} else if (d->op == VCL_IR_SEXT || d->op == VCL_IR_ZEXT ||
			   d->op == VCL_IR_TRUNC) {
			x = d->a;
		} else {
			return NULL;
		}
	}
	return NULL;
}

/*
 * Where `if (x < u)` (or <=, or u > x, u >= x) holds, with x a local or
 * global id and u the same for the whole group, the local id is at most
 * u - 1 (or u) less the id's base: the checks inside need hold for those
 * only (the reduction's `scratch[lid + s]` under `lid < s`). The id's
 * exact value is below 2^31 (else not narrowed), so x, through any
 * conversion of 32 bits or more, is that value; u is read as the
 * comparison reads its bits. Returns the dimension + 1 narrowed (its
 * highest local id was *OLD), or 0.
 */
static int narrow(struct cg_func *C, struct hoist_scan *H, uint32_t cond,
		  LLVMValueRef *old)
{
	const struct vcl_ir_function *f = C->f;
	const struct vcl_ir_inst *c = cond < f->nvalues ? H->def[cond] : NULL;
	if (!c || c->op != VCL_IR_ICMP)
		return 0;
	uint32_t x = c->a, u = c->b;
	bool incl = c->imm == VCL_ICMP_ULE || c->imm == VCL_ICMP_SLE ||
		    c->imm == VCL_ICMP_UGE || c->imm == VCL_ICMP_SGE;
	bool sign = c->imm == VCL_ICMP_SLT || c->imm == VCL_ICMP_SLE ||
		    c->imm == VCL_ICMP_SGT || c->imm == VCL_ICMP_SGE;
	if (c->imm == VCL_ICMP_UGT || c->imm == VCL_ICMP_UGE ||
	    c->imm == VCL_ICMP_SGT || c->imm == VCL_ICMP_SGE) {
		x = c->b;
		u = c->a;
	} else if (c->imm == VCL_ICMP_EQ || c->imm == VCL_ICMP_NE) {
		return 0;
	}
	vcl_ir_type t = type_of(f, H, x);
	const struct vcl_ir_inst *q = id_query(C, H, x);
	H->nodes = 0;
	if (!q || !int_type(t) || type_of(f, H, u) != t || !affine(C, H, u) ||
	    H->mask[u])
		return 0;
	LLVMBuilderRef B = C->b;
	LLVMTypeRef i128 = LLVMInt128TypeInContext(C->M->ctx);
	unsigned dim = (unsigned)H->def[q->a]->imm;
	LLVMValueRef id[NPT];
	query_at(C, q, dim, id);
	LLVMValueRef ub = LLVMBuildTrunc(
	    B, emit(C, H, u)[0], LLVMIntTypeInContext(C->M->ctx, width(t)), "");
	ub = sign ? LLVMBuildSExt(B, ub, i128, "")
		  : LLVMBuildZExt(B, ub, i128, "");
	LLVMValueRef xmax = incl ? ub : LLVMBuildSub(B, ub, c128(C, 1), "");
	LLVMValueRef cur = lid_hi(C, dim);
	LLVMValueRef hi =
	    minmax(C, "llvm.smin", cur, LLVMBuildSub(B, xmax, id[0], ""));
	hi = minmax(C, "llvm.smax", hi, c128(C, 0)); /* never run: any */
	LLVMValueRef exact =
	    LLVMBuildICmp(B, LLVMIntSLE, id[1 + dim], c128(C, INT32_MAX), "");
	*old = H->lid_hi[dim];
	H->lid_hi[dim] = LLVMBuildSelect(B, exact, hi, cur, "");
	return (int)dim + 1;
}

/* Forgets the stores to slots that B writes anywhere. */
static void forget_written(struct hoist_scan *H,
			   const struct vcl_ir_function *f,
			   const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (i->op == VCL_IR_STS && i->imm < f->nslots)
			H->cur[i->imm] = NULL;
		forget_written(H, f, &i->then);
		forget_written(H, f, &i->els);
	}
}

/* A counted loop's body sees its counter between its bounds. */
static void hoist_loop(struct cg_func *C, struct hoist_scan *H,
		       const struct vcl_ir_inst *prev,
		       const struct vcl_ir_inst *L, uint8_t *mark, bool *any)
{
	const struct vcl_ir_function *f = C->f;
	struct counted_loop c;
	bool counted = H->nctr < HOIST_MAX_COUNTERS &&
		       cg_counted_loop(H->def, f->nvalues, H->addressed,
				       f->nslots, prev, L, &c);
	/* the body may see what an earlier iteration stored */
	forget_written(H, f, &L->then);
	forget_written(H, f, &L->els);
	if (counted)
		H->ctr[H->nctr++] = c;
	hoist_list(C, H, L->then.first, NULL, mark, any);
	if (counted)
		H->nctr--;
	hoist_list(C, H, L->els.first, NULL, mark, any);
}

/*
 * The checks of FIRST up to END (and their regions), in program order.
 * What a private variable holds is known from a store to it until the
 * end of the list holding that store or another store: an LDS records
 * the store it read (reach), or the counted loop whose counter it is.
 */
static void hoist_list(struct cg_func *C, struct hoist_scan *H,
		       const struct vcl_ir_inst *first,
		       const struct vcl_ir_inst *end, uint8_t *mark, bool *any)
{
	const struct vcl_ir_function *f = C->f;
	const struct vcl_ir_inst *prev = NULL;
	for (const struct vcl_ir_inst *i = first; i && i != end;
	     prev = i, i = i->next) {
		if (i->op == VCL_IR_LOOP) {
			hoist_loop(C, H, prev, i, mark, any);
		} else if (i->op == VCL_IR_IF) {
			LLVMValueRef old = NULL;
			int dim = block_has(&i->then, OP(CHECK))
				      ? narrow(C, H, i->a, &old)
				      : 0;
			if (dim)
				forget_at(H);
			hoist_list(C, H, i->then.first, NULL, mark, any);
			if (dim) {
				H->lid_hi[dim - 1] = old;
				forget_at(H);
			}
			hoist_list(C, H, i->els.first, NULL, mark, any);
		} else {
			hoist_list(C, H, i->then.first, NULL, mark, any);
			hoist_list(C, H, i->els.first, NULL, mark, any);
		}
		if (i->op == VCL_IR_CHECK && i->id < f->nvalues)
			hoist_check(C, H, i, mark, any);
		if (i->op == VCL_IR_LDS && i->imm < f->nslots &&
		    i->id < f->nvalues) {
			H->reach[i->id] = H->cur[i->imm];
			H->lds_ctr[i->id] =
			    (uint8_t)(counter_of(H, i->imm) + 1);
		}
		if (i->op == VCL_IR_STS && i->imm < f->nslots)
			H->cur[i->imm] = i;
	}
	/* after the list (a region that may not run, or run again), its
	 * stores are unknown */
	for (const struct vcl_ir_inst *i = first; i && i != end; i = i->next)
		if (i->op == VCL_IR_STS && i->imm < f->nslots)
			H->cur[i->imm] = NULL;
}

LLVMValueRef wg_hoist_checks(struct cg_func *C, const struct vcl_ir_inst *first,
			     const struct vcl_ir_inst *end, uint8_t *mark)
{
	struct hoist_scan *H = get_scan(C);
	if (!H)
		return NULL;
	const struct vcl_ir_function *f = C->f;
	/* what earlier segments stored for good (a work-item keeps its
	 * slots across barriers) */
	memcpy(H->cur, H->kept, (f->nslots + 1) * sizeof(*H->cur));
	H->cond = LLVMConstInt(C->M->i1, 1, 0);
	memset(H->lid_hi, 0, sizeof(H->lid_hi));
	bool any = false;
	H->nctr = 0;
	hoist_list(C, H, first, end, mark, &any);
	/* A slot stored once in the function, at the top level of a segment
	 * that always runs (none of the group's ifs and loops around it),
	 * holds that store's value in every later segment (in program
	 * order, the order segments are generated in). */
	for (const struct vcl_ir_inst *i = first; i != end && !C->group_nest;
	     i = i->next)
		if (i->op == VCL_IR_STS && i->imm < f->nslots &&
		    H->nsts[i->imm] == 1)
			H->kept[i->imm] = i;
	for (uint32_t k = 0; k < H->ntouched; k++)
		memset(H->at[H->touched[k]], 0, sizeof(H->at[0]));
	H->ntouched = 0;
	memset(H->state, 0, f->nvalues + 1);
	memset(H->range, 0, f->nvalues + 1);
	H->nranges = 0;
	return any ? H->cond : NULL;
}
