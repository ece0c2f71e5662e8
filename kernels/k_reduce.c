/*
 * Reductions along one axis of a rows x cols row-major matrix: sum mean
 * amax amin argmax argmin. axis=1 reduces each row, axis=0 each column.
 *
 * Tiles form a grid: the kept dimension (rows for axis=1, columns for
 * axis=0) is cut into blocks and, when that gives too few tiles (a few long
 * rows, or a few columns), the reduced dimension into segments too. A tile
 * of several segments leaves one partial result per kept element in the
 * scratch area, and finish() combines them segment by segment, in order.
 * Columns are reduced COL_BLOCK side by side, reading x row by row: the
 * reads stay sequential and the accumulators stay in L1.
 *
 * The grid depends on the command only, so results do not depend on the
 * number of workers or on which tile ran where.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include <vgpufs/catalog.h>

#include "compensated_sum.h"
#include "convert.h"
#include "kernel_list.h"
#include "spec_check.h"
#include "tiling.h"

/* Caps the grid, and so the partial results finish() goes through. */
#define RED_TILES_MAX (1u << 16)
/* Columns reduced side by side: 12 KiB of accumulators. */
#define COL_BLOCK 512u
/* Partial results kept at most: more segments only past this. */
#define SCRATCH_MAX (8u << 20)

enum { PLAN_BLOCKS, PLAN_SEGMENTS };

/* A command, decoded. */
struct red {
	bool sum;     /* sum or mean; else a pick (amax amin argmax argmin) */
	bool mean;    /* divides the sum by its length */
	bool lo;      /* picks the smallest */
	bool index;   /* writes where the pick is, as i32 */
	bool rowwise; /* axis=1 */
	int64_t dt;
	size_t es;
	uint64_t cols, kept, len; /* len: elements reduced into each output */
};

static int red_shape(const struct vgpu_cmd *c, struct red *r)
{
	int rc = vgpu_spec_check(c);
	if (rc < 0)
		return rc;
	unsigned id = c->spec->id;
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, RED_ROWS);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, RED_COLS);
	bool rowwise = vgpu_cmd_i(c, RED_AXIS) == 1;
	*r = (struct red){
	    .sum = id == VGPU_K_SUM || id == VGPU_K_MEAN,
	    .mean = id == VGPU_K_MEAN,
	    .lo = id == VGPU_K_AMIN || id == VGPU_K_ARGMIN,
	    .index = id == VGPU_K_ARGMAX || id == VGPU_K_ARGMIN,
	    .rowwise = rowwise,
	    .dt = vgpu_cmd_i(c, RED_DTYPE),
	    .es = vgpu_any_elem_size(vgpu_cmd_i(c, RED_DTYPE)),
	    .cols = cols,
	    .kept = rowwise ? rows : cols,
	    .len = rowwise ? cols : rows,
	};
	return 0;
}

/* The result of a reduction, or of a segment of one. */
struct part {
	double s, c; /* a float sum, s + c (compensated); the value picked */
	uint64_t u;  /* an i32 sum, modulo 2^64; the index picked */
};

/* An empty part of a reduction whose first element is FIRST. */
static struct part part_init(const struct red *r, uint64_t first)
{
	if (r->sum)
		return (struct part){0, 0, 0};
	return (struct part){r->lo ? INFINITY : -INFINITY, 0, first};
}

/*
 * Whether V takes the place of BEST: it is larger (smaller), or the first
 * NaN. Equal values do not, so the first of them stays.
 */
static inline bool beats(double v, double best, bool lo)
{
	return (lo ? v < best : v > best) || (v != v && best == best);
}

/*
 * Columns reduced side by side, in the layout the compiler vectorises:
 * one array per field of struct part.
 */
struct cols {
	double s[COL_BLOCK], c[COL_BLOCK];
	uint64_t u[COL_BLOCK];
};

/*
 * The loops, per element type. row_*: N elements of one row from X on,
 * the first being number FIRST of the row, into *P. cols_*: rows R0 to R1
 * of W columns side by side, X being column 0 of those in row 0, into
 * A's first W.
 */
typedef void row_fn(const void *x, uint64_t n, uint64_t first, bool lo,
		    struct part *p);
typedef void cols_fn(const void *x, uint64_t cols, uint64_t r0, uint64_t r1,
		     unsigned w, bool lo, struct cols *a);

#define ELEM(i) ((double)x[i])

/*
 * STEP(j) for 0 <= j < W, in groups of lanes unrolled so that the
 * compiler vectorises them.
 */
#define EACH_COLUMN(W, STEP)                                                   \
	do {                                                                   \
		unsigned j_ = 0;                                               \
		for (; j_ + VGPU_CSUM_LANES <= (W); j_ += VGPU_CSUM_LANES)     \
			_Pragma("GCC unroll 8") for (unsigned l_ = 0;          \
						     l_ < VGPU_CSUM_LANES;     \
						     l_++) STEP(j_ + l_);      \
		for (; j_ < (W); j_++)                                         \
			STEP(j_);                                              \
	} while (0)

/* Column J of row I of a pick, without a branch. */
#define PICK_STEP(j)                                                           \
	do {                                                                   \
		double v_ = ELEM(j);                                           \
		bool b_ = beats(v_, a->s[j], lo);                              \
		a->s[j] = b_ ? v_ : a->s[j];                                   \
		a->u[j] = b_ ? i : a->u[j];                                    \
	} while (0)
#define SUM_STEP(j)  vgpu_csum_add(&a->s[j], &a->c[j], ELEM(j))
#define ISUM_STEP(j) (a->u[j] += (uint64_t)(int64_t)x[j])

/* Rows R0 to R1 of the columns: STEP(j) on each, X pointing at row I. */
#define EACH_ROW(T, STEP)                                                      \
	for (uint64_t i = r0; i < r1; i++) {                                   \
		const T *x = (const T *)px + i * cols;                         \
		EACH_COLUMN(w, STEP);                                          \
	}

#define PICK_LOOPS(T, SUF)                                                     \
	static void row_pick_##SUF(const void *px, uint64_t n, uint64_t first, \
				   bool lo, struct part *p)                    \
	{                                                                      \
		const T *x = px;                                               \
		double best = p->s;                                            \
		uint64_t at = p->u;                                            \
		for (uint64_t i = 0; i < n; i++)                               \
			if (beats(ELEM(i), best, lo)) {                        \
				best = ELEM(i);                                \
				at = first + i;                                \
			}                                                      \
		p->s = best;                                                   \
		p->u = at;                                                     \
	}                                                                      \
	static void cols_pick_##SUF(const void *px, uint64_t cols,             \
				    uint64_t r0, uint64_t r1, unsigned w,      \
				    bool lo, struct cols *a)                   \
	{                                                                      \
		EACH_ROW(T, PICK_STEP)                                         \
	}

#define FSUM_LOOPS(T, SUF)                                                     \
	static void row_sum_##SUF(const void *px, uint64_t n, uint64_t first,  \
				  bool lo, struct part *p)                     \
	{                                                                      \
		(void)first, (void)lo;                                         \
		const T *x = px;                                               \
		VGPU_CSUM_TERMS(&p->s, &p->c, n, ELEM);                        \
	}                                                                      \
	static void cols_sum_##SUF(const void *px, uint64_t cols, uint64_t r0, \
				   uint64_t r1, unsigned w, bool lo,           \
				   struct cols *a)                             \
	{                                                                      \
		(void)lo;                                                      \
		EACH_ROW(T, SUM_STEP)                                          \
	}

PICK_LOOPS(float, f32)
PICK_LOOPS(double, f64)
PICK_LOOPS(int32_t, i32)
FSUM_LOOPS(float, f32)
FSUM_LOOPS(double, f64)

/* i32 sums are exact modulo 2^64, whatever the order. */
static void row_sum_i32(const void *px, uint64_t n, uint64_t first, bool lo,
			struct part *p)
{
	(void)first, (void)lo;
	const int32_t *x = px;
	uint64_t u = p->u;
	for (uint64_t i = 0; i < n; i++)
		u += (uint64_t)(int64_t)x[i];
	p->u = u;
}

static void cols_sum_i32(const void *px, uint64_t cols, uint64_t r0,
			 uint64_t r1, unsigned w, bool lo, struct cols *a)
{
	(void)lo;
	EACH_ROW(int32_t, ISUM_STEP)
}

static const struct {
	row_fn *row_sum, *row_pick;
	cols_fn *cols_sum, *cols_pick;
} loops[] = {
    [VGPU_F32] = {row_sum_f32, row_pick_f32, cols_sum_f32, cols_pick_f32},
    [VGPU_F64] = {row_sum_f64, row_pick_f64, cols_sum_f64, cols_pick_f64},
    [VGPU_I32] = {row_sum_i32, row_pick_i32, cols_sum_i32, cols_pick_i32},
};

/* B, a later part of the same reduction, into A. */
static void part_merge(const struct red *r, struct part *a,
		       const struct part *b)
{
	if (r->sum && r->dt == VGPU_I32) {
		a->u += b->u;
	} else if (r->sum) {
		vgpu_csum_add(&a->s, &a->c, b->s);
		a->c += b->c;
	} else if (beats(b->s, a->s, r->lo)) {
		*a = *b;
	}
}

/* The exact i32 sum held modulo 2^64 (it fits: validation sees to it). */
static double isum_value(uint64_t u)
{
	return u <= INT64_MAX ? (double)u : -(double)(0 - u);
}

/* Output element K from the whole reduction P. */
static void part_store(const struct red *r, void *out, uint64_t k,
		       const struct part *p)
{
	if (r->index) {
		((int32_t *)out)[k] = (int32_t)p->u; /* < 2^31: validated */
		return;
	}
	if (r->sum && r->dt == VGPU_I32 && !r->mean) {
		((int32_t *)out)[k] = vgpu_wrap_i32((uint32_t)p->u);
		return;
	}
	double v = !r->sum	       ? p->s
		   : r->dt == VGPU_I32 ? isum_value(p->u)
				       : vgpu_csum_value(p->s, p->c);
	if (r->mean)
		v /= (double)r->len; /* an empty mean is 0/0, NaN */
	if (r->dt == VGPU_F32)
		((float *)out)[k] = (float)v;
	else if (r->dt == VGPU_F64 || r->mean) /* i32 means are f64 */
		((double *)out)[k] = v;
	else
		((int32_t *)out)[k] = (int32_t)v; /* a pick: an i32 value */
}

/* Part P of output element K: stored, or kept for finish(). */
static void emit(const struct red *r, const struct vgpu_launch *l,
		 uint64_t segments, uint64_t seg, uint64_t k,
		 const struct part *p)
{
	if (segments == 1)
		part_store(r, l->ptr[RED_OUT], k, p);
	else
		((struct part *)l->scratch)[seg * r->kept + k] = *p;
}

static uint64_t col_units(uint64_t cols)
{
	return cols / COL_BLOCK + (cols % COL_BLOCK != 0);
}

static uint32_t red_plan(struct vgpu_launch *l, unsigned workers,
			 size_t *scratch_bytes)
{
	(void)workers; /* the grid must not depend on it: see the top */
	struct red r;
	l->plan[PLAN_BLOCKS] = l->plan[PLAN_SEGMENTS] = 1;
	if (red_shape(l->cmd, &r) < 0)
		return 1; /* run_tile() refuses it */
	/* no overflow: the extents passed */
	uint64_t t = vgpu_tile_count(r.kept * r.len * r.es, VGPU_TILE_BYTES,
				     RED_TILES_MAX);
	uint64_t units = r.rowwise ? r.kept : col_units(r.kept);
	uint64_t blocks = units < t ? units : t;
	blocks = blocks ? blocks : 1;
	uint64_t segs = t / blocks;
	uint64_t cap =
	    SCRATCH_MAX / sizeof(struct part) / (r.kept ? r.kept : 1);
	segs = segs < r.len ? segs : r.len;
	segs = segs < cap ? segs : cap;
	segs = segs ? segs : 1;
	if (segs > 1)
		*scratch_bytes = segs * r.kept * sizeof(struct part);
	l->plan[PLAN_BLOCKS] = blocks;
	l->plan[PLAN_SEGMENTS] = segs;
	return (uint32_t)(blocks * segs);
}

static int red_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	struct red r;
	int rc = red_shape(l->cmd, &r);
	if (rc < 0)
		return rc;
	uint64_t blocks = l->plan[PLAN_BLOCKS], segs = l->plan[PLAN_SEGMENTS];
	if (!blocks || !segs || blocks * segs != ntiles ||
	    (segs > 1 && !l->scratch))
		return -EINVAL;
	uint64_t block = tile / segs, seg = tile % segs, q0, q1, k0, k1;
	vgpu_split_even(r.len, segs, seg, &q0, &q1);
	const char *x = l->ptr[RED_X];
	if (r.rowwise) {
		row_fn *f = r.sum ? loops[r.dt].row_sum : loops[r.dt].row_pick;
		vgpu_split_even(r.kept, blocks, block, &k0, &k1);
		for (uint64_t k = k0; k < k1; k++) {
			struct part p = part_init(&r, q0);
			f(x + (k * r.cols + q0) * r.es, q1 - q0, q0, r.lo, &p);
			emit(&r, l, segs, seg, k, &p);
		}
		return 0;
	}
	cols_fn *f = r.sum ? loops[r.dt].cols_sum : loops[r.dt].cols_pick;
	vgpu_split_even(col_units(r.kept), blocks, block, &k0, &k1);
	k1 = k1 * COL_BLOCK < r.kept ? k1 * COL_BLOCK : r.kept;
	for (uint64_t j0 = k0 * COL_BLOCK; j0 < k1; j0 += COL_BLOCK) {
		unsigned w =
		    (unsigned)(k1 - j0 < COL_BLOCK ? k1 - j0 : COL_BLOCK);
		struct cols a;
		struct part p = part_init(&r, q0);
		for (unsigned j = 0; j < w; j++)
			a.s[j] = p.s, a.c[j] = p.c, a.u[j] = p.u;
		f(x + j0 * r.es, r.cols, q0, q1, w, r.lo, &a);
		for (unsigned j = 0; j < w; j++) {
			p = (struct part){a.s[j], a.c[j], a.u[j]};
			emit(&r, l, segs, seg, j0 + j, &p);
		}
	}
	return 0;
}

static int red_finish(const struct vgpu_launch *l, uint32_t ntiles)
{
	(void)ntiles;
	struct red r;
	int rc = red_shape(l->cmd, &r);
	uint64_t segs = l->plan[PLAN_SEGMENTS];
	if (rc < 0 || segs <= 1)
		return rc;
	if (!l->scratch)
		return -EINVAL;
	const struct part *parts = l->scratch;
	for (uint64_t k = 0; k < r.kept; k++) {
		struct part p = parts[k];
		for (uint64_t s = 1; s < segs; s++)
			part_merge(&r, &p, &parts[s * r.kept + k]);
		part_store(&r, l->ptr[RED_OUT], k, &p);
	}
	return 0;
}

/*
 * x's range of a tile: its rows (axis=1), or the rows of its segment from
 * its first column to its last (axis=0: the whole rows when one block holds
 * every column). out stays mapped: small, and written by finish() too.
 */
static bool red_bytes(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles, unsigned arg, uint64_t *lo, uint64_t *hi)
{
	struct red r;
	uint64_t blocks = l->plan[PLAN_BLOCKS], segs = l->plan[PLAN_SEGMENTS];
	if (arg != RED_X || red_shape(l->cmd, &r) < 0 || !blocks || !segs ||
	    blocks * segs != ntiles)
		return false;
	uint64_t block = tile / segs, seg = tile % segs, q0, q1, k0, k1;
	vgpu_split_even(r.len, segs, seg, &q0, &q1);
	uint64_t first, end; /* elements */
	if (r.rowwise) {
		vgpu_split_even(r.kept, blocks, block, &k0, &k1);
		first = k0 * r.cols + q0;
		end = k1 > k0 ? (k1 - 1) * r.cols + q1 : first;
	} else {
		vgpu_split_even(col_units(r.kept), blocks, block, &k0, &k1);
		k0 *= COL_BLOCK;
		k1 = k1 * COL_BLOCK < r.kept ? k1 * COL_BLOCK : r.kept;
		first = q0 * r.cols + k0;
		end = q1 > q0 && k1 > k0 ? (q1 - 1) * r.cols + k1 : first;
	}
	*lo = first * r.es;
	*hi = end * r.es;
	return true;
}

#define REDUCE_IMPL(NAME, ID)                                                  \
	const struct vgpu_kernel_impl vgpu_k_##NAME = {                        \
	    .id = ID,                                                          \
	    .plan = red_plan,                                                  \
	    .run_tile = red_tile,                                              \
	    .finish = red_finish,                                              \
	    .tile_bytes = red_bytes,                                           \
	}

REDUCE_IMPL(sum, VGPU_K_SUM);
REDUCE_IMPL(mean, VGPU_K_MEAN);
REDUCE_IMPL(amax, VGPU_K_AMAX);
REDUCE_IMPL(amin, VGPU_K_AMIN);
REDUCE_IMPL(argmax, VGPU_K_ARGMAX);
REDUCE_IMPL(argmin, VGPU_K_ARGMIN);
