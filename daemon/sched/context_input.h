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

#endif
