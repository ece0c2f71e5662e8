/*
 * Text command lines: "KERNEL key=value ...", '#' starts a comment.
 * Every failure names what is wrong so that a user can fix the line.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/launch_params.h>
#include <vgpufs/text_proto.h>

#include "fail_msg.h"

#define BUF_NAME_MAX 1023

struct token {
	const char *s;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next blank-separated token at or after *POS, or len 0 at the end. */
static struct token next_token(const char *line, size_t len, size_t *pos)
{
	size_t i = *pos;
	while (i < len && is_blank(line[i]))
		i++;
	size_t start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	*pos = i;
	return (struct token){line + start, i - start};
}

/* A buffer path relative to mem/: no '..', '.', empty or absolute parts. */
static bool valid_buf_name(const char *s, size_t len)
{
	if (len == 0 || s[0] == '/')
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && (unsigned char)s[i] < 0x20)
			return false;
		if (i < len && s[i] != '/')
			continue;
		size_t clen = i - start;
		if (clen == 0 || (clen == 1 && s[start] == '.') ||
		    (clen == 2 && s[start] == '.' && s[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

int vgpu_parse_bufref(const char *kname, const char *aname, const char *s,
		      size_t len, struct vgpu_bufref *ref, char *msg,
		      size_t msglen)
{
	struct token v = {s, len};
	const char *plus = memchr(v.s, '+', v.len);
	size_t nlen = plus ? (size_t)(plus - v.s) : v.len;
	int64_t off = 0;
	if (plus) {
		size_t olen = v.len - nlen - 1;
		int rc = vgpu_parse_int(plus + 1, olen, &off);
		if (rc < 0 || off < 0)
			return vgpu_fail_msg(
			    msg, msglen, rc == -ERANGE ? -ERANGE : -EINVAL,
			    "%s: %s: offset '%.*s' is not a byte count", kname,
			    aname, (int)olen, plus + 1);
	}
	if (nlen > BUF_NAME_MAX)
		return vgpu_fail_msg(msg, msglen, -ENAMETOOLONG,
				     "%s: %s: buffer name of %zu bytes is too "
				     "long (at most %d)",
				     kname, aname, nlen, BUF_NAME_MAX);
	if (!valid_buf_name(v.s, nlen))
		return vgpu_fail_msg(
		    msg, msglen, -EINVAL,
		    "%s: %s='%.*s' is not a buffer name (a path under "
		    "mem/ without '.', '..' or empty parts)",
		    kname, aname, (int)(nlen > 64 ? 64 : nlen), v.s);
	*ref = (struct vgpu_bufref){
	    .name = v.s, .name_len = (uint16_t)nlen, .offset = (uint64_t)off};
	return 0;
}

static int parse_buf(const struct vgpu_kernel_spec *k,
		     const struct vgpu_arg_spec *a, struct token v,
		     struct vgpu_bufref *ref, char *msg, size_t msglen)
{
	return vgpu_parse_bufref(k->name, a->name, v.s, v.len, ref, msg,
				 msglen);
}

/* The index of word V in A's list, or an error that lists the words. */
static int parse_keyword(const struct vgpu_kernel_spec *k,
			 const struct vgpu_arg_spec *a, struct token v,
			 int64_t *out, char *msg, size_t msglen)
{
	for (int64_t i = 0; a->words && a->words[i]; i++)
		if (strlen(a->words[i]) == v.len &&
		    memcmp(a->words[i], v.s, v.len) == 0) {
			*out = i;
			return 0;
		}
	size_t used = (size_t)snprintf(
	    msg, msglen, "%s: %s='%.*s' is not one of", k->name, a->name,
	    (int)(v.len > 32 ? 32 : v.len), v.s);
	for (size_t i = 0; a->words && a->words[i] && used < msglen; i++)
		used += (size_t)snprintf(msg + used, msglen - used, "%s %s",
					 i ? "," : "", a->words[i]);
	return -EINVAL;
}

/* X[,Y[,Z]] of A's range into cmd->dims[a->idef]. */
static int parse_dims(struct vgpu_cmd *cmd, const struct vgpu_arg_spec *a,
		      struct token v, char *msg, size_t msglen)
{
	struct vgpu_dims *d = &cmd->dims[a->idef];
	size_t start = 0;
	for (size_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.s[i] != ',')
			continue;
		int64_t x = 0;
		int rc = d->n < VGPU_DIMS_MAX
			     ? vgpu_parse_int(v.s + start, i - start, &x)
			     : -E2BIG;
		if (rc == -E2BIG)
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: %s: at most %d sizes "
					     "(X[,Y[,Z]])",
					     cmd->spec->name, a->name,
					     VGPU_DIMS_MAX);
		if (rc < 0 || x < a->imin || x > a->imax)
			return vgpu_fail_msg(
			    msg, msglen, rc == -EINVAL ? -EINVAL : -ERANGE,
			    "%s: %s: '%.*s' is not a size in [%" PRId64
			    ", %" PRId64 "] (X[,Y[,Z]])",
			    cmd->spec->name, a->name,
			    (int)(i - start > 32 ? 32 : i - start), v.s + start,
			    a->imin, a->imax);
		d->v[d->n++] = (uint64_t)x;
		start = i + 1;
	}
	return 0;
}

static int parse_value(struct vgpu_cmd *cmd, unsigned idx, struct token v,
		       char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	const struct vgpu_arg_spec *a = &k->args[idx];
	int rc;
	switch (a->type) {
	case VGPU_ARG_BUF:
		return parse_buf(k, a, v, &cmd->buf[idx], msg, msglen);
	case VGPU_ARG_NAME:
		if (!vgpu_name_valid(v.s, v.len))
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: %s='%.*s' is not a name (1 to %d "
			    "letters, digits, '_', '.' or '-')",
			    k->name, a->name, (int)(v.len > 64 ? 64 : v.len),
			    v.s, VGPU_NAME_MAX);
		memcpy(cmd->name, v.s, v.len);
		cmd->name[v.len] = '\0';
		return 0;
	case VGPU_ARG_FLOAT:
		rc = vgpu_parse_float(v.s, v.len, &cmd->val[idx].f);
		if (rc < 0)
			return vgpu_fail_msg(
			    msg, msglen, rc,
			    "%s: %s='%.*s' is not a finite number", k->name,
			    a->name, (int)v.len, v.s);
		return 0;
	case VGPU_ARG_DTYPE:
		rc = vgpu_dtype_parse(v.s, v.len);
		if (rc < 0) {
			char list[64];
			vgpu_dtype_list(VGPU_DT_ALL, list, sizeof(list));
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: unknown dtype '%.*s' (%s)", k->name,
			    (int)(v.len > 32 ? 32 : v.len), v.s, list);
		}
		cmd->val[idx].i = rc;
		return 0;
	case VGPU_ARG_KEYWORD:
		return parse_keyword(k, a, v, &cmd->val[idx].i, msg, msglen);
	case VGPU_ARG_DIMS:
		return parse_dims(cmd, a, v, msg, msglen);
	case VGPU_ARG_INT:
	case VGPU_ARG_BOOL:
		rc = vgpu_parse_int(v.s, v.len, &cmd->val[idx].i);
		if (rc == -EINVAL)
			return vgpu_fail_msg(msg, msglen, rc,
					     "%s: %s='%.*s' is not an integer",
					     k->name, a->name, (int)v.len, v.s);
		if (rc < 0 || cmd->val[idx].i < a->imin ||
		    cmd->val[idx].i > a->imax)
			return vgpu_fail_msg(
			    msg, msglen, -ERANGE,
			    "%s: %s=%.*s is out of range [%" PRId64 ", %" PRId64
			    "]",
			    k->name, a->name, (int)v.len, v.s, a->imin,
			    a->imax);
		return 0;
	}
	return -EINVAL;
}

static int find_arg(const struct vgpu_kernel_spec *k, const char *key,
		    size_t len)
{
	for (unsigned i = 0; i < k->nargs; i++)
		if (strlen(k->args[i].name) == len &&
		    memcmp(k->args[i].name, key, len) == 0)
			return (int)i;
	return -1;
}

static int unknown_arg(const struct vgpu_kernel_spec *k, struct token key,
		       char *msg, size_t msglen)
{
	size_t used = (size_t)snprintf(
	    msg, msglen, "%s: unknown argument '%.*s' (takes:", k->name,
	    (int)(key.len > 32 ? 32 : key.len), key.s);
	for (unsigned i = 0; i < k->nargs && used < msglen; i++)
		used += (size_t)snprintf(msg + used, msglen - used, " %s",
					 k->args[i].name);
	if (k->nargs == 0 && used < msglen)
		used += (size_t)snprintf(msg + used, msglen - used, " nothing");
	if (used < msglen)
		snprintf(msg + used, msglen - used, ")");
	return -EINVAL;
}

/*
 * A kernel parameter of a launch (KEY before '=' and VAL after): checked
 * here, bound by the daemon. SEEN holds the names so far (for twice).
 */
static int parse_param(struct vgpu_cmd *cmd, struct token key, struct token val,
		       struct token seen[VGPU_PARAMS_MAX], char *msg,
		       size_t msglen)
{
	const char *k = cmd->spec->name;
	struct token name;
	vgpu_param_key(cmd->spec, key.s, key.len, &name.s, &name.len);
	int shown = (int)(name.len > 64 ? 64 : name.len);
	if (!vgpu_param_name_valid(name.s, name.len))
		return vgpu_fail_msg(msg, msglen, -EINVAL,
				     "%s: '%.*s' is not a parameter name (a C "
				     "identifier of at most %d characters)",
				     k, shown, name.s, VGPU_PARAM_NAME_MAX);
	if (val.len == 0)
		return vgpu_fail_msg(msg, msglen, -EINVAL,
				     "%s: parameter '%.*s' has no value", k,
				     shown, name.s);
	if (val.len > VGPU_PARAM_VALUE_MAX)
		return vgpu_fail_msg(msg, msglen, -ENAMETOOLONG,
				     "%s: parameter '%.*s': value of %zu bytes "
				     "(at most %d)",
				     k, shown, name.s, val.len,
				     VGPU_PARAM_VALUE_MAX);
	for (unsigned i = 0; i < cmd->nparams; i++)
		if (seen[i].len == name.len &&
		    memcmp(seen[i].s, name.s, name.len) == 0)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: parameter '%.*s' is given twice", k, shown,
			    name.s);
	if (cmd->nparams == VGPU_PARAMS_MAX)
		return vgpu_fail_msg(msg, msglen, -E2BIG,
				     "%s: more than %d kernel parameters", k,
				     VGPU_PARAMS_MAX);
	seen[cmd->nparams++] = name;
	return 0;
}

static int parse_args(struct vgpu_cmd *cmd, const char *line, size_t len,
		      size_t pos, char *msg, size_t msglen)
{
	const struct vgpu_kernel_spec *k = cmd->spec;
	struct token seen[VGPU_PARAMS_MAX];
	if (k->params) {
		if (len - pos > VGPU_LINE_MAX)
			return vgpu_fail_msg(msg, msglen, -E2BIG,
					     "%s: line longer than %d bytes",
					     k->name, VGPU_LINE_MAX);
		cmd->params = line + pos;
		cmd->params_len = (uint16_t)(len - pos);
	}
	for (;;) {
		struct token t = next_token(line, len, &pos);
		if (t.len == 0)
			break;
		const char *eq = memchr(t.s, '=', t.len);
		if (!eq)
			return vgpu_fail_msg(
			    msg, msglen, -EINVAL,
			    "%s: expected key=value, got '%.*s'", k->name,
			    (int)(t.len > 64 ? 64 : t.len), t.s);
		struct token key = {t.s, (size_t)(eq - t.s)};
		struct token val = {eq + 1, t.len - key.len - 1};
		struct token pname;
		if (k->params &&
		    vgpu_param_key(k, key.s, key.len, &pname.s, &pname.len)) {
			int rc = parse_param(cmd, key, val, seen, msg, msglen);
			if (rc < 0)
				return rc;
			continue;
		}
		int idx = find_arg(k, key.s, key.len);
		if (idx < 0)
			return unknown_arg(k, key, msg, msglen);
		if (vgpu_cmd_given(cmd, (unsigned)idx))
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: argument '%s' is given twice",
					     k->name, k->args[idx].name);
		if (val.len == 0)
			return vgpu_fail_msg(msg, msglen, -EINVAL,
					     "%s: argument '%s' has no value",
					     k->name, k->args[idx].name);
		int rc = parse_value(cmd, (unsigned)idx, val, msg, msglen);
		if (rc < 0)
			return rc;
		cmd->given |= 1u << idx;
	}
	int rc = vgpu_cmd_check_required(cmd, msg, msglen);
	if (rc == 0)
		vgpu_cmd_apply_defaults(cmd);
	return rc;
}

enum vgpu_line_kind vgpu_text_parse(const char *line, size_t len,
				    struct vgpu_cmd *cmd, int *err, char *msg,
				    size_t msglen)
{
	*cmd = (struct vgpu_cmd){0};
	msg[0] = '\0';
	const char *hash = memchr(line, '#', len);
	if (hash)
		len = (size_t)(hash - line);
	size_t pos = 0;
	struct token name = next_token(line, len, &pos);
	if (name.len == 0)
		return VGPU_LINE_EMPTY;
	if (memchr(line, '\0', len)) {
		*err = vgpu_fail_msg(msg, msglen, -EINVAL,
				     "line contains a NUL byte");
		return VGPU_LINE_ERROR;
	}
	cmd->spec = vgpu_catalog_find(name.s, name.len);
	if (!cmd->spec) {
		*err = vgpu_fail_msg(
		    msg, msglen, -ENOSYS,
		    "unknown kernel '%.*s' (ls kernels/ lists them)",
		    (int)(name.len > 64 ? 64 : name.len), name.s);
		return VGPU_LINE_ERROR;
	}
	int rc = parse_args(cmd, line, len, pos, msg, msglen);
	if (rc < 0) {
		*err = rc;
		return VGPU_LINE_ERROR;
	}
	return VGPU_LINE_COMMAND;
}
