#include <inttypes.h>
#include <stdio.h>

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

size_t vgpu_format_ok(char *buf, size_t len, uint64_t seq, const char *kernel,
		      uint64_t elapsed_us)
{
	int n = snprintf(buf, len, "%" PRIu64 " ok %s %" PRIu64, seq, kernel,
			 elapsed_us);
	return finish_line(buf, len, n);
}

size_t vgpu_format_err(char *buf, size_t len, uint64_t seq, int err,
		       const char *msg)
{
	int n = snprintf(buf, len, "%" PRIu64 " err %s: %s", seq,
			 vgpu_errno_name(err), msg);
	return finish_line(buf, len, n);
}
