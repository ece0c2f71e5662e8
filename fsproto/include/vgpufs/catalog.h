/*
 * The kernel catalogue as the protocol sees it: names, stable ids and
 * argument lists. The argument index enums are shared with kernels/, which
 * reads arguments by these indices.
 */
#ifndef VGPUFS_CATALOG_H
#define VGPUFS_CATALOG_H

#include "command.h"

enum vgpu_kernel_id {
	VGPU_K_NOP = 0,
	VGPU_K_FILL = 1,
	VGPU_K_COPY = 2,
	VGPU_K_AXPY = 3,
	VGPU_K_DOT = 4,
	VGPU_K_GEMM = 5,
	VGPU_K_COUNT
};

enum { FILL_BUF, FILL_VALUE, FILL_N, FILL_DTYPE, FILL_NARGS };
enum { COPY_SRC, COPY_DST, COPY_BYTES, COPY_NARGS };
enum { AXPY_X, AXPY_Y, AXPY_ALPHA, AXPY_N, AXPY_DTYPE, AXPY_NARGS };
enum { DOT_X, DOT_Y, DOT_OUT, DOT_N, DOT_DTYPE, DOT_NARGS };
enum {
	GEMM_A,
	GEMM_B,
	GEMM_C,
	GEMM_M,
	GEMM_N,
	GEMM_K,
	GEMM_DTYPE,
	GEMM_TRANSA,
	GEMM_TRANSB,
	GEMM_ALPHA,
	GEMM_BETA,
	GEMM_LDA, /* 0: not given, the packed default */
	GEMM_LDB,
	GEMM_LDC,
	GEMM_NARGS
};

/* NULL when no kernel has that name / id. */
const struct vgpu_kernel_spec *vgpu_catalog_find(const char *name, size_t len);
const struct vgpu_kernel_spec *vgpu_catalog_by_id(unsigned id);
/* Number of kernels; ids run from 0 to count-1. */
unsigned vgpu_catalog_count(void);

/*
 * Writes the human-readable description of a kernel (what `cat
 * kernels/NAME` shows) into BUF; returns the length it needs, like
 * snprintf.
 */
int vgpu_catalog_describe(const struct vgpu_kernel_spec *k, char *buf,
			  size_t len);

#endif
