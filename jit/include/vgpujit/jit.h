/*
 * The code generator: verified IR (compiler/, vgpucl/ir.h) to native code
 * through LLVM, and the launch of a kernel's work-groups. Only the daemon
 * links it (daemon -> jit -> compiler). Knows nothing of FUSE, buffers'
 * owners or the scheduler: it runs groups over memory it is given.
 *
 * Thread safety: a compiled program is immutable; any number of threads
 * may run groups of it (of one launch or of several) at once.
 */
#ifndef VGPUJIT_JIT_H
#define VGPUJIT_JIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpucl/ir.h>

/* OpenCL device limits this device reports and enforces. */
#define VJIT_MAX_WORK_GROUP_SIZE 1024	     /* work-items in a group */
#define VJIT_MAX_LOCAL_MEM	 (64u << 10) /* __local bytes in a group */
#define VJIT_MSG_MAX		 200

struct vjit_program; /* compiled code of one module; immutable */

/*
 * Compiles the verified module M (the caller verified it: vcl_ir_verify or
 * vcl_ir_read) to native code, first inlining the calls of functions that
 * have a barrier (vcl_ir_inline_barriers: into a module the program owns,
 * verified again). M must outlive the program (the program keeps pointers
 * into it for names and signatures). 0, or a negative errno with a
 * message in MSG (-EINVAL: something the code generator refuses, a
 * barrier that diverges once inlined, -ENOMEM).
 */
int vjit_compile(const struct vcl_ir_module *m, struct vjit_program **out,
		 char msg[static VJIT_MSG_MAX]);
void vjit_program_free(struct vjit_program *p);

/*
 * Stack a kernel's groups may take at most (its private variables and call
 * frames, a conservative bound), at most VJIT_MAX_STACK: vjit_compile
 * refuses a kernel above it (-EINVAL). Run groups on a thread with this
 * much stack to spare.
 */
#define VJIT_MAX_STACK (512u << 10)
uint64_t vjit_kernel_stack(const struct vjit_program *p, int kernel);

/* The index of kernel NAME in the program, or -ENOENT. */
int vjit_kernel_index(const struct vjit_program *p, const char *name);
/* The kernel's IR function: its parameters (names, types, may_store),
 * its reqd_work_group_size and its __local allocations. */
const struct vcl_ir_function *vjit_kernel_ir(const struct vjit_program *p,
					     int kernel);

/*
 * One argument per kernel parameter, in order:
 *  - __global / __constant pointer: base and size, the bytes the kernel
 *    may reach (a buffer from its +offset to its end); base may be NULL
 *    when size is 0;
 *  - __local pointer: size, the bytes to give each group (base unused);
 *  - scalar or vector: base points to its value's bytes
 *    (vcl_ir_type_size of the parameter's type), size unused.
 */
struct vjit_arg {
	void *base;
	uint64_t size;
};

struct vjit_ndrange {
	uint32_t dims;		      /* 1 to 3 */
	uint64_t global[3], local[3]; /* local divides global, dims past
				       * `dims` are 1 */
	uint64_t offset[3];
};

/* Why a run stopped: err (EFAULT, ETIMEDOUT, ...) and a message naming
 * the kernel, the parameter and the byte offset for EFAULT. */
struct vjit_fault {
	int err;
	char msg[VJIT_MSG_MAX];
};

/*
 * Checks ARGS and ND against kernel K before anything runs (group size
 * against the limits and reqd_work_group_size, __local bytes in all,
 * global sizes multiples of local ones, index arithmetic that cannot
 * overflow): 0 or -EINVAL with a message in FAULT.
 */
int vjit_check_launch(const struct vjit_program *p, int kernel,
		      const struct vjit_arg *args, uint32_t nargs,
		      const struct vjit_ndrange *nd, struct vjit_fault *fault);

/*
 * The group size the device picks when a launch gives none: divides each
 * global size, fits the limits and suits the code (vectorization). Fills
 * nd->local.
 */
void vjit_choose_local(const struct vjit_program *p, int kernel,
		       struct vjit_ndrange *nd);

/*
 * Runs the groups FIRST .. FIRST+COUNT-1 of a checked launch (groups
 * numbered with dimension 0 fastest; a kernel whose groups never run
 * fused, in panels of 8 rows of each plane, a panel column by column)
 * on the calling thread. Returns 0, or
 * a negative errno with FAULT filled: -EFAULT for an access out of an
 * argument's bounds (the access did nothing; the rest of the group may
 * have run), -ETIMEDOUT when *STOP became non-zero (polled at loop
 * back-edges and between groups), -EINVAL for a group size other than
 * the kernel's reqd_work_group_size (its code has that size as
 * constants). Never raises a signal for any IR the verifier accepted.
 */
int vjit_run_groups(const struct vjit_program *p, int kernel,
		    const struct vjit_arg *args, const struct vjit_ndrange *nd,
		    uint64_t first, uint64_t count, const _Atomic int *stop,
		    struct vjit_fault *fault);

#endif
