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
	/* elementwise binary */
	VGPU_K_ADD = 6,
	VGPU_K_SUB = 7,
	VGPU_K_MUL = 8,
	VGPU_K_DIV = 9,
	VGPU_K_MAX = 10,
	VGPU_K_MIN = 11,
	VGPU_K_POW = 12,
	/* elementwise unary */
	VGPU_K_RELU = 13,
	VGPU_K_GELU = 14,
	VGPU_K_SIGMOID = 15,
	VGPU_K_TANH = 16,
	VGPU_K_EXP = 17,
	VGPU_K_LOG = 18,
	VGPU_K_SQRT = 19,
	VGPU_K_ABS = 20,
	VGPU_K_NEG = 21,
	VGPU_K_RECIP = 22,
	VGPU_K_CAST = 23,
	/* events across contexts, run by the scheduler */
	VGPU_K_SIGNAL = 24,
	VGPU_K_WAIT = 25,
	/* complex f32 FFT on FFTW */
	VGPU_K_FFT = 26,
	/* reductions over rows or columns */
	VGPU_K_SUM = 27,
	VGPU_K_MEAN = 28,
	VGPU_K_AMAX = 29,
	VGPU_K_AMIN = 30,
	VGPU_K_ARGMAX = 31,
	VGPU_K_ARGMIN = 32,
	/* row-wise */
	VGPU_K_SOFTMAX = 33,
	VGPU_K_LOG_SOFTMAX = 34,
	VGPU_K_LAYERNORM = 35,
	VGPU_K_TRANSPOSE = 36,
	/* convolution and pooling, NCHW */
	VGPU_K_CONV2D = 37,
	VGPU_K_MAXPOOL2D = 38,
	VGPU_K_AVGPOOL2D = 39,
	/* image filters, H x W x C interleaved */
	VGPU_K_GAUSSIAN_BLUR = 40,
	VGPU_K_SOBEL = 41,
	VGPU_K_RESIZE = 42,
	/* BLAS, besides axpy dot gemm */
	VGPU_K_GEMV = 43,
	VGPU_K_SCAL = 44,
	VGPU_K_NRM2 = 45,
	VGPU_K_ASUM = 46,
	VGPU_K_GEMM_BATCHED = 47,
	/* training: backward passes, embedding lookups, losses */
	VGPU_K_GELU_BACKWARD = 48,
	VGPU_K_EMBEDDING = 49,
	VGPU_K_EMBEDDING_BACKWARD = 50,
	VGPU_K_CROSS_ENTROPY = 51,
	VGPU_K_CROSS_ENTROPY_BACKWARD = 52,
	/* optimizer steps, fused */
	VGPU_K_ADAMW = 53,
	VGPU_K_SGD = 54,
	/* backward passes of row kernels */
	VGPU_K_SOFTMAX_BACKWARD = 55,
	VGPU_K_LAYERNORM_BACKWARD = 56,
	/* users' programs (OpenCL C or IR): compile, launch a kernel */
	VGPU_K_BUILD = 57,
	VGPU_K_LAUNCH = 58,
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
/* gemm_batched: gemm's arguments, then these */
enum {
	GEMMB_BATCH = GEMM_NARGS,
	GEMMB_STRIDE_A, /* elements; -1: not given, the packed size */
	GEMMB_STRIDE_B,
	GEMMB_STRIDE_C,
	GEMMB_NARGS
};
/* add sub mul div max min pow: all take the same arguments */
enum {
	BIN_A,
	BIN_B, /* not given with bscalar: bound to a, extent 0 */
	BIN_OUT,
	BIN_N,
	BIN_ROWS,    /* 0: b is a full vector; R: b is one row of n/R */
	BIN_BSCALAR, /* used when given (then b is not) */
	BIN_DTYPE,
	BIN_NARGS
};
/* relu gelu sigmoid tanh exp log sqrt abs neg recip */
enum { UN_X, UN_OUT, UN_N, UN_DTYPE, UN_NARGS };
enum { CAST_X, CAST_OUT, CAST_N, CAST_FROM, CAST_TO, CAST_NARGS };
enum { SIGNAL_EVENT, SIGNAL_VALUE, SIGNAL_NARGS };
enum { WAIT_EVENT, WAIT_VALUE, WAIT_TIMEOUT_MS, WAIT_NARGS };
enum {
	FFT_X,
	FFT_OUT,
	FFT_N,	   /* complex elements in a row: the transform's length */
	FFT_ROWS,  /* rows of a 2-D transform (1: 1-D) */
	FFT_BATCH, /* independent transforms, one after another */
	FFT_INVERSE,
	FFT_NORM, /* enum vgpu_fft_norm */
	FFT_NARGS
};
/* fft's norm=: the words of its keyword argument, in this order. */
enum vgpu_fft_norm { VGPU_FFT_NORM_NONE, VGPU_FFT_NORM_ORTHO, VGPU_FFT_NORM_N };
/* sum mean amax amin argmax argmin: x is rows x cols, reduced along axis */
enum { RED_X, RED_OUT, RED_ROWS, RED_COLS, RED_AXIS, RED_DTYPE, RED_NARGS };
/* softmax log_softmax: each row of x (rows x cols) */
enum {
	SMAX_X,
	SMAX_OUT,
	SMAX_ROWS,
	SMAX_COLS,
	SMAX_DTYPE,
	SMAX_CAUSAL, /* rows are cols x cols matrices, masked above the diagonal
		      */
	SMAX_NARGS
};
enum {
	LN_X,
	LN_OUT,
	LN_GAMMA, /* not given: bound to x, extent 0, gamma = 1 */
	LN_BETA,  /* not given: bound to x, extent 0, beta = 0 */
	LN_ROWS,
	LN_COLS,
	LN_EPS,
	LN_DTYPE,
	LN_NARGS
};
enum { TR_X, TR_OUT, TR_ROWS, TR_COLS, TR_DTYPE, TR_NARGS };
enum {
	CONV_X,
	CONV_WEIGHT,
	CONV_BIAS, /* not given: bound to x, extent 0 */
	CONV_OUT,
	CONV_N,
	CONV_C,
	CONV_H,
	CONV_W,
	CONV_K,
	CONV_KH,
	CONV_KW,
	CONV_STRIDE_H,
	CONV_STRIDE_W,
	CONV_PAD_H,
	CONV_PAD_W,
	CONV_DILATION_H,
	CONV_DILATION_W,
	CONV_GROUPS,
	CONV_DTYPE,
	CONV_NARGS
};
/* maxpool2d and avgpool2d; maxpool2d takes all but the last */
enum {
	POOL_X,
	POOL_OUT,
	POOL_N,
	POOL_C,
	POOL_H,
	POOL_W,
	POOL_KH,
	POOL_KW,
	POOL_STRIDE_H, /* 0: not given, kh */
	POOL_STRIDE_W, /* 0: not given, kw */
	POOL_PAD_H,
	POOL_PAD_W,
	POOL_DTYPE,
	POOL_COUNT_INCLUDE_PAD, /* avgpool2d only */
	POOL_NARGS
};
/* gaussian_blur sobel resize: an image of h x w pixels of c channels */
enum { IMG_X, IMG_OUT, IMG_H, IMG_W, IMG_C, IMG_DTYPE, IMG_NARGS };
enum { BLUR_SIGMA = IMG_NARGS, BLUR_NARGS };
enum { RESIZE_OUT_H = IMG_NARGS, RESIZE_OUT_W, RESIZE_NARGS };
enum {
	GEMV_A,
	GEMV_X,
	GEMV_Y,
	GEMV_M, /* A is m x n as stored, whether transa or not */
	GEMV_N,
	GEMV_TRANSA,
	GEMV_ALPHA,
	GEMV_BETA,
	GEMV_LDA, /* 0: not given, n */
	GEMV_DTYPE,
	GEMV_NARGS
};
enum { SCAL_X, SCAL_N, SCAL_ALPHA, SCAL_DTYPE, SCAL_NARGS };
/* nrm2 asum: out[0] = a norm of x */
enum { NORM_X, NORM_OUT, NORM_N, NORM_DTYPE, NORM_NARGS };

/* gelu_backward: out = grad * gelu'(x), elementwise */
enum { GELUB_X, GELUB_GRAD, GELUB_OUT, GELUB_N, GELUB_DTYPE, GELUB_NARGS };
/* embedding: out row i = table row idx[i]; embedding_backward adds back */
enum {
	EMB_TABLE, /* vocab x dim; embedding_backward: the gradient, written */
	EMB_IDX,   /* n i32 row numbers */
	EMB_ROWS,  /* n x dim: embedding's out, embedding_backward's grad */
	EMB_N,
	EMB_DIM,
	EMB_VOCAB,
	EMB_DTYPE,
	EMB_ACCUMULATE, /* embedding_backward only: add to the table */
	EMB_NARGS
};
/* cross_entropy: loss of each row of logits x (rows x cols) */
enum {
	XENT_X,
	XENT_TARGET,
	XENT_OUT,
	XENT_ROWS,
	XENT_COLS,
	XENT_DTYPE,
	XENT_NARGS
};
/* cross_entropy_backward: cross_entropy's, then these */
enum { XENTB_GRAD = XENT_NARGS, XENTB_NARGS };

/* adamw: one AdamW step of n parameters, in place */
enum {
	ADAMW_PARAM,
	ADAMW_GRAD,
	ADAMW_M, /* first moment */
	ADAMW_V, /* second moment */
	ADAMW_N,
	ADAMW_LR,
	ADAMW_BETA1,
	ADAMW_BETA2,
	ADAMW_EPS,
	ADAMW_WEIGHT_DECAY,
	ADAMW_STEP, /* 1 for the first step: bias correction */
	ADAMW_DTYPE,
	ADAMW_NARGS
};
/* sgd: one step of SGD with momentum of n parameters, in place */
enum {
	SGD_PARAM,
	SGD_GRAD,
	SGD_BUF, /* momentum buffer, 0 before the first step */
	SGD_N,
	SGD_LR,
	SGD_MOMENTUM,
	SGD_WEIGHT_DECAY,
	SGD_DTYPE,
	SGD_NARGS
};

/* softmax_backward: from softmax's (or log_softmax's) output y */
enum {
	SMAXB_Y,
	SMAXB_GRAD,
	SMAXB_OUT,
	SMAXB_ROWS,
	SMAXB_COLS,
	SMAXB_LOG, /* 1: y is log_softmax's output */
	SMAXB_DTYPE,
	SMAXB_NARGS
};
/* layernorm_backward: the gradient of x (gamma's and beta's are sums) */
enum {
	LNB_X,
	LNB_GRAD,
	LNB_OUT,
	LNB_GAMMA, /* not given: bound to x, extent 0, gamma = 1 */
	LNB_ROWS,
	LNB_COLS,
	LNB_EPS,
	LNB_DTYPE,
	LNB_NARGS
};

/* build and launch (catalog_program.c) */
enum { BUILD_PROG, BUILD_NARGS };
enum {
	LAUNCH_PROG,
	LAUNCH_KERNEL,
	LAUNCH_GLOBAL, /* vgpu_cmd.dims[LAUNCH_DIMS_GLOBAL] */
	LAUNCH_LOCAL,
	LAUNCH_OFFSET,
	LAUNCH_NARGS
};
enum { LAUNCH_DIMS_GLOBAL, LAUNCH_DIMS_LOCAL, LAUNCH_DIMS_OFFSET };

/* First and last ids of the elementwise families. */
#define VGPU_K_BINARY_FIRST VGPU_K_ADD
#define VGPU_K_BINARY_LAST  VGPU_K_POW
#define VGPU_K_UNARY_FIRST  VGPU_K_RELU
#define VGPU_K_UNARY_LAST   VGPU_K_RECIP

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
