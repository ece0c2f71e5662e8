#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/command.h>
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

/* Length of the valid UTF-8 sequence at P (not a C1 control), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4	  ? 4
		   : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		   : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
						  : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0; /* U+0080..U+009F: C1 controls */
	return n;
}

/*
 * Messages quote what the user sent: control bytes and bytes that are no
 * UTF-8 are written as \xNN, so that a completion never carries terminal
 * escapes or garbage to whoever prints it.
 */
static void escape_msg(char *out, size_t cap, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)msg;
	size_t o = 0;
	while (*p && o + 5 <= cap) {
		size_t n =
		    *p >= 0x80 ? utf8_len(p) : (*p >= 0x20 && *p != 0x7f);
		if (*p == '\n' ||
		    *p == '\r') { /* a message's own line breaks */
			out[o++] = ' ';
			p++;
			continue;
		}
		if (n) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
		p++;
	}
	out[o] = '\0';
}

size_t vgpu_format_err(char *buf, size_t len, uint64_t seq, int err,
		       const char *msg)
{
	char safe[VGPU_MSG_MAX * 4];
	escape_msg(safe, sizeof(safe), msg);
	int n = snprintf(buf, len, "%" PRIu64 " err %s: %s", seq,
			 vgpu_errno_name(err), safe);
	return finish_line(buf, len, n);
}

int vgpu_completion_status(const char *line)
{
	const char *p = strchr(line, ' ');
	if (p && strncmp(p, " ok ", 4) == 0)
		return 0;
	if (!p || strncmp(p, " err ", 5) != 0)
		return -EPROTO;
	p += 5;
	int e = vgpu_errno_of_name(p, strcspn(p, ":"));
	return e ? -e : -EIO;
}
