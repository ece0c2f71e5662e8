/*
 * Source buffers and locations. The compiler never opens a file: the main
 * source is given as memory, and #include asks the caller's callback, which
 * may read a file (vgpucc), hand over a buffer or refuse (the daemon).
 */
#ifndef VGPUCL_SOURCE_H
#define VGPUCL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcl_source {
	const char *name; /* as shown in diagnostics and __FILE__ */
	const char *data; /* need not be NUL-terminated */
	size_t len;
};

/* A place in a source: an index into the run's file table (see
 * vcl_pp_file_name), 1-based line and column (in bytes). */
struct vcl_loc {
	uint32_t file;
	uint32_t line, col;
};

/*
 * Resolves `#include "name"` (angled false) or `#include <name>` (angled
 * true) seen in the file named `includer`. Returns 0 and fills *out, or a
 * negative errno (-ENOENT: not found, -EACCES/-EPERM: refused). The
 * compiler copies out->data before the next call, so the callback may free
 * it afterwards (or reuse one buffer). out->name defaults to `name`.
 */
typedef int (*vcl_include_fn)(void *user, const char *name, bool angled,
			      const char *includer, struct vcl_source *out);

#endif
