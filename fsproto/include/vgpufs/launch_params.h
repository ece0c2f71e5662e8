/*
 * The kernel parameters of a launch, as its text line gives them: every
 * key that is not one of launch's own (prog, kernel, global, local,
 * offset) is a parameter of the kernel, and `arg.NAME=VALUE` always is
 * one, which is how a parameter named like a launch key is given. The
 * parser checks them (names, count, no name twice); the daemon binds them
 * against the kernel's signature.
 */
#ifndef VGPUFS_LAUNCH_PARAMS_H
#define VGPUFS_LAUNCH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "command.h"

#define VGPU_PARAMS_MAX	      64   /* a kernel's parameters (the IR's bound) */
#define VGPU_PARAM_NAME_MAX   63   /* a C identifier's length */
#define VGPU_PARAM_VALUE_MAX  1100 /* a buffer path, '+' and an offset */
#define VGPU_PARAM_ARG_PREFIX "arg."

struct vgpu_param {
	const char *name, *value;
	size_t name_len, value_len;
};

/* Whether S (LEN bytes) is a C identifier of 1 to VGPU_PARAM_NAME_MAX. */
bool vgpu_param_name_valid(const char *s, size_t len);

/*
 * The next kernel parameter of CMD (a spec with params, parsed) from *POS
 * (start at 0) in cmd->params: false at the end. Launch keys are skipped;
 * `arg.` is taken off a name.
 */
bool vgpu_param_next(const struct vgpu_cmd *cmd, size_t *pos,
		     struct vgpu_param *p);

/*
 * Whether a token KEY (LEN bytes, before its '=') of a spec with params is
 * a kernel parameter; *NAME and *NAME_LEN get its name. False: one of the
 * spec's own arguments.
 */
bool vgpu_param_key(const struct vgpu_kernel_spec *k, const char *key,
		    size_t len, const char **name, size_t *name_len);

#endif
