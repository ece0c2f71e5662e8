/* The IR's module: its arena, functions, instructions and objects, and the
 * names and sizes of its types and operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>
#include <vgpucl/limits.h>

#include "arena.h"

struct vcl_ir_module *vcl_ir_new(uint32_t cap)
{
	if (cap > VCL_IR_MAX_FUNCTIONS)
		return NULL;
	struct vcl_arena *a = malloc(sizeof(*a));
	if (!a)
		return NULL;
	vcl_arena_init(a, VCL_MAX_ARENA_BYTES);
	struct vcl_ir_module *m = vcl_arena_alloc(a, sizeof(*m));
	struct vcl_ir_function *f =
	    vcl_arena_alloc(a, sizeof(*f) * (cap ? cap : 1));
	if (!m || !f) {
		vcl_arena_free(a);
		free(a);
		return NULL;
	}
	*m = (struct vcl_ir_module){VCL_IR_MAJOR, VCL_IR_MINOR, f, 0, cap, a};
	return m;
}

void vcl_ir_free(struct vcl_ir_module *m)
{
	if (!m)
		return;
	struct vcl_arena *a = m->priv;
	vcl_arena_free(a);
	free(a);
}

void *vcl_ir_alloc(struct vcl_ir_module *m, size_t n)
{
	void *p = vcl_arena_alloc(m->priv, n ? n : 1);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

struct vcl_ir_function *vcl_ir_add_function(struct vcl_ir_module *m,
					    const char *name, uint32_t nparams)
{
	if (m->nfuncs >= m->cap || nparams > VCL_IR_MAX_PARAMS)
		return NULL;
	struct vcl_ir_function *f = &m->funcs[m->nfuncs];
	memset(f, 0, sizeof(*f));
	f->name = vcl_arena_strndup(m->priv, name, strlen(name));
	f->params = vcl_ir_alloc(m, sizeof(*f->params) * nparams);
	if (!f->name || !f->params)
		return NULL;
	f->nparams = f->nvalues = nparams;
	m->nfuncs++;
	return f;
}

struct vcl_ir_inst *vcl_ir_append(struct vcl_ir_module *m,
				  struct vcl_ir_block *b, enum vcl_ir_op op,
				  vcl_ir_type type)
{
	struct vcl_ir_inst *i = vcl_ir_alloc(m, sizeof(*i));
	if (!i)
		return NULL;
	i->op = op;
	i->type = type;
	i->id = i->a = i->b = i->c = VCL_IR_NONE;
	if (b->last)
		b->last->next = i;
	else
		b->first = i;
	b->last = i;
	return i;
}

int64_t vcl_ir_add_object(struct vcl_ir_module *m, struct vcl_ir_object **v,
			  uint32_t *n, uint64_t size, uint32_t align)
{
	/* Arrays double in the arena: the old copy is left behind, which the
	 * cap on objects keeps small. */
	if (*n >= VCL_IR_MAX_SLOTS)
		return -1;
	if ((*n & (*n - 1)) == 0) {
		struct vcl_ir_object *nv =
		    vcl_ir_alloc(m, sizeof(*nv) * (*n ? *n * 2 : 4));
		if (!nv)
			return -1;
		if (*n)
			memcpy(nv, *v, sizeof(*nv) * *n);
		*v = nv;
	}
	(*v)[*n] = (struct vcl_ir_object){size, align};
	return (*n)++;
}

static const char *const op_names[] = {
#define VCL_X(name, s) s,
    VCL_IR_OPS(VCL_X)
#undef VCL_X
};

const char *vcl_ir_op_name(enum vcl_ir_op op)
{
	return (unsigned)op < VCL_IR_OP_COUNT ? op_names[op] : "?";
}

static const char *const kind_names[] = {"void", "i1",	"i8",  "i16", "i32",
					 "i64",	 "f32", "f64", "ptr"};
static const char *const space_names[] = {"", "private", "global", "local",
					  "constant"};

const char *vcl_ir_type_name(vcl_ir_type t, char buf[static 16])
{
	unsigned k = VCL_IR_KIND(t), lanes = VCL_IR_LANES(t),
		 sp = VCL_IR_SPACE(t);
	if (k >= VCL_IR_KIND_COUNT)
		snprintf(buf, 16, "?%u", k);
	else if (k == VCL_IR_PTR && sp >= 1 && sp <= 4)
		snprintf(buf, 16, "ptr.%s", space_names[sp]);
	else if (lanes)
		snprintf(buf, 16, "%sx%u", kind_names[k], lanes);
	else
		snprintf(buf, 16, "%s", kind_names[k]);
	return buf;
}

uint32_t vcl_ir_type_size(vcl_ir_type t)
{
	static const uint8_t sizes[] = {0, 1, 1, 2, 4, 8, 4, 8, 8};
	unsigned k = VCL_IR_KIND(t), lanes = VCL_IR_LANES(t);
	if (k >= VCL_IR_KIND_COUNT)
		return 0;
	return sizes[k] * (lanes == 0 ? 1 : lanes == 3 ? 4 : lanes);
}

/* The math built-ins the IR has as intrinsics: every argument and the
 * result of one floating type. */
static const struct {
	const char *name;
	uint32_t nargs;
} intrinsics[] = {
    {"acos", 1},  {"acosh", 1},	  {"asin", 1},	   {"asinh", 1},
    {"atan", 1},  {"atan2", 2},	  {"atanh", 1},	   {"cbrt", 1},
    {"ceil", 1},  {"clamp", 3},	  {"copysign", 2}, {"cos", 1},
    {"cosh", 1},  {"degrees", 1}, {"erf", 1},	   {"erfc", 1},
    {"exp", 1},	  {"exp10", 1},	  {"exp2", 1},	   {"expm1", 1},
    {"fabs", 1},  {"fdim", 2},	  {"floor", 1},	   {"fma", 3},
    {"fmax", 2},  {"fmin", 2},	  {"fmod", 2},	   {"hypot", 2},
    {"log", 1},	  {"log10", 1},	  {"log1p", 1},	   {"log2", 1},
    {"logb", 1},  {"mad", 3},	  {"max", 2},	   {"min", 2},
    {"mix", 3},	  {"pow", 2},	  {"powr", 2},	   {"radians", 1},
    {"recip", 1}, {"rint", 1},	  {"round", 1},	   {"rsqrt", 1},
    {"sign", 1},  {"sin", 1},	  {"sinh", 1},	   {"smoothstep", 3},
    {"sqrt", 1},  {"step", 2},	  {"tan", 1},	   {"tanh", 1},
    {"trunc", 1}, {"divide", 2},  {"tgamma", 1},   {"lgamma", 1},
};

const char *vcl_ir_intrin_base(const char *name, uint32_t nargs)
{
	if (!name)
		return NULL;
	/* native_ and half_ forms may be less precise: the full one is. */
	if (strncmp(name, "native_", 7) == 0)
		name += 7;
	else if (strncmp(name, "half_", 5) == 0)
		name += 5;
	for (size_t i = 0; i < sizeof(intrinsics) / sizeof(intrinsics[0]); i++)
		if (strcmp(name, intrinsics[i].name) == 0)
			return intrinsics[i].nargs == nargs ? intrinsics[i].name
							    : NULL;
	return NULL;
}
