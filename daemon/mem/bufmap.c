#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs/node.h"
#include "mem/bufmap.h"

struct bufmap *bufmap_get(struct node *n, uint64_t need, int *err)
{
	if (n->map && n->map->len >= need && !atomic_load(&n->map->lost)) {
		n->map->refs++;
		return n->map;
	}
	struct stat st;
	if (fstat(n->fd, &st) < 0) {
		*err = -errno;
		return NULL;
	}
	/* Map the whole file (at least a page: no zero-length mappings). */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t len =
	    (uint64_t)st.st_size > need ? (uint64_t)st.st_size : need;
	len = len < page ? page : (len + page - 1) / page * page;
	struct bufmap *m = malloc(sizeof(*m));
	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	m->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, n->fd, 0);
	if (m->addr == MAP_FAILED) {
		*err = -errno;
		free(m);
		return NULL;
	}
	m->len = len;
	atomic_init(&m->lost, false);
	m->refs = 2; /* the node's and the caller's */
	bufmap_put(n->map);
	n->map = m;
	return m;
}

void bufmap_put(struct bufmap *m)
{
	if (!m || --m->refs)
		return;
	munmap(m->addr, m->len);
	free(m);
}

void bufmap_done(struct node *n, struct bufmap *m)
{
	if (m && n->map == m && atomic_load(&m->lost)) {
		n->map = NULL;
		m->refs--; /* the node's; the caller's keeps it until below */
	}
	bufmap_put(m);
}
