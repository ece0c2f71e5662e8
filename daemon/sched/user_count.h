/*
 * A count per user (uid -> n) for per-user limits: contexts open, requests
 * parked. A small array, as users are few; an entry goes when its count
 * drops to 0, and the array when it is empty. The caller locks.
 */
#ifndef VGPUFSD_USER_COUNT_H
#define VGPUFSD_USER_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct user_counts {
	struct user_count *v;
	size_t n, cap;
};

/*
 * Adds one to UID's count unless it is at LIMIT (0: no limit): 0, -EAGAIN
 * at the limit, -ENOMEM. *WAS_FULL (may be NULL) is set when the previous
 * add for UID was refused too: for a log line once per crossing.
 */
int user_count_add(struct user_counts *t, uid_t uid, unsigned limit,
		   bool *was_full);
/* Takes one off UID's count (which must be above 0). */
void user_count_sub(struct user_counts *t, uid_t uid);

#endif
