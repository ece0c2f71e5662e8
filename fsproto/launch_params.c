#include <ctype.h>
#include <string.h>

#include <vgpufs/launch_params.h>

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
		*pos = i;
		return true;
	}
	*pos = len;
	return false;
}
