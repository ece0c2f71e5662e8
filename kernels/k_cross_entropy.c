/*
 * cross_entropy (the loss of each row of logits against its target class)
 * and cross_entropy_backward (softmax minus the one-hot target, times the
 * row's gradient). Rows as softmax computes them: the maximum subtracted
 * first, the sum of exponentials in double precision. Tiles are blocks of
 * whole rows.
 */
#include <errno.h>
#include <math.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"

/*
 * A row costs about as much as softmax's (exp and sums in double): tiles
 * of ~100 us, so that a batch's logits (a few hundred KiB) spread over the
 * workers.
 */
#define XENT_TILE_BYTES (VGPU_TILE_BYTES / 8)

/*
 * The row's maximum M and sum S of exp(x - M); false when the row holds a
 * NaN or +inf or is all -inf (its results are NaN).
 */
#define ROW_STATS(NAME, T)                                                     \
	static bool NAME(const T *x, uint64_t cols, double *m, double *s)      \
	{                                                                      \
		double mx = -INFINITY;                                         \
		for (uint64_t j = 0; j < cols; j++) {                          \
			if (isnan(x[j]))                                       \
				return false;                                  \
			if (x[j] > mx)                                         \
				mx = x[j];                                     \
		}                                                              \
		if (!isfinite(mx))                                             \
			return false;                                          \
		double sum = 0;                                                \
		for (uint64_t j = 0; j < cols; j++)                            \
			sum += exp((double)x[j] - mx);                         \
		*m = mx;                                                       \
		*s = sum;                                                      \
		return true;                                                   \
	}
ROW_STATS(stats_f32, float)
ROW_STATS(stats_f64, double)

#define XENT_ROWS(NAME, STATS, T)                                              \
	static void NAME(const T *x, const int32_t *t, const T *g, T *o,       \
			 uint64_t r0, uint64_t r1, uint64_t cols,              \
			 bool backward)                                        \
	{                                                                      \
		for (uint64_t r = r0; r < r1; r++) {                           \
			const T *row = x + r * cols;                           \
			double m, s;                                           \
			bool ok = STATS(row, cols, &m, &s);                    \
			if (!backward) {                                       \
				o[r] =                                         \
				    ok ? (T)(m - row[t[r]] + log(s)) : (T)NAN; \
				continue;                                      \
			}                                                      \
			T *out = o + r * cols;                                 \
			for (uint64_t j = 0; j < cols; j++) {                  \
				double p =                                     \
				    ok ? exp((double)row[j] - m) / s : NAN;    \
				out[j] =                                       \
				    (T)(g[r] * (p - (j == (uint64_t)t[r])));   \
			}                                                      \
		}                                                              \
	}
XENT_ROWS(xent_f32, stats_f32, float)
XENT_ROWS(xent_f64, stats_f64, double)

static uint32_t xent_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	if (vgpu_spec_check(c) < 0)
		return 1; /* run_tile() refuses it */
	double row = (double)vgpu_cmd_i(c, XENT_COLS) *
		     (double)vgpu_elem_size(vgpu_cmd_i(c, XENT_DTYPE));
	return vgpu_row_tiles((uint64_t)vgpu_cmd_i(c, XENT_ROWS), 2 * row,
			      XENT_TILE_BYTES);
}

static int xent_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, XENT_COLS), r0, r1;
	vgpu_split_even((uint64_t)vgpu_cmd_i(c, XENT_ROWS), ntiles, tile, &r0,
			&r1);
	const int32_t *t = l->ptr[XENT_TARGET];
	for (uint64_t r = r0; r < r1; r++)
		if (t[r] < 0 || (uint64_t)t[r] >= cols)
			return -ERANGE;
	bool backward = c->spec->id == VGPU_K_CROSS_ENTROPY_BACKWARD;
	const void *g = backward ? l->ptr[XENTB_GRAD] : NULL;
	if (vgpu_cmd_i(c, XENT_DTYPE) == VGPU_F32)
		xent_f32(l->ptr[XENT_X], t, g, l->ptr[XENT_OUT], r0, r1, cols,
			 backward);
	else
		xent_f64(l->ptr[XENT_X], t, g, l->ptr[XENT_OUT], r0, r1, cols,
			 backward);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_cross_entropy = {
    .id = VGPU_K_CROSS_ENTROPY,
    .plan = xent_plan,
    .run_tile = xent_tile,
};

const struct vgpu_kernel_impl vgpu_k_cross_entropy_backward = {
    .id = VGPU_K_CROSS_ENTROPY_BACKWARD,
    .plan = xent_plan,
    .run_tile = xent_tile,
};
