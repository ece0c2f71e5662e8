/*
 * libFuzzer target: a text command line through the parser and, when it
 * parses, the validator (with buffer sizes taken from the input), checking
 * that a command the validator accepts has every extent inside its buffer.
 */
#include <stdint.h>
#include <string.h>

#include <vgpufs/text_proto.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vgpu_cmd cmd;
	int err = 0;
	char msg[VGPU_MSG_MAX];
	uint64_t bufsize = size ? (uint64_t)data[0] << (data[0] % 40) : 0;
	enum vgpu_line_kind k = vgpu_text_parse((const char *)data, size, &cmd,
						&err, msg, sizeof(msg));
	if (k == VGPU_LINE_ERROR)
		fuzz_expect(err < 0 && msg[0], "an error without a message");
	if (k == VGPU_LINE_COMMAND)
		fuzz_validate(&cmd, bufsize);
	return 0;
}
