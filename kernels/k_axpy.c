/*
 * axpy: y = alpha*x + y. x and y may be the same range (never partly).
 * alpha = 0 (in the dtype) leaves y as it is without reading x, as BLAS
 * does: stated here rather than left to the OpenBLAS version.
 */
#include <errno.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* Both vectors are read and y written: smaller tiles than fill's. */
#define AXPY_TILE_BYTES (VGPU_TILE_BYTES / 2)

static uint32_t axpy_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, AXPY_N),
			       vgpu_elem_size(vgpu_cmd_i(c, AXPY_DTYPE)),
			       AXPY_TILE_BYTES, VGPU_TILES_MAX);
}

static int axpy_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, AXPY_DTYPE);
	size_t es = vgpu_elem_size(dt);
	if (!es)
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, AXPY_N), es, tile, ntiles, &lo,
		       &hi);
	double alpha = vgpu_cmd_f(c, AXPY_ALPHA);
	if ((dt == VGPU_F32 ? (float)alpha : alpha) == 0)
		return 0;
	while (lo < hi) {
		int len = hi - lo > VGPU_BLAS_CHUNK ? (int)VGPU_BLAS_CHUNK
						    : (int)(hi - lo);
		if (dt == VGPU_F32)
			cblas_saxpy(len, (float)alpha,
				    (const float *)l->ptr[AXPY_X] + lo, 1,
				    (float *)l->ptr[AXPY_Y] + lo, 1);
		else
			cblas_daxpy(len, alpha,
				    (const double *)l->ptr[AXPY_X] + lo, 1,
				    (double *)l->ptr[AXPY_Y] + lo, 1);
		lo += (uint64_t)len;
	}
	return 0;
}

static bool axpy_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, AXPY_DTYPE));
	return (arg == AXPY_X || arg == AXPY_Y) &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, AXPY_N), es,
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_axpy = {
    .tile_bytes = axpy_bytes,
    .id = VGPU_K_AXPY,
    .plan = axpy_plan,
    .run_tile = axpy_tile,
};
