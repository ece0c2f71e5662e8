/*
 * Taking one packet out of a client's submission ring: the pure part of
 * the consumer, apart so that it can be fuzzed. The ring is hostile
 * memory: the packet is copied out first and only the copy is checked.
 */
#ifndef VGPUFSD_RING_TAKE_H
#define VGPUFSD_RING_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/binary_proto.h>

/*
 * Copies the packet at HEAD of the submission ring SQ (SQ_BYTES, a power
 * of two) into OUT (VGPU_BIN_PACKET_MAX bytes), AVAIL bytes being
 * submitted after HEAD (already checked to be at most SQ_BYTES). Returns
 * its size, or -EPROTO with MSG (MSG_LEN bytes) saying why the ring cannot
 * be read on: an impossible size, or a packet running past the tail. The
 * copy's size field is the size returned, whatever the ring holds now.
 */
int ring_take_packet(const volatile unsigned char *sq, uint32_t sq_bytes,
		     uint32_t head, uint32_t avail, void *out, char *msg,
		     size_t msg_len);

/*
 * Whether the packet at P (AVAIL bytes) is a bare nop: a header of
 * version VGPU_BIN_VERSION naming nop, no flags, no arguments -- a packet
 * the parser would take as a nop with nothing to refuse, so that it can be
 * completed without parsing (batches of nops). Its tag in *TAG.
 */
bool ring_bare_nop(const void *p, size_t avail, uint64_t *tag);

#endif
