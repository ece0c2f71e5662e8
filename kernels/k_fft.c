/*
 * fft: discrete Fourier transforms of complex f32 on FFTW, 1-D (rows = 1)
 * or 2-D (rows x n) per batch item. A tile is a run of whole batch items,
 * each one call of fftwf_execute_dft on a cached plan (fft_plans.c) with
 * the user's arrays; a single large transform is one tile, on one thread.
 * Normalisation, when asked for, scales each item after its transform.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>

#include <vgpufs/catalog.h>

#include "fft_plans.h"
#include "kernel_list.h"
#include "tiling.h"

/* Complex elements a tile aims at (one read, one written). */
#define FFT_TILE_ELEMS (VGPU_TILE_BYTES / sizeof(fftwf_complex))
/* Less than this is not worth handing to another worker. */
#define FFT_TILE_MIN_ELEMS (FFT_TILE_ELEMS / 8)
/*
 * Plans a tile holds at once: its items differ only in alignment, and
 * consecutive items alternate between two alignments at most.
 */
#define TILE_PLANS 4

struct fft {
	int n, rows, sign;
	int64_t norm;
	uint64_t batch;
	uint64_t item; /* complex elements in one batch item: rows*n */
};

/* -EINVAL for what validation refuses, in case it is bypassed. */
static int fft_shape(const struct vgpu_cmd *c, struct fft *f)
{
	int64_t n = vgpu_cmd_i(c, FFT_N), rows = vgpu_cmd_i(c, FFT_ROWS);
	int64_t batch = vgpu_cmd_i(c, FFT_BATCH);
	f->norm = vgpu_cmd_i(c, FFT_NORM);
	if (n < 1 || n > INT_MAX || rows < 1 || rows > INT_MAX || batch < 0 ||
	    f->norm < VGPU_FFT_NORM_NONE || f->norm > VGPU_FFT_NORM_N)
		return -EINVAL;
	f->n = (int)n;
	f->rows = (int)rows;
	f->batch = (uint64_t)batch;
	f->item = (uint64_t)rows * (uint64_t)n; /* < 2^62 */
	f->sign = vgpu_cmd_i(c, FFT_INVERSE) ? FFTW_BACKWARD : FFTW_FORWARD;
	return 0;
}

static uint32_t fft_plan(struct vgpu_launch *l, unsigned workers,
			 size_t *scratch_bytes)
{
	(void)scratch_bytes;
	struct fft f;
	if (fft_shape(l->cmd, &f) < 0 || f.batch == 0)
		return 1;
	uint64_t per = f.item < FFT_TILE_ELEMS ? FFT_TILE_ELEMS / f.item : 1;
	uint32_t nt = vgpu_tile_count(f.batch, per, VGPU_TILES_MAX);
	/* Few large items: rather one a worker than idle workers. */
	uint64_t total;
	if (__builtin_mul_overflow(f.batch, f.item, &total))
		total = UINT64_MAX;
	uint64_t want = f.batch < workers ? f.batch : workers;
	if (want > total / FFT_TILE_MIN_ELEMS)
		want = total / FFT_TILE_MIN_ELEMS;
	return want > nt ? (uint32_t)want : nt;
}

static float norm_scale(const struct fft *f)
{
	double size = (double)f->item;
	switch (f->norm) {
	case VGPU_FFT_NORM_ORTHO:
		return (float)(1.0 / sqrt(size));
	case VGPU_FFT_NORM_N:
		return (float)(1.0 / size);
	default:
		return 1.0f;
	}
}

struct held_plan {
	int align_in, align_out;
	fftwf_plan plan;
};

static int fft_tile(const struct vgpu_launch *l, uint32_t tile, uint32_t ntiles)
{
	struct fft f;
	fftwf_complex *x = l->ptr[FFT_X], *out = l->ptr[FFT_OUT];
	if (fft_shape(l->cmd, &f) < 0 || tile >= ntiles ||
	    (uintptr_t)x % _Alignof(float) || (uintptr_t)out % _Alignof(float))
		return -EINVAL;
	uint64_t lo, hi;
	vgpu_split_even(f.batch, ntiles, tile, &lo, &hi);
	float scale = norm_scale(&f);
	struct held_plan held[TILE_PLANS];
	unsigned nheld = 0;
	int rc = 0;
	for (uint64_t b = lo; b < hi; b++) {
		fftwf_complex *in = x + b * f.item, *o = out + b * f.item;
		struct vgpu_fft_key key =
		    vgpu_fft_key_for(f.rows, f.n, f.sign, in, o);
		unsigned h = 0;
		while (h < nheld && (held[h].align_in != key.align_in ||
				     held[h].align_out != key.align_out))
			h++;
		if (h == TILE_PLANS) { /* not expected: start over */
			while (nheld)
				vgpu_fft_plan_release(held[--nheld].plan);
			h = 0;
		}
		if (h == nheld) {
			held[h] = (struct held_plan){
			    .align_in = key.align_in,
			    .align_out = key.align_out,
			    .plan = vgpu_fft_plan_acquire(&key, in, o)};
			if (!held[h].plan) {
				rc = -ENOMEM;
				break;
			}
			nheld++;
		}
		fftwf_execute_dft(held[h].plan, in, o);
		if (scale != 1.0f) {
			float *v = (float *)o;
			for (uint64_t i = 0; i < 2 * f.item; i++)
				v[i] *= scale;
		}
	}
	while (nheld)
		vgpu_fft_plan_release(held[--nheld].plan);
	return rc;
}

const struct vgpu_kernel_impl vgpu_k_fft = {
    .id = VGPU_K_FFT,
    .plan = fft_plan,
    .run_tile = fft_tile,
};
