/*
 * gemm: C = alpha*op(A)*op(B) + beta*C, row-major, on OpenBLAS (one thread
 * per call; the scheduler's workers run tiles side by side).
 *
 * Tiles are blocks of C: full-width row panels, with C cut into column
 * blocks only when it is very wide. Measured with 2 workers on a 2048^3
 * sgemm against OpenBLAS's own 2 threads: 512x2048 panels 1.00, 256x2048
 * 0.97, 128x2048 0.92, 256x256 squares 0.88, because every tile packs its
 * own panels of A and B and row panels share the packed B best. A tile is
 * at most about 4.4 GFLOP (20-40 ms on one core), so that other contexts'
 * tiles get a turn. plan() stores the grid in l->plan for run_tile().
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* Most f32 flops in a tile (f64 ones count double, being half as fast). */
#define GEMM_TILE_MAX_WORK 4.4e9
/* Less than this is not worth handing to another worker. */
#define GEMM_TILE_MIN_WORK 4e6
/* Narrower tiles spend too much of their time packing A and B. */
#define GEMM_MIN_ROWS 64
#define GEMM_MIN_COLS 256
/* Wider C is cut into column blocks, to keep packed B panels small. */
#define GEMM_MAX_COLS 2048

enum { PLAN_ROW_BLOCKS, PLAN_COL_BLOCKS };

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

/* Row and column blocks of C for about AREA elements a tile. */
static void grid_for_area(const struct gemm *g, double area, uint64_t *gr,
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

static double tile_work(double work, uint64_t gr, uint64_t gc)
{
	return work / (double)(gr * gc);
}

static uint32_t gemm_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)scratch_bytes;
	l->plan[PLAN_ROW_BLOCKS] = l->plan[PLAN_COL_BLOCKS] = 1;
	struct gemm g;
	if (gemm_shape(l->cmd, &g) < 0 || g.m == 0 || g.n == 0)
		return 1;
	if (workers < 1)
		workers = 1;
	/* k = 0 still scales C: count that as one step of work. */
	double weight = g.dtype == VGPU_F64 ? 2 : 1;
	double work =
	    2.0 * (double)g.m * (double)g.n * (double)max_u64(g.k, 1) * weight;
	if (work < 2 * GEMM_TILE_MIN_WORK)
		return 1;
	uint64_t gr, gc;
	grid_for_area(
	    &g, GEMM_TILE_MAX_WORK / (2.0 * (double)max_u64(g.k, 1) * weight),
	    &gr, &gc);
	uint64_t max_gr = max_u64(1, g.m / GEMM_MIN_ROWS);
	uint64_t max_gc = max_u64(gc, g.n / GEMM_MIN_COLS);
	/* Two tiles a worker where the work allows, for load balance. */
	double want = fmin(2.0 * workers, floor(work / GEMM_TILE_MIN_WORK));
	while ((double)(gr * gc) < want) {
		if (gr < max_gr &&
		    tile_work(work, gr + 1, gc) >= GEMM_TILE_MIN_WORK)
			gr++;
		else if (gc < max_gc &&
			 tile_work(work, gr, gc + 1) >= GEMM_TILE_MIN_WORK)
			gc++;
		else
			break;
	}
	/* A multiple of the workers keeps them all busy to the end. */
	for (unsigned i = 0;
	     i < workers && (gr * gc) % workers && gr < max_gr &&
	     work / (double)((gr + 1) * gc) >= GEMM_TILE_MIN_WORK;
	     i++)
		gr++;
	if (gr * gc > VGPU_TILES_MAX)
		gr = max_u64(1, VGPU_TILES_MAX / gc);
	l->plan[PLAN_ROW_BLOCKS] = gr;
	l->plan[PLAN_COL_BLOCKS] = gc;
	return (uint32_t)(gr * gc);
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
	uint64_t gr = l->plan[PLAN_ROW_BLOCKS], gc = l->plan[PLAN_COL_BLOCKS];
	if (gr * gc != ntiles || tile >= ntiles)
		return -EINVAL; /* not a tiling plan() made */
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
