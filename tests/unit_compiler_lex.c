/*
 * The OpenCL C lexer: keywords (address spaces with and without
 * underscores), vector type names, literals with their values and
 * suffixes, stray characters, and locations after macro expansion.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/lex.h>

#include "compiler_check.h"

struct lexed {
	struct vcl_diags d;
	struct vcl_pp *pp;
	struct vcl_token t[64];
	size_t n;
};

static void lex(struct lexed *l, const char *src)
{
	vcl_diags_init(&l->d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source s = {"t.cl", src, strlen(src)};
	l->pp = vcl_pp_new(&opt, &s, &l->d);
	l->n = 0;
	while (l->n < 64 && vcl_lex_next(l->pp, &l->t[l->n]))
		l->n++;
}

static void unlex(struct lexed *l)
{
	vcl_pp_free(l->pp);
	vcl_diags_free(&l->d);
}

/* The one token of `src`, which must lex without errors. */
static struct vcl_token one(const char *src)
{
	struct lexed l;
	lex(&l, src);
	ck_assert_msg(l.n == 1 && l.d.errors == 0, "'%s': %zu tokens", src,
		      l.n);
	struct vcl_token t = l.t[0];
	unlex(&l);
	return t;
}

/* `src` gives one error, containing `what`, and no token. */
static void bad(const char *src, const char *what)
{
	struct cc_run r;
	cc_run(&r, src, strlen(src), NULL, 0, NULL, true);
	ck_assert_msg(r.errors == 1 && strstr(r.diags, what),
		      "'%s' wanted '%s', got:\n%s", src, what, r.diags);
	cc_free(&r);
}

START_TEST(keywords)
{
	static const struct {
		const char *s;
		enum vcl_tok kind;
	} k[] = {
	    {"__global", VCL_T_KW_GLOBAL},
	    {"global", VCL_T_KW_GLOBAL},
	    {"__local", VCL_T_KW_LOCAL},
	    {"local", VCL_T_KW_LOCAL},
	    {"__constant", VCL_T_KW_CONSTANT},
	    {"constant", VCL_T_KW_CONSTANT},
	    {"__private", VCL_T_KW_PRIVATE},
	    {"private", VCL_T_KW_PRIVATE},
	    {"__kernel", VCL_T_KW_KERNEL},
	    {"kernel", VCL_T_KW_KERNEL},
	    {"read_only", VCL_T_KW_READ_ONLY},
	    {"__write_only", VCL_T_KW_WRITE_ONLY},
	    {"uchar", VCL_T_KW_UCHAR},
	    {"ulong", VCL_T_KW_ULONG},
	    {"bool", VCL_T_KW_BOOL},
	    {"half", VCL_T_KW_HALF},
	    {"restrict", VCL_T_KW_RESTRICT},
	    {"while", VCL_T_KW_WHILE},
	    {"auto", VCL_T_KW_AUTO},
	    {"write_only", VCL_T_KW_WRITE_ONLY},
	    {"__attribute__", VCL_T_KW_ATTRIBUTE},
	    {"size_t", VCL_T_IDENT},
	    {"globals", VCL_T_IDENT},
	    {"_global", VCL_T_IDENT},
	    {"a", VCL_T_IDENT},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(*k); i++) {
		struct vcl_token t = one(k[i].s);
		ck_assert_msg(t.kind == k[i].kind, "%s: kind %u", k[i].s,
			      t.kind);
	}
	ck_assert_str_eq(vcl_tok_spelling(VCL_T_KW_GLOBAL), "__global");
	ck_assert_str_eq(vcl_tok_spelling(VCL_T_SHL_ASSIGN), "<<=");
}
END_TEST

START_TEST(vector_types)
{
	static const struct {
		const char *s;
		enum vcl_tok elem;
		unsigned width;
	} v[] = {
	    {"float4", VCL_T_KW_FLOAT, 4},   {"uchar16", VCL_T_KW_UCHAR, 16},
	    {"double3", VCL_T_KW_DOUBLE, 3}, {"int2", VCL_T_KW_INT, 2},
	    {"ulong8", VCL_T_KW_ULONG, 8},   {"half8", VCL_T_KW_HALF, 8},
	    {"short16", VCL_T_KW_SHORT, 16},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		struct vcl_token t = one(v[i].s);
		ck_assert_uint_eq(t.kind, VCL_T_VECTOR_TYPE);
		ck_assert_uint_eq(vcl_vector_elem(&t), v[i].elem);
		ck_assert_uint_eq(vcl_vector_width(&t), v[i].width);
	}
	static const char *const not_vectors[] = {
	    "float5",  "float1", "float04", "float32", "bool4",
	    "float4x", "void2",	 "size_t4", "float",
	};
	for (size_t i = 0; i < sizeof(not_vectors) / sizeof(*not_vectors); i++)
		ck_assert_uint_ne(one(not_vectors[i]).kind, VCL_T_VECTOR_TYPE);
}
END_TEST

START_TEST(integers)
{
	static const struct {
		const char *s;
		uint64_t v;
		uint32_t suffix;
	} n[] = {
	    {"0", 0, 0},
	    {"42", 42, 0},
	    {"0x2A", 42, 0},
	    {"052", 42, 0},
	    {"42u", 42, VCL_LIT_U},
	    {"42UL", 42, VCL_LIT_U | VCL_LIT_L},
	    {"42lu", 42, VCL_LIT_U | VCL_LIT_L},
	    {"42l", 42, VCL_LIT_L},
	    {"42ull", 42, VCL_LIT_U | VCL_LIT_L},
	    {"0xffffffffffffffff", UINT64_MAX, 0},
	    {"18446744073709551615", UINT64_MAX, 0},
	};
	for (size_t i = 0; i < sizeof(n) / sizeof(*n); i++) {
		struct vcl_token t = one(n[i].s);
		ck_assert_uint_eq(t.kind, VCL_T_INT_LIT);
		ck_assert_msg(t.u.i == n[i].v, "%s", n[i].s);
		ck_assert_uint_eq(t.aux, n[i].suffix);
	}
	bad("18446744073709551616", "integer literal '18446744073709551616' "
				    "is too large");
	bad("08", "invalid digit in octal constant '08'");
	bad("1f", "invalid suffix on integer constant '1f'");
	bad("42uu", "invalid suffix on integer constant");
	bad("0x", "hexadecimal constant '0x' has no digits");
	bad("1lul", "invalid suffix");
}
END_TEST

START_TEST(floats)
{
	static const struct {
		const char *s;
		double v;
		uint32_t suffix;
	} n[] = {
	    {"1.0", 1.0, 0},	 {"1.0f", 1.0, VCL_LIT_F},
	    {".5", 0.5, 0},	 {"5.", 5.0, 0},
	    {"1e10", 1e10, 0},	 {"1.5e-3F", 1.5e-3, VCL_LIT_F},
	    {"0x1.8p1", 3.0, 0}, {"0x1p-2f", 0.25, VCL_LIT_F},
	    {"0X.8P+1", 1.0, 0}, {"2E+2", 200.0, 0},
	};
	for (size_t i = 0; i < sizeof(n) / sizeof(*n); i++) {
		struct vcl_token t = one(n[i].s);
		ck_assert_msg(t.kind == VCL_T_FLOAT_LIT, "%s", n[i].s);
		ck_assert_msg(t.u.f == n[i].v, "%s: %g", n[i].s, t.u.f);
		ck_assert_uint_eq(t.aux, n[i].suffix);
	}
	bad("0x1.8", "invalid floating constant '0x1.8'");
	bad("1.0L", "invalid suffix on floating constant '1.0L'");
	bad("1.0ff", "invalid suffix");
	bad("1e", "invalid floating constant");
	bad("1.0h", "invalid suffix");
}
END_TEST

START_TEST(characters)
{
	static const struct {
		const char *s;
		int64_t v;
	} c[] = {
	    {"'a'", 97},     {"'\\n'", 10}, {"'\\x41'", 65},
	    {"'\\101'", 65}, {"'\\''", 39}, {"'\\0'", 0},
	    {"'\\xff'", -1}, {"'\"'", 34},  {"'\\\\'", 92},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		struct vcl_token t = one(c[i].s);
		ck_assert_uint_eq(t.kind, VCL_T_INT_LIT);
		ck_assert_uint_eq(t.aux, VCL_LIT_CHAR);
		ck_assert_msg((int64_t)t.u.i == c[i].v, "%s", c[i].s);
	}
	bad("'ab'", "multi-character constant 'ab'");
	bad("''", "empty character constant");
	bad("'\\q'", "unknown escape sequence");
	bad("'\\x100'", "hex escape sequence out of range");
	bad("'\\x'", "\\x used with no following hex digits");
}
END_TEST

START_TEST(strays)
{
	bad("@", "t.cl:1:1: error: stray '@' in program");
	bad("a #x", "stray '#' in program");
	bad("a ## b", "stray '##' in program");
	bad("'abc", "missing terminating ' character");
	bad("\"abc", "missing terminating \" character");
	bad("\x01", "stray byte \\001 in program");
	/* Several errors in one run, each with its place. */
	struct cc_run r;
	const char *src = "int a = 08;\nint b = @;\nint c = 1.0L;\n";
	cc_run(&r, src, strlen(src), NULL, 0, NULL, true);
	ck_assert_uint_eq(r.errors, 3);
	ck_assert(strstr(r.diags, "t.cl:1:9: error: invalid digit"));
	ck_assert(strstr(r.diags, "t.cl:2:9: error: stray '@'"));
	ck_assert(strstr(r.diags, "t.cl:3:9: error: invalid suffix"));
	cc_free(&r);
}
END_TEST

START_TEST(punctuators)
{
	struct lexed l;
	lex(&l, "a->b <: :> <% %> ... <<= >>= ++ -- && || != == <= >= %= ^= |= "
		"&= ? : ;");
	static const enum vcl_tok want[] = {
	    VCL_T_IDENT,      VCL_T_ARROW,	VCL_T_IDENT,
	    VCL_T_LBRACKET,   VCL_T_RBRACKET,	VCL_T_LBRACE,
	    VCL_T_RBRACE,     VCL_T_ELLIPSIS,	VCL_T_SHL_ASSIGN,
	    VCL_T_SHR_ASSIGN, VCL_T_INC,	VCL_T_DEC,
	    VCL_T_ANDAND,     VCL_T_OROR,	VCL_T_NE,
	    VCL_T_EQ,	      VCL_T_LE,		VCL_T_GE,
	    VCL_T_MOD_ASSIGN, VCL_T_XOR_ASSIGN, VCL_T_OR_ASSIGN,
	    VCL_T_AND_ASSIGN, VCL_T_QUESTION,	VCL_T_COLON,
	    VCL_T_SEMI,
	};
	ck_assert_uint_eq(l.n, sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < l.n; i++)
		ck_assert_uint_eq(l.t[i].kind, want[i]);
	unlex(&l);
}
END_TEST

START_TEST(after_expansion)
{
	/* A literal made by a macro, its error at the use. */
	struct cc_run r;
	const char *src = "#define BAD 09\n\nint x = BAD;\n";
	cc_run(&r, src, strlen(src), NULL, 0, NULL, true);
	ck_assert_str_eq(r.diags, "t.cl:3:9: error: invalid digit in octal "
				  "constant '09'\n");
	cc_free(&r);
	/* Pasted tokens are typed like written ones. */
	struct lexed l;
	lex(&l, "#define VEC(t, n) t ## n\n#define F(x) x ## f\nVEC(float, 4) "
		"F(1.5)\n");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.t[0].kind, VCL_T_VECTOR_TYPE);
	ck_assert_uint_eq(l.t[1].kind, VCL_T_FLOAT_LIT);
	ck_assert_uint_eq(l.t[1].aux, VCL_LIT_F);
	ck_assert_uint_eq(l.t[1].loc.line, 3);
	ck_assert_uint_eq(l.t[1].loc.col, 17); /* the argument 1.5 */
	unlex(&l);
}
END_TEST

START_TEST(saxpy)
{
	size_t len;
	char *src = cc_read_kernel("saxpy.cl", &len);
	ck_assert(src);
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source s = {"saxpy.cl", src, len};
	struct vcl_pp *pp = vcl_pp_new(&opt, &s, &d);
	static const enum vcl_tok want[] = {
	    VCL_T_KW_KERNEL, VCL_T_KW_VOID,  VCL_T_IDENT,    VCL_T_LPAREN,
	    VCL_T_KW_CONST,  VCL_T_KW_FLOAT, VCL_T_IDENT,    VCL_T_COMMA,
	    VCL_T_KW_GLOBAL, VCL_T_KW_CONST, VCL_T_KW_FLOAT, VCL_T_STAR,
	};
	struct vcl_token t;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		ck_assert(vcl_lex_next(pp, &t));
		ck_assert_uint_eq(t.kind, want[i]);
	}
	ck_assert_uint_eq(t.loc.line, 2);
	ck_assert_uint_eq(t.loc.col, 57);
	size_t n = sizeof(want) / sizeof(*want);
	while (vcl_lex_next(pp, &t))
		n++;
	ck_assert_uint_eq(n, 56);
	ck_assert_uint_eq(d.errors, 0);
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	free(src);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_lex");
	TCase *tc = tcase_create("lex");
	tcase_add_test(tc, keywords);
	tcase_add_test(tc, vector_types);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, floats);
	tcase_add_test(tc, characters);
	tcase_add_test(tc, strays);
	tcase_add_test(tc, punctuators);
	tcase_add_test(tc, after_expansion);
	tcase_add_test(tc, saxpy);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
