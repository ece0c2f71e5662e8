/* The IR's text form (`vgpucc -S`), which the tests compare. One line per
 * instruction, regions indented by two spaces. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vgpucl/ir.h>

struct out {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static const char *const icmp_names[] = {"eq",	"ne",  "slt", "sle", "sgt",
					 "sge", "ult", "ule", "ugt", "uge"};
static const char *const fcmp_names[] = {"oeq", "une", "olt",
					 "ole", "ogt", "oge"};
static const char *const wi_names[] = {
    "global_id",  "local_id",	"group_id",	 "global_size",
    "local_size", "num_groups", "global_offset", "work_dim"};

static const char *const atomic_names[] = {"add",  "sub",  "xchg", "cmpxchg",
					   "smin", "umin", "smax", "umax",
					   "and",  "or",   "xor"};

static void value(struct out *o, uint32_t v)
{
	if (v == VCL_IR_NONE)
		put(o, "%%none");
	else
		put(o, "%%%" PRIu32, v);
}

static void constant(struct out *o, vcl_ir_type t, uint64_t bits)
{
	if (VCL_IR_KIND(t) == VCL_IR_F32) {
		float f;
		uint32_t b = (uint32_t)bits;
		memcpy(&f, &b, 4);
		put(o, "%.9g", (double)f);
	} else if (VCL_IR_KIND(t) == VCL_IR_F64) {
		double f;
		memcpy(&f, &bits, 8);
		put(o, "%.17g", f);
	} else {
		put(o, "%" PRId64, (int64_t)bits);
	}
}

static void block(struct out *o, const struct vcl_ir_block *b, int depth);

static void inst(struct out *o, const struct vcl_ir_inst *i, int depth)
{
	char tb[16];
	const char *ty = vcl_ir_type_name(i->type, tb);
	put(o, "%*s", 2 * depth, "");
	if (i->id != VCL_IR_NONE)
		put(o, "%%%" PRIu32 " = ", i->id);
	switch (i->op) {
	case VCL_IR_CONST:
		put(o, "const %s ", ty);
		constant(o, i->type, i->imm);
		break;
	case VCL_IR_ICMP:
	case VCL_IR_FCMP:
	case VCL_IR_PTRCMP:
		put(o, "%s.%s ", vcl_ir_op_name(i->op),
		    i->op != VCL_IR_FCMP
			? (i->imm < VCL_ICMP_COUNT ? icmp_names[i->imm] : "?")
			: (i->imm < VCL_FCMP_COUNT ? fcmp_names[i->imm] : "?"));
		value(o, i->a);
		put(o, ", ");
		value(o, i->b);
		break;
	case VCL_IR_ATOMIC:
		put(o, "atomic.%s %s ",
		    i->imm < VCL_AT_COUNT ? atomic_names[i->imm] : "?", ty);
		value(o, i->a);
		put(o, ", ");
		value(o, i->b);
		if (i->c != VCL_IR_NONE) {
			put(o, ", ");
			value(o, i->c);
		}
		break;
	case VCL_IR_LDS:
		put(o, "lds %s s%" PRIu64, ty, i->imm);
		break;
	case VCL_IR_STS:
		put(o, "sts s%" PRIu64 ", ", i->imm);
		value(o, i->a);
		break;
	case VCL_IR_SLOT:
		/* a private slot's pointer says nothing more; a read-only one
		 * (a __constant variable's copy) says its type */
		if (VCL_IR_SPACE(i->type) == VCL_AS_PRIVATE)
			put(o, "slot s%" PRIu64, i->imm);
		else
			put(o, "slot %s s%" PRIu64, ty, i->imm);
		break;
	case VCL_IR_LOCAL:
		put(o, "local l%" PRIu64, i->imm);
		break;
	case VCL_IR_CHECK:
		put(o, "check ");
		value(o, i->a);
		put(o, ", %" PRIu64 ", %" PRIu64, i->imm, i->imm2);
		break;
	case VCL_IR_WI:
		put(o, "wi.%s ",
		    i->imm < VCL_WI_COUNT ? wi_names[i->imm] : "?");
		value(o, i->a);
		break;
	case VCL_IR_BARRIER:
		put(o, "barrier %" PRIu64, i->imm);
		break;
	case VCL_IR_BREAK:
	case VCL_IR_CONTINUE:
		put(o, "%s %" PRIu64, vcl_ir_op_name(i->op), i->imm);
		break;
	case VCL_IR_CALL:
	case VCL_IR_INTRIN:
		if (i->op == VCL_IR_CALL)
			put(o, "call %s @%" PRIu64 "(", ty, i->imm);
		else
			put(o, "intrin %s %s(", ty, i->name ? i->name : "?");
		for (uint32_t k = 0; k < i->nargs; k++) {
			put(o, k ? ", " : "");
			value(o, i->args[k]);
		}
		put(o, ")");
		break;
	case VCL_IR_IF:
	case VCL_IR_LOOP:
		if (i->op == VCL_IR_IF) {
			put(o, "if ");
			value(o, i->a);
			put(o, " {\n");
		} else {
			put(o, "loop {\n");
		}
		block(o, &i->then, depth + 1);
		if (i->els.first) {
			put(o, "%*s} %s {\n", 2 * depth, "",
			    i->op == VCL_IR_IF ? "else" : "continuing");
			block(o, &i->els, depth + 1);
		}
		put(o, "%*s}", 2 * depth, "");
		break;
	default:
		/* Operations with operands only: type, then a, b, c. */
		put(o, "%s", vcl_ir_op_name(i->op));
		if (i->type != VCL_IR_VOID)
			put(o, " %s", ty);
		for (int k = 0; k < 3; k++) {
			uint32_t v = k == 0 ? i->a : k == 1 ? i->b : i->c;
			if (v == VCL_IR_NONE)
				break;
			put(o, k ? ", " : " ");
			value(o, v);
		}
	}
	put(o, "\n");
}

static void block(struct out *o, const struct vcl_ir_block *b, int depth)
{
	if (depth > VCL_IR_MAX_DEPTH) {
		put(o, "%*s...\n", 2 * depth, "");
		return;
	}
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		inst(o, i, depth);
}

static void function(struct out *o, const struct vcl_ir_function *f,
		     uint32_t index)
{
	char tb[16];
	put(o, "%s %s @%" PRIu32 " %s(", f->is_kernel ? "kernel" : "func",
	    vcl_ir_type_name(f->ret, tb), index, f->name);
	for (uint32_t k = 0; k < f->nparams; k++) {
		const struct vcl_ir_param *p = &f->params[k];
		put(o, "%s%s %%%" PRIu32 " %s%s", k ? ", " : "",
		    vcl_ir_type_name(p->type, tb), k, p->name ? p->name : "",
		    p->may_store ? " store" : "");
	}
	put(o, ") {\n");
	if (f->reqd_work_group_size[0])
		put(o, "  reqd_work_group_size %u %u %u\n",
		    f->reqd_work_group_size[0], f->reqd_work_group_size[1],
		    f->reqd_work_group_size[2]);
	for (uint32_t k = 0; k < f->nslots; k++)
		put(o, "  s%" PRIu32 ": %" PRIu64 " align %" PRIu32 "\n", k,
		    f->slots[k].size, f->slots[k].align);
	for (uint32_t k = 0; k < f->nlocals; k++)
		put(o, "  l%" PRIu32 ": %" PRIu64 " align %" PRIu32 "\n", k,
		    f->locals[k].size, f->locals[k].align);
	block(o, &f->body, 1);
	put(o, "}\n");
}

size_t vcl_ir_print(const struct vcl_ir_module *m, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	if (cap)
		buf[0] = 0;
	put(&o, "vclir %" PRIu32 ".%" PRIu32 "\n", m->major, m->minor);
	for (uint32_t k = 0; k < m->nfuncs; k++)
		function(&o, &m->funcs[k], k);
	return o.len;
}
