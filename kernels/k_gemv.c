/*
 * gemv: y = alpha*op(A)*x + beta*y, row-major A (m x n as stored), on
 * OpenBLAS.
 *
 * Tiles are blocks of A of about VGPU_TILE_BYTES: a grid of "out" blocks
 * (ranges of y) by "in" blocks (ranges of x). With one in block a tile
 * computes its range of y outright. A y too short to give every worker a
 * range (a wide A, or a tall one with transa=1) is also cut along x: then
 * each tile leaves op(A)*x of its block in the scratch area, and finish()
 * adds the blocks' parts in order and applies alpha and beta.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* Fewer elements of x or y than this in a block cost more than they save. */
#define GEMV_MIN_SPAN 64
/* Partial results of in blocks: at most this much scratch. */
#define GEMV_SCRATCH_MAX (64u << 20)

enum { PLAN_OUT_BLOCKS, PLAN_IN_BLOCKS };

struct gemv {
	uint64_t m, n, lda;
	uint64_t ylen, xlen; /* op(A) is ylen x xlen */
	bool ta;
	int64_t dt;
	size_t es;
};

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* -EINVAL for what validation should have refused. */
static int gemv_shape(const struct vgpu_cmd *c, struct gemv *g)
{
	g->m = (uint64_t)vgpu_cmd_i(c, GEMV_M);
	g->n = (uint64_t)vgpu_cmd_i(c, GEMV_N);
	g->ta = vgpu_cmd_i(c, GEMV_TRANSA) != 0;
	g->dt = vgpu_cmd_i(c, GEMV_DTYPE);
	g->es = vgpu_elem_size(g->dt);
	uint64_t cols = g->n ? g->n : 1; /* BLAS wants lda >= 1 */
	g->lda = (uint64_t)vgpu_cmd_i(c, GEMV_LDA);
	g->lda = g->lda ? g->lda : cols;
	g->ylen = g->ta ? g->n : g->m;
	g->xlen = g->ta ? g->m : g->n;
	if (!g->es || g->lda < cols || g->m > INT_MAX || g->n > INT_MAX ||
	    g->lda > INT_MAX)
		return -EINVAL;
	return 0;
}

static uint32_t gemv_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers; /* memory-bound: tiles by bytes */
	l->plan[PLAN_OUT_BLOCKS] = l->plan[PLAN_IN_BLOCKS] = 1;
	struct gemv g;
	if (gemv_shape(l->cmd, &g) < 0 || g.ylen == 0)
		return 1;
	/* an empty x still scales y */
	double elems = (double)g.m * (double)g.n;
	if (elems < (double)g.ylen)
		elems = (double)g.ylen;
	double want = elems * (double)g.es / VGPU_TILE_BYTES;
	uint64_t t = want < 1		     ? 1
		     : want > VGPU_TILES_MAX ? VGPU_TILES_MAX
					     : (uint64_t)want + 1;
	uint64_t ob = min_u64(t, ceil_div(g.ylen, GEMV_MIN_SPAN));
	/* cut x only where y alone gives less than half the tiles */
	uint64_t ib = 2 * ob > t ? 1
				 : min_u64(ceil_div(t, ob),
					   ceil_div(g.xlen, GEMV_MIN_SPAN));
	if (ib > 1) {
		ib = min_u64(ib, GEMV_SCRATCH_MAX / (g.ylen * g.es));
		ib = min_u64(ib, VGPU_TILES_MAX / ob);
	}
	if (ib > 1)
		*scratch_bytes = ib * g.ylen * g.es;
	else
		ib = 1;
	l->plan[PLAN_OUT_BLOCKS] = ob;
	l->plan[PLAN_IN_BLOCKS] = ib;
	return (uint32_t)(ob * ib);
}

/* Y[i] = beta*Y[i] for i < N; beta = 0 stores zeros (NaN or not). */
static void scale(int64_t dt, void *y, uint64_t n, double beta)
{
	if (beta == 0) {
		memset(y, 0, n * vgpu_elem_size(dt));
	} else if (dt == VGPU_F32) {
		float *v = y, b = (float)beta;
		for (uint64_t i = 0; i < n; i++)
			v[i] *= b;
	} else {
		double *v = y;
		for (uint64_t i = 0; i < n; i++)
			v[i] *= beta;
	}
}

static int gemv_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	struct gemv g;
	if (gemv_shape(c, &g) < 0)
		return -EINVAL;
	uint64_t ob = l->plan[PLAN_OUT_BLOCKS], ib = l->plan[PLAN_IN_BLOCKS];
	if (ob * ib != ntiles || tile >= ntiles || (ib > 1 && !l->scratch))
		return -EINVAL; /* not a tiling plan() made */
	if (g.ylen == 0)
		return 0;
	uint64_t y0, y1, x0 = 0, x1 = g.xlen;
	vgpu_split_even(g.ylen, ob, tile / ib, &y0, &y1);
	if (ib > 1)
		vgpu_split_even(g.xlen, ib, tile % ib, &x0, &x1);
	double alpha = vgpu_cmd_f(c, GEMV_ALPHA);
	double beta = vgpu_cmd_f(c, GEMV_BETA);
	char *y = (char *)l->ptr[GEMV_Y] + y0 * g.es;
	if (ib > 1) { /* op(A)*x of this block, for finish() */
		y = (char *)l->scratch + ((tile % ib) * g.ylen + y0) * g.es;
		alpha = 1;
		beta = 0;
	} else if (beta == 0 || g.xlen == 0) {
		/* OpenBLAS leaves y alone for an empty sum */
		scale(g.dt, y, y1 - y0, beta);
		if (g.xlen == 0)
			return 0;
	}
	if (y0 == y1 || x0 == x1)
		return 0;
	/* The block of A as stored: rows are op(A)'s columns when ta. */
	uint64_t r0 = g.ta ? x0 : y0, c0 = g.ta ? y0 : x0;
	int rows = (int)(g.ta ? x1 - x0 : y1 - y0);
	int cols = (int)(g.ta ? y1 - y0 : x1 - x0);
	const char *a = (const char *)l->ptr[GEMV_A] + (r0 * g.lda + c0) * g.es;
	const char *x = (const char *)l->ptr[GEMV_X] + x0 * g.es;
	enum CBLAS_TRANSPOSE t = g.ta ? CblasTrans : CblasNoTrans;
	if (g.dt == VGPU_F32)
		cblas_sgemv(CblasRowMajor, t, rows, cols, (float)alpha,
			    (const float *)a, (int)g.lda, (const float *)x, 1,
			    (float)beta, (float *)y, 1);
	else
		cblas_dgemv(CblasRowMajor, t, rows, cols, alpha,
			    (const double *)a, (int)g.lda, (const double *)x, 1,
			    beta, (double *)y, 1);
	return 0;
}

/*
 * With in blocks: y = alpha*(sum of the blocks' parts) + beta*y. As in
 * BLAS, alpha = 0 ignores A and x (their NaNs too).
 */
static int gemv_finish(const struct vgpu_launch *l, uint32_t ntiles)
{
	(void)ntiles;
	const struct vgpu_cmd *c = l->cmd;
	struct gemv g;
	if (gemv_shape(c, &g) < 0)
		return -EINVAL;
	uint64_t ib = l->plan[PLAN_IN_BLOCKS];
	if (ib <= 1)
		return 0;
	if (!l->scratch)
		return -EINVAL;
	double alpha = vgpu_cmd_f(c, GEMV_ALPHA);
	double beta = vgpu_cmd_f(c, GEMV_BETA);
	for (uint64_t j = 0; j < g.ylen; j++) {
		double s = 0;
		for (uint64_t i = 0; i < ib && alpha != 0; i++) {
			uint64_t at = i * g.ylen + j;
			s += g.dt == VGPU_F32
				 ? ((const float *)l->scratch)[at]
				 : ((const double *)l->scratch)[at];
		}
		if (g.dt == VGPU_F32) {
			float *y = (float *)l->ptr[GEMV_Y] + j;
			*y = (float)(alpha * s + (beta == 0 ? 0 : beta * *y));
		} else {
			double *y = (double *)l->ptr[GEMV_Y] + j;
			*y = alpha * s + (beta == 0 ? 0 : beta * *y);
		}
	}
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_gemv = {
    .id = VGPU_K_GEMV,
    .plan = gemv_plan,
    .run_tile = gemv_tile,
    .finish = gemv_finish,
};
