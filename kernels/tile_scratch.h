/*
 * Scratch memory a tile needs while it runs (im2col panels, filter rows),
 * cut out of the launch's one scratch area. The scheduler allocates that
 * area once a launch (plan()'s *scratch_bytes) and runs at most WORKERS
 * tiles of a launch at a time (a worker runs one tile at a time), so
 * WORKERS slots serve any number of tiles: a tile claims a free slot for
 * as long as it runs and gives it back at its end. The total stays
 * bounded by the worker count, not the tile count. A runner that runs
 * more tiles at once than plan() was told still works: a tile that finds
 * no free slot allocates its own.
 */
#ifndef VGPUFS_KERNELS_TILE_SCRATCH_H
#define VGPUFS_KERNELS_TILE_SCRATCH_H

#include <stddef.h>

#include <vgpufs/kernel_impl.h>

struct vgpu_slots {
	unsigned count; /* slots in the launch's scratch */
	size_t bytes;	/* each */
};

/* Scratch bytes for plan() to ask for: 0 when there are no slots. */
size_t vgpu_slots_scratch(struct vgpu_slots s);

/*
 * A free slot of S.bytes (64-byte aligned) in L's scratch, or a fresh
 * allocation when none is free; NULL when memory runs out.
 */
void *vgpu_slot_get(const struct vgpu_launch *l, struct vgpu_slots s);
/* Gives back what vgpu_slot_get returned (NULL is fine). */
void vgpu_slot_put(const struct vgpu_launch *l, struct vgpu_slots s, void *p);

#endif
