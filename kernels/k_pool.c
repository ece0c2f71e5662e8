/*
 * maxpool2d and avgpool2d over NCHW tensors. Tiles are runs of output rows
 * across all n*c planes, about POOL_TILE_READS window elements each. The
 * padding is at most half the window (validated), so every window holds
 * at least one input element. Sums are accumulated in double.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <vgpufs/catalog.h>
#include <vgpufs/conv_geom.h>

#include "kernel_list.h"
#include "tiling.h"

#define POOL_TILE_READS (1u << 20)

/* [*lo, *hi): the input range window I (start I*stride - pad) covers. */
static void window(uint64_t i, uint64_t stride, uint64_t pad, uint64_t win,
		   uint64_t in, uint64_t *lo, uint64_t *hi)
{
	uint64_t s = i * stride; /* the window starts at s - pad */
	*lo = s > pad ? s - pad : 0;
	uint64_t end = s + win > pad ? s + win - pad : 0;
	*hi = end < in ? end : in;
}

#define POOL_ROWS(T)                                                           \
	static void pool_rows_##T(const struct vgpu_conv_geom *g, const T *x,  \
				  T *out, uint64_t r0, uint64_t r1, bool avg,  \
				  bool count_pad)                              \
	{                                                                      \
		for (uint64_t r = r0; r < r1; r++) {                           \
			uint64_t plane = r / g->p, y0, y1;                     \
			window(r % g->p, g->sh, g->ph, g->kh, g->h, &y0, &y1); \
			const T *in = x + plane * g->h * g->w;                 \
			T *o = out + r * g->q;                                 \
			for (uint64_t j = 0; j < g->q; j++) {                  \
				uint64_t x0, x1;                               \
				window(j, g->sw, g->pw, g->kw, g->w, &x0,      \
				       &x1);                                   \
				double acc = avg ? 0 : -INFINITY;              \
				for (uint64_t y = y0; y < y1; y++)             \
					for (uint64_t i = x0; i < x1; i++) {   \
						double v = in[y * g->w + i];   \
						if (avg)                       \
							acc += v;              \
						else if (v > acc || isnan(v))  \
							acc = v;               \
					}                                      \
				if (avg)                                       \
					acc /= count_pad                       \
						   ? (double)(g->kh * g->kw)   \
						   : (double)((y1 - y0) *      \
							      (x1 - x0));      \
				o[j] = (T)acc;                                 \
			}                                                      \
		}                                                              \
	}

POOL_ROWS(float)
POOL_ROWS(double)

static uint32_t pool_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	struct vgpu_conv_geom g;
	char msg[VGPU_MSG_MAX];
	if (vgpu_conv_geom(l->cmd, &g, msg, sizeof(msg)) < 0)
		return 1;
	/* What a row reads: windows are clipped to the input. */
	double per_row = (double)g.q * (double)(g.kh < g.h ? g.kh : g.h) *
			 (double)(g.kw < g.w ? g.kw : g.w);
	return vgpu_row_tiles(g.n * g.c * g.p, per_row, POOL_TILE_READS);
}

static int pool_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	struct vgpu_conv_geom g;
	char msg[VGPU_MSG_MAX];
	if (vgpu_conv_geom(l->cmd, &g, msg, sizeof(msg)) < 0 || tile >= ntiles)
		return -EINVAL;
	bool avg = l->cmd->spec->id == VGPU_K_AVGPOOL2D;
	bool count_pad = avg && vgpu_cmd_i(l->cmd, POOL_COUNT_INCLUDE_PAD);
	uint64_t r0, r1;
	vgpu_split_even(g.n * g.c * g.p, ntiles, tile, &r0, &r1);
	if (g.es == 4)
		pool_rows_float(&g, l->ptr[POOL_X], l->ptr[POOL_OUT], r0, r1,
				avg, count_pad);
	else
		pool_rows_double(&g, l->ptr[POOL_X], l->ptr[POOL_OUT], r0, r1,
				 avg, count_pad);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_maxpool2d = {
    .id = VGPU_K_MAXPOOL2D,
    .plan = pool_plan,
    .run_tile = pool_tile,
};

const struct vgpu_kernel_impl vgpu_k_avgpool2d = {
    .id = VGPU_K_AVGPOOL2D,
    .plan = pool_plan,
    .run_tile = pool_tile,
};
