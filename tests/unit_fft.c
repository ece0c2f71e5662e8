/*
 * fft against a naive O(size^2) DFT in double precision, run three ways
 * (the serial runner, tiles in reverse order, tiles on several threads at
 * once): 1-D lengths 1 to 1024 with odd and prime ones, odd 2-D shapes,
 * batches over many tiles, forward and inverse, every norm, in place and
 * out of place, offsets that break 16-byte alignment (and 8-byte: 4 bytes).
 * Operands sit inside larger arrays whose other bytes must stay unchanged,
 * and x must stay unchanged out of place. Also: forward then inverse gives
 * the input back, the plan cache is reused and bounded, and bad arguments
 * through the parser, the validator and the kernel itself.
 */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>

#include "fft_plans.h"
#include "kernel_check.h"

/*
 * out = the DFT of X (ROWS x N complex, interleaved), in double:
 * sum over (s, j) of x[s][j] e^(sign 2 pi i (rs/rows + kj/n)). Angles come
 * from exact integer residues, so the reference is accurate to ~1e-15.
 */
static void dft_ref(const float *x, double *out, size_t rows, size_t n,
		    int sign)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t k = 0; k < n; k++) {
			double re = 0, im = 0;
			for (size_t s = 0; s < rows; s++)
				for (size_t j = 0; j < n; j++) {
					double a =
					    sign * 2 * M_PI *
					    ((double)(r * s % rows) /
						 (double)rows +
					     (double)(k * j % n) / (double)n);
					double xr = x[2 * (s * n + j)],
					       xi = x[2 * (s * n + j) + 1];
					re += xr * cos(a) - xi * sin(a);
					im += xr * sin(a) + xi * cos(a);
				}
			out[2 * (r * n + k)] = re;
			out[2 * (r * n + k) + 1] = im;
		}
}

/* What norm= divides the result by, for a transform of SIZE elements. */
static double norm_div(int norm, size_t size)
{
	return norm == VGPU_FFT_NORM_N	     ? (double)size
	       : norm == VGPU_FFT_NORM_ORTHO ? sqrt((double)size)
					     : 1.0;
}

struct fcase {
	size_t rows, n, batch;
	int inverse, norm;
	bool inplace;
	size_t xoff, ooff; /* offsets in floats: 1 is 4 bytes */
};

static struct vgpu_cmd fft_cmd(const struct fcase *t)
{
	struct vgpu_cmd c = mkcmd(VGPU_K_FFT);
	c.val[FFT_N].i = (int64_t)t->n;
	c.val[FFT_ROWS].i = (int64_t)t->rows;
	c.val[FFT_BATCH].i = (int64_t)t->batch;
	c.val[FFT_INVERSE].i = t->inverse;
	c.val[FFT_NORM].i = t->norm;
	return c;
}

/*
 * Runs case T three ways and checks every element of every item against
 * the reference, within a few f32 roundings per butterfly level of the
 * item's input norm (the size of FFT rounding errors).
 */
static void check_fft(const struct fcase *t)
{
	size_t item = t->rows * t->n, nf = 2 * item * t->batch;
	struct arr x, o;
	arr_init(&x, VGPU_F32, t->xoff, nf, 1.0);
	arr_init(&o, VGPU_F32, t->ooff, nf, 1.0);
	arr_snap(&x);
	arr_snap(&o);
	struct arr *out = t->inplace ? &x : &o;
	double *want = malloc((nf ? nf : 1) * sizeof(double));
	double *tol = malloc((t->batch ? t->batch : 1) * sizeof(double));
	ck_assert(want && tol);
	double div = norm_div(t->norm, item);
	for (size_t b = 0; b < t->batch; b++) {
		const float *xb = (const float *)x.p + 2 * item * b;
		dft_ref(xb, want + 2 * item * b, t->rows, t->n,
			t->inverse ? 1 : -1);
		double l2 = 0;
		for (size_t i = 0; i < 2 * item; i++) {
			want[2 * item * b + i] /= div;
			l2 += (double)xb[i] * xb[i];
		}
		tol[b] = 4 * FLT_EPSILON * (1 + log2((double)item)) *
			 (sqrt(l2) / div + 1e-30);
	}
	struct vgpu_cmd c = fft_cmd(t);
	void *ptr[VGPU_MAX_ARGS] = {[FFT_X] = x.p, [FFT_OUT] = out->p};
	for (int mode = 0; mode < RUN_MODES; mode++) {
		memcpy(x.base, x.snap, x.total * sizeof(float));
		memcpy(o.base, o.snap, o.total * sizeof(float));
		run_ok(&c, ptr, (enum mode)mode);
		for (size_t i = 0; i < nf; i++) {
			double got = ((const float *)out->p)[i];
			EXPECT(fabs(got - want[i]) <= tol[i / (2 * item)],
			       "%zux%zu batch %zu inv %d norm %d %s x+%zu "
			       "out+%zu (%s): [%zu] = %.9g, want %.9g (tol "
			       "%.3g)",
			       t->rows, t->n, t->batch, t->inverse, t->norm,
			       t->inplace ? "in place" : "out of place",
			       t->xoff, t->ooff, mode_name[mode], i, got,
			       want[i], tol[i / (2 * item)]);
		}
		ck_assert_msg(arr_outside_same(out, nf),
			      "%s: wrote outside out", mode_name[mode]);
		if (!t->inplace)
			ck_assert_msg(arr_same(&x), "%s: changed x",
				      mode_name[mode]);
	}
	free(want);
	free(tol);
	arr_free(&x);
	arr_free(&o);
}

static const struct fcase cases[] = {
    /* 1-D: powers of two, odd, prime and composite lengths */
    {1, 1, 1, 0, 0, false, 0, 0},
    {1, 2, 1, 0, 0, false, 0, 0},
    {1, 3, 1, 0, 0, true, 2, 2},
    {1, 5, 2, 1, 0, false, 0, 2},
    {1, 7, 3, 0, 0, false, 2, 0},
    {1, 16, 1, 1, 0, true, 0, 0},
    {1, 17, 4, 0, 0, false, 1, 3},
    {1, 100, 3, 1, VGPU_FFT_NORM_N, false, 2, 1},
    {1, 1024, 2, 0, VGPU_FFT_NORM_ORTHO, true, 2, 0},
    {1, 1024, 1, 1, 0, false, 3, 2},
    /* 2-D: odd shapes, a single row or column, batches */
    {3, 5, 1, 0, 0, false, 0, 0},
    {7, 9, 2, 1, 0, true, 2, 0},
    {2, 1, 3, 0, 0, false, 0, 2},
    {5, 16, 2, 0, VGPU_FFT_NORM_ORTHO, false, 2, 3},
    {17, 3, 1, 1, VGPU_FFT_NORM_N, true, 1, 1},
    {16, 1, 1, 1, 0, false, 0, 0},
    /* many items, many tiles; odd items alternate in alignment */
    {1, 16, 20000, 0, 0, false, 0, 0},
    {1, 17, 5000, 1, VGPU_FFT_NORM_N, true, 2, 2},
    {3, 7, 3000, 0, 0, false, 2, 0},
    {1, 1000, 300, 0, VGPU_FFT_NORM_ORTHO, false, 0, 2},
    /* the first item aligned, the next not: SIMD plans must not serve it */
    {1, 15, 5000, 0, 0, false, 0, 0},
    {1, 25, 3001, 1, 0, true, 0, 0},
    {3, 5, 4000, 0, 0, false, 0, 0},
    /* nothing to do */
    {1, 8, 0, 0, 0, false, 0, 0},
    {4, 4, 0, 1, VGPU_FFT_NORM_N, true, 1, 1},
};

START_TEST(transforms)
{
	check_fft(&cases[_i]);
}
END_TEST

/*
 * One shape at every alignment, in one process: a plan made for aligned
 * arrays would crash or go wrong on others (FFTW's SIMD codelets: n = 64
 * for the output, n = 120 for the input too), so the
 * cache must tell them apart.
 */
START_TEST(alignments)
{
	static const size_t shapes[][2] = {{1, 64}, {1, 120}, {4, 64}};
	for (size_t s = 0; s < COUNT(shapes); s++)
		for (size_t off = 0; off < 20; off++) {
			/* x and out at each pair of offsets, then in place */
			struct fcase t = {
			    shapes[s][0], shapes[s][1], 2,	    0, 0,
			    off >= 16,	  off % 4,	off / 4 % 4};
			check_fft(&t);
		}
}
END_TEST

/* A NaN in one batch item leaves the others alone. */
START_TEST(nan_stays_in_its_item)
{
	float v[3 * 2 * 8];
	for (size_t i = 0; i < COUNT(v); i++)
		v[i] = (float)urand();
	float orig[COUNT(v)];
	memcpy(orig, v, sizeof(v));
	v[2 * 8 + 5] = NAN; /* item 1 */
	struct fcase t = {1, 8, 3, 0, 0, true, 0, 0};
	struct vgpu_cmd c = fft_cmd(&t);
	void *ptr[VGPU_MAX_ARGS] = {[FFT_X] = v, [FFT_OUT] = v};
	run_ok(&c, ptr, RUN_THREADS);
	double want[2 * 8];
	for (size_t b = 0; b < 3; b += 2) {
		dft_ref(orig + 2 * 8 * b, want, 1, 8, -1);
		for (size_t i = 0; i < 2 * 8; i++)
			ck_assert(fabs(v[2 * 8 * b + i] - want[i]) < 1e-5);
	}
	/* some of item 1 is NaN: which depends on FFTW's arithmetic */
	bool nan = false;
	for (size_t i = 0; i < 2 * 8; i++)
		nan |= isnan(v[2 * 8 + i]);
	ck_assert(nan);
}
END_TEST

/*
 * Forward then inverse: the input times the size unnormalised, the input
 * itself with norm=n on the inverse or ortho both ways.
 */
START_TEST(round_trip)
{
	static const size_t shapes[][2] = {{1, 1}, {1, 13},  {1, 1024},
					   {5, 7}, {32, 33}, {1, 4097}};
	static const int norms[][2] = {
	    {VGPU_FFT_NORM_NONE, VGPU_FFT_NORM_NONE},
	    {VGPU_FFT_NORM_NONE, VGPU_FFT_NORM_N},
	    {VGPU_FFT_NORM_ORTHO, VGPU_FFT_NORM_ORTHO},
	    {VGPU_FFT_NORM_N, VGPU_FFT_NORM_NONE},
	};
	for (size_t s = 0; s < COUNT(shapes); s++)
		for (size_t k = 0; k < COUNT(norms); k++) {
			size_t rows = shapes[s][0], n = shapes[s][1];
			size_t item = rows * n, batch = 3,
			       nf = 2 * item * batch;
			struct arr x, y;
			arr_init(&x, VGPU_F32, 2, nf, 1.0);
			arr_init(&y, VGPU_F32, 0, nf, 1.0);
			arr_snap(&x);
			struct fcase f = {rows,	       n,     batch, 0,
					  norms[k][0], false, 0,     0};
			struct fcase i = {rows,	       n,    batch, 1,
					  norms[k][1], true, 0,	    0};
			struct vgpu_cmd fc = fft_cmd(&f), ic = fft_cmd(&i);
			void *fp[VGPU_MAX_ARGS] = {
			    [FFT_X] = x.p, [FFT_OUT] = y.p};
			void *ip[VGPU_MAX_ARGS] = {
			    [FFT_X] = y.p, [FFT_OUT] = y.p};
			run_ok(&fc, fp, RUN_THREADS);
			run_ok(&ic, ip, RUN_REVERSE);
			double scale = k == 0 ? (double)item : 1.0;
			double tol =
			    8 * FLT_EPSILON * (1 + log2((double)item)) * scale;
			for (size_t e = 0; e < nf; e++) {
				double got = ((float *)y.p)[e];
				double want = scale * ((float *)x.p)[e];
				EXPECT(
				    fabs(got - want) <= tol,
				    "%zux%zu norms %d,%d: [%zu] = %.9g, want "
				    "%.9g",
				    rows, n, norms[k][0], norms[k][1], e, got,
				    want);
			}
			ck_assert(arr_same(&x));
			arr_free(&x);
			arr_free(&y);
		}
}
END_TEST

/* Splitting: whole items a tile, enough tiles for the workers. */
START_TEST(tiles)
{
	float v[2];
	void *ptr[VGPU_MAX_ARGS] = {[FFT_X] = v, [FFT_OUT] = v};
	struct fcase t = {1, 1 << 20, 1, 0, 0, false, 0, 0};
	struct vgpu_cmd c = fft_cmd(&t);
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1); /* one big transform */
	c.val[FFT_BATCH].i = 3;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 3); /* one a worker */
	c.val[FFT_BATCH].i = 100;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 100);
	c.val[FFT_N].i = 16;
	c.val[FFT_BATCH].i = 3; /* too little to split */
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
	c.val[FFT_BATCH].i = 1 << 16; /* 8 MiB: 512 KiB a tile */
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 16);
	c.val[FFT_BATCH].i = 0;
	ck_assert_uint_eq(ntiles_for(&c, ptr, 4), 1);
}
END_TEST

/* Plans are made once per shape, direction, placement and alignment. */
START_TEST(plan_cache)
{
	size_t n = 100, nf = 2 * n * 4;
	float *buf = aligned_alloc(64, (2 * nf + 64) * sizeof(float));
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < 2 * nf + 64; i++)
		buf[i] = (float)urand();
	struct fcase t = {1, n, 4, 0, 0, false, 0, 0};
	struct vgpu_cmd c = fft_cmd(&t);
	void *ptr[VGPU_MAX_ARGS] = {[FFT_X] = buf, [FFT_OUT] = buf + nf};
	uint64_t made = vgpu_fft_plans_made();
	run_ok(&c, ptr, RUN_THREADS);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 1);
	for (int mode = 0; mode < RUN_MODES; mode++)
		run_ok(&c, ptr, (enum mode)mode);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 1); /* reused */
	/* another alignment, direction, placement or shape: a new plan */
	ptr[FFT_OUT] = buf + nf + 2;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 2);
	c.val[FFT_INVERSE].i = 1;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 3);
	ptr[FFT_OUT] = buf;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 4);
	c.val[FFT_ROWS].i = 2;
	c.val[FFT_N].i = 50;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 5);
	/* norm scales after the transform: the same plan */
	c.val[FFT_NORM].i = VGPU_FFT_NORM_N;
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 5);
	/* odd items alternate between two alignments: two plans */
	c = fft_cmd(&(struct fcase){1, 7, 9, 0, 0, true, 0, 0});
	made = vgpu_fft_plans_made();
	run_ok(&c, ptr, RUN_THREADS);
	run_ok(&c, ptr, RUN_REVERSE);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 2);
	/* freed at exit; the cache works again afterwards */
	vgpu_kernels_cleanup();
	run_ok(&c, ptr, RUN_SERIAL);
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 4);
	free(buf);
}
END_TEST

/*
 * The cache is bounded: many shapes evict the least recently used, and
 * plans acquired by running tiles are never evicted; when every slot is
 * held, a plan is made for the caller alone and destroyed on release.
 */
START_TEST(plan_cache_bounded)
{
	enum { MANY = 40 };
	fftwf_complex *a = fftwf_alloc_complex(MANY + 1);
	ck_assert_ptr_nonnull(a);
	memset(a, 0, sizeof(fftwf_complex) * (MANY + 1));
	fftwf_plan held[MANY];
	uint64_t made = vgpu_fft_plans_made();
	for (int i = 0; i < MANY; i++) {
		struct vgpu_fft_key k =
		    vgpu_fft_key_for(1, i + 1, FFTW_FORWARD, a, a);
		held[i] = vgpu_fft_plan_acquire(&k, a, a);
		ck_assert_ptr_nonnull(held[i]);
	}
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + MANY);
	/* every one is a working plan, cached or not */
	for (int i = 0; i < MANY; i++) {
		a[0][0] = 1, a[0][1] = 0;
		for (int j = 1; j <= i; j++)
			a[j][0] = a[j][1] = 0;
		fftwf_execute_dft(held[i], a, a); /* impulse: all ones */
		for (int j = 0; j <= i; j++)
			ck_assert(a[j][0] == 1.0f && a[j][1] == 0.0f);
	}
	for (int i = 0; i < MANY; i++)
		vgpu_fft_plan_release(held[i]);
	/* the first ones stayed cached (held when the rest came) */
	struct vgpu_fft_key k0 = vgpu_fft_key_for(1, 1, FFTW_FORWARD, a, a);
	made = vgpu_fft_plans_made();
	vgpu_fft_plan_release(vgpu_fft_plan_acquire(&k0, a, a));
	ck_assert_uint_eq(vgpu_fft_plans_made(), made);
	/* now idle, they are evicted by as many new shapes */
	for (int i = 0; i < MANY; i++) {
		struct vgpu_fft_key k =
		    vgpu_fft_key_for(1, 1000 + i, FFTW_FORWARD, a, a);
		vgpu_fft_plan_release(vgpu_fft_plan_acquire(&k, a, a));
	}
	made = vgpu_fft_plans_made();
	vgpu_fft_plan_release(vgpu_fft_plan_acquire(&k0, a, a));
	ck_assert_uint_eq(vgpu_fft_plans_made(), made + 1);
	vgpu_kernels_cleanup();
	fftwf_free(a);
}
END_TEST

/* acquires and releases a plan of length N on A in place; whether made */
static bool plan_made(fftwf_complex *a, int n)
{
	uint64_t made = vgpu_fft_plans_made();
	struct vgpu_fft_key k = vgpu_fft_key_for(1, n, FFTW_FORWARD, a, a);
	fftwf_plan p = vgpu_fft_plan_acquire(&k, a, a);
	ck_assert_ptr_nonnull(p);
	vgpu_fft_plan_release(p);
	return vgpu_fft_plans_made() != made;
}

/* The cache also bounds the sizes of the transforms it keeps together. */
START_TEST(plan_cache_sizes)
{
	fftwf_complex *a = fftwf_alloc_complex(2000);
	ck_assert_ptr_nonnull(a);
	vgpu_fft_plans_set_limit(1000);
	ck_assert(plan_made(a, 600));
	ck_assert(!plan_made(a, 600));
	ck_assert(plan_made(a, 500)); /* 1100 > 1000: evicts 600 */
	ck_assert(!plan_made(a, 500));
	ck_assert(plan_made(a, 600));
	ck_assert(plan_made(a, 300));
	ck_assert(!plan_made(a, 600)); /* 900: both kept */
	ck_assert(!plan_made(a, 300));
	ck_assert(plan_made(a, 2000)); /* too big to keep */
	ck_assert(plan_made(a, 2000));
	ck_assert(!plan_made(a, 600)); /* and evicted nothing */
	vgpu_fft_plans_set_limit(0);
	fftwf_free(a);
}
END_TEST

/*
 * Values the text parser refuses, as a binary command could carry them:
 * validation refuses them, and the kernel too, touching nothing.
 */
START_TEST(bad_commands)
{
	float buf[64], old[64];
	for (size_t i = 0; i < COUNT(buf); i++)
		buf[i] = old[i] = (float)i;
	void *ptr[VGPU_MAX_ARGS] = {[FFT_X] = buf, [FFT_OUT] = buf + 32};
	const struct {
		unsigned arg;
		int64_t v;
	} bad[] = {
	    {FFT_N, 0},
	    {FFT_N, -1},
	    {FFT_N, 1ll << 31},
	    {FFT_ROWS, 0},
	    {FFT_ROWS, 1ll << 31},
	    {FFT_BATCH, -1},
	    {FFT_NORM, -1},
	    {FFT_NORM, VGPU_FFT_NORM_N + 1},
	};
	for (size_t i = 0; i < COUNT(bad); i++) {
		struct vgpu_cmd c =
		    fft_cmd(&(struct fcase){1, 4, 1, 0, 0, false, 0, 0});
		c.val[bad[i].arg].i = bad[i].v;
		struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {
		    [FFT_X] = {1, sizeof(buf)}, [FFT_OUT] = {2, sizeof(buf)}};
		ck_assert_int_eq(
		    vgpu_cmd_validate(&c, info, line_msg, sizeof(line_msg)),
		    -ERANGE);
		for (int mode = 0; mode < RUN_MODES; mode++)
			ck_assert_int_eq(run(&c, ptr, (enum mode)mode),
					 -EINVAL);
	}
	/* floats out of their alignment */
	struct vgpu_cmd c =
	    fft_cmd(&(struct fcase){1, 4, 1, 0, 0, false, 0, 0});
	ptr[FFT_X] = (char *)buf + 2;
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	ptr[FFT_X] = buf;
	ptr[FFT_OUT] = (char *)(buf + 32) + 1;
	ck_assert_int_eq(run(&c, ptr, RUN_THREADS), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

START_TEST(text_lines)
{
	expect_valid("fft x=a out=b n=1000", 8000, false);
	ck_assert_int_eq(line_cmd.spec->id, VGPU_K_FFT);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_ROWS), 1);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_BATCH), 1);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_INVERSE), 0);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_NORM), VGPU_FFT_NORM_NONE);
	expect_invalid("fft x=a out=b n=1000", 7999, false, -EINVAL,
		       "fft: buffer 'x' holds 7999 bytes, needs 8000 (n*8)");
	expect_invalid("fft x=a out=b n=1000 batch=3", 8000, false, -EINVAL,
		       "needs 24000 (batch*n*8)");
	expect_invalid("fft x=a out=b+8 n=5 rows=3 batch=2", 240, false,
		       -EINVAL,
		       "fft: buffer 'out' holds 240 bytes, needs 240 "
		       "(batch*rows*n*8) from offset 8");
	expect_invalid("fft x=a out=b n=5 rows=3", 100, false, -EINVAL,
		       "needs 120 (rows*n*8)");
	expect_valid("fft x=a out=b n=5 rows=3 batch=2 inverse=1 norm=n", 240,
		     false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_NORM), VGPU_FFT_NORM_N);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_INVERSE), 1);
	expect_valid("fft x=a out=b n=7 norm=ortho", 56, false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_NORM), VGPU_FFT_NORM_ORTHO);
	expect_valid("fft x=a out=b n=7 norm=none", 56, false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, FFT_NORM), VGPU_FFT_NORM_NONE);
	expect_valid("fft x=a out=b n=1M batch=0", 0, false);
	/* ranges */
	expect_parse_error("fft x=a out=b n=0", -ERANGE,
			   "fft: n=0 is out of range [1, 2147483647]");
	expect_parse_error("fft x=a out=b n=2G", -ERANGE, "out of range");
	expect_parse_error("fft x=a out=b n=8 rows=0", -ERANGE,
			   "rows=0 is out of range");
	expect_parse_error("fft x=a out=b n=8 batch=-1", -ERANGE,
			   "batch=-1 is out of range");
	expect_parse_error("fft x=a out=b n=8 inverse=2", -ERANGE,
			   "out of range");
	expect_parse_error("fft x=a out=b n=8 norm=backward", -EINVAL,
			   "fft: norm='backward' is not one of none, ortho, n");
	expect_parse_error("fft x=a out=b n=8 norm=N", -EINVAL,
			   "is not one of");
	expect_parse_error("fft x=a out=b n=8 norm=", -EINVAL, "has no value");
	expect_parse_error("fft x=a out=b n=8 dtype=f64", -EINVAL,
			   "fft: unknown argument 'dtype'");
	expect_parse_error("fft x=a n=8", -EINVAL, "missing argument 'out'");
	expect_parse_error("fft x=a out=b", -EINVAL, "missing argument 'n'");
	/* sizes past 64 bits */
	expect_invalid("fft x=a out=b n=2147483647 rows=2147483647 batch=4G",
		       1 << 20, false, -EOVERFLOW,
		       "fft: batch*rows*n*8 overflows");
	expect_invalid("fft x=a out=b n=2147483647 rows=2147483647 batch=1",
		       1 << 20, false, -EOVERFLOW, "overflows");
	expect_invalid("fft x=a out=b n=2147483647 rows=1000 batch=1000",
		       1 << 20, false, -EINVAL, "needs 17179869176000000 (");
}
END_TEST

START_TEST(text_lines_alias_align)
{
	/* in place is the very same range; no partial overlap */
	expect_valid("fft x=X out=X n=100", 800, true);
	expect_valid("fft x=X+800 out=X n=100", 1600, true);
	expect_invalid("fft x=X out=X+8 n=100", 1 << 20, true, -EINVAL,
		       "fft: 'out' overlaps 'x' in the same buffer");
	expect_invalid("fft x=X+8 out=X n=100 batch=2", 1 << 20, true, -EINVAL,
		       "overlaps");
	/* offsets keep the f32 parts aligned */
	expect_valid("fft x=a+4 out=b+12 n=10", 1 << 20, false);
	expect_invalid(
	    "fft x=a+2 out=b n=10", 1 << 20, false, -EINVAL,
	    "fft: 'x' offset 2 is not a multiple of 4 (the size of f32)");
	expect_invalid("fft x=a out=b+4097 n=10", 1 << 20, false, -EINVAL,
		       "fft: 'out' offset 4097 is not a multiple of 4");
}
END_TEST

START_TEST(catalog)
{
	const struct vgpu_kernel_spec *k = vgpu_catalog_find("fft", 3);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_eq(vgpu_catalog_by_id(VGPU_K_FFT), k);
	char buf[4096];
	int n = vgpu_catalog_describe(k, buf, sizeof(buf));
	ck_assert_int_lt(n, (int)sizeof(buf));
	ck_assert_msg(strstr(buf, "  norm    none|ortho|n "), "%s", buf);
	ck_assert(strstr(buf, "  inverse 0 or 1 "));
	ck_assert(strstr(buf, "complex f32"));
	ck_assert(!strstr(buf, "dtypes:")); /* there is no dtype= */
	ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s", line_msg);
}
END_TEST

static void free_plans(void)
{
	vgpu_kernels_cleanup(); /* no leaks for the sanitizer to report */
}

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("fft");
	tcase_set_timeout(tc, 300); /* sanitizers are slow */
	tcase_add_checked_fixture(tc, NULL, free_plans);
	tcase_add_loop_test(tc, transforms, 0, COUNT(cases));
	tcase_add_test(tc, alignments);
	tcase_add_test(tc, nan_stays_in_its_item);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, tiles);
	tcase_add_test(tc, plan_cache);
	tcase_add_test(tc, plan_cache_bounded);
	tcase_add_test(tc, plan_cache_sizes);
	tcase_add_test(tc, bad_commands);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, text_lines_alias_align);
	tcase_add_test(tc, catalog);
	return run_tcase("fft", tc);
}
