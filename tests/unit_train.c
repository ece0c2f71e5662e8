/*
 * The training kernels (gelu_backward, embedding, embedding_backward,
 * cross_entropy, cross_entropy_backward, adamw, sgd, softmax_backward,
 * layernorm_backward, and softmax's causal mask) against naive
 * references, run
 * three ways (serial, tiles in reverse, tiles on threads), f32 and f64, with
 * sizes of 0, 1, odd and several tiles, repeated and out-of-range indices,
 * in-place operation and special values; operands inside larger arrays
 * whose other bytes must come out unchanged. Also their text lines through
 * the parser and the validator.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "kernel_check.h"

/* f32 (0) and f64 (1) */
#define FLOAT_DTYPES (VGPU_F64 + 1)

/* Relative tolerance of a result computed in double and rounded to DT. */
static double tol_of(int dt)
{
	return dt == VGPU_F32 ? 0x1p-22 : 0x1p-45;
}

/* gelu_backward */

/* Phi(x) and x*phi(x), the two terms of gelu'(x) (0 and 0 at -inf). */
static void gelu_terms(double x, double *cdf, double *xpdf)
{
	*cdf = 0.5 * erfc(-x / sqrt(2));
	*xpdf = isinf(x) ? 0 : x * exp(-x * x / 2) / sqrt(2 * M_PI);
}

static void check_gelub(int dt, size_t n, bool in_place, enum mode mode)
{
	struct arr x, g, o;
	arr_init(&x, dt, 1 + n % 3, n, 6.0);
	arr_init(&g, dt, 2, n, 2.0);
	arr_init(&o, dt, 3, n, 1.0);
	static const double specials[] = {-INFINITY, INFINITY, NAN, 0, -40, 40};
	for (size_t i = 0; i < n && i < COUNT(specials); i++)
		put(x.p, dt, i * 7 % n, specials[i]);
	arr_snap(&x);
	arr_snap(&g);
	arr_snap(&o);
	struct vgpu_cmd c = mkcmd(VGPU_K_GELU_BACKWARD);
	c.val[GELUB_N].i = (int64_t)n;
	c.val[GELUB_DTYPE].i = dt;
	void *out = in_place ? g.p : o.p;
	void *ptr[VGPU_MAX_ARGS] = {
	    [GELUB_X] = x.p, [GELUB_GRAD] = g.p, [GELUB_OUT] = out};
	run_ok(&c, ptr, mode);
	for (size_t i = 0; i < n; i++) {
		double cdf, xpdf, gi = arr_old(&g, i);
		gelu_terms(arr_old(&x, i), &cdf, &xpdf);
		double want = gi * (cdf + xpdf);
		double got = get(out, dt, i);
		/* relative to the terms: their sum may cancel */
		double tol = tol_of(dt) * fabs(gi) * (fabs(cdf) + fabs(xpdf));
		EXPECT(close_to(got, want, tol + 1e-300),
		       "gelu_backward %s n=%zu%s (%s): out[%zu] = %.17g, want "
		       "%.17g (x %g)",
		       dtname(dt), n, in_place ? " in place" : "",
		       mode_name[mode], i, got, want, arr_old(&x, i));
	}
	EXPECT(arr_same(&x), "gelu_backward: x changed");
	EXPECT(in_place ? arr_outside_same(&g, n)
			: arr_same(&g) && arr_outside_same(&o, n),
	       "gelu_backward: wrote outside out");
	arr_free(&x);
	arr_free(&g);
	arr_free(&o);
}

static const size_t sizes[] = {0, 1, 7, 1000, 140001};

START_TEST(gelu_backward)
{
	int dt = _i;
	for (size_t s = 0; s < COUNT(sizes); s++)
		for (int ip = 0; ip < 2; ip++)
			check_gelub(dt, sizes[s], ip,
				    (enum mode)((s + ip) % RUN_MODES));
}
END_TEST

/* It is the derivative: central differences of gelu itself. */
START_TEST(gelu_backward_is_the_derivative)
{
	for (double x = -6; x <= 6; x += 0.37) {
		double h = 1e-6;
		double gp = (x + h) / 2 * (1 + erf((x + h) / sqrt(2)));
		double gm = (x - h) / 2 * (1 + erf((x - h) / sqrt(2)));
		double one = 1, got;
		struct vgpu_cmd c = mkcmd(VGPU_K_GELU_BACKWARD);
		c.val[GELUB_N].i = 1;
		c.val[GELUB_DTYPE].i = VGPU_F64;
		void *ptr[VGPU_MAX_ARGS] = {
		    [GELUB_X] = &x, [GELUB_GRAD] = &one, [GELUB_OUT] = &got};
		run_ok(&c, ptr, RUN_SERIAL);
		ck_assert_msg(fabs(got - (gp - gm) / (2 * h)) < 1e-8,
			      "x=%g: %.17g", x, got);
	}
}
END_TEST

/* embedding and embedding_backward */

struct emb {
	int dt;
	size_t n, dim, vocab;
	int32_t *idx;
	struct arr table, rows;
};

static void emb_init(struct emb *e, int dt, size_t n, size_t dim, size_t vocab)
{
	*e = (struct emb){.dt = dt, .n = n, .dim = dim, .vocab = vocab};
	e->idx = malloc((n + 1) * sizeof(int32_t));
	ck_assert_ptr_nonnull(e->idx);
	for (size_t i = 0; i < n; i++) /* repeats: few rows, many lookups */
		e->idx[i] = (int32_t)irand(0, vocab - 1);
	arr_init(&e->table, dt, 1, vocab * dim, 10.0);
	arr_init(&e->rows, dt, 2, n * dim, 10.0);
	arr_snap(&e->table);
	arr_snap(&e->rows);
}

static void emb_free(struct emb *e)
{
	free(e->idx);
	arr_free(&e->table);
	arr_free(&e->rows);
}

static struct vgpu_cmd emb_cmd(const struct emb *e, unsigned id, void *ptr[])
{
	struct vgpu_cmd c = mkcmd(id);
	c.val[EMB_N].i = (int64_t)e->n;
	c.val[EMB_DIM].i = (int64_t)e->dim;
	c.val[EMB_VOCAB].i = (int64_t)e->vocab;
	c.val[EMB_DTYPE].i = e->dt;
	ptr[EMB_TABLE] = e->table.p;
	ptr[EMB_IDX] = e->idx;
	ptr[EMB_ROWS] = e->rows.p;
	return c;
}

static void check_gather(int dt, size_t n, size_t dim, size_t vocab,
			 enum mode mode)
{
	struct emb e;
	emb_init(&e, dt, n, dim, vocab);
	void *ptr[VGPU_MAX_ARGS] = {0};
	struct vgpu_cmd c = emb_cmd(&e, VGPU_K_EMBEDDING, ptr);
	run_ok(&c, ptr, mode);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < dim; j++)
			EXPECT(
			    get(e.rows.p, dt, i * dim + j) ==
				arr_old(&e.table, (size_t)e.idx[i] * dim + j),
			    "embedding %s n=%zu dim=%zu (%s): out[%zu][%zu]",
			    dtname(dt), n, dim, mode_name[mode], i, j);
	EXPECT(arr_same(&e.table) && arr_outside_same(&e.rows, n * dim),
	       "embedding: wrote outside out");
	/* an index out of range, anywhere: ERANGE, table untouched */
	if (n) {
		e.idx[n / 2] = (n % 2) ? -1 : (int32_t)vocab;
		ck_assert_int_eq(run(&c, ptr, mode), -ERANGE);
		EXPECT(arr_same(&e.table) && arr_outside_same(&e.rows, n * dim),
		       "embedding: wrote outside out on ERANGE");
	}
	emb_free(&e);
}

static void check_scatter(int dt, size_t n, size_t dim, size_t vocab,
			  bool accumulate, enum mode mode)
{
	struct emb e;
	emb_init(&e, dt, n, dim, vocab);
	void *ptr[VGPU_MAX_ARGS] = {0};
	struct vgpu_cmd c = emb_cmd(&e, VGPU_K_EMBEDDING_BACKWARD, ptr);
	c.val[EMB_ACCUMULATE].i = accumulate;
	run_ok(&c, ptr, mode);
	/* the same additions in the same order (i ascending), rounded alike */
	double *want = malloc((vocab * dim + 1) * sizeof(double));
	ck_assert_ptr_nonnull(want);
	for (size_t k = 0; k < vocab * dim; k++)
		want[k] = accumulate ? arr_old(&e.table, k) : 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < dim; j++) {
			size_t k = (size_t)e.idx[i] * dim + j;
			want[k] =
			    to_dt(want[k] + arr_old(&e.rows, i * dim + j), dt);
		}
	for (size_t k = 0; k < vocab * dim; k++)
		EXPECT(get(e.table.p, dt, k) == want[k],
		       "embedding_backward %s n=%zu dim=%zu vocab=%zu acc=%d "
		       "(%s): out[%zu] = %.17g, want %.17g",
		       dtname(dt), n, dim, vocab, accumulate, mode_name[mode],
		       k, get(e.table.p, dt, k), want[k]);
	EXPECT(arr_same(&e.rows) && arr_outside_same(&e.table, vocab * dim),
	       "embedding_backward: wrote outside out");
	if (n) {
		e.idx[n - 1] = -5;
		ck_assert_int_eq(run(&c, ptr, mode), -ERANGE);
	}
	free(want);
	emb_free(&e);
}

START_TEST(embedding)
{
	int dt = _i;
	static const size_t shapes[][3] = {{0, 4, 3},	    {1, 1, 1},
					   {5, 3, 2},	    {3000, 64, 50},
					   {700, 1000, 65}, {20, 7, 1000}};
	for (size_t s = 0; s < COUNT(shapes); s++) {
		enum mode mode = (enum mode)(s % RUN_MODES);
		check_gather(dt, shapes[s][0], shapes[s][1], shapes[s][2],
			     mode);
		for (int acc = 0; acc < 2; acc++)
			check_scatter(dt, shapes[s][0], shapes[s][1],
				      shapes[s][2], acc,
				      (enum mode)((s + acc) % RUN_MODES));
	}
}
END_TEST

/* cross_entropy and cross_entropy_backward */

static void check_xent(int dt, size_t rows, size_t cols, double scale,
		       bool in_place, enum mode mode)
{
	struct arr x, loss, grad, gx;
	arr_init(&x, dt, 1, rows * cols, scale);
	arr_init(&loss, dt, 2, rows, 1.0);
	arr_init(&grad, dt, 3, rows, 2.0);
	arr_init(&gx, dt, 1, rows * cols, 1.0);
	int32_t *t = malloc((rows + 1) * sizeof(int32_t));
	ck_assert_ptr_nonnull(t);
	for (size_t r = 0; r < rows; r++)
		t[r] = (int32_t)irand(0, cols - 1);
	if (rows > 2 && cols > 1) { /* a NaN row, a row with a -inf */
		put(x.p, dt, cols + 1, NAN);
		put(x.p, dt, 2 * cols, -INFINITY);
		t[2] = 1;
	}
	arr_snap(&x);
	arr_snap(&loss);
	arr_snap(&grad);
	arr_snap(&gx);
	struct vgpu_cmd c = mkcmd(VGPU_K_CROSS_ENTROPY);
	c.val[XENT_ROWS].i = (int64_t)rows;
	c.val[XENT_COLS].i = (int64_t)cols;
	c.val[XENT_DTYPE].i = dt;
	void *ptr[VGPU_MAX_ARGS] = {
	    [XENT_X] = x.p, [XENT_TARGET] = t, [XENT_OUT] = loss.p};
	run_ok(&c, ptr, mode);
	struct vgpu_cmd cb = c;
	cb.spec = vgpu_catalog_by_id(VGPU_K_CROSS_ENTROPY_BACKWARD);
	void *bptr[VGPU_MAX_ARGS] = {[XENT_X] = x.p,
				     [XENT_TARGET] = t,
				     [XENT_OUT] = in_place ? x.p : gx.p,
				     [XENTB_GRAD] = grad.p};
	run_ok(&cb, bptr, mode);
	for (size_t r = 0; r < rows; r++) {
		long double m = -INFINITY, s = 0;
		bool nan = false;
		for (size_t j = 0; j < cols; j++) {
			double v = arr_old(&x, r * cols + j);
			nan |= isnan(v);
			m = v > m ? v : m;
		}
		for (size_t j = 0; j < cols; j++)
			s += expl(arr_old(&x, r * cols + j) - m);
		double want =
		    nan ? NAN
			: (double)(m + logl(s) -
				   arr_old(&x, r * cols + (size_t)t[r]));
		double got = get(loss.p, dt, r);
		EXPECT(close_to(got, want,
				tol_of(dt) * (fabs(want) + fabs((double)m))),
		       "cross_entropy %s %zux%zu scale=%g (%s): out[%zu] = "
		       "%.17g, want %.17g",
		       dtname(dt), rows, cols, scale, mode_name[mode], r, got,
		       want);
		for (size_t j = 0; j < cols; j++) {
			double p =
			    nan ? NAN
				: (double)(expl(arr_old(&x, r * cols + j) - m) /
					   s);
			double wg =
			    arr_old(&grad, r) * (p - (j == (size_t)t[r]));
			double gg = get(bptr[XENT_OUT], dt, r * cols + j);
			EXPECT(
			    close_to(gg, wg,
				     tol_of(dt) * 4 * fabs(arr_old(&grad, r))),
			    "cross_entropy_backward %s %zux%zu%s (%s): "
			    "[%zu][%zu] = %.17g, want %.17g",
			    dtname(dt), rows, cols, in_place ? " in place" : "",
			    mode_name[mode], r, j, gg, wg);
		}
	}
	EXPECT(arr_outside_same(&loss, rows) && arr_same(&grad),
	       "cross_entropy: wrote outside out");
	EXPECT(in_place ? arr_outside_same(&x, rows * cols)
			: arr_same(&x) && arr_outside_same(&gx, rows * cols),
	       "cross_entropy_backward: wrote outside out");
	if (rows) { /* a target out of range: ERANGE */
		t[rows - 1] = (int32_t)cols;
		ck_assert_int_eq(run(&c, ptr, mode), -ERANGE);
		t[rows - 1] = -1;
		ck_assert_int_eq(run(&cb, bptr, mode), -ERANGE);
	}
	free(t);
	arr_free(&x);
	arr_free(&loss);
	arr_free(&grad);
	arr_free(&gx);
}

START_TEST(cross_entropy)
{
	int dt = _i;
	static const size_t shapes[][2] = {{0, 5},     {1, 1},	   {3, 7},
					   {64, 1000}, {3000, 65}, {2, 100000}};
	static const double scales[] = {1, 30, 1000};
	for (size_t s = 0; s < COUNT(shapes); s++)
		for (size_t k = 0; k < COUNT(scales); k++)
			check_xent(dt, shapes[s][0], shapes[s][1], scales[k],
				   (s + k) % 2,
				   (enum mode)((s + k) % RUN_MODES));
}
END_TEST

/* adamw and sgd */

/* One step of adamw (SGD: sgd) on n elements against the formula. */
static void check_optim(unsigned id, int dt, size_t n, int64_t step,
			enum mode mode)
{
	struct arr p, g, m, v;
	arr_init(&p, dt, 1, n, 3.0);
	arr_init(&g, dt, 2, n, 1.0);
	arr_init(&m, dt, 3, n, 0.5);
	arr_init(&v, dt, 1, n, 0.5);
	for (size_t i = 0; i < n; i++) /* a second moment is not negative */
		put(v.p, dt, i, fabs(get(v.p, dt, i)));
	arr_snap(&p);
	arr_snap(&g);
	arr_snap(&m);
	arr_snap(&v);
	struct vgpu_cmd c = mkcmd(id);
	void *ptr[VGPU_MAX_ARGS] = {p.p, g.p, m.p, v.p};
	const double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.1;
	if (id == VGPU_K_ADAMW) {
		c.val[ADAMW_N].i = (int64_t)n;
		c.val[ADAMW_LR].f = lr;
		c.val[ADAMW_BETA1].f = b1;
		c.val[ADAMW_BETA2].f = b2;
		c.val[ADAMW_EPS].f = eps;
		c.val[ADAMW_WEIGHT_DECAY].f = wd;
		c.val[ADAMW_STEP].i = step;
		c.val[ADAMW_DTYPE].i = dt;
	} else {
		ptr[3] = NULL;
		c.val[SGD_N].i = (int64_t)n;
		c.val[SGD_LR].f = lr;
		c.val[SGD_MOMENTUM].f = b1;
		c.val[SGD_WEIGHT_DECAY].f = wd;
		c.val[SGD_DTYPE].i = dt;
	}
	run_ok(&c, ptr, mode);
	for (size_t i = 0; i < n; i++) {
		double p0 = arr_old(&p, i), g0 = arr_old(&g, i);
		double m0 = arr_old(&m, i), v0 = arr_old(&v, i);
		double wp, wm, wv = v0;
		if (id == VGPU_K_ADAMW) {
			wm = b1 * m0 + (1 - b1) * g0;
			wv = b2 * v0 + (1 - b2) * g0 * g0;
			wp = p0 * (1 - lr * wd) -
			     lr * (wm / (1 - pow(b1, (double)step))) /
				 (sqrt(wv / (1 - pow(b2, (double)step))) + eps);
		} else {
			wm = b1 * m0 + g0 + wd * p0;
			wp = p0 - lr * wm;
		}
		double gp = get(p.p, dt, i), gm = get(m.p, dt, i);
		double gv = get(v.p, dt, i);
		double t = tol_of(dt) * 4;
		EXPECT(close_to(gp, wp, t * (fabs(p0) + 1)) &&
			   close_to(gm, wm, t * (fabs(m0) + fabs(g0) + 1)) &&
			   close_to(gv, wv, t * (fabs(v0) + 1)),
		       "%s %s n=%zu step=%lld (%s): [%zu] param %.17g want "
		       "%.17g, m %.17g want %.17g, v %.17g want %.17g",
		       c.spec->name, dtname(dt), n, (long long)step,
		       mode_name[mode], i, gp, wp, gm, wm, gv, wv);
	}
	EXPECT(arr_same(&g) && arr_outside_same(&p, n) &&
		   arr_outside_same(&m, n) &&
		   (id == VGPU_K_SGD ? arr_same(&v) : arr_outside_same(&v, n)),
	       "%s: wrote outside its vectors", c.spec->name);
	arr_free(&p);
	arr_free(&g);
	arr_free(&m);
	arr_free(&v);
}

START_TEST(optimizers)
{
	int dt = _i;
	for (size_t s = 0; s < COUNT(sizes); s++) {
		check_optim(VGPU_K_ADAMW, dt, sizes[s], 1 + (int64_t)s * 7,
			    (enum mode)(s % RUN_MODES));
		check_optim(VGPU_K_SGD, dt, sizes[s], 0,
			    (enum mode)((s + 1) % RUN_MODES));
	}
}
END_TEST

/* softmax_backward and layernorm_backward */

/* Layernorm of one row (no affine part) in long double, for references. */
static void ln_ref(const double *x, size_t cols, double eps, long double *xh,
		   long double *r)
{
	long double m = 0, v = 0;
	for (size_t j = 0; j < cols; j++)
		m += x[j];
	m /= cols;
	for (size_t j = 0; j < cols; j++)
		v += (x[j] - m) * (x[j] - m);
	*r = 1 / sqrtl(v / cols + eps);
	for (size_t j = 0; j < cols; j++)
		xh[j] = (x[j] - m) * *r;
}

static void check_row_backward(unsigned id, int dt, size_t rows, size_t cols,
			       bool flag, bool in_place, enum mode mode)
{
	struct arr x, g, o, w;
	size_t n = rows * cols;
	arr_init(&x, dt, 1, n, 3.0);
	arr_init(&g, dt, 2, n, 1.0);
	arr_init(&o, dt, 3, n, 1.0);
	arr_init(&w, dt, 1, cols, 2.0);
	double *row = malloc((cols + 1) * sizeof(double));
	long double *xh = malloc((cols + 1) * sizeof(long double));
	ck_assert(row && xh);
	if (id == VGPU_K_SOFTMAX_BACKWARD) /* y: a softmax (or its log) */
		for (size_t r = 0; r < rows; r++) {
			long double s = 0;
			for (size_t j = 0; j < cols; j++)
				s += expl(get(x.p, dt, r * cols + j));
			for (size_t j = 0; j < cols; j++) {
				long double p =
				    expl(get(x.p, dt, r * cols + j)) / s;
				put(x.p, dt, r * cols + j,
				    to_dt((double)(flag ? logl(p) : p), dt));
			}
		}
	arr_snap(&x);
	arr_snap(&g);
	arr_snap(&o);
	arr_snap(&w);
	struct vgpu_cmd c = mkcmd(id);
	void *out = in_place ? g.p : o.p;
	void *ptr[VGPU_MAX_ARGS] = {x.p, g.p, out};
	if (id == VGPU_K_SOFTMAX_BACKWARD) {
		c.val[SMAXB_ROWS].i = (int64_t)rows;
		c.val[SMAXB_COLS].i = (int64_t)cols;
		c.val[SMAXB_LOG].i = flag;
		c.val[SMAXB_DTYPE].i = dt;
	} else {
		c.val[LNB_ROWS].i = (int64_t)rows;
		c.val[LNB_COLS].i = (int64_t)cols;
		c.val[LNB_DTYPE].i = dt;
		ptr[LNB_GAMMA] = flag ? w.p : x.p;
		if (flag)
			c.given |= 1u << LNB_GAMMA;
	}
	run_ok(&c, ptr, mode);
	for (size_t r = 0; r < rows; r++) {
		long double s = 0, mh = 0, mhx = 0, rr = 0, mag = 0;
		for (size_t j = 0; j < cols; j++)
			row[j] = arr_old(&x, r * cols + j);
		if (id == VGPU_K_LAYERNORM_BACKWARD)
			ln_ref(row, cols, 1e-5, xh, &rr);
		for (size_t j = 0; j < cols; j++) {
			long double gj = arr_old(&g, r * cols + j);
			long double h = flag ? gj * arr_old(&w, j) : gj;
			if (id == VGPU_K_SOFTMAX_BACKWARD)
				s += flag ? gj : gj * row[j];
			mh += h / cols;
			if (id == VGPU_K_LAYERNORM_BACKWARD)
				mhx += h * xh[j] / cols;
			mag += fabsl(h);
		}
		for (size_t j = 0; j < cols; j++) {
			long double gj = arr_old(&g, r * cols + j), want, tol;
			if (id == VGPU_K_SOFTMAX_BACKWARD) {
				want = flag ? gj - expl(row[j]) * s
					    : row[j] * (gj - s);
				tol = fabsl(gj) + mag + 1;
			} else {
				long double h = flag ? gj * arr_old(&w, j) : gj;
				want = rr * (h - mh - xh[j] * mhx);
				tol = rr * (fabsl(h) + 2 * mag / cols + 1);
			}
			double got = get(out, dt, r * cols + j);
			EXPECT(close_to(got, (double)want,
					tol_of(dt) * 8 * (double)tol),
			       "%s %s %zux%zu flag=%d%s (%s): [%zu][%zu] = "
			       "%.17g, want %.17g",
			       c.spec->name, dtname(dt), rows, cols, flag,
			       in_place ? " in place" : "", mode_name[mode], r,
			       j, got, (double)want);
		}
	}
	EXPECT(arr_same(&x) && arr_same(&w) &&
		   (in_place ? arr_outside_same(&g, n)
			     : arr_same(&g) && arr_outside_same(&o, n)),
	       "%s: wrote outside out", c.spec->name);
	free(row);
	free(xh);
	arr_free(&x);
	arr_free(&g);
	arr_free(&o);
	arr_free(&w);
}

START_TEST(row_backward)
{
	int dt = _i;
	static const size_t shapes[][2] = {{0, 5},     {1, 1},	   {3, 7},
					   {64, 1000}, {3000, 65}, {2, 70000}};
	for (size_t s = 0; s < COUNT(shapes); s++)
		for (int f = 0; f < 4; f++) {
			enum mode mode = (enum mode)((s + f) % RUN_MODES);
			check_row_backward(VGPU_K_SOFTMAX_BACKWARD, dt,
					   shapes[s][0], shapes[s][1], f & 1,
					   f & 2, mode);
			check_row_backward(VGPU_K_LAYERNORM_BACKWARD, dt,
					   shapes[s][0], shapes[s][1], f & 1,
					   f & 2, mode);
		}
}
END_TEST

/* layernorm_backward is the derivative: central differences of layernorm. */
START_TEST(layernorm_backward_is_the_derivative)
{
	enum { C = 6 };
	double x[C] = {0.3, -1.2, 2.5, 0.7, -0.4, 1.1};
	double g[C] = {0.5, -1, 0.25, 2, -0.75, 1.5}, got[C];
	struct vgpu_cmd c = mkcmd(VGPU_K_LAYERNORM_BACKWARD);
	c.val[LNB_ROWS].i = 1;
	c.val[LNB_COLS].i = C;
	c.val[LNB_DTYPE].i = VGPU_F64;
	void *ptr[VGPU_MAX_ARGS] = {x, g, got, x};
	run_ok(&c, ptr, RUN_SERIAL);
	for (int k = 0; k < C; k++) {
		double f[2];
		for (int sgn = 0; sgn < 2; sgn++) {
			double xs[C];
			long double xh[C], r;
			for (int j = 0; j < C; j++)
				xs[j] =
				    x[j] + (j == k ? (sgn ? -1e-6 : 1e-6) : 0);
			ln_ref(xs, C, 1e-5, xh, &r);
			f[sgn] = 0;
			for (int j = 0; j < C; j++)
				f[sgn] += (double)(g[j] * xh[j]);
		}
		double num = (f[0] - f[1]) / 2e-6;
		ck_assert_msg(fabs(got[k] - num) < 1e-7,
			      "x[%d]: %.17g, want %.17g", k, got[k], num);
	}
}
END_TEST

/* softmax and log_softmax with causal=1 */

static void check_causal(int dt, size_t rows, size_t cols, bool take_log,
			 enum mode mode)
{
	struct arr x, o;
	arr_init(&x, dt, 1, rows * cols, 5.0);
	arr_init(&o, dt, 2, rows * cols, 1.0);
	arr_snap(&x);
	arr_snap(&o);
	struct vgpu_cmd c =
	    mkcmd(take_log ? VGPU_K_LOG_SOFTMAX : VGPU_K_SOFTMAX);
	c.val[SMAX_ROWS].i = (int64_t)rows;
	c.val[SMAX_COLS].i = (int64_t)cols;
	c.val[SMAX_DTYPE].i = dt;
	c.val[SMAX_CAUSAL].i = 1;
	void *ptr[VGPU_MAX_ARGS] = {[SMAX_X] = x.p, [SMAX_OUT] = o.p};
	run_ok(&c, ptr, mode);
	for (size_t r = 0; r < rows; r++) {
		size_t n = r % cols + 1;
		long double m = -INFINITY, s = 0;
		for (size_t j = 0; j < n; j++)
			m = fmaxl(m, arr_old(&x, r * cols + j));
		for (size_t j = 0; j < n; j++)
			s += expl(arr_old(&x, r * cols + j) - m);
		for (size_t j = 0; j < cols; j++) {
			long double v = arr_old(&x, r * cols + j) - m;
			double want = j >= n ? (take_log ? -INFINITY : 0)
					     : (double)(take_log ? v - logl(s)
								 : expl(v) / s);
			double got = get(o.p, dt, r * cols + j);
			EXPECT(close_to(got, want,
					tol_of(dt) * 4 * (fabs(want) + 1e-3)),
			       "causal %s %s %zux%zu (%s): [%zu][%zu] = %.17g, "
			       "want %.17g",
			       c.spec->name, dtname(dt), rows, cols,
			       mode_name[mode], r, j, got, want);
		}
	}
	EXPECT(arr_same(&x) && arr_outside_same(&o, rows * cols),
	       "causal softmax: wrote outside out");
	arr_free(&x);
	arr_free(&o);
}

START_TEST(causal_softmax)
{
	int dt = _i;
	static const size_t shapes[][2] = {{0, 4},   {1, 1},	 {7, 3},
					   {64, 64}, {3000, 32}, {1000, 1000}};
	for (size_t s = 0; s < COUNT(shapes); s++)
		for (int lg = 0; lg < 2; lg++)
			check_causal(dt, shapes[s][0], shapes[s][1], lg,
				     (enum mode)((s + lg) % RUN_MODES));
}
END_TEST

START_TEST(text_lines)
{
	expect_valid("embedding table=w idx=i out=o n=10 dim=4 vocab=3", 160,
		     false);
	expect_invalid("embedding table=w idx=i out=o n=10 dim=4 vocab=3", 47,
		       false, -EINVAL,
		       "embedding: buffer 'table' holds 47 bytes, needs 48 "
		       "(vocab*dim*4)");
	expect_invalid("embedding table=w idx=i out=o n=10 dim=4 vocab=3 "
		       "dtype=f64",
		       300, false, -EINVAL,
		       "embedding: buffer 'out' holds 300 bytes, needs 320 "
		       "(n*dim*8)");
	expect_invalid("embedding table=w idx=i+2 out=o n=1 dim=4 vocab=3 "
		       "dtype=f64",
		       300, false, -EINVAL,
		       "embedding: 'idx' offset 2 is not a multiple of 4 (the "
		       "size of i32)");
	expect_invalid("embedding table=w idx=w+1000 out=w+16 n=2 dim=4 "
		       "vocab=3",
		       2000, true, -EINVAL, "overlaps");
	expect_invalid("embedding_backward grad=g idx=i out=o n=10 dim=4 "
		       "vocab=2",
		       39, false, -EINVAL,
		       "embedding_backward: buffer 'idx' holds 39 bytes, "
		       "needs 40 (n*4)");
	expect_valid("embedding_backward grad=g idx=i out=o n=10 dim=4 "
		     "vocab=3 accumulate=1",
		     160, false);
	expect_parse_error("cross_entropy x=x target=t out=l rows=4 cols=0",
			   -ERANGE, "cols=0 is out of range");
	expect_invalid("cross_entropy x=x target=t out=l rows=4 cols=10", 159,
		       false, -EINVAL,
		       "cross_entropy: buffer 'x' holds 159 bytes, needs 160 "
		       "(rows*cols*4)");
	expect_invalid("cross_entropy_backward x=x target=x+16 grad=x+32 "
		       "out=x rows=4 cols=1",
		       47, true, -EINVAL,
		       "cross_entropy_backward: buffer 'grad'");
	expect_valid("cross_entropy_backward x=x target=t+800 grad=x+904 "
		     "out=x rows=4 cols=10 dtype=f64",
		     2000, true);
	expect_invalid("gelu_backward x=x grad=g out=o n=10 dtype=i32", 1000,
		       false, -EINVAL, "dtype");
	expect_invalid("gelu_backward x=x grad=x+4 out=x+8 n=10", 1000, true,
		       -EINVAL, "overlaps");
	expect_valid("adamw param=p grad=g m=m v=v n=10 lr=1e-3 step=1", 40,
		     false);
	expect_parse_error("adamw param=p grad=g m=m v=v n=10 lr=1e-3", -EINVAL,
			   "step");
	expect_invalid("adamw param=p grad=g m=m v=v n=10 lr=1e-3 step=1 "
		       "beta1=1",
		       40, false, -EINVAL,
		       "adamw: beta1=1 and beta2=0.999 must be in [0, 1)");
	expect_invalid("adamw param=p grad=g m=m v=v n=10 lr=1e-3 step=1 "
		       "dtype=f64",
		       79, false, -EINVAL,
		       "adamw: buffer 'param' holds 79 bytes, needs 80 (n*8)");
	expect_invalid("sgd param=x grad=x+40 buf=x+20 n=10 lr=0.1", 1000, true,
		       -EINVAL, "overlaps");
	expect_valid("sgd param=x grad=x+40 buf=x+80 n=10 lr=0.1 momentum=0.9",
		     120, true);
	expect_invalid(
	    "layernorm_backward x=x grad=g out=o gamma=w rows=2 "
	    "cols=5",
	    39, false, -EINVAL,
	    "layernorm_backward: buffer 'x' holds 39 bytes, needs 40 "
	    "(rows*cols*4)");
	expect_invalid("layernorm_backward x=x grad=g out=o rows=2 cols=5 "
		       "eps=-1",
		       40, false, -EINVAL,
		       "layernorm_backward: eps=-1 is negative");
	expect_valid("softmax_backward y=y grad=g out=g rows=2 cols=5 log=1",
		     40, false);
	expect_invalid("softmax_backward y=x grad=x+40 out=x+20 rows=2 cols=5",
		       80, true, -EINVAL, "overlaps");
}
END_TEST

START_TEST(catalog)
{
	static const char *const names[] = {
	    "gelu_backward", "embedding", "embedding_backward", "cross_entropy",
	    "cross_entropy_backward"};
	check_catalog(names, COUNT(names), VGPU_K_GELU_BACKWARD, "f32, f64");
}
END_TEST

int main(void)
{
	vgpu_kernels_init(); /* tiles run concurrently, as in the daemon */
	TCase *tc = tcase_create("train");
	tcase_set_timeout(tc, 300); /* sanitizers are slow */
	tcase_add_loop_test(tc, gelu_backward, 0, FLOAT_DTYPES);
	tcase_add_test(tc, gelu_backward_is_the_derivative);
	tcase_add_loop_test(tc, embedding, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, cross_entropy, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, optimizers, 0, FLOAT_DTYPES);
	tcase_add_loop_test(tc, row_backward, 0, FLOAT_DTYPES);
	tcase_add_test(tc, layernorm_backward_is_the_derivative);
	tcase_add_loop_test(tc, causal_softmax, 0, FLOAT_DTYPES);
	tcase_add_test(tc, text_lines);
	tcase_add_test(tc, catalog);
	return run_tcase("train", tc);
}
