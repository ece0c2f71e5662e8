/* The type table: scalars and vectors as constant singletons, pointers,
 * arrays, qualified variants and functions made in the run's arena; sizes
 * and alignments as OpenCL C 1.2 section 6.1 gives them (a 3-component
 * vector is sized and aligned as a 4-component one). */
#include <stdio.h>
#include <string.h>

#include "sema_internal.h"

#define SCALAR(k, n) [k] = {.kind = k, .size = n, .align = n}
static const struct vcl_ty scalars[] = {
    [VCL_TY_VOID] = {.kind = VCL_TY_VOID},
    SCALAR(VCL_TY_BOOL, 1),
    SCALAR(VCL_TY_CHAR, 1),
    SCALAR(VCL_TY_UCHAR, 1),
    SCALAR(VCL_TY_SHORT, 2),
    SCALAR(VCL_TY_USHORT, 2),
    SCALAR(VCL_TY_INT, 4),
    SCALAR(VCL_TY_UINT, 4),
    SCALAR(VCL_TY_LONG, 8),
    SCALAR(VCL_TY_ULONG, 8),
    SCALAR(VCL_TY_HALF, 2),
    SCALAR(VCL_TY_FLOAT, 4),
    SCALAR(VCL_TY_DOUBLE, 8),
};

#define VEC(e, n, w, slots)                                                    \
	{                                                                      \
		.kind = VCL_TY_VECTOR, .elem = e, .width = w,                  \
		.size = (n) * (slots), .align = (n) * (slots)                  \
	}
#define VECS(e, n)                                                             \
	[e] = {VEC(e, n, 2, 2), VEC(e, n, 3, 4), VEC(e, n, 4, 4),              \
	       VEC(e, n, 8, 8), VEC(e, n, 16, 16)}
static const struct vcl_ty vectors[VCL_TY_DOUBLE + 1][5] = {
    VECS(VCL_TY_CHAR, 1),   VECS(VCL_TY_UCHAR, 1),  VECS(VCL_TY_SHORT, 2),
    VECS(VCL_TY_USHORT, 2), VECS(VCL_TY_INT, 4),    VECS(VCL_TY_UINT, 4),
    VECS(VCL_TY_LONG, 8),   VECS(VCL_TY_ULONG, 8),  VECS(VCL_TY_HALF, 2),
    VECS(VCL_TY_FLOAT, 4),  VECS(VCL_TY_DOUBLE, 8),
};

const struct vcl_ty *ty_scalar(enum vcl_type_kind k)
{
	return &scalars[k];
}

int ty_width_index(unsigned width)
{
	switch (width) {
	case 2:
		return 0;
	case 3:
		return 1;
	case 4:
		return 2;
	case 8:
		return 3;
	case 16:
		return 4;
	default:
		return -1;
	}
}

const struct vcl_ty *ty_vector(enum vcl_type_kind elem, unsigned width)
{
	if (width == 1)
		return ty_scalar(elem);
	int w = ty_width_index(width);
	if (w < 0 || elem < VCL_TY_CHAR || elem > VCL_TY_DOUBLE)
		return NULL;
	return &vectors[elem][w];
}

static struct vcl_ty *ty_new(struct sema *s, const struct vcl_ty *like)
{
	struct vcl_ty *t = sema_alloc(s, sizeof(*t));
	if (t && like)
		*t = *like;
	return t;
}

const struct vcl_ty *ty_qualified(struct sema *s, const struct vcl_ty *t,
				  uint32_t quals, enum vcl_addr_space space)
{
	if (!t || (t->quals == quals && t->space == space))
		return t;
	struct vcl_ty *q = ty_new(s, t);
	if (q) {
		q->quals = quals;
		q->space = space;
	}
	return q ? q : t;
}

const struct vcl_ty *ty_value(struct sema *s, const struct vcl_ty *t)
{
	return ty_qualified(s, t, 0, VCL_AS_NONE);
}

const struct vcl_ty *ty_pointer(struct sema *s, const struct vcl_ty *to)
{
	struct vcl_ty *p = ty_new(s, NULL);
	if (p) {
		p->kind = VCL_TY_POINTER;
		p->base = to;
		p->size = p->align = 8;
	}
	return p;
}

const struct vcl_ty *ty_array(struct sema *s, const struct vcl_ty *of,
			      uint64_t count)
{
	if (of->size && count > VCL_MAX_TYPE_BYTES / of->size)
		return NULL;
	struct vcl_ty *a = ty_new(s, NULL);
	if (a) {
		a->kind = VCL_TY_ARRAY;
		a->base = of;
		a->count = count;
		a->size = of->size * count;
		a->align = of->align;
	}
	return a;
}

const struct vcl_ty *ty_function(struct sema *s, const struct vcl_ty *ret,
				 const struct vcl_ty **params, uint32_t n)
{
	struct vcl_ty *f = ty_new(s, NULL);
	if (f) {
		f->kind = VCL_TY_FUNCTION;
		f->base = ret;
		f->params = params;
		f->nparams = n;
	}
	return f;
}

const struct vcl_ty *ty_record(struct sema *s, struct vcl_record *r)
{
	struct vcl_ty *t = ty_new(s, NULL);
	if (t) {
		t->kind = r->is_union ? VCL_TY_UNION : VCL_TY_STRUCT;
		t->record = r;
	}
	return t;
}

/* Size and alignment of a record type, once its record is complete. */
const struct vcl_ty *ty_sized(const struct vcl_ty *t)
{
	if ((t->kind == VCL_TY_STRUCT || t->kind == VCL_TY_UNION) &&
	    t->record->complete) {
		((struct vcl_ty *)t)->size = t->record->size;
		((struct vcl_ty *)t)->align = t->record->align;
	}
	return t;
}

bool ty_equal(const struct vcl_ty *a, const struct vcl_ty *b, bool top_quals)
{
	for (;;) {
		if (a == b)
			return true;
		if (a->kind != b->kind)
			return false;
		if (top_quals &&
		    (a->quals != b->quals || ty_space(a) != ty_space(b)))
			return false;
		switch (a->kind) {
		case VCL_TY_VECTOR:
			return a->elem == b->elem && a->width == b->width;
		case VCL_TY_STRUCT:
		case VCL_TY_UNION:
			return a->record == b->record;
		case VCL_TY_ARRAY:
			if (a->count != b->count)
				return false;
			break;
		case VCL_TY_FUNCTION:
			if (a->nparams != b->nparams)
				return false;
			for (uint32_t i = 0; i < a->nparams; i++)
				if (!ty_equal(a->params[i], b->params[i],
					      false))
					return false;
			break;
		case VCL_TY_POINTER:
			top_quals = true;
			break;
		default:
			return true;
		}
		a = a->base;
		b = b->base;
	}
}

enum vcl_addr_space ty_space(const struct vcl_ty *t)
{
	return t->space == VCL_AS_NONE ? VCL_AS_PRIVATE : t->space;
}

bool ty_is_arith(const struct vcl_ty *t)
{
	return t->kind >= VCL_TY_BOOL && t->kind <= VCL_TY_DOUBLE;
}

bool vcl_ty_is_integer(const struct vcl_ty *t)
{
	return t->kind >= VCL_TY_BOOL && t->kind <= VCL_TY_ULONG;
}

bool vcl_ty_is_floating(const struct vcl_ty *t)
{
	return t->kind >= VCL_TY_HALF && t->kind <= VCL_TY_DOUBLE;
}

enum vcl_type_kind vcl_ty_scalar(const struct vcl_ty *t)
{
	return t->kind == VCL_TY_VECTOR ? t->elem : t->kind;
}

bool kind_is_integer(enum vcl_type_kind k)
{
	return k >= VCL_TY_BOOL && k <= VCL_TY_ULONG;
}

bool kind_is_unsigned(enum vcl_type_kind k)
{
	return k == VCL_TY_BOOL || k == VCL_TY_UCHAR || k == VCL_TY_USHORT ||
	       k == VCL_TY_UINT || k == VCL_TY_ULONG;
}

int kind_rank(enum vcl_type_kind k)
{
	switch (k) {
	case VCL_TY_BOOL:
		return 0;
	case VCL_TY_CHAR:
	case VCL_TY_UCHAR:
		return 1;
	case VCL_TY_SHORT:
	case VCL_TY_USHORT:
		return 2;
	case VCL_TY_INT:
	case VCL_TY_UINT:
		return 3;
	case VCL_TY_LONG:
	case VCL_TY_ULONG:
		return 4;
	case VCL_TY_HALF:
		return 5;
	case VCL_TY_FLOAT:
		return 6;
	default:
		return 7;
	}
}

enum vcl_type_kind kind_promoted(enum vcl_type_kind k)
{
	return kind_rank(k) < 3 ? VCL_TY_INT : k;
}

/* The signed or unsigned integer kind of the same size. */
enum vcl_type_kind kind_with_sign(enum vcl_type_kind k, bool is_unsigned)
{
	switch (k) {
	case VCL_TY_CHAR:
	case VCL_TY_UCHAR:
		return is_unsigned ? VCL_TY_UCHAR : VCL_TY_CHAR;
	case VCL_TY_SHORT:
	case VCL_TY_USHORT:
	case VCL_TY_HALF:
		return is_unsigned ? VCL_TY_USHORT : VCL_TY_SHORT;
	case VCL_TY_INT:
	case VCL_TY_UINT:
	case VCL_TY_FLOAT:
		return is_unsigned ? VCL_TY_UINT : VCL_TY_INT;
	default:
		return is_unsigned ? VCL_TY_ULONG : VCL_TY_LONG;
	}
}

/* C99 6.3.1.8 on two scalar kinds, after promotion. */
enum vcl_type_kind kind_common(enum vcl_type_kind a, enum vcl_type_kind b)
{
	if (a == VCL_TY_DOUBLE || b == VCL_TY_DOUBLE)
		return VCL_TY_DOUBLE;
	if (a == VCL_TY_FLOAT || b == VCL_TY_FLOAT)
		return VCL_TY_FLOAT;
	a = kind_promoted(a);
	b = kind_promoted(b);
	if (a == b)
		return a;
	bool ua = kind_is_unsigned(a), ub = kind_is_unsigned(b);
	int ra = kind_rank(a), rb = kind_rank(b);
	if (ua == ub)
		return ra > rb ? a : b;
	enum vcl_type_kind u = ua ? a : b, sgn = ua ? b : a;
	int ru = ua ? ra : rb, rs = ua ? rb : ra;
	if (ru >= rs)
		return u;
	/* The signed type is wider (long against uint): it holds every
	 * value of the unsigned one. */
	return sgn;
}

static const char *const scalar_names[] = {
    [VCL_TY_VOID] = "void",	[VCL_TY_BOOL] = "bool",
    [VCL_TY_CHAR] = "char",	[VCL_TY_UCHAR] = "uchar",
    [VCL_TY_SHORT] = "short",	[VCL_TY_USHORT] = "ushort",
    [VCL_TY_INT] = "int",	[VCL_TY_UINT] = "uint",
    [VCL_TY_LONG] = "long",	[VCL_TY_ULONG] = "ulong",
    [VCL_TY_HALF] = "half",	[VCL_TY_FLOAT] = "float",
    [VCL_TY_DOUBLE] = "double",
};

const char *kind_name(enum vcl_type_kind k)
{
	return k <= VCL_TY_DOUBLE ? scalar_names[k] : "?";
}

static const char *const space_names[] = {
    [VCL_AS_NONE] = "",
    [VCL_AS_PRIVATE] = "__private",
    [VCL_AS_GLOBAL] = "__global",
    [VCL_AS_LOCAL] = "__local",
    [VCL_AS_CONSTANT] = "__constant",
};

const char *space_name(enum vcl_addr_space sp)
{
	return space_names[sp];
}

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, const char *s, unsigned n)
{
	char tmp[128];
	int k = snprintf(tmp, sizeof(tmp), fmt, s, n);
	if (k < 0)
		return;
	if (o->len < o->cap)
		snprintf(o->buf + o->len, o->cap - o->len, "%s", tmp);
	o->len += (size_t)k;
}

/* Qualifiers and address space of an object (a private one named only
 * where a pointer points). */
static void prefix(struct out *o, const struct vcl_ty *t, bool pointee)
{
	if (t->space > VCL_AS_PRIVATE ||
	    (pointee && t->space == VCL_AS_PRIVATE))
		put(o, "%s ", space_name(t->space), 0);
	if (t->quals & VCL_Q_CONST)
		put(o, "%s ", "const", 0);
	if (t->quals & VCL_Q_VOLATILE)
		put(o, "%s ", "volatile", 0);
}

static void format(struct out *o, const struct vcl_ty *t, bool pointee)
{
	switch (t->kind) {
	case VCL_TY_POINTER:
		format(o, t->base, true);
		put(o, "%s", t->base->kind == VCL_TY_POINTER ? "*" : " *", 0);
		if (t->quals & VCL_Q_CONST)
			put(o, "%s", " const", 0);
		return;
	case VCL_TY_ARRAY:
		format(o, t->base, pointee);
		put(o, "%s%u]", "[", (unsigned)t->count);
		return;
	case VCL_TY_FUNCTION:
		format(o, t->base, false);
		put(o, "%s", " (function)", 0);
		return;
	default:
		break;
	}
	prefix(o, t, pointee);
	if (t->kind == VCL_TY_VECTOR)
		put(o, "%s%u", kind_name(t->elem), t->width);
	else if (t->kind == VCL_TY_STRUCT || t->kind == VCL_TY_UNION) {
		if (!t->record->typedef_name)
			put(o, "%s",
			    t->kind == VCL_TY_STRUCT ? "struct " : "union ", 0);
		if (t->record->name) {
			char nm[96];
			snprintf(nm, sizeof(nm), "%.*s",
				 (int)t->record->name_len, t->record->name);
			put(o, "%s", nm, 0);
		} else {
			put(o, "%s", "<anonymous>", 0);
		}
	} else
		put(o, "%s", kind_name(t->kind), 0);
}

size_t vcl_ty_format(const struct vcl_ty *t, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	if (cap)
		buf[0] = '\0';
	format(&o, t, false);
	return o.len;
}

const char *ty_str(struct sema *s, const struct vcl_ty *t)
{
	/* Rotating buffers: a message names up to four types. */
	char *b = s->tybuf[s->tybuf_next++ % 4];
	vcl_ty_format(t, b, sizeof(s->tybuf[0]));
	return b;
}
