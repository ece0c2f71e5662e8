/* Opening a device, its messages and the registry of mapped buffers. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/file_tree.h>

#include "client.h"

/* The last vgpu_open() failure of this thread, and returned messages. */
static _Thread_local char open_message[VGPU_MESSAGE_MAX];
static _Thread_local char returned[VGPU_MESSAGE_MAX];

const char *vgpu_version(void)
{
	return VGPU_LIBRARY_VERSION;
}

int dev_fail_msg(vgpu_device *dev, int err, const char *msg)
{
	if (!dev) {
		snprintf(open_message, sizeof(open_message), "%s", msg);
		return err;
	}
	pthread_mutex_lock(&dev->lock);
	snprintf(dev->message, sizeof(dev->message), "%s", msg);
	pthread_mutex_unlock(&dev->lock);
	return err;
}

int dev_fail(vgpu_device *dev, int err, const char *fmt, ...)
{
	char msg[VGPU_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dev_fail_msg(dev, err, msg);
}

const char *vgpu_device_last_message(const vgpu_device *dev)
{
	if (!dev)
		return open_message;
	/* A copy: another thread may set the device's message meanwhile. */
	pthread_mutex_lock((pthread_mutex_t *)&dev->lock);
	memcpy(returned, dev->message, sizeof(returned));
	pthread_mutex_unlock((pthread_mutex_t *)&dev->lock);
	return returned;
}

const char *vgpu_device_path(const vgpu_device *dev)
{
	return dev->path;
}

void dev_get(vgpu_device *dev)
{
	atomic_fetch_add_explicit((_Atomic unsigned *)&dev->refs, 1,
				  memory_order_relaxed);
}

void dev_put(vgpu_device *dev)
{
	if (atomic_fetch_sub_explicit((_Atomic unsigned *)&dev->refs, 1,
				      memory_order_acq_rel) != 1)
		return;
	close(dev->memfd);
	close(dev->dirfd);
	pthread_mutex_destroy(&dev->lock);
	free(dev->maps);
	free(dev->path);
	free(dev);
}

void vgpu_close(vgpu_device *dev)
{
	if (dev)
		dev_put(dev);
}

int dev_check_name(vgpu_device *dev, const char *name)
{
	if (!name || !*name || *name == '/')
		return dev_fail(dev, -EINVAL,
				"buffer name '%s': give a path relative to "
				"mem/",
				name ? name : "(null)");
	for (const char *p = name;; p++) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return dev_fail(dev, -EINVAL,
					"buffer name '%s': empty, '.' or '..' "
					"path component",
					name);
		p += n;
		if (!*p)
			return 0;
	}
}

/* Reads all of the open file FD into a malloc'd, terminated string. */
static int read_all(int fd, char **text)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return -ENOMEM;
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int err = -errno;
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (cap - len == 1) {
			char *bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static int read_file_at(int dirfd, const char *name, char **text)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = read_all(fd, text);
	close(fd);
	return rc;
}

int dev_read_file(vgpu_device *dev, const char *name, char **text)
{
	int rc = read_file_at(dev->dirfd, name, text);
	if (rc < 0)
		return dev_fail(dev, rc, "%s/%s: %s", dev->path, name,
				strerror(-rc));
	return 0;
}

int dev_read_info(vgpu_device *dev, char **text)
{
	return dev_read_file(dev, VGPU_FILE_INFO, text);
}

/* The value of KEY in TEXT (info's "key: value" lines); NULL if none. */
static const char *info_find(const char *text, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		if ((size_t)(end - line) > klen + 1 &&
		    strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;
			v += strspn(v, " ");
			*len = (size_t)(end - v);
			return v;
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static void info_copy(const char *text, const char *key, char *buf, size_t len)
{
	size_t n = 0;
	const char *v = info_find(text, key, &n);
	snprintf(buf, len, "%.*s", v ? (int)n : 0, v ? v : "");
}

static uint64_t info_u64(const char *text, const char *key)
{
	size_t n;
	const char *v = info_find(text, key, &n);
	return v ? strtoull(v, NULL, 10) : 0;
}

int vgpu_info_value(vgpu_device *dev, const char *key, char *buf, size_t len)
{
	char *text;
	int rc = dev_read_info(dev, &text);
	if (rc < 0)
		return rc;
	size_t n;
	const char *v = info_find(text, key, &n);
	if (!v)
		rc = dev_fail(dev, -ENOENT, "info has no key '%s'", key);
	else if (n >= len)
		rc = dev_fail(dev, -ERANGE, "info: %s: %zu bytes do not fit",
			      key, n);
	else
		snprintf(buf, len, "%.*s", (int)n, v);
	free(text);
	return rc;
}

int vgpu_info_get(vgpu_device *dev, vgpu_info *info)
{
	char *text;
	int rc = dev_read_info(dev, &text);
	if (rc < 0)
		return rc;
	memset(info, 0, sizeof(*info));
	info_copy(text, VGPU_INFO_NAME, info->name, sizeof(info->name));
	info_copy(text, VGPU_INFO_VERSION, info->version,
		  sizeof(info->version));
	info_copy(text, VGPU_INFO_TIERS, info->tiers, sizeof(info->tiers));
	info->protocol = (int)info_u64(text, VGPU_INFO_PROTOCOL);
	info->workers = (unsigned)info_u64(text, VGPU_INFO_WORKERS);
	/* Sum over the tiers listed ("ram disk"). */
	for (char *t = info->tiers; *t;) {
		size_t n = strcspn(t, " ");
		char name[32], key[96];
		snprintf(name, sizeof(name), "%.*s", (int)n, t);
		snprintf(key, sizeof(key), VGPU_INFO_TIER_CAPACITY, name);
		info->capacity += info_u64(text, key);
		snprintf(key, sizeof(key), VGPU_INFO_TIER_USED, name);
		info->used += info_u64(text, key);
		t += n + strspn(t + n, " ");
	}
	size_t n;
	const char *k = info_find(text, VGPU_INFO_KERNELS, &n);
	for (size_t i = 0; k && i < n; i++)
		if (k[i] != ' ' && (i == 0 || k[i - 1] == ' '))
			info->kernels++;
	free(text);
	return 0;
}

/* Checks that the directory DIRFD is a vgpufs device we can speak to. */
static int check_device(int dirfd, const char *path)
{
	char *text;
	int rc = read_file_at(dirfd, VGPU_FILE_INFO, &text);
	if (rc == -ENOENT)
		return dev_fail(NULL, -ENODEV,
				"%s is not a vgpufs device (no info file): "
				"is vgpufsd running?",
				path);
	if (rc == -ENOTCONN)
		return dev_fail(NULL, rc,
				"%s: the device's daemon is gone (a stale "
				"mount)",
				path);
	if (rc < 0)
		return dev_fail(NULL, rc, "%s/info: %s", path, strerror(-rc));
	size_t n;
	const char *v = info_find(text, VGPU_INFO_PROTOCOL, &n);
	if (!v)
		rc = dev_fail(NULL, -ENODEV,
			      "%s is not a vgpufs device (info has no "
			      "protocol)",
			      path);
	else if (strtol(v, NULL, 10) != VGPU_BIN_VERSION)
		rc = dev_fail(NULL, -EPROTONOSUPPORT,
			      "%s speaks protocol %.*s; this libvgpu speaks "
			      "%d",
			      path, (int)n, v, VGPU_BIN_VERSION);
	free(text);
	return rc;
}

int vgpu_open(const char *mountpoint, vgpu_device **out)
{
	*out = NULL;
	const char *path = mountpoint ? mountpoint : getenv("VGPU_DEVICE");
	if (!path || !*path)
		path = VGPU_DEFAULT_DEVICE;
	int dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return dev_fail(NULL, -errno, "%s: %s", path, strerror(errno));
	int rc = check_device(dirfd, path);
	int memfd = -1;
	if (rc == 0) {
		memfd = openat(dirfd, VGPU_DIR_MEM,
			       O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (memfd < 0)
			rc = dev_fail(NULL, -errno, "%s/mem: %s", path,
				      strerror(errno));
	}
	vgpu_device *dev = rc == 0 ? calloc(1, sizeof(*dev)) : NULL;
	if (dev)
		dev->path = strdup(path);
	if (rc == 0 && (!dev || !dev->path))
		rc = dev_fail(NULL, -ENOMEM, "out of memory");
	if (rc < 0) {
		if (dev)
			free(dev->path);
		free(dev);
		if (memfd >= 0)
			close(memfd);
		close(dirfd);
		return rc;
	}
	dev->dirfd = dirfd;
	dev->memfd = memfd;
	dev->refs = 1;
	pthread_mutex_init(&dev->lock, NULL);
	open_message[0] = '\0';
	*out = dev;
	return 0;
}

/* Index of the first mapping that ends after ADDR (dev->lock held). */
static size_t map_search(const vgpu_device *dev, uintptr_t addr)
{
	size_t lo = 0, hi = dev->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mapping *m = &dev->maps[mid];
		if (m->addr + m->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int dev_map_add(vgpu_device *dev, void *addr, size_t len, vgpu_buffer *buf)
{
	pthread_mutex_lock(&dev->lock);
	int rc = 0;
	if (dev->nmaps == dev->maps_cap) {
		size_t cap = dev->maps_cap ? dev->maps_cap * 2 : 16;
		struct mapping *m = realloc(dev->maps, cap * sizeof(*m));
		if (!m)
			rc = -ENOMEM;
		else
			dev->maps = m, dev->maps_cap = cap;
	}
	if (rc == 0) {
		size_t i = map_search(dev, (uintptr_t)addr);
		memmove(&dev->maps[i + 1], &dev->maps[i],
			(dev->nmaps - i) * sizeof(dev->maps[0]));
		dev->maps[i] = (struct mapping){(uintptr_t)addr, len, buf};
		dev->nmaps++;
	}
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

void dev_map_remove(vgpu_device *dev, void *addr)
{
	pthread_mutex_lock(&dev->lock);
	size_t i = map_search(dev, (uintptr_t)addr);
	if (i < dev->nmaps && dev->maps[i].addr == (uintptr_t)addr) {
		dev->nmaps--;
		memmove(&dev->maps[i], &dev->maps[i + 1],
			(dev->nmaps - i) * sizeof(dev->maps[0]));
	}
	pthread_mutex_unlock(&dev->lock);
}

vgpu_buffer *vgpu_buffer_at(vgpu_device *dev, const void *addr,
			    uint64_t *offset)
{
	vgpu_buffer *buf = NULL;
	pthread_mutex_lock(&dev->lock);
	size_t i = map_search(dev, (uintptr_t)addr);
	if (i < dev->nmaps && dev->maps[i].addr <= (uintptr_t)addr) {
		buf = dev->maps[i].buf;
		if (offset)
			*offset = (uintptr_t)addr - dev->maps[i].addr;
	}
	pthread_mutex_unlock(&dev->lock);
	return buf;
}
