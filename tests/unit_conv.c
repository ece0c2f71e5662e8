/*
 * conv2d, maxpool2d and avgpool2d against direct loops (no im2col), run
 * three ways (serial, tiles in reverse order, tiles on several threads),
 * f32 and f64, on chosen and random shapes: 1x1 filters (the direct gemm
 * path), strides, dilations, groups and depthwise, odd sizes, n = 0 and 1,
 * padding beyond half the filter, filters as large as the padded input,
 * bias or none, reductions too deep for one im2col panel, output channels
 * split across tiles. Operands sit inside larger arrays whose other bytes
 * must come out unchanged. Also plans (tiles and scratch of a ResNet
 * layer), more threads than the plan's workers, and bad arguments through
 * the parser, the validator and the kernels themselves.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/validate.h>

#include "kernel_check.h"

struct shape {
	size_t n, c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

static size_t out_size(size_t in, size_t win, size_t stride, size_t pad,
		       size_t dil)
{
	return (in + 2 * pad - dil * (win - 1) - 1) / stride + 1;
}

/* Input element (n, ch, iy, ix), or nothing when outside: the padding. */
static bool input_at(const struct shape *s, const struct arr *x, size_t n,
		     size_t ch, long iy, long ix, double *v)
{
	if (iy < 0 || ix < 0 || iy >= (long)s->h || ix >= (long)s->w)
		return false;
	*v = get(x->p, x->dt,
		 ((n * s->c + ch) * s->h + (size_t)iy) * s->w + (size_t)ix);
	return true;
}

/* conv2d */

static struct vgpu_cmd conv_cmd(const struct shape *s, int dt, bool bias)
{
	struct vgpu_cmd c = mkcmd(VGPU_K_CONV2D);
	const size_t v[] = {
	    [CONV_N] = s->n,	       [CONV_C] = s->c,
	    [CONV_H] = s->h,	       [CONV_W] = s->w,
	    [CONV_K] = s->k,	       [CONV_KH] = s->kh,
	    [CONV_KW] = s->kw,	       [CONV_STRIDE_H] = s->sh,
	    [CONV_STRIDE_W] = s->sw,   [CONV_PAD_H] = s->ph,
	    [CONV_PAD_W] = s->pw,      [CONV_DILATION_H] = s->dh,
	    [CONV_DILATION_W] = s->dw, [CONV_GROUPS] = s->groups,
	};
	for (unsigned i = CONV_N; i <= CONV_GROUPS; i++)
		c.val[i].i = (int64_t)v[i];
	c.val[CONV_DTYPE].i = dt;
	if (bias)
		c.given |= 1u << CONV_BIAS;
	return c;
}

/*
 * Output (n, k, i, j) by the definition, in double; *MAG is the sum of the
 * terms' magnitudes, for the rounding tolerance.
 */
static double ref_conv(const struct shape *s, const struct arr *x,
		       const struct arr *w, const struct arr *b, size_t n,
		       size_t k, size_t i, size_t j, double *mag)
{
	size_t cg = s->c / s->groups, g = k / (s->k / s->groups);
	double sum = b ? get(b->p, b->dt, k) : 0;
	*mag = fabs(sum);
	for (size_t ci = 0; ci < cg; ci++)
		for (size_t u = 0; u < s->kh; u++)
			for (size_t v = 0; v < s->kw; v++) {
				long iy =
				    (long)(i * s->sh + u * s->dh) - (long)s->ph;
				long ix =
				    (long)(j * s->sw + v * s->dw) - (long)s->pw;
				double xv;
				if (!input_at(s, x, n, g * cg + ci, iy, ix,
					      &xv))
					continue;
				double t =
				    xv *
				    get(w->p, w->dt,
					((k * cg + ci) * s->kh + u) * s->kw +
					    v);
				sum += t;
				*mag += fabs(t);
			}
	return sum;
}

static void check_conv(const struct shape *s, int dt, bool bias, enum mode mode)
{
	size_t p = out_size(s->h, s->kh, s->sh, s->ph, s->dh),
	       q = out_size(s->w, s->kw, s->sw, s->pw, s->dw);
	size_t cg = s->c / s->groups;
	size_t nx = s->n * s->c * s->h * s->w, nw = s->k * cg * s->kh * s->kw,
	       nout = s->n * s->k * p * q;
	struct arr x, w, b, o;
	arr_init(&x, dt, 1, nx, 1.0);
	arr_init(&w, dt, 3, nw, 1.0);
	arr_init(&b, dt, 2, bias ? s->k : 0, 1.0);
	arr_init(&o, dt, 5, nout, 1.0);
	arr_snap(&x);
	arr_snap(&w);
	arr_snap(&b);
	arr_snap(&o);
	struct vgpu_cmd c = conv_cmd(s, dt, bias);
	void *ptr[VGPU_MAX_ARGS] = {[CONV_X] = x.p,
				    [CONV_WEIGHT] = w.p,
				    [CONV_BIAS] = bias ? b.p : x.p,
				    [CONV_OUT] = o.p};
	run_ok(&c, ptr, mode);
	for (size_t n = 0; n < s->n; n++)
		for (size_t k = 0; k < s->k; k++)
			for (size_t i = 0; i < p * q; i++) {
				double mag,
				    want = ref_conv(s, &x, &w, bias ? &b : NULL,
						    n, k, i / q, i % q, &mag);
				size_t at = (n * s->k + k) * p * q + i;
				double got = get(o.p, dt, at);
				double tol = (double)(cg * s->kh * s->kw + 2) *
					     eps(dt) * mag;
				EXPECT(
				    close_to(got, want, tol),
				    "conv2d %s n=%zu c=%zu h=%zu w=%zu k=%zu "
				    "kh=%zu kw=%zu stride %zu,%zu pad "
				    "%zu,%zu dilation %zu,%zu groups=%zu "
				    "bias=%d (%s): out[%zu] = %.17g, want "
				    "%.17g",
				    dtname(dt), s->n, s->c, s->h, s->w, s->k,
				    s->kh, s->kw, s->sh, s->sw, s->ph, s->pw,
				    s->dh, s->dw, s->groups, bias,
				    mode_name[mode], at, got, want);
			}
	EXPECT(arr_outside_same(&o, nout), "conv2d: wrote outside out");
	EXPECT(arr_same(&x) && arr_same(&w) && arr_same(&b),
	       "conv2d changed an input");
	arr_free(&x);
	arr_free(&w);
	arr_free(&b);
	arr_free(&o);
}

static const struct shape conv_shapes[] = {
    /* n  c   h   w   k  kh kw sh sw ph pw dh dw groups */
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},	   /* all 1 */
    {0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},	   /* no images */
    {2, 6, 7, 9, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1},	   /* 1x1: direct gemm */
    {2, 6, 7, 9, 4, 1, 1, 1, 1, 0, 0, 3, 2, 2},	   /* 1x1 groups, dil */
    {1, 5, 9, 8, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1},	   /* 1x1 stride 2 */
    {1, 4, 6, 6, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1},	   /* 1x1 padded */
    {2, 3, 11, 13, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},  /* 3x3 same */
    {1, 3, 11, 13, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1},  /* stride 2 */
    {1, 2, 12, 10, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1},  /* dilation 2 */
    {2, 4, 9, 7, 6, 3, 2, 2, 3, 1, 0, 2, 1, 2},	   /* mixed, groups 2 */
    {3, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8},	   /* depthwise */
    {1, 4, 8, 9, 12, 3, 3, 2, 1, 1, 1, 1, 1, 4},   /* depthwise x3 */
    {1, 2, 5, 6, 3, 3, 3, 1, 1, 3, 4, 1, 1, 1},	   /* pad > kh/2 */
    {1, 2, 2, 3, 2, 5, 7, 1, 1, 2, 3, 1, 1, 1},	   /* filter = padded */
    {1, 3, 4, 4, 2, 2, 2, 3, 3, 2, 2, 3, 3, 1},	   /* sparse taps */
    {2, 1, 17, 1, 1, 5, 1, 3, 1, 2, 0, 1, 1, 1},   /* one column */
    {1, 3, 1, 23, 2, 1, 4, 1, 2, 0, 1, 1, 1, 1},   /* one row */
    {1, 16, 33, 35, 8, 5, 5, 1, 1, 2, 2, 1, 1, 1}, /* several chunks */
    {3, 64, 8, 8, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1}, /* channel blocks */
    {1, 520, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},  /* deep: row chunks */
    {1, 1200, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2}, /* deep, groups */
};

START_TEST(conv2d_shapes)
{
	const struct shape *s = &conv_shapes[_i];
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (int mode = 0; mode < RUN_MODES; mode++)
			check_conv(s, dt, (mode + _i) % 2, mode);
}
END_TEST

/* A random valid shape: small, any option. */
static struct shape random_shape(void)
{
	struct shape s;
	size_t gopt = irand(0, 2);
	size_t cg = irand(1, 4), kg = irand(1, 4);
	s.groups = gopt == 0 ? 1 : irand(2, 4);
	if (gopt == 2)
		cg = 1; /* depthwise, with a channel multiplier kg */
	s.c = cg * s.groups;
	s.k = kg * s.groups;
	s.n = irand(1, 3);
	s.kh = irand(1, 4);
	s.kw = irand(1, 4);
	s.dh = irand(1, 3);
	s.dw = irand(1, 3);
	s.sh = irand(1, 3);
	s.sw = irand(1, 3);
	s.ph = irand(0, 4);
	s.pw = irand(0, 4);
	/* big enough that the dilated filter fits the padded input */
	size_t spanh = s.dh * (s.kh - 1) + 1, spanw = s.dw * (s.kw - 1) + 1;
	size_t minh = spanh > 2 * s.ph ? spanh - 2 * s.ph : 1;
	size_t minw = spanw > 2 * s.pw ? spanw - 2 * s.pw : 1;
	s.h = irand(minh, minh + 12);
	s.w = irand(minw, minw + 12);
	return s;
}

START_TEST(conv2d_random)
{
	for (int i = 0; i < 60; i++) {
		struct shape s = random_shape();
		int dt = i % 2 ? VGPU_F64 : VGPU_F32;
		check_conv(&s, dt, i % 3 != 0, (enum mode)(i % RUN_MODES));
	}
}
END_TEST

/* ResNet-style layers spread over every worker with bounded scratch. */
START_TEST(conv2d_plans)
{
	void *ptr[VGPU_MAX_ARGS] = {0}; /* plans look at no memory */
	struct shape resnet = {8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	struct shape late = {1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	struct shape pointwise = {8, 256, 14, 14, 64, 1, 1,
				  1, 1,	  0,  0,  1,  1, 1};
	const struct shape *shapes[] = {&resnet, &late, &pointwise};
	for (size_t i = 0; i < COUNT(shapes); i++)
		for (unsigned workers = 1; workers <= 64; workers *= 2) {
			struct vgpu_cmd c = conv_cmd(shapes[i], VGPU_F32, true);
			struct vgpu_launch l = {.cmd = &c};
			memcpy(l.ptr, ptr, sizeof(l.ptr));
			size_t scratch = 0;
			uint32_t nt = vgpu_kernel_impl(VGPU_K_CONV2D)
					  ->plan(&l, workers, &scratch);
			ck_assert_msg(nt >= (workers < 8 ? workers : 8),
				      "shape %zu: %u tiles for %u workers", i,
				      nt, workers);
			/* a slot a worker, at most 1 MiB each */
			ck_assert_msg(scratch <= workers * ((1u << 20) + 64) &&
					  scratch <= (33u << 20),
				      "shape %zu: %zu bytes of scratch for %u "
				      "workers",
				      i, scratch, workers);
			if (shapes[i] == &pointwise)
				ck_assert_uint_eq(scratch, 0); /* no im2col */
			if (shapes[i] == &resnet && workers == 2)
				ck_assert_uint_ge(nt, 32); /* 2-3 ms a tile */
		}
}
END_TEST

/* More tiles at once than plan() was told: tiles without a slot allocate. */
START_TEST(conv2d_more_threads_than_workers)
{
	struct shape s = {4, 32, 24, 24, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1};
	size_t nx = 4 * 32 * 576, nw = 32 * 32 * 9, nout = nx;
	float *x = malloc(nx * 4), *w = malloc(nw * 4);
	float *o1 = malloc(nout * 4), *o2 = malloc(nout * 4);
	for (size_t i = 0; i < nx; i++)
		x[i] = (float)urand();
	for (size_t i = 0; i < nw; i++)
		w[i] = (float)urand();
	struct vgpu_cmd c = conv_cmd(&s, VGPU_F32, false);
	void *ptr[VGPU_MAX_ARGS] = {
	    [CONV_X] = x, [CONV_WEIGHT] = w, [CONV_BIAS] = x, [CONV_OUT] = o1};
	ck_assert_uint_ge(ntiles_for(&c, ptr, 1), 2);
	ck_assert_int_eq(run_on(&c, ptr, 1, 0), 0);
	ptr[CONV_OUT] = o2;
	ck_assert_int_eq(run_on(&c, ptr, 1, 8), 0);
	ck_assert(memcmp(o1, o2, nout * 4) == 0);
	free(x);
	free(w);
	free(o1);
	free(o2);
}
END_TEST

/* pooling */

static struct vgpu_cmd pool_cmd(unsigned id, const struct shape *s, int dt,
				bool count_pad)
{
	struct vgpu_cmd c = mkcmd(id);
	c.val[POOL_N].i = (int64_t)s->n;
	c.val[POOL_C].i = (int64_t)s->c;
	c.val[POOL_H].i = (int64_t)s->h;
	c.val[POOL_W].i = (int64_t)s->w;
	c.val[POOL_KH].i = (int64_t)s->kh;
	c.val[POOL_KW].i = (int64_t)s->kw;
	/* 0: the default, the window size */
	c.val[POOL_STRIDE_H].i = s->sh == s->kh ? 0 : (int64_t)s->sh;
	c.val[POOL_STRIDE_W].i = (int64_t)s->sw;
	c.val[POOL_PAD_H].i = (int64_t)s->ph;
	c.val[POOL_PAD_W].i = (int64_t)s->pw;
	c.val[POOL_DTYPE].i = dt;
	if (id == VGPU_K_AVGPOOL2D)
		c.val[POOL_COUNT_INCLUDE_PAD].i = count_pad;
	return c;
}

static void check_pool(unsigned id, const struct shape *s, int dt,
		       bool count_pad, enum mode mode)
{
	size_t p = out_size(s->h, s->kh, s->sh, s->ph, 1),
	       q = out_size(s->w, s->kw, s->sw, s->pw, 1);
	size_t nx = s->n * s->c * s->h * s->w, nout = s->n * s->c * p * q;
	struct arr x, o;
	arr_init(&x, dt, 2, nx, 10.0);
	arr_init(&o, dt, 3, nout, 1.0);
	if (id == VGPU_K_MAXPOOL2D)
		sprinkle_specials(&x, nx);
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c = pool_cmd(id, s, dt, count_pad);
	void *ptr[VGPU_MAX_ARGS] = {[POOL_X] = x.p, [POOL_OUT] = o.p};
	run_ok(&c, ptr, mode);
	for (size_t pl = 0; pl < s->n * s->c; pl++)
		for (size_t i = 0; i < p; i++)
			for (size_t j = 0; j < q; j++) {
				double acc = id == VGPU_K_MAXPOOL2D ? -INFINITY
								    : 0,
				       mag = 0;
				size_t inside = 0;
				for (size_t u = 0; u < s->kh; u++)
					for (size_t v = 0; v < s->kw; v++) {
						double xv;
						if (!input_at(
							s, &x, 0, pl,
							(long)(i * s->sh + u) -
							    (long)s->ph,
							(long)(j * s->sw + v) -
							    (long)s->pw,
							&xv))
							continue;
						inside++;
						mag += fabs(xv);
						if (id == VGPU_K_AVGPOOL2D)
							acc += xv;
						else if (isnan(xv) ||
							 isnan(acc))
							acc = NAN;
						else if (xv > acc)
							acc = xv;
					}
				ck_assert_uint_ge(inside, 1);
				if (id == VGPU_K_AVGPOOL2D)
					acc /= count_pad
						   ? (double)(s->kh * s->kw)
						   : (double)inside;
				size_t at = (pl * p + i) * q + j;
				double got = get(o.p, dt, at);
				EXPECT(
				    close_to(got, to_dt(acc, dt),
					     4 * eps(dt) * mag),
				    "%s %s n=%zu c=%zu h=%zu w=%zu k=%zux%zu "
				    "stride %zu,%zu pad %zu,%zu incl=%d "
				    "(%s): out[%zu] = %.17g, want %.17g",
				    c.spec->name, dtname(dt), s->n, s->c, s->h,
				    s->w, s->kh, s->kw, s->sh, s->sw, s->ph,
				    s->pw, count_pad, mode_name[mode], at, got,
				    acc);
			}
	EXPECT(arr_outside_same(&o, nout), "%s: wrote outside out",
	       c.spec->name);
	EXPECT(arr_same(&x), "%s changed x", c.spec->name);
	arr_free(&x);
	arr_free(&o);
}

static const struct shape pool_shapes[] = {
    /* n  c   h   w  -  kh kw sh sw ph pw */
    {1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {0, 2, 4, 4, 0, 2, 2, 2, 2, 0, 0, 1, 1, 1},
    {2, 3, 8, 8, 0, 2, 2, 2, 2, 0, 0, 1, 1, 1},	   /* side by side */
    {2, 3, 9, 11, 0, 3, 3, 2, 2, 1, 1, 1, 1, 1},   /* ResNet's stem */
    {1, 2, 7, 5, 0, 3, 2, 1, 1, 1, 1, 1, 1, 1},	   /* overlapping */
    {1, 1, 5, 5, 0, 5, 5, 5, 5, 2, 2, 1, 1, 1},	   /* one window */
    {3, 2, 13, 1, 0, 4, 1, 3, 1, 2, 0, 1, 1, 1},   /* one column */
    {1, 2, 6, 9, 0, 2, 4, 1, 3, 1, 2, 1, 1, 1},	   /* mixed */
    {2, 17, 64, 70, 0, 3, 3, 1, 1, 1, 1, 1, 1, 1}, /* several tiles */
};

START_TEST(pools)
{
	const struct shape *s = &pool_shapes[_i];
	for (int dt = VGPU_F32; dt <= VGPU_F64; dt++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			check_pool(VGPU_K_MAXPOOL2D, s, dt, false, mode);
			check_pool(VGPU_K_AVGPOOL2D, s, dt, true, mode);
			check_pool(VGPU_K_AVGPOOL2D, s, dt, false, mode);
		}
}
END_TEST

START_TEST(pools_random)
{
	for (int i = 0; i < 60; i++) {
		struct shape s = {.n = irand(1, 3), .c = irand(1, 3)};
		s.kh = irand(1, 5);
		s.kw = irand(1, 5);
		s.sh = irand(1, 4);
		s.sw = irand(1, 4);
		s.ph = irand(0, s.kh / 2);
		s.pw = irand(0, s.kw / 2);
		s.h = irand(s.kh > 2 * s.ph ? s.kh - 2 * s.ph : 1, 15);
		s.w = irand(s.kw > 2 * s.pw ? s.kw - 2 * s.pw : 1, 15);
		int dt = i % 2 ? VGPU_F64 : VGPU_F32;
		unsigned id = i % 3 ? VGPU_K_AVGPOOL2D : VGPU_K_MAXPOOL2D;
		check_pool(id, &s, dt, i % 4 < 2, (enum mode)(i % RUN_MODES));
	}
}
END_TEST

/* Text lines through the parser and the validator */

/* Validates LINE with buffer argument i of SIZE[i] bytes, each its own. */
static void expect_sizes(const char *line, const uint64_t size[], int want,
			 const char *want_msg)
{
	ck_assert_msg(parse(line) == VGPU_LINE_COMMAND, "'%s': %s", line,
		      line_msg);
	struct vgpu_bufinfo info[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		info[i] = (struct vgpu_bufinfo){.id = i + 1, .size = size[i]};
	line_msg[0] = '\0';
	int rc = vgpu_cmd_validate(&line_cmd, info, line_msg, sizeof(line_msg));
	ck_assert_msg(rc == want && strcmp(line_msg, want_msg) == 0,
		      "'%s': %d '%s', want %d '%s'", line, rc, line_msg, want,
		      want_msg);
}

START_TEST(text_lines)
{
	/* conv2d: the example and every extent */
	expect_valid("conv2d x=x weight=w out=o n=2 c=3 h=5 w=5 k=4 kh=3 kw=3",
		     1 << 20, false);
	ck_assert(!vgpu_cmd_given(&line_cmd, CONV_BIAS));
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, CONV_STRIDE_H), 1);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, CONV_DILATION_W), 1);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, CONV_GROUPS), 1);
	expect_invalid("conv2d x=x weight=w out=o n=2 c=3 h=5 w=5 k=4 kh=3 "
		       "kw=3",
		       599, false, -EINVAL,
		       "conv2d: buffer 'x' holds 599 bytes, needs 600 "
		       "(n*c*h*w*4)");
	expect_invalid("conv2d x=x weight=w out=o n=1 c=2 h=3 w=3 k=6 kh=3 "
		       "kw=3 groups=2 dtype=f64",
		       431, false, -EINVAL,
		       "conv2d: buffer 'weight' holds 431 bytes, needs 432 "
		       "(k*c/groups*kh*kw*8)");
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1 h=5 w=5 k=8 kh=1 "
		       "kw=1 stride_h=2",
		       479, false, -EINVAL,
		       "conv2d: buffer 'out' holds 479 bytes, needs 480 "
		       "(n*k*p*q*4, p=3 q=5)");
	expect_valid("conv2d x=x weight=w out=o n=1 c=1 h=5 w=5 k=8 kh=1 kw=1 "
		     "stride_h=2",
		     480, false);
	{
		const char *line = "conv2d x=x weight=w bias=b out=o n=1 c=1 "
				   "h=1 w=1 k=5 kh=1 kw=1";
		uint64_t size[VGPU_MAX_ARGS] = {[CONV_X] = 4,
						[CONV_WEIGHT] = 20,
						[CONV_BIAS] = 19,
						[CONV_OUT] = 20};
		expect_sizes(line, size, -EINVAL,
			     "conv2d: buffer 'bias' holds 19 bytes, needs 20 "
			     "(k*4)");
		size[CONV_BIAS] = 20;
		expect_sizes(line, size, 0, "");
	}
	/* output sizes: any padding, at least one output */
	expect_valid("conv2d x=x weight=w out=o n=1 c=1 h=1 w=1 k=1 kh=9 kw=9 "
		     "pad_h=4 pad_w=4",
		     1 << 20, false);
	expect_valid("conv2d x=x weight=w out=o n=1 c=1 h=1 w=1 k=1 kh=1 kw=1 "
		     "pad_h=100 pad_w=7",
		     201 * 15 * 4, false);
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=3 "
		       "kw=3 dilation_h=3",
		       1 << 20, false, -EINVAL,
		       "conv2d: the window spans 7 rows, more than the padded "
		       "input's 4");
	expect_valid("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=3 kw=6 "
		     "pad_w=1",
		     1 << 20, false);
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=3 "
		       "kw=7 pad_w=1",
		       1 << 20, false, -EINVAL,
		       "spans 7 columns, more than the padded input's 6");
	/* groups */
	expect_invalid("conv2d x=x weight=w out=o n=1 c=6 h=4 w=4 k=4 kh=1 "
		       "kw=1 groups=4",
		       1 << 20, false, -EINVAL,
		       "conv2d: groups=4 does not divide c=6");
	expect_invalid("conv2d x=x weight=w out=o n=1 c=6 h=4 w=4 k=4 kh=1 "
		       "kw=1 groups=3",
		       1 << 20, false, -EINVAL,
		       "conv2d: groups=3 does not divide k=4");
	expect_valid("conv2d x=x weight=w out=o n=1 c=6 h=4 w=4 k=12 kh=3 "
		     "kw=3 pad_h=1 pad_w=1 groups=6",
		     1 << 20, false);
	/* ranges, required arguments, dtypes */
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=1 "
			   "kw=1 stride_h=0",
			   -ERANGE, "conv2d: stride_h=0 is out of range");
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=1 "
			   "kw=1 dilation_w=0",
			   -ERANGE, "out of range");
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=0 h=4 w=4 k=1 kh=1 "
			   "kw=1",
			   -ERANGE, "conv2d: c=0 is out of range");
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=1 "
			   "kw=1 pad_h=-1",
			   -ERANGE, "out of range");
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 "
			   "kw=1",
			   -EINVAL, "conv2d: missing argument 'kh'");
	expect_parse_error("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=1 "
			   "kw=1 stride=2",
			   -EINVAL, "conv2d: unknown argument 'stride'");
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1 h=4 w=4 k=1 kh=1 "
		       "kw=1 dtype=u8",
		       1 << 20, false, -EINVAL,
		       "conv2d: dtype=u8 is not supported (f32, f64)");
	/* sizes beyond OpenBLAS's int, and beyond 64 bits */
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1 h=65536 w=65536 k=1 "
		       "kh=1 kw=1",
		       UINT64_MAX, false, -EINVAL,
		       "conv2d: an output plane of 65536x65536 is more than "
		       "2147483647 elements");
	expect_invalid("conv2d x=x weight=w out=o n=1 c=1M h=1 w=1 k=1 kh=64 "
		       "kw=64 pad_h=32 pad_w=32",
		       UINT64_MAX, false, -EINVAL,
		       "conv2d: c/groups*kh*kw is more than 2147483647");
	expect_invalid("conv2d x=x weight=w out=o n=2147483647 c=2147483647 "
		       "h=2147483647 w=1 k=1 kh=1 kw=1",
		       UINT64_MAX, false, -EOVERFLOW,
		       "conv2d: n*c*h*w overflows a 64-bit size");
	/* out overlaps nothing; the inputs may overlap each other */
	expect_invalid("conv2d x=X weight=X+64 out=X+32 n=1 c=1 h=4 w=4 k=1 "
		       "kh=1 kw=1",
		       1 << 20, true, -EINVAL,
		       "conv2d: 'out' overlaps 'x' in the same buffer");
	expect_invalid("conv2d x=X weight=X+1000 bias=X+120 out=X+100 n=1 c=1 "
		       "h=4 w=4 k=1 kh=1 kw=1",
		       1 << 20, true, -EINVAL, "'out' overlaps 'bias'");
	expect_valid("conv2d x=X weight=X bias=X out=X+64 n=1 c=1 h=4 w=4 k=1 "
		     "kh=1 kw=1",
		     1 << 20, true);
	/* pooling */
	{
		const char *line = "maxpool2d x=x out=o n=2 c=3 h=8 w=8 kh=2 "
				   "kw=2";
		uint64_t size[VGPU_MAX_ARGS] = {
		    [POOL_X] = 1536, [POOL_OUT] = 383};
		expect_sizes(line, size, -EINVAL,
			     "maxpool2d: buffer 'out' holds 383 bytes, needs "
			     "384 (n*c*p*q*4, p=4 q=4)");
		ck_assert_int_eq(vgpu_cmd_i(&line_cmd, POOL_STRIDE_H), 0);
		size[POOL_OUT] = 384;
		expect_sizes(line, size, 0, "");
		line = "avgpool2d x=x out=o n=2 c=3 h=8 w=8 kh=3 kw=3 "
		       "stride_h=1 stride_w=2 pad_h=1 dtype=f64";
		size[POOL_X] = 3072;
		size[POOL_OUT] = 1151;
		expect_sizes(line, size, -EINVAL,
			     "avgpool2d: buffer 'out' holds 1151 bytes, needs "
			     "1152 (n*c*p*q*8, p=8 q=3)");
		ck_assert_int_eq(vgpu_cmd_i(&line_cmd, POOL_COUNT_INCLUDE_PAD),
				 1);
		size[POOL_OUT] = 1152;
		expect_sizes(line, size, 0, "");
	}
	/* padding can make the output larger than the input */
	expect_invalid("maxpool2d x=x out=o n=2 c=3 h=2 w=2 kh=2 kw=2 "
		       "stride_h=1 stride_w=1 pad_h=1 pad_w=1",
		       215, false, -EINVAL, "needs 216 (n*c*p*q*4, p=3 q=3)");
	expect_valid("avgpool2d x=x out=o n=1 c=1 h=3 w=3 kh=3 kw=3 pad_h=1 "
		     "count_include_pad=0",
		     64, false);
	ck_assert_int_eq(vgpu_cmd_i(&line_cmd, POOL_COUNT_INCLUDE_PAD), 0);
	expect_parse_error("maxpool2d x=x out=o n=1 c=1 h=3 w=3 kh=3 kw=3 "
			   "count_include_pad=0",
			   -EINVAL,
			   "maxpool2d: unknown argument 'count_include_pad'");
	expect_parse_error("avgpool2d x=x out=o n=1 c=1 h=3 w=3 kh=3 kw=3 "
			   "count_include_pad=2",
			   -ERANGE, "out of range");
	expect_invalid("maxpool2d x=x out=o n=1 c=1 h=9 w=9 kh=3 kw=4 pad_h=2",
		       1 << 20, false, -EINVAL,
		       "maxpool2d: pad_h=2 is more than half of kh=3");
	expect_invalid("avgpool2d x=x out=o n=1 c=1 h=9 w=9 kh=3 kw=4 pad_w=3",
		       1 << 20, false, -EINVAL,
		       "avgpool2d: pad_w=3 is more than half of kw=4");
	expect_invalid("maxpool2d x=x out=o n=1 c=1 h=2 w=9 kh=5 kw=1 pad_h=1",
		       1 << 20, false, -EINVAL,
		       "maxpool2d: the window spans 5 rows, more than the "
		       "padded input's 4");
	expect_invalid("maxpool2d x=X out=X+4 n=1 c=1 h=2 w=2 kh=1 kw=1",
		       1 << 20, true, -EINVAL, "maxpool2d: 'out' overlaps 'x'");
	expect_invalid("avgpool2d x=x out=o n=1 c=1 h=2 w=2 kh=1 kw=1 "
		       "dtype=i32",
		       1 << 20, false, -EINVAL, "dtype=i32 is not supported");
	expect_parse_error("avgpool2d x=x out=o n=1 c=1 h=2 w=2 kh=0 kw=1",
			   -ERANGE, "kh=0 is out of range");
}
END_TEST

/* What validation refuses is -EINVAL at run time too, writing nothing. */
START_TEST(bad_arguments)
{
	double buf[64] = {0}, old[64];
	memcpy(old, buf, sizeof(buf));
	void *ptr[VGPU_MAX_ARGS] = {buf, buf + 16, buf + 32, buf + 48};
	struct shape ok = {1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1};
	struct shape bad[] = {ok, ok, ok, ok, ok};
	bad[0].groups = 3; /* divides neither */
	bad[1].kh = 4;	   /* larger than the input */
	bad[2].sh = 0;
	bad[3].c = 0;
	bad[4].h = (size_t)1 << 40;
	for (size_t i = 0; i < COUNT(bad); i++)
		for (int mode = 0; mode < RUN_MODES; mode++) {
			struct vgpu_cmd c = conv_cmd(&bad[i], VGPU_F64, true);
			ck_assert_int_eq(run(&c, ptr, mode), -EINVAL);
			/* pooling has no groups; stride 0 is its default */
			c = pool_cmd(VGPU_K_MAXPOOL2D, &bad[i], VGPU_F64, 0);
			if (i != 0 && i != 2)
				ck_assert_int_eq(run(&c, ptr, mode), -EINVAL);
		}
	struct vgpu_cmd c = conv_cmd(&ok, VGPU_I32, false);
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	c = pool_cmd(VGPU_K_AVGPOOL2D, &ok, VGPU_U8, false);
	ck_assert_int_eq(run(&c, ptr, RUN_SERIAL), -EINVAL);
	struct shape padded = ok;
	padded.kh = 2;
	padded.ph = 2; /* more than half the window */
	c = pool_cmd(VGPU_K_AVGPOOL2D, &padded, VGPU_F64, false);
	ck_assert_int_eq(run(&c, ptr, RUN_THREADS), -EINVAL);
	ck_assert(memcmp(buf, old, sizeof(buf)) == 0);
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {"conv2d", "maxpool2d", "avgpool2d"};
	check_catalog(names, COUNT(names), VGPU_K_CONV2D, "f32, f64");
}
END_TEST

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("conv");
	tcase_set_timeout(tc, 600); /* sanitizers are slow */
	tcase_add_loop_test(tc, conv2d_shapes, 0, COUNT(conv_shapes));
	tcase_add_test(tc, conv2d_random);
	tcase_add_test(tc, conv2d_plans);
	tcase_add_test(tc, conv2d_more_threads_than_workers);
	tcase_add_loop_test(tc, pools, 0, COUNT(pool_shapes));
	tcase_add_test(tc, pools_random);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, catalog);
	return run_tcase("conv", tc);
}
