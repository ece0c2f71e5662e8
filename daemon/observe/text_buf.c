#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "observe/text_buf.h"

void tb_printf(struct text_buf *tb, const char *fmt, ...)
{
	if (tb->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = tb->cap - tb->len;
		int n = vsnprintf(tb->data ? tb->data + tb->len : NULL, room,
				  fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			tb->len += (size_t)n;
			return;
		}
		size_t cap = tb->cap ? tb->cap * 2 : 1024;
		while (cap < tb->len + (size_t)n + 1)
			cap *= 2;
		char *p = realloc(tb->data, cap);
		if (!p) {
			tb->oom = true;
			return;
		}
		tb->data = p;
		tb->cap = cap;
	}
}

char *tb_take(struct text_buf *tb)
{
	char *p = tb->data ? tb->data : calloc(1, 1);
	tb->data = NULL;
	tb->len = tb->cap = 0;
	return p;
}
