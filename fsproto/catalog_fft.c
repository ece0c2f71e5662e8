/*
 * fft of the catalogue: complex f32 discrete Fourier transforms, 1-D over
 * rows or 2-D over rows x n, batched. Its id follows the elementwise ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

/* An element is a complex f32: re, im. */
#define FFT_ELEM_BYTES 8
/* FFTW takes its dimensions as int. */
#define FFT_DIM_MAX INT32_MAX

static const char *const norm_words[] = {
    [VGPU_FFT_NORM_NONE] = "none",
    [VGPU_FFT_NORM_ORTHO] = "ortho",
    [VGPU_FFT_NORM_N] = "n",
    NULL,
};

static const struct vgpu_arg_spec fft_args[FFT_NARGS] = {
    [FFT_X] = BUF("x", VGPU_ACC_R, "input: batch x rows x n complex f32"),
    [FFT_OUT] = BUF("out", VGPU_ACC_W, "result, the same shape (may be x)"),
    [FFT_N] = INT("n", true, 1, FFT_DIM_MAX, 0,
		  "complex elements in a row: the length of a 1-D transform"),
    [FFT_ROWS] = INT("rows", false, 1, FFT_DIM_MAX, 1,
		     "rows of a 2-D rows x n transform (default 1: 1-D)"),
    [FFT_BATCH] = INT("batch", false, 0, COUNT_MAX, 1,
		      "independent transforms, one after another (default 1)"),
    [FFT_INVERSE] =
	BOOL("inverse", "1: the inverse transform, e^(+2 pi i ...)"),
    [FFT_NORM] = {.name = "norm",
		  .type = VGPU_ARG_KEYWORD,
		  .idef = VGPU_FFT_NORM_NONE,
		  .words = norm_words,
		  .help = "result scale: none (default), ortho 1/sqrt(size), "
			  "n 1/size"},
};

static int fft_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		       char *msg, size_t len)
{
	int64_t n = vgpu_cmd_i(c, FFT_N), rows = vgpu_cmd_i(c, FFT_ROWS);
	int64_t batch = vgpu_cmd_i(c, FFT_BATCH),
		norm = vgpu_cmd_i(c, FFT_NORM);
	/* The text parser checks these; a binary command may not have. */
	if (n < 1 || n > FFT_DIM_MAX || rows < 1 || rows > FFT_DIM_MAX ||
	    batch < 0 || norm < VGPU_FFT_NORM_NONE || norm > VGPU_FFT_NORM_N) {
		snprintf(msg, len,
			 "fft: n=%" PRId64 ", rows=%" PRId64 ", batch=%" PRId64
			 ", norm=%" PRId64
			 ": n and rows must be 1 to %d, batch at least 0, "
			 "norm 0 to 2",
			 n, rows, batch, norm, FFT_DIM_MAX);
		return -ERANGE;
	}
	uint64_t count;
	if (!ext_mul((uint64_t)batch, (uint64_t)rows, &count) ||
	    !ext_mul(count, (uint64_t)n, &count) ||
	    !ext_mul(count, FFT_ELEM_BYTES, &e[FFT_X].bytes))
		return overflow(c, "batch*rows*n*8", msg, len);
	/* The formula names only the factors given: "batch*n*8", "n*8". */
	snprintf(e[FFT_X].formula, sizeof(e[0].formula), "%s%sn*%d",
		 vgpu_cmd_given(c, FFT_BATCH) ? "batch*" : "",
		 vgpu_cmd_given(c, FFT_ROWS) ? "rows*" : "", FFT_ELEM_BYTES);
	/* The complex elements' parts are f32: offsets are multiples of 4. */
	e[FFT_X].elem = VGPU_F32;
	e[FFT_OUT] = e[FFT_X];
	return 0;
}

const struct vgpu_kernel_spec vgpu_spec_fft = {
    .name = "fft",
    .id = VGPU_K_FFT,
    .nargs = FFT_NARGS,
    .args = fft_args,
    .extents = fft_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .summary = "discrete Fourier transform of complex f32, 1-D or 2-D, "
	       "batched (FFTW)",
    .semantics =
	"Elements are complex f32: pairs of floats re, im (8 bytes; numpy "
	"complex64); there is no dtype= argument. x holds batch items of "
	"rows x n elements, row-major. rows=1 (the default): a 1-D "
	"transform of each item, out[k] = sum_j x[j] e^(-2 pi i jk/n) for "
	"0 <= k < n. rows=R: a 2-D transform of each R x n item, out[r][k] "
	"= sum_(s,j) x[s][j] e^(-2 pi i (rs/R + jk/n)). inverse=1 uses "
	"e^(+2 pi i ...). Like FFTW, neither direction normalises: forward "
	"then inverse gives the input times the size S (n, or R*n). norm=n "
	"divides the result by S (numpy's ifft is inverse=1 norm=n), "
	"norm=ortho by sqrt(S) (numpy's norm='ortho'). out may be the very "
	"same range as x (in place) but not partly overlap it. Offsets are "
	"multiples of 4. A NaN or inf can make any part of its item's "
	"result NaN, never another item's. Runs on FFTW, one or more whole "
	"items a tile.",
    .example = "fft x=signal out=spectrum n=4096 batch=256",
    .offsets = "multiples of 4 (the f32 parts of the complex elements), "
	       "else EINVAL",
};
