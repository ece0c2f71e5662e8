/*
 * A buffer's life (buffer.h): placement, making, size, tier, owner,
 * reservations, record on the disk tier, removal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "device.h"
#include "mem/buffer.h"
#include "mem/bufmap.h"
#include "mem/disk_tier.h"
#include "mem/quota.h"
#include "mem/tier.h"
#include "mem/tier_auto.h"
#include "observe/log.h"

/*
 * The tier of a new buffer in DIR: the directory's default (then pinned:
 * it never spills), else RAM, or disk when the RAM tier is full already.
 */
static struct tier *placement(const struct device *dev, const struct node *dir,
			      bool *pinned)
{
	struct tier *ram = dev->tiers[TIER_RAM], *disk = dev->tiers[TIER_DISK];
	*pinned =
	    dir->tier_default != TIER_UNSET && dev->tiers[dir->tier_default];
	if (*pinned)
		return dev->tiers[dir->tier_default];
	if (disk && !dev->opts->ram_full_enospc &&
	    tier_used(ram) >= tier_capacity(ram))
		return disk;
	return ram;
}

int buffer_persist(const struct device *dev, struct node *n)
{
	struct tier *disk = dev->tiers[TIER_DISK];
	if (!disk || (n->kind == NK_BUF && n->tier != disk))
		return 0;
	int rc = disk_save(disk, n);
	if (rc < 0)
		log_err("disk tier: cannot save the record of %llu: %s",
			(unsigned long long)n->ino, strerror(-rc));
	return rc;
}

void buffer_unlink(const struct device *dev, struct node *n)
{
	if (n->stored)
		disk_remove(dev->tiers[TIER_DISK], n);
	node_unlink(n);
}

int buffer_move(const struct device *dev, struct node *n, struct tier *to)
{
	struct tier *from = n->tier;
	int rc = tier_move(n, to);
	if (rc < 0 || from == to)
		return rc;
	if (to->id == TIER_DISK) {
		rc = buffer_persist(dev, n);
		if (rc < 0 && tier_move(n, from) < 0)
			log_err("buffer %llu: cannot move back to %s",
				(unsigned long long)n->ino,
				tier_name(from->id));
	} else if (n->stored) {
		disk_remove(dev->tiers[TIER_DISK], n);
	}
	return rc;
}

/*
 * Gives N its backing file in the tier placement chose (the node first:
 * the tier puts the file where its owner's quota is, --user-quota).
 */
static int attach_backing(const struct device *dev, struct node *n,
			  struct tier *tier, bool pinned)
{
	int fd = tier->ops->create(tier, n);
	if (fd == -ENOSPC && !pinned && tier->id == TIER_RAM &&
	    dev->tiers[TIER_DISK] && !dev->opts->ram_full_enospc) {
		/* the RAM tier cannot set the owner's quota aside */
		tier->ops->release(tier, n);
		tier = dev->tiers[TIER_DISK];
		fd = tier->ops->create(tier, n);
	}
	if (fd < 0) {
		tier->ops->release(tier, n);
		/* the daemon's table, not the caller's: the device is out of
		 * buffers */
		return fd == -EMFILE ? -ENOSPC : fd;
	}
	tier_attach(n, tier, fd);
	n->tier_pinned = pinned;
	return 0;
}

/* A buffer's node is freed: its tier and mapping go (node.h). */
static void release_memory(struct node *n)
{
	if (n->tier)
		tier_detach(n);
	bufmap_put(n->map);
	n->map = NULL;
}

void buffer_init(void)
{
	node_set_buffer_release(release_memory);
}

int buffer_make(const struct device *dev, struct node *dir,
		const struct buffer_spec *spec, struct node **out)
{
	bool pinned = false;
	struct tier *tier = placement(dev, dir, &pinned);
	if (node_count_mem() >= dev->max_buffers) {
		static bool said;
		if (!said)
			log_warn("%llu buffers and directories: as many as the "
				 "daemon's file descriptor limit allows (raise "
				 "its LimitNOFILE); creating more fails with "
				 "ENOSPC",
				 (unsigned long long)node_count_mem());
		said = true;
		return -ENOSPC;
	}
	struct node *n = node_create(dir, spec->name, spec->kind, spec->mode,
				     spec->uid, spec->gid);
	if (!n)
		return -errno;
	int rc = 0;
	if (spec->kind == NK_BUF) {
		rc = attach_backing(dev, n, tier, pinned);
		n->creator = spec->creator;
	}
	if (rc == 0)
		rc = buffer_persist(dev, n);
	if (rc < 0) {
		node_unlink(n);
		return rc;
	}
	n->nlookup++;
	*out = n;
	return 0;
}

/*
 * --auto-tier: demotes idle RAM buffers other than KEEP, least recently
 * used first, until the RAM tier has NEED bytes free (tree_lock held,
 * released while data is copied). Whether there is room now.
 */
static bool make_room(const struct device *dev, uint64_t need,
		      const struct node *keep)
{
	if (!tier_auto_enabled(dev))
		return false;
	uint64_t *inos;
	size_t count = tier_auto_victims(dev, need, keep, &inos);
	for (size_t i = 0; i < count && !tier_auto_has_room(dev, need); i++) {
		/* by number: one may be gone or in use since the last move */
		struct node *n = node_by_ino(inos[i]);
		if (!tier_auto_demotable(n))
			continue;
		n->demoted = true; /* in its record on disk */
		int rc = buffer_move(dev, n, dev->tiers[TIER_DISK]);
		if (rc < 0)
			n->demoted = false;
		if (rc < 0 && rc != -EBUSY)
			log_debug("cannot demote buffer %llu: %d",
				  (unsigned long long)n->ino, rc);
	}
	free(inos);
	return tier_auto_has_room(dev, need);
}

int buffer_resize(const struct device *dev, struct node *n, uint64_t size)
{
	if (n->kind != NK_BUF)
		return -EISDIR;
	buffer_size_forget(n);
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return -errno;
	if (n->moving)
		return -EBUSY;
	/* A queued or running command computes on this memory. */
	if (size < (uint64_t)st.st_size && n->busy)
		return -EBUSY;
	struct tier *disk = dev->tiers[TIER_DISK];
	uint64_t old = (uint64_t)st.st_size;
	int rc = n->tier->ops->resize(n->tier, n, old, size);
	/* A full RAM tier spills to disk: only a buffer nobody has open can
	 * change its file (open files are bound to the one they opened). */
	if (rc == -ENOSPC && n->tier->id == TIER_RAM && size > old &&
	    make_room(dev, size - old, n))
		rc = n->tier->ops->resize(n->tier, n, old, size);
	if (rc == -ENOSPC && disk && n->tier->id == TIER_RAM &&
	    !n->tier_pinned && !dev->opts->ram_full_enospc && !n->opens &&
	    buffer_move(dev, n, disk) == 0)
		rc = n->tier->ops->resize(n->tier, n, old, size);
	if (rc == 0)
		node_touch(n, true);
	return rc;
}

int buffer_set_owner(struct node *n, uid_t uid)
{
	if (n->kind != NK_BUF || uid == n->uid || !quota_limit() ||
	    n->tier->id != TIER_RAM)
		return 0; /* the disk tier's buffers just change owner */
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return -errno;
	if (st.st_size || st.st_blocks)
		return -EPERM;
	if (n->opens || n->busy || n->moving)
		return -EBUSY;
	struct tier *tier = n->tier;
	struct node owned = *n;
	owned.uid = uid;
	owned.quota = NULL;
	int fd = tier->ops->create(tier, &owned);
	if (fd < 0) {
		tier->ops->release(tier, &owned);
		return fd;
	}
	bufmap_put(n->map);
	n->map = NULL;
	tier_detach(n);
	tier_attach(n, tier, fd);
	n->quota = owned.quota;
	return 0;
}

/*
 * Growth is the tier's resize (which counts it: the disk tier charges by
 * size, the RAM tier maps a full quota to EDQUOT); the rest is done on
 * the file. On the disk tier, space kept past the end (KEEP_SIZE) would
 * not be counted: only pages within the size are reserved there.
 */
int buffer_fallocate(struct node *n, int mode, uint64_t offset, uint64_t end)
{
	if (n->kind != NK_BUF)
		return -EISDIR;
	buffer_size_forget(n);
	if (n->moving)
		return -EBUSY;
	bool punch = mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
	if (punch && n->busy)
		return -EBUSY; /* a command computes on these pages */
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return -errno;
	uint64_t size = (uint64_t)st.st_size;
	int rc = 0;
	if (mode == 0 && end > size) {
		rc = n->tier->ops->resize(n->tier, n, size, end);
	} else {
		if (mode == FALLOC_FL_KEEP_SIZE && n->tier->id == TIER_DISK &&
		    end > size)
			end = size;
		if (end > offset && fallocate(n->fd, mode, (off_t)offset,
					      (off_t)(end - offset)) < 0)
			rc = n->tier->id == TIER_RAM
				 ? quota_error(n->quota, -errno)
				 : -errno;
	}
	if (rc == 0)
		node_touch(n, true);
	return rc;
}

int buffer_open_begin(const struct device *dev, struct node *n)
{
	/* a buffer --auto-tier demoted comes back to RAM when it fits */
	if (!n->backing_id && tier_auto_should_promote(dev, n) &&
	    buffer_move(dev, n, dev->tiers[TIER_RAM]) == 0)
		n->demoted = false; /* its record is gone with its file */
	if (n->moving)
		return -EBUSY; /* it would open the memory being left */
	n->last_used_ns = now_ns();
	return 0;
}

void buffer_last_close(struct node *n)
{
	n->tier->ops->count_writes(n->tier, n);
}

int buffer_size_of(struct node *n, uint64_t *size)
{
	if (n->size_known && !n->opens) {
		*size = n->size_seen;
		return 0;
	}
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	n->size_seen = *size;
	n->size_known = !n->opens;
	return 0;
}
