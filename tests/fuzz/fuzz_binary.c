/*
 * libFuzzer target: a stream of binary packets through the parser, packet
 * by packet as the daemon takes them, each command through the validator.
 */
#include <stdint.h>

#include <vgpufs/binary_proto.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	while (pos < size) {
		struct vgpu_cmd cmd;
		size_t psize = 0;
		uint64_t tag;
		uint16_t kernel;
		int err = 0;
		char msg[VGPU_MSG_MAX];
		enum vgpu_bin_kind k =
		    vgpu_bin_parse(data + pos, size - pos, &cmd, &psize, &tag,
				   &kernel, &err, msg, sizeof(msg));
		if (k == VGPU_BIN_MORE || k == VGPU_BIN_BROKEN)
			break;
		fuzz_expect(psize >= sizeof(struct vgpu_bin_header) &&
				psize <= size - pos,
			    "a packet size outside the input");
		if (k == VGPU_BIN_ERROR)
			fuzz_expect(err < 0 && msg[0], "an error, no message");
		else
			fuzz_validate(&cmd, tag);
		pos += psize;
	}
	return 0;
}
