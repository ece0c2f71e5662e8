/*
 * Tokens: the preprocessor's output (identifiers, pp-numbers, character
 * constants, strings, punctuators) and, after vcl_lex, the language's
 * (keywords, typed literals). One struct for both; `kind` says which.
 */
#ifndef VGPUCL_TOKEN_H
#define VGPUCL_TOKEN_H

#include <stdint.h>

#include <vgpucl/source.h>

/* Punctuators: kind, spelling. Digraphs map to the same kinds. */
#define VCL_PUNCTUATORS(X)                                                     \
	X(LBRACKET, "[")                                                       \
	X(RBRACKET, "]")                                                       \
	X(LPAREN, "(")                                                         \
	X(RPAREN, ")")                                                         \
	X(LBRACE, "{")                                                         \
	X(RBRACE, "}")                                                         \
	X(DOT, ".")                                                            \
	X(ARROW, "->")                                                         \
	X(INC, "++")                                                           \
	X(DEC, "--")                                                           \
	X(AMP, "&")                                                            \
	X(STAR, "*")                                                           \
	X(PLUS, "+")                                                           \
	X(MINUS, "-")                                                          \
	X(TILDE, "~")                                                          \
	X(BANG, "!")                                                           \
	X(SLASH, "/")                                                          \
	X(PERCENT, "%")                                                        \
	X(SHL, "<<")                                                           \
	X(SHR, ">>")                                                           \
	X(LT, "<")                                                             \
	X(GT, ">")                                                             \
	X(LE, "<=")                                                            \
	X(GE, ">=")                                                            \
	X(EQ, "==")                                                            \
	X(NE, "!=")                                                            \
	X(CARET, "^")                                                          \
	X(PIPE, "|")                                                           \
	X(ANDAND, "&&")                                                        \
	X(OROR, "||")                                                          \
	X(QUESTION, "?")                                                       \
	X(COLON, ":")                                                          \
	X(SEMI, ";")                                                           \
	X(ELLIPSIS, "...")                                                     \
	X(ASSIGN, "=")                                                         \
	X(MUL_ASSIGN, "*=")                                                    \
	X(DIV_ASSIGN, "/=")                                                    \
	X(MOD_ASSIGN, "%=")                                                    \
	X(ADD_ASSIGN, "+=")                                                    \
	X(SUB_ASSIGN, "-=")                                                    \
	X(SHL_ASSIGN, "<<=")                                                   \
	X(SHR_ASSIGN, ">>=")                                                   \
	X(AND_ASSIGN, "&=")                                                    \
	X(XOR_ASSIGN, "^=")                                                    \
	X(OR_ASSIGN, "|=")                                                     \
	X(COMMA, ",")                                                          \
	X(HASH, "#")                                                           \
	X(HASHHASH, "##")

/* Keywords of OpenCL C 1.2 (C99's and OpenCL's); the spellings with and
 * without underscores of a qualifier share one kind. */
#define VCL_KEYWORDS(X)                                                        \
	X(AUTO, "auto")                                                        \
	X(BREAK, "break")                                                      \
	X(CASE, "case")                                                        \
	X(CHAR, "char")                                                        \
	X(CONST, "const")                                                      \
	X(CONTINUE, "continue")                                                \
	X(DEFAULT, "default")                                                  \
	X(DO, "do")                                                            \
	X(DOUBLE, "double")                                                    \
	X(ELSE, "else")                                                        \
	X(ENUM, "enum")                                                        \
	X(EXTERN, "extern")                                                    \
	X(FLOAT, "float")                                                      \
	X(FOR, "for")                                                          \
	X(GOTO, "goto")                                                        \
	X(IF, "if")                                                            \
	X(INLINE, "inline")                                                    \
	X(INT, "int")                                                          \
	X(LONG, "long")                                                        \
	X(REGISTER, "register")                                                \
	X(RESTRICT, "restrict")                                                \
	X(RETURN, "return")                                                    \
	X(SHORT, "short")                                                      \
	X(SIGNED, "signed")                                                    \
	X(SIZEOF, "sizeof")                                                    \
	X(STATIC, "static")                                                    \
	X(STRUCT, "struct")                                                    \
	X(SWITCH, "switch")                                                    \
	X(TYPEDEF, "typedef")                                                  \
	X(UNION, "union")                                                      \
	X(UNSIGNED, "unsigned")                                                \
	X(VOID, "void")                                                        \
	X(VOLATILE, "volatile")                                                \
	X(WHILE, "while")                                                      \
	X(BOOL, "bool")                                                        \
	X(UCHAR, "uchar")                                                      \
	X(USHORT, "ushort")                                                    \
	X(UINT, "uint")                                                        \
	X(ULONG, "ulong")                                                      \
	X(HALF, "half")                                                        \
	X(GLOBAL, "__global")                                                  \
	X(LOCAL, "__local")                                                    \
	X(CONSTANT, "__constant")                                              \
	X(PRIVATE, "__private")                                                \
	X(KERNEL, "__kernel")                                                  \
	X(READ_ONLY, "__read_only")                                            \
	X(WRITE_ONLY, "__write_only")                                          \
	X(READ_WRITE, "__read_write")                                          \
	X(ATTRIBUTE, "__attribute__")

enum vcl_tok {
	VCL_T_EOF,
	VCL_T_NEWLINE, /* inside the preprocessor only */
	VCL_T_IDENT,
	VCL_T_PP_NUMBER,  /* preprocessor output; vcl_lex types it */
	VCL_T_CHAR_CONST, /* preprocessor output; vcl_lex makes an INT_LIT */
	VCL_T_STRING,
	VCL_T_OTHER,	   /* a byte no token starts with */
	VCL_T_INT_LIT,	   /* vcl_lex: value in .u.i, suffix in .aux */
	VCL_T_FLOAT_LIT,   /* vcl_lex: value in .u.f, suffix in .aux */
	VCL_T_VECTOR_TYPE, /* vcl_lex: float4 etc.; element and width in .aux */
	VCL_T_PLACEMARKER, /* inside macro expansion only */
	VCL_T_MACRO_PARAM, /* inside macro bodies only: index in .aux */
#define VCL_X(name, s) VCL_T_##name,
	VCL_PUNCTUATORS(VCL_X)
#undef VCL_X
#define VCL_X(name, s) VCL_T_KW_##name,
	    VCL_KEYWORDS(VCL_X)
#undef VCL_X
		VCL_T_COUNT
};

enum vcl_tok_flags {
	VCL_TF_BOL = 1,	      /* first token of its line */
	VCL_TF_SPACE = 2,     /* whitespace before it */
	VCL_TF_NO_EXPAND = 4, /* names a macro that may not expand here */
	/* #pragma OPENCL FP_CONTRACT OFF is in effect at the token (vcl_pp_next
	 * sets it; the parser gives it to the operator's node) */
	VCL_TF_NO_CONTRACT = 8,
};

/* Literal suffixes (vcl_lex), in .aux of INT_LIT and FLOAT_LIT. */
enum vcl_lit_suffix {
	VCL_LIT_U = 1,
	VCL_LIT_L = 2,
	VCL_LIT_F = 4,
	VCL_LIT_CHAR = 8, /* an INT_LIT from a character constant */
};

struct vcl_token {
	uint16_t kind; /* enum vcl_tok */
	uint16_t flags;
	uint32_t len;
	const char *text; /* spelling, len bytes, valid for the run */
	struct vcl_loc loc;
	uint32_t aux;
	union {
		uint64_t i;
		double f;
	} u;
};

/* "identifier", "'+='", "keyword 'while'": for messages. */
const char *vcl_tok_kind_name(enum vcl_tok kind);
/* C's binary operators, 10 (* / %) down to 1 (||); 0 for any other
 * token. Shared by #if expressions and the parser. */
int vcl_tok_binary_precedence(enum vcl_tok kind);
/* The operator of a compound assignment (+= gives +), else VCL_T_EOF.
 * Shared by the type checker and the lowering. */
enum vcl_tok vcl_tok_compound_base(enum vcl_tok kind);
/* The fixed spelling of a punctuator or keyword, else NULL. */
const char *vcl_tok_spelling(enum vcl_tok kind);

#endif
