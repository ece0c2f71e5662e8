/*
 * sobel: gradient magnitude sqrt(gx^2 + gy^2) of each channel with the 3x3
 * Sobel operators, edge pixels replicated. u8 gradients are exact integers
 * (|g| <= 1020), so the only rounding is the final one to nearest. Tiles
 * are runs of rows.
 */
#include <math.h>

#include "convert.h"
#include "image.h"
#include "kernel_list.h"
#include "tiling.h"

/* Rows y-1, y and y+1 of the input, clamped. */
struct around {
	const void *up, *mid, *down;
};

#define SOBEL_ROW(NAME, T, ACC, STORE)                                         \
	static void NAME(const struct image *im, const struct around *a,       \
			 void *dst)                                            \
	{                                                                      \
		const T *u = a->up, *m = a->mid, *d = a->down;                 \
		T *o = dst;                                                    \
		for (uint64_t x = 0; x < im->w; x++) {                         \
			uint64_t l = image_clamp((int64_t)x - 1, im->w) *      \
				     im->c,                                    \
				 r = image_clamp((int64_t)x + 1, im->w) *      \
				     im->c;                                    \
			for (uint64_t ch = 0; ch < im->c; ch++) {              \
				uint64_t i = x * im->c + ch;                   \
				ACC gx = (ACC)u[r + ch] + 2 * (ACC)m[r + ch] + \
					 (ACC)d[r + ch] - (ACC)u[l + ch] -     \
					 2 * (ACC)m[l + ch] - (ACC)d[l + ch];  \
				ACC gy = (ACC)d[l + ch] + 2 * (ACC)d[i] +      \
					 (ACC)d[r + ch] - (ACC)u[l + ch] -     \
					 2 * (ACC)u[i] - (ACC)u[r + ch];       \
				o[i] = STORE(gx * gx + gy * gy);               \
			}                                                      \
		}                                                              \
	}

#define STORE_U8(s)  vgpu_round_u8(sqrtf((float)(s)))
#define STORE_F32(s) sqrtf(s)
SOBEL_ROW(sobel_row_u8, uint8_t, int32_t, STORE_U8)
SOBEL_ROW(sobel_row_f32, float, float, STORE_F32)

static uint32_t sobel_plan(struct vgpu_launch *l, unsigned workers,
			   size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	struct image im;
	if (image_shape(l->cmd, &im) < 0)
		return 1;
	return vgpu_row_tiles(im.h, 12.0 * (double)(im.w * im.c),
			      IMAGE_TILE_WORK);
}

static int sobel_tile(const struct vgpu_launch *l, uint32_t tile,
		      uint32_t ntiles)
{
	struct image im;
	if (image_shape(l->cmd, &im) < 0 || tile >= ntiles)
		return -EINVAL;
	size_t es = im.u8 ? 1 : 4, row = im.w * im.c * es;
	const char *x = l->ptr[IMG_X];
	char *out = l->ptr[IMG_OUT];
	uint64_t y0, y1;
	vgpu_split_even(im.h, ntiles, tile, &y0, &y1);
	for (uint64_t y = y0; y < y1; y++) {
		struct around a = {
		    .up = x + image_clamp((int64_t)y - 1, im.h) * row,
		    .mid = x + y * row,
		    .down = x + image_clamp((int64_t)y + 1, im.h) * row,
		};
		if (im.u8)
			sobel_row_u8(&im, &a, out + y * row);
		else
			sobel_row_f32(&im, &a, out + y * row);
	}
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_sobel = {
    .id = VGPU_K_SOBEL,
    .plan = sobel_plan,
    .run_tile = sobel_tile,
};
