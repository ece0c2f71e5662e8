/*
 * FUSE low-level operations: lookups, attributes, directories, and the
 * open/read/write paths of each kind of file. Changes to mem/ are in
 * fs_mem.c, the queue's logic in context.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vgpufs/catalog.h>

#include "clock.h"
#include "fault_inject.h"
#include "fs/fh.h"
#include "fs/fs_internal.h"
#include "mem/buffer.h"
#include "mem/bus.h"
#include "mem/bus_pace.h"
#include "mem/quota.h"
#include "mem/user_usage.h"
#include "observe/log.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "sched/context.h"

/* An open generated file: its text as of open(). */
/*
 * An open generated file: a snapshot taken at open. Held by the open file
 * and by each read while it replies: the reply wakes the reader, whose
 * close may release the file on another thread before the replying one is
 * done with the data.
 */
struct text_file {
	_Atomic unsigned refs;
	size_t len;
	char *data;
};

static void text_file_put(struct text_file *tf)
{
	if (atomic_fetch_sub(&tf->refs, 1) == 1) {
		free(tf->data);
		free(tf);
	}
}

void fs_fill_attr(const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = node_is_dir(n) ? 2 : (n->unlinked ? 0 : 1);
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
	st->st_blksize = 4096;
	if (n->kind == NK_BUF || n->kind == NK_RING) {
		struct stat b;
		if (fstat(n->fd, &b) == 0) {
			st->st_size = b.st_size;
			st->st_blocks = b.st_blocks;
		}
	}
}

void fs_fill_entry(struct node *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->attr_timeout = ATTR_TIMEOUT;
	e->entry_timeout = ATTR_TIMEOUT;
	fs_fill_attr(n, &e->attr);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct device *dev = userdata;
	if (!fuse_set_feature_flag(conn, FUSE_CAP_PASSTHROUGH)) {
		dev->no_passthrough = true;
		fuse_session_exit(dev->se);
		return;
	}
	dev->passthrough = true;
#ifdef FUSE_CAP_OVER_IO_URING /* libfuse 3.18 */
	if (dev->uring)
		fuse_set_feature_flag(conn, FUSE_CAP_OVER_IO_URING);
	else
		fuse_unset_feature_flag(conn, FUSE_CAP_OVER_IO_URING);
#else
	dev->uring = false;
#endif
	/* Writeback caching and passthrough exclude each other. */
	fuse_unset_feature_flag(conn, FUSE_CAP_WRITEBACK_CACHE);
	/*
	 * Signalled readers are found by the watchdog on either transport;
	 * FUSE_INTERRUPT cannot name io_uring requests anyway (libfuse keeps
	 * such interrupts forever). ENOSYS to the first one stops them.
	 */
	conn->no_interrupt = 1;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	pthread_mutex_lock(&tree_lock);
	struct node *dir = node_by_ino(parent);
	struct node *n = dir ? node_child(dir, name) : NULL;
	if (n) {
		n->nlookup++;
		fs_fill_entry(n, &e);
	}
	pthread_mutex_unlock(&tree_lock);
	if (n)
		fuse_reply_entry(req, &e);
	else
		fuse_reply_err(req, ENOENT);
}

static void forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n = node_by_ino(ino);
	if (!n || n->ino < INO_FIRST_DYNAMIC)
		return;
	n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
	node_release_if_unused(n);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	pthread_mutex_lock(&tree_lock);
	forget_one(ino, nlookup);
	pthread_mutex_unlock(&tree_lock);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	pthread_mutex_lock(&tree_lock);
	for (size_t i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&tree_lock);
	fuse_reply_none(req);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (n)
		fs_fill_attr(n, &st);
	pthread_mutex_unlock(&tree_lock);
	if (n)
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
	else
		fuse_reply_err(req, ENOENT);
}

/*
 * Directory listings are snapshots taken at opendir; a readdir offset is
 * an index into the snapshot.
 */
struct dir_entry {
	uint64_t ino;
	mode_t mode;
	char *name;
};

struct dir_snapshot {
	size_t count;
	struct dir_entry *entries;
	char names[];
};

static struct dir_snapshot *snapshot_dir(const struct node *dir)
{
	size_t count = 2, pool = 3 + 2;
	for (const struct node *c = dir->first_child; c; c = c->next_sibling) {
		count++;
		pool += strlen(c->name) + 1;
	}
	struct dir_snapshot *snap = malloc(sizeof(*snap) + pool);
	if (!snap)
		return NULL;
	snap->entries = malloc(count * sizeof(*snap->entries));
	if (!snap->entries) {
		free(snap);
		return NULL;
	}
	const struct node *up = dir->parent ? dir->parent : dir;
	char *p = snap->names;
	size_t i = 0;
	snap->entries[i++] =
	    (struct dir_entry){dir->ino, dir->mode, strcpy(p, ".")};
	p += 2;
	snap->entries[i++] =
	    (struct dir_entry){up->ino, up->mode, strcpy(p, "..")};
	p += 3;
	for (const struct node *c = dir->first_child; c; c = c->next_sibling) {
		snap->entries[i++] =
		    (struct dir_entry){c->ino, c->mode, strcpy(p, c->name)};
		p += strlen(c->name) + 1;
	}
	snap->count = i;
	return snap;
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	pthread_mutex_lock(&tree_lock);
	struct node *dir = node_by_ino(ino);
	struct dir_snapshot *snap = NULL;
	int err = !dir ? ENOENT : !node_is_dir(dir) ? ENOTDIR : 0;
	if (!err) {
		snap = snapshot_dir(dir);
		err = snap ? 0 : ENOMEM;
		node_touch(dir, false);
	}
	pthread_mutex_unlock(&tree_lock);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = fh_of(snap);
	fuse_reply_open(req, fi);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	struct dir_snapshot *snap = fh_obj(fi);
	char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	for (size_t i = (size_t)off; i < snap->count; i++) {
		const struct dir_entry *d = &snap->entries[i];
		struct stat st = {.st_ino = d->ino, .st_mode = d->mode};
		size_t n = fuse_add_direntry(req, buf + used, size - used,
					     d->name, &st, (off_t)(i + 1));
		if (n > size - used)
			break;
		used += n;
	}
	fh_done(snap);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	struct dir_snapshot *snap = fh_obj(fi);
	free(snap->entries);
	free(snap);
	fuse_reply_err(req, 0);
}

/* The handle of an open buffer that may be written, with a bus (bus.h). */
struct bus_h2d {
	atomic_bool sent; /* its copy to the device is counted */
};

int fs_buffer_open(fuse_req_t req, struct node *n, struct fuse_file_info *fi)
{
	int rc = buffer_open_begin(fs_device(req), n);
	if (rc < 0)
		return rc;
	/* with a bus, what it writes goes to the device when it is closed */
	struct bus_h2d *h = NULL;
	if (bus_enabled() && (fi->flags & O_ACCMODE) != O_RDONLY &&
	    !(h = calloc(1, sizeof(*h))))
		return -ENOMEM;
	if (!n->backing_id) {
		int id = fault_inject("passthrough")
			     ? -1
			     : fuse_passthrough_open(req, n->fd);
		if (id <= 0) {
			log_err("passthrough open of buffer %llu failed",
				(unsigned long long)n->ino);
			free(h);
			return -EIO;
		}
		n->backing_id = id;
	}
	fi->backing_id = n->backing_id;
	fi->keep_cache = 0;
	fi->direct_io = 0;
	fi->fh = h ? fh_of(h) : 0;
	n->opens++;
	buffer_size_forget(n); /* its writes go past the daemon */
	return 0;
}

/* The size of buffer INO now, under tree_lock; 0 if it is gone. */
static uint64_t buffer_size(fuse_ino_t ino)
{
	struct stat st;
	uint64_t size = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (n && n->kind == NK_BUF && fstat(n->fd, &st) == 0)
		size = (uint64_t)st.st_size;
	pthread_mutex_unlock(&tree_lock);
	return size;
}

/*
 * The bus transfer to the device of an open file that could write,
 * counted once: at its first flush (close()), or at its release if it had
 * none. Returns when the bus would have finished it.
 */
static uint64_t buffer_h2d(fuse_ino_t ino, struct bus_h2d *h)
{
	uint64_t now = now_ns();
	if (!h || atomic_exchange(&h->sent, true))
		return now;
	return bus_schedule(BUS_H2D, buffer_size(ino), now);
}

#ifndef FUSE_DEV_IOC_BACKING_CLOSE /* older <linux/fuse.h> */
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)
#endif

/*
 * One open of buffer INO fewer (a release, or an open whose caller left
 * before its answer), with its handle FH: the last gives up its
 * passthrough file.
 */
static void buffer_unopen(struct fuse_session *se, fuse_ino_t ino, uint64_t fh)
{
	/* made by the open, maybe on another thread */
	struct bus_h2d *h = fh_to_obj(fh);
	buffer_h2d(ino, h);
	free(h);
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (n && n->kind == NK_BUF && n->opens && --n->opens == 0 &&
	    n->backing_id) {
		uint32_t id = (uint32_t)n->backing_id;
		if (ioctl(fuse_session_fd(se), FUSE_DEV_IOC_BACKING_CLOSE,
			  &id) < 0)
			log_err("passthrough close of buffer %llu: %m",
				(unsigned long long)ino);
		n->backing_id = 0;
		buffer_last_close(n);
	}
	if (n)
		node_release_if_unused(n);
	pthread_mutex_unlock(&tree_lock);
}

int fs_bus_start(struct fuse_session *se)
{
	return bus_enabled() ? bus_pace_start(se, buffer_unopen) : 0;
}

static char *render(fuse_req_t req, const struct node *n, size_t *len)
{
	struct device *dev = fs_device(req);
	if (n->kind == NK_INFO)
		return info_render(dev, len);
	if (n->kind == NK_STATS || n->kind == NK_METRICS) {
		struct stats_snapshot *s = malloc(sizeof(*s));
		if (!s ||
		    stats_snapshot(s, dev->tiers, fuse_req_ctx(req)->uid)) {
			free(s);
			return NULL;
		}
		char *text = n->kind == NK_STATS ? stats_render(s, len)
						 : metrics_render(s, len);
		stats_snapshot_free(s);
		free(s);
		return text;
	}
	const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(n->kernel_id);
	int need = vgpu_catalog_describe(k, NULL, 0);
	char *p = malloc((size_t)need + 1);
	if (p)
		vgpu_catalog_describe(k, p, (size_t)need + 1);
	*len = (size_t)need;
	return p;
}

static void open_text(fuse_req_t req, struct node *n, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	struct text_file *tf = malloc(sizeof(*tf));
	if (tf) {
		atomic_init(&tf->refs, 1);
		tf->data = render(req, n, &tf->len);
	}
	if (!tf || !tf->data) {
		free(tf);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fi->fh = fh_of(tf);
	fi->direct_io = 1; /* contents change between opens; size is unknown */
	fuse_reply_open(req, fi);
}

/*
 * Opens queue or trace as a stream (FOPEN_STREAM): no file position, hence
 * no f_pos lock, so a write() is not held up by a read() that another
 * thread of the same process has blocked on the same file. libfuse's
 * fuse_file_info has no bit for it, so the reply is built from the
 * kernel's own structure: fuse_reply_open() sends nothing more.
 */
static void reply_open_stream(fuse_req_t req, void *fh)
{
	struct fuse_open_out out = {
	    .fh = fh_of(fh),
	    .open_flags = FOPEN_DIRECT_IO | FOPEN_STREAM,
	};
	struct iovec iov = {.iov_base = &out, .iov_len = sizeof(out)};
	fuse_reply_iov(req, &iov, 1);
}

/* Each open of trace subscribes to the events from then on. */
static void open_trace(fuse_req_t req, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	int err = 0;
	struct trace_sub *sub = trace_open(req, &err);
	if (!sub)
		fuse_reply_err(req, -err);
	else
		reply_open_stream(req, sub);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
#ifdef FUSE_CAP_OVER_IO_URING
	if (fuse_req_is_uring(req))
		atomic_store_explicit(&fs_device(req)->uring_seen, true,
				      memory_order_relaxed); /* info shows it */
#endif
	bus_defer_begin(); /* a promotion's time on the bus (tier_auto.h) */
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	enum node_kind kind = n ? n->kind : NK_ROOT;
	int rc = 0;
	struct stat st = {0};
	/* libfuse asks for atomic O_TRUNC: the open itself truncates. */
	if (n && kind == NK_BUF && (fi->flags & O_TRUNC))
		rc = buffer_resize(fs_device(req), n, 0);
	if (n && kind == NK_BUF && rc == 0)
		rc = fs_buffer_open(req, n, fi);
	if (rc == 0 && kind == NK_BUF && bus_enabled() &&
	    (fi->flags & O_ACCMODE) != O_WRONLY && fstat(n->fd, &st) < 0)
		st.st_size = 0;
	pthread_mutex_unlock(&tree_lock);
	uint64_t due = bus_defer_end(), now = now_ns();
	if (!n) {
		fuse_reply_err(req, ENOENT);
	} else if (kind == NK_BUF) {
		/* an open to read maps the buffer to the host: its copy, once
		 * it is in RAM */
		if (rc == 0 && bus_enabled() &&
		    (fi->flags & O_ACCMODE) != O_WRONLY)
			due = bus_schedule(BUS_D2H, (uint64_t)st.st_size,
					   due > now ? due : now);
		if (rc < 0)
			fuse_reply_err(req, -rc);
		else if (!bus_pace_reply(req, fi, ino, due) &&
			 fuse_reply_open(req, fi) == -ENOENT)
			buffer_unopen(fs_device(req)->se, ino, fi->fh);
	} else if (kind == NK_QUEUE) {
		struct context *ctx;
		int err = context_open(req, &ctx);
		if (err < 0) {
			fuse_reply_err(req, -err);
			return;
		}
		reply_open_stream(req, ctx);
	} else if (kind == NK_TRACE) {
		open_trace(req, fi);
	} else if (kind == NK_INFO || kind == NK_STATS || kind == NK_METRICS ||
		   kind == NK_KERNEL_DOC) {
		open_text(req, n, fi);
	} else if (kind == NK_RING) {
		fuse_reply_err(req, EPERM); /* opened once, by its creation */
	} else {
		fuse_reply_err(req, EISDIR);
	}
}

static void fs_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	if (ino == INO_QUEUE) {
		context_close(fh_obj(fi));
	} else if (fs_is_ring(ino)) {
		fs_ring_release(req, ino, fi);
	} else if (ino == INO_TRACE) {
		trace_close(fh_obj(fi));
	} else if (ino == INO_INFO || ino == INO_STATS || ino == INO_METRICS ||
		   (ino >= INO_KERNEL_DOC0 && ino < INO_FIRST_DYNAMIC)) {
		text_file_put(fh_obj(fi));
	} else {
		buffer_unopen(fs_device(req)->se, ino, fi->fh);
	}
	fuse_reply_err(req, 0);
}

/*
 * The context of an open queue file, held for one request: once a reply is
 * sent the caller may close the file, and its release may run on another
 * thread before this one is done with the context.
 */
static struct context *queue_hold(const struct fuse_file_info *fi)
{
	struct context *ctx = fh_obj(fi);
	context_get(ctx);
	return ctx;
}

/* A trace subscription, held like queue_hold() holds a context. */
static struct trace_sub *trace_hold(const struct fuse_file_info *fi)
{
	struct trace_sub *sub = fh_obj(fi);
	trace_get(sub);
	return sub;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	if (ino == INO_QUEUE) {
		struct context *ctx = queue_hold(fi);
		context_read(ctx, req, size, fi->flags & O_NONBLOCK);
		context_put(ctx);
		return;
	}
	if (ino == INO_TRACE) {
		struct trace_sub *sub = trace_hold(fi);
		trace_read(sub, req, size, fi->flags & O_NONBLOCK);
		trace_put(sub);
		return;
	}
	if (ino < INO_FIRST_DYNAMIC) {
		struct text_file *tf = fh_obj(fi);
		atomic_fetch_add(&tf->refs, 1);
		size_t o = (size_t)off < tf->len ? (size_t)off : tf->len;
		size_t n = tf->len - o < size ? tf->len - o : size;
		fuse_reply_buf(req, tf->data + o, n);
		text_file_put(tf);
		return;
	}
	/* Buffers are served by passthrough; the kernel never asks. */
	fuse_reply_err(req, EIO);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)off;
	if (ino == INO_QUEUE) {
		struct context *ctx = queue_hold(fi);
		context_write(ctx, req, buf, size, fi->flags & O_NONBLOCK);
		context_put(ctx);
	} else
		fuse_reply_err(req, ino < INO_FIRST_DYNAMIC ? EBADF : EIO);
}

static void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	if (ino == INO_QUEUE || fs_is_ring(ino)) {
		struct context *ctx = queue_hold(fi);
		context_poll(ctx, req, ph);
		context_put(ctx);
		return;
	}
	if (ino == INO_TRACE) {
		struct trace_sub *sub = trace_hold(fi);
		trace_poll(sub, req, ph);
		trace_put(sub);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	bool ring = fs_is_ring(ino);
	if (ino == INO_QUEUE || ring)
		context_flush(fh_obj(fi), fuse_req_ctx(req)->pid);
	/* close() of a buffer that could be written: its copy to the device */
	if (ino >= INO_FIRST_DYNAMIC && fi->fh && !ring &&
	    bus_pace_reply(req, NULL, ino, buffer_h2d(ino, fh_obj(fi))))
		return;
	fuse_reply_err(req, 0);
}

static void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	/* RAM-tier buffers have nothing to write back; disk-tier ones do. */
	(void)fi;
	int fd = -1, err = 0;
	pthread_mutex_lock(&tree_lock);
	struct node *n = node_by_ino(ino);
	if (n && n->kind == NK_BUF && n->tier->id == TIER_DISK)
		fd = dup(n->fd); /* a move may replace n->fd meanwhile */
	pthread_mutex_unlock(&tree_lock);
	if (fd >= 0) {
		if ((datasync ? fdatasync(fd) : fsync(fd)) < 0)
			err = errno;
		close(fd);
	}
	fuse_reply_err(req, err);
}

/* What is left of LIMIT after HELD, at most FREE. */
static uint64_t room(uint64_t limit, uint64_t held, uint64_t free)
{
	uint64_t left = limit > held ? limit - held : 0;
	return left < free ? left : free;
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct device *dev = fs_device(req);
	uid_t uid = fuse_req_ctx(req)->uid;
	uint64_t cap = 0, free = 0, avail = 0, nodes_held, disk_held;
	usage_of(uid, &nodes_held, &disk_held);
	for (int i = 0; i < TIER_COUNT; i++)
		if (dev->tiers[i]) {
			uint64_t c = tier_capacity(dev->tiers[i]),
				 u = tier_used(dev->tiers[i]),
				 f = u < c ? c - u : 0;
			cap += c;
			free += f;
			/* what the caller may use: under quotas, their own
			 * part of each tier */
			avail += i == TIER_RAM ? quota_avail(uid, f)
				 : uid == 0
				     ? f
				     : room(usage_disk_limit(), disk_held, f);
		}
	struct statvfs sv = {0};
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = cap / 4096;
	sv.f_bfree = free / 4096;
	sv.f_bavail = avail / 4096;
	/* Inodes: buffers and directories, as many as the daemon may hold
	 * (df -i). */
	pthread_mutex_lock(&tree_lock);
	uint64_t bufs = node_count_mem();
	pthread_mutex_unlock(&tree_lock);
	sv.f_files = dev->max_buffers > bufs ? dev->max_buffers : bufs;
	sv.f_ffree = sv.f_favail =
	    uid == 0 ? sv.f_files - bufs
		     : room(usage_node_limit(), nodes_held, sv.f_files - bufs);
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops device_ops = {
    .init = fs_init,
    .lookup = fs_lookup,
    .forget = fs_forget,
    .forget_multi = fs_forget_multi,
    .getattr = fs_getattr,
    .setattr = fs_setattr,
    .mknod = fs_mknod,
    .mkdir = fs_mkdir,
    .unlink = fs_unlink,
    .rmdir = fs_rmdir,
    .rename = fs_rename,
    .create = fs_create,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .flush = fs_flush,
    .release = fs_release,
    .fsync = fs_fsync,
    .opendir = fs_opendir,
    .readdir = fs_readdir,
    .releasedir = fs_releasedir,
    .statfs = fs_statfs,
    .setxattr = fs_setxattr,
    .getxattr = fs_getxattr,
    .listxattr = fs_listxattr,
    .removexattr = fs_removexattr,
    .fallocate = fs_fallocate,
    .poll = fs_poll,
};
