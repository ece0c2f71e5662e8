/*
 * nrm2 and asum: out[0] = a norm of x. Each tile leaves its part in the
 * scratch area, computed by OpenBLAS (snrm2 and dnrm2 avoid overflow and
 * underflow themselves); finish() combines the parts in tile order, so the
 * result does not depend on which thread ran what when.
 *
 * The norms of the parts are combined as LAPACK's dlassq does, scaled by
 * the largest, so that no square overflows or underflows on the way (the
 * square of an f64 part of 1e300 would).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "tiling.h"

/* sqrt of a sum of squares, kept as scale*sqrt(ssq) with scale the largest */
struct ssq {
	double scale, ssq;
	bool nan, inf;
};

static void ssq_add(struct ssq *s, double r)
{
	if (isnan(r)) {
		s->nan = true;
	} else if (isinf(r)) {
		s->inf = true;
	} else if (fabs(r) > s->scale) {
		double q = s->scale / fabs(r);
		s->ssq = 1 + s->ssq * q * q;
		s->scale = fabs(r);
	} else if (r != 0) {
		double q = r / s->scale;
		s->ssq += q * q;
	}
}

static double ssq_value(const struct ssq *s)
{
	return s->nan ? NAN : s->inf ? INFINITY : s->scale * sqrt(s->ssq);
}

static uint32_t norm_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	(void)workers;
	const struct vgpu_cmd *c = l->cmd;
	uint32_t nt = vgpu_elem_tiles((uint64_t)vgpu_cmd_i(c, NORM_N),
				      vgpu_elem_size(vgpu_cmd_i(c, NORM_DTYPE)),
				      VGPU_TILE_BYTES, VGPU_PARTIAL_TILES_MAX);
	*scratch_bytes = (size_t)nt * sizeof(double);
	return nt;
}

/* The norm of N elements at X (f32 or f64) by OpenBLAS, in int pieces. */
static double part(unsigned id, int64_t dt, const void *x, uint64_t n)
{
	struct ssq s = {0};
	double sum = 0;
	for (uint64_t i = 0; i < n; i += VGPU_BLAS_CHUNK) {
		int len = n - i < VGPU_BLAS_CHUNK ? (int)(n - i)
						  : (int)VGPU_BLAS_CHUNK;
		const float *xs = (const float *)x + i;
		const double *xd = (const double *)x + i;
		if (id == VGPU_K_NRM2)
			ssq_add(&s, dt == VGPU_F32 ? cblas_snrm2(len, xs, 1)
						   : cblas_dnrm2(len, xd, 1));
		else
			sum += dt == VGPU_F32 ? cblas_sasum(len, xs, 1)
					      : cblas_dasum(len, xd, 1);
	}
	return id == VGPU_K_NRM2 ? ssq_value(&s) : sum;
}

static int norm_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, NORM_DTYPE);
	size_t es = vgpu_elem_size(dt);
	if (!es || !l->scratch)
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_elem_span((uint64_t)vgpu_cmd_i(c, NORM_N), es, tile, ntiles, &lo,
		       &hi);
	double *partial = l->scratch;
	partial[tile] = part(c->spec->id, dt,
			     (const char *)l->ptr[NORM_X] + lo * es, hi - lo);
	return 0;
}

static int norm_finish(const struct vgpu_launch *l, uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int64_t dt = vgpu_cmd_i(c, NORM_DTYPE);
	if (!vgpu_elem_size(dt) || !l->scratch)
		return -EINVAL;
	const double *partial = l->scratch;
	struct ssq s = {0};
	double sum = 0;
	for (uint32_t t = 0; t < ntiles; t++) {
		ssq_add(&s, partial[t]);
		sum += partial[t];
	}
	double r = c->spec->id == VGPU_K_NRM2 ? ssq_value(&s) : sum;
	if (dt == VGPU_F32)
		*(float *)l->ptr[NORM_OUT] = (float)r;
	else
		*(double *)l->ptr[NORM_OUT] = r;
	return 0;
}

/* out is written by finish(): it stays mapped. */
static bool norm_bytes(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles, unsigned arg, uint64_t *lo,
		       uint64_t *hi)
{
	size_t es = vgpu_elem_size(vgpu_cmd_i(l->cmd, NORM_DTYPE));
	return arg == NORM_X &&
	       vgpu_elem_tile_bytes((uint64_t)vgpu_cmd_i(l->cmd, NORM_N), es,
				    es, tile, ntiles, lo, hi);
}

const struct vgpu_kernel_impl vgpu_k_nrm2 = {
    .tile_bytes = norm_bytes,
    .id = VGPU_K_NRM2,
    .plan = norm_plan,
    .run_tile = norm_tile,
    .finish = norm_finish,
};

const struct vgpu_kernel_impl vgpu_k_asum = {
    .tile_bytes = norm_bytes,
    .id = VGPU_K_ASUM,
    .plan = norm_plan,
    .run_tile = norm_tile,
    .finish = norm_finish,
};
