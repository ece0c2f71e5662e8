#include <stdio.h>
#include <stdlib.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/validate.h>

#include "fuzz_check.h"

void fuzz_expect(bool cond, const char *why)
{
	if (!cond) {
		fprintf(stderr, "fuzz finding: %s\n", why);
		abort();
	}
}

void fuzz_validate(const struct vgpu_cmd *cmd, uint64_t bufsize)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	struct vgpu_bufinfo info[VGPU_MAX_ARGS];
	/* odd sizes: every argument names the same buffer (aliasing) */
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		info[i] = (struct vgpu_bufinfo){.id = bufsize & 1 ? 1 : i + 1,
						.size = bufsize};
	char msg[VGPU_MSG_MAX];
	int rc = vgpu_cmd_validate(cmd, info, msg, sizeof(msg));
	if (rc < 0) {
		fuzz_expect(msg[0] != '\0', "a refusal without a message");
		return;
	}
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	fuzz_expect(k->extents(cmd, ext, msg, sizeof(msg)) == 0,
		    "extents fail after validation passed");
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_BUF)
			continue;
		uint64_t end;
		fuzz_expect(!__builtin_add_overflow(cmd->buf[i].offset,
						    ext[i].bytes, &end) &&
				end <= bufsize,
			    "an accepted extent passes its buffer's end");
	}
	(void)vgpu_cmd_flops(cmd);
	(void)vgpu_cmd_bytes(cmd);
}

void fuzz_packets(const uint8_t *data, size_t size, unsigned max,
		  void (*fn)(const struct vgpu_cmd *cmd, uint64_t tag,
			     void *arg),
		  void *arg)
{
	size_t pos = 0;
	for (unsigned n = 0; pos < size && n < max; n++) {
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
			fn(&cmd, tag, arg);
		pos += psize;
	}
}
