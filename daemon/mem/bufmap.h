/*
 * The daemon's own MAP_SHARED view of a buffer, which kernels compute on.
 * Mappings are kept and reused (page faults on every command would cost
 * more than small kernels); a command holds a reference to the mapping it
 * uses, so growing a buffer can install a larger one meanwhile. A mapping
 * whose page could not be provided under a kernel is lost (fault_guard.h):
 * never handed out again, and dropped by the node with its last command.
 */
#ifndef VGPUFSD_BUFMAP_H
#define VGPUFSD_BUFMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct node;

struct bufmap {
	void *addr;
	size_t len;
	unsigned refs; /* under tree_lock */
	/* Replaced by private zeros: it no longer shows the file. */
	_Atomic bool lost;
};

/*
 * A mapping of N's backing file covering at least NEED bytes, with a
 * reference for the caller (tree_lock held). NULL and -errno in *ERR.
 */
struct bufmap *bufmap_get(struct node *n, uint64_t need, int *err);
/* Drops a reference (tree_lock held); NULL is fine. */
void bufmap_put(struct bufmap *m);
/*
 * A command on N is done with its mapping M (tree_lock held): drops its
 * reference, and the node's too if M is lost, so that the private memory
 * goes with the last command that used it.
 */
void bufmap_done(struct node *n, struct bufmap *m);

#endif
