#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fault_inject.h"
#include "mem/quota.h"
#include "mem/ram_tier.h"
#include "observe/log.h"

struct user_tier {
	struct user_tier *next;
	uid_t uid;
	uint64_t nbufs; /* buffers with their file in it */
	struct ram_tier *tier;
};

static struct {
	pthread_mutex_t lock; /* after tree_lock, if both */
	struct ram_tier *main;
	uint64_t vram, quota, set_aside;
	struct user_tier *users;
} Q = {.lock = PTHREAD_MUTEX_INITIALIZER};

int quota_init(struct ram_tier *main, uint64_t vram, uint64_t quota)
{
	if (quota > vram)
		return -EINVAL;
	Q.main = main;
	Q.vram = vram;
	Q.quota = quota;
	return 0;
}

void quota_cleanup(void)
{
	while (Q.users) {
		struct user_tier *u = Q.users;
		Q.users = u->next;
		ram_tier_close(u->tier);
		free(u);
	}
}

uint64_t quota_limit(void)
{
	return Q.quota;
}

/* UID's instance, made (and set aside) if there is none; lock held. */
static struct user_tier *user_tier_get(uid_t uid, int *err)
{
	for (struct user_tier *u = Q.users; u; u = u->next)
		if (u->uid == uid)
			return u;
	struct user_tier *u =
	    fault_inject("quota") ? NULL : calloc(1, sizeof(*u));
	if (!u) {
		*err = -ENOMEM;
		return NULL;
	}
	/*
	 * The main tier gives the room up first: it fails if root's buffers
	 * use it. A tmpfs cannot be 0 bytes (that means unlimited): it keeps
	 * a page at least, so that the total stays within --vram.
	 */
	uint64_t rest = Q.vram - Q.set_aside;
	int rc = rest >= Q.quota + 4096
		     ? ram_tier_set_size(Q.main, rest - Q.quota)
		     : -ENOSPC;
	if (rc == -EINVAL)
		rc = -ENOSPC;
	if (rc == 0) {
		u->tier = ram_tier_open(Q.quota);
		if (!u->tier) {
			rc = errno == EMFILE ? -ENOSPC : -errno;
			ram_tier_set_size(Q.main, Q.vram - Q.set_aside);
		}
	}
	if (rc < 0) {
		free(u);
		*err = rc;
		return NULL;
	}
	Q.set_aside += Q.quota;
	u->uid = uid;
	u->next = Q.users;
	Q.users = u;
	return u;
}

int quota_create(uid_t uid, struct user_tier **ut)
{
	*ut = NULL;
	if (!Q.quota || uid == 0)
		return ram_tier_create(Q.main);
	int err = 0;
	pthread_mutex_lock(&Q.lock);
	struct user_tier *u = user_tier_get(uid, &err);
	int fd = u ? ram_tier_create(u->tier) : err;
	if (fd >= 0) {
		u->nbufs++;
		*ut = u;
	} else if (u && !u->nbufs) {
		pthread_mutex_unlock(&Q.lock);
		quota_put(u); /* nbufs 0: gives it back */
		return fd;
	}
	pthread_mutex_unlock(&Q.lock);
	return fd;
}

void quota_put(struct user_tier *ut)
{
	if (!ut)
		return;
	pthread_mutex_lock(&Q.lock);
	if (ut->nbufs && --ut->nbufs) {
		pthread_mutex_unlock(&Q.lock);
		return;
	}
	for (struct user_tier **p = &Q.users; *p; p = &(*p)->next)
		if (*p == ut) {
			*p = ut->next;
			break;
		}
	/* its files are closed: the instance and its memory go now */
	ram_tier_close(ut->tier);
	Q.set_aside -= Q.quota;
	if (ram_tier_set_size(Q.main, Q.vram - Q.set_aside) < 0)
		log_warn("cannot give %llu bytes back to the RAM tier: %m",
			 (unsigned long long)Q.quota);
	pthread_mutex_unlock(&Q.lock);
	free(ut);
}

int quota_error(const struct user_tier *ut, int err)
{
	return ut && err == -ENOSPC ? -EDQUOT : err;
}

uint64_t quota_tier_used(const struct ram_tier *main)
{
	uint64_t used = ram_tier_used(main);
	pthread_mutex_lock(&Q.lock);
	for (struct user_tier *u = Q.users; u; u = u->next)
		used += ram_tier_used(u->tier);
	pthread_mutex_unlock(&Q.lock);
	return used;
}

uint64_t quota_avail(uid_t uid, uint64_t free)
{
	if (!Q.quota)
		return free;
	pthread_mutex_lock(&Q.lock);
	uint64_t main_used = ram_tier_used(Q.main);
	uint64_t main_size = Q.vram - Q.set_aside;
	uint64_t avail = main_used < main_size ? main_size - main_used : 0;
	if (uid != 0) {
		avail = avail >= Q.quota ? Q.quota : 0;
		for (struct user_tier *u = Q.users; u; u = u->next)
			if (u->uid == uid) {
				uint64_t used = ram_tier_used(u->tier);
				avail = used < Q.quota ? Q.quota - used : 0;
			}
	}
	pthread_mutex_unlock(&Q.lock);
	return avail;
}

size_t quota_list(uid_t viewer, struct quota_use *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&Q.lock);
	for (struct user_tier *u = Q.users; u && n < max; u = u->next)
		if (viewer == 0 || u->uid == viewer)
			out[n++] = (struct quota_use){
			    u->uid, ram_tier_used(u->tier), Q.quota};
	pthread_mutex_unlock(&Q.lock);
	return n;
}
