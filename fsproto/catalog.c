/*
 * The v1 kernel catalogue: argument lists, extent rules and the text users
 * read in kernels/NAME. Kernel ids are part of the binary protocol: never
 * renumber them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "catalog_family.h"

/* nop */

static int nop_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		       char *msg, size_t len)
{
	(void)c, (void)e, (void)msg, (void)len;
	return 0;
}

static const struct vgpu_kernel_spec k_nop = {
    .name = "nop",
    .id = VGPU_K_NOP,
    .nargs = 0,
    .extents = nop_extents,
    .summary = "does nothing; measures the round trip",
    .semantics = "Completes at once. Useful to measure latency or as a "
		 "marker: its completion means every earlier command of "
		 "the context has completed.",
    .example = "nop",
};

/* fill */

static const struct vgpu_arg_spec fill_args[FILL_NARGS] = {
    [FILL_BUF] = BUF("buf", VGPU_ACC_W, "buffer to fill"),
    [FILL_VALUE] = FLT("value", true, 0, "value to store"),
    [FILL_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [FILL_DTYPE] = DTYPE,
};

static int fill_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	return vector_extent(c, &e[FILL_BUF], (uint64_t)vgpu_cmd_i(c, FILL_N),
			     "n", dtype_of(c, FILL_DTYPE), msg, len);
}

static const struct vgpu_kernel_spec k_fill = {
    .name = "fill",
    .id = VGPU_K_FILL,
    .nargs = FILL_NARGS,
    .args = fill_args,
    .extents = fill_extents,
    .alias = VGPU_ALIAS_ANY,
    .dtypes = VGPU_DT_FLT,
    .summary = "sets n elements of a buffer to one value",
    .semantics = "buf[i] = value for 0 <= i < n",
    .example = "fill buf=x value=1.5 n=1M",
};

/* copy */

static const struct vgpu_arg_spec copy_args[COPY_NARGS] = {
    [COPY_SRC] = BUF("src", VGPU_ACC_R, "buffer to copy from"),
    [COPY_DST] = BUF("dst", VGPU_ACC_W, "buffer to copy to"),
    [COPY_BYTES] = INT("bytes", true, 0, INT64_MAX, 0, "bytes to copy"),
};

static int copy_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	(void)msg, (void)len;
	uint64_t b = (uint64_t)vgpu_cmd_i(c, COPY_BYTES);
	e[COPY_SRC].bytes = e[COPY_DST].bytes = b;
	e[COPY_SRC].elem = e[COPY_DST].elem = VGPU_U8; /* bytes: any offset */
	snprintf(e[COPY_SRC].formula, sizeof(e[0].formula), "bytes");
	snprintf(e[COPY_DST].formula, sizeof(e[0].formula), "bytes");
	return 0;
}

static const struct vgpu_kernel_spec k_copy = {
    .name = "copy",
    .id = VGPU_K_COPY,
    .nargs = COPY_NARGS,
    .args = copy_args,
    .extents = copy_extents,
    .alias = VGPU_ALIAS_ANY,
    .summary = "copies bytes between buffers (or within one)",
    .semantics = "dst[0..bytes) = src[0..bytes); overlapping ranges behave "
		 "like memmove",
    .example = "copy src=x dst=y+4096 bytes=64K",
    .offsets = "any (bytes)",
};

/* axpy */

static const struct vgpu_arg_spec axpy_args[AXPY_NARGS] = {
    [AXPY_X] = BUF("x", VGPU_ACC_R, "input vector"),
    [AXPY_Y] = BUF("y", VGPU_ACC_RW, "input and output vector"),
    [AXPY_ALPHA] = FLT("alpha", false, 1.0, "scale of x (default 1)"),
    [AXPY_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [AXPY_DTYPE] = DTYPE,
};

static int axpy_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	uint64_t n = (uint64_t)vgpu_cmd_i(c, AXPY_N);
	int rc = vector_extent(c, &e[AXPY_X], n, "n", dtype_of(c, AXPY_DTYPE),
			       msg, len);
	if (rc == 0)
		e[AXPY_Y] = e[AXPY_X];
	return rc;
}

/* 2 flops an element (axpy, dot): a multiply and an add. */
static uint64_t flops_2n_axpy(const struct vgpu_cmd *c)
{
	return 2 * (uint64_t)vgpu_cmd_i(c, AXPY_N);
}

static const struct vgpu_kernel_spec k_axpy = {
    .name = "axpy",
    .id = VGPU_K_AXPY,
    .nargs = AXPY_NARGS,
    .args = axpy_args,
    .extents = axpy_extents,
    .flops = flops_2n_axpy,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "y = alpha*x + y",
    .semantics = "y[i] = alpha*x[i] + y[i] for 0 <= i < n; x and y may be "
		 "the same range, but not partly overlap. As in BLAS, "
		 "alpha=0 (after rounding to the dtype) leaves y as it is "
		 "without reading x: NaN and +-inf in x do not propagate",
    .example = "axpy x=x y=y alpha=2 n=1M",
};

/* dot */

static const struct vgpu_arg_spec dot_args[DOT_NARGS] = {
    [DOT_X] = BUF("x", VGPU_ACC_R, "first vector"),
    [DOT_Y] = BUF("y", VGPU_ACC_R, "second vector"),
    [DOT_OUT] = BUF("out", VGPU_ACC_W, "one element receiving the result"),
    [DOT_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [DOT_DTYPE] = DTYPE,
};

static int dot_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		       char *msg, size_t len)
{
	uint64_t n = (uint64_t)vgpu_cmd_i(c, DOT_N);
	enum vgpu_dtype dt = dtype_of(c, DOT_DTYPE);
	int rc = vector_extent(c, &e[DOT_X], n, "n", dt, msg, len);
	if (rc == 0) {
		e[DOT_Y] = e[DOT_X];
		scalar_extent(&e[DOT_OUT], dt);
	}
	return rc;
}

static uint64_t flops_2n_dot(const struct vgpu_cmd *c)
{
	return 2 * (uint64_t)vgpu_cmd_i(c, DOT_N);
}

static const struct vgpu_kernel_spec k_dot = {
    .name = "dot",
    .id = VGPU_K_DOT,
    .nargs = DOT_NARGS,
    .args = dot_args,
    .extents = dot_extents,
    .flops = flops_2n_dot,
    .alias = VGPU_ALIAS_ANY, /* out is written after x and y are read */
    .dtypes = VGPU_DT_FLT,
    .summary = "out[0] = sum of x[i]*y[i]",
    .semantics = "out[0] = x[0]*y[0] + ... + x[n-1]*y[n-1], accumulated "
		 "in double precision; 0 when n is 0",
    .example = "dot x=x y=y out=r n=1M",
};

static const struct vgpu_kernel_spec *const catalog[VGPU_K_COUNT] = {
    [VGPU_K_NOP] = &k_nop,
    [VGPU_K_FILL] = &k_fill,
    [VGPU_K_COPY] = &k_copy,
    [VGPU_K_AXPY] = &k_axpy,
    [VGPU_K_DOT] = &k_dot,
    /* catalog_blas.c */
    [VGPU_K_GEMM] = &vgpu_spec_gemm,
    [VGPU_K_GEMV] = &vgpu_spec_gemv,
    [VGPU_K_SCAL] = &vgpu_spec_scal,
    [VGPU_K_NRM2] = &vgpu_spec_nrm2,
    [VGPU_K_ASUM] = &vgpu_spec_asum,
    [VGPU_K_GEMM_BATCHED] = &vgpu_spec_gemm_batched,
    /* catalog_elementwise.c */
    [VGPU_K_ADD] = &vgpu_spec_add,
    [VGPU_K_SUB] = &vgpu_spec_sub,
    [VGPU_K_MUL] = &vgpu_spec_mul,
    [VGPU_K_DIV] = &vgpu_spec_div,
    [VGPU_K_MAX] = &vgpu_spec_max,
    [VGPU_K_MIN] = &vgpu_spec_min,
    [VGPU_K_POW] = &vgpu_spec_pow,
    [VGPU_K_RELU] = &vgpu_spec_relu,
    [VGPU_K_GELU] = &vgpu_spec_gelu,
    [VGPU_K_SIGMOID] = &vgpu_spec_sigmoid,
    [VGPU_K_TANH] = &vgpu_spec_tanh,
    [VGPU_K_EXP] = &vgpu_spec_exp,
    [VGPU_K_LOG] = &vgpu_spec_log,
    [VGPU_K_SQRT] = &vgpu_spec_sqrt,
    [VGPU_K_ABS] = &vgpu_spec_abs,
    [VGPU_K_NEG] = &vgpu_spec_neg,
    [VGPU_K_RECIP] = &vgpu_spec_recip,
    [VGPU_K_CAST] = &vgpu_spec_cast,
    /* catalog_sync.c */
    [VGPU_K_SIGNAL] = &vgpu_spec_signal,
    [VGPU_K_WAIT] = &vgpu_spec_wait,
    /* catalog_fft.c */
    [VGPU_K_FFT] = &vgpu_spec_fft,
    /* catalog_reduce.c */
    [VGPU_K_SUM] = &vgpu_spec_sum,
    [VGPU_K_MEAN] = &vgpu_spec_mean,
    [VGPU_K_AMAX] = &vgpu_spec_amax,
    [VGPU_K_AMIN] = &vgpu_spec_amin,
    [VGPU_K_ARGMAX] = &vgpu_spec_argmax,
    [VGPU_K_ARGMIN] = &vgpu_spec_argmin,
    [VGPU_K_SOFTMAX] = &vgpu_spec_softmax,
    [VGPU_K_LOG_SOFTMAX] = &vgpu_spec_log_softmax,
    [VGPU_K_LAYERNORM] = &vgpu_spec_layernorm,
    [VGPU_K_TRANSPOSE] = &vgpu_spec_transpose,
    /* catalog_conv.c */
    [VGPU_K_CONV2D] = &vgpu_spec_conv2d,
    [VGPU_K_MAXPOOL2D] = &vgpu_spec_maxpool2d,
    [VGPU_K_AVGPOOL2D] = &vgpu_spec_avgpool2d,
    /* catalog_image.c */
    [VGPU_K_GAUSSIAN_BLUR] = &vgpu_spec_gaussian_blur,
    [VGPU_K_SOBEL] = &vgpu_spec_sobel,
    [VGPU_K_RESIZE] = &vgpu_spec_resize,
    /* catalog_train.c */
    [VGPU_K_GELU_BACKWARD] = &vgpu_spec_gelu_backward,
    [VGPU_K_EMBEDDING] = &vgpu_spec_embedding,
    [VGPU_K_EMBEDDING_BACKWARD] = &vgpu_spec_embedding_backward,
    [VGPU_K_CROSS_ENTROPY] = &vgpu_spec_cross_entropy,
    [VGPU_K_CROSS_ENTROPY_BACKWARD] = &vgpu_spec_cross_entropy_backward,
    [VGPU_K_ADAMW] = &vgpu_spec_adamw,
    [VGPU_K_SGD] = &vgpu_spec_sgd,
    [VGPU_K_SOFTMAX_BACKWARD] = &vgpu_spec_softmax_backward,
    [VGPU_K_LAYERNORM_BACKWARD] = &vgpu_spec_layernorm_backward,
    [VGPU_K_BUILD] = &vgpu_spec_build,
    [VGPU_K_LAUNCH] = &vgpu_spec_launch,
};

const struct vgpu_kernel_spec *vgpu_catalog_find(const char *name, size_t len)
{
	for (unsigned i = 0; i < VGPU_K_COUNT; i++)
		if (strlen(catalog[i]->name) == len &&
		    memcmp(catalog[i]->name, name, len) == 0)
			return catalog[i];
	return NULL;
}

const struct vgpu_kernel_spec *vgpu_catalog_by_id(unsigned id)
{
	return id < VGPU_K_COUNT ? catalog[id] : NULL;
}

unsigned vgpu_catalog_count(void)
{
	return VGPU_K_COUNT;
}

static const char *type_name(const struct vgpu_arg_spec *a)
{
	static const char *const acc[] = {"", "buffer, read", "buffer, written",
					  "buffer, read and written"};
	switch (a->type) {
	case VGPU_ARG_BUF:
		return acc[a->access & 3];
	case VGPU_ARG_INT:
		return "integer";
	case VGPU_ARG_FLOAT:
		return "number";
	case VGPU_ARG_DTYPE:
		return "dtype";
	case VGPU_ARG_BOOL:
		return "0 or 1";
	case VGPU_ARG_NAME:
		return "name";
	case VGPU_ARG_KEYWORD:
		return "keyword"; /* describe() lists the words instead */
	case VGPU_ARG_DIMS:
		return "sizes X[,Y[,Z]]";
	}
	return "?";
}

/* "none|ortho|n": the words a keyword argument takes. */
static const char *word_list(const struct vgpu_arg_spec *a, char *buf,
			     size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; a->words && a->words[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? "|" : "",
				 a->words[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

int vgpu_catalog_describe(const struct vgpu_kernel_spec *k, char *buf,
			  size_t len)
{
	size_t used = 0;
#define PUT(...)                                                               \
	do {                                                                   \
		int n_ = snprintf(buf + (used < len ? used : len),             \
				  used < len ? len - used : 0, __VA_ARGS__);   \
		used += n_ > 0 ? (size_t)n_ : 0;                               \
	} while (0)
	PUT("name: %s\nid: %u\nsummary: %s\narguments:%s\n", k->name, k->id,
	    k->summary, k->nargs ? "" : " none");
	for (unsigned i = 0; i < k->nargs; i++) {
		const struct vgpu_arg_spec *a = &k->args[i];
		char words[64];
		PUT("  %-7s %-26s %s", a->name,
		    a->type == VGPU_ARG_KEYWORD
			? word_list(a, words, sizeof(words))
			: type_name(a),
		    a->help);
		if (a->required)
			PUT(" (required)");
		PUT("\n");
	}
	if (k->dtypes) {
		char list[64];
		PUT("dtypes: %s\n",
		    vgpu_dtype_list(k->dtypes, list, sizeof(list)));
	}
	bool bufs = false;
	for (unsigned i = 0; i < k->nargs; i++)
		bufs |= k->args[i].type == VGPU_ARG_BUF;
	if (k->params)
		PUT("  NAME=VALUE (or arg.NAME=VALUE) the kernel's "
		    "parameters\n");
	if (bufs)
		PUT("offsets: %s\n",
		    k->offsets ? k->offsets
			       : "a multiple of the size of the buffer's "
				 "elements (f32, i32: 4; f64: 8; bf16: 2), "
				 "else EINVAL");
	PUT("semantics: %s\nexample: %s\n", k->semantics, k->example);
#undef PUT
	return (int)used;
}
