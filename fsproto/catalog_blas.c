/*
 * The BLAS kernels of the catalogue besides axpy and dot: gemm,
 * gemm_batched, gemv, scal, nrm2 and asum. Matrices are row-major with a
 * leading dimension (row stride in elements), as OpenBLAS takes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

/*
 * A stored ROWS x COLS matrix whose leading dimension is argument LD_IDX
 * (0: not given, packed): SPAN elements from its first to its last, 0 when
 * it is empty. RNAME and CNAME name the dimensions in messages.
 */
struct operand {
	const char *rname, *cname;
	uint64_t rows, cols;
	unsigned ld_idx;
	uint64_t ld, span;
};

static int operand_span(const struct vgpu_cmd *c, struct operand *o, char *msg,
			size_t len)
{
	const char *ldname = c->spec->args[o->ld_idx].name;
	o->ld = (uint64_t)vgpu_cmd_i(c, o->ld_idx);
	if (o->ld == 0)
		o->ld = o->cols;
	else if (o->ld < o->cols) {
		snprintf(msg, len,
			 "%s: %s=%" PRIu64 " is less than %s=%" PRIu64
			 ", the row length of the stored matrix",
			 c->spec->name, ldname, o->ld, o->cname, o->cols);
		return -EINVAL;
	}
	if (!ext_matrix(o->rows, o->cols, o->ld, 1, &o->span))
		return overflow(c, ldname, msg, len);
	return 0;
}

/* How the span was computed: "m*k", or "(m-1)*lda+k". */
static void operand_formula(const struct vgpu_cmd *c, const struct operand *o,
			    char *buf, size_t len)
{
	if (o->ld == o->cols)
		snprintf(buf, len, "%s*%s", o->rname, o->cname);
	else
		snprintf(buf, len, "(%s-1)*%s+%s", o->rname,
			 c->spec->args[o->ld_idx].name, o->cname);
}

/* The extent of one stored matrix of DT elements: "((m-1)*lda+k)*4" */
static int stored_matrix(const struct vgpu_cmd *c, struct vgpu_extent *e,
			 struct operand o, enum vgpu_dtype dt, char *msg,
			 size_t len)
{
	size_t es = vgpu_dtype_size(dt);
	e->elem = dt;
	int rc = operand_span(c, &o, msg, len);
	if (rc < 0)
		return rc;
	if (!ext_mul(o.span, es, &e->bytes))
		return overflow(c, c->spec->args[o.ld_idx].name, msg, len);
	char f[24];
	operand_formula(c, &o, f, sizeof(f));
	snprintf(e->formula, sizeof(e->formula),
		 o.ld == o.cols ? "%s*%zu" : "(%s)*%zu", f, es);
	return 0;
}

/*
 * gemm's three operands as stored (transposes swap A's and B's sides) and
 * the element types: bf16 A and B make an f32 C.
 */
static void gemm_operands(const struct vgpu_cmd *c, struct operand op[3],
			  enum vgpu_dtype *in_dt, enum vgpu_dtype *out_dt)
{
	uint64_t m = (uint64_t)vgpu_cmd_i(c, GEMM_M);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, GEMM_N);
	uint64_t k = (uint64_t)vgpu_cmd_i(c, GEMM_K);
	bool ta = vgpu_cmd_i(c, GEMM_TRANSA), tb = vgpu_cmd_i(c, GEMM_TRANSB);
	op[0] = ta ? (struct operand){"k", "m", k, m, GEMM_LDA, 0, 0}
		   : (struct operand){"m", "k", m, k, GEMM_LDA, 0, 0};
	op[1] = tb ? (struct operand){"n", "k", n, k, GEMM_LDB, 0, 0}
		   : (struct operand){"k", "n", k, n, GEMM_LDB, 0, 0};
	op[2] = (struct operand){"m", "n", m, n, GEMM_LDC, 0, 0};
	*in_dt = dtype_of(c, GEMM_DTYPE);
	*out_dt = *in_dt == VGPU_BF16 ? VGPU_F32 : *in_dt;
}

/* gemm */

/* gemm's arguments, which gemm_batched takes too */
#define GEMM_ARGS                                                              \
	[GEMM_A] = BUF("a", VGPU_ACC_R, "matrix A (m x k after transa)"),      \
	[GEMM_B] = BUF("b", VGPU_ACC_R, "matrix B (k x n after transb)"),      \
	[GEMM_C] = BUF("c", VGPU_ACC_RW, "matrix C (m x n), result"),          \
	[GEMM_M] = INT("m", true, 0, DIM_MAX, 0, "rows of op(A) and C"),       \
	[GEMM_N] = INT("n", true, 0, DIM_MAX, 0, "columns of op(B) and C"),    \
	[GEMM_K] =                                                             \
	    INT("k", true, 0, DIM_MAX, 0, "columns of op(A), rows of op(B)"),  \
	[GEMM_DTYPE] = {.name = "dtype",                                       \
			.type = VGPU_ARG_DTYPE,                                \
			.idef = VGPU_F32,                                      \
			.help = "f32 (default), f64, or bf16: bf16 A and B, "  \
				"f32 C"},                                      \
	[GEMM_TRANSA] = BOOL("transa", "1: A is stored k x m (op(A) = A^T)"),  \
	[GEMM_TRANSB] = BOOL("transb", "1: B is stored n x k (op(B) = B^T)"),  \
	[GEMM_ALPHA] =                                                         \
	    FLT("alpha", false, 1.0, "scale of op(A)*op(B) (default 1)"),      \
	[GEMM_BETA] =                                                          \
	    FLT("beta", false, 0.0, "scale of C (default 0: C is not read)"),  \
	[GEMM_LDA] = INT("lda", false, 1, DIM_MAX, 0,                          \
			 "row stride of A in elements (default: packed)"),     \
	[GEMM_LDB] = INT("ldb", false, 1, DIM_MAX, 0,                          \
			 "row stride of B in elements (default: packed)"),     \
	[GEMM_LDC] = INT("ldc", false, 1, DIM_MAX, 0,                          \
			 "row stride of C in elements (default n)")

static const struct vgpu_arg_spec gemm_args[GEMM_NARGS] = {GEMM_ARGS};

#define GEMM_DTYPES (VGPU_DT_FLT | VGPU_DT(VGPU_BF16))

_Static_assert(GEMM_B == GEMM_A + 1 && GEMM_C == GEMM_A + 2 &&
		   GEMMB_STRIDE_B == GEMMB_STRIDE_A + 1 &&
		   GEMMB_STRIDE_C == GEMMB_STRIDE_A + 2,
	       "A, B and C in order");
_Static_assert(GEMMB_NARGS <= VGPU_MAX_ARGS, "gemm_batched's arguments fit");

static int gemm_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	struct operand op[3];
	enum vgpu_dtype in_dt, out_dt;
	gemm_operands(c, op, &in_dt, &out_dt);
	int rc = 0;
	for (unsigned i = 0; i < 3 && rc == 0; i++) /* GEMM_A, _B, _C */
		rc = stored_matrix(c, &e[GEMM_A + i], op[i],
				   i < 2 ? in_dt : out_dt, msg, len);
	return rc;
}

/* Product of F and the arguments IDX..., saturated (for statistics). */
static uint64_t flops_of(uint64_t f, const struct vgpu_cmd *c,
			 const unsigned *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (__builtin_mul_overflow(f, (uint64_t)vgpu_cmd_i(c, idx[i]),
					   &f))
			return UINT64_MAX;
	return f;
}

static uint64_t gemm_flops(const struct vgpu_cmd *c)
{
	static const unsigned dims[] = {GEMM_M, GEMM_N, GEMM_K};
	return flops_of(2, c, dims, 3);
}

static uint64_t batched_flops(const struct vgpu_cmd *c)
{
	static const unsigned dims[] = {GEMM_M, GEMM_N, GEMM_K, GEMMB_BATCH};
	return flops_of(2, c, dims, 4);
}

static uint64_t gemv_flops(const struct vgpu_cmd *c)
{
	static const unsigned dims[] = {GEMV_M, GEMV_N};
	return flops_of(2, c, dims, 2);
}

static uint64_t scal_flops(const struct vgpu_cmd *c)
{
	static const unsigned dims[] = {SCAL_N};
	return flops_of(1, c, dims, 1);
}

static uint64_t norm_flops(const struct vgpu_cmd *c)
{
	static const unsigned dims[] = {NORM_N};
	return flops_of(2, c, dims, 1);
}

const struct vgpu_kernel_spec vgpu_spec_gemm = {
    .name = "gemm",
    .id = VGPU_K_GEMM,
    .nargs = GEMM_NARGS,
    .args = gemm_args,
    .extents = gemm_extents,
    .flops = gemm_flops,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = GEMM_DTYPES,
    .summary = "general matrix multiply, C = alpha*op(A)*op(B) + beta*C",
    .semantics = "Row-major. op(A) is m x k: A itself is m x k, or k x m "
		 "when transa=1; op(B) is k x n: B is k x n, or n x k when "
		 "transb=1. C is m x n. With beta=0 (the default) C is only "
		 "written. lda/ldb/ldc are row strides in elements. "
		 "dtype=bf16: A and B are bf16, C, alpha and beta f32, "
		 "products summed in f32. Runs on OpenBLAS, split into tiles "
		 "of C over all workers. C may not overlap A or B.",
    .example = "gemm a=A b=B c=C m=512 n=512 k=512",
};

/* gemm_batched: gemm's arguments, batch and strides */

static const struct vgpu_arg_spec gemm_batched_args[GEMMB_NARGS] = {
    GEMM_ARGS,
    [GEMMB_BATCH] = INT("batch", true, 0, DIM_MAX, 0, "number of gemms"),
    [GEMMB_STRIDE_A] = INT("stride_a", false, 0, COUNT_MAX, -1,
			   "elements from one A to the next (default: rows "
			   "of A times lda; 0: one A for all)"),
    [GEMMB_STRIDE_B] = INT("stride_b", false, 0, COUNT_MAX, -1,
			   "elements from one B to the next (default: rows "
			   "of B times ldb; 0: one B for all)"),
    [GEMMB_STRIDE_C] = INT("stride_c", false, 0, COUNT_MAX, -1,
			   "elements from one C to the next (default: m "
			   "times ldc; C matrices may not overlap)"),
};

/*
 * Operand I of BATCH matrices STRIDE elements apart: the span of the last
 * one's end from the first one's start, ((batch-1)*stride + span)*es.
 */
static int batched_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			   char *msg, size_t len)
{
	static const char *const sname[] = {"stride_a", "stride_b", "stride_c"};
	struct operand op[3];
	enum vgpu_dtype in_dt, out_dt;
	gemm_operands(c, op, &in_dt, &out_dt);
	uint64_t batch = (uint64_t)vgpu_cmd_i(c, GEMMB_BATCH);
	for (unsigned i = 0; i < 3; i++) {
		struct vgpu_extent *x = &e[GEMM_A + i];
		struct operand *o = &op[i];
		x->elem = i < 2 ? in_dt : out_dt;
		size_t es = vgpu_dtype_size(x->elem);
		int rc = operand_span(c, o, msg, len);
		if (rc < 0)
			return rc;
		int64_t given = vgpu_cmd_i(c, GEMMB_STRIDE_A + i);
		uint64_t stride = (uint64_t)given, first;
		if (given < 0 && !ext_mul(o->rows, o->ld, &stride))
			return overflow(c, sname[i], msg, len);
		char f[24];
		operand_formula(c, o, f, sizeof(f));
		if (i == 2 && batch > 1 && stride < o->span) {
			snprintf(msg, len,
				 "%s: stride_c=%" PRIu64
				 " is less than %" PRIu64
				 " (%s), the elements one C spans: C "
				 "matrices would overlap",
				 c->spec->name, stride, o->span, f);
			return -EINVAL;
		}
		x->bytes = 0;
		snprintf(x->formula, sizeof(x->formula), "0");
		if (batch == 0 || o->span == 0)
			continue; /* nothing is read or written */
		if (!ext_mul(batch - 1, stride, &first) ||
		    __builtin_add_overflow(first, o->span, &first) ||
		    !ext_mul(first, es, &x->bytes))
			return overflow(c, sname[i], msg, len);
		if (batch == 1)
			snprintf(x->formula, sizeof(x->formula),
				 o->ld == o->cols ? "%s*%zu" : "(%s)*%zu", f,
				 es);
		else
			snprintf(x->formula, sizeof(x->formula),
				 "((batch-1)*%s+%s)*%zu", sname[i], f, es);
	}
	return 0;
}

const struct vgpu_kernel_spec vgpu_spec_gemm_batched = {
    .name = "gemm_batched",
    .id = VGPU_K_GEMM_BATCHED,
    .nargs = GEMMB_NARGS,
    .args = gemm_batched_args,
    .extents = batched_extents,
    .flops = batched_flops,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = GEMM_DTYPES,
    .summary = "batch gemms, C[i] = alpha*op(A[i])*op(B[i]) + beta*C[i]",
    .semantics = "For 0 <= i < batch, a gemm (same arguments as gemm) on "
		 "A[i] = a + i*stride_a, B[i] = b + i*stride_b and C[i] = c "
		 "+ i*stride_c, strides in elements. The default strides are "
		 "the stored matrices' rows times their leading dimension "
		 "(packed: m*k, k*n, m*n). stride_a=0 or stride_b=0 uses one "
		 "matrix for every gemm; C matrices may not overlap each "
		 "other (stride_c at least (m-1)*ldc+n), nor A or B. Tiles "
		 "are (gemms, row panel) pairs: many small gemms and a few "
		 "large ones both spread over all workers.",
    .example = "gemm_batched a=A b=B c=C m=64 n=64 k=64 batch=1000",
};

/* gemv */

static const struct vgpu_arg_spec gemv_args[GEMV_NARGS] = {
    [GEMV_A] = BUF("a", VGPU_ACC_R, "matrix A, m x n as stored"),
    [GEMV_X] = BUF("x", VGPU_ACC_R, "vector x: n elements (m with transa=1)"),
    [GEMV_Y] =
	BUF("y", VGPU_ACC_RW, "vector y: m elements (n with transa=1), result"),
    [GEMV_M] = INT("m", true, 0, DIM_MAX, 0, "rows of A"),
    [GEMV_N] = INT("n", true, 0, DIM_MAX, 0, "columns of A"),
    [GEMV_TRANSA] = BOOL("transa", "1: y = alpha*A^T*x + beta*y"),
    [GEMV_ALPHA] = FLT("alpha", false, 1.0, "scale of op(A)*x (default 1)"),
    [GEMV_BETA] =
	FLT("beta", false, 0.0, "scale of y (default 0: y is not read)"),
    [GEMV_LDA] = INT("lda", false, 1, DIM_MAX, 0,
		     "row stride of A in elements (default n)"),
    [GEMV_DTYPE] = DTYPE,
};

static int gemv_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	uint64_t m = (uint64_t)vgpu_cmd_i(c, GEMV_M);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, GEMV_N);
	bool ta = vgpu_cmd_i(c, GEMV_TRANSA);
	enum vgpu_dtype dt = dtype_of(c, GEMV_DTYPE);
	int rc = stored_matrix(c, &e[GEMV_A],
			       (struct operand){"m", "n", m, n, GEMV_LDA, 0, 0},
			       dt, msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[GEMV_X], ta ? m : n, ta ? "m" : "n",
				   dt, msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[GEMV_Y], ta ? n : m, ta ? "n" : "m",
				   dt, msg, len);
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_gemv = {
    .name = "gemv",
    .id = VGPU_K_GEMV,
    .nargs = GEMV_NARGS,
    .args = gemv_args,
    .extents = gemv_extents,
    .flops = gemv_flops,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "matrix-vector multiply, y = alpha*op(A)*x + beta*y",
    .semantics = "Row-major A, m x n as stored (lda: its row stride in "
		 "elements). transa=0: x has n elements and y m, y = "
		 "alpha*A*x + beta*y; transa=1: x has m elements and y n, y "
		 "= alpha*A^T*x + beta*y. With beta=0 (the default) y is "
		 "only written; an empty sum (n=0, or m=0 with transa=1) "
		 "makes y = beta*y. y may not overlap A or x.",
    .example = "gemv a=A x=x y=y m=4096 n=1000",
};

/* scal */

static const struct vgpu_arg_spec scal_args[SCAL_NARGS] = {
    [SCAL_X] = BUF("x", VGPU_ACC_RW, "vector, scaled in place"),
    [SCAL_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [SCAL_ALPHA] = FLT("alpha", true, 0, "scale"),
    [SCAL_DTYPE] = DTYPE,
};

static int scal_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	return vector_extent(c, &e[SCAL_X], (uint64_t)vgpu_cmd_i(c, SCAL_N),
			     "n", dtype_of(c, SCAL_DTYPE), msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_scal = {
    .name = "scal",
    .id = VGPU_K_SCAL,
    .nargs = SCAL_NARGS,
    .args = scal_args,
    .extents = scal_extents,
    .flops = scal_flops,
    .alias = VGPU_ALIAS_ANY, /* one buffer */
    .dtypes = VGPU_DT_FLT,
    .summary = "x = alpha*x",
    .semantics = "x[i] = alpha*x[i] for 0 <= i < n, the IEEE product in "
		 "the dtype (alpha rounded to it): alpha=0 turns NaN and "
		 "+-inf into NaN and negative numbers into -0",
    .example = "scal x=x alpha=0.5 n=1M",
};

/* nrm2 and asum: x, out, n, dtype */

static const struct vgpu_arg_spec norm_args[NORM_NARGS] = {
    [NORM_X] = BUF("x", VGPU_ACC_R, "input vector"),
    [NORM_OUT] = BUF("out", VGPU_ACC_W, "one element receiving the result"),
    [NORM_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [NORM_DTYPE] = DTYPE,
};

static int norm_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	enum vgpu_dtype dt = dtype_of(c, NORM_DTYPE);
	scalar_extent(&e[NORM_OUT], dt);
	return vector_extent(c, &e[NORM_X], (uint64_t)vgpu_cmd_i(c, NORM_N),
			     "n", dt, msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_nrm2 = {
    .name = "nrm2",
    .id = VGPU_K_NRM2,
    .nargs = NORM_NARGS,
    .args = norm_args,
    .extents = norm_extents,
    .flops = norm_flops,
    .alias = VGPU_ALIAS_ANY, /* out is written after x is read */
    .dtypes = VGPU_DT_FLT,
    .summary = "out[0] = Euclidean norm of x",
    .semantics = "out[0] = sqrt(x[0]^2 + ... + x[n-1]^2), without overflow "
		 "or underflow in between: only a result beyond the dtype's "
		 "range is +inf. NaN if any x[i] is NaN, else +inf if any "
		 "is +-inf; 0 when n is 0",
    .example = "nrm2 x=x out=r n=1M",
};

const struct vgpu_kernel_spec vgpu_spec_asum = {
    .name = "asum",
    .id = VGPU_K_ASUM,
    .nargs = NORM_NARGS,
    .args = norm_args,
    .extents = norm_extents,
    .flops = norm_flops,
    .alias = VGPU_ALIAS_ANY, /* out is written after x is read */
    .dtypes = VGPU_DT_FLT,
    .summary = "out[0] = sum of |x[i]|",
    .semantics = "out[0] = |x[0]| + ... + |x[n-1]|: NaN if any x[i] is "
		 "NaN, else +inf if any is +-inf; 0 when n is 0. Tiles of "
		 "128K elements (64K for f64) are summed by OpenBLAS in the "
		 "dtype, and the tiles' sums added in double precision.",
    .example = "asum x=x out=r n=1M dtype=f64",
};
