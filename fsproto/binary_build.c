/* Building binary packets (clients) and completion records (daemon). */
#include <errno.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/launch_params.h>

void vgpu_bin_complete(struct vgpu_bin_completion *c, uint64_t tag,
		       uint64_t seq, int status, uint16_t kernel,
		       uint64_t t_start_ns, uint64_t t_end_ns, const char *msg)
{
	c->tag = tag;
	c->seq = seq;
	c->status = status;
	c->kernel = kernel;
	c->reserved = 0;
	c->t_start_ns = t_start_ns;
	c->t_end_ns = t_end_ns;
	const char *nul = msg ? memchr(msg, '\0', sizeof(c->msg) - 1) : NULL;
	size_t n = !msg ? 0 : nul ? (size_t)(nul - msg) : sizeof(c->msg) - 1;
	memcpy(c->msg, msg ? msg : "", n);
	memset(c->msg + n, 0, sizeof(c->msg) - n);
}

static struct vgpu_bin_header *header(void *buf)
{
	return buf;
}

size_t vgpu_bin_size(const void *buf)
{
	struct vgpu_bin_header h;
	memcpy(&h, buf, sizeof(h));
	return h.size;
}

int vgpu_bin_begin(void *buf, size_t cap, uint16_t kernel, uint64_t tag)
{
	if (cap < sizeof(struct vgpu_bin_header))
		return -ENOSPC;
	/* Field by field: a header built aside and copied in was read back
	 * before its parts were stored (a stalled load, a launch's most). */
	struct vgpu_bin_header *h = header(buf);
	h->size = sizeof(*h);
	h->version = VGPU_BIN_VERSION;
	h->kernel = kernel;
	h->flags = 0;
	h->nargs = 0;
	h->tag = tag;
	return 0;
}

/* Appends an argument with LEN bytes of VALUE, zero-padded. */
static int put(void *buf, size_t cap, uint16_t index, uint16_t type,
	       const void *value, uint32_t len)
{
	struct vgpu_bin_header *h = header(buf);
	size_t padded = (len + VGPU_BIN_ALIGN - 1) & ~(VGPU_BIN_ALIGN - 1u);
	size_t end = h->size + sizeof(struct vgpu_bin_arg) + padded;
	if (end > cap || end > VGPU_BIN_PACKET_MAX)
		return -ENOSPC;
	struct vgpu_bin_arg a = {.index = index, .type = type, .len = len};
	char *p = (char *)buf + h->size;
	memcpy(p, &a, sizeof(a));
	memcpy(p + sizeof(a), value, len);
	memset(p + sizeof(a) + len, 0, padded - len);
	h->size = (uint32_t)end;
	h->nargs++;
	return 0;
}

int vgpu_bin_put_int(void *buf, size_t cap, uint16_t index, uint16_t type,
		     int64_t v)
{
	return put(buf, cap, index, type, &v, sizeof(v));
}

int vgpu_bin_put_float(void *buf, size_t cap, uint16_t index, double v)
{
	return put(buf, cap, index, VGPU_ARG_FLOAT, &v, sizeof(v));
}

int vgpu_bin_put_buf(void *buf, size_t cap, uint16_t index, uint64_t handle,
		     uint64_t offset)
{
	struct vgpu_bin_buf b = {.handle = handle, .offset = offset};
	return put(buf, cap, index, VGPU_ARG_BUF, &b, sizeof(b));
}

int vgpu_bin_put_name(void *buf, size_t cap, uint16_t index, const char *name)
{
	size_t len = strlen(name);
	if (!vgpu_name_valid(name, len))
		return -EINVAL;
	return put(buf, cap, index, VGPU_ARG_NAME, name, (uint32_t)len);
}

int vgpu_bin_put_dims(void *buf, size_t cap, uint16_t index, unsigned n,
		      const uint64_t v[])
{
	if (n < 1 || n > VGPU_DIMS_MAX)
		return -EINVAL;
	return put(buf, cap, index, VGPU_ARG_DIMS, v, (uint32_t)(8 * n));
}

int vgpu_bin_put_param(void *buf, size_t cap, const char *name,
		       enum vgpu_bin_param_kind kind, unsigned lanes,
		       const void *value)
{
	size_t name_len = name ? strlen(name) : 0;
	size_t vlen = kind == VGPU_BIN_PARAM_BUF ? sizeof(struct vgpu_bin_buf)
		      : kind == VGPU_BIN_PARAM_LOCAL ? 8
						     : 8 * (size_t)lanes;
	if (!vgpu_param_name_valid(name, name_len) ||
	    lanes > VGPU_BIN_LANES_MAX || lanes == 0)
		return -EINVAL;
	char rec[sizeof(struct vgpu_bin_param) + 64 + 8 * VGPU_BIN_LANES_MAX] =
	    {0};
	struct vgpu_bin_param h = {.kind = (uint8_t)kind,
				   .lanes = (uint8_t)lanes,
				   .name_len = (uint8_t)name_len};
	size_t room = vgpu_bin_param_name_room((unsigned)name_len);
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), name, name_len);
	memcpy(rec + sizeof(h) + room, value, vlen);
	return put(buf, cap, 0, VGPU_BIN_PARAM, rec,
		   (uint32_t)(sizeof(h) + room + vlen));
}
