#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/lex.h>

#include "lex_literal.h"

struct keyword {
	const char *s;
	enum vcl_tok kind;
};

/* Sorted by spelling for bsearch; the OpenCL qualifiers twice. */
static const struct keyword keywords[] = {
    {"__attribute__", VCL_T_KW_ATTRIBUTE},
    {"__constant", VCL_T_KW_CONSTANT},
    {"__global", VCL_T_KW_GLOBAL},
    {"__kernel", VCL_T_KW_KERNEL},
    {"__local", VCL_T_KW_LOCAL},
    {"__private", VCL_T_KW_PRIVATE},
    {"__read_only", VCL_T_KW_READ_ONLY},
    {"__read_write", VCL_T_KW_READ_WRITE},
    {"__write_only", VCL_T_KW_WRITE_ONLY},
    {"auto", VCL_T_KW_AUTO},
    {"bool", VCL_T_KW_BOOL},
    {"break", VCL_T_KW_BREAK},
    {"case", VCL_T_KW_CASE},
    {"char", VCL_T_KW_CHAR},
    {"const", VCL_T_KW_CONST},
    {"constant", VCL_T_KW_CONSTANT},
    {"continue", VCL_T_KW_CONTINUE},
    {"default", VCL_T_KW_DEFAULT},
    {"do", VCL_T_KW_DO},
    {"double", VCL_T_KW_DOUBLE},
    {"else", VCL_T_KW_ELSE},
    {"enum", VCL_T_KW_ENUM},
    {"extern", VCL_T_KW_EXTERN},
    {"float", VCL_T_KW_FLOAT},
    {"for", VCL_T_KW_FOR},
    {"global", VCL_T_KW_GLOBAL},
    {"goto", VCL_T_KW_GOTO},
    {"half", VCL_T_KW_HALF},
    {"if", VCL_T_KW_IF},
    {"inline", VCL_T_KW_INLINE},
    {"int", VCL_T_KW_INT},
    {"kernel", VCL_T_KW_KERNEL},
    {"local", VCL_T_KW_LOCAL},
    {"long", VCL_T_KW_LONG},
    {"private", VCL_T_KW_PRIVATE},
    {"read_only", VCL_T_KW_READ_ONLY},
    {"read_write", VCL_T_KW_READ_WRITE},
    {"register", VCL_T_KW_REGISTER},
    {"restrict", VCL_T_KW_RESTRICT},
    {"return", VCL_T_KW_RETURN},
    {"short", VCL_T_KW_SHORT},
    {"signed", VCL_T_KW_SIGNED},
    {"sizeof", VCL_T_KW_SIZEOF},
    {"static", VCL_T_KW_STATIC},
    {"struct", VCL_T_KW_STRUCT},
    {"switch", VCL_T_KW_SWITCH},
    {"typedef", VCL_T_KW_TYPEDEF},
    {"uchar", VCL_T_KW_UCHAR},
    {"uint", VCL_T_KW_UINT},
    {"ulong", VCL_T_KW_ULONG},
    {"union", VCL_T_KW_UNION},
    {"unsigned", VCL_T_KW_UNSIGNED},
    {"ushort", VCL_T_KW_USHORT},
    {"void", VCL_T_KW_VOID},
    {"volatile", VCL_T_KW_VOLATILE},
    {"while", VCL_T_KW_WHILE},
    {"write_only", VCL_T_KW_WRITE_ONLY},
};

struct key {
	const char *s;
	size_t n;
};

static int compare(const void *k, const void *e)
{
	const struct key *key = k;
	const char *s = ((const struct keyword *)e)->s;
	size_t n = strlen(s);
	int c = memcmp(key->s, s, key->n < n ? key->n : n);
	if (c)
		return c;
	return key->n < n ? -1 : key->n > n;
}

static enum vcl_tok keyword(const char *s, size_t n)
{
	struct key k = {s, n};
	const struct keyword *kw =
	    bsearch(&k, keywords, sizeof(keywords) / sizeof(*keywords),
		    sizeof(*keywords), compare);
	return kw ? kw->kind : VCL_T_IDENT;
}

/* float4, uchar16, ...: the element's keyword << 8 | width, else 0. */
static uint32_t vector_type(const char *s, size_t n)
{
	size_t d = n;
	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d == n || d == 0 || n - d > 2)
		return 0;
	unsigned w = (unsigned)(s[d] - '0');
	if (n - d == 2)
		w = w * 10 + (unsigned)(s[d + 1] - '0');
	if (s[d] == '0' || !(w == 2 || w == 3 || w == 4 || w == 8 || w == 16))
		return 0;
	enum vcl_tok e = keyword(s, d);
	switch (e) {
	case VCL_T_KW_CHAR:
	case VCL_T_KW_UCHAR:
	case VCL_T_KW_SHORT:
	case VCL_T_KW_USHORT:
	case VCL_T_KW_INT:
	case VCL_T_KW_UINT:
	case VCL_T_KW_LONG:
	case VCL_T_KW_ULONG:
	case VCL_T_KW_FLOAT:
	case VCL_T_KW_DOUBLE:
	case VCL_T_KW_HALF:
		return (uint32_t)e << 8 | w;
	default:
		return 0;
	}
}

static void error(struct vcl_pp *pp, const struct vcl_token *t, const char *msg)
{
	vcl_diag_add(vcl_pp_diags(pp), VCL_ERROR,
		     vcl_pp_file_name(pp, t->loc.file), t->loc.line, t->loc.col,
		     "%s", msg);
}

/* Types the token in place; false when it is reported and dropped. */
static bool convert(struct vcl_pp *pp, struct vcl_token *t)
{
	char msg[200];
	switch ((enum vcl_tok)t->kind) {
	case VCL_T_IDENT: {
		enum vcl_tok k = keyword(t->text, t->len);
		uint32_t v;
		if (k != VCL_T_IDENT) {
			t->kind = k;
		} else if ((v = vector_type(t->text, t->len))) {
			t->kind = VCL_T_VECTOR_TYPE;
			t->aux = v;
		}
		return true;
	}
	case VCL_T_PP_NUMBER:
		if (vcl_parse_number(t->text, t->len, t, msg, sizeof(msg)))
			return true;
		error(pp, t, msg);
		return false;
	case VCL_T_CHAR_CONST: {
		int64_t c;
		if (!vcl_parse_char(t->text, t->len, &c, msg, sizeof(msg))) {
			error(pp, t, msg);
			return false;
		}
		t->kind = VCL_T_INT_LIT;
		t->u.i = (uint64_t)c;
		t->aux = VCL_LIT_CHAR;
		return true;
	}
	case VCL_T_OTHER:
		if (t->text[0] == '\'' || t->text[0] == '"')
			snprintf(msg, sizeof(msg),
				 "missing terminating %c character",
				 t->text[0]);
		else if (t->text[0] >= 0x20 && t->text[0] < 0x7f)
			snprintf(msg, sizeof(msg), "stray '%c' in program",
				 t->text[0]);
		else
			snprintf(msg, sizeof(msg),
				 "stray byte \\%03o in program",
				 (unsigned char)t->text[0]);
		error(pp, t, msg);
		return false;
	case VCL_T_HASH:
	case VCL_T_HASHHASH:
		snprintf(msg, sizeof(msg), "stray '%.*s' in program",
			 (int)t->len, t->text);
		error(pp, t, msg);
		return false;
	default:
		return true;
	}
}

bool vcl_lex_next(struct vcl_pp *pp, struct vcl_token *out)
{
	while (vcl_pp_next(pp, out))
		if (convert(pp, out))
			return true;
	return false;
}
