#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <vgpufs/catalog.h>
#include <vgpufs/conv_geom.h>
#include <vgpufs/dtype.h>

#include "extent_math.h"

/* Every size argument is a 32-bit count (the parser's range). */
#define DIM_LIMIT ((uint64_t)INT32_MAX)

static int invalid(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int invalid(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Output size along one axis: (in + 2*pad - (dil*(win-1)+1))/stride + 1,
 * which must be at least 1. Every value is at most 2^31-1 (the parser's
 * range), so nothing here overflows 64 bits.
 */
static int axis(const char *kname, uint64_t in, uint64_t win, uint64_t stride,
		uint64_t pad, uint64_t dil, const char *what, uint64_t *out,
		char *msg, size_t len)
{
	if (in == 0 || win == 0 || stride == 0 || dil == 0 || in > DIM_LIMIT ||
	    win > DIM_LIMIT || stride > DIM_LIMIT || pad > DIM_LIMIT ||
	    dil > DIM_LIMIT)
		return invalid(msg, len, "%s: a %s size is out of range", kname,
			       what);
	uint64_t span = dil * (win - 1) + 1, padded = in + 2 * pad;
	if (span > padded)
		return invalid(msg, len,
			       "%s: the window spans %" PRIu64 " %s, more than "
			       "the padded input's %" PRIu64,
			       kname, span, what, padded);
	*out = (padded - span) / stride + 1;
	return 0;
}

static int64_t arg(const struct vgpu_cmd *c, unsigned idx)
{
	return vgpu_cmd_i(c, idx);
}

/* A raw argument as an unsigned size; negative values become huge. */
static uint64_t uarg(const struct vgpu_cmd *c, unsigned idx)
{
	return (uint64_t)arg(c, idx);
}

static size_t dtype_size(int64_t t)
{
	return t == VGPU_F32 ? 4 : t == VGPU_F64 ? 8 : 0;
}

static int conv_shape(const struct vgpu_cmd *c, struct vgpu_conv_geom *g,
		      char *msg, size_t len)
{
	*g = (struct vgpu_conv_geom){
	    .n = uarg(c, CONV_N),
	    .c = uarg(c, CONV_C),
	    .h = uarg(c, CONV_H),
	    .w = uarg(c, CONV_W),
	    .k = uarg(c, CONV_K),
	    .kh = uarg(c, CONV_KH),
	    .kw = uarg(c, CONV_KW),
	    .sh = uarg(c, CONV_STRIDE_H),
	    .sw = uarg(c, CONV_STRIDE_W),
	    .ph = uarg(c, CONV_PAD_H),
	    .pw = uarg(c, CONV_PAD_W),
	    .dh = uarg(c, CONV_DILATION_H),
	    .dw = uarg(c, CONV_DILATION_W),
	    .groups = uarg(c, CONV_GROUPS),
	    .dt = (enum vgpu_dtype)arg(c, CONV_DTYPE),
	    .es = dtype_size(arg(c, CONV_DTYPE)),
	};
	if (g->n > DIM_LIMIT || g->c == 0 || g->c > DIM_LIMIT || g->k == 0 ||
	    g->k > DIM_LIMIT || g->groups == 0 || g->groups > DIM_LIMIT)
		return invalid(msg, len, "conv2d: a size is out of range");
	if (g->c % g->groups)
		return invalid(msg, len,
			       "conv2d: groups=%" PRIu64
			       " does not divide c=%" PRIu64,
			       g->groups, g->c);
	if (g->k % g->groups)
		return invalid(msg, len,
			       "conv2d: groups=%" PRIu64
			       " does not divide k=%" PRIu64,
			       g->groups, g->k);
	int rc = axis("conv2d", g->h, g->kh, g->sh, g->ph, g->dh, "rows", &g->p,
		      msg, len);
	if (rc == 0)
		rc = axis("conv2d", g->w, g->kw, g->sw, g->pw, g->dw, "columns",
			  &g->q, msg, len);
	if (rc < 0)
		return rc;
	uint64_t plane, kdim;
	if (!ext_mul(g->p, g->q, &plane) || plane > INT_MAX)
		return invalid(msg, len,
			       "conv2d: an output plane of %" PRIu64 "x%" PRIu64
			       " is more than 2147483647 elements",
			       g->p, g->q);
	if (!ext_mul(g->c / g->groups, g->kh, &kdim) ||
	    !ext_mul(kdim, g->kw, &kdim) || kdim > INT_MAX)
		return invalid(
		    msg, len, "conv2d: c/groups*kh*kw is more than 2147483647");
	return 0;
}

static int pool_shape(const struct vgpu_cmd *c, struct vgpu_conv_geom *g,
		      char *msg, size_t len)
{
	const char *name = c->spec->name;
	*g = (struct vgpu_conv_geom){
	    .n = uarg(c, POOL_N),
	    .c = uarg(c, POOL_C),
	    .h = uarg(c, POOL_H),
	    .w = uarg(c, POOL_W),
	    .k = uarg(c, POOL_C),
	    .kh = uarg(c, POOL_KH),
	    .kw = uarg(c, POOL_KW),
	    .sh = arg(c, POOL_STRIDE_H) ? uarg(c, POOL_STRIDE_H)
					: uarg(c, POOL_KH),
	    .sw = arg(c, POOL_STRIDE_W) ? uarg(c, POOL_STRIDE_W)
					: uarg(c, POOL_KW),
	    .ph = uarg(c, POOL_PAD_H),
	    .pw = uarg(c, POOL_PAD_W),
	    .dh = 1,
	    .dw = 1,
	    .groups = 1,
	    .dt = (enum vgpu_dtype)arg(c, POOL_DTYPE),
	    .es = dtype_size(arg(c, POOL_DTYPE)),
	};
	if (g->n > DIM_LIMIT || g->c == 0 || g->c > DIM_LIMIT)
		return invalid(msg, len, "%s: a size is out of range", name);
	/* As PyTorch: no window lies wholly in the padding. */
	if (g->ph > g->kh / 2)
		return invalid(msg, len,
			       "%s: pad_h=%" PRIu64
			       " is more than half of kh=%" PRIu64,
			       name, g->ph, g->kh);
	if (g->pw > g->kw / 2)
		return invalid(msg, len,
			       "%s: pad_w=%" PRIu64
			       " is more than half of kw=%" PRIu64,
			       name, g->pw, g->kw);
	int rc =
	    axis(name, g->h, g->kh, g->sh, g->ph, 1, "rows", &g->p, msg, len);
	if (rc == 0)
		rc = axis(name, g->w, g->kw, g->sw, g->pw, 1, "columns", &g->q,
			  msg, len);
	return rc;
}

int vgpu_conv_geom(const struct vgpu_cmd *cmd, struct vgpu_conv_geom *g,
		   char *msg, size_t len)
{
	int rc;
	switch (cmd->spec->id) {
	case VGPU_K_CONV2D:
		rc = conv_shape(cmd, g, msg, len);
		break;
	case VGPU_K_MAXPOOL2D:
	case VGPU_K_AVGPOOL2D:
		rc = pool_shape(cmd, g, msg, len);
		break;
	default:
		return invalid(msg, len, "%s: not a convolution",
			       cmd->spec->name);
	}
	if (rc == 0 && g->es == 0)
		return invalid(msg, len, "%s: dtype is not f32 or f64",
			       cmd->spec->name);
	return rc;
}
