/* Walking mem/: every buffer and directory with its size and owner. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vgpufs/file_tree.h>

#include "client.h"

struct walk {
	vgpu_device *dev;
	int (*fn)(const vgpu_entry *, void *);
	void *arg;
};

static int not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* The user.vgpu.tier of mem/PATH into TIER ("" if none). */
static void entry_tier(const vgpu_device *dev, const char *path, char tier[8])
{
	char full[4200];
	snprintf(full, sizeof(full), "/proc/self/fd/%d/%s", dev->memfd, path);
	ssize_t n = lgetxattr(full, VGPU_XATTR_TIER, tier, 7);
	tier[n > 0 ? n : 0] = '\0';
}

/* Lists the directory mem/REL ("" for mem/ itself). */
static int walk_dir(struct walk *w, const char *rel)
{
	struct dirent **names;
	int n = scandirat(w->dev->memfd, *rel ? rel : ".", &names, not_dots,
			  alphasort);
	if (n < 0)
		return dev_fail(w->dev, -errno, "mem/%s: %s", rel,
				strerror(errno));
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		int len = snprintf(path, sizeof(path), "%s%s%s", rel,
				   *rel ? "/" : "", names[i]->d_name);
		struct stat st;
		if (rc != 0 || len >= (int)sizeof(path))
			; /* stopped, or a path too long to name */
		else if (fstatat(w->dev->memfd, path, &st,
				 AT_SYMLINK_NOFOLLOW) < 0)
			rc = errno == ENOENT
				 ? 0 /* removed meanwhile */
				 : dev_fail(w->dev, -errno, "mem/%s: %s", path,
					    strerror(errno));
		else {
			char tier[8];
			entry_tier(w->dev, path, tier);
			vgpu_entry e = {.tier = tier,
					.name = path,
					.is_dir = S_ISDIR(st.st_mode),
					.size = (uint64_t)st.st_size,
					.handle = st.st_ino,
					.uid = st.st_uid,
					.gid = st.st_gid,
					.mode = st.st_mode};
			rc = w->fn(&e, w->arg);
			if (rc == 0 && e.is_dir)
				rc = walk_dir(w, path);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int vgpu_list(vgpu_device *dev, const char *dir,
	      int (*fn)(const vgpu_entry *entry, void *arg), void *arg)
{
	if (dir && *dir) {
		int rc = dev_check_name(dev, dir);
		if (rc < 0)
			return rc;
	}
	struct walk w = {dev, fn, arg};
	return walk_dir(&w, dir ? dir : "");
}
