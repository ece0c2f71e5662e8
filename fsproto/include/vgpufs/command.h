/*
 * The internal command: what a text line or a binary packet becomes after
 * parsing, and the kernel signatures (argument specs) that both parsers and
 * the validator work from.
 */
#ifndef VGPUFS_COMMAND_H
#define VGPUFS_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#define VGPU_LINE_MAX 4096 /* longest text command line, newline excluded */
#define VGPU_MAX_ARGS 24   /* arguments of one kernel (given is 32 bits) */
#define VGPU_MSG_MAX  256  /* longest error message in a completion */
#define VGPU_NAME_MAX 63   /* longest event name */
/* Completions a context holds unread before it takes no more commands. */
#define VGPU_UNREAD_MAX 1024

enum vgpu_arg_type {
	VGPU_ARG_BUF,	/* buffer reference: name or handle, plus byte offset */
	VGPU_ARG_INT,	/* signed 64-bit, K/M/G/T suffixes in text */
	VGPU_ARG_FLOAT, /* double, C syntax */
	VGPU_ARG_DTYPE, /* element type name */
	VGPU_ARG_BOOL,	/* 0 or 1 */
	/*
	 * A name of 1 to VGPU_NAME_MAX letters, digits and "_.-" (an event's);
	 * at most one such argument a kernel, kept in vgpu_cmd.name.
	 */
	VGPU_ARG_NAME,
	/* One of the words of its spec's list, kept as the word's index. */
	VGPU_ARG_KEYWORD,
	/*
	 * An NDRange size: X[,Y[,Z]], each imin..imax, kept in
	 * vgpu_cmd.dims[idef] (launch's global, local and offset).
	 */
	VGPU_ARG_DIMS,
};

/* How a kernel uses a buffer argument: decides which permission it needs. */
enum vgpu_access {
	VGPU_ACC_NONE = 0,
	VGPU_ACC_R = 1,
	VGPU_ACC_W = 2,
	VGPU_ACC_RW = 3,
};

struct vgpu_arg_spec {
	const char *name;
	enum vgpu_arg_type type;
	enum vgpu_access access; /* buffers only */
	bool required;
	int64_t imin, imax; /* inclusive range for INT and BOOL */
	int64_t idef;	    /* default for INT, BOOL, DTYPE */
	double fdef;	    /* default for FLOAT */
	const char *help;
	/*
	 * Optional buffers only: when not given, the argument is bound to
	 * the buffer (and offset) of argument SAME_AS - 1, a required one,
	 * so that every buffer argument of a command names a buffer; the
	 * kernel then gives it an extent of 0 and does not use it. 0: none.
	 */
	uint8_t same_as;
	/* KEYWORD only: the words it accepts, NULL-terminated; idef indexes. */
	const char *const *words;
};

struct vgpu_cmd;

/*
 * Bytes a buffer argument must hold from its offset on, and how that was
 * computed ("k*n*4"), for the error message; and the type of the elements
 * it holds, whose size its offset must be a multiple of (kernels load and
 * store whole elements: a misaligned one faults in SIMD code). Bytes
 * (copy) are VGPU_U8: any offset.
 */
struct vgpu_extent {
	uint64_t bytes;
	enum vgpu_dtype elem;
	char formula[64];
};

/* Which overlaps between buffer arguments a kernel tolerates. */
enum vgpu_alias_rule {
	VGPU_ALIAS_ANY, /* any overlap is fine (e.g. memmove-like) */
	/*
	 * Outputs are the very same range as an input (same offset, same
	 * extent) or miss it.
	 */
	VGPU_ALIAS_SAME_OR_DISJOINT,
	VGPU_ALIAS_DISJOINT, /* outputs overlap no other argument */
};

struct vgpu_kernel_spec {
	const char *name;
	uint16_t id; /* stable: the binary protocol's kernel id */
	uint8_t nargs;
	const struct vgpu_arg_spec *args;
	/*
	 * Checks relations between arguments and fills EXT[i] for every
	 * buffer argument i. Returns 0, or -errno with a message in MSG.
	 */
	int (*extents)(const struct vgpu_cmd *cmd, struct vgpu_extent ext[],
		       char *msg, size_t msglen);
	enum vgpu_alias_rule alias;
	/*
	 * Floating-point operations of a valid command, for statistics
	 * (e.g. 2*m*n*k for gemm); NULL when it does none worth counting.
	 */
	uint64_t (*flops)(const struct vgpu_cmd *cmd);
	/*
	 * Element types its dtype arguments accept: bit per enum vgpu_dtype
	 * (VGPU_DT()); 0 when it has no dtype argument. The validator
	 * refuses any other.
	 */
	uint32_t dtypes;
	const char *summary;   /* one line */
	const char *semantics; /* what it computes, a few lines */
	const char *example;   /* a text command line */
	/*
	 * The rule for its buffers' offsets as kernels/NAME states it; NULL:
	 * multiples of the element size (the validator checks the extents'
	 * elem either way).
	 */
	const char *offsets;
	/*
	 * Run by the scheduler itself (signal, wait): no kernel
	 * implementation, no tiles.
	 */
	bool control;
	/*
	 * A command on a user's program (build, launch): run by the
	 * daemon's program room, not by kernels/; with PARAMS, keys it does
	 * not know are the kernel's parameters (vgpu_cmd.params).
	 */
	bool program, params;
};

struct vgpu_bufref {
	const char *name; /* text form: points into the caller's line */
	uint16_t name_len;
	uint64_t handle; /* binary form: inode number; 0 in text form */
	uint64_t offset; /* bytes */
};

/* Most dimensions of an NDRange, and most values a DIMS argument holds. */
#define VGPU_DIMS_MAX 3

struct vgpu_dims {
	uint8_t n; /* 0: not given */
	uint64_t v[VGPU_DIMS_MAX];
};

union vgpu_value {
	int64_t i;
	double f;
};

struct vgpu_cmd {
	const struct vgpu_kernel_spec *spec;
	uint32_t given; /* bit i: argument i was given explicitly */
	union vgpu_value val[VGPU_MAX_ARGS];
	struct vgpu_bufref buf[VGPU_MAX_ARGS];
	char name[VGPU_NAME_MAX + 1];	      /* the NAME argument, if any */
	struct vgpu_dims dims[VGPU_DIMS_MAX]; /* DIMS arguments */
	/*
	 * A spec with PARAMS: the text of its kernel parameters, "NAME=VALUE"
	 * separated by blanks (vgpufs/launch_params.h reads it), pointing
	 * into the caller's line like buffer names; NPARAMS of them.
	 */
	const char *params;
	uint16_t params_len;
	uint8_t nparams;
};
_Static_assert(VGPU_MAX_ARGS <= 32, "vgpu_cmd.given has a bit an argument");

static inline int64_t vgpu_cmd_i(const struct vgpu_cmd *c, unsigned idx)
{
	return c->val[idx].i;
}

static inline double vgpu_cmd_f(const struct vgpu_cmd *c, unsigned idx)
{
	return c->val[idx].f;
}

static inline bool vgpu_cmd_given(const struct vgpu_cmd *c, unsigned idx)
{
	return (c->given >> idx) & 1u;
}

/* Sets every argument that was not given to its default. */
void vgpu_cmd_apply_defaults(struct vgpu_cmd *cmd);
/* -EINVAL with a message naming the first required argument not given. */
int vgpu_cmd_check_required(const struct vgpu_cmd *cmd, char *msg,
			    size_t msglen);
/* Whether S (LEN bytes) is a NAME value: 1 to VGPU_NAME_MAX of [A-Za-z0-9_.-].
 */
bool vgpu_name_valid(const char *s, size_t len);

#endif
