/*
 * Users' programs: the bytes of a buffer (OpenCL C source, or the IR that
 * vgpucc -o writes, told by its "VCLIR" magic) compiled to verified IR,
 * and kept by content, so that a program built or launched again unchanged
 * compiles nothing. The cache finds a program by a hash of its bytes and
 * takes it only when all of them compare equal: no collision can hand one
 * program another's code.
 */
#ifndef VGPUFSD_PROGRAM_H
#define VGPUFSD_PROGRAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpucl/ir.h>
#include <vgpujit/jit.h>

/* Programs the cache keeps, and the bytes of them in all. */
#define PROGRAM_CACHE_MAX   32
#define PROGRAM_CACHE_BYTES (64u << 20)

struct program {
	struct program *next; /* the cache's list, most recently used first */
	_Atomic unsigned refs;
	uint64_t hash;
	size_t len;
	uint8_t *bytes;		     /* the program as it was read */
	struct vcl_ir_module *ir;    /* verified */
	struct vjit_program *native; /* its code (vjit_compile) */
	char *sigs; /* its kernels' signatures (program_signatures) */
	size_t sigs_len;
};

/* What one program_get did: found the program cached, or compiled it (or
 * failed to), its front end (to verified IR) and code generation taking so
 * long; for stats and the trace. */
struct program_compile_time {
	bool compiled;
	uint64_t front_ns, codegen_ns;
};

/*
 * The program for BYTES (LEN of them, from the buffer NAME, which
 * diagnostics name): from the cache, or compiled (source) or read (IR),
 * verified, compiled to native code and cached. 0 with a reference in *OUT
 * (program_put), or -EINVAL with the compiler's first diagnostics in MSG,
 * -EFBIG, -ENOMEM; *TIME says whether it compiled, and how long that took,
 * either way. Compiles on the calling thread, outside the cache's lock.
 */
int program_get(const void *bytes, size_t len, const char *name,
		struct program **out, struct program_compile_time *time,
		char *msg, size_t msglen);
void program_put(struct program *p);

/* Kernel NAME of P's IR, or NULL. */
const struct vcl_ir_function *program_kernel(const struct program *p,
					     const char *name);

/* Programs compiled and builds or launches served from the cache; the
 * time spent compiling (failed compiles included), and the last compile's. */
struct program_counts {
	uint64_t compiled, cache_hits;
	uint64_t compile_ns, last_compile_ns;
};
struct program_counts program_counts(void);

/* Drops every cached program (at exit, once nothing runs). */
void program_cache_clear(void);

#endif
