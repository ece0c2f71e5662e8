/*
 * libFuzzer target: commands that execute. The input names a few small
 * buffers (random sizes up to 64 KiB, random contents) and then commands,
 * text lines or binary packets, whose buffer arguments name those buffers
 * (any name or handle picks one, so arguments alias) at any offset. Each
 * command goes through the parser and the validator as the daemon takes
 * it; a valid one runs in-process on the real kernel implementation, the
 * way the scheduler runs it (plan, every tile, finish). Checked: the
 * kernel succeeds, no byte outside the extents of the arguments it writes
 * changes, and fill, copy, scal and axpy give what a simple loop gives.
 * ASan and UBSan catch the rest (misaligned loads, reads past an extent).
 * The input's layout: fuzz_exec_input.h.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/kernel_impl.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>

#include "fuzz_check.h"
#include "fuzz_exec_input.h"

#define CMDS_MAX 8 /* commands an input, so that one runs quickly */

/*
 * The harness's own loops (contents, reference checks) are no target: not
 * instrumented for coverage, they leave the time to the kernels. Not
 * inlined either: inlined into an instrumented caller, they were traced
 * after all (coverage is added after inlining).
 */
#if defined(__clang__)
#define HARNESS_LOOP __attribute__((no_sanitize("coverage"), noinline))
#else
#define HARNESS_LOOP
#endif

/*
 * FUZZ_EXEC_BUF_MAX (bytes, default FX_BUF_SIZE_MAX) caps the buffers'
 * sizes: a long run by hand takes 4096 for ~10x the executions a second.
 */
static uint64_t buf_size_max = FX_BUF_SIZE_MAX;

struct pool {
	unsigned nbuf, workers;
	uint8_t *mem[FX_NBUF_MAX];
	uint64_t size[FX_NBUF_MAX];
	uint8_t *before[FX_NBUF_MAX]; /* contents before the command */
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Raw random bytes, or f32 values that are small and finite. */
HARNESS_LOOP static void fill_contents(uint8_t *p, uint64_t size, uint64_t seed,
				       bool finite)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15u + 1;
	uint32_t w = 0;
	/* Whole words with a fixed-size copy, the tail apart: a copy of a
	 * variable size was a call into ASan for every 4 bytes. */
	for (uint64_t i = 0; i <= size; i += 4) {
		w = (uint32_t)next_rand(&s);
		if (finite) {
			float f = (float)((int32_t)(w % 2001) - 1000) / 64.0f;
			memcpy(&w, &f, 4);
		}
		if (size - i < 4)
			break;
		memcpy(p + i, &w, 4);
	}
	memcpy(p + (size & ~(uint64_t)3), &w, size & 3);
}

static void pool_make(struct pool *P, const uint8_t **data, size_t *size)
{
	uint8_t mode = *size ? (*data)[0] : 0;
	if (*size)
		(*data)++, (*size)--;
	P->nbuf = 1 + ((mode >> FX_NBUF_SHIFT) & 3);
	P->workers = 1 + ((mode >> FX_WORKERS_SHIFT) & 7);
	for (unsigned b = 0; b < P->nbuf; b++) {
		uint64_t sz = 4096;
		if (*size >= 2) {
			sz = (uint64_t)(*data)[0] | (uint64_t)(*data)[1] << 8;
			sz %= buf_size_max + 1;
			*data += 2, *size -= 2;
		}
		P->size[b] = sz;
		/* Page-aligned like the daemon's mappings; exact size, so
		 * that ASan sees a byte past the end. */
		void *p = NULL;
		fuzz_expect(posix_memalign(&p, 4096, sz ? sz : 1) == 0,
			    "out of memory");
		P->mem[b] = p;
		P->before[b] = malloc(sz ? sz : 1);
	}
	uint8_t seed = *size ? (*data)[0] : 0;
	if (*size)
		(*data)++, (*size)--;
	for (unsigned b = 0; b < P->nbuf; b++)
		fill_contents(P->mem[b], P->size[b], seed * 8 + b,
			      mode & FX_FINITE);
}

static void pool_free(struct pool *P)
{
	for (unsigned b = 0; b < P->nbuf; b++) {
		free(P->mem[b]);
		free(P->before[b]);
	}
}

/* Reference checks, against the contents before the command. */

static bool same_value(double want, double got)
{
	return (isnan(want) && isnan(got)) || want == got;
}

static double load(const uint8_t *p, uint64_t i, enum vgpu_dtype t)
{
	if (t == VGPU_F64) {
		double d;
		memcpy(&d, p + i * 8, 8);
		return d;
	}
	float f;
	memcpy(&f, p + i * 4, 4);
	return f;
}

HARNESS_LOOP static void check_fill(const struct vgpu_cmd *c,
				    const uint8_t *out)
{
	enum vgpu_dtype t = (enum vgpu_dtype)vgpu_cmd_i(c, FILL_DTYPE);
	double v = vgpu_cmd_f(c, FILL_VALUE);
	double want = t == VGPU_F64 ? v : (double)(float)v;
	for (int64_t i = 0; i < vgpu_cmd_i(c, FILL_N); i++)
		fuzz_expect(same_value(want, load(out, (uint64_t)i, t)),
			    "fill: an element is not the value");
}

static void check_copy(const struct vgpu_cmd *c, const uint8_t *src_before,
		       const uint8_t *dst)
{
	fuzz_expect(
	    memcmp(src_before, dst, (size_t)vgpu_cmd_i(c, COPY_BYTES)) == 0,
	    "copy: dst is not what src held");
}

HARNESS_LOOP static void check_scal(const struct vgpu_cmd *c,
				    const uint8_t *x_before, const uint8_t *x)
{
	enum vgpu_dtype t = (enum vgpu_dtype)vgpu_cmd_i(c, SCAL_DTYPE);
	double a = vgpu_cmd_f(c, SCAL_ALPHA);
	for (int64_t i = 0; i < vgpu_cmd_i(c, SCAL_N); i++) {
		double old = load(x_before, (uint64_t)i, t);
		double want =
		    t == VGPU_F64 ? a * old : (double)((float)a * (float)old);
		fuzz_expect(same_value(want, load(x, (uint64_t)i, t)),
			    "scal: an element is not alpha*x");
	}
}

/*
 * y = alpha*x + y within rounding (OpenBLAS may fuse), where the operands
 * and alpha are finite and alpha is not 0 (whose rules are the kernel's).
 */
HARNESS_LOOP static void check_axpy(const struct vgpu_cmd *c,
				    const uint8_t *x_before,
				    const uint8_t *y_before, const uint8_t *y)
{
	enum vgpu_dtype t = (enum vgpu_dtype)vgpu_cmd_i(c, AXPY_DTYPE);
	double a = vgpu_cmd_f(c, AXPY_ALPHA);
	if (t != VGPU_F64)
		a = (float)a;
	if (a == 0 || !isfinite(a))
		return;
	double eps = t == VGPU_F64 ? 0x1p-50 : 0x1p-21;
	for (int64_t i = 0; i < vgpu_cmd_i(c, AXPY_N); i++) {
		double xo = load(x_before, (uint64_t)i, t);
		double yo = load(y_before, (uint64_t)i, t);
		double got = load(y, (uint64_t)i, t);
		double want = a * xo + yo;
		if (!isfinite(xo) || !isfinite(yo) || !isfinite(want) ||
		    fabs(want) > 1e30)
			continue;
		double tol = eps * (fabs(a * xo) + fabs(yo)) + 0x1p-1000;
		fuzz_expect(fabs(got - want) <= tol,
			    "axpy: an element is not alpha*x + y");
	}
}

static void check_reference(const struct pool *P, const struct vgpu_cmd *c,
			    const unsigned bi[], const uint8_t *const ptr[])
{
	/* Each argument's contents before, at its offset. */
	const uint8_t *was[VGPU_MAX_ARGS] = {0};
	for (unsigned i = 0; i < c->spec->nargs; i++)
		if (c->spec->args[i].type == VGPU_ARG_BUF)
			was[i] = P->before[bi[i]] + c->buf[i].offset;
	switch (c->spec->id) {
	case VGPU_K_FILL:
		check_fill(c, ptr[FILL_BUF]);
		break;
	case VGPU_K_COPY:
		check_copy(c, was[COPY_SRC], ptr[COPY_DST]);
		break;
	case VGPU_K_SCAL:
		check_scal(c, was[SCAL_X], ptr[SCAL_X]);
		break;
	case VGPU_K_AXPY:
		check_axpy(c, was[AXPY_X], was[AXPY_Y], ptr[AXPY_Y]);
		break;
	}
}

/* A byte range [lo, hi) of one buffer. */
struct range {
	uint64_t lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * No byte changed outside the ranges of the arguments the kernel writes:
 * the gaps between those ranges are compared whole (memcmp), since a
 * byte-by-byte loop here would cost more than the kernels it checks.
 */
HARNESS_LOOP static void check_untouched(const struct pool *P,
					 const struct vgpu_cmd *c,
					 const unsigned bi[])
{
	const struct vgpu_kernel_spec *k = c->spec;
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	char msg[VGPU_MSG_MAX];
	fuzz_expect(k->extents(c, ext, msg, sizeof(msg)) == 0,
		    "extents fail after validation passed");
	for (unsigned b = 0; b < P->nbuf; b++) {
		struct range w[VGPU_MAX_ARGS + 1];
		unsigned n = 0;
		for (unsigned i = 0; i < k->nargs; i++)
			if (k->args[i].type == VGPU_ARG_BUF &&
			    (k->args[i].access & VGPU_ACC_W) && bi[i] == b)
				w[n++] = (struct range){c->buf[i].offset,
							c->buf[i].offset +
							    ext[i].bytes};
		qsort(w, n, sizeof(w[0]), range_cmp);
		w[n++] = (struct range){P->size[b], P->size[b]};
		uint64_t pos = 0;
		for (unsigned i = 0; i < n; i++) {
			uint64_t gap_end =
			    w[i].lo < P->size[b] ? w[i].lo : P->size[b];
			if (gap_end > pos)
				fuzz_expect(memcmp(P->mem[b] + pos,
						   P->before[b] + pos,
						   gap_end - pos) == 0,
					    "a byte outside every written "
					    "extent changed");
			if (w[i].hi > pos)
				pos = w[i].hi;
		}
	}
}

/*
 * Kernels that read row or class indices from a buffer: an index out of
 * range is known only when the kernel reads it, and fails the command
 * with ERANGE (docs/kernels.md, Training kernels); random memory is full
 * of them.
 */
static bool takes_indices(unsigned id)
{
	return id == VGPU_K_EMBEDDING || id == VGPU_K_EMBEDDING_BACKWARD ||
	       id == VGPU_K_CROSS_ENTROPY ||
	       id == VGPU_K_CROSS_ENTROPY_BACKWARD;
}

/* A parsed command: validated against the pool, run when valid. */
static void execute(struct pool *P, const struct vgpu_cmd *c)
{
	const struct vgpu_kernel_spec *k = c->spec;
	if (k->control || k->program)
		return; /* the scheduler's or the program room's: no kernel */
	struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {0};
	unsigned bi[VGPU_MAX_ARGS] = {0};
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_BUF)
			continue;
		bi[i] = fx_pick(&c->buf[i], P->nbuf);
		info[i] = (struct vgpu_bufinfo){.id = bi[i] + 1,
						.size = P->size[bi[i]]};
	}
	char msg[VGPU_MSG_MAX];
	uint64_t bytes;
	if (vgpu_cmd_validate_bytes(c, info, msg, sizeof(msg), &bytes) < 0) {
		fuzz_expect(msg[0] != '\0', "a refusal without a message");
		return;
	}
	if (bytes == 0)
		return; /* nothing to read or write: the daemon runs nothing */
	const struct vgpu_kernel_impl *impl = vgpu_kernel_impl(k->id);
	fuzz_expect(impl != NULL, "a catalogued kernel without an "
				  "implementation");
	struct vgpu_launch l = {.cmd = c};
	const uint8_t *ptr[VGPU_MAX_ARGS] = {0};
	for (unsigned i = 0; i < k->nargs; i++)
		if (k->args[i].type == VGPU_ARG_BUF) {
			l.ptr[i] = P->mem[bi[i]] + c->buf[i].offset;
			ptr[i] = l.ptr[i];
		}
	for (unsigned b = 0; b < P->nbuf; b++)
		memcpy(P->before[b], P->mem[b], P->size[b]);
	int rc = vgpu_kernel_run_serial(&l, P->workers);
	fuzz_expect(rc == 0 || (rc == -ERANGE && takes_indices(k->id)),
		    "a valid command fails in its kernel");
	check_untouched(P, c, bi);
	check_reference(P, c, bi, ptr);
}

static void run_text(struct pool *P, const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	for (unsigned n = 0; s < end && n < CMDS_MAX; n++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		struct vgpu_cmd cmd;
		int err = 0;
		char msg[VGPU_MSG_MAX];
		if (len <= VGPU_LINE_MAX &&
		    vgpu_text_parse(s, len, &cmd, &err, msg, sizeof(msg)) ==
			VGPU_LINE_COMMAND)
			execute(P, &cmd);
		s += len + 1;
	}
}

static void execute_packet(const struct vgpu_cmd *c, uint64_t tag, void *P)
{
	(void)tag;
	execute(P, c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *cap = getenv("FUZZ_EXEC_BUF_MAX");
	if (cap && strtoull(cap, NULL, 10) > 0 &&
	    strtoull(cap, NULL, 10) < FX_BUF_SIZE_MAX)
		buf_size_max = strtoull(cap, NULL, 10);
	vgpu_kernels_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool binary = size && (data[0] & FX_BINARY);
	struct pool P;
	pool_make(&P, &data, &size);
	if (binary)
		fuzz_packets(data, size, CMDS_MAX, execute_packet, &P);
	else
		run_text(&P, data, size);
	pool_free(&P);
	return 0;
}
