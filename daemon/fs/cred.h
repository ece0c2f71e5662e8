/* Who a request or command acts for, and the file permission check. */
#ifndef VGPUFSD_CRED_H
#define VGPUFSD_CRED_H

#include <stdbool.h>
#include <sys/types.h>

#define CRED_GROUPS_UNLOADED   (-1)
#define CRED_GROUPS_UNREADABLE (-2)

struct cred {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	/* supplementary groups, or CRED_GROUPS_UNLOADED, _UNREADABLE */
	int ngroups;
	gid_t *groups; /* allocated when loaded: cred_release */
};

/* A request's CRED: groups not loaded until a check needs them. */
#define CRED_INIT(u, g, p)                                                     \
	((struct cred){.uid = (u),                                             \
		       .gid = (g),                                             \
		       .pid = (p),                                             \
		       .ngroups = CRED_GROUPS_UNLOADED})

#define PERM_R 4
#define PERM_W 2
#define PERM_X 1

/*
 * Whether CRED may access a file of OWNER/GROUP/MODE with the PERM_* bits
 * in WANT, as the kernel's generic permission check decides (root passes
 * read and write always, execute/search when any x bit is set).
 * Supplementary groups are loaded from /proc on first need, all of
 * them; when they cannot be read, a check that depends on them fails.
 */
bool cred_allows(struct cred *cred, uid_t owner, gid_t group, mode_t mode,
		 int want);
/*
 * A copy of SRC for checks made later, when its process may be gone (a
 * launch binds its buffers on a worker): the groups are loaded now. 0 or
 * -ENOMEM; DST is released with cred_release.
 */
int cred_keep(struct cred *dst, struct cred *src);
/* Frees the group list a check loaded (CRED may be used again). */
void cred_release(struct cred *cred);

#endif
