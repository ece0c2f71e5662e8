/* The state of one mounted device, shared by the FUSE handlers. */
#ifndef VGPUFSD_DEVICE_H
#define VGPUFSD_DEVICE_H

#include <fuse_lowlevel.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "options.h"

#include "mem/tier.h"

struct device {
	const struct options *opts;
	struct tier *tiers[TIER_COUNT]; /* NULL: no such tier */
	struct fuse_session *se;
	/*
	 * Each buffer holds a file descriptor: at most this many buffers and
	 * directories together (statfs's inodes).
	 */
	uint64_t max_buffers;
	bool passthrough;	/* the kernel agreed to FUSE passthrough */
	bool no_passthrough;	/* ...or refused it: the daemon must stop */
	bool uring;		/* FUSE over io_uring requested */
	atomic_bool uring_seen; /* ...and a request has arrived through it */
};

/* The FUSE low-level operations of the file tree. */
extern const struct fuse_lowlevel_ops device_ops;

/* Generated files: info, stats, kernels/NAME (malloc'ed text). */
char *info_render(const struct device *dev, size_t *len);

#endif
