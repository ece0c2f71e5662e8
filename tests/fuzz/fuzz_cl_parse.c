/*
 * libFuzzer target: arbitrary bytes through the preprocessor, lexer,
 * parser, type checker and lowering, checking that each stage gives its
 * result (a tree, a program), that a checked program without errors has
 * every expression typed, that IR lowered from it passes the verifier
 * and inlining its functions with barriers (but where a barrier may
 * diverge: the verifier is the stricter judge there; or at inlining's
 * bounds), and that the stages end (ASan and UBSan watch memory and the
 * stack).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <vgpucl/ir.h>
#include <vgpucl/sema.h>

/* Every expression node reached from a statement got a type. Walks the
 * tree with an explicit stack: its depth is the input's. */
static void check_typed(const struct vcl_node *body)
{
	enum { MAX = 1 << 16 };
	static const struct vcl_node *stack[MAX];
	size_t sp = 0;
	stack[sp++] = body;
	while (sp) {
		const struct vcl_node *n = stack[--sp];
		if (n->kind <= VCL_N_VEC_STEP_TYPE && n->kind != VCL_N_STRING &&
		    !n->ty) {
			fprintf(stderr,
				"fuzz_cl_parse: untyped expression at "
				"%u:%u\n",
				n->loc.line, n->loc.col);
			abort();
		}
		if (n->kind == VCL_N_SIZEOF_EXPR)
			continue; /* its operand is not evaluated */
		/* A call's callee is a name, not a value. */
		const struct vcl_node *kids[] = {
		    n->kind == VCL_N_CALL ? NULL : n->a, n->b, n->c, n->list};
		for (size_t i = 0; i < 4; i++)
			for (const struct vcl_node *k = kids[i]; k;
			     k = i == 3 ? k->next : NULL)
				if (sp < MAX)
					stack[sp++] = k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source src = {"fuzz.cl", (const char *)data, size};
	struct vcl_pp *pp = vcl_pp_new(&opt, &src, &d);
	struct vcl_ast *ast = pp ? vcl_parse(pp) : NULL;
	if (!ast) {
		fprintf(stderr, "fuzz_cl_parse: no tree\n");
		abort();
	}
	struct vcl_program *prog = vcl_sema(ast, pp);
	if (!prog) {
		fprintf(stderr, "fuzz_cl_parse: no program\n");
		abort();
	}
	if (!vcl_diags_failed(&d)) {
		for (uint32_t i = 0; i < prog->nfunctions; i++)
			if (prog->functions[i]->defined)
				check_typed(prog->functions[i]->decl->b);
		struct vcl_ir_module *m = vcl_ir_lower(prog, pp);
		struct vcl_diags vd;
		vcl_diags_init(&vd, 0);
		struct vcl_ir_module *in = NULL;
		if (m && vcl_ir_verify(m, &vd))
			vcl_ir_inline_barriers(m, &in, &vd);
		/* Refused only for a divergent barrier (once inlined too)
		 * or at a bound. */
		for (size_t k = 0; k < vd.n; k++)
			if (!strstr(vd.v[k].message, "barrier") &&
			    !strstr(vd.v[k].message, "passes")) {
				fprintf(stderr,
					"fuzz_cl_parse: lowered IR "
					"refused: %s\n",
					vd.v[k].message);
				abort();
			}
		vcl_ir_free(in);
		vcl_diags_free(&vd);
		vcl_ir_free(m);
	}
	vcl_program_free(prog);
	vcl_ast_free(ast);
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	return 0;
}
