/*
 * What the image kernels (gaussian_blur, sobel, resize) share: the shape of
 * an h x w image of c interleaved channels, f32 or u8, and edge clamping.
 */
#ifndef VGPUFS_KERNELS_IMAGE_H
#define VGPUFS_KERNELS_IMAGE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

/* Work units (about one multiply-add each) a tile of rows should hold. */
#define IMAGE_TILE_WORK (4u << 20)

struct image {
	uint64_t h, w, c;
	bool u8; /* else f32 */
};

/* -EINVAL for a shape or dtype that validation would have refused. */
static inline int image_shape(const struct vgpu_cmd *cmd, struct image *im)
{
	int64_t h = vgpu_cmd_i(cmd, IMG_H), w = vgpu_cmd_i(cmd, IMG_W);
	int64_t c = vgpu_cmd_i(cmd, IMG_C), dt = vgpu_cmd_i(cmd, IMG_DTYPE);
	if (h < 1 || h > INT32_MAX || w < 1 || w > INT32_MAX || c < 1 ||
	    c > 4 || (dt != VGPU_F32 && dt != VGPU_U8))
		return -EINVAL;
	*im = (struct image){(uint64_t)h, (uint64_t)w, (uint64_t)c,
			     dt == VGPU_U8};
	return 0;
}

/* I clamped to [0, N-1] (N >= 1): the edge pixel repeats outside. */
static inline uint64_t image_clamp(int64_t i, uint64_t n)
{
	return i < 0 ? 0 : (uint64_t)i >= n ? n - 1 : (uint64_t)i;
}

#endif
