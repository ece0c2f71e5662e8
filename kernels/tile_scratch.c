#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "tile_scratch.h"

/* A claim flag a slot, each on its own cache line; the slots follow. */
#define LINE 64

static size_t round_line(size_t n)
{
	return (n + LINE - 1) / LINE * LINE;
}

size_t vgpu_slots_scratch(struct vgpu_slots s)
{
	if (s.count == 0 || s.bytes == 0)
		return 0;
	return (size_t)s.count * (LINE + round_line(s.bytes));
}

static atomic_int *flag(const struct vgpu_launch *l, unsigned i)
{
	return (atomic_int *)((char *)l->scratch + (size_t)i * LINE);
}

static char *slot(const struct vgpu_launch *l, struct vgpu_slots s, unsigned i)
{
	return (char *)l->scratch + (size_t)s.count * LINE +
	       (size_t)i * round_line(s.bytes);
}

void *vgpu_slot_get(const struct vgpu_launch *l, struct vgpu_slots s)
{
	/* The scheduler zeroes the scratch: every flag starts free (0). */
	for (unsigned i = 0; l->scratch && i < s.count; i++)
		if (atomic_exchange_explicit(flag(l, i), 1,
					     memory_order_acquire) == 0)
			return slot(l, s, i);
	return aligned_alloc(LINE, round_line(s.bytes ? s.bytes : 1));
}

void vgpu_slot_put(const struct vgpu_launch *l, struct vgpu_slots s, void *p)
{
	uintptr_t a = (uintptr_t)p;
	if (l->scratch && s.count && a >= (uintptr_t)slot(l, s, 0) &&
	    a < (uintptr_t)slot(l, s, s.count)) {
		unsigned i = (unsigned)((a - (uintptr_t)slot(l, s, 0)) /
					round_line(s.bytes));
		atomic_store_explicit(flag(l, i), 0, memory_order_release);
		return;
	}
	free(p);
}
