#include <stdio.h>

#include "human_size.h"

void human_size(uint64_t bytes, char *out, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;
	while (v >= 1024 && u < 5)
		v /= 1024, u++;
	if (u < 0)
		snprintf(out, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(out, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}
