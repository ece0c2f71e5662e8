/*
 * The syntax tree the parser builds: declarations, types as written
 * (vector types and address spaces included), statements and expressions.
 * Nothing is checked here but the grammar; the type checker gives it
 * meaning. Everything lives in the tree's arena, freed by vcl_ast_free.
 */
#ifndef VGPUCL_AST_H
#define VGPUCL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpucl/pp.h>
#include <vgpucl/token.h>

enum vcl_type_kind {
	VCL_TY_VOID,
	VCL_TY_BOOL,
	VCL_TY_CHAR,
	VCL_TY_UCHAR,
	VCL_TY_SHORT,
	VCL_TY_USHORT,
	VCL_TY_INT,
	VCL_TY_UINT,
	VCL_TY_LONG,
	VCL_TY_ULONG,
	VCL_TY_HALF,
	VCL_TY_FLOAT,
	VCL_TY_DOUBLE,
	VCL_TY_VECTOR, /* elem (a scalar kind) x width */
	VCL_TY_STRUCT, /* name (may be NULL), members if defined */
	VCL_TY_UNION,
	VCL_TY_ENUM,	 /* name, members: VCL_N_ENUMERATOR list */
	VCL_TY_NAMED,	 /* a typedef name: name */
	VCL_TY_POINTER,	 /* to base */
	VCL_TY_ARRAY,	 /* of base, size (NULL: []) */
	VCL_TY_FUNCTION, /* returning base, params: VCL_N_PARAM list */
};

enum vcl_qual {
	VCL_Q_CONST = 1,
	VCL_Q_VOLATILE = 2,
	VCL_Q_RESTRICT = 4,
};

enum vcl_addr_space {
	VCL_AS_NONE, /* not written: private, or generic where allowed */
	VCL_AS_PRIVATE,
	VCL_AS_GLOBAL,
	VCL_AS_LOCAL,
	VCL_AS_CONSTANT,
};

struct vcl_node;
struct vcl_ty;
struct vcl_sym;

struct vcl_type {
	enum vcl_type_kind kind;
	uint32_t quals;		   /* enum vcl_qual bits */
	enum vcl_addr_space space; /* of the object of this type */
	struct vcl_type *base;
	enum vcl_type_kind elem; /* VCL_TY_VECTOR */
	unsigned width;		 /* VCL_TY_VECTOR */
	struct vcl_node *size;	 /* VCL_TY_ARRAY */
	struct vcl_node *params; /* VCL_TY_FUNCTION */
	bool variadic;		 /* VCL_TY_FUNCTION */
	const char *name;	 /* tag or typedef name */
	uint32_t name_len;
	struct vcl_node *members; /* struct/union fields, enumerators */
	struct vcl_node *attrs;	  /* struct/union/enum attributes */
	bool defined;		  /* struct/union/enum with a body */
	struct vcl_loc loc;
};

enum vcl_node_kind {
	/* Expressions. */
	VCL_N_IDENT,	     /* name */
	VCL_N_INT,	     /* lit */
	VCL_N_FLOAT,	     /* lit */
	VCL_N_STRING,	     /* lit */
	VCL_N_UNARY,	     /* op a: + - ~ ! * & ++ -- (prefix) */
	VCL_N_POSTFIX,	     /* a op: ++ -- */
	VCL_N_BINARY,	     /* a op b */
	VCL_N_ASSIGN,	     /* a op b: = += -= ... */
	VCL_N_COND,	     /* a ? b : c */
	VCL_N_COMMA,	     /* a , b */
	VCL_N_CALL,	     /* a ( list ) */
	VCL_N_INDEX,	     /* a [ b ] */
	VCL_N_MEMBER,	     /* a . name (swizzles too) */
	VCL_N_ARROW,	     /* a -> name */
	VCL_N_CAST,	     /* ( type ) a */
	VCL_N_CAST_LIST,     /* ( type )( list ): a vector literal when type is
			      * a vector, else a comma expression */
	VCL_N_SIZEOF_EXPR,   /* sizeof a */
	VCL_N_SIZEOF_TYPE,   /* sizeof ( type ) */
	VCL_N_VEC_STEP_TYPE, /* vec_step ( type ); vec_step(a) is a call */
	VCL_N_INIT_LIST,     /* { list }: elements, maybe VCL_N_DESIGNATED */
	VCL_N_DESIGNATED,    /* .name = a  or  [b] = a */
	/* Statements. */
	VCL_N_BLOCK,	 /* { list } */
	VCL_N_EXPR_STMT, /* a ; (a NULL: the null statement) */
	VCL_N_DECL_STMT, /* list of declarations */
	VCL_N_IF,	 /* if (a) b else c */
	VCL_N_WHILE,	 /* while (a) b */
	VCL_N_DO,	 /* do b while (a) */
	VCL_N_FOR,	 /* for (init; a; c) b; init: list */
	VCL_N_SWITCH,	 /* switch (a) b */
	VCL_N_CASE,	 /* case a: b */
	VCL_N_DEFAULT,	 /* default: b */
	VCL_N_BREAK,
	VCL_N_CONTINUE,
	VCL_N_RETURN, /* return a; */
	/* Declarations. */
	VCL_N_VAR,	  /* type name [= a]; also struct fields */
	VCL_N_TYPEDEF,	  /* type name */
	VCL_N_FUNCTION,	  /* type (a function type) name, b body or NULL */
	VCL_N_PARAM,	  /* type name (may be NULL) */
	VCL_N_ENUMERATOR, /* name [= a] */
	VCL_N_TAG,	  /* a struct/union/enum declared alone: type */
	VCL_N_ATTRIBUTE,  /* __attribute__((name(list))) or name(type) */
	/* Made by the type checker: an implicit conversion of a to ty, how
	 * in info (enum vcl_conv, vgpucl/sema.h). */
	VCL_N_CONVERT,
};

/* Storage and function specifiers of a declaration. */
enum vcl_decl_flags {
	VCL_D_STATIC = 1,
	VCL_D_EXTERN = 2,
	VCL_D_INLINE = 4,
	VCL_D_KERNEL = 8,
};

/* Of an expression: a binary operator or assignment written where
 * `#pragma OPENCL FP_CONTRACT OFF` is in effect (its a * b + c stays two
 * roundings). */
enum vcl_expr_flags {
	VCL_E_NO_CONTRACT = 1,
};

struct vcl_node {
	enum vcl_node_kind kind;
	struct vcl_loc loc;
	enum vcl_tok op;
	uint32_t info; /* the type checker's, see below */
	struct vcl_node *a, *b, *c;
	struct vcl_node *list; /* first of a list linked by next */
	struct vcl_node *next;
	struct vcl_type *type;
	const char *name;
	uint32_t name_len;
	uint32_t flags; /* enum vcl_decl_flags; expressions: vcl_expr_flags */
	struct vcl_token lit;
	/* Declarations: VCL_N_ATTRIBUTEs, the declarator's own first, then
	 * those of the specifiers (a tail its siblings share). */
	struct vcl_node *attrs;
	/* Filled by the type checker (vgpucl/sema.h), empty before: the
	 * canonical type (of the value, or of the object for an lvalue or a
	 * declaration), the symbol a name or declaration denotes, and per
	 * kind: a conversion, a call's kind, a member's index, a constant's
	 * value. A swizzle's count is in info, its components in swizzle. */
	const struct vcl_ty *ty;
	struct vcl_sym *sym;
	int64_t value;	  /* sizeof, vec_step, case: the constant */
	uint64_t swizzle; /* component i in bits 4i..4i+3 */
	bool lvalue;
};

/* Component i of a swizzle (VCL_N_MEMBER on a vector). */
static inline unsigned vcl_swizzle_at(const struct vcl_node *n, unsigned i)
{
	return (unsigned)(n->swizzle >> (4 * i)) & 15;
}

struct vcl_ast {
	struct vcl_node *decls; /* the translation unit, linked by next */
	void *priv;		/* the arena */
};

/* Parses the whole input; syntax errors go to the preprocessor's
 * diagnostics and the parser resumes at the next ';' or '}'. NULL only when
 * out of memory. Names and literals in the tree point into the
 * preprocessor's memory: free the tree before the preprocessor. */
struct vcl_ast *vcl_parse(struct vcl_pp *pp);
void vcl_ast_free(struct vcl_ast *ast);

#endif
