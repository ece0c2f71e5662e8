/*
 * copy: dst[0..bytes) = src[0..bytes), like memmove. Disjoint ranges are
 * copied in parallel tiles; overlapping ones need one ordered pass, which
 * no split into concurrently running tiles can give, so they take one tile.
 */
#include <stdbool.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

static bool overlap(const struct vgpu_launch *l, uint64_t bytes)
{
	uintptr_t s = (uintptr_t)l->ptr[COPY_SRC];
	uintptr_t d = (uintptr_t)l->ptr[COPY_DST];
	return bytes && s < d + bytes && d < s + bytes;
}

/*
 * plan() decides from the buffers' addresses; tiles go by its note, as they
 * may run on copies of the ranges (out-of-core runs), at other addresses.
 */
enum { PLAN_OVERLAP };

static uint32_t copy_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	uint64_t bytes = (uint64_t)vgpu_cmd_i(l->cmd, COPY_BYTES);
	l->plan[PLAN_OVERLAP] = overlap(l, bytes);
	if (l->plan[PLAN_OVERLAP])
		return 1;
	return vgpu_tile_count(bytes, VGPU_TILE_BYTES, VGPU_TILES_MAX);
}

static int copy_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	uint64_t bytes = (uint64_t)vgpu_cmd_i(l->cmd, COPY_BYTES);
	char *dst = l->ptr[COPY_DST];
	const char *src = l->ptr[COPY_SRC];
	if (bytes == 0 || src == dst)
		return 0;
	if (l->plan[PLAN_OVERLAP]) {
		if (tile == 0)
			memmove(dst, src, bytes);
		return 0;
	}
	uint64_t lo, hi;
	vgpu_tile_span(bytes, tile, ntiles, VGPU_TILE_GRAIN, &lo, &hi);
	if (hi > lo)
		memcpy(dst + lo, src + lo, hi - lo);
	return 0;
}

static bool copy_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	(void)arg;
	if (l->plan[PLAN_OVERLAP])
		return false; /* one memmove of the whole range */
	vgpu_tile_span((uint64_t)vgpu_cmd_i(l->cmd, COPY_BYTES), tile, ntiles,
		       VGPU_TILE_GRAIN, lo, hi);
	return true;
}

const struct vgpu_kernel_impl vgpu_k_copy = {
    .tile_bytes = copy_bytes,
    .id = VGPU_K_COPY,
    .plan = copy_plan,
    .run_tile = copy_tile,
};
