/*
 * How compute kernels plug into the scheduler. A kernel is pure: it reads
 * and writes the memory ranges it is given and knows nothing of files.
 *
 * Work is split into tiles so that the scheduler can interleave commands of
 * different contexts and spread one command over all workers: plan() says
 * how many tiles a launch has, run_tile() runs one (tiles of one launch may
 * run concurrently, in any order, on different threads), and finish(), if
 * present, runs once after every tile is done (e.g. to combine partial sums
 * kept in the scratch area).
 */
#ifndef VGPUFS_KERNEL_IMPL_H
#define VGPUFS_KERNEL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/command.h>

/*
 * Most tiles a launch may have (and units an out-of-core run): beyond it,
 * tiles grow instead of multiplying.
 */
#define VGPU_TILES_MAX (1u << 20)

struct vgpu_launch {
	const struct vgpu_cmd *cmd; /* validated: extents fit the buffers */
	/* For buffer argument i: base of the buffer plus the given offset. */
	void *ptr[VGPU_MAX_ARGS];
	void *scratch;	  /* plan()'s scratch_bytes, zeroed, 64-byte aligned */
	uint64_t plan[4]; /* what plan() decided, for run_tile() */
	/*
	 * Set by plan() of a kernel with run_step(): each tile is that many
	 * steps, run one after another (0 or 1: one).
	 */
	uint32_t steps;
};

struct vgpu_kernel_impl {
	uint16_t id; /* enum vgpu_kernel_id */
	/*
	 * Number of tiles (at least 1) for a machine with WORKERS worker
	 * threads; may set *SCRATCH_BYTES and note its choices in l->plan.
	 */
	uint32_t (*plan)(struct vgpu_launch *l, unsigned workers,
			 size_t *scratch_bytes);
	/* Returns 0 or -errno. */
	int (*run_tile)(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles);
	/*
	 * Optional: step STEP of l->steps of a tile, run after the tile's
	 * earlier steps have finished (on any thread); run_tile() runs them
	 * all. Lets the scheduler hand out a long tile in parts of a few
	 * milliseconds, so that other work gets a worker in between.
	 */
	int (*run_step)(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles, uint32_t step);
	/* Optional; returns 0 or -errno. */
	int (*finish)(const struct vgpu_launch *l, uint32_t ntiles);
	/*
	 * Optional, for out-of-core runs: the bytes [*LO, *HI) from
	 * l->ptr[ARG] that tile TILE of NTILES reads or writes, so that only
	 * they need to be in memory while it runs (a tile writes every byte
	 * of its range of an argument it only writes). False when the tile
	 * uses the argument otherwise (whole, or only in finish()).
	 */
	bool (*tile_bytes)(const struct vgpu_launch *l, uint32_t tile,
			   uint32_t ntiles, unsigned arg, uint64_t *lo,
			   uint64_t *hi);
};

/*
 * Call once before running kernels from several threads: makes OpenBLAS
 * run each call on the calling thread only (the caller's threads are the
 * parallelism).
 */
void vgpu_kernels_init(void);

/*
 * Call at exit, once no kernel runs any more: frees what kernels keep from
 * one command to the next (FFT plans), so that leak checkers see nothing.
 */
void vgpu_kernels_cleanup(void);

/* NULL for an id without an implementation. */
const struct vgpu_kernel_impl *vgpu_kernel_impl(unsigned id);

/*
 * Runs a launch start to finish on the calling thread (tiles in order).
 * For tests and tools; the daemon uses its scheduler instead.
 */
int vgpu_kernel_run_serial(const struct vgpu_launch *l, unsigned workers);

#endif
