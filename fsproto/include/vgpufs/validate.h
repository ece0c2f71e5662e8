/*
 * Validation that both protocol forms share: argument relations and buffer
 * extents against the buffers' sizes, overflow-safe.
 */
#ifndef VGPUFS_VALIDATE_H
#define VGPUFS_VALIDATE_H

#include "command.h"

/* What the validator needs to know of the buffer bound to an argument. */
struct vgpu_bufinfo {
	uint64_t id;   /* identity (inode number): for overlap checks */
	uint64_t size; /* bytes */
};

/*
 * BUF[i] describes the buffer bound to argument i (only read for buffer
 * arguments). Checks argument relations, that every extent fits its buffer
 * from its offset without overflow, and the kernel's aliasing rule. Returns
 * 0, or -errno with a message in MSG such as
 * "gemm: buffer 'b' holds 4096 bytes, needs 4194304 (k*n*4)".
 */
int vgpu_cmd_validate(const struct vgpu_cmd *cmd,
		      const struct vgpu_bufinfo buf[], char *msg,
		      size_t msglen);
/* The same; on success also sets *BYTES to vgpu_cmd_bytes(CMD). */
int vgpu_cmd_validate_bytes(const struct vgpu_cmd *cmd,
			    const struct vgpu_bufinfo buf[], char *msg,
			    size_t msglen, uint64_t *bytes);

/*
 * Work of a valid command, for statistics: bytes its buffer arguments span
 * (sum of extents) and floating-point operations (the kernel's estimate,
 * 0 when it gives none).
 */
uint64_t vgpu_cmd_bytes(const struct vgpu_cmd *cmd);
uint64_t vgpu_cmd_flops(const struct vgpu_cmd *cmd);

#endif
