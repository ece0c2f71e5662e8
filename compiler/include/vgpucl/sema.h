/*
 * The type checker: gives the parser's tree its meaning. Types as written
 * become canonical types (struct vcl_ty: typedefs resolved, sizes and
 * alignments as OpenCL C defines them); every expression node gets its
 * type, what it names and the implicit conversions as VCL_N_CONVERT nodes
 * put between a node and its parent, so a later lowering does no more type
 * work. Errors go to the preprocessor's diagnostics list, several per run.
 */
#ifndef VGPUCL_SEMA_H
#define VGPUCL_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpucl/ast.h>

/* A struct or union member, at its byte offset. */
struct vcl_field {
	const char *name;
	uint32_t name_len;
	const struct vcl_ty *type;
	uint64_t offset;
};

struct vcl_record {
	const char *name; /* NULL when anonymous */
	uint32_t name_len;
	bool typedef_name; /* name is the typedef's of an anonymous one */
	bool is_union;
	bool complete;
	bool has_pointer; /* a member is or holds a pointer */
	struct vcl_field *fields;
	uint32_t nfields;
	uint64_t size;
	uint32_t align;
	struct vcl_loc loc;
};

/*
 * A canonical type. The kinds are the parser's but VCL_TY_NAMED (resolved)
 * and VCL_TY_ENUM (an enum is an int). As in the tree, qualifiers and the
 * address space belong to the object: `__global const float *` is a
 * pointer whose base is a const float in VCL_AS_GLOBAL. An object or
 * pointee written without a space is VCL_AS_PRIVATE; a value (an rvalue)
 * has VCL_AS_NONE and no qualifiers.
 */
struct vcl_ty {
	enum vcl_type_kind kind;
	uint32_t quals; /* enum vcl_qual */
	enum vcl_addr_space space;
	const struct vcl_ty *base; /* pointee, element, return type */
	enum vcl_type_kind elem;   /* vector: a scalar kind */
	uint32_t width;		   /* vector: 2, 3, 4, 8, 16 */
	uint64_t count;		   /* array */
	struct vcl_record *record; /* struct, union */
	const struct vcl_ty **params;
	uint32_t nparams; /* function */
	uint64_t size;	  /* 0: void, function, incomplete */
	uint32_t align;
};

/* How a VCL_N_CONVERT node (in its `info`) changes its operand `a`. */
enum vcl_conv {
	VCL_CV_ARITH = 1, /* scalar to scalar (to bool: != 0) */
	VCL_CV_SPLAT,	  /* a scalar of the element type to a vector */
	VCL_CV_DECAY,	  /* an array to a pointer to its first element */
	VCL_CV_NULL,	  /* the integer constant 0 to a null pointer */
	VCL_CV_PTR,	  /* pointer to pointer, qualifiers added: no-op */
	VCL_CV_PTR_BOOL,  /* a pointer in a condition: != NULL */
};

enum vcl_sym_kind {
	VCL_SYM_VAR,
	VCL_SYM_PARAM,
	VCL_SYM_FUNC,
	VCL_SYM_ENUM_CONST,
	VCL_SYM_TYPEDEF,
	VCL_SYM_TAG, /* a struct, union or enum name */
};

/* Something a name denotes. Declarations' nodes and identifiers point to
 * their symbol (node->sym). */
struct vcl_sym {
	enum vcl_sym_kind kind;
	const char *name;
	uint32_t name_len;
	const struct vcl_ty *type;
	struct vcl_node *decl; /* the declaration (a function's definition) */
	int64_t value;	       /* VCL_SYM_ENUM_CONST */
	uint32_t index;	       /* PARAM: position; VAR: local number */
	bool is_kernel;
	bool stored;  /* VAR, PARAM: assigned after its declaration */
	bool defined; /* FUNC: has a body */
	/* FUNC: per pointer parameter (bit i), the function may store
	 * through it (or lets it escape), and it may return it. */
	uint64_t stores_through, returns;
	bool has_barrier; /* FUNC: calls barrier(), maybe through others */
	uint32_t nlocals; /* FUNC: its variables, numbered in `index` */
	struct vcl_sym
	    *shadowed; /* the type checker's: next in its hash chain */
	uint32_t scope;
};

/* Built-in call kinds, in a VCL_N_CALL's `info` (see vcl_call_info). */
enum vcl_call_kind {
	VCL_CALL_USER = 1, /* sym is the function */
	VCL_CALL_BUILTIN,  /* a built-in function: builtin names it */
	VCL_CALL_CONVERT,  /* convert_T[_sat][_rtX]: type is T */
	VCL_CALL_AS,	   /* as_T: type is T, bits reinterpreted */
	VCL_CALL_VLOAD,	   /* vloadN(offset, p) */
	VCL_CALL_VSTORE,   /* vstoreN(data, offset, p) */
	VCL_CALL_VEC_STEP, /* vec_step(x): a constant, in `value` */
};

enum vcl_rounding {
	VCL_RND_DEFAULT, /* rte to float, rtz to integer */
	VCL_RND_RTE,
	VCL_RND_RTZ,
	VCL_RND_RTP,
	VCL_RND_RTN,
};

/* VCL_N_CALL's info: kind in the low byte; builtin: the entry's index (a
 * name for vcl_builtin_name) above; convert: sat bit and rounding. */
#define VCL_CALL_KIND(info)	((enum vcl_call_kind)((info)&0xff))
#define VCL_CALL_BUILTIN(info)	((info) >> 8)
#define VCL_CALL_SAT		0x100u
#define VCL_CALL_ROUNDING(info) ((enum vcl_rounding)(((info) >> 9) & 7))

const char *vcl_builtin_name(uint32_t index);

/* A kernel's parameter as the device sees it. */
struct vcl_kernel_param {
	const char *name;
	uint32_t name_len;
	const struct vcl_ty *type;
	/* A pointer the kernel may store through (directly, in a helper it
	 * passes it to, or after converting it), for write permissions. */
	bool may_store;
};

struct vcl_kernel {
	struct vcl_sym *sym;
	struct vcl_kernel_param *params;
	uint32_t nparams;
	uint32_t reqd_work_group_size[3]; /* 0 0 0: not given */
	uint64_t local_bytes;		  /* __local variables declared in it */
};

struct vcl_program {
	struct vcl_ast *ast;
	struct vcl_kernel *kernels;
	uint32_t nkernels;
	struct vcl_sym **functions; /* user functions, in order */
	uint32_t nfunctions;
	struct vcl_sym **globals; /* __constant variables (program, kernels) */
	uint32_t nglobals;
	void *priv; /* the types' and symbols' arena */
};

/*
 * Checks the whole tree and annotates it in place (node->ty, ->sym, ->info,
 * conversion nodes); errors go to the preprocessor's diagnostics. NULL only
 * when out of memory. The program's kernels are valid only when the run
 * reported no error. The tree's annotations point into the program: free
 * the program before the tree, the tree before the preprocessor.
 */
struct vcl_program *vcl_sema(struct vcl_ast *ast, struct vcl_pp *pp);
void vcl_program_free(struct vcl_program *prog);

/* "__global const float *", "float4", "struct s", "int[4]" into buf,
 * snprintf-style. */
size_t vcl_ty_format(const struct vcl_ty *t, char *buf, size_t cap);
bool vcl_ty_is_integer(const struct vcl_ty *t); /* scalar integer or bool */
bool vcl_ty_is_floating(const struct vcl_ty *t);
/* The scalar kind of a scalar, or of a vector's elements. */
enum vcl_type_kind vcl_ty_scalar(const struct vcl_ty *t);

#endif
