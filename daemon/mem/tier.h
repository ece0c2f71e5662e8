/*
 * Memory tiers: where a buffer's backing file lives. The RAM tier is a
 * private tmpfs (ram_tier.c); the disk tier a directory of files
 * (disk_tier.c). Each buffer node points at its tier, and every change of
 * a buffer's memory goes through these operations, under tree_lock. The
 * data path itself (passthrough, the daemon's mappings) never calls a
 * tier: a buffer is a file either way.
 */
#ifndef VGPUFSD_TIER_H
#define VGPUFSD_TIER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum tier_id { TIER_RAM, TIER_DISK, TIER_COUNT };

struct node;
struct tier;

struct tier_ops {
	/*
	 * A new backing file for buffer N, owned by N->uid: the fd, or
	 * -errno. The tier may note in N where the file is (the RAM tier:
	 * N->quota, the owner's part under --user-quota); release gives it
	 * back, also when the fd was never attached.
	 */
	int (*create)(struct tier *t, struct node *n);
	/*
	 * Sets the size of N's backing file from OLD_SIZE to NEW_SIZE.
	 * Growth reserves the space at once (-ENOSPC, the file as it was;
	 * -EDQUOT when the owner's part of the RAM tier is full).
	 */
	int (*resize)(struct tier *t, struct node *n, uint64_t old_size,
		      uint64_t new_size);
	/*
	 * Makes sure every page of N in [OFFSET, OFFSET+LEN) is allocated:
	 * -ENOSPC, or -EDQUOT when its owner's quota is full. Without
	 * tree_lock (it may clear many pages): a command holds N busy, which
	 * keeps its file and tier.
	 */
	int (*populate)(struct tier *t, struct node *n, uint64_t offset,
			uint64_t len);
	/*
	 * Counts what writes that never reached the daemon added to N, at
	 * its last close and before a command uses it (tree_lock held).
	 */
	void (*count_writes)(struct tier *t, struct node *n);
	/* N is being freed (its fd is still open): release its space. */
	void (*release)(struct tier *t, struct node *n);
	uint64_t (*capacity)(const struct tier *t);
	uint64_t (*used)(const struct tier *t);
	void (*close)(struct tier *t);
};

struct tier {
	const struct tier_ops *ops;
	enum tier_id id;
	uint64_t buffers; /* how many live in it, under tree_lock */
};

/* N's memory is now FD in T (a new buffer, or one restored). */
void tier_attach(struct node *n, struct tier *t, int fd);
/* N's memory leaves its tier: space released, fd closed. */
void tier_detach(struct node *n);
/*
 * Moves buffer N, which nobody may be using (-EBUSY: open, mapped, used
 * by a command), to tier TO: data, size and identity kept. 0 or -errno
 * (N unchanged). tree_lock held, but released while the data is copied.
 */
int tier_move(struct node *n, struct tier *to);

/*
 * The RAM tier of CAPACITY bytes, with USER_QUOTA bytes of it for each
 * user but root (0: no quotas, see quota.h); NULL with errno set.
 */
struct tier *tier_ram_open(uint64_t capacity, uint64_t user_quota);

const char *tier_name(enum tier_id id);
/* "ram" or "disk" (LEN bytes) to its id; -1 if neither. */
int tier_parse(const char *s, size_t len);

static inline uint64_t tier_capacity(const struct tier *t)
{
	return t->ops->capacity(t);
}
static inline uint64_t tier_used(const struct tier *t)
{
	return t->ops->used(t);
}
static inline void tier_close(struct tier *t)
{
	if (t)
		t->ops->close(t);
}

#endif
