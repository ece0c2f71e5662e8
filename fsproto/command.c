#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int vgpu_cmd_check_required(const struct vgpu_cmd *cmd, char *msg,
			    size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	for (unsigned i = 0; i < k->nargs; i++)
		if (k->args[i].required && !vgpu_cmd_given(cmd, i)) {
			snprintf(msg, msglen, "%s: missing argument '%s' (%s)",
				 k->name, k->args[i].name, k->args[i].help);
			return -EINVAL;
		}
	return 0;
}

bool vgpu_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > VGPU_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}
