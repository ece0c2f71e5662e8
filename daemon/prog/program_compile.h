/*
 * One program's bytes to verified IR, through the compiler (compiler/):
 * source is preprocessed, parsed, type checked and lowered, the IR read
 * back from its binary form (so the module owns all it points to) and
 * verified; IR from a user is read and verified the same way. The
 * compiler's bounds (vgpucl/limits.h) cap its time and memory.
 */
#ifndef VGPUFSD_PROGRAM_COMPILE_H
#define VGPUFSD_PROGRAM_COMPILE_H

#include <stddef.h>

#include <vgpucl/ir.h>

/* The verified module, or NULL with -EINVAL/-ENOMEM in *ERR and the
 * first diagnostics ("NAME:LINE:COL: error: ...; ...") in MSG. */
struct vcl_ir_module *program_compile(const void *bytes, size_t len,
				      const char *name, int *err, char *msg,
				      size_t msglen);

#endif
