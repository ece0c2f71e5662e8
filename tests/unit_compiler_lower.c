/*
 * The lowering of what the first IR subset left out: vectors (scalarized
 * to lanes), the integer, common, geometric and relational built-ins,
 * convert_T with _sat and rounding modes, as_T, vload/vstore, structs,
 * initializer lists, & of a scalar. Every module verifies and reads back
 * the same; small kernels show the shape of their IR.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler_check.h"

static void lowers(const char *src, size_t len, const char *what,
		   struct cc_lowered *r)
{
	cc_lower(r, src, len);
	ck_assert_msg(r->m, "%s:\n%s", what, r->diags);
	char out[4096];
	ck_assert_msg(cc_verify(r->m, out, sizeof(out)), "%s:\n%s\n%s", what,
		      out, r->text);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* tests/cl's kernels for these constructs lower, verify, read back. */
START_TEST(kernels)
{
	const char *names[] = {"vectors.cl", "builtins.cl", "convert.cl",
			       "structs.cl", "constant.cl", "pointers.cl"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		size_t len;
		char *src = cc_read_kernel(names[k], &len);
		struct cc_lowered r;
		lowers(src, len, names[k], &r);
		if (getenv("IR_PRINT"))
			printf("%s", r.text);
		cc_round_trip(&r);
		cc_unlower(&r);
		free(src);
	}
}
END_TEST

/* Each case: a kernel, then strings its IR holds, each with how often
 * (0: absent). */
struct shape {
	const char *src;
	struct {
		const char *text;
		size_t times;
	} has[4];
};

static const struct shape shapes[] = {
    /* a float4 sum is four fadds, loaded and stored lane by lane */
    {"__kernel void k(__global float4 *p) { p[0] = p[1] + p[2]; }",
     {{"fadd f32", 4}, {"load f32", 8}, {"store %", 4}, {"f32x4", 0}}},
    /* a swizzle written stores its lanes only: w then x */
    {"__kernel void k(__global float4 *p) { p[0].wx = (float2)(1.0f, "
     "2.0f); }",
     {{"store %", 2}, {"const i64 12", 1}, {"load", 0}}},
    /* a vector compare is -1 or 0 per lane; a vector ?: selects on the
     * sign bit */
    {"__kernel void k(__global float2 *p, __global int2 *q) { q[0] = "
     "p[0] < p[1] ? q[1] : q[2]; }",
     {{"fcmp.olt", 2}, {"sext i32", 2}, {"icmp.slt", 2}, {"select", 2}}},
    /* a scalar ?: on vectors runs one side, lanes through slots */
    {"__kernel void k(__global float2 *p, int c) { p[0] = c ? p[1] : "
     "(float2)(0.0f); }",
     {{"if ", 1}, {"sts s", 4}, {"lds f32", 2}}},
    /* vload4 / vstore2: elements at offset * N */
    {"__kernel void k(__global float *p) { vstore2(vload4(1, p).lo, 3, "
     "p); }",
     {{"const i64 16", 1},
      {"const i64 8", 2},
      {"load f32", 4},
      {"store %", 2}}},
    /* a helper returning float4 writes it through a pointer first */
    {"float4 f(float4 a) { return a.wzyx; }\n"
     "__kernel void k(__global float4 *p) { p[0] = f(p[1]); }",
     {{"func void @0 f(ptr.private %0 ret, f32 %1 a.s0, f32 %2 a.s1, f32 "
       "%3 a.s2, f32 %4 a.s3)",
       1},
      {"call void @0(", 1}}},
    /* a kernel's vector parameter is its lanes, named NAME.sN */
    {"__kernel void k(__global int8 *p, int8 v) { p[0] = v; }",
     {{"i32 %1 v.s0, i32 %2 v.s1", 1}, {"i32 %8 v.s7)", 1}, {"store %", 16}}},
    /* as_T through a private slot: stored as one type, loaded as the
     * other */
    {"__kernel void k(__global int *q, float f) { q[0] = as_int(f); }",
     {{"store %", 2}, {"load i32", 1}, {"slot s0", 1}}},
    /* rounding to -inf to an integer: floor, then the saturating
     * conversion */
    {"__kernel void k(__global int *q, float f) { q[0] = "
     "convert_int_rtn(f); }",
     {{"intrin f32 floor(%1)", 1}, {"fptosi.sat i32", 1}}},
    /* _sat between integers: clamped in 64 bits */
    {"__kernel void k(__global uchar *q, int x) { q[0] = "
     "convert_uchar_sat(x); }",
     {{"icmp.slt", 1}, {"icmp.sgt", 1}, {"const i64 255", 1}, {"trunc i8", 1}}},
    /* int to float toward zero: rounded, then one step back when the
     * nearest was past the exact value */
    {"__kernel void k(__global float *q, int x) { q[0] = "
     "convert_float_rtz(x); }",
     {{"sitofp f32", 1}, {"sitofp f64", 1}, {"fcmp.ogt", 2}, {"add i32", 1}}},
    /* popcount by halving sums */
    {"__kernel void k(__global int *q) { q[0] = popcount(q[1]); }",
     {{"const i64 6148914691236517205", 1},
      {"const i64 72340172838076673", 1}}},
    /* integer min is a compare and a select; float min an intrinsic */
    {"__kernel void k(__global int *q, __global float *f) { q[0] = "
     "min(q[1], 2); f[0] = min(f[1], 2.0f); }",
     {{"icmp.slt", 1}, {"select i32", 1}, {"intrin f32 min(", 1}}},
    /* dot product of float4: a fmul, 3 mads (the spec lets geometric
     * functions contract) */
    {"__kernel void k(__global float4 *p, __global float *f) { f[0] = "
     "dot(p[0], p[1]); }",
     {{"fmul f32", 1}, {"intrin f32 mad(", 3}, {"fadd f32", 0}}},
    /* FP_CONTRACT on by default: a * b + c in one expression is a mad,
     * c - a * b one of -a; a product through a variable is not */
    {"__kernel void k(__global float *q) { q[0] = q[1] * q[2] + q[3]; "
     "q[4] = q[3] - q[1] * q[2]; float t = q[1] * q[2]; q[5] = t + q[3]; "
     "}",
     {{"intrin f32 mad(", 2}, {"fneg f32", 1}, {"fadd f32", 1}}},
    /* compound assignment and vectors, lane by lane */
    {"__kernel void k(__global float4 *q, float s) { q[0] += q[1] * s; }",
     {{"intrin f32 mad(", 4}, {"fadd", 0}, {"fmul", 4}}},
    /* OFF for the source that follows: two roundings */
    {"#pragma OPENCL FP_CONTRACT OFF\n"
     "__kernel void k(__global float *q) { q[0] = q[1] * q[2] - q[3]; }",
     {{"intrin f32 mad(", 0}, {"fsub f32", 1}}},
    /* OFF inside a block lasts to its end; DEFAULT is ON */
    {"__kernel void k(__global double *q) {\n"
     "{\n#pragma OPENCL FP_CONTRACT OFF\n q[0] = q[1] * q[2] - q[3]; }\n"
     "q[4] = q[1] * q[2] - q[3];\n"
     "#pragma OPENCL FP_CONTRACT OFF\nq[5] = q[1] * q[2] + q[3];\n"
     "#pragma OPENCL FP_CONTRACT DEFAULT\nq[6] = q[1] * q[2] + q[3]; }",
     {{"intrin f64 mad(", 2}, {"fsub f64", 1}, {"fadd f64", 1}}},
    /* the fences are no instruction */
    {"__kernel void k(__global int *q) { mem_fence(CLK_GLOBAL_MEM_FENCE); "
     "read_mem_fence(CLK_LOCAL_MEM_FENCE); "
     "write_mem_fence(CLK_GLOBAL_MEM_FENCE); q[0] = 1; }",
     {{"barrier", 0}, {"store %", 1}}},
    /* struct members at their byte offsets */
    {"struct s { char c; float f; int a[2]; };\n"
     "__kernel void k(__global struct s *p) { p[1].a[1] = 5; p->f = "
     "1.0f; }",
     {{"const i64 16", 1}, {"const i64 8", 1}, {"const i64 4", 2}}},
    /* & of a scalar puts it in memory */
    {"void inc(int *x) { *x += 1; }\n"
     "__kernel void k(__global int *q) { int n = q[0]; inc(&n); q[1] = "
     "n; }",
     {{"slot s0", 3}, {"call void @0(", 1}, {"lds", 0}}},
    /* an initializer list zeroes the rest */
    {"__kernel void k(__global int *q) { int t[3] = {7}; q[0] = t[2]; }",
     {{"const i32 0", 2}, {"const i32 7", 1}, {"store %", 5}}},
};

START_TEST(shapes_of_ir)
{
	const struct shape *s = &shapes[_i];
	struct cc_lowered r;
	lowers(s->src, strlen(s->src), s->src, &r);
	for (size_t k = 0; k < 4 && s->has[k].text; k++)
		ck_assert_msg(count(r.text, s->has[k].text) == s->has[k].times,
			      "%s\n'%s' %zu times, wanted %zu:\n%s", s->src,
			      s->has[k].text, count(r.text, s->has[k].text),
			      s->has[k].times, r.text);
	cc_round_trip(&r);
	cc_unlower(&r);
}
END_TEST

/* The deepest vector expression the type checker takes lowers on the
 * stack the scalar one needs (the lowering recurses along the tree). */
static void *deep_vector(void *arg)
{
	(void)arg;
	enum { N = 1000 };
	char *src = malloc(N * 8 + 128);
	ck_assert(src);
	size_t n = (size_t)sprintf(src, "__kernel void k(__global float16 *q) "
					"{ q[0] = q[1]");
	for (int k = 0; k < N; k++)
		n += (size_t)sprintf(src + n, " * q[2]");
	sprintf(src + n, "; }");
	struct cc_lowered r;
	lowers(src, strlen(src), "deep", &r);
	cc_unlower(&r);
	/* built-ins nested as deep as the parser's nesting allows */
	enum { CALLS = 120 };
	n = (size_t)sprintf(src, "__kernel void k(__global float16 *q) "
				 "{ q[0] = ");
	for (int k = 0; k < CALLS; k++)
		n += (size_t)sprintf(src + n, "min(");
	n += (size_t)sprintf(src + n, "q[1]");
	for (int k = 0; k < CALLS; k++)
		n += (size_t)sprintf(src + n, ", q[2])");
	sprintf(src + n, "; }");
	lowers(src, strlen(src), "deep calls", &r);
	cc_unlower(&r);
	free(src);
	return NULL;
}

START_TEST(deep_vector_expression)
{
	cc_on_stack(deep_vector, 512 * 1024);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lower");
	TCase *tc = tcase_create("lower");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kernels);
	tcase_add_test(tc, deep_vector_expression);
	tcase_add_loop_test(tc, shapes_of_ir, 0,
			    (int)(sizeof(shapes) / sizeof(*shapes)));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
