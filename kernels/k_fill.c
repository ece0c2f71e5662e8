/* fill: buf[i] = value for i < n. */
#include <errno.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

static uint32_t fill_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, FILL_N),
			       vgpu_elem_size(vgpu_cmd_i(c, FILL_DTYPE)),
			       VGPU_TILE_BYTES, VGPU_TILES_MAX);
}

static int fill_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, FILL_DTYPE);
	size_t es = vgpu_elem_size(dt);
	if (!es)
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, FILL_N), es, tile, ntiles, &lo,
		       &hi);
	double v = vgpu_cmd_f(c, FILL_VALUE);
	if (dt == VGPU_F32) {
		float *x = l->ptr[FILL_BUF], fv = (float)v;
		for (uint64_t i = lo; i < hi; i++)
			x[i] = fv;
	} else {
		double *x = l->ptr[FILL_BUF];
		for (uint64_t i = lo; i < hi; i++)
			x[i] = v;
	}
	return 0;
}

static bool fill_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, FILL_DTYPE));
	return arg == FILL_BUF &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, FILL_N), es,
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_fill = {
    .tile_bytes = fill_bytes,
    .id = VGPU_K_FILL,
    .plan = fill_plan,
    .run_tile = fill_tile,
};
