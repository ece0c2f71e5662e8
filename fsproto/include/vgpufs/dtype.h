/* Element types understood by the protocol and the kernels. */
#ifndef VGPUFS_DTYPE_H
#define VGPUFS_DTYPE_H

#include <stddef.h>
#include <stdint.h>

/* Values are part of the binary protocol: append only. */
enum vgpu_dtype {
	VGPU_F32 = 0,
	VGPU_F64 = 1,
	VGPU_I32 = 2,  /* signed 32-bit integer */
	VGPU_U8 = 3,   /* unsigned byte (image data) */
	VGPU_BF16 = 4, /* bfloat16: the top half of an f32 (gemm inputs) */
	VGPU_DTYPE_COUNT
};

/* A set of dtypes: bit t for enum vgpu_dtype t. */
#define VGPU_DT(t) (1u << (t))
/* The types kernels compute in; bf16 is for storage (cast, gemm inputs). */
#define VGPU_DT_FLT (VGPU_DT(VGPU_F32) | VGPU_DT(VGPU_F64))
#define VGPU_DT_ALL ((1u << VGPU_DTYPE_COUNT) - 1)

/* Bytes per element; 0 for an unknown type. */
size_t vgpu_dtype_size(enum vgpu_dtype t);
/* "f32", "f64", "i32", "u8", "bf16"; NULL for an unknown type. */
const char *vgpu_dtype_name(enum vgpu_dtype t);
/* Returns the type or -1 when NAME (LEN bytes) names none. */
int vgpu_dtype_parse(const char *name, size_t len);
/*
 * Writes the names of the dtypes in MASK, separated by ", " ("f32, f64"),
 * into BUF (always terminated when LEN > 0); returns BUF.
 */
char *vgpu_dtype_list(uint32_t mask, char *buf, size_t len);

#endif
