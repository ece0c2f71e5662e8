/*
 * The preprocessing-token scanner: bytes of one buffer to pp-tokens
 * (translation phases 1-3: line splices, comments, tokens), with their
 * locations. Newlines are tokens, for the directives.
 */
#ifndef VCL_PP_SCAN_H
#define VCL_PP_SCAN_H

#include <stdbool.h>

#include <vgpucl/diag.h>
#include <vgpucl/token.h>

#include "arena.h"

struct vcl_scanner {
	const char *p, *end;
	uint32_t file; /* location file id (changed by #line) */
	uint32_t line, col;
	bool bol;	   /* the next token starts a line */
	bool quiet;	   /* no diagnostics (look-ahead) */
	const char *fname; /* for diagnostics */
	struct vcl_arena *arena;
	struct vcl_diags *diags;
};

void vcl_scan_init(struct vcl_scanner *s, const char *data, size_t len,
		   uint32_t file, const char *fname, struct vcl_arena *arena,
		   struct vcl_diags *diags);
/* The next token; VCL_T_EOF at the end (repeatedly). Returns false when
 * out of memory (a spelling copy), with an error reported. */
bool vcl_scan(struct vcl_scanner *s, struct vcl_token *t);
/* Skips to the end of the line (not consuming the newline) without
 * tokenizing: the rest of a skipped line. Comments are still honoured so
 * that a comment's newlines are not taken for line ends. */
void vcl_scan_skip_line(struct vcl_scanner *s);

#endif
