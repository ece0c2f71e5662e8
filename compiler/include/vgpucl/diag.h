/*
 * Diagnostics: every stage of the compiler appends here and none prints or
 * exits; the caller formats them (vgpucc to stderr, the daemon into a
 * completion) as "FILE:LINE:COL: error: MESSAGE".
 */
#ifndef VGPUCL_DIAG_H
#define VGPUCL_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vcl_severity { VCL_NOTE, VCL_WARNING, VCL_ERROR };

struct vcl_diag {
	enum vcl_severity severity;
	char *file; /* owned copy: outlives the stage that reported it */
	uint32_t line, col; /* 1-based; 0 when not known */
	char *message;
};

struct vcl_diags {
	struct vcl_diag *v;
	size_t n, cap;
	size_t max;    /* kept at most; then one "too many" error */
	size_t errors; /* errors reported, kept or not */
	bool full;     /* max reached: stages should stop */
};

/* max 0 means VCL_DEFAULT_MAX_DIAGS. */
void vcl_diags_init(struct vcl_diags *d, size_t max);
void vcl_diags_free(struct vcl_diags *d);

void vcl_diag_add(struct vcl_diags *d, enum vcl_severity sev, const char *file,
		  uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static inline bool vcl_diags_failed(const struct vcl_diags *d)
{
	return d->errors > 0;
}

/* "FILE:LINE:COL: error: MESSAGE" (no newline) into buf, snprintf-style:
 * returns the length the full text needs. */
size_t vcl_diag_format(const struct vcl_diag *dg, char *buf, size_t cap);

#endif
