#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/launch_params.h>

static bool param_next_bin(const struct vgpu_cmd *cmd, size_t *pos,
			   struct vgpu_param *p);

bool vgpu_param_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > VGPU_PARAM_NAME_MAX ||
	    isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

bool vgpu_param_key(const struct vgpu_kernel_spec *k, const char *key,
		    size_t len, const char **name, size_t *name_len)
{
	size_t plen = strlen(VGPU_PARAM_ARG_PREFIX);
	if (len >= plen && memcmp(key, VGPU_PARAM_ARG_PREFIX, plen) == 0) {
		*name = key + plen;
		*name_len = len - plen;
		return true;
	}
	for (unsigned i = 0; i < k->nargs; i++)
		if (strlen(k->args[i].name) == len &&
		    memcmp(k->args[i].name, key, len) == 0)
			return false;
	*name = key;
	*name_len = len;
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool vgpu_param_next(const struct vgpu_cmd *cmd, size_t *pos,
		     struct vgpu_param *p)
{
	if (cmd->params_bin)
		return param_next_bin(cmd, pos, p);
	const char *s = cmd->params;
	size_t len = cmd->params_len, i = *pos;
	while (i < len) {
		while (i < len && blank(s[i]))
			i++;
		size_t start = i;
		while (i < len && !blank(s[i]))
			i++;
		const char *eq = memchr(s + start, '=', i - start);
		if (!eq)
			continue; /* the parser let none through */
		size_t klen = (size_t)(eq - (s + start));
		if (!vgpu_param_key(cmd->spec, s + start, klen, &p->name,
				    &p->name_len))
			continue;
		p->value = eq + 1;
		p->value_len = i - start - klen - 1;
		p->kind = 0;
		p->lanes = 0;
		p->bin = NULL;
		*pos = i;
		return true;
	}
	*pos = len;
	return false;
}

/* The next parameter record of a binary packet's records (parsed). */
static bool param_next_bin(const struct vgpu_cmd *cmd, size_t *pos,
			   struct vgpu_param *p)
{
	const char *s = cmd->params;
	while (*pos + sizeof(struct vgpu_bin_arg) <= cmd->params_len) {
		struct vgpu_bin_arg a;
		memcpy(&a, s + *pos, sizeof(a));
		const char *v = s + *pos + sizeof(a);
		*pos += sizeof(a) + (((size_t)a.len + VGPU_BIN_ALIGN - 1) &
				     ~(size_t)(VGPU_BIN_ALIGN - 1));
		if (a.type != VGPU_BIN_PARAM)
			continue;
		struct vgpu_bin_param h;
		memcpy(&h, v, sizeof(h));
		*p = (struct vgpu_param){
		    .name = v + sizeof(h),
		    .name_len = h.name_len,
		    .kind = h.kind,
		    .lanes = h.lanes,
		    .bin = v + sizeof(h) + vgpu_bin_param_name_room(h.name_len),
		};
		return true;
	}
	*pos = cmd->params_len;
	return false;
}

size_t vgpu_param_text(const struct vgpu_param *p, char *out, size_t cap)
{
	size_t n = 0;
	bool vec = p->kind != VGPU_BIN_PARAM_LOCAL && p->lanes > 1;
	int w = snprintf(out, cap, "%s", vec ? "(" : "");
	for (unsigned l = 0; l < p->lanes && w >= 0 && (size_t)w < cap - n;
	     l++) {
		n += (size_t)w;
		const char *sep = l ? "," : "";
		int64_t i;
		uint64_t u;
		double f;
		switch (p->kind) {
		case VGPU_BIN_PARAM_INT:
			memcpy(&i, (const char *)p->bin + 8 * l, 8);
			w = snprintf(out + n, cap - n, "%s%" PRId64, sep, i);
			break;
		case VGPU_BIN_PARAM_LOCAL:
			memcpy(&u, p->bin, 8);
			w = snprintf(out + n, cap - n, "%" PRIu64, u);
			break;
		default:
			memcpy(&f, (const char *)p->bin + 8 * l, 8);
			w = snprintf(out + n, cap - n, "%s%.17g", sep, f);
		}
	}
	if (w < 0 || (size_t)w >= cap - n)
		return 0;
	n += (size_t)w;
	w = snprintf(out + n, cap - n, "%s", vec ? ")" : "");
	return w < 0 || (size_t)w >= cap - n ? 0 : n + (size_t)w;
}
