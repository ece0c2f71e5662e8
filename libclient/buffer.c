/* Buffers: files under mem/, opened, sized and mapped. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"

/* Takes FD (open on mem/NAME) into a new buffer object. */
static int buffer_new(vgpu_device *dev, int fd, const char *name, int access,
		      vgpu_buffer **out)
{
	struct stat st;
	vgpu_buffer *b = calloc(1, sizeof(*b));
	char *copy = strdup(name);
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	if (rc == 0 && (!b || !copy))
		rc = -ENOMEM;
	if (rc < 0) {
		free(b);
		free(copy);
		close(fd);
		return dev_fail(dev, rc, "mem/%s: %s", name, strerror(-rc));
	}
	b->dev = dev;
	b->fd = fd;
	b->access = access;
	b->name = copy;
	b->handle = st.st_ino;
	dev_get(dev);
	*out = b;
	return 0;
}

/*
 * A name for an anonymous buffer, unique in this process: one counter for
 * every device opened, which may be the same device twice.
 */
static void anon_name(char *name, size_t len)
{
	static _Atomic unsigned next;
	snprintf(name, len, ".anon-%d-%u", (int)getpid(),
		 atomic_fetch_add_explicit(&next, 1, memory_order_relaxed));
}

int vgpu_buffer_create(vgpu_device *dev, const char *name, uint64_t size,
		       mode_t mode, vgpu_buffer **out)
{
	*out = NULL;
	char anon[64];
	if (!name)
		anon_name(anon, sizeof(anon));
	const char *n = name ? name : anon;
	int rc = dev_check_name(dev, n);
	if (rc < 0)
		return rc;
	if (size > INT64_MAX)
		return dev_fail(dev, -EFBIG, "mem/%s: %llu bytes is too big", n,
				(unsigned long long)size);
	if (mknodat(dev->memfd, n, S_IFREG | (mode & 07777), 0) < 0)
		return dev_fail(dev, -errno, "mem/%s: %s", n, strerror(errno));
	/*
	 * Sized by name before it is opened: a buffer nobody has open may
	 * still move to the disk tier when the RAM tier cannot hold it.
	 */
	char path[4200];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dev->memfd, n);
	int fd = truncate(path, (off_t)size) < 0
		     ? -1
		     : openat(dev->memfd, n, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		unlinkat(dev->memfd, n, 0); /* leave nothing behind */
		return dev_fail(dev, rc, "mem/%s: %llu bytes: %s", n,
				(unsigned long long)size, strerror(-rc));
	}
	rc = buffer_new(dev, fd, n, VGPU_RDWR, out);
	if (rc < 0)
		unlinkat(dev->memfd, n, 0);
	else
		(*out)->anonymous = !name;
	return rc;
}

int vgpu_buffer_open(vgpu_device *dev, const char *name, int access,
		     vgpu_buffer **out)
{
	*out = NULL;
	int rc = dev_check_name(dev, name);
	if (rc < 0)
		return rc;
	static const int flags[] = {[VGPU_READ] = O_RDONLY,
				    [VGPU_WRITE] = O_WRONLY,
				    [VGPU_RDWR] = O_RDWR};
	if (access < VGPU_READ || access > VGPU_RDWR)
		return dev_fail(dev, -EINVAL,
				"mem/%s: access %d is none of VGPU_READ, "
				"VGPU_WRITE, VGPU_RDWR",
				name, access);
	int fd = openat(dev->memfd, name, flags[access] | O_CLOEXEC);
	if (fd < 0)
		return dev_fail(dev, -errno, "mem/%s: %s", name,
				strerror(errno));
	return buffer_new(dev, fd, name, access, out);
}

void vgpu_buffer_close(vgpu_buffer *b)
{
	if (!b)
		return;
	vgpu_buffer_unmap(b);
	close(b->fd);
	if (b->anonymous)
		unlinkat(b->dev->memfd, b->name, 0);
	dev_put(b->dev);
	free(b->name);
	free(b);
}

int vgpu_buffer_remove(vgpu_device *dev, const char *name)
{
	int rc = dev_check_name(dev, name);
	if (rc < 0)
		return rc;
	if (unlinkat(dev->memfd, name, 0) < 0)
		return dev_fail(dev, -errno, "mem/%s: %s", name,
				strerror(errno));
	return 0;
}

uint64_t vgpu_buffer_handle(const vgpu_buffer *b)
{
	return b->handle;
}

const char *vgpu_buffer_name(const vgpu_buffer *b)
{
	return b->name;
}

int vgpu_buffer_fd(const vgpu_buffer *b)
{
	return b->fd;
}

int64_t vgpu_buffer_size(vgpu_buffer *b)
{
	struct stat st;
	if (fstat(b->fd, &st) < 0)
		return dev_fail(b->dev, -errno, "mem/%s: %s", b->name,
				strerror(errno));
	return st.st_size;
}

int vgpu_buffer_resize(vgpu_buffer *b, uint64_t size)
{
	if (b->map && size < b->map_len)
		return dev_fail(b->dev, -EBUSY,
				"mem/%s: mapped %zu bytes: unmap before "
				"shrinking to %llu",
				b->name, b->map_len, (unsigned long long)size);
	if (size > INT64_MAX)
		return dev_fail(b->dev, -EFBIG, "mem/%s: %llu bytes is too big",
				b->name, (unsigned long long)size);
	if (ftruncate(b->fd, (off_t)size) < 0)
		return dev_fail(b->dev, -errno, "mem/%s: resize to %llu: %s",
				b->name, (unsigned long long)size,
				strerror(errno));
	return 0;
}

int vgpu_buffer_map(vgpu_buffer *b, void **addr)
{
	if (b->map) {
		*addr = b->map;
		return 0;
	}
	int64_t size = vgpu_buffer_size(b);
	if (size < 0)
		return (int)size;
	if (size == 0)
		return dev_fail(b->dev, -EINVAL,
				"mem/%s: an empty buffer cannot be mapped",
				b->name);
	int prot = (b->access & VGPU_READ ? PROT_READ : 0) |
		   (b->access & VGPU_WRITE ? PROT_WRITE : 0);
	void *p = mmap(NULL, (size_t)size, prot, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED)
		return dev_fail(b->dev, -errno, "mem/%s: mmap: %s", b->name,
				strerror(errno));
	int rc = dev_map_add(b->dev, p, (size_t)size, b);
	if (rc < 0) {
		munmap(p, (size_t)size);
		return dev_fail(b->dev, rc, "out of memory");
	}
	b->map = p;
	b->map_len = (size_t)size;
	*addr = p;
	return 0;
}

int vgpu_buffer_unmap(vgpu_buffer *b)
{
	if (!b->map)
		return 0;
	dev_map_remove(b->dev, b->map);
	munmap(b->map, b->map_len);
	b->map = NULL;
	b->map_len = 0;
	return 0;
}
