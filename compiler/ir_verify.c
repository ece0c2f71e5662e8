/*
 * The verifier: what makes IR from anywhere (vgpucc, a hand-written file,
 * a hostile user) safe to compile and run as root. Per function, callees
 * first: every count and index is bounded, each value is defined once, in
 * order, before its uses and in scope (values are local to the list that
 * defines them and the regions inside it), operands have the types their
 * operation needs, memory is only reached through a `check`ed pointer
 * derived from a parameter, slot or __local allocation, no store goes
 * through a __constant pointer or a kernel parameter without may_store,
 * and barriers (or calls of functions with one) sit only where every
 * work-item of a group goes. Uniformity and the parameters a slot's
 * pointer may come from are found by passes to a fixed point (at most
 * MAX_PASSES, then the function is refused); errors are reported by one
 * last pass.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>
#include <vgpucl/limits.h>

enum { MAX_PASSES = 16, MAX_INSTS = 1 << 22 };
#define MAX_SLOT_BYTES (2u * VCL_MAX_PRIVATE_BYTES)

/* Per function, for its callers. */
struct summary {
	bool has_barrier;
	bool reads_ids; /* its result may depend on the work-item */
	uint64_t stores_through;
};

enum { V_LIVE = 1, V_VARYING = 2, V_CHECKED = 4 };
enum { SLOT_UNUSED, SLOT_WHOLE, SLOT_ADDRESSED };

struct verifier {
	const struct vcl_ir_module *m;
	struct vcl_diags *d;
	struct summary *sums;
	const struct vcl_ir_function *f;
	uint32_t findex;
	bool report, ok, changed;
	/* Per value. */
	vcl_ir_type *vty;
	uint8_t *vflags;
	uint64_t *vroots; /* pointers: the parameters they may come from */
	uint32_t *vbytes; /* checked pointers: bytes checked */
	uint32_t next;
	/* Per slot, growing across passes. */
	uint8_t *skind;
	vcl_ir_type *stype;
	bool *svarying;
	uint64_t *sroots;
	/* Per loop, in walk order, growing across passes. */
	bool *ldiv;
	uint32_t nloops, maxloops;
	/* The walk. */
	uint32_t loop_stack[VCL_IR_MAX_DEPTH + 1];
	bool in_continuing[VCL_IR_MAX_DEPTH + 1];
	uint32_t depth, nloop_open, ninsts, inst_no;
	bool varying_return;
	struct summary sum;
};

__attribute__((format(printf, 2, 3))) static void fail(struct verifier *v,
						       const char *fmt, ...)
{
	v->ok = false;
	if (!v->report)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v->f)
		vcl_diag_add(v->d, VCL_ERROR, "<ir>", 0, 0,
			     "function %u '%s', instruction %u: %s", v->findex,
			     v->f->name ? v->f->name : "?", v->inst_no, msg);
	else
		vcl_diag_add(v->d, VCL_ERROR, "<ir>", 0, 0, "%s", msg);
}

static bool is_int(vcl_ir_type t)
{
	return VCL_IR_LANES(t) == 0 && VCL_IR_SPACE(t) == 0 &&
	       VCL_IR_KIND(t) >= VCL_IR_I1 && VCL_IR_KIND(t) <= VCL_IR_I64;
}

static bool is_float(vcl_ir_type t)
{
	return VCL_IR_LANES(t) == 0 && VCL_IR_SPACE(t) == 0 &&
	       (VCL_IR_KIND(t) == VCL_IR_F32 || VCL_IR_KIND(t) == VCL_IR_F64);
}

static bool is_ptr(vcl_ir_type t)
{
	return VCL_IR_KIND(t) == VCL_IR_PTR && VCL_IR_LANES(t) == 0 &&
	       VCL_IR_SPACE(t) >= VCL_AS_PRIVATE &&
	       VCL_IR_SPACE(t) <= VCL_AS_CONSTANT;
}

/* A value memory may hold: a scalar, not a pointer (pointers cannot be
 * forged from bytes or leak as bytes). */
static bool is_data(vcl_ir_type t)
{
	return is_int(t) || is_float(t);
}

/* Operand x of i: defined, in scope; its type, or VCL_IR_NONE. */
static vcl_ir_type operand(struct verifier *v, uint32_t x, const char *which)
{
	if (x >= v->next || !(v->vflags[x] & V_LIVE)) {
		if (x == VCL_IR_NONE)
			fail(v, "operand %s missing", which);
		else
			fail(v, "operand %s (%%%u) is not defined here", which,
			     x);
		return VCL_IR_NONE;
	}
	return v->vty[x];
}

/* I is an instruction without a result (a store, a barrier, control):
 * a type or a value number on it would make a value of nothing. */
static void no_result(struct verifier *v, const struct vcl_ir_inst *i)
{
	if (i->type != VCL_IR_VOID || i->id != VCL_IR_NONE)
		fail(v, "%s has no result", vcl_ir_op_name(i->op));
}

/* Defines i's result, if it has one. */
static bool define(struct verifier *v, const struct vcl_ir_inst *i,
		   uint8_t flags, uint64_t roots)
{
	if (i->type == VCL_IR_VOID) {
		if (i->id != VCL_IR_NONE)
			fail(v, "a void result has a value number");
		return false;
	}
	if (i->id != v->next || v->next >= v->f->nvalues) {
		fail(v, "result %%%u out of order (expected %%%u of %u)", i->id,
		     v->next, v->f->nvalues);
		return false;
	}
	v->vty[v->next] = i->type;
	v->vflags[v->next] = V_LIVE | flags;
	v->vroots[v->next] = roots;
	v->vbytes[v->next] = 0;
	v->next++;
	return true;
}

static uint8_t vary(struct verifier *v, uint32_t x)
{
	return x < v->next ? v->vflags[x] & V_VARYING : 0;
}

static uint64_t roots(struct verifier *v, uint32_t x)
{
	return x < v->next ? v->vroots[x] : 0;
}

/* A store (or a callee's) through a pointer from the parameters in r. */
static void stores_through(struct verifier *v, uint64_t r)
{
	for (uint32_t p = 0; p < v->f->nparams && r; p++) {
		if (!(r >> p & 1))
			continue;
		r &= ~(1ull << p);
		if (v->f->is_kernel && !v->f->params[p].may_store)
			fail(v,
			     "store through parameter %u '%s', which is "
			     "not may_store",
			     p,
			     v->f->params[p].name ? v->f->params[p].name : "");
		v->sum.stores_through |= 1ull << p;
	}
}

static void grow_slot(struct verifier *v, uint32_t s, bool varying, uint64_t r)
{
	if ((varying && !v->svarying[s]) || (r & ~v->sroots[s])) {
		v->svarying[s] |= varying;
		v->sroots[s] |= r;
		v->changed = true;
	}
}

/* Slot s used whole with type t (lds/sts), or addressed (t VOID). */
static bool use_slot(struct verifier *v, uint64_t s, vcl_ir_type t)
{
	if (s >= v->f->nslots) {
		fail(v, "slot s%llu does not exist", (unsigned long long)s);
		return false;
	}
	uint8_t want = t == VCL_IR_VOID ? SLOT_ADDRESSED : SLOT_WHOLE;
	if (v->skind[s] == SLOT_UNUSED) {
		v->skind[s] = want;
		v->stype[s] = t;
	}
	if (v->skind[s] != want || v->stype[s] != t) {
		fail(v,
		     "slot s%llu used with two types or both whole and "
		     "by address",
		     (unsigned long long)s);
		return false;
	}
	if (want == SLOT_WHOLE &&
	    (!(is_data(t) || is_ptr(t)) ||
	     vcl_ir_type_size(t) != v->f->slots[s].size)) {
		fail(v, "slot s%llu's size does not fit its type",
		     (unsigned long long)s);
		return false;
	}
	return true;
}

static void block(struct verifier *v, const struct vcl_ir_block *b,
		  bool varying);

static void binary(struct verifier *v, const struct vcl_ir_inst *i)
{
	vcl_ir_type a = operand(v, i->a, "a"), b = operand(v, i->b, "b");
	bool fop = i->op >= VCL_IR_FADD && i->op <= VCL_IR_FREM;
	bool bits =
	    i->op == VCL_IR_AND || i->op == VCL_IR_OR || i->op == VCL_IR_XOR;
	bool type_ok = fop ? is_float(i->type)
			   : is_int(i->type) &&
				 (bits || VCL_IR_KIND(i->type) != VCL_IR_I1);
	if (!type_ok || a != i->type || b != i->type)
		fail(v, "%s needs two operands of its type",
		     vcl_ir_op_name(i->op));
	define(v, i, vary(v, i->a) | vary(v, i->b), 0);
}

static int int_bits(vcl_ir_type t)
{
	static const int bits[] = {0, 1, 8, 16, 32, 64};
	return VCL_IR_KIND(t) <= VCL_IR_I64 ? bits[VCL_IR_KIND(t)] : 0;
}

static void conversion(struct verifier *v, const struct vcl_ir_inst *i)
{
	vcl_ir_type a = operand(v, i->a, "a"), t = i->type;
	bool ok;
	switch (i->op) {
	case VCL_IR_SEXT:
	case VCL_IR_ZEXT:
		ok = is_int(a) && is_int(t) && int_bits(t) > int_bits(a);
		break;
	case VCL_IR_TRUNC:
		ok = is_int(a) && is_int(t) && int_bits(t) < int_bits(a);
		break;
	case VCL_IR_FPEXT:
		ok = a == VCL_IR_F32 && t == VCL_IR_F64;
		break;
	case VCL_IR_FPTRUNC:
		ok = a == VCL_IR_F64 && t == VCL_IR_F32;
		break;
	case VCL_IR_SITOFP:
	case VCL_IR_UITOFP:
		ok = is_int(a) && is_float(t);
		break;
	default: /* FPTOSI, FPTOUI */
		ok = is_float(a) && is_int(t) && t != VCL_IR_I1;
	}
	if (!ok)
		fail(v, "%s cannot convert these types", vcl_ir_op_name(i->op));
	define(v, i, vary(v, i->a), 0);
}

static void call(struct verifier *v, const struct vcl_ir_inst *i, bool varying)
{
	uint8_t fl = 0;
	if (i->nargs > VCL_IR_MAX_PARAMS || (i->nargs && !i->args)) {
		fail(v, "too many arguments");
		return;
	}
	if (i->op == VCL_IR_INTRIN) {
		const char *base = vcl_ir_intrin_base(i->name, i->nargs);
		if (!base || strcmp(base, i->name) != 0 || !is_float(i->type))
			fail(v, "unknown intrinsic or wrong argument count");
		for (uint32_t k = 0; k < i->nargs; k++) {
			if (operand(v, i->args[k], "argument") != i->type)
				fail(v,
				     "intrinsic argument %u has another type",
				     k);
			fl |= vary(v, i->args[k]);
		}
		define(v, i, fl, 0);
		return;
	}
	if (i->imm >= v->findex) {
		fail(v, "call of function %llu, which is not before this one",
		     (unsigned long long)i->imm);
		return;
	}
	const struct vcl_ir_function *c = &v->m->funcs[i->imm];
	const struct summary *cs = &v->sums[i->imm];
	if (c->is_kernel || c->nparams != i->nargs || c->ret != i->type)
		fail(v, "call does not match function %llu's signature",
		     (unsigned long long)i->imm);
	for (uint32_t k = 0; k < i->nargs && k < c->nparams; k++) {
		if (operand(v, i->args[k], "argument") != c->params[k].type)
			fail(v, "argument %u has another type", k);
		fl |= vary(v, i->args[k]);
		if (cs->stores_through >> k & 1)
			stores_through(v, roots(v, i->args[k]));
	}
	if (cs->has_barrier) {
		if (varying)
			fail(v, "call of a function with a barrier where "
				"work-items may diverge");
		v->sum.has_barrier = true;
	}
	if (cs->reads_ids) {
		fl |= V_VARYING;
		v->sum.reads_ids = true;
	}
	define(v, i, fl, 0);
}

static void memory(struct verifier *v, const struct vcl_ir_inst *i,
		   bool varying)
{
	vcl_ir_type a, b;
	switch (i->op) {
	case VCL_IR_LDS:
		if (use_slot(v, i->imm, i->type))
			define(v, i,
			       v->svarying[i->imm] || varying ? V_VARYING : 0,
			       v->sroots[i->imm]);
		else
			define(v, i, V_VARYING, 0);
		break;
	case VCL_IR_STS:
		a = operand(v, i->a, "a");
		if (use_slot(v, i->imm, a == VCL_IR_NONE ? VCL_IR_I8 : a))
			grow_slot(v, (uint32_t)i->imm, varying || vary(v, i->a),
				  roots(v, i->a));
		no_result(v, i);
		break;
	case VCL_IR_SLOT:
	case VCL_IR_LOCAL: {
		bool slot = i->op == VCL_IR_SLOT;
		enum vcl_addr_space sp = slot ? VCL_AS_PRIVATE : VCL_AS_LOCAL;
		/* a __constant variable's copy: read-only, since 0.2 */
		if (slot && v->m->minor >= 2 &&
		    i->type == VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_CONSTANT))
			sp = VCL_AS_CONSTANT;
		if (slot)
			use_slot(v, i->imm, VCL_IR_VOID);
		else if (!v->f->is_kernel || i->imm >= v->f->nlocals)
			fail(v, "__local allocation l%llu does not exist",
			     (unsigned long long)i->imm);
		if (i->type != VCL_IR_TYPE(VCL_IR_PTR, 0, sp))
			fail(v, "%s gives a pointer to its space",
			     vcl_ir_op_name(i->op));
		define(v, i, 0, 0);
		break;
	}
	case VCL_IR_PTRADD:
		a = operand(v, i->a, "a");
		b = operand(v, i->b, "b");
		if (!is_ptr(a) || b != VCL_IR_I64 || i->type != a)
			fail(v, "ptradd needs a pointer and an i64 and gives "
				"the pointer's type");
		define(v, i, vary(v, i->a) | vary(v, i->b), roots(v, i->a));
		break;
	case VCL_IR_CHECK:
		a = operand(v, i->a, "a");
		if (!is_ptr(a) || i->type != a)
			fail(v, "check needs a pointer and gives its type");
		if (i->imm == 0 || i->imm > 128 || i->imm2 == 0 ||
		    i->imm2 > 128 || (i->imm2 & (i->imm2 - 1)))
			fail(v, "check of %llu bytes at alignment %llu",
			     (unsigned long long)i->imm,
			     (unsigned long long)i->imm2);
		if (define(v, i, vary(v, i->a) | V_CHECKED, roots(v, i->a)))
			v->vbytes[i->id] = (uint32_t)(i->imm & 0xff);
		break;
	default: /* LOAD, STORE */
		a = operand(v, i->a, "a");
		b = i->op == VCL_IR_LOAD ? i->type : operand(v, i->b, "b");
		if (i->a >= v->next || !(v->vflags[i->a] & V_CHECKED)) {
			fail(v, "%s through a pointer that is not checked",
			     vcl_ir_op_name(i->op));
		} else if (!is_data(b) ||
			   vcl_ir_type_size(b) > v->vbytes[i->a]) {
			fail(v, "%s of a type the check does not cover",
			     vcl_ir_op_name(i->op));
		} else if (i->op == VCL_IR_STORE) {
			if (VCL_IR_SPACE(a) == VCL_AS_CONSTANT)
				fail(v, "store to __constant memory");
			stores_through(v, roots(v, i->a));
		}
		if (i->op == VCL_IR_STORE)
			no_result(v, i);
		else
			define(v, i, vary(v, i->a), 0);
	}
}

/* null, ptrdiff and ptrcmp (IR 0.2): two pointers of one type (so one
 * space); what they give depends on offsets and objects only, never on
 * addresses, and a null pointer reaches no object. */
static void pointer_op(struct verifier *v, const struct vcl_ir_inst *i)
{
	if (v->m->minor < 2)
		fail(v, "%s is IR 0.2, the module says 0.%u",
		     vcl_ir_op_name(i->op), v->m->minor);
	if (i->op == VCL_IR_NULLPTR) {
		if (!is_ptr(i->type) || i->a != VCL_IR_NONE ||
		    i->b != VCL_IR_NONE)
			fail(v, "null needs a pointer type and no operands");
		define(v, i, 0, 0);
		return;
	}
	vcl_ir_type a = operand(v, i->a, "a"), b = operand(v, i->b, "b");
	bool cmp = i->op == VCL_IR_PTRCMP;
	if (!is_ptr(a) || a != b)
		fail(v, "%s needs two pointers of one type (one space)",
		     vcl_ir_op_name(i->op));
	if (i->type != (cmp ? VCL_IR_I1 : VCL_IR_I64) ||
	    (cmp && i->imm > VCL_ICMP_SGE))
		fail(v, "%s gives %s%s", vcl_ir_op_name(i->op),
		     cmp ? "i1" : "i64",
		     cmp ? " with a predicate eq ne slt sle sgt sge" : "");
	define(v, i, vary(v, i->a) | vary(v, i->b), 0);
}

static void atomic(struct verifier *v, const struct vcl_ir_inst *i)
{
	vcl_ir_type a = operand(v, i->a, "a"), b = operand(v, i->b, "b");
	enum vcl_addr_space sp = VCL_IR_SPACE(a);
	bool cmp = i->imm == VCL_AT_CMPXCHG;
	if (i->imm >= VCL_AT_COUNT ||
	    !(i->type == VCL_IR_I32 ||
	      (i->type == VCL_IR_F32 && i->imm == VCL_AT_XCHG)) ||
	    b != i->type ||
	    (cmp ? operand(v, i->c, "c") != i->type : i->c != VCL_IR_NONE))
		fail(v, "atomic needs an operation and operands of its type "
			"(i32, or f32 for xchg)");
	if (i->a >= v->next || !(v->vflags[i->a] & V_CHECKED) ||
	    v->vbytes[i->a] < 4)
		fail(v, "atomic through a pointer that is not checked for it");
	else if (sp != VCL_AS_GLOBAL && sp != VCL_AS_LOCAL)
		fail(v, "atomic on memory that is not __global or __local");
	else
		stores_through(v, roots(v, i->a));
	/* Which work-item gets which old value is not uniform. */
	v->sum.reads_ids = true;
	define(v, i, V_VARYING, 0);
}

static void region(struct verifier *v, const struct vcl_ir_inst *i,
		   bool varying)
{
	if (v->depth >= VCL_IR_MAX_DEPTH) {
		fail(v, "regions nested more than %d deep", VCL_IR_MAX_DEPTH);
		return;
	}
	v->depth++;
	if (i->op == VCL_IR_IF) {
		if (operand(v, i->a, "condition") != VCL_IR_I1)
			fail(v, "if needs an i1 condition");
		bool inner = varying || vary(v, i->a);
		block(v, &i->then, inner);
		block(v, &i->els, inner);
	} else {
		uint32_t k = v->nloops++;
		if (k >= v->maxloops) {
			fail(v, "too many loops");
			v->depth--;
			return;
		}
		bool inner = varying || v->ldiv[k];
		v->loop_stack[v->nloop_open] = k;
		v->in_continuing[v->nloop_open++] = false;
		block(v, &i->then, inner);
		v->in_continuing[v->nloop_open - 1] = true;
		block(v, &i->els, inner);
		v->nloop_open--;
	}
	v->depth--;
}

/* Loops exited or restarted where work-items may diverge diverge. */
static void diverge(struct verifier *v, uint32_t n)
{
	for (uint32_t k = 0; k <= n && k < v->nloop_open; k++) {
		bool *d = &v->ldiv[v->loop_stack[v->nloop_open - 1 - k]];
		if (!*d)
			v->changed = true;
		*d = true;
	}
}

static void inst(struct verifier *v, const struct vcl_ir_inst *i, bool varying)
{
	varying = varying || v->varying_return;
	switch (i->op) {
	case VCL_IR_CONST:
		if (!is_data(i->type))
			fail(v, "constant of a type that is not a scalar");
		define(v, i, 0, 0);
		break;
	case VCL_IR_FNEG:
		if (!is_float(i->type) || operand(v, i->a, "a") != i->type)
			fail(v, "fneg needs a floating operand of its type");
		define(v, i, vary(v, i->a), 0);
		break;
	case VCL_IR_ICMP:
	case VCL_IR_FCMP: {
		vcl_ir_type a = operand(v, i->a, "a"),
			    b = operand(v, i->b, "b");
		bool f = i->op == VCL_IR_FCMP;
		if (i->type != VCL_IR_I1 || a != b ||
		    !(f ? is_float(a) : is_int(a)) ||
		    i->imm >= (f ? VCL_FCMP_COUNT : VCL_ICMP_COUNT))
			fail(v,
			     "%s needs two operands of one type, a "
			     "predicate and gives i1",
			     vcl_ir_op_name(i->op));
		define(v, i, vary(v, i->a) | vary(v, i->b), 0);
		break;
	}
	case VCL_IR_SELECT: {
		vcl_ir_type c = operand(v, i->a, "a"),
			    b = operand(v, i->b, "b"),
			    e = operand(v, i->c, "c");
		if (c != VCL_IR_I1 || b != i->type || e != i->type ||
		    !(is_data(b) || is_ptr(b)))
			fail(v, "select needs an i1 and two operands of its "
				"type");
		define(v, i, vary(v, i->a) | vary(v, i->b) | vary(v, i->c),
		       roots(v, i->b) | roots(v, i->c));
		break;
	}
	case VCL_IR_WI: {
		vcl_ir_type want =
		    i->imm == VCL_WI_WORK_DIM ? VCL_IR_I32 : VCL_IR_I64;
		if (i->imm >= VCL_WI_COUNT || i->type != want ||
		    operand(v, i->a, "a") != VCL_IR_I32)
			fail(v, "wi needs a query and an i32 dimension");
		bool id =
		    i->imm == VCL_WI_GLOBAL_ID || i->imm == VCL_WI_LOCAL_ID;
		if (id)
			v->sum.reads_ids = true;
		define(v, i, id ? V_VARYING : vary(v, i->a), 0);
		break;
	}
	case VCL_IR_BARRIER:
		if (i->imm > 3)
			fail(v, "barrier flags %llu",
			     (unsigned long long)i->imm);
		if (varying)
			fail(v, "barrier where work-items may diverge");
		v->sum.has_barrier = true;
		no_result(v, i);
		break;
	case VCL_IR_CALL:
	case VCL_IR_INTRIN:
		call(v, i, varying);
		break;
	case VCL_IR_ATOMIC:
		atomic(v, i);
		break;
	case VCL_IR_NULLPTR:
	case VCL_IR_PTRDIFF:
	case VCL_IR_PTRCMP:
		pointer_op(v, i);
		break;
	case VCL_IR_IF:
	case VCL_IR_LOOP:
		if (i->type != VCL_IR_VOID)
			fail(v, "a region has no result");
		region(v, i, varying);
		break;
	case VCL_IR_BREAK:
	case VCL_IR_CONTINUE:
		if (i->imm >= v->nloop_open)
			fail(v, "%s %llu outside as many loops",
			     vcl_ir_op_name(i->op), (unsigned long long)i->imm);
		else if (i->op == VCL_IR_CONTINUE &&
			 v->in_continuing[v->nloop_open - 1 - i->imm])
			fail(v, "continue from a loop's continuing part");
		else if (varying)
			diverge(v, (uint32_t)i->imm);
		no_result(v, i);
		break;
	case VCL_IR_RETURN:
		if (v->f->ret == VCL_IR_VOID
			? i->a != VCL_IR_NONE
			: operand(v, i->a, "a") != v->f->ret)
			fail(v, "return of another type than the function's");
		if (varying) {
			diverge(v, VCL_IR_MAX_DEPTH);
			v->varying_return = true;
		}
		no_result(v, i);
		break;
	default:
		if (i->op >= VCL_IR_ADD && i->op <= VCL_IR_FREM)
			binary(v, i);
		else if (i->op >= VCL_IR_SEXT && i->op <= VCL_IR_FPTOUI)
			conversion(v, i);
		else if (i->op >= VCL_IR_LDS && i->op <= VCL_IR_STORE)
			memory(v, i, varying);
		else
			fail(v, "unknown operation %u", (unsigned)i->op);
	}
}

static void block(struct verifier *v, const struct vcl_ir_block *b,
		  bool varying)
{
	uint32_t start = v->next;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		if (v->report && v->d->full)
			break;
		if (++v->ninsts > MAX_INSTS) {
			fail(v, "more than %d instructions", MAX_INSTS);
			break;
		}
		v->inst_no++;
		inst(v, i, varying);
	}
	/* Values defined in this list go out of scope with it. */
	for (uint32_t x = start; x < v->next; x++)
		v->vflags[x] &= (uint8_t)~V_LIVE;
}

static bool objects(struct verifier *v, const struct vcl_ir_object *o,
		    uint32_t n, uint64_t max, const char *what)
{
	uint64_t total = 0;
	if (n && !o) {
		fail(v, "%s missing", what);
		return false;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (o[k].size == 0 || o[k].size > max || o[k].align == 0 ||
		    o[k].align > 128 || (o[k].align & (o[k].align - 1))) {
			fail(v, "%s %u: size %llu, alignment %u", what, k,
			     (unsigned long long)o[k].size, o[k].align);
			return false;
		}
		total += o[k].size;
	}
	if (total > max) {
		fail(v, "%s take %llu bytes, more than %llu", what,
		     (unsigned long long)total, (unsigned long long)max);
		return false;
	}
	return true;
}

/* The function's header: parameters, objects, counts. */
static bool header(struct verifier *v)
{
	const struct vcl_ir_function *f = v->f;
	if (!f->name || f->nparams > VCL_IR_MAX_PARAMS ||
	    (f->nparams && !f->params) || f->nvalues < f->nparams ||
	    f->nvalues > VCL_IR_MAX_VALUES || f->nslots > VCL_IR_MAX_SLOTS ||
	    f->nlocals > VCL_IR_MAX_LOCALS) {
		fail(v, "bad function header (name, counts)");
		return false;
	}
	if (!(f->ret == VCL_IR_VOID || is_data(f->ret)) ||
	    (f->is_kernel && f->ret != VCL_IR_VOID)) {
		fail(v,
		     "functions return a scalar or nothing, kernels nothing");
		return false;
	}
	for (uint32_t p = 0; p < f->nparams; p++) {
		vcl_ir_type t = f->params[p].type;
		enum vcl_addr_space sp = VCL_IR_SPACE(t);
		bool ok = is_data(t) || is_ptr(t);
		if (f->is_kernel && is_ptr(t) && sp == VCL_AS_PRIVATE)
			ok = false;
		if (f->params[p].may_store &&
		    (!f->is_kernel || !is_ptr(t) || sp == VCL_AS_CONSTANT))
			ok = false;
		if (!ok) {
			fail(v, "parameter %u: bad type or may_store", p);
			return false;
		}
	}
	if (f->nlocals && !f->is_kernel) {
		fail(v, "__local allocations outside a kernel");
		return false;
	}
	return objects(v, f->slots, f->nslots, MAX_SLOT_BYTES, "slots") &&
	       objects(v, f->locals, f->nlocals, VCL_MAX_LOCAL_BYTES,
		       "__local allocations");
}

static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* One walk over the function's body. */
static void walk(struct verifier *v)
{
	const struct vcl_ir_function *f = v->f;
	memset(v->vflags, 0, f->nvalues);
	memset(v->skind, 0, f->nslots);
	v->next = f->nparams;
	for (uint32_t p = 0; p < f->nparams; p++) {
		v->vty[p] = f->params[p].type;
		v->vflags[p] = V_LIVE;
		v->vroots[p] = is_ptr(f->params[p].type) ? 1ull << p : 0;
	}
	v->nloops = v->depth = v->nloop_open = v->ninsts = v->inst_no = 0;
	v->varying_return = false;
	v->changed = false;
	memset(&v->sum, 0, sizeof(v->sum));
	block(v, &f->body, false);
}

static void function(struct verifier *v)
{
	const struct vcl_ir_function *f = v->f;
	v->report = true;
	v->ok = true;
	if (!header(v))
		return;
	v->vty = zalloc(f->nvalues, sizeof(*v->vty));
	v->vflags = zalloc(f->nvalues, 1);
	v->vroots = zalloc(f->nvalues, sizeof(*v->vroots));
	v->vbytes = zalloc(f->nvalues, sizeof(*v->vbytes));
	v->skind = zalloc(f->nslots, 1);
	v->stype = zalloc(f->nslots, sizeof(*v->stype));
	v->svarying = zalloc(f->nslots, sizeof(*v->svarying));
	v->sroots = zalloc(f->nslots, sizeof(*v->sroots));
	v->maxloops = f->nvalues + 65536;
	v->ldiv = zalloc(v->maxloops, sizeof(*v->ldiv));
	if (!v->vty || !v->vflags || !v->vroots || !v->vbytes || !v->skind ||
	    !v->stype || !v->svarying || !v->sroots || !v->ldiv) {
		fail(v, "out of memory");
	} else {
		/* Quiet passes until uniformity and slots' roots settle. */
		int pass = 0;
		v->report = false;
		do
			walk(v);
		while (v->changed && v->ok && ++pass < MAX_PASSES);
		v->report = true;
		if (v->changed && v->ok)
			fail(v, "uniformity did not settle in %d passes",
			     MAX_PASSES);
		v->ok = true;
		walk(v);
	}
	free(v->vty);
	free(v->vflags);
	free(v->vroots);
	free(v->vbytes);
	free(v->skind);
	free(v->stype);
	free(v->svarying);
	free(v->sroots);
	free(v->ldiv);
}

bool vcl_ir_verify(const struct vcl_ir_module *m, struct vcl_diags *d)
{
	struct verifier v = {.m = m, .d = d, .report = true, .ok = true};
	if (m->major != VCL_IR_MAJOR || m->minor > VCL_IR_MINOR) {
		fail(&v,
		     "IR version %u.%u, this verifier knows %u.%u and older "
		     "minors",
		     m->major, m->minor, VCL_IR_MAJOR, VCL_IR_MINOR);
		return false;
	}
	if (m->nfuncs > VCL_IR_MAX_FUNCTIONS || (m->nfuncs && !m->funcs)) {
		fail(&v, "%u functions, more than %d", m->nfuncs,
		     VCL_IR_MAX_FUNCTIONS);
		return false;
	}
	v.sums = zalloc(m->nfuncs, sizeof(*v.sums));
	if (!v.sums) {
		fail(&v, "out of memory");
		return false;
	}
	bool ok = true;
	for (uint32_t k = 0; k < m->nfuncs && !d->full; k++) {
		v.f = &m->funcs[k];
		v.findex = k;
		function(&v);
		ok = ok && v.ok;
		v.sums[k] = v.sum;
	}
	free(v.sums);
	return ok;
}
