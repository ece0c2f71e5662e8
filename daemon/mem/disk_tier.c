/*
 * The disk tier and the records that let the tree under mem/ survive a
 * restart (disk_tier.h). Capacity is the daemon's own count of what its
 * files may hold: each buffer is charged its size in whole pages, checked
 * against --disk-size before any growth the daemon makes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/node.h"
#include "mem/disk_tier.h"
#include "mem/ram_tier.h"
#include "mem/tier.h"
#include "mem/user_usage.h"
#include "observe/log.h"

#define RECORD_XATTR "user.vgpufs.node"
#define RECORD_MAGIC "vgpufs-node 1\n"
#define PAGE	     4096u

struct disk {
	struct tier base;
	int dirfd;
	uint64_t capacity;
	_Atomic uint64_t used;
	bool sync_commands; /* --disk-sync command */
	char path[4096];
};

static struct disk *D(const struct tier *t)
{
	return (struct disk *)t;
}

static uint64_t pages(uint64_t size)
{
	return (size + PAGE - 1) / PAGE * PAGE;
}

static int disk_create(struct tier *t, struct node *n)
{
	(void)n;
	int fd = openat(D(t)->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

/*
 * Charges N for SIZE bytes, to the tier and to N's owner; over capacity
 * (-ENOSPC) or the owner's --user-disk-quota (-EDQUOT) only when FORCE
 * (data exists).
 */
static int charge(struct disk *d, struct node *n, uint64_t size, bool force)
{
	uint64_t want = pages(size), used = atomic_load(&d->used);
	if (want > n->charged && !force &&
	    used - n->charged + want > d->capacity)
		return -ENOSPC;
	int rc = usage_disk_charge(n->uid, n->charged, want, force);
	if (rc < 0)
		return rc;
	atomic_fetch_add(&d->used, want - n->charged); /* wraps to a sub */
	n->charged = want;
	return 0;
}

static int disk_resize(struct tier *t, struct node *n, uint64_t old_size,
		       uint64_t new_size)
{
	if (new_size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if (new_size <= old_size) {
		if (ftruncate(n->fd, (off_t)new_size) < 0)
			return -errno;
		return charge(D(t), n, new_size, true);
	}
	int rc = charge(D(t), n, new_size, false);
	if (rc == 0 && fallocate(n->fd, 0, 0, (off_t)new_size) < 0) {
		rc = -errno;
		/* Blocks a failed fallocate left past the end go too. */
		if (ftruncate(n->fd, (off_t)old_size) < 0)
			log_warn("disk tier: cannot trim a buffer: %m");
		charge(D(t), n, old_size, true);
	}
	return rc;
}

/* Growth by writes through passthrough is counted late: now. */
static void count_growth(struct tier *t, struct node *n, uint64_t size)
{
	if (pages(size) > n->charged)
		charge(D(t), n, size, true);
}

static void disk_count_writes(struct tier *t, struct node *n)
{
	struct stat st;
	if (fstat(n->fd, &st) == 0)
		count_growth(t, n, (uint64_t)st.st_size);
}

static int disk_populate(struct tier *t, struct node *n, uint64_t offset,
			 uint64_t len)
{
	(void)t;
	/* past the quota by writes past the end: no command on it */
	if (usage_disk_over(n->uid))
		return -EDQUOT;
	return ram_tier_populate(n->fd, offset, len);
}

static void disk_release(struct tier *t, struct node *n)
{
	usage_disk_charge(n->uid, n->charged, 0, true);
	atomic_fetch_sub(&D(t)->used, n->charged);
	n->charged = 0;
}

static uint64_t disk_capacity(const struct tier *t)
{
	return D(t)->capacity;
}

static uint64_t disk_used(const struct tier *t)
{
	return atomic_load(&D(t)->used);
}

static void disk_close(struct tier *t)
{
	/* A clean stop leaves everything, even unsynced writes, on disk. */
	if (syncfs(D(t)->dirfd) < 0)
		log_warn("disk tier: syncfs: %m");
	close(D(t)->dirfd);
	free(t);
}

static const struct tier_ops disk_ops = {
    .create = disk_create,
    .resize = disk_resize,
    .populate = disk_populate,
    .count_writes = disk_count_writes,
    .release = disk_release,
    .capacity = disk_capacity,
    .used = disk_used,
    .close = disk_close,
};

/* mkdir -p with mode 0700 for what is created. */
static int make_dirs(const char *path)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

struct tier *disk_tier_open(const char *dir, uint64_t capacity,
			    bool sync_commands)
{
	if (dir[0] != '/' || strlen(dir) >= 4000) {
		log_err("--disk: '%s' is not an absolute path", dir);
		return NULL;
	}
	int rc = make_dirs(dir);
	int fd = rc < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_err("--disk: cannot create or open %s: %s", dir,
			strerror(rc < 0 ? -rc : errno));
		return NULL;
	}
	/* One daemon per directory: two would corrupt each other's tree. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_err("--disk %s: %s", dir,
			errno == EWOULDBLOCK ? "in use by another vgpufsd"
					     : strerror(errno));
		close(fd);
		return NULL;
	}
	/* The records live in extended attributes: the file system must
	 * keep user.* attributes (ext4, xfs, btrfs, tmpfs do). */
	int probe = openat(fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (probe < 0 || fsetxattr(probe, RECORD_XATTR, "x", 1, 0) < 0) {
		log_err("--disk %s: the file system must support O_TMPFILE "
			"and user.* extended attributes: %m",
			dir);
		if (probe >= 0)
			close(probe);
		close(fd);
		return NULL;
	}
	close(probe);
	if (capacity == 0) {
		struct statvfs sv;
		if (fstatvfs(fd, &sv) == 0)
			capacity = (uint64_t)sv.f_bavail * sv.f_frsize;
	}
	struct disk *d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return NULL;
	}
	d->base = (struct tier){.ops = &disk_ops, .id = TIER_DISK};
	d->dirfd = fd;
	d->capacity = capacity;
	d->sync_commands = sync_commands;
	snprintf(d->path, sizeof(d->path), "%s", dir);
	return &d->base;
}

/* The file of N in DIR: "b" or "d" and its inode number in hex. */
static void file_name(const struct node *n, char name[20])
{
	snprintf(name, 20, "%c%016" PRIx64, n->kind == NK_BUF ? 'b' : 'd',
		 n->ino);
}

/* N's record, as text; the name last, so it may hold any byte. */
static int record(const struct node *n, char *buf, size_t cap)
{
	return snprintf(
	    buf, cap,
	    RECORD_MAGIC "kind=%s\nparent=%" PRIu64
			 "\nuid=%u\ngid=%u\nmode=%o\n"
			 "default=%s\npinned=%d\ndemoted=%d\nname=%s",
	    n->kind == NK_BUF ? "buf" : "dir", n->parent->ino, (unsigned)n->uid,
	    (unsigned)n->gid, (unsigned)n->mode,
	    n->tier_default == TIER_UNSET ? "-" : tier_name(n->tier_default),
	    n->tier_pinned ? 1 : 0, n->demoted ? 1 : 0, n->name);
}

/*
 * fsyncs wait for the disk, which must not happen under tree_lock (every
 * request needs it): records and links are made under the lock, and the
 * files to sync are kept, per thread, for disk_flush once it is released.
 */
static _Thread_local struct {
	int fd[8];
	unsigned n;
} unsynced;

/* FD (the caller's, now ours) is to be synced by disk_flush. */
static void sync_later(int fd)
{
	if (fd < 0)
		return;
	if (unsynced.n == sizeof(unsynced.fd) / sizeof(unsynced.fd[0])) {
		fsync(fd); /* never expected: a handler saves a node or two */
		close(fd);
		return;
	}
	unsynced.fd[unsynced.n++] = fd;
}

void disk_flush(void)
{
	for (unsigned i = 0; i < unsynced.n; i++) {
		if (fsync(unsynced.fd[i]) < 0)
			log_err("disk tier: cannot sync a record: %m");
		close(unsynced.fd[i]);
	}
	unsynced.n = 0;
}

int disk_save(struct tier *disk, struct node *n)
{
	struct disk *d = D(disk);
	if (n->unlinked || !n->parent)
		return 0;
	char buf[512], name[20];
	int len = record(n, buf, sizeof(buf));
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -ENAMETOOLONG;
	file_name(n, name);
	int fd = n->kind == NK_BUF ? n->fd
		 : n->stored ? openat(d->dirfd, name, O_RDONLY | O_CLOEXEC)
			     : openat(d->dirfd, ".",
				      O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (fsetxattr(fd, RECORD_XATTR, buf, (size_t)len, 0) < 0)
		rc = -errno;
	/* Linked only with its record: no file is ever found without one. */
	if (rc == 0 && !n->stored) {
		if (linkat(fd, "", d->dirfd, name, AT_EMPTY_PATH) < 0)
			rc = -errno;
		else {
			n->stored = true;
			sync_later(dup(d->dirfd));
		}
	}
	if (rc == 0)
		sync_later(fd == n->fd ? dup(fd) : fd);
	else if (fd != n->fd)
		close(fd);
	return rc;
}

void disk_remove(struct tier *disk, struct node *n)
{
	if (!n->stored)
		return;
	char name[20];
	file_name(n, name);
	if (unlinkat(D(disk)->dirfd, name, 0) < 0 && errno != ENOENT)
		log_warn("disk tier: cannot remove %s/%s: %m", D(disk)->path,
			 name);
	else
		sync_later(dup(D(disk)->dirfd));
	n->stored = false;
}

int disk_sync(struct node *n)
{
	if (!D(n->tier)->sync_commands)
		return 0;
	return fdatasync(n->fd) < 0 ? -errno : 0;
}

/* A record read at start, waiting for its parent to be restored. */
struct found {
	uint64_t ino, parent;
	bool is_buf, pinned, demoted;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int deftier; /* TIER_UNSET or a tier */
	int fd;	     /* buffers: the open data file */
	char name[256];
};

/* The value of "KEY=" on its own line in TEXT, up to the newline. */
static const char *field(const char *text, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1, *e = strchr(v, '\n');
			*len = e ? (size_t)(e - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

static bool number(const char *text, const char *key, int base, uint64_t *out)
{
	size_t len;
	const char *v = field(text, key, &len);
	if (!v || len == 0 || len > 20)
		return false;
	char tmp[24], *end;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtoull(tmp, &end, base);
	return !errno && *end == '\0';
}

/* Parses record TEXT (LEN bytes) into F; false if it is not one. */
static bool parse_record(char *text, size_t len, struct found *f)
{
	text[len] = '\0';
	if (strncmp(text, RECORD_MAGIC, strlen(RECORD_MAGIC)) != 0)
		return false;
	/* The name runs to the end of the value: cut it off first. */
	char *name = strstr(text, "\nname=");
	if (!name || strlen(name + 6) == 0 || strlen(name + 6) > 255 ||
	    strchr(name + 6, '/') || strcmp(name + 6, ".") == 0 ||
	    strcmp(name + 6, "..") == 0)
		return false;
	snprintf(f->name, sizeof(f->name), "%s", name + 6);
	name[1] = '\0';
	uint64_t uid, gid, mode, pinned;
	size_t kl, dl;
	const char *kind = field(text, "kind", &kl);
	const char *def = field(text, "default", &dl);
	if (!kind || !def || !number(text, "parent", 10, &f->parent) ||
	    !number(text, "uid", 10, &uid) || !number(text, "gid", 10, &gid) ||
	    !number(text, "mode", 8, &mode) ||
	    !number(text, "pinned", 10, &pinned) || uid > UINT32_MAX ||
	    gid > UINT32_MAX)
		return false;
	bool is_buf = kl == 3 && memcmp(kind, "buf", 3) == 0;
	if (is_buf != f->is_buf ||
	    (mode & S_IFMT) != (is_buf ? S_IFREG : S_IFDIR) ||
	    (mode & ~(uint64_t)(S_IFMT | 07777)))
		return false;
	f->deftier = dl == 1 && *def == '-' ? TIER_UNSET : tier_parse(def, dl);
	if (f->deftier < 0)
		return false;
	f->uid = (uid_t)uid;
	f->gid = (gid_t)gid;
	f->mode = (mode_t)mode;
	f->pinned = pinned != 0;
	uint64_t demoted = 0; /* absent from older records */
	f->demoted = number(text, "demoted", 10, &demoted) && demoted;
	return true;
}

/* Reads DIR/NAME into F: false (logged) when it cannot be used. */
static bool read_entry(struct disk *d, const char *name, struct found *f)
{
	f->is_buf = name[0] == 'b';
	/* Only regular files are opened: no FIFO, device or symlink. */
	struct stat pre;
	f->fd = fstatat(d->dirfd, name, &pre, AT_SYMLINK_NOFOLLOW) < 0 ? -1
		: !S_ISREG(pre.st_mode)
		    ? (errno = EBADFD, -1)
		    : openat(d->dirfd, name,
			     (f->is_buf ? O_RDWR : O_RDONLY) | O_CLOEXEC |
				 O_NOFOLLOW | O_NONBLOCK);
	char buf[512];
	ssize_t len =
	    f->fd < 0 ? -1
		      : fgetxattr(f->fd, RECORD_XATTR, buf, sizeof(buf) - 1);
	struct stat st;
	bool ok = len > 0 && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  parse_record(buf, (size_t)len, f);
	if (!ok) {
		log_warn("disk tier: %s/%s: %s: skipped", d->path, name,
			 f->fd < 0 ? (errno == EBADFD ? "not a regular file"
						      : strerror(errno))
			 : len < 0 ? "no record (user.vgpufs.node)"
				   : "bad record");
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return false;
	}
	if (!f->is_buf) {
		close(f->fd);
		f->fd = -1;
	}
	return true;
}

/* Adds F under its parent, if that is there yet; true once done. */
static bool restore(struct disk *d, struct found *f)
{
	struct node *dir = node_by_ino(f->parent);
	if (!dir || (dir->kind != NK_MEM && dir->kind != NK_DIR))
		return false;
	struct node *n = node_restore(dir, f->name, f->is_buf ? NK_BUF : NK_DIR,
				      f->mode, f->uid, f->gid, f->ino);
	if (!n) {
		log_warn("disk tier: %s/%c%016" PRIx64 ": %s: skipped", d->path,
			 f->is_buf ? 'b' : 'd', f->ino,
			 errno == EEXIST ? "its name or number is taken"
					 : strerror(errno));
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return true;
	}
	n->stored = true;
	n->tier_default = (uint8_t)f->deftier;
	n->tier_pinned = f->pinned;
	n->demoted = f->demoted;
	if (f->is_buf) {
		struct stat st;
		tier_attach(n, &d->base, f->fd);
		if (fstat(f->fd, &st) == 0)
			charge(d, n, (uint64_t)st.st_size, true);
		f->fd = -1;
	}
	return true;
}

static int by_ino(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int disk_load(struct tier *disk)
{
	struct disk *d = D(disk);
	int fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	struct found *all = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		char *end;
		if ((e->d_name[0] != 'b' && e->d_name[0] != 'd') ||
		    strlen(e->d_name) != 17)
			continue; /* not ours */
		uint64_t ino = strtoull(e->d_name + 1, &end, 16);
		if (*end || ino < INO_FIRST_DYNAMIC)
			continue;
		node_reserve_ino(ino); /* never reused, even if skipped */
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			void *p = realloc(all, cap * sizeof(*all));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			all = p;
		}
		struct found *f = &all[count];
		f->ino = ino;
		if (read_entry(d, e->d_name, f))
			count++;
	}
	closedir(dir);
	/* Parents before children, whatever order they were made in. */
	if (count)
		qsort(all, count, sizeof(*all), by_ino);
	size_t done = 0, restored = 0;
	for (bool progress = true; progress && done < count;) {
		progress = false;
		for (size_t i = 0; i < count; i++) {
			if (all[i].ino == 0 || !restore(d, &all[i]))
				continue;
			if (node_by_ino(all[i].ino))
				restored++;
			all[i].ino = 0;
			done++;
			progress = true;
		}
	}
	for (size_t i = 0; i < count; i++)
		if (all[i].ino) {
			log_warn("disk tier: %s/%c%016" PRIx64
				 ": its parent %" PRIu64
				 " is no directory here: skipped",
				 d->path, all[i].is_buf ? 'b' : 'd', all[i].ino,
				 all[i].parent);
			if (all[i].fd >= 0)
				close(all[i].fd);
		}
	free(all);
	return rc < 0 ? rc : (int)restored;
}
