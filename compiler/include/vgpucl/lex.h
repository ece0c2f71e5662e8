/*
 * The lexer: the preprocessor's tokens into OpenCL C's (translation phase
 * 7): keywords (the address spaces with and without underscores share a
 * kind), vector type names (float4: element keyword and width in .aux),
 * typed literals (integers, floats incl. hexadecimal, character constants)
 * with their values. Bad tokens are reported and skipped.
 */
#ifndef VGPUCL_LEX_H
#define VGPUCL_LEX_H

#include <stdbool.h>

#include <vgpucl/pp.h>
#include <vgpucl/token.h>

/* The next token of the language; false at the end of the input. */
bool vcl_lex_next(struct vcl_pp *pp, struct vcl_token *out);

/* A vector type token's element keyword (VCL_T_KW_FLOAT...) and width. */
static inline enum vcl_tok vcl_vector_elem(const struct vcl_token *t)
{
	return (enum vcl_tok)(t->aux >> 8);
}
static inline unsigned vcl_vector_width(const struct vcl_token *t)
{
	return t->aux & 0xff;
}

#endif
