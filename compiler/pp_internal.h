/* The preprocessor's state, shared by its files (pp.c: the token stream
 * and files; pp_expand.c: macro expansion; pp_define.c: the macro table;
 * pp_directive.c; pp_expr.c: #if expressions; pp_predef.c). */
#ifndef VCL_PP_INTERNAL_H
#define VCL_PP_INTERNAL_H

#include <vgpucl/limits.h>
#include <vgpucl/pp.h>

#include "arena.h"
#include "pp_scan.h"

/* A growable token list whose storage counts against the live-token
 * bound. */
struct tokvec {
	struct vcl_token *v;
	uint32_t n, cap;
};

enum { BUILTIN_NONE, BUILTIN_FILE, BUILTIN_LINE };

struct vcl_macro {
	struct vcl_macro *next; /* hash chain */
	const char *name;
	uint32_t len;
	bool function_like, variadic;
	int builtin;
	uint32_t nparams;
	struct vcl_token
	    *params;		/* identifiers; __VA_ARGS__ last if variadic */
	struct vcl_token *body; /* parameters as VCL_T_MACRO_PARAM */
	uint32_t nbody;
	uint32_t active; /* its expansion is being read: no recursion */
	struct vcl_loc loc;
};

enum ctx_kind { CTX_FILE, CTX_TOKENS };

struct ctx {
	enum ctx_kind kind;
	struct vcl_scanner sc; /* CTX_FILE */
	uint32_t cond_base;    /* CTX_FILE: #if stack height on entry */
	struct tokvec toks;    /* CTX_TOKENS */
	uint32_t pos;
	struct vcl_macro *macro; /* CTX_TOKENS: re-enabled when popped */
	bool barrier; /* CTX_TOKENS: the end of an isolated expansion */
};

struct cond {
	bool taken; /* a branch of this group was (or is being) taken */
	bool seen_else;
	struct vcl_loc loc;
};

enum { MACRO_BUCKETS = 1024 };

struct vcl_pp {
	struct vcl_diags *diags;
	struct vcl_arena arena;
	vcl_include_fn include;
	void *include_user;
	struct ctx *ctx;
	uint32_t nctx, capctx, nfilectx;
	struct cond conds[VCL_MAX_IF_DEPTH];
	uint32_t nconds;
	struct vcl_macro *buckets[MACRO_BUCKETS];
	const char **file_names;
	char **file_data;
	uint32_t nfiles, capfiles;
	uint32_t includes;
	size_t input_bytes;
	uint64_t expanded;
	size_t live;
	uint32_t expand_depth;
	bool collecting_args;
	bool pending_space;
	bool fatal;
	struct vcl_pp_extension *exts;
	size_t nexts, capexts;
	/* FP_CONTRACT: off or not (ON and DEFAULT) at the stream's end, the
	 * depth of '{' there, and per block that set it, the state to restore
	 * at its '}' (the spec's scope of a pragma inside a compound
	 * statement; blocks nest no deeper than the parser takes). */
	bool contract_off;
	uint32_t braces;
	struct {
		uint32_t braces;
		bool off;
	} contract_saved[VCL_MAX_PARSE_DEPTH];
	uint32_t ncontract_saved;
};

/* Reports at a location; a fatal error also ends the stream. */
void pp_error(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pp_warning(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pp_fatal(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Room for cap tokens in all. */
bool tokvec_reserve(struct vcl_pp *pp, struct tokvec *tv, uint32_t cap,
		    struct vcl_loc loc);
bool tokvec_push(struct vcl_pp *pp, struct tokvec *tv,
		 const struct vcl_token *t);
void tokvec_free(struct vcl_pp *pp, struct tokvec *tv);

/* The token stream (pp.c). */
bool pp_push_file(struct vcl_pp *pp, const struct vcl_source *src,
		  struct vcl_loc from);
/* A presumed file name (#line) into the file table: its id, or -1. */
int pp_add_file_name(struct vcl_pp *pp, const char *name);
bool pp_push_tokens(struct vcl_pp *pp, struct tokvec *toks,
		    struct vcl_macro *macro, bool barrier);
void pp_next_raw(struct vcl_pp *pp, struct vcl_token *t);
bool pp_next_lparen(struct vcl_pp *pp);
/* Macro-expands `in` on its own (as for an argument or a #if line). */
bool pp_expand_list(struct vcl_pp *pp, const struct tokvec *in,
		    struct tokvec *out);
bool pp_spell_equal(const struct vcl_token *t, const char *s);

/* The macro table (pp_define.c). */
struct vcl_macro *pp_lookup(struct vcl_pp *pp, const char *name, uint32_t len);
/* The tokens after "define" / "undef"; `at` locates the directive. */
void pp_define(struct vcl_pp *pp, const struct vcl_token *line, uint32_t n,
	       struct vcl_loc at);
void pp_undef(struct vcl_pp *pp, const struct vcl_token *line, uint32_t n,
	      struct vcl_loc at);
void pp_define_builtins(struct vcl_pp *pp);

/* Expansion (pp_expand.c): 1 when `name` was expanded (its expansion is
 * now on the stack), 0 when it is not a macro here, -1 on error. */
int pp_try_expand(struct vcl_pp *pp, struct vcl_token *name);

/* Directives (pp_directive.c): the line after a '#' at the start of a
 * line of the top file. */
void pp_directive(struct vcl_pp *pp, const struct vcl_token *hash);

/* #if expressions (pp_expr.c): the tokens after the directive's name. */
bool pp_eval_if(struct vcl_pp *pp, const struct vcl_token *toks, uint32_t n,
		struct vcl_loc loc);

/* The predefined macros and -D/-U as sources (pp_predef.c). */
extern const char vcl_predef_text[];
/* An extension this compiler supports (its macro is predefined). */
bool pp_extension_known(const char *name, size_t len);
bool pp_cmdline_text(struct vcl_pp *pp, const struct vcl_pp_define *defs,
		     size_t n, char **text, size_t *len);

#endif
