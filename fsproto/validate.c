#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <vgpufs/dtype.h>
#include <vgpufs/validate.h>

static bool overlaps(uint64_t a0, uint64_t alen, uint64_t b0, uint64_t blen)
{
	return alen && blen && a0 < b0 + blen && b0 < a0 + alen;
}

static int check_alias(const struct vgpu_cmd *cmd,
		       const struct vgpu_bufinfo buf[],
		       const struct vgpu_extent ext[], char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	if (k->alias == VGPU_ALIAS_ANY)
		return 0;
	for (unsigned o = 0; o < k->nargs; o++) {
		if (k->args[o].type != VGPU_ARG_BUF ||
		    !(k->args[o].access & VGPU_ACC_W))
			continue;
		for (unsigned i = 0; i < k->nargs; i++) {
			if (i == o || k->args[i].type != VGPU_ARG_BUF ||
			    buf[i].id != buf[o].id)
				continue;
			uint64_t io = cmd->buf[i].offset,
				 oo = cmd->buf[o].offset;
			if (!overlaps(io, ext[i].bytes, oo, ext[o].bytes))
				continue;
			if (k->alias == VGPU_ALIAS_SAME_OR_DISJOINT &&
			    io == oo && ext[i].bytes == ext[o].bytes)
				continue;
			snprintf(msg, msglen,
				 "%s: '%s' overlaps '%s' in the same buffer%s",
				 k->name, k->args[o].name, k->args[i].name,
				 k->alias == VGPU_ALIAS_SAME_OR_DISJOINT
				     ? " (they may only be the very same range)"
				     : "");
			return -EINVAL;
		}
	}
	return 0;
}

/* Every dtype argument names a type the kernel supports. */
static int check_dtypes(const struct vgpu_cmd *cmd, char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_DTYPE)
			continue;
		int64_t t = vgpu_cmd_i(cmd, i);
		if (t >= 0 && t < VGPU_DTYPE_COUNT && (k->dtypes & VGPU_DT(t)))
			continue;
		char list[64];
		vgpu_dtype_list(k->dtypes, list, sizeof(list));
		const char *name = t >= 0 && t < VGPU_DTYPE_COUNT
				       ? vgpu_dtype_name((enum vgpu_dtype)t)
				       : "?";
		snprintf(msg, msglen, "%s: %s=%s is not supported (%s)",
			 k->name, k->args[i].name, name, list);
		return -EINVAL;
	}
	return 0;
}

/*
 * Argument I's offset is a multiple of the size of the elements it holds,
 * so that no kernel loads or stores a misaligned element. An optional
 * buffer not given shares a given one's offset and is not used: skipped.
 */
static int check_align(const struct vgpu_cmd *cmd, unsigned i,
		       const struct vgpu_extent *ext, char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	size_t es = vgpu_dtype_size(ext->elem);
	uint64_t off = cmd->buf[i].offset;
	if (es <= 1 || off % es == 0 ||
	    (k->args[i].same_as && !vgpu_cmd_given(cmd, i)))
		return 0;
	snprintf(msg, msglen,
		 "%s: '%s' offset %" PRIu64
		 " is not a multiple of %zu (the size of %s)",
		 k->name, k->args[i].name, off, es, vgpu_dtype_name(ext->elem));
	return -EINVAL;
}

/* Sum of the buffer arguments' extents, saturated. */
static uint64_t extent_sum(const struct vgpu_kernel_spec *k,
			   const struct vgpu_extent ext[])
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < k->nargs; i++)
		if (k->args[i].type == VGPU_ARG_BUF &&
		    __builtin_add_overflow(sum, ext[i].bytes, &sum))
			return UINT64_MAX;
	return sum;
}

int vgpu_cmd_validate(const struct vgpu_cmd *cmd,
		      const struct vgpu_bufinfo buf[], char *msg, size_t msglen)
{
	uint64_t bytes;
	return vgpu_cmd_validate_bytes(cmd, buf, msg, msglen, &bytes);
}

int vgpu_cmd_validate_bytes(const struct vgpu_cmd *cmd,
			    const struct vgpu_bufinfo buf[], char *msg,
			    size_t msglen, uint64_t *bytes)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		ext[i].elem = VGPU_U8; /* unless the kernel says otherwise */
	int rc = check_dtypes(cmd, msg, msglen);
	if (rc < 0)
		return rc;
	rc = k->extents(cmd, ext, msg, msglen);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_BUF)
			continue;
		rc = check_align(cmd, i, &ext[i], msg, msglen);
		if (rc < 0)
			return rc;
		uint64_t off = cmd->buf[i].offset, end;
		if (__builtin_add_overflow(off, ext[i].bytes, &end) ||
		    end > buf[i].size) {
			if (off)
				snprintf(msg, msglen,
					 "%s: buffer '%s' holds %" PRIu64
					 " bytes, needs %" PRIu64
					 " (%s) from offset %" PRIu64,
					 k->name, k->args[i].name, buf[i].size,
					 ext[i].bytes, ext[i].formula, off);
			else
				snprintf(msg, msglen,
					 "%s: buffer '%s' holds %" PRIu64
					 " bytes, needs %" PRIu64 " (%s)",
					 k->name, k->args[i].name, buf[i].size,
					 ext[i].bytes, ext[i].formula);
			return -EINVAL;
		}
	}
	*bytes = extent_sum(k, ext);
	return check_alias(cmd, buf, ext, msg, msglen);
}

uint64_t vgpu_cmd_bytes(const struct vgpu_cmd *cmd)
{
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	char msg[8];
	if (cmd->spec->extents(cmd, ext, msg, sizeof(msg)) < 0)
		return 0;
	return extent_sum(cmd->spec, ext);
}

uint64_t vgpu_cmd_flops(const struct vgpu_cmd *cmd)
{
	return cmd->spec->flops ? cmd->spec->flops(cmd) : 0;
}
