/*
 * A block of C on OpenBLAS, one thread per call. bf16 inputs go to
 * cblas_sbgemm when the installed OpenBLAS exports it (CMake checks:
 * VGPUFS_HAVE_SBGEMM). Otherwise (Debian bookworm's 0.3.21 declares it
 * but does not build it) the block is computed in steps of GEMM_BF16_K
 * along k: the step's panels of A and B are widened to f32 (exactly) in a
 * buffer of the tile's own and multiplied by sgemm, which adds into C.
 * Such buffers are allocated by the tile rather than taken from the
 * launch's scratch area, which would hold one for every tile at once:
 * this way there are only as many as tiles running.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <cblas.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/gemm_block.h>

#include "convert.h"
#include "tiling.h"

/* Steps along k and m of the f32 fallback for bf16: panels up to 2.5 MiB */
#define GEMM_BF16_K 256
#define GEMM_BF16_M 512

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int vgpu_gemm_shape(const struct vgpu_cmd *c, struct vgpu_gemm *g)
{
	g->m = (uint64_t)vgpu_cmd_i(c, GEMM_M);
	g->n = (uint64_t)vgpu_cmd_i(c, GEMM_N);
	g->k = (uint64_t)vgpu_cmd_i(c, GEMM_K);
	g->ta = vgpu_cmd_i(c, GEMM_TRANSA) != 0;
	g->tb = vgpu_cmd_i(c, GEMM_TRANSB) != 0;
	g->dtype = vgpu_cmd_i(c, GEMM_DTYPE);
	g->alpha = vgpu_cmd_f(c, GEMM_ALPHA);
	g->beta = vgpu_cmd_f(c, GEMM_BETA);
	g->in_es = g->dtype == VGPU_BF16 ? 2 : vgpu_elem_size(g->dtype);
	g->out_es = g->dtype == VGPU_BF16 ? 4 : g->in_es;
	/* BLAS wants leading dimensions of at least 1, even when empty */
	uint64_t acols = max_u64(1, g->ta ? g->m : g->k);
	uint64_t bcols = max_u64(1, g->tb ? g->k : g->n);
	uint64_t ccols = max_u64(1, g->n);
	g->lda = (uint64_t)vgpu_cmd_i(c, GEMM_LDA);
	g->ldb = (uint64_t)vgpu_cmd_i(c, GEMM_LDB);
	g->ldc = (uint64_t)vgpu_cmd_i(c, GEMM_LDC);
	g->lda = g->lda ? g->lda : acols;
	g->ldb = g->ldb ? g->ldb : bcols;
	g->ldc = g->ldc ? g->ldc : ccols;
	if (!g->in_es || g->lda < acols || g->ldb < bcols || g->ldc < ccols)
		return -EINVAL;
	uint64_t big = max_u64(max_u64(g->m, g->n), max_u64(g->k, g->lda));
	if (max_u64(big, max_u64(g->ldb, g->ldc)) > INT_MAX)
		return -EINVAL;
	return 0;
}

#ifndef VGPUFS_HAVE_SBGEMM
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ROWS x COLS of bf16 at SRC (leading dimension LD) to packed f32. */
static void widen(const uint16_t *src, uint64_t ld, uint64_t rows,
		  uint64_t cols, float *dst)
{
	for (uint64_t i = 0; i < rows; i++)
		for (uint64_t j = 0; j < cols; j++)
			dst[i * cols + j] = vgpu_bf16_to_f32(src[i * ld + j]);
}

static int bf16_block(const struct vgpu_gemm *g, const uint16_t *a,
		      const uint16_t *b, float *c, uint64_t i0, uint64_t i1,
		      uint64_t j0, uint64_t j1)
{
	enum CBLAS_TRANSPOSE ta = g->ta ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = g->tb ? CblasTrans : CblasNoTrans;
	int nb = (int)(j1 - j0);
	c += i0 * g->ldc + j0;
	if (g->k == 0) { /* C = beta*C, as sgemm does it; A, B unread */
		float none = 0;
		int mb = (int)(i1 - i0);
		cblas_sgemm(CblasRowMajor, ta, tb, mb, nb, 0, (float)g->alpha,
			    &none, mb, &none, nb, (float)g->beta, c,
			    (int)g->ldc);
		return 0;
	}
	uint64_t kmax = min_u64(g->k, GEMM_BF16_K);
	uint64_t mmax = min_u64(i1 - i0, GEMM_BF16_M);
	float *as = malloc((mmax + (uint64_t)nb) * kmax * sizeof(float));
	if (!as)
		return -ENOMEM;
	float *bs = as + mmax * kmax;
	for (uint64_t p = 0; p < g->k; p += kmax) {
		uint64_t kb = min_u64(kmax, g->k - p);
		/* op(B)[p..p+kb)[j0..j1), as stored */
		if (g->tb)
			widen(b + j0 * g->ldb + p, g->ldb, (uint64_t)nb, kb,
			      bs);
		else
			widen(b + p * g->ldb + j0, g->ldb, kb, (uint64_t)nb,
			      bs);
		for (uint64_t i = i0; i < i1; i += mmax) {
			uint64_t mb = min_u64(mmax, i1 - i);
			if (g->ta)
				widen(a + p * g->lda + i, g->lda, kb, mb, as);
			else
				widen(a + i * g->lda + p, g->lda, mb, kb, as);
			/* the first step applies beta, the others add */
			cblas_sgemm(CblasRowMajor, ta, tb, (int)mb, nb, (int)kb,
				    (float)g->alpha, as, (int)(g->ta ? mb : kb),
				    bs, (int)(g->tb ? kb : (uint64_t)nb),
				    p ? 1.0f : (float)g->beta,
				    c + (i - i0) * g->ldc, (int)g->ldc);
		}
	}
	free(as);
	return 0;
}
#endif

int vgpu_gemm_block(const struct vgpu_gemm *g, const void *a, const void *b,
		    void *c, uint64_t i0, uint64_t i1, uint64_t j0, uint64_t j1)
{
	/*
	 * Rows i0..i1 of op(A) are columns of A when it is stored transposed;
	 * likewise columns j0..j1 of op(B) are rows of B.
	 */
	uint64_t aoff = g->ta ? i0 : i0 * g->lda;
	uint64_t boff = g->tb ? j0 * g->ldb : j0;
	uint64_t coff = i0 * g->ldc + j0;
	enum CBLAS_TRANSPOSE ta = g->ta ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = g->tb ? CblasTrans : CblasNoTrans;
	int mb = (int)(i1 - i0), nb = (int)(j1 - j0), k = (int)g->k;
	int lda = (int)g->lda, ldb = (int)g->ldb, ldc = (int)g->ldc;
	/*
	 * With beta = 0 OpenBLAS overwrites C without reading it, and with
	 * k = 0 it only scales C, as the command promises (the tests check).
	 */
	switch (g->dtype) {
	case VGPU_F32:
		cblas_sgemm(CblasRowMajor, ta, tb, mb, nb, k, (float)g->alpha,
			    (const float *)a + aoff, lda,
			    (const float *)b + boff, ldb, (float)g->beta,
			    (float *)c + coff, ldc);
		return 0;
	case VGPU_F64:
		cblas_dgemm(CblasRowMajor, ta, tb, mb, nb, k, g->alpha,
			    (const double *)a + aoff, lda,
			    (const double *)b + boff, ldb, g->beta,
			    (double *)c + coff, ldc);
		return 0;
	case VGPU_BF16:
#ifdef VGPUFS_HAVE_SBGEMM
		cblas_sbgemm(CblasRowMajor, ta, tb, mb, nb, k, (float)g->alpha,
			     (const bfloat16 *)a + aoff, lda,
			     (const bfloat16 *)b + boff, ldb, (float)g->beta,
			     (float *)c + coff, ldc);
		return 0;
#else
		return bf16_block(g, a, b, c, i0, i1, j0, j1);
#endif
	}
	return -EINVAL;
}
