/*
 * libFuzzer target: arbitrary bytes through the preprocessor, lexer and
 * parser, checking that a parse without errors gives a tree and that the
 * parser ends (ASan and UBSan watch memory and the stack).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <vgpucl/ast.h>

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
	vcl_ast_free(ast);
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	return 0;
}
