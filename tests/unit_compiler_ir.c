/*
 * The IR: the test kernels in the lowered subset lower and verify, small
 * kernels print as expected, constructs outside the subset are errors
 * naming them, and the verifier refuses IR that breaks each of its rules
 * (built by mutating lowered IR), with a message saying which.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>

#include "compiler_check.h"

/* The test kernels in the subset lower and verify. */
START_TEST(kernels)
{
	const char *names[] = {"saxpy.cl", "reduce.cl", "matmul_tiled.cl"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		size_t len;
		char *src = cc_read_kernel(names[k], &len);
		struct cc_lowered r;
		cc_lower(&r, src, len);
		ck_assert_msg(r.m, "%s:\n%s", names[k], r.diags);
		char out[4096];
		ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s:\n%s\n%s",
			      names[k], out, r.text);
		if (getenv("IR_PRINT"))
			printf("%s", r.text);
		cc_round_trip(&r);
		cc_unlower(&r);
		free(src);
	}
}
END_TEST

/* Lowers src and compares the printed IR with want. */
static void printed(const char *src, const char *want)
{
	struct cc_lowered r;
	cc_lower(&r, src, strlen(src));
	ck_assert_msg(r.m, "%s\n%s", src, r.diags);
	cc_round_trip(&r);
	char out[4096];
	ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s\n%s", out, r.text);
	ck_assert_str_eq(r.text, want);
	cc_unlower(&r);
}

START_TEST(print_small)
{
	printed("__kernel void k(__global float *p, float a) "
		"{ p[get_global_id(0)] *= sqrt(a); }",
		"vclir 0.2\n"
		"kernel void @0 k(ptr.global %0 p store, f32 %1 a) {\n"
		"  %2 = const i32 0\n"
		"  %3 = wi.global_id %2\n"
		"  %4 = const i64 4\n"
		"  %5 = mul i64 %3, %4\n"
		"  %6 = ptradd ptr.global %0, %5\n"
		"  %7 = intrin f32 sqrt(%1)\n"
		"  %8 = check %6, 4, 4\n"
		"  %9 = load f32 %8\n"
		"  %10 = fmul f32 %9, %7\n"
		"  %11 = check %6, 4, 4\n"
		"  store %11, %10\n"
		"}\n");
	/* A helper before its caller, a loop with its continuing part, a
	 * continue, && through a slot, signed and unsigned operations. */
	printed(
	    "int h(int x) { return x / 2; }\n"
	    "__kernel void k(__global const int *p, int n) {\n"
	    "  for (uint i = 0; i < 4 && n; i++) { if (p[i] >> 1) continue; "
	    "n = h(n); }\n"
	    "}",
	    "vclir 0.2\n"
	    "func i32 @0 h(i32 %0 x) {\n"
	    "  %1 = const i32 2\n"
	    "  %2 = sdiv i32 %0, %1\n"
	    "  return %2\n"
	    "}\n"
	    "kernel void @1 k(ptr.global %0 p, i32 %1 n) {\n"
	    "  s0: 4 align 4\n"
	    "  s1: 4 align 4\n"
	    "  s2: 1 align 1\n"
	    "  sts s0, %1\n"
	    "  %2 = const i32 0\n"
	    "  sts s1, %2\n"
	    "  loop {\n"
	    "    %3 = lds i32 s1\n"
	    "    %4 = const i32 4\n"
	    "    %5 = icmp.ult %3, %4\n"
	    "    sts s2, %5\n"
	    "    if %5 {\n"
	    "      %6 = lds i32 s0\n"
	    "      %7 = const i32 0\n"
	    "      %8 = icmp.ne %6, %7\n"
	    "      sts s2, %8\n"
	    "    }\n"
	    "    %9 = lds i1 s2\n"
	    "    if %9 {\n"
	    "    } else {\n"
	    "      break 0\n"
	    "    }\n"
	    "    %10 = lds i32 s1\n"
	    "    %11 = zext i64 %10\n"
	    "    %12 = const i64 4\n"
	    "    %13 = mul i64 %11, %12\n"
	    "    %14 = ptradd ptr.global %0, %13\n"
	    "    %15 = check %14, 4, 4\n"
	    "    %16 = load i32 %15\n"
	    "    %17 = const i32 1\n"
	    "    %18 = ashr i32 %16, %17\n"
	    "    %19 = const i32 0\n"
	    "    %20 = icmp.ne %18, %19\n"
	    "    if %20 {\n"
	    "      continue 0\n"
	    "    }\n"
	    "    %21 = lds i32 s0\n"
	    "    %22 = call i32 @0(%21)\n"
	    "    sts s0, %22\n"
	    "  } continuing {\n"
	    "    %23 = lds i32 s1\n"
	    "    %24 = const i32 1\n"
	    "    %25 = add i32 %23, %24\n"
	    "    sts s1, %25\n"
	    "  }\n"
	    "}\n");
	/* Atomics: unsigned min, the old value stored in __local memory. */
	printed(
	    "__kernel void k(__global uint *u, __local int *l) "
	    "{ l[0] = atomic_min(u, 3u); }",
	    "vclir 0.2\n"
	    "kernel void @0 k(ptr.global %0 u store, ptr.local %1 l store) {\n"
	    "  %2 = const i32 0\n"
	    "  %3 = sext i64 %2\n"
	    "  %4 = const i64 4\n"
	    "  %5 = mul i64 %3, %4\n"
	    "  %6 = ptradd ptr.local %1, %5\n"
	    "  %7 = const i32 3\n"
	    "  %8 = check %0, 4, 4\n"
	    "  %9 = atomic.umin i32 %8, %7\n"
	    "  %10 = check %6, 4, 4\n"
	    "  store %10, %9\n"
	    "}\n");
	/* switch: a loop left at its end, a slot saying a label matched. */
	printed("__kernel void k(__global int *q, uint n) "
		"{ switch (n) { case 1: q[0] = 1; } }",
		"vclir 0.2\n"
		"kernel void @0 k(ptr.global %0 q store, i32 %1 n) {\n"
		"  s0: 1 align 1\n"
		"  %2 = const i1 0\n"
		"  sts s0, %2\n"
		"  loop {\n"
		"    %3 = lds i1 s0\n"
		"    %4 = const i32 1\n"
		"    %5 = icmp.eq %1, %4\n"
		"    %6 = or i1 %3, %5\n"
		"    sts s0, %6\n"
		"    %7 = lds i1 s0\n"
		"    if %7 {\n"
		"      %8 = const i32 0\n"
		"      %9 = sext i64 %8\n"
		"      %10 = const i64 4\n"
		"      %11 = mul i64 %9, %10\n"
		"      %12 = ptradd ptr.global %0, %11\n"
		"      %13 = const i32 1\n"
		"      %14 = check %12, 4, 4\n"
		"      store %14, %13\n"
		"    }\n"
		"    break 0\n"
		"  }\n"
		"}\n");
}
END_TEST

/* More of the subset lowers to IR the verifier accepts (and that reads
 * back the same). */
START_TEST(lowers_and_verifies)
{
	const char *srcs[] = {
	    /* fall-through, default first, continue out of a switch */
	    "__kernel void k(__global int *q, int n) { for (int i = 0; i < n; "
	    "i++) switch (q[i]) { default: q[0] = 9; case 1: case 2: q[1] = "
	    "1; break; case 3: continue; } }",
	    /* short and long vectors (their element was no type: a crash) */
	    "__kernel void k(__global long *q, __global short *s) { long2 v = "
	    "(long2)(q[0], q[1]); q[2] = v.y; short4 w = (short4)(1); s[0] = "
	    "w.w; }",
	    /* refused before issue 12: a label inside an if, mad_sat on
	     * long, the math built-ins without an intrinsic */
	    "__kernel void k(int n) { switch (n) { case 1: if (n) { case 2: "
	    "break; } } }",
	    "__kernel void k(__global long *q) { q[0] = mad_sat(q[1], q[2], "
	    "q[3]); }",
	    "__kernel void k(__global double *q, __global int *e) { q[0] = "
	    "sinpi(q[1]) + tgamma(q[2]) + lgamma_r(q[3], e) + frexp(q[4], e + "
	    "1) + remquo(q[5], q[6], e + 2) + ldexp(q[7], e[3]) + rootn(q[8], "
	    "e[4]) + ilogb(q[9]) + as_double(nan(7ul)) + upsample(e[5], 1u); }",
	    "__kernel void k(__global int *q, __global uint *u, __local int "
	    "*l, __global float *f) { int old = atomic_add(q, 2); "
	    "atomic_inc(&q[1]); atomic_cmpxchg(q, 1, 2); atomic_min(u, 3u); "
	    "atom_max(l, old); atomic_xchg(f, 1.0f); }",
	    "float sq(float x) { return x * x; }\n"
	    "__kernel void k(__global float *p, __global const double *d) {\n"
	    "  size_t i = get_global_id(0); float a[4]; __local float t[64];\n"
	    "  for (int j = 0; j < 4; j++) a[j] = sq((float)d[i + j]);\n"
	    "  t[get_local_id(0)] = a[i % 4] > 0.5 ? fma(a[0], a[1], 1.0f) : "
	    "-a[2];\n"
	    "  barrier(CLK_LOCAL_MEM_FENCE);\n"
	    "  do { p[i] += t[0] / (float)get_local_size(0); } while (p[i] < "
	    "0 && !(i & 1));\n"
	    "  p[i] = (float)(convert_int(p[i]) << 2) + (p[i] != p[i]);\n"
	    "}",
	};
	for (size_t k = 0; k < sizeof(srcs) / sizeof(*srcs); k++) {
		struct cc_lowered r;
		cc_lower(&r, srcs[k], strlen(srcs[k]));
		ck_assert_msg(r.m, "%s\n%s", srcs[k], r.diags);
		char out[4096];
		ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s\n%s\n%s",
			      srcs[k], out, r.text);
		cc_round_trip(&r);
		cc_unlower(&r);
	}
}
END_TEST

/* The deepest expression the type checker takes lowers on a small stack
 * (the lowering recurses along the tree). */
static void *deep(void *arg)
{
	(void)arg;
	enum { N = 1000 };
	char *src = malloc(N * 4 + 128);
	ck_assert(src);
	size_t n = (size_t)sprintf(src, "__kernel void k(__global int *q) "
					"{ q[0] = q[1]");
	for (int k = 0; k < N; k++)
		n += (size_t)sprintf(src + n, " + 1");
	sprintf(src + n, "; }");
	struct cc_lowered r;
	cc_lower(&r, src, strlen(src));
	ck_assert_msg(r.m, "%s", r.diags);
	char out[4096];
	ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s", out);
	cc_unlower(&r);
	free(src);
	return NULL;
}

START_TEST(deep_expression)
{
	cc_on_stack(deep, 512 * 1024);
}
END_TEST

/* Constructs outside the subset are errors naming them. */
START_TEST(not_lowered)
{
	const char *cases[][2] = {
	    {"struct s { int a; };\n"
	     "__kernel void k(__global int *q, struct s x) { q[0] = x.a; }",
	     "not lowered yet: struct parameters of kernels"},
	    {"__kernel void k(__global int *q) { q[0] = (int)(long)q; }",
	     "not lowered yet: a pointer converted to an integer"},
	    {"__kernel void k(__global int *q) { __global int *a[2]; a[0] = q; "
	     "}",
	     "not lowered yet: pointers in memory"},
	    {"__kernel void in(__global int *q) { __local int s[4]; s[0] = 1; "
	     "q[0] = s[0]; }\n"
	     "__kernel void out(__global int *q) { in(q); }",
	     "not lowered yet: calling a kernel that declares __local "
	     "variables"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct cc_lowered r;
		cc_lower(&r, cases[k][0], strlen(cases[k][0]));
		ck_assert_msg(!r.m && strstr(r.diags, cases[k][1]),
			      "%s\nwanted: %s\ngot:\n%s", cases[k][0],
			      cases[k][1], r.diags);
		ck_assert_msg(strstr(r.diags, "t.cl:"), "%s", r.diags);
		cc_unlower(&r);
	}
}
END_TEST

/* Hand-built IR: one kernel (out: global, may_store; in: global; c:
 * constant; n: i32) whose body the case fills. */
struct hb {
	struct vcl_ir_module *m;
	struct vcl_ir_function *f;
	struct vcl_ir_block *b;
};

#define GPTR VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_GLOBAL)
#define CPTR VCL_IR_TYPE(VCL_IR_PTR, 0, VCL_AS_CONSTANT)

static struct vcl_ir_inst *add(struct hb *h, enum vcl_ir_op op, vcl_ir_type t,
			       uint32_t a, uint32_t b, uint64_t imm)
{
	struct vcl_ir_inst *i = vcl_ir_append(h->m, h->b, op, t);
	ck_assert(i);
	i->a = a;
	i->b = b;
	i->imm = imm;
	if (t != VCL_IR_VOID)
		i->id = h->f->nvalues++;
	return i;
}

static uint32_t val(struct hb *h, enum vcl_ir_op op, vcl_ir_type t, uint32_t a,
		    uint32_t b, uint64_t imm)
{
	return add(h, op, t, a, b, imm)->id;
}

static uint32_t konst(struct hb *h, vcl_ir_type t, uint64_t bits)
{
	return add(h, VCL_IR_CONST, t, VCL_IR_NONE, VCL_IR_NONE, bits)->id;
}

/* out[0] = v through a checked pointer from param p. */
static void store_to(struct hb *h, uint32_t p, uint32_t v)
{
	uint32_t c =
	    val(h, VCL_IR_CHECK, h->f->params[p].type, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	add(h, VCL_IR_STORE, VCL_IR_VOID, c, v, 0);
}

static void hb_new(struct hb *h)
{
	h->m = vcl_ir_new(4);
	ck_assert(h->m);
	h->f = vcl_ir_add_function(h->m, "k", 4);
	ck_assert(h->f);
	h->f->is_kernel = true;
	const vcl_ir_type types[] = {GPTR, GPTR, CPTR, VCL_IR_I32};
	const char *names[] = {"out", "in", "c", "n"};
	for (int p = 0; p < 4; p++) {
		h->f->params[p].type = types[p];
		h->f->params[p].name = names[p];
	}
	h->f->params[0].may_store = true;
	h->b = &h->f->body;
}

static uint32_t gid(struct hb *h)
{
	uint32_t z = konst(h, VCL_IR_I32, 0);
	return val(h, VCL_IR_WI, VCL_IR_I64, z, VCL_IR_NONE, VCL_WI_GLOBAL_ID);
}

/* An if on v (an i64 compared with 0) whose then-block is returned. */
static struct vcl_ir_inst *if_nonzero(struct hb *h, uint32_t v)
{
	uint32_t z = konst(h, VCL_IR_I64, 0);
	uint32_t c = val(h, VCL_IR_ICMP, VCL_IR_I1, v, z, VCL_ICMP_NE);
	return add(h, VCL_IR_IF, VCL_IR_VOID, c, VCL_IR_NONE, 0);
}

static void ok_store(struct hb *h)
{
	store_to(h, 0, konst(h, VCL_IR_F32, 0));
}

static void bad_operand_type(struct hb *h)
{
	uint32_t f = konst(h, VCL_IR_F32, 0);
	val(h, VCL_IR_ADD, VCL_IR_I32, 3, f, 0);
}

static void bad_scope(struct hb *h)
{
	struct vcl_ir_inst *i =
	    if_nonzero(h, val(h, VCL_IR_SEXT, VCL_IR_I64, 3, VCL_IR_NONE, 0));
	struct vcl_ir_block *outer = h->b;
	h->b = &i->then;
	uint32_t inner = konst(h, VCL_IR_I32, 1);
	h->b = outer;
	val(h, VCL_IR_ADD, VCL_IR_I32, inner, 3, 0);
}

static void bad_order(struct hb *h)
{
	/* A use of a value defined later. */
	val(h, VCL_IR_ADD, VCL_IR_I32, 3, h->f->nvalues + 1, 0);
	konst(h, VCL_IR_I32, 1);
}

static void bad_unchecked(struct hb *h)
{
	val(h, VCL_IR_LOAD, VCL_IR_F32, 1, VCL_IR_NONE, 0);
}

static void bad_check_too_small(struct hb *h)
{
	uint32_t c = val(h, VCL_IR_CHECK, GPTR, 1, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	val(h, VCL_IR_LOAD, VCL_IR_F64, c, VCL_IR_NONE, 0);
}

static void bad_store_readonly(struct hb *h)
{
	store_to(h, 1, konst(h, VCL_IR_F32, 0));
}

static void bad_store_constant(struct hb *h)
{
	store_to(h, 2, konst(h, VCL_IR_F32, 0));
}

/* The read-only pointer copied through a slot, then stored through. */
static void bad_store_via_slot(struct hb *h)
{
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 8, 8);
	add(h, VCL_IR_STS, VCL_IR_VOID, 1, VCL_IR_NONE, 0);
	uint32_t p = val(h, VCL_IR_LDS, GPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
	uint32_t c = val(h, VCL_IR_CHECK, GPTR, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	uint32_t v = konst(h, VCL_IR_F32, 0);
	add(h, VCL_IR_STORE, VCL_IR_VOID, c, v, 0);
}

static void bad_forged_pointer(struct hb *h)
{
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 8, 8);
	uint32_t x = konst(h, VCL_IR_I64, 4096);
	add(h, VCL_IR_STS, VCL_IR_VOID, x, VCL_IR_NONE, 0);
	val(h, VCL_IR_LDS, GPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
}

static void bad_pointer_in_memory(struct hb *h)
{
	uint32_t c = val(h, VCL_IR_CHECK, GPTR, 0, VCL_IR_NONE, 8);
	h->b->last->imm2 = 8;
	add(h, VCL_IR_STORE, VCL_IR_VOID, c, 1, 0);
}

/* A barrier with a result: a pointer made of nothing, then checked and
 * loaded through (found by fuzz_jit: the code generator divided by its
 * size, 0, when the value lived across the barrier). */
static void bad_barrier_result(struct hb *h)
{
	uint32_t p = val(h, VCL_IR_BARRIER, GPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
	uint32_t c = val(h, VCL_IR_CHECK, GPTR, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	val(h, VCL_IR_LOAD, VCL_IR_I32, c, VCL_IR_NONE, 0);
}

/* A store whose "result" is a pointer. */
static void bad_store_result(struct hb *h)
{
	uint32_t c = val(h, VCL_IR_CHECK, GPTR, 0, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	uint32_t v = konst(h, VCL_IR_I32, 1);
	add(h, VCL_IR_STORE, GPTR, c, v, 0);
}

static void bad_barrier_varying(struct hb *h)
{
	struct vcl_ir_inst *i = if_nonzero(h, gid(h));
	h->b = &i->then;
	add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 1);
}

/* The id through a slot, the condition read back in a loop. */
static void bad_barrier_via_slot(struct hb *h)
{
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 8, 8);
	uint32_t z = konst(h, VCL_IR_I64, 0);
	add(h, VCL_IR_STS, VCL_IR_VOID, z, VCL_IR_NONE, 0);
	struct vcl_ir_inst *lp =
	    add(h, VCL_IR_LOOP, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
	h->b = &lp->then;
	uint32_t v =
	    val(h, VCL_IR_LDS, VCL_IR_I64, VCL_IR_NONE, VCL_IR_NONE, 0);
	struct vcl_ir_inst *i = if_nonzero(h, v);
	add(h, VCL_IR_STS, VCL_IR_VOID, gid(h), VCL_IR_NONE, 0);
	h->b = &i->then;
	add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 1);
	add(h, VCL_IR_BREAK, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
}

/* A break taken by some work-items: the loop's barrier diverges. */
static void bad_barrier_after_break(struct hb *h)
{
	struct vcl_ir_inst *lp =
	    add(h, VCL_IR_LOOP, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
	h->b = &lp->then;
	add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 1);
	struct vcl_ir_inst *i = if_nonzero(h, gid(h));
	h->b = &i->then;
	add(h, VCL_IR_BREAK, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
}

/* atomic_add(param p, 1) */
static uint32_t atomic_on(struct hb *h, uint32_t p)
{
	uint32_t c =
	    val(h, VCL_IR_CHECK, h->f->params[p].type, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	struct vcl_ir_inst *i = add(h, VCL_IR_ATOMIC, VCL_IR_I32, c,
				    konst(h, VCL_IR_I32, 1), VCL_AT_ADD);
	return i->id;
}

static void bad_atomic_readonly(struct hb *h)
{
	atomic_on(h, 1);
}

static void bad_atomic_constant(struct hb *h)
{
	atomic_on(h, 2);
}

static void bad_barrier_after_atomic(struct hb *h)
{
	uint32_t old = atomic_on(h, 0);
	struct vcl_ir_inst *i =
	    if_nonzero(h, val(h, VCL_IR_SEXT, VCL_IR_I64, old, VCL_IR_NONE, 0));
	h->b = &i->then;
	add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 1);
}

static void bad_break(struct hb *h)
{
	add(h, VCL_IR_BREAK, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
}

static void bad_slot_size(struct hb *h)
{
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 1 << 20, 8);
}

static void bad_check_bytes(struct hb *h)
{
	val(h, VCL_IR_CHECK, GPTR, 0, VCL_IR_NONE, 1000);
	h->b->last->imm2 = 3;
}

static void bad_recursion(struct hb *h)
{
	add(h, VCL_IR_CALL, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 0);
}

static void bad_nesting(struct hb *h)
{
	uint32_t c = konst(h, VCL_IR_I1, 1);
	for (int k = 0; k < 1000; k++)
		h->b = &add(h, VCL_IR_IF, VCL_IR_VOID, c, VCL_IR_NONE, 0)->then;
}

static void bad_cycle(struct hb *h)
{
	struct vcl_ir_inst *i =
	    add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, VCL_IR_NONE, 1);
	i->next = i; /* a list that never ends */
}

static void bad_version(struct hb *h)
{
	h->m->major = 7;
}

static void bad_may_store_constant(struct hb *h)
{
	h->f->params[2].may_store = true;
}

static void bad_intrinsic(struct hb *h)
{
	struct vcl_ir_inst *i =
	    add(h, VCL_IR_INTRIN, VCL_IR_F32, VCL_IR_NONE, VCL_IR_NONE, 0);
	i->name = "system";
}

/* IR 0.2's pointer operations, well typed: null, a difference and an
 * order of two global pointers, equality with null, a read-only pointer
 * to a slot (a __constant variable's copy) read through. */
static void ok_pointer_ops(struct hb *h)
{
	uint32_t n = val(h, VCL_IR_NULLPTR, GPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
	val(h, VCL_IR_PTRDIFF, VCL_IR_I64, 0, 1, 0);
	val(h, VCL_IR_PTRCMP, VCL_IR_I1, 0, 1, VCL_ICMP_SLT);
	val(h, VCL_IR_PTRCMP, VCL_IR_I1, 1, n, VCL_ICMP_EQ);
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 4, 4);
	uint32_t p = val(h, VCL_IR_SLOT, CPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
	uint32_t c = val(h, VCL_IR_CHECK, CPTR, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	val(h, VCL_IR_LOAD, VCL_IR_F32, c, VCL_IR_NONE, 0);
}

/* Pointers of two spaces subtracted. */
static void bad_ptrdiff_spaces(struct hb *h)
{
	val(h, VCL_IR_PTRDIFF, VCL_IR_I64, 0, 2, 0);
}

/* A pointer compared with an integer. */
static void bad_ptrcmp_int(struct hb *h)
{
	val(h, VCL_IR_PTRCMP, VCL_IR_I1, 0, 3, VCL_ICMP_EQ);
}

/* An unsigned predicate: ptrcmp orders signed offsets only. */
static void bad_ptrcmp_pred(struct hb *h)
{
	val(h, VCL_IR_PTRCMP, VCL_IR_I1, 0, 1, VCL_ICMP_ULT);
}

static void bad_ptrdiff_type(struct hb *h)
{
	val(h, VCL_IR_PTRDIFF, VCL_IR_I32, 0, 1, 0);
}

static void bad_null_type(struct hb *h)
{
	val(h, VCL_IR_NULLPTR, VCL_IR_I64, VCL_IR_NONE, VCL_IR_NONE, 0);
}

/* A store through the read-only pointer to a slot. */
static void bad_store_constant_slot(struct hb *h)
{
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 4, 4);
	uint32_t p = val(h, VCL_IR_SLOT, CPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
	uint32_t c = val(h, VCL_IR_CHECK, CPTR, p, VCL_IR_NONE, 4);
	h->b->last->imm2 = 4;
	add(h, VCL_IR_STORE, VCL_IR_VOID, c, konst(h, VCL_IR_F32, 0), 0);
}

/* A module that says 0.1 has no pointer operations. */
static void bad_ptrcmp_in_01(struct hb *h)
{
	h->m->minor = 1;
	val(h, VCL_IR_PTRCMP, VCL_IR_I1, 0, 1, VCL_ICMP_EQ);
}

static void bad_constant_slot_in_01(struct hb *h)
{
	h->m->minor = 1;
	vcl_ir_add_object(h->m, &h->f->slots, &h->f->nslots, 4, 4);
	val(h, VCL_IR_SLOT, CPTR, VCL_IR_NONE, VCL_IR_NONE, 0);
}

START_TEST(verifier_rules)
{
	const struct {
		void (*build)(struct hb *);
		const char *want; /* NULL: verifies */
	} cases[] = {
	    {ok_store, NULL},
	    {bad_operand_type, "add needs two operands of its type"},
	    {bad_scope, "operand a (%7) is not defined here"},
	    {bad_order, "operand b (%5) is not defined here"},
	    {bad_unchecked, "load through a pointer that is not checked"},
	    {bad_check_too_small, "load of a type the check does not cover"},
	    {bad_store_readonly, "store through parameter 1 'in', which is "
				 "not may_store"},
	    {bad_store_constant, "store to __constant memory"},
	    {bad_store_via_slot, "parameter 1 'in', which is not may_store"},
	    {bad_forged_pointer, "slot s0 used with two types"},
	    {bad_pointer_in_memory, "store of a type the check does not "
				    "cover"},
	    {bad_barrier_varying, "barrier where work-items may diverge"},
	    {bad_barrier_via_slot, "barrier where work-items may diverge"},
	    {bad_barrier_after_break, "barrier where work-items may diverge"},
	    {bad_break, "break 0 outside as many loops"},
	    {bad_atomic_readonly, "parameter 1 'in', which is not may_store"},
	    {bad_atomic_constant, "atomic on memory that is not __global"},
	    {bad_barrier_after_atomic, "barrier where work-items may diverge"},
	    {bad_slot_size, "slots 0: size 1048576"},
	    {bad_check_bytes, "check of 1000 bytes at alignment 3"},
	    {bad_recursion, "call of function 0, which is not before this"},
	    {bad_nesting, "regions nested more than 256 deep"},
	    {bad_cycle, "more than 4194304 instructions"},
	    {bad_version, "IR version 7.2, this verifier knows 0.2"},
	    {ok_pointer_ops, NULL},
	    {bad_ptrdiff_spaces, "ptrdiff needs two pointers of one type"},
	    {bad_ptrcmp_int, "ptrcmp needs two pointers of one type"},
	    {bad_ptrcmp_pred, "ptrcmp gives i1 with a predicate eq ne"},
	    {bad_ptrdiff_type, "ptrdiff gives i64"},
	    {bad_null_type, "null needs a pointer type and no operands"},
	    {bad_store_constant_slot, "store to __constant memory"},
	    {bad_ptrcmp_in_01, "ptrcmp is IR 0.2, the module says 0.1"},
	    {bad_constant_slot_in_01, "slot gives a pointer to its space"},
	    {bad_may_store_constant, "parameter 2: bad type or may_store"},
	    {bad_intrinsic, "unknown intrinsic"},
	    {bad_barrier_result, "barrier has no result"},
	    {bad_store_result, "store has no result"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct hb h;
		hb_new(&h);
		cases[k].build(&h);
		char out[4096];
		bool ok = cc_verify(h.m, out, sizeof(out));
		if (!cases[k].want)
			ck_assert_msg(ok, "case %zu: %.1500s", k, out);
		else
			ck_assert_msg(!ok && strstr(out, cases[k].want),
				      "case %zu: wanted %s\ngot:\n%.1500s", k,
				      cases[k].want, out);
		vcl_ir_free(h.m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_ir");
	TCase *tc = tcase_create("ir");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kernels);
	tcase_add_test(tc, print_small);
	tcase_add_test(tc, lowers_and_verifies);
	tcase_add_test(tc, deep_expression);
	tcase_add_test(tc, not_lowered);
	tcase_add_test(tc, verifier_rules);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
