/*
 * Kernels that normalise each row of a rows x cols row-major matrix:
 * softmax, log_softmax and layernorm. Tiles are groups of whole rows (a row
 * needs its own statistics before any of it is written); out may be the
 * very same range as x, as every element is read before it is written and
 * only by the tile that writes it.
 *
 * f32 is computed in double precision and rounded once where it can be.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <vgpufs/catalog.h>

#include "compensated_sum.h"
#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"
#include "vector_math.h"

/*
 * A row costs about ten elementwise passes over it (exp and the sums in
 * double precision): tiles of this many bytes take ~100 us, so that a
 * command of a few hundred KiB (attention's softmax) spreads over the
 * workers instead of leaving all but one idle.
 */
#define ROWNORM_TILE_BYTES (VGPU_TILE_BYTES / 8)

/* One row, N elements: softmax, or log_softmax with TAKE_LOG. */
typedef void softmax_fn(const void *x, void *out, uint64_t n, bool take_log);
/* One row of layernorm; G and B may be NULL (gamma 1, beta 0). */
typedef void layernorm_fn(const void *x, void *out, const void *g,
			  const void *b, uint64_t n, double eps);

#define ELEM(i) ((double)x[i])
#define DEV2(i) ((ELEM(i) - mean) * (ELEM(i) - mean))

/*
 * exp(x - m) for x <= m, the difference taken exactly: x - m rounds (f64),
 * and exp would turn that rounding into |x - m| ulps. With Knuth's TwoSum
 * x - m = d + err exactly, and e^(d + err) = e^d (1 + err). err is only
 * meaningful when d is finite.
 */
static inline double exp_sub(double x, double m)
{
	double d = x - m, bb = d - x;
	double err = (x - (d - bb)) + (-m - bb), e = exp(d);
	return isfinite(d) ? e + e * err : e;
}

/*
 * log_softmax: (x - m) - log(1 + t), t the sum of exp(x - m) over all but
 * one maximum element (whose term is exactly 1). log1p(t) keeps its
 * relative accuracy where t is tiny and log(1 + t) would round to 0, and
 * both terms are <= 0, so nothing cancels: a few ulps, relative, near 0
 * too. Terms below e^SCALED_BELOW are summed scaled by e^-SCALED_BELOW:
 * subnormal, they would each lose digits. A row whose maximum M is not
 * finite (NaN, +inf, all -inf) is NaN.
 */
#define SCALED_BELOW (-700.0)
#define LOG_SOFTMAX_ROW(T, SUF)                                                \
	static void log_softmax_##SUF(const T *x, T *o, uint64_t n, double m)  \
	{                                                                      \
		double s = 0, c = 0, s2 = 0, c2 = 0, ls = NAN;                 \
		if (isfinite(m)) {                                             \
			double m2 = m + SCALED_BELOW;                          \
			bool skipped = false;                                  \
			for (uint64_t i = 0; i < n; i++)                       \
				if (!skipped && ELEM(i) == m)                  \
					skipped = true;                        \
				else if (ELEM(i) >= m2)                        \
					vgpu_csum_add(&s, &c,                  \
						      exp_sub(ELEM(i), m));    \
				else                                           \
					vgpu_csum_add(&s2, &c2,                \
						      exp_sub(ELEM(i), m2));   \
			ls = log1p(vgpu_csum_value(s, c) +                     \
				   vgpu_csum_value(s2, c2) * exp_sub(m2, m));  \
		}                                                              \
		for (uint64_t i = 0; i < n; i++)                               \
			o[i] = (T)((ELEM(i) - m) - ls);                        \
	}
LOG_SOFTMAX_ROW(float, f32)
LOG_SOFTMAX_ROW(double, f64)

/*
 * softmax: exp(x - m) goes to out first and is divided by the sum in a
 * second pass (x may be gone by then: in place), which rounds twice, an ulp
 * at most. log_softmax reads x again for its result.
 */
#define SOFTMAX_ROW(T, SUF)                                                    \
	static void softmax_##SUF(const void *px, void *po, uint64_t n,        \
				  bool take_log)                               \
	{                                                                      \
		const T *x = px;                                               \
		T *o = po;                                                     \
		double m = -INFINITY, s = 0, c = 0;                            \
		for (uint64_t i = 0; i < n; i++)                               \
			if (ELEM(i) > m || x[i] != x[i]) /* NaN sticks */      \
				m = ELEM(i);                                   \
		if (take_log) {                                                \
			log_softmax_##SUF(x, o, n, m);                         \
			return;                                                \
		}                                                              \
		for (uint64_t i = 0; i < n; i++) {                             \
			double e = exp_sub(ELEM(i), m);                        \
			o[i] = (T)e;                                           \
			vgpu_csum_add(&s, &c, e);                              \
		}                                                              \
		double sum = vgpu_csum_value(s, c);                            \
		for (uint64_t i = 0; i < n; i++)                               \
			o[i] = (T)((double)o[i] / sum);                        \
	}

/*
 * layernorm of a row; ATTR its target, SIMD the pragma of its last loop
 * (each result computed the same way whatever the order). That loop is
 * written for each case of gamma and beta given: tested inside it, their
 * loads would be masked vector loads, from NULL, which the CPU serves
 * slowly (a microcode assist a vector).
 */
#define LN_OUT(SIMD, EXPR)                                                     \
	SIMD for (uint64_t i = 0; i < n; i++) o[i] = (__typeof__(*o))(EXPR)
#define LAYERNORM_ROW(T, SUF, ATTR, SIMD)                                      \
	ATTR static void layernorm_##SUF(const void *px, void *po,             \
					 const void *pg, const void *pb,       \
					 uint64_t n, double eps)               \
	{                                                                      \
		const T *x = px, *g = pg, *b = pb;                             \
		T *o = po;                                                     \
		double s = 0, c = 0;                                           \
		VGPU_CSUM_TERMS(&s, &c, n, ELEM);                              \
		double mean = vgpu_csum_value(s, c) / (double)n;               \
		s = c = 0;                                                     \
		VGPU_CSUM_TERMS(&s, &c, n, DEV2);                              \
		double r = 1 / sqrt(vgpu_csum_value(s, c) / (double)n + eps);  \
		if (g && b)                                                    \
			LN_OUT(SIMD, (ELEM(i) - mean) * r * g[i] + b[i]);      \
		else if (g)                                                    \
			LN_OUT(SIMD, (ELEM(i) - mean) * r * g[i]);             \
		else if (b)                                                    \
			LN_OUT(SIMD, (ELEM(i) - mean) * r + b[i]);             \
		else                                                           \
			LN_OUT(SIMD, (ELEM(i) - mean) * r);                    \
	}

SOFTMAX_ROW(float, f32)
SOFTMAX_ROW(double, f64)
LAYERNORM_ROW(float, f32, , )
LAYERNORM_ROW(double, f64, , )

/*
 * f32 where the CPU has AVX2, as a GPT's layers use them. layernorm: the
 * same operations in vector lanes, the same results. softmax: exp from
 * libm's vector forms (4 ulp in double: nothing at f32's precision), a
 * block of exps at a time, then their compensated sum.
 */
LAYERNORM_ROW(float, f32_avx2, VGPU_AVX2, VGPU_SIMD)

#define SOFTMAX_BLOCK 256

VGPU_AVX2 static void softmax_f32_avx2(const void *px, void *po, uint64_t n,
				       bool take_log)
{
	if (take_log) { /* log_softmax: the plain way, which finds m itself */
		softmax_f32(px, po, n, true);
		return;
	}
	const float *x = px;
	float *o = po;
	float mx = -INFINITY;
	int nan = 0;
	VGPU_SIMD_CLAUSES(reduction(max : mx) reduction(| : nan))
	for (uint64_t i = 0; i < n; i++) {
		mx = x[i] > mx ? x[i] : mx;
		nan |= x[i] != x[i];
	}
	double m = nan ? NAN : mx;
	if (!isfinite(m)) { /* rows of specials: the plain way */
		softmax_f32(px, po, n, false);
		return;
	}
	double s = 0, c = 0, e[SOFTMAX_BLOCK];
	for (uint64_t i0 = 0; i0 < n; i0 += SOFTMAX_BLOCK) {
		uint64_t nb = n - i0 < SOFTMAX_BLOCK ? n - i0 : SOFTMAX_BLOCK;
		VGPU_SIMD for (uint64_t j = 0; j < nb; j++)
		{
			e[j] = exp_sub(x[i0 + j], m);
			o[i0 + j] = (float)e[j];
		}
#define BLOCK_TERM(j) (e[j])
		VGPU_CSUM_TERMS(&s, &c, nb, BLOCK_TERM);
#undef BLOCK_TERM
	}
	double sum = vgpu_csum_value(s, c);
	VGPU_SIMD for (uint64_t i = 0; i < n; i++) o[i] =
	    (float)((double)o[i] / sum);
}

static softmax_fn *const softmax_rows[] = {
    [VGPU_F32] = softmax_f32, [VGPU_F64] = softmax_f64};
static softmax_fn *const softmax_rows_avx2[] = {
    [VGPU_F32] = softmax_f32_avx2, [VGPU_F64] = softmax_f64};
static layernorm_fn *const layernorm_rows[] = {
    [VGPU_F32] = layernorm_f32, [VGPU_F64] = layernorm_f64};
static layernorm_fn *const layernorm_rows_avx2[] = {
    [VGPU_F32] = layernorm_f32_avx2, [VGPU_F64] = layernorm_f64};

/* The matrix of a command: the argument indexes of each kernel. */
struct rows {
	unsigned x, out, rows, cols, dtype;
};

static const struct rows *rows_of(unsigned id)
{
	static const struct rows smax = {SMAX_X, SMAX_OUT, SMAX_ROWS, SMAX_COLS,
					 SMAX_DTYPE};
	static const struct rows ln = {LN_X, LN_OUT, LN_ROWS, LN_COLS,
				       LN_DTYPE};
	return id == VGPU_K_LAYERNORM ? &ln : &smax;
}

static uint32_t rownorm_plan(struct vgpu_launch *l, unsigned workers,
			     size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	const struct rows *a = rows_of(c->spec->id);
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, a->rows);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, a->cols);
	size_t es = vgpu_any_elem_size(vgpu_cmd_i(c, a->dtype));
	uint64_t row_bytes;
	if (vgpu_spec_check(c) < 0 ||
	    __builtin_mul_overflow(cols, es, &row_bytes))
		return 1; /* run_tile() refuses it */
	/* whole rows, about ROWNORM_TILE_BYTES a tile; tile T has the rows
	 * vgpu_split_even(rows, NT, T) gives */
	return vgpu_row_tiles(rows, (double)row_bytes, ROWNORM_TILE_BYTES);
}

/* Elements [N, COLS) of a causal row: 0, or -inf for log_softmax. */
static void masked_tail(char *row, int64_t dt, uint64_t n, uint64_t cols,
			bool take_log)
{
	double v = take_log ? -INFINITY : 0;
	for (uint64_t j = n; j < cols; j++)
		if (dt == VGPU_F32)
			((float *)row)[j] = (float)v;
		else
			((double *)row)[j] = v;
}

static int rownorm_tile(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	unsigned id = c->spec->id;
	const struct rows *a = rows_of(id);
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	int64_t dt = vgpu_cmd_i(c, a->dtype);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, a->cols), r0, r1;
	size_t es = vgpu_any_elem_size(dt);
	vgpu_split_even((uint64_t)vgpu_cmd_i(c, a->rows), ntiles, tile, &r0,
			&r1);
	const char *x = l->ptr[a->x];
	char *o = l->ptr[a->out];
	if (cols == 0)
		return 0;
	bool causal = id != VGPU_K_LAYERNORM && vgpu_cmd_i(c, SMAX_CAUSAL);
	bool avx2 = vgpu_cpu_avx2();
	softmax_fn *const *softmax_row =
	    avx2 ? softmax_rows_avx2 : softmax_rows;
	layernorm_fn *const *layernorm_row =
	    avx2 ? layernorm_rows_avx2 : layernorm_rows;
	for (uint64_t r = r0; r < r1; r++) {
		uint64_t off = r * cols * es;
		if (id != VGPU_K_LAYERNORM) {
			/* causal: the row's first r mod cols + 1 elements */
			uint64_t n = causal ? r % cols + 1 : cols;
			softmax_row[dt](x + off, o + off, n,
					id == VGPU_K_LOG_SOFTMAX);
			if (n < cols)
				masked_tail(o + off, dt, n, cols,
					    id == VGPU_K_LOG_SOFTMAX);
		} else
			layernorm_row[dt](
			    x + off, o + off,
			    vgpu_cmd_given(c, LN_GAMMA) ? l->ptr[LN_GAMMA]
							: NULL,
			    vgpu_cmd_given(c, LN_BETA) ? l->ptr[LN_BETA] : NULL,
			    cols, vgpu_cmd_f(c, LN_EPS));
	}
	return 0;
}

/* x and out: the tile's rows; gamma and beta (one row) stay whole. */
static bool rownorm_bytes(const struct vgpu_launch *l, uint32_t tile,
			  uint32_t ntiles, unsigned arg, uint64_t *lo,
			  uint64_t *hi)
{
	const struct vgpu_cmd *c = l->cmd;
	const struct rows *a = rows_of(c->spec->id);
	if (arg != a->x && arg != a->out)
		return false;
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, a->cols), r0, r1;
	size_t es = vgpu_any_elem_size(vgpu_cmd_i(c, a->dtype));
	vgpu_split_even((uint64_t)vgpu_cmd_i(c, a->rows), ntiles, tile, &r0,
			&r1);
	*lo = r0 * cols * es; /* no overflow: the extents passed */
	*hi = r1 * cols * es;
	return true;
}

#define ROWNORM_IMPL(NAME, ID)                                                 \
	const struct vgpu_kernel_impl vgpu_k_##NAME = {                        \
	    .id = ID,                                                          \
	    .plan = rownorm_plan,                                              \
	    .run_tile = rownorm_tile,                                          \
	    .tile_bytes = rownorm_bytes}

ROWNORM_IMPL(softmax, VGPU_K_SOFTMAX);
ROWNORM_IMPL(log_softmax, VGPU_K_LOG_SOFTMAX);
ROWNORM_IMPL(layernorm, VGPU_K_LAYERNORM);
