/* The kernel implementations, one per file; registry.c maps ids to them. */
#ifndef VGPUFS_KERNELS_KERNEL_LIST_H
#define VGPUFS_KERNELS_KERNEL_LIST_H

#include <vgpufs/kernel_impl.h>

extern const struct vgpu_kernel_impl vgpu_k_nop;
extern const struct vgpu_kernel_impl vgpu_k_fill;
extern const struct vgpu_kernel_impl vgpu_k_copy;
extern const struct vgpu_kernel_impl vgpu_k_axpy;
extern const struct vgpu_kernel_impl vgpu_k_dot;
/* k_gemm.c */
extern const struct vgpu_kernel_impl vgpu_k_gemm, vgpu_k_gemm_batched;
/* k_binary.c */
extern const struct vgpu_kernel_impl vgpu_k_add, vgpu_k_sub, vgpu_k_mul,
    vgpu_k_div, vgpu_k_max, vgpu_k_min, vgpu_k_pow;
/* k_unary.c */
extern const struct vgpu_kernel_impl vgpu_k_relu, vgpu_k_gelu, vgpu_k_sigmoid,
    vgpu_k_tanh, vgpu_k_exp, vgpu_k_log, vgpu_k_sqrt, vgpu_k_abs, vgpu_k_neg,
    vgpu_k_recip;
/* k_cast.c */
extern const struct vgpu_kernel_impl vgpu_k_cast;
/* k_fft.c */
extern const struct vgpu_kernel_impl vgpu_k_fft;
/* k_reduce.c */
extern const struct vgpu_kernel_impl vgpu_k_sum, vgpu_k_mean, vgpu_k_amax,
    vgpu_k_amin, vgpu_k_argmax, vgpu_k_argmin;
/* k_rownorm.c */
extern const struct vgpu_kernel_impl vgpu_k_softmax, vgpu_k_log_softmax,
    vgpu_k_layernorm;
/* k_transpose.c */
extern const struct vgpu_kernel_impl vgpu_k_transpose;
extern const struct vgpu_kernel_impl vgpu_k_conv2d;
/* k_pool.c */
extern const struct vgpu_kernel_impl vgpu_k_maxpool2d, vgpu_k_avgpool2d;
extern const struct vgpu_kernel_impl vgpu_k_gaussian_blur;
extern const struct vgpu_kernel_impl vgpu_k_sobel;
extern const struct vgpu_kernel_impl vgpu_k_resize;
extern const struct vgpu_kernel_impl vgpu_k_gemv;
extern const struct vgpu_kernel_impl vgpu_k_scal;
/* k_norm.c */
extern const struct vgpu_kernel_impl vgpu_k_nrm2, vgpu_k_asum;
extern const struct vgpu_kernel_impl vgpu_k_gelu_backward;
/* k_embedding.c */
extern const struct vgpu_kernel_impl vgpu_k_embedding,
    vgpu_k_embedding_backward;
/* k_cross_entropy.c */
extern const struct vgpu_kernel_impl vgpu_k_cross_entropy,
    vgpu_k_cross_entropy_backward;
/* k_optim.c */
extern const struct vgpu_kernel_impl vgpu_k_adamw, vgpu_k_sgd;
/* k_row_backward.c */
extern const struct vgpu_kernel_impl vgpu_k_softmax_backward,
    vgpu_k_layernorm_backward;

#endif
