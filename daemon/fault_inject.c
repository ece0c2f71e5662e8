#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static atomic_bool cancelled;

static void note_cancelled(void *arg)
{
	(void)arg;
	atomic_store(&cancelled, true);
}

void fault_sleep(unsigned ms)
{
	pthread_cleanup_push(note_cancelled, NULL);
	usleep(ms * 1000u);
	pthread_cleanup_pop(0);
}

bool fault_sleep_cancelled(void)
{
	return atomic_load(&cancelled);
}
#endif
