/* Declarations (C99 6.7) with OpenCL's additions: address spaces, the
 * kernel specifier, access qualifiers, vector types, attributes. */
#include <string.h>

#include "parse_internal.h"

struct specs {
	struct vcl_type *type;
	struct vcl_node *attrs;
	uint32_t flags; /* enum vcl_decl_flags */
	bool is_typedef;
	struct vcl_loc loc;
};

/* Starts a declaration (a type, or a storage or function specifier). */
static bool starts_decl(struct parser *p, const struct vcl_token *t)
{
	switch ((enum vcl_tok)t->kind) {
	case VCL_T_KW_TYPEDEF:
	case VCL_T_KW_EXTERN:
	case VCL_T_KW_STATIC:
	case VCL_T_KW_AUTO:
	case VCL_T_KW_REGISTER:
	case VCL_T_KW_INLINE:
	case VCL_T_KW_KERNEL:
	case VCL_T_KW_ATTRIBUTE:
	case VCL_T_KW_READ_ONLY:
	case VCL_T_KW_WRITE_ONLY:
	case VCL_T_KW_READ_WRITE:
		return true;
	default:
		return p_starts_type(p, t);
	}
}

/* One attribute: a name (an identifier or a keyword, as in `const`) and
 * its arguments, a type (vec_type_hint) or expressions. */
static struct vcl_node *attribute(struct parser *p)
{
	const struct vcl_token *t = p_peek(p, 0);
	if (t->kind != VCL_T_IDENT && t->kind < VCL_T_KW_AUTO) {
		p_expect(p, VCL_T_IDENT, "an attribute name");
		return NULL;
	}
	struct vcl_node *a = p_node(p, VCL_N_ATTRIBUTE, t->loc);
	if (!a)
		return NULL;
	a->name = t->text;
	a->name_len = t->len;
	p_next(p);
	if (!p_accept(p, VCL_T_LPAREN))
		return a;
	if (p_starts_type(p, p_peek(p, 0))) {
		a->type = p_type_name(p);
		return a->type && p_expect(p, VCL_T_RPAREN, "')'") ? a : NULL;
	}
	struct vcl_node **tail = &a->list;
	if (!p_is(p, VCL_T_RPAREN)) {
		do {
			struct vcl_node *e = p_assign(p);
			if (!e)
				return NULL;
			*tail = e;
			tail = &e->next;
		} while (p_accept(p, VCL_T_COMMA));
	}
	return p_expect(p, VCL_T_RPAREN, "')'") ? a : NULL;
}

/* __attribute__((a, b(x), ...)) appended at *tail, which moves on. */
static bool attributes(struct parser *p, struct vcl_node ***tail)
{
	p_next(p);
	if (!p_expect(p, VCL_T_LPAREN, "'((' after __attribute__") ||
	    !p_expect(p, VCL_T_LPAREN, "'((' after __attribute__") ||
	    !p_enter(p))
		return false;
	bool ok = true;
	while (!p_is(p, VCL_T_RPAREN)) {
		struct vcl_node *a = attribute(p);
		if (!a) {
			ok = false;
			break;
		}
		**tail = a;
		*tail = &a->next;
		if (!p_accept(p, VCL_T_COMMA))
			break;
	}
	p_leave(p);
	return ok && p_expect(p, VCL_T_RPAREN, "')'") &&
	       p_expect(p, VCL_T_RPAREN, "')' after the attributes");
}

static enum vcl_addr_space space_of(enum vcl_tok k)
{
	switch (k) {
	case VCL_T_KW_GLOBAL:
		return VCL_AS_GLOBAL;
	case VCL_T_KW_LOCAL:
		return VCL_AS_LOCAL;
	case VCL_T_KW_CONSTANT:
		return VCL_AS_CONSTANT;
	case VCL_T_KW_PRIVATE:
		return VCL_AS_PRIVATE;
	default:
		return VCL_AS_NONE;
	}
}

static uint32_t qual_of(enum vcl_tok k)
{
	return k == VCL_T_KW_CONST	? VCL_Q_CONST
	       : k == VCL_T_KW_VOLATILE ? VCL_Q_VOLATILE
	       : k == VCL_T_KW_RESTRICT ? VCL_Q_RESTRICT
					: 0;
}

static int scalar_of(enum vcl_tok k)
{
	switch (k) {
	case VCL_T_KW_VOID:
		return VCL_TY_VOID;
	case VCL_T_KW_BOOL:
		return VCL_TY_BOOL;
	case VCL_T_KW_CHAR:
		return VCL_TY_CHAR;
	case VCL_T_KW_UCHAR:
		return VCL_TY_UCHAR;
	case VCL_T_KW_USHORT:
		return VCL_TY_USHORT;
	case VCL_T_KW_INT:
		return VCL_TY_INT;
	case VCL_T_KW_UINT:
		return VCL_TY_UINT;
	case VCL_T_KW_ULONG:
		return VCL_TY_ULONG;
	case VCL_T_KW_FLOAT:
		return VCL_TY_FLOAT;
	case VCL_T_KW_DOUBLE:
		return VCL_TY_DOUBLE;
	case VCL_T_KW_HALF:
		return VCL_TY_HALF;
	default:
		return -1;
	}
}

bool p_starts_type(struct parser *p, const struct vcl_token *t)
{
	enum vcl_tok k = t->kind;
	if (scalar_of(k) >= 0 || qual_of(k) || space_of(k) != VCL_AS_NONE)
		return true;
	switch (k) {
	case VCL_T_KW_SHORT:
	case VCL_T_KW_LONG:
	case VCL_T_KW_SIGNED:
	case VCL_T_KW_UNSIGNED:
	case VCL_T_VECTOR_TYPE:
	case VCL_T_KW_STRUCT:
	case VCL_T_KW_UNION:
	case VCL_T_KW_ENUM:
		return true;
	default:
		return p_is_typedef(p, t);
	}
}

static struct vcl_node *struct_members(struct parser *p);
static struct vcl_node *enumerators(struct parser *p);

/* struct/union/enum [name] [{ ... }] */
static struct vcl_type *tagged(struct parser *p)
{
	struct vcl_token kw = p_next(p);
	enum vcl_type_kind kind = kw.kind == VCL_T_KW_STRUCT  ? VCL_TY_STRUCT
				  : kw.kind == VCL_T_KW_UNION ? VCL_TY_UNION
							      : VCL_TY_ENUM;
	struct vcl_type *t = p_type(p, kind, kw.loc);
	if (!t)
		return NULL;
	struct vcl_node **attrs = &t->attrs;
	while (p_is(p, VCL_T_KW_ATTRIBUTE))
		if (!attributes(p, &attrs))
			return NULL;
	if (p_is(p, VCL_T_IDENT)) {
		struct vcl_token name = p_next(p);
		t->name = name.text;
		t->name_len = name.len;
	}
	if (!p_is(p, VCL_T_LBRACE)) {
		if (!t->name) {
			p_error(p, kw.loc, "expected a name or '{' after '%s'",
				vcl_tok_spelling(kw.kind));
			return NULL;
		}
		return t;
	}
	p_next(p);
	if (!p_enter(p))
		return NULL;
	t->defined = true;
	t->members = kind == VCL_TY_ENUM ? enumerators(p) : struct_members(p);
	p_leave(p);
	if (!p_expect(p, VCL_T_RBRACE, "'}'"))
		return NULL;
	while (p_is(p, VCL_T_KW_ATTRIBUTE))
		if (!attributes(p, &attrs))
			return NULL;
	return t;
}

/* The scalar type of the keywords counted, or -1 with an error. */
struct base_words {
	int base; /* a VCL_TY_ kind, or -1 */
	unsigned nshort, nlong, nsigned, nunsigned;
};

static int combine(struct parser *p, const struct base_words *w,
		   struct vcl_loc loc)
{
	int b = w->base;
	bool sign_words = w->nsigned || w->nunsigned;
	if (w->nlong > 1) {
		p_error(p, loc,
			"'long long' is not a type in OpenCL C (long "
			"is 64-bit)");
		return -1;
	}
	if ((w->nsigned && w->nunsigned) || (w->nshort && w->nlong)) {
		p_error(p, loc, "conflicting type specifiers");
		return -1;
	}
	if (b < 0 || b == VCL_TY_INT) {
		if (w->nshort)
			return w->nunsigned ? VCL_TY_USHORT : VCL_TY_SHORT;
		if (w->nlong)
			return w->nunsigned ? VCL_TY_ULONG : VCL_TY_LONG;
		if (b < 0 && !sign_words)
			return -1;
		return w->nunsigned ? VCL_TY_UINT : VCL_TY_INT;
	}
	if (b == VCL_TY_CHAR && !w->nshort && !w->nlong)
		return w->nunsigned ? VCL_TY_UCHAR : VCL_TY_CHAR;
	if (sign_words || w->nshort || w->nlong) {
		p_error(p, loc, "invalid combination of type specifiers");
		return -1;
	}
	return b;
}

static bool decl_specs(struct parser *p, struct specs *s)
{
	struct base_words w = {.base = -1};
	struct vcl_type *type = NULL;
	uint32_t quals = 0;
	enum vcl_addr_space space = VCL_AS_NONE;
	memset(s, 0, sizeof(*s));
	struct vcl_node **attrs = &s->attrs;
	s->loc = p_peek(p, 0)->loc;
	for (;;) {
		const struct vcl_token *t = p_peek(p, 0);
		enum vcl_tok k = t->kind;
		int scalar = scalar_of(k);
		bool have_type = type || w.base >= 0 || w.nshort || w.nlong ||
				 w.nsigned || w.nunsigned;
		if (k == VCL_T_KW_TYPEDEF) {
			s->is_typedef = true;
		} else if (k == VCL_T_KW_STATIC) {
			s->flags |= VCL_D_STATIC;
		} else if (k == VCL_T_KW_EXTERN) {
			s->flags |= VCL_D_EXTERN;
		} else if (k == VCL_T_KW_INLINE) {
			s->flags |= VCL_D_INLINE;
		} else if (k == VCL_T_KW_KERNEL) {
			s->flags |= VCL_D_KERNEL;
		} else if (k == VCL_T_KW_AUTO || k == VCL_T_KW_REGISTER) {
			p_error(p, t->loc,
				"'%.*s' is not supported in OpenCL C",
				(int)t->len, t->text);
		} else if (k == VCL_T_KW_READ_ONLY ||
			   k == VCL_T_KW_WRITE_ONLY ||
			   k == VCL_T_KW_READ_WRITE) {
			/* Image access qualifiers: the type checker rejects
			 * images with a message. */
		} else if (qual_of(k)) {
			quals |= qual_of(k);
		} else if (space_of(k) != VCL_AS_NONE) {
			if (space != VCL_AS_NONE && space != space_of(k))
				p_error(p, t->loc,
					"conflicting address spaces");
			space = space_of(k);
		} else if (k == VCL_T_KW_ATTRIBUTE) {
			if (!attributes(p, &attrs))
				return false;
			continue;
		} else if (scalar >= 0 && !type && w.base < 0) {
			w.base = scalar;
		} else if (k == VCL_T_KW_SHORT && !type) {
			w.nshort++;
		} else if (k == VCL_T_KW_LONG && !type) {
			w.nlong++;
		} else if (k == VCL_T_KW_SIGNED && !type) {
			w.nsigned++;
		} else if (k == VCL_T_KW_UNSIGNED && !type) {
			w.nunsigned++;
		} else if (k == VCL_T_VECTOR_TYPE && !have_type) {
			type = p_type(p, VCL_TY_VECTOR, t->loc);
			if (!type)
				return false;
			/* short and long are modifiers to scalar_of, but
			 * the elements of short2 and long2 */
			enum vcl_tok ek = (enum vcl_tok)(t->aux >> 8);
			type->elem = ek == VCL_T_KW_SHORT ? VCL_TY_SHORT
				     : ek == VCL_T_KW_LONG
					 ? VCL_TY_LONG
					 : (enum vcl_type_kind)scalar_of(ek);
			type->width = t->aux & 0xff;
		} else if ((k == VCL_T_KW_STRUCT || k == VCL_T_KW_UNION ||
			    k == VCL_T_KW_ENUM) &&
			   !have_type) {
			type = tagged(p);
			if (!type)
				return false;
			continue;
		} else if (k == VCL_T_IDENT && !have_type &&
			   p_is_typedef(p, t)) {
			type = p_type(p, VCL_TY_NAMED, t->loc);
			if (!type)
				return false;
			type->name = t->text;
			type->name_len = t->len;
		} else if (scalar >= 0 || k == VCL_T_VECTOR_TYPE ||
			   k == VCL_T_KW_STRUCT || k == VCL_T_KW_UNION ||
			   k == VCL_T_KW_ENUM) {
			p_error(p, t->loc, "two types in one declaration");
			return false;
		} else {
			break;
		}
		p_next(p);
	}
	if (!type) {
		int kind = combine(p, &w, s->loc);
		if (kind < 0) {
			if (w.base < 0 && !w.nshort && !w.nlong && !w.nsigned &&
			    !w.nunsigned)
				p_error(p, s->loc, "expected a type");
			return false;
		}
		type = p_type(p, (enum vcl_type_kind)kind, s->loc);
		if (!type)
			return false;
	}
	type->quals |= quals;
	type->space = space;
	s->type = type;
	return true;
}

/* The node of one declarator: its type and name (if any), placed at the
 * name, else at the specifiers. */
static struct vcl_node *declared(struct parser *p, enum vcl_node_kind kind,
				 struct vcl_type *t,
				 const struct vcl_token *name,
				 const struct specs *s)
{
	struct vcl_node *n = p_node(p, kind, name->text ? name->loc : s->loc);
	if (n) {
		n->type = t;
		n->name = name->text;
		n->name_len = name->len;
	}
	return n;
}

static bool params(struct parser *p, struct vcl_type *fn);

/* Array and function suffixes of a declarator, applied to `base`. */
static struct vcl_type *suffixes(struct parser *p, struct vcl_type *base)
{
	const struct vcl_token *t = p_peek(p, 0);
	if (t->kind == VCL_T_LBRACKET) {
		struct vcl_type *a = p_type(p, VCL_TY_ARRAY, p_next(p).loc);
		if (!a || !p_enter(p))
			return NULL;
		if (!p_is(p, VCL_T_RBRACKET) && !(a->size = p_assign(p))) {
			p_leave(p);
			return NULL;
		}
		if (!p_expect(p, VCL_T_RBRACKET, "']'")) {
			p_leave(p);
			return NULL;
		}
		a->base = suffixes(p, base);
		p_leave(p);
		return a->base ? a : NULL;
	}
	if (t->kind == VCL_T_LPAREN) {
		struct vcl_type *f = p_type(p, VCL_TY_FUNCTION, p_next(p).loc);
		if (!f || !p_enter(p))
			return NULL;
		f->base = base;
		bool ok = params(p, f);
		p_leave(p);
		return ok && p_expect(p, VCL_T_RPAREN, "')'") ? f : NULL;
	}
	return base;
}

/* A declarator on `base`: its name (NULL in an abstract one) and type. */
static struct vcl_type *declarator(struct parser *p, struct vcl_type *base,
				   struct vcl_token *name)
{
	if (!p_enter(p))
		return NULL;
	/* Pointer levels are a loop here, but every later stage walks the
	 * type they make: they count as nesting. */
	uint32_t levels = 0;
	while (p_is(p, VCL_T_STAR)) {
		if (++levels + p->depth > VCL_MAX_PARSE_DEPTH) {
			p_too_deep(p);
			p_leave(p);
			return NULL;
		}
		struct vcl_type *ptr = p_type(p, VCL_TY_POINTER, p_next(p).loc);
		if (!ptr) {
			p_leave(p);
			return NULL;
		}
		ptr->base = base;
		for (;;) {
			enum vcl_tok k = p_peek(p, 0)->kind;
			if (qual_of(k))
				ptr->quals |= qual_of(k);
			else if (space_of(k) != VCL_AS_NONE)
				ptr->space = space_of(k);
			else
				break;
			p_next(p);
		}
		base = ptr;
	}
	struct vcl_type *result;
	const struct vcl_token *t1 = p_peek(p, 1);
	if (p_is(p, VCL_T_LPAREN) &&
	    (t1->kind == VCL_T_STAR || t1->kind == VCL_T_LPAREN ||
	     (t1->kind == VCL_T_IDENT && !p_is_typedef(p, t1)))) {
		/* ( declarator ): its type wraps what follows it. */
		p_next(p);
		struct vcl_type *hole = p_type(p, VCL_TY_VOID, p->last);
		result = hole ? declarator(p, hole, name) : NULL;
		if (result && p_expect(p, VCL_T_RPAREN, "')'")) {
			struct vcl_type *outer = suffixes(p, base);
			if (outer)
				*hole = *outer;
			else
				result = NULL;
		} else {
			result = NULL;
		}
	} else {
		if (p_is(p, VCL_T_IDENT))
			*name = p_next(p);
		result = suffixes(p, base);
	}
	p_leave(p);
	return result;
}

/* A parameter list into fn->params (after its '('). */
static bool params(struct parser *p, struct vcl_type *fn)
{
	if (p_is(p, VCL_T_RPAREN))
		return true;
	if (p_is(p, VCL_T_KW_VOID) && p_peek(p, 1)->kind == VCL_T_RPAREN) {
		p_next(p);
		return true;
	}
	struct vcl_node **tail = &fn->params;
	do {
		if (p_is(p, VCL_T_ELLIPSIS)) {
			p_next(p);
			fn->variadic = true;
			break;
		}
		struct specs s;
		if (!decl_specs(p, &s))
			return false;
		struct vcl_token name = {0};
		struct vcl_type *t = declarator(p, s.type, &name);
		if (!t)
			return false;
		struct vcl_node *n = declared(p, VCL_N_PARAM, t, &name, &s);
		if (!n)
			return false;
		*tail = n;
		tail = &n->next;
	} while (p_accept(p, VCL_T_COMMA));
	return true;
}

struct vcl_type *p_type_name(struct parser *p)
{
	struct specs s;
	if (!decl_specs(p, &s))
		return NULL;
	struct vcl_token name = {0};
	struct vcl_type *t = declarator(p, s.type, &name);
	if (t && name.text) {
		p_error(p, name.loc, "unexpected name '%.*s' in a type name",
			(int)name.len, name.text);
		return NULL;
	}
	return t;
}

static struct vcl_node *struct_members(struct parser *p)
{
	struct vcl_node *head = NULL, **tail = &head;
	while (!p_is(p, VCL_T_RBRACE) && !p_is(p, VCL_T_EOF) && !p->fatal) {
		struct specs s;
		if (!decl_specs(p, &s))
			return head;
		do {
			struct vcl_token name = {0};
			struct vcl_type *t = declarator(p, s.type, &name);
			if (!t)
				return head;
			if (p_is(p, VCL_T_COLON)) {
				p_error(p, p_peek(p, 0)->loc,
					"bit-fields are not supported in "
					"OpenCL C");
				return head;
			}
			struct vcl_node *n =
			    declared(p, VCL_N_VAR, t, &name, &s);
			if (!n)
				return head;
			*tail = n;
			tail = &n->next;
		} while (p_accept(p, VCL_T_COMMA));
		if (!p_expect(p, VCL_T_SEMI, "';' after a member"))
			return head;
	}
	return head;
}

static struct vcl_node *enumerators(struct parser *p)
{
	struct vcl_node *head = NULL, **tail = &head;
	while (p_is(p, VCL_T_IDENT)) {
		struct vcl_token name = p_next(p);
		struct vcl_node *n = p_node(p, VCL_N_ENUMERATOR, name.loc);
		if (!n)
			return head;
		n->name = name.text;
		n->name_len = name.len;
		p_declare(p, name.text, name.len, false);
		if (p_accept(p, VCL_T_ASSIGN) && !(n->a = p_assign(p)))
			return head;
		*tail = n;
		tail = &n->next;
		if (!p_accept(p, VCL_T_COMMA))
			break;
	}
	return head;
}

/* A function's body, its parameters in scope. */
static bool function_body(struct parser *p, struct vcl_node *fn)
{
	p_scope_push(p);
	for (struct vcl_node *prm = fn->type->params; prm; prm = prm->next)
		if (prm->name)
			p_declare(p, prm->name, prm->name_len, false);
	fn->b = p_block(p);
	p_scope_pop(p);
	return fn->b != NULL;
}

struct vcl_node *p_declaration(struct parser *p, bool top)
{
	struct specs s;
	if (!decl_specs(p, &s))
		return NULL;
	if (p_accept(p, VCL_T_SEMI)) {
		struct vcl_node *tag = p_node(p, VCL_N_TAG, s.loc);
		if (tag)
			tag->type = s.type;
		return tag;
	}
	struct vcl_node *head = NULL, **tail = &head;
	do {
		struct vcl_token name = {0};
		struct vcl_type *t = declarator(p, s.type, &name);
		struct vcl_node *own = NULL, **own_tail = &own;
		while (t && p_is(p, VCL_T_KW_ATTRIBUTE))
			if (!attributes(p, &own_tail))
				return NULL;
		if (!t)
			return NULL;
		*own_tail = s.attrs; /* the shared tail */
		if (!name.text) {
			p_error(p, s.loc, "expected a name in the declaration");
			return NULL;
		}
		enum vcl_node_kind kind = s.is_typedef ? VCL_N_TYPEDEF
					  : t->kind == VCL_TY_FUNCTION
					      ? VCL_N_FUNCTION
					      : VCL_N_VAR;
		struct vcl_node *n = declared(p, kind, t, &name, &s);
		if (!n)
			return NULL;
		n->flags = s.flags;
		n->attrs = own;
		p_declare(p, name.text, name.len, s.is_typedef);
		*tail = n;
		tail = &n->next;
		if (kind == VCL_N_FUNCTION && p_is(p, VCL_T_LBRACE)) {
			if (!top) {
				p_error(p, p_peek(p, 0)->loc,
					"a function cannot be defined inside "
					"another");
				return NULL;
			}
			return function_body(p, n) ? head : NULL;
		}
		if (p_accept(p, VCL_T_ASSIGN)) {
			if (kind != VCL_N_VAR) {
				p_error(p, p->last,
					"only a variable can be initialized");
				return NULL;
			}
			if (!(n->a = p_initializer(p)))
				return NULL;
		}
	} while (p_accept(p, VCL_T_COMMA));
	return p_expect(p, VCL_T_SEMI, "';' after the declaration") ? head
								    : NULL;
}

bool p_starts_declaration(struct parser *p)
{
	return starts_decl(p, p_peek(p, 0));
}
