/*
 * Extended attributes: user.vgpu.tier, the one users set. On a buffer it
 * reads as the buffer's tier and setting it moves the buffer (EBUSY while
 * anyone uses it); on a directory under mem/ it is the tier of buffers
 * created in it from then on, and of directories made in it. And
 * user.vgpu.kernels, read-only: on a buffer a program was built from, its
 * kernels' signatures (vgpufs/kernel_sig.h); reading it takes read
 * permission on the buffer, which the kernel checks (default_permissions).
 */
#include <errno.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include <vgpufs/file_tree.h>
#include <vgpufs/kernel_sig.h>

#include "fs/fs_internal.h"
#include "mem/buffer.h"
#include "mem/bus.h"
#include "mem/bus_pace.h"

static bool is_tier_xattr(const char *name)
{
	return strcmp(name, VGPU_XATTR_TIER) == 0;
}

static bool is_kernels_xattr(const char *name)
{
	return strcmp(name, VGPU_XATTR_KERNELS) == 0;
}

/* The tier named by VALUE (a trailing newline allowed), or -errno. */
static int parse_value(const struct device *dev, const char *value, size_t size)
{
	if (size && value[size - 1] == '\n')
		size--;
	int id = tier_parse(value, size);
	if (id < 0)
		return -EINVAL;
	return dev->tiers[id] ? id : -ENODEV; /* no such tier here */
}

static int set_tier(const struct device *dev, struct node *n, int id, int flags)
{
	if (n->kind == NK_BUF) {
		if (flags & XATTR_CREATE)
			return -EEXIST; /* a buffer always has a tier */
		int rc = buffer_move(dev, n, dev->tiers[id]);
		if (rc == 0 && (!n->tier_pinned || n->demoted)) {
			n->tier_pinned = true;
			n->demoted = false;
			buffer_persist(dev, n);
		}
		return rc;
	}
	if (n->kind != NK_DIR)
		return n->kind == NK_MEM ? -EPERM : -ENOTSUP;
	if ((flags & XATTR_CREATE) && n->tier_default != TIER_UNSET)
		return -EEXIST;
	if ((flags & XATTR_REPLACE) && n->tier_default == TIER_UNSET)
		return -ENODATA;
	n->tier_default = (uint8_t)id;
	return buffer_persist(dev, n);
}

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags)
{
	if (!is_tier_xattr(name)) {
		fuse_reply_err(req, is_kernels_xattr(name) ? EPERM : ENOTSUP);
		return;
	}
	const struct device *dev = fs_device(req);
	int rc = parse_value(dev, value, size);
	bus_defer_begin(); /* a move's time on the bus: answered when over */
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (!n)
		rc = -ENOENT;
	else if (rc >= 0)
		rc = set_tier(dev, n, rc, flags);
	if (rc == 0)
		clock_gettime(CLOCK_REALTIME, &n->ctime);
	fs_unlock_durable();
	uint64_t due = bus_defer_end();
	if (rc == 0 && bus_pace_reply(req, NULL, ino, due))
		return;
	fuse_reply_err(req, -rc);
}

/* The value of user.vgpu.tier on N, or NULL if it has none. */
static const char *tier_value(const struct node *n)
{
	if (n->kind == NK_BUF)
		return tier_name(n->tier->id);
	if (n->kind == NK_DIR && n->tier_default != TIER_UNSET)
		return tier_name(n->tier_default);
	return NULL;
}

/* Replies with TEXT (LEN bytes) to a request for SIZE bytes. */
static void reply_value(fuse_req_t req, const char *text, size_t len,
			size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, text, len);
}

/* user.vgpu.kernels of INO: its copy, made under the tree's lock. */
static void get_kernels(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	int err = 0;
	char *text = NULL;
	size_t len = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (!n)
		err = ENOENT;
	else if (!n->kernels)
		err = ENODATA;
	else if (n->kernels_len > XATTR_SIZE_MAX)
		err = E2BIG; /* more than an attribute can hold */
	else if (size && !(text = malloc(n->kernels_len + 1)))
		err = ENOMEM;
	else {
		len = n->kernels_len;
		if (text)
			memcpy(text, n->kernels, len);
	}
	pthread_mutex_unlock(&tree_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		reply_value(req, text, len, size);
	free(text);
}

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	if (is_kernels_xattr(name)) {
		get_kernels(req, ino, size);
		return;
	}
	char value[16];
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	const char *v = n ? tier_value(n) : NULL;
	if (!n)
		err = ENOENT;
	else if (!is_tier_xattr(name) || !v)
		err = ENODATA;
	else
		snprintf(value, sizeof(value), "%s", v);
	pthread_mutex_unlock(&tree_lock);
	if (err)
		fuse_reply_err(req, err);
	else
		reply_value(req, value, strlen(value), size);
}

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char both[] = VGPU_XATTR_TIER "\0" VGPU_XATTR_KERNELS;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	bool has = n && tier_value(n), kernels = n && n->kernels;
	pthread_mutex_unlock(&tree_lock);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else
		reply_value(req, both,
			    !has      ? 0
			    : kernels ? sizeof(both)
				      : sizeof(VGPU_XATTR_TIER),
			    size);
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (!n)
		err = ENOENT;
	else if (is_kernels_xattr(name) && n->kernels)
		err = EPERM; /* the daemon's to set */
	else if (!is_tier_xattr(name) || !tier_value(n))
		err = ENODATA;
	else if (n->kind == NK_BUF)
		n->tier_pinned = false; /* may spill again; stays where it is */
	else
		n->tier_default = TIER_UNSET;
	if (!err)
		err = -buffer_persist(fs_device(req), n);
	fs_unlock_durable();
	fuse_reply_err(req, err);
}
