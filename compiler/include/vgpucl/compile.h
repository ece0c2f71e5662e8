/*
 * A program's bytes to a verified module in one call: OpenCL C source
 * (preprocessed with no include path: a program is one buffer), or the
 * IR's binary form, told by its magic (VCL_IR_MAGIC). What the daemon
 * loads and what libvgpu reads kernels' signatures from.
 */
#ifndef VGPUCL_COMPILE_H
#define VGPUCL_COMPILE_H

#include <stddef.h>

#include <vgpucl/diag.h>
#include <vgpucl/ir.h>

/*
 * The module of LEN bytes at BYTES (NAME in diagnostics), verified: source
 * is lowered, written in the binary form and read back, so it is exactly
 * what `vgpucc -o` would give. NULL with errors in D (none: out of
 * memory).
 */
struct vcl_ir_module *vcl_compile(const void *bytes, size_t len,
				  const char *name, struct vcl_diags *d);

#endif
