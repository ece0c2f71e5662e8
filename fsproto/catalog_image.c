/*
 * Image filters: gaussian_blur, sobel, resize. An image is h rows of w
 * pixels of c channels (1 to 4), interleaved: channel ch of pixel (y, x)
 * is element (y*w + x)*c + ch.
 */
#include <errno.h>
#include <stdio.h>

#include "catalog_family.h"

#define DT_IMAGE (VGPU_DT(VGPU_F32) | VGPU_DT(VGPU_U8))

#define IMAGE_ARGS(OUT_HELP)                                                   \
	[IMG_X] = BUF("x", VGPU_ACC_R, "input image, h x w x c"),              \
	[IMG_OUT] = BUF("out", VGPU_ACC_W, OUT_HELP),                          \
	[IMG_H] = INT("h", true, 1, DIM_MAX, 0, "rows of x"),                  \
	[IMG_W] = INT("w", true, 1, DIM_MAX, 0, "columns of x"),               \
	[IMG_C] = INT("c", false, 1, 4, 1,                                     \
		      "channels a pixel, interleaved (1 to 4, default 1)"),    \
	[IMG_DTYPE] = {.name = "dtype",                                        \
		       .type = VGPU_ARG_DTYPE,                                 \
		       .idef = VGPU_F32,                                       \
		       .help = "element type: f32 (default) or u8"}

/* EXT = rows*cols*c elements of the image's dtype. */
static int image_extent(const struct vgpu_cmd *c, struct vgpu_extent *ext,
			uint64_t rows, uint64_t cols, const char *formula,
			char *msg, size_t len)
{
	size_t es = esize(c, IMG_DTYPE);
	ext->elem = dtype_of(c, IMG_DTYPE);
	uint64_t ch = (uint64_t)vgpu_cmd_i(c, IMG_C);
	if (!ext_mul4(rows, cols, ch, es, &ext->bytes))
		return overflow(c, formula, msg, len);
	snprintf(ext->formula, sizeof(ext->formula), "%s*%zu", formula, es);
	return 0;
}

/* x and out are both h x w x c. */
static int same_size_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			     char *msg, size_t len)
{
	int rc =
	    image_extent(c, &e[IMG_X], (uint64_t)vgpu_cmd_i(c, IMG_H),
			 (uint64_t)vgpu_cmd_i(c, IMG_W), "h*w*c", msg, len);
	if (rc == 0)
		e[IMG_OUT] = e[IMG_X];
	return rc;
}

/* gaussian_blur */

static const struct vgpu_arg_spec blur_args[BLUR_NARGS] = {
    IMAGE_ARGS("result, h x w x c"),
    [BLUR_SIGMA] = FLT("sigma", true, 0,
		       "standard deviation in pixels, 0 < sigma <= 1000"),
};

static int blur_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	double sigma = vgpu_cmd_f(c, BLUR_SIGMA);
	if (!(sigma > 0 && sigma <= 1000)) {
		snprintf(msg, len,
			 "gaussian_blur: sigma=%g is out of range (0, 1000]",
			 sigma);
		return -ERANGE;
	}
	return same_size_extents(c, e, msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_gaussian_blur = {
    .name = "gaussian_blur",
    .id = VGPU_K_GAUSSIAN_BLUR,
    .nargs = BLUR_NARGS,
    .args = blur_args,
    .extents = blur_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = DT_IMAGE,
    .summary = "Gaussian blur of an image (h x w pixels, c channels)",
    .semantics =
	"Separable: each channel is convolved with the weights "
	"exp(-i*i/(2*sigma*sigma)) for -r <= i <= r, r = ceil(3*sigma), "
	"normalised to sum 1, along the columns and then along the rows. "
	"Pixels outside the image repeat the nearest edge pixel (clamp, "
	"replicate; OpenCV's BORDER_REPLICATE). Computed in single "
	"precision; u8 results are rounded to nearest (ties to even). out "
	"may not overlap x.",
    .example = "gaussian_blur x=photo out=soft h=480 w=640 c=3 sigma=2 "
	       "dtype=u8",
};

/* sobel */

static const struct vgpu_arg_spec sobel_args[IMG_NARGS] = {
    IMAGE_ARGS("gradient magnitude, h x w x c"),
};

const struct vgpu_kernel_spec vgpu_spec_sobel = {
    .name = "sobel",
    .id = VGPU_K_SOBEL,
    .nargs = IMG_NARGS,
    .args = sobel_args,
    .extents = same_size_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = DT_IMAGE,
    .summary = "Sobel gradient magnitude of an image (h x w pixels, c "
	       "channels)",
    .semantics =
	"For each channel, out = sqrt(gx*gx + gy*gy) with the 3x3 Sobel "
	"derivatives gx = [-1 0 1; -2 0 2; -1 0 1] and gy its transpose "
	"(not normalised: up to 1442.5 for u8 input). Pixels outside the "
	"image repeat the nearest edge pixel (replicate), so flat edges give "
	"0. u8 results are rounded to nearest and saturate at 255; f32 is "
	"single precision (inf when the squares overflow). out may not "
	"overlap x.",
    .example = "sobel x=gray out=edges h=480 w=640 dtype=u8",
};

/* resize */

static const struct vgpu_arg_spec resize_args[RESIZE_NARGS] = {
    IMAGE_ARGS("result, out_h x out_w x c"),
    [RESIZE_OUT_H] = INT("out_h", true, 1, DIM_MAX, 0, "rows of out"),
    [RESIZE_OUT_W] = INT("out_w", true, 1, DIM_MAX, 0, "columns of out"),
};

static int resize_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			  char *msg, size_t len)
{
	int rc =
	    image_extent(c, &e[IMG_X], (uint64_t)vgpu_cmd_i(c, IMG_H),
			 (uint64_t)vgpu_cmd_i(c, IMG_W), "h*w*c", msg, len);
	if (rc == 0)
		rc = image_extent(c, &e[IMG_OUT],
				  (uint64_t)vgpu_cmd_i(c, RESIZE_OUT_H),
				  (uint64_t)vgpu_cmd_i(c, RESIZE_OUT_W),
				  "out_h*out_w*c", msg, len);
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_resize = {
    .name = "resize",
    .id = VGPU_K_RESIZE,
    .nargs = RESIZE_NARGS,
    .args = resize_args,
    .extents = resize_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = DT_IMAGE,
    .summary = "bilinear resize of an image to out_h x out_w pixels",
    .semantics =
	"Pixel centres are aligned (align_corners=False): output column j "
	"samples input column (j + 0.5)*w/out_w - 0.5, clamped to [0, w-1], "
	"between its two nearest columns; rows likewise. This is OpenCV's "
	"INTER_LINEAR and PyTorch's bilinear interpolate with "
	"align_corners=False, antialias=False; PIL matches when enlarging "
	"only (it filters when shrinking). Any sizes, 1x1 included. "
	"Computed in single precision; u8 results are rounded to nearest "
	"(ties to even). out may not overlap x.",
    .example = "resize x=photo out=thumb h=480 w=640 c=3 out_h=120 out_w=160 "
	       "dtype=u8",
};
