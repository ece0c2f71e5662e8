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

/* Makes sure every page of the file is allocated (no holes): -ENOSPC. */
int ram_tier_populate(int fd, uint64_t size, uint64_t blocks);

struct node;
struct stat;
/* ram_tier_populate for a buffer node, given its fstat. */
int ram_tier_populate_node(struct node *n, const struct stat *st);

uint64_t ram_tier_capacity(const struct ram_tier *t);
/*
 * Changes the tmpfs limit to SIZE bytes (the capacity reported stays):
 * -EINVAL when more than SIZE is in use.
 */
int ram_tier_set_size(struct ram_tier *t, uint64_t size);
uint64_t ram_tier_used(const struct ram_tier *t);

#endif
