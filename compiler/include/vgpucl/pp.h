/*
 * The OpenCL C preprocessor: one source buffer in, a stream of expanded
 * pp-tokens out (vcl_lex turns them into the language's tokens). Errors go
 * to the diagnostics list; nothing is printed, no file is opened.
 */
#ifndef VGPUCL_PP_H
#define VGPUCL_PP_H

#include <stdbool.h>
#include <stddef.h>

#include <vgpucl/diag.h>
#include <vgpucl/source.h>
#include <vgpucl/token.h>

/* -D NAME, -D NAME=VALUE (undef false) or -U NAME (undef true), applied in
 * order after the predefined macros. */
struct vcl_pp_define {
	bool undef;
	const char *text;
};

struct vcl_pp_options {
	const struct vcl_pp_define *defines;
	size_t ndefines;
	vcl_include_fn include; /* NULL: every #include is an error */
	void *include_user;
};

/* A `#pragma OPENCL EXTENSION name : enable|disable` seen, in order. */
struct vcl_pp_extension {
	const char *name;
	bool enable;
	bool known; /* one this compiler supports */
	struct vcl_loc loc;
};

struct vcl_pp;

/* Copies `main`; NULL only when out of memory. Problems with the input are
 * diagnostics: the stream is then empty or ends early. */
struct vcl_pp *vcl_pp_new(const struct vcl_pp_options *opt,
			  const struct vcl_source *main,
			  struct vcl_diags *diags);
/* The next token after macro expansion, false at the end of the input or
 * after a fatal error (a bound reached). Spellings stay valid until
 * vcl_pp_free. */
bool vcl_pp_next(struct vcl_pp *pp, struct vcl_token *out);
/* The (presumed) name of a location's file. */
const char *vcl_pp_file_name(const struct vcl_pp *pp, uint32_t file);
struct vcl_diags *vcl_pp_diags(const struct vcl_pp *pp);
size_t vcl_pp_extensions(const struct vcl_pp *pp,
			 const struct vcl_pp_extension **out);
/* Tokens produced by macro expansion so far (the bound's measure). */
uint64_t vcl_pp_expanded_tokens(const struct vcl_pp *pp);
void vcl_pp_free(struct vcl_pp *pp);

#endif
