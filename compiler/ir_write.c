/* The IR's binary form (`vgpucc -o`): the magic "VCLIR", the version, then
 * the functions, every number LEB128 (docs/compiler.md). */
#include <string.h>

#include <vgpucl/ir.h>

struct out {
	uint8_t *buf;
	size_t cap, len;
};

static void uleb(struct out *o, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		if (v)
			b |= 0x80;
		if (o->len < o->cap)
			o->buf[o->len] = b;
		o->len++;
	} while (v);
}

/* A value number, VCL_IR_NONE as 0. */
static void value(struct out *o, uint32_t v)
{
	uleb(o, v == VCL_IR_NONE ? 0 : (uint64_t)v + 1);
}

static void bytes(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uleb(o, n);
	for (size_t k = 0; k < n; k++, o->len++)
		if (o->len < o->cap)
			o->buf[o->len] = (uint8_t)s[k];
}

static void block(struct out *o, const struct vcl_ir_block *b)
{
	uint64_t n = 0;
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		n++;
	uleb(o, n);
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next) {
		uleb(o, i->op);
		uleb(o, i->type);
		value(o, i->id);
		value(o, i->a);
		value(o, i->b);
		value(o, i->c);
		uleb(o, i->imm);
		uleb(o, i->imm2);
		if (i->op == VCL_IR_INTRIN)
			bytes(o, i->name);
		if (i->op == VCL_IR_CALL || i->op == VCL_IR_INTRIN) {
			uleb(o, i->nargs);
			for (uint32_t k = 0; k < i->nargs; k++)
				value(o, i->args[k]);
		}
		if (i->op == VCL_IR_IF || i->op == VCL_IR_LOOP) {
			block(o, &i->then);
			block(o, &i->els);
		}
	}
}

static void objects(struct out *o, const struct vcl_ir_object *v, uint32_t n)
{
	uleb(o, n);
	for (uint32_t k = 0; k < n; k++) {
		uleb(o, v[k].size);
		uleb(o, v[k].align);
	}
}

size_t vcl_ir_write(const struct vcl_ir_module *m, uint8_t *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	for (const char *p = VCL_IR_MAGIC; *p; p++)
		uleb(&o, (uint8_t)*p);
	uleb(&o, m->major);
	uleb(&o, m->minor);
	uleb(&o, m->nfuncs);
	for (uint32_t k = 0; k < m->nfuncs; k++) {
		const struct vcl_ir_function *f = &m->funcs[k];
		bytes(&o, f->name);
		uleb(&o, f->is_kernel);
		uleb(&o, f->ret);
		for (int d = 0; d < 3; d++)
			uleb(&o, f->reqd_work_group_size[d]);
		uleb(&o, f->nparams);
		for (uint32_t p = 0; p < f->nparams; p++) {
			bytes(&o, f->params[p].name);
			uleb(&o, f->params[p].type);
			uleb(&o, f->params[p].may_store);
		}
		objects(&o, f->slots, f->nslots);
		objects(&o, f->locals, f->nlocals);
		uleb(&o, f->nvalues);
		block(&o, &f->body);
	}
	return o.len;
}
