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
	struct var *vars, *params;
	uint32_t nvars;
	/* The IR loops open, innermost last: whether each is a switch's (a
	 * C `continue` leaves those). */
	bool is_switch[VCL_IR_MAX_DEPTH];
	uint32_t nopen;
	struct vcl_ir_inst scratch; /* what emit gives when out of memory */
};

void lower_error(struct lower *L, const struct vcl_node *n, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));
/* Appends to the current block; a result gets the next value number. */
struct vcl_ir_inst *emit(struct lower *L, enum vcl_ir_op op, vcl_ir_type type);
uint32_t emit_value(struct lower *L, enum vcl_ir_op op, vcl_ir_type type,
		    uint32_t a, uint32_t b);
uint32_t emit_const(struct lower *L, vcl_ir_type type, uint64_t bits);
uint32_t new_slot(struct lower *L, vcl_ir_type type);

/* An IR type for a scalar or pointer; VCL_IR_NONE (reported) else. */
vcl_ir_type lower_type(struct lower *L, const struct vcl_ty *t,
		       const struct vcl_node *at);
vcl_ir_type kind_type(enum vcl_type_kind k);

uint32_t lower_rvalue(struct lower *L, const struct vcl_node *n);
/* A condition (converted to bool by the type checker) as an i1. */
uint32_t lower_cond(struct lower *L, const struct vcl_node *n);
/* A user function's IR index, lowering it first if need be; -1 failed. */
int64_t lower_callee(struct lower *L, struct vcl_sym *fn,
		     const struct vcl_node *at);

#endif
