#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fault_inject.h"
#include "mem/ram_tier.h"
#include "observe/log.h"

struct ram_tier {
	int mnt_fd;
	uint64_t capacity;
};

/* Sets the size limit of the tmpfs being configured by FS: 0 or -errno. */
static int config_size(int fs, uint64_t size)
{
	char text[32];
	snprintf(text, sizeof(text), "%" PRIu64, size);
	return fsconfig(fs, FSCONFIG_SET_STRING, "size", text, 0) < 0 ? -errno
								      : 0;
}

static int tmpfs_instance(uint64_t capacity)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int rc = config_size(fs, capacity);
	if (rc == 0 && fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0)
		rc = -errno;
	/* Huge pages make large kernels faster (fewer TLB misses); optional. */
	if (rc == 0 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "huge", "within_size", 0) < 0)
		log_debug("tmpfs without huge pages: %m");
	/*
	 * Every buffer is worked on by workers on every node: spread its pages
	 * over the nodes rather than piling them on the first toucher's.
	 */
	if (rc == 0 && numa_available() >= 0 &&
	    numa_num_configured_nodes() > 1 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "mpol", "interleave", 0) < 0)
		log_warn("tmpfs without NUMA interleaving: %m");
	if (rc == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		rc = -errno;
	int mnt = rc == 0 ? fsmount(fs, FSMOUNT_CLOEXEC,
				    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID |
					MOUNT_ATTR_NOEXEC)
			  : -1;
	if (rc == 0 && mnt < 0)
		rc = -errno;
	close(fs);
	return rc < 0 ? rc : mnt;
}

struct ram_tier *ram_tier_open(uint64_t capacity)
{
	int mnt = tmpfs_instance(capacity);
	if (mnt < 0) {
		errno = -mnt;
		return NULL;
	}
	struct ram_tier *t = malloc(sizeof(*t));
	if (!t) {
		close(mnt);
		errno = ENOMEM;
		return NULL;
	}
	t->mnt_fd = mnt;
	t->capacity = capacity;
	return t;
}

void ram_tier_close(struct ram_tier *t)
{
	if (!t)
		return;
	close(t->mnt_fd);
	free(t);
}

int ram_tier_create(struct ram_tier *t)
{
	if (fault_inject("tmpfile"))
		return -ENOMEM;
	int fd = openat(t->mnt_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int ram_tier_resize(struct ram_tier *t, int fd, uint64_t old_size,
		    uint64_t new_size)
{
	(void)t;
	if (new_size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if (new_size > old_size) {
		/* tmpfs undoes a partial allocation when this fails. */
		if (fallocate(fd, 0, 0, (off_t)new_size) < 0)
			return -errno;
		return 0;
	}
	return ftruncate(fd, (off_t)new_size) < 0 ? -errno : 0;
}

int ram_tier_populate(int fd, uint64_t offset, uint64_t len)
{
	if (len == 0)
		return 0;
	struct statfs st;
	if (fstatfs(fd, &st) == 0 && st.f_bsize > 0 &&
	    (uint64_t)st.f_bavail >= len / (uint64_t)st.f_bsize + 1)
		return 0;
	return fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) < 0
		   ? -errno
		   : 0;
}

uint64_t ram_tier_capacity(const struct ram_tier *t)
{
	return t->capacity;
}

int ram_tier_set_size(struct ram_tier *t, uint64_t size)
{
	if (size < 4096)
		return -EINVAL; /* 0 would mean no limit */
	int fs = fspick(t->mnt_fd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
	if (fs < 0)
		return -errno;
	int rc = config_size(fs, size);
	if (rc == 0 &&
	    fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		rc = -errno;
	close(fs);
	return rc;
}

uint64_t ram_tier_used(const struct ram_tier *t)
{
	struct statfs st;
	if (fstatfs(t->mnt_fd, &st) < 0)
		return 0;
	return (uint64_t)(st.f_blocks - st.f_bfree) * (uint64_t)st.f_bsize;
}
