#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/diag.h>
#include <vgpucl/limits.h>

void vcl_diags_init(struct vcl_diags *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max ? max : VCL_DEFAULT_MAX_DIAGS;
}

void vcl_diags_free(struct vcl_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* strdup and vasprintf are not C17: the library stays within it. */
static char *copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static char *format(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *msg = n < 0 ? NULL : malloc((size_t)n + 1);
	if (msg)
		vsnprintf(msg, (size_t)n + 1, fmt, again);
	va_end(again);
	return msg;
}

static void append(struct vcl_diags *d, enum vcl_severity sev, const char *file,
		   uint32_t line, uint32_t col, char *msg)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct vcl_diag *v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			free(msg);
			return; /* the error count still says it failed */
		}
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = (struct vcl_diag){
	    .severity = sev,
	    .file = copy_string(file ? file : "<unknown>"),
	    .line = line,
	    .col = col,
	    .message = msg,
	};
}

void vcl_diag_add(struct vcl_diags *d, enum vcl_severity sev, const char *file,
		  uint32_t line, uint32_t col, const char *fmt, ...)
{
	if (sev == VCL_ERROR)
		d->errors++;
	if (d->full)
		return;
	if (d->n + 1 >= d->max) {
		/* The last slot says why the list stops here. */
		d->full = true;
		d->errors += sev != VCL_ERROR;
		append(d, VCL_ERROR, file, line, col,
		       copy_string("too many diagnostics, stopping now"));
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = format(fmt, ap);
	va_end(ap);
	if (msg)
		append(d, sev, file, line, col, msg);
}

size_t vcl_diag_format(const struct vcl_diag *dg, char *buf, size_t cap)
{
	static const char *const names[] = {"note", "warning", "error"};
	int n = snprintf(buf, cap, "%s:%u:%u: %s: %s", dg->file, dg->line,
			 dg->col, names[dg->severity],
			 dg->message ? dg->message : "out of memory");
	return n < 0 ? 0 : (size_t)n;
}
