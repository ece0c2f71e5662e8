/*
 * The kernels of the catalogue that work on a rows x cols row-major matrix:
 * reductions along an axis (sum mean amax amin argmax argmin), softmax and
 * log_softmax of each row, layernorm of each row, and transpose.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

#define DT_FLT_I32 (VGPU_DT_FLT | VGPU_DT(VGPU_I32))

#define DTYPE_ARG                                                              \
	{                                                                      \
		.name = "dtype", .type = VGPU_ARG_DTYPE, .idef = VGPU_F32,     \
		.help = "element type (default f32)"                           \
	}

/* A kernel's spec, NAME also its name in the catalogue. */
#define SPEC(NAME, ID, ARGS, NARGS, EXTENTS, ALIAS, DTYPES, SUMMARY,           \
	     SEMANTICS, EXAMPLE)                                               \
	const struct vgpu_kernel_spec vgpu_spec_##NAME = {                     \
	    .name = #NAME,                                                     \
	    .id = ID,                                                          \
	    .nargs = NARGS,                                                    \
	    .args = ARGS,                                                      \
	    .extents = EXTENTS,                                                \
	    .alias = ALIAS,                                                    \
	    .dtypes = DTYPES,                                                  \
	    .summary = SUMMARY,                                                \
	    .semantics = SEMANTICS,                                            \
	    .example = EXAMPLE,                                                \
	}

/* EXT = rows*cols DT elements, the matrix of a command: "rows*cols*ES". */
static int matrix_extent(const struct vgpu_cmd *c, struct vgpu_extent *ext,
			 unsigned rows_idx, unsigned cols_idx,
			 enum vgpu_dtype dt, char *msg, size_t len)
{
	uint64_t n;
	if (!ext_mul((uint64_t)vgpu_cmd_i(c, rows_idx),
		     (uint64_t)vgpu_cmd_i(c, cols_idx), &n))
		return overflow(c, "rows*cols", msg, len);
	return vector_extent(c, ext, n, "rows*cols", dt, msg, len);
}

/* Reductions: NAME x=X out=Y rows=R cols=C axis=0|1 [dtype=] */

static const struct vgpu_arg_spec reduce_args[RED_NARGS] = {
    [RED_X] = BUF("x", VGPU_ACC_R, "input, rows x cols, row-major"),
    [RED_OUT] = BUF("out", VGPU_ACC_W,
		    "result: rows elements (axis=1) or cols (axis=0)"),
    [RED_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [RED_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns of x"),
    [RED_AXIS] =
	INT("axis", true, 0, 1, 0, "1: reduce each row; 0: reduce each column"),
    [RED_DTYPE] = DTYPE_ARG,
};

static bool is_pick(unsigned id)
{
	return id == VGPU_K_AMAX || id == VGPU_K_AMIN || id == VGPU_K_ARGMAX ||
	       id == VGPU_K_ARGMIN;
}

static int reduce_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			  char *msg, size_t len)
{
	const char *name = c->spec->name;
	unsigned id = c->spec->id;
	bool rowwise = vgpu_cmd_i(c, RED_AXIS) == 1;
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, RED_ROWS);
	uint64_t cols = (uint64_t)vgpu_cmd_i(c, RED_COLS);
	uint64_t kept = rowwise ? rows : cols, red = rowwise ? cols : rows;
	const char *kname = rowwise ? "rows" : "cols";
	const char *rname = rowwise ? "cols" : "rows";
	const char *line = rowwise ? "row" : "column";
	if (is_pick(id) && red == 0 && kept > 0) {
		bool lo = id == VGPU_K_AMIN || id == VGPU_K_ARGMIN;
		snprintf(msg, len,
			 "%s: %s=0 with axis=%d: the %" PRIu64
			 " %ss are empty, and an empty %s has no %s",
			 name, rname, rowwise, kept, line, line,
			 lo ? "minimum" : "maximum");
		return -EINVAL;
	}
	if ((id == VGPU_K_ARGMAX || id == VGPU_K_ARGMIN) &&
	    red > (uint64_t)INT32_MAX + 1) {
		snprintf(msg, len,
			 "%s: %s=%" PRIu64
			 " with axis=%d: indices past 2147483647 do not fit "
			 "the i32 output",
			 name, rname, red, rowwise);
		return -EINVAL;
	}
	int64_t dt = vgpu_cmd_i(c, RED_DTYPE);
	if (id == VGPU_K_MEAN && dt == VGPU_I32 && red > (uint64_t)1 << 32) {
		snprintf(msg, len,
			 "%s: %s=%" PRIu64
			 " with axis=%d: the mean of i32 takes at most "
			 "4294967296 elements (its sum is exact in 64 bits)",
			 name, rname, red, rowwise);
		return -EINVAL;
	}
	int rc = matrix_extent(c, &e[RED_X], RED_ROWS, RED_COLS,
			       (enum vgpu_dtype)dt, msg, len);
	if (rc < 0)
		return rc;
	/* Indices are i32; the mean of i32 is f64. */
	enum vgpu_dtype odt =
	    id == VGPU_K_ARGMAX || id == VGPU_K_ARGMIN ? VGPU_I32
	    : id == VGPU_K_MEAN && dt == VGPU_I32      ? VGPU_F64
						       : (enum vgpu_dtype)dt;
	return vector_extent(c, &e[RED_OUT], kept, kname, odt, msg, len);
}

#define REDUCE_COMMON                                                          \
	" x is rows x cols, row-major; axis=1 reduces each row (out has rows " \
	"elements), axis=0 each column (out has cols elements). out may not "  \
	"overlap x."

#define REDUCE_SPEC(NAME, ID, SUMMARY, SEMANTICS, EXAMPLE)                     \
	SPEC(NAME, ID, reduce_args, RED_NARGS, reduce_extents,                 \
	     VGPU_ALIAS_DISJOINT, DT_FLT_I32, SUMMARY,                         \
	     SEMANTICS REDUCE_COMMON, EXAMPLE)

REDUCE_SPEC(sum, VGPU_K_SUM, "sums of the rows or the columns of a matrix",
	    "out[k] = the sum of row k (axis=1) or column k (axis=0); 0 for "
	    "an empty one. Floats are summed in double precision with "
	    "compensation (the rounding error of every addition is added "
	    "back) and rounded once to dtype; i32 sums wrap around modulo "
	    "2^32.",
	    "sum x=X out=rowsum rows=1K cols=1K axis=1");
REDUCE_SPEC(mean, VGPU_K_MEAN, "means of the rows or the columns of a matrix",
	    "out[k] = the sum of row k (axis=1) or column k (axis=0), "
	    "computed as by sum, divided by its length; NaN for an empty one. "
	    "f32 gives f32, f64 gives f64, and i32 gives f64 (out holds 8 "
	    "bytes an element): the exact integer sum divided by the length.",
	    "mean x=X out=colmean rows=1K cols=1K axis=0");
REDUCE_SPEC(amax, VGPU_K_AMAX,
	    "largest element of each row or column of a matrix",
	    "out[k] = the largest element of row k (axis=1) or column k "
	    "(axis=0); NaN if it holds a NaN (like numpy.amax); of -0 and +0 "
	    "either may come out. An empty row or column is an error "
	    "(EINVAL), unless out has no elements.",
	    "amax x=X out=m rows=1K cols=1K axis=1");
REDUCE_SPEC(amin, VGPU_K_AMIN,
	    "smallest element of each row or column of a matrix",
	    "out[k] = the smallest element of row k (axis=1) or column k "
	    "(axis=0); NaN if it holds a NaN (like numpy.amin); of -0 and +0 "
	    "either may come out. An empty row or column is an error "
	    "(EINVAL), unless out has no elements.",
	    "amin x=X out=m rows=1K cols=1K axis=0 dtype=i32");
REDUCE_SPEC(argmax, VGPU_K_ARGMAX,
	    "index of the largest element of each row or column",
	    "out[k] (i32, whatever the dtype of x) = the index within row k "
	    "(axis=1) or column k (axis=0) of its largest element: the first "
	    "one when several are equal, the first NaN if it holds NaNs (like "
	    "numpy.argmax). An empty row or column is an error (EINVAL), "
	    "unless out has no elements.",
	    "argmax x=logits out=labels rows=64 cols=1000 axis=1");
REDUCE_SPEC(argmin, VGPU_K_ARGMIN,
	    "index of the smallest element of each row or column",
	    "out[k] (i32, whatever the dtype of x) = the index within row k "
	    "(axis=1) or column k (axis=0) of its smallest element: the first "
	    "one when several are equal, the first NaN if it holds NaNs (like "
	    "numpy.argmin). An empty row or column is an error (EINVAL), "
	    "unless out has no elements.",
	    "argmin x=X out=idx rows=1K cols=1K axis=0 dtype=f64");

/* softmax, log_softmax: NAME x=X out=Y rows=R cols=C [dtype=] */

static const struct vgpu_arg_spec softmax_args[SMAX_NARGS] = {
    [SMAX_X] = BUF("x", VGPU_ACC_R, "input, rows x cols, row-major"),
    [SMAX_OUT] = BUF("out", VGPU_ACC_W, "result, rows x cols (may be x)"),
    [SMAX_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [SMAX_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns of x"),
    [SMAX_DTYPE] = DTYPE_ARG,
    [SMAX_CAUSAL] = BOOL("causal", "1: row r takes only its first r mod cols "
				   "+ 1 elements (a causal mask)"),
};

static int softmax_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			   char *msg, size_t len)
{
	int rc = matrix_extent(c, &e[SMAX_X], SMAX_ROWS, SMAX_COLS,
			       dtype_of(c, SMAX_DTYPE), msg, len);
	e[SMAX_OUT] = e[SMAX_X];
	return rc;
}

#define SOFTMAX_COMMON                                                         \
	" Numerically stable: the row's maximum m is subtracted first, and "   \
	"the sum is taken in double precision. -inf elements give 0 (-inf "    \
	"for log_softmax) when the row has a finite maximum; a row that "      \
	"holds a NaN or +inf, or is all -inf, comes out all NaN (like scipy "  \
	"and PyTorch). With causal=1 the rows are cols x cols matrices one "   \
	"after another, masked above the diagonal: row r is the softmax of "   \
	"its first r mod cols + 1 elements, and the rest are 0 (-inf for "     \
	"log_softmax), as with -inf added there. out may be the very same "    \
	"range as x (in place), but not partly overlap it."

#define SOFTMAX_SPEC(NAME, ID, SUMMARY, SEMANTICS, EXAMPLE)                    \
	SPEC(NAME, ID, softmax_args, SMAX_NARGS, softmax_extents,              \
	     VGPU_ALIAS_SAME_OR_DISJOINT, VGPU_DT_FLT, SUMMARY,                \
	     SEMANTICS SOFTMAX_COMMON, EXAMPLE)

SOFTMAX_SPEC(softmax, VGPU_K_SOFTMAX, "softmax of each row of a matrix",
	     "out[i,j] = exp(x[i,j] - m) / sum over k of exp(x[i,k] - m), for "
	     "each row i of the rows x cols matrix x.",
	     "softmax x=logits out=probs rows=64 cols=1000");
SOFTMAX_SPEC(log_softmax, VGPU_K_LOG_SOFTMAX,
	     "logarithm of the softmax of each row of a matrix",
	     "out[i,j] = x[i,j] - m - log(sum over k of exp(x[i,k] - m)), "
	     "for each row i of the rows x cols matrix x; accurate where "
	     "log(softmax) would underflow to -inf. The log is log1p of the "
	     "sum without one maximum's term: finite results are within 4 "
	     "ulps, relative, in f64 (half an ulp and a bit in f32), near 0 "
	     "too.",
	     "log_softmax x=logits out=logits rows=64 cols=1000");

/* layernorm x=X out=Y [gamma=G] [beta=B] rows=R cols=C [eps=] [dtype=] */

static const struct vgpu_arg_spec layernorm_args[LN_NARGS] = {
    [LN_X] = BUF("x", VGPU_ACC_R, "input, rows x cols, row-major"),
    [LN_OUT] = BUF("out", VGPU_ACC_W, "result, rows x cols (may be x)"),
    [LN_GAMMA] = {.name = "gamma",
		  .type = VGPU_ARG_BUF,
		  .access = VGPU_ACC_R,
		  .same_as = LN_X + 1,
		  .help = "scale, cols elements (default: all 1)"},
    [LN_BETA] = {.name = "beta",
		 .type = VGPU_ARG_BUF,
		 .access = VGPU_ACC_R,
		 .same_as = LN_X + 1,
		 .help = "shift, cols elements (default: all 0)"},
    [LN_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [LN_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns of x"),
    [LN_EPS] = FLT("eps", false, 1e-5,
		   "added to the variance, at least 0 (default 1e-5)"),
    [LN_DTYPE] = DTYPE_ARG,
};

static int layernorm_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			     char *msg, size_t len)
{
	double eps = vgpu_cmd_f(c, LN_EPS);
	if (!(eps >= 0)) {
		snprintf(msg, len, "layernorm: eps=%g is negative", eps);
		return -EINVAL;
	}
	enum vgpu_dtype dt = dtype_of(c, LN_DTYPE);
	int rc = matrix_extent(c, &e[LN_X], LN_ROWS, LN_COLS, dt, msg, len);
	if (rc < 0)
		return rc;
	e[LN_OUT] = e[LN_X];
	for (unsigned i = LN_GAMMA; i <= LN_BETA && rc == 0; i++) {
		if (vgpu_cmd_given(c, i))
			rc = vector_extent(c, &e[i],
					   (uint64_t)vgpu_cmd_i(c, LN_COLS),
					   "cols", dt, msg, len);
		else
			snprintf(e[i].formula, sizeof(e[i].formula), "0");
	}
	return rc;
}

SPEC(layernorm, VGPU_K_LAYERNORM, layernorm_args, LN_NARGS, layernorm_extents,
     VGPU_ALIAS_SAME_OR_DISJOINT, VGPU_DT_FLT,
     "layer normalisation of each row of a matrix",
     "For each row i of the rows x cols matrix x, with mean m and "
     "population variance v of the row: out[i,j] = (x[i,j] - m) / "
     "sqrt(v + eps) * gamma[j] + beta[j]. gamma and beta have cols "
     "elements; without them gamma is 1 and beta 0. m and v are computed "
     "in double precision in two passes (v from the deviations to m). A "
     "row holding a NaN or an infinity comes out all NaN; with eps=0 a "
     "constant row does too (0/0). out may be the very same range as x "
     "(in place), but not partly overlap x, gamma or beta.",
     "layernorm x=h out=h gamma=g beta=b rows=512 cols=768");

/* transpose x=X out=Y rows=R cols=C [dtype=] */

static const struct vgpu_arg_spec transpose_args[TR_NARGS] = {
    [TR_X] = BUF("x", VGPU_ACC_R, "input, rows x cols, row-major"),
    [TR_OUT] = BUF("out", VGPU_ACC_W, "result, cols x rows, row-major"),
    [TR_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [TR_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns of x"),
    [TR_DTYPE] = {.name = "dtype",
		  .type = VGPU_ARG_DTYPE,
		  .idef = VGPU_F32,
		  .help = "element type (default f32); only its size matters"},
};

static int transpose_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			     char *msg, size_t len)
{
	int rc = matrix_extent(c, &e[TR_X], TR_ROWS, TR_COLS,
			       dtype_of(c, TR_DTYPE), msg, len);
	e[TR_OUT] = e[TR_X];
	return rc;
}

SPEC(transpose, VGPU_K_TRANSPOSE, transpose_args, TR_NARGS, transpose_extents,
     VGPU_ALIAS_DISJOINT, VGPU_DT_ALL, "out = the transpose of a matrix",
     "out[j,i] = x[i,j]: x is rows x cols and out cols x rows, "
     "both row-major. Elements are copied bit for bit (NaN "
     "payloads too). out may not overlap x, not even for one row "
     "or one column.",
     "transpose x=A out=At rows=1K cols=512");
