/*
 * rings/: creating a file there makes a context with a submission ring
 * (ring/ring.h), served to the client by passthrough to the ring's memfd,
 * which it maps. Each ring is a node of its own, unlinked at once: FUSE
 * allows one passthrough file per inode, and nobody else may find it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fs/fh.h"
#include "fs/fs_internal.h"
#include "observe/log.h"
#include "ring/ring.h"
#include "sched/context.h"

#ifndef FUSE_DEV_IOC_BACKING_CLOSE /* older <linux/fuse.h> */
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)
#endif

/* Undoes a ring's passthrough registration. */
static void backing_close(struct fuse_session *se, int id)
{
	uint32_t u = (uint32_t)id;
	if (id > 0 &&
	    ioctl(fuse_session_fd(se), FUSE_DEV_IOC_BACKING_CLOSE, &u) < 0)
		log_err("passthrough close of a ring: %m");
}

/* Its node (tree_lock held): makes it, unlinks it, counts the open. */
static struct node *ring_node(fuse_req_t req, const char *name, int fd,
			      struct fuse_entry_param *e)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct node *n = node_create(node_by_ino(INO_RINGS), name, NK_RING,
				     S_IFREG | 0600, fc->uid, fc->gid);
	if (!n)
		return NULL;
	n->fd = fd;
	n->nlookup++;
	n->opens++;
	node_unlink(n);
	fs_fill_entry(n, e);
	e->entry_timeout = 0; /* the name leads nowhere */
	e->attr.st_size = VGPU_RING_BYTES;
	return n;
}

/* A node whose creation is not answered after all goes (with its fd). */
static void ring_node_drop(fuse_ino_t ino, bool lookup)
{
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (n && n->opens)
		n->opens--;
	if (n && lookup && n->nlookup)
		n->nlookup--;
	if (n)
		node_release_if_unused(n);
	pthread_mutex_unlock(&tree_lock);
}

void fs_ring_create(fuse_req_t req, const char *name, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDWR) {
		fuse_reply_err(req, EACCES); /* a ring is read and written */
		return;
	}
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct context *ctx;
	struct ring *r = NULL;
	struct node *n = NULL;
	struct fuse_entry_param e = {0};
	int fd = -1;
	int rc = context_open(req, &ctx);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	rc = ring_create(ctx, CRED_INIT(fc->uid, fc->gid, fc->pid), &fd, &r);
	if (rc == 0) {
		ctx->ring = r;
		r->backing_id = fuse_passthrough_open(req, fd);
		if (r->backing_id <= 0)
			rc = -EIO;
	}
	if (rc == 0) {
		pthread_mutex_lock(&tree_lock);
		n = ring_node(req, name, fd, &e);
		rc = n ? 0 : -errno;
		pthread_mutex_unlock(&tree_lock);
	}
	if (rc == 0)
		rc = ring_start(r);
	if (rc < 0) {
		if (n)
			ring_node_drop(e.ino, true); /* closes fd */
		else if (fd >= 0)
			close(fd);
		if (r)
			backing_close(fs_device(req)->se, r->backing_id);
		context_close(ctx);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->backing_id = r->backing_id;
	fi->fh = fh_of(ctx);
	fi->direct_io = 0;
	fi->keep_cache = 0;
	if (fuse_reply_create(req, &e, fi) == -ENOENT) { /* the caller left */
		backing_close(fs_device(req)->se, r->backing_id);
		context_close(ctx);
		ring_node_drop(e.ino, true);
	}
}

bool fs_is_ring(fuse_ino_t ino)
{
	if (ino < INO_FIRST_DYNAMIC)
		return false;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	bool ring = n && n->kind == NK_RING;
	pthread_mutex_unlock(&tree_lock);
	return ring;
}

void fs_ring_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct context *ctx = fh_obj(fi);
	backing_close(fs_device(req)->se, ctx->ring->backing_id);
	context_close(ctx);
	ring_node_drop(ino, false);
}
