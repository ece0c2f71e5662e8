#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/errnames.h>
#include <vgpufs/text_proto.h>

/* Completion lines are one line each: a message never breaks the framing. */
static size_t finish_line(char *buf, size_t len, int n)
{
	size_t used = n < 0 ? 0 : (size_t)n;
	if (used > len - 2)
		used = len - 2;
	for (size_t i = 0; i < used; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[used++] = '\n';
	buf[used] = '\0';
	return used;
}

/* Appends decimal V at P; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * The hot path of every command: by hand, not snprintf (it runs on the
 * FUSE thread before the reply, and every microsecond there shows).
 */
size_t vgpu_format_ok(char *buf, size_t len, uint64_t seq, const char *kernel,
		      uint64_t elapsed_us)
{
	size_t klen = strlen(kernel);
	if (len < klen + 2 * 20 + 8) /* no room: the slow, truncating way */
		return finish_line(buf, len,
				   snprintf(buf, len,
					    "%" PRIu64 " ok %s %" PRIu64, seq,
					    kernel, elapsed_us));
	char *p = put_u64(buf, seq);
	memcpy(p, " ok ", 4);
	p += 4;
	memcpy(p, kernel, klen);
	p += klen;
	*p++ = ' ';
	p = put_u64(p, elapsed_us);
	*p++ = '\n';
	*p = '\0';
	return (size_t)(p - buf);
}

size_t vgpu_format_err(char *buf, size_t len, uint64_t seq, int err,
		       const char *msg)
{
	int n = snprintf(buf, len, "%" PRIu64 " err %s: %s", seq,
			 vgpu_errno_name(err), msg);
	return finish_line(buf, len, n);
}
