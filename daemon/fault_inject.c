#include <stdlib.h>
#include <string.h>

#include "fault_inject.h"

#ifdef VGPUFS_FAULT_INJECTION
bool fault_inject(const char *site)
{
	const char *list = getenv("VGPUFS_FAULT");
	size_t n = strlen(site);
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && memcmp(p, site, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}
#endif
