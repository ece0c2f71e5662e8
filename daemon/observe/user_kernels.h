/*
 * Users' kernels (launch prog=... kernel=...) counted by user, program and
 * kernel, like the built-in kernels are by name: a bounded table behind
 * the stats and metrics files.
 */
#ifndef VGPUFSD_USER_KERNELS_H
#define VGPUFSD_USER_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Rows in all; launches of kernels past them count in an "other" row. */
#define USER_KERNELS_MAX 256
/* "PROGRAM:KERNEL" kept up to this many bytes */
#define USER_KERNEL_NAME_MAX 160
/* The row the kernels past USER_KERNELS_MAX count in (uid 0: root's). */
#define USER_KERNELS_OTHER "(other):(other)"

struct user_kernel {
	uid_t uid;
	char name[USER_KERNEL_NAME_MAX];   /* "PROGRAM:KERNEL", NUL-ended */
	uint64_t count, failed, ns, bytes; /* ns, bytes: successful ones */
};

/* A launch of NAME ("PROGRAM:KERNEL") by UID completed with ERR. */
void user_kernel_done(uid_t uid, const char *name, int err, uint64_t ns,
		      uint64_t bytes);
/* The rows VIEWER may see (its own; all for root), malloc'ed in *OUT
 * (NULL when none); how many, or -ENOMEM. */
long user_kernels_list(uid_t viewer, struct user_kernel **out);

#endif
