/*
 * Programs (OpenCL C source or IR in a buffer under mem/) and launches of
 * their kernels: an NDRange and typed parameters by name become a binary
 * launch packet in the stream's batch (docs/protocol.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/launch_params.h>

#include "client.h"

_Static_assert((int)VGPU_KARG_BUF == VGPU_BIN_PARAM_BUF &&
		   (int)VGPU_KARG_INT == VGPU_BIN_PARAM_INT &&
		   (int)VGPU_KARG_FLOAT == VGPU_BIN_PARAM_FLOAT &&
		   (int)VGPU_KARG_LOCAL == VGPU_BIN_PARAM_LOCAL,
	       "parameter kinds are the protocol's");

int vgpu_program_load(vgpu_device *dev, const char *name, const void *code,
		      size_t len, vgpu_buffer **prog)
{
	*prog = NULL;
	if (!code || len == 0)
		return dev_fail(dev, -EINVAL, "a program of no bytes");
	vgpu_buffer *b;
	int rc = vgpu_buffer_create(dev, name, len, 0644, &b);
	if (rc < 0)
		return rc;
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(b->fd, (const char *)code + done, len - done,
				   (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			dev_fail(dev, rc, "mem/%s: writing the program: %s",
				 b->name, strerror(-rc));
			if (name)
				vgpu_buffer_remove(dev, name);
			vgpu_buffer_close(b);
			return rc;
		}
		done += (size_t)n;
	}
	*prog = b;
	return 0;
}

int vgpu_program_load_file(vgpu_device *dev, const char *name, const char *path,
			   vgpu_buffer **prog)
{
	*prog = NULL;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		return dev_fail(dev, path ? rc : -EINVAL, "%s: %s",
				path ? path : "(null)", strerror(-rc));
	}
	size_t len = (size_t)st.st_size;
	char *code = malloc(len ? len : 1);
	ssize_t got = code ? read(fd, code, len) : -1;
	int err = got < 0 ? (code ? -errno : -ENOMEM) : 0;
	close(fd);
	int rc = err < 0 ? dev_fail(dev, err, "%s: %s", path, strerror(-err))
		 : (size_t)got != len
		     ? dev_fail(dev, -EIO, "%s: changed while read", path)
		     : vgpu_program_load(dev, name, code, len, prog);
	free(code);
	return rc;
}

static int put_prog(void *pkt, size_t cap, const vgpu_buffer *prog)
{
	return vgpu_bin_put_buf(pkt, cap, 0, prog->handle, 0);
}

static int build_build(void *pkt, size_t cap, void *arg)
{
	return put_prog(pkt, cap, arg);
}

int vgpu_program_build(vgpu_buffer *prog, char *msg, size_t msglen)
{
	if (msglen)
		msg[0] = '\0';
	vgpu_stream *s;
	int rc = vgpu_stream_create(prog->dev, &s);
	if (rc < 0)
		return rc;
	int64_t cmd = stream_append(s, VGPU_K_BUILD, build_build, prog);
	rc = cmd < 0 ? (int)cmd : vgpu_wait(s, cmd);
	if (rc < 0) {
		if (msglen)
			snprintf(msg, msglen, "%s", vgpu_last_message(s));
		dev_fail_msg(prog->dev, rc, vgpu_last_message(s));
	}
	vgpu_stream_destroy(s);
	return rc;
}

struct kernel_launch {
	vgpu_stream *s;
	const vgpu_buffer *prog;
	const char *kernel;
	const vgpu_ndrange *nd;
	const vgpu_karg *args;
	size_t nargs;
};

static bool lanes_valid(unsigned n)
{
	return n == 1 || n == 2 || n == 3 || n == 4 || n == 8 || n == 16;
}

static int put_karg(struct kernel_launch *l, void *pkt, size_t cap,
		    const vgpu_karg *a)
{
	const char *n = a->name;
	switch (a->kind) {
	case VGPU_KARG_BUF: {
		if (!a->v.buf.buf)
			return stream_fail(l->s, -EINVAL,
					   "launch: %s: a NULL buffer", n);
		struct vgpu_bin_buf b = {.handle = a->v.buf.buf->handle,
					 .offset = a->v.buf.offset};
		return vgpu_bin_put_param(pkt, cap, n, VGPU_BIN_PARAM_BUF, 1,
					  &b);
	}
	case VGPU_KARG_INT:
	case VGPU_KARG_FLOAT:
		if (!lanes_valid(a->lanes))
			return stream_fail(l->s, -EINVAL,
					   "launch: %s: %u lanes (1, 2, 3, "
					   "4, 8 or 16)",
					   n, a->lanes);
		return vgpu_bin_put_param(pkt, cap, n,
					  (enum vgpu_bin_param_kind)a->kind,
					  a->lanes, a->v.i);
	case VGPU_KARG_LOCAL:
		return vgpu_bin_put_param(pkt, cap, n, VGPU_BIN_PARAM_LOCAL, 1,
					  &a->v.local);
	}
	return stream_fail(l->s, -EINVAL, "launch: %s: unknown kind %d", n,
			   (int)a->kind);
}

static int put_dims(struct kernel_launch *l, void *pkt, size_t cap,
		    unsigned index, const uint64_t v[])
{
	unsigned n = l->nd->dims;
	bool any = false;
	for (unsigned d = 0; d < n; d++)
		any |= v[d] != 0;
	if (!any && index != LAUNCH_GLOBAL)
		return 0; /* not given: the device's default */
	return vgpu_bin_put_dims(pkt, cap, (uint16_t)index, n, v);
}

static int build_launch(void *pkt, size_t cap, void *arg)
{
	struct kernel_launch *l = arg;
	const vgpu_ndrange *nd = l->nd;
	if (!nd || nd->dims < 1 || nd->dims > 3)
		return stream_fail(l->s, -EINVAL,
				   "launch: an NDRange has 1 to 3 dimensions");
	int rc = put_prog(pkt, cap, l->prog);
	if (rc == 0)
		rc = vgpu_bin_put_name(pkt, cap, LAUNCH_KERNEL, l->kernel);
	if (rc == -EINVAL)
		return stream_fail(l->s, rc,
				   "launch: kernel '%s' is not a name of 1 to "
				   "%d letters, digits or '_'",
				   l->kernel, VGPU_NAME_MAX);
	if (rc == 0)
		rc = put_dims(l, pkt, cap, LAUNCH_GLOBAL, nd->global);
	if (rc == 0)
		rc = put_dims(l, pkt, cap, LAUNCH_LOCAL, nd->local);
	if (rc == 0)
		rc = put_dims(l, pkt, cap, LAUNCH_OFFSET, nd->offset);
	for (size_t j = 0; j < l->nargs && rc == 0; j++) {
		const vgpu_karg *a = &l->args[j];
		if (!a->name ||
		    !vgpu_param_name_valid(a->name, strlen(a->name)))
			return stream_fail(l->s, -EINVAL,
					   "launch: parameter %zu: '%s' is "
					   "not a C identifier",
					   j + 1, a->name ? a->name : "(null)");
		for (size_t i = 0; i < j; i++)
			if (strcmp(l->args[i].name, a->name) == 0)
				return stream_fail(l->s, -EINVAL,
						   "launch: %s given twice",
						   a->name);
		rc = put_karg(l, pkt, cap, a);
	}
	if (rc == -ENOSPC)
		return stream_fail(l->s, rc,
				   "launch: the parameters pass a packet's "
				   "%d bytes",
				   VGPU_BIN_PACKET_MAX);
	return rc;
}

int64_t vgpu_launch_kernel(vgpu_stream *s, vgpu_buffer *prog,
			   const char *kernel, const vgpu_ndrange *nd,
			   const vgpu_karg *args, size_t nargs)
{
	if (!prog || !kernel)
		return stream_fail(s, -EINVAL, "launch: a NULL %s",
				   prog ? "kernel name" : "program");
	if (nargs > VGPU_PARAMS_MAX)
		return stream_fail(s, -E2BIG,
				   "launch: %zu parameters (at most %d)", nargs,
				   VGPU_PARAMS_MAX);
	struct kernel_launch l = {s, prog, kernel, nd, args, nargs};
	return stream_append(s, VGPU_K_LAUNCH, build_launch, &l);
}
