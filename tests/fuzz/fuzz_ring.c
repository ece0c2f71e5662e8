/*
 * libFuzzer target: the ring consumer. The input is a client's submission
 * ring as the daemon finds it: 8 bytes of head and tail, then the ring's
 * bytes (zero-padded). Packets are taken as the poller takes them (a run
 * copied out at once, each size checked on the copy, each packet parsed
 * and validated), until the ring is empty or declared broken; every packet
 * of a run must parse as whole, and a packet the nop fast path takes
 * (ring_bare_nop, ring_bare_nops) must be one the parser takes as a nop
 * with nothing to refuse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>

#include "fuzz_check.h"
#include "ring/ring_take.h"

#define SQ_BYTES 8192u /* small, so that wrapping is common */

/*
 * The packet at P (SIZE bytes, taken) parses whole, and is a nop with
 * nothing to refuse when the fast path takes it (a bare nop, counted in a
 * run of them when IN_RUN).
 */
static void check_packet(const unsigned char *p, uint32_t size, bool in_run)
{
	struct vgpu_cmd cmd;
	size_t used = 0;
	uint64_t tag = 0;
	uint16_t kernel;
	int err = 0;
	char why[VGPU_MSG_MAX];
	enum vgpu_bin_kind r = vgpu_bin_parse(p, size, &cmd, &used, &tag,
					      &kernel, &err, why, sizeof(why));
	fuzz_expect(r == VGPU_BIN_COMMAND || r == VGPU_BIN_ERROR,
		    "a packet taken parses whole");
	fuzz_expect(used == size, "the parser agrees on its size");
	uint64_t nop_tag = 0;
	bool bare = ring_bare_nop(p, size, &nop_tag);
	fuzz_expect(bare || !in_run, "a run of bare nops holds only them");
	if (bare)
		fuzz_expect(r == VGPU_BIN_COMMAND && err == 0 &&
				cmd.spec->id == VGPU_K_NOP && nop_tag == tag,
			    "a bare nop is a nop to the parser");
	if (r == VGPU_BIN_COMMAND)
		fuzz_validate(&cmd, tag);
}

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
	/* not a multiple of 8, so that runs often end before a packet */
	_Alignas(8) unsigned char run[VGPU_BIN_PACKET_MAX + 1500];
	char msg[216];
	for (unsigned k = 0; k < 64; k++) {
		uint32_t avail = tail - head;
		if (avail == 0 || avail > SQ_BYTES)
			break; /* empty, or broken: the poller stops there */
		int got = ring_take_run(sq, SQ_BYTES, head, avail, run,
					sizeof(run), msg, sizeof(msg));
		if (got < 0) {
			fuzz_expect(msg[0] != '\0', "a broken ring says why");
			break;
		}
		fuzz_expect(got > 0 && (uint32_t)got <= avail &&
				(size_t)got <= sizeof(run),
			    "a run is within what was submitted and copied");
		unsigned nops = ring_bare_nops(run, (size_t)got, 100000);
		fuzz_expect(nops * sizeof(struct vgpu_bin_header) <=
				(size_t)got,
			    "a run of bare nops is within the run");
		for (uint32_t off = 0, i = 0; off < (uint32_t)got; i++) {
			uint32_t psize = ring_packet_size(run + off);
			fuzz_expect(psize >= sizeof(struct vgpu_bin_header) &&
					psize <= VGPU_BIN_PACKET_MAX &&
					psize % VGPU_BIN_ALIGN == 0 &&
					psize <= (uint32_t)got - off,
				    "a packet taken has a possible size");
			check_packet(run + off, psize, i < nops);
			off += psize;
		}
		head += (uint32_t)got;
	}
	return 0;
}
