#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/cred.h"

/* The numbers of a "Groups:" line, all of them, into C; false if not. */
static bool parse_groups(struct cred *c, const char *p)
{
	size_t cap = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0')
			return true;
		char *end;
		unsigned long g = strtoul(p, &end, 10);
		if (end == p || g > (gid_t)-1)
			return false;
		if ((size_t)c->ngroups == cap) {
			cap = cap ? cap * 2 : 64;
			gid_t *more = realloc(c->groups, cap * sizeof(gid_t));
			if (!more)
				return false;
			c->groups = more;
		}
		c->groups[c->ngroups++] = (gid_t)g;
		p = end;
	}
}

/*
 * Supplementary groups of PID from /proc (as the FUSE request gives
 * none): all of them, however many (up to NGROUPS_MAX, 65536, whose line
 * is some 700 KB), or none and CRED_GROUPS_UNREADABLE.
 */
static void load_groups(struct cred *c)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool ok = false;
	c->ngroups = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	FILE *f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0)
		if (strncmp(line, "Groups:", 7) == 0) {
			ok = parse_groups(c, line + 7);
			break;
		}
	if (f)
		fclose(f);
	free(line);
	if (!ok) {
		free(c->groups);
		c->groups = NULL;
		c->ngroups = CRED_GROUPS_UNREADABLE;
	}
}

int cred_keep(struct cred *dst, struct cred *src)
{
	if (src->uid != 0 && src->ngroups == CRED_GROUPS_UNLOADED)
		load_groups(src);
	*dst = *src;
	dst->groups = NULL;
	if (src->ngroups > 0) {
		dst->groups = malloc((size_t)src->ngroups * sizeof(gid_t));
		if (!dst->groups)
			return -ENOMEM;
		memcpy(dst->groups, src->groups,
		       (size_t)src->ngroups * sizeof(gid_t));
	}
	return 0;
}

void cred_release(struct cred *c)
{
	free(c->groups);
	c->groups = NULL;
	c->ngroups = CRED_GROUPS_UNLOADED;
}

/* Whether C is in group G: -1 when its groups cannot be read. */
static int in_group(struct cred *c, gid_t g)
{
	if (c->gid == g)
		return 1;
	if (c->ngroups == CRED_GROUPS_UNLOADED)
		load_groups(c);
	if (c->ngroups == CRED_GROUPS_UNREADABLE)
		return -1;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return 1;
	return 0;
}

bool cred_allows(struct cred *c, uid_t owner, gid_t group, mode_t mode,
		 int want)
{
	if (c->uid == 0)
		return !(want & PERM_X) || (mode & 0111) || S_ISDIR(mode);
	int bits;
	if (c->uid == owner)
		bits = (mode >> 6) & 7;
	else {
		int member = in_group(c, group);
		if (member < 0)
			return false; /* never decided on a partial list */
		bits = member ? (mode >> 3) & 7 : mode & 7;
	}
	return (bits & want) == want;
}
