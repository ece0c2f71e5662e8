/*
 * The runtime layer: one implicit device, streams that send every launch
 * at once (work starts while the host goes on, as on a GPU), sticky
 * per-thread errors. Memory calls are in runtime_mem.c.
 *
 * Locking: rt.lock guards the device, the stream list and the allocation
 * list; each stream's lock serialises its callers. A stream's lock is
 * never held while taking rt.lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct allocation {
	vgpu_buffer *buf;
	struct allocation *next;
};

static struct {
	pthread_mutex_t lock;
	char *path; /* vgpuSetDevicePath's */
	vgpu_device *dev;
	struct vgpuStream *deflt;
	struct vgpuStream *streams;
	struct allocation *allocs;
} rt = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local vgpuError_t last_error;
static _Thread_local char last_message[VGPU_MESSAGE_MAX];

vgpuError_t rt_error(vgpuError_t err, const char *msg)
{
	if (err < 0) {
		last_error = err;
		snprintf(last_message, sizeof(last_message), "%s", msg);
	}
	return err;
}

vgpuError_t vgpuGetLastError(void)
{
	vgpuError_t e = last_error;
	last_error = vgpuSuccess;
	return e;
}

vgpuError_t vgpuPeekAtLastError(void)
{
	return last_error;
}

const char *vgpuGetLastErrorMessage(void)
{
	return last_message;
}

const char *vgpuGetErrorString(vgpuError_t err)
{
	return vgpu_strerror(err);
}

const char *vgpuGetErrorName(vgpuError_t err)
{
	return err == vgpuSuccess ? "vgpuSuccess" : vgpu_errname(err);
}

vgpuError_t vgpuSetDevicePath(const char *mountpoint)
{
	pthread_mutex_lock(&rt.lock);
	int rc = 0;
	char *copy = mountpoint ? strdup(mountpoint) : NULL;
	if (rt.dev)
		rc = -EBUSY;
	else if (mountpoint && !copy)
		rc = -ENOMEM;
	if (rc == 0) {
		free(rt.path);
		rt.path = copy;
	} else {
		free(copy);
	}
	pthread_mutex_unlock(&rt.lock);
	return rt_error(rc, rc == -EBUSY ? "vgpuSetDevicePath: the device is "
					   "in use: vgpuDeviceReset first"
					 : "out of memory");
}

/* rt.lock held. */
static vgpu_device *device_locked(void)
{
	if (!rt.dev) {
		int rc = vgpu_open(rt.path, &rt.dev);
		if (rc < 0)
			rt_error(rc, vgpu_last_message((vgpu_device *)NULL));
	}
	return rt.dev;
}

vgpu_device *rt_device(void)
{
	pthread_mutex_lock(&rt.lock);
	vgpu_device *dev = device_locked();
	pthread_mutex_unlock(&rt.lock);
	return dev;
}

vgpuError_t vgpuGetDevice(vgpu_device **dev)
{
	*dev = rt_device();
	return *dev ? vgpuSuccess : last_error;
}

/* A new runtime stream on DEV: every launch is sent at once. */
static struct vgpuStream *stream_new(vgpu_device *dev)
{
	struct vgpuStream *st = calloc(1, sizeof(*st));
	if (!st) {
		rt_error(-ENOMEM, "out of memory");
		return NULL;
	}
	int rc = vgpu_stream_create(dev, &st->s);
	if (rc < 0) {
		rt_error(rc, vgpu_last_message(dev));
		free(st);
		return NULL;
	}
	vgpu_stream_set_batch(st->s, 1);
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

static void stream_free(struct vgpuStream *st)
{
	vgpu_stream_destroy(st->s);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

struct vgpuStream *rt_stream(vgpuStream_t stream)
{
	if (stream)
		return stream;
	pthread_mutex_lock(&rt.lock);
	vgpu_device *dev = device_locked();
	if (dev && !rt.deflt)
		rt.deflt = stream_new(dev);
	struct vgpuStream *st = dev ? rt.deflt : NULL;
	pthread_mutex_unlock(&rt.lock);
	return st;
}

vgpuError_t vgpuStreamCreate(vgpuStream_t *stream)
{
	*stream = NULL;
	pthread_mutex_lock(&rt.lock);
	vgpu_device *dev = device_locked();
	struct vgpuStream *st = dev ? stream_new(dev) : NULL;
	if (st) {
		st->next = rt.streams;
		rt.streams = st;
	}
	pthread_mutex_unlock(&rt.lock);
	*stream = st;
	return st ? vgpuSuccess : last_error;
}

vgpuError_t vgpuStreamDestroy(vgpuStream_t stream)
{
	if (!stream)
		return rt_error(-EINVAL, "vgpuStreamDestroy: the default "
					 "stream cannot be destroyed");
	pthread_mutex_lock(&rt.lock);
	struct vgpuStream **p = &rt.streams;
	while (*p && *p != stream)
		p = &(*p)->next;
	bool found = *p;
	if (found)
		*p = stream->next;
	pthread_mutex_unlock(&rt.lock);
	if (!found)
		return rt_error(-EINVAL, "vgpuStreamDestroy: no such stream");
	pthread_mutex_lock(&stream->lock); /* let its last caller finish */
	pthread_mutex_unlock(&stream->lock);
	stream_free(stream);
	return vgpuSuccess;
}

/* Waits for ST's work (st->lock held); records the error. */
static vgpuError_t sync_locked(struct vgpuStream *st)
{
	int rc = vgpu_wait_all(st->s);
	return rt_error(rc, vgpu_last_message(st->s));
}

vgpuError_t vgpuStreamSynchronize(vgpuStream_t stream)
{
	struct vgpuStream *st = rt_stream(stream);
	if (!st)
		return last_error;
	pthread_mutex_lock(&st->lock);
	vgpuError_t rc = sync_locked(st);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

vgpuError_t vgpuStreamQuery(vgpuStream_t stream)
{
	struct vgpuStream *st = rt_stream(stream);
	if (!st)
		return last_error;
	pthread_mutex_lock(&st->lock);
	int64_t last = vgpu_submitted(st->s);
	int rc = last ? vgpu_query(st->s, last) : 1;
	if (rc < 0)
		rt_error(rc, vgpu_last_message(st->s));
	pthread_mutex_unlock(&st->lock);
	/* Not ready is an answer, not an error: nothing recorded. */
	return rc < 0 ? rc : rc ? vgpuSuccess : -EAGAIN;
}

/* Synchronises ST, keeping FIRST if it is an error already. */
static vgpuError_t sync_into(struct vgpuStream *st, vgpuError_t first)
{
	pthread_mutex_lock(&st->lock);
	vgpuError_t rc = sync_locked(st);
	pthread_mutex_unlock(&st->lock);
	return first ? first : rc;
}

/* Synchronises every stream (rt.lock held); the first error. */
static vgpuError_t sync_all_locked(void)
{
	vgpuError_t first = rt.deflt ? sync_into(rt.deflt, 0) : 0;
	for (struct vgpuStream *st = rt.streams; st; st = st->next)
		first = sync_into(st, first);
	return first;
}

vgpuError_t vgpuDeviceSynchronize(void)
{
	pthread_mutex_lock(&rt.lock);
	vgpuError_t rc = sync_all_locked();
	pthread_mutex_unlock(&rt.lock);
	return rc;
}

vgpuError_t vgpuDeviceReset(void)
{
	pthread_mutex_lock(&rt.lock);
	sync_all_locked();
	while (rt.streams) {
		struct vgpuStream *st = rt.streams;
		rt.streams = st->next;
		stream_free(st);
	}
	if (rt.deflt)
		stream_free(rt.deflt);
	rt.deflt = NULL;
	pthread_mutex_unlock(&rt.lock);
	rt_alloc_free_all();
	pthread_mutex_lock(&rt.lock);
	vgpu_close(rt.dev);
	rt.dev = NULL;
	pthread_mutex_unlock(&rt.lock);
	return vgpuSuccess;
}

vgpuError_t rt_launch(struct vgpuStream *st, const char *kernel,
		      const vgpu_arg *args, size_t nargs)
{
	pthread_mutex_lock(&st->lock);
	int64_t rc = vgpu_launch(st->s, kernel, args, nargs);
	if (rc < 0)
		rt_error((int)rc, vgpu_last_message(st->s));
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? (vgpuError_t)rc : vgpuSuccess;
}

vgpuError_t vgpuLaunchArgs(vgpuStream_t stream, const char *kernel,
			   const vgpu_arg *args, size_t nargs)
{
	struct vgpuStream *st = rt_stream(stream);
	return st ? rt_launch(st, kernel, args, nargs) : last_error;
}

vgpuError_t vgpuLaunchList(vgpuStream_t stream, const char *kernel, ...)
{
	struct vgpuStream *st = rt_stream(stream);
	if (!st)
		return last_error;
	va_list ap;
	va_start(ap, kernel);
	pthread_mutex_lock(&st->lock);
	int64_t rc = launch_va(st->s, kernel, ap);
	if (rc < 0)
		rt_error((int)rc, vgpu_last_message(st->s));
	pthread_mutex_unlock(&st->lock);
	va_end(ap);
	return rc < 0 ? (vgpuError_t)rc : vgpuSuccess;
}

int rt_alloc_add(vgpu_buffer *buf)
{
	struct allocation *a = malloc(sizeof(*a));
	if (!a)
		return rt_error(-ENOMEM, "out of memory");
	a->buf = buf;
	pthread_mutex_lock(&rt.lock);
	a->next = rt.allocs;
	rt.allocs = a;
	pthread_mutex_unlock(&rt.lock);
	return 0;
}

vgpu_buffer *rt_alloc_take(const void *ptr)
{
	vgpu_buffer *buf = NULL;
	pthread_mutex_lock(&rt.lock);
	for (struct allocation **p = &rt.allocs; *p; p = &(*p)->next) {
		if ((*p)->buf->map == ptr) {
			struct allocation *a = *p;
			*p = a->next;
			buf = a->buf;
			free(a);
			break;
		}
	}
	pthread_mutex_unlock(&rt.lock);
	return buf;
}

void rt_alloc_free_all(void)
{
	pthread_mutex_lock(&rt.lock);
	struct allocation *a = rt.allocs;
	rt.allocs = NULL;
	pthread_mutex_unlock(&rt.lock);
	while (a) {
		struct allocation *next = a->next;
		vgpu_buffer_close(a->buf);
		free(a);
		a = next;
	}
}

/*
 * At exit (or unload), the names of allocations still there are removed:
 * device memory does not outlive the process. Only if no thread is in the
 * runtime right now.
 */
__attribute__((destructor)) static void rt_exit(void)
{
	if (pthread_mutex_trylock(&rt.lock) != 0)
		return;
	for (struct allocation *a = rt.allocs; a; a = a->next)
		vgpu_buffer_remove(rt.dev, a->buf->name);
	pthread_mutex_unlock(&rt.lock);
}
