/* Shared by the compiler's unit tests: run the preprocessor or the lexer
 * on a string and see the result as text. */
#ifndef COMPILER_CHECK_H
#define COMPILER_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <vgpucl/diag.h>
#include <vgpucl/ir.h>
#include <vgpucl/pp.h>

/* Files #include can find: name, content; a NULL name ends the list. */
struct cc_file {
	const char *name;
	const char *text;
};

struct cc_run {
	char *out;   /* the tokens' spellings, one space apart */
	char *diags; /* every diagnostic formatted, one per line */
	size_t ntokens;
	size_t errors;
	struct vcl_diags d;
	struct vcl_pp *pp; /* still open: extensions, file names */
};

/* Preprocesses `src` (named "t.cl"); lex selects vcl_lex_next. */
void cc_run(struct cc_run *r, const char *src, size_t len,
	    const struct vcl_pp_define *defs, size_t ndefs,
	    const struct cc_file *files, bool lex);
void cc_free(struct cc_run *r);
/* cc_run on a NUL-terminated source without options. */
void cc_pp(struct cc_run *r, const char *src);

/* Every diagnostic formatted, one a line, into buf (cut at cap). */
void cc_format_diags(const struct vcl_diags *d, char *buf, size_t cap);

/* Runs fn on a thread with a stack of `bytes`: recursion bounded by the
 * compiler's limits must fit in it. */
void cc_on_stack(void *(*fn)(void *), size_t bytes);

/* A test source from tests/cl (VGPUFS_CL_DIR), NUL-terminated. */
char *cc_read_kernel(const char *name, size_t *len);

/* The type checker and the lowering on a source named "t.cl" (which
 * must check without errors); m is NULL when lowering failed, diags has
 * every diagnostic, text the printed IR. */
struct cc_lowered {
	struct vcl_diags d;
	struct vcl_pp *pp;
	struct vcl_ast *ast;
	struct vcl_program *prog;
	struct vcl_ir_module *m;
	char diags[8192];
	char text[65536];
};
void cc_lower(struct cc_lowered *r, const char *src, size_t len);
/* The type checker only (errors allowed): prog, d and diags set, m NULL;
 * cc_unlower frees it. */
void cc_check(struct cc_lowered *r, const char *src, size_t len);
void cc_unlower(struct cc_lowered *r);
/* Verifies m; out gets the diagnostics (empty when it passed). */
bool cc_verify(const struct vcl_ir_module *m, char *out, size_t cap);
/* write, read (which verifies), print give the same text; every cut of
 * the bytes and a newer version are refused. */
void cc_round_trip(const struct cc_lowered *r);

#endif
