/*
 * Giving memory back after a crowd is gone: when thousands of contexts or
 * buffers are freed, malloc keeps their pages in its arenas (one per FUSE
 * thread), so the daemon would stay as big as at its peak. A watermark per
 * kind of object trims the heap once the live count has halved from its
 * peak: rare (logarithmic in the peak), and never for small numbers.
 */
#ifndef VGPUFSD_MEM_TRIM_H
#define VGPUFSD_MEM_TRIM_H

#include <stdint.h>

struct mem_watermark {
	uint64_t peak; /* under the lock of whoever counts the objects */
};

/* LIVE objects of W's kind exist now (one more, or one fewer). */
void mem_trim_count(struct mem_watermark *w, uint64_t live);

#endif
