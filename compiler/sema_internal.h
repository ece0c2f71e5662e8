/* The type checker's state, shared by its files: sema.c (entry, names,
 * errors, the call graph), types.c, sema_decl.c (types as written,
 * declarations, initializers), sema_expr.c, sema_stmt.c, builtins.c,
 * sema_flow.c (stores through kernel parameters, barriers in divergent
 * control flow). */
#ifndef VCL_SEMA_INTERNAL_H
#define VCL_SEMA_INTERNAL_H

#include <vgpucl/limits.h>
#include <vgpucl/sema.h>

#include "arena.h"

/* On the recursive paths (expressions): keeps each helper's locals out of
 * the recursing frame, so the depth bound fits a small stack. */
#define NOINLINE __attribute__((noinline))

/* A call of a user function, for the recursion check and the summaries. */
struct call_edge {
	struct vcl_sym *caller, *callee;
	struct vcl_loc loc;
};

/* The case values of the switch being checked, for duplicates. */
struct switch_ctx {
	struct switch_ctx *outer;
	int64_t *values;
	uint32_t n, cap;
	bool has_default;
	const struct vcl_ty *type;
};

struct sema {
	struct vcl_pp *pp;
	struct vcl_diags *diags;
	struct vcl_arena *arena;
	struct vcl_program *prog;
	bool fatal;
	/* Names: ordinary [0] and tags [1], hashed (chains through
	 * `shadowed`, newest first; the table doubles as names are added,
	 * so a lookup stays short); the stack says what each scope
	 * declared, oldest first. */
	struct vcl_sym **buckets[2];
	uint32_t nbuckets;
	struct vcl_sym **stack;
	uint32_t nstack, capstack, scope;
	uint32_t depth; /* expression and type recursion */
	/* The function being checked. */
	struct vcl_sym *fn;
	uint32_t loops, breakable;
	struct switch_ctx *sw;
	uint32_t nlocals;
	uint64_t private_bytes, local_bytes;
	struct call_edge *calls;
	uint32_t ncalls, capcalls;
	uint32_t capfunctions, capglobals, capkernels;
	char tybuf[4][160];
	unsigned tybuf_next;
};

/* sema.c */
void *sema_alloc(struct sema *s, size_t n);
void sema_error(struct sema *s, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sema_warning(struct sema *s, struct vcl_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sema_scope_push(struct sema *s);
void sema_scope_pop(struct sema *s);
struct vcl_sym *sema_lookup(struct sema *s, const char *name, uint32_t len,
			    bool tag);
/* A new symbol in the current scope; NULL (reported) when the name is
 * already declared in it. */
struct vcl_sym *sema_declare(struct sema *s, enum vcl_sym_kind kind,
			     const char *name, uint32_t len,
			     struct vcl_loc loc);
bool sema_enter(struct sema *s, struct vcl_loc loc);
void sema_leave(struct sema *s);
void sema_add_call(struct sema *s, struct vcl_sym *callee, struct vcl_loc loc);
bool name_is(const struct vcl_node *n, const char *s);

/* types.c */
const struct vcl_ty *ty_scalar(enum vcl_type_kind k);
const struct vcl_ty *ty_vector(enum vcl_type_kind elem, unsigned width);
int ty_width_index(unsigned width);
const struct vcl_ty *ty_qualified(struct sema *s, const struct vcl_ty *t,
				  uint32_t quals, enum vcl_addr_space space);
const struct vcl_ty *ty_value(struct sema *s, const struct vcl_ty *t);
const struct vcl_ty *ty_pointer(struct sema *s, const struct vcl_ty *to);
/* NULL when the array would pass VCL_MAX_TYPE_BYTES. */
const struct vcl_ty *ty_array(struct sema *s, const struct vcl_ty *of,
			      uint64_t count);
const struct vcl_ty *ty_function(struct sema *s, const struct vcl_ty *ret,
				 const struct vcl_ty **params, uint32_t n);
const struct vcl_ty *ty_record(struct sema *s, struct vcl_record *r);
const struct vcl_ty *ty_sized(const struct vcl_ty *t);
/* Same type; top_quals: the outer qualifiers and space too. */
bool ty_equal(const struct vcl_ty *a, const struct vcl_ty *b, bool top_quals);
enum vcl_addr_space ty_space(const struct vcl_ty *t);
bool ty_is_arith(const struct vcl_ty *t);
bool kind_is_integer(enum vcl_type_kind k);
bool kind_is_unsigned(enum vcl_type_kind k);
int kind_rank(enum vcl_type_kind k);
enum vcl_type_kind kind_promoted(enum vcl_type_kind k);
enum vcl_type_kind kind_with_sign(enum vcl_type_kind k, bool is_unsigned);
enum vcl_type_kind kind_common(enum vcl_type_kind a, enum vcl_type_kind b);
const char *kind_name(enum vcl_type_kind k);
const char *space_name(enum vcl_addr_space sp);
/* A type's spelling for a message (one of four rotating buffers). */
const char *ty_str(struct sema *s, const struct vcl_ty *t);

/* sema_decl.c */
/* A type as written to a canonical one; NULL (reported) when invalid. */
const struct vcl_ty *sema_type(struct sema *s, const struct vcl_type *t);
void sema_top_decl(struct sema *s, struct vcl_node *d);
void sema_local_decl(struct sema *s, struct vcl_node *d);

/* sema_expr.c */
/* Checks the expression at *slot (which a conversion node may replace). */
const struct vcl_ty *sema_expr(struct sema *s, struct vcl_node **slot);
/* An expression used as a value: arrays decay, lvalues are read. */
const struct vcl_ty *sema_rvalue(struct sema *s, struct vcl_node **slot);
/* A condition (if, loops, ?:, !, && ||): a scalar, converted to bool. */
bool sema_condition(struct sema *s, struct vcl_node **slot);
/* Converts *slot to `to` as assignment does; false (reported) when it
 * cannot. `what` names the context: "assignment", "argument 2 of 'f'". */
bool sema_assign_conv(struct sema *s, struct vcl_node **slot,
		      const struct vcl_ty *to, const char *what);
/* sema_assign_conv on an operand already checked as an rvalue of type
 * `from`. */
bool sema_coerce(struct sema *s, struct vcl_node **slot,
		 const struct vcl_ty *from, const struct vcl_ty *to,
		 const char *what);
/* Wraps *slot in a conversion node to `to`. */
void sema_convert(struct sema *s, struct vcl_node **slot,
		  const struct vcl_ty *to, enum vcl_conv how);
/* An integer constant expression's value; false (reported) if it is not
 * one. */
bool sema_const_int(struct sema *s, struct vcl_node **slot, int64_t *out);
/* The checks a store into the lvalue n needs. */
bool sema_check_store(struct sema *s, struct vcl_node *n, const char *what);

/* sema_stmt.c */
void sema_function_body(struct sema *s, struct vcl_node *fn);

/* builtins.c */
/* Checks a call of the built-in `name` (args checked as values); false
 * when no built-in has that name. */
bool sema_builtin_call(struct sema *s, struct vcl_node *call);

/* sema_flow.c: after the whole unit, in callee-first order. */
void sema_flow_function(struct sema *s, struct vcl_sym *fn);

#endif
