/*
 * Kernel signatures as the daemon publishes them for a built program: the
 * text of the user.vgpu.kernels attribute of its buffer, one line a kernel
 * (docs/kernels-opencl.md, "Signatures"):
 *
 *   KERNEL PARAM... [reqd_work_group_size=X,Y,Z]
 *   PARAM = NAME:KIND:TYPE:LANES:SPACE:ACCESS
 *
 * KIND buffer|scalar|local; TYPE bool|i8|i16|i32|i64|f32|f64 for a
 * scalar, '-' for a pointer (the IR keeps no element type); LANES 1, 2,
 * 3, 4, 8 or 16 (a vector scalar; 1 for pointers); SPACE
 * global|constant|local|private; ACCESS rw|ro (ro: a scalar, a __constant
 * pointer or one the kernel never stores through). The parser takes the
 * text as untrusted and checks every field and their agreement.
 */
#ifndef VGPUFS_KERNEL_SIG_H
#define VGPUFS_KERNEL_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launch_params.h"

#define VGPU_XATTR_KERNELS "user.vgpu.kernels"
/* A line's bound: a name and VGPU_PARAMS_MAX long parameters. */
#define VGPU_SIG_LINE_MAX 8192

enum vgpu_sig_kind { VGPU_SIG_BUFFER, VGPU_SIG_SCALAR, VGPU_SIG_LOCAL };
enum vgpu_sig_type {
	VGPU_SIG_NONE, /* '-': a pointer's */
	VGPU_SIG_BOOL,
	VGPU_SIG_I8,
	VGPU_SIG_I16,
	VGPU_SIG_I32,
	VGPU_SIG_I64,
	VGPU_SIG_F32,
	VGPU_SIG_F64,
};
enum vgpu_sig_space {
	VGPU_SIG_PRIVATE,
	VGPU_SIG_GLOBAL,
	VGPU_SIG_CONSTANT,
	VGPU_SIG_LOCAL_SPACE,
};

struct vgpu_sig_param {
	char name[VGPU_PARAM_NAME_MAX + 1];
	enum vgpu_sig_kind kind;
	enum vgpu_sig_type type;
	unsigned lanes;
	enum vgpu_sig_space space;
	bool read_only;
};

struct vgpu_sig_kernel {
	char name[VGPU_PARAM_NAME_MAX + 1];
	unsigned nparams;
	struct vgpu_sig_param params[VGPU_PARAMS_MAX];
	uint32_t reqd_work_group_size[3]; /* 0 0 0: not given */
};

/* Bytes of one lane of TYPE (bool: 1; '-': 0). */
size_t vgpu_sig_type_size(enum vgpu_sig_type type);

/*
 * K as one line, '\n' ending it, into OUT (CAP bytes, NUL-terminated when
 * CAP > 0); its length, as snprintf counts it: a result >= CAP was cut.
 */
size_t vgpu_sig_format(const struct vgpu_sig_kernel *k, char *out, size_t cap);

/*
 * One line S (LEN bytes, no '\n') into *K: 0, or -EINVAL with what is
 * wrong in MSG.
 */
int vgpu_sig_parse_line(const char *s, size_t len, struct vgpu_sig_kernel *k,
			char *msg, size_t msglen);

/*
 * Kernel NAME's line in TEXT (LEN bytes, lines ending in '\n') parsed into
 * *K: 0, -ENOENT when no line names it, or -EINVAL (that line malformed).
 */
int vgpu_sig_find(const char *text, size_t len, const char *name,
		  struct vgpu_sig_kernel *k, char *msg, size_t msglen);

#endif
