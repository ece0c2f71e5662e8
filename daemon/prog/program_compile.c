#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/compile.h>

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

struct vcl_ir_module *program_compile(const void *bytes, size_t len,
				      const char *name, int *err, char *msg,
				      size_t msglen)
{
	struct vcl_diags d;
	vcl_diags_init(&d, MSG_DIAGS);
	/* No #include: a program is one buffer (docs/kernels-opencl.md). */
	struct vcl_ir_module *m = vcl_compile(bytes, len, name, &d);
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
