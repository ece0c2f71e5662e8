#include <stdlib.h>
#include <string.h>

#include <vgpucl/ast.h>
#include <vgpucl/compile.h>
#include <vgpucl/pp.h>
#include <vgpucl/sema.h>

/* M in its binary form, read back and verified. */
static struct vcl_ir_module *round_trip(const struct vcl_ir_module *m,
					struct vcl_diags *d)
{
	size_t n = vcl_ir_write(m, NULL, 0);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NULL;
	vcl_ir_write(m, buf, n);
	struct vcl_ir_module *out = vcl_ir_read(buf, n, d);
	free(buf);
	return out;
}

static struct vcl_ir_module *from_source(const char *src, size_t len,
					 const char *name, struct vcl_diags *d)
{
	struct vcl_pp_options popt = {0};
	struct vcl_source source = {name, src, len};
	struct vcl_pp *pp = vcl_pp_new(&popt, &source, d);
	struct vcl_ast *ast = pp ? vcl_parse(pp) : NULL;
	struct vcl_program *prog = ast ? vcl_sema(ast, pp) : NULL;
	struct vcl_ir_module *lowered = NULL, *m = NULL;
	if (prog && !vcl_diags_failed(d))
		lowered = vcl_ir_lower(prog, pp);
	if (lowered && !vcl_diags_failed(d))
		m = round_trip(lowered, d);
	vcl_ir_free(lowered);
	vcl_program_free(prog);
	vcl_ast_free(ast);
	vcl_pp_free(pp);
	return m;
}

struct vcl_ir_module *vcl_compile(const void *bytes, size_t len,
				  const char *name, struct vcl_diags *d)
{
	size_t mlen = strlen(VCL_IR_MAGIC);
	if (len >= mlen && memcmp(bytes, VCL_IR_MAGIC, mlen) == 0)
		return vcl_ir_read(bytes, len, d);
	return from_source(bytes, len, name, d);
}
