#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ast.h>
#include <vgpucl/pp.h>
#include <vgpucl/sema.h>

#include "prog/program_compile.h"

/* How many diagnostics a completion's message can hold at most. */
#define MSG_DIAGS 8

/* The errors of D, "; " between them, as many as fit MSG. */
static void diags_message(const struct vcl_diags *d, char *msg, size_t msglen)
{
	size_t used = 0, shown = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < d->n && shown < MSG_DIAGS; i++) {
		if (d->v[i].severity != VCL_ERROR)
			continue;
		char one[512];
		vcl_diag_format(&d->v[i], one, sizeof(one));
		size_t n = strlen(one), sep = shown ? 2 : 0;
		if (shown && used + sep + n >= msglen)
			break; /* the first one is always there, cut if long */
		used += (size_t)snprintf(msg + used, msglen - used, "%s%s",
					 shown ? "; " : "", one);
		if (used >= msglen)
			used = msglen - 1;
		shown++;
	}
	if (!shown)
		snprintf(msg, msglen, "the program failed to compile");
}

/* The IR in its binary form, read back and verified. */
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
	/* No #include: a program is one buffer (docs/kernels-opencl.md). */
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

struct vcl_ir_module *program_compile(const void *bytes, size_t len,
				      const char *name, int *err, char *msg,
				      size_t msglen)
{
	struct vcl_diags d;
	vcl_diags_init(&d, MSG_DIAGS);
	size_t mlen = strlen(VCL_IR_MAGIC);
	bool ir = len >= mlen && memcmp(bytes, VCL_IR_MAGIC, mlen) == 0;
	struct vcl_ir_module *m = ir ? vcl_ir_read(bytes, len, &d)
				     : from_source(bytes, len, name, &d);
	if (!m) {
		*err = vcl_diags_failed(&d) ? -EINVAL : -ENOMEM;
		if (*err == -EINVAL)
			diags_message(&d, msg, msglen);
		else
			snprintf(msg, msglen, "%s: out of memory compiling it",
				 name);
	}
	vcl_diags_free(&d);
	return m;
}
