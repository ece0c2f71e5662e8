/*
 * build and launch: a user's program (OpenCL C source or the device's IR,
 * a buffer under mem/) compiled by the daemon, and one of its kernels run
 * over an NDRange. The kernel's own parameters are free-form name=value
 * pairs (vgpufs/launch_params.h), bound by the daemon against the kernel's
 * signature; so the catalogue knows only launch's own arguments.
 */
#include "catalog_family.h"

/* Work-items in one dimension; offsets likewise. */
#define ND_MAX (1ll << 40)

static int program_extents(const struct vgpu_cmd *c, struct vgpu_extent e[],
			   char *msg, size_t len)
{
	(void)msg, (void)len;
	/* The program is read whole by the daemon, never through an extent:
	 * any offset. */
	e[0] = (struct vgpu_extent){.bytes = 0, .elem = VGPU_U8};
	(void)c;
	return 0;
}

#define PROG_ARG                                                               \
	BUF("prog", VGPU_ACC_R,                                                \
	    "the program: OpenCL C source or IR (vgpucc -o) under mem/")

static const struct vgpu_arg_spec build_args[BUILD_NARGS] = {
    [BUILD_PROG] = PROG_ARG,
};

const struct vgpu_kernel_spec vgpu_spec_build = {
    .name = "build",
    .id = VGPU_K_BUILD,
    .nargs = BUILD_NARGS,
    .args = build_args,
    .extents = program_extents,
    .program = true,
    .offsets = "any (the program is read whole from its offset)",
    .summary = "compiles a program (OpenCL C or IR) and reports its errors, "
	       "without running it",
    .semantics =
	"Reads the buffer PROG (OpenCL C source, or the IR vgpucc -o writes, "
	"told by its first bytes), compiles and verifies it, and keeps the "
	"result for launches of the same bytes. Completes ok, or EINVAL with "
	"the compiler's first diagnostics (FILE:LINE:COL: error: ...). "
	"Needs read permission on PROG (docs/kernels-opencl.md).",
    .example = "build prog=saxpy.cl",
};

#define DIMS(n, req, lo, slot, h)                                              \
	{                                                                      \
		.name = n, .type = VGPU_ARG_DIMS, .required = req, .imin = lo, \
		.imax = ND_MAX, .idef = slot, .help = h                        \
	}

static const struct vgpu_arg_spec launch_args[LAUNCH_NARGS] = {
    [LAUNCH_PROG] = PROG_ARG,
    [LAUNCH_KERNEL] = {.name = "kernel",
		       .type = VGPU_ARG_NAME,
		       .required = true,
		       .help = "the __kernel function to run"},
    [LAUNCH_GLOBAL] =
	DIMS("global", true, 0, LAUNCH_DIMS_GLOBAL, "work-items: X[,Y[,Z]]"),
    [LAUNCH_LOCAL] = DIMS("local", false, 1, LAUNCH_DIMS_LOCAL,
			  "work-group size X[,Y[,Z]]; default: the device's"),
    [LAUNCH_OFFSET] = DIMS("offset", false, 0, LAUNCH_DIMS_OFFSET,
			   "global offset X[,Y[,Z]]; default 0"),
};

const struct vgpu_kernel_spec vgpu_spec_launch = {
    .name = "launch",
    .id = VGPU_K_LAUNCH,
    .nargs = LAUNCH_NARGS,
    .args = launch_args,
    .extents = program_extents,
    .program = true,
    .params = true,
    .offsets = "any (the program is read whole from its offset)",
    .summary = "runs a kernel of a program (OpenCL C or IR) over an NDRange",
    .semantics =
	"Compiles PROG as build does (once for the same bytes), then runs "
	"KERNEL over GLOBAL work-items in groups of LOCAL. Every other "
	"NAME=VALUE is the kernel's parameter NAME (arg.NAME=VALUE always is, "
	"for a parameter named prog, kernel, global, local or offset): a "
	"buffer (path[+BYTEOFFSET]) for a __global or __constant pointer, a "
	"number or (1,2,3,4) for a scalar or vector, a byte count for a "
	"__local pointer. Buffers need r, and w when the kernel may store "
	"through them (docs/kernels-opencl.md).",
    .example = "launch prog=saxpy.cl kernel=saxpy global=1M a=2.0 x=x y=y",
};
