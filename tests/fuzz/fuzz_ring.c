/*
 * libFuzzer target: the ring consumer. The input is a client's submission
 * ring as the daemon finds it: 8 bytes of head and tail, then the ring's
 * bytes (zero-padded). Packets are taken as the poller takes them (copy,
 * check the size, parse the copy, validate), until the ring is empty or
 * declared broken; the copy must always parse as whole, and a packet the
 * nop fast path takes (ring_bare_nop) must be one the parser takes as a
 * nop with nothing to refuse.
 */
#include <stdint.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>

#include "fuzz_check.h"
#include "ring/ring_take.h"

#define SQ_BYTES 8192u /* small, so that wrapping is common */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char sq[SQ_BYTES];
	uint32_t head = 0, tail = 0;
	if (size < 8)
		return 0;
	memcpy(&head, data, 4);
	memcpy(&tail, data + 4, 4);
	head &= ~7u; /* the daemon's head only moves by packet sizes */
	memset(sq, 0, sizeof(sq));
	size_t n = size - 8 < SQ_BYTES ? size - 8 : SQ_BYTES;
	/* the bytes start at head, as a client would have written them */
	for (size_t i = 0; i < n; i++)
		sq[(head + i) % SQ_BYTES] = data[8 + i];
	_Alignas(8) unsigned char pkt[VGPU_BIN_PACKET_MAX];
	char msg[216];
	for (unsigned k = 0; k < 64; k++) {
		uint32_t avail = tail - head;
		if (avail == 0 || avail > SQ_BYTES)
			break; /* empty, or broken: the poller stops there */
		int got = ring_take_packet(sq, SQ_BYTES, head, avail, pkt, msg,
					   sizeof(msg));
		if (got < 0) {
			fuzz_expect(msg[0] != '\0', "a broken ring says why");
			break;
		}
		uint32_t psize = (uint32_t)got;
		fuzz_expect(psize >= sizeof(struct vgpu_bin_header) &&
				psize <= VGPU_BIN_PACKET_MAX &&
				psize % VGPU_BIN_ALIGN == 0 && psize <= avail,
			    "a packet taken has a possible size");
		struct vgpu_cmd cmd;
		size_t used = 0;
		uint64_t tag = 0;
		uint16_t kernel;
		int err = 0;
		char why[VGPU_MSG_MAX];
		enum vgpu_bin_kind r =
		    vgpu_bin_parse(pkt, psize, &cmd, &used, &tag, &kernel, &err,
				   why, sizeof(why));
		fuzz_expect(r == VGPU_BIN_COMMAND || r == VGPU_BIN_ERROR,
			    "a packet taken parses whole");
		fuzz_expect(used == psize, "the parser agrees on its size");
		uint64_t nop_tag = 0;
		if (ring_bare_nop(pkt, psize, &nop_tag))
			fuzz_expect(r == VGPU_BIN_COMMAND && err == 0 &&
					cmd.spec->id == VGPU_K_NOP &&
					nop_tag == tag,
				    "a bare nop is a nop to the parser");
		if (r == VGPU_BIN_COMMAND)
			fuzz_validate(&cmd, tag);
		head += psize;
	}
	return 0;
}
