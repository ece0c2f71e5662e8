/*
 * The input of fuzz_exec, which make_seeds writes too: byte 0 is the mode
 * (FX_*), then 2 bytes (little-endian) a buffer: its size; then a byte,
 * the seed of the buffers' contents; then the commands (text lines, or
 * binary packets). A buffer argument names buffer fx_pick() of its name
 * or handle: any name picks one, so arguments alias.
 */
#ifndef VGPUFS_FUZZ_EXEC_INPUT_H
#define VGPUFS_FUZZ_EXEC_INPUT_H

#include <stdint.h>

#include <vgpufs/command.h>

#define FX_BINARY	 1u  /* packets, not text lines */
#define FX_NBUF_SHIFT	 1   /* 2 bits: buffers - 1 */
#define FX_WORKERS_SHIFT 3   /* 3 bits: workers - 1, for plan() */
#define FX_FINITE	 64u /* contents are small finite f32 values */
#define FX_NBUF_MAX	 4
#define FX_BUF_SIZE_MAX	 65535u

/* Text: the sum of the name's bytes; binary: the handle; modulo NBUF. */
static inline unsigned fx_pick(const struct vgpu_bufref *r, unsigned nbuf)
{
	uint64_t h = r->handle;
	if (r->name) {
		h = 0;
		for (uint16_t i = 0; i < r->name_len; i++)
			h += (uint8_t)r->name[i];
	}
	return (unsigned)(h % nbuf);
}

#endif
