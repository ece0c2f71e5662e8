#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "device.h"
#include "mem/buffer.h"
#include "mem/tier_auto.h"
#include "observe/log.h"

static uint64_t ram_free(const struct device *dev)
{
	const struct tier *ram = dev->tiers[TIER_RAM];
	uint64_t cap = tier_capacity(ram), used = tier_used(ram);
	return used < cap ? cap - used : 0;
}

struct candidate {
	uint64_t ino, last_used;
};

struct collect {
	struct candidate *c;
	size_t n, cap;
	uint64_t bytes; /* the RAM they hold */
	const struct node *keep;
};

static void collect(struct node *n, void *arg)
{
	struct collect *co = arg;
	if (n == co->keep || n->tier->id != TIER_RAM || n->tier_pinned ||
	    n->opens || n->busy || n->moving || n->unlinked)
		return;
	if (co->n == co->cap) {
		size_t cap = co->cap ? co->cap * 2 : 64;
		struct candidate *p = realloc(co->c, cap * sizeof(*p));
		if (!p)
			return;
		co->c = p;
		co->cap = cap;
	}
	struct stat st;
	if (fstat(n->fd, &st) == 0)
		co->bytes += (uint64_t)st.st_blocks * 512;
	co->c[co->n++] = (struct candidate){n->ino, n->last_used_ns};
}

static int by_age(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	return x->last_used < y->last_used ? -1 : x->last_used > y->last_used;
}

bool tier_auto_make_room(const struct device *dev, uint64_t need,
			 const struct node *keep)
{
	struct tier *disk = dev->tiers[TIER_DISK];
	if (!dev->opts->auto_tier || !disk)
		return false;
	struct collect co = {.keep = keep};
	node_for_each_buffer(collect, &co);
	/* Nothing moves for a request that could not be met anyway. */
	if (ram_free(dev) + co.bytes < need)
		co.n = 0;
	qsort(co.c, co.n, sizeof(*co.c), by_age);
	/*
	 * By inode number, looked up again each time: a move releases the
	 * tree's lock, and the others may be gone or in use by then.
	 */
	for (size_t i = 0; i < co.n && ram_free(dev) < need; i++) {
		struct node *n = node_by_ino(co.c[i].ino);
		if (!n || n->kind != NK_BUF || n->tier->id != TIER_RAM ||
		    n->opens || n->busy || n->moving || n->unlinked)
			continue;
		n->demoted = true; /* in its record on disk */
		int rc = buffer_move(dev, n, disk);
		if (rc < 0)
			n->demoted = false;
		if (rc < 0 && rc != -EBUSY)
			log_debug("cannot demote buffer %llu: %d",
				  (unsigned long long)n->ino, rc);
	}
	free(co.c);
	return ram_free(dev) >= need;
}

void tier_auto_promote(const struct device *dev, struct node *n)
{
	struct stat st;
	if (!n->demoted || !dev->opts->auto_tier || n->opens || n->busy ||
	    n->moving || fstat(n->fd, &st) < 0)
		return;
	/* Only into room that is there: a promotion never demotes others. */
	if (ram_free(dev) < (uint64_t)st.st_size + 4096)
		return;
	if (buffer_move(dev, n, dev->tiers[TIER_RAM]) == 0)
		n->demoted = false; /* its record is gone with its file */
}
