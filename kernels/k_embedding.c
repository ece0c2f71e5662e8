/*
 * embedding (out row i = table row idx[i]) and embedding_backward (the
 * scatter-add of gradient rows into the table's gradient). The gather's
 * tiles are blocks of lookups; the scatter's are blocks of columns, each
 * running over every lookup in order, so that no two tiles add into the
 * same element and the sums do not depend on the tiling.
 */
#include <errno.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"

/* Whether idx[lo..hi) are all row numbers of a table of VOCAB rows. */
static bool indices_ok(const int32_t *idx, uint64_t lo, uint64_t hi,
		       int64_t vocab)
{
	for (uint64_t i = lo; i < hi; i++)
		if (idx[i] < 0 || idx[i] >= vocab)
			return false;
	return true;
}

static uint32_t gather_plan(struct vgpu_launch *l, unsigned workers,
			    size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	if (vgpu_spec_check(c) < 0)
		return 1; /* run_tile() refuses it */
	double row = (double)vgpu_cmd_i(c, EMB_DIM) *
		     (double)vgpu_elem_size(vgpu_cmd_i(c, EMB_DTYPE));
	return vgpu_row_tiles((uint64_t)vgpu_cmd_i(c, EMB_N), 2 * row + 4,
			      VGPU_TILE_BYTES);
}

static int gather_tile(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	uint64_t lo, hi;
	vgpu_split_even((uint64_t)vgpu_cmd_i(c, EMB_N), ntiles, tile, &lo, &hi);
	const int32_t *idx = l->ptr[EMB_IDX];
	if (!indices_ok(idx, lo, hi, vgpu_cmd_i(c, EMB_VOCAB)))
		return -ERANGE;
	size_t row = (size_t)vgpu_cmd_i(c, EMB_DIM) *
		     vgpu_elem_size(vgpu_cmd_i(c, EMB_DTYPE));
	const char *table = l->ptr[EMB_TABLE];
	char *out = l->ptr[EMB_ROWS];
	for (uint64_t i = lo; i < hi; i++)
		memcpy(out + i * row, table + (uint64_t)idx[i] * row, row);
	return 0;
}

/* Columns a scatter tile takes: about VGPU_TILE_BYTES of work each. */
static uint32_t scatter_plan(struct vgpu_launch *l, unsigned workers,
			     size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	if (vgpu_spec_check(c) < 0)
		return 1;
	double col = (double)(vgpu_cmd_i(c, EMB_N) + vgpu_cmd_i(c, EMB_VOCAB)) *
		     (double)vgpu_elem_size(vgpu_cmd_i(c, EMB_DTYPE));
	return vgpu_row_tiles((uint64_t)vgpu_cmd_i(c, EMB_DIM), col,
			      VGPU_TILE_BYTES);
}

#define SCATTER(NAME, T)                                                       \
	static void NAME(T *out, const T *g, const int32_t *idx, uint64_t n,   \
			 uint64_t vocab, uint64_t dim, uint64_t c0,            \
			 uint64_t c1, bool accumulate)                         \
	{                                                                      \
		if (!accumulate)                                               \
			for (uint64_t v = 0; v < vocab; v++)                   \
				for (uint64_t j = c0; j < c1; j++)             \
					out[v * dim + j] = 0;                  \
		for (uint64_t i = 0; i < n; i++) {                             \
			T *dst = out + (uint64_t)idx[i] * dim;                 \
			const T *src = g + i * dim;                            \
			for (uint64_t j = c0; j < c1; j++)                     \
				dst[j] += src[j];                              \
		}                                                              \
	}
SCATTER(scatter_f32, float)
SCATTER(scatter_f64, double)

static int scatter_tile(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	uint64_t n = (uint64_t)vgpu_cmd_i(c, EMB_N);
	uint64_t vocab = (uint64_t)vgpu_cmd_i(c, EMB_VOCAB);
	uint64_t dim = (uint64_t)vgpu_cmd_i(c, EMB_DIM), c0, c1;
	const int32_t *idx = l->ptr[EMB_IDX];
	if (!indices_ok(idx, 0, n, (int64_t)vocab))
		return -ERANGE;
	vgpu_split_even(dim, ntiles, tile, &c0, &c1);
	bool acc = vgpu_cmd_i(c, EMB_ACCUMULATE) != 0;
	if (vgpu_cmd_i(c, EMB_DTYPE) == VGPU_F32)
		scatter_f32(l->ptr[EMB_TABLE], l->ptr[EMB_ROWS], idx, n, vocab,
			    dim, c0, c1, acc);
	else
		scatter_f64(l->ptr[EMB_TABLE], l->ptr[EMB_ROWS], idx, n, vocab,
			    dim, c0, c1, acc);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_embedding = {
    .id = VGPU_K_EMBEDDING,
    .plan = gather_plan,
    .run_tile = gather_tile,
};

const struct vgpu_kernel_impl vgpu_k_embedding_backward = {
    .id = VGPU_K_EMBEDDING_BACKWARD,
    .plan = scatter_plan,
    .run_tile = scatter_tile,
};
