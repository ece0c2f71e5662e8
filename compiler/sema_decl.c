/* Types as written to canonical types, struct layout, declarations
 * (program-scope __constant variables, typedefs, tags, functions and
 * kernels with their parameter rules, local variables and their address
 * spaces and bounds) and initializers. */
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

static const struct vcl_ty *record_type(struct sema *s,
					const struct vcl_type *t);
static const struct vcl_ty *enum_type(struct sema *s, const struct vcl_type *t);

struct builtin_typedef {
	const char *name;
	enum vcl_type_kind kind; /* VCL_TY_VOID: not supported, see why */
	const char *why;
};

static const struct builtin_typedef builtin_typedefs[] = {
    {"size_t", VCL_TY_ULONG, NULL},
    {"ptrdiff_t", VCL_TY_LONG, NULL},
    {"intptr_t", VCL_TY_LONG, NULL},
    {"uintptr_t", VCL_TY_ULONG, NULL},
    {"event_t", VCL_TY_VOID, "event_t (async copies) is not supported"},
    {"sampler_t", VCL_TY_VOID, "samplers are not supported"},
    {"image1d_t", VCL_TY_VOID, "images are not supported"},
    {"image2d_t", VCL_TY_VOID, "images are not supported"},
    {"image3d_t", VCL_TY_VOID, "images are not supported"},
    {"image1d_buffer_t", VCL_TY_VOID, "images are not supported"},
    {"image1d_array_t", VCL_TY_VOID, "images are not supported"},
    {"image2d_array_t", VCL_TY_VOID, "images are not supported"},
};

static const struct vcl_ty *named_type(struct sema *s, const struct vcl_type *t)
{
	struct vcl_sym *y = sema_lookup(s, t->name, t->name_len, false);
	if (y && y->kind == VCL_SYM_TYPEDEF)
		return y->type;
	for (size_t i = 0;
	     i < sizeof(builtin_typedefs) / sizeof(*builtin_typedefs); i++) {
		const struct builtin_typedef *b = &builtin_typedefs[i];
		if (strlen(b->name) != t->name_len ||
		    memcmp(b->name, t->name, t->name_len))
			continue;
		if (b->why) {
			sema_error(s, t->loc, "%s", b->why);
			return NULL;
		}
		return ty_scalar(b->kind);
	}
	sema_error(s, t->loc, "unknown type name '%.*s'", (int)t->name_len,
		   t->name);
	return NULL;
}

static const struct vcl_ty *array_type(struct sema *s, const struct vcl_type *t,
				       const struct vcl_ty *elem)
{
	if (elem->kind == VCL_TY_FUNCTION || elem->kind == VCL_TY_VOID ||
	    !elem->size) {
		sema_error(s, t->loc, "array of incomplete type '%s'",
			   ty_str(s, elem));
		return NULL;
	}
	uint64_t count = 0;
	if (t->size) {
		int64_t v;
		struct vcl_node *size = t->size;
		if (!sema_const_int(s, &size, &v))
			return NULL;
		if (v <= 0) {
			sema_error(s, t->loc, "array size %lld is not positive",
				   (long long)v);
			return NULL;
		}
		count = (uint64_t)v;
	}
	const struct vcl_ty *a = ty_array(s, elem, count);
	if (!a) {
		sema_error(s, t->loc, "array of %llu '%s' is too large",
			   (unsigned long long)count, ty_str(s, elem));
		return NULL;
	}
	return ty_qualified(s, a, elem->quals, elem->space);
}

static const struct vcl_ty *function_type(struct sema *s,
					  const struct vcl_type *t,
					  const struct vcl_ty *ret)
{
	if (ret->kind == VCL_TY_ARRAY || ret->kind == VCL_TY_FUNCTION) {
		sema_error(s, t->loc, "a function cannot return '%s'",
			   ty_str(s, ret));
		return NULL;
	}
	if (t->variadic) {
		sema_error(s, t->loc, "variadic functions are not supported");
		return NULL;
	}
	uint32_t n = 0;
	for (struct vcl_node *p = t->params; p; p = p->next)
		n++;
	const struct vcl_ty **params = sema_alloc(s, (n + 1) * sizeof(*params));
	if (!params)
		return NULL;
	uint32_t i = 0;
	bool ok = true;
	for (struct vcl_node *p = t->params; p; p = p->next, i++) {
		const struct vcl_ty *pt = sema_type(s, p->type);
		if (!pt) {
			ok = false;
			continue;
		}
		/* An array parameter is a pointer to its element. */
		if (pt->kind == VCL_TY_ARRAY)
			pt = ty_pointer(s, pt->base);
		if (pt &&
		    (pt->kind == VCL_TY_VOID || pt->kind == VCL_TY_FUNCTION)) {
			sema_error(s, p->loc, "parameter of type '%s'",
				   ty_str(s, pt));
			ok = false;
		}
		params[i] = pt;
		p->ty = pt;
	}
	ret = ty_value(s, ret);
	return ok ? ty_function(s, ret, params, n) : NULL;
}

const struct vcl_ty *sema_type(struct sema *s, const struct vcl_type *t)
{
	if (!sema_enter(s, t->loc))
		return NULL;
	const struct vcl_ty *r = NULL, *base;
	switch (t->kind) {
	case VCL_TY_VECTOR:
		r = ty_vector(t->elem, t->width);
		break;
	case VCL_TY_STRUCT:
	case VCL_TY_UNION:
		r = record_type(s, t);
		break;
	case VCL_TY_ENUM:
		r = enum_type(s, t);
		break;
	case VCL_TY_NAMED:
		r = named_type(s, t);
		break;
	case VCL_TY_POINTER:
		base = sema_type(s, t->base);
		if (!base)
			break;
		if (base->kind == VCL_TY_FUNCTION) {
			sema_error(s, t->loc,
				   "function pointers are not supported");
			break;
		}
		/* A pointee written without a space is private (OpenCL C
		 * 1.2 has no generic space). */
		if (base->space == VCL_AS_NONE)
			base =
			    ty_qualified(s, base, base->quals, VCL_AS_PRIVATE);
		r = ty_pointer(s, base);
		break;
	case VCL_TY_ARRAY:
		base = sema_type(s, t->base);
		r = base ? array_type(s, t, base) : NULL;
		break;
	case VCL_TY_FUNCTION:
		base = sema_type(s, t->base);
		r = base ? function_type(s, t, base) : NULL;
		break;
	default:
		r = ty_scalar(t->kind);
		break;
	}
	sema_leave(s);
	if (!r)
		return NULL;
	uint32_t quals = r->quals | t->quals;
	enum vcl_addr_space space = t->space ? t->space : r->space;
	if (t->kind == VCL_TY_ARRAY || t->kind == VCL_TY_FUNCTION)
		return r;
	return ty_qualified(s, r, quals, space);
}

static int by_name(const void *a, const void *b)
{
	const struct vcl_field *x = a, *y = b;
	uint32_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (int)x->name_len - (int)y->name_len;
}

static void duplicate_members(struct sema *s, struct vcl_record *r)
{
	struct vcl_field *v = malloc(r->nfields * sizeof(*v));
	if (!v) {
		sema_alloc(s, SIZE_MAX / 2);
		return;
	}
	memcpy(v, r->fields, r->nfields * sizeof(*v));
	qsort(v, r->nfields, sizeof(*v), by_name);
	for (uint32_t i = 1; i < r->nfields; i++)
		if (!by_name(&v[i - 1], &v[i]))
			sema_error(s, r->loc, "duplicate member '%.*s'",
				   (int)v[i].name_len, v[i].name);
	free(v);
}

/* Lays out the members of a struct or union (C's rules with OpenCL's
 * sizes). */
static void layout(struct sema *s, struct vcl_record *r, struct vcl_node *m)
{
	uint32_t n = 0;
	for (struct vcl_node *f = m; f; f = f->next)
		n++;
	if (n > VCL_MAX_MEMBERS) {
		sema_error(s, r->loc, "more than %u members in a struct",
			   VCL_MAX_MEMBERS);
		return;
	}
	r->fields = sema_alloc(s, (n + 1) * sizeof(*r->fields));
	if (!r->fields)
		return;
	uint64_t off = 0, size = 0;
	uint32_t align = 1;
	for (struct vcl_node *f = m; f; f = f->next) {
		const struct vcl_ty *ft = sema_type(s, f->type);
		if (!ft)
			continue;
		f->ty = ft;
		if (!ft->size || ft->kind == VCL_TY_FUNCTION) {
			sema_error(s, f->loc,
				   "member '%.*s' of incomplete "
				   "type '%s'",
				   (int)f->name_len, f->name, ty_str(s, ft));
			continue;
		}
		if (ft->space != VCL_AS_NONE) {
			sema_error(s, f->loc,
				   "member '%.*s' cannot have an address "
				   "space",
				   (int)f->name_len, f->name);
			continue;
		}
		if (!f->name)
			continue;
		const struct vcl_ty *inner = ft;
		while (inner->kind == VCL_TY_ARRAY)
			inner = inner->base;
		if (inner->kind == VCL_TY_POINTER ||
		    (inner->record && inner->record->has_pointer))
			r->has_pointer = true;
		uint64_t at = r->is_union ? 0
					  : (off + ft->align - 1) &
						~(uint64_t)(ft->align - 1);
		r->fields[r->nfields++] =
		    (struct vcl_field){f->name, f->name_len, ft, at};
		off = at + ft->size;
		if (off > size)
			size = off;
		if (ft->align > align)
			align = ft->align;
		if (size > VCL_MAX_TYPE_BYTES) {
			sema_error(s, f->loc, "struct is too large");
			return;
		}
	}
	if (!r->nfields) {
		sema_error(s, r->loc, "a struct or union needs a member");
		return;
	}
	duplicate_members(s, r);
	r->size = (size + align - 1) & ~(uint64_t)(align - 1);
	r->align = align;
	r->complete = true;
}

static const struct vcl_ty *record_type(struct sema *s,
					const struct vcl_type *t)
{
	struct vcl_sym *y =
	    t->name ? sema_lookup(s, t->name, t->name_len, true) : NULL;
	bool is_union = t->kind == VCL_TY_UNION;
	if (y && (!t->defined || y->scope == s->scope)) {
		if (y->type->kind != t->kind) {
			sema_error(s, t->loc,
				   "'%.*s' was declared as another kind of "
				   "tag",
				   (int)t->name_len, t->name);
			return NULL;
		}
		if (!t->defined)
			return ty_sized(y->type);
		if (y->type->record->complete) {
			sema_error(s, t->loc, "redefinition of '%s'",
				   ty_str(s, y->type));
			return NULL;
		}
		layout(s, y->type->record, t->members);
		return ty_sized(y->type);
	}
	struct vcl_record *r = sema_alloc(s, sizeof(*r));
	if (!r)
		return NULL;
	r->name = t->name;
	r->name_len = t->name_len;
	r->is_union = is_union;
	r->loc = t->loc;
	const struct vcl_ty *ty = ty_record(s, r);
	if (!ty)
		return NULL;
	if (t->name) {
		y = sema_declare(s, VCL_SYM_TAG, t->name, t->name_len, t->loc);
		if (!y)
			return NULL;
		y->type = ty;
	}
	if (t->defined)
		layout(s, r, t->members);
	return ty_sized(ty);
}

static const struct vcl_ty *enum_type(struct sema *s, const struct vcl_type *t)
{
	const struct vcl_ty *int_ty = ty_scalar(VCL_TY_INT);
	if (!t->defined) {
		struct vcl_sym *y = sema_lookup(s, t->name, t->name_len, true);
		if (!y)
			sema_error(s, t->loc, "unknown enum '%.*s'",
				   (int)t->name_len, t->name);
		return y ? int_ty : NULL;
	}
	if (t->name) {
		struct vcl_sym *y =
		    sema_declare(s, VCL_SYM_TAG, t->name, t->name_len, t->loc);
		if (y)
			y->type = int_ty;
	}
	int64_t next = 0;
	for (struct vcl_node *e = t->members; e; e = e->next) {
		if (e->a && !sema_const_int(s, &e->a, &next))
			next = 0;
		if (next < INT32_MIN || next > INT32_MAX)
			sema_error(s, e->loc,
				   "enumerator '%.*s' = %lld does not fit an "
				   "int",
				   (int)e->name_len, e->name, (long long)next);
		struct vcl_sym *y = sema_declare(s, VCL_SYM_ENUM_CONST, e->name,
						 e->name_len, e->loc);
		if (y) {
			y->type = int_ty;
			y->value = next;
			y->decl = e;
			e->sym = y;
		}
		next++;
	}
	return int_ty;
}

/* Initializers (C99 6.7.8): expressions converted as by assignment, brace
 * lists for arrays, structs and vectors, with designators (whose `info`
 * becomes the element's index or the member's number). */
static void check_init(struct sema *s, struct vcl_node **slot,
		       const struct vcl_ty *t, uint64_t *count);

static uint64_t element_limit(const struct vcl_ty *t)
{
	if (t->kind == VCL_TY_ARRAY)
		return t->count ? t->count : UINT64_MAX;
	if (t->kind == VCL_TY_VECTOR)
		return t->width;
	if (t->kind == VCL_TY_STRUCT)
		return t->record->nfields;
	return 1;
}

static const struct vcl_ty *element_type(const struct vcl_ty *t, uint64_t pos)
{
	return t->kind == VCL_TY_ARRAY	  ? t->base
	       : t->kind == VCL_TY_VECTOR ? ty_scalar(t->elem)
	       : t->record		  ? t->record->fields[pos].type
					  : t;
}

/* An element the list initializes without braces of its own (C's brace
 * elision): an array, or a struct from something not of its type. */
static bool elided(struct sema *s, struct vcl_node **item,
		   const struct vcl_ty *et)
{
	if ((*item)->kind == VCL_N_INIT_LIST ||
	    (*item)->kind == VCL_N_DESIGNATED)
		return false;
	if (et->kind == VCL_TY_ARRAY)
		return true;
	if (et->kind != VCL_TY_STRUCT && et->kind != VCL_TY_UNION)
		return false;
	const struct vcl_ty *it = sema_expr(s, item);
	return it && !ty_equal(it, et, false);
}

/* Gathers the items from *cur that fill `t` into a brace list of their
 * own, so the tree reads as if fully braced; *cur moves past them. */
static struct vcl_node *elide(struct sema *s, struct vcl_node **cur,
			      const struct vcl_ty *t)
{
	struct vcl_node *group = sema_alloc(s, sizeof(*group));
	if (!group || !sema_enter(s, (*cur)->loc))
		return NULL;
	group->kind = VCL_N_INIT_LIST;
	group->loc = (*cur)->loc;
	struct vcl_node **tail = &group->list;
	uint64_t limit = t->kind == VCL_TY_UNION ? 1 : element_limit(t);
	for (uint64_t pos = 0; pos < limit && *cur && !s->fatal &&
			       (*cur)->kind != VCL_N_DESIGNATED;
	     pos++) {
		const struct vcl_ty *et = element_type(t, pos);
		struct vcl_node *item;
		if (elided(s, cur, et)) {
			if (!(item = elide(s, cur, et)))
				break;
		} else {
			item = *cur;
			*cur = item->next;
			item->next = NULL;
		}
		*tail = item;
		tail = &item->next;
	}
	sema_leave(s);
	return group;
}

static void init_list(struct sema *s, struct vcl_node *list,
		      const struct vcl_ty *t, uint64_t *count)
{
	uint64_t pos = 0, max = 0;
	bool unsized = t->kind == VCL_TY_ARRAY && !t->count;
	uint64_t limit = t->kind == VCL_TY_UNION ? 1 : element_limit(t);
	for (struct vcl_node **e = &list->list; *e && !s->fatal;
	     e = &(*e)->next) {
		struct vcl_node **item = e;
		if ((*e)->kind == VCL_N_DESIGNATED) {
			struct vcl_node *d = *e;
			item = &d->a;
			if (d->name && t->record) {
				uint32_t i = 0;
				while (i < t->record->nfields &&
				       !(t->record->fields[i].name_len ==
					     d->name_len &&
					 !memcmp(t->record->fields[i].name,
						 d->name, d->name_len)))
					i++;
				if (i == t->record->nfields) {
					sema_error(s, d->loc,
						   "'%s' has no member "
						   "'%.*s'",
						   ty_str(s, t),
						   (int)d->name_len, d->name);
					continue;
				}
				pos = i;
			} else if (!d->name && t->kind == VCL_TY_ARRAY) {
				int64_t v;
				if (!sema_const_int(s, &d->b, &v))
					continue;
				if (v < 0 ||
				    (!unsized && (uint64_t)v >= limit)) {
					sema_error(s, d->loc,
						   "designator [%lld] outside "
						   "the array",
						   (long long)v);
					continue;
				}
				pos = (uint64_t)v;
			} else {
				sema_error(s, d->loc,
					   "designator does not fit '%s'",
					   ty_str(s, t));
				continue;
			}
			d->info = (uint32_t)pos;
		}
		if (!unsized && pos >= limit) {
			sema_error(s, (*e)->loc,
				   "too many initializers for '%s'",
				   ty_str(s, t));
			return;
		}
		if (unsized && pos >= VCL_MAX_TYPE_BYTES / t->base->size) {
			sema_error(s, (*e)->loc, "array is too large");
			return;
		}
		const struct vcl_ty *et = element_type(t, pos);
		if (item == e && elided(s, e, et)) {
			struct vcl_node *group = elide(s, e, et);
			if (!group)
				return;
			group->next = *e;
			*e = group;
		}
		check_init(s, item, ty_value(s, et), NULL);
		pos++;
		if (pos > max)
			max = pos;
	}
	if (count)
		*count = max;
}

static void check_init(struct sema *s, struct vcl_node **slot,
		       const struct vcl_ty *t, uint64_t *count)
{
	if (!sema_enter(s, (*slot)->loc))
		return;
	struct vcl_node *n = *slot;
	bool aggregate = t->kind == VCL_TY_ARRAY || t->kind == VCL_TY_STRUCT ||
			 t->kind == VCL_TY_UNION;
	if (n->kind == VCL_N_INIT_LIST) {
		n->ty = t;
		if (aggregate || t->kind == VCL_TY_VECTOR)
			init_list(s, n, t, count);
		else if (!n->list || n->list->next)
			sema_error(s, n->loc,
				   "a scalar needs one initializer, in braces "
				   "or not");
		else
			check_init(s, &n->list, t, NULL);
	} else if (t->kind == VCL_TY_ARRAY) {
		sema_error(s, n->loc,
			   "an array is initialized with a brace "
			   "list");
	} else {
		sema_assign_conv(s, slot, t, "initialization");
	}
	sema_leave(s);
}

/* A constant expression for a __constant variable's initializer. */
static bool is_constant(struct sema *s, const struct vcl_node *n)
{
	if (!n)
		return true;
	if (!sema_enter(s, n->loc))
		return false;
	bool ok;
	switch (n->kind) {
	case VCL_N_INT:
	case VCL_N_FLOAT:
	case VCL_N_SIZEOF_TYPE:
	case VCL_N_SIZEOF_EXPR:
	case VCL_N_VEC_STEP_TYPE:
		ok = true;
		break;
	case VCL_N_IDENT:
		ok = n->sym && n->sym->kind == VCL_SYM_ENUM_CONST;
		break;
	case VCL_N_UNARY:
		ok = n->op != VCL_T_AMP && n->op != VCL_T_STAR &&
		     n->op != VCL_T_INC && n->op != VCL_T_DEC &&
		     is_constant(s, n->a);
		break;
	case VCL_N_BINARY:
	case VCL_N_COND:
	case VCL_N_CAST:
	case VCL_N_CONVERT:
	case VCL_N_DESIGNATED:
		ok = is_constant(s, n->a) && is_constant(s, n->b) &&
		     is_constant(s, n->c);
		break;
	case VCL_N_INIT_LIST:
	case VCL_N_CAST_LIST:
		ok = true;
		for (const struct vcl_node *e = n->list; e && ok; e = e->next)
			ok = is_constant(s, e);
		break;
	default:
		ok = false;
	}
	sema_leave(s);
	return ok;
}

static bool push_sym(struct sema *s, struct vcl_sym ***v, uint32_t *n,
		     uint32_t *cap, struct vcl_sym *y)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 16;
		struct vcl_sym **w = realloc(*v, c * sizeof(*w));
		if (!w) {
			sema_alloc(s, SIZE_MAX / 2);
			return false;
		}
		*v = w;
		*cap = c;
	}
	(*v)[(*n)++] = y;
	return true;
}

/* The type of a variable's object as declared. */
static const struct vcl_ty *object_type(struct sema *s, struct vcl_node *d)
{
	const struct vcl_ty *t = sema_type(s, d->type);
	if (!t)
		return NULL;
	if (d->flags & (VCL_D_EXTERN | VCL_D_STATIC)) {
		sema_error(s, d->loc, "'%s' variables are not supported",
			   d->flags & VCL_D_EXTERN ? "extern" : "static");
		return NULL;
	}
	const struct vcl_ty *inner = t;
	while (inner->kind == VCL_TY_ARRAY)
		inner = inner->base;
	if (vcl_ty_scalar(inner) == VCL_TY_HALF) {
		sema_error(s, d->loc,
			   "half arithmetic is not supported: '%.*s' is a "
			   "half (use float, or a pointer to half with "
			   "vload_half)",
			   (int)d->name_len, d->name);
		return NULL;
	}
	if (!t->size && !(t->kind == VCL_TY_ARRAY && d->a)) {
		sema_error(s, d->loc, "variable '%.*s' of incomplete type '%s'",
			   (int)d->name_len, d->name, ty_str(s, t));
		return NULL;
	}
	return t;
}

/* Checks the initializer (the variable is in scope in it, as in C); an
 * array written with [] is sized by it. */
static const struct vcl_ty *object_init(struct sema *s, struct vcl_node *d,
					const struct vcl_ty *t)
{
	if (!d->a)
		return t;
	if (t->kind == VCL_TY_ARRAY && !t->count) {
		uint64_t count = 0;
		check_init(s, &d->a, t, &count);
		if (!count)
			return NULL;
		const struct vcl_ty *a = ty_array(s, t->base, count);
		return a ? ty_qualified(s, a, t->quals, t->space) : NULL;
	}
	check_init(s, &d->a, t, NULL);
	return t;
}

static void constant_data(struct sema *s, struct vcl_node *d,
			  struct vcl_sym *y);

void sema_local_decl(struct sema *s, struct vcl_node *d)
{
	if (d->kind == VCL_N_TAG) {
		sema_type(s, d->type);
		return;
	}
	if (d->kind == VCL_N_FUNCTION) {
		sema_error(s, d->loc,
			   "declare function '%.*s' at program "
			   "scope",
			   (int)d->name_len, d->name);
		return;
	}
	if (d->kind == VCL_N_TYPEDEF) {
		const struct vcl_ty *t = sema_type(s, d->type);
		struct vcl_sym *y =
		    t ? sema_declare(s, VCL_SYM_TYPEDEF, d->name, d->name_len,
				     d->loc)
		      : NULL;
		if (y) {
			y->type = t;
			d->sym = y;
		}
		/* Messages name an anonymous struct by its typedef. */
		if (t && t->record && !t->record->name) {
			t->record->name = d->name;
			t->record->name_len = d->name_len;
			t->record->typedef_name = true;
		}
		return;
	}
	const struct vcl_ty *t = object_type(s, d);
	struct vcl_sym *y =
	    sema_declare(s, VCL_SYM_VAR, d->name, d->name_len, d->loc);
	if (!y || !t)
		return;
	if (t->space == VCL_AS_NONE)
		t = ty_qualified(s, t, t->quals, VCL_AS_PRIVATE);
	y->type = t;
	y->decl = d;
	y->index = s->nlocals++;
	d->sym = y;
	if (!(t = object_init(s, d, t)))
		return;
	y->type = d->ty = t;
	switch (t->space) {
	case VCL_AS_LOCAL:
		if (!s->fn->is_kernel)
			sema_error(s, d->loc,
				   "__local variable '%.*s' outside a kernel: "
				   "only a kernel declares __local memory",
				   (int)d->name_len, d->name);
		if (d->a)
			sema_error(s, d->loc,
				   "__local variable '%.*s' cannot be "
				   "initialized",
				   (int)d->name_len, d->name);
		s->local_bytes += t->size;
		if (s->local_bytes > VCL_MAX_LOCAL_BYTES)
			sema_error(s, d->loc,
				   "__local variables take %llu bytes, more "
				   "than the limit of %u",
				   (unsigned long long)s->local_bytes,
				   VCL_MAX_LOCAL_BYTES);
		break;
	case VCL_AS_CONSTANT:
		if (s->fn->is_kernel) {
			/* Program data like a program-scope one, named in
			 * the kernel only. */
			constant_data(s, d, y);
			break;
		}
		/* fall through */
	case VCL_AS_GLOBAL:
		sema_error(s, d->loc,
			   "variable '%.*s' cannot be %s here: only pointers "
			   "point there (a __constant variable is declared at "
			   "program scope or in a kernel)",
			   (int)d->name_len, d->name, space_name(t->space));
		break;
	default:
		s->private_bytes += t->size;
		if (s->private_bytes > VCL_MAX_PRIVATE_BYTES)
			sema_error(s, d->loc,
				   "private variables take %llu bytes, more "
				   "than the limit of %u per work-item",
				   (unsigned long long)s->private_bytes,
				   VCL_MAX_PRIVATE_BYTES);
	}
}

static void global_var(struct sema *s, struct vcl_node *d)
{
	const struct vcl_ty *t = object_type(s, d);
	struct vcl_sym *y =
	    sema_declare(s, VCL_SYM_VAR, d->name, d->name_len, d->loc);
	if (!y || !t)
		return;
	y->type = t;
	y->decl = d;
	d->sym = y;
	if (!(t = object_init(s, d, t)))
		return;
	y->type = d->ty = t;
	if (t->space != VCL_AS_CONSTANT)
		sema_error(s, d->loc,
			   "program-scope variable '%.*s' must be __constant",
			   (int)d->name_len, d->name);
	else
		constant_data(s, d, y);
}

/* A __constant variable: read-only data of the program, initialized with
 * a constant expression. */
static void constant_data(struct sema *s, struct vcl_node *d, struct vcl_sym *y)
{
	if (!d->a)
		sema_error(s, d->loc,
			   "__constant variable '%.*s' needs an initializer",
			   (int)d->name_len, d->name);
	else if (!is_constant(s, d->a))
		sema_error(s, d->a->loc,
			   "the initializer of __constant '%.*s' is not a "
			   "constant expression",
			   (int)d->name_len, d->name);
	push_sym(s, &s->prog->globals, &s->prog->nglobals, &s->capglobals, y);
}

/* OpenCL C 1.2 section 6.9: what a kernel may take and return. */
static void kernel_rules(struct sema *s, struct vcl_node *d,
			 const struct vcl_ty *ft)
{
	if (ft->base->kind != VCL_TY_VOID)
		sema_error(s, d->loc, "kernel '%.*s' must return void",
			   (int)d->name_len, d->name);
	struct vcl_node *p = d->type->params;
	for (uint32_t i = 0; i < ft->nparams; i++, p = p->next) {
		const struct vcl_ty *t = ft->params[i];
		int nl = (int)p->name_len;
		const char *nm = p->name ? p->name : "";
		if (t->kind == VCL_TY_POINTER) {
			enum vcl_addr_space sp = t->base->space;
			if (sp != VCL_AS_GLOBAL && sp != VCL_AS_CONSTANT &&
			    sp != VCL_AS_LOCAL)
				sema_error(s, p->loc,
					   "pointer parameter '%.*s' of a "
					   "kernel must point to __global, "
					   "__constant or __local memory",
					   nl, nm);
			else if (t->base->kind == VCL_TY_POINTER)
				sema_error(s, p->loc,
					   "kernel parameter '%.*s' cannot "
					   "point to a pointer",
					   nl, nm);
			else if (t->base->record &&
				 t->base->record->has_pointer)
				sema_error(s, p->loc,
					   "kernel parameter '%.*s' points to "
					   "a struct holding pointers",
					   nl, nm);
			continue;
		}
		if (t->space != VCL_AS_NONE && t->space != VCL_AS_PRIVATE)
			sema_error(s, p->loc,
				   "kernel parameter '%.*s' cannot be %s: only "
				   "what a pointer points to can",
				   nl, nm, space_name(t->space));
		else if (t->kind == VCL_TY_BOOL)
			sema_error(s, p->loc,
				   "kernel parameter '%.*s' cannot be a bool",
				   nl, nm);
		else if (t->record && t->record->has_pointer)
			sema_error(s, p->loc,
				   "kernel parameter '%.*s' is a struct "
				   "holding pointers",
				   nl, nm);
		else if (vcl_ty_scalar(t) == VCL_TY_HALF)
			sema_error(s, p->loc,
				   "kernel parameter '%.*s' cannot be a half",
				   nl, nm);
	}
}

static void kernel_attributes(struct sema *s, struct vcl_node *d,
			      struct vcl_kernel *k)
{
	for (struct vcl_node *a = d->attrs; a; a = a->next) {
		if (name_is(a, "reqd_work_group_size") && k) {
			uint32_t i = 0;
			for (struct vcl_node **e = &a->list; *e && i < 3;
			     e = &(*e)->next, i++) {
				int64_t v;
				if (!sema_const_int(s, e, &v))
					continue;
				if (v <= 0 || v > UINT32_MAX)
					sema_error(
					    s, (*e)->loc,
					    "work-group size %lld out of "
					    "range",
					    (long long)v);
				else
					k->reqd_work_group_size[i] =
					    (uint32_t)v;
			}
			if (i != 3 ||
			    (a->list && a->list->next && a->list->next->next &&
			     a->list->next->next->next))
				sema_error(s, a->loc,
					   "reqd_work_group_size takes three "
					   "sizes");
		} else if (!name_is(a, "work_group_size_hint") &&
			   !name_is(a, "vec_type_hint") &&
			   !name_is(a, "always_inline") &&
			   !name_is(a, "noinline") && !name_is(a, "const") &&
			   !name_is(a, "pure") && !name_is(a, "overloadable")) {
			sema_warning(s, a->loc, "attribute '%.*s' ignored",
				     (int)a->name_len, a->name);
		}
	}
}

static void function_decl(struct sema *s, struct vcl_node *d)
{
	const struct vcl_ty *ft = sema_type(s, d->type);
	if (!ft)
		return;
	d->ty = ft;
	bool kernel = d->flags & VCL_D_KERNEL;
	/* A user function hides a built-in of the same name. */
	struct vcl_sym *y = sema_lookup(s, d->name, d->name_len, false);
	if (y && y->kind == VCL_SYM_FUNC) {
		if (!ty_equal(y->type, ft, false) || y->is_kernel != kernel) {
			sema_error(s, d->loc,
				   "'%.*s' declared again with another type",
				   (int)d->name_len, d->name);
			return;
		}
		if (d->b && y->defined) {
			sema_error(s, d->loc, "redefinition of '%.*s'",
				   (int)d->name_len, d->name);
			return;
		}
	} else {
		y = sema_declare(s, VCL_SYM_FUNC, d->name, d->name_len, d->loc);
		if (!y)
			return;
		y->type = ft;
		y->decl = d;
		y->is_kernel = kernel;
		if (!push_sym(s, &s->prog->functions, &s->prog->nfunctions,
			      &s->capfunctions, y))
			return;
	}
	d->sym = y;
	struct vcl_kernel *k = NULL;
	if (kernel && d->b) {
		kernel_rules(s, d, ft);
		struct vcl_program *prog = s->prog;
		if (prog->nkernels == s->capkernels) {
			uint32_t c = s->capkernels ? s->capkernels * 2 : 8;
			struct vcl_kernel *v =
			    realloc(prog->kernels, c * sizeof(*v));
			if (!v) {
				sema_alloc(s, SIZE_MAX / 2);
				return;
			}
			prog->kernels = v;
			s->capkernels = c;
		}
		k = &prog->kernels[prog->nkernels++];
		memset(k, 0, sizeof(*k));
		k->sym = y;
	}
	kernel_attributes(s, d, k);
	if (!d->b)
		return;
	y->defined = true;
	y->decl = d;
	s->fn = y;
	s->nlocals = 0;
	s->private_bytes = s->local_bytes = 0;
	sema_function_body(s, d);
	y->nlocals = s->nlocals;
	if (k)
		k->local_bytes = s->local_bytes;
	s->fn = NULL;
}

void sema_top_decl(struct sema *s, struct vcl_node *d)
{
	switch (d->kind) {
	case VCL_N_FUNCTION:
		function_decl(s, d);
		break;
	case VCL_N_VAR:
		global_var(s, d);
		break;
	default:
		sema_local_decl(s, d); /* typedefs and tags */
		break;
	}
}
