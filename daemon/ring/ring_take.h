/*
 * Taking packets out of a client's submission ring: the pure part of the
 * consumer, apart so that it can be fuzzed. The ring is hostile memory:
 * packets are copied out first and only the copy is checked.
 */
#ifndef VGPUFSD_RING_TAKE_H
#define VGPUFSD_RING_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <vgpufs/binary_proto.h>

/*
 * Copies the run of packets at HEAD of the submission ring SQ (SQ_BYTES,
 * a power of two) into OUT (CAP bytes, at least VGPU_BIN_PACKET_MAX), in
 * one copy of at most CAP bytes, AVAIL bytes being submitted after HEAD
 * (already checked to be at most SQ_BYTES). Returns the bytes of the whole
 * packets at the start of the copy (at least the first one's), each with
 * a possible size in its copy; or -EPROTO with MSG (MSG_LEN bytes) saying
 * why the ring cannot be read on when the first packet's size is
 * impossible or runs past the tail. A later packet that is wrong ends the
 * run before it: the next run starts with it, and says so. Only the copy
 * is looked at, so a client rewriting the ring meanwhile makes at worst
 * wrong packets of its own.
 */
int ring_take_run(const volatile unsigned char *sq, uint32_t sq_bytes,
		  uint32_t head, uint32_t avail, void *out, uint32_t cap,
		  char *msg, size_t msg_len);

/* The size of the packet at P, in a run ring_take_run() copied. */
static inline uint32_t ring_packet_size(const void *p)
{
	uint32_t size;
	memcpy(&size, p, sizeof(size));
	return size;
}

/*
 * Whether the packet at P (AVAIL bytes) is a bare nop: a header of
 * version VGPU_BIN_VERSION naming nop, no flags, no arguments -- a packet
 * the parser would take as a nop with nothing to refuse, so that it can be
 * completed without parsing (batches of nops). Its tag in *TAG.
 */
bool ring_bare_nop(const void *p, size_t avail, uint64_t *tag);

/*
 * How many bare nops follow each other from P (LEN bytes of whole
 * packets), MAX at most: a run the poller completes together.
 */
unsigned ring_bare_nops(const unsigned char *p, size_t len, unsigned max);

#endif
