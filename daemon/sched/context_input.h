/* A context's writes into commands: text lines or binary packets. */
#ifndef VGPUFSD_CONTEXT_INPUT_H
#define VGPUFSD_CONTEXT_INPUT_H

#include <sys/types.h>

#include "fs/cred.h"

struct context;

/*
 * Takes what it can of DATA while the context has room (submit_lock held):
 * returns the bytes taken (short when room ran out), or -EINVAL when a
 * binary packet's size is impossible and nothing was taken before it.
 */
ssize_t context_take_input(struct context *ctx, struct cred *cred,
			   const char *data, size_t size);

/*
 * Takes the N bare nops (ring/ring_take.h: 24-byte packets) at P while
 * the context has room (submit_lock held): commands that do no work,
 * submitted and completed as one run (one sequence range, one stats
 * update, their completions posted together). Returns how many: N, or 0
 * when the context has no room.
 */
unsigned context_take_nops(struct context *ctx, const unsigned char *p,
			   unsigned n);

#endif
