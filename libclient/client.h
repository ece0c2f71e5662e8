/*
 * libvgpu's insides, shared by its files: the device, buffer and stream
 * objects and the helpers that set messages.
 */
#ifndef VGPU_CLIENT_H
#define VGPU_CLIENT_H

#include <pthread.h>
#include <stdarg.h>

#include <vgpu/vgpu.h>

/* A mapped buffer, for finding the buffer of an address. */
struct mapping {
	uintptr_t addr;
	size_t len;
	vgpu_buffer *buf;
};

struct vgpu_device {
	char *path;
	int dirfd;	      /* the mount point (O_PATH) */
	int memfd;	      /* mem/ (O_PATH) */
	unsigned refs;	      /* the caller's, plus one per buffer and stream */
	pthread_mutex_t lock; /* guards what follows */
	struct mapping *maps; /* sorted by address */
	size_t nmaps, maps_cap;
	char message[VGPU_MESSAGE_MAX];
};

struct vgpu_buffer {
	vgpu_device *dev;
	int fd;
	int access;
	char *name;
	uint64_t handle;
	bool anonymous; /* removed at close */
	void *map;
	size_t map_len;
};

/* Sets the device's message; returns ERR. */
int dev_fail(vgpu_device *dev, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with the message already made. */
int dev_fail_msg(vgpu_device *dev, int err, const char *msg);
void dev_get(vgpu_device *dev);
void dev_put(vgpu_device *dev);
/* Checks a buffer path relative to mem/ (no "/" start, ".", ".."). */
int dev_check_name(vgpu_device *dev, const char *name);

/* The device's mappings (dev->lock taken inside). */
int dev_map_add(vgpu_device *dev, void *addr, size_t len, vgpu_buffer *buf);
void dev_map_remove(vgpu_device *dev, void *addr);

/* Reads the whole file NAME of the device into a malloc'd string; -errno. */
int dev_read_file(vgpu_device *dev, const char *name, char **text);
/* dev_read_file() of info. */
int dev_read_info(vgpu_device *dev, char **text);

/* The stream's message; returns ERR (for failed calls on it). */
int stream_fail(vgpu_stream *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
vgpu_device *stream_device(const vgpu_stream *s);
/*
 * Appends a packet for kernel ID to the stream's batch: BUILD writes its
 * arguments at PKT (CAP bytes of room) and returns 0 or -errno. Returns
 * the command id or -errno.
 */
int64_t stream_append(vgpu_stream *s, uint16_t id,
		      int (*build)(void *pkt, size_t cap, void *arg),
		      void *arg);

/* vgpu_launchl() with its argument list (ending with VGPU_END). */
int64_t launch_va(vgpu_stream *s, const char *kernel, va_list ap);

#endif
