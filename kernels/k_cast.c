/*
 * cast: out[i] = x[i] converted between f32, f64, i32, u8 and bf16. Every
 * conversion is defined for every input (convert.h): float to integer
 * truncates and saturates, NaN gives 0; integer to integer saturates; to
 * bf16 rounds once to nearest even; to any float type a NaN comes out quiet
 * (the hardware's conversions do that, the casts that copy bits here). out
 * may be the very same range as x when the sizes are equal (validation
 * refuses other overlaps): each element is read before it is written.
 */
#include <errno.h>

#include <vgpufs/catalog.h>

#include "convert.h"
#include "kernel_list.h"
#include "tiling.h"

#define CAST_TILE_BYTES (VGPU_TILE_BYTES / 2)

typedef void loop_fn(const void *x, void *o, uint64_t n);

#define LOOP(NAME, TF, TT, EXPR)                                               \
	static void NAME(const void *px, void *po, uint64_t n)                 \
	{                                                                      \
		const TF *xs = px;                                             \
		TT *o = po;                                                    \
		for (uint64_t i = 0; i < n; i++) {                             \
			TF x = xs[i];                                          \
			o[i] = (EXPR);                                         \
		}                                                              \
	}

LOOP(f32_f32, float, float, vgpu_quiet_f32(x))
LOOP(f32_f64, float, double, (double)x)
LOOP(f32_i32, float, int32_t, vgpu_sat_i32((double)x))
LOOP(f32_u8, float, uint8_t, vgpu_sat_u8((double)x))
LOOP(f32_bf16, float, uint16_t, vgpu_f32_to_bf16(x))
LOOP(f64_f32, double, float, (float)x)
LOOP(f64_f64, double, double, vgpu_quiet_f64(x))
LOOP(f64_i32, double, int32_t, vgpu_sat_i32(x))
LOOP(f64_u8, double, uint8_t, vgpu_sat_u8(x))
LOOP(f64_bf16, double, uint16_t, vgpu_f64_to_bf16(x))
LOOP(i32_f32, int32_t, float, (float)x)
LOOP(i32_f64, int32_t, double, (double)x)
LOOP(i32_i32, int32_t, int32_t, x)
LOOP(i32_u8, int32_t, uint8_t, vgpu_sat_u8_i32(x))
LOOP(i32_bf16, int32_t, uint16_t, vgpu_f64_to_bf16((double)x))
LOOP(u8_f32, uint8_t, float, (float)x)
LOOP(u8_f64, uint8_t, double, (double)x)
LOOP(u8_i32, uint8_t, int32_t, (int32_t)x)
LOOP(u8_u8, uint8_t, uint8_t, x)
LOOP(u8_bf16, uint8_t, uint16_t, vgpu_f32_to_bf16((float)x)) /* exact */
LOOP(bf16_f32, uint16_t, float, vgpu_bf16_to_f32(vgpu_quiet_bf16(x)))
LOOP(bf16_f64, uint16_t, double, (double)vgpu_bf16_to_f32(x))
LOOP(bf16_i32, uint16_t, int32_t, vgpu_sat_i32((double)vgpu_bf16_to_f32(x)))
LOOP(bf16_u8, uint16_t, uint8_t, vgpu_sat_u8((double)vgpu_bf16_to_f32(x)))
LOOP(bf16_bf16, uint16_t, uint16_t, vgpu_quiet_bf16(x))

static loop_fn *const loops[VGPU_DTYPE_COUNT][VGPU_DTYPE_COUNT] = {
    [VGPU_F32] = {f32_f32, f32_f64, f32_i32, f32_u8, f32_bf16},
    [VGPU_F64] = {f64_f32, f64_f64, f64_i32, f64_u8, f64_bf16},
    [VGPU_I32] = {i32_f32, i32_f64, i32_i32, i32_u8, i32_bf16},
    [VGPU_U8] = {u8_f32, u8_f64, u8_i32, u8_u8, u8_bf16},
    [VGPU_BF16] = {bf16_f32, bf16_f64, bf16_i32, bf16_u8, bf16_bf16},
};
_Static_assert(VGPU_F32 == 0 && VGPU_F64 == 1 && VGPU_I32 == 2 &&
		   VGPU_U8 == 3 && VGPU_BF16 == 4 && VGPU_DTYPE_COUNT == 5,
	       "the table above is in enum order");

/* Tiles sized by the larger of the two element types. */
static size_t cast_es(const struct vgpu_cmd *c)
{
	size_t f = vgpu_any_elem_size(vgpu_cmd_i(c, CAST_FROM));
	size_t t = vgpu_any_elem_size(vgpu_cmd_i(c, CAST_TO));
	return f && t ? (f > t ? f : t) : 0;
}

static uint32_t cast_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(l->cmd, CAST_N),
			       cast_es(l->cmd), CAST_TILE_BYTES,
			       VGPU_TILES_MAX);
}

static int cast_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	size_t es = cast_es(c);
	if (!es)
		return -EINVAL;
	int64_t from = vgpu_cmd_i(c, CAST_FROM), to = vgpu_cmd_i(c, CAST_TO);
	size_t fs = vgpu_any_elem_size(from), ts = vgpu_any_elem_size(to);
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, CAST_N), es, tile, ntiles, &lo,
		       &hi);
	if (lo < hi)
		loops[from][to]((const char *)l->ptr[CAST_X] + lo * fs,
				(char *)l->ptr[CAST_OUT] + lo * ts, hi - lo);
	return 0;
}

static bool cast_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	const struct vgpu_cmd *c = l->cmd;
	if (arg != CAST_X && arg != CAST_OUT)
		return false;
	size_t es = vgpu_any_elem_size(
	    vgpu_cmd_i(c, arg == CAST_X ? CAST_FROM : CAST_TO));
	return vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(c, CAST_N), cast_es(c),
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_cast = {
    .tile_bytes = cast_bytes,
    .id = VGPU_K_CAST,
    .plan = cast_plan,
    .run_tile = cast_tile,
};
