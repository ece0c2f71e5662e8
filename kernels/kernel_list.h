/* The kernel implementations, one per file; registry.c maps ids to them. */
#ifndef VGPUFS_KERNELS_KERNEL_LIST_H
#define VGPUFS_KERNELS_KERNEL_LIST_H

#include "kernel_impl.h"

extern const struct vgpu_kernel_impl vgpu_k_nop;
extern const struct vgpu_kernel_impl vgpu_k_fill;
extern const struct vgpu_kernel_impl vgpu_k_copy;
extern const struct vgpu_kernel_impl vgpu_k_axpy;
extern const struct vgpu_kernel_impl vgpu_k_dot;
extern const struct vgpu_kernel_impl vgpu_k_gemm;

#endif
