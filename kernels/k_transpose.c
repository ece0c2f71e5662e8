/*
 * transpose: out (cols x rows) = x^T (x rows x cols), both row-major;
 * elements are copied bit for bit, by size (1, 4 or 8 bytes).
 *
 * Tiles are rectangles of x: full-width row panels when a few blocks of
 * rows fit a tile, else full-height column panels, else squares. Within a
 * tile the copy goes block by block (64 x 64 bytes, 32 x 32 elements
 * otherwise): a block and its image in out fit L1 together, so neither the
 * reads nor the writes touch one cache line per element.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"

/*
 * Reads or writes cross cache lines at every block: a tile costs several
 * elementwise passes of its bytes, so tiles are smaller, and a matrix of
 * a few hundred KiB still spreads over the workers.
 */
#define TR_TILE_BYTES (VGPU_TILE_BYTES / 4)

enum { PLAN_TILE_ROWS, PLAN_TILE_COLS, PLAN_GRID_COLS };

static uint64_t block_of(size_t es)
{
	return es == 1 ? 64 : 32;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Rows R0 to R1, columns C0 to C1 of x into out, block by block. */
typedef void copy_fn(const void *x, void *out, uint64_t rows, uint64_t cols,
		     uint64_t r0, uint64_t r1, uint64_t c0, uint64_t c1);

/*
 * Blocks of bytes are first copied into a small buffer, row by row, and
 * written out from there: with rows of x a power of two apart a block maps
 * to one set of the L1 cache, and reading it across then misses on every
 * byte (4 times slower). Blocks of 4 and 8 bytes are read in place, as
 * going through the buffer made them slower (measured on 4096 x 4096).
 */
#define TRANSPOSE(T, BLOCK)                                                    \
	static void transpose_##T(const void *px, void *po, uint64_t rows,     \
				  uint64_t cols, uint64_t r0, uint64_t r1,     \
				  uint64_t c0, uint64_t c1)                    \
	{                                                                      \
		const T *x = px;                                               \
		T *o = po, buf[BLOCK][BLOCK];                                  \
		bool buffered = sizeof(T) == 1;                                \
		for (uint64_t bi = r0; bi < r1; bi += (BLOCK)) {               \
			uint64_t h = min_u64(BLOCK, r1 - bi);                  \
			for (uint64_t bj = c0; bj < c1; bj += (BLOCK)) {       \
				uint64_t w = min_u64(BLOCK, c1 - bj);          \
				const T *src = x + bi * cols + bj;             \
				uint64_t ld = cols;                            \
				if (buffered) {                                \
					for (uint64_t i = 0; i < h; i++)       \
						memcpy(buf[i], src + i * cols, \
						       w * sizeof(T));         \
					src = &buf[0][0];                      \
					ld = BLOCK;                            \
				}                                              \
				for (uint64_t j = 0; j < w; j++)               \
					for (uint64_t i = 0; i < h; i++)       \
						o[(bj + j) * rows + bi + i] =  \
						    src[i * ld + j];           \
			}                                                      \
		}                                                              \
	}

TRANSPOSE(uint8_t, 64)
TRANSPOSE(uint16_t, 32)
TRANSPOSE(uint32_t, 32)
TRANSPOSE(uint64_t, 32)

static copy_fn *copy_of(size_t es)
{
	return es == 1	 ? transpose_uint8_t
	       : es == 2 ? transpose_uint16_t
	       : es == 4 ? transpose_uint32_t
	       : es == 8 ? transpose_uint64_t
			 : NULL;
}

static uint32_t tr_plan(struct vgpu_launch *l, unsigned workers,
			size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, TR_ROWS);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, TR_COLS);
	size_t es = vgpu_any_elem_size(vgpu_cmd_i(c, TR_DTYPE));
	l->plan[PLAN_TILE_ROWS] = l->plan[PLAN_TILE_COLS] = 1;
	l->plan[PLAN_GRID_COLS] = 1;
	if (vgpu_spec_check(c) < 0)
		return 1; /* run_tile() refuses it */
	/* no overflow below: rows*cols*es passed the extents */
	uint64_t b = block_of(es), tile = TR_TILE_BYTES / es, th, tw;
	if (cols * b <= tile) {
		tw = cols ? cols : 1;
		th = tile / tw / b * b;
	} else if (rows * b <= tile) {
		th = rows ? rows : 1;
		tw = tile / th / b * b;
	} else {
		th = tw = (uint64_t)sqrt((double)tile) / b * b;
	}
	uint64_t nr, nc;
	for (;;) {
		nr = ceil_div(rows, th);
		nc = ceil_div(cols, tw);
		if (nr * nc <= VGPU_TILES_MAX)
			break;
		if (th < rows) /* huge: bigger tiles rather than more */
			th *= 2;
		else
			tw *= 2;
	}
	l->plan[PLAN_TILE_ROWS] = th;
	l->plan[PLAN_TILE_COLS] = tw;
	l->plan[PLAN_GRID_COLS] = nc ? nc : 1;
	return nr && nc ? (uint32_t)(nr * nc) : 1;
}

static int tr_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, TR_ROWS);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, TR_COLS);
	copy_fn *copy = copy_of(vgpu_any_elem_size(vgpu_cmd_i(c, TR_DTYPE)));
	uint64_t th = l->plan[PLAN_TILE_ROWS], tw = l->plan[PLAN_TILE_COLS];
	uint64_t nc = l->plan[PLAN_GRID_COLS];
	if (!copy || !th || !tw || !nc || tile >= ntiles)
		return -EINVAL;
	uint64_t r0 = tile / nc * th, c0 = tile % nc * tw;
	if (r0 < rows && c0 < cols)
		copy(l->ptr[TR_X], l->ptr[TR_OUT], rows, cols, r0,
		     min_u64(r0 + th, rows), c0, min_u64(c0 + tw, cols));
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_transpose = {
    .id = VGPU_K_TRANSPOSE,
    .plan = tr_plan,
    .run_tile = tr_tile,
};
