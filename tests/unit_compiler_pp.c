/*
 * The OpenCL C preprocessor: each directive, macro expansion with the C99
 * standard's own examples (6.10.3.5, which OpenCL C 1.2 section 6.10
 * adopts), the predefined macros, diagnostics, and each bound on hostile
 * input (macro bombs, deep nesting, huge sources) reached in bounded time.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpucl/limits.h>

#include "compiler_check.h"

/* `src` preprocesses to the same tokens as `want` (which has no
 * directives), without errors. */
static void expect_pp(const char *src, const char *want)
{
	struct cc_run a, b;
	cc_pp(&a, src);
	cc_pp(&b, want);
	ck_assert_msg(a.errors == 0, "errors for:\n%s\n%s", src, a.diags);
	ck_assert_str_eq(a.out, b.out);
	cc_free(&a);
	cc_free(&b);
}

/* `src` gives an error whose formatted text contains `what`. */
static void expect_error(const char *src, const char *what)
{
	struct cc_run r;
	cc_pp(&r, src);
	ck_assert_msg(r.errors > 0, "no error for:\n%s", src);
	ck_assert_msg(strstr(r.diags, what), "wanted '%s' in:\n%s", what,
		      r.diags);
	cc_free(&r);
}

/* CPU time: the bound is on work done, and other processes share the
 * machine. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(object_like)
{
	expect_pp("#define N 16\nint a[N];\n", "int a[16];");
	expect_pp("#define A B\n#define B 7\nA\n", "7");
	expect_pp("#define N 1\n#undef N\nN\n", "N");
	/* Self-reference does not recurse (C99 6.10.3.4p2). */
	expect_pp("#define x x + 1\nx\n", "x + 1");
	expect_pp("#define a b\n#define b a\na b\n", "a b");
	/* An identical redefinition is fine; a different one warns. */
	expect_pp("#define N 1\n#define N 1\nN\n", "1");
	struct cc_run r;
	cc_pp(&r, "#define N 1\n#define N 2\nN\n");
	ck_assert_str_eq(r.out, "2");
	ck_assert(strstr(r.diags, "t.cl:2:9: warning: 'N' macro redefined"));
	cc_free(&r);
}
END_TEST

START_TEST(function_like)
{
	expect_pp(
	    "#define MAX(a, b) ((a) > (b) ? (a) : (b))\nMAX(x, f(y, z))\n",
	    "((x) > (f(y, z)) ? (x) : (f(y, z)))");
	/* Not followed by '(': not an invocation. */
	expect_pp("#define f(x) x\nint f;\n", "int f;");
	/* Arguments across lines; an invocation whose '(' is on the next
	 * line. */
	expect_pp("#define f(x, y) x + y\nf(1,\n 2)\nf\n(3, 4)\n",
		  "1 + 2 3 + 4");
	/* Arguments are expanded before substitution. */
	expect_pp("#define ONE 1\n#define id(x) x\nid(ONE)\n", "1");
	expect_error("#define f(a, b) a\nf(1)\n",
		     "macro 'f' takes 2 arguments, but 1 was given");
	expect_error("#define f(a) a\nf(1, 2)\n",
		     "macro 'f' takes 1 argument, but 2 were given");
	expect_error("#define f(a) a\nf(1, 2\n",
		     "unterminated argument list invoking macro 'f'");
	expect_error("#define f(a, a) a\n", "duplicate macro parameter 'a'");
	expect_error("#define f(a,) a\n", "expected a parameter name");
}
END_TEST

START_TEST(stringize_and_paste)
{
	expect_pp("#define s(x) #x\ns(a  +   b) s( \"q\\n\" ) s()\n",
		  "\"a + b\" \"\\\"q\\\\n\\\"\" \"\"");
	expect_pp("#define cat(a, b) a ## b\ncat(x, 1) cat(+, =) cat(, y) "
		  "cat(z, )\n",
		  "x1 += y z");
	/* An object-like macro pastes too. */
	expect_pp("#define AB a ## b\nAB\n", "ab");
	expect_error("#define cat(a, b) a ## b\ncat(+, -)\n",
		     "pasting \"+\" and \"-\" does not give a valid "
		     "preprocessing token");
	expect_error("#define f(a) ## a\n", "'##' cannot appear at either end");
	expect_error("#define f(a) #b\n",
		     "'#' is not followed by a macro parameter");
}
END_TEST

START_TEST(variadic)
{
	expect_pp("#define f(fmt, ...) g(fmt, __VA_ARGS__)\nf(a, b, c) f(a)\n",
		  "g(a, b, c) g(a, )");
	expect_pp("#define n(...) #__VA_ARGS__\nn(x,  y, z)\n", "\"x, y, z\"");
	expect_error("#define f(x) __VA_ARGS__\n", "__VA_ARGS__ can only");
}
END_TEST

/* C99 6.10.3.5 EXAMPLE 3. */
START_TEST(c99_example_3)
{
	expect_pp("#define x 3\n"
		  "#define f(a) f(x * (a))\n"
		  "#undef x\n"
		  "#define x 2\n"
		  "#define g f\n"
		  "#define z z[0]\n"
		  "#define h g(~\n"
		  "#define m(a) a(w)\n"
		  "#define w 0,1\n"
		  "#define t(a) a\n"
		  "#define p() int\n"
		  "#define q(x) x\n"
		  "#define r(x,y) x ## y\n"
		  "#define str(x) # x\n"
		  "f(y+1) + f(f(z)) % t(t(g)(0) + t)(1);\n"
		  "g(x+(3,4)-w) | h 5) & m\n"
		  "(f)^m(m);\n"
		  "p() i[q()] = { q(1), r(2,3), r(4,), r(,5), r(,) };\n"
		  "char c[2][6] = { str(hello), str() };\n",
		  "f(2 * (y+1)) + f(2 * (f(2 * (z[0])))) % f(2 * (0)) + t(1);\n"
		  "f(2 * (2+(3,4)-0,1)) | f(2 * (~ 5)) & f(2 * (0,1))^m(0,1);\n"
		  "int i[] = { 1, 23, 4, 5, };\n"
		  "char c[2][6] = { \"hello\", \"\" };\n");
}
END_TEST

/* C99 6.10.3.5 EXAMPLE 4 (but the macro-expanded #include). */
START_TEST(c99_example_4)
{
	expect_pp(
	    "#define str(s) # s\n"
	    "#define xstr(s) str(s)\n"
	    "#define debug(s, t) printf(\"x\" # s \"= %d, x\" # t \"= %s\", "
	    "\\\n"
	    " x ## s, x ## t)\n"
	    "#define glue(a, b) a ## b\n"
	    "#define xglue(a, b) glue(a, b)\n"
	    "#define HIGHLOW \"hello\"\n"
	    "#define LOW LOW \", world\"\n"
	    "debug(1, 2);\n"
	    "fputs(str(strncmp(\"abc\\0d\", \"abc\", '\\4') // this goes away\n"
	    " == 0) str(: @\\n), s);\n"
	    "glue(HIGH, LOW);\n"
	    "xglue(HIGH, LOW)\n",
	    "printf(\"x\" \"1\" \"= %d, x\" \"2\" \"= %s\", x1, x2);\n"
	    "fputs(\"strncmp(\\\"abc\\\\0d\\\", \\\"abc\\\", '\\\\4') == 0\" "
	    "\": @\\n\", s);\n"
	    "\"hello\";\n"
	    "\"hello\" \", world\"\n");
}
END_TEST

/* C99 6.10.3.5 EXAMPLES 5 and 7: placemarkers, variadic macros. */
START_TEST(c99_examples_5_7)
{
	expect_pp("#define t(x,y,z) x ## y ## z\n"
		  "int j[] = { t(1,2,3), t(,4,5), t(6,,7), t(8,9,),\n"
		  " t(10,,), t(,11,), t(,,12), t(,,) };\n",
		  "int j[] = { 123, 45, 67, 89, 10, 11, 12, };");
	expect_pp("#define debug(...) fprintf(stderr, __VA_ARGS__)\n"
		  "#define showlist(...) puts(#__VA_ARGS__)\n"
		  "#define report(test, ...) ((test)?puts(#test):\\\n"
		  " printf(__VA_ARGS__))\n"
		  "debug(\"Flag\");\n"
		  "debug(\"X = %d\\n\", x);\n"
		  "showlist(The first, second, and third items.);\n"
		  "report(x>y, \"x is %d but y is %d\", x, y);\n",
		  "fprintf(stderr, \"Flag\" );\n"
		  "fprintf(stderr, \"X = %d\\n\", x );\n"
		  "puts( \"The first, second, and third items.\" );\n"
		  "((x>y)?puts(\"x>y\"): printf(\"x is %d but y is %d\", x, "
		  "y));\n");
}
END_TEST

START_TEST(conditionals)
{
	expect_pp("#if 1 + 2 * 3 == 7 && (8 >> 1) == 4\na\n#else\nb\n#endif\n",
		  "a");
	expect_pp("#define X 2\n#if X == 1\na\n#elif X == 2\nb\n#elif 1\nc\n"
		  "#else\nd\n#endif\n",
		  "b");
	expect_pp("#ifdef X\na\n#endif\n#define X\n#ifdef X\nb\n#endif\n"
		  "#ifndef X\nc\n#endif\n#ifndef Y\nd\n#endif\n",
		  "b d");
	expect_pp("#define Y\n#if defined(Y) && defined Y && !defined(Z)\n"
		  "a\n#endif\n",
		  "a");
	/* Skipped groups may hold anything but directives' structure. */
	expect_pp("#if 0\n#if garbage (\n' unterminated\n#else\n#error no\n"
		  "#endif\n#elif 0\nb\n#else\nc\n#endif\n",
		  "c");
	/* Values: unsigned arithmetic, character constants, ?:, comma. */
	expect_pp("#if -1 > 0u\na\n#endif\n#if 'A' == 65 && '\\n' == 10\nb\n"
		  "#endif\n#if (0 ? 1 : 2) == 2\nc\n#endif\n"
		  "#if 0x7fffffffffffffff + 0 > 0 && 077 == 63\nd\n#endif\n",
		  "a b c d");
	/* Short-circuit: an unevaluated division by zero is fine. */
	expect_pp("#if 0 && (1 / 0)\na\n#else\nb\n#endif\n", "b");
	/* Undefined identifiers are 0. */
	expect_pp("#if UNDEFINED\na\n#else\nb\n#endif\n", "b");
	expect_error("#if 1 / 0\n#endif\n", "division by zero in #if");
	expect_error("#if 1.0\n#endif\n", "floating constant in preprocessor");
	expect_error("#if\n#endif\n", "#if with no expression");
	expect_error("#if (1\n#endif\n", "expected ')' in #if");
	expect_error("#if 1\n", "t.cl:1:2: error: unterminated conditional");
	expect_error("#endif\n", "#endif without #if");
	expect_error("#else\n", "#else without #if");
	expect_error("#if 1\n#else\n#else\n#endif\n", "#else after #else");
	expect_error("#if 0\n#else\n#elif 1\n#endif\n", "#elif after #else");
	expect_error("#ifdef\n#endif\n", "macro name missing after #ifdef");
	expect_error("#if defined(\n#endif\n", "after 'defined'");
	expect_error("#define D defined(X)\n#if D\n#endif\n",
		     "t.cl:2:5: error: 'defined' made by macro expansion is "
		     "not supported in #if");
}
END_TEST

static char *repeat(const char *head, const char *unit, size_t times,
		    const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1);
	memcpy(s, head, hl);
	for (size_t i = 0; i < times; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * times, tail, tl + 1);
	return s;
}

static const struct cc_file files[] = {
    {"a.h", "#define FROM_A 1\n#include \"b.h\"\n"},
    {"b.h", "int b = __LINE__;\n"},
    {"self.h", "x\n#include \"self.h\"\n"},
    {"twice.h", "#include \"twice.h\"\n#include \"twice.h\"\n"},
    {"open.h", "#if 1\n"},
    {"angled.h", "int angled;\n"},
    {NULL, NULL},
};

START_TEST(include)
{
	struct cc_run r;
	const char *src = "#include \"a.h\"\nint a = FROM_A;\n"
			  "#include <angled.h>\n";
	cc_run(&r, src, strlen(src), NULL, 0, files, false);
	ck_assert_str_eq(r.out, "int b = 1 ; int a = 1 ; int angled ;");
	ck_assert_msg(r.errors == 0, "%s", r.diags);
	cc_free(&r);

	src = "#include \"missing.h\"\n";
	cc_run(&r, src, strlen(src), NULL, 0, files, false);
	ck_assert_str_eq(r.diags, "t.cl:1:2: error: cannot include "
				  "'missing.h': file not found\n");
	cc_free(&r);
	expect_error("#include \"a.h\"\n", "#include is not available here");
	expect_error("#include a.h\n", "#include expects \"FILENAME\"");
	/* A group left open in an included file is its own error. */
	src = "#include \"open.h\"\n#endif\n";
	cc_run(&r, src, strlen(src), NULL, 0, files, false);
	ck_assert(strstr(r.diags, "open.h:1:2: error: unterminated"));
	ck_assert(strstr(r.diags, "t.cl:2:2: error: #endif without #if"));
	cc_free(&r);
}
END_TEST

START_TEST(include_bounds)
{
	struct cc_run r;
	const char *src = "#include \"self.h\"\n";
	cc_run(&r, src, strlen(src), NULL, 0, files, false);
	ck_assert_msg(strstr(r.diags, "#include nested more than 64 deep"),
		      "%s", r.diags);
	cc_free(&r);
	/* Two includes per level: 2^64 files but for the depth bound. */
	double t0 = now_s();
	src = "#include \"twice.h\"\n";
	cc_run(&r, src, strlen(src), NULL, 0, files, false);
	ck_assert_msg(strstr(r.diags, "#include nested more than 64 deep"),
		      "%s", r.diags);
	ck_assert(now_s() - t0 < 10);
	cc_free(&r);
	/* Many includes side by side: the count bound. */
	char *wide = repeat("", "#include \"b.h\"\n", 5000, "");
	cc_run(&r, wide, strlen(wide), NULL, 0, files, false);
	ck_assert_msg(strstr(r.diags, "t.cl:4097:2: error: more than 4096 "
				      "#include directives run"),
		      "%s", r.diags);
	ck_assert_uint_eq(r.ntokens, 4096 * 5);
	cc_free(&r);
	free(wide);
}
END_TEST

/* FP_CONTRACT OFF marks the tokens after it: to the end, or inside a
 * block to its '}'; ON and DEFAULT end it. One letter per token: o off,
 * - not. */
START_TEST(fp_contract_scope)
{
	static const char src[] = "a { b\n#pragma OPENCL FP_CONTRACT OFF\n"
				  "c { d } e } f\n"
				  "#pragma OPENCL FP_CONTRACT OFF\ng\n"
				  "#pragma OPENCL FP_CONTRACT DEFAULT\nh { \n"
				  "#pragma OPENCL FP_CONTRACT OFF\ni { \n"
				  "#pragma OPENCL FP_CONTRACT ON\nj } k } l\n";
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_source s = {"t.cl", src, strlen(src)};
	struct vcl_pp *pp = vcl_pp_new(NULL, &s, &d);
	ck_assert(pp);
	char got[64] = "";
	struct vcl_token t;
	for (size_t n = 0; n < sizeof(got) - 1 && vcl_pp_next(pp, &t); n++)
		got[n] = t.flags & VCL_TF_NO_CONTRACT ? 'o' : '-';
	ck_assert_str_eq(got, "---ooooo--o--oo-oo--");
	vcl_pp_free(pp);
	vcl_diags_free(&d);
}
END_TEST

START_TEST(pragma_error_line)
{
	struct cc_run r;
	cc_pp(&r, "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
		  "#pragma OPENCL EXTENSION cl_khr_gl_sharing : disable\n"
		  "#pragma once\n#pragma OPENCL FP_CONTRACT ON\nx\n");
	const struct vcl_pp_extension *e;
	ck_assert_uint_eq(vcl_pp_extensions(r.pp, &e), 2);
	ck_assert_str_eq(e[0].name, "cl_khr_fp64");
	ck_assert(e[0].enable && e[0].known);
	ck_assert(!e[1].enable && !e[1].known);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert(strstr(r.diags, "t.cl:2:26: warning: unknown OpenCL "
				  "extension 'cl_khr_gl_sharing', ignored"));
	ck_assert_str_eq(r.out, "x");
	cc_free(&r);
	expect_error("#pragma OPENCL EXTENSION cl_khr_fp64 enable\n",
		     "expected '#pragma OPENCL EXTENSION name");
	expect_error("#pragma OPENCL FP_CONTRACT MAYBE\n",
		     "expected '#pragma OPENCL FP_CONTRACT");
	/* #error: the message, the place, and the run goes on. */
	cc_pp(&r, "a\n  #error stop  here \"now\"\nb\n#bogus\n");
	ck_assert_str_eq(r.diags,
			 "t.cl:2:4: error: #error stop here \"now\"\n"
			 "t.cl:4:2: error: invalid preprocessing directive "
			 "#bogus\n");
	ck_assert_str_eq(r.out, "a b");
	cc_free(&r);
	/* #line sets the next line's number and the file name. */
	expect_pp("#line 100\n__LINE__\n#line 7 \"k.cl\"\n__LINE__ __FILE__\n",
		  "100 7 \"k.cl\"");
	expect_error("#line x\n", "#line expects a line number");
	/* The null directive. */
	expect_pp("#\nx\n", "x");
}
END_TEST

START_TEST(predefined)
{
	expect_pp(
	    "__OPENCL_VERSION__ __OPENCL_C_VERSION__ CL_VERSION_1_0 "
	    "CL_VERSION_1_1 CL_VERSION_1_2 __ENDIAN_LITTLE__ cl_khr_fp64\n",
	    "120 120 100 110 120 1 1");
	expect_pp(
	    "#if defined(__IMAGE_SUPPORT__) || defined(__FAST_RELAXED_MATH__)\n"
	    "bad\n#endif\n",
	    "");
	expect_pp("__kernel_exec(64, float4) void k(void);\n",
		  "__kernel __attribute__((work_group_size_hint(64, 1, 1))) "
		  "__attribute__((vec_type_hint(float4))) void k(void);");
	expect_pp("CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE INT_MAX\n",
		  "1 | 2 2147483647");
	/* __LINE__ and __FILE__ at the use, also inside a macro. */
	expect_pp("#define L __LINE__\n\nL __LINE__\n__FILE__\n",
		  "3 3 \"t.cl\"");
	expect_error("#define __FILE__ x\n", "built-in macro");
	expect_error("#undef __LINE__\n", "built-in macro");
	expect_error("#define defined\n", "'defined' cannot be used");
}
END_TEST

START_TEST(command_line)
{
	const struct vcl_pp_define defs[] = {
	    {false, "TILE=32"}, {false, "FAST"},       {false, "GONE=1"},
	    {true, "GONE"},	{true, "cl_khr_fp64"},
	};
	struct cc_run r;
	const char *src = "TILE FAST GONE cl_khr_fp64\n";
	cc_run(&r, src, strlen(src), defs, 5, NULL, false);
	ck_assert_str_eq(r.out, "32 1 GONE cl_khr_fp64");
	ck_assert_uint_eq(r.errors, 0);
	cc_free(&r);
	/* A name that is no identifier, or a value with a line break. */
	const struct vcl_pp_define bad[] = {
	    {false, "1X=2"}, {false, "X=1\n#define Y 2"}, {false, "Z=a\\"}};
	cc_run(&r, src, strlen(src), bad, 3, NULL, false);
	ck_assert_uint_eq(r.errors, 3);
	ck_assert(strstr(r.diags, "<command line>:0:0: error: invalid macro "
				  "in -D '1X=2'"));
	cc_free(&r);
}
END_TEST

START_TEST(locations)
{
	struct cc_run r;
	cc_pp(&r, "#define TWICE(x) (x + x)\n  a = TWICE(b);\n");
	struct vcl_pp_options opt = {0};
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	const char *src = "#define TWICE(x) (x + x)\n  a = TWICE(b) \\\n+ c;\n";
	struct vcl_source s = {"loc.cl", src, strlen(src)};
	struct vcl_pp *pp = vcl_pp_new(&opt, &s, &d);
	struct vcl_token t;
	/* a, =, then the expansion: body tokens at the use (2:7), the
	 * argument where it was written (2:13). */
	const unsigned want[][2] = {{2, 3},  {2, 5}, {2, 7}, {2, 13}, {2, 7},
				    {2, 13}, {2, 7}, {3, 1}, {3, 3},  {3, 4}};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		ck_assert(vcl_pp_next(pp, &t));
		ck_assert_uint_eq(t.loc.line, want[i][0]);
		ck_assert_uint_eq(t.loc.col, want[i][1]);
		ck_assert_str_eq(vcl_pp_file_name(pp, t.loc.file), "loc.cl");
	}
	ck_assert(!vcl_pp_next(pp, &t));
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	cc_free(&r);
}
END_TEST

START_TEST(lexical)
{
	/* Splices, comments, CRLF lines, digraphs. */
	expect_pp("in\\\nt x/* c\n */= 1; // end\\\n still comment\ny\r\nz\n",
		  "int x = 1; y z");
	/* Digraphs keep their spelling (vcl_lex gives them their kinds). */
	expect_pp("%: define D <: :>\nD <% %>\n", "<: :> <% %>");
	expect_error("a /* open", "t.cl:1:3: error: unterminated /* comment");
}
END_TEST

START_TEST(diagnostics_capped)
{
	char src[4096] = "";
	for (int i = 0; i < 200; i++)
		strcat(src, "#bad\n");
	struct cc_run r;
	cc_pp(&r, src);
	ck_assert_uint_eq(r.d.n, VCL_DEFAULT_MAX_DIAGS);
	ck_assert(r.d.full);
	ck_assert(strstr(r.diags, "too many diagnostics, stopping now"));
	ck_assert(strstr(r.diags, "t.cl:3:2: error: invalid preprocessing "
				  "directive #bad\n"));
	cc_free(&r);
}
END_TEST

/* The classic bomb: each level doubles, 2^40 tokens if nothing stops it. */
START_TEST(macro_bomb)
{
	char src[8192];
	size_t n = (size_t)sprintf(src, "#define m0 x x\n");
	for (int i = 1; i <= 40; i++)
		n += (size_t)sprintf(src + n, "#define m%d m%d m%d\n", i, i - 1,
				     i - 1);
	sprintf(src + n, "m40\n");
	double t0 = now_s();
	struct cc_run r;
	cc_pp(&r, src);
	double dt = now_s() - t0;
	ck_assert_msg(strstr(r.diags, "macro expansion produced more than "
				      "16777216 tokens"),
		      "%s", r.diags);
	ck_assert_msg(dt < 20, "took %.1f s", dt);
	cc_free(&r);
}
END_TEST

/* The same through arguments, which are expanded in full before use. */
START_TEST(argument_bomb)
{
	char src[8192];
	size_t n = (size_t)sprintf(src, "#define f(x) x x x x\n");
	for (int i = 0; i < 30; i++)
		n += (size_t)sprintf(src + n, "f(");
	n += (size_t)sprintf(src + n, "1");
	for (int i = 0; i < 30; i++)
		n += (size_t)sprintf(src + n, ")");
	sprintf(src + n, "\n");
	struct cc_run r;
	cc_pp(&r, src);
	ck_assert_msg(strstr(r.diags, "macro expansion holds more than") ||
			  strstr(r.diags, "macro expansion produced"),
		      "%s", r.diags);
	cc_free(&r);
}
END_TEST

/* head, `times` units, tail: an error containing `what`. */
static void expect_nested_error(const char *head, const char *unit,
				size_t times, const char *tail,
				const char *what)
{
	char *src = repeat(head, unit, times, tail);
	expect_error(src, what);
	free(src);
}

static void *nest_all(void *arg)
{
	(void)arg;
	/* 10 000 nested #if, active or skipped: an error, no recursion. */
	expect_nested_error("", "#if 1\n", 10000, "",
			    "#if nested more than 256 deep");
	expect_nested_error("#if 0\n", "#if 1\n", 10000, "",
			    "#if nested more than 256 deep");
	/* 10 000 parentheses or unary operators in #if. */
	expect_nested_error("#if ", "(", 10000, "1",
			    "#if expression nested more than 256 deep");
	expect_nested_error("#if ", "!", 10000, "1\n#endif\n",
			    "#if expression nested more than 256 deep");
	/* Nested invocations: each argument is expanded inside the outer
	 * one's, and each level holds a copy of its argument. */
	char *calls = repeat("#define f(x) x\n", "f(", 300, "1");
	expect_nested_error(calls, ")", 300, "\n",
			    "macro arguments nested more than 256 deep");
	free(calls);
	calls = repeat("#define f(x) x\n", "f(", 10000, "1");
	expect_nested_error(calls, ")", 10000, "\n",
			    "macro expansion holds more than 1048576 tokens");
	free(calls);
	/* Nesting below the bounds is fine. */
	char *ok = repeat("#define f(x) (x)\n", "f(", 100, "1");
	char *ok2 = repeat(ok, ")", 100, "\n");
	struct cc_run r;
	cc_pp(&r, ok2);
	ck_assert_msg(r.errors == 0, "%s", r.diags);
	ck_assert_uint_eq(r.ntokens, 201);
	cc_free(&r);
	free(ok);
	free(ok2);
	return NULL;
}

START_TEST(deep_nesting)
{
	/* The #if evaluator's and the argument expansion's recursion at
	 * their bounds fit a 512 KiB stack (the daemon's threads have 8 MiB).
	 */
	cc_on_stack(nest_all, 512 * 1024);
}
END_TEST

START_TEST(huge_source)
{
	/* 10 MB of real lines is handled... */
	const char *line = "acc += a[i] * b[i]; /* padding */\n";
	size_t times = (10u << 20) / strlen(line);
	char *src = repeat("", line, times, "");
	struct cc_run r;
	double t0 = now_s();
	cc_run(&r, src, strlen(src), NULL, 0, NULL, false);
	ck_assert_msg(r.errors == 0, "%s", r.diags);
	ck_assert_uint_eq(r.ntokens, times * 12);
	ck_assert(now_s() - t0 < 30);
	cc_free(&r);
	free(src);
	/* ...more than the bound is refused, saying why. */
	size_t big = VCL_MAX_SOURCE_BYTES + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	cc_run(&r, huge, big, NULL, 0, NULL, false);
	ck_assert_msg(strstr(r.diags, "t.cl:1:1: error: 't.cl' is 16777217 "
				      "bytes, more than the limit of 16 MiB"),
		      "%s", r.diags);
	ck_assert_uint_eq(r.ntokens, 0);
	cc_free(&r);
	free(huge);
}
END_TEST

START_TEST(kernels_preprocess)
{
	static const char *const names[] = {"saxpy.cl", "matmul_tiled.cl",
					    "reduce.cl", "vector_ops.cl"};
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		char *src = cc_read_kernel(names[i], &len);
		ck_assert_msg(src, "cannot read %s", names[i]);
		struct cc_run r;
		cc_run(&r, src, len, NULL, 0, NULL, true);
		ck_assert_msg(r.errors == 0, "%s: %s", names[i], r.diags);
		ck_assert(r.ntokens > 30);
		cc_free(&r);
		free(src);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_pp");
	TCase *tc = tcase_create("pp");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, object_like);
	tcase_add_test(tc, function_like);
	tcase_add_test(tc, stringize_and_paste);
	tcase_add_test(tc, variadic);
	tcase_add_test(tc, c99_example_3);
	tcase_add_test(tc, c99_example_4);
	tcase_add_test(tc, c99_examples_5_7);
	tcase_add_test(tc, conditionals);
	tcase_add_test(tc, include);
	tcase_add_test(tc, include_bounds);
	tcase_add_test(tc, fp_contract_scope);
	tcase_add_test(tc, pragma_error_line);
	tcase_add_test(tc, predefined);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, locations);
	tcase_add_test(tc, lexical);
	tcase_add_test(tc, diagnostics_capped);
	tcase_add_test(tc, macro_bomb);
	tcase_add_test(tc, argument_bomb);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, huge_source);
	tcase_add_test(tc, kernels_preprocess);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
