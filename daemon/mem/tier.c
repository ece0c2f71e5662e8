/* The tier interface, and the RAM tier behind it. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/file_tree.h>

#include "clock.h"
#include "fs/node.h"
#include "mem/bufmap.h"
#include "mem/bus.h"
#include "mem/quota.h"
#include "mem/ram_tier.h"
#include "mem/tier.h"

static const char *const names[TIER_COUNT] = {VGPU_TIER_RAM, VGPU_TIER_DISK};

const char *tier_name(enum tier_id id)
{
	return id < TIER_COUNT ? names[id] : "-";
}

int tier_parse(const char *s, size_t len)
{
	for (int i = 0; i < TIER_COUNT; i++)
		if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
			return i;
	return -1;
}

struct ram {
	struct tier base;
	struct ram_tier *rt;
};

static struct ram_tier *rt(const struct tier *t)
{
	return ((const struct ram *)t)->rt;
}

/*
 * Under --user-quota a buffer's file is in its owner's tmpfs instance
 * (quota.c), which the kernel fills up to the quota: ENOSPC there is the
 * owner's EDQUOT.
 */
static int ram_create(struct tier *t, struct node *n)
{
	(void)t;
	return quota_create(n->uid, &n->quota);
}

static int ram_resize(struct tier *t, struct node *n, uint64_t old_size,
		      uint64_t new_size)
{
	return quota_error(n->quota,
			   ram_tier_resize(rt(t), n->fd, old_size, new_size));
}

static int ram_populate(struct tier *t, struct node *n, uint64_t offset,
			uint64_t len)
{
	(void)t;
	return quota_error(n->quota, ram_tier_populate(n->fd, offset, len));
}

static void ram_count_writes(struct tier *t, struct node *n)
{
	(void)t, (void)n; /* tmpfs counts every page itself */
}

static void ram_release(struct tier *t, struct node *n)
{
	(void)t; /* tmpfs frees the pages with the file */
	quota_put(n->quota);
	n->quota = NULL;
}

static uint64_t ram_capacity(const struct tier *t)
{
	return ram_tier_capacity(rt(t));
}

static uint64_t ram_used(const struct tier *t)
{
	return quota_tier_used(rt(t)); /* the users' parts too */
}

static void ram_close(struct tier *t)
{
	quota_cleanup();
	ram_tier_close(rt(t));
	free(t);
}

static const struct tier_ops ram_ops = {
    .create = ram_create,
    .resize = ram_resize,
    .populate = ram_populate,
    .count_writes = ram_count_writes,
    .release = ram_release,
    .capacity = ram_capacity,
    .used = ram_used,
    .close = ram_close,
};

struct tier *tier_ram_open(uint64_t capacity, uint64_t user_quota)
{
	struct ram *r = malloc(sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->rt = ram_tier_open(capacity);
	if (!r->rt) {
		free(r);
		return NULL;
	}
	int rc = quota_init(r->rt, capacity, user_quota);
	if (rc < 0) {
		ram_tier_close(r->rt);
		free(r);
		errno = -rc;
		return NULL;
	}
	r->base = (struct tier){.ops = &ram_ops, .id = TIER_RAM};
	return &r->base;
}

void tier_attach(struct node *n, struct tier *t, int fd)
{
	n->tier = t;
	n->fd = fd;
	n->size_known = false; /* a new file */
	t->buffers++;
}

void tier_detach(struct node *n)
{
	n->tier->ops->release(n->tier, n);
	n->tier->buffers--;
	n->tier = NULL;
	n->charged = 0;
	n->size_known = false;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

/* Copies SIZE bytes from IN to OUT, in the kernel when it can. */
static int copy_data(int in, int out, uint64_t size)
{
	loff_t ioff = 0, ooff = 0;
	while ((uint64_t)ioff < size) {
		ssize_t n = copy_file_range(in, &ioff, out, &ooff,
					    size - (uint64_t)ioff, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return -EIO; /* the source is shorter than its size */
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP &&
		    errno != ENOSYS)
			return -errno;
		break; /* across file systems: copy through a buffer */
	}
	enum { CHUNK = 1 << 20 };
	char *chunk = (uint64_t)ioff < size ? malloc(CHUNK) : NULL;
	if (!chunk)
		return (uint64_t)ioff < size ? -ENOMEM : 0;
	int rc = 0;
	while (rc == 0 && (uint64_t)ioff < size) {
		size_t want = size - (uint64_t)ioff < CHUNK
				  ? (size_t)(size - (uint64_t)ioff)
				  : CHUNK;
		ssize_t r = pread(in, chunk, want, ioff);
		if (r <= 0)
			rc = r < 0 ? -errno : -EIO;
		for (ssize_t done = 0; rc == 0 && done < r;) {
			ssize_t w =
			    pwrite(out, chunk + done, (size_t)(r - done), ooff);
			if (w < 0)
				rc = -errno;
			else {
				done += w;
				ooff += w;
			}
		}
		ioff += r > 0 ? r : 0;
	}
	free(chunk);
	return rc;
}

/*
 * Whether a file other than FD has the file open for writing. A mapping
 * made through passthrough holds the kernel's own open of the backing
 * file after the FUSE file is closed (the daemon hears of no open): only
 * a write lease, which that open forbids, finds it.
 */
static bool open_elsewhere(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0)
		return errno == EAGAIN;
	fcntl(fd, F_SETLEASE, F_UNLCK);
	return false;
}

int tier_move(struct node *n, struct tier *to)
{
	if (n->tier == to)
		return 0;
	if (n->moving || n->opens || n->busy || (n->map && n->map->refs > 1) ||
	    open_elsewhere(n->fd))
		return -EBUSY;
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return -errno;
	/* The new file, sized (space reserved) and filled aside first. */
	struct node tmp = *n;
	tmp.charged = 0;
	tmp.quota = NULL;
	tmp.fd = to->ops->create(to, &tmp); /* into RAM: the owner's part */
	if (tmp.fd < 0) {
		to->ops->release(to, &tmp);
		return tmp.fd;
	}
	int rc = to->ops->resize(to, &tmp, 0, (uint64_t)st.st_size);
	if (rc == 0) {
		/*
		 * The copy may take long: the tree is not held up meanwhile.
		 * MOVING turns away opens, commands and resizes, and BUSY
		 * keeps the node alive.
		 */
		n->moving = true;
		n->busy++;
		pthread_mutex_unlock(&tree_lock);
		/* with a bus (bus.h), it takes at least as long as over it */
		enum bus_dir dir =
		    to->id == TIER_RAM ? BUS_TIER_IN : BUS_TIER_OUT;
		uint64_t start = now_ns();
		uint64_t due = bus_schedule(dir, (uint64_t)st.st_size, start);
		rc = copy_data(n->fd, tmp.fd, (uint64_t)st.st_size);
		bus_account_real(dir, now_ns() - start);
		bus_wait_until(due);
		pthread_mutex_lock(&tree_lock);
		n->busy--;
		n->moving = false;
	}
	if (rc < 0) {
		to->ops->release(to, &tmp);
		close(tmp.fd);
		return rc;
	}
	bufmap_put(n->map); /* only the node's own reference is left */
	n->map = NULL;
	tier_detach(n);
	tier_attach(n, to, tmp.fd);
	n->charged = tmp.charged;
	n->quota = tmp.quota;
	return 0;
}
