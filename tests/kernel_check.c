#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/validate.h>

#include "kernel_check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1du;
}

double urand(void)
{
	return (double)(rnd() >> 11) / (double)(1ull << 52) - 1.0;
}

uint64_t irand(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

double rand_value(int dt, double scale)
{
	switch (dt) {
	case VGPU_I32:
		/* small values half the time, so that products do not all
		 * wrap and divisions are not all 0 */
		return rnd() % 2 ? (double)(int32_t)(uint32_t)rnd()
				 : (double)((int64_t)(rnd() % 2001) - 1000);
	case VGPU_U8:
		return (double)(rnd() & 255);
	default:
		return urand() * scale;
	}
}

size_t esz(int dt)
{
	return vgpu_dtype_size((enum vgpu_dtype)dt);
}

const char *dtname(int dt)
{
	return vgpu_dtype_name((enum vgpu_dtype)dt);
}

double eps(int dt)
{
	return dt == VGPU_F32	 ? FLT_EPSILON
	       : dt == VGPU_BF16 ? 0x1p-7
				 : DBL_EPSILON;
}

/*
 * V rounded to bf16 (8 significant bits, exponents as f32's, subnormals
 * down to 2^-133), to nearest even, by arithmetic rather than the bit
 * tricks of the kernels.
 */
static double round_bf16(double v)
{
	if (isnan(v) || isinf(v) || v == 0)
		return v;
	int e;
	frexp(v, &e); /* v = m * 2^e, 0.5 <= |m| < 1 */
	int q = e - 8 > -133 ? e - 8 : -133;
	double r = ldexp(nearbyint(ldexp(v, -q)), q);
	if (fabs(r) > 0x1.fep127)
		return copysign(INFINITY, v);
	return r == 0 ? copysign(0.0, v) : r;
}

static double bf16_value(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

/* The bits of V, which must be a bf16 value (or NaN). */
static uint16_t bf16_bits(double v)
{
	float f = (float)v;
	uint32_t u;
	memcpy(&u, &f, sizeof(u));
	return (uint16_t)((u >> 16) | (isnan(v) ? 0x40 : 0));
}

double get(const void *p, int dt, size_t i)
{
	switch (dt) {
	case VGPU_F32:
		return ((const float *)p)[i];
	case VGPU_F64:
		return ((const double *)p)[i];
	case VGPU_I32:
		return ((const int32_t *)p)[i];
	case VGPU_BF16:
		return bf16_value(((const uint16_t *)p)[i]);
	default:
		return ((const uint8_t *)p)[i];
	}
}

void put(void *p, int dt, size_t i, double v)
{
	switch (dt) {
	case VGPU_F32:
		((float *)p)[i] = (float)v;
		break;
	case VGPU_F64:
		((double *)p)[i] = v;
		break;
	case VGPU_I32:
		((int32_t *)p)[i] = (int32_t)v;
		break;
	case VGPU_BF16:
		((uint16_t *)p)[i] = bf16_bits(round_bf16(v));
		break;
	default:
		((uint8_t *)p)[i] = (uint8_t)v;
		break;
	}
}

double to_dt(double v, int dt)
{
	return dt == VGPU_F32	 ? (double)(float)v
	       : dt == VGPU_BF16 ? round_bf16(v)
				 : v;
}

bool close_to(double got, double want, double tol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want) || isinf(got))
		return got == want;
	return fabs(got - want) <= tol;
}

void arr_init(struct arr *a, int dt, size_t off, size_t n, double scale)
{
	a->dt = dt;
	a->total = off + n + GUARD;
	a->base = malloc(a->total * esz(dt));
	a->snap = malloc(a->total * esz(dt));
	ck_assert(a->base && a->snap);
	for (size_t i = 0; i < a->total; i++)
		put(a->base, dt, i, rand_value(dt, scale));
	a->p = (char *)a->base + off * esz(dt);
}

void arr_snap(struct arr *a)
{
	memcpy(a->snap, a->base, a->total * esz(a->dt));
}

void arr_free(struct arr *a)
{
	free(a->base);
	free(a->snap);
}

size_t arr_index(const struct arr *a, size_t i)
{
	return (size_t)((char *)a->p - (char *)a->base) / esz(a->dt) + i;
}

double arr_old(const struct arr *a, size_t i)
{
	return get(a->snap, a->dt, arr_index(a, i));
}

bool arr_elem_same(const struct arr *a, size_t j)
{
	size_t es = esz(a->dt);
	return memcmp((char *)a->base + j * es, (char *)a->snap + j * es, es) ==
	       0;
}

bool arr_same(const struct arr *a)
{
	return memcmp(a->base, a->snap, a->total * esz(a->dt)) == 0;
}

bool arr_outside_same(const struct arr *a, size_t n)
{
	size_t es = esz(a->dt), off = arr_index(a, 0);
	return memcmp(a->base, a->snap, off * es) == 0 &&
	       memcmp((char *)a->base + (off + n) * es,
		      (char *)a->snap + (off + n) * es,
		      (a->total - off - n) * es) == 0;
}

void sprinkle_specials(struct arr *a, size_t n)
{
	static const double sp[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0,
				    1.0, -1.0,	   2.0,	      0.5};
	if (a->dt != VGPU_F32 && a->dt != VGPU_F64 && a->dt != VGPU_BF16)
		return;
	for (size_t k = 0; k < COUNT(sp) && n; k++)
		put(a->p, a->dt, (size_t)(rnd() % n), sp[k]);
}

struct vgpu_cmd mkcmd(unsigned id)
{
	struct vgpu_cmd c;
	memset(&c, 0, sizeof(c));
	c.spec = vgpu_catalog_by_id(id);
	ck_assert_ptr_nonnull(c.spec);
	vgpu_cmd_apply_defaults(&c);
	return c;
}

/* Runners */

const char *const mode_name[RUN_MODES] = {"serial", "reverse", "threads"};

static uint32_t plan(struct vgpu_launch *l, unsigned workers, size_t *scratch)
{
	const struct vgpu_kernel_impl *k = vgpu_kernel_impl(l->cmd->spec->id);
	ck_assert_ptr_nonnull(k);
	*scratch = 0;
	uint32_t nt = k->plan(l, workers, scratch);
	ck_assert_uint_ge(nt, 1);
	return nt;
}

uint32_t ntiles_for(const struct vgpu_cmd *c, void *const *ptr,
		    unsigned workers)
{
	struct vgpu_launch l = {.cmd = c};
	memcpy(l.ptr, ptr, sizeof(l.ptr));
	size_t scratch;
	return plan(&l, workers, &scratch);
}

struct mt {
	const struct vgpu_kernel_impl *k;
	const struct vgpu_launch *l;
	uint32_t ntiles;
	atomic_uint next;
	atomic_int err;
};

static void *mt_worker(void *arg)
{
	struct mt *m = arg;
	uint32_t t;
	while ((t = atomic_fetch_add(&m->next, 1)) < m->ntiles) {
		int rc = m->k->run_tile(m->l, t, m->ntiles);
		int zero = 0;
		if (rc < 0)
			atomic_compare_exchange_strong(&m->err, &zero, rc);
	}
	return NULL;
}

/*
 * Runs like the scheduler would: plan for WORKERS, the tiles on THREADS
 * threads (or, with 0, in reverse order on this one, a kernel with steps
 * step by step: every tile's first, then every tile's second...), finish.
 */
static int run_tiles(struct vgpu_launch *l, unsigned workers, unsigned threads)
{
	const struct vgpu_kernel_impl *k = vgpu_kernel_impl(l->cmd->spec->id);
	size_t scratch;
	uint32_t nt = plan(l, workers, &scratch);
	l->scratch = NULL;
	if (scratch) {
		scratch = (scratch + 63) / 64 * 64;
		l->scratch = aligned_alloc(64, scratch);
		ck_assert_ptr_nonnull(l->scratch);
		memset(l->scratch, 0, scratch);
	}
	struct mt m = {.k = k, .l = l, .ntiles = nt};
	atomic_init(&m.next, 0);
	atomic_init(&m.err, 0);
	if (threads == 0) {
		uint32_t steps = k->run_step && l->steps > 1 ? l->steps : 1;
		for (uint32_t s = 0; s < steps; s++)
			for (uint32_t t = nt; t-- > 0;) {
				int rc = steps > 1 ? k->run_step(l, t, nt, s)
						   : k->run_tile(l, t, nt);
				if (rc < 0 && !atomic_load(&m.err))
					atomic_store(&m.err, rc);
			}
	} else {
		pthread_t th[16];
		ck_assert_uint_le(threads, COUNT(th));
		for (unsigned i = 0; i < threads; i++)
			ck_assert_int_eq(
			    pthread_create(&th[i], NULL, mt_worker, &m), 0);
		for (unsigned i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
	}
	int rc = atomic_load(&m.err);
	if (rc == 0 && k->finish)
		rc = k->finish(l, nt);
	free(l->scratch);
	l->scratch = NULL;
	return rc;
}

/* Worker counts given to plan(): different ones give different tilings. */
int run(const struct vgpu_cmd *c, void *const *ptr, enum mode mode)
{
	struct vgpu_launch l = {.cmd = c};
	memcpy(l.ptr, ptr, sizeof(l.ptr));
	switch (mode) {
	case RUN_SERIAL:
		return vgpu_kernel_run_serial(&l, 2);
	case RUN_REVERSE:
		return run_tiles(&l, 5, 0);
	default:
		return run_tiles(&l, THREADS, THREADS);
	}
}

int run_on(const struct vgpu_cmd *c, void *const *ptr, unsigned workers,
	   unsigned threads)
{
	struct vgpu_launch l = {.cmd = c};
	memcpy(l.ptr, ptr, sizeof(l.ptr));
	return run_tiles(&l, workers, threads);
}

void run_ok(const struct vgpu_cmd *c, void *const *ptr, enum mode mode)
{
	int rc = run(c, ptr, mode);
	ck_assert_msg(rc == 0, "%s (%s): returned %d", c->spec->name,
		      mode_name[mode], rc);
}

/* Text lines */

struct vgpu_cmd line_cmd;
int line_err;
char line_msg[VGPU_MSG_MAX];

enum vgpu_line_kind parse(const char *line)
{
	line_err = 0;
	return vgpu_text_parse(line, strlen(line), &line_cmd, &line_err,
			       line_msg, sizeof(line_msg));
}

void expect_parse_error(const char *line, int want_err, const char *want_msg)
{
	ck_assert_msg(parse(line) == VGPU_LINE_ERROR, "'%s' parsed", line);
	ck_assert_msg(line_err == want_err && strstr(line_msg, want_msg),
		      "'%s': err %d '%s', want %d '%s'", line, line_err,
		      line_msg, want_err, want_msg);
}

int validate(const char *line, uint64_t size, bool same)
{
	ck_assert_msg(parse(line) == VGPU_LINE_COMMAND, "'%s': %s", line,
		      line_msg);
	struct vgpu_bufinfo info[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		info[i] =
		    (struct vgpu_bufinfo){.id = same ? 1 : i + 1, .size = size};
	line_msg[0] = '\0';
	return vgpu_cmd_validate(&line_cmd, info, line_msg, sizeof(line_msg));
}

void expect_valid(const char *line, uint64_t size, bool same)
{
	int rc = validate(line, size, same);
	ck_assert_msg(rc == 0, "'%s': %d %s", line, rc, line_msg);
}

void expect_invalid(const char *line, uint64_t size, bool same, int want_err,
		    const char *want_msg)
{
	int rc = validate(line, size, same);
	ck_assert_msg(rc == want_err && strstr(line_msg, want_msg),
		      "'%s': %d '%s', want %d '%s'", line, rc, line_msg,
		      want_err, want_msg);
}

void check_catalog(const char *const names[], size_t count, unsigned first,
		   const char *dtypes)
{
	char want[64];
	snprintf(want, sizeof(want), "dtypes: %s\n", dtypes);
	for (unsigned i = 0; i < count; i++) {
		const struct vgpu_kernel_spec *k =
		    vgpu_catalog_find(names[i], strlen(names[i]));
		ck_assert_ptr_nonnull(k);
		ck_assert_uint_eq(k->id, first + i);
		ck_assert_ptr_nonnull(vgpu_kernel_impl(k->id));
		char buf[8192];
		int n = vgpu_catalog_describe(k, buf, sizeof(buf));
		ck_assert_int_lt(n, (int)sizeof(buf));
		ck_assert_msg(strstr(buf, want), "%s: %s", names[i], buf);
		ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s: %s",
			      k->example, line_msg);
		ck_assert_ptr_eq(line_cmd.spec, k);
	}
}

int run_tcase(const char *name, TCase *tc)
{
	Suite *s = suite_create(name);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

uint32_t gemm_tiles_of(unsigned id, size_t m, size_t n, size_t k, size_t batch,
		       int dt, unsigned workers)
{
	struct vgpu_cmd c = mkcmd(id);
	c.val[GEMM_M].i = (int64_t)m;
	c.val[GEMM_N].i = (int64_t)n;
	c.val[GEMM_K].i = (int64_t)k;
	c.val[GEMM_DTYPE].i = dt;
	if (id == VGPU_K_GEMM_BATCHED)
		c.val[GEMMB_BATCH].i = (int64_t)batch;
	void *ptr[VGPU_MAX_ARGS] = {0}; /* plans look at no memory */
	return ntiles_for(&c, ptr, workers);
}
