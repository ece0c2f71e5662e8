/*
 * gaussian_blur: separable Gaussian of radius r = ceil(3*sigma), edge
 * pixels replicated, in single precision.
 *
 * An output row is made in two passes over a chunk of at most BLUR_COLS
 * columns: the vertical pass sums the 2r+1 input rows around it into a
 * temporary row (extended by r replicated pixels on each side), the
 * horizontal pass sums 2r+1 neighbours of that row. Both inner loops run
 * along contiguous memory. The temporary rows live in a per-tile scratch
 * slot (tile_scratch.h), so their size is bounded by the chunk width and
 * r, not by the image. Tiles are runs of rows of one column chunk.
 */
#include <math.h>
#include <string.h>

#include "convert.h"
#include "image.h"
#include "kernel_list.h"
#include "tile_scratch.h"
#include "tiling.h"

#define BLUR_COLS 16384

enum { PLAN_ROW_BLOCKS, PLAN_SLOTS };

struct blur {
	struct image im;
	uint64_t r;	  /* radius */
	uint64_t chunks;  /* column chunks */
	uint64_t cols;	  /* columns of the widest chunk */
	size_t ext_elems; /* the vertical pass's row, (cols + 2r)*c */
};

static int blur_setup(const struct vgpu_cmd *c, struct blur *b)
{
	double sigma = vgpu_cmd_f(c, BLUR_SIGMA);
	if (image_shape(c, &b->im) < 0 || !(sigma > 0 && sigma <= 1000))
		return -EINVAL;
	b->r = (uint64_t)ceil(3 * sigma);
	b->chunks = b->im.w / BLUR_COLS + (b->im.w % BLUR_COLS != 0);
	b->cols = b->im.w / b->chunks + (b->im.w % b->chunks != 0);
	b->ext_elems = (b->cols + 2 * b->r) * b->im.c;
	return 0;
}

/* A slot: 2r+1 weights, the extended row, the horizontal sums. */
static struct vgpu_slots blur_slots(const struct blur *b, uint64_t count)
{
	size_t elems = 2 * b->r + 1 + b->ext_elems + b->cols * b->im.c;
	return (struct vgpu_slots){.count = (unsigned)count,
				   .bytes = elems * sizeof(float)};
}

/* Normalised weights of taps -r..r. */
static void weights(double sigma, uint64_t r, float *wt)
{
	double sum = 0;
	for (uint64_t i = 0; i <= 2 * r; i++) {
		double d = (double)i - (double)r;
		sum += exp(-d * d / (2 * sigma * sigma));
	}
	for (uint64_t i = 0; i <= 2 * r; i++) {
		double d = (double)i - (double)r;
		wt[i] = (float)(exp(-d * d / (2 * sigma * sigma)) / sum);
	}
}

/* SUM[0..n) += WT * ROW[0..n), the row as u8 or f32. */
static void add_row(float *sum, const void *row, bool u8, float wt, size_t n)
{
	if (u8)
		for (size_t i = 0; i < n; i++)
			sum[i] += wt * (float)((const uint8_t *)row)[i];
	else
		for (size_t i = 0; i < n; i++)
			sum[i] += wt * ((const float *)row)[i];
}

/*
 * Output row Y, columns [x0, x1). EXT covers columns [x0 - r, x1 + r),
 * ACC columns [x0, x1).
 */
static void blur_row(const struct blur *b, const float *wt, const char *x,
		     char *out, uint64_t y, uint64_t x0, uint64_t x1,
		     float *ext, float *acc)
{
	const struct image *im = &b->im;
	uint64_t c = im->c, r = b->r;
	size_t es = im->u8 ? 1 : 4, row = im->w * c * es;
	/* Input columns [a, e) are in the image; the rest replicate. */
	uint64_t a = x0 > r ? x0 - r : 0;
	uint64_t e = x1 + r < im->w ? x1 + r : im->w;
	float *in = ext + (a + r - x0) * c; /* column a of ext */
	memset(in, 0, (e - a) * c * sizeof(float));
	for (uint64_t i = 0; i <= 2 * r; i++) {
		uint64_t yy = image_clamp((int64_t)(y + i) - (int64_t)r, im->h);
		add_row(in, x + yy * row + a * c * es, im->u8, wt[i],
			(e - a) * c);
	}
	for (float *p = ext; p < in; p += c) /* left of column 0 */
		memcpy(p, in, c * sizeof(float));
	float *last = in + (e - a - 1) * c;
	for (float *p = last + c; p < ext + (x1 - x0 + 2 * r) * c; p += c)
		memcpy(p, last, c * sizeof(float));
	size_t n = (x1 - x0) * c;
	memset(acc, 0, n * sizeof(float));
	for (uint64_t j = 0; j <= 2 * r; j++)
		add_row(acc, ext + j * c, false, wt[j], n);
	char *o = out + y * row + x0 * c * es;
	if (im->u8)
		for (size_t i = 0; i < n; i++)
			((uint8_t *)o)[i] = vgpu_round_u8(acc[i]);
	else
		memcpy(o, acc, n * sizeof(float));
}

static uint32_t blur_plan(struct vgpu_launch *l, unsigned workers,
			  size_t *scratch_bytes)
{
	struct blur b;
	l->plan[PLAN_ROW_BLOCKS] = 1;
	l->plan[PLAN_SLOTS] = 0;
	if (blur_setup(l->cmd, &b) < 0)
		return 1;
	double row_work =
	    (double)(2 * b.r + 1) * (double)(b.ext_elems + b.cols * b.im.c);
	uint64_t blocks = vgpu_row_tiles(b.im.h, row_work, IMAGE_TILE_WORK);
	if (blocks * b.chunks > VGPU_TILES_MAX)
		blocks = VGPU_TILES_MAX / b.chunks;
	uint64_t ntiles = blocks * b.chunks;
	uint64_t slots = workers < ntiles ? (workers ? workers : 1) : ntiles;
	l->plan[PLAN_ROW_BLOCKS] = blocks;
	l->plan[PLAN_SLOTS] = slots;
	*scratch_bytes = vgpu_slots_scratch(blur_slots(&b, slots));
	return (uint32_t)ntiles;
}

static int blur_tile(const struct vgpu_launch *l, uint32_t tile,
		     uint32_t ntiles)
{
	struct blur b;
	uint64_t blocks = l->plan[PLAN_ROW_BLOCKS];
	if (blur_setup(l->cmd, &b) < 0 || blocks < 1 ||
	    blocks * b.chunks != ntiles || tile >= ntiles)
		return -EINVAL; /* not a plan blur_plan made */
	struct vgpu_slots slots = blur_slots(&b, l->plan[PLAN_SLOTS]);
	float *wt = vgpu_slot_get(l, slots);
	if (!wt)
		return -ENOMEM;
	float *ext = wt + 2 * b.r + 1, *acc = ext + b.ext_elems;
	weights(vgpu_cmd_f(l->cmd, BLUR_SIGMA), b.r, wt);
	uint64_t x0, x1, y0, y1;
	vgpu_split_even(b.im.w, b.chunks, tile % b.chunks, &x0, &x1);
	vgpu_split_even(b.im.h, blocks, tile / b.chunks, &y0, &y1);
	for (uint64_t y = y0; y < y1; y++)
		blur_row(&b, wt, l->ptr[IMG_X], l->ptr[IMG_OUT], y, x0, x1, ext,
			 acc);
	vgpu_slot_put(l, slots, wt);
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_gaussian_blur = {
    .id = VGPU_K_GAUSSIAN_BLUR,
    .plan = blur_plan,
    .run_tile = blur_tile,
};
