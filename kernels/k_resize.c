/*
 * resize: bilinear, pixel centres aligned (OpenCV's INTER_LINEAR, PyTorch's
 * align_corners=False): output column j samples input column
 * s = (j + 0.5)*w/out_w - 0.5 between floor(s) and floor(s) + 1, and a
 * sample left of column 0 or right of column w-1 takes the edge column,
 * exactly as OpenCV clamps. Coordinates in double, weights and sums in
 * float. Tiles are runs of output rows.
 */
#include <math.h>

#include "convert.h"
#include "image.h"
#include "kernel_list.h"
#include "tiling.h"

/* Where output index I of OUT samples an input axis of IN. */
struct tap {
	uint64_t i0, i1; /* the two input indices */
	float f;	 /* weight of i1 */
};

static struct tap tap_for(uint64_t i, uint64_t out, uint64_t in)
{
	double s = ((double)i + 0.5) * ((double)in / (double)out) - 0.5;
	double fl = floor(s);
	struct tap t = {.f = (float)(s - fl)};
	if (fl < 0) {
		t.i0 = 0;
		t.f = 0;
	} else if (fl >= (double)(in - 1)) {
		t.i0 = in - 1;
		t.f = 0;
	} else {
		t.i0 = (uint64_t)fl;
	}
	t.i1 = t.i0 + 1 < in ? t.i0 + 1 : t.i0;
	return t;
}

#define RESIZE_ROW(NAME, T, STORE)                                             \
	static void NAME(const struct image *im, uint64_t ow, const void *r0,  \
			 const void *r1, float fy, void *dst)                  \
	{                                                                      \
		const T *a = r0, *b = r1;                                      \
		T *o = dst;                                                    \
		uint64_t c = im->c;                                            \
		for (uint64_t j = 0; j < ow; j++) {                            \
			struct tap tx = tap_for(j, ow, im->w);                 \
			uint64_t p = tx.i0 * c, q = tx.i1 * c;                 \
			for (uint64_t ch = 0; ch < c; ch++) {                  \
				float top = (1 - tx.f) * (float)a[p + ch] +    \
					    tx.f * (float)a[q + ch];           \
				float bot = (1 - tx.f) * (float)b[p + ch] +    \
					    tx.f * (float)b[q + ch];           \
				o[j * c + ch] =                                \
				    STORE((1 - fy) * top + fy * bot);          \
			}                                                      \
		}                                                              \
	}

#define STORE_F32(v) (v)
RESIZE_ROW(resize_row_u8, uint8_t, vgpu_round_u8)
RESIZE_ROW(resize_row_f32, float, STORE_F32)

static int resize_shape(const struct vgpu_cmd *c, struct image *im,
			uint64_t *oh, uint64_t *ow)
{
	int64_t h = vgpu_cmd_i(c, RESIZE_OUT_H),
		w = vgpu_cmd_i(c, RESIZE_OUT_W);
	if (h < 1 || h > INT32_MAX || w < 1 || w > INT32_MAX)
		return -EINVAL;
	*oh = (uint64_t)h;
	*ow = (uint64_t)w;
	return image_shape(c, im);
}

static uint32_t resize_plan(struct vgpu_launch *l, unsigned workers,
			    size_t *scratch_bytes)
{
	(void)workers, (void)scratch_bytes;
	struct image im;
	uint64_t oh, ow;
	if (resize_shape(l->cmd, &im, &oh, &ow) < 0)
		return 1;
	return vgpu_row_tiles(oh, (double)ow * (8.0 + 6.0 * (double)im.c),
			      IMAGE_TILE_WORK);
}

static int resize_tile(const struct vgpu_launch *l, uint32_t tile,
		       uint32_t ntiles)
{
	struct image im;
	uint64_t oh, ow, y0, y1;
	if (resize_shape(l->cmd, &im, &oh, &ow) < 0 || tile >= ntiles)
		return -EINVAL;
	size_t es = im.u8 ? 1 : 4;
	size_t in_row = im.w * im.c * es, out_row = ow * im.c * es;
	const char *x = l->ptr[IMG_X];
	char *out = l->ptr[IMG_OUT];
	vgpu_split_even(oh, ntiles, tile, &y0, &y1);
	for (uint64_t y = y0; y < y1; y++) {
		struct tap ty = tap_for(y, oh, im.h);
		const char *r0 = x + ty.i0 * in_row, *r1 = x + ty.i1 * in_row;
		if (im.u8)
			resize_row_u8(&im, ow, r0, r1, ty.f, out + y * out_row);
		else
			resize_row_f32(&im, ow, r0, r1, ty.f,
				       out + y * out_row);
	}
	return 0;
}

const struct vgpu_kernel_impl vgpu_k_resize = {
    .id = VGPU_K_RESIZE,
    .plan = resize_plan,
    .run_tile = resize_tile,
};
