#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/lex.h>

#include "parse_internal.h"

const struct vcl_token *p_peek(struct parser *p, unsigned k)
{
	while (p->nla <= k) {
		struct vcl_token *t = &p->la[p->nla];
		if (p->fatal || !vcl_lex_next(p->pp, t)) {
			memset(t, 0, sizeof(*t));
			t->kind = VCL_T_EOF;
			t->loc = p->last;
		}
		p->nla++;
	}
	return &p->la[k];
}

struct vcl_token p_next(struct parser *p)
{
	struct vcl_token t = *p_peek(p, 0);
	memmove(p->la, p->la + 1, (p->nla - 1) * sizeof(*p->la));
	p->nla--;
	p->last = t.loc;
	return t;
}

bool p_is(struct parser *p, enum vcl_tok kind)
{
	return p_peek(p, 0)->kind == kind;
}

bool p_accept(struct parser *p, enum vcl_tok kind)
{
	if (!p_is(p, kind))
		return false;
	p_next(p);
	return true;
}

void p_error(struct parser *p, struct vcl_loc loc, const char *fmt, ...)
{
	if (p->fatal)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vcl_diag_add(p->diags, VCL_ERROR, vcl_pp_file_name(p->pp, loc.file),
		     loc.line, loc.col, "%s", msg);
	if (p->diags->full)
		p->fatal = true;
}

bool p_expect(struct parser *p, enum vcl_tok kind, const char *what)
{
	if (p_accept(p, kind))
		return true;
	const struct vcl_token *t = p_peek(p, 0);
	if (t->kind == VCL_T_EOF)
		p_error(p, t->loc, "expected %s at the end of the input", what);
	else
		p_error(p, t->loc, "expected %s, found '%.*s'", what,
			(int)t->len, t->text);
	return false;
}

void p_too_deep(struct parser *p)
{
	p_error(p, p_peek(p, 0)->loc,
		"nesting deeper than %u levels (parentheses, blocks or "
		"declarators)",
		VCL_MAX_PARSE_DEPTH);
	p->fatal = true;
}

bool p_enter(struct parser *p)
{
	if (p->fatal)
		return false;
	if (p->depth == VCL_MAX_PARSE_DEPTH) {
		p_too_deep(p);
		return false;
	}
	p->depth++;
	return true;
}

void p_leave(struct parser *p)
{
	p->depth--;
}

static void *alloc(struct parser *p, size_t n)
{
	void *v = vcl_arena_alloc(p->arena, n);
	if (!v) {
		p_error(p, p->last, "out of memory");
		p->fatal = true;
		return NULL;
	}
	memset(v, 0, n);
	return v;
}

struct vcl_node *p_node(struct parser *p, enum vcl_node_kind kind,
			struct vcl_loc loc)
{
	struct vcl_node *n = alloc(p, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->loc = loc;
	}
	return n;
}

struct vcl_type *p_type(struct parser *p, enum vcl_type_kind kind,
			struct vcl_loc loc)
{
	struct vcl_type *t = alloc(p, sizeof(*t));
	if (t) {
		t->kind = kind;
		t->loc = loc;
	}
	return t;
}

void p_scope_push(struct parser *p)
{
	p->scope++;
}

static uint32_t bucket_of(const char *name, uint32_t len)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h % NAME_BUCKETS;
}

void p_scope_pop(struct parser *p)
{
	/* The newest entry is always the head of its bucket. */
	while (p->nnames && p->names[p->nnames - 1].scope == p->scope) {
		struct scope_name *n = &p->names[--p->nnames];
		p->buckets[bucket_of(n->name, n->len)] = n->older;
	}
	p->scope--;
}

static struct scope_name *lookup(struct parser *p, const char *name,
				 uint32_t len)
{
	for (int32_t i = p->buckets[bucket_of(name, len)]; i >= 0;
	     i = p->names[i].older)
		if (p->names[i].len == len &&
		    !memcmp(p->names[i].name, name, len))
			return &p->names[i];
	return NULL;
}

/* Only typedef names and the names that hide them are kept: the parser
 * needs no more to tell a declaration from an expression. */
void p_declare(struct parser *p, const char *name, uint32_t len,
	       bool is_typedef)
{
	struct scope_name *old = lookup(p, name, len);
	if (!is_typedef && (!old || !old->is_typedef))
		return;
	if (old && old->scope == p->scope) {
		old->is_typedef = is_typedef;
		return;
	}
	if (p->nnames == VCL_MAX_TYPEDEFS) {
		p_error(p, p->last, "more than %u typedef names in scope",
			VCL_MAX_TYPEDEFS);
		p->fatal = true;
		return;
	}
	if (p->nnames == p->capnames) {
		uint32_t cap = p->capnames ? p->capnames * 2 : 64;
		struct scope_name *v = realloc(p->names, cap * sizeof(*v));
		if (!v) {
			p->fatal = true;
			return;
		}
		p->names = v;
		p->capnames = cap;
	}
	uint32_t b = bucket_of(name, len);
	p->names[p->nnames] =
	    (struct scope_name){name, len, p->scope, is_typedef, p->buckets[b]};
	p->buckets[b] = (int32_t)p->nnames++;
}

bool p_is_typedef(struct parser *p, const struct vcl_token *t)
{
	if (t->kind != VCL_T_IDENT)
		return false;
	struct scope_name *n = lookup(p, t->text, t->len);
	return n && n->is_typedef;
}

/* Skips to the end of the broken declaration or statement. */
static void sync_top(struct parser *p)
{
	for (;;) {
		enum vcl_tok k = p_peek(p, 0)->kind;
		if (k == VCL_T_EOF)
			return;
		p_next(p);
		if (k == VCL_T_SEMI || k == VCL_T_RBRACE)
			return;
	}
}

/* The typedefs OpenCL C declares itself. */
static const char *const builtin_typedefs[] = {
    "size_t",	 "ptrdiff_t",	     "intptr_t",	"uintptr_t",
    "event_t",	 "sampler_t",	     "image2d_t",	"image3d_t",
    "image1d_t", "image1d_buffer_t", "image1d_array_t", "image2d_array_t",
};

struct vcl_ast *vcl_parse(struct vcl_pp *pp)
{
	struct vcl_ast *ast = calloc(1, sizeof(*ast));
	struct vcl_arena *arena = calloc(1, sizeof(*arena));
	if (!ast || !arena) {
		free(ast);
		free(arena);
		return NULL;
	}
	vcl_arena_init(arena, VCL_MAX_ARENA_BYTES);
	ast->priv = arena;
	struct parser p = {.pp = pp, .diags = vcl_pp_diags(pp), .arena = arena};
	for (size_t i = 0; i < NAME_BUCKETS; i++)
		p.buckets[i] = -1;
	for (size_t i = 0;
	     i < sizeof(builtin_typedefs) / sizeof(*builtin_typedefs); i++)
		p_declare(&p, builtin_typedefs[i],
			  (uint32_t)strlen(builtin_typedefs[i]), true);
	struct vcl_node **tail = &ast->decls;
	while (!p.fatal && !p_is(&p, VCL_T_EOF)) {
		if (p_accept(&p, VCL_T_SEMI))
			continue;
		struct vcl_node *d = p_declaration(&p, true);
		if (!d) {
			sync_top(&p);
			continue;
		}
		*tail = d;
		while (*tail)
			tail = &(*tail)->next;
	}
	free(p.names);
	return ast;
}

void vcl_ast_free(struct vcl_ast *ast)
{
	if (!ast)
		return;
	vcl_arena_free(ast->priv);
	free(ast->priv);
	free(ast);
}
