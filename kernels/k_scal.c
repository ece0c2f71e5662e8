/*
 * scal: x = alpha*x, the IEEE product. OpenBLAS does the work, except for
 * alpha = 0, which OpenBLAS has treated differently across versions (0.3.21
 * stores zeros, over NaN and inf too): that case is a plain loop here, so
 * that the result does not depend on the library's version.
 */
#include <errno.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

static uint32_t scal_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, SCAL_N),
			       vgpu_elem_size(vgpu_cmd_i(c, SCAL_DTYPE)),
			       VGPU_TILE_BYTES, VGPU_TILES_MAX);
}

#define SCAL(NAME, T, BLAS_SCAL)                                               \
	static void NAME(T *x, uint64_t n, T alpha)                            \
	{                                                                      \
		if (alpha == 0) {                                              \
			for (uint64_t i = 0; i < n; i++)                       \
				x[i] *= alpha;                                 \
			return;                                                \
		}                                                              \
		for (uint64_t i = 0; i < n; i += VGPU_BLAS_CHUNK)              \
			BLAS_SCAL(n - i < VGPU_BLAS_CHUNK                      \
				      ? (int)(n - i)                           \
				      : (int)VGPU_BLAS_CHUNK,                  \
				  alpha, x + i, 1);                            \
	}

SCAL(scal_f32, float, cblas_sscal)
SCAL(scal_f64, double, cblas_dscal)

static int scal_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, SCAL_DTYPE);
	size_t es = vgpu_elem_size(dt);
	if (!es)
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, SCAL_N), es, tile, ntiles, &lo,
		       &hi);
	double alpha = vgpu_cmd_f(c, SCAL_ALPHA);
	if (dt == VGPU_F32)
		scal_f32((float *)l->ptr[SCAL_X] + lo, hi - lo, (float)alpha);
	else
		scal_f64((double *)l->ptr[SCAL_X] + lo, hi - lo, alpha);
	return 0;
}

static bool scal_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, SCAL_DTYPE));
	return arg == SCAL_X &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, SCAL_N), es,
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_scal = {
    .tile_bytes = scal_bytes,
    .id = VGPU_K_SCAL,
    .plan = scal_plan,
    .run_tile = scal_tile,
};
