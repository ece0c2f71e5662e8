/*
 * Fused optimizer steps, elementwise and in place: adamw (param, m, v) and
 * sgd with momentum (param, buf). One command updates a whole parameter
 * tensor instead of the ten or so elementwise commands the update takes
 * otherwise. Computed in double precision, rounded once per result.
 */
#include <errno.h>
#include <math.h>

#include <vgpufs/catalog.h>

#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"
#include "vector_math.h"

/* Four (adamw) or three (sgd) vectors read and mostly written. */
#define OPTIM_TILE_BYTES (VGPU_TILE_BYTES / 4)

struct adamw {
	double lr, b1, b2, eps, decay, c1, c2; /* c1, c2: bias corrections */
};

/*
 * The loop vectorizes (sqrt without errno, see CMakeLists.txt; GCC checks
 * at run time that the vectors do not overlap): 4 doubles at a time in the
 * AVX2 form, the same results as one at a time.
 */
#define ADAMW_LOOP(NAME, T, ATTR)                                              \
	ATTR static void NAME(T *p, const T *g, T *m, T *v, uint64_t n,        \
			      const struct adamw *a)                           \
	{                                                                      \
		for (uint64_t i = 0; i < n; i++) {                             \
			double pi = p[i] * (1 - a->lr * a->decay);             \
			double mi = a->b1 * m[i] + (1 - a->b1) * g[i];         \
			double vi =                                            \
			    a->b2 * v[i] + (1 - a->b2) * (double)g[i] * g[i];  \
			m[i] = (T)mi;                                          \
			v[i] = (T)vi;                                          \
			p[i] = (T)(pi - a->lr * (mi / a->c1) /                 \
					    (sqrt(vi / a->c2) + a->eps));      \
		}                                                              \
	}
ADAMW_LOOP(adamw_f32, float, )
ADAMW_LOOP(adamw_f64, double, )
ADAMW_LOOP(adamw_f32_avx2, float, VGPU_AVX2)
ADAMW_LOOP(adamw_f64_avx2, double, VGPU_AVX2)

#define SGD_LOOP(NAME, T)                                                      \
	static void NAME(T *p, const T *g, T *b, uint64_t n, double lr,        \
			 double mom, double decay)                             \
	{                                                                      \
		for (uint64_t i = 0; i < n; i++) {                             \
			double bi = mom * b[i] + (g[i] + decay * p[i]);        \
			b[i] = (T)bi;                                          \
			p[i] = (T)(p[i] - lr * bi);                            \
		}                                                              \
	}
SGD_LOOP(sgd_f32, float)
SGD_LOOP(sgd_f64, double)

/* The element size of the step's dtype argument. */
static size_t optim_es(const struct vgpu_cmd *c)
{
	return vgpu_elem_size(vgpu_cmd_i(
	    c, c->spec->id == VGPU_K_ADAMW ? ADAMW_DTYPE : SGD_DTYPE));
}

static uint64_t optim_n(const struct vgpu_cmd *c)
{
	return (uint64_t)vgpu_cmd_i(c, c->spec->id == VGPU_K_ADAMW ? ADAMW_N
								   : SGD_N);
}

static uint32_t optim_plan(struct vgpu_launch *l, unsigned workers,
			   size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	return vgpu_elem_tiles(optim_n(l->cmd), optim_es(l->cmd),
			       OPTIM_TILE_BYTES, VGPU_TILES_MAX);
}

static int optim_tile(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles)
{
	const struct vgpu_cmd *c = l->cmd;
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	size_t es = optim_es(c);
	uint64_t lo, hi;
	vgpu_elem_span(optim_n(c), es, tile, ntiles, &lo, &hi);
	if (lo >= hi)
		return 0;
	bool sgd = c->spec->id == VGPU_K_SGD;
	char *at[4];
	for (unsigned i = 0; i < (sgd ? 3u : 4u); i++) /* buffers come first */
		at[i] = (char *)l->ptr[i] + lo * es;
	bool f32 = es == 4;
	if (sgd) {
		double lr = vgpu_cmd_f(c, SGD_LR),
		       mom = vgpu_cmd_f(c, SGD_MOMENTUM);
		double decay = vgpu_cmd_f(c, SGD_WEIGHT_DECAY);
		if (f32)
			sgd_f32((float *)at[SGD_PARAM], (float *)at[SGD_GRAD],
				(float *)at[SGD_BUF], hi - lo, lr, mom, decay);
		else
			sgd_f64((double *)at[SGD_PARAM], (double *)at[SGD_GRAD],
				(double *)at[SGD_BUF], hi - lo, lr, mom, decay);
		return 0;
	}
	struct adamw a = {
	    .lr = vgpu_cmd_f(c, ADAMW_LR),
	    .b1 = vgpu_cmd_f(c, ADAMW_BETA1),
	    .b2 = vgpu_cmd_f(c, ADAMW_BETA2),
	    .eps = vgpu_cmd_f(c, ADAMW_EPS),
	    .decay = vgpu_cmd_f(c, ADAMW_WEIGHT_DECAY),
	};
	double step = (double)vgpu_cmd_i(c, ADAMW_STEP);
	a.c1 = 1 - pow(a.b1, step);
	a.c2 = 1 - pow(a.b2, step);
	bool avx2 = vgpu_cpu_avx2();
	if (f32)
		(avx2 ? adamw_f32_avx2 : adamw_f32)(
		    (float *)at[ADAMW_PARAM], (float *)at[ADAMW_GRAD],
		    (float *)at[ADAMW_M], (float *)at[ADAMW_V], hi - lo, &a);
	else
		(avx2 ? adamw_f64_avx2 : adamw_f64)(
		    (double *)at[ADAMW_PARAM], (double *)at[ADAMW_GRAD],
		    (double *)at[ADAMW_M], (double *)at[ADAMW_V], hi - lo, &a);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_adamw = {
    .id = VGPU_K_ADAMW,
    .plan = optim_plan,
    .run_tile = optim_tile,
};

const struct vgpu_kernel_impl vgpu_k_sgd = {
    .id = VGPU_K_SGD,
    .plan = optim_plan,
    .run_tile = optim_tile,
};
