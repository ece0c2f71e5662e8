/*
 * A program's kernel signatures as the daemon publishes them (the
 * user.vgpu.kernels attribute of the program's buffer; the format is
 * vgpufs/kernel_sig.h's): from the verified IR, vector parameters
 * regrouped from the lanes the compiler splits them into.
 */
#ifndef VGPUFSD_PROGRAM_SIG_H
#define VGPUFSD_PROGRAM_SIG_H

#include <stddef.h>

#include <vgpucl/ir.h>

/*
 * How many IR parameters, from I on, make one parameter of FN as a launch
 * names it, and that name's length in *LEN: the compiler lowers a vector v
 * to scalar parameters v.s0, v.s1, ... of one type, which a launch gives as
 * one v. 0: a parameter of its own (*LEN its whole name).
 */
unsigned program_param_lanes(const struct vcl_ir_function *fn, uint32_t i,
			     size_t *len);

/*
 * The signatures of M's kernels, one line each, NUL-terminated, in *TEXT
 * (free) and its length in *LEN: 0 or -ENOMEM. A kernel a launch could not
 * name (a name or parameter name that is no C identifier of up to 63
 * characters) is left out.
 */
int program_signatures(const struct vcl_ir_module *m, char **text, size_t *len);

#endif
