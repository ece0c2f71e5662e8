/* Reading the IR's binary form, which may come from anyone: every number
 * is bounded before it is used, every count by the bytes left (each item
 * takes one at least) and by the IR's limits before anything is
 * allocated, nesting by VCL_IR_MAX_DEPTH; what is read then goes through
 * the verifier. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vgpucl/ir.h>

#include "arena.h"

enum { MAX_NAME = 256, MAX_INSTS = 1 << 22 };

struct in {
	const uint8_t *start, *p, *end;
	struct vcl_ir_module *m;
	struct vcl_diags *d;
	bool bad;
	uint32_t ninsts;
};

__attribute__((format(printf, 2, 3))) static void bad(struct in *in,
						      const char *fmt, ...)
{
	if (in->bad)
		return;
	in->bad = true;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vcl_diag_add(in->d, VCL_ERROR, "<ir>", 0, 0, "bad IR at byte %zu: %s",
		     (size_t)(in->p - in->start), msg);
}

static uint64_t uleb(struct in *in, uint64_t max, const char *what)
{
	uint64_t v = 0;
	for (int shift = 0; !in->bad; shift += 7) {
		if (in->p >= in->end) {
			bad(in, "the data ends inside %s", what);
			return 0;
		}
		uint8_t b = *in->p++;
		if (shift == 63 && (b & 0x7e)) {
			bad(in, "%s does not fit 64 bits", what);
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		if (shift >= 63) {
			bad(in, "%s does not fit 64 bits", what);
			return 0;
		}
	}
	if (v > max) {
		bad(in, "%s %llu is more than %llu", what,
		    (unsigned long long)v, (unsigned long long)max);
		return 0;
	}
	return v;
}

/* A count of items that take one byte each at least: no more than the
 * bytes left after it. */
static uint32_t count(struct in *in, uint32_t max, const char *what)
{
	uint64_t n = uleb(in, max, what);
	if (n > (uint64_t)(in->end - in->p)) {
		bad(in, "%s %llu is more than the bytes left", what,
		    (unsigned long long)n);
		return 0;
	}
	return (uint32_t)n;
}

static uint32_t value(struct in *in)
{
	uint64_t v = uleb(in, VCL_IR_MAX_VALUES, "a value number");
	return v ? (uint32_t)(v - 1) : VCL_IR_NONE;
}

static const char *name(struct in *in, bool may_be_empty)
{
	uint32_t n = count(in, MAX_NAME, "a name's length");
	if (in->bad || (!n && may_be_empty))
		return NULL;
	char *s = vcl_ir_alloc(in->m, n + 1);
	if (!s) {
		bad(in, "out of memory");
		return NULL;
	}
	memcpy(s, in->p, n);
	in->p += n;
	if (memchr(s, 0, n))
		bad(in, "a name holds a NUL byte");
	return s;
}

static void block(struct in *in, struct vcl_ir_block *b, int depth)
{
	if (depth > VCL_IR_MAX_DEPTH) {
		bad(in, "regions nested more than %d deep", VCL_IR_MAX_DEPTH);
		return;
	}
	uint32_t n = count(in, MAX_INSTS, "an instruction count");
	for (uint32_t k = 0; k < n && !in->bad; k++) {
		if (++in->ninsts > MAX_INSTS) {
			bad(in, "more than %d instructions", MAX_INSTS);
			return;
		}
		uint32_t op = (uint32_t)uleb(in, VCL_IR_OP_COUNT - 1, "an op");
		vcl_ir_type t = (vcl_ir_type)uleb(in, 0xffffff, "a type");
		struct vcl_ir_inst *i = vcl_ir_append(in->m, b, op, t);
		if (!i) {
			bad(in, "out of memory");
			return;
		}
		i->id = value(in);
		i->a = value(in);
		i->b = value(in);
		i->c = value(in);
		i->imm = uleb(in, UINT64_MAX, "an immediate");
		i->imm2 = uleb(in, UINT64_MAX, "an immediate");
		if (op == VCL_IR_INTRIN)
			i->name = name(in, false);
		if (op == VCL_IR_CALL || op == VCL_IR_INTRIN) {
			i->nargs =
			    count(in, VCL_IR_MAX_PARAMS, "an argument count");
			i->args = vcl_ir_alloc(in->m, sizeof(*i->args) *
							  (i->nargs + 1));
			if (!i->args)
				bad(in, "out of memory");
			for (uint32_t a = 0; a < i->nargs && !in->bad; a++)
				i->args[a] = value(in);
		}
		if (op == VCL_IR_IF || op == VCL_IR_LOOP) {
			block(in, &i->then, depth + 1);
			block(in, &i->els, depth + 1);
		}
	}
}

static void objects(struct in *in, struct vcl_ir_object **v, uint32_t *n,
		    uint32_t max)
{
	uint32_t c = count(in, max, "an object count");
	for (uint32_t k = 0; k < c && !in->bad; k++) {
		uint64_t size = uleb(in, UINT32_MAX, "an object's size");
		uint32_t align = (uint32_t)uleb(in, 4096, "an alignment");
		if (vcl_ir_add_object(in->m, v, n, size, align) < 0)
			bad(in, "out of memory");
	}
}

static void function(struct in *in)
{
	const char *fname = name(in, false);
	if (in->bad)
		return;
	bool kernel = uleb(in, 1, "the kernel flag");
	vcl_ir_type ret = (vcl_ir_type)uleb(in, 0xffffff, "a type");
	uint32_t wg[3];
	for (int d = 0; d < 3; d++)
		wg[d] = (uint32_t)uleb(in, UINT32_MAX, "a work-group size");
	uint32_t np = count(in, VCL_IR_MAX_PARAMS, "a parameter count");
	struct vcl_ir_function *f =
	    in->bad ? NULL : vcl_ir_add_function(in->m, fname, np);
	if (!f) {
		bad(in, "out of memory or too many functions");
		return;
	}
	f->is_kernel = kernel;
	f->ret = ret;
	memcpy(f->reqd_work_group_size, wg, sizeof(wg));
	for (uint32_t p = 0; p < np && !in->bad; p++) {
		f->params[p].name = name(in, true);
		f->params[p].type = (vcl_ir_type)uleb(in, 0xffffff, "a type");
		f->params[p].may_store = uleb(in, 1, "may_store");
	}
	objects(in, &f->slots, &f->nslots, VCL_IR_MAX_SLOTS);
	objects(in, &f->locals, &f->nlocals, VCL_IR_MAX_LOCALS);
	f->nvalues = (uint32_t)uleb(in, VCL_IR_MAX_VALUES, "a value count");
	block(in, &f->body, 0);
}

struct vcl_ir_module *vcl_ir_read(const void *bytes, size_t len,
				  struct vcl_diags *d)
{
	const uint8_t *p = bytes;
	size_t ml = strlen(VCL_IR_MAGIC);
	if (len < ml || memcmp(p, VCL_IR_MAGIC, ml) != 0) {
		vcl_diag_add(d, VCL_ERROR, "<ir>", 0, 0,
			     "not IR (no '" VCL_IR_MAGIC "' header)");
		return NULL;
	}
	struct in in = {p, p + ml, p + len, NULL, d, false, 0};
	uint32_t major = (uint32_t)uleb(&in, UINT32_MAX, "the major version");
	uint32_t minor = (uint32_t)uleb(&in, UINT32_MAX, "the minor version");
	if (!in.bad && (major != VCL_IR_MAJOR || minor > VCL_IR_MINOR)) {
		vcl_diag_add(d, VCL_ERROR, "<ir>", 0, 0,
			     "IR version %u.%u, this daemon reads %u.%u and "
			     "older minors",
			     major, minor, VCL_IR_MAJOR, VCL_IR_MINOR);
		return NULL;
	}
	uint32_t n = count(&in, VCL_IR_MAX_FUNCTIONS, "a function count");
	in.m = in.bad ? NULL : vcl_ir_new(n);
	if (!in.m) {
		if (!in.bad)
			bad(&in, "out of memory");
		return NULL;
	}
	in.m->minor = minor;
	for (uint32_t k = 0; k < n && !in.bad; k++)
		function(&in);
	if (!in.bad && in.p != in.end)
		bad(&in, "%zu bytes after the last function",
		    (size_t)(in.end - in.p));
	if (in.bad || !vcl_ir_verify(in.m, d)) {
		vcl_ir_free(in.m);
		return NULL;
	}
	return in.m;
}
