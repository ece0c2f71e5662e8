/*
 * gemm: C = alpha*op(A)*op(B) + beta*C, and gemm_batched: the same for
 * batch matrices at strides, row-major, on OpenBLAS (one thread per call;
 * the scheduler's workers run tiles side by side). gemm_block.c runs a
 * block of one gemm; this file cuts the work into tiles.
 *
 * A gemm's tiles are blocks of C: full-width row panels, with C cut into
 * column blocks only when it is very wide. Measured with 2 workers on a
 * 2048^3 sgemm against OpenBLAS's own 2 threads: 512x2048 panels 1.00,
 * 256x2048 0.97, 128x2048 0.92, 256x256 squares 0.88, because every tile
 * packs its own panels of A and B and row panels share the packed B best.
 * A tile is at most about 6.6 GFLOP (30-200 ms on one core), run in
 * steps along k of about GEMM_STEP_WORK (a few ms), which the scheduler
 * hands out separately, so that other contexts' work gets a worker in
 * between. Steps cost next to nothing: OpenBLAS walks k in blocks of a few
 * hundred anyway, packing each block of A and B once, so cutting k adds
 * only a pass over the tile's C per step.
 *
 * A batch adds a third dimension: a tile is a group of consecutive gemms
 * times one block of each. Small gemms are grouped (whole gemms a tile, a
 * group's work within the same bounds), big ones split into blocks as a
 * single gemm would be, so that many small gemms and a few big ones both
 * spread over the workers. plan() stores the grid in l->plan for
 * run_tile().
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/gemm_block.h>

#include "kernel_list.h"
#include "tiling.h"

/* Most f32 flops in a tile (f64 ones count double, being half as fast). */
#define GEMM_TILE_MAX_WORK 6.6e9
/*
 * A step's f32 flops at most: about 4 ms at the ~100 GFLOP/s one core of
 * the 2-core test machine reaches in a step, 12 ms at 32 GFLOP/s (a
 * calibrated constant rather than a measured speed: the steps, and so the
 * rounding of the result, depend on the command only).
 */
#define GEMM_STEP_WORK 4e8
/*
 * Steps are at least this long along k (and a multiple of it), so that the
 * pass over C stays a small part of a step's work.
 */
#define GEMM_STEP_K 64
/*
 * Less than this is not worth handing to another worker: ~10 us of a
 * core's flops, a few times what a tile costs the scheduler.
 */
#define GEMM_TILE_MIN_WORK 1e6
/*
 * Flops a byte of A, B and C is worth: skinny gemms (a column sum, a
 * head's attention) move more bytes than they multiply, and take several
 * times their flops' time.
 */
#define GEMM_BYTE_WORK 4.0
/*
 * What one OpenBLAS call costs besides its flops, in flops (about a
 * microsecond): a group of tiny gemms is not free.
 */
#define GEMM_CALL_WORK 5e4
/* Narrower tiles spend too much of their time packing A and B. */
#define GEMM_MIN_ROWS 64
#define GEMM_MIN_COLS 256
/* Wider C is cut into column blocks, to keep packed B panels small. */
#define GEMM_MAX_COLS 2048

enum { PLAN_GROUPS, PLAN_ROW_BLOCKS, PLAN_COL_BLOCKS };

_Static_assert(GEMM_LDB == GEMM_LDA + 1 && GEMM_LDC == GEMM_LDA + 2 &&
		   GEMMB_STRIDE_B == GEMMB_STRIDE_A + 1 &&
		   GEMMB_STRIDE_C == GEMMB_STRIDE_A + 2,
	       "A, B and C in order");

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Row and column blocks of C for about AREA elements a tile. */
static void grid_for_area(const struct vgpu_gemm *g, double area, uint64_t *gr,
			  uint64_t *gc)
{
	uint64_t nb = g->n < GEMM_MAX_COLS ? g->n : GEMM_MAX_COLS;
	if ((double)nb * GEMM_MIN_ROWS > area) /* a huge k: narrower panels */
		nb = (uint64_t)fmax(fmin((double)nb, GEMM_MIN_COLS),
				    area / GEMM_MIN_ROWS);
	uint64_t mb = (uint64_t)fmax(GEMM_MIN_ROWS, area / (double)nb);
	*gr = ceil_div(g->m, mb);
	*gc = ceil_div(g->n, nb);
}

/* GROUPS x GR x GC, in double: no overflow whatever the shape */
static double tiles(uint64_t groups, uint64_t gr, uint64_t gc)
{
	return (double)groups * (double)gr * (double)gc;
}

/* Whether WORK in GROUPS x GR x GC tiles leaves each enough to be worth it */
static bool worth(double work, uint64_t groups, uint64_t gr, uint64_t gc)
{
	return work / tiles(groups, gr, gc) >= GEMM_TILE_MIN_WORK;
}

/*
 * The steps of a tile doing PER_K flops per unit of k: GEMM_STEP_WORK
 * each, in multiples of GEMM_STEP_K, up to the whole of K.
 */
static uint32_t plan_steps(uint64_t k, double per_k)
{
	double kb = floor(GEMM_STEP_WORK / fmax(per_k, 1) / GEMM_STEP_K);
	uint64_t len = (uint64_t)fmax(kb, 1) * GEMM_STEP_K;
	return len >= k ? 1 : (uint32_t)ceil_div(k, len);
}

/*
 * The tiles of BATCH gemms of the command's shape: l->plan gets the groups
 * of gemms and the row and column blocks of each, l->steps the steps of a
 * tile.
 */
static uint32_t plan_batch(struct vgpu_launch *l, uint64_t batch,
			   unsigned workers)
{
	l->plan[PLAN_GROUPS] = 1;
	l->plan[PLAN_ROW_BLOCKS] = l->plan[PLAN_COL_BLOCKS] = 1;
	struct vgpu_gemm g;
	if (vgpu_gemm_shape(l->cmd, &g) < 0 || g.m == 0 || g.n == 0 ||
	    batch == 0)
		return 1;
	if (workers < 1)
		workers = 1;
	/* k = 0 still scales C: count that as one step of work. */
	double weight = g.dtype == VGPU_F64 ? 2 : 1;
	double step = 2.0 * (double)max_u64(g.k, 1) * weight;
	double bytes = ((double)g.m * (double)g.k + (double)g.k * (double)g.n) *
			   (double)g.in_es +
		       (double)g.m * (double)g.n * (double)g.out_es;
	double one =
	    fmax(step * (double)g.m * (double)g.n + GEMM_BYTE_WORK * bytes,
		 GEMM_CALL_WORK);
	double work = one * (double)batch;
	if (work < 2 * GEMM_TILE_MIN_WORK)
		return 1;
	uint64_t groups, gr, gc;
	grid_for_area(&g, GEMM_TILE_MAX_WORK / step, &gr, &gc);
	/* whole gemms a tile where one fits, as many as fit */
	if (gr * gc > 1)
		groups = batch;
	else
		groups = (uint64_t)fmin((double)batch,
					ceil(work / GEMM_TILE_MAX_WORK));
	/* From the biggest tiles of the shape: the same for any workers */
	l->steps = plan_steps(g.k, step / (double)max_u64(g.k, 1) *
				       (double)ceil_div(batch, groups) *
				       (double)ceil_div(g.m, gr) *
				       (double)ceil_div(g.n, gc));
	uint64_t max_gr = max_u64(1, g.m / GEMM_MIN_ROWS);
	uint64_t max_gc = max_u64(gc, g.n / GEMM_MIN_COLS);
	/* Two tiles a worker where the work allows, for load balance. */
	double want = fmin(2.0 * workers, floor(work / GEMM_TILE_MIN_WORK));
	while (tiles(groups, gr, gc) < want) {
		if (groups < batch && worth(work, groups + 1, gr, gc))
			groups++;
		else if (gr < max_gr && worth(work, groups, gr + 1, gc))
			gr++;
		else if (gc < max_gc && worth(work, groups, gr, gc + 1))
			gc++;
		else
			break;
	}
	/* A multiple of the workers keeps them all busy to the end. */
	for (unsigned i = 0;
	     i < workers && tiles(groups, gr, gc) <= VGPU_TILES_MAX &&
	     (groups * gr * gc) % workers;
	     i++) {
		if (groups < batch && worth(work, groups + 1, gr, gc))
			groups++;
		else if (gr < max_gr && worth(work, groups, gr + 1, gc))
			gr++;
		else
			break;
	}
	if (tiles(groups, gr, gc) > VGPU_TILES_MAX)
		groups = max_u64(1, VGPU_TILES_MAX / (gr * gc));
	if (gr * gc > VGPU_TILES_MAX)
		gr = max_u64(1, VGPU_TILES_MAX / gc);
	l->plan[PLAN_GROUPS] = groups;
	l->plan[PLAN_ROW_BLOCKS] = gr;
	l->plan[PLAN_COL_BLOCKS] = gc;
	return (uint32_t)(groups * gr * gc);
}

/*
 * Runs step STEP of tile TILE of NTILES over BATCH gemms whose operands lie
 * STRIDE[0..2] elements apart: the tile's block of C, over the step's span
 * of k (beta applies in the first step, the later ones add).
 */
static int run_batch(const struct vgpu_launch *l, uint64_t batch,
		     const uint64_t stride[3], uint32_t tile, uint32_t ntiles,
		     uint32_t step)
{
	struct vgpu_gemm g;
	if (vgpu_gemm_shape(l->cmd, &g) < 0)
		return -EINVAL;
	uint64_t groups = l->plan[PLAN_GROUPS];
	uint64_t gr = l->plan[PLAN_ROW_BLOCKS], gc = l->plan[PLAN_COL_BLOCKS];
	uint32_t steps = l->steps ? l->steps : 1;
	if (groups * gr * gc != ntiles || tile >= ntiles || step >= steps)
		return -EINVAL; /* not a tiling plan() made */
	if (g.m == 0 || g.n == 0 || batch == 0)
		return 0;
	uint64_t block = tile % (gr * gc), b0, b1, i0, i1, j0, j1, p0, p1;
	vgpu_split_even(batch, groups, tile / (gr * gc), &b0, &b1);
	vgpu_split_even(g.m, gr, block / gc, &i0, &i1);
	vgpu_split_even(g.n, gc, block % gc, &j0, &j1);
	vgpu_tile_span(g.k, step, steps, GEMM_STEP_K, &p0, &p1);
	/* op(A)'s columns and op(B)'s rows p0.. */
	size_t aoff = (g.ta ? p0 * g.lda : p0) * g.in_es;
	size_t boff = (g.tb ? p0 : p0 * g.ldb) * g.in_es;
	struct vgpu_gemm part = g;
	part.k = p1 - p0;
	if (p0)
		part.beta = 1;
	for (uint64_t i = b0; i < b1; i++) {
		const char *a = (const char *)l->ptr[GEMM_A] + aoff +
				i * stride[0] * g.in_es;
		const char *b = (const char *)l->ptr[GEMM_B] + boff +
				i * stride[1] * g.in_es;
		char *c = (char *)l->ptr[GEMM_C] + i * stride[2] * g.out_es;
		int rc = vgpu_gemm_block(&part, a, b, c, i0, i1, j0, j1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static uint32_t gemm_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)scratch_bytes;
	return plan_batch(l, 1, workers);
}

static uint32_t batched_plan(struct vgpu_launch *l, unsigned workers,
			     size_t *scratch_bytes)
{
	(void)scratch_bytes;
	return plan_batch(l, (uint64_t)vgpu_cmd_i(l->cmd, GEMMB_BATCH),
			  workers);
}

/*
 * The strides: as given, or the stored matrices' rows times their leading
 * dimension as given or packed (as the catalogue computes them). With
 * k = 0, A and B are not read: they stay at their first element.
 */
static int batched_strides(const struct vgpu_cmd *c, uint64_t stride[3])
{
	uint64_t m = (uint64_t)vgpu_cmd_i(c, GEMM_M);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, GEMM_N);
	uint64_t k = (uint64_t)vgpu_cmd_i(c, GEMM_K);
	bool ta = vgpu_cmd_i(c, GEMM_TRANSA), tb = vgpu_cmd_i(c, GEMM_TRANSB);
	const uint64_t rows[3] = {ta ? k : m, tb ? n : k, m};
	const uint64_t cols[3] = {ta ? m : k, tb ? k : n, n};
	for (unsigned i = 0; i < 3; i++) {
		int64_t s = vgpu_cmd_i(c, GEMMB_STRIDE_A + i);
		uint64_t ld = (uint64_t)vgpu_cmd_i(c, GEMM_LDA + i);
		if (s < 0 && __builtin_mul_overflow(rows[i], ld ? ld : cols[i],
						    &stride[i]))
			return -EINVAL;
		if (s >= 0)
			stride[i] = (uint64_t)s;
	}
	if (k == 0)
		stride[0] = stride[1] = 0;
	return 0;
}

/* A step of a tile of gemm or gemm_batched (a batch of one matrix each). */
static int gemm_step(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles, uint32_t step)
{
	uint64_t stride[3] = {0, 0, 0}, batch = 1;
	if (l->cmd->spec->id == VGPU_K_GEMM_BATCHED) {
		if (batched_strides(l->cmd, stride) < 0)
			return -EINVAL;
		batch = (uint64_t)vgpu_cmd_i(l->cmd, GEMMB_BATCH);
	}
	return run_batch(l, batch, stride, tile, ntiles, step);
}

static int gemm_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	int rc = 0;
	for (uint32_t s = 0; rc == 0 && s < (l->steps ? l->steps : 1); s++)
		rc = gemm_step(l, tile, ntiles, s);
	return rc;
}

const struct vgpu_kernel_impl vgpu_k_gemm = {
    .id = VGPU_K_GEMM,
    .plan = gemm_plan,
    .run_tile = gemm_tile,
    .run_step = gemm_step,
};

const struct vgpu_kernel_impl vgpu_k_gemm_batched = {
    .id = VGPU_K_GEMM_BATCHED,
    .plan = batched_plan,
    .run_tile = gemm_tile,
    .run_step = gemm_step,
};
