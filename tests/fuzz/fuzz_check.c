#include <stdio.h>
#include <stdlib.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/launch_params.h>
#include <vgpufs/validate.h>

#include "fuzz_check.h"

void fuzz_expect(bool cond, const char *why)
{
	if (!cond) {
		fprintf(stderr, "fuzz finding: %s\n", why);
		abort();
	}
}

/* A launch's parameters as the daemon walks them: each one parsed. */
static void walk_params(const struct vgpu_cmd *cmd)
{
	struct vgpu_param p;
	size_t pos = 0;
	unsigned n = 0;
	while (vgpu_param_next(cmd, &pos, &p)) {
		fuzz_expect(vgpu_param_name_valid(p.name, p.name_len),
			    "a parameter's name is not an identifier");
		char text[VGPU_PARAM_TEXT_MAX];
		if (p.kind && p.kind != VGPU_BIN_PARAM_BUF)
			fuzz_expect(vgpu_param_text(&p, text, sizeof(text)) > 0,
				    "a parameter's value has no text form");
		n++;
	}
	fuzz_expect(n == cmd->nparams, "parameters walked != parsed");
}

void fuzz_validate(const struct vgpu_cmd *cmd, uint64_t bufsize)
{
	if (cmd->spec->params)
		walk_params(cmd);
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
