/*
 * Elementwise unary kernels: relu gelu sigmoid tanh exp log sqrt abs neg
 * recip, out = f(x). out may be the very same range as x (each element is
 * read before it is written). f32 is computed in single precision with the
 * float functions of libm (their vector forms where the CPU has AVX2:
 * vector_math.h), f64 in double.
 */
#include <errno.h>
#include <math.h>

#include <vgpufs/catalog.h>

#include "convert.h"
#include "kernel_list.h"
#include "tiling.h"
#include "vector_math.h"

/* One vector read, one written. */
#define UNARY_TILE_BYTES (VGPU_TILE_BYTES / 2)

enum {
	OP_RELU,
	OP_GELU,
	OP_SIGMOID,
	OP_TANH,
	OP_EXP,
	OP_LOG,
	OP_SQRT,
	OP_ABS,
	OP_NEG,
	OP_RECIP,
	OP_COUNT
};

typedef void loop_fn(const void *x, void *o, uint64_t n);

/* A loop, with ATTR on its function and PRAGMA on its for. */
#define LOOP_AS(ATTR, PRAGMA, NAME, T, EXPR)                                   \
	ATTR static void NAME(const void *px, void *po, uint64_t n)            \
	{                                                                      \
		const T *xs = px;                                              \
		T *o = po;                                                     \
		PRAGMA for (uint64_t i = 0; i < n; i++)                        \
		{                                                              \
			T x = xs[i];                                           \
			o[i] = (EXPR);                                         \
		}                                                              \
	}
#define LOOP(NAME, T, EXPR) LOOP_AS(, , NAME, T, EXPR)
/* For AVX2, calling libm's vector forms (vector_math.h). */
#define LOOP_AVX2(NAME, T, EXPR) LOOP_AS(VGPU_AVX2, VGPU_SIMD, NAME, T, EXPR)

LOOP(relu_f32, float, x < 0 ? 0.0f : x)
/* 1 + erf(x/sqrt 2) is exactly 0 far left: gelu(-inf) is 0, not NaN. */
static inline float gelu_f(float x)
{
	float t = 1.0f + erff(x * (float)M_SQRT1_2);
	return t == 0 ? 0.0f : 0.5f * x * t;
}

static inline double gelu_d(double x)
{
	double t = 1.0 + erf(x * M_SQRT1_2);
	return t == 0 ? 0.0 : 0.5 * x * t;
}

LOOP(gelu_f32, float, gelu_f(x))
LOOP(sigmoid_f32, float, 1.0f / (1.0f + expf(-x)))
LOOP(tanh_f32, float, tanhf(x))
LOOP(exp_f32, float, expf(x))
LOOP(log_f32, float, logf(x))
LOOP(sqrt_f32, float, sqrtf(x))
LOOP(abs_f32, float, fabsf(x))
LOOP(neg_f32, float, -x)
LOOP(recip_f32, float, 1.0f / x)

LOOP_AVX2(gelu_f32_avx2, float, gelu_f(x))
LOOP_AVX2(sigmoid_f32_avx2, float, 1.0f / (1.0f + expf(-x)))
LOOP_AVX2(tanh_f32_avx2, float, tanhf(x))
LOOP_AVX2(exp_f32_avx2, float, expf(x))
LOOP_AVX2(log_f32_avx2, float, logf(x))

LOOP(relu_f64, double, x < 0 ? 0.0 : x)
LOOP(gelu_f64, double, gelu_d(x))
LOOP(sigmoid_f64, double, 1.0 / (1.0 + exp(-x)))
LOOP(tanh_f64, double, tanh(x))
LOOP(exp_f64, double, exp(x))
LOOP(log_f64, double, log(x))
LOOP(sqrt_f64, double, sqrt(x))
LOOP(abs_f64, double, fabs(x))
LOOP(neg_f64, double, -x)
LOOP(recip_f64, double, 1.0 / x)

/* i32: INT32_MIN has no positive counterpart and stays itself. */
LOOP(abs_i32, int32_t, x < 0 ? vgpu_wrap_i32(0u - (uint32_t)x) : x)
LOOP(neg_i32, int32_t, vgpu_wrap_i32(0u - (uint32_t)x))

#define OPS(T)                                                                 \
	{                                                                      \
		[OP_RELU] = relu_##T, [OP_GELU] = gelu_##T,                    \
		[OP_SIGMOID] = sigmoid_##T, [OP_TANH] = tanh_##T,              \
		[OP_EXP] = exp_##T, [OP_LOG] = log_##T, [OP_SQRT] = sqrt_##T,  \
		[OP_ABS] = abs_##T, [OP_NEG] = neg_##T,                        \
		[OP_RECIP] = recip_##T,                                        \
	}
static loop_fn *const loops[3][OP_COUNT] = {
    [VGPU_F32] = OPS(f32),
    [VGPU_F64] = OPS(f64),
    [VGPU_I32] = {[OP_ABS] = abs_i32, [OP_NEG] = neg_i32},
};
#undef OPS
static loop_fn *const loops_f32_avx2[OP_COUNT] = {
    [OP_GELU] = gelu_f32_avx2, [OP_SIGMOID] = sigmoid_f32_avx2,
    [OP_TANH] = tanh_f32_avx2, [OP_EXP] = exp_f32_avx2,
    [OP_LOG] = log_f32_avx2,
};

/* The loop for dtype DT: libm's vector forms where they exist and run. */
static loop_fn *loop_for(int64_t dt, unsigned op)
{
	if (dt == VGPU_F32 && loops_f32_avx2[op] && vgpu_cpu_avx2())
		return loops_f32_avx2[op];
	return loops[dt][op];
}

static uint32_t unary_plan(struct vgpu_launch *l, unsigned workers,
			   size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, UN_N),
			       vgpu_any_elem_size(vgpu_cmd_i(c, UN_DTYPE)),
			       UNARY_TILE_BYTES, VGPU_TILES_MAX);
}

static int unary_tile(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, UN_DTYPE);
	unsigned op = (unsigned)c->spec->id - VGPU_K_RELU;
	if (dt < 0 || dt > VGPU_I32 || op >= OP_COUNT || !loops[dt][op])
		return -EINVAL;
	size_t es = vgpu_any_elem_size(dt);
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, UN_N), es, tile, ntiles, &lo,
		       &hi);
	if (lo < hi)
		loop_for(dt, op)((const char *)l->ptr[UN_X] + lo * es,
				 (char *)l->ptr[UN_OUT] + lo * es, hi - lo);
	return 0;
}

static bool unary_bytes(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles, unsigned arg, uint64_t *lo,
			uint64_t *hi)
{
	size_t es = vgpu_any_elem_size(vgpu_cmd_i(l->cmd, UN_DTYPE));
	return (arg == UN_X || arg == UN_OUT) &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, UN_N), es, es,
				    tile, ntiles, lo, hi);
}

#define UNARY_IMPL(NAME, ID)                                                   \
	const struct vgpu_kernel_impl vgpu_k_##NAME = {.id = ID,               \
						       .plan = unary_plan,     \
						       .run_tile = unary_tile, \
						       .tile_bytes =           \
							   unary_bytes}

UNARY_IMPL(relu, VGPU_K_RELU);
UNARY_IMPL(gelu, VGPU_K_GELU);
UNARY_IMPL(sigmoid, VGPU_K_SIGMOID);
UNARY_IMPL(tanh, VGPU_K_TANH);
UNARY_IMPL(exp, VGPU_K_EXP);
UNARY_IMPL(log, VGPU_K_LOG);
UNARY_IMPL(sqrt, VGPU_K_SQRT);
UNARY_IMPL(abs, VGPU_K_ABS);
UNARY_IMPL(neg, VGPU_K_NEG);
UNARY_IMPL(recip, VGPU_K_RECIP);
