/*
 * Device memory of the runtime layer: a device pointer is the mapped
 * address of an anonymous buffer, so host copies are plain memmove()s on
 * the mapping once the device is idle, and device copies are the `copy`
 * kernel on the buffers' handles.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"

/* Where COUNT bytes at a device pointer are. */
struct devptr {
	vgpu_buffer *buf;
	uint64_t offset;
};

/*
 * 1 when [P, P+COUNT) is device memory (then *D is set), 0 when P is in no
 * allocation, -EINVAL (recorded) when it starts in one and runs past its
 * end.
 */
static int classify(vgpu_device *dev, const void *p, size_t count,
		    const char *what, struct devptr *d)
{
	d->buf = vgpu_buffer_at(dev, p, &d->offset);
	if (!d->buf)
		return 0;
	if (count > d->buf->map_len - d->offset) {
		char msg[VGPU_MESSAGE_MAX];
		snprintf(msg, sizeof(msg),
			 "%s: %zu bytes from offset %llu pass the end of its "
			 "%zu-byte allocation",
			 what, count, (unsigned long long)d->offset,
			 d->buf->map_len);
		return rt_error(-EINVAL, msg);
	}
	return 1;
}

/* Like classify(), and an error when P is not device memory. */
static int need_device(vgpu_device *dev, const void *p, size_t count,
		       const char *what, struct devptr *d)
{
	int rc = classify(dev, p, count, what, d);
	if (rc == 0) {
		char msg[VGPU_MESSAGE_MAX];
		snprintf(msg, sizeof(msg), "%s: %p is not a device pointer",
			 what, p);
		rc = rt_error(-EINVAL, msg);
	}
	return rc;
}

vgpuError_t vgpuMalloc(void **ptr, size_t size)
{
	*ptr = NULL;
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	if (size == 0)
		return vgpuSuccess;
	vgpu_buffer *b;
	int rc = vgpu_buffer_create(dev, NULL, size, 0600, &b);
	if (rc == 0 && (rc = vgpu_buffer_map(b, ptr)) < 0)
		vgpu_buffer_close(b);
	if (rc < 0)
		return rt_error(rc, vgpu_last_message(dev));
	rc = rt_alloc_add(b);
	if (rc < 0) {
		vgpu_buffer_close(b);
		*ptr = NULL;
	}
	return rc;
}

vgpuError_t vgpuFree(void *ptr)
{
	if (!ptr)
		return vgpuSuccess;
	/* Launches still batched or running may use it: let them finish. */
	vgpuDeviceSynchronize();
	vgpu_buffer *b = rt_alloc_take(ptr);
	if (!b) {
		char msg[VGPU_MESSAGE_MAX];
		snprintf(msg, sizeof(msg),
			 "vgpuFree: %p is not an address vgpuMalloc gave", ptr);
		return rt_error(-EINVAL, msg);
	}
	vgpu_buffer_close(b);
	return vgpuSuccess;
}

vgpuError_t vgpuMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	vgpu_info info;
	int rc = vgpu_info_get(dev, &info);
	if (rc < 0)
		return rt_error(rc, vgpu_last_message(dev));
	*free_bytes = info.capacity > info.used ? info.capacity - info.used : 0;
	*total_bytes = info.capacity;
	return vgpuSuccess;
}

/* A `copy` of COUNT bytes between device pointers on ST. */
static vgpuError_t copy_kernel(struct vgpuStream *st, const struct devptr *dst,
			       const struct devptr *src, size_t count)
{
	const vgpu_arg args[] = {
	    VGPU_BUF("src", src->buf, src->offset),
	    VGPU_BUF("dst", dst->buf, dst->offset),
	    VGPU_I64("bytes", (int64_t)count),
	};
	return rt_launch(st, "copy", args, sizeof(args) / sizeof(args[0]));
}

/* Checks both sides of a copy against KIND; 1 when it is device to device. */
static int copy_sides(vgpu_device *dev, void *dst, const void *src,
		      size_t count, vgpuMemcpyKind kind, struct devptr *d,
		      struct devptr *s)
{
	bool dst_dev =
	    kind == vgpuMemcpyHostToDevice || kind == vgpuMemcpyDeviceToDevice;
	bool src_dev =
	    kind == vgpuMemcpyDeviceToHost || kind == vgpuMemcpyDeviceToDevice;
	if ((unsigned)kind > vgpuMemcpyDefault)
		return rt_error(-EINVAL, "vgpuMemcpy: unknown kind");
	int rd = dst_dev ? need_device(dev, dst, count, "vgpuMemcpy dst", d)
			 : classify(dev, dst, count, "vgpuMemcpy dst", d);
	if (rd < 0)
		return rd;
	int rs = src_dev ? need_device(dev, src, count, "vgpuMemcpy src", s)
			 : classify(dev, src, count, "vgpuMemcpy src", s);
	if (rs < 0)
		return rs;
	return kind == vgpuMemcpyDeviceToDevice ||
	       (kind == vgpuMemcpyDefault && rd && rs);
}

/* Waits for ST's work, or the whole device's when ST is NULL. */
static vgpuError_t settle(struct vgpuStream *st)
{
	if (!st)
		return vgpuDeviceSynchronize();
	pthread_mutex_lock(&st->lock);
	int rc = vgpu_wait_all(st->s);
	pthread_mutex_unlock(&st->lock);
	return rt_error(rc, vgpu_last_message(st->s));
}

/*
 * The copy of vgpuMemcpy (ST NULL: after all work, and waited for) and
 * vgpuMemcpyAsync (in ST's order).
 */
static vgpuError_t memcpy_on(struct vgpuStream *st, void *dst, const void *src,
			     size_t count, vgpuMemcpyKind kind)
{
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	struct devptr d, s;
	int dd = copy_sides(dev, dst, src, count, kind, &d, &s);
	if (dd < 0)
		return dd;
	if (count == 0)
		return vgpuSuccess;
	if (dd && st)
		return copy_kernel(st, &d, &s, count);
	/* An earlier command's failure is reported; the copy still done. */
	vgpuError_t earlier = settle(st);
	if (!dd) {
		memmove(dst, src, count);
		return earlier;
	}
	struct vgpuStream *deflt = rt_stream(NULL);
	if (!deflt)
		return vgpuPeekAtLastError();
	vgpuError_t rc = copy_kernel(deflt, &d, &s, count);
	if (rc == 0)
		rc = settle(deflt);
	return earlier ? earlier : rc;
}

vgpuError_t vgpuMemcpy(void *dst, const void *src, size_t count,
		       vgpuMemcpyKind kind)
{
	return memcpy_on(NULL, dst, src, count, kind);
}

vgpuError_t vgpuMemcpyAsync(void *dst, const void *src, size_t count,
			    vgpuMemcpyKind kind, vgpuStream_t stream)
{
	struct vgpuStream *st = rt_stream(stream);
	return st ? memcpy_on(st, dst, src, count, kind)
		  : vgpuPeekAtLastError();
}

/* The f32 whose four bytes are all BYTE, when it is a finite number. */
static bool byte_float(unsigned char byte, float *f)
{
	uint32_t bits = byte * 0x01010101u;
	memcpy(f, &bits, sizeof(*f));
	return isfinite(*f);
}

/* vgpuMemset (ST NULL) and vgpuMemsetAsync. */
static vgpuError_t memset_on(struct vgpuStream *st, void *ptr, int value,
			     size_t count)
{
	vgpu_device *dev = rt_device();
	if (!dev)
		return vgpuPeekAtLastError();
	struct devptr d;
	int rc = need_device(dev, ptr, count, "vgpuMemset", &d);
	if (rc < 0)
		return rc;
	float f;
	if (st && count % 4 == 0 && d.offset % 4 == 0 &&
	    byte_float((unsigned char)value, &f)) {
		const vgpu_arg args[] = {
		    VGPU_BUF("buf", d.buf, d.offset),
		    VGPU_F64("value", f),
		    VGPU_I64("n", (int64_t)(count / 4)),
		};
		return rt_launch(st, "fill", args,
				 sizeof(args) / sizeof(args[0]));
	}
	rc = settle(st); /* an earlier failure, reported: set all the same */
	memset(ptr, value, count);
	return rc;
}

vgpuError_t vgpuMemset(void *ptr, int value, size_t count)
{
	return memset_on(NULL, ptr, value, count);
}

vgpuError_t vgpuMemsetAsync(void *ptr, int value, size_t count,
			    vgpuStream_t stream)
{
	struct vgpuStream *st = rt_stream(stream);
	return st ? memset_on(st, ptr, value, count) : vgpuPeekAtLastError();
}
