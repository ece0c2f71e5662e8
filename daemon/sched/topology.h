/*
 * Where the workers run: spread over the CPUs the daemon may use, taking
 * NUMA nodes in turn, each worker pinned to its CPU and allocating on its
 * node. A one-node machine works the same, with one node.
 */
#ifndef VGPUFSD_TOPOLOGY_H
#define VGPUFSD_TOPOLOGY_H

#include <stdbool.h>

struct text_buf;

/* Plans WORKERS placements; 0 or -errno. */
int topology_init(unsigned workers);
/* Pins the calling thread as worker I. */
void topology_bind_worker(unsigned i);
unsigned topology_nodes(void);
/* "key: value" lines for info: nodes, CPUs, each worker's CPU and node. */
void topology_describe(struct text_buf *tb);

#endif
