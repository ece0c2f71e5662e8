#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fs/mountpoint.h"
#include "observe/log.h"

/* Whether PATH is a mount point of a vgpufs file system (mountinfo). */
static bool vgpufs_mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[8192], mnt[4096], fstype[256];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* id parent major:minor root MOUNTPOINT opts... - FSTYPE src */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		const char *dash = strstr(line, " - ");
		if (dash && sscanf(dash + 3, "%255s", fstype) == 1 &&
		    strcmp(mnt, path) == 0 &&
		    strcmp(fstype, "fuse.vgpufs") == 0)
			found = true;
	}
	fclose(f);
	return found;
}

static int make_dirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A FUSE mount whose daemon is gone answers ENOTCONN (or ECONNABORTED). */
static bool dead_mount(const char *path)
{
	struct statfs sf;
	/* statfs always reaches the daemon: stat may come from the cache. */
	return statfs(path, &sf) < 0 &&
	       (errno == ENOTCONN || errno == ECONNABORTED);
}

int mountpoint_prepare(const char *path)
{
	if (dead_mount(path)) {
		log_warn("%s: stale mount of a dead daemon, detaching it",
			 path);
		if (umount2(path, MNT_DETACH) < 0) {
			log_err("%s: cannot detach the stale mount: %m", path);
			return -errno;
		}
	} else if (vgpufs_mounted_at(path)) {
		log_err("%s: a running vgpufsd already serves this device "
			"(stop it first, or pick another mount point)",
			path);
		return -EBUSY;
	}
	struct stat st;
	if (stat(path, &st) < 0) {
		int err = errno;
		if (err != ENOENT) {
			log_err("%s: %s", path, strerror(err));
			return -err;
		}
		int rc = make_dirs(path);
		if (rc < 0)
			log_err("%s: cannot create the mount point: %s", path,
				strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_err("%s: not a directory", path);
		return -ENOTDIR;
	}
	return 0;
}
