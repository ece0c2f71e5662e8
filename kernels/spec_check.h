/*
 * Defensive checks at run time with the catalogue's own rules: a kernel
 * given a command that validation would refuse returns -EINVAL instead of
 * reading or writing where it should not.
 */
#ifndef VGPUFS_KERNELS_SPEC_CHECK_H
#define VGPUFS_KERNELS_SPEC_CHECK_H

#include <errno.h>

#include <vgpufs/command.h>
#include <vgpufs/dtype.h>

/*
 * 0 when every integer argument is within its range, every dtype argument
 * names a type the kernel takes, and the arguments pass the spec's extents
 * function (relations, overflow); else -EINVAL.
 */
static inline int vgpu_spec_check(const struct vgpu_cmd *c)
{
	const struct vgpu_kernel_spec *k = c->spec;
	for (unsigned i = 0; i < k->nargs; i++) {
		const struct vgpu_arg_spec *a = &k->args[i];
		int64_t v = c->val[i].i;
		if ((a->type == VGPU_ARG_INT || a->type == VGPU_ARG_BOOL) &&
		    (v < a->imin || v > a->imax))
			return -EINVAL;
		if (a->type == VGPU_ARG_DTYPE &&
		    !(v >= 0 && v < VGPU_DTYPE_COUNT &&
		      (k->dtypes & VGPU_DT(v))))
			return -EINVAL;
	}
	struct vgpu_extent ext[VGPU_MAX_ARGS];
	char msg[VGPU_MSG_MAX];
	return k->extents(c, ext, msg, sizeof(msg)) < 0 ? -EINVAL : 0;
}

#endif
