/*
 * gemm: C = alpha*op(A)*op(B) + beta*C, row-major, on serial OpenBLAS.
 *
 * Tiles are the blocks of a grid over C, each one OpenBLAS call on its
 * block. The grid is ceil(m/s) x ceil(n/s) blocks for a block side s, rows
 * and columns then split evenly, so blocks are near square, which keeps
 * the packing of A and B small next to the arithmetic. plan() picks s from
 * the amount of work and the number of workers; run_tile() only learns the
 * tile count. As s grows neither grid dimension grows, so two sides with
 * the same tile count give the same grid: run_tile() finds it again by a
 * binary search over s.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* Smaller blocks spend too much of their time packing A and B. */
#define GEMM_MIN_SIDE 128
/*
 * Most f32 flops in a tile (f64 ones count double, being half as fast): a
 * few ms, so that tiles of other contexts get their turn.
 */
#define GEMM_TILE_MAX_WORK 5e8
/* Less than this is not worth handing to another worker. */
#define GEMM_TILE_MIN_WORK 4e6
/* Tiles per worker when there is enough work, for load balance. */
#define GEMM_TILES_PER_WORKER 4

struct gemm {
	uint64_t m, n, k, lda, ldb, ldc;
	bool ta, tb;
	int64_t dtype;
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/*
 * Reads the shape; the packed leading dimensions replace the 0 defaults
 * (at least 1, which BLAS demands even of empty matrices). -EINVAL for
 * what BLAS would reject, though validation should have caught it.
 */
static int gemm_shape(const struct vgpu_cmd *c, struct gemm *g)
{
	g->m = (uint64_t)vgpu_cmd_i(c, GEMM_M);
	g->n = (uint64_t)vgpu_cmd_i(c, GEMM_N);
	g->k = (uint64_t)vgpu_cmd_i(c, GEMM_K);
	g->ta = vgpu_cmd_i(c, GEMM_TRANSA) != 0;
	g->tb = vgpu_cmd_i(c, GEMM_TRANSB) != 0;
	g->dtype = vgpu_cmd_i(c, GEMM_DTYPE);
	uint64_t acols = max_u64(1, g->ta ? g->m : g->k);
	uint64_t bcols = max_u64(1, g->tb ? g->k : g->n);
	uint64_t ccols = max_u64(1, g->n);
	g->lda = (uint64_t)vgpu_cmd_i(c, GEMM_LDA);
	g->ldb = (uint64_t)vgpu_cmd_i(c, GEMM_LDB);
	g->ldc = (uint64_t)vgpu_cmd_i(c, GEMM_LDC);
	g->lda = g->lda ? g->lda : acols;
	g->ldb = g->ldb ? g->ldb : bcols;
	g->ldc = g->ldc ? g->ldc : ccols;
	if (!vgpu_elem_size(g->dtype) || g->lda < acols || g->ldb < bcols ||
	    g->ldc < ccols)
		return -EINVAL;
	uint64_t big = max_u64(max_u64(g->m, g->n), max_u64(g->k, g->lda));
	if (max_u64(big, max_u64(g->ldb, g->ldc)) > INT_MAX)
		return -EINVAL;
	return 0;
}

static uint64_t grid_tiles(const struct gemm *g, uint64_t side)
{
	return ceil_div(g->m, side) * ceil_div(g->n, side);
}

/* The largest block side whose grid has at least WANT tiles; 1 if none. */
static uint64_t side_for(const struct gemm *g, uint64_t want)
{
	uint64_t lo = 1, hi = max_u64(g->m, g->n);
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;
		if (grid_tiles(g, mid) >= want)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Share of the workers' time spent working when NT equal tiles run. */
static double balance(uint64_t nt, unsigned workers)
{
	return (double)nt / (double)(workers * ceil_div(nt, workers));
}

static uint32_t gemm_plan(const struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)scratch_bytes;
	struct gemm g;
	if (gemm_shape(l->cmd, &g) < 0 || g.m == 0 || g.n == 0)
		return 1;
	if (workers < 1)
		workers = 1;
	/* k = 0 still scales C: count that as one step of work. */
	double work = 2.0 * (double)g.m * (double)g.n *
		      (double)max_u64(g.k, 1) * (g.dtype == VGPU_F64 ? 2 : 1);
	double need = fmin(ceil(work / GEMM_TILE_MAX_WORK), VGPU_TILES_MAX);
	double most = fmax(1, floor(work / GEMM_TILE_MIN_WORK));
	double want = fmax(need, fmin(GEMM_TILES_PER_WORKER * workers, most));

	uint64_t min_side = GEMM_MIN_SIDE;
	if (min_side > max_u64(g.m, g.n))
		min_side = max_u64(g.m, g.n);
	uint64_t side = side_for(&g, (uint64_t)fmax(want, 1));
	/* The grid steps in jumps: rather fewer tiles than too small ones. */
	if ((double)grid_tiles(&g, side) > most &&
	    (double)grid_tiles(&g, side + 1) >= need)
		side++;
	if (side < min_side)
		side = min_side;
	/*
	 * A few more, smaller tiles may share out better over the workers
	 * (16 tiles keep 2 workers busier than 9 do): at most twice as many,
	 * and none below the minimum work.
	 */
	uint64_t nt = grid_tiles(&g, side), best = side;
	most = fmin(2.0 * (double)nt, fmax((double)nt, most));
	for (int i = 0; i < 8 && side > min_side; i++) {
		side = side_for(&g, grid_tiles(&g, side) + 1);
		if (side < min_side || (double)grid_tiles(&g, side) > most)
			break;
		if (balance(grid_tiles(&g, side), workers) >
		    balance(grid_tiles(&g, best), workers) + 1e-9)
			best = side;
	}
	return (uint32_t)grid_tiles(&g, best);
}

static int gemm_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	struct gemm g;
	if (gemm_shape(c, &g) < 0)
		return -EINVAL;
	if (g.m == 0 || g.n == 0)
		return 0;
	uint64_t side = side_for(&g, ntiles);
	if (grid_tiles(&g, side) != ntiles || tile >= ntiles)
		return -EINVAL; /* not a tiling plan() makes */
	uint64_t gr = ceil_div(g.m, side), gc = ceil_div(g.n, side);
	uint64_t i0, i1, j0, j1;
	vgpu_split_even(g.m, gr, tile / gc, &i0, &i1);
	vgpu_split_even(g.n, gc, tile % gc, &j0, &j1);

	/*
	 * Rows i0..i1 of op(A) are columns of A when it is stored transposed;
	 * likewise columns j0..j1 of op(B) are rows of B.
	 */
	uint64_t aoff = g.ta ? i0 : i0 * g.lda;
	uint64_t boff = g.tb ? j0 * g.ldb : j0;
	uint64_t coff = i0 * g.ldc + j0;
	enum CBLAS_TRANSPOSE ta = g.ta ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = g.tb ? CblasTrans : CblasNoTrans;
	int mb = (int)(i1 - i0), nb = (int)(j1 - j0), k = (int)g.k;
	double alpha = vgpu_cmd_f(c, GEMM_ALPHA);
	double beta = vgpu_cmd_f(c, GEMM_BETA);
	/*
	 * With beta = 0 OpenBLAS overwrites C without reading it, and with
	 * k = 0 it only scales C, as the command promises (the tests check).
	 */
	if (g.dtype == VGPU_F32)
		cblas_sgemm(CblasRowMajor, ta, tb, mb, nb, k, (float)alpha,
			    (const float *)l->ptr[GEMM_A] + aoff, (int)g.lda,
			    (const float *)l->ptr[GEMM_B] + boff, (int)g.ldb,
			    (float)beta, (float *)l->ptr[GEMM_C] + coff,
			    (int)g.ldc);
	else
		cblas_dgemm(CblasRowMajor, ta, tb, mb, nb, k, alpha,
			    (const double *)l->ptr[GEMM_A] + aoff, (int)g.lda,
			    (const double *)l->ptr[GEMM_B] + boff, (int)g.ldb,
			    beta, (double *)l->ptr[GEMM_C] + coff, (int)g.ldc);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_gemm = {
    .id = VGPU_K_GEMM,
    .plan = gemm_plan,
    .run_tile = gemm_tile,
};
