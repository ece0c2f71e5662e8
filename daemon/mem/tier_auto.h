/*
 * Automatic tiering (--auto-tier): when the RAM tier is short, the least
 * recently used idle buffers move to the disk tier to make room; such a
 * demoted buffer comes back to RAM when it is next opened and fits.
 * Buffers whose tier was chosen by user.vgpu.tier never move by themselves.
 */
#ifndef VGPUFSD_TIER_AUTO_H
#define VGPUFSD_TIER_AUTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct device;
struct node;

/* Whether --auto-tier is on (and there is a disk tier to demote to). */
bool tier_auto_enabled(const struct device *dev);
/* Whether the RAM tier has NEED bytes free. */
bool tier_auto_has_room(const struct device *dev, uint64_t need);
/* Whether N is a RAM buffer nobody uses, free to be demoted now. */
bool tier_auto_demotable(const struct node *n);
/*
 * The buffers to demote, least recently used first, for the RAM tier to
 * have NEED bytes free (tree_lock held): their inode numbers in *INOS
 * (malloc'ed), to be looked up again one by one, as a move releases the
 * lock. None when --auto-tier is off or demoting all idle ones would not
 * be enough. buffer.c moves them.
 */
size_t tier_auto_victims(const struct device *dev, uint64_t need,
			 const struct node *keep, uint64_t **inos);
/* Whether buffer N, demoted, should come back to RAM at its open now. */
bool tier_auto_should_promote(const struct device *dev, const struct node *n);

#endif
