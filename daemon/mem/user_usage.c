#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "observe/log.h"
#include "mem/user_usage.h"

struct user_usage {
	struct user_usage *next;
	uid_t uid;
	uint64_t nodes, disk;
	bool warned; /* the log said once that they hit --user-buffers */
};

static struct {
	pthread_mutex_t lock; /* after tree_lock, if both */
	uint64_t max_nodes, max_disk;
	struct user_usage *users; /* those holding anything */
} U = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .max_nodes = USAGE_UNLIMITED,
       .max_disk = USAGE_UNLIMITED};

void usage_init(uint64_t max_nodes, uint64_t max_disk)
{
	U.max_nodes = max_nodes;
	U.max_disk = max_disk;
}

void usage_cleanup(void)
{
	while (U.users) {
		struct user_usage *u = U.users;
		U.users = u->next;
		free(u);
	}
}

uint64_t usage_node_limit(void)
{
	return U.max_nodes;
}

uint64_t usage_disk_limit(void)
{
	return U.max_disk;
}

/* UID's entry (made if MAKE); lock held. NULL for root, or no memory. */
static struct user_usage *find(uid_t uid, bool make)
{
	if (uid == 0)
		return NULL;
	for (struct user_usage *u = U.users; u; u = u->next)
		if (u->uid == uid)
			return u;
	struct user_usage *u = make ? calloc(1, sizeof(*u)) : NULL;
	if (u) {
		u->uid = uid;
		u->next = U.users;
		U.users = u;
	}
	return u;
}

/* Drops U's entry once it holds nothing; lock held. */
static void drop_if_empty(struct user_usage *u)
{
	if (!u || u->nodes || u->disk)
		return;
	for (struct user_usage **p = &U.users; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	free(u);
}

int usage_node_check(uid_t uid)
{
	if (uid == 0 || U.max_nodes == USAGE_UNLIMITED)
		return 0;
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, false);
	int rc = u && u->nodes >= U.max_nodes ? -EDQUOT : 0;
	if (rc && !u->warned) {
		u->warned = true;
		log_warn("user %u holds %llu buffers and directories, as many "
			 "as --user-buffers allows: making more fails with "
			 "EDQUOT",
			 (unsigned)uid, (unsigned long long)u->nodes);
	}
	pthread_mutex_unlock(&U.lock);
	return rc;
}

void usage_node_add(uid_t uid)
{
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, true);
	if (u)
		u->nodes++;
	pthread_mutex_unlock(&U.lock);
}

void usage_node_sub(uid_t uid)
{
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, false);
	if (u && u->nodes) {
		u->nodes--;
		u->warned = u->warned && u->nodes >= U.max_nodes;
		drop_if_empty(u);
	}
	pthread_mutex_unlock(&U.lock);
}

int usage_disk_charge(uid_t uid, uint64_t old, uint64_t new, bool force)
{
	if (uid == 0 || old == new)
		return 0;
	int rc = 0;
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, new > old);
	if (u) {
		uint64_t rest = u->disk >= old ? u->disk - old : 0;
		if (new > old && !force &&
		    (rest > U.max_disk || new > U.max_disk - rest))
			rc = -EDQUOT;
		else
			u->disk = rest + new;
		drop_if_empty(u);
	}
	pthread_mutex_unlock(&U.lock);
	return rc;
}

bool usage_disk_over(uid_t uid)
{
	if (uid == 0 || U.max_disk == USAGE_UNLIMITED)
		return false;
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, false);
	bool over = u && u->disk > U.max_disk;
	pthread_mutex_unlock(&U.lock);
	return over;
}

void usage_chown(uid_t from, uid_t to, uint64_t disk)
{
	if (from == to)
		return;
	pthread_mutex_lock(&U.lock);
	struct user_usage *f = find(from, false), *t = find(to, true);
	if (f) {
		f->nodes -= f->nodes ? 1 : 0;
		f->disk -= f->disk >= disk ? disk : f->disk;
		drop_if_empty(f);
	}
	if (t) {
		t->nodes++;
		t->disk += disk;
	}
	pthread_mutex_unlock(&U.lock);
}

void usage_of(uid_t uid, uint64_t *nodes, uint64_t *disk)
{
	pthread_mutex_lock(&U.lock);
	struct user_usage *u = find(uid, false);
	*nodes = u ? u->nodes : 0;
	*disk = u ? u->disk : 0;
	pthread_mutex_unlock(&U.lock);
}
