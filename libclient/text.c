/* One text command on a context of its own (what `vgpu run` does). */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/file_tree.h>
#include <vgpufs/text_proto.h>

#include "client.h"

/* Writes all of LEN bytes of DATA to FD. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			data += n, len -= (size_t)n;
	}
	return 0;
}

/* Reads up to a newline into BUF (LEN bytes); the line's length or -errno. */
static ssize_t read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;
	while (!memchr(buf, '\n', used)) {
		if (used == len - 1)
			return -EMSGSIZE;
		ssize_t n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EAGAIN) {
			/* the user has as many reads waiting in the daemon as
			 * it allows: wait in poll(), which holds nothing */
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -EPROTO;
		if (n > 0)
			used += (size_t)n;
	}
	char *nl = memchr(buf, '\n', used);
	*nl = '\0';
	return nl - buf;
}

int vgpu_run_text(vgpu_device *dev, const char *line, char *reply, size_t len)
{
	size_t n = strlen(line);
	struct vgpu_cmd cmd;
	int err;
	char msg[VGPU_MSG_MAX];
	if (memchr(line, '\n', n))
		return dev_fail(dev, -EINVAL, "one line only: '%s'", line);
	if (vgpu_text_parse(line, n, &cmd, &err, msg, sizeof(msg)) ==
	    VGPU_LINE_EMPTY)
		return dev_fail(dev, -EINVAL, "no command in '%s'", line);
	int q = openat(dev->dirfd, VGPU_FILE_QUEUE, O_RDWR | O_CLOEXEC);
	if (q < 0)
		return dev_fail(dev, -errno, "%s/queue: %s", dev->path,
				strerror(errno));
	char *out = malloc(n + 2);
	char completion[VGPU_LINE_MAX + 64];
	int rc = out ? 0 : -ENOMEM;
	if (rc == 0) {
		memcpy(out, line, n);
		out[n] = '\n';
		rc = write_all(q, out, n + 1);
	}
	ssize_t got =
	    rc < 0 ? rc : read_line(q, completion, sizeof(completion));
	free(out);
	close(q);
	if (got < 0)
		return dev_fail(dev, (int)got, "%s/queue: %s", dev->path,
				strerror((int)-got));
	if (reply)
		snprintf(reply, len, "%s", completion);
	rc = vgpu_completion_status(completion);
	if (rc < 0) {
		const char *m = strstr(completion, ": ");
		dev_fail_msg(dev, rc, m ? m + 2 : completion);
	}
	return rc;
}
