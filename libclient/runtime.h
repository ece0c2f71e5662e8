/* The runtime layer's shared state: its device, streams and errors. */
#ifndef VGPU_RUNTIME_INTERNAL_H
#define VGPU_RUNTIME_INTERNAL_H

#include <vgpu/vgpu_runtime.h>

#include "client.h"

struct vgpuStream {
	vgpu_stream *s;
	pthread_mutex_t lock; /* one caller at a time */
	struct vgpuStream *next;
};

/* Records ERR (with MSG) as this thread's last error; returns ERR. */
vgpuError_t rt_error(vgpuError_t err, const char *msg);
/* The device, opened at the first call; NULL after recording an error. */
vgpu_device *rt_device(void);
/* STREAM, or the default stream for NULL; NULL after recording an error. */
struct vgpuStream *rt_stream(vgpuStream_t stream);
/*
 * Launches KERNEL with ARGS on ST (locked inside); the launch's error is
 * recorded.
 */
vgpuError_t rt_launch(struct vgpuStream *st, const char *kernel,
		      const vgpu_arg *args, size_t nargs);

/* Allocations: added by vgpuMalloc, dropped by vgpuFree (rt lock inside). */
int rt_alloc_add(vgpu_buffer *buf);
/* Removes the allocation that starts at PTR; NULL when none does. */
vgpu_buffer *rt_alloc_take(const void *ptr);
/* Closes (and so removes) every allocation; at reset. */
void rt_alloc_free_all(void);

#endif
