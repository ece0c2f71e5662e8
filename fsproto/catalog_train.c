/*
 * The kernels of the catalogue for training networks: gelu_backward,
 * embedding and embedding_backward (a gather of table rows and its
 * scatter-add), cross_entropy and cross_entropy_backward (the loss of each
 * row of logits against a class index, and its gradient), the fused
 * optimizer steps adamw and sgd, and the backward passes of the row
 * kernels softmax, log_softmax and layernorm.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_family.h"

#define DTYPE_ARG                                                              \
	{                                                                      \
		.name = "dtype", .type = VGPU_ARG_DTYPE, .idef = VGPU_F32,     \
		.help = "element type (default f32)"                           \
	}

#define INDEX_OFFSETS                                                          \
	"a multiple of the size of the buffer's elements: 4 for the i32 "      \
	"indices, 4 or 8 (f32, f64) for the others, else EINVAL"

/* EXT = A*B elements of type DT, formula "AN*BN*ES". */
static int matrix_extent(const struct vgpu_cmd *c, struct vgpu_extent *ext,
			 unsigned a, unsigned b, const char *name,
			 enum vgpu_dtype dt, char *msg, size_t len)
{
	uint64_t n;
	if (!ext_mul((uint64_t)vgpu_cmd_i(c, a), (uint64_t)vgpu_cmd_i(c, b),
		     &n))
		return overflow(c, name, msg, len);
	return vector_extent(c, ext, n, name, dt, msg, len);
}

/* gelu_backward x=X grad=G out=O n=N [dtype=] */

static const struct vgpu_arg_spec gelub_args[GELUB_NARGS] = {
    [GELUB_X] = BUF("x", VGPU_ACC_R, "gelu's input, n elements"),
    [GELUB_GRAD] =
	BUF("grad", VGPU_ACC_R, "gradient of gelu's output, n elements"),
    [GELUB_OUT] =
	BUF("out", VGPU_ACC_W, "gradient of x, n elements (may be x or grad)"),
    [GELUB_N] = INT("n", true, 0, COUNT_MAX, 0, "number of elements"),
    [GELUB_DTYPE] = DTYPE_ARG,
};

static int gelub_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			 char *msg, size_t len)
{
	int rc = vector_extent(c, &e[GELUB_X], (uint64_t)vgpu_cmd_i(c, GELUB_N),
			       "n", dtype_of(c, GELUB_DTYPE), msg, len);
	e[GELUB_GRAD] = e[GELUB_OUT] = e[GELUB_X];
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_gelu_backward = {
    .name = "gelu_backward",
    .id = VGPU_K_GELU_BACKWARD,
    .nargs = GELUB_NARGS,
    .args = gelub_args,
    .extents = gelub_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "gradient of gelu: out = grad * gelu'(x), elementwise",
    .semantics =
	"out[i] = grad[i] * (Phi(x[i]) + x[i] * phi(x[i])) for 0 <= i < n, "
	"where Phi is the standard normal distribution function and phi its "
	"density: the derivative of the exact (erf) gelu. It is 0 far left "
	"(x = -inf gives 0, not NaN) and 1 far right. out may be the very "
	"same range as x or grad, but not partly overlap them.",
    .example = "gelu_backward x=h grad=dy out=dh n=1M",
};

/* embedding table=W idx=I out=O n=N dim=D vocab=V [dtype=] */

static const struct vgpu_arg_spec embedding_args[EMB_ACCUMULATE] = {
    [EMB_TABLE] = BUF("table", VGPU_ACC_R, "vocab x dim, row-major"),
    [EMB_IDX] = BUF("idx", VGPU_ACC_R, "n row numbers, i32, 0 to vocab-1"),
    [EMB_ROWS] = BUF("out", VGPU_ACC_W, "n x dim: the rows looked up"),
    [EMB_N] = INT("n", true, 0, COUNT_MAX, 0, "number of lookups"),
    [EMB_DIM] = INT("dim", true, 0, COUNT_MAX, 0, "elements of a row"),
    [EMB_VOCAB] = INT("vocab", true, 0, INT32_MAX, 0, "rows of the table"),
    [EMB_DTYPE] = DTYPE_ARG,
};

static const struct vgpu_arg_spec embedding_backward_args[EMB_NARGS] = {
    [EMB_TABLE] =
	BUF("out", VGPU_ACC_RW, "vocab x dim: the gradient of the table"),
    [EMB_IDX] = BUF("idx", VGPU_ACC_R, "n row numbers, i32, 0 to vocab-1"),
    [EMB_ROWS] =
	BUF("grad", VGPU_ACC_R, "n x dim: the gradient of embedding's out"),
    [EMB_N] = INT("n", true, 0, COUNT_MAX, 0, "number of lookups"),
    [EMB_DIM] = INT("dim", true, 0, COUNT_MAX, 0, "elements of a row"),
    [EMB_VOCAB] = INT("vocab", true, 0, INT32_MAX, 0, "rows of the table"),
    [EMB_DTYPE] = DTYPE_ARG,
    [EMB_ACCUMULATE] =
	BOOL("accumulate", "1: add to out; 0 (default): out starts at 0"),
};

static int embedding_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			     char *msg, size_t len)
{
	enum vgpu_dtype dt = dtype_of(c, EMB_DTYPE);
	int rc = matrix_extent(c, &e[EMB_TABLE], EMB_VOCAB, EMB_DIM,
			       "vocab*dim", dt, msg, len);
	if (rc == 0)
		rc = matrix_extent(c, &e[EMB_ROWS], EMB_N, EMB_DIM, "n*dim", dt,
				   msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[EMB_IDX],
				   (uint64_t)vgpu_cmd_i(c, EMB_N), "n",
				   VGPU_I32, msg, len);
	return rc;
}

#define INDEX_RULE                                                             \
	" An index outside 0 to vocab-1 fails the command with ERANGE "        \
	"(checked before anything is written)."

const struct vgpu_kernel_spec vgpu_spec_embedding = {
    .name = "embedding",
    .id = VGPU_K_EMBEDDING,
    .nargs = EMB_ACCUMULATE,
    .args = embedding_args,
    .extents = embedding_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .offsets = INDEX_OFFSETS,
    .summary = "gathers rows of a table: out row i = table row idx[i]",
    .semantics = "out[i*dim + j] = table[idx[i]*dim + j] for 0 <= i < n, 0 "
		 "<= j < dim: the lookup of an embedding layer. out may not "
		 "overlap table or idx." INDEX_RULE,
    .example = "embedding table=wte idx=tokens out=h n=4K dim=768 vocab=50K",
};

const struct vgpu_kernel_spec vgpu_spec_embedding_backward = {
    .name = "embedding_backward",
    .id = VGPU_K_EMBEDDING_BACKWARD,
    .nargs = EMB_NARGS,
    .args = embedding_backward_args,
    .extents = embedding_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .offsets = INDEX_OFFSETS,
    .summary = "scatter-add of rows: the gradient of embedding's table",
    .semantics =
	"out[idx[i]*dim + j] += grad[i*dim + j] for 0 <= i < n, "
	"0 <= j < dim, on out set to 0 first unless accumulate=1: "
	"rows looked up several times get the sum of their "
	"gradients, added in the order of i (the result does not "
	"depend on the tiling). out may not overlap grad or idx." INDEX_RULE,
    .example = "embedding_backward grad=dh idx=tokens out=dwte n=4K dim=768 "
	       "vocab=50K",
};

/* cross_entropy x=X target=T out=L rows=R cols=C [dtype=] */

static const struct vgpu_arg_spec xent_args[XENTB_NARGS] = {
    [XENT_X] = BUF("x", VGPU_ACC_R, "logits, rows x cols, row-major"),
    [XENT_TARGET] =
	BUF("target", VGPU_ACC_R, "rows class indices, i32, 0 to cols-1"),
    [XENT_OUT] = BUF("out", VGPU_ACC_W, "loss of each row, rows elements"),
    [XENT_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [XENT_COLS] = INT("cols", true, 1, INT32_MAX, 0, "columns (classes)"),
    [XENT_DTYPE] = DTYPE_ARG,
};

static const struct vgpu_arg_spec xentb_args[XENTB_NARGS] = {
    [XENT_X] = BUF("x", VGPU_ACC_R, "logits, rows x cols, row-major"),
    [XENT_TARGET] =
	BUF("target", VGPU_ACC_R, "rows class indices, i32, 0 to cols-1"),
    [XENT_OUT] =
	BUF("out", VGPU_ACC_W, "gradient of x, rows x cols (may be x)"),
    [XENT_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [XENT_COLS] = INT("cols", true, 1, INT32_MAX, 0, "columns (classes)"),
    [XENT_DTYPE] = DTYPE_ARG,
    [XENTB_GRAD] =
	BUF("grad", VGPU_ACC_R, "gradient of each row's loss, rows elements"),
};

static int xent_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			char *msg, size_t len)
{
	enum vgpu_dtype dt = dtype_of(c, XENT_DTYPE);
	uint64_t rows = (uint64_t)vgpu_cmd_i(c, XENT_ROWS);
	int rc = matrix_extent(c, &e[XENT_X], XENT_ROWS, XENT_COLS, "rows*cols",
			       dt, msg, len);
	if (rc == 0)
		rc = vector_extent(c, &e[XENT_TARGET], rows, "rows", VGPU_I32,
				   msg, len);
	if (rc < 0)
		return rc;
	if (c->spec->id == VGPU_K_CROSS_ENTROPY)
		return vector_extent(c, &e[XENT_OUT], rows, "rows", dt, msg,
				     len);
	e[XENT_OUT] = e[XENT_X];
	return vector_extent(c, &e[XENTB_GRAD], rows, "rows", dt, msg, len);
}

#define TARGET_RULE                                                            \
	" A target outside 0 to cols-1 fails the command with ERANGE "         \
	"(checked before anything is written)."

const struct vgpu_kernel_spec vgpu_spec_cross_entropy = {
    .name = "cross_entropy",
    .id = VGPU_K_CROSS_ENTROPY,
    .nargs = XENT_NARGS,
    .args = xent_args,
    .extents = xent_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .offsets = INDEX_OFFSETS,
    .summary = "cross-entropy loss of each row of logits",
    .semantics =
	"out[i] = log(sum over j of exp(x[i,j])) - x[i,target[i]] for each "
	"row i of the rows x cols matrix x: the negative log-likelihood of "
	"the target class under softmax(x[i]). Computed as log_softmax is "
	"(the row's maximum subtracted first, sums in double precision): "
	"no overflow for large logits. A row holding a NaN or +inf gives "
	"NaN. out may not overlap x or target." TARGET_RULE,
    .example = "cross_entropy x=logits target=labels out=loss rows=64 "
	       "cols=1000",
};

const struct vgpu_kernel_spec vgpu_spec_cross_entropy_backward = {
    .name = "cross_entropy_backward",
    .id = VGPU_K_CROSS_ENTROPY_BACKWARD,
    .nargs = XENTB_NARGS,
    .args = xentb_args,
    .extents = xent_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .offsets = INDEX_OFFSETS,
    .summary = "gradient of cross_entropy with respect to the logits",
    .semantics =
	"out[i,j] = grad[i] * (softmax(x[i])[j] - (j == "
	"target[i] ? 1 : 0)) for each row i of the rows x cols "
	"matrix x, softmax as the softmax kernel computes it. out "
	"may be the very same range as x (in place), but not "
	"partly overlap x, and not overlap target or grad." TARGET_RULE,
    .example = "cross_entropy_backward x=logits target=labels grad=dloss "
	       "out=dlogits rows=64 cols=1000",
};

/* adamw param=P grad=G m=M v=V n=N lr= [beta1=] [beta2=] [eps=]
 * [weight_decay=] step=T [dtype=] */

static const struct vgpu_arg_spec adamw_args[ADAMW_NARGS] = {
    [ADAMW_PARAM] = BUF("param", VGPU_ACC_RW, "parameters, n elements"),
    [ADAMW_GRAD] = BUF("grad", VGPU_ACC_R, "their gradient, n elements"),
    [ADAMW_M] = BUF("m", VGPU_ACC_RW, "first moment, n elements (0 at first)"),
    [ADAMW_V] = BUF("v", VGPU_ACC_RW, "second moment, n elements (0 at first)"),
    [ADAMW_N] = INT("n", true, 0, COUNT_MAX, 0, "number of parameters"),
    [ADAMW_LR] = FLT("lr", true, 0, "learning rate"),
    [ADAMW_BETA1] = FLT("beta1", false, 0.9, "decay of m (default 0.9)"),
    [ADAMW_BETA2] = FLT("beta2", false, 0.999, "decay of v (default 0.999)"),
    [ADAMW_EPS] = FLT("eps", false, 1e-8, "added to sqrt(v) (default 1e-8)"),
    [ADAMW_WEIGHT_DECAY] = FLT("weight_decay", false, 0.01,
			       "decoupled weight decay (default 0.01)"),
    [ADAMW_STEP] = INT("step", true, 1, INT64_MAX, 1,
		       "the step's number, 1 for the first"),
    [ADAMW_DTYPE] = DTYPE_ARG,
};

/* Every buffer argument of an optimizer step: FIRST..LAST, n elements. */
static int optim_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			 unsigned last, unsigned n_idx, unsigned dtype_idx,
			 char *msg, size_t len)
{
	int rc = vector_extent(c, &e[0], (uint64_t)vgpu_cmd_i(c, n_idx), "n",
			       dtype_of(c, dtype_idx), msg, len);
	for (unsigned i = 1; i <= last; i++)
		e[i] = e[0];
	return rc;
}

static int adamw_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			 char *msg, size_t len)
{
	double b1 = vgpu_cmd_f(c, ADAMW_BETA1), b2 = vgpu_cmd_f(c, ADAMW_BETA2);
	if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) {
		snprintf(msg, len,
			 "adamw: beta1=%g and beta2=%g must be in [0, 1)", b1,
			 b2);
		return -EINVAL;
	}
	if (!(vgpu_cmd_f(c, ADAMW_EPS) > 0)) {
		snprintf(msg, len, "adamw: eps=%g is not positive",
			 vgpu_cmd_f(c, ADAMW_EPS));
		return -EINVAL;
	}
	return optim_extents(c, e, ADAMW_V, ADAMW_N, ADAMW_DTYPE, msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_adamw = {
    .name = "adamw",
    .id = VGPU_K_ADAMW,
    .nargs = ADAMW_NARGS,
    .args = adamw_args,
    .extents = adamw_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "one AdamW step, fused: updates param, m and v in place",
    .semantics =
	"For 0 <= i < n, as PyTorch's AdamW (decoupled weight decay): "
	"param[i] *= 1 - lr*weight_decay; m[i] = beta1*m[i] + "
	"(1-beta1)*grad[i]; v[i] = beta2*v[i] + (1-beta2)*grad[i]^2; "
	"param[i] -= lr * (m[i]/(1-beta1^step)) / (sqrt(v[i]/(1-beta2^step)) "
	"+ eps). Computed in double precision, each result rounded once to "
	"dtype. m and v start at 0; step counts from 1. param, m and v may "
	"not overlap each other or grad.",
    .example = "adamw param=w grad=dw m=w_m v=w_v n=1M lr=3e-4 step=1",
};

/* sgd param=P grad=G buf=B n=N lr= [momentum=0] [weight_decay=0] [dtype=] */

static const struct vgpu_arg_spec sgd_args[SGD_NARGS] = {
    [SGD_PARAM] = BUF("param", VGPU_ACC_RW, "parameters, n elements"),
    [SGD_GRAD] = BUF("grad", VGPU_ACC_R, "their gradient, n elements"),
    [SGD_BUF] =
	BUF("buf", VGPU_ACC_RW, "momentum buffer, n elements (0 at first)"),
    [SGD_N] = INT("n", true, 0, COUNT_MAX, 0, "number of parameters"),
    [SGD_LR] = FLT("lr", true, 0, "learning rate"),
    [SGD_MOMENTUM] = FLT("momentum", false, 0, "momentum (default 0)"),
    [SGD_WEIGHT_DECAY] =
	FLT("weight_decay", false, 0, "L2 penalty added to grad (default 0)"),
    [SGD_DTYPE] = DTYPE_ARG,
};

static int sgd_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		       char *msg, size_t len)
{
	return optim_extents(c, e, SGD_BUF, SGD_N, SGD_DTYPE, msg, len);
}

const struct vgpu_kernel_spec vgpu_spec_sgd = {
    .name = "sgd",
    .id = VGPU_K_SGD,
    .nargs = SGD_NARGS,
    .args = sgd_args,
    .extents = sgd_extents,
    .alias = VGPU_ALIAS_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "one step of SGD with momentum, fused: param and buf in place",
    .semantics = "For 0 <= i < n, as PyTorch's SGD (no dampening, not "
		 "Nesterov): g = grad[i] + weight_decay*param[i]; buf[i] = "
		 "momentum*buf[i] + g; param[i] -= lr*buf[i]. Computed in "
		 "double precision, each result rounded once to dtype. buf "
		 "starts at 0 (then the first step's buf is g, as PyTorch's). "
		 "param and buf may not overlap each other or grad.",
    .example = "sgd param=w grad=dw buf=w_mom n=1M lr=0.01 momentum=0.9",
};

/* softmax_backward y=Y grad=G out=D rows=R cols=C [log=0|1] [dtype=] */

static const struct vgpu_arg_spec smaxb_args[SMAXB_NARGS] = {
    [SMAXB_Y] = BUF("y", VGPU_ACC_R,
		    "softmax's output (log_softmax's with log=1), rows x cols"),
    [SMAXB_GRAD] = BUF("grad", VGPU_ACC_R, "gradient of y, rows x cols"),
    [SMAXB_OUT] = BUF("out", VGPU_ACC_W,
		      "gradient of softmax's input, rows x cols (may be y or "
		      "grad)"),
    [SMAXB_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows"),
    [SMAXB_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns"),
    [SMAXB_LOG] = BOOL("log", "1: y is log_softmax's output"),
    [SMAXB_DTYPE] = DTYPE_ARG,
};

static int smaxb_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			 char *msg, size_t len)
{
	int rc = matrix_extent(c, &e[SMAXB_Y], SMAXB_ROWS, SMAXB_COLS,
			       "rows*cols", dtype_of(c, SMAXB_DTYPE), msg, len);
	e[SMAXB_GRAD] = e[SMAXB_OUT] = e[SMAXB_Y];
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_softmax_backward = {
    .name = "softmax_backward",
    .id = VGPU_K_SOFTMAX_BACKWARD,
    .nargs = SMAXB_NARGS,
    .args = smaxb_args,
    .extents = smaxb_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "gradient of softmax (or log_softmax) of each row",
    .semantics =
	"For each row i of the rows x cols matrices, from the forward "
	"pass's output y: out[i,j] = y[i,j] * (grad[i,j] - sum over k of "
	"grad[i,k]*y[i,k]) for softmax; with log=1 (y from log_softmax) "
	"out[i,j] = grad[i,j] - exp(y[i,j]) * sum over k of grad[i,k]. Sums "
	"in double precision, each result rounded once. out may be the very "
	"same range as y or grad, but not partly overlap them.",
    .example = "softmax_backward y=probs grad=dprobs out=dlogits rows=64 "
	       "cols=1000",
};

/* layernorm_backward x=X grad=G out=D [gamma=W] rows=R cols=C [eps=] */

static const struct vgpu_arg_spec lnb_args[LNB_NARGS] = {
    [LNB_X] = BUF("x", VGPU_ACC_R, "layernorm's input, rows x cols"),
    [LNB_GRAD] = BUF("grad", VGPU_ACC_R, "gradient of its output"),
    [LNB_OUT] =
	BUF("out", VGPU_ACC_W, "gradient of x, rows x cols (may be x or grad)"),
    [LNB_GAMMA] = {.name = "gamma",
		   .type = VGPU_ARG_BUF,
		   .access = VGPU_ACC_R,
		   .same_as = LNB_X + 1,
		   .help = "layernorm's scale, cols elements (default: all 1)"},
    [LNB_ROWS] = INT("rows", true, 0, COUNT_MAX, 0, "rows of x"),
    [LNB_COLS] = INT("cols", true, 0, COUNT_MAX, 0, "columns of x"),
    [LNB_EPS] =
	FLT("eps", false, 1e-5, "layernorm's eps, at least 0 (default 1e-5)"),
    [LNB_DTYPE] = DTYPE_ARG,
};

static int lnb_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
		       char *msg, size_t len)
{
	double eps = vgpu_cmd_f(c, LNB_EPS);
	if (!(eps >= 0)) {
		snprintf(msg, len, "layernorm_backward: eps=%g is negative",
			 eps);
		return -EINVAL;
	}
	enum vgpu_dtype dt = dtype_of(c, LNB_DTYPE);
	int rc = matrix_extent(c, &e[LNB_X], LNB_ROWS, LNB_COLS, "rows*cols",
			       dt, msg, len);
	e[LNB_GRAD] = e[LNB_OUT] = e[LNB_X];
	if (rc == 0 && vgpu_cmd_given(c, LNB_GAMMA))
		return vector_extent(c, &e[LNB_GAMMA],
				     (uint64_t)vgpu_cmd_i(c, LNB_COLS), "cols",
				     dt, msg, len);
	snprintf(e[LNB_GAMMA].formula, sizeof(e[0].formula), "0");
	return rc;
}

const struct vgpu_kernel_spec vgpu_spec_layernorm_backward = {
    .name = "layernorm_backward",
    .id = VGPU_K_LAYERNORM_BACKWARD,
    .nargs = LNB_NARGS,
    .args = lnb_args,
    .extents = lnb_extents,
    .alias = VGPU_ALIAS_SAME_OR_DISJOINT,
    .dtypes = VGPU_DT_FLT,
    .summary = "gradient of layernorm with respect to its input",
    .semantics =
	"For each row i of the rows x cols matrix x, with xhat = (x - m) * r "
	"its normalised values (m the row's mean, r = 1/sqrt(v + eps), v its "
	"population variance, as layernorm computes them) and h[j] = "
	"grad[i,j] * gamma[j]: out[i,j] = r * (h[j] - mean of h - xhat[j] * "
	"mean of h*xhat). Without gamma it is 1. The gradients of gamma and "
	"beta are column sums (of grad*xhat and of grad): sum commands. In "
	"double precision, each result rounded once. out may be the very "
	"same range as x or grad, but not partly overlap them or gamma.",
    .example = "layernorm_backward x=h grad=dy out=dh gamma=g rows=512 "
	       "cols=768",
};
