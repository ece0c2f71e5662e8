/*
 * gelu_backward: out = grad * gelu'(x), elementwise, the derivative of the
 * exact (erf) gelu. Computed in double precision and rounded once, f32
 * too: Phi from erfc, which keeps its accuracy far left. f32 calls libm's
 * vector forms where the CPU has AVX2 (vector_math.h).
 */
#include <errno.h>
#include <math.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"
#include "vector_math.h"

/* Two vectors read, one written. */
#define GELUB_TILE_BYTES (VGPU_TILE_BYTES / 3)

/* gelu'(x) = Phi(x) + x*phi(x); x*phi(x) is 0 where phi underflows (x = ±inf
 * too). */
static double gelu_grad(double x)
{
	double phi = exp(-0.5 * x * x) * 0.3989422804014327; /* 1/sqrt(2 pi) */
	double cdf = 0.5 * erfc(-x * M_SQRT1_2);
	return phi == 0 ? cdf : cdf + x * phi;
}

static void gelub_f32(const float *x, const float *g, float *o, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		o[i] = (float)((double)g[i] * gelu_grad(x[i]));
}

VGPU_AVX2 static void gelub_f32_avx2(const float *x, const float *g, float *o,
				     uint64_t n)
{
	VGPU_SIMD for (uint64_t i = 0; i < n; i++) o[i] =
	    (float)((double)g[i] * gelu_grad(x[i]));
}

static void gelub_f64(const double *x, const double *g, double *o, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		o[i] = g[i] * gelu_grad(x[i]);
}

static uint32_t gelub_plan(struct vgpu_launch *l, unsigned workers,
			   size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	const struct vgpu_cmd *c = l->cmd;
	return vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, GELUB_N),
			       vgpu_elem_size(vgpu_cmd_i(c, GELUB_DTYPE)),
			       GELUB_TILE_BYTES, VGPU_TILES_MAX);
}

static int gelub_tile(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	int64_t dt = vgpu_cmd_i(c, GELUB_DTYPE);
	size_t es = vgpu_elem_size(dt);
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, GELUB_N), es, tile, ntiles, &lo,
		       &hi);
	if (lo >= hi)
		return 0;
	const char *x = (const char *)l->ptr[GELUB_X] + lo * es;
	const char *g = (const char *)l->ptr[GELUB_GRAD] + lo * es;
	char *o = (char *)l->ptr[GELUB_OUT] + lo * es;
	if (dt == VGPU_F32)
		(vgpu_cpu_avx2() ? gelub_f32_avx2 : gelub_f32)(
		    (const float *)x, (const float *)g, (float *)o, hi - lo);
	else
		gelub_f64((const double *)x, (const double *)g, (double *)o,
			  hi - lo);
	return 0;
}

static bool gelub_bytes(const struct vgpu_launch *l, uint32_t tile,
			uint32_t ntiles, unsigned arg, uint64_t *lo,
			uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, GELUB_DTYPE));
	return arg <= GELUB_OUT &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, GELUB_N), es,
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_gelu_backward = {
    .id = VGPU_K_GELU_BACKWARD,
    .plan = gelub_plan,
    .run_tile = gelub_tile,
    .tile_bytes = gelub_bytes,
};
