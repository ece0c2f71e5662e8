/*
 * Convolution and pooling over NCHW tensors: conv2d, maxpool2d, avgpool2d.
 * Their shapes (output size, divisibility, limits) come from
 * vgpu_conv_geom(), which the kernels use too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <vgpufs/conv_geom.h>

#include "catalog_family.h"

#define SIZE(n, lo, def, h) INT(n, def < 0, lo, DIM_MAX, def < 0 ? 0 : def, h)
/* The input's shape, arguments P_N, P_C, P_H and P_W. */
#define NCHW(P)                                                                \
	[P##_N] = SIZE("n", 0, -1, "images"),                                  \
	[P##_C] = SIZE("c", 1, -1, "input channels"),                          \
	[P##_H] = SIZE("h", 1, -1, "input rows"),                              \
	[P##_W] = SIZE("w", 1, -1, "input columns")

/* EXT = f[0]*f[1]*f[2]*f[3] elements of G's dtype: "FORMULA*es". */
static int product_extent(const struct vgpu_cmd *c, struct vgpu_extent *ext,
			  const uint64_t f[4], const struct vgpu_conv_geom *g,
			  const char *formula, char *msg, size_t len)
{
	size_t es = g->es;
	ext->elem = g->dt;
	uint64_t elems;
	if (!ext_mul4(f[0], f[1], f[2], f[3], &elems) ||
	    !ext_mul(elems, es, &ext->bytes))
		return overflow(c, formula, msg, len);
	snprintf(ext->formula, sizeof(ext->formula), "%s*%zu", formula, es);
	return 0;
}

/* "n*k*p*q*4, p=56 q=56": the output size is computed, so show it. */
static int output_extent(const struct vgpu_cmd *c, struct vgpu_extent *ext,
			 const struct vgpu_conv_geom *g, const char *formula,
			 char *msg, size_t len)
{
	const uint64_t f[4] = {g->n, g->k, g->p, g->q};
	int rc = product_extent(c, ext, f, g, formula, msg, len);
	if (rc == 0)
		snprintf(ext->formula, sizeof(ext->formula),
			 "%s*%zu, p=%" PRIu64 " q=%" PRIu64, formula, g->es,
			 g->p, g->q);
	return rc;
}

/* The shape of C into G, and the extent of its input x. */
static int input_extent(const struct vgpu_cmd *c, struct vgpu_conv_geom *g,
			struct vgpu_extent *x, char *msg, size_t len)
{
	int rc = vgpu_conv_geom(c, g, msg, len);
	if (rc < 0)
		return rc;
	const uint64_t f[4] = {g->n, g->c, g->h, g->w};
	return product_extent(c, x, f, g, "n*c*h*w", msg, len);
}

/* conv2d */

static const struct vgpu_arg_spec conv_args[CONV_NARGS] = {
    [CONV_X] = BUF("x", VGPU_ACC_R, "input, n x c x h x w"),
    [CONV_WEIGHT] =
	BUF("weight", VGPU_ACC_R, "filters, k x c/groups x kh x kw"),
    [CONV_BIAS] = {.name = "bias",
		   .type = VGPU_ARG_BUF,
		   .access = VGPU_ACC_R,
		   .same_as = CONV_X + 1,
		   .help = "k values added to each output channel (default: "
			   "none)"},
    [CONV_OUT] = BUF("out", VGPU_ACC_W, "result, n x k x p x q"),
    NCHW(CONV),
    [CONV_K] = SIZE("k", 1, -1, "output channels"),
    [CONV_KH] = SIZE("kh", 1, -1, "filter rows"),
    [CONV_KW] = SIZE("kw", 1, -1, "filter columns"),
    [CONV_STRIDE_H] = SIZE("stride_h", 1, 1, "row stride (default 1)"),
    [CONV_STRIDE_W] = SIZE("stride_w", 1, 1, "column stride (default 1)"),
    [CONV_PAD_H] =
	SIZE("pad_h", 0, 0, "zero rows above and below the input (default 0)"),
    [CONV_PAD_W] = SIZE("pad_w", 0, 0,
			"zero columns left and right of the input (default 0)"),
    [CONV_DILATION_H] =
	SIZE("dilation_h", 1, 1, "rows between filter taps (default 1)"),
    [CONV_DILATION_W] =
	SIZE("dilation_w", 1, 1, "columns between filter taps (default 1)"),
    [CONV_GROUPS] =
	SIZE("groups", 1, 1, "channel groups; divides c and k (default 1)"),
    [CONV_DTYPE] = DTYPE,
};

static int conv_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	struct vgpu_conv_geom g;
	int rc = input_extent(c, &g, &e[CONV_X], msg, len);
	if (rc < 0)
		return rc;
	const uint64_t wt[4] = {g.k, g.c / g.groups, g.kh, g.kw};
	const uint64_t b[4] = {vgpu_cmd_given(c, CONV_BIAS) ? g.k : 0, 1, 1, 1};
	rc = product_extent(c, &e[CONV_WEIGHT], wt, &g, "k*c/groups*kh*kw", msg,
			    len);
	if (rc == 0)
		rc = product_extent(c, &e[CONV_BIAS], b, &g, "k", msg, len);
	if (rc == 0)
		rc = output_extent(c, &e[CONV_OUT], &g, "n*k*p*q", msg, len);
	return rc;
}

/* 2*N*K*P*Q*(C/groups)*KH*KW, saturated. */
static uint64_t conv_flops(const struct vgpu_cmd *c)
{
	struct vgpu_conv_geom g;
	char msg[8];
	if (vgpu_conv_geom(c, &g, msg, sizeof(msg)) < 0 || !g.groups)
		return 0;
	uint64_t f = 2,
		 parts[] = {g.n, g.k, g.p, g.q, g.c / g.groups, g.kh, g.kw};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (__builtin_mul_overflow(f, parts[i], &f))
			return UINT64_MAX;
	return f;
}

const struct vgpu_kernel_spec vgpu_spec_conv2d = {
    .name = "conv2d",
    .id = VGPU_K_CONV2D,
    .nargs = CONV_NARGS,
    .args = conv_args,
    .extents = conv_extents,
    .flops = conv_flops,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "2-D convolution (cross-correlation) of NCHW images, "
	       "with stride, padding, dilation, groups and bias",
    .semantics =
	"out[n][o][i][j] = bias[o] + the sum over ci < c/groups, u < kh, "
	"v < kw of weight[o][ci][u][v] * x[n][g*c/groups + ci][i*stride_h - "
	"pad_h + u*dilation_h][j*stride_w - pad_w + v*dilation_w], where g = "
	"o/(k/groups) is the group of output channel o and x is 0 outside "
	"the input (zero padding). The output has p = (h + 2*pad_h - "
	"dilation_h*(kh-1) - 1)/stride_h + 1 rows (rounded down, at least "
	"1) and q columns likewise. As PyTorch's conv2d: the filter is not "
	"flipped. Runs as im2col and OpenBLAS gemm. out may not overlap the "
	"other buffers.",
    .example = "conv2d x=img weight=filt out=act n=8 c=64 h=56 w=56 k=64 "
	       "kh=3 kw=3 pad_h=1 pad_w=1",
};

/* maxpool2d and avgpool2d */

static const struct vgpu_arg_spec pool_args[POOL_NARGS] = {
    [POOL_X] = BUF("x", VGPU_ACC_R, "input, n x c x h x w"),
    [POOL_OUT] = BUF("out", VGPU_ACC_W, "result, n x c x p x q"),
    NCHW(POOL),
    [POOL_KH] = SIZE("kh", 1, -1, "window rows"),
    [POOL_KW] = SIZE("kw", 1, -1, "window columns"),
    [POOL_STRIDE_H] = SIZE("stride_h", 1, 0, "row stride (default kh)"),
    [POOL_STRIDE_W] = SIZE("stride_w", 1, 0, "column stride (default kw)"),
    [POOL_PAD_H] = SIZE("pad_h", 0, 0,
			"padding rows above and below, at most kh/2 (default "
			"0)"),
    [POOL_PAD_W] = SIZE("pad_w", 0, 0,
			"padding columns left and right, at most kw/2 "
			"(default 0)"),
    [POOL_DTYPE] = DTYPE,
    [POOL_COUNT_INCLUDE_PAD] = {.name = "count_include_pad",
				.type = VGPU_ARG_BOOL,
				.imin = 0,
				.imax = 1,
				.idef = 1,
				.help = "1: divide by kh*kw (default); 0: by "
					"the input elements in the window"},
};

static int pool_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	struct vgpu_conv_geom g;
	int rc = input_extent(c, &g, &e[POOL_X], msg, len);
	if (rc == 0)
		rc = output_extent(c, &e[POOL_OUT], &g, "n*c*p*q", msg, len);
	return rc;
}

#define POOL_COMMON                                                            \
	" Windows of kh x kw elements start every stride_h rows and "          \
	"stride_w columns (default: kh and kw, windows side by side) of the "  \
	"input padded with pad_h rows and pad_w columns on each side; the "    \
	"output has p = (h + 2*pad_h - kh)/stride_h + 1 rows (rounded down, "  \
	"at least 1) and q columns likewise. The padding is at most half "     \
	"the window (as PyTorch), so every window holds input elements. out "  \
	"may not overlap x."

const struct vgpu_kernel_spec vgpu_spec_maxpool2d = {
    .name = "maxpool2d",
    .id = VGPU_K_MAXPOOL2D,
    .nargs = POOL_COUNT_INCLUDE_PAD, /* all but the last */
    .args = pool_args,
    .extents = pool_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "2-D max pooling of NCHW images",
    .semantics = "out[n][c][p][q] = the largest input element in window "
		 "(p, q) of plane (n, c); padding never wins; a NaN in the "
		 "window gives NaN (as PyTorch)." POOL_COMMON,
    .example = "maxpool2d x=act out=pooled n=8 c=64 h=56 w=56 kh=3 kw=3 "
	       "stride_h=2 stride_w=2 pad_h=1 pad_w=1",
};

const struct vgpu_kernel_spec vgpu_spec_avgpool2d = {
    .name = "avgpool2d",
    .id = VGPU_K_AVGPOOL2D,
    .nargs = POOL_NARGS,
    .args = pool_args,
    .extents = pool_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "2-D average pooling of NCHW images",
    .semantics = "out[n][c][p][q] = the sum of the input elements in "
		 "window (p, q) of plane (n, c), divided by kh*kw with "
		 "count_include_pad=1 (the default, as PyTorch: padding "
		 "counts as zeros), or by the number of input elements in "
		 "the window with count_include_pad=0." POOL_COMMON,
    .example = "avgpool2d x=act out=pooled n=8 c=64 h=56 w=56 kh=2 kw=2",
};
