#include <stdlib.h>
#include <sys/stat.h>

#include "device.h"
#include "fs/node.h"
#include "mem/tier_auto.h"

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
	if (n == co->keep || !tier_auto_demotable(n))
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

bool tier_auto_enabled(const struct device *dev)
{
	return dev->opts->auto_tier && dev->tiers[TIER_DISK];
}

bool tier_auto_has_room(const struct device *dev, uint64_t need)
{
	return ram_free(dev) >= need;
}

bool tier_auto_demotable(const struct node *n)
{
	return n && n->kind == NK_BUF && n->tier->id == TIER_RAM &&
	       !n->tier_pinned && !n->opens && !n->busy && !n->moving &&
	       !n->unlinked;
}

size_t tier_auto_victims(const struct device *dev, uint64_t need,
			 const struct node *keep, uint64_t **inos)
{
	*inos = NULL;
	if (!tier_auto_enabled(dev))
		return 0;
	struct collect co = {.keep = keep};
	node_for_each_buffer(collect, &co);
	/* Nothing moves for a request that could not be met anyway. */
	if (ram_free(dev) + co.bytes < need)
		co.n = 0;
	qsort(co.c, co.n, sizeof(*co.c), by_age);
	uint64_t *out = co.n ? malloc(co.n * sizeof(*out)) : NULL;
	size_t n = out ? co.n : 0;
	for (size_t i = 0; i < n; i++)
		out[i] = co.c[i].ino;
	free(co.c);
	*inos = out;
	return n;
}

bool tier_auto_should_promote(const struct device *dev, const struct node *n)
{
	struct stat st;
	if (!n->demoted || !dev->opts->auto_tier || n->opens || n->busy ||
	    n->moving || fstat(n->fd, &st) < 0)
		return false;
	/* Only into room that is there: a promotion never demotes others. */
	return ram_free(dev) >= (uint64_t)st.st_size + 4096;
}
