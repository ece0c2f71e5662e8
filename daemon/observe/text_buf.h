/* A growing text buffer for the generated files (info, stats, kernels/). */
#ifndef VGPUFSD_TEXT_BUF_H
#define VGPUFSD_TEXT_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct text_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

void tb_printf(struct text_buf *tb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text (NUL-terminated; never NULL), owned by the caller. */
char *tb_take(struct text_buf *tb);

#endif
