/*
 * conv2d: NCHW convolution as im2col + OpenBLAS gemm, one single-threaded
 * call at a time (the workers run tiles side by side).
 *
 * For image n and group g the output is a gemm: the group's filters
 * (k/groups x kdim, kdim = c/groups*kh*kw) times the im2col matrix
 * (kdim x p*q, a column per output position holding the input elements
 * its window sees, zeros for padding). The work is cut into units of
 * (image, group, a chunk of output positions, a block of output
 * channels); a unit writes its own block of out and needs its im2col
 * columns only, built in a per-tile scratch slot (tile_scratch.h) of at
 * most CONV_SLOT_BYTES. When kdim is so large that even CONV_MIN_COLS
 * columns would not fit, the rows are taken in chunks and the gemms
 * accumulate (beta = 1). A 1x1 filter with stride 1 and no padding needs
 * no im2col: x itself is the matrix.
 *
 * Tiles are runs of consecutive units: two tiles a worker, or more to keep
 * them under CONV_TILE_MAX_WORK flops, but none under CONV_TILE_MIN_WORK.
 * A ResNet layer (n=8, c=k=64, 56x56, 3x3) is 56 units of 33 MFLOP, one a
 * tile, with 1 MiB of im2col each. Output channels are split into blocks
 * only when there would be too few units for that (few images, small
 * planes); consecutive units that differ only in that block reuse the
 * im2col panel.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <cblas.h>

#include <vgpufs/catalog.h>
#include <vgpufs/conv_geom.h>

#include "kernel_list.h"
#include "tile_scratch.h"
#include "tiling.h"

#define CONV_SLOT_BYTES	   (1u << 20)  /* im2col panel of one tile */
#define CONV_SCRATCH_MAX   (32u << 20) /* all slots of a launch */
#define CONV_MIN_COLS	   64	       /* narrower gemms waste their packing */
#define CONV_TILE_MIN_WORK 4e6	       /* flops (f64 count double) */
#define CONV_TILE_MAX_WORK 32e6
#define CONV_MIN_KBLOCK	   16 /* output channels a gemm when split */
#define CONV_MAX_KBLOCK	   512

enum { PLAN_BUDGET, PLAN_KBLOCKS, PLAN_SLOTS };

struct conv {
	struct vgpu_conv_geom g;
	uint64_t cg, kg;   /* channels a group, in and out */
	uint64_t kdim, pq; /* im2col rows, output positions a plane */
	bool direct;	   /* 1x1, stride 1, no padding: no im2col */
	uint64_t jchunks;  /* chunks of the pq positions */
	uint64_t jmax;	   /* positions in the largest chunk */
	uint64_t kc;	   /* im2col rows a gemm */
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* The shape of C and its cut for im2col panels of at most BUDGET elements. */
static int conv_setup(const struct vgpu_cmd *c, uint64_t budget, struct conv *v)
{
	char msg[VGPU_MSG_MAX];
	if (vgpu_conv_geom(c, &v->g, msg, sizeof(msg)) < 0 || budget == 0)
		return -EINVAL;
	const struct vgpu_conv_geom *g = &v->g;
	v->cg = g->c / g->groups;
	v->kg = g->k / g->groups;
	v->kdim = v->cg * g->kh * g->kw; /* < 2^31 (conv_geom) */
	v->pq = g->p * g->q;		 /* likewise */
	v->direct = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
		    g->ph == 0 && g->pw == 0;
	uint64_t cols =
	    min_u64(v->pq, max_u64(CONV_MIN_COLS, budget / v->kdim));
	v->jchunks = ceil_div(v->pq, cols);
	v->jmax = ceil_div(v->pq, v->jchunks);
	v->kc = min_u64(v->kdim, max_u64(1, budget / v->jmax));
	return 0;
}

/* Elements of an im2col panel: a slot a worker, within CONV_SCRATCH_MAX. */
static uint64_t slot_budget(size_t es, unsigned workers)
{
	size_t bytes = CONV_SCRATCH_MAX / (workers ? workers : 1);
	return (bytes < CONV_SLOT_BYTES ? bytes : CONV_SLOT_BYTES) / es;
}

static struct vgpu_slots conv_slots(const struct conv *v, uint64_t count)
{
	return (struct vgpu_slots){.count = (unsigned)count,
				   .bytes = v->kc * v->jmax * v->g.es};
}

static uint64_t unit_count(const struct conv *v, uint64_t kblocks)
{
	return v->g.n * v->g.groups * v->jchunks * kblocks;
}

static uint32_t conv_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	struct conv v;
	if (workers < 1)
		workers = 1;
	l->plan[PLAN_BUDGET] = l->plan[PLAN_KBLOCKS] = 1;
	l->plan[PLAN_SLOTS] = 0;
	int64_t dt = vgpu_cmd_i(l->cmd, CONV_DTYPE);
	size_t es = vgpu_elem_size(dt);
	uint64_t budget = slot_budget(es ? es : 1, workers);
	if (conv_setup(l->cmd, budget, &v) < 0 || v.g.n == 0)
		return 1; /* run_tile reports the error, or has nothing to do */
	double work = 2.0 * (double)v.g.n * (double)v.g.k * (double)v.pq *
		      (double)v.kdim * (dt == VGPU_F64 ? 2 : 1);
	/* Two tiles a worker or tiles of at most CONV_TILE_MAX_WORK, but
	 * none below CONV_TILE_MIN_WORK. */
	double want = fmin(fmax(2.0 * workers, ceil(work / CONV_TILE_MAX_WORK)),
			   ceil(work / CONV_TILE_MIN_WORK));
	want = fmax(1, fmin(want, VGPU_TILES_MAX));
	uint64_t base = unit_count(&v, 1);
	uint64_t kblocks = ceil_div(v.kg, CONV_MAX_KBLOCK);
	if ((double)base < want)
		kblocks = max_u64(kblocks,
				  min_u64((uint64_t)ceil(want / (double)base),
					  ceil_div(v.kg, CONV_MIN_KBLOCK)));
	kblocks = min_u64(kblocks, v.kg);
	uint64_t units = unit_count(&v, kblocks);
	uint64_t ntiles = min_u64(units, (uint64_t)want);
	uint64_t slots = v.direct ? 0 : min_u64(workers, ntiles);
	l->plan[PLAN_BUDGET] = budget;
	l->plan[PLAN_KBLOCKS] = kblocks;
	l->plan[PLAN_SLOTS] = slots;
	*scratch_bytes = vgpu_slots_scratch(conv_slots(&v, slots));
	return (uint32_t)ntiles;
}

static void gemm(size_t es, uint64_t m, uint64_t n, uint64_t k, const void *a,
		 uint64_t lda, const void *b, uint64_t ldb, double beta,
		 void *c, uint64_t ldc)
{
	if (es == 4)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m,
			    (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb,
			    (float)beta, c, (int)ldc);
	else
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m,
			    (int)n, (int)k, 1.0, a, (int)lda, b, (int)ldb, beta,
			    c, (int)ldc);
}

/* Row I of the ROWS x COLS block at C (row stride LD) = bias[I]. */
static void fill_bias(size_t es, void *c, uint64_t ld, const void *bias,
		      uint64_t rows, uint64_t cols)
{
	for (uint64_t i = 0; i < rows; i++) {
		if (es == 4) {
			float *r = (float *)c + i * ld;
			float b = ((const float *)bias)[i];
			for (uint64_t j = 0; j < cols; j++)
				r[j] = b;
		} else {
			double *r = (double *)c + i * ld;
			double b = ((const double *)bias)[i];
			for (uint64_t j = 0; j < cols; j++)
				r[j] = b;
		}
	}
}

/* DST[0..len) = SRC[0], SRC[stride], ... */
static void gather(size_t es, void *dst, const void *src, uint64_t len,
		   uint64_t stride)
{
	if (stride == 1)
		memcpy(dst, src, len * es);
	else if (es == 4)
		for (uint64_t i = 0; i < len; i++)
			((float *)dst)[i] = ((const float *)src)[i * stride];
	else
		for (uint64_t i = 0; i < len; i++)
			((double *)dst)[i] = ((const double *)src)[i * stride];
}

/*
 * Rows [r0, r1) of the im2col matrix of image N, group G, for output
 * positions [j0, j1), into COL (row stride j1 - j0). Row r is input
 * channel r/(kh*kw) of the group, filter tap (r/kw % kh, r % kw).
 */
static void im2col(const struct conv *v, const void *x, uint64_t n, uint64_t g,
		   uint64_t r0, uint64_t r1, uint64_t j0, uint64_t j1,
		   void *col)
{
	const struct vgpu_conv_geom *s = &v->g;
	size_t es = s->es;
	uint64_t ncols = j1 - j0;
	for (uint64_t r = r0; r < r1; r++) {
		uint64_t ci = r / (s->kh * s->kw), u = r / s->kw % s->kh,
			 t = r % s->kw;
		const char *plane =
		    (const char *)x +
		    ((n * s->c + g * v->cg + ci) * s->h * s->w) * es;
		/* Columns q in [qa, qb) read input column q*sw + xoff. */
		int64_t xoff = (int64_t)(t * s->dw) - (int64_t)s->pw;
		uint64_t qa = xoff >= 0 ? 0 : ceil_div((uint64_t)-xoff, s->sw);
		uint64_t qb =
		    xoff >= (int64_t)s->w
			? 0
			: ceil_div((uint64_t)((int64_t)s->w - xoff), s->sw);
		char *dst = (char *)col + (r - r0) * ncols * es;
		uint64_t p = j0 / s->q, q0 = j0 % s->q;
		for (uint64_t j = j0; j < j1; p++, q0 = 0) {
			uint64_t q1 = min_u64(s->q, q0 + (j1 - j));
			uint64_t len = q1 - q0;
			int64_t iy =
			    (int64_t)(p * s->sh + u * s->dh) - (int64_t)s->ph;
			uint64_t a = max_u64(q0, min_u64(qa, q1));
			uint64_t b = max_u64(a, min_u64(qb, q1));
			if (iy < 0 || iy >= (int64_t)s->h)
				a = b = q1;
			memset(dst, 0, (a - q0) * es);
			if (b > a)
				gather(es, dst + (a - q0) * es,
				       plane +
					   ((uint64_t)iy * s->w +
					    (uint64_t)((int64_t)(a * s->sw) +
						       xoff)) *
					       es,
				       b - a, s->sw);
			memset(dst + (b - q0) * es, 0, (q1 - b) * es);
			dst += len * es;
			j += len;
		}
	}
}

struct unit {
	uint64_t n, g, j0, j1, m0, m1;
};

/*
 * Output channels [m0, m1) of group G of image N at positions [j0, j1).
 * COL is the tile's slot, which already holds this panel when FRESH is
 * false.
 */
static void run_unit(const struct vgpu_launch *l, const struct conv *v,
		     const struct unit *u, void *col, bool fresh)
{
	const struct vgpu_conv_geom *s = &v->g;
	size_t es = s->es;
	uint64_t ncols = u->j1 - u->j0, rows = u->m1 - u->m0;
	uint64_t o = u->g * v->kg + u->m0; /* first output channel */
	char *c =
	    (char *)l->ptr[CONV_OUT] + ((u->n * s->k + o) * v->pq + u->j0) * es;
	const char *a = (const char *)l->ptr[CONV_WEIGHT] + o * v->kdim * es;
	double beta = 0;
	if (vgpu_cmd_given(l->cmd, CONV_BIAS)) {
		fill_bias(es, c, v->pq,
			  (const char *)l->ptr[CONV_BIAS] + o * es, rows,
			  ncols);
		beta = 1;
	}
	if (v->direct) {
		const char *b =
		    (const char *)l->ptr[CONV_X] +
		    ((u->n * s->c + u->g * v->cg) * v->pq + u->j0) * es;
		gemm(es, rows, ncols, v->kdim, a, v->kdim, b, v->pq, beta, c,
		     v->pq);
		return;
	}
	for (uint64_t r0 = 0; r0 < v->kdim; r0 += v->kc) {
		uint64_t r1 = min_u64(v->kdim, r0 + v->kc);
		if (fresh || v->kc < v->kdim)
			im2col(v, l->ptr[CONV_X], u->n, u->g, r0, r1, u->j0,
			       u->j1, col);
		gemm(es, rows, ncols, r1 - r0, a + r0 * es, v->kdim, col, ncols,
		     r0 ? 1 : beta, c, v->pq);
	}
}

static int conv_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	struct conv v;
	if (conv_setup(l->cmd, l->plan[PLAN_BUDGET], &v) < 0)
		return -EINVAL;
	uint64_t kblocks = l->plan[PLAN_KBLOCKS];
	if (kblocks < 1 || kblocks > v.kg || tile >= ntiles)
		return -EINVAL; /* not a plan conv_plan made */
	uint64_t units = unit_count(&v, kblocks), u0, u1;
	if (units == 0)
		return 0;
	if (ntiles > units)
		return -EINVAL;
	vgpu_split_even(units, ntiles, tile, &u0, &u1);
	struct vgpu_slots slots = conv_slots(&v, l->plan[PLAN_SLOTS]);
	void *col = NULL;
	if (!v.direct && !(col = vgpu_slot_get(l, slots)))
		return -ENOMEM;
	uint64_t panel = UINT64_MAX; /* (n, g, chunk) that COL holds */
	for (uint64_t i = u0; i < u1; i++) {
		struct unit u;
		uint64_t kb = i % kblocks, rest = i / kblocks;
		uint64_t jb = rest % v.jchunks;
		rest /= v.jchunks;
		u.g = rest % v.g.groups;
		u.n = rest / v.g.groups;
		vgpu_split_even(v.pq, v.jchunks, jb, &u.j0, &u.j1);
		vgpu_split_even(v.kg, kblocks, kb, &u.m0, &u.m1);
		run_unit(l, &v, &u, col, i / kblocks != panel);
		panel = i / kblocks;
	}
	vgpu_slot_put(l, slots, col);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_conv2d = {
    .id = VGPU_K_CONV2D,
    .plan = conv_plan,
    .run_tile = conv_tile,
};
