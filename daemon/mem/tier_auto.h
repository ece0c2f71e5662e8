/*
 * Automatic tiering (--auto-tier): when the RAM tier is short, the least
 * recently used idle buffers move to the disk tier to make room; such a
 * demoted buffer comes back to RAM when it is next opened and fits.
 * Buffers whose tier was chosen by user.vgpu.tier never move by themselves.
 */
#ifndef VGPUFSD_TIER_AUTO_H
#define VGPUFSD_TIER_AUTO_H

#include <stdint.h>

struct device;
struct node;

/*
 * Demotes idle RAM buffers, least recently used first, other than KEEP,
 * until the RAM tier has NEED bytes free. tree_lock held (released while
 * data is copied). Returns true if there is room now.
 */
bool tier_auto_make_room(const struct device *dev, uint64_t need,
			 const struct node *keep);
/* Before an open of buffer N: brings it back to RAM if it was demoted. */
void tier_auto_promote(const struct device *dev, struct node *n);

#endif
