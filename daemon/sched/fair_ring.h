/*
 * A fair-share ring: the runnable members of one level of the scheduler
 * (users, or one user's contexts), each with the worker time it has used.
 * The next worker goes to the member that has used the least. A member that
 * joins starts from the least time among the others (or the least seen
 * last, when it is alone), so that idling earns no credit.
 */
#ifndef VGPUFSD_FAIR_RING_H
#define VGPUFSD_FAIR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fair_node {
	uint64_t vtime;		       /* worker time used, ns */
	struct fair_node *next, *prev; /* NULL: not in a ring */
};

struct fair_ring {
	struct fair_node *head;
	uint64_t floor; /* the least vtime in the ring, last seen */
};

static inline bool fair_member(const struct fair_node *n)
{
	return n->next != NULL;
}

/* The member that has used the least; ties go to the longest in. */
static inline struct fair_node *fair_pick(struct fair_ring *r)
{
	struct fair_node *best = r->head;
	for (struct fair_node *n = best->next; n != r->head; n = n->next)
		if (n->vtime < best->vtime)
			best = n;
	r->floor = best->vtime;
	return best;
}

static inline void fair_add(struct fair_ring *r, struct fair_node *n)
{
	uint64_t floor = r->head ? fair_pick(r)->vtime : r->floor;
	if (n->vtime < floor)
		n->vtime = floor;
	if (!r->head) {
		n->next = n->prev = n;
		r->head = n;
		return;
	}
	n->next = r->head;
	n->prev = r->head->prev;
	r->head->prev->next = n;
	r->head->prev = n;
}

static inline void fair_remove(struct fair_ring *r, struct fair_node *n)
{
	if (n->next == n)
		r->head = NULL;
	else {
		n->prev->next = n->next;
		n->next->prev = n->prev;
		if (r->head == n)
			r->head = n->next;
	}
	n->next = n->prev = NULL;
}

#endif
