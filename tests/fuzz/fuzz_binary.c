/*
 * libFuzzer target: a stream of binary packets through the parser, packet
 * by packet as the daemon takes them, each command through the validator.
 */
#include <stdint.h>

#include "fuzz_check.h"

/* The packet's tag is the size of every buffer. */
static void validate(const struct vgpu_cmd *cmd, uint64_t tag, void *arg)
{
	(void)arg;
	fuzz_validate(cmd, tag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_packets(data, size, UINT32_MAX, validate, NULL);
	return 0;
}
