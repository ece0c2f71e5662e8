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
#include "mem/buffer.h"

static bool is_mem_dir(const struct node *n)
{
	return n && (n->kind == NK_MEM || n->kind == NK_DIR);
}

/* Makes DIR/NAME of KIND for the caller (tree_lock held): 0 or -errno. */
static int make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		     enum node_kind kind, mode_t mode, struct node **out)
{
	struct node *dir = node_by_ino(parent);
	if (!is_mem_dir(dir))
		return dir ? -EPERM : -ENOENT;
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	const struct buffer_spec spec = {.name = name,
					 .kind = kind,
					 .mode = mode,
					 .uid = fc->uid,
					 .gid = fc->gid,
					 .creator = fc->pid};
	return buffer_make(fs_device(req), dir, &spec, out);
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	if (!S_ISREG(mode)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (parent == INO_RINGS) {
		fs_ring_create(req, name, fi);
		return;
	}
	struct fuse_entry_param e;
	struct node *n = NULL;
	pthread_mutex_lock(&tree_lock);
	int rc =
	    make_node(req, parent, name, NK_BUF, S_IFREG | (mode & 07777), &n);
	if (rc == 0) {
		rc = fs_buffer_open(req, n, fi);
		if (rc < 0) {
			n->nlookup--;
			buffer_unlink(fs_device(req), n);
		} else {
			fs_fill_entry(n, &e);
		}
	}
	fs_unlock_durable();
	if (rc == 0)
		fuse_reply_create(req, &e, fi);
	else
		fuse_reply_err(req, -rc);
}

/* Makes a node without opening it and replies with its entry. */
static void make_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
		       enum node_kind kind, mode_t mode)
{
	struct fuse_entry_param e;
	struct node *n = NULL;
	pthread_mutex_lock(&tree_lock);
	int rc = make_node(req, parent, name, kind, mode, &n);
	if (rc == 0)
		fs_fill_entry(n, &e);
	fs_unlock_durable();
	if (rc == 0)
		fuse_reply_entry(req, &e);
	else
		fuse_reply_err(req, -rc);
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

/* The child NAME of mem directory PARENT, or NULL with *ERR (-errno). */
static struct node *mem_child(fuse_ino_t parent, const char *name, int *err)
{
	struct node *dir = node_by_ino(parent);
	if (!is_mem_dir(dir)) {
		*err = dir ? -EPERM : -ENOENT;
		return NULL;
	}
	struct node *n = node_child(dir, name);
	if (!n)
		*err = -ENOENT;
	return n;
}

void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = mem_child(parent, name, &err);
	if (n && n->kind != NK_BUF)
		err = -EISDIR;
	else if (n)
		buffer_unlink(fs_device(req), n);
	fs_unlock_durable();
	fuse_reply_err(req, -err);
}

void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = mem_child(parent, name, &err);
	if (n && n->kind != NK_DIR)
		err = -ENOTDIR;
	else if (n && n->nchildren)
		err = -ENOTEMPTY;
	else if (n)
		buffer_unlink(fs_device(req), n);
	fs_unlock_durable();
	fuse_reply_err(req, -err);
}

/* Whether A is DIR or one of its ancestors. */
static bool is_ancestor(const struct node *a, const struct node *dir)
{
	for (; dir; dir = dir->parent)
		if (dir == a)
			return true;
	return false;
}

/* Renames PARENT/NAME to NEWPARENT/NEWNAME: 0 or -errno. */
static int do_rename(const struct device *dev, fuse_ino_t parent,
		     const char *name, fuse_ino_t newparent,
		     const char *newname, unsigned int flags)
{
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, WHITEOUT: not supported */
	int err = 0;
	struct node *n = mem_child(parent, name, &err);
	if (!n)
		return err;
	struct node *dir = node_by_ino(newparent);
	if (!is_mem_dir(dir))
		return dir ? -EXDEV : -ENOENT;
	if (n->kind == NK_DIR && is_ancestor(n, dir))
		return -EINVAL;
	if (strlen(newname) > 255)
		return -ENAMETOOLONG;
	struct node *old = node_child(dir, newname);
	if (old == n)
		return 0;
	if (old) {
		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (node_is_dir(old) && !node_is_dir(n))
			return -EISDIR;
		if (!node_is_dir(old) && node_is_dir(n))
			return -ENOTDIR;
		if (old->nchildren)
			return -ENOTEMPTY;
	}
	/* Copy the name first: it must not fail after OLD is gone. */
	char *copy = strdup(newname);
	if (!copy)
		return -ENOMEM;
	if (old)
		buffer_unlink(dev, old);
	int rc = node_rename(n, dir, copy);
	free(copy);
	if (rc == 0 && n->stored)
		buffer_persist(dev, n);
	return rc;
}

void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	pthread_mutex_lock(&tree_lock);
	int err =
	    do_rename(fs_device(req), parent, name, newparent, newname, flags);
	fs_unlock_durable();
	fuse_reply_err(req, -err);
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
		err = -buffer_set_owner(n, attr->st_uid);
	if (!err && (to_set & FUSE_SET_ATTR_SIZE))
		err =
		    -buffer_resize(fs_device(req), n, (uint64_t)attr->st_size);
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
			buffer_persist(fs_device(req), n);
		fs_fill_attr(n, &st);
	}
	fs_unlock_durable();
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
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
	if (!n)
		err = ENOENT;
	else if (n->kind == NK_RING)
		err = EPERM; /* a ring's size is fixed (ring/ring.h) */
	else
		err = -buffer_fallocate(n, mode, (uint64_t)offset, end);
	pthread_mutex_unlock(&tree_lock);
	fuse_reply_err(req, err);
}
