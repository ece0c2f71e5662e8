/*
 * The RAM tier: buffer memory on a private tmpfs instance that is never
 * attached to the file tree (so a crash leaves no mount behind). Its size
 * limit is the --vram capacity, which the kernel then enforces for every
 * path, including passthrough writes that never reach the daemon.
 */
#ifndef VGPUFSD_RAM_TIER_H
#define VGPUFSD_RAM_TIER_H

#include <stdint.h>

struct ram_tier;

/* Returns NULL and sets errno on failure. */
struct ram_tier *ram_tier_open(uint64_t capacity);
void ram_tier_close(struct ram_tier *t);

/* A new anonymous backing file (O_TMPFILE), read-write; -errno on error. */
int ram_tier_create(struct ram_tier *t);

/*
 * Sets the size of backing file FD to SIZE. Growth reserves the memory at
 * once, so that it fails here with -ENOSPC (leaving the file as it was)
 * rather than later in a kernel or a mapping.
 */
int ram_tier_resize(struct ram_tier *t, int fd, uint64_t old_size,
		    uint64_t new_size);

/*
 * Makes sure every page of FD in [OFFSET, OFFSET+LEN) is allocated, so that
 * touching it through a mapping cannot fault when the tier is full:
 * -ENOSPC. With room for the whole range free in FD's file system,
 * nothing is asked: no page of it can fail to appear when touched (but
 * by a race with another writer filling it meanwhile, which the fault
 * guard catches), and fallocate walks every page of the range even when
 * all exist, 18 us over 64 MiB, 2% of a memory-bound launch
 * (docs/benchmarks.md). Which pages exist cannot be told cheaper: the
 * block count cannot (memory kept past the end with KEEP_SIZE counts
 * too), SEEK_HOLE costs more than fallocate and reports reserved pages
 * never written as holes.
 */
int ram_tier_populate(int fd, uint64_t offset, uint64_t len);

uint64_t ram_tier_capacity(const struct ram_tier *t);
/*
 * Changes the tmpfs limit to SIZE bytes (the capacity reported stays):
 * -EINVAL when more than SIZE is in use.
 */
int ram_tier_set_size(struct ram_tier *t, uint64_t size);
uint64_t ram_tier_used(const struct ram_tier *t);

#endif
