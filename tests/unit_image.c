/*
 * gaussian_blur, sobel and resize against direct references in double
 * (a full 2-D sum for the separable blur), run three ways (serial, tiles
 * in reverse order, tiles on several threads), u8 and f32, 1 to 4
 * channels, on shapes from 1x1 up, odd sizes, radii larger than the
 * image, images wider than one column chunk of the blur, resizes to and
 * from 1x1, up and down. u8 results must be the reference rounded to
 * nearest (within float rounding of the sums). Images sit inside larger
 * arrays whose other bytes must come out unchanged. Also OpenCV's own
 * values for resize, plans, and bad arguments through the parser, the
 * validator and the kernels.
 */
#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "kernel_check.h"

struct img {
	size_t h, w, c;
};

/* Channel CH of pixel (y, x), clamped to the image: edges replicate. */
static double px(const struct img *s, const struct arr *a, long y, long x,
		 size_t ch)
{
	size_t yy = y < 0 ? 0 : (size_t)y >= s->h ? s->h - 1 : (size_t)y;
	size_t xx = x < 0 ? 0 : (size_t)x >= s->w ? s->w - 1 : (size_t)x;
	return get(a->p, a->dt, (yy * s->w + xx) * s->c + ch);
}

static struct vgpu_cmd image_cmd(unsigned id, const struct img *s, int dt)
{
	struct vgpu_cmd c = mkcmd(id);
	c.val[IMG_H].i = (int64_t)s->h;
	c.val[IMG_W].i = (int64_t)s->w;
	c.val[IMG_C].i = (int64_t)s->c;
	c.val[IMG_DTYPE].i = dt;
	return c;
}

/*
 * An output element against its reference: f32 within TOL, u8 the
 * reference rounded to nearest, within TOL of the tie.
 */
static void expect_pixel(const struct vgpu_cmd *c, const struct img *s, int dt,
			 enum mode mode, size_t at, double got, double want,
			 double tol)
{
	bool ok = dt == VGPU_U8 ? fabs(got - fmin(255, want)) <= 0.5 + tol
				: close_to(got, want, tol);
	EXPECT(ok,
	       "%s %s %zux%zux%zu (%s): out[%zu] = %.9g, want %.9g (tol "
	       "%.3g)",
	       c->spec->name, dtname(dt), s->h, s->w, s->c, mode_name[mode], at,
	       got, want, tol);
}

/* The input array and the output array of N elements, filled randomly. */
static void image_arrays(struct arr *x, struct arr *o, int dt, size_t nx,
			 size_t nout)
{
	arr_init(x, dt, 3, nx, 1.0);
	arr_init(o, dt, 1, nout, 1.0);
	arr_snap(x);
	arr_snap(o);
}

static void image_done(const struct vgpu_cmd *c, struct arr *x, struct arr *o,
		       size_t nout)
{
	EXPECT(arr_outside_same(o, nout), "%s: wrote outside out",
	       c->spec->name);
	EXPECT(arr_same(x), "%s changed x", c->spec->name);
	arr_free(x);
	arr_free(o);
}

/* gaussian_blur */

static void check_blur(const struct img *s, double sigma, int dt,
		       enum mode mode)
{
	size_t n = s->h * s->w * s->c;
	struct arr x, o;
	image_arrays(&x, &o, dt, n, n);
	struct vgpu_cmd c = image_cmd(VGPU_K_GAUSSIAN_BLUR, s, dt);
	c.val[BLUR_SIGMA].f = sigma;
	void *ptr[VGPU_MAX_ARGS] = {[IMG_X] = x.p, [IMG_OUT] = o.p};
	run_ok(&c, ptr, mode);
	long r = (long)ceil(3 * sigma);
	double *wt = malloc(sizeof(double) * (size_t)(2 * r + 1)), sum = 0;
	for (long i = -r; i <= r; i++)
		sum += wt[i + r] = exp(-(double)(i * i) / (2 * sigma * sigma));
	double scale = dt == VGPU_U8 ? 255 : 1;
	double tol = 8.0 * (double)(2 * r + 1) * FLT_EPSILON * scale;
	for (size_t y = 0; y < s->h; y++)
		for (size_t xx = 0; xx < s->w; xx++)
			for (size_t ch = 0; ch < s->c; ch++) {
				double want = 0;
				for (long i = -r; i <= r; i++)
					for (long j = -r; j <= r; j++)
						want += wt[i + r] * wt[j + r] *
							px(s, &x, (long)y + i,
							   (long)xx + j, ch);
				want /= sum * sum;
				size_t at = (y * s->w + xx) * s->c + ch;
				expect_pixel(&c, s, dt, mode, at,
					     get(o.p, dt, at), want, tol);
			}
	free(wt);
	image_done(&c, &x, &o, n);
}

START_TEST(blur)
{
	static const struct {
		struct img s;
		double sigma;
	} cases[] = {
	    {{1, 1, 1}, 1.0},	  {{1, 1, 4}, 0.2},	{{1, 7, 3}, 0.5},
	    {{5, 1, 2}, 2.0},	  {{13, 17, 4}, 1.3},	{{3, 5, 1}, 2.5},
	    {{9, 8, 3}, 0.01},	  {{300, 410, 3}, 1.0}, /* several tiles */
	    {{3, 20001, 1}, 0.7},			/* two column chunks */
	    {{2, 16390, 2}, 3.0}, /* a chunk narrower than r */
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			check_blur(&cases[i].s, cases[i].sigma, VGPU_U8, mode);
			check_blur(&cases[i].s, cases[i].sigma, VGPU_F32, mode);
		}
}
END_TEST

/* sobel */

static void check_sobel(const struct img *s, int dt, enum mode mode)
{
	size_t n = s->h * s->w * s->c;
	struct arr x, o;
	image_arrays(&x, &o, dt, n, n);
	struct vgpu_cmd c = image_cmd(VGPU_K_SOBEL, s, dt);
	void *ptr[VGPU_MAX_ARGS] = {[IMG_X] = x.p, [IMG_OUT] = o.p};
	run_ok(&c, ptr, mode);
	static const int kx[3][3] = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
	for (size_t y = 0; y < s->h; y++)
		for (size_t xx = 0; xx < s->w; xx++)
			for (size_t ch = 0; ch < s->c; ch++) {
				double gx = 0, gy = 0, mag = 0;
				for (int i = 0; i < 3; i++)
					for (int j = 0; j < 3; j++) {
						double v =
						    px(s, &x, (long)y + i - 1,
						       (long)xx + j - 1, ch);
						gx += kx[i][j] * v;
						gy += kx[j][i] * v;
						mag += 2 * fabs(v);
					}
				double want = sqrt(gx * gx + gy * gy);
				size_t at = (y * s->w + xx) * s->c + ch;
				/* u8 gradients are exact: no tolerance */
				expect_pixel(
				    &c, s, dt, mode, at, get(o.p, dt, at), want,
				    dt == VGPU_U8 ? 0 : 8 * FLT_EPSILON * mag);
			}
	image_done(&c, &x, &o, n);
}

START_TEST(sobel)
{
	static const struct img cases[] = {
	    {1, 1, 1}, {1, 5, 2},   {6, 1, 3},	   {2, 2, 4},
	    {7, 9, 4}, {31, 17, 1}, {400, 500, 4}, /* several tiles */
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			check_sobel(&cases[i], VGPU_U8, mode);
			check_sobel(&cases[i], VGPU_F32, mode);
		}
}
END_TEST

/* A step edge of 0 | 255: the gradient (1020) saturates at 255. */
START_TEST(sobel_saturates)
{
	uint8_t in[4 * 4], out[4 * 4];
	for (int i = 0; i < 16; i++)
		in[i] = i % 4 < 2 ? 0 : 255;
	struct img s = {4, 4, 1};
	struct vgpu_cmd c = image_cmd(VGPU_K_SOBEL, &s, VGPU_U8);
	void *ptr[VGPU_MAX_ARGS] = {[IMG_X] = in, [IMG_OUT] = out};
	run_ok(&c, ptr, RUN_SERIAL);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], i % 4 == 1 || i % 4 == 2 ? 255 : 0);
	/* a ramp of 3 a column: gx = 4 * (right - left), halved at edges */
	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(3 * (i % 4));
	run_ok(&c, ptr, RUN_SERIAL);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], i % 4 == 0 || i % 4 == 3 ? 12 : 24);
}
END_TEST

/* resize */

/* OpenCV's INTER_LINEAR source position of output I: index and weight. */
static void src_pos(size_t i, size_t out, size_t in, size_t *i0, double *f)
{
	double s = ((double)i + 0.5) * (double)in / (double)out - 0.5;
	double fl = floor(s);
	*f = s - fl;
	if (fl < 0) {
		fl = 0;
		*f = 0;
	}
	if (fl >= (double)in - 1) {
		fl = (double)in - 1;
		*f = 0;
	}
	*i0 = (size_t)fl;
}

static void check_resize(const struct img *s, size_t oh, size_t ow, int dt,
			 enum mode mode)
{
	size_t n = s->h * s->w * s->c, nout = oh * ow * s->c;
	struct arr x, o;
	image_arrays(&x, &o, dt, n, nout);
	struct vgpu_cmd c = image_cmd(VGPU_K_RESIZE, s, dt);
	c.val[RESIZE_OUT_H].i = (int64_t)oh;
	c.val[RESIZE_OUT_W].i = (int64_t)ow;
	void *ptr[VGPU_MAX_ARGS] = {[IMG_X] = x.p, [IMG_OUT] = o.p};
	run_ok(&c, ptr, mode);
	double tol = 8 * FLT_EPSILON * (dt == VGPU_U8 ? 255 : 1);
	for (size_t y = 0; y < oh; y++)
		for (size_t xx = 0; xx < ow; xx++) {
			size_t y0, x0;
			double fy, fx;
			src_pos(y, oh, s->h, &y0, &fy);
			src_pos(xx, ow, s->w, &x0, &fx);
			for (size_t ch = 0; ch < s->c; ch++) {
				long a = (long)y0, b = (long)x0;
				double want =
				    (1 - fy) * ((1 - fx) * px(s, &x, a, b, ch) +
						fx * px(s, &x, a, b + 1, ch)) +
				    fy * ((1 - fx) * px(s, &x, a + 1, b, ch) +
					  fx * px(s, &x, a + 1, b + 1, ch));
				size_t at = (y * ow + xx) * s->c + ch;
				expect_pixel(&c, s, dt, mode, at,
					     get(o.p, dt, at), want, tol);
			}
		}
	image_done(&c, &x, &o, nout);
}

START_TEST(resize)
{
	static const struct {
		struct img s;
		size_t oh, ow;
	} cases[] = {
	    {{1, 1, 1}, 1, 1},		{{1, 1, 3}, 5, 7},    /* from 1x1 */
	    {{5, 7, 2}, 1, 1},		{{6, 4, 4}, 1, 1},    /* to 1x1 */
	    {{4, 4, 1}, 8, 8},		{{8, 8, 3}, 4, 4},    /* 2x up, down */
	    {{7, 3, 2}, 3, 7},		{{13, 17, 4}, 29, 5}, /* odd ratios */
	    {{1, 9, 1}, 4, 20},		{{10, 1, 3}, 33, 2},  /* thin */
	    {{9, 9, 1}, 9, 9},		{{100, 3, 1}, 7, 3},  /* same, 1 axis */
	    {{300, 200, 3}, 1000, 999}, /* several tiles */
	};
	for (size_t i = 0; i < COUNT(cases); i++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			check_resize(&cases[i].s, cases[i].oh, cases[i].ow,
				     VGPU_U8, mode);
			check_resize(&cases[i].s, cases[i].oh, cases[i].ow,
				     VGPU_F32, mode);
		}
}
END_TEST

/* resize of the S image IN to OH x OW into OUT, serially. */
static void resize_to(const struct img *s, int dt, void *in, size_t oh,
		      size_t ow, void *out)
{
	struct vgpu_cmd c = image_cmd(VGPU_K_RESIZE, s, dt);
	c.val[RESIZE_OUT_H].i = (int64_t)oh;
	c.val[RESIZE_OUT_W].i = (int64_t)ow;
	void *ptr[VGPU_MAX_ARGS] = {[IMG_X] = in, [IMG_OUT] = out};
	run_ok(&c, ptr, RUN_SERIAL);
}

/* What cv2.resize(..., interpolation=cv2.INTER_LINEAR) gives. */
START_TEST(resize_opencv_values)
{
	uint8_t up_in[2] = {0, 100}, up_out[4], down_in[4] = {0, 10, 20, 30},
		down_out[2];
	resize_to(&(struct img){1, 2, 1}, VGPU_U8, up_in, 1, 4, up_out);
	ck_assert(memcmp(up_out, (uint8_t[]){0, 25, 75, 100}, 4) == 0);
	resize_to(&(struct img){1, 4, 1}, VGPU_U8, down_in, 1, 2, down_out);
	ck_assert(memcmp(down_out, (uint8_t[]){5, 25}, 2) == 0);
	/* 2x2 to 3x3: columns 0, halfway, 1 (the edge clamps); rows alike */
	float sq[4] = {0, 1, 2, 3}, big[9];
	resize_to(&(struct img){2, 2, 1}, VGPU_F32, sq, 3, 3, big);
	const float want[9] = {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
	for (int i = 0; i < 9; i++)
		ck_assert_msg(fabsf(big[i] - want[i]) < 1e-6f, "%d: %g vs %g",
			      i, big[i], want[i]);
}
END_TEST

/* The blur's scratch stays a slot a worker, whatever the image and r. */
START_TEST(plans)
{
	void *ptr[VGPU_MAX_ARGS] = {0};
	struct img wide = {10, 100000, 3};
	struct vgpu_cmd c = image_cmd(VGPU_K_GAUSSIAN_BLUR, &wide, VGPU_F32);
	c.val[BLUR_SIGMA].f = 1000;
	for (unsigned workers = 1; workers <= 16; workers *= 2) {
		struct vgpu_launch l = {.cmd = &c};
		memcpy(l.ptr, ptr, sizeof(l.ptr));
		size_t scratch = 0;
		uint32_t nt = vgpu_kernel_impl(VGPU_K_GAUSSIAN_BLUR)
				  ->plan(&l, workers, &scratch);
		ck_assert_uint_ge(nt, 7); /* a tile a column chunk at least */
		ck_assert_uint_le(scratch, workers * (512u << 10));
		ck_assert_uint_gt(scratch, 0);
	}
	/* a 1080p RGB image: many tiles */
	struct img hd = {1080, 1920, 3};
	c = image_cmd(VGPU_K_SOBEL, &hd, VGPU_U8);
	ck_assert_uint_ge(ntiles_for(&c, ptr, 4), 8);
	c = image_cmd(VGPU_K_GAUSSIAN_BLUR, &hd, VGPU_U8);
	c.val[BLUR_SIGMA].f = 2;
	ck_assert_uint_ge(ntiles_for(&c, ptr, 4), 8);
	c = image_cmd(VGPU_K_RESIZE, &hd, VGPU_U8);
	c.val[RESIZE_OUT_H].i = 2160;
	c.val[RESIZE_OUT_W].i = 3840;
	ck_assert_uint_ge(ntiles_for(&c, ptr, 4), 8);
	/* more tiles at once than workers: tiles without a slot allocate */
	uint8_t *in = calloc(300 * 410 * 3, 1), *o1 = malloc(300 * 410 * 3),
		*o2 = malloc(300 * 410 * 3);
	for (size_t i = 0; i < 300 * 410 * 3; i++)
		in[i] = (uint8_t)rnd();
	struct img s = {300, 410, 3};
	c = image_cmd(VGPU_K_GAUSSIAN_BLUR, &s, VGPU_U8);
	c.val[BLUR_SIGMA].f = 3;
	void *p[VGPU_MAX_ARGS] = {[IMG_X] = in, [IMG_OUT] = o1};
	ck_assert_uint_ge(ntiles_for(&c, p, 1), 3);
	ck_assert_int_eq(run_on(&c, p, 1, 0), 0);
	p[IMG_OUT] = o2;
	ck_assert_int_eq(run_on(&c, p, 1, 6), 0);
	ck_assert(memcmp(o1, o2, 300 * 410 * 3) == 0);
	free(in);
	free(o1);
	free(o2);
}
END_TEST

START_TEST(text_lines)
{
	/* extents */
	expect_valid("gaussian_blur x=x out=o h=10 w=10 sigma=1 dtype=u8", 100,
		     false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, IMG_C), 1);
	expect_invalid("gaussian_blur x=x out=o h=10 w=10 sigma=1 dtype=u8", 99,
		       false, -EINVAL,
		       "gaussian_blur: buffer 'x' holds 99 bytes, needs 100 "
		       "(h*w*c*1)");
	expect_invalid("sobel x=x out=o h=10 w=10 c=3", 1199, false, -EINVAL,
		       "sobel: buffer 'x' holds 1199 bytes, needs 1200 "
		       "(h*w*c*4)");
	expect_valid("sobel x=x out=o h=10 w=10 c=3", 1200, false);
	expect_valid("resize x=x out=o h=2 w=3 c=4 out_h=5 out_w=6", 480,
		     false);
	expect_invalid("resize x=x out=o h=2 w=3 c=4 out_h=5 out_w=6", 479,
		       false, -EINVAL,
		       "resize: buffer 'out' holds 479 bytes, needs 480 "
		       "(out_h*out_w*c*4)");
	expect_invalid("resize x=x out=o h=2147483647 w=2147483647 c=4 "
		       "out_h=1 out_w=1",
		       UINT64_MAX, false, -EOVERFLOW,
		       "resize: h*w*c overflows a 64-bit size");
	/* ranges */
	expect_invalid("gaussian_blur x=x out=o h=1 w=1 sigma=0", 64, false,
		       -ERANGE,
		       "gaussian_blur: sigma=0 is out of range (0, 1000]");
	expect_invalid("gaussian_blur x=x out=o h=1 w=1 sigma=-2", 64, false,
		       -ERANGE, "sigma=-2 is out of range");
	expect_invalid("gaussian_blur x=x out=o h=1 w=1 sigma=1000.5", 64,
		       false, -ERANGE, "out of range (0, 1000]");
	expect_valid("gaussian_blur x=x out=o h=1 w=1 sigma=1000", 64, false);
	expect_parse_error("gaussian_blur x=x out=o h=1 w=1", -EINVAL,
			   "gaussian_blur: missing argument 'sigma'");
	expect_parse_error("sobel x=x out=o h=1 w=1 c=5", -ERANGE,
			   "sobel: c=5 is out of range [1, 4]");
	expect_parse_error("sobel x=x out=o h=1 w=1 c=0", -ERANGE,
			   "out of range");
	expect_parse_error("sobel x=x out=o h=0 w=1", -ERANGE,
			   "sobel: h=0 is out of range");
	expect_parse_error("resize x=x out=o h=1 w=1 out_h=1", -EINVAL,
			   "resize: missing argument 'out_w'");
	expect_parse_error("resize x=x out=o h=1 w=1 out_h=1 out_w=0", -ERANGE,
			   "resize: out_w=0 is out of range");
	expect_parse_error("sobel x=x out=o h=1 w=1 sigma=2", -EINVAL,
			   "sobel: unknown argument 'sigma'");
	/* dtypes */
	expect_invalid("sobel x=x out=o h=1 w=1 dtype=f64", 64, false, -EINVAL,
		       "sobel: dtype=f64 is not supported (f32, u8)");
	expect_invalid("resize x=x out=o h=1 w=1 out_h=1 out_w=1 dtype=i32", 64,
		       false, -EINVAL, "dtype=i32 is not supported");
	/* out overlaps nothing, not even the very same range */
	expect_invalid("gaussian_blur x=X out=X h=4 w=4 sigma=1", 1 << 20, true,
		       -EINVAL, "gaussian_blur: 'out' overlaps 'x'");
	expect_invalid("sobel x=X out=X+15 h=4 w=4 dtype=u8", 1 << 20, true,
		       -EINVAL, "sobel: 'out' overlaps 'x'");
	expect_valid("sobel x=X out=X+16 h=4 w=4 dtype=u8", 1 << 20, true);
	expect_invalid("resize x=X+8 out=X h=2 w=2 out_h=3 out_w=3", 1 << 20,
		       true, -EINVAL, "resize: 'out' overlaps 'x'");
}
END_TEST

/* What validation refuses is -EINVAL at run time too, writing nothing. */
START_TEST(bad_arguments)
{
	float buf[64] = {0}, old[64];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 32};
	const unsigned ids[] = {VGPU_K_GAUSSIAN_BLUR, VGPU_K_SOBEL,
				VGPU_K_RESIZE};
	struct img ok = {2, 2, 1};
	for (size_t k = 0; k < COUNT(ids); k++)
		for (int bad = 0; bad < 5; bad++) {
			struct vgpu_cmd c = image_cmd(ids[k], &ok, VGPU_F32);
			if (ids[k] == VGPU_K_GAUSSIAN_BLUR)
				c.val[BLUR_SIGMA].f = 1;
			if (ids[k] == VGPU_K_RESIZE)
				c.val[RESIZE_OUT_H].i = c.val[RESIZE_OUT_W].i =
				    2;
			switch (bad) {
			case 0:
				c.val[IMG_C].i = 5;
				break;
			case 1:
				c.val[IMG_H].i = 0;
				break;
			case 2:
				c.val[IMG_DTYPE].i = VGPU_F64;
				break;
			case 3:
				c.val[IMG_W].i = (int64_t)1 << 40;
				break;
			default:
				if (ids[k] == VGPU_K_SOBEL)
					continue;
				if (ids[k] == VGPU_K_RESIZE)
					c.val[RESIZE_OUT_W].i = 0;
				else
					c.val[BLUR_SIGMA].f = 0;
			}
			for (int mode = 0; mode < RUN_MODES; mode++)
				ck_assert_int_eq(run(&c, ptr, mode), -EINVAL);
		}
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {"gaussian_blur", "sobel", "resize"};
	check_catalog(names, COUNT(names), VGPU_K_GAUSSIAN_BLUR, "f32, u8");
}
END_TEST

int main(void)
{
	vgpu_kernels_init();
	TCase *tc = tcase_create("image");
	tcase_set_timeout(tc, 600); /* sanitizers are slow */
	tcase_add_test(tc, blur);
	tcase_add_test(tc, sobel);
	tcase_add_test(tc, sobel_saturates);
	tcase_add_test(tc, resize);
	tcase_add_test(tc, resize_opencv_values);
	tcase_add_test(tc, plans);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, catalog);
	return run_tcase("image", tc);
}
