/*
 * Elementwise binary kernels: add sub mul div max min pow, out = a OP b,
 * where b is a full vector, a row broadcast to every row of a, or a scalar.
 * out may be the very same range as a or a full-length b (each element is
 * read before it is written); validation refuses any other overlap.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "convert.h"
#include "kernel_list.h"
#include "tiling.h"

/* Two vectors are read and one written: smaller tiles than fill's. */
#define BINARY_TILE_BYTES (VGPU_TILE_BYTES / 2)

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_POW, OP_COUNT };

/*
 * N elements: o[i] = a[i] OP b[i] (vv), or o[i] = a[i] OP *b (vs). Plain
 * loops over possibly aliased ranges (no restrict): out may be a or b.
 */
typedef void loop_fn(const void *a, const void *b, void *o, uint64_t n);

#define LOOPS(NAME, T, EXPR)                                                   \
	static void NAME##_vv(const void *pa, const void *pb, void *po,        \
			      uint64_t n)                                      \
	{                                                                      \
		const T *a = pa, *b = pb;                                      \
		T *o = po;                                                     \
		for (uint64_t i = 0; i < n; i++) {                             \
			T x = a[i], y = b[i];                                  \
			o[i] = (EXPR);                                         \
		}                                                              \
	}                                                                      \
	static void NAME##_vs(const void *pa, const void *pb, void *po,        \
			      uint64_t n)                                      \
	{                                                                      \
		const T *a = pa;                                               \
		T *o = po, y = *(const T *)pb;                                 \
		for (uint64_t i = 0; i < n; i++) {                             \
			T x = a[i];                                            \
			o[i] = (EXPR);                                         \
		}                                                              \
	}

/* NaN in either operand gives NaN (x != x: x is NaN). */
#define FMAX(x, y) ((x) > (y) || (x) != (x) ? (x) : (y))
#define FMIN(x, y) ((x) < (y) || (x) != (x) ? (x) : (y))

LOOPS(add_f32, float, x + y)
LOOPS(sub_f32, float, x - y)
LOOPS(mul_f32, float, (x) * (y))
LOOPS(div_f32, float, x / y)
LOOPS(max_f32, float, FMAX(x, y))
LOOPS(min_f32, float, FMIN(x, y))
LOOPS(pow_f32, float, powf(x, y))

LOOPS(add_f64, double, x + y)
LOOPS(sub_f64, double, x - y)
LOOPS(mul_f64, double, (x) * (y))
LOOPS(div_f64, double, x / y)
LOOPS(max_f64, double, FMAX(x, y))
LOOPS(min_f64, double, FMIN(x, y))
LOOPS(pow_f64, double, pow(x, y))

/* i32: wraps around; x/0 is 0, INT32_MIN/-1 wraps to INT32_MIN. */
static inline int32_t add_wrap(int32_t x, int32_t y)
{
	return vgpu_wrap_i32((uint32_t)x + (uint32_t)y);
}

static inline int32_t sub_wrap(int32_t x, int32_t y)
{
	return vgpu_wrap_i32((uint32_t)x - (uint32_t)y);
}

static inline int32_t mul_wrap(int32_t x, int32_t y)
{
	uint32_t p = (uint32_t)x * (uint32_t)y;
	return vgpu_wrap_i32(p);
}

static inline int32_t div_trunc(int32_t x, int32_t y)
{
	if (y == 0)
		return 0;
	if (y == -1)
		return sub_wrap(0, x);
	return x / y;
}

LOOPS(add_i32, int32_t, add_wrap(x, y))
LOOPS(sub_i32, int32_t, sub_wrap(x, y))
LOOPS(mul_i32, int32_t, mul_wrap(x, y))
LOOPS(div_i32, int32_t, div_trunc(x, y))
LOOPS(max_i32, int32_t, x > y ? x : y)
LOOPS(min_i32, int32_t, x < y ? x : y)

#define E(OP, op, T) [OP_##OP] = {op##_##T##_vv, op##_##T##_vs}
#define E_ALL(T)                                                               \
	E(ADD, add, T), E(SUB, sub, T), E(MUL, mul, T), E(DIV, div, T),        \
	    E(MAX, max, T), E(MIN, min, T)
static const struct {
	loop_fn *vv, *vs;
} loops[3][OP_COUNT] = {
    [VGPU_F32] = {E_ALL(f32), E(POW, pow, f32)},
    [VGPU_F64] = {E_ALL(f64), E(POW, pow, f64)},
    [VGPU_I32] = {E_ALL(i32)}, /* no pow */
};
#undef E_ALL
#undef E

static uint32_t binary_plan(struct vgpu_launch *l, unsigned workers,
			    size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, BIN_N),
			       vgpu_any_elem_size(vgpu_cmd_i(c, BIN_DTYPE)),
			       BINARY_TILE_BYTES, VGPU_TILES_MAX);
}

static int binary_tile(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, BIN_DTYPE);
	unsigned op = (unsigned)c->spec->id - VGPU_K_ADD;
	if (dt < 0 || dt > VGPU_I32 || op >= OP_COUNT || !loops[dt][op].vv)
		return -EINVAL;
	size_t es = vgpu_any_elem_size(dt);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, BIN_N);
	int64_t rows = vgpu_cmd_i(c, BIN_ROWS);
	if (rows < 0 || (rows > 0 && n % (uint64_t)rows != 0))
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span(n, es, tile, ntiles, &lo, &hi);
	const char *a = l->ptr[BIN_A], *b = l->ptr[BIN_B];
	char *o = l->ptr[BIN_OUT];
	if (lo >= hi)
		return 0;
	if (vgpu_cmd_given(c, BIN_BSCALAR)) {
		double v = vgpu_cmd_f(c, BIN_BSCALAR);
		union {
			float f;
			double d;
			int32_t i;
		} s;
		if (dt == VGPU_F32)
			s.f = (float)v;
		else if (dt == VGPU_F64)
			s.d = v;
		else
			s.i = vgpu_sat_i32(v);
		loops[dt][op].vs(a + lo * es, &s, o + lo * es, hi - lo);
	} else if (rows > 0) {
		/* b is one row of COLS elements: go row piece by row piece */
		uint64_t cols = n / (uint64_t)rows;
		while (lo < hi) {
			uint64_t j = lo % cols;
			uint64_t len = cols - j < hi - lo ? cols - j : hi - lo;
			loops[dt][op].vv(a + lo * es, b + j * es, o + lo * es,
					 len);
			lo += len;
		}
	} else {
		loops[dt][op].vv(a + lo * es, b + lo * es, o + lo * es,
				 hi - lo);
	}
	return 0;
}

/* b as a scalar, or as one row for every row, is not cut into tiles. */
static bool binary_bytes(const struct vgpu_launch *l, uint32_t tile,
			 uint32_t ntiles, unsigned arg, uint64_t *lo,
			 uint64_t *hi)
{
	const struct vgpu_cmd *c = l->cmd;
	size_t es = vgpu_any_elem_size(vgpu_cmd_i(c, BIN_DTYPE));
	bool whole_b = !vgpu_cmd_given(c, BIN_B) || vgpu_cmd_i(c, BIN_ROWS) > 0;
	if (arg != BIN_A && arg != BIN_OUT && (arg != BIN_B || whole_b))
		return false;
	return vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(c, BIN_N), es, es,
				    tile, ntiles, lo, hi);
}

#define BINARY_IMPL(NAME, ID)                                                  \
	const struct vgpu_kernel_impl vgpu_k_##NAME = {                        \
	    .id = ID,                                                          \
	    .plan = binary_plan,                                               \
	    .run_tile = binary_tile,                                           \
	    .tile_bytes = binary_bytes}

BINARY_IMPL(add, VGPU_K_ADD);
BINARY_IMPL(sub, VGPU_K_SUB);
BINARY_IMPL(mul, VGPU_K_MUL);
BINARY_IMPL(div, VGPU_K_DIV);
BINARY_IMPL(max, VGPU_K_MAX);
BINARY_IMPL(min, VGPU_K_MIN);
BINARY_IMPL(pow, VGPU_K_POW);
