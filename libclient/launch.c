/*
 * Launching a kernel by name with named, typed arguments: names become the
 * catalogue's kernel id and argument indexes, values become a binary
 * packet in the stream's batch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "client.h"

_Static_assert((int)VGPU_TYPE_F32 == VGPU_F32 &&
		   (int)VGPU_TYPE_F64 == VGPU_F64 &&
		   (int)VGPU_TYPE_I32 == VGPU_I32 &&
		   (int)VGPU_TYPE_U8 == VGPU_U8,
	       "element types are the protocol's");

struct launch {
	vgpu_stream *s;
	const struct vgpu_kernel_spec *k;
	const vgpu_arg *args;
	size_t nargs;
};

static const char *const kind_names[] = {
    [VGPU_KIND_END] = "VGPU_END",  [VGPU_KIND_BUF] = "a buffer",
    [VGPU_KIND_PTR] = "a pointer", [VGPU_KIND_I64] = "an integer",
    [VGPU_KIND_F64] = "a float",   [VGPU_KIND_DTYPE] = "a dtype",
    [VGPU_KIND_BOOL] = "a bool",   [VGPU_KIND_NAME] = "a name",
};

static const char *const type_names[] = {
    [VGPU_ARG_BUF] = "a buffer",      [VGPU_ARG_INT] = "an integer",
    [VGPU_ARG_FLOAT] = "a float",     [VGPU_ARG_DTYPE] = "a dtype",
    [VGPU_ARG_BOOL] = "a bool",	      [VGPU_ARG_NAME] = "a name",
    [VGPU_ARG_KEYWORD] = "a keyword", [VGPU_ARG_DIMS] = "sizes",
};

/* Index of argument NAME of kernel K, or -1. */
static int arg_index(const struct vgpu_kernel_spec *k, const char *name)
{
	for (int i = 0; i < k->nargs; i++)
		if (strcmp(k->args[i].name, name) == 0)
			return i;
	return -1;
}

/* A buffer argument: handle and offset of a buffer or a mapped address. */
static int put_buffer(struct launch *l, void *pkt, size_t cap, int i,
		      const vgpu_arg *a)
{
	vgpu_buffer *b = a->v.buf.buf;
	uint64_t offset = a->v.buf.offset;
	if (a->kind == VGPU_KIND_PTR) {
		b = vgpu_buffer_at(stream_device(l->s), a->v.ptr, &offset);
		if (!b)
			return stream_fail(l->s, -EINVAL,
					   "%s: %s: address %p is in no "
					   "mapped buffer of this device",
					   l->k->name, a->name, a->v.ptr);
	} else if (!b) {
		return stream_fail(l->s, -EINVAL, "%s: %s: a NULL buffer",
				   l->k->name, a->name);
	}
	return vgpu_bin_put_buf(pkt, cap, (uint16_t)i, b->handle, offset);
}

/* Whether an argument of KIND can give a value of TYPE. */
static bool kind_fits(enum vgpu_arg_kind kind, enum vgpu_arg_type type)
{
	switch (type) {
	case VGPU_ARG_BUF:
		return kind == VGPU_KIND_BUF || kind == VGPU_KIND_PTR;
	case VGPU_ARG_INT:
		return kind == VGPU_KIND_I64;
	case VGPU_ARG_DTYPE:
		return kind == VGPU_KIND_I64 || kind == VGPU_KIND_DTYPE;
	case VGPU_ARG_BOOL:
		return kind == VGPU_KIND_I64 || kind == VGPU_KIND_BOOL;
	case VGPU_ARG_FLOAT:
		return kind == VGPU_KIND_I64 || kind == VGPU_KIND_F64;
	case VGPU_ARG_NAME:
		return kind == VGPU_KIND_NAME;
	case VGPU_ARG_KEYWORD: /* the word (VGPU_NAME) or its position */
		return kind == VGPU_KIND_NAME || kind == VGPU_KIND_I64;
	case VGPU_ARG_DIMS: /* launch: the text form only, for now */
		return false;
	}
	return false;
}

static int put_arg(struct launch *l, void *pkt, size_t cap, int i,
		   const vgpu_arg *a)
{
	enum vgpu_arg_type type = l->k->args[i].type;
	if (a->kind > VGPU_KIND_NAME || !kind_fits(a->kind, type))
		return stream_fail(l->s, -EINVAL, "%s: %s is %s, not %s",
				   l->k->name, a->name, type_names[type],
				   a->kind > VGPU_KIND_NAME
				       ? "an unknown kind"
				       : kind_names[a->kind]);
	switch (type) {
	case VGPU_ARG_BUF:
		return put_buffer(l, pkt, cap, i, a);
	case VGPU_ARG_FLOAT:
		return vgpu_bin_put_float(
		    pkt, cap, (uint16_t)i,
		    a->kind == VGPU_KIND_I64 ? (double)a->v.i : a->v.f);
	case VGPU_ARG_NAME:
		if (!a->v.s ||
		    vgpu_bin_put_name(pkt, cap, (uint16_t)i, a->v.s) < 0)
			return stream_fail(l->s, -EINVAL,
					   "%s: %s='%s': a name is 1 to %d "
					   "letters, digits, '_', '.' or '-'",
					   l->k->name, a->name,
					   a->v.s ? a->v.s : "(null)",
					   VGPU_NAME_MAX);
		return 0;
	case VGPU_ARG_KEYWORD:
		if (a->kind == VGPU_KIND_NAME) {
			const char *const *w = l->k->args[i].words;
			int64_t n = 0;
			while (w && w[n] && (!a->v.s || strcmp(w[n], a->v.s)))
				n++;
			if (!w || !w[n])
				return stream_fail(l->s, -EINVAL,
						   "%s: %s='%s' is not one of "
						   "its words (cat kernels/%s)",
						   l->k->name, a->name,
						   a->v.s ? a->v.s : "(null)",
						   l->k->name);
			return vgpu_bin_put_int(pkt, cap, (uint16_t)i,
						VGPU_ARG_KEYWORD, n);
		}
		return vgpu_bin_put_int(pkt, cap, (uint16_t)i, VGPU_ARG_KEYWORD,
					a->v.i);
	default: /* integers, bools, dtypes */
		return vgpu_bin_put_int(pkt, cap, (uint16_t)i, (uint16_t)type,
					a->v.i);
	}
}

static int build(void *pkt, size_t cap, void *arg)
{
	struct launch *l = arg;
	uint32_t given = 0;
	for (size_t j = 0; j < l->nargs; j++) {
		const vgpu_arg *a = &l->args[j];
		int i = a->name ? arg_index(l->k, a->name) : -1;
		if (i < 0)
			return stream_fail(l->s, -EINVAL,
					   "%s: no argument '%s' (cat "
					   "kernels/%s lists them)",
					   l->k->name,
					   a->name ? a->name : "(null)",
					   l->k->name);
		if (given & (1u << i))
			return stream_fail(l->s, -EINVAL, "%s: %s given twice",
					   l->k->name, a->name);
		given |= 1u << i;
		int rc = put_arg(l, pkt, cap, i, a);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int64_t vgpu_launch(vgpu_stream *s, const char *kernel, const vgpu_arg *args,
		    size_t nargs)
{
	const struct vgpu_kernel_spec *k =
	    kernel ? vgpu_catalog_find(kernel, strlen(kernel)) : NULL;
	if (!k)
		return stream_fail(s, -ENOSYS,
				   "unknown kernel '%s' (ls kernels/ lists "
				   "them)",
				   kernel ? kernel : "(null)");
	struct launch l = {s, k, args, nargs};
	return stream_append(s, k->id, build, &l);
}

int64_t launch_va(vgpu_stream *s, const char *kernel, va_list ap)
{
	vgpu_arg args[VGPU_MAX_ARGS];
	size_t n = 0;
	for (vgpu_arg a; (a = va_arg(ap, vgpu_arg)).kind != VGPU_KIND_END;) {
		if (n == VGPU_MAX_ARGS)
			return stream_fail(s, -E2BIG,
					   "%s: more than %d arguments", kernel,
					   VGPU_MAX_ARGS);
		args[n++] = a;
	}
	return vgpu_launch(s, kernel, args, n);
}

int64_t vgpu_launchl(vgpu_stream *s, const char *kernel, ...)
{
	va_list ap;
	va_start(ap, kernel);
	int64_t rc = launch_va(s, kernel, ap);
	va_end(ap);
	return rc;
}
