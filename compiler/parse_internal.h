/* The parser's state, shared by its files (parse.c: tokens, errors,
 * scopes, the translation unit; parse_decl.c: declarations and types;
 * parse_expr.c; parse_stmt.c). Recursive descent with a depth count on
 * every recursive path (VCL_MAX_PARSE_DEPTH). */
#ifndef VCL_PARSE_INTERNAL_H
#define VCL_PARSE_INTERNAL_H

#include <vgpucl/ast.h>
#include <vgpucl/limits.h>

#include "arena.h"

struct scope_name {
	const char *name;
	uint32_t len;
	uint32_t scope;
	bool is_typedef; /* else an ordinary name hiding a typedef */
	int32_t older;	 /* the next entry of its hash bucket, or -1 */
};

enum { LOOKAHEAD = 4, NAME_BUCKETS = 512 };

struct parser {
	struct vcl_pp *pp;
	struct vcl_diags *diags;
	struct vcl_arena *arena;
	struct vcl_token la[LOOKAHEAD];
	unsigned nla;
	struct vcl_loc last; /* of the last token consumed */
	uint32_t depth;
	bool fatal;
	/* A stack of names (innermost last) with hash chains over it, so a
	 * lookup costs no more with many typedefs. */
	struct scope_name *names;
	uint32_t nnames, capnames, scope;
	int32_t buckets[NAME_BUCKETS]; /* newest entry, or -1 */
};

const struct vcl_token *p_peek(struct parser *p, unsigned k);
struct vcl_token p_next(struct parser *p);
bool p_is(struct parser *p, enum vcl_tok kind);
bool p_accept(struct parser *p, enum vcl_tok kind);
/* Consumes `kind` or reports "expected WHAT". */
bool p_expect(struct parser *p, enum vcl_tok kind, const char *what);
void p_error(struct parser *p, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Enters one level of nesting; false (once reported) past the bound. */
bool p_enter(struct parser *p);
void p_leave(struct parser *p);
/* Reports the nesting bound and stops the parse. */
void p_too_deep(struct parser *p);
struct vcl_node *p_node(struct parser *p, enum vcl_node_kind kind,
			struct vcl_loc loc);
struct vcl_type *p_type(struct parser *p, enum vcl_type_kind kind,
			struct vcl_loc loc);

void p_scope_push(struct parser *p);
void p_scope_pop(struct parser *p);
void p_declare(struct parser *p, const char *name, uint32_t len,
	       bool is_typedef);
bool p_is_typedef(struct parser *p, const struct vcl_token *t);

/* parse_decl.c */
bool p_starts_type(struct parser *p, const struct vcl_token *t);
/* The next token starts a declaration rather than an expression. */
bool p_starts_declaration(struct parser *p);
/* A declaration: specifiers, declarators, ';' (or a function definition
 * when `top`). A list of VCL_N_VAR/TYPEDEF/FUNCTION/TAG nodes. */
struct vcl_node *p_declaration(struct parser *p, bool top);
/* A type name, as in casts and sizeof. */
struct vcl_type *p_type_name(struct parser *p);

/* parse_expr.c */
struct vcl_node *p_expr(struct parser *p);
struct vcl_node *p_assign(struct parser *p);
struct vcl_node *p_initializer(struct parser *p);

/* parse_stmt.c */
struct vcl_node *p_block(struct parser *p);

#endif
