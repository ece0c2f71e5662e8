/* The history ring: one value per series and refresh, for the graphs. */
#include "top.h"

void top_history_push(struct top_history *h, const struct top_view *v)
{
	h->v[SER_UTIL][h->head] = v->util_pct;
	h->v[SER_COMMANDS][h->head] = v->commands_per_s;
	h->v[SER_GFLOPS][h->head] = v->gflops;
	h->v[SER_MEM][h->head] = (double)v->mem_used;
	h->head = (h->head + 1) % TOP_HISTORY_MAX;
	if (h->len < TOP_HISTORY_MAX)
		h->len++;
}

double top_history_get(const struct top_history *h, enum top_series s, size_t i)
{
	return h->v[s][(h->head + TOP_HISTORY_MAX - 1 - i) % TOP_HISTORY_MAX];
}

double top_history_max(const struct top_history *h, enum top_series s, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n && i < h->len; i++)
		if (top_history_get(h, s, i) > m)
			m = top_history_get(h, s, i);
	return m;
}
