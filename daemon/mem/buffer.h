/*
 * A buffer's life, apart from the file system's operations on it: where a
 * new one is placed and made, its size and reservations, its tier, its
 * owner, its record on the disk tier, its opens as far as memory is
 * concerned, its removal. One owner for the buffer object: the FUSE
 * handlers (fs/) call these and turn their results into replies.
 *
 * Every function is called with tree_lock held (buffer_move and what
 * calls it release it while data is copied) and returns 0 or -errno.
 */
#ifndef VGPUFSD_BUFFER_H
#define VGPUFSD_BUFFER_H

#include <stdint.h>
#include <sys/types.h>

#include "fs/node.h"

struct device;
struct tier;

/* What a new buffer or directory under mem/ is, and whose. */
struct buffer_spec {
	const char *name;
	enum node_kind kind; /* NK_BUF or NK_DIR */
	mode_t mode;	     /* with its S_IFMT bits */
	uid_t uid;
	gid_t gid;
	pid_t creator;
};

/*
 * Makes DIR/NAME: the node, and for a buffer its backing file in the tier
 * its directory and the tiers' room decide, and its record on the disk
 * tier. A failure leaves nothing behind. *OUT holds one lookup.
 */
/* Before tree_init: tells the tree how a buffer's memory is let go. */
void buffer_init(void);

int buffer_make(const struct device *dev, struct node *dir,
		const struct buffer_spec *spec, struct node **out);
/* Unlinks N from the tree and its record from the disk tier. */
void buffer_unlink(const struct device *dev, struct node *n);
/*
 * Saves N's record on the disk tier if it has one there (a directory, a
 * disk-tier buffer); a failure is logged.
 */
int buffer_persist(const struct device *dev, struct node *n);
/* Moves buffer N to tier TO (tier_move), keeping its record. */
int buffer_move(const struct device *dev, struct node *n, struct tier *to);
/*
 * Sets buffer N's size: growth reserves the memory at once, a full RAM
 * tier makes room (--auto-tier) or spills the buffer to disk.
 */
int buffer_resize(const struct device *dev, struct node *n, uint64_t size);
/*
 * Gives buffer N to UID: under --user-quota its memory must move to the
 * new owner's part of the RAM tier, possible only while it holds none.
 */
int buffer_set_owner(struct node *n, uid_t uid);
/* fallocate MODE (0, KEEP_SIZE or PUNCH_HOLE|KEEP_SIZE) of [OFFSET, END). */
int buffer_fallocate(struct node *n, int mode, uint64_t offset, uint64_t end);
/*
 * Before an open of buffer N: brings it back to RAM if --auto-tier
 * demoted it; -EBUSY while it moves.
 */
int buffer_open_begin(const struct device *dev, struct node *n);
/* After the last open of N is gone: counts what writes through it grew. */
void buffer_last_close(struct node *n);
/*
 * Buffer N's size in *SIZE: the one its last command saw when nobody has
 * opened, resized or moved it since (node.h, size_known), else asked of
 * its file (and kept, if nobody has it open). A cached launch's program
 * then costs no system call. tree_lock held (as by whatever opens,
 * resizes or moves the buffer: the size is never read half-forgotten).
 */
int buffer_size_of(struct node *n, uint64_t *size);
/* N's file may have a new size (an open, a resize, a new file). */
static inline void buffer_size_forget(struct node *n)
{
	n->size_known = false;
}

#endif
