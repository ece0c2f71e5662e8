/* The tier interface, and the RAM tier behind it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "ram_tier.h"
#include "tier.h"

static const char *const names[TIER_COUNT] = {"ram", "disk"};

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

static int ram_create(struct tier *t, const struct node *n)
{
	(void)n;
	return ram_tier_create(rt(t));
}

static int ram_resize(struct tier *t, struct node *n, uint64_t old_size,
		      uint64_t new_size)
{
	return ram_tier_resize(rt(t), n->fd, old_size, new_size);
}

static int ram_populate(struct tier *t, struct node *n, const struct stat *st)
{
	(void)t;
	return ram_tier_populate_node(n, st);
}

static void ram_release(struct tier *t, struct node *n)
{
	(void)t, (void)n; /* tmpfs frees the pages with the file */
}

static uint64_t ram_capacity(const struct tier *t)
{
	return ram_tier_capacity(rt(t));
}

static uint64_t ram_used(const struct tier *t)
{
	return ram_tier_used(rt(t));
}

static void ram_close(struct tier *t)
{
	ram_tier_close(rt(t));
	free(t);
}

static const struct tier_ops ram_ops = {
    .create = ram_create,
    .resize = ram_resize,
    .populate = ram_populate,
    .release = ram_release,
    .capacity = ram_capacity,
    .used = ram_used,
    .close = ram_close,
};

struct tier *tier_ram_open(uint64_t capacity)
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
	r->base = (struct tier){.ops = &ram_ops, .id = TIER_RAM};
	return &r->base;
}
