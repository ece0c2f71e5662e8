/*
 * libFuzzer target: arbitrary bytes through the OpenCL C preprocessor and
 * lexer, with one include file and one -D, checking that every token has a
 * place and a spelling, that the diagnostics stay within their cap, and
 * (ASan, UBSan) that nothing reads or writes out of bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/lex.h>

static void expect(bool cond, const char *why)
{
	if (!cond) {
		fprintf(stderr, "fuzz_cl_pp: %s\n", why);
		abort();
	}
}

static const char header[] = "#define H(x, ...) x ## __VA_ARGS__ #x\n"
			     "#if defined(FUZZ) && FUZZ > 0\nint h;\n#endif\n";

static int include(void *user, const char *name, bool angled,
		   const char *includer, struct vcl_source *out)
{
	(void)user;
	(void)angled;
	(void)includer;
	if (strcmp(name, "h.h"))
		return -ENOENT;
	out->data = header;
	out->len = sizeof(header) - 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	const struct vcl_pp_define defs[] = {{false, "FUZZ=1"}};
	struct vcl_pp_options opt = {defs, 1, include, NULL};
	struct vcl_source src = {"fuzz.cl", (const char *)data, size};
	struct vcl_pp *pp = vcl_pp_new(&opt, &src, &d);
	expect(pp != NULL, "no preprocessor");
	struct vcl_token t;
	while (vcl_lex_next(pp, &t)) {
		expect(t.kind != VCL_T_EOF && t.kind < VCL_T_COUNT,
		       "a token of no kind");
		expect(t.len > 0 && t.text, "a token without a spelling");
		expect(t.loc.line > 0 && t.loc.col > 0,
		       "a token without place");
		expect(vcl_pp_file_name(pp, t.loc.file) != NULL,
		       "no file name");
	}
	expect(d.n <= d.max, "more diagnostics than the cap");
	for (size_t i = 0; i < d.n; i++) {
		char line[256];
		vcl_diag_format(&d.v[i], line, sizeof(line));
		expect(d.v[i].message && d.v[i].message[0], "an empty message");
	}
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	return 0;
}
