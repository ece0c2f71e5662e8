#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/cred.h"

/* Supplementary groups of PID from /proc (as the FUSE request gives none). */
static void load_groups(struct cred *c)
{
	char path[64], line[1024];
	c->ngroups = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		char *p = line + 7, *end;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p || c->ngroups == CRED_MAX_GROUPS)
				break;
			c->groups[c->ngroups++] = (gid_t)g;
			p = end;
		}
		break;
	}
	fclose(f);
}

static bool in_group(struct cred *c, gid_t g)
{
	if (c->gid == g)
		return true;
	if (c->ngroups < 0)
		load_groups(c);
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

bool cred_allows(struct cred *c, uid_t owner, gid_t group, mode_t mode,
		 int want)
{
	if (c->uid == 0)
		return !(want & PERM_X) || (mode & 0111) || S_ISDIR(mode);
	int bits;
	if (c->uid == owner)
		bits = (mode >> 6) & 7;
	else if (in_group(c, group))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return (bits & want) == want;
}
