#include <vgpufs/command.h>

void vgpu_cmd_apply_defaults(struct vgpu_cmd *cmd)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	for (unsigned i = 0; i < k->nargs; i++) {
		if (vgpu_cmd_given(cmd, i))
			continue;
		const struct vgpu_arg_spec *a = &k->args[i];
		switch (a->type) {
		case VGPU_ARG_FLOAT:
			cmd->val[i].f = a->fdef;
			break;
		case VGPU_ARG_BUF:
			cmd->buf[i] = a->same_as && a->same_as <= k->nargs
					  ? cmd->buf[a->same_as - 1]
					  : (struct vgpu_bufref){0};
			break;
		default:
			cmd->val[i].i = a->idef;
			break;
		}
	}
}
