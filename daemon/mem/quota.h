/*
 * Per-user quotas of the RAM tier (--user-quota). FUSE passthrough writes
 * and page faults go to a buffer's tmpfs file without asking the daemon,
 * so only the kernel can bound them, and only per file system: under a
 * quota each user (but root) gets a private tmpfs instance of exactly the
 * quota for their buffers, set aside from --vram when their first buffer
 * is made and given back when their last one is freed. The kernel then
 * enforces both limits on every path: the main tier (root's buffers)
 * shrinks by what is set aside, so the instances and it never hold more
 * than --vram together. Functions here may be called with tree_lock held.
 */
#ifndef VGPUFSD_QUOTA_H
#define VGPUFSD_QUOTA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ram_tier;
struct user_tier;

/* QUOTA bytes a user (0: no quotas) out of MAIN's VRAM: 0 or -errno. */
int quota_init(struct ram_tier *main, uint64_t vram, uint64_t quota);
void quota_cleanup(void);

/*
 * A new backing file for a buffer UID creates, in UID's instance (made
 * now if needed: -ENOSPC when the main tier cannot set the quota aside);
 * *UT is that instance with a reference for the buffer, or NULL when the
 * file is in the main tier (root, or no quotas). The fd, or -errno.
 */
int quota_create(uid_t uid, struct user_tier **ut);
/* The buffer of instance UT (NULL is fine) is freed. */
void quota_put(struct user_tier *ut);

/* ERR (-errno) of growing a buffer in UT, with ENOSPC meaning EDQUOT. */
int quota_error(const struct user_tier *ut, int err);

/* Bytes used on the device: the main tier and every instance. */
uint64_t quota_tier_used(const struct ram_tier *main);

/*
 * Bytes UID may still allocate (statfs's f_bavail): in their part, or
 * their quota if it can be set aside now; root: the main tier's room.
 * FREE is the device's free memory, returned when there are no quotas.
 */
uint64_t quota_avail(uid_t uid, uint64_t free);

struct quota_use {
	uid_t uid;
	uint64_t used, limit;
};
/* Up to MAX instances' use (all of them for root, else VIEWER's). */
size_t quota_list(uid_t viewer, struct quota_use *out, size_t max);
/* The quota per user, 0 when there is none. */
uint64_t quota_limit(void);

#endif
