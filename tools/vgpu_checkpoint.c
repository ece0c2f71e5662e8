/*
 * vgpu checkpoint and vgpu restore: the buffers under mem/ copied into a
 * plain directory and back (docs/cli.md). A checkpoint DIR holds the
 * buffers as plain files under DIR/mem/ and a manifest, DIR/manifest,
 * written last: a DIR without one is incomplete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/file_tree.h>

#include "cli.h"

#define MANIFEST       "manifest"
#define MANIFEST_MAGIC "vgpu-checkpoint 1"
#define CHUNK	       (1u << 20)
#define ZERO_BLOCK     4096u /* the holes a copy keeps: pages */

static const char checkpoint_usage[] =
    "usage: vgpu checkpoint [-d DEVICE] [--all] [--from SUBDIR] DIR\n"
    "\n"
    "Copies the RAM-tier buffers under mem/ (or mem/SUBDIR) into DIR\n"
    "(created; it must be empty or absent): every directory, with its\n"
    "default tier, and every buffer's bytes (holes stay holes), mode,\n"
    "owner, group and modification time. The buffers are plain files\n"
    "under DIR/mem/; DIR/manifest, written last, lists them.\n"
    "Consistent only while nothing writes to the buffers.\n"
    "\n"
    "  -a, --all           disk-tier buffers too\n"
    "  -f, --from SUBDIR   only what is under mem/SUBDIR\n"
    "\n"
    "Exit status: 0, 2 for wrong usage, 3 when the device is\n"
    "unreachable, 4 when a buffer cannot be read or DIR written.\n";

static const char restore_usage[] =
    "usage: vgpu restore [-d DEVICE] [--force] DIR\n"
    "\n"
    "Recreates what the checkpoint DIR holds under mem/: directories with\n"
    "their default tiers, buffers with their bytes, modes, modification\n"
    "times and (as root) owners. A buffer that exists already is an error,\n"
    "and nothing is restored, unless --force replaces it.\n"
    "\n"
    "  -f, --force   replace buffers that exist\n"
    "\n"
    "Exit status: 0, 2 for wrong usage, 3 when the device is\n"
    "unreachable, 4 when DIR is not a complete checkpoint or a buffer\n"
    "cannot be written.\n";

/* One line of the manifest: a directory or a buffer. */
struct item {
	bool is_dir;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t size;
	char tier[8]; /* "ram", "disk", or "-" for a directory without one */
	char *path;   /* relative to mem/ */
	bool existed; /* a directory restore found there: left as it is */
};

struct items {
	struct item *v;
	size_t n, cap;
};

static struct item *add_item(struct items *items)
{
	if (items->n == items->cap) {
		items->cap = items->cap ? 2 * items->cap : 64;
		items->v = realloc(items->v, items->cap * sizeof(*items->v));
		if (!items->v) {
			fputs("vgpu: out of memory\n", stderr);
			exit(EXIT_ERROR);
		}
	}
	struct item *it = &items->v[items->n++];
	*it = (struct item){0};
	return it;
}

static void free_items(struct items *items)
{
	for (size_t i = 0; i < items->n; i++)
		free(items->v[i].path);
	free(items->v);
}

/* Prints "vgpu: WHAT: strerror(ERR)"; returns EXIT_ERROR. */
static int fail_errno(int err, const char *what)
{
	fprintf(stderr, "vgpu: %s: %s\n", what, strerror(err));
	return EXIT_ERROR;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_summary(const char *verb, size_t buffers, uint64_t bytes,
			  double seconds, const char *dir)
{
	char size[32];
	human_size(bytes, size, sizeof(size));
	printf("%s %zu buffers, %s (%llu bytes) in %.2f s: %s\n", verb, buffers,
	       size, (unsigned long long)bytes, seconds, dir);
}

static bool all_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Writes the blocks of BUF (N bytes, for offset POS) that are not all
 * zeros: a hole in a sparse file stays one, to the block. */
static int write_nonzero(int out, const char *buf, size_t n, uint64_t pos)
{
	for (size_t b = 0; b < n; b += ZERO_BLOCK) {
		size_t len = n - b < ZERO_BLOCK ? n - b : ZERO_BLOCK;
		for (size_t w = 0; !all_zero(buf + b, len) && w < len;) {
			ssize_t put = pwrite(out, buf + b + w, len - w,
					     (off_t)(pos + b + w));
			if (put < 0 && errno != EINTR)
				return -errno;
			w += put > 0 ? (size_t)put : 0;
		}
	}
	return 0;
}

/*
 * Copies the data of IN (SIZE bytes) to OUT at the same offsets, which
 * already has that size and reads as zeros: holes (SEEK_DATA/SEEK_HOLE)
 * and all-zero chunks are not written, so they stay holes. Returns 0 or
 * -errno, with *IN_ERR telling which side failed.
 */
static int copy_data(int in, int out, uint64_t size, char *buf, bool *in_err)
{
	uint64_t off = 0;
	while (off < size) {
		off_t data = lseek(in, (off_t)off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* a hole up to the end */
		if (data < 0)
			data = (off_t)off; /* no SEEK_DATA: all of it is data */
		off_t hole = lseek(in, data, SEEK_HOLE);
		uint64_t end =
		    hole < 0 || (uint64_t)hole > size ? size : (uint64_t)hole;
		for (uint64_t pos = (uint64_t)data; pos < end;) {
			size_t want = end - pos < CHUNK ? end - pos : CHUNK;
			ssize_t got = pread(in, buf, want, (off_t)pos);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				*in_err = true;
				return -errno;
			}
			if (got == 0)
				return 0; /* it shrank meanwhile: a user's race
					   */
			int err = write_nonzero(out, buf, (size_t)got, pos);
			if (err < 0) {
				*in_err = false;
				return err;
			}
			pos += (uint64_t)got;
		}
		off = end;
	}
	return 0;
}

/*
 * Gives FD (the copy of IT) IT's mode, owner (as root) and mtime. Set-user
 * and set-group-ID bits are dropped: buffers are data, and a manifest may
 * come from anyone.
 */
static int set_meta(int fd, const struct item *it)
{
	if (geteuid() == 0 && fchown(fd, it->uid, it->gid) < 0)
		return -errno;
	if (fchmod(fd, it->mode & 01777) < 0)
		return -errno;
	struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, it->mtime};
	if (futimens(fd, times) < 0)
		return -errno;
	return 0;
}

/* Closes IN and OUT (where open) and frees the paths; returns RC. */
static int end_copy(int rc, int in, int out, char *src, char *dst)
{
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(src);
	free(dst);
	return rc;
}

/* Copies IN (SRC) into OUT (DST), then gives it IT's metadata and closes
 * it. Returns EXIT_OK, or EXIT_ERROR with a message. */
static int copy_and_close(int in, int out, const struct item *it, char *buf,
			  const char *src, const char *dst)
{
	bool in_err = false;
	int err = copy_data(in, out, it->size, buf, &in_err);
	if (err == 0)
		err = set_meta(out, it);
	if (close(out) < 0 && err == 0)
		err = -errno;
	return err < 0 ? fail_errno(-err, in_err ? src : dst) : EXIT_OK;
}

/* The manifest escapes '\\' and '\n' in paths, the last field of a line. */
static void write_path(FILE *f, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

static void write_item(FILE *f, const struct item *it)
{
	fprintf(f, "%c %o %u %u %lld.%09ld %llu %s ", it->is_dir ? 'd' : 'f',
		(unsigned)(it->mode & 07777), (unsigned)it->uid,
		(unsigned)it->gid, (long long)it->mtime.tv_sec,
		it->mtime.tv_nsec, (unsigned long long)it->size, it->tier);
	write_path(f, it->path);
}

/* --- checkpoint -------------------------------------------------------- */

struct checkpoint {
	const char *mem; /* DEVICE/mem */
	const char *dir; /* the checkpoint */
	bool all;
	struct items items;
};

static int collect(const vgpu_entry *e, void *arg)
{
	struct checkpoint *c = arg;
	/* An unknown tier (a buffer the caller may not read) counts as RAM:
	 * copying it fails and names it. */
	if (!e->is_dir && !c->all && e->tier &&
	    strcmp(e->tier, VGPU_TIER_DISK) == 0)
		return 0;
	struct item *it = add_item(&c->items);
	it->is_dir = e->is_dir;
	it->mode = e->mode;
	it->uid = e->uid;
	it->gid = e->gid;
	it->size = e->is_dir ? 0 : e->size;
	snprintf(it->tier, sizeof(it->tier), "%s",
		 e->tier && *e->tier ? e->tier : "-");
	it->path = cli_format("%s", e->name);
	return 0;
}

/* The directory mem/FROM itself, so that a restore recreates it too. */
static int collect_from(struct checkpoint *c, const char *from)
{
	char *path = cli_format("%s/%s", c->mem, from);
	struct stat st;
	int rc = stat(path, &st) < 0 ? fail_errno(errno, path) : EXIT_OK;
	if (rc == EXIT_OK && !S_ISDIR(st.st_mode))
		rc = fail_errno(ENOTDIR, path);
	if (rc == EXIT_OK) {
		char tier[8] = "-";
		ssize_t n =
		    getxattr(path, VGPU_XATTR_TIER, tier, sizeof(tier) - 1);
		tier[n > 0 ? n : 1] = '\0';
		vgpu_entry e = {.name = from,
				.is_dir = true,
				.uid = st.st_uid,
				.gid = st.st_gid,
				.mode = st.st_mode,
				.tier = tier};
		collect(&e, c);
	}
	free(path);
	return rc;
}

/* mkdir -p of PATH's parents under ROOT (a checkpoint --from a subdir). */
static int make_parents(const char *root, const char *path)
{
	char *p = cli_format("%s/%s", root, path);
	int rc = EXIT_OK;
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = fail_errno(errno, p);
		*s = '/';
		if (rc != EXIT_OK)
			break;
	}
	free(p);
	return rc;
}

/* DIR and DIR/mem: DIR absent or empty. */
static int make_target(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(errno, dir);
	DIR *d = opendir(dir);
	if (!d)
		return fail_errno(errno, dir);
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 ||
			strcmp(de->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		fprintf(stderr, "vgpu: %s is not empty\n", dir);
		return EXIT_ERROR;
	}
	char *mem = cli_format("%s/mem", dir);
	int rc = mkdir(mem, 0755) < 0 ? fail_errno(errno, mem) : EXIT_OK;
	free(mem);
	return rc;
}

/* Copies one buffer into the checkpoint; fills in its mtime and size. */
static int save_buffer(struct checkpoint *c, struct item *it, char *buf)
{
	char *src = cli_format("%s/%s", c->mem, it->path);
	char *dst = cli_format("%s/mem/%s", c->dir, it->path);
	int rc = EXIT_OK;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = -1;
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0) {
		rc = fail_errno(errno, src);
		goto done;
	}
	it->mode = st.st_mode;
	it->uid = st.st_uid;
	it->gid = st.st_gid;
	it->mtime = st.st_mtim;
	it->size = (uint64_t)st.st_size;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0 || ftruncate(out, st.st_size) < 0) {
		rc = fail_errno(errno, dst);
		goto done;
	}
	rc = copy_and_close(in, out, it, buf, src, dst);
	out = -1;
done:
	return end_copy(rc, in, out, src, dst);
}

/* Creates the copy of a directory (its mode and mtime come at the end). */
static int save_dir(struct checkpoint *c, const struct item *it)
{
	char *dst = cli_format("%s/mem/%s", c->dir, it->path);
	int rc = mkdir(dst, 0700) < 0 ? fail_errno(errno, dst) : EXIT_OK;
	free(dst);
	return rc;
}

/* Directories' modes, owners and mtimes, deepest first (after their
 * contents, which would change the mtime, and a mode might forbid). */
static int finish_dirs(const struct items *items, const char *root,
		       const char *device_root)
{
	for (size_t i = items->n; i-- > 0;) {
		struct item *it = &items->v[i];
		if (!it->is_dir || it->existed)
			continue;
		char *path = cli_format("%s/%s", root, it->path);
		int err = 0;
		if (device_root) { /* the source's mtime, as it was */
			char *src = cli_format("%s/%s", device_root, it->path);
			struct stat st;
			if (stat(src, &st) == 0)
				it->mtime = st.st_mtim;
			free(src);
		}
		int fd =
		    open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || set_meta(fd, it) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
		int rc = err ? fail_errno(err, path) : EXIT_OK;
		free(path);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

static int write_manifest(const struct checkpoint *c)
{
	char *tmp = cli_format("%s/.%s.tmp", c->dir, MANIFEST);
	char *final = cli_format("%s/%s", c->dir, MANIFEST);
	int rc = EXIT_OK;
	FILE *f = fopen(tmp, "we");
	if (!f) {
		rc = fail_errno(errno, tmp);
		goto done;
	}
	fprintf(f, "%s\n", MANIFEST_MAGIC);
	for (size_t i = 0; i < c->items.n; i++)
		write_item(f, &c->items.v[i]);
	int err = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		err = errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, final) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		rc = fail_errno(err, final);
	}
done:
	free(tmp);
	free(final);
	return rc;
}

int cmd_checkpoint(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"from", required_argument, NULL, 'f'},
	    {0},
	};
	struct checkpoint c = {0};
	char *from = NULL;
	int opt;
	while ((opt = cli_getopt(argc, argv, "af:", longopts,
				 checkpoint_usage)) != -1) {
		if (opt == 'a')
			c.all = true;
		else if (opt == 'f')
			from = optarg;
		else
			return cli_usage_error(checkpoint_usage,
					       "unknown option");
	}
	for (size_t n = from ? strlen(from) : 0; n > 1 && from[n - 1] == '/';)
		from[--n] = '\0'; /* "run1/" is "run1" */
	if (from && (!*from || strstr(from, "..") || *from == '/'))
		return cli_usage_error(checkpoint_usage,
				       "--from wants a directory under mem/");
	vgpu_device *dev;
	int status = cli_open_args(argc, 1, 1, checkpoint_usage, &dev);
	if (status != EXIT_OK)
		return status;
	double t0 = now();
	c.dir = argv[optind];
	char *mem = cli_format("%s/mem", vgpu_device_path(dev));
	c.mem = mem;
	char *buf = malloc(CHUNK);
	if (!buf) {
		status = fail_errno(ENOMEM, "buffer");
		goto done;
	}
	if (from && (status = collect_from(&c, from)) != EXIT_OK)
		goto done;
	int rc = vgpu_list(dev, from, collect, &c);
	if (rc < 0) {
		status = cli_fail(rc, vgpu_last_message(dev));
		goto done;
	}
	if ((status = make_target(c.dir)) != EXIT_OK)
		goto done;
	char *root = cli_format("%s/mem", c.dir);
	if (from)
		status = make_parents(root, from);
	size_t buffers = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < c.items.n && status == EXIT_OK; i++) {
		struct item *it = &c.items.v[i];
		status =
		    it->is_dir ? save_dir(&c, it) : save_buffer(&c, it, buf);
		buffers += !it->is_dir;
		bytes += it->size;
	}
	if (status == EXIT_OK)
		status = finish_dirs(&c.items, root, c.mem);
	free(root);
	if (status == EXIT_OK)
		status = write_manifest(&c);
	if (status == EXIT_OK)
		print_summary("checkpoint:", buffers, bytes, now() - t0, c.dir);
	else
		fprintf(stderr,
			"vgpu: the checkpoint in %s is incomplete (it has no "
			"%s): remove it\n",
			c.dir, MANIFEST);
done:
	free(buf);
	free(mem);
	free_items(&c.items);
	vgpu_close(dev);
	return status;
}

/* --- restore ----------------------------------------------------------- */

/* A path of the manifest, unescaped; NULL when it is not a plain relative
 * path without '.' and '..' components (the manifest is user input). */
static char *read_path(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n')
		n--;
	char *p = malloc(n + 1), *o = p;
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n &&
		    (s[i + 1] == '\\' || s[i + 1] == 'n')) {
			*o++ = s[++i] == 'n' ? '\n' : '\\';
		} else if (s[i] == '\\' || s[i] == '\0') {
			free(p);
			return NULL;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	bool ok = *p && *p != '/' && o[-1] != '/';
	for (char *c = p; ok && *c;) {
		size_t len = strcspn(c, "/");
		ok = len > 0 && !(len == 1 && c[0] == '.') &&
		     !(len == 2 && c[0] == '.' && c[1] == '.');
		c += len + (c[len] == '/');
	}
	if (!ok) {
		free(p);
		return NULL;
	}
	return p;
}

static int read_manifest(const char *dir, struct items *items)
{
	char *name = cli_format("%s/%s", dir, MANIFEST);
	FILE *f = fopen(name, "re");
	int rc = EXIT_OK;
	if (!f) {
		fprintf(stderr, "vgpu: %s: %s (not a complete checkpoint)\n",
			name, strerror(errno));
		free(name);
		return EXIT_ERROR;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 1;
	if (getline(&line, &cap, f) < 0 ||
	    strcmp(line, MANIFEST_MAGIC "\n") != 0) {
		fprintf(stderr, "vgpu: %s is not a vgpu checkpoint manifest\n",
			name);
		rc = EXIT_ERROR;
	}
	while (rc == EXIT_OK && getline(&line, &cap, f) > 0) {
		lineno++;
		struct item it = {0};
		char kind;
		unsigned mode, uid, gid;
		long long sec;
		long nsec;
		unsigned long long size;
		int off = 0;
		if (sscanf(line, "%c %o %u %u %lld.%9ld %llu %7s%n", &kind,
			   &mode, &uid, &gid, &sec, &nsec, &size, it.tier,
			   &off) != 8 ||
		    line[off] != ' ' || (kind != 'd' && kind != 'f') ||
		    mode > 07777 || nsec < 0 ||
		    (strcmp(it.tier, VGPU_TIER_RAM) != 0 &&
		     strcmp(it.tier, VGPU_TIER_DISK) != 0 &&
		     strcmp(it.tier, "-") != 0) ||
		    !(it.path = read_path(line + off + 1))) {
			fprintf(stderr, "vgpu: %s:%u: not a manifest line\n",
				name, lineno);
			rc = EXIT_ERROR;
			break;
		}
		it.is_dir = kind == 'd';
		it.mode = (it.is_dir ? S_IFDIR : S_IFREG) | mode;
		it.uid = uid;
		it.gid = gid;
		it.mtime = (struct timespec){.tv_sec = sec, .tv_nsec = nsec};
		it.size = size;
		*add_item(items) = it;
	}
	if (ferror(f))
		rc = fail_errno(errno, name);
	free(line);
	fclose(f);
	free(name);
	return rc;
}

/*
 * Opens the copy of a buffer, DIR/mem/PATH, for reading: a regular file,
 * reached without symbolic links (a checkpoint may come from anyone, and
 * restore may run as root). Returns the descriptor, or -1 with errno.
 */
static int open_copy(const char *dir, const char *path)
{
	char *root = cli_format("%s/mem", dir);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(root);
	if (rootfd < 0)
		return -1;
	struct open_how how = {
	    .flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6 */
		fd = openat(rootfd, path, (int)how.flags);
	int err = errno;
	close(rootfd);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		fd = -1;
		err = ELOOP; /* reported as "not a plain file" */
	}
	errno = err;
	return fd;
}

/*
 * Opens the copy of IT's buffer into *FD, checking it is what the manifest
 * says. Returns EXIT_OK, or EXIT_ERROR with a message.
 */
static int open_checked(const char *dir, const struct item *it, int *fd)
{
	char *src = cli_format("%s/mem/%s", dir, it->path);
	int rc = EXIT_OK;
	struct stat st;
	*fd = open_copy(dir, it->path);
	if (*fd < 0 && (errno == ELOOP || errno == EXDEV)) {
		fprintf(stderr,
			"vgpu: %s: not a plain file (symbolic links are not "
			"followed)\n",
			src);
		rc = EXIT_ERROR;
	} else if (*fd < 0 || fstat(*fd, &st) < 0) {
		rc = fail_errno(errno, src);
	} else if ((uint64_t)st.st_size != it->size) {
		fprintf(stderr,
			"vgpu: %s holds %lld bytes, the manifest says %llu\n",
			src, (long long)st.st_size,
			(unsigned long long)it->size);
		rc = EXIT_ERROR;
	}
	if (rc != EXIT_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(src);
	return rc;
}

/* Nothing in the way of the restore, and every copy in DIR there as the
 * manifest says: else a message and EXIT_ERROR, before anything changes. */
static int check_restore(const struct items *items, const char *dir,
			 const char *mem, bool force)
{
	for (size_t i = 0; i < items->n; i++) {
		const struct item *it = &items->v[i];
		char *path = cli_format("%s/%s", mem, it->path);
		struct stat st;
		int fd = -1;
		int rc = it->is_dir ? EXIT_OK : open_checked(dir, it, &fd);
		if (fd >= 0)
			close(fd);
		if (rc != EXIT_OK) {
			/* reported */
		} else if (lstat(path, &st) == 0) {
			const char *why = NULL;
			if (it->is_dir && !S_ISDIR(st.st_mode))
				why = "exists and is not a directory";
			else if (!it->is_dir && S_ISDIR(st.st_mode))
				why = "exists and is a directory";
			else if (!it->is_dir && !force)
				why = "exists (--force replaces it)";
			if (why) {
				fprintf(stderr, "vgpu: mem/%s %s\n", it->path,
					why);
				rc = EXIT_ERROR;
			}
		} else if (errno != ENOENT) {
			rc = fail_errno(errno, path);
		}
		free(path);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* Creates a directory and sets its default tier; one that exists already
 * is left as it is (it holds what it holds since). */
static int restore_dir(const char *mem, struct item *it)
{
	char *path = cli_format("%s/%s", mem, it->path);
	int rc = EXIT_OK;
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			it->existed = true;
		else
			rc = fail_errno(errno, path);
	} else if (strcmp(it->tier, "-") != 0 &&
		   setxattr(path, VGPU_XATTR_TIER, it->tier, strlen(it->tier),
			    0) < 0) {
		rc = fail_errno(errno, path);
	}
	free(path);
	return rc;
}

/* The tier of the directory that holds PATH ("" when none). */
static void parent_tier(const char *path, char tier[8])
{
	char *dir = cli_format("%s", path);
	*strrchr(dir, '/') = '\0';
	ssize_t n = getxattr(dir, VGPU_XATTR_TIER, tier, 7);
	tier[n > 0 ? n : 0] = '\0';
	free(dir);
}

static int restore_buffer(const char *mem, const char *dir,
			  const struct item *it, bool force, char *buf)
{
	char *src = cli_format("%s/mem/%s", dir, it->path);
	char *dst = cli_format("%s/%s", mem, it->path);
	int rc = EXIT_OK, in = -1, out = -1;
	if ((rc = open_checked(dir, it, &in)) != EXIT_OK)
		goto done;
	if (force && unlink(dst) < 0 && errno != ENOENT) {
		rc = fail_errno(errno, dst);
		goto done;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = fail_errno(errno, dst);
		goto done;
	}
	/*
	 * A disk-tier buffer in a directory that does not place it there
	 * was moved: move the new, empty one. Then grow it by name, not
	 * through the open file, so that the device may place it on disk
	 * when RAM is full.
	 */
	char tier[8];
	parent_tier(dst, tier);
	close(out);
	out = -1;
	if (strcmp(it->tier, VGPU_TIER_DISK) == 0 &&
	    strcmp(tier, VGPU_TIER_DISK) != 0 &&
	    setxattr(dst, VGPU_XATTR_TIER, VGPU_TIER_DISK,
		     strlen(VGPU_TIER_DISK), 0) < 0)
		fprintf(stderr, "vgpu: %s: %s (left where the device put it)\n",
			dst, strerror(errno));
	if (truncate(dst, (off_t)it->size) < 0 ||
	    (out = open(dst, O_WRONLY | O_CLOEXEC)) < 0) {
		rc = fail_errno(errno, dst);
		goto done;
	}
	rc = copy_and_close(in, out, it, buf, src, dst);
	out = -1;
done:
	return end_copy(rc, in, out, src, dst);
}

int cmd_restore(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {0},
	};
	bool force = false;
	int opt;
	while ((opt = cli_getopt(argc, argv, "f", longopts, restore_usage)) !=
	       -1) {
		if (opt == 'f')
			force = true;
		else
			return cli_usage_error(restore_usage, "unknown option");
	}
	vgpu_device *dev;
	int status = cli_open_args(argc, 1, 1, restore_usage, &dev);
	if (status != EXIT_OK)
		return status;
	double t0 = now();
	const char *dir = argv[optind];
	char *mem = cli_format("%s/mem", vgpu_device_path(dev));
	struct items items = {0};
	char *buf = malloc(CHUNK);
	if (!buf)
		status = fail_errno(ENOMEM, "buffer");
	if (status == EXIT_OK)
		status = read_manifest(dir, &items);
	if (status == EXIT_OK)
		status = check_restore(&items, dir, mem, force);
	if (status == EXIT_OK && items.n)
		status = make_parents(mem, items.v[0].path);
	size_t buffers = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < items.n && status == EXIT_OK; i++) {
		struct item *it = &items.v[i];
		status = it->is_dir ? restore_dir(mem, it)
				    : restore_buffer(mem, dir, it, force, buf);
		buffers += !it->is_dir;
		bytes += it->size;
	}
	if (status == EXIT_OK)
		status = finish_dirs(&items, mem, NULL);
	if (status == EXIT_OK)
		print_summary("restore:", buffers, bytes, now() - t0, dir);
	free(buf);
	free(mem);
	free_items(&items);
	vgpu_close(dev);
	return status;
}
