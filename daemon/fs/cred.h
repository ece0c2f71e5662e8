/* Who a request or command acts for, and the file permission check. */
#ifndef VGPUFSD_CRED_H
#define VGPUFSD_CRED_H

#include <stdbool.h>
#include <sys/types.h>

#define CRED_MAX_GROUPS 64

struct cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int ngroups; /* -1: supplementary groups not loaded yet */
	gid_t groups[CRED_MAX_GROUPS];
};

#define PERM_R 4
#define PERM_W 2
#define PERM_X 1

/*
 * Whether CRED may access a file of OWNER/GROUP/MODE with the PERM_* bits
 * in WANT, as the kernel's generic permission check decides (root passes
 * read and write always, execute/search when any x bit is set).
 * Supplementary groups are loaded from /proc on first need.
 */
bool cred_allows(struct cred *cred, uid_t owner, gid_t group, mode_t mode,
		 int want);

#endif
