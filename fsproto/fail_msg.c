#include <stdarg.h>
#include <stdio.h>

#include "fail_msg.h"

int vgpu_fail_msg(char *msg, size_t msglen, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return err;
}
