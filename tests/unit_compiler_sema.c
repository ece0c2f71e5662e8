/*
 * The OpenCL C type checker: the test kernels check clean, each language
 * item of issue 12 is accepted and typed as OpenCL C defines it, each
 * construct left out or misuse is an error naming it, several errors come
 * from one run, kernels' pointer parameters say whether the kernel may
 * store through them, and deep or long input is an error, not a crash.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpucl/sema.h>

#include "compiler_check.h"

/* The source must check without a diagnostic. */
static void ok(const char *src)
{
	struct cc_lowered r;
	cc_check(&r, src, strlen(src));
	ck_assert_msg(r.d.n == 0, "%s\n%s", src, r.diags);
	cc_unlower(&r);
}

/* The source must fail with `want` in its diagnostics. */
static void bad(const char *src, const char *want)
{
	struct cc_lowered r;
	cc_check(&r, src, strlen(src));
	ck_assert_msg(r.d.errors && strstr(r.diags, want),
		      "%s\nwanted: %s\ngot:\n%s", src, want, r.diags);
	cc_unlower(&r);
}

/* A statement list inside a kernel with the usual parameters. */
#define K(body)                                                                \
	"__kernel void k(__global float *g, __global const float *cg, "        \
	"__global int *gi, __local float *l, __constant float *c, int n, "     \
	"float f) { " body " }"

/* Compile-time truths: an array of size -1 is an error. */
#define TRUE(cond) "typedef int t_[(" cond ") ? 1 : -1];"

START_TEST(kernels)
{
	const char *names[] = {"saxpy.cl", "matmul_tiled.cl", "reduce.cl",
			       "vector_ops.cl"};
	/* Which pointer parameters each kernel stores through. */
	const char *stores[] = {"y", "C", "out scratch", "p"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		size_t len;
		char *src = cc_read_kernel(names[i], &len);
		ck_assert_msg(src, "%s", names[i]);
		struct cc_lowered r;
		cc_check(&r, src, len);
		ck_assert_msg(r.d.n == 0, "%s:\n%s", names[i], r.diags);
		ck_assert_uint_eq(r.prog->nkernels, 1);
		char got[256] = "";
		const struct vcl_kernel *k = &r.prog->kernels[0];
		for (uint32_t j = 0; j < k->nparams; j++)
			if (k->params[j].may_store)
				snprintf(got + strlen(got),
					 sizeof(got) - strlen(got), "%s%.*s",
					 got[0] ? " " : "",
					 (int)k->params[j].name_len,
					 k->params[j].name);
		ck_assert_str_eq(got, stores[i]);
		cc_unlower(&r);
		free(src);
	}
}
END_TEST

START_TEST(types_and_sizes)
{
	ok(TRUE(
	    "sizeof(char) == 1 && sizeof(uchar) == 1 && sizeof(bool) == 1"));
	ok(TRUE("sizeof(short) == 2 && sizeof(ushort) == 2"));
	ok(TRUE("sizeof(int) == 4 && sizeof(uint) == 4 && sizeof(float) == 4"));
	ok(TRUE("sizeof(long) == 8 && sizeof(ulong) == 8 && "
		"sizeof(double) == 8"));
	ok(TRUE("sizeof(size_t) == 8 && sizeof(ptrdiff_t) == 8"));
	ok(TRUE("sizeof(__global float *) == 8"));
	/* 3-component vectors are sized as 4. */
	ok(TRUE("sizeof(float2) == 8 && sizeof(float3) == 16 && "
		"sizeof(float4) == 16 && sizeof(float8) == 32 && "
		"sizeof(float16) == 64"));
	ok(TRUE("sizeof(char3) == 4 && sizeof(double3) == 32 && "
		"sizeof(uchar16) == 16"));
	ok(TRUE("vec_step(float3) == 4 && vec_step(int) == 1 && "
		"vec_step(uchar16) == 16"));
	/* Struct layout: members aligned, size rounded to the alignment. */
	ok("struct s { char c; float4 v; short h; };" TRUE(
	    "sizeof(struct s) == 48"));
	ok("union u { char c[3]; int i; };" TRUE("sizeof(union u) == 4"));
	ok("typedef int row[4];" TRUE("sizeof(row[2]) == 32"));
	/* Unsuffixed floating literals are double; integer literals as C. */
	ok(TRUE("sizeof(0.5) == 8 && sizeof(0.5f) == 4"));
	ok(TRUE("sizeof(1) == 4 && sizeof(1u) == 4 && sizeof(1l) == 8 && "
		"sizeof(0xffffffff) == 4 && sizeof(4294967296) == 8"));
	ok(TRUE("sizeof('a') == 4"));
	/* Usual arithmetic conversions. */
	ok(TRUE("sizeof(1 + 1.0f) == 4 && sizeof(1.0f + 1.0) == 8 && "
		"sizeof((char)1 + (char)1) == 4 && sizeof(1u + 1l) == 8"));
	ok(TRUE("(uint)-1 > 0 && -1 < 0 && (1u - 2u) > 0"));
	ok(TRUE("sizeof((float4)(1.0f) * 2.0f) == 16 && "
		"sizeof((int4)(1) < (int4)(2)) == 16"));
	ok(TRUE("sizeof((double2)(1.0) < (double2)(2.0)) == 16"));
}
END_TEST

START_TEST(declarations)
{
	ok("typedef float real; typedef struct { real x, y; } pt;" K(
	    "pt p = {1.0f, 2.0f}; real r = p.x + p.y; g[0] = r;"));
	ok("struct s { int a; float b[2]; };"
	   "__kernel void k(__global struct s *p) { struct s t = p[0]; "
	   "t.b[1] = 1.0f; p[1] = t; p->a = 3; }");
	ok("enum color { RED, GREEN = 5, BLUE };" TRUE("BLUE == 6 && RED == 0")
	       K("enum color e = GREEN; gi[0] = e;"));
	ok(K("const int x = 3; volatile int y = x; y++;"));
	ok("__kernel void k(__global float *restrict a, "
	   "__global const float *restrict b) { a[0] = b[0]; }");
	ok("inline float sq(float x) { return x * x; }"
	   "static float cube(float x) { return sq(x) * x; }" K(
	       "g[0] = cube(f);"));
	ok("float later(float x);" K(
	    "g[0] = later(f);") "float later(float x) { return x; }");
	ok("__constant float table[3] = {1.0f, 2.0f, 3.0f};" K(
	    "g[0] = table[n];"));
	ok("constant int sizes[] = {1, 2, 3};" TRUE("1")
	       K("gi[0] = sizes[2];"));
	ok(K("float a[4] = {1, 2, 3, 4}; int b[] = {[3] = 1}; g[0] = a[n] + "
	     "b[3];"));
	/* Brace elision: the flat lists fill the nested elements. */
	ok("struct p { int a; float b[2]; };" K(
	    "float m[2][2] = {1, 2, 3, 4}; int a[][2] = {1, 2, 3, 4, 5};"
	    "struct p q[2] = {1, 2.0f, 3.0f, {4, {5.0f, 6.0f}}};"
	    "int chk[sizeof(a) == 24 && sizeof(q) == 24 ? 1 : -1];"
	    "g[0] = m[1][0] + a[2][0] + q[1].b[1];"));
	bad(K("float m[2][2] = {1, 2, 3, 4, 5};"), "too many initializers");
	ok(K("__local float tile[16][16]; tile[1][2] = 0.0f;"
	     "barrier(CLK_LOCAL_MEM_FENCE); g[0] = tile[2][1];"));
	ok("__kernel __attribute__((reqd_work_group_size(8, 4, 1))) void "
	   "k(__global int *p) { p[0] = 1; }");
}
END_TEST

START_TEST(vectors)
{
	ok(K("float4 v = (float4)(1.0f, 2.0f, 3.0f, 4.0f);"
	     "float2 a = v.xy, b = v.zw; float s = v.x + v.w;"
	     "v.xy = v.yx; v.s0 = 1.0f; v.s3210 = v; g[0] = a.x + b.y + s;"));
	ok(K("float16 w = (float16)(0.0f); w.sF = w.s0 + w.sa + w.SA;"
	     "float8 lo = w.lo, hi = w.hi, ev = w.even, od = w.odd;"
	     "g[0] = lo.s7 + hi.s0 + ev.s1 + od.s2;"));
	ok(K("float3 t = (float3)(1.0f, 2.0f, 3.0f); float2 h = t.hi;"
	     "float4 q = (float4)(t, 1.0f); float4 r = (float4)(t.xy, "
	     "h); g[0] = q.w + r.z;"));
	ok(K("int4 i = (int4)(1, 2, 3, 4); uint4 u = as_uint4(i);"
	     "float4 fv = convert_float4(i); char4 ch = convert_char4_sat(i);"
	     "int4 r = convert_int4_rtz(fv); uchar4 s = "
	     "convert_uchar4_sat_rte(fv);"
	     "gi[0] = r.x + ch.y + (int)u.z + s.w;"));
	ok(K("float4 v = vload4(n, cg); vstore4(v * 2.0f, 1, g);"
	     "float3 t = vload3(0, c); vstore3(t, 0, l);"));
	ok(K("int4 a = (int4)(1), b = a + 1; int4 m = a < b; "
	     "int4 s = a << 2; int4 x = ~a ^ b; int4 y = -a;"
	     "gi[0] = any(m) + all(s) + x.x + y.y;"));
	ok(K("float4 a = (float4)(1.0f), b = a * 0.5f + 2;"
	     "int4 sel = a > b; float4 cv = sel ? a : b; g[0] = cv.x;"));
	ok(K("double2 d = (double2)(0.5, 1.5); double e = d.x * 0.5;"
	     "g[0] = (float)e;"));
	ok(K("ulong bits = as_ulong(1.0); uint w = as_uint(f); gi[0] = "
	     "(int)(bits >> 3) + (int)w;"));
	ok(K("float h = vload_half(0, (__global half *)g); "
	     "vstore_half_rte(h, 0, (__global half *)g);"));
	ok(K("int s = vec_step(float3) + vec_step((float8)(0.0f));"
	     "gi[0] = s;"));
}
END_TEST

START_TEST(pointers_and_statements)
{
	ok(K("__global float *p = g + n; p += 2; p--; ptrdiff_t d = p - g;"
	     "*p = 1.0f; p[1] = (float)d; __global float *q = &g[3];"
	     "*q += 1.0f; if (p && q != 0 && p > q) g[0] = 0.0f;"));
	ok(K("__local float *lp = l + 1; lp[0] = g[0]; const __global float "
	     "*r = cg; g[1] = *r;"));
	ok(K("float priv[8]; for (int i = 0; i < 8; i++) priv[i] = i;"
	     "float *pp = priv; g[0] = pp[3] + *(priv + 2);"));
	ok(K("int i = 0, s = 0; while (i < n) { if (i == 3) { i++; continue; }"
	     " s += i++; if (s > 100) break; } do { s--; } while (s > 0);"
	     "switch (n) { case 0: s = 1; break; case 1: case 2: s = 2; "
	     "break; default: s = 3; } gi[0] = s, gi[1] = s ? 1 : 2;"));
	ok(K("int a = n; a *= 2; a /= 3; a %= 5; a <<= 1; a >>= 1; a &= 7; "
	     "a |= 8; a ^= 1; a += !a; a -= ~a; gi[0] = a && n || !f;"));
	ok(K("uint u = 3; u = u > 1 ? u : 1u; gi[0] = (int)u + sizeof(u);"));
	ok("int helper(__global int *p, int i) { return p[i]; }" K(
	    "gi[0] = helper(gi, 1);"));
}
END_TEST

START_TEST(builtins)
{
	ok(K("size_t a = get_global_id(0) + get_local_id(1) + get_group_id(2) "
	     "+ get_global_size(0) + get_local_size(0) + get_num_groups(0) + "
	     "get_global_offset(0) + get_work_dim(); gi[0] = (int)a;"
	     "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);"
	     "mem_fence(CLK_GLOBAL_MEM_FENCE);"));
	ok(K("float x = f; x = sqrt(x) + rsqrt(x) + cbrt(x) + exp(x) + "
	     "exp2(x) + exp10(x) + expm1(x) + log(x) + log2(x) + log10(x) + "
	     "log1p(x) + pow(x, x) + pown(x, 2) + powr(x, x) + sin(x) + "
	     "cos(x) + tan(x) + asin(x) + acos(x) + atan(x) + atan2(x, x) + "
	     "sinh(x) + cosh(x) + tanh(x) + hypot(x, x) + fma(x, x, x) + "
	     "mad(x, x, x) + fabs(x) + fmin(x, x) + fmax(x, x) + fmod(x, x) "
	     "+ floor(x) + ceil(x) + round(x) + trunc(x) + rint(x) + "
	     "copysign(x, x); g[0] = x;"));
	ok(K("float x = native_sin(f) + native_cos(f) + native_exp(f) + "
	     "native_sqrt(f) + native_divide(f, 2.0f) + half_exp(f) + "
	     "half_log(f) + half_sqrt(f) + half_divide(f, 3.0f); g[0] = x;"));
	ok(K("float4 v = (float4)(f); v = fmin(v, 1.0f) + fmax(v, v) + "
	     "clamp(v, 0.0f, 1.0f) + mix(v, v, 0.5f) + step(0.5f, v) + "
	     "smoothstep(0.0f, 1.0f, v) + sign(v) + min(v, v) + max(v, 2.0f);"
	     "g[0] = v.x;"));
	ok(K("int i = n; uint u = abs(i) + abs_diff(i, 3) + popcount(i) + "
	     "clz(i) + rotate((uint)i, 3u) + mul24(i, i) + mad24(i, i, i) + "
	     "min(i, 3) + max(i, 4) + clamp(i, 0, 9); gi[0] = (int)u;"));
	ok(K("float4 a = (float4)(1.0f), b = a; float d = dot(a, b) + "
	     "length(a) + distance(a, b); float4 cr = cross(a, b) + "
	     "normalize(a); float3 t = cross(a.xyz, b.xyz); g[0] = d + cr.x + "
	     "t.y;"));
	ok(K("float4 a = (float4)(f); int4 m = isnan(a) | isinf(a) | "
	     "isfinite(a); int s = isnan(f) + any(m) + all(m); "
	     "float4 b = select(a, a, m); double dd = 1.0; long2 dl = "
	     "isnan((double2)(dd)); g[0] = b.x + s + (float)dl.x;"));
	ok(K("int old = atomic_add(gi, 1) + atomic_sub(gi, 1) + atomic_xchg(gi,"
	     " 2) + atomic_inc(gi) + atomic_dec(gi) + atomic_cmpxchg(gi, 1, 2) "
	     "+ atomic_min(gi, 0) + atomic_max(gi, 0) + atomic_and(gi, 1) + "
	     "atomic_or(gi, 1) + atomic_xor(gi, 1) + atom_add(gi, 1);"
	     "__local int li[4]; atomic_add(&li[0], old);"
	     "float fo = atomic_xchg(g, 1.0f); g[0] = fo;"));
	ok(K("float x = MAXFLOAT + HUGE_VALF + INFINITY; g[0] = isnan(NAN) ? "
	     "x : 0.0f;"));
}
END_TEST

START_TEST(unsupported)
{
	bad(K("printf(\"%d\", n);"), "printf is not supported");
	bad("__kernel void k(image2d_t img) {}", "images are not supported");
	bad("__kernel void k(__read_only image2d_t img, sampler_t s) {}",
	    "images are not supported");
	bad(K("sampler_t s;"), "samplers are not supported");
	bad(K("float4 v = read_imagef(0, 0, 0);"), "images are not supported");
	bad(K("enqueue_kernel(0, 0, 0);"),
	    "device-side enqueue is not supported");
	bad(K("read_pipe(0, 0);"), "pipes are not supported");
	bad(K("async_work_group_copy(l, g, 4, 0);"),
	    "async copies are not supported");
	bad(K("half h = 1.0f;"), "half arithmetic is not supported");
	bad("__kernel void k(__global half *p) { float x = p[0] + 1.0f; }",
	    "half arithmetic is not supported");
	bad(K("goto end;"), "'goto' is not supported");
	bad("int f(int n) { return n ? f(n - 1) : 0; }" K("gi[0] = f(n);"),
	    "recursion is not supported: 'f' calls itself");
	bad("int g2(int n); int f1(int n) { return g2(n); }"
	    "int g2(int n) { return f1(n); }" K("gi[0] = f1(n);"),
	    "recursion is not supported: 'f1' calls 'g2', which leads back");
	bad("int h(int (*fp)(int));", "function pointers are not supported");
	bad("int v(int n, ...);", "variadic functions are not supported");
	bad(K("int x = atomic_fetch_add(gi, 1);"),
	    "OpenCL C 2.0 atomics are not supported");
	bad(K("static int s;"), "'static' variables are not supported");
}
END_TEST

START_TEST(address_spaces)
{
	bad(K("c[0] = 1.0f;"), "stores to __constant memory");
	bad(K("cg[0] = 1.0f;"), "stores to a const object");
	bad(K("__local float *p = g;"), "point to different address spaces");
	bad(K("__global float *p = l;"), "point to different address spaces");
	bad(K("__global float *p = cg;"), "discards the 'const' qualifier");
	bad(K("__global float *p = c;"), "different address spaces");
	bad(K("__global float *p = (__global float *)l;"),
	    "a pointer keeps its address space");
	bad(K("__global float *p = (__global float *)n;"),
	    "a pointer cannot be made from an integer");
	bad(K("vstore4((float4)(0.0f), 0, c);"), "which is read-only");
	bad(K("atomic_add((__constant int *)c, 1);"),
	    "no form of 'atomic_add'");
	bad("__kernel void k(float *p) {}",
	    "pointer parameter 'p' of a kernel must point to __global, "
	    "__constant or __local memory");
	bad("__kernel void k(__private int *p) {}", "must point to __global");
	bad("__kernel void k(__global int *__global *p) {}",
	    "cannot point to a pointer");
	bad("__kernel void k(__global int x) {}",
	    "kernel parameter 'x' cannot be __global");
	bad("__kernel void k(bool b) {}", "cannot be a bool");
	bad("struct s { __global int *p; };"
	    "__kernel void k(struct s v) {}",
	    "is a struct holding pointers");
	bad("__kernel int k(void) { return 1; }", "must return void");
	bad("void f(void) { __local int x[4]; }",
	    "__local variable 'x' outside a kernel");
	bad(K("__local int x = 1;"), "cannot be initialized");
	bad(K("__global int x;"), "variable 'x' cannot be __global");
	ok(K("__constant float w[2] = {1.0f, 2.0f}; g[0] = w[n & 1];"));
	bad(K("__constant float w[2];"), "needs an initializer");
	bad(K("__constant int w = n;"), "is not a constant expression");
	bad("void f(void) { __constant int w = 1; }",
	    "variable 'w' cannot be __constant here");
	bad("int counter;", "program-scope variable 'counter' must be "
			    "__constant");
	bad("__constant int z;", "needs an initializer");
	bad(K("float big[20000];"), "more than the limit of 65536 per "
				    "work-item");
	bad(K("__local float a[10000]; __local float b[10000];"),
	    "__local variables take 80000 bytes");
	bad(K("float huge[1ul << 40];"), "is too large");
}
END_TEST

START_TEST(type_errors)
{
	bad(K("gi[0] = undeclared;"),
	    "use of undeclared identifier 'undeclared'");
	bad(K("gi[0] = nothing(1);"), "call to undeclared function 'nothing'");
	bad("int fn(int a);" K("gi[0] = fn(1, 2);"),
	    "'fn' takes 1 arguments, not 2");
	bad("int fn(int a);" K("gi[0] = fn(1);"),
	    "'fn' is called but never defined");
	bad(K("gi[0] = f(1);"), "'f' is not a function");
	bad(K("float4 a = (float4)(1.0f); int4 b = (int4)(1); a = a + b;"),
	    "operands of different vector types 'float4' and 'int4'");
	bad(K("int4 b = (int4)(1); b = b * 1.5f;"),
	    "the scalar's type ranks higher");
	bad(K("float4 a = (float4)(1.0f); int4 b = a;"), "use convert_int4");
	bad(K("float4 a = (float4)(1.0f); float x = a.q;"),
	    "'q' is not a component of 'float4'");
	bad(K("float2 a = (float2)(1.0f); float x = a.z;"),
	    "'z' is not a component of 'float2'");
	bad(K("float4 a = (float4)(1.0f); a.xx = (float2)(1.0f);"),
	    "assignment needs an lvalue");
	bad(K("float4 a = (float4)(1.0f, 2.0f, 3.0f);"),
	    "a 'float4' literal with 3 components");
	bad(K("float4 a = (float4)(1.0f); if (a) n++;"),
	    "use any() or all() on a vector");
	bad(K("float x = f % 2.0f;"), "'%' needs integer operands");
	bad(K("break;"), "'break' outside a loop or switch");
	bad(K("continue;"), "'continue' outside a loop");
	bad(K("switch (n) { case 1: case 1: break; }"),
	    "duplicate case value 1");
	bad(K("switch (n) { case n: break; }"),
	    "expected an integer constant expression");
	bad("int f(void) { return; }", "'return' without a value in 'f'");
	bad("void f(void) { return 1; }", "'f' returns void but 'return' has "
					  "a value");
	bad(K("int x; int x;"), "'x' is already declared in this scope");
	bad(K("n = 1; const int y = 2; y = 3;"), "stores to a const object");
	bad(K("int a[2]; int b[2]; a = b;"), "to an array");
	bad(K("float x = sqrt(2);"), "call to 'sqrt' (int) is ambiguous");
	bad(K("float x = sqrt(f, f);"), "no form of 'sqrt' takes 2 arguments");
	bad(K("float x = dot(gi, gi);"), "no form of 'dot' takes");
	bad(K("float x = convert_foo(f);"), "unknown conversion 'convert_foo'");
	bad(K("int4 x = as_int4(f);"), "the sizes differ");
	bad(K("struct nope *p; p->x = 1;"), "has no members");
	bad("struct s { int a; };" K("struct s v; v.b = 1;"),
	    "'struct s' has no member 'b'");
	bad(K("int a[-1];"), "array size -1 is not positive");
	bad(K("unknown_t x;"), "expected");
	bad(K("float4 v; float x = v[1];"), "select components with .s0");
	bad(K("int x = \"str\";"), "string literals are not supported");
}
END_TEST

START_TEST(barriers)
{
	bad(K("if (get_local_id(0) < 4) barrier(CLK_LOCAL_MEM_FENCE);"),
	    "barrier() where work-items may diverge");
	bad(K("size_t lid = get_local_id(0); int half_ = lid / 2;"
	      "while (half_ > 0) { barrier(CLK_LOCAL_MEM_FENCE); half_--; }"),
	    "barrier() where work-items may diverge");
	bad(K("if (get_global_id(0) >= n) return;"
	      "barrier(CLK_GLOBAL_MEM_FENCE);"),
	    "barrier() where work-items may diverge");
	bad("void sync(void) { barrier(CLK_LOCAL_MEM_FENCE); }" K(
		"if (gi[get_local_id(0)]) sync();"),
	    "'sync' calls barrier() and is called where work-items may "
	    "diverge");
	bad(K("int i = 0; while (i < 4) { barrier(CLK_LOCAL_MEM_FENCE); "
	      "i = get_local_id(0); }"),
	    "barrier() where work-items may diverge");
	/* A variable reused after holding the id, a __local flag written by
	 * one work-item and read after a barrier: uniform. */
	ok(K("int i; for (i = get_local_id(0); i < n; i += 8) g[i] = 0.0f;"
	     "for (i = 0; i < 4; i++) barrier(CLK_LOCAL_MEM_FENCE);"));
	ok(K("__local int flag; if (get_local_id(0) == 0) flag = gi[0];"
	     "barrier(CLK_LOCAL_MEM_FENCE); if (flag) "
	     "barrier(CLK_LOCAL_MEM_FENCE);"));
	/* Uniform conditions and loops are fine. */
	ok(K("for (int i = 0; i < n; i++) { barrier(CLK_LOCAL_MEM_FENCE); }"
	     "if (get_group_id(0) == 0) barrier(CLK_LOCAL_MEM_FENCE);"
	     "for (uint s = get_local_size(0) / 2; s > 0; s >>= 1) {"
	     " if (get_local_id(0) < s) l[0] += 1.0f;"
	     " barrier(CLK_LOCAL_MEM_FENCE); }"));
}
END_TEST

/* Which pointer parameters of kernel `k` the kernel may store through. */
static void expect_stores(const char *src, const char *want)
{
	struct cc_lowered r;
	cc_check(&r, src, strlen(src));
	ck_assert_msg(r.d.n == 0, "%s\n%s", src, r.diags);
	const struct vcl_kernel *k = &r.prog->kernels[r.prog->nkernels - 1];
	char got[256] = "";
	for (uint32_t j = 0; j < k->nparams; j++)
		if (k->params[j].may_store)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
				 "%s%.*s", got[0] ? " " : "",
				 (int)k->params[j].name_len, k->params[j].name);
	ck_assert_msg(!strcmp(got, want), "%s\nwanted '%s', got '%s'", src,
		      want, got);
	cc_unlower(&r);
}

START_TEST(stores_through_params)
{
	const char *params = "__kernel void k(__global float *a, __global "
			     "float *b, __global int *c, __local float *d)";
	char src[1024];
#define STORES(pre, body, want)                                                \
	snprintf(src, sizeof(src), "%s%s { %s }", pre, params, body);          \
	expect_stores(src, want)
	STORES("", "float x = a[0] + b[1] + d[2];", "");
	/* A pointer loaded from memory may be any of them... */
	STORES("",
	       "__global float *p = *(__global float *__global *)c; "
	       "p[0] = 1.0f;",
	       "a b c d");
	/* ...but one to __constant, which nothing can store through. */
	expect_stores("__kernel void k(__global int *i, __constant float *c) "
		      "{ __global float *p = *(__global float *__global *)i; "
		      "p[0] = 1.0f; }",
		      "i");
	STORES("", "a[0] = b[0];", "a");
	STORES("", "__global float *p = b + 1; p[2] = 0.0f;", "b");
	STORES("", "__global float *p = a; p = b; *p = 1.0f;", "a b");
	STORES("", "atomic_inc(c);", "c");
	STORES("", "vstore2((float2)(0.0f), 0, b); float4 v = vload4(0, a);",
	       "b");
	STORES("void put(__global float *p, float v) { *p = v; }",
	       "put(b, a[0]);", "b");
	STORES("__global float *pick(__global float *p, __global float *q) "
	       "{ return q; }",
	       "*pick(a, b) = 1.0f;", "b");
	STORES("", "ulong bits = (ulong)a;", "a");
	STORES("", "__global float *ps[2] = {a, b}; float x = ps[1][0];", "");
	STORES("", "d[0] = 1.0f; a++; ++b;", "d");
	STORES("", "float4 v = (float4)(0.0f); *(__global float4 *)a = v;",
	       "a");
#undef STORES
}
END_TEST

/* The typed tree of an expression: (op:type operands), conversions as
 * (arith:T x), (splat:T x), (decay:T x)... */
static void typed(const struct vcl_node *n, char *buf, size_t cap)
{
	static const char *const convs[] = {"",	    "arith", "splat",  "decay",
					    "null", "ptr",   "ptrbool"};
	char ty[128] = "?";
	if (n->ty)
		vcl_ty_format(n->ty, ty, sizeof(ty));
	size_t len = strlen(buf);
	switch (n->kind) {
	case VCL_N_IDENT:
		snprintf(buf + len, cap - len, "%.*s:%s", (int)n->name_len,
			 n->name, ty);
		return;
	case VCL_N_INT:
	case VCL_N_FLOAT:
		snprintf(buf + len, cap - len, "%.*s:%s", (int)n->lit.len,
			 n->lit.text, ty);
		return;
	case VCL_N_CONVERT:
		snprintf(buf + len, cap - len, "(%s:%s ", convs[n->info], ty);
		break;
	case VCL_N_CALL:
		snprintf(buf + len, cap - len, "(%.*s:%s", (int)n->a->name_len,
			 n->a->name, ty);
		for (const struct vcl_node *a = n->list; a; a = a->next) {
			strcat(buf, " ");
			typed(a, buf, cap);
		}
		strcat(buf, ")");
		return;
	case VCL_N_MEMBER:
		typed(n->a, buf, cap);
		len = strlen(buf);
		snprintf(buf + len, cap - len, ".%.*s", (int)n->name_len,
			 n->name);
		if (n->a->ty->kind == VCL_TY_VECTOR) {
			strcat(buf, "[");
			for (uint32_t i = 0; i < n->info; i++)
				snprintf(buf + strlen(buf), cap - strlen(buf),
					 "%x", vcl_swizzle_at(n, i));
			strcat(buf, "]");
		}
		len = strlen(buf);
		snprintf(buf + len, cap - len, ":%s", ty);
		return;
	case VCL_N_INDEX:
		snprintf(buf + len, cap - len, "([]:%s ", ty);
		break;
	default:
		snprintf(buf + len, cap - len, "(%s:%s ",
			 n->op ? vcl_tok_spelling(n->op) : "?", ty);
	}
	const struct vcl_node *kids[] = {n->a, n->b, n->c};
	bool first = true;
	for (int i = 0; i < 3; i++)
		if (kids[i]) {
			if (!first)
				strcat(buf, " ");
			typed(kids[i], buf, cap);
			first = false;
		}
	strcat(buf, ")");
}

/* The typed tree of the last statement of kernel k's body. */
static void expect_typed(const char *src, const char *want)
{
	struct cc_lowered r;
	cc_check(&r, src, strlen(src));
	ck_assert_msg(r.d.n == 0, "%s\n%s", src, r.diags);
	const struct vcl_node *body = r.prog->kernels[0].sym->decl->b;
	const struct vcl_node *last = body->list;
	while (last->next)
		last = last->next;
	char buf[2048] = "";
	typed(last->a, buf, sizeof(buf));
	ck_assert_msg(!strcmp(buf, want), "%s\nwanted %s\ngot    %s", src, want,
		      buf);
	cc_unlower(&r);
}

START_TEST(typed_tree)
{
	/* saxpy: the index widened to 64 bits, float arithmetic. */
	expect_typed(K("size_t i = get_global_id(0); g[i] = f * cg[i] + g[i];"),
		     "(=:float ([]:__global float g:__global float * i:ulong) "
		     "(+:float (*:float f:float "
		     "([]:__global const float cg:__global const float * "
		     "i:ulong)) ([]:__global float g:__global float * "
		     "i:ulong)))");
	/* 0.5 is a double: the float operand is converted, then back. */
	expect_typed(K("f = f * 0.5;"),
		     "(=:float f:float (arith:float (*:double (arith:double "
		     "f:float) 0.5:double)))");
	/* A scalar with a vector: converted to the element, splat. */
	expect_typed(K("float4 v; v = v * 2;"),
		     "(=:float4 v:float4 (*:float4 v:float4 (splat:float4 "
		     "(arith:float 2:int))))");
	/* The usual arithmetic conversion (promotion folded in). */
	expect_typed(K("uchar a = 1; uint b = 2; b = a + b;"),
		     "(=:uint b:uint (+:uint (arith:uint a:uchar) b:uint))");
	/* Conditions become bool; comparisons are int. */
	expect_typed(K("gi[0] = n < 3 && g;"),
		     "(=:int ([]:__global int gi:__global int * (arith:long "
		     "0:int)) (&&:int (arith:bool (<:int n:int 3:int)) "
		     "(ptrbool:bool g:__global float *)))");
	/* Built-in arguments converted to the chosen form. */
	expect_typed(K("f = fmin(f, 1);"),
		     "(=:float f:float (fmin:float f:float (arith:float "
		     "1:int)))");
	expect_typed(K("atomic_add(gi, 1u);"),
		     "(atomic_add:int (ptr:__global volatile int * "
		     "gi:__global int *) (arith:int 1u:uint))");
	/* Swizzles keep the vector's element type. */
	expect_typed(
	    K("float4 v; v.xy = v.wz;"),
	    "(=:float2 v:float4.xy[01]:float2 v:float4.wz[32]:float2)");
	expect_typed(K("float16 w; w.sF0 = w.odd.hi.s01;"),
		     "(=:float2 w:float16.sF0[f0]:float2 "
		     "w:float16.odd[13579bdf]:float8.hi[4567]:float4.s01[01]:"
		     "float2)");
	expect_typed(
	    K("float3 t; t.lo = t.hi;"),
	    "(=:float2 t:float3.lo[01]:float2 t:float3.hi[23]:float2)");
}
END_TEST

START_TEST(several_errors)
{
	struct cc_lowered r;
	const char *src = "__kernel void k(__global float *g) {\n"
			  "  g[0] = nope;\n"
			  "  float4 v = (float4)(1.0f, 2.0f);\n"
			  "  break;\n"
			  "}\n";
	cc_check(&r, src, strlen(src));
	ck_assert_str_eq(r.diags,
			 "t.cl:2:10: error: use of undeclared identifier "
			 "'nope'\n"
			 "t.cl:3:14: error: a 'float4' literal with 2 "
			 "components\n"
			 "t.cl:4:3: error: 'break' outside a loop or switch\n");
	cc_unlower(&r);
}
END_TEST

/* A chain of 100 000 additions is a tree 100 000 deep: the checker stops
 * at its bound instead of running out of stack (512 KiB here). */
static void *deep(void *arg)
{
	(void)arg;
	size_t terms = 100000;
	const char *head = "int f(int a) { return a";
	char *src = malloc(strlen(head) + terms * 4 + 64);
	strcpy(src, head);
	char *q = src + strlen(head);
	for (size_t i = 0; i < terms; i++, q += 4)
		memcpy(q, " + a", 4);
	strcpy(q, "; }");
	struct cc_lowered r;
	cc_check(&r, src, strlen(src));
	ck_assert_msg(strstr(r.diags, "expression nested more than 1024 deep"),
		      "%s", r.diags);
	cc_unlower(&r);
	/* Within the bound it checks. */
	strcpy(src + strlen(head) + 900 * 4, "; }");
	cc_check(&r, src, strlen(src));
	ck_assert_msg(r.d.n == 0, "%s", r.diags);
	cc_unlower(&r);
	free(src);
	return NULL;
}

START_TEST(deep_expressions)
{
	cc_on_stack(deep, 512 * 1024);
}
END_TEST

/* A source made of `n` copies of a line with %d filled by the copy's
 * number (and the one before), between a head and a tail. */
static char *repeat(const char *head, const char *line, size_t n,
		    const char *tail)
{
	size_t cap = strlen(head) + (strlen(line) + 40) * n + strlen(tail) + 1;
	char *src = malloc(cap), *q = src;
	q += sprintf(q, "%s", head);
	for (size_t i = 0; i < n; i++)
		q += sprintf(q, line, (int)i + 1, (int)i);
	strcpy(q, tail);
	return src;
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Long inputs cost time in proportion, and nothing of theirs recurses:
 * a chain of 20 000 functions, a 20 000-long cycle, 16 000 names in one
 * scope (64 000 bytes: within the private limit), 20 000 cases, an oversized
 * struct; on a 512 KiB stack. */
static void *hostile(void *arg)
{
	(void)arg;
	static const struct {
		const char *head, *line, *tail, *want;
	} cases[] = {
	    {"int f0(int x) { return x; }\n",
	     "int f%d(int x) { return f%d(x) + 1; }\n",
	     "__kernel void k(__global int *g) { g[0] = f20000(1); }", NULL},
	    {"int f20000(int x);\nint f0(int x) { return f20000(x); }\n",
	     "int f%d(int x) { return f%d(x) + 1; }\n",
	     "__kernel void k(__global int *g) { g[0] = f1(1); }",
	     "recursion is not supported"},
	    {"__kernel void k(__global int *g) { int v0 = 0;\n",
	     "int v%d = v%d + 1;\n", "g[0] = v16000; }", NULL},
	    {"__kernel void k(__global int *g) { switch (g[0]) {\n",
	     "case %d: g[%d] = 1; break;\n", "} }", NULL},
	    {"struct big { int m0;\n", "int m%d; /* %d */\n", "};",
	     "more than 1024 members in a struct"},
	};
	size_t n[] = {20000, 20000, 16000, 20000, 2000};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *src =
		    repeat(cases[i].head, cases[i].line, n[i], cases[i].tail);
		struct cc_lowered r;
		double t0 = seconds();
		cc_check(&r, src, strlen(src));
		double t = seconds() - t0;
		if (cases[i].want)
			ck_assert_msg(strstr(r.diags, cases[i].want),
				      "case %zu:\n%.500s", i, r.diags);
		else
			ck_assert_msg(r.d.n == 0, "case %zu:\n%.500s", i,
				      r.diags);
		/* At most 1.7 s each here on a loaded machine (parsing most
		 * of it); the bound allows ASan and more load: it catches a
		 * runaway, not a mild slowdown. */
		ck_assert_msg(t < 20.0, "case %zu took %.1f s", i, t);
		cc_unlower(&r);
		free(src);
	}
	return NULL;
}

START_TEST(hostile_sizes)
{
	cc_on_stack(hostile, 512 * 1024);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_sema");
	TCase *tc = tcase_create("sema");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kernels);
	tcase_add_test(tc, types_and_sizes);
	tcase_add_test(tc, declarations);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, pointers_and_statements);
	tcase_add_test(tc, builtins);
	tcase_add_test(tc, unsupported);
	tcase_add_test(tc, address_spaces);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, barriers);
	tcase_add_test(tc, stores_through_params);
	tcase_add_test(tc, typed_tree);
	tcase_add_test(tc, several_errors);
	tcase_add_test(tc, deep_expressions);
	tcase_add_test(tc, hostile_sizes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
