/*
 * Inlining the functions that have a barrier (compiler/ir_inline.c): the
 * helpers of tests/cl/barrier_helpers.cl are inlined and the result
 * verifies; IR built by hand that reaches a barrier where work-items may
 * diverge, directly or only once inlined, is refused, with its message;
 * each bound of the pass ends in an error, not a crash, on a small stack.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>

#include "compiler_check.h"

/* Inlines M; the diagnostics into OUT; the module made (or NULL). */
static bool inline_into(const struct vcl_ir_module *m,
			struct vcl_ir_module **res, char *out, size_t cap)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	bool ok = vcl_ir_inline_barriers(m, res, &d);
	cc_format_diags(&d, out, cap);
	vcl_diags_free(&d);
	return ok;
}

static bool has_barrier(const struct vcl_ir_block *b)
{
	for (const struct vcl_ir_inst *i = b->first; i; i = i->next)
		if (i->op == VCL_IR_BARRIER || has_barrier(&i->then) ||
		    has_barrier(&i->els))
			return true;
	return false;
}

/* The test kernels' helpers are inlined and left out; what is left
 * verifies and keeps the kernels in their order. */
START_TEST(source_helpers)
{
	size_t len;
	char *src = cc_read_kernel("barrier_helpers.cl", &len);
	struct cc_lowered r;
	cc_lower(&r, src, len);
	ck_assert_msg(r.m, "%s", r.diags);
	char out[4096];
	ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s", out);
	struct vcl_ir_module *in = NULL;
	ck_assert_msg(inline_into(r.m, &in, out, sizeof(out)), "%s", out);
	ck_assert_ptr_nonnull(in);
	ck_assert_msg(cc_verify(in, out, sizeof(out)), "%s", out);
	uint32_t kernels = 0;
	for (uint32_t f = 0; f < r.m->nfuncs; f++)
		kernels += r.m->funcs[f].is_kernel;
	ck_assert_uint_eq(in->nfuncs, kernels); /* every helper had one */
	const char *names[] = {"matmul_tiles",	"group_sums", "scan_groups",
			       "smooth_rounds", "ranks",      "post_increment"};
	for (uint32_t f = 0; f < in->nfuncs; f++) {
		ck_assert(in->funcs[f].is_kernel);
		ck_assert_str_eq(in->funcs[f].name, names[f]);
		ck_assert(has_barrier(&in->funcs[f].body));
		for (const struct vcl_ir_inst *i = in->funcs[f].body.first; i;
		     i = i->next)
			ck_assert(i->op != VCL_IR_CALL);
	}
	vcl_ir_free(in);
	/* a module without helpers that have barriers stays as it is */
	char *red = cc_read_kernel("reduce.cl", &len);
	struct cc_lowered r2;
	cc_lower(&r2, red, len);
	ck_assert_msg(r2.m, "%s", r2.diags);
	ck_assert(inline_into(r2.m, &in, out, sizeof(out)));
	ck_assert_ptr_null(in);
	cc_unlower(&r2);
	free(red);
	cc_unlower(&r);
	free(src);
}
END_TEST

/* SRC lowers and verifies, but inlining refuses it: its message has the
 * kernel's name and WANT. */
static void refused_once_inlined(const char *src, const char *want)
{
	struct cc_lowered r;
	cc_lower(&r, src, strlen(src));
	ck_assert_msg(r.m, "%s", r.diags);
	char out[4096];
	ck_assert_msg(cc_verify(r.m, out, sizeof(out)), "%s", out);
	struct vcl_ir_module *in = NULL;
	ck_assert(!inline_into(r.m, &in, out, sizeof(out)));
	ck_assert_ptr_null(in);
	ck_assert_msg(strstr(out, "with the calls of functions that have a "
				  "barrier inlined: function 0 'k'") &&
			  strstr(out, want),
		      "%s", out);
	cc_unlower(&r);
}

/* A helper's barrier under a condition on its parameter passes the type
 * checker and the verifier (in the helper, a parameter is uniform) but
 * not once inlined into a call that passes a work-item id. */
START_TEST(divergent_through_parameter)
{
	refused_once_inlined(
	    "void maybe_sync(int x) { if (x) barrier(CLK_LOCAL_MEM_FENCE); }\n"
	    "__kernel void k(__global int *p, int n)\n"
	    "{ maybe_sync(n > 2); maybe_sync(get_local_id(0) < 4); p[0] = 1; "
	    "}\n",
	    "barrier where work-items may diverge");
	/* the uniform call alone is fine */
	static const char uni[] =
	    "void maybe_sync(int x) { if (x) barrier(CLK_LOCAL_MEM_FENCE); }\n"
	    "__kernel void k(__global int *p, int n)\n"
	    "{ maybe_sync(n > 2); p[0] = 1; }\n";
	struct cc_lowered r;
	cc_lower(&r, uni, strlen(uni));
	ck_assert_msg(r.m, "%s", r.diags);
	char out[4096];
	struct vcl_ir_module *in = NULL;
	ck_assert_msg(inline_into(r.m, &in, out, sizeof(out)), "%s", out);
	ck_assert_ptr_nonnull(in);
	vcl_ir_free(in);
	cc_unlower(&r);
}
END_TEST

/* Each call's slots are its own: four calls of a helper with a 40 KB
 * array pass the verifier's 128 KiB of slots per work-item. */
START_TEST(private_bytes)
{
	refused_once_inlined(
	    "float big(__local float *t, int i)\n"
	    "{ float a[10000]; a[i] = t[i]; barrier(CLK_LOCAL_MEM_FENCE); "
	    "return a[i]; }\n"
	    "__kernel void k(__global float *p, __local float *t)\n"
	    "{ int i = get_local_id(0); p[i] = big(t, i) + big(t, i) + "
	    "big(t, i); p[i] += big(t, i); }\n",
	    "more than 131072");
}
END_TEST

/* Hand-built IR. */
struct hb {
	struct vcl_ir_module *m;
	struct vcl_ir_function *f;
	struct vcl_ir_block *b;
};

static struct vcl_ir_inst *add(struct hb *h, enum vcl_ir_op op, vcl_ir_type t,
			       uint32_t a, uint64_t imm)
{
	struct vcl_ir_inst *i = vcl_ir_append(h->m, h->b, op, t);
	ck_assert(i);
	i->a = a;
	i->imm = imm;
	if (t != VCL_IR_VOID)
		i->id = h->f->nvalues++;
	return i;
}

static uint32_t konst(struct hb *h, vcl_ir_type t, uint64_t bits)
{
	return add(h, VCL_IR_CONST, t, VCL_IR_NONE, bits)->id;
}

/* A function with one i64 parameter (x), or a kernel without any. */
static void function(struct hb *h, const char *name, bool kernel)
{
	h->f = vcl_ir_add_function(h->m, name, kernel ? 0 : 1);
	ck_assert(h->f);
	h->f->is_kernel = kernel;
	if (!kernel) {
		h->f->params[0].type = VCL_IR_I64;
		h->f->params[0].name = "x";
	}
	h->b = &h->f->body;
}

static void call(struct hb *h, uint32_t callee, uint32_t arg)
{
	struct vcl_ir_inst *i =
	    add(h, VCL_IR_CALL, VCL_IR_VOID, VCL_IR_NONE, callee);
	i->args = vcl_ir_alloc(h->m, sizeof(*i->args));
	i->args[0] = arg;
	i->nargs = 1;
}

static uint32_t local_id(struct hb *h)
{
	uint32_t z = konst(h, VCL_IR_I32, 0);
	return add(h, VCL_IR_WI, VCL_IR_I64, z, VCL_WI_LOCAL_ID)->id;
}

/* if (v != 0), its then-block made current. */
static void if_nonzero(struct hb *h, uint32_t v)
{
	uint32_t z = konst(h, VCL_IR_I64, 0);
	struct vcl_ir_inst *c = add(h, VCL_IR_ICMP, VCL_IR_I1, v, VCL_ICMP_NE);
	c->b = z;
	h->b = &add(h, VCL_IR_IF, VCL_IR_VOID, c->id, 0)->then;
}

static void barrier(struct hb *h)
{
	add(h, VCL_IR_BARRIER, VCL_IR_VOID, VCL_IR_NONE, 1);
}

/* What the verifier says of M, and what inlining it does. */
static void verdicts(struct vcl_ir_module *m, bool *verifies, bool *inlines,
		     char *out, size_t cap)
{
	*verifies = cc_verify(m, out, cap);
	struct vcl_ir_module *in = NULL;
	if (*verifies) {
		*inlines = inline_into(m, &in, out, cap);
		vcl_ir_free(in);
	}
	vcl_ir_free(m);
}

START_TEST(hand_built)
{
	char out[4096];
	bool verifies, inlines;
	struct hb h = {.m = vcl_ir_new(4)};
	/* f(x) { barrier } called under if (local id): the verifier */
	function(&h, "sync", false);
	barrier(&h);
	function(&h, "k", true);
	if_nonzero(&h, local_id(&h));
	call(&h, 0, konst(&h, VCL_IR_I64, 0));
	verdicts(h.m, &verifies, &inlines, out, sizeof(out));
	ck_assert_msg(!verifies && strstr(out, "call of a function with a "
					       "barrier where work-items "
					       "may diverge"),
		      "%s", out);
	/* f(x) { if (x) return; barrier } called with a local id: only
	 * inlining shows it; with a constant it runs */
	for (int varying = 0; varying < 2; varying++) {
		h.m = vcl_ir_new(4);
		function(&h, "early", false);
		if_nonzero(&h, 0);
		add(&h, VCL_IR_RETURN, VCL_IR_VOID, VCL_IR_NONE, 0);
		h.b = &h.f->body;
		barrier(&h);
		function(&h, "k", true);
		call(&h, 0, varying ? local_id(&h) : konst(&h, VCL_IR_I64, 1));
		verdicts(h.m, &verifies, &inlines, out, sizeof(out));
		ck_assert_msg(verifies, "%s", out);
		ck_assert_msg(inlines == !varying, "%d: %s", varying, out);
		if (varying)
			ck_assert_msg(strstr(out, "barrier where work-items "
						  "may diverge"),
				      "%s", out);
	}
}
END_TEST

/* h0 with a barrier, N - 1 helpers each calling the one before CALLS
 * times, a kernel calling the last: what inlining it says. */
static void chain(uint32_t n, int calls, const char *want)
{
	char out[4096];
	bool verifies, inlines;
	struct hb h = {.m = vcl_ir_new(n + 1)};
	function(&h, "h", false);
	barrier(&h);
	for (uint32_t k = 1; k < n; k++) {
		function(&h, "h", false);
		for (int c = 0; c < calls; c++)
			call(&h, k - 1, 0);
	}
	function(&h, "k", true);
	call(&h, n - 1, konst(&h, VCL_IR_I64, 1));
	verdicts(h.m, &verifies, &inlines, out, sizeof(out));
	ck_assert_msg(verifies && !inlines && strstr(out, want), "%s", out);
}

/* The bounds of inlining, on a small stack. */
static void *bounded(void *arg)
{
	(void)arg;
	/* 2^20 barriers once inlined */
	chain(21, 2, "more than 65536 IR instructions");
	chain(70, 1, "called more than 64 deep");
	char out[4096];
	bool verifies, inlines;
	struct hb h;
	/* a barrier 200 regions deep in a helper called 100 deep */
	h.m = vcl_ir_new(4);
	function(&h, "deep", false);
	uint32_t one = konst(&h, VCL_IR_I1, 1);
	for (int k = 0; k < 200; k++)
		h.b = &add(&h, VCL_IR_IF, VCL_IR_VOID, one, 0)->then;
	barrier(&h);
	function(&h, "k", true);
	one = konst(&h, VCL_IR_I1, 1);
	for (int k = 0; k < 100; k++)
		h.b = &add(&h, VCL_IR_IF, VCL_IR_VOID, one, 0)->then;
	call(&h, 0, konst(&h, VCL_IR_I64, 1));
	verdicts(h.m, &verifies, &inlines, out, sizeof(out));
	ck_assert_msg(verifies && !inlines &&
			  strstr(out, "nests regions more than 256 deep"),
		      "%s", out);
	return NULL;
}

START_TEST(bounds)
{
	cc_on_stack(bounded, 512 * 1024);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_inline");
	TCase *tc = tcase_create("inline");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, source_helpers);
	tcase_add_test(tc, divergent_through_parameter);
	tcase_add_test(tc, private_bytes);
	tcase_add_test(tc, hand_built);
	tcase_add_test(tc, bounds);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
