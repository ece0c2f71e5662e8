/*
 * Binary packets into internal commands. Every field is checked before it
 * is used: a packet can only make the parser report an error, never read
 * past what it was given.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "fail_msg.h"

static const char *const type_names[] = {
    [VGPU_ARG_BUF] = "buffer",	    [VGPU_ARG_INT] = "integer",
    [VGPU_ARG_FLOAT] = "float",	    [VGPU_ARG_DTYPE] = "dtype",
    [VGPU_ARG_BOOL] = "bool",	    [VGPU_ARG_NAME] = "name",
    [VGPU_ARG_KEYWORD] = "keyword", [VGPU_ARG_DIMS] = "sizes",
};

static size_t value_len(enum vgpu_arg_type t)
{
	return t == VGPU_ARG_BUF    ? sizeof(struct vgpu_bin_buf)
	       : t == VGPU_ARG_NAME ? 0 /* 1 to VGPU_NAME_MAX */
				    : 8;
}

/* Stores argument IDX's value V (LEN bytes, aligned copy) into CMD. */
static int take_value(struct vgpu_cmd *cmd, unsigned idx, const char *v,
		      size_t len, char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	const struct vgpu_arg_spec *a = &k->args[idx];
	size_t want = value_len(a->type);
	if (want ? len != want : len < 1 || len > VGPU_NAME_MAX)
		return vgpu_fail_msg(
		    msg, msglen, -EINVAL,
		    "%s: argument '%s': value of %zu bytes (a %s "
		    "takes %zu)",
		    k->name, a->name, len, type_names[a->type],
		    want ? want : (size_t)VGPU_NAME_MAX);
	struct vgpu_bin_buf b;
	int64_t i;
	double f;
	switch (a->type) {
	case VGPU_ARG_BUF:
		memcpy(&b, v, sizeof(b));
		if (b.handle == 0)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: %s: buffer handle 0 (use st_ino)", k->name,
			    a->name);
		cmd->buf[idx] = (struct vgpu_bufref){.handle = b.handle,
						     .offset = b.offset};
		return 0;
	case VGPU_ARG_FLOAT:
		memcpy(&f, v, sizeof(f));
		if (!isfinite(f))
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: %s is not a finite number",
					     k->name, a->name);
		cmd->val[idx].f = f;
		return 0;
	case VGPU_ARG_DTYPE:
		memcpy(&i, v, sizeof(i));
		if (i < 0 || i >= VGPU_DTYPE_COUNT)
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: %s: unknown dtype %lld",
					     k->name, a->name, (long long)i);
		cmd->val[idx].i = i;
		return 0;
	case VGPU_ARG_INT:
	case VGPU_ARG_BOOL:
		memcpy(&i, v, sizeof(i));
		if (i < a->imin || i > a->imax)
			return vgpu_fail_msg(
			    msg, msglen, -ERANGE,
			    "%s: %s=%lld is out of range [%lld, %lld]", k->name,
			    a->name, (long long)i, (long long)a->imin,
			    (long long)a->imax);
		cmd->val[idx].i = i;
		return 0;
	case VGPU_ARG_KEYWORD:
		memcpy(&i, v, sizeof(i));
		for (int64_t w = 0; a->words && a->words[w]; w++)
			if (w == i) {
				cmd->val[idx].i = i;
				return 0;
			}
		return vgpu_fail_msg(msg, msglen, -EINVAL,
				     "%s: %s: no word number %lld", k->name,
				     a->name, (long long)i);
	case VGPU_ARG_DIMS: /* build and launch are refused before */
		return -ENOSYS;
	case VGPU_ARG_NAME:
		if (!vgpu_name_valid(v, len))
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: %s is not a name (letters, digits, "
			    "'_', '.' or '-')",
			    k->name, a->name);
		memcpy(cmd->name, v, len);
		cmd->name[len] = '\0';
		return 0;
	}
	return -EINVAL;
}

/* The arguments of a packet of SIZE bytes at P (header checked). */
static int parse_args(struct vgpu_cmd *cmd, const char *p, size_t size,
		      uint32_t nargs, char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	size_t pos = sizeof(struct vgpu_bin_header);
	for (uint32_t n = 0; n < nargs; n++) {
		struct vgpu_bin_arg a;
		if (size - pos < sizeof(a))
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: argument %u of %u runs past the "
			    "packet's end",
			    k->name, n + 1, nargs);
		memcpy(&a, p + pos, sizeof(a));
		pos += sizeof(a);
		size_t padded = ((size_t)a.len + VGPU_BIN_ALIGN - 1) &
				~(size_t)(VGPU_BIN_ALIGN - 1);
		if (a.len > size - pos || padded > size - pos)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: argument %u of %u: its %u bytes run "
			    "past the packet's end",
			    k->name, n + 1, nargs, a.len);
		if (a.index >= k->nargs)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: argument index %u (it takes %u)", k->name,
			    a.index, k->nargs);
		const struct vgpu_arg_spec *s = &k->args[a.index];
		if (a.type != s->type)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: argument '%s' is a %s, not type %u", k->name,
			    s->name, type_names[s->type], a.type);
		if (vgpu_cmd_given(cmd, a.index))
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: argument '%s' is given twice",
					     k->name, s->name);
		int rc = take_value(cmd, a.index, p + pos, a.len, msg, msglen);
		if (rc < 0)
			return rc;
		cmd->given |= 1u << a.index;
		pos += padded;
	}
	if (pos != size)
		return vgpu_fail_msg(msg, msglen, -EINVAL,
				     "%s: %zu bytes after the last argument",
				     k->name, size - pos);
	int rc = vgpu_cmd_check_required(cmd, msg, msglen);
	if (rc == 0)
		vgpu_cmd_apply_defaults(cmd);
	return rc;
}

enum vgpu_bin_kind vgpu_bin_parse(const void *data, size_t avail,
				  struct vgpu_cmd *cmd, size_t *size,
				  uint64_t *tag, uint16_t *kernel, int *err,
				  char *msg, size_t msglen)
{
	*cmd = (struct vgpu_cmd){0};
	msg[0] = '\0';
	struct vgpu_bin_header h;
	if (avail < sizeof(h.size))
		return VGPU_BIN_MORE;
	memcpy(&h.size, data, sizeof(h.size));
	if (h.size < sizeof(h) || h.size > VGPU_BIN_PACKET_MAX ||
	    h.size % VGPU_BIN_ALIGN) {
		*err = vgpu_fail_msg(
		    msg, msglen, -EINVAL,
		    "packet size %u is impossible (%zu to %d, a "
		    "multiple of %d): the stream cannot continue",
		    h.size, sizeof(h), VGPU_BIN_PACKET_MAX, VGPU_BIN_ALIGN);
		return VGPU_BIN_BROKEN;
	}
	if (avail < h.size)
		return VGPU_BIN_MORE;
	memcpy(&h, data, sizeof(h));
	*size = h.size;
	*tag = h.tag;
	*kernel = h.kernel;
	if (h.version != VGPU_BIN_VERSION) {
		*err = vgpu_fail_msg(
		    msg, msglen, -EPROTO,
		    "packet version %u: this daemon speaks version %d",
		    h.version, VGPU_BIN_VERSION);
		return VGPU_BIN_ERROR;
	}
	cmd->spec = vgpu_catalog_by_id(h.kernel);
	if (!cmd->spec) {
		*kernel = VGPU_BIN_NO_KERNEL;
		*err = vgpu_fail_msg(
		    msg, msglen, -ENOSYS,
		    "unknown kernel id %u (ls kernels/ lists them)", h.kernel);
		return VGPU_BIN_ERROR;
	}
	if (h.flags) {
		*err =
		    vgpu_fail_msg(msg, msglen, -EINVAL,
				  "%s: unknown flags 0x%x in the packet header",
				  cmd->spec->name, h.flags);
		return VGPU_BIN_ERROR;
	}
	if (cmd->spec->program) {
		*err = vgpu_fail_msg(msg, msglen, -ENOSYS,
				     "%s: only in the text form for now",
				     cmd->spec->name);
		return VGPU_BIN_ERROR;
	}
	*err = parse_args(cmd, data, h.size, h.nargs, msg, msglen);
	return *err < 0 ? VGPU_BIN_ERROR : VGPU_BIN_COMMAND;
}
