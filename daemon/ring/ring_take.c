#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "ring/ring_take.h"

/*
 * Copies LEN bytes from SQ at offset FROM (modulo SQ_BYTES) to OUT, in at
 * most two pieces. The client may be writing them meanwhile: only the copy
 * is looked at afterwards, so torn bytes can only make its own packets
 * wrong.
 */
static void copy_out(const volatile unsigned char *sq, uint32_t sq_bytes,
		     uint32_t from, unsigned char *out, uint32_t len)
{
	uint32_t at = from & (sq_bytes - 1);
	uint32_t first = sq_bytes - at < len ? sq_bytes - at : len;
	memcpy(out, (const unsigned char *)sq + at, first);
	memcpy(out + first, (const unsigned char *)sq, len - first);
}

/* Whether SIZE is a possible packet size. */
static bool possible_size(uint32_t size)
{
	return size >= sizeof(struct vgpu_bin_header) &&
	       size <= VGPU_BIN_PACKET_MAX && size % VGPU_BIN_ALIGN == 0;
}

int ring_take_run(const volatile unsigned char *sq, uint32_t sq_bytes,
		  uint32_t head, uint32_t avail, void *out, uint32_t cap,
		  char *msg, size_t msg_len)
{
	unsigned char *o = out;
	if (avail < sizeof(uint32_t)) {
		snprintf(msg, msg_len,
			 "ring: %u bytes submitted at %u: not a packet", avail,
			 head);
		return -EPROTO;
	}
	uint32_t len = avail < cap ? avail : cap;
	copy_out(sq, sq_bytes, head, o, len);
	uint32_t size = ring_packet_size(o);
	if (!possible_size(size)) {
		snprintf(msg, msg_len,
			 "ring: packet at %u has size %u: sizes are 24 to "
			 "4096, multiples of 8",
			 head, size);
		return -EPROTO;
	}
	if (size > avail) {
		snprintf(msg, msg_len,
			 "ring: packet at %u of %u bytes runs past the tail "
			 "(%u bytes submitted)",
			 head, size, avail);
		return -EPROTO;
	}
	/* The first fits in the copy: CAP is at least a packet's most. */
	uint32_t end = size;
	while (len - end >= sizeof(uint32_t)) {
		size = ring_packet_size(o + end);
		if (!possible_size(size) || size > len - end)
			break; /* wrong, or past the copy: the next run's */
		end += size;
	}
	return (int)end;
}

bool ring_bare_nop(const void *p, size_t avail, uint64_t *tag)
{
	struct vgpu_bin_header h;
	if (avail < sizeof(h))
		return false;
	memcpy(&h, p, sizeof(h));
	*tag = h.tag;
	return h.size == sizeof(h) && h.version == VGPU_BIN_VERSION &&
	       h.kernel == VGPU_K_NOP && !h.flags && !h.nargs;
}

unsigned ring_bare_nops(const unsigned char *p, size_t len, unsigned max)
{
	const size_t hs = sizeof(struct vgpu_bin_header);
	uint64_t tag;
	unsigned n = 0;
	while (n < max &&
	       ring_bare_nop(p + (size_t)n * hs, len - (size_t)n * hs, &tag))
		n++;
	return n;
}
