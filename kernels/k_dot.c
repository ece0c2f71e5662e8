/*
 * dot: out[0] = sum of x[i]*y[i], accumulated in double. Each tile leaves
 * its partial sum in the scratch area; finish() adds them in tile order, so
 * the result does not depend on which thread ran what when.
 */
#include <errno.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* Two vectors are read per tile. */
#define DOT_TILE_BYTES (VGPU_TILE_BYTES / 2)

static uint32_t dot_plan(struct vgpu_launch *l, unsigned workers,
			 size_t *scratch_bytes)
{
	(void)workers;
	const struct vgpu_cmd *c = l->cmd;
	uint32_t nt = vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, DOT_N),
				      vgpu_elem_size(vgpu_cmd_i(c, DOT_DTYPE)),
				      DOT_TILE_BYTES, VGPU_PARTIAL_TILES_MAX);
	*scratch_bytes = (size_t)nt * sizeof(double);
	return nt;
}

/*
 * OpenBLAS's sdot sums in float and its dsdot loses low bits too, so f32
 * gets its own loop: products and sums in double, four independent sums
 * for the compiler to vectorise.
 */
static double dot_f32(const float *x, const float *y, uint64_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		s0 += (double)x[i] * y[i];
		s1 += (double)x[i + 1] * y[i + 1];
		s2 += (double)x[i + 2] * y[i + 2];
		s3 += (double)x[i + 3] * y[i + 3];
	}
	for (; i < n; i++)
		s0 += (double)x[i] * y[i];
	return (s0 + s1) + (s2 + s3);
}

static double dot_f64(const double *x, const double *y, uint64_t n)
{
	double s = 0;
	for (uint64_t i = 0; i < n; i += VGPU_BLAS_CHUNK) {
		uint64_t len =
		    n - i < VGPU_BLAS_CHUNK ? n - i : VGPU_BLAS_CHUNK;
		s += cblas_ddot((int)len, x + i, 1, y + i, 1);
	}
	return s;
}

static int dot_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, DOT_DTYPE);
	size_t es = vgpu_elem_size(dt);
	if (!es || !l->scratch)
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, DOT_N), es, tile, ntiles, &lo,
		       &hi);
	double *partial = l->scratch;
	if (dt == VGPU_F32)
		partial[tile] =
		    dot_f32((const float *)l->ptr[DOT_X] + lo,
			    (const float *)l->ptr[DOT_Y] + lo, hi - lo);
	else
		partial[tile] =
		    dot_f64((const double *)l->ptr[DOT_X] + lo,
			    (const double *)l->ptr[DOT_Y] + lo, hi - lo);
	return 0;
}

static int dot_finish(const struct vgpu_launch *l, uint32_t ntiles)
{
	int64_t dt = vgpu_cmd_i(l->cmd, DOT_DTYPE);
	if (!vgpu_elem_size(dt) || !l->scratch)
		return -EINVAL;
	const double *partial = l->scratch;
	double s = 0;
	for (uint32_t t = 0; t < ntiles; t++)
		s += partial[t];
	if (dt == VGPU_F32)
		*(float *)l->ptr[DOT_OUT] = (float)s;
	else
		*(double *)l->ptr[DOT_OUT] = s;
	return 0;
}

/* out is written by finish(): it stays mapped. */
static bool dot_bytes(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles, unsigned arg, uint64_t *lo, uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, DOT_DTYPE));
	return (arg == DOT_X || arg == DOT_Y) &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, DOT_N), es, es,
				    tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_dot = {
    .tile_bytes = dot_bytes,
    .id = VGPU_K_DOT,
    .plan = dot_plan,
    .run_tile = dot_tile,
    .finish = dot_finish,
};
