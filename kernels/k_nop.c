#include "kernel_list.h"

#include <vgpufs/catalog.h>

static uint32_t nop_plan(struct vgpu_launch *l, unsigned workers,
			 size_t *scratch_bytes)
{
	(void)l, (void)workers, (void)scratch_bytes;
	return 1;
}

static int nop_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	(void)l, (void)tile, (void)ntiles;
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_nop = {
    .id = VGPU_K_NOP,
    .plan = nop_plan,
    .run_tile = nop_tile,
};
