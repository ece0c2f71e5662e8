/*
 * Writes the fuzzers' seed corpus: every kernel's documented example as a
 * text line (DIR/text/NAME) and as a binary packet with the same arguments
 * (DIR/binary/NAME), buffers by handles 1, 2, ...
 * usage: make_seeds DIR   (DIR/text and DIR/binary must exist)
 */
#include <stdio.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/text_proto.h>

static int put_arg(char *pkt, size_t cap, const struct vgpu_cmd *c, unsigned i)
{
	const struct vgpu_arg_spec *a = &c->spec->args[i];
	switch (a->type) {
	case VGPU_ARG_BUF:
		return vgpu_bin_put_buf(pkt, cap, (uint16_t)i, i + 1,
					c->buf[i].offset);
	case VGPU_ARG_FLOAT:
		return vgpu_bin_put_float(pkt, cap, (uint16_t)i, c->val[i].f);
	case VGPU_ARG_NAME:
		return vgpu_bin_put_name(pkt, cap, (uint16_t)i, c->name);
	default:
		return vgpu_bin_put_int(pkt, cap, (uint16_t)i,
					(uint16_t)a->type, c->val[i].i);
	}
}

static int write_file(const char *dir, const char *sub, const char *name,
		      const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	int bad = 0;
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		const char *ex = k->example;
		bad |= write_file(argv[1], "text", k->name, ex, strlen(ex));
		struct vgpu_cmd c;
		int err;
		char msg[VGPU_MSG_MAX], pkt[VGPU_BIN_PACKET_MAX];
		if (vgpu_text_parse(ex, strlen(ex), &c, &err, msg,
				    sizeof(msg)) != VGPU_LINE_COMMAND) {
			fprintf(stderr, "%s: %s\n", k->name, msg);
			return 1;
		}
		vgpu_bin_begin(pkt, sizeof(pkt), (uint16_t)id, 4096);
		for (unsigned i = 0; i < k->nargs; i++)
			if (vgpu_cmd_given(&c, i) &&
			    put_arg(pkt, sizeof(pkt), &c, i))
				return 1;
		bad |= write_file(argv[1], "binary", k->name, pkt,
				  vgpu_bin_size(pkt));
	}
	return bad;
}
