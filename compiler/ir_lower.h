/* The lowering's state, shared by its statements (ir_lower.c) and its
 * expressions (ir_lower_expr.c). Private to the compiler. */
#ifndef VCL_IR_LOWER_H
#define VCL_IR_LOWER_H

#include <vgpucl/ir.h>

/* Where a variable or parameter lives. */
enum var_kind {
	VAR_NONE,
	VAR_VALUE,  /* a parameter never assigned: its value */
	VAR_SCALAR, /* a scalar or pointer in a slot, read whole (lds/sts) */
	VAR_MEMORY, /* an array in a slot, reached through its address */
	VAR_LOCAL,  /* a __local array or scalar: a kernel's allocation */
	VAR_AT,	    /* a struct parameter: memory at the pointer value index */
};

struct var {
	enum var_kind kind;
	uint32_t index; /* value, slot or allocation */
};

/* An lvalue: a whole scalar variable, or memory at a pointer. */
struct lvalue {
	bool memory;
	uint32_t slot; /* !memory */
	uint32_t ptr;  /* memory: the pointer value */
	vcl_ir_type type;
	const struct vcl_ty *ty;
};

/*
 * Vectors are scalarized (ir_lower_vec.c): a vector value is its lanes,
 * one scalar value each; a vector object lives in memory (a private slot,
 * a buffer, __local memory), each lane loaded and stored at its offset.
 */
#define LANES_MAX 16
struct lanes {
	uint32_t v[LANES_MAX];
	uint32_t n;
};

/* A vector lvalue: lane i of the value is the element at byte offset
 * lane[i] * the element's size from ptr (a swizzle picks lanes). */
struct vlvalue {
	uint32_t ptr;
	vcl_ir_type pt, et; /* the pointer's and the element's IR types */
	uint32_t n;
	uint8_t lane[LANES_MAX];
};

struct lower {
	struct vcl_ir_module *m;
	const struct vcl_program *prog;
	struct vcl_pp *pp;
	struct vcl_diags *d;
	bool failed;
	int64_t *fn_index; /* per prog->functions[i]: IR index, -1, -2 busy */
	uint32_t call_depth;
	/* The function being lowered. */
	struct vcl_ir_function *f;
	struct vcl_ir_block *cur;
	const struct vcl_sym *fs;
	struct var *vars, *params; /* params: per C parameter */
	struct var *gvars;	   /* per prog->globals: private copies */
	bool *addressed;	   /* per variable: its address is taken */
	uint32_t nvars;
	uint32_t ret_ptr; /* a vector or struct result's pointer, else
			   * VCL_IR_NONE */
	struct vlvalue ret_lanes;
	/* The IR loops open, innermost last: whether each is a switch's (a
	 * C `continue` leaves those). */
	bool is_switch[VCL_IR_MAX_DEPTH];
	uint32_t nopen;
	struct vcl_ir_inst scratch; /* what emit gives when out of memory */
	/* Products a * b lower_arith made where FP_CONTRACT allows fusing
	 * them into the + or - above them, PRODUCTS of them at the slot of
	 * their value number modulo PRODUCTS (one overwritten is merely not
	 * fused); off the stack, which holds a struct lower per callee
	 * being lowered. */
	struct product {
		uint32_t id, x, y;
		const struct vcl_node *node;
	} * products;
};
#define PRODUCTS 64

void lower_error(struct lower *L, const struct vcl_node *n, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));
/* Appends to the current block; a result gets the next value number. */
struct vcl_ir_inst *emit(struct lower *L, enum vcl_ir_op op, vcl_ir_type type);
uint32_t emit_value(struct lower *L, enum vcl_ir_op op, vcl_ir_type type,
		    uint32_t a, uint32_t b);
uint32_t emit_const(struct lower *L, vcl_ir_type type, uint64_t bits);
uint32_t new_slot(struct lower *L, vcl_ir_type type);
/* An ICMP or FCMP of predicate pred (an i1); a SELECT of c ? a : b. */
uint32_t emit_cmp(struct lower *L, enum vcl_ir_op op, uint64_t pred, uint32_t a,
		  uint32_t b);
uint32_t emit_select(struct lower *L, vcl_ir_type t, uint32_t c, uint32_t a,
		     uint32_t b);
/* The integer type of a word of 1, 2, 4 or 8 bytes. */
vcl_ir_type word_type(uint32_t bytes);

/* An IR type for a scalar or pointer; VCL_IR_NONE (reported) else. */
vcl_ir_type lower_type(struct lower *L, const struct vcl_ty *t,
		       const struct vcl_node *at);
vcl_ir_type kind_type(enum vcl_type_kind k);

static inline bool kind_signed(enum vcl_type_kind k)
{
	return k == VCL_TY_CHAR || k == VCL_TY_SHORT || k == VCL_TY_INT ||
	       k == VCL_TY_LONG;
}

static inline bool kind_float(enum vcl_type_kind k)
{
	return k == VCL_TY_FLOAT || k == VCL_TY_DOUBLE;
}

/* The bits of the constant v in type t (a float's for f32). */
uint64_t lower_float_bits(vcl_ir_type t, double v);
/* A scalar of kind `from` to kind `to` (to bool: != 0). */
uint32_t lower_convert(struct lower *L, uint32_t v, enum vcl_type_kind from,
		       enum vcl_type_kind to);
/* a OP b in the scalar kind k (both operands of that kind); a + or - of
 * a product in at's operands as one `intrin mad` where FP_CONTRACT
 * allows. */
uint32_t lower_arith(struct lower *L, const struct vcl_node *at,
		     enum vcl_tok op, enum vcl_type_kind k, uint32_t a,
		     uint32_t b);
/* a OP b for a comparison operator in the scalar kind k, as an i1. */
uint32_t lower_compare(struct lower *L, enum vcl_tok op, enum vcl_type_kind k,
		       uint32_t a, uint32_t b);
/* n as an lvalue; vectors, structs and arrays are always in memory. */
bool lower_lvalue(struct lower *L, const struct vcl_node *n, struct lvalue *lv);

uint32_t lower_rvalue(struct lower *L, const struct vcl_node *n);
/* A condition (converted to bool by the type checker) as an i1. */
uint32_t lower_cond(struct lower *L, const struct vcl_node *n);
/* A user function's IR index, lowering it first if need be; -1 failed. */
int64_t lower_callee(struct lower *L, struct vcl_sym *fn,
		     const struct vcl_node *at);

/* Lanes in the module's arena, for what recursion holds (the stack
 * stays small however deep the expression); NULL when out of memory. */
struct lanes *lanes_new(struct lower *L);
/* n's value as lanes: a vector's, or a scalar's one. False when failed
 * (reported). */
bool lower_lanes(struct lower *L, const struct vcl_node *n, struct lanes *out);
/* A vector-typed expression evaluated for its effects; its lane 0. */
uint32_t lower_vector(struct lower *L, const struct vcl_node *n);
bool lower_vlvalue(struct lower *L, const struct vcl_node *n,
		   struct vlvalue *vl);
void lower_vstore(struct lower *L, const struct vlvalue *vl,
		  const struct lanes *v);
/* p + bytes (p itself when 0); a checked pointer for a t at p + bytes;
 * loads and stores of one scalar there. */
uint32_t lower_offset(struct lower *L, uint32_t p, vcl_ir_type pt,
		      uint64_t bytes);
uint32_t lower_load_at(struct lower *L, uint32_t p, vcl_ir_type pt,
		       uint64_t bytes, vcl_ir_type t);
void lower_store_at(struct lower *L, uint32_t p, vcl_ir_type pt, uint64_t bytes,
		    vcl_ir_type t, uint32_t v);
/* v's bits as a `to` of the same size, through a private slot. */
uint32_t lower_reinterpret(struct lower *L, uint32_t v, vcl_ir_type from,
			   vcl_ir_type to);
/* A private memory slot for an object of the given size. */
uint32_t lower_memory_slot(struct lower *L, uint64_t size, uint32_t align,
			   const struct vcl_node *at);
/* A call of a user function (vector arguments as their lanes; ret: the
 * pointer a vector result goes through, or VCL_IR_NONE). */
uint32_t lower_user_call(struct lower *L, const struct vcl_node *n,
			 vcl_ir_type t, uint32_t ret);
/* Calls of convert_T, as_T, vload, vstore, vector built-ins and user
 * functions returning vectors, as lanes (none for vstore). */
bool lower_vector_call(struct lower *L, const struct vcl_node *n,
		       struct lanes *out);
/* count words of `unit` bytes from src (VCL_IR_NONE: zeros) to dst: few
 * unrolled, many as an IR loop. */
void lower_words(struct lower *L, const struct vcl_node *at, uint32_t dst,
		 vcl_ir_type dpt, uint32_t src, vcl_ir_type spt, uint64_t count,
		 uint32_t unit);
/* Copies an object of type t from src to dst (pointers of types spt
 * and dpt). */
void lower_copy(struct lower *L, const struct vcl_node *at, uint32_t dst,
		vcl_ir_type dpt, uint32_t src, vcl_ir_type spt,
		const struct vcl_ty *t);
/* The memory holding a struct or union value n (an lvalue's, or the slot
 * a call returned it in): its pointer into *ptr and type into *pt. */
bool lower_struct_ptr(struct lower *L, const struct vcl_node *n, uint32_t *ptr,
		      vcl_ir_type *pt);
static inline bool is_record(const struct vcl_ty *t)
{
	return t && (t->kind == VCL_TY_STRUCT || t->kind == VCL_TY_UNION);
}
/* The IR type of a pointer to lv's object. */
vcl_ir_type lvalue_pointer(const struct lvalue *lv);
/* The IR pointer type to an object of type t. */
static inline vcl_ir_type pointer_to(const struct vcl_ty *t)
{
	enum vcl_addr_space sp = t ? t->space : VCL_AS_PRIVATE;
	return VCL_IR_TYPE(VCL_IR_PTR, 0,
			   sp == VCL_AS_NONE ? VCL_AS_PRIVATE : sp);
}
/* `intrin t name(x...)`. */
uint32_t lower_intrin(struct lower *L, vcl_ir_type t, const char *name,
		      const uint32_t *x, uint32_t nargs);
/* The built-in functions but the work-item ones, barrier and atomics
 * (ir_lower_builtin.c): per lane into out (n->ty's lanes). */
bool lower_builtin_lanes(struct lower *L, const struct vcl_node *n,
			 const char *name, struct lanes *out);
/* convert_T[_sat][_rtX] and as_T (ir_lower_convert.c) into out. */
bool lower_convert_call(struct lower *L, const struct vcl_node *n,
			struct lanes *out);
bool lower_as_call(struct lower *L, const struct vcl_node *n,
		   struct lanes *out);
/* A half's bits (i16) to a float, exactly; a float to a half's bits
 * rounded as r says (vload_half, vstore_half). */
uint32_t lower_half_to_float(struct lower *L, uint32_t h16);
uint32_t lower_float_to_half(struct lower *L, uint32_t f, enum vcl_rounding r);
/* An integer of kind `from` to kind `to`, clamped to its range. */
uint32_t lower_saturate(struct lower *L, uint32_t v, enum vcl_type_kind from,
			enum vcl_type_kind to);
/* The scalar kind and lane count of t (a scalar: 1). */
static inline uint32_t ty_lanes(const struct vcl_ty *t)
{
	return t && t->kind == VCL_TY_VECTOR ? t->width : 1;
}
static inline enum vcl_type_kind ty_elem(const struct vcl_ty *t)
{
	return t && t->kind == VCL_TY_VECTOR ? t->elem
	       : t			     ? t->kind
					     : VCL_TY_VOID;
}

#endif
