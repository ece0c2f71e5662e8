/*
 * The disk tier: each buffer is a file in a directory (--disk DIR) of a
 * local file system, served by passthrough like a RAM-tier buffer. The
 * tree under mem/ is kept there too, so that disk-tier buffers survive a
 * restart: every directory under mem/ and every disk-tier buffer is one
 * file named by its inode number ("d<hex>", "b<hex>"), carrying a record
 * of its name, parent, owner, mode and tier settings in one extended
 * attribute. docs/internals.md argues the format.
 */
#ifndef VGPUFSD_DISK_TIER_H
#define VGPUFSD_DISK_TIER_H

#include <stdbool.h>
#include <stdint.h>

struct node;
struct tier;

/*
 * Opens DIR (created 0700 if missing) as a tier of CAPACITY bytes (0: the
 * free space of its file system now); SYNC_COMMANDS: disk_sync syncs.
 * NULL after logging why.
 */
struct tier *disk_tier_open(const char *dir, uint64_t capacity,
			    bool sync_commands);

/*
 * Writes N's record (a directory under mem/, or a disk-tier buffer, whose
 * file is linked into DIR the first time). 0 or -errno. tree_lock held.
 */
int disk_save(struct tier *disk, struct node *n);
/* N leaves the disk: its file goes (open descriptors keep the data). */
void disk_remove(struct tier *disk, struct node *n);
/*
 * Makes what disk_save and disk_remove did on this thread durable; called
 * after tree_lock is released, before the request is answered.
 */
void disk_flush(void);
/*
 * Forces the data of disk-tier buffer N to stable storage (unless the tier
 * was opened without SYNC_COMMANDS): 0/-errno.
 */
int disk_sync(struct node *n);

/*
 * Rebuilds the directories and disk-tier buffers under mem/ from DIR at
 * start (tree_lock held). Entries that cannot be read are logged and left
 * alone. Returns how many nodes were restored, or -errno.
 */
int disk_load(struct tier *disk);

#endif
