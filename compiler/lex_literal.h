/* Literal values: numbers and character constants as the lexer and the
 * #if evaluator read them. */
#ifndef VCL_LEX_LITERAL_H
#define VCL_LEX_LITERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpucl/token.h>

/* A pp-number into t->kind (VCL_T_INT_LIT or VCL_T_FLOAT_LIT), t->u and
 * the suffix bits in t->aux; false with a message in err. */
bool vcl_parse_number(const char *s, size_t n, struct vcl_token *t, char *err,
		      size_t errcap);
/* A character constant ('a', '\n', '\x41', '\101'): its value as OpenCL's
 * signed char; false with a message in err. */
bool vcl_parse_char(const char *s, size_t n, int64_t *value, char *err,
		    size_t errcap);

#endif
