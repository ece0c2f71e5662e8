/*
 * The built-in functions of OpenCL C 1.2 section 6.12 that this device
 * has, as a table of generic signatures expanded over their gentype, and
 * overload resolution over the expansions as C++ ranks conversions (clang
 * does the same): exact, then promotion, then conversion; a call no
 * expansion wins is ambiguous. convert_T, as_T, vloadN/vstoreN and
 * vec_step are recognised by name. The constructs this device does not
 * have (printf, images, pipes, device-side enqueue...) are named in
 * their errors.
 */
#include <stdio.h>
#include <string.h>

#include "sema_internal.h"

/* What G stands for in an entry's signatures. */
enum gen_class {
	G_NONE,	  /* fixed types only */
	G_F,	  /* float, double; scalar and 2, 3, 4, 8, 16 */
	G_F32,	  /* float only (native_, half_) */
	G_I,	  /* every integer type, scalar and vectors */
	G_I32,	  /* int, uint (mul24, mad24) */
	G_SI,	  /* signed integers (any, all) */
	G_A,	  /* G_F and G_I (select, bitselect) */
	G_GEOM,	  /* float, double; scalar and 2, 3, 4 */
	G_GEOM32, /* float; scalar and 2, 3, 4 (fast_) */
	G_CROSS,  /* float, double; 3 and 4 */
	G_ATOM,	  /* int, uint in __global or __local */
	G_ATOMX,  /* int, uint, float in __global or __local */
	G_UPS,	  /* char to int, signed and unsigned (upsample) */
};

/*
 * A signature: the return type's letter, then the parameters'.
 * G the gentype, g its element, U G unsigned, R a relational result (int,
 * or a signed vector of G's element size), N int with G's width, S and T
 * signed and unsigned integers of G's element size and width, P a
 * pointer to volatile G (atomics), Q a pointer to G in __global, __local
 * or __private, O the same to N, W the integer twice G's element size
 * (G's sign, width), i int, u uint, z size_t, v void.
 */
struct builtin {
	const char *name;
	enum gen_class cls;
	const char *sig;
};

/* One entry a form, in groups of the specification's sections; a name's
 * first entry names the built-in (resolve). */
/* clang-format off */
static const struct builtin table[] = {
    /* Work-item functions (6.12.1) and synchronization (6.12.8, 6.12.9). */
    {"get_work_dim", G_NONE, "u"},
    {"get_global_size", G_NONE, "zu"},
    {"get_global_id", G_NONE, "zu"},
    {"get_local_size", G_NONE, "zu"},
    {"get_local_id", G_NONE, "zu"},
    {"get_num_groups", G_NONE, "zu"},
    {"get_group_id", G_NONE, "zu"},
    {"get_global_offset", G_NONE, "zu"},
    {"barrier", G_NONE, "vu"},
    {"mem_fence", G_NONE, "vu"},
    {"read_mem_fence", G_NONE, "vu"},
    {"write_mem_fence", G_NONE, "vu"},
    /* Math (6.12.2). */
    {"acos", G_F, "GG"},
    {"acosh", G_F, "GG"},
    {"acospi", G_F, "GG"},
    {"asin", G_F, "GG"},
    {"asinh", G_F, "GG"},
    {"asinpi", G_F, "GG"},
    {"atan", G_F, "GG"},
    {"atanh", G_F, "GG"},
    {"atanpi", G_F, "GG"},
    {"cbrt", G_F, "GG"},
    {"ceil", G_F, "GG"},
    {"cos", G_F, "GG"},
    {"cosh", G_F, "GG"},
    {"cospi", G_F, "GG"},
    {"erfc", G_F, "GG"},
    {"erf", G_F, "GG"},
    {"exp", G_F, "GG"},
    {"exp2", G_F, "GG"},
    {"exp10", G_F, "GG"},
    {"expm1", G_F, "GG"},
    {"fabs", G_F, "GG"},
    {"floor", G_F, "GG"},
    {"lgamma", G_F, "GG"},
    {"log", G_F, "GG"},
    {"log2", G_F, "GG"},
    {"log10", G_F, "GG"},
    {"log1p", G_F, "GG"},
    {"logb", G_F, "GG"},
    {"rint", G_F, "GG"},
    {"round", G_F, "GG"},
    {"rsqrt", G_F, "GG"},
    {"sin", G_F, "GG"},
    {"sinh", G_F, "GG"},
    {"sinpi", G_F, "GG"},
    {"sqrt", G_F, "GG"},
    {"tan", G_F, "GG"},
    {"tanh", G_F, "GG"},
    {"tanpi", G_F, "GG"},
    {"tgamma", G_F, "GG"},
    {"trunc", G_F, "GG"},
    {"atan2", G_F, "GGG"},
    {"atan2pi", G_F, "GGG"},
    {"copysign", G_F, "GGG"},
    {"fdim", G_F, "GGG"},
    {"fmod", G_F, "GGG"},
    {"hypot", G_F, "GGG"},
    {"nextafter", G_F, "GGG"},
    {"pow", G_F, "GGG"},
    {"powr", G_F, "GGG"},
    {"maxmag", G_F, "GGG"},
    {"minmag", G_F, "GGG"},
    {"remainder", G_F, "GGG"},
    {"fmin", G_F, "GGG"},
    {"fmin", G_F, "GGg"},
    {"fmax", G_F, "GGG"},
    {"fmax", G_F, "GGg"},
    {"fma", G_F, "GGGG"},
    {"mad", G_F, "GGGG"},
    {"pown", G_F, "GGN"},
    {"rootn", G_F, "GGN"},
    {"ldexp", G_F, "GGN"},
    {"ldexp", G_F, "GGi"},
    {"ilogb", G_F, "NG"},
    {"fract", G_F, "GGQ"},
    {"modf", G_F, "GGQ"},
    {"sincos", G_F, "GGQ"},
    {"frexp", G_F, "GGO"},
    {"lgamma_r", G_F, "GGO"},
    {"remquo", G_F, "GGGO"},
    {"nan", G_F, "GT"},
    /* Math: the native_ and half_ forms (float only). */
    {"native_cos", G_F32, "GG"},
    {"native_exp", G_F32, "GG"},
    {"native_exp2", G_F32, "GG"},
    {"native_exp10", G_F32, "GG"},
    {"native_log", G_F32, "GG"},
    {"native_log2", G_F32, "GG"},
    {"native_log10", G_F32, "GG"},
    {"native_recip", G_F32, "GG"},
    {"native_rsqrt", G_F32, "GG"},
    {"native_sin", G_F32, "GG"},
    {"native_sqrt", G_F32, "GG"},
    {"native_tan", G_F32, "GG"},
    {"native_divide", G_F32, "GGG"},
    {"native_powr", G_F32, "GGG"},
    {"half_cos", G_F32, "GG"},
    {"half_exp", G_F32, "GG"},
    {"half_exp2", G_F32, "GG"},
    {"half_exp10", G_F32, "GG"},
    {"half_log", G_F32, "GG"},
    {"half_log2", G_F32, "GG"},
    {"half_log10", G_F32, "GG"},
    {"half_recip", G_F32, "GG"},
    {"half_rsqrt", G_F32, "GG"},
    {"half_sin", G_F32, "GG"},
    {"half_sqrt", G_F32, "GG"},
    {"half_tan", G_F32, "GG"},
    {"half_divide", G_F32, "GGG"},
    {"half_powr", G_F32, "GGG"},
    /* Common (6.12.4). */
    {"clamp", G_F, "GGGG"},
    {"clamp", G_F, "GGgg"},
    {"degrees", G_F, "GG"},
    {"radians", G_F, "GG"},
    {"sign", G_F, "GG"},
    {"max", G_F, "GGG"},
    {"max", G_F, "GGg"},
    {"min", G_F, "GGG"},
    {"min", G_F, "GGg"},
    {"mix", G_F, "GGGG"},
    {"mix", G_F, "GGGg"},
    {"step", G_F, "GGG"},
    {"step", G_F, "GgG"},
    {"smoothstep", G_F, "GGGG"},
    {"smoothstep", G_F, "GggG"},
    /* Integer (6.12.3). */
    {"abs", G_I, "UG"},
    {"abs_diff", G_I, "UGG"},
    {"add_sat", G_I, "GGG"},
    {"hadd", G_I, "GGG"},
    {"rhadd", G_I, "GGG"},
    {"mul_hi", G_I, "GGG"},
    {"rotate", G_I, "GGG"},
    {"sub_sat", G_I, "GGG"},
    {"clamp", G_I, "GGGG"},
    {"clamp", G_I, "GGgg"},
    {"clz", G_I, "GG"},
    {"popcount", G_I, "GG"},
    {"mad_hi", G_I, "GGGG"},
    {"mad_sat", G_I, "GGGG"},
    {"max", G_I, "GGG"},
    {"max", G_I, "GGg"},
    {"min", G_I, "GGG"},
    {"min", G_I, "GGg"},
    {"upsample", G_UPS, "WGT"},
    {"mad24", G_I32, "GGGG"},
    {"mul24", G_I32, "GGG"},
    /* Geometric (6.12.5). */
    {"dot", G_GEOM, "gGG"},
    {"cross", G_CROSS, "GGG"},
    {"distance", G_GEOM, "gGG"},
    {"length", G_GEOM, "gG"},
    {"normalize", G_GEOM, "GG"},
    {"fast_distance", G_GEOM32, "gGG"},
    {"fast_length", G_GEOM32, "gG"},
    {"fast_normalize", G_GEOM32, "GG"},
    /* Relational (6.12.6). */
    {"isequal", G_F, "RGG"},
    {"isnotequal", G_F, "RGG"},
    {"isgreater", G_F, "RGG"},
    {"isgreaterequal", G_F, "RGG"},
    {"isless", G_F, "RGG"},
    {"islessequal", G_F, "RGG"},
    {"islessgreater", G_F, "RGG"},
    {"isordered", G_F, "RGG"},
    {"isunordered", G_F, "RGG"},
    {"isfinite", G_F, "RG"},
    {"isinf", G_F, "RG"},
    {"isnan", G_F, "RG"},
    {"isnormal", G_F, "RG"},
    {"signbit", G_F, "RG"},
    {"any", G_SI, "iG"},
    {"all", G_SI, "iG"},
    {"bitselect", G_A, "GGGG"},
    {"select", G_A, "GGGS"},
    {"select", G_A, "GGGT"},
    /* 32-bit atomics (6.12.11) and their cl_khr_*_atomics spellings. */
    {"atomic_add", G_ATOM, "GPG"},
    {"atom_add", G_ATOM, "GPG"},
    {"atomic_sub", G_ATOM, "GPG"},
    {"atom_sub", G_ATOM, "GPG"},
    {"atomic_min", G_ATOM, "GPG"},
    {"atom_min", G_ATOM, "GPG"},
    {"atomic_max", G_ATOM, "GPG"},
    {"atom_max", G_ATOM, "GPG"},
    {"atomic_and", G_ATOM, "GPG"},
    {"atom_and", G_ATOM, "GPG"},
    {"atomic_or", G_ATOM, "GPG"},
    {"atom_or", G_ATOM, "GPG"},
    {"atomic_xor", G_ATOM, "GPG"},
    {"atom_xor", G_ATOM, "GPG"},
    {"atomic_inc", G_ATOM, "GP"},
    {"atom_inc", G_ATOM, "GP"},
    {"atomic_dec", G_ATOM, "GP"},
    {"atom_dec", G_ATOM, "GP"},
    {"atomic_cmpxchg", G_ATOM, "GPGG"},
    {"atom_cmpxchg", G_ATOM, "GPGG"},
    {"atomic_xchg", G_ATOMX, "GPG"},
    {"atom_xchg", G_ATOMX, "GPG"},
};
/* clang-format on */
#define NTABLE (sizeof(table) / sizeof(*table))

/* The constructs this device does not have, by name prefix. */
static const struct {
	const char *prefix;
	const char *why;
} unsupported[] = {
    {"printf", "printf is not supported"},
    {"read_image", "images are not supported"},
    {"write_image", "images are not supported"},
    {"get_image_", "images are not supported"},
    {"enqueue_kernel", "device-side enqueue is not supported"},
    {"enqueue_marker", "device-side enqueue is not supported"},
    {"get_kernel_", "device-side enqueue is not supported"},
    {"get_default_queue", "device-side enqueue is not supported"},
    {"ndrange_", "device-side enqueue is not supported"},
    {"read_pipe", "pipes are not supported"},
    {"write_pipe", "pipes are not supported"},
    {"reserve_read_pipe", "pipes are not supported"},
    {"reserve_write_pipe", "pipes are not supported"},
    {"commit_read_pipe", "pipes are not supported"},
    {"commit_write_pipe", "pipes are not supported"},
    {"get_pipe_", "pipes are not supported"},
    {"work_group_reserve_", "pipes are not supported"},
    {"work_group_commit_", "pipes are not supported"},
    {"async_work_group", "async copies are not supported"},
    {"wait_group_events", "async copies are not supported"},
    {"prefetch", "async copies are not supported"},
    {"work_group_", "work-group functions (OpenCL C 2.0) are not supported"},
    {"atomic_load", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_store", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_init", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_fetch_", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_exchange", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_compare_exchange", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_flag_", "OpenCL C 2.0 atomics are not supported"},
    {"atomic_work_item_fence", "OpenCL C 2.0 atomics are not supported"},
    {"to_global", "the generic address space is not supported"},
    {"to_local", "the generic address space is not supported"},
    {"to_private", "the generic address space is not supported"},
};

const char *vcl_builtin_name(uint32_t index)
{
	return index < NTABLE ? table[index].name : NULL;
}

static bool same_name(const char *a, const char *name, uint32_t len)
{
	return strlen(a) == len && !memcmp(a, name, len);
}

static bool has_prefix(const char *name, uint32_t len, const char *pre)
{
	size_t n = strlen(pre);
	return len >= n && !memcmp(name, pre, n);
}

/* A scalar or vector type name (float, uint4...), else NULL. */
static const struct vcl_ty *type_named(const char *p, uint32_t len)
{
	static const enum vcl_type_kind kinds[] = {
	    VCL_TY_CHAR,  VCL_TY_UCHAR, VCL_TY_SHORT, VCL_TY_USHORT,
	    VCL_TY_INT,	  VCL_TY_UINT,	VCL_TY_LONG,  VCL_TY_ULONG,
	    VCL_TY_FLOAT, VCL_TY_DOUBLE};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		const char *k = kind_name(kinds[i]);
		size_t n = strlen(k);
		if (len < n || memcmp(p, k, n))
			continue;
		if (len == n)
			return ty_scalar(kinds[i]);
		unsigned w = 0;
		for (uint32_t j = (uint32_t)n; j < len; j++) {
			if (p[j] < '0' || p[j] > '9' || w > 16)
				return NULL;
			w = w * 10 + (unsigned)(p[j] - '0');
		}
		if (w != 1 && ty_width_index(w) >= 0 && p[n] != '0')
			return ty_vector(kinds[i], w);
	}
	return NULL;
}

/* vloadN, vstoreN, vload_half[N], vstore_half[N][_rtX]: the width, or 0. */
static unsigned vector_suffix(const char *p, uint32_t len, uint32_t *used)
{
	unsigned w = 0;
	uint32_t i = 0;
	while (i < len && i < 2 && p[i] >= '0' && p[i] <= '9')
		w = w * 10 + (unsigned)(p[i++] - '0');
	*used = i;
	if (!i)
		return 1;
	return ty_width_index(w) >= 0 && p[0] != '0' ? w : 0;
}

static int arg_count(const struct vcl_node *call)
{
	int n = 0;
	for (const struct vcl_node *a = call->list; a; a = a->next)
		n++;
	return n;
}

static bool check_args(struct sema *s, struct vcl_node *call,
		       const struct vcl_ty **types, int max)
{
	int i = 0;
	bool ok = true;
	for (struct vcl_node **a = &call->list; *a; a = &(*a)->next, i++) {
		const struct vcl_ty *t = sema_rvalue(s, a);
		if (i < max)
			types[i] = t;
		ok &= t != NULL;
	}
	return ok;
}

static bool want_args(struct sema *s, struct vcl_node *call, int n)
{
	int got = arg_count(call);
	if (got == n)
		return true;
	sema_error(s, call->loc, "'%.*s' takes %d argument%s, not %d",
		   (int)call->a->name_len, call->a->name, n, n == 1 ? "" : "s",
		   got);
	return false;
}

static enum vcl_rounding rounding_of(const char *p, uint32_t len)
{
	static const char *const names[] = {"", "_rte", "_rtz", "_rtp", "_rtn"};
	for (int i = 1; i < 5; i++)
		if (same_name(names[i], p, len))
			return (enum vcl_rounding)i;
	return len ? (enum vcl_rounding) - 1 : VCL_RND_DEFAULT;
}

/* convert_T[_sat][_rtX](x): x a scalar or vector of T's width. */
static bool convert_call(struct sema *s, struct vcl_node *n, const char *p,
			 uint32_t len)
{
	uint32_t tl = 0;
	while (tl < len && p[tl] != '_')
		tl++;
	const struct vcl_ty *to = type_named(p, tl);
	bool sat = has_prefix(p + tl, len - tl, "_sat");
	uint32_t rest = tl + (sat ? 4 : 0);
	enum vcl_rounding r = rounding_of(p + rest, len - rest);
	if (!to || (int)r < 0) {
		sema_error(s, n->loc, "unknown conversion 'convert_%.*s'",
			   (int)len, p);
		return true;
	}
	if (sat && vcl_ty_is_floating(ty_scalar(vcl_ty_scalar(to)))) {
		sema_error(s, n->loc, "'_sat' converts to integer types only");
		return true;
	}
	const struct vcl_ty *t[1];
	if (!want_args(s, n, 1) || !check_args(s, n, t, 1))
		return true;
	uint32_t fw = t[0]->kind == VCL_TY_VECTOR ? t[0]->width : 1;
	uint32_t tw = to->kind == VCL_TY_VECTOR ? to->width : 1;
	if (!(ty_is_arith(t[0]) || t[0]->kind == VCL_TY_VECTOR) || fw != tw ||
	    t[0]->kind == VCL_TY_BOOL) {
		sema_error(s, n->loc, "cannot convert '%s' with 'convert_%.*s'",
			   ty_str(s, t[0]), (int)len, p);
		return true;
	}
	n->info =
	    VCL_CALL_CONVERT | (sat ? VCL_CALL_SAT : 0) | ((uint32_t)r << 9);
	n->ty = to;
	return true;
}

/* as_T(x): x's bits as a T of the same size. */
static bool as_call(struct sema *s, struct vcl_node *n, const char *p,
		    uint32_t len)
{
	const struct vcl_ty *to = type_named(p, len);
	if (!to) {
		sema_error(s, n->loc, "unknown reinterpretation 'as_%.*s'",
			   (int)len, p);
		return true;
	}
	const struct vcl_ty *t[1];
	if (!want_args(s, n, 1) || !check_args(s, n, t, 1))
		return true;
	if (!(ty_is_arith(t[0]) || t[0]->kind == VCL_TY_VECTOR) ||
	    t[0]->kind == VCL_TY_BOOL || t[0]->size != to->size) {
		sema_error(s, n->loc, "as_%.*s of '%s': the sizes differ",
			   (int)len, p, ty_str(s, t[0]));
		return true;
	}
	n->info = VCL_CALL_AS;
	n->ty = to;
	return true;
}

/* vloadN(offset, p) and vstoreN(data, offset, p); the _half forms read
 * and write halves as floats. */
static bool vload_store(struct sema *s, struct vcl_node *n, bool store,
			bool half, const char *p, uint32_t len)
{
	uint32_t used;
	unsigned w = vector_suffix(p, len, &used);
	enum vcl_rounding r = rounding_of(p + used, len - used);
	if (!w || (int)r < 0 || (!half && w == 1) || (r && !(store && half))) {
		sema_error(s, n->loc, "unknown built-in '%.*s'",
			   (int)n->a->name_len, n->a->name);
		return true;
	}
	const struct vcl_ty *t[3];
	int nargs = store ? 3 : 2;
	if (!want_args(s, n, nargs) || !check_args(s, n, t, 3))
		return true;
	const struct vcl_ty *ptr = t[nargs - 1];
	if (ptr->kind != VCL_TY_POINTER ||
	    (half ? ptr->base->kind != VCL_TY_HALF
		  : ptr->base->kind < VCL_TY_CHAR ||
			ptr->base->kind > VCL_TY_DOUBLE ||
			ptr->base->kind == VCL_TY_HALF)) {
		sema_error(s, n->loc, "'%.*s' needs a pointer to %s, not '%s'",
			   (int)n->a->name_len, n->a->name,
			   half ? "half" : "a scalar type", ty_str(s, ptr));
		return true;
	}
	enum vcl_type_kind ek = half ? VCL_TY_FLOAT : ptr->base->kind;
	const struct vcl_ty *vt = ty_vector(ek, w);
	struct vcl_node **off = store ? &n->list->next : &n->list;
	if (!vcl_ty_is_integer(t[store ? 1 : 0])) {
		sema_error(s, n->loc, "the offset of '%.*s' is an integer",
			   (int)n->a->name_len, n->a->name);
		return true;
	}
	sema_coerce(s, off, t[store ? 1 : 0], ty_scalar(VCL_TY_ULONG),
		    "the offset");
	if (store) {
		if (ptr->base->space == VCL_AS_CONSTANT ||
		    (ptr->base->quals & VCL_Q_CONST)) {
			sema_error(s, n->loc,
				   "'%.*s' stores through '%s', which is "
				   "read-only",
				   (int)n->a->name_len, n->a->name,
				   ty_str(s, ptr));
			return true;
		}
		if (!sema_coerce(s, &n->list, t[0], vt, "the data"))
			return true;
	}
	/* vstore_half's rounding mode, as convert_T keeps its own */
	n->info = (store ? VCL_CALL_VSTORE : VCL_CALL_VLOAD) | (uint32_t)r << 9;
	n->ty = store ? ty_scalar(VCL_TY_VOID) : vt;
	return true;
}

/* The types a class expands G to: elements, widths, address spaces. */
struct expansion {
	const enum vcl_type_kind *elems;
	unsigned nelems;
	const unsigned *widths;
	unsigned nwidths;
	const enum vcl_addr_space *spaces;
	unsigned nspaces;
};

static const enum vcl_type_kind k_f[] = {VCL_TY_FLOAT, VCL_TY_DOUBLE};
static const enum vcl_type_kind k_i[] = {
    VCL_TY_CHAR, VCL_TY_UCHAR, VCL_TY_SHORT, VCL_TY_USHORT,
    VCL_TY_INT,	 VCL_TY_UINT,  VCL_TY_LONG,  VCL_TY_ULONG};
static const enum vcl_type_kind k_a[] = {
    VCL_TY_FLOAT,  VCL_TY_DOUBLE, VCL_TY_CHAR, VCL_TY_UCHAR, VCL_TY_SHORT,
    VCL_TY_USHORT, VCL_TY_INT,	  VCL_TY_UINT, VCL_TY_LONG,  VCL_TY_ULONG};
static const enum vcl_type_kind k_si[] = {VCL_TY_CHAR, VCL_TY_SHORT, VCL_TY_INT,
					  VCL_TY_LONG};
static const enum vcl_type_kind k_i32[] = {VCL_TY_INT, VCL_TY_UINT};
static const enum vcl_type_kind k_ups[] = {VCL_TY_CHAR,	 VCL_TY_UCHAR,
					   VCL_TY_SHORT, VCL_TY_USHORT,
					   VCL_TY_INT,	 VCL_TY_UINT};
static const enum vcl_type_kind k_ax[] = {VCL_TY_INT, VCL_TY_UINT,
					  VCL_TY_FLOAT};
static const unsigned w_all[] = {1, 2, 3, 4, 8, 16}, w_geom[] = {1, 2, 3, 4},
		      w_cross[] = {3, 4}, w_one[] = {1};
static const enum vcl_addr_space sp_none[] = {VCL_AS_NONE},
				 sp_atom[] = {VCL_AS_GLOBAL, VCL_AS_LOCAL},
				 sp_any[] = {VCL_AS_GLOBAL, VCL_AS_LOCAL,
					     VCL_AS_PRIVATE};

#define N(a) a, sizeof(a) / sizeof(*a)
static const struct expansion classes[] = {
    [G_NONE] = {k_f, 1, N(w_one), N(sp_none)},
    [G_F] = {N(k_f), N(w_all), N(sp_none)},
    [G_F32] = {k_f, 1, N(w_all), N(sp_none)},
    [G_I] = {N(k_i), N(w_all), N(sp_none)},
    [G_I32] = {N(k_i32), N(w_all), N(sp_none)},
    [G_SI] = {N(k_si), N(w_all), N(sp_none)},
    [G_A] = {N(k_a), N(w_all), N(sp_none)},
    [G_GEOM] = {N(k_f), N(w_geom), N(sp_none)},
    [G_GEOM32] = {k_f, 1, N(w_geom), N(sp_none)},
    [G_CROSS] = {N(k_f), N(w_cross), N(sp_none)},
    [G_ATOM] = {N(k_i32), N(w_one), N(sp_atom)},
    [G_ATOMX] = {N(k_ax), N(w_one), N(sp_atom)},
    [G_UPS] = {N(k_ups), N(w_all), N(sp_none)},
};
#undef N

/* A class's expansion; a Q or O parameter points into any of three
 * spaces. */
static struct expansion expand(enum gen_class c, bool any_space)
{
	struct expansion e = classes[c];
	if (any_space) {
		e.spaces = sp_any;
		e.nspaces = 3;
	}
	return e;
}

/* The concrete type of a signature letter for G = elem x width. */
static const struct vcl_ty *letter(struct sema *s, char c,
				   enum vcl_type_kind elem, unsigned width,
				   enum vcl_addr_space space)
{
	switch (c) {
	case 'G':
		return ty_vector(elem, width);
	case 'g':
		return ty_scalar(elem);
	case 'U':
		return ty_vector(kind_with_sign(elem, true), width);
	case 'R':
		return width == 1
			   ? ty_scalar(VCL_TY_INT)
			   : ty_vector(kind_with_sign(elem, false), width);
	case 'S':
	case 'T':
		return ty_vector(kind_with_sign(elem, c == 'T'), width);
	case 'N':
		return ty_vector(VCL_TY_INT, width);
	case 'i':
		return ty_scalar(VCL_TY_INT);
	case 'u':
		return ty_scalar(VCL_TY_UINT);
	case 'z':
		return ty_scalar(VCL_TY_ULONG);
	case 'v':
		return ty_scalar(VCL_TY_VOID);
	case 'P':
		return ty_pointer(
		    s, ty_qualified(s, ty_scalar(elem), VCL_Q_VOLATILE, space));
	case 'Q':
		return ty_pointer(
		    s, ty_qualified(s, ty_vector(elem, width), 0, space));
	case 'O':
		return ty_pointer(
		    s, ty_qualified(s, ty_vector(VCL_TY_INT, width), 0, space));
	case 'W': /* char -> short -> int -> long, the sign kept */
		return ty_vector((enum vcl_type_kind)(elem + 2), width);
	default:
		return NULL;
	}
}

/* How an argument of type `from` fits a parameter `to`: 0 exactly, 1 by
 * promotion, 2 by conversion, -1 not at all. */
static int rank(const struct vcl_ty *from, const struct vcl_ty *to)
{
	if (to->kind == VCL_TY_POINTER) {
		if (from->kind != VCL_TY_POINTER)
			return -1;
		const struct vcl_ty *fb = from->base, *tb = to->base;
		if (ty_space(fb) != ty_space(tb) || !ty_equal(fb, tb, false) ||
		    (fb->quals & ~tb->quals & (VCL_Q_CONST | VCL_Q_VOLATILE)))
			return -1;
		return 0;
	}
	if (ty_equal(from, to, false))
		return 0;
	if (!ty_is_arith(from) || !ty_is_arith(to))
		return -1;
	if ((to->kind == VCL_TY_INT && kind_rank(from->kind) < 3) ||
	    (to->kind == VCL_TY_DOUBLE && from->kind == VCL_TY_FLOAT))
		return 1;
	return 2;
}

enum { MAX_ARGS = 4, MAX_VIABLE = 128 };

struct candidate {
	const struct vcl_ty *ret, *params[MAX_ARGS];
	int ranks[MAX_ARGS];
};

static bool better(const struct candidate *a, const struct candidate *b,
		   int nargs)
{
	bool strictly = false;
	for (int i = 0; i < nargs; i++) {
		if (a->ranks[i] > b->ranks[i])
			return false;
		strictly |= a->ranks[i] < b->ranks[i];
	}
	return strictly;
}

static void describe_args(struct sema *s, const struct vcl_ty **t, int n,
			  char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && len < cap; i++) {
		char one[160];
		vcl_ty_format(t[i], one, sizeof(one));
		int k =
		    snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", one);
		if (k > 0)
			len += (size_t)k;
	}
	(void)s;
}

static void resolve(struct sema *s, struct vcl_node *n, size_t first,
		    const struct vcl_ty **args, int nargs);

/* Overload resolution over the entries named like the call: the
 * arguments checked first (recursing into nested calls), then the
 * candidates in a frame of their own, not on the stack the recursion
 * builds (7 KiB a level overflowed 512 KiB under ASan at 120 nested
 * calls). */
static void table_call(struct sema *s, struct vcl_node *n, size_t first)
{
	const struct vcl_ty *args[MAX_ARGS];
	int nargs = arg_count(n);
	if (check_args(s, n, args, MAX_ARGS))
		resolve(s, n, first, args, nargs);
}

__attribute__((noinline)) static void resolve(struct sema *s,
					      struct vcl_node *n, size_t first,
					      const struct vcl_ty **args,
					      int nargs)
{
	struct candidate viable[MAX_VIABLE];
	int nviable = 0;
	bool arity_seen = false;
	for (size_t e = first; e < NTABLE; e++) {
		const struct builtin *b = &table[e];
		if (strcmp(b->name, table[first].name))
			continue;
		int nparams = (int)strlen(b->sig) - 1;
		if (nparams != nargs)
			continue;
		arity_seen = true;
		/* A vector form taking a scalar (fmin(float4, float),
		 * ldexp(float4, int)) has no scalar expansion: that is the
		 * plain form, which would make every scalar call ambiguous. */
		bool vec_only = strchr(b->sig + 1, 'g') != NULL ||
				(b->cls == G_F && strchr(b->sig + 1, 'i'));
		struct expansion x =
		    expand(b->cls, strpbrk(b->sig, "QO") != NULL);
		for (unsigned ei = 0; ei < x.nelems; ei++)
			for (unsigned wi = 0; wi < x.nwidths; wi++)
				for (unsigned si = 0; si < x.nspaces; si++) {
					unsigned w = x.widths[wi];
					if (vec_only && w == 1 &&
					    b->cls != G_NONE)
						continue;
					struct candidate c;
					bool ok = true;
					c.ret =
					    letter(s, b->sig[0], x.elems[ei], w,
						   x.spaces[si]);
					for (int i = 0; i < nargs && ok; i++) {
						c.params[i] =
						    letter(s, b->sig[i + 1],
							   x.elems[ei], w,
							   x.spaces[si]);
						c.ranks[i] =
						    c.params[i]
							? rank(args[i],
							       c.params[i])
							: -1;
						ok = c.ranks[i] >= 0;
					}
					if (!ok || !c.ret)
						continue;
					if (nviable == MAX_VIABLE)
						break;
					viable[nviable++] = c;
				}
	}
	const char *name = table[first].name;
	char list[512];
	if (!arity_seen) {
		sema_error(s, n->loc, "no form of '%s' takes %d argument%s",
			   name, nargs, nargs == 1 ? "" : "s");
		return;
	}
	int best = -1;
	for (int i = 0; i < nviable; i++) {
		bool wins = true;
		for (int j = 0; j < nviable && wins; j++)
			wins = i == j || better(&viable[i], &viable[j], nargs);
		if (wins) {
			best = i;
			break;
		}
	}
	if (best < 0) {
		describe_args(s, args, nargs, list, sizeof(list));
		sema_error(s, n->loc,
			   nviable ? "call to '%s' (%s) is ambiguous: cast the "
				     "arguments to the type meant"
				   : "no form of '%s' takes (%s)",
			   name, list);
		return;
	}
	/* The first entry of the name names the built-in, whichever form
	 * won: the form is in the arguments' types. */
	const struct candidate *c = &viable[best];
	int i = 0;
	for (struct vcl_node **a = &n->list; *a; a = &(*a)->next, i++)
		if (!sema_coerce(s, a, args[i], c->params[i], "an argument"))
			return;
	n->info = VCL_CALL_BUILTIN | (uint32_t)first << 8;
	n->ty = c->ret;
	if (same_name("barrier", n->a->name, n->a->name_len) && s->fn)
		s->fn->has_barrier = true;
}

static size_t find(const char *name, uint32_t len)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (same_name(table[i].name, name, len))
			return i;
	return NTABLE;
}

bool sema_builtin_call(struct sema *s, struct vcl_node *n)
{
	const char *p = n->a->name;
	uint32_t len = n->a->name_len;
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
		if (has_prefix(p, len, unsupported[i].prefix)) {
			if (strlen(unsupported[i].prefix) == len)
				sema_error(s, n->loc, "%s", unsupported[i].why);
			else
				sema_error(s, n->loc, "%s ('%.*s')",
					   unsupported[i].why, (int)len, p);
			return true;
		}
	size_t e = find(p, len);
	if (e < NTABLE) {
		table_call(s, n, e);
		return true;
	}
	if (has_prefix(p, len, "convert_"))
		return convert_call(s, n, p + 8, len - 8);
	if (has_prefix(p, len, "as_"))
		return as_call(s, n, p + 3, len - 3);
	if (has_prefix(p, len, "vload_half"))
		return vload_store(s, n, false, true, p + 10, len - 10);
	if (has_prefix(p, len, "vstore_half"))
		return vload_store(s, n, true, true, p + 11, len - 11);
	if (has_prefix(p, len, "vload"))
		return vload_store(s, n, false, false, p + 5, len - 5);
	if (has_prefix(p, len, "vstore"))
		return vload_store(s, n, true, false, p + 6, len - 6);
	if (same_name("vec_step", p, len)) {
		const struct vcl_ty *t[1];
		if (!want_args(s, n, 1) || !check_args(s, n, t, 1))
			return true;
		n->info = VCL_CALL_VEC_STEP;
		n->value = t[0]->kind == VCL_TY_VECTOR
			       ? (t[0]->width == 3 ? 4 : t[0]->width)
			       : 1;
		n->ty = ty_scalar(VCL_TY_INT);
		return true;
	}
	return false;
}
