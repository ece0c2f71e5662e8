/* The tests' IR evaluator (ir_eval.h): values as 64 bits plus, for
 * pointers, the object they point into; objects are the buffers, the
 * work-item's __local allocations and each call's slots. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_eval.h"

struct val {
	uint64_t b;
	int64_t obj; /* a pointer's object, -1 none, -2 a failed check */
};

struct object {
	uint8_t *p;
	uint64_t size;
	bool owned;
};

struct ev {
	const struct vcl_ir_module *m;
	struct object *objs;
	uint32_t nobjs, cap;
	uint64_t id, global;
	uint32_t locals_at; /* the kernel's __local allocations' first object */
	char *err;
	size_t errcap;
	bool failed;
};

struct frame {
	const struct vcl_ir_function *f;
	struct val *v;
	vcl_ir_type *ty;   /* each value's type */
	struct val *slots; /* whole values (lds/sts) */
	uint32_t slot0;	   /* the slots' objects from here */
	struct val ret;
};

enum flow { NEXT, BREAK, CONTINUE, RETURN };

static void fail(struct ev *e, const char *fmt, ...)
{
	if (e->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, e->errcap, fmt, ap);
	va_end(ap);
	e->failed = true;
}

static uint32_t add_object(struct ev *e, void *p, uint64_t size, bool owned)
{
	if (e->nobjs == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->objs = realloc(e->objs, e->cap * sizeof(*e->objs));
		if (!e->objs)
			abort();
	}
	e->objs[e->nobjs] = (struct object){p, size, owned};
	return e->nobjs++;
}

static void drop_objects(struct ev *e, uint32_t from)
{
	while (e->nobjs > from) {
		struct object *o = &e->objs[--e->nobjs];
		if (o->owned)
			free(o->p);
	}
}

static unsigned bits_of(vcl_ir_type t)
{
	static const unsigned bits[] = {0, 1, 8, 16, 32, 64, 32, 64, 64};
	return VCL_IR_KIND(t) < VCL_IR_KIND_COUNT ? bits[VCL_IR_KIND(t)] : 64;
}

static uint64_t mask(vcl_ir_type t, uint64_t v)
{
	unsigned n = bits_of(t);
	return n >= 64 ? v : v & ((UINT64_C(1) << n) - 1);
}

static int64_t sext(vcl_ir_type t, uint64_t v)
{
	unsigned n = bits_of(t);
	if (n >= 64)
		return (int64_t)v;
	uint64_t sign = UINT64_C(1) << (n - 1);
	v = mask(t, v);
	return (int64_t)((v ^ sign) - sign);
}

static double fval(vcl_ir_type t, uint64_t b)
{
	if (VCL_IR_KIND(t) == VCL_IR_F32) {
		float f;
		uint32_t u = (uint32_t)b;
		memcpy(&f, &u, 4);
		return f;
	}
	double d;
	memcpy(&d, &b, 8);
	return d;
}

static uint64_t fbits(vcl_ir_type t, double d)
{
	if (VCL_IR_KIND(t) == VCL_IR_F32) {
		float f = (float)d;
		uint32_t u;
		memcpy(&u, &f, 4);
		return u;
	}
	uint64_t b;
	memcpy(&b, &d, 8);
	return b;
}

static bool is_fp(vcl_ir_type t)
{
	return VCL_IR_KIND(t) == VCL_IR_F32 || VCL_IR_KIND(t) == VCL_IR_F64;
}

static uint64_t arith(struct ev *e, const struct vcl_ir_inst *i, uint64_t a,
		      uint64_t b)
{
	vcl_ir_type t = i->type;
	if (is_fp(t)) {
		double x = fval(t, a), y = fval(t, b), r;
		switch (i->op) {
		case VCL_IR_FADD:
			r = x + y;
			break;
		case VCL_IR_FSUB:
			r = x - y;
			break;
		case VCL_IR_FMUL:
			r = x * y;
			break;
		case VCL_IR_FDIV:
			r = x / y;
			break;
		default:
			r = fmod(x, y);
		}
		/* f32 arithmetic rounds once, to float */
		if (VCL_IR_KIND(t) == VCL_IR_F32) {
			float fx = (float)x, fy = (float)y, fr;
			switch (i->op) {
			case VCL_IR_FADD:
				fr = fx + fy;
				break;
			case VCL_IR_FSUB:
				fr = fx - fy;
				break;
			case VCL_IR_FMUL:
				fr = fx * fy;
				break;
			case VCL_IR_FDIV:
				fr = fx / fy;
				break;
			default:
				fr = fmodf(fx, fy);
			}
			r = fr;
		}
		return fbits(t, r);
	}
	unsigned n = bits_of(t);
	int64_t sa = sext(t, a), sb = sext(t, b);
	uint64_t ua = mask(t, a), ub = mask(t, b);
	int64_t smin = n >= 64 ? INT64_MIN : -(INT64_C(1) << (n - 1));
	switch (i->op) {
	case VCL_IR_ADD:
		return mask(t, a + b);
	case VCL_IR_SUB:
		return mask(t, a - b);
	case VCL_IR_MUL:
		return mask(t, a * b);
	case VCL_IR_SDIV:
		if (!sb)
			return 0;
		return mask(t, sa == smin && sb == -1 ? (uint64_t)sa
						      : (uint64_t)(sa / sb));
	case VCL_IR_SREM:
		if (!sb || (sa == smin && sb == -1))
			return 0;
		return mask(t, (uint64_t)(sa % sb));
	case VCL_IR_UDIV:
		return ub ? ua / ub : 0;
	case VCL_IR_UREM:
		return ub ? ua % ub : 0;
	case VCL_IR_AND:
		return ua & ub;
	case VCL_IR_OR:
		return ua | ub;
	case VCL_IR_XOR:
		return ua ^ ub;
	case VCL_IR_SHL:
		return mask(t, ua << (ub % n));
	case VCL_IR_LSHR:
		return ua >> (ub % n);
	case VCL_IR_ASHR:
		return mask(t, (uint64_t)(sa >> (ub % n)));
	default:
		fail(e, "op %d", i->op);
		return 0;
	}
}

static bool compare(const struct vcl_ir_inst *i, vcl_ir_type t, uint64_t a,
		    uint64_t b)
{
	if (i->op == VCL_IR_FCMP) {
		double x = fval(t, a), y = fval(t, b);
		switch (i->imm) {
		case VCL_FCMP_OEQ:
			return x == y;
		case VCL_FCMP_UNE:
			return !(x == y);
		case VCL_FCMP_OLT:
			return x < y;
		case VCL_FCMP_OLE:
			return x <= y;
		case VCL_FCMP_OGT:
			return x > y;
		default:
			return x >= y;
		}
	}
	int64_t sa = sext(t, a), sb = sext(t, b);
	uint64_t ua = mask(t, a), ub = mask(t, b);
	switch (i->imm) {
	case VCL_ICMP_EQ:
		return ua == ub;
	case VCL_ICMP_NE:
		return ua != ub;
	case VCL_ICMP_SLT:
		return sa < sb;
	case VCL_ICMP_SLE:
		return sa <= sb;
	case VCL_ICMP_SGT:
		return sa > sb;
	case VCL_ICMP_SGE:
		return sa >= sb;
	case VCL_ICMP_ULT:
		return ua < ub;
	case VCL_ICMP_ULE:
		return ua <= ub;
	case VCL_ICMP_UGT:
		return ua > ub;
	default:
		return ua >= ub;
	}
}

/* fptosi.sat / fptoui.sat: NaN 0, clamped to the range. */
static uint64_t to_int(vcl_ir_type t, double x, bool sgn)
{
	unsigned n = bits_of(t);
	if (x != x)
		return 0;
	if (sgn) {
		double lo = -ldexp(1, (int)n - 1), hi = ldexp(1, (int)n - 1);
		if (x <= lo)
			return mask(t, (uint64_t)(int64_t)lo);
		if (x >= hi)
			return mask(t, n >= 64 ? (uint64_t)INT64_MAX
					       : (UINT64_C(1) << (n - 1)) - 1);
		return mask(t, (uint64_t)(int64_t)x);
	}
	if (x <= 0)
		return 0;
	if (x >= ldexp(1, (int)n))
		return mask(t, UINT64_MAX);
	return (uint64_t)x;
}

static uint64_t convert(const struct vcl_ir_inst *i, vcl_ir_type ft, uint64_t a)
{
	vcl_ir_type t = i->type;
	switch (i->op) {
	case VCL_IR_SEXT:
		return mask(t, (uint64_t)sext(ft, a));
	case VCL_IR_ZEXT:
		return mask(ft, a);
	case VCL_IR_TRUNC:
		return mask(t, a);
	case VCL_IR_FPEXT:
	case VCL_IR_FPTRUNC:
		return fbits(t, fval(ft, a));
	case VCL_IR_SITOFP:
		if (VCL_IR_KIND(t) == VCL_IR_F32)
			return fbits(t, (float)sext(ft, a));
		return fbits(t, (double)sext(ft, a));
	case VCL_IR_UITOFP:
		if (VCL_IR_KIND(t) == VCL_IR_F32)
			return fbits(t, (float)mask(ft, a));
		return fbits(t, (double)mask(ft, a));
	case VCL_IR_FPTOSI:
		return to_int(t, fval(ft, a), true);
	default:
		return to_int(t, fval(ft, a), false);
	}
}

static double intrinsic(struct ev *e, const char *name, const double *x,
			uint32_t n)
{
	static const struct {
		const char *name;
		double (*f1)(double);
	} ones[] = {
	    {"sqrt", sqrt}, {"fabs", fabs},   {"floor", floor}, {"ceil", ceil},
	    {"rint", rint}, {"trunc", trunc}, {"round", round}, {"exp", exp},
	    {"log", log},   {"sin", sin},     {"cos", cos},	{"tan", tan},
	    {"asin", asin}, {"acos", acos},   {"atan", atan},	{"exp2", exp2}};
	if (!strcmp(name, "pow") && n == 2)
		return pow(x[0], x[1]);
	for (size_t k = 0; k < sizeof(ones) / sizeof(*ones); k++)
		if (n == 1 && !strcmp(name, ones[k].name))
			return ones[k].f1(x[0]);
	if (!strcmp(name, "tgamma"))
		return tgamma(x[0]);
	if (!strcmp(name, "lgamma")) {
		int sign;
		return lgamma_r(x[0], &sign);
	}
	if (!strcmp(name, "atan2"))
		return atan2(x[0], x[1]);
	if (!strcmp(name, "copysign"))
		return copysign(x[0], x[1]);
	if (!strcmp(name, "rsqrt"))
		return 1 / sqrt(x[0]);
	if (!strcmp(name, "min") || !strcmp(name, "fmin"))
		return fmin(x[0], x[1]);
	if (!strcmp(name, "max") || !strcmp(name, "fmax"))
		return fmax(x[0], x[1]);
	if (!strcmp(name, "clamp"))
		return fmin(fmax(x[0], x[1]), x[2]);
	if (!strcmp(name, "mix"))
		return x[0] + (x[1] - x[0]) * x[2];
	if (!strcmp(name, "step"))
		return x[1] < x[0] ? 0 : 1;
	if (!strcmp(name, "sign"))
		return x[0] > 0	      ? 1
		       : x[0] < 0     ? -1
		       : x[0] == x[0] ? 0 * x[0]
				      : 0;
	if (!strcmp(name, "fma") || !strcmp(name, "mad"))
		return fma(x[0], x[1], x[2]);
	fail(e, "the evaluator has no intrinsic '%s'", name);
	return 0;
}

static enum flow block(struct ev *e, struct frame *fr,
		       const struct vcl_ir_block *b, uint64_t *level);

static struct val call(struct ev *e, const struct vcl_ir_function *f,
		       const struct val *args);

/* The object and offset a checked pointer reaches, NULL when none. */
static uint8_t *at(struct ev *e, struct val p, uint32_t size)
{
	if (p.obj < 0 || (uint64_t)p.obj >= e->nobjs)
		return NULL;
	struct object *o = &e->objs[p.obj];
	if (p.b > o->size || size > o->size - p.b)
		return NULL;
	return o->p + p.b;
}

static void inst(struct ev *e, struct frame *fr, const struct vcl_ir_inst *i)
{
	struct val *v = fr->v, r = {0, -1};
	struct val a = i->a < fr->f->nvalues ? v[i->a] : (struct val){0, -1};
	struct val b = i->b < fr->f->nvalues ? v[i->b] : (struct val){0, -1};
	vcl_ir_type ta = i->a < fr->f->nvalues ? fr->ty[i->a] : VCL_IR_VOID;
	vcl_ir_type tb = i->b < fr->f->nvalues ? fr->ty[i->b] : VCL_IR_VOID;
	switch (i->op) {
	case VCL_IR_CONST:
		r.b = i->imm;
		break;
	case VCL_IR_FNEG:
		r.b = fbits(i->type, -fval(i->type, a.b));
		break;
	case VCL_IR_ICMP:
	case VCL_IR_FCMP:
		r.b = compare(i, ta, a.b, b.b);
		break;
	case VCL_IR_NULLPTR: /* no object: every check fails */
		break;
	case VCL_IR_PTRDIFF:
		r.b = a.b - b.b;
		break;
	case VCL_IR_PTRCMP: /* eq: one object, one offset; orders: offsets */
		if (i->imm == VCL_ICMP_EQ || i->imm == VCL_ICMP_NE)
			r.b = (a.obj == b.obj && a.b == b.b) ==
			      (i->imm == VCL_ICMP_EQ);
		else
			r.b = compare(i, VCL_IR_I64, a.b, b.b);
		break;
	case VCL_IR_SELECT:
		r = (v[i->a].b & 1) ? b : v[i->c];
		break;
	case VCL_IR_LDS:
		r = fr->slots[i->imm];
		break;
	case VCL_IR_STS:
		fr->slots[i->imm] = a;
		break;
	case VCL_IR_SLOT:
		r.obj = fr->slot0 + (int64_t)i->imm;
		break;
	case VCL_IR_LOCAL:
		r.obj = e->locals_at + (int64_t)i->imm;
		break;
	case VCL_IR_PTRADD:
		r = a;
		r.b = a.b + b.b;
		break;
	case VCL_IR_CHECK:
		r = a;
		if (!at(e, a, (uint32_t)i->imm) || a.b % i->imm2)
			fail(e, "access out of bounds: %u bytes at %llu",
			     (unsigned)i->imm, (unsigned long long)a.b);
		break;
	case VCL_IR_LOAD: {
		uint8_t *p = at(e, a, vcl_ir_type_size(i->type));
		if (p)
			memcpy(&r.b, p, vcl_ir_type_size(i->type));
		break;
	}
	case VCL_IR_STORE: {
		uint8_t *p = at(e, a, vcl_ir_type_size(tb));
		if (p)
			memcpy(p, &b.b, vcl_ir_type_size(tb));
		break;
	}
	case VCL_IR_ATOMIC: {
		uint8_t *p = at(e, a, 4);
		uint32_t old = 0, x = (uint32_t)b.b, n;
		if (p)
			memcpy(&old, p, 4);
		switch (i->imm) {
		case VCL_AT_ADD:
			n = old + x;
			break;
		case VCL_AT_SUB:
			n = old - x;
			break;
		case VCL_AT_CMPXCHG:
			n = old == (uint32_t)v[i->c].b ? x : old;
			break;
		default:
			n = x;
		}
		if (p)
			memcpy(p, &n, 4);
		r.b = old;
		break;
	}
	case VCL_IR_WI:
		r.b = i->imm == VCL_WI_GLOBAL_ID || i->imm == VCL_WI_GROUP_ID
			  ? e->id
		      : i->imm == VCL_WI_GLOBAL_SIZE ||
			      i->imm == VCL_WI_NUM_GROUPS
			  ? e->global
		      : i->imm == VCL_WI_LOCAL_SIZE || i->imm == VCL_WI_WORK_DIM
			  ? 1
			  : 0;
		break;
	case VCL_IR_BARRIER:
		break;
	case VCL_IR_CALL: {
		struct val args[VCL_IR_MAX_PARAMS];
		for (uint32_t k = 0; k < i->nargs; k++)
			args[k] = v[i->args[k]];
		r = call(e, &e->m->funcs[i->imm], args);
		break;
	}
	case VCL_IR_INTRIN: {
		double x[4] = {0};
		for (uint32_t k = 0; k < i->nargs && k < 4; k++)
			x[k] = fval(i->type, v[i->args[k]].b);
		double y = intrinsic(e, i->name, x, i->nargs);
		r.b = fbits(i->type, y);
		break;
	}
	default:
		if (i->op >= VCL_IR_ADD && i->op <= VCL_IR_FREM)
			r.b = arith(e, i, a.b, b.b);
		else if (i->op >= VCL_IR_SEXT && i->op <= VCL_IR_FPTOUI)
			r.b = convert(i, ta, a.b);
		else
			fail(e, "the evaluator has no op %d", i->op);
	}
	if (i->id != VCL_IR_NONE && i->id < fr->f->nvalues) {
		v[i->id] = r;
		fr->ty[i->id] = i->type;
	}
}

static enum flow block(struct ev *e, struct frame *fr,
		       const struct vcl_ir_block *b, uint64_t *level)
{
	for (const struct vcl_ir_inst *i = b->first; i && !e->failed;
	     i = i->next) {
		enum flow fl;
		switch (i->op) {
		case VCL_IR_IF:
			fl = block(e, fr,
				   (fr->v[i->a].b & 1) ? &i->then : &i->els,
				   level);
			if (fl != NEXT)
				return fl;
			break;
		case VCL_IR_LOOP:
			for (;;) {
				fl = block(e, fr, &i->then, level);
				if (fl == CONTINUE && *level == 0)
					fl = NEXT;
				if (fl == NEXT)
					fl = block(e, fr, &i->els, level);
				if (fl == NEXT || (fl == CONTINUE && !*level))
					continue;
				if (fl == RETURN)
					return fl;
				if (*level == 0)
					break; /* break 0: this loop */
				--*level;
				return fl;
			}
			break;
		case VCL_IR_BREAK:
		case VCL_IR_CONTINUE:
			*level = i->imm;
			return i->op == VCL_IR_BREAK ? BREAK : CONTINUE;
		case VCL_IR_RETURN:
			if (i->a != VCL_IR_NONE)
				fr->ret = fr->v[i->a];
			return RETURN;
		default:
			inst(e, fr, i);
		}
	}
	return NEXT;
}

static struct val call(struct ev *e, const struct vcl_ir_function *f,
		       const struct val *args)
{
	struct frame fr = {.f = f, .ret = {0, -1}};
	fr.v = calloc(f->nvalues + 1, sizeof(*fr.v));
	fr.ty = calloc(f->nvalues + 1, sizeof(*fr.ty));
	fr.slots = calloc(f->nslots + 1, sizeof(*fr.slots));
	if (!fr.v || !fr.slots || !fr.ty)
		abort();
	for (uint32_t k = 0; k < f->nparams; k++) {
		fr.v[k] = args[k];
		fr.ty[k] = f->params[k].type;
	}
	uint32_t mark = e->nobjs;
	fr.slot0 = e->nobjs;
	for (uint32_t k = 0; k < f->nslots; k++) {
		/* garbage in fresh private memory, as on a device */
		uint8_t *p = malloc(f->slots[k].size + 1);
		memset(p, 0xa5, f->slots[k].size + 1);
		add_object(e, p, f->slots[k].size, true);
	}
	uint64_t level = 0;
	block(e, &fr, &f->body, &level);
	drop_objects(e, mark);
	free(fr.v);
	free(fr.ty);
	free(fr.slots);
	return fr.ret;
}

int ev_run(const struct vcl_ir_module *m, const char *name,
	   const struct ev_arg *args, uint32_t nargs, uint64_t global,
	   char *err, size_t cap)
{
	const struct vcl_ir_function *k = NULL;
	for (uint32_t i = 0; i < m->nfuncs; i++)
		if (m->funcs[i].is_kernel && !strcmp(m->funcs[i].name, name))
			k = &m->funcs[i];
	if (!k || k->nparams != nargs) {
		snprintf(err, cap, "no kernel '%s' of %u parameters", name,
			 nargs);
		return -1;
	}
	struct ev e = {.m = m, .global = global, .err = err, .errcap = cap};
	struct val v[VCL_IR_MAX_PARAMS];
	for (uint32_t i = 0; i < nargs; i++) {
		if (VCL_IR_KIND(k->params[i].type) == VCL_IR_PTR)
			v[i] = (struct val){0, add_object(&e, args[i].data,
							  args[i].size, false)};
		else
			v[i] = (struct val){args[i].bits, -1};
	}
	uint32_t base = e.nobjs;
	for (e.id = 0; e.id < global && !e.failed; e.id++) {
		e.locals_at = e.nobjs;
		for (uint32_t l = 0; l < k->nlocals; l++)
			add_object(&e, calloc(1, k->locals[l].size + 1),
				   k->locals[l].size, true);
		call(&e, k, v);
		drop_objects(&e, base);
	}
	drop_objects(&e, 0);
	free(e.objs);
	return e.failed ? -1 : 0;
}
