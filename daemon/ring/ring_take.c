#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>

#include "ring/ring_take.h"

/*
 * Copies LEN bytes from SQ at offset FROM (modulo SQ_BYTES) to OUT, in at
 * most two pieces. The client may be writing them meanwhile: only the copy
 * is looked at afterwards, so torn bytes can only make its own packet
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

int ring_take_packet(const volatile unsigned char *sq, uint32_t sq_bytes,
		     uint32_t head, uint32_t avail, void *out, char *msg,
		     size_t msg_len)
{
	uint32_t size;
	if (avail < sizeof(size)) {
		snprintf(msg, msg_len,
			 "ring: %u bytes submitted at %u: not a packet", avail,
			 head);
		return -EPROTO;
	}
	copy_out(sq, sq_bytes, head, out, sizeof(size));
	memcpy(&size, out, sizeof(size));
	if (size < sizeof(struct vgpu_bin_header) ||
	    size > VGPU_BIN_PACKET_MAX || size % VGPU_BIN_ALIGN) {
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
	copy_out(sq, sq_bytes, head, out, size);
	memcpy(out, &size, sizeof(size)); /* what was checked, not a reread */
	return (int)size;
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
