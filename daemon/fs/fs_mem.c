/*
 * Changes to the tree under mem/: buffers and directories. The kernel has
 * already checked permissions (default_permissions, sticky directories);
 * here the tree and the RAM tier are kept consistent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fs_internal.h"
#include "mem/bufmap.h"
#include "mem/disk_tier.h"
#include "mem/quota.h"
#include "mem/tier_auto.h"
#include "observe/log.h"

static bool is_mem_dir(const struct node *n)
{
	return n && (n->kind == NK_MEM || n->kind == NK_DIR);
}

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

int fs_persist(const struct device *dev, struct node *n)
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

/* Unlinks N from the tree and from the disk. */
static void mem_unlink(const struct device *dev, struct node *n)
{
	if (n->stored)
		disk_remove(dev->tiers[TIER_DISK], n);
	node_unlink(n);
}

int fs_buffer_move(const struct device *dev, struct node *n, struct tier *to)
{
	struct tier *from = n->tier;
	int rc = tier_move(n, to);
	if (rc < 0 || from == to)
		return rc;
	if (to->id == TIER_DISK) {
		rc = fs_persist(dev, n);
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
 * Makes DIR/NAME of KIND for the caller (tree_lock held). A failure
 * (no backing file, no record on disk) unlinks the node again: nothing
 * is left behind.
 */
static struct node *make_node(fuse_req_t req, fuse_ino_t parent,
			      const char *name, enum node_kind kind,
			      mode_t mode, int *err)
{
	struct node *dir = node_by_ino(parent);
	if (!is_mem_dir(dir)) {
		*err = dir ? EPERM : ENOENT;
		return NULL;
	}
	const struct device *dev = fs_device(req);
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
		*err = ENOSPC;
		return NULL;
	}
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct node *n = node_create(dir, name, kind, mode, fc->uid, fc->gid);
	if (!n) {
		*err = errno;
		return NULL;
	}
	int rc = 0;
	if (kind == NK_BUF) {
		/* The node first: the tier puts the file where its owner's
		 * quota is (--user-quota). */
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
			/* the daemon's table, not the caller's: the device is
			 * out of buffers */
			rc = fd == -EMFILE ? -ENOSPC : fd;
		} else {
			tier_attach(n, tier, fd);
			n->tier_pinned = pinned;
			n->creator = fc->pid;
		}
	}
	if (rc == 0)
		rc = fs_persist(dev, n);
	if (rc < 0) {
		*err = -rc;
		node_unlink(n);
		return NULL;
	}
	n->nlookup++;
	return n;
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	if (!S_ISREG(mode)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	struct fuse_entry_param e;
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = make_node(req, parent, name, NK_BUF,
				   S_IFREG | (mode & 07777), &err);
	if (n) {
		int rc = fs_buffer_open(req, n, fi);
		if (rc < 0) {
			err = -rc;
			n->nlookup--;
			mem_unlink(fs_device(req), n);
			n = NULL;
		} else {
			fs_fill_entry(n, &e);
		}
	}
	fs_unlock_durable();
	if (n)
		fuse_reply_create(req, &e, fi);
	else
		fuse_reply_err(req, err);
}

/* Makes a node without opening it and replies with its entry. */
static void make_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
		       enum node_kind kind, mode_t mode)
{
	struct fuse_entry_param e;
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = make_node(req, parent, name, kind, mode, &err);
	if (n)
		fs_fill_entry(n, &e);
	fs_unlock_durable();
	if (n)
		fuse_reply_entry(req, &e);
	else
		fuse_reply_err(req, err);
}

void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev)
{
	(void)rdev;
	if (!S_ISREG(mode))
		fuse_reply_err(req,
			       EPERM); /* buffers only: no devices, fifos */
	else
		make_entry(req, parent, name, NK_BUF, S_IFREG | (mode & 07777));
}

void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_entry(req, parent, name, NK_DIR, S_IFDIR | (mode & 07777));
}

/* The child NAME of mem directory PARENT, or NULL with *ERR. */
static struct node *mem_child(fuse_ino_t parent, const char *name, int *err)
{
	struct node *dir = node_by_ino(parent);
	if (!is_mem_dir(dir)) {
		*err = dir ? EPERM : ENOENT;
		return NULL;
	}
	struct node *n = node_child(dir, name);
	if (!n)
		*err = ENOENT;
	return n;
}

void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = mem_child(parent, name, &err);
	if (n && n->kind != NK_BUF)
		err = EISDIR;
	else if (n)
		mem_unlink(fs_device(req), n);
	fs_unlock_durable();
	fuse_reply_err(req, err);
}

void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = mem_child(parent, name, &err);
	if (n && n->kind != NK_DIR)
		err = ENOTDIR;
	else if (n && n->nchildren)
		err = ENOTEMPTY;
	else if (n)
		mem_unlink(fs_device(req), n);
	fs_unlock_durable();
	fuse_reply_err(req, err);
}

/* Whether A is DIR or one of its ancestors. */
static bool is_ancestor(const struct node *a, const struct node *dir)
{
	for (; dir; dir = dir->parent)
		if (dir == a)
			return true;
	return false;
}

static int do_rename(const struct device *dev, fuse_ino_t parent,
		     const char *name, fuse_ino_t newparent,
		     const char *newname, unsigned int flags)
{
	if (flags & ~RENAME_NOREPLACE)
		return EINVAL; /* RENAME_EXCHANGE, WHITEOUT: not supported */
	int err = 0;
	struct node *n = mem_child(parent, name, &err);
	if (!n)
		return err;
	struct node *dir = node_by_ino(newparent);
	if (!is_mem_dir(dir))
		return dir ? EXDEV : ENOENT;
	if (n->kind == NK_DIR && is_ancestor(n, dir))
		return EINVAL;
	if (strlen(newname) > 255)
		return ENAMETOOLONG;
	struct node *old = node_child(dir, newname);
	if (old == n)
		return 0;
	if (old) {
		if (flags & RENAME_NOREPLACE)
			return EEXIST;
		if (node_is_dir(old) && !node_is_dir(n))
			return EISDIR;
		if (!node_is_dir(old) && node_is_dir(n))
			return ENOTDIR;
		if (old->nchildren)
			return ENOTEMPTY;
	}
	/* Copy the name first: it must not fail after OLD is gone. */
	char *copy = strdup(newname);
	if (!copy)
		return ENOMEM;
	if (old)
		mem_unlink(dev, old);
	int rc = node_rename(n, dir, copy);
	free(copy);
	if (rc == 0 && n->stored)
		fs_persist(dev, n);
	return -rc;
}

void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	pthread_mutex_lock(&tree_lock);
	int err =
	    do_rename(fs_device(req), parent, name, newparent, newname, flags);
	fs_unlock_durable();
	fuse_reply_err(req, err);
}

int fs_buffer_resize(fuse_req_t req, struct node *n, uint64_t size)
{
	if (n->kind != NK_BUF)
		return EISDIR;
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return errno;
	if (n->moving)
		return EBUSY;
	/* A queued or running command computes on this memory. */
	if (size < (uint64_t)st.st_size && n->busy)
		return EBUSY;
	const struct device *dev = fs_device(req);
	struct tier *disk = dev->tiers[TIER_DISK];
	int rc = n->tier->ops->resize(n->tier, n, (uint64_t)st.st_size, size);
	/* A full RAM tier spills to disk: only a buffer nobody has open can
	 * change its file (open files are bound to the one they opened). */
	if (rc == -ENOSPC && n->tier->id == TIER_RAM &&
	    size > (uint64_t)st.st_size &&
	    tier_auto_make_room(dev, size - (uint64_t)st.st_size, n))
		rc = n->tier->ops->resize(n->tier, n, (uint64_t)st.st_size,
					  size);
	if (rc == -ENOSPC && disk && n->tier->id == TIER_RAM &&
	    !n->tier_pinned && !dev->opts->ram_full_enospc && !n->opens &&
	    fs_buffer_move(dev, n, disk) == 0)
		rc = n->tier->ops->resize(n->tier, n, (uint64_t)st.st_size,
					  size);
	if (rc == 0)
		node_touch(n, true);
	return -rc;
}

/*
 * Under --user-quota a RAM buffer's memory is in its owner's part of the
 * tier: a new owner needs the buffer moved there, which is possible only
 * while it holds no memory (else EPERM) and nobody has it open (EBUSY).
 * The disk tier has no quotas: its buffers just change owner.
 */
static int buffer_set_owner(struct node *n, uid_t uid)
{
	if (n->kind != NK_BUF || uid == n->uid || !quota_limit() ||
	    n->tier->id != TIER_RAM)
		return 0;
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return errno;
	if (st.st_size || st.st_blocks)
		return EPERM;
	if (n->opens || n->busy || n->moving)
		return EBUSY;
	struct tier *tier = n->tier;
	struct node owned = *n;
	owned.uid = uid;
	owned.quota = NULL;
	int fd = tier->ops->create(tier, &owned);
	if (fd < 0) {
		tier->ops->release(tier, &owned);
		return -fd;
	}
	bufmap_put(n->map);
	n->map = NULL;
	tier_detach(n);
	tier_attach(n, tier, fd);
	n->quota = owned.quota;
	return 0;
}

static void set_time(struct timespec *t, const struct timespec *given, bool now)
{
	if (now)
		clock_gettime(CLOCK_REALTIME, t);
	else
		*t = *given;
}

void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	(void)fi;
	int err = 0;
	struct stat st;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (!n)
		err = ENOENT;
	else if (n->kind != NK_BUF && n->kind != NK_DIR)
		err = EPERM; /* the fixed files are part of the device */
	if (!err && (to_set & FUSE_SET_ATTR_UID))
		err = buffer_set_owner(n, attr->st_uid);
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		err = fs_buffer_resize(req, n, (uint64_t)attr->st_size);
	if (!err) {
		if (to_set & FUSE_SET_ATTR_MODE)
			n->mode = (n->mode & S_IFMT) | (attr->st_mode & 07777);
		if (to_set & FUSE_SET_ATTR_UID)
			node_set_owner(n, attr->st_uid);
		if (to_set & FUSE_SET_ATTR_GID)
			n->gid = attr->st_gid;
		if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
			set_time(&n->atime, &attr->st_atim,
				 to_set & FUSE_SET_ATTR_ATIME_NOW);
		if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
			set_time(&n->mtime, &attr->st_mtim,
				 to_set & FUSE_SET_ATTR_MTIME_NOW);
		clock_gettime(CLOCK_REALTIME, &n->ctime);
		if (n->stored &&
		    (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
			       FUSE_SET_ATTR_GID)))
			fs_persist(fs_device(req), n);
		fs_fill_attr(n, &st);
	}
	fs_unlock_durable();
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/*
 * fallocate MODE of [OFFSET, END) on buffer N: growth is the tier's
 * resize (which counts it: the disk tier charges by size, the RAM tier
 * maps a full quota to EDQUOT); the rest is done on the file. On the disk
 * tier, space kept past the end (KEEP_SIZE) would not be counted: only
 * pages within the size are reserved there. A positive errno.
 */
static int buffer_fallocate(struct node *n, int mode, uint64_t offset,
			    uint64_t end)
{
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return errno;
	uint64_t size = (uint64_t)st.st_size;
	if (mode == 0 && end > size)
		return -n->tier->ops->resize(n->tier, n, size, end);
	if (mode == FALLOC_FL_KEEP_SIZE && n->tier->id == TIER_DISK &&
	    end > size)
		end = size;
	if (end <= offset)
		return 0;
	if (fallocate(n->fd, mode, (off_t)offset, (off_t)(end - offset)) < 0)
		return n->tier->id == TIER_RAM ? -quota_error(n->quota, -errno)
					       : errno;
	return 0;
}

/*
 * fallocate on a buffer: reserving memory (with or without growing) goes
 * to its tier, like a truncate that grows; punching a hole is refused
 * while a command uses the buffer, like shrinking.
 */
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		  off_t length, struct fuse_file_info *fi)
{
	(void)fi;
	int err = 0;
	uint64_t end;
	if (offset < 0 || length <= 0 ||
	    __builtin_add_overflow((uint64_t)offset, (uint64_t)length, &end) ||
	    end > (uint64_t)INT64_MAX) {
		fuse_reply_err(req, offset < 0 || length <= 0 ? EINVAL : EFBIG);
		return;
	}
	bool punch = mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
	if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE && !punch) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (!n || n->kind != NK_BUF)
		err = n ? EISDIR : ENOENT;
	else if (n->moving)
		err = EBUSY;
	else if (punch && n->busy)
		err = EBUSY; /* a command computes on these pages */
	else
		err = buffer_fallocate(n, mode, (uint64_t)offset, end);
	if (!err)
		node_touch(n, true);
	pthread_mutex_unlock(&tree_lock);
	fuse_reply_err(req, err);
}
