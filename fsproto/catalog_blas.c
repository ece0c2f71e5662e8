/*
 * The BLAS kernels of the catalogue besides axpy and dot: gemm, gemv, scal,
 * nrm2 and asum. Matrices are row-major with a leading dimension (row
 * stride in elements), as OpenBLAS takes them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

/*
 * The extent of a stored ROWS x COLS matrix whose leading dimension is
 * argument LD_IDX (0: not given, packed), ES bytes an element. Names are
 * for the messages: "((m-1)*lda+k)*4".
 */
static int stored_matrix(const struct vgpu_cmd *c, struct vgpu_extent *e,
			 unsigned ld_idx, uint64_t rows, uint64_t cols,
			 const char *rname, const char *cname, size_t es,
			 char *msg, size_t len)
{
	const char *ldname = c->spec->args[ld_idx].name;
	uint64_t ld = (uint64_t)vgpu_cmd_i(c, ld_idx);
	if (ld == 0)
		ld = cols;
	else if (ld < cols) {
		snprintf(msg, len,
			 "%s: %s=%" PRIu64 " is less than %s=%" PRIu64
			 ", the row length of the stored matrix",
			 c->spec->name, ldname, ld, cname, cols);
		return -EINVAL;
	}
	if (!ext_matrix(rows, cols, ld, es, &e->bytes))
		return overflow(c, ldname, msg, len);
	if (ld == cols)
		snprintf(e->formula, sizeof(e->formula), "%s*%s*%zu", rname,
			 cname, es);
	else
		snprintf(e->formula, sizeof(e->formula), "((%s-1)*%s+%s)*%zu",
			 rname, ldname, cname, es);
	return 0;
}

/* gemm */

static const struct vgpu_arg_spec gemm_args[GEMM_NARGS] = {
    [GEMM_A] = BUF("a", VGPU_ACC_R, "matrix A (m x k after transa)"),
    [GEMM_B] = BUF("b", VGPU_ACC_R, "matrix B (k x n after transb)"),
    [GEMM_C] = BUF("c", VGPU_ACC_RW, "matrix C (m x n), result"),
    [GEMM_M] = INT("m", true, 0, DIM_MAX, 0, "rows of op(A) and C"),
    [GEMM_N] = INT("n", true, 0, DIM_MAX, 0, "columns of op(B) and C"),
    [GEMM_K] = INT("k", true, 0, DIM_MAX, 0, "columns of op(A), rows of op(B)"),
    [GEMM_DTYPE] = DTYPE,
    [GEMM_TRANSA] = BOOL("transa", "1: A is stored k x m (op(A) = A^T)"),
    [GEMM_TRANSB] = BOOL("transb", "1: B is stored n x k (op(B) = B^T)"),
    [GEMM_ALPHA] = FLT("alpha", false, 1.0, "scale of op(A)*op(B) (default 1)"),
    [GEMM_BETA] =
	FLT("beta", false, 0.0, "scale of C (default 0: C is not read)"),
    [GEMM_LDA] = INT("lda", false, 1, DIM_MAX, 0,
		     "row stride of A in elements (default: packed)"),
    [GEMM_LDB] = INT("ldb", false, 1, DIM_MAX, 0,
		     "row stride of B in elements (default: packed)"),
    [GEMM_LDC] = INT("ldc", false, 1, DIM_MAX, 0,
		     "row stride of C in elements (default n)"),
};

static int gemm_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	uint64_t m = (uint64_t)vgpu_cmd_i(c, GEMM_M);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, GEMM_N);
	uint64_t k = (uint64_t)vgpu_cmd_i(c, GEMM_K);
	bool ta = vgpu_cmd_i(c, GEMM_TRANSA), tb = vgpu_cmd_i(c, GEMM_TRANSB);
	size_t es = esize(c, GEMM_DTYPE);
	int rc = ta ? stored_matrix(c, &e[GEMM_A], GEMM_LDA, k, m, "k", "m", es,
				    msg, len)
		    : stored_matrix(c, &e[GEMM_A], GEMM_LDA, m, k, "m", "k", es,
				    msg, len);
	if (rc == 0)
		rc = tb ? stored_matrix(c, &e[GEMM_B], GEMM_LDB, n, k, "n", "k",
					es, msg, len)
			: stored_matrix(c, &e[GEMM_B], GEMM_LDB, k, n, "k", "n",
					es, msg, len);
	if (rc == 0)
		rc = stored_matrix(c, &e[GEMM_C], GEMM_LDC, m, n, "m", "n", es,
				   msg, len);
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_gemm = {
    .name = "gemm",
    .id = VGPU_K_GEMM,
    .nargs = GEMM_NARGS,
    .args = gemm_args,
    .extents = gemm_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "general matrix multiply, C = alpha*op(A)*op(B) + beta*C",
    .semantics = "Row-major. op(A) is m x k: A itself is m x k, or k x m "
		 "when transa=1; op(B) is k x n: B is k x n, or n x k when "
		 "transb=1. C is m x n. With beta=0 (the default) C is only "
		 "written. lda/ldb/ldc are row strides in elements. Runs on "
		 "OpenBLAS, split into tiles of C over all workers. C may "
		 "not overlap A or B.",
    .example = "gemm a=A b=B c=C m=512 n=512 k=512",
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
	size_t es = esize(c, GEMV_DTYPE);
	int rc = stored_matrix(c, &e[GEMV_A], GEMV_LDA, m, n, "m", "n", es, msg,
			       len);
	if (rc == 0)
		rc = vector_extent(c, &e[GEMV_X], ta ? m : n, ta ? "m" : "n",
				   es, msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[GEMV_Y], ta ? n : m, ta ? "n" : "m",
				   es, msg, len);
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_gemv = {
    .name = "gemv",
    .id = VGPU_K_GEMV,
    .nargs = GEMV_NARGS,
    .args = gemv_args,
    .extents = gemv_extents,
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
			     "n", esize(c, SCAL_DTYPE), msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_scal = {
    .name = "scal",
    .id = VGPU_K_SCAL,
    .nargs = SCAL_NARGS,
    .args = scal_args,
    .extents = scal_extents,
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
	size_t es = esize(c, NORM_DTYPE);
	e[NORM_OUT].bytes = es;
	snprintf(e[NORM_OUT].formula, sizeof(e[0].formula), "%zu", es);
	return vector_extent(c, &e[NORM_X], (uint64_t)vgpu_cmd_i(c, NORM_N),
			     "n", es, msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_nrm2 = {
    .name = "nrm2",
    .id = VGPU_K_NRM2,
    .nargs = NORM_NARGS,
    .args = norm_args,
    .extents = norm_extents,
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
    .alias = VGPU_ALIAS_ANY, /* out is written after x is read */
    .dtypes = VGPU_DT_FLT,
    .summary = "out[0] = sum of |x[i]|",
    .semantics = "out[0] = |x[0]| + ... + |x[n-1]|: NaN if any x[i] is "
		 "NaN, else +inf if any is +-inf; 0 when n is 0. Tiles of "
		 "128K elements (64K for f64) are summed by OpenBLAS in the "
		 "dtype, and the tiles' sums added in double precision.",
    .example = "asum x=x out=r n=1M dtype=f64",
};
