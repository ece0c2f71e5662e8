/*
 * Private to the catalogue: the helpers its files share, and the specs that
 * live outside catalog.c (one file per family of kernels).
 */
#ifndef VGPUFS_CATALOG_FAMILY_H
#define VGPUFS_CATALOG_FAMILY_H

#include <errno.h>
#include <stdio.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "extent_math.h"

#define DIM_MAX	  INT32_MAX /* BLAS dimensions are 32-bit */
#define COUNT_MAX (INT64_MAX / 16)

#define BUF(n, acc, h)                                                         \
	{                                                                      \
		.name = n, .type = VGPU_ARG_BUF, .access = acc,                \
		.required = true, .help = h                                    \
	}
#define INT(n, req, lo, hi, def, h)                                            \
	{                                                                      \
		.name = n, .type = VGPU_ARG_INT, .required = req, .imin = lo,  \
		.imax = hi, .idef = def, .help = h                             \
	}
#define FLT(n, req, def, h)                                                    \
	{                                                                      \
		.name = n, .type = VGPU_ARG_FLOAT, .required = req,            \
		.fdef = def, .help = h                                         \
	}
#define BOOL(n, h)                                                             \
	{                                                                      \
		.name = n, .type = VGPU_ARG_BOOL, .imin = 0, .imax = 1,        \
		.help = h                                                      \
	}
#define DTYPE                                                                  \
	{                                                                      \
		.name = "dtype", .type = VGPU_ARG_DTYPE, .idef = VGPU_F32,     \
		.help = "element type: f32 (default) or f64"                   \
	}

/* The element type named by dtype argument DTYPE_IDX. */
static inline enum vgpu_dtype dtype_of(const struct vgpu_cmd *c,
				       unsigned dtype_idx)
{
	return (enum vgpu_dtype)vgpu_cmd_i(c, dtype_idx);
}

static inline size_t esize(const struct vgpu_cmd *c, unsigned dtype_idx)
{
	return vgpu_dtype_size(dtype_of(c, dtype_idx));
}

static inline int overflow(const struct vgpu_cmd *c, const char *what,
			   char *msg, size_t len)
{
	snprintf(msg, len, "%s: %s overflows a 64-bit size", c->spec->name,
		 what);
	return -EOVERFLOW;
}

/* EXT = COUNT elements of type DT, with formula "NAME*ES". */
static inline int vector_extent(const struct vgpu_cmd *c,
				struct vgpu_extent *ext, uint64_t count,
				const char *name, enum vgpu_dtype dt, char *msg,
				size_t len)
{
	size_t es = vgpu_dtype_size(dt);
	ext->elem = dt;
	if (!ext_mul(count, es, &ext->bytes))
		return overflow(c, name, msg, len);
	snprintf(ext->formula, sizeof(ext->formula), "%s*%zu", name, es);
	return 0;
}

/* EXT = one element of type DT (a scalar result), formula "ES". */
static inline void scalar_extent(struct vgpu_extent *ext, enum vgpu_dtype dt)
{
	ext->elem = dt;
	ext->bytes = vgpu_dtype_size(dt);
	snprintf(ext->formula, sizeof(ext->formula), "%zu",
		 vgpu_dtype_size(dt));
}

/* catalog_blas.c */
extern const struct vgpu_kernel_spec vgpu_spec_gemm, vgpu_spec_gemm_batched,
    vgpu_spec_gemv, vgpu_spec_scal, vgpu_spec_nrm2, vgpu_spec_asum;
/* catalog_elementwise.c */
extern const struct vgpu_kernel_spec vgpu_spec_add, vgpu_spec_sub,
    vgpu_spec_mul, vgpu_spec_div, vgpu_spec_max, vgpu_spec_min, vgpu_spec_pow;
extern const struct vgpu_kernel_spec vgpu_spec_relu, vgpu_spec_gelu,
    vgpu_spec_sigmoid, vgpu_spec_tanh, vgpu_spec_exp, vgpu_spec_log,
    vgpu_spec_sqrt, vgpu_spec_abs, vgpu_spec_neg, vgpu_spec_recip;
extern const struct vgpu_kernel_spec vgpu_spec_cast;
/* catalog_sync.c */
extern const struct vgpu_kernel_spec vgpu_spec_signal, vgpu_spec_wait;
/* catalog_fft.c */
extern const struct vgpu_kernel_spec vgpu_spec_fft;
/* catalog_reduce.c */
extern const struct vgpu_kernel_spec vgpu_spec_sum, vgpu_spec_mean,
    vgpu_spec_amax, vgpu_spec_amin, vgpu_spec_argmax, vgpu_spec_argmin;
extern const struct vgpu_kernel_spec vgpu_spec_softmax, vgpu_spec_log_softmax,
    vgpu_spec_layernorm, vgpu_spec_transpose;
/* catalog_conv.c */
extern const struct vgpu_kernel_spec vgpu_spec_conv2d, vgpu_spec_maxpool2d,
    vgpu_spec_avgpool2d;
/* catalog_train.c */
extern const struct vgpu_kernel_spec vgpu_spec_gelu_backward,
    vgpu_spec_embedding, vgpu_spec_embedding_backward, vgpu_spec_cross_entropy,
    vgpu_spec_cross_entropy_backward, vgpu_spec_adamw, vgpu_spec_sgd,
    vgpu_spec_softmax_backward, vgpu_spec_layernorm_backward;
/* catalog_image.c */
extern const struct vgpu_kernel_spec vgpu_spec_gaussian_blur, vgpu_spec_sobel,
    vgpu_spec_resize;
/* catalog_program.c */
extern const struct vgpu_kernel_spec vgpu_spec_build, vgpu_spec_launch;

#endif
