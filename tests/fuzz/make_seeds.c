/*
 * Writes the fuzzers' seed corpus: every kernel's documented example as a
 * text line (DIR/text/NAME) and as a binary packet with the same arguments
 * (DIR/binary/NAME), buffers by handles 1, 2, ...; and for fuzz_exec
 * (DIR/exec/NAME as lines, NAME.bin as packets) the example shrunk to fit
 * 64 KiB buffers, then again with each buffer argument at offset +1, and
 * all at +2 and +4 (refused where the elements are larger). build and
 * launch (a user's program) get binary packets with a parameter of every
 * kind, also as submission rings for fuzz_ring (DIR/ring/launch and
 * launch-wrap, when DIR/ring exists).
 * usage: make_seeds DIR   (DIR/text, DIR/binary and DIR/exec must exist)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>

#include "fuzz_exec_input.h"

/* Argument I of C; a buffer as HANDLE at its offset + DELTA. */
static int put_arg(char *pkt, size_t cap, const struct vgpu_cmd *c, unsigned i,
		   uint64_t handle, uint64_t delta)
{
	const struct vgpu_arg_spec *a = &c->spec->args[i];
	switch (a->type) {
	case VGPU_ARG_BUF:
		return vgpu_bin_put_buf(pkt, cap, (uint16_t)i, handle,
					c->buf[i].offset + delta);
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

/*
 * fuzz_exec's buffers for command C: its distinct buffer names, in order,
 * become buffers 0, 1, ... (at most FX_NBUF_MAX, of FX_BUF_SIZE_MAX bytes).
 * Sets BUF[i] to argument i's buffer and fills INFO for the validator;
 * returns the number of buffers.
 */
static unsigned exec_buffers(const struct vgpu_cmd *c, unsigned buf[],
			     struct vgpu_bufinfo info[])
{
	const struct vgpu_kernel_spec *k = c->spec;
	unsigned n = 0, first[FX_NBUF_MAX];
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_BUF)
			continue;
		const struct vgpu_bufref *r = &c->buf[i];
		unsigned b = 0;
		while (b < n && !(c->buf[first[b]].name_len == r->name_len &&
				  memcmp(c->buf[first[b]].name, r->name,
					 r->name_len) == 0))
			b++;
		if (b == n && n < FX_NBUF_MAX)
			first[n++] = i;
		buf[i] = b = b < n ? b : n - 1;
		info[i] =
		    (struct vgpu_bufinfo){.id = b + 1, .size = FX_BUF_SIZE_MAX};
	}
	return n;
}

/* 0 when C fits the buffers; else the bytes it spans, or UINT64_MAX. */
static uint64_t misfit(const struct vgpu_cmd *c,
		       const struct vgpu_bufinfo info[])
{
	char msg[VGPU_MSG_MAX];
	uint64_t bytes;
	int rc = vgpu_cmd_validate_bytes(c, info, msg, sizeof(msg), &bytes);
	if (rc == 0)
		return 0;
	return strstr(msg, " holds ") ? vgpu_cmd_bytes(c) : UINT64_MAX;
}

/*
 * Halves integer arguments, the one that helps most first, until C fits
 * fuzz_exec's buffers; false when it cannot.
 */
static bool shrink(struct vgpu_cmd *c, const struct vgpu_bufinfo info[])
{
	const struct vgpu_kernel_spec *k = c->spec;
	uint64_t cur = misfit(c, info);
	while (cur != 0) {
		unsigned best = k->nargs;
		uint64_t best_fit = cur;
		for (unsigned i = 0; i < k->nargs; i++) {
			int64_t v = c->val[i].i;
			if (k->args[i].type != VGPU_ARG_INT || v / 2 < 1 ||
			    v / 2 < k->args[i].imin)
				continue;
			c->val[i].i = v / 2;
			uint64_t f = misfit(c, info);
			c->val[i].i = v;
			if (f < best_fit)
				best = i, best_fit = f;
		}
		if (best == k->nargs)
			return false;
		c->val[best].i /= 2;
		cur = best_fit;
	}
	return true;
}

/*
 * C as a text line, buffer argument i naming buffer BUF[i] (b0, b1, ...:
 * the sums of their bytes differ, so fx_pick() tells them apart) at its
 * offset + DELTA[i].
 */
static int format_line(char *line, size_t cap, const struct vgpu_cmd *c,
		       const unsigned buf[], const uint64_t delta[])
{
	const struct vgpu_kernel_spec *k = c->spec;
	int used = snprintf(line, cap, "%s", k->name);
	for (unsigned i = 0; i < k->nargs && used > 0 && (size_t)used < cap;
	     i++) {
		if (!vgpu_cmd_given(c, i))
			continue;
		const struct vgpu_arg_spec *a = &k->args[i];
		char *p = line + used;
		size_t room = cap - (size_t)used;
		int n;
		switch (a->type) {
		case VGPU_ARG_BUF:
			n = snprintf(p, room, " %s=b%u+%" PRIu64, a->name,
				     buf[i], c->buf[i].offset + delta[i]);
			break;
		case VGPU_ARG_FLOAT:
			n = snprintf(p, room, " %s=%.17g", a->name,
				     c->val[i].f);
			break;
		case VGPU_ARG_DTYPE:
			n = snprintf(
			    p, room, " %s=%s", a->name,
			    vgpu_dtype_name((enum vgpu_dtype)c->val[i].i));
			break;
		case VGPU_ARG_KEYWORD:
			n = snprintf(p, room, " %s=%s", a->name,
				     a->words[c->val[i].i]);
			break;
		case VGPU_ARG_NAME:
			n = snprintf(p, room, " %s=%s", a->name, c->name);
			break;
		default:
			n = snprintf(p, room, " %s=%" PRId64, a->name,
				     c->val[i].i);
			break;
		}
		used = n < 0 ? -1 : used + n;
	}
	return used > 0 && (size_t)used + 1 < cap ? used : -1;
}

/*
 * C as a packet in OUT (CAP bytes, any alignment), buffer argument i as
 * buffer BUF[i] at offset + DELTA[i]. Built in an aligned buffer first: the
 * builder, like a client, works on packets at their natural alignment.
 */
static int format_packet(char *out, size_t cap, const struct vgpu_cmd *c,
			 unsigned nbuf, const unsigned buf[],
			 const uint64_t delta[])
{
	_Alignas(8) char pkt[VGPU_BIN_PACKET_MAX];
	const struct vgpu_kernel_spec *k = c->spec;
	if (vgpu_bin_begin(pkt, sizeof(pkt), k->id, 1) < 0)
		return -1;
	for (unsigned i = 0; i < k->nargs; i++)
		/* handle buf + nbuf: fx_pick() gives buf, and it is not 0 */
		if (vgpu_cmd_given(c, i) &&
		    put_arg(pkt, sizeof(pkt), c, i, buf[i] + nbuf, delta[i]))
			return -1;
	size_t n = vgpu_bin_size(pkt);
	if (n > cap)
		return -1;
	memcpy(out, pkt, n);
	return (int)n;
}

/*
 * DIR/exec/NAME (text lines) and DIR/exec/NAME.bin (packets): C shrunk,
 * then with each buffer argument at offset +1, then all at +2 and +4.
 */
static int exec_seed(const char *dir, struct vgpu_cmd c)
{
	const struct vgpu_kernel_spec *k = c.spec;
	unsigned buf[VGPU_MAX_ARGS] = {0};
	struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {0};
	unsigned nbuf = exec_buffers(&c, buf, info);
	if (!k->control && !shrink(&c, info)) {
		fprintf(stderr, "%s: the example does not shrink to %u bytes\n",
			k->name, FX_BUF_SIZE_MAX);
		return 1;
	}
	nbuf = nbuf ? nbuf : 1;
	int bad = 0;
	for (unsigned binary = 0; binary < 2; binary++) {
		char seed[2 * VGPU_LINE_MAX];
		size_t len = 0;
		seed[len++] = (char)(((nbuf - 1) << FX_NBUF_SHIFT) |
				     (1u << FX_WORKERS_SHIFT) | FX_FINITE |
				     (binary ? FX_BINARY : 0));
		for (unsigned b = 0; b < nbuf; b++) {
			seed[len++] = (char)(FX_BUF_SIZE_MAX & 0xff);
			seed[len++] = (char)(FX_BUF_SIZE_MAX >> 8);
		}
		seed[len++] = 1; /* contents */
		unsigned nargs = k->nargs;
		for (unsigned v = 0; v <= nargs + 2; v++) {
			uint64_t delta[VGPU_MAX_ARGS] = {0};
			bool any = v == 0;
			for (unsigned i = 0; i < nargs; i++) {
				if (k->args[i].type != VGPU_ARG_BUF ||
				    !vgpu_cmd_given(&c, i))
					continue;
				delta[i] = v == nargs + 1   ? 2
					   : v == nargs + 2 ? 4
					   : v == i + 1	    ? 1
							    : 0;
				any |= delta[i] != 0;
			}
			if (!any)
				continue;
			char *at = seed + len;
			size_t room = sizeof(seed) - len - 1;
			int n = binary ? format_packet(at, room, &c, nbuf, buf,
						       delta)
				       : format_line(at, room, &c, buf, delta);
			if (n < 0)
				return 1;
			len += (size_t)n;
			if (!binary)
				seed[len++] = '\n';
		}
		char name[64];
		snprintf(name, sizeof(name), "%s%s", k->name,
			 binary ? ".bin" : "");
		bad |= write_file(dir, "exec", name, seed, len);
	}
	return bad;
}

/* A launch with a parameter of every kind, in PKT (aligned): its size. */
static size_t launch_packet(char *pkt, size_t cap)
{
	uint64_t global[2] = {64, 4}, local[2] = {16, 1};
	struct vgpu_bin_buf x = {2, 0}, y = {3, 16};
	double a = 2.5, v4[4] = {1, 2, 3, 4};
	int64_t n = 256;
	uint64_t tmp = 64;
	vgpu_bin_begin(pkt, cap, VGPU_K_LAUNCH, 7);
	vgpu_bin_put_buf(pkt, cap, LAUNCH_PROG, 1, 0);
	vgpu_bin_put_name(pkt, cap, LAUNCH_KERNEL, "saxpy");
	vgpu_bin_put_dims(pkt, cap, LAUNCH_GLOBAL, 2, global);
	vgpu_bin_put_dims(pkt, cap, LAUNCH_LOCAL, 2, local);
	vgpu_bin_put_param(pkt, cap, "a", VGPU_BIN_PARAM_FLOAT, 1, &a);
	vgpu_bin_put_param(pkt, cap, "x", VGPU_BIN_PARAM_BUF, 1, &x);
	vgpu_bin_put_param(pkt, cap, "y", VGPU_BIN_PARAM_BUF, 1, &y);
	vgpu_bin_put_param(pkt, cap, "n", VGPU_BIN_PARAM_INT, 1, &n);
	vgpu_bin_put_param(pkt, cap, "scale", VGPU_BIN_PARAM_FLOAT, 4, v4);
	vgpu_bin_put_param(pkt, cap, "tmp", VGPU_BIN_PARAM_LOCAL, 1, &tmp);
	return vgpu_bin_size(pkt);
}

/* fuzz_ring's input: head and tail, then the ring's bytes from head. */
static int ring_seed(const char *dir, const char *name, uint32_t head,
		     const char *pkt, size_t len)
{
	char seed[8 + VGPU_BIN_PACKET_MAX];
	uint32_t tail = head + (uint32_t)len;
	memcpy(seed, &head, 4);
	memcpy(seed + 4, &tail, 4);
	memcpy(seed + 8, pkt, len);
	return write_file(dir, "ring", name, seed, 8 + len);
}

/*
 * A batch of bare nops across the wrap, with nops the fast path must leave
 * to the parser among them (flags set, a version off, an argument).
 */
static int nop_batch_seed(const char *dir)
{
	enum { N = 64, HS = sizeof(struct vgpu_bin_header) };
	_Alignas(8) char batch[N * 32];
	size_t len = 0;
	for (unsigned i = 0; i < N; i++) {
		char *p = batch + len;
		vgpu_bin_begin(p, sizeof(batch) - len, VGPU_K_NOP, i);
		struct vgpu_bin_header h;
		memcpy(&h, p, HS);
		if (i % 16 == 5)
			h.flags = 1;
		if (i % 16 == 9)
			h.version = VGPU_BIN_VERSION + 1;
		memcpy(p, &h, HS);
		if (i % 16 == 13)
			vgpu_bin_put_int(p, sizeof(batch) - len, 0,
					 VGPU_ARG_INT, 1);
		len += vgpu_bin_size(p);
	}
	return ring_seed(dir, "nop-batch-wrap", 8192 - 200, batch, len);
}

/* build and launch: binary packets (and rings) of their own. */
static int program_seeds(const char *dir)
{
	_Alignas(8) char pkt[VGPU_BIN_PACKET_MAX];
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_BUILD, 6);
	vgpu_bin_put_buf(pkt, sizeof(pkt), BUILD_PROG, 1, 0);
	int bad = write_file(dir, "binary", "build", pkt, vgpu_bin_size(pkt));
	size_t len = launch_packet(pkt, sizeof(pkt));
	bad |= write_file(dir, "binary", "launch", pkt, len);
	char ring[512];
	snprintf(ring, sizeof(ring), "%s/ring", dir);
	if (access(ring, W_OK) == 0) /* the ring's seeds are kept apart */
		bad |= ring_seed(dir, "launch", 0, pkt, len) |
		       ring_seed(dir, "launch-wrap", 8192 - 64, pkt, len) |
		       nop_batch_seed(dir);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	int bad = program_seeds(argv[1]);
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		const char *ex = k->example;
		bad |= write_file(argv[1], "text", k->name, ex, strlen(ex));
		if (k->program)
			continue; /* build, launch: program_seeds() */
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
			    put_arg(pkt, sizeof(pkt), &c, i, i + 1, 0))
				return 1;
		bad |= write_file(argv[1], "binary", k->name, pkt,
				  vgpu_bin_size(pkt));
		bad |= exec_seed(argv[1], c);
	}
	return bad;
}
