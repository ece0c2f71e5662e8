/*
 * Keeps a worker alive when the pages of a buffer it computes on vanish:
 * a user with a writable mapping can punch a hole into a buffer that a
 * queued command uses (madvise(MADV_REMOVE) acts on the RAM tier's file
 * directly, never asking the daemon), and when the tier is full the
 * kernel's next touch of that hole faults with SIGBUS. The guard puts a
 * private zero page there, lets the tile go on, and the command fails.
 */
#ifndef VGPUFSD_PAGE_GUARD_H
#define VGPUFSD_PAGE_GUARD_H

#include <stdbool.h>

struct job;

/* Installs the SIGBUS handler (once, before the workers start): 0/-errno. */
int page_guard_install(void);
/* The calling worker runs a tile of JOB from now on (NULL: none). */
void page_guard_enter(struct job *job);
/*
 * Ends the tile; true if pages of JOB's buffers were lost meanwhile (by
 * this tile or by any other using the same mapping: its writes went to
 * private pages).
 */
bool page_guard_leave(void);

#endif
