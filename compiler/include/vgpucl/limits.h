/*
 * The compiler's bounds on hostile input: every stage stops with a clear
 * error when one is reached, so a source costs bounded time and memory
 * whatever it holds (docs/compiler.md, "Bounds").
 */
#ifndef VGPUCL_LIMITS_H
#define VGPUCL_LIMITS_H

/* One source buffer (the main file or one include). */
#define VCL_MAX_SOURCE_BYTES (16u << 20)
/* All buffers read by one run: the main file and every include. */
#define VCL_MAX_TOTAL_INPUT_BYTES (64u << 20)
/* Nested #include, and #include directives run in all. */
#define VCL_MAX_INCLUDE_DEPTH 64
#define VCL_MAX_INCLUDES      4096
/* Nested #if groups, active or skipped. */
#define VCL_MAX_IF_DEPTH 256
/* Nested macro expansions (a macro's argument expanded while expanding). */
#define VCL_MAX_EXPAND_DEPTH 256
/* Tokens produced by macro expansion in one run (bounds time). */
#define VCL_MAX_EXPANSION_TOKENS (16u << 20)
/* Tokens held at once by expansions in progress (bounds memory). */
#define VCL_MAX_LIVE_EXPANSION_TOKENS (1u << 20)
/* Parameters of one function-like macro. */
#define VCL_MAX_MACRO_PARAMS 256
/* Nesting of a #if expression (parentheses, unary operators). */
#define VCL_MAX_EXPR_DEPTH 256
/* Nesting of the parser's grammar: parentheses, blocks, declarators. */
#define VCL_MAX_PARSE_DEPTH 256
/* Typedef names in scope at once. */
#define VCL_MAX_TYPEDEFS 4096
/* Nesting the type checker follows: an expression's operands (a chain
 * of binary operators is a deep tree), a type's parts. */
#define VCL_MAX_SEMA_DEPTH 1024
/* Members of one struct or union. */
#define VCL_MAX_MEMBERS 1024
/* Any one type (an array's elements in all). */
#define VCL_MAX_TYPE_BYTES (1ull << 32)
/* A function's private variables, and a kernel's __local ones, in all:
 * the memory one work-item or one work-group may take. */
#define VCL_MAX_PRIVATE_BYTES (64u << 10)
#define VCL_MAX_LOCAL_BYTES   (64u << 10)
/* Memory for spellings, macro definitions and file names of one run. */
#define VCL_MAX_ARENA_BYTES (256u << 20)
/* Diagnostics kept by default; one more says the rest were dropped. */
#define VCL_DEFAULT_MAX_DIAGS 50

#endif
