/*
 * The device's IR (docs/compiler.md, "The IR"): a module of functions and
 * kernels, structured control flow (if, loop with a continuing part,
 * break/continue naming an enclosing loop, return), values in SSA local to
 * the list that defines them, typed operations, and memory reached only
 * through pointers derived from objects (kernel arguments, __local
 * allocations, private slots) and checked by `check` before each access.
 * Built in an arena with a cap; the verifier (vcl_ir_verify) is what makes
 * a module safe to run, wherever it came from.
 */
#ifndef VGPUCL_IR_H
#define VGPUCL_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpucl/diag.h>
#include <vgpucl/sema.h>

#define VCL_IR_MAGIC "VCLIR"
#define VCL_IR_MAJOR 0
#define VCL_IR_MINOR 2

/* Bounds the verifier enforces (and the lowering stays within). */
#define VCL_IR_MAX_FUNCTIONS  4096
#define VCL_IR_MAX_VALUES     (1u << 20) /* per function */
#define VCL_IR_MAX_PARAMS     64	 /* pointer masks are 64-bit */
#define VCL_IR_MAX_SLOTS      65536
#define VCL_IR_MAX_LOCALS     4096
#define VCL_IR_MAX_DEPTH      256   /* nested regions */
#define VCL_IR_MAX_CALL_DEPTH 64    /* calls nested in lowering, inlining */
#define VCL_IR_MAX_INLINED    65536 /* instructions made by inlining */

/*
 * A type in 32 bits: kind (low byte), lanes (next byte: 0 a scalar, else
 * 2, 3, 4, 8 or 16) and, for pointers, the address space (enum
 * vcl_addr_space, third byte). Packing replaces the design's type table.
 */
typedef uint32_t vcl_ir_type;
enum vcl_ir_kind {
	VCL_IR_VOID,
	VCL_IR_I1,
	VCL_IR_I8,
	VCL_IR_I16,
	VCL_IR_I32,
	VCL_IR_I64,
	VCL_IR_F32,
	VCL_IR_F64,
	VCL_IR_PTR,
	VCL_IR_KIND_COUNT
};
#define VCL_IR_TYPE(kind, lanes, space)                                        \
	((vcl_ir_type)(kind) | (vcl_ir_type)(lanes) << 8 |                     \
	 (vcl_ir_type)(space) << 16)
#define VCL_IR_KIND(t)	((enum vcl_ir_kind)((t)&0xff))
#define VCL_IR_LANES(t) (((t) >> 8) & 0xff)
#define VCL_IR_SPACE(t) ((enum vcl_addr_space)(((t) >> 16) & 0xff))

#define VCL_IR_NONE UINT32_MAX /* no value */

/* The operations: name (as printed), operand shape. */
#define VCL_IR_OPS(X)                                                          \
	X(CONST, "const")                                                      \
	X(ADD, "add")                                                          \
	X(SUB, "sub")                                                          \
	X(MUL, "mul")                                                          \
	X(SDIV, "sdiv")                                                        \
	X(UDIV, "udiv")                                                        \
	X(SREM, "srem")                                                        \
	X(UREM, "urem")                                                        \
	X(AND, "and")                                                          \
	X(OR, "or")                                                            \
	X(XOR, "xor")                                                          \
	X(SHL, "shl")                                                          \
	X(LSHR, "lshr")                                                        \
	X(ASHR, "ashr")                                                        \
	X(FADD, "fadd")                                                        \
	X(FSUB, "fsub")                                                        \
	X(FMUL, "fmul")                                                        \
	X(FDIV, "fdiv")                                                        \
	X(FREM, "frem")                                                        \
	X(FNEG, "fneg")                                                        \
	X(ICMP, "icmp")                                                        \
	X(FCMP, "fcmp")                                                        \
	X(SELECT, "select")                                                    \
	X(SEXT, "sext")                                                        \
	X(ZEXT, "zext")                                                        \
	X(TRUNC, "trunc")                                                      \
	X(FPEXT, "fpext")                                                      \
	X(FPTRUNC, "fptrunc")                                                  \
	X(SITOFP, "sitofp")                                                    \
	X(UITOFP, "uitofp")                                                    \
	X(FPTOSI, "fptosi.sat")                                                \
	X(FPTOUI, "fptoui.sat")                                                \
	X(LDS, "lds")                                                          \
	X(STS, "sts")                                                          \
	X(SLOT, "slot")                                                        \
	X(LOCAL, "local")                                                      \
	X(PTRADD, "ptradd")                                                    \
	X(CHECK, "check")                                                      \
	X(LOAD, "load")                                                        \
	X(STORE, "store")                                                      \
	X(ATOMIC, "atomic")                                                    \
	X(WI, "wi")                                                            \
	X(BARRIER, "barrier")                                                  \
	X(CALL, "call")                                                        \
	X(INTRIN, "intrin")                                                    \
	X(IF, "if")                                                            \
	X(LOOP, "loop")                                                        \
	X(BREAK, "break")                                                      \
	X(CONTINUE, "continue")                                                \
	X(RETURN, "return")                                                    \
	X(NULLPTR, "null")                                                     \
	X(PTRDIFF, "ptrdiff")                                                  \
	X(PTRCMP, "ptrcmp")

enum vcl_ir_op {
#define VCL_X(name, s) VCL_IR_##name,
	VCL_IR_OPS(VCL_X)
#undef VCL_X
	    VCL_IR_OP_COUNT
};

/* Integer and floating comparisons, in imm of ICMP and FCMP. */
enum vcl_ir_icmp {
	VCL_ICMP_EQ,
	VCL_ICMP_NE,
	VCL_ICMP_SLT,
	VCL_ICMP_SLE,
	VCL_ICMP_SGT,
	VCL_ICMP_SGE,
	VCL_ICMP_ULT,
	VCL_ICMP_ULE,
	VCL_ICMP_UGT,
	VCL_ICMP_UGE,
	VCL_ICMP_COUNT
};
/* OpenCL's != is true on NaN (une); the others are ordered. */
enum vcl_ir_fcmp {
	VCL_FCMP_OEQ,
	VCL_FCMP_UNE,
	VCL_FCMP_OLT,
	VCL_FCMP_OLE,
	VCL_FCMP_OGT,
	VCL_FCMP_OGE,
	VCL_FCMP_COUNT
};

/* Atomic read-modify-writes, in imm of ATOMIC: a the checked pointer
 * (global or local), b the operand, c cmpxchg's comparand; the old value.
 * i32 only, but xchg on f32 too. */
enum vcl_ir_atomic {
	VCL_AT_ADD,
	VCL_AT_SUB,
	VCL_AT_XCHG,
	VCL_AT_CMPXCHG,
	VCL_AT_SMIN,
	VCL_AT_UMIN,
	VCL_AT_SMAX,
	VCL_AT_UMAX,
	VCL_AT_AND,
	VCL_AT_OR,
	VCL_AT_XOR,
	VCL_AT_COUNT
};

/* Work-item queries, in imm of WI (operand a: the dimension, an i32). */
enum vcl_ir_wi {
	VCL_WI_GLOBAL_ID,
	VCL_WI_LOCAL_ID,
	VCL_WI_GROUP_ID,
	VCL_WI_GLOBAL_SIZE,
	VCL_WI_LOCAL_SIZE,
	VCL_WI_NUM_GROUPS,
	VCL_WI_GLOBAL_OFFSET,
	VCL_WI_WORK_DIM,
	VCL_WI_COUNT
};

struct vcl_ir_inst;
/* A list of instructions and regions. */
struct vcl_ir_block {
	struct vcl_ir_inst *first, *last;
};

/*
 * One instruction. What each field means per op:
 *   CONST: imm the bits (a double's bits for f64, a float's for f32)
 *   binary ops: a b; FNEG: a; ICMP/FCMP: imm the predicate, a b (i1)
 *   SELECT: a (i1) ? b : c; conversions: a to type
 *   LDS: reads slot imm whole (a scalar or pointer variable); STS: writes a
 *   SLOT: pointer to slot imm; LOCAL: pointer to __local allocation imm
 *   PTRADD: a + b (an i64 of bytes); CHECK: a checked for imm bytes at
 *   alignment imm2; LOAD: from a (a CHECK's value); STORE: b at a
 *   ATOMIC: imm the operation (enum vcl_ir_atomic), a b c
 *   WI: imm the query, a the dimension; BARRIER: imm the fence flags
 *   CALL: function imm, args; INTRIN: name, args
 *   IF: a (i1), then, els; LOOP: then the body, els the continuing part
 *   (run after the body and at `continue`); BREAK/CONTINUE: imm names the
 *   loop, 0 the innermost; RETURN: a or VCL_IR_NONE
 * Since 0.2 (appended, so 0.1's op numbers stand):
 *   NULLPTR: the null pointer of its type's space (no object: every check
 *   on it fails); PTRDIFF: a's offset minus b's, in bytes (i64);
 *   PTRCMP: imm an icmp predicate (EQ NE SLT SLE SGT SGE), a b (i1): EQ
 *   and NE on the object and offset, the others on the offsets alone
 *   (a and b pointers of one type); SLOT may give ptr.constant, a
 *   read-only pointer to a slot (a __constant variable's copy)
 */
struct vcl_ir_inst {
	enum vcl_ir_op op;
	vcl_ir_type type; /* of the result; VOID when none */
	uint32_t id;	  /* the result's value number, else VCL_IR_NONE */
	uint32_t a, b, c;
	uint64_t imm, imm2;
	const char *name;
	uint32_t *args;
	uint32_t nargs;
	struct vcl_ir_block then, els;
	struct vcl_ir_inst *next;
};

/* A private slot or a __local allocation. */
struct vcl_ir_object {
	uint64_t size;
	uint32_t align;
};

struct vcl_ir_param {
	const char *name;
	vcl_ir_type type;
	bool may_store; /* kernels' pointers: stores through it allowed */
};

struct vcl_ir_function {
	const char *name;
	vcl_ir_type ret;
	struct vcl_ir_param *params; /* values 0..nparams-1 */
	uint32_t nparams;
	struct vcl_ir_object *slots;
	uint32_t nslots;
	struct vcl_ir_object *locals; /* __local allocations: kernels only */
	uint32_t nlocals;
	uint32_t nvalues; /* values numbered nparams.. in order of definition */
	bool is_kernel;
	uint32_t reqd_work_group_size[3];
	struct vcl_ir_block body;
};

/* Functions call only functions before them (no recursion); a kernel is a
 * function with is_kernel, never called. */
struct vcl_ir_module {
	uint32_t major, minor;
	struct vcl_ir_function *funcs;
	uint32_t nfuncs, cap;
	void *priv; /* the arena */
};

/* An empty module with room for cap functions; NULL when out of memory. */
struct vcl_ir_module *vcl_ir_new(uint32_t cap);
void vcl_ir_free(struct vcl_ir_module *m);

/* Building (the lowering and the tests). NULL when the arena's cap is
 * reached or (functions) the room is full: pointers to functions stay
 * valid. */
struct vcl_ir_function *vcl_ir_add_function(struct vcl_ir_module *m,
					    const char *name, uint32_t nparams);
struct vcl_ir_inst *vcl_ir_append(struct vcl_ir_module *m,
				  struct vcl_ir_block *b, enum vcl_ir_op op,
				  vcl_ir_type type);
void *vcl_ir_alloc(struct vcl_ir_module *m, size_t n);
/* Appends an object to *v (n of them), returns its index or -1. */
int64_t vcl_ir_add_object(struct vcl_ir_module *m, struct vcl_ir_object **v,
			  uint32_t *n, uint64_t size, uint32_t align);

/* The typed, annotated tree (a program without errors) to IR; constructs
 * not lowered yet are errors naming them. NULL when it failed. */
struct vcl_ir_module *vcl_ir_lower(const struct vcl_program *prog,
				   struct vcl_pp *pp);

/* Checks every rule the device relies on (docs/compiler.md); errors go to
 * d with the function named. True when the module is safe to run. Never
 * trusts the module: counts, indexes, types, nesting are all checked. */
bool vcl_ir_verify(const struct vcl_ir_module *m, struct vcl_diags *d);

/*
 * What the code generator takes of the verified module M: every call of a
 * function that has a barrier (its own or a callee's) replaced by the
 * callee's body, those functions left out, the result verified again (a
 * barrier under a condition on a helper's parameter diverges once a call
 * passes it a work-item id). *OUT is NULL when no function but a kernel
 * has a barrier: M is what to take. False, with errors in D, past the
 * bounds (VCL_IR_MAX_INLINED instructions made, VCL_IR_MAX_DEPTH regions,
 * VCL_IR_MAX_CALL_DEPTH calls, VCL_IR_MAX_SLOTS slots) or when the
 * verifier refuses the result.
 */
bool vcl_ir_inline_barriers(const struct vcl_ir_module *m,
			    struct vcl_ir_module **out, struct vcl_diags *d);

/* The text form (`vgpucc -S`) into buf, snprintf-style. */
size_t vcl_ir_print(const struct vcl_ir_module *m, char *buf, size_t cap);

/* The binary form (`vgpucc -o`) into buf, snprintf-style. */
size_t vcl_ir_write(const struct vcl_ir_module *m, uint8_t *buf, size_t cap);
/* Reads the binary form, treating the bytes as hostile, and verifies the
 * result: NULL (with diagnostics in d) unless it is safe to run. */
struct vcl_ir_module *vcl_ir_read(const void *bytes, size_t len,
				  struct vcl_diags *d);

const char *vcl_ir_op_name(enum vcl_ir_op op);
/* The intrinsic a math built-in of nargs arguments is ("native_sqrt" is
 * "sqrt"), NULL when the IR has none. */
const char *vcl_ir_intrin_base(const char *name, uint32_t nargs);
/* "i32", "f32x4", "ptr.global" into buf (16 bytes are enough). */
const char *vcl_ir_type_name(vcl_ir_type t, char buf[static 16]);
/* Bytes a value of t takes in memory (a 3-lane vector as 4). */
uint32_t vcl_ir_type_size(vcl_ir_type t);

#endif
