/*
 * Backward passes of the row kernels: softmax_backward (softmax's, or
 * log_softmax's with log=1, from the forward output) and
 * layernorm_backward (the gradient of x; it recomputes each row's mean and
 * variance as layernorm does). Each row is read whole before it is
 * written, so out may be an input's very range. Sums in double precision;
 * tiles are blocks of whole rows.
 */
#include <errno.h>
#include <math.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"
#include "vector_math.h"

/*
 * Three vectors a row and double-precision sums cost about four
 * elementwise passes: smaller tiles spread a command of a few hundred KiB
 * (a GPT's layers) over the workers.
 */
#define ROWB_TILE_BYTES (VGPU_TILE_BYTES / 4)

/*
 * ATTR: the function's target; SIMD_SUM(vars): the pragma of a loop that
 * sums into vars, SIMD that of a loop that only maps (empty: a plain loop,
 * summed in order).
 */
#define SMAXB_ROW(NAME, T, ATTR, SIMD_SUM, SIMD)                               \
	ATTR static void NAME(const T *y, const T *g, T *o, uint64_t cols,     \
			      bool log_form)                                   \
	{                                                                      \
		double s = 0;                                                  \
		SIMD_SUM(s)                                                    \
		for (uint64_t j = 0; j < cols; j++)                            \
			s += log_form ? (double)g[j] : (double)g[j] * y[j];    \
		if (log_form) {                                                \
			SIMD for (uint64_t j = 0; j < cols; j++) o[j] =        \
			    (T)(g[j] - exp((double)y[j]) * s);                 \
		} else {                                                       \
			SIMD for (uint64_t j = 0; j < cols; j++) o[j] =        \
			    (T)(y[j] * ((double)g[j] - s));                    \
		}                                                              \
	}
#define NO_PRAGMA(...)
SMAXB_ROW(smaxb_f32, float, , NO_PRAGMA, )
SMAXB_ROW(smaxb_f64, double, , NO_PRAGMA, )

/*
 * The loops over h = g * gamma, written for gamma given or not: tested
 * inside a vector loop, its loads would be masked loads from NULL, which
 * the CPU serves slowly (a microcode assist a vector).
 */
#define LNB_SUMS(SIMD_SUM, H)                                                  \
	do {                                                                   \
		SIMD_SUM(mh, mhx)                                              \
		for (uint64_t j = 0; j < cols; j++) {                          \
			mh += (H);                                             \
			mhx += (H) * (x[j] - m) * r;                           \
		}                                                              \
	} while (0)
#define LNB_OUT(SIMD, H)                                                       \
	SIMD for (uint64_t j = 0; j < cols; j++) o[j] =                        \
	    (__typeof__(*o))(r * ((H)-mh - (x[j] - m) * r * mhx))
#define LNB_ROW(NAME, T, ATTR, SIMD_SUM, SIMD)                                 \
	ATTR static void NAME(const T *x, const T *g, T *o, const T *gamma,    \
			      uint64_t cols, double eps)                       \
	{                                                                      \
		double m = 0, v = 0, mh = 0, mhx = 0;                          \
		SIMD_SUM(m)                                                    \
		for (uint64_t j = 0; j < cols; j++)                            \
			m += x[j];                                             \
		m /= (double)cols;                                             \
		SIMD_SUM(v)                                                    \
		for (uint64_t j = 0; j < cols; j++)                            \
			v += (x[j] - m) * (x[j] - m);                          \
		double r = 1 / sqrt(v / (double)cols + eps);                   \
		if (gamma)                                                     \
			LNB_SUMS(SIMD_SUM, (double)g[j] * gamma[j]);           \
		else                                                           \
			LNB_SUMS(SIMD_SUM, (double)g[j]);                      \
		mh /= (double)cols;                                            \
		mhx /= (double)cols;                                           \
		if (gamma)                                                     \
			LNB_OUT(SIMD, (double)g[j] * gamma[j]);                \
		else                                                           \
			LNB_OUT(SIMD, (double)g[j]);                           \
	}
LNB_ROW(lnb_f32, float, , NO_PRAGMA, )
LNB_ROW(lnb_f64, double, , NO_PRAGMA, )

/*
 * f32 where the CPU has AVX2: the sums in vector lanes (double precision
 * still, in another order) and exp from libm's vector forms; a GPT's
 * backward passes spend a few percent of their time here.
 */
SMAXB_ROW(smaxb_f32_avx2, float, VGPU_AVX2, VGPU_SIMD_SUM, VGPU_SIMD)
LNB_ROW(lnb_f32_avx2, float, VGPU_AVX2, VGPU_SIMD_SUM, VGPU_SIMD)

/* The argument indices of the two kernels that this file needs. */
struct row_args {
	unsigned rows, cols, dtype;
};

static struct row_args row_args_of(const struct vgpu_cmd *c)
{
	if (c->spec->id == VGPU_K_SOFTMAX_BACKWARD)
		return (struct row_args){SMAXB_ROWS, SMAXB_COLS, SMAXB_DTYPE};
	return (struct row_args){LNB_ROWS, LNB_COLS, LNB_DTYPE};
}

static uint32_t rowb_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	if (vgpu_spec_check(c) < 0)
		return 1; /* run_tile() refuses it */
	struct row_args a = row_args_of(c);
	double row = (double)vgpu_cmd_i(c, a.cols) *
		     (double)vgpu_elem_size(vgpu_cmd_i(c, a.dtype));
	return vgpu_row_tiles((uint64_t)vgpu_cmd_i(c, a.rows), 3 * row,
			      ROWB_TILE_BYTES);
}

static int rowb_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	struct row_args a = row_args_of(c);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, a.cols), r0, r1;
	if (cols == 0)
		return 0;
	vgpu_split_even((uint64_t)vgpu_cmd_i(c, a.rows), ntiles, tile, &r0,
			&r1);
	bool f32 = vgpu_cmd_i(c, a.dtype) == VGPU_F32;
	bool avx2 = vgpu_cpu_avx2();
	size_t es = f32 ? 4 : 8;
	/* the first three buffers are the matrices in both kernels */
	const char *in = l->ptr[0], *g = l->ptr[1];
	char *o = l->ptr[2];
	if (c->spec->id == VGPU_K_SOFTMAX_BACKWARD) {
		bool log_form = vgpu_cmd_i(c, SMAXB_LOG) != 0;
		for (uint64_t r = r0; r < r1; r++) {
			uint64_t off = r * cols * es;
			if (f32)
				(avx2 ? smaxb_f32_avx2 : smaxb_f32)(
				    (const float *)(in + off),
				    (const float *)(g + off),
				    (float *)(o + off), cols, log_form);
			else
				smaxb_f64((const double *)(in + off),
					  (const double *)(g + off),
					  (double *)(o + off), cols, log_form);
		}
		return 0;
	}
	const void *gamma =
	    vgpu_cmd_given(c, LNB_GAMMA) ? l->ptr[LNB_GAMMA] : NULL;
	double eps = vgpu_cmd_f(c, LNB_EPS);
	for (uint64_t r = r0; r < r1; r++) {
		uint64_t off = r * cols * es;
		if (f32)
			(avx2 ? lnb_f32_avx2 : lnb_f32)(
			    (const float *)(in + off), (const float *)(g + off),
			    (float *)(o + off), gamma, cols, eps);
		else
			lnb_f64((const double *)(in + off),
				(const double *)(g + off), (double *)(o + off),
				gamma, cols, eps);
	}
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_softmax_backward = {
    .id = VGPU_K_SOFTMAX_BACKWARD,
    .plan = rowb_plan,
    .run_tile = rowb_tile,
};

const struct vgpu_kernel_impl vgpu_k_layernorm_backward = {
    .id = VGPU_K_LAYERNORM_BACKWARD,
    .plan = rowb_plan,
    .run_tile = rowb_tile,
};
