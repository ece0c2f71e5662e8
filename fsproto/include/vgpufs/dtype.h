/* Element types understood by the protocol and the kernels. */
#ifndef VGPUFS_DTYPE_H
#define VGPUFS_DTYPE_H

#include <stddef.h>

enum vgpu_dtype { VGPU_F32 = 0, VGPU_F64 = 1, VGPU_DTYPE_COUNT };

/* Bytes per element; 0 for an unknown type. */
size_t vgpu_dtype_size(enum vgpu_dtype t);
/* "f32", "f64"; NULL for an unknown type. */
const char *vgpu_dtype_name(enum vgpu_dtype t);
/* Returns the type or -1 when NAME (LEN bytes) names none. */
int vgpu_dtype_parse(const char *name, size_t len);

#endif
