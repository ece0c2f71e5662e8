#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "observe/user_kernels.h"

/* Under LOCK: a launch adds to one row, a reading copies the table. */
static struct {
	pthread_mutex_t lock;
	size_t n;
	struct user_kernel row[USER_KERNELS_MAX];
} uk = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* UID's row for NAME, made if new; the last row ("other") when full. */
static struct user_kernel *row_for(uid_t uid, const char *name)
{
	for (size_t i = 0; i < uk.n; i++)
		if (uk.row[i].uid == uid &&
		    strncmp(uk.row[i].name, name, USER_KERNEL_NAME_MAX - 1) ==
			0)
			return &uk.row[i];
	struct user_kernel *r = &uk.row[uk.n];
	if (uk.n == USER_KERNELS_MAX - 1) { /* the last row: the rest */
		if (!r->name[0])
			strcpy(r->name, USER_KERNELS_OTHER);
		return r;
	}
	uk.n++;
	r->uid = uid;
	strncpy(r->name, name, USER_KERNEL_NAME_MAX - 1);
	return r;
}

void user_kernel_done(uid_t uid, const char *name, int err, uint64_t ns,
		      uint64_t bytes)
{
	pthread_mutex_lock(&uk.lock);
	struct user_kernel *r = row_for(uid, name);
	r->count++;
	if (err) {
		r->failed++;
	} else {
		r->ns += ns;
		r->bytes += bytes;
	}
	pthread_mutex_unlock(&uk.lock);
}

long user_kernels_list(uid_t viewer, struct user_kernel **out)
{
	*out = NULL;
	pthread_mutex_lock(&uk.lock);
	size_t all = uk.n + (uk.row[USER_KERNELS_MAX - 1].count != 0);
	struct user_kernel *v = all ? malloc(all * sizeof(*v)) : NULL;
	long n = 0;
	for (size_t i = 0; v && i < USER_KERNELS_MAX; i++) {
		const struct user_kernel *r = &uk.row[i];
		bool used = i < uk.n || (i == USER_KERNELS_MAX - 1 && r->count);
		if (used && (viewer == 0 || r->uid == viewer))
			v[n++] = *r;
	}
	pthread_mutex_unlock(&uk.lock);
	if (all && !v)
		return -ENOMEM;
	*out = v;
	return n;
}
