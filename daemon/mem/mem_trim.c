#include <malloc.h>

#include "mem/mem_trim.h"

/* Below this many objects at the peak, the memory is not worth a trim. */
#define TRIM_MIN_PEAK 256

void mem_trim_count(struct mem_watermark *w, uint64_t live)
{
	if (live > w->peak) {
		w->peak = live;
		return;
	}
	if (w->peak < TRIM_MIN_PEAK || live > w->peak / 2)
		return;
	w->peak = live;
	malloc_trim(0);
}
