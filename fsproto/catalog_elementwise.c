/*
 * The elementwise kernels of the catalogue: binary (add sub mul div max min
 * pow), unary (relu gelu sigmoid tanh exp log sqrt abs neg recip) and cast.
 * Their ids follow gemm's in enum vgpu_kernel_id.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

/* Binary: NAME a=X (b=Y | bscalar=V) out=Z n=N [rows=R] [dtype=] */

static const struct vgpu_arg_spec binary_args[BIN_NARGS] = {
    [BIN_A] = BUF("a", VGPU_ACC_R, "first operand, n elements"),
    [BIN_B] = {.name = "b",
	       .type = VGPU_ARG_BUF,
	       .access = VGPU_ACC_R,
	       .same_as = BIN_A + 1,
	       .help = "second operand: n elements, or n/rows with rows="},
    [BIN_OUT] = BUF("out", VGPU_ACC_W, "result, n elements"),
    [BIN_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [BIN_ROWS] = INT("rows", false, 1, COUNT_MAX, 0,
		     "a is rows x n/rows; b is one row, used for every row"),
    [BIN_BSCALAR] = FLT("bscalar", false, 0,
			"a number used as the second operand, instead of b"),
    [BIN_DTYPE] = {.name = "dtype",
		   .type = VGPU_ARG_DTYPE,
		   .idef = VGPU_F32,
		   .help = "element type (default f32)"},
};

static int binary_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			  char *msg, size_t len)
{
	const char *name = c->spec->name;
	bool hasb = vgpu_cmd_given(c, BIN_B);
	bool hass = vgpu_cmd_given(c, BIN_BSCALAR);
	uint64_t n = (uint64_t)vgpu_cmd_i(c, BIN_N);
	int64_t rows = vgpu_cmd_i(c, BIN_ROWS);
	enum vgpu_dtype dt = dtype_of(c, BIN_DTYPE);
	if (hasb && hass) {
		snprintf(msg, len,
			 "%s: give either b= (a vector) or bscalar= (a "
			 "number), not both",
			 name);
		return -EINVAL;
	}
	if (!hasb && !hass) {
		snprintf(msg, len,
			 "%s: missing argument 'b' (second operand), or "
			 "bscalar= for a number",
			 name);
		return -EINVAL;
	}
	if (hass && vgpu_cmd_given(c, BIN_ROWS)) {
		snprintf(msg, len,
			 "%s: rows= goes with b=, not with bscalar=", name);
		return -EINVAL;
	}
	if (rows < 0 || (rows > 0 && n % (uint64_t)rows != 0)) {
		snprintf(msg, len,
			 "%s: rows=%" PRId64 " does not divide n=%" PRIu64,
			 name, rows, n);
		return -EINVAL;
	}
	double s = vgpu_cmd_f(c, BIN_BSCALAR);
	if (hass && vgpu_cmd_i(c, BIN_DTYPE) == VGPU_I32 &&
	    !(s >= INT32_MIN && s <= INT32_MAX && s == (double)(int32_t)s)) {
		snprintf(msg, len,
			 "%s: bscalar=%.17g is not an i32 value (an integer "
			 "in [-2147483648, 2147483647])",
			 name, s);
		return -EINVAL;
	}
	int rc = vector_extent(c, &e[BIN_A], n, "n", dt, msg, len);
	if (rc < 0)
		return rc;
	e[BIN_OUT] = e[BIN_A];
	if (hass) {
		e[BIN_B].bytes = 0; /* bound to a's buffer, not used */
		snprintf(e[BIN_B].formula, sizeof(e[0].formula), "0");
	} else if (rows > 0) {
		rc = vector_extent(c, &e[BIN_B], n / (uint64_t)rows, "n/rows",
				   dt, msg, len);
	} else {
		e[BIN_B] = e[BIN_A];
	}
	return rc;
}

#define BINARY_COMMON                                                          \
	" for 0 <= i < n. b is a vector of n elements; with rows=R (R "        \
	"divides n) a and out are R rows of n/R elements and b is one row "    \
	"of n/R, used for every row (b[i mod n/R]); with bscalar=V instead "   \
	"of b, V is the second operand of every element. out may be the "      \
	"very same range as a, or as a full-length b, but not overlap them "   \
	"otherwise, and not overlap a broadcast row b at all."

/* One operation an element (counted for floats and integers alike). */
static uint64_t binary_flops(const struct vgpu_cmd *c)
{
	return (uint64_t)vgpu_cmd_i(c, BIN_N);
}

static uint64_t unary_flops(const struct vgpu_cmd *c)
{
	return (uint64_t)vgpu_cmd_i(c, UN_N);
}

#define BINARY_SPEC(NAME, ID, DTYPES, SUMMARY, SEMANTICS, EXAMPLE)             \
	const struct vgpu_kernel_spec vgpu_spec_##NAME = {                     \
	    .name = #NAME,                                                     \
	    .id = ID,                                                          \
	    .nargs = BIN_NARGS,                                                \
	    .args = binary_args,                                               \
	    .extents = binary_extents,                                         \
	    .flops = binary_flops,                                             \
	    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,                              \
	    .dtypes = DTYPES,                                                  \
	    .summary = SUMMARY,                                                \
	    .semantics = SEMANTICS BINARY_COMMON,                              \
	    .example = EXAMPLE,                                                \
	}

#define DT_FLT_I32 (VGPU_DT_FLT | VGPU_DT(VGPU_I32))

BINARY_SPEC(add, VGPU_K_ADD, DT_FLT_I32, "out = a + b, elementwise",
	    "out[i] = a[i] + b[i] (i32: wraps around on overflow)",
	    "add a=x b=y out=z n=1M");
BINARY_SPEC(sub, VGPU_K_SUB, DT_FLT_I32, "out = a - b, elementwise",
	    "out[i] = a[i] - b[i] (i32: wraps around on overflow)",
	    "sub a=x b=bias out=x n=1M rows=1K");
BINARY_SPEC(mul, VGPU_K_MUL, DT_FLT_I32, "out = a * b, elementwise",
	    "out[i] = a[i] * b[i] (i32: wraps around on overflow)",
	    "mul a=x bscalar=0.5 out=x n=1M");
BINARY_SPEC(div, VGPU_K_DIV, DT_FLT_I32, "out = a / b, elementwise",
	    "out[i] = a[i] / b[i]. Floats: IEEE (x/0 is +-inf, 0/0 NaN). i32: "
	    "truncated toward zero like C; x/0 is 0 and -2147483648/-1 is "
	    "-2147483648 (wraps)",
	    "div a=x b=y out=z n=1M dtype=f64");
BINARY_SPEC(max, VGPU_K_MAX, DT_FLT_I32, "out = max(a, b), elementwise",
	    "out[i] = the larger of a[i] and b[i]; a NaN in either gives NaN "
	    "(like numpy.maximum); of -0 and +0 either may come out",
	    "max a=x bscalar=0 out=y n=1M");
BINARY_SPEC(min, VGPU_K_MIN, DT_FLT_I32, "out = min(a, b), elementwise",
	    "out[i] = the smaller of a[i] and b[i]; a NaN in either gives NaN "
	    "(like numpy.minimum); of -0 and +0 either may come out",
	    "min a=x b=y out=x n=1M dtype=i32");
BINARY_SPEC(pow, VGPU_K_POW, VGPU_DT_FLT, "out = a ** b, elementwise",
	    "out[i] = pow(a[i], b[i]) as C's pow (powf for f32): a negative "
	    "a with a non-integer b gives NaN, pow(x, 0) is 1",
	    "pow a=x bscalar=2 out=y n=1M");

/* Unary: NAME x=X out=Y n=N [dtype=] */

static const struct vgpu_arg_spec unary_args[UN_NARGS] = {
    [UN_X] = BUF("x", VGPU_ACC_R, "input, n elements"),
    [UN_OUT] = BUF("out", VGPU_ACC_W, "result, n elements (may be x)"),
    [UN_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [UN_DTYPE] = {.name = "dtype",
		  .type = VGPU_ARG_DTYPE,
		  .idef = VGPU_F32,
		  .help = "element type (default f32)"},
};

static int unary_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			 char *msg, size_t len)
{
	int rc = vector_extent(c, &e[UN_X], (uint64_t)vgpu_cmd_i(c, UN_N), "n",
			       dtype_of(c, UN_DTYPE), msg, len);
	if (rc == 0)
		e[UN_OUT] = e[UN_X];
	return rc;
}

#define UNARY_COMMON                                                           \
	" for 0 <= i < n. out may be the very same range as x (in place), "    \
	"but not partly overlap it."

#define UNARY_SPEC(NAME, ID, DTYPES, SUMMARY, SEMANTICS, EXAMPLE)              \
	const struct vgpu_kernel_spec vgpu_spec_##NAME = {                     \
	    .name = #NAME,                                                     \
	    .id = ID,                                                          \
	    .nargs = UN_NARGS,                                                 \
	    .args = unary_args,                                                \
	    .extents = unary_extents,                                          \
	    .flops = unary_flops,                                              \
	    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,                              \
	    .dtypes = DTYPES,                                                  \
	    .summary = SUMMARY,                                                \
	    .semantics = SEMANTICS UNARY_COMMON,                               \
	    .example = EXAMPLE,                                                \
	}

UNARY_SPEC(relu, VGPU_K_RELU, VGPU_DT_FLT, "out = max(x, 0), elementwise",
	   "out[i] = x[i] < 0 ? 0 : x[i] (NaN stays NaN, -0 stays -0)",
	   "relu x=x out=x n=1M");
UNARY_SPEC(gelu, VGPU_K_GELU, VGPU_DT_FLT,
	   "Gaussian error linear unit (exact, erf form), elementwise",
	   "out[i] = x[i]/2 * (1 + erf(x[i]/sqrt(2))), the exact form (not "
	   "the tanh approximation); 0 where 1 + erf(...) is 0, so gelu(-inf) "
	   "is 0",
	   "gelu x=x out=y n=1M");
UNARY_SPEC(sigmoid, VGPU_K_SIGMOID, VGPU_DT_FLT,
	   "out = 1/(1 + exp(-x)), elementwise",
	   "out[i] = 1/(1 + exp(-x[i])): 0 for large negative x, 1 for large "
	   "positive x",
	   "sigmoid x=x out=y n=1M");
UNARY_SPEC(tanh, VGPU_K_TANH, VGPU_DT_FLT, "out = tanh(x), elementwise",
	   "out[i] = tanh(x[i])", "tanh x=x out=y n=1M dtype=f64");
UNARY_SPEC(exp, VGPU_K_EXP, VGPU_DT_FLT, "out = exp(x), elementwise",
	   "out[i] = exp(x[i]); +inf when it overflows", "exp x=x out=y n=1M");
UNARY_SPEC(log, VGPU_K_LOG, VGPU_DT_FLT, "out = log(x), natural, elementwise",
	   "out[i] = log(x[i]) like C: -inf for 0, NaN for negative x",
	   "log x=x out=y n=1M");
UNARY_SPEC(sqrt, VGPU_K_SQRT, VGPU_DT_FLT, "out = sqrt(x), elementwise",
	   "out[i] = sqrt(x[i]) like C: NaN for negative x (sqrt(-0) is -0)",
	   "sqrt x=x out=x n=1M");
UNARY_SPEC(abs, VGPU_K_ABS, DT_FLT_I32, "out = |x|, elementwise",
	   "out[i] = |x[i]| (i32: -2147483648 stays -2147483648)",
	   "abs x=x out=y n=1M dtype=i32");
UNARY_SPEC(neg, VGPU_K_NEG, DT_FLT_I32, "out = -x, elementwise",
	   "out[i] = -x[i] (i32: -2147483648 stays -2147483648)",
	   "neg x=x out=x n=1M");
UNARY_SPEC(recip, VGPU_K_RECIP, VGPU_DT_FLT, "out = 1/x, elementwise",
	   "out[i] = 1/x[i] (IEEE: 1/0 is +inf, 1/-0 is -inf)",
	   "recip x=x out=y n=1M");

/* cast x=X out=Y n=N from=DT to=DT */

static const struct vgpu_arg_spec cast_args[CAST_NARGS] = {
    [CAST_X] = BUF("x", VGPU_ACC_R, "input, n elements of type from"),
    [CAST_OUT] = BUF("out", VGPU_ACC_W, "result, n elements of type to"),
    [CAST_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [CAST_FROM] = {.name = "from",
		   .type = VGPU_ARG_DTYPE,
		   .required = true,
		   .help = "type of x: f32, f64, i32, u8 or bf16"},
    [CAST_TO] = {.name = "to",
		 .type = VGPU_ARG_DTYPE,
		 .required = true,
		 .help = "type of out: f32, f64, i32, u8 or bf16"},
};

static int cast_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	uint64_t n = (uint64_t)vgpu_cmd_i(c, CAST_N);
	int rc = vector_extent(c, &e[CAST_X], n, "n", dtype_of(c, CAST_FROM),
			       msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[CAST_OUT], n, "n",
				   dtype_of(c, CAST_TO), msg, len);
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_cast = {
    .name = "cast",
    .id = VGPU_K_CAST,
    .nargs = CAST_NARGS,
    .args = cast_args,
    .extents = cast_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_ALL,
    .summary = "converts n elements from one dtype to another",
    .semantics =
	"out[i] = x[i] converted from type 'from' to type 'to'. Float to "
	"integer truncates toward zero (like C) and saturates: below the "
	"type's minimum gives the minimum, above its maximum the maximum "
	"(-inf and +inf too), NaN gives 0. Integer to integer saturates "
	"(i32 to u8: negative gives 0, above 255 gives 255). f64 to f32 "
	"rounds to nearest (+-inf past the f32 range); integers to floats "
	"are exact except i32 to f32 past 2^24 (rounded to nearest). To "
	"bf16 rounds once to nearest, ties to even (+-inf from 0x1.ffp127 "
	"on; i32 past 2^8 rounds too); bf16 to f32 and f64 is exact. A NaN "
	"gives a quiet NaN of the same sign, to every float type (f32, f64 "
	"and bf16, the type itself too). out may be the very same range as x "
	"when both types have the same size (f32 and i32), and may not "
	"overlap it otherwise.",
    .example = "cast x=img out=pixels n=1M from=u8 to=f32",
};
