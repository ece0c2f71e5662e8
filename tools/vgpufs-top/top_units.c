/* Times as people read them: uptimes, worker times. */
#include <stdio.h>

#include "top.h"

void top_uptime(double seconds, char *out, size_t len)
{
	unsigned long long s = seconds > 0 ? (unsigned long long)seconds : 0;
	unsigned long long d = s / 86400;
	if (d)
		snprintf(out, len, "%llud %llu:%02llu:%02llu", d, s / 3600 % 24,
			 s / 60 % 60, s % 60);
	else
		snprintf(out, len, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60,
			 s % 60);
}

void top_cputime(double seconds, char *out, size_t len)
{
	unsigned long long cs =
	    seconds > 0 ? (unsigned long long)(seconds * 100 + 0.5) : 0;
	snprintf(out, len, "%llu:%02llu.%02llu", cs / 6000, cs / 100 % 60,
		 cs % 100);
}
