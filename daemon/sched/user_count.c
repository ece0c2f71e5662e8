#include <errno.h>
#include <stdlib.h>

#include "sched/user_count.h"

struct user_count {
	uid_t uid;
	unsigned n;
	bool full; /* the last add was refused */
};

static struct user_count *find(struct user_counts *t, uid_t uid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].uid == uid)
			return &t->v[i];
	return NULL;
}

int user_count_add(struct user_counts *t, uid_t uid, unsigned limit,
		   bool *was_full)
{
	struct user_count *u = find(t, uid);
	if (!u) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 8;
			struct user_count *v = realloc(t->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			t->v = v;
			t->cap = cap;
		}
		u = &t->v[t->n++];
		*u = (struct user_count){.uid = uid};
	}
	if (was_full)
		*was_full = u->full;
	u->full = limit && u->n >= limit;
	if (u->full)
		return -EAGAIN;
	u->n++;
	return 0;
}

void user_count_sub(struct user_counts *t, uid_t uid)
{
	struct user_count *u = find(t, uid);
	if (!u)
		return;
	u->full = false;
	if (--u->n)
		return;
	*u = t->v[--t->n];
	if (!t->n) {
		free(t->v);
		*t = (struct user_counts){0};
	}
}
