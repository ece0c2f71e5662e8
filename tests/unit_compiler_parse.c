/*
 * The OpenCL C parser: the test kernels parse, declarations and types come
 * out as written (address spaces, vectors, arrays, pointers to functions),
 * expressions keep C's precedence, errors are reported with their place
 * and parsing goes on, and nesting beyond the bound is an error, not a
 * stack overflow.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpucl/ast.h>
#include <vgpucl/limits.h>

#include "compiler_check.h"

struct parsed {
	struct vcl_diags d;
	struct vcl_pp *pp;
	struct vcl_ast *ast;
	char diags[4096];
};

static void parse(struct parsed *r, const char *src, size_t len)
{
	vcl_diags_init(&r->d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source s = {"t.cl", src, len};
	r->pp = vcl_pp_new(&opt, &s, &r->d);
	r->ast = vcl_parse(r->pp);
	ck_assert(r->ast);
	cc_format_diags(&r->d, r->diags, sizeof(r->diags));
}

/* parse, which must report nothing. */
static void parse_ok(struct parsed *r, const char *src)
{
	parse(r, src, strlen(src));
	ck_assert_msg(r->d.n == 0, "%s\n%s", src, r->diags);
}

static void unparse(struct parsed *r)
{
	vcl_ast_free(r->ast);
	vcl_pp_free(r->pp);
	vcl_diags_free(&r->d);
}

/* An expression as (op a b), for the shape of the tree. */
static void sexpr(const struct vcl_node *n, char *buf, size_t cap)
{
	size_t len = strlen(buf);
	char *out = buf + len;
	cap -= len;
	if (!n) {
		snprintf(out, cap, "?");
		return;
	}
	switch (n->kind) {
	case VCL_N_IDENT:
		snprintf(out, cap, "%.*s", (int)n->name_len, n->name);
		return;
	case VCL_N_INT:
	case VCL_N_FLOAT:
		snprintf(out, cap, "%.*s", (int)n->lit.len, n->lit.text);
		return;
	case VCL_N_BINARY:
	case VCL_N_ASSIGN:
		snprintf(out, cap, "(%s ", vcl_tok_spelling(n->op));
		sexpr(n->a, buf, cap + len);
		strcat(buf, " ");
		sexpr(n->b, buf, cap + len);
		strcat(buf, ")");
		return;
	case VCL_N_UNARY:
	case VCL_N_POSTFIX:
		snprintf(out, cap, "(%s%s ",
			 n->kind == VCL_N_POSTFIX ? "post" : "",
			 vcl_tok_spelling(n->op));
		sexpr(n->a, buf, cap + len);
		strcat(buf, ")");
		return;
	case VCL_N_COND:
		snprintf(out, cap, "(? ");
		sexpr(n->a, buf, cap + len);
		strcat(buf, " ");
		sexpr(n->b, buf, cap + len);
		strcat(buf, " ");
		sexpr(n->c, buf, cap + len);
		strcat(buf, ")");
		return;
	case VCL_N_CALL:
	case VCL_N_CAST_LIST:
		snprintf(out, cap, n->kind == VCL_N_CALL ? "(call " : "(vec");
		if (n->kind == VCL_N_CALL)
			sexpr(n->a, buf, cap + len);
		for (const struct vcl_node *a = n->list; a; a = a->next) {
			strcat(buf, " ");
			sexpr(a, buf, cap + len);
		}
		strcat(buf, ")");
		return;
	case VCL_N_INDEX:
		snprintf(out, cap, "([] ");
		sexpr(n->a, buf, cap + len);
		strcat(buf, " ");
		sexpr(n->b, buf, cap + len);
		strcat(buf, ")");
		return;
	case VCL_N_MEMBER:
		snprintf(out, cap, "(. ");
		sexpr(n->a, buf, cap + len);
		len = strlen(buf);
		snprintf(buf + len, cap, " %.*s)", (int)n->name_len, n->name);
		return;
	case VCL_N_CAST:
		snprintf(out, cap, "(cast ");
		sexpr(n->a, buf, cap + len);
		strcat(buf, ")");
		return;
	default:
		snprintf(out, cap, "<%d>", n->kind);
		return;
	}
}

/* The expression of `void f(void) { EXPR; }`. */
static void expect_expr(const char *expr, const char *want)
{
	char src[512];
	snprintf(src, sizeof(src),
		 "typedef float real;\nvoid f(void) { %s; }\n", expr);
	struct parsed r;
	parse(&r, src, strlen(src));
	ck_assert_msg(r.d.errors == 0, "%s: %s", expr, r.diags);
	const struct vcl_node *fn = r.ast->decls->next;
	ck_assert_uint_eq(fn->kind, VCL_N_FUNCTION);
	const struct vcl_node *st = fn->b->list;
	ck_assert_uint_eq(st->kind, VCL_N_EXPR_STMT);
	char buf[1024] = "";
	sexpr(st->a, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	unparse(&r);
}

static void expect_parse_error(const char *src, const char *what)
{
	struct parsed r;
	parse(&r, src, strlen(src));
	ck_assert_msg(r.d.errors > 0 && strstr(r.diags, what),
		      "wanted '%s' for:\n%s\ngot:\n%s", what, src, r.diags);
	unparse(&r);
}

START_TEST(kernels)
{
	static const char *const names[] = {"saxpy.cl", "matmul_tiled.cl",
					    "reduce.cl", "vector_ops.cl"};
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		char *src = cc_read_kernel(names[i], &len);
		ck_assert_msg(src, "cannot read %s", names[i]);
		struct parsed r;
		parse(&r, src, len);
		ck_assert_msg(r.d.errors == 0, "%s:\n%s", names[i], r.diags);
		ck_assert(r.ast->decls);
		unparse(&r);
		free(src);
	}
}
END_TEST

START_TEST(saxpy_tree)
{
	size_t len;
	char *src = cc_read_kernel("saxpy.cl", &len);
	struct parsed r;
	parse(&r, src, len);
	const struct vcl_node *fn = r.ast->decls;
	ck_assert_uint_eq(fn->kind, VCL_N_FUNCTION);
	ck_assert(fn->flags & VCL_D_KERNEL);
	ck_assert_int_eq(fn->name_len, 5);
	ck_assert(!memcmp(fn->name, "saxpy", 5));
	ck_assert_uint_eq(fn->type->base->kind, VCL_TY_VOID);
	const struct vcl_node *a = fn->type->params, *x = a->next, *y = x->next,
			      *n = y->next;
	ck_assert_uint_eq(a->type->kind, VCL_TY_FLOAT);
	ck_assert_uint_eq(a->type->quals, VCL_Q_CONST);
	ck_assert_uint_eq(x->type->kind, VCL_TY_POINTER);
	ck_assert_uint_eq(x->type->base->kind, VCL_TY_FLOAT);
	ck_assert_uint_eq(x->type->base->space, VCL_AS_GLOBAL);
	ck_assert_uint_eq(x->type->base->quals, VCL_Q_CONST);
	ck_assert_uint_eq(y->type->base->quals, 0);
	ck_assert_uint_eq(n->type->kind, VCL_TY_UINT);
	ck_assert_ptr_null(n->next);
	/* size_t i = get_global_id(0); if (i < n) ... */
	const struct vcl_node *decl = fn->b->list;
	ck_assert_uint_eq(decl->kind, VCL_N_DECL_STMT);
	ck_assert_uint_eq(decl->list->type->kind, VCL_TY_NAMED);
	ck_assert_uint_eq(decl->list->a->kind, VCL_N_CALL);
	ck_assert_uint_eq(decl->next->kind, VCL_N_IF);
	ck_assert_uint_eq(decl->next->loc.line, 6);
	ck_assert_uint_eq(decl->next->loc.col, 2);
	unparse(&r);
	free(src);
}
END_TEST

START_TEST(declarators)
{
	const char *src =
	    "__local float tile[16][8];\n"
	    "int (*fp)(int, float *);\n"
	    "global const uchar4 *restrict p, q;\n"
	    "typedef struct point { float x, y; } point;\n"
	    "point pts[2] = { {1, 2}, {.y = 3} };\n"
	    "enum mode { A, B = 4, C };\n"
	    "unsigned long long_ok; unsigned short us; long int li;\n";
	struct parsed r;
	parse_ok(&r, src);
	const struct vcl_node *d = r.ast->decls;
	/* tile: array 16 of array 8 of local float. */
	ck_assert_uint_eq(d->type->kind, VCL_TY_ARRAY);
	ck_assert_uint_eq(d->type->size->lit.u.i, 16);
	ck_assert_uint_eq(d->type->base->kind, VCL_TY_ARRAY);
	ck_assert_uint_eq(d->type->base->size->lit.u.i, 8);
	ck_assert_uint_eq(d->type->base->base->kind, VCL_TY_FLOAT);
	ck_assert_uint_eq(d->type->base->base->space, VCL_AS_LOCAL);
	/* fp: pointer to function (int, pointer to float) returning int. */
	d = d->next;
	ck_assert_uint_eq(d->kind, VCL_N_VAR);
	ck_assert_uint_eq(d->type->kind, VCL_TY_POINTER);
	ck_assert_uint_eq(d->type->base->kind, VCL_TY_FUNCTION);
	ck_assert_uint_eq(d->type->base->base->kind, VCL_TY_INT);
	ck_assert_uint_eq(d->type->base->params->next->type->kind,
			  VCL_TY_POINTER);
	/* p: restrict pointer to global const uchar4; q: the element. */
	d = d->next;
	ck_assert_uint_eq(d->type->quals, VCL_Q_RESTRICT);
	ck_assert_uint_eq(d->type->base->kind, VCL_TY_VECTOR);
	ck_assert_uint_eq(d->type->base->elem, VCL_TY_UCHAR);
	ck_assert_uint_eq(d->type->base->width, 4);
	ck_assert_uint_eq(d->type->base->space, VCL_AS_GLOBAL);
	d = d->next;
	ck_assert_uint_eq(d->type->kind, VCL_TY_VECTOR);
	/* The typedef of a struct, then an array of it, initialized. */
	d = d->next;
	ck_assert_uint_eq(d->kind, VCL_N_TYPEDEF);
	ck_assert_uint_eq(d->type->kind, VCL_TY_STRUCT);
	ck_assert(d->type->defined);
	ck_assert_uint_eq(d->type->members->next->name[0], 'y');
	d = d->next;
	ck_assert_uint_eq(d->type->base->kind, VCL_TY_NAMED);
	ck_assert_uint_eq(d->a->kind, VCL_N_INIT_LIST);
	ck_assert_uint_eq(d->a->list->next->list->kind, VCL_N_DESIGNATED);
	d = d->next;
	ck_assert_uint_eq(d->kind, VCL_N_TAG);
	ck_assert_uint_eq(d->type->members->next->a->lit.u.i, 4);
	d = d->next;
	ck_assert_uint_eq(d->type->kind, VCL_TY_ULONG);
	ck_assert_uint_eq(d->next->type->kind, VCL_TY_USHORT);
	ck_assert_uint_eq(d->next->next->type->kind, VCL_TY_LONG);
	unparse(&r);
}
END_TEST

START_TEST(expressions)
{
	expect_expr("x = a + b * c", "(= x (+ a (* b c)))");
	expect_expr("a - b - c", "(- (- a b) c)");
	expect_expr("a = b = c", "(= a (= b c))");
	expect_expr("a || b && c | d ^ e & f == g < h << i + j * k",
		    "(|| a (&& b (| c (^ d (& e (== f (< g (<< h (+ i (* j "
		    "k))))))))))");
	expect_expr("c ? a : b ? d : e", "(? c a (? b d e))");
	expect_expr("-*p++", "(- (* (post++ p)))");
	expect_expr("x += v.xy.s0", "(+= x (. (. v xy) s0))");
	expect_expr("f(a, b)[i]", "([] (call f a b) i)");
	expect_expr("(float4)(1, 2.0f, x, 4)", "(vec 1 2.0f x 4)");
	expect_expr("(real)(a) + b", "(+ (cast a) b)");
	expect_expr("(float)x * y", "(* (cast x) y)");
	expect_expr("(a)(b)", "(call a b)");
	expect_expr("sizeof(real) + sizeof x", "(+ <17> <16>)");
	expect_expr("vec_step(float4) + vec_step(v)",
		    "(+ <18> (call vec_step v))");
}
END_TEST

START_TEST(errors)
{
	/* Several errors in one run, each where it is. */
	struct parsed r;
	const char *src = "void f(void) {\n  int a = 1\n  a = ;\n  b = 2;\n}\n"
			  "int g(void) { return 1 }\n";
	parse(&r, src, strlen(src));
	ck_assert_str_eq(r.diags,
			 "t.cl:3:3: error: expected ';' after the declaration, "
			 "found 'a'\n"
			 "t.cl:6:24: error: expected ';', found '}'\n");
	unparse(&r);
	expect_parse_error(
	    "void f(void) { x = (1 + ; }",
	    "t.cl:1:25: error: expected an expression, found ';'");
	expect_parse_error("void f(void) { goto end; }",
			   "'goto' is not supported");
	expect_parse_error("struct s { int a : 3; };",
			   "bit-fields are not supported");
	expect_parse_error("long long x;", "'long long' is not a type");
	expect_parse_error("int float x;", "two types in one declaration");
	expect_parse_error("void f(void) { int x = (float){1}; }",
			   "compound literals are not supported");
	expect_parse_error("void f(void) { void g(void) {} }",
			   "a function cannot be defined inside another");
	expect_parse_error("x;", "t.cl:1:1: error: expected a type");
	expect_parse_error("int f(void) {", "expected '}' at the end");
}
END_TEST

static char *nested(const char *head, const char *open, const char *mid,
		    const char *close, size_t times, const char *tail)
{
	size_t hl = strlen(head), ol = strlen(open), ml = strlen(mid),
	       cl = strlen(close), tl = strlen(tail);
	char *s = malloc(hl + (ol + cl) * times + ml + tl + 1), *q = s;
	memcpy(q, head, hl);
	q += hl;
	for (size_t i = 0; i < times; i++, q += ol)
		memcpy(q, open, ol);
	memcpy(q, mid, ml);
	q += ml;
	for (size_t i = 0; i < times; i++, q += cl)
		memcpy(q, close, cl);
	memcpy(q, tail, tl + 1);
	return s;
}

/* Every shape of nesting, 10 000 deep: the bound's error, no overflow. */
static void *nest_all(void *arg)
{
	(void)arg;
	static const struct {
		const char *head, *open, *mid, *close, *tail;
	} cases[] = {
	    {"int x = ", "(", "1", ")", ";"},
	    {"int x = ", "-", "1", "", ";"},
	    {"void f(void) ", "{", "", "}", ""},
	    {"void f(void) { ", "if (1) ", ";", "", " }"},
	    {"int ", "*", "p", "", ";"},
	    {"int ", "(", "p", ")", ";"},
	    {"int p", "[1]", "", "", ";"},
	    {"int x = ", "{", "1", "}", ";"},
	    {"int x = ", "a[", "1", "]", ";"},
	    {"int x = ", "f(", "1", ")", ";"},
	    {"int x = ", "1 ? ", "1", " : 1", ";"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *src = nested(cases[i].head, cases[i].open, cases[i].mid,
				   cases[i].close, 10000, cases[i].tail);
		struct parsed r;
		parse(&r, src, strlen(src));
		ck_assert_msg(strstr(r.diags, "nesting deeper than 256 levels"),
			      "case %zu:\n%s", i, r.diags);
		unparse(&r);
		free(src);
		/* Well inside the bound, the same shapes parse. */
		src = nested(cases[i].head, cases[i].open, cases[i].mid,
			     cases[i].close, 50, cases[i].tail);
		parse(&r, src, strlen(src));
		ck_assert_msg(!strstr(r.diags, "nesting"), "case %zu:\n%s", i,
			      r.diags);
		unparse(&r);
		free(src);
	}
	return NULL;
}

START_TEST(deep_nesting)
{
	/* On a thread with a 512 KiB stack (the daemon's default is 8 MiB):
	 * the parser's recursion at its bound fits with room to spare. */
	cc_on_stack(nest_all, 512 * 1024);
}
END_TEST

static bool named(const struct vcl_node *n, const char *name)
{
	return n && n->name_len == strlen(name) &&
	       !memcmp(n->name, name, n->name_len);
}

START_TEST(attributes)
{
	const char *src =
	    "__kernel __attribute__((reqd_work_group_size(16, 16, 1)))\n"
	    "void k(__global float *p) { }\n"
	    "__kernel_exec(64, float4) void h(void) { }\n"
	    "struct __attribute__((packed)) s { char c; int i; } "
	    "__attribute__((aligned(8)));\n"
	    "int a __attribute__((unused)), b;\n";
	struct parsed r;
	parse_ok(&r, src);
	const struct vcl_node *k = r.ast->decls, *at = k->attrs;
	ck_assert(named(at, "reqd_work_group_size"));
	ck_assert_uint_eq(at->list->lit.u.i, 16);
	ck_assert_uint_eq(at->list->next->next->lit.u.i, 1);
	ck_assert_ptr_null(at->next);
	/* The predefined __kernel_exec: two attributes, one with a type. */
	const struct vcl_node *h = k->next;
	ck_assert(h->flags & VCL_D_KERNEL);
	ck_assert(named(h->attrs, "work_group_size_hint"));
	ck_assert(named(h->attrs->next, "vec_type_hint"));
	ck_assert_uint_eq(h->attrs->next->type->kind, VCL_TY_VECTOR);
	const struct vcl_node *tag = h->next;
	ck_assert(named(tag->type->attrs, "packed"));
	ck_assert(named(tag->type->attrs->next, "aligned"));
	/* A declarator's own attributes, then the shared ones (none). */
	const struct vcl_node *a = tag->next, *b = a->next;
	ck_assert(named(a->attrs, "unused"));
	ck_assert_ptr_null(a->attrs->next);
	ck_assert_ptr_null(b->attrs);
	unparse(&r);
	expect_parse_error("int x __attribute__((aligned(8);", "expected ')'");
	expect_parse_error("int x __attribute__(aligned);",
			   "expected '((' after __attribute__");
}
END_TEST

START_TEST(typedef_scopes)
{
	/* A typedef name hidden by a variable, then visible again. */
	const char *src =
	    "typedef int T;\n"
	    "void f(void) { T a; { int T; T = 1; } T b = (T)a; }\n";
	struct parsed r;
	parse_ok(&r, src);
	const struct vcl_node *body = r.ast->decls->next->b->list;
	ck_assert_uint_eq(body->kind, VCL_N_DECL_STMT);
	ck_assert_uint_eq(body->next->list->next->a->kind, VCL_N_ASSIGN);
	ck_assert_uint_eq(body->next->next->kind, VCL_N_DECL_STMT);
	ck_assert_uint_eq(body->next->next->list->a->kind, VCL_N_CAST);
	unparse(&r);
	/* Many typedefs cost no more per lookup; one more than the bound is
	 * an error. */
	size_t cap = (VCL_MAX_TYPEDEFS + 1) * 32 + 200000 * 8;
	char *big = malloc(cap);
	size_t n = 0;
	for (int i = 0; i < VCL_MAX_TYPEDEFS - 20; i++)
		n += (size_t)sprintf(big + n, "typedef int t%d;\n", i);
	n += (size_t)sprintf(big + n, "void f(void) {\n");
	for (int i = 0; i < 200000; i++)
		n += (size_t)sprintf(big + n, "t7 x;\n");
	sprintf(big + n, "}\n");
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	parse(&r, big, strlen(big));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	ck_assert_msg(r.d.errors == 0, "%s", r.diags);
	ck_assert(t1.tv_sec - t0.tv_sec < 10);
	unparse(&r);
	n = 0;
	for (int i = 0; i <= VCL_MAX_TYPEDEFS; i++)
		n += (size_t)sprintf(big + n, "typedef int t%d;\n", i);
	parse(&r, big, n);
	ck_assert_msg(strstr(r.diags, "more than 4096 typedef names in scope"),
		      "%s", r.diags);
	unparse(&r);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_parse");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kernels);
	tcase_add_test(tc, saxpy_tree);
	tcase_add_test(tc, declarators);
	tcase_add_test(tc, expressions);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, typedef_scopes);
	tcase_add_test(tc, attributes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
