/* Kernel signatures' text (vgpufs/kernel_sig.h): printed by the daemon,
 * parsed by libvgpu from a file attribute, so parsed as hostile text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/kernel_sig.h>

#define REQD_KEY "reqd_work_group_size="

static const char *const KIND[] = {"buffer", "scalar", "local"};
static const char *const TYPE[] = {"-",	  "bool", "i8",	 "i16",
				   "i32", "i64",  "f32", "f64"};
static const size_t TYPE_SIZE[] = {0, 1, 1, 2, 4, 8, 4, 8};
static const char *const SPACE[] = {"private", "global", "constant", "local"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

size_t vgpu_sig_type_size(enum vgpu_sig_type type)
{
	return (unsigned)type < COUNT(TYPE_SIZE) ? TYPE_SIZE[type] : 0;
}

size_t vgpu_sig_format(const struct vgpu_sig_kernel *k, char *out, size_t cap)
{
	size_t n = 0;
#define PUT(...)                                                               \
	do {                                                                   \
		int w = snprintf(out + (n < cap ? n : cap),                    \
				 n < cap ? cap - n : 0, __VA_ARGS__);          \
		n += w > 0 ? (size_t)w : 0;                                    \
	} while (0)
	PUT("%s", k->name);
	for (unsigned i = 0; i < k->nparams; i++) {
		const struct vgpu_sig_param *p = &k->params[i];
		PUT(" %s:%s:%s:%u:%s:%s", p->name, KIND[p->kind], TYPE[p->type],
		    p->lanes, SPACE[p->space], p->read_only ? "ro" : "rw");
	}
	const uint32_t *r = k->reqd_work_group_size;
	if (r[0] || r[1] || r[2])
		PUT(" " REQD_KEY "%u,%u,%u", r[0], r[1], r[2]);
	PUT("\n");
#undef PUT
	return n;
}

/* The index of the word S (LEN bytes) in WORDS, or -1. */
static int word(const char *s, size_t len, const char *const *words,
		size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return (int)i;
	return -1;
}

/* The next field of [*S, END) up to SEP (or END): its length. */
static size_t field(const char **s, const char *end, char sep,
		    const char **start)
{
	*start = *s;
	const char *e = memchr(*s, sep, (size_t)(end - *s));
	if (!e)
		e = end;
	*s = e < end ? e + 1 : e;
	return (size_t)(e - *start);
}

/* A decimal of 1 to 4294967295 in S (LEN bytes), digits only. */
static int parse_u32(const char *s, size_t len, uint32_t *v)
{
	uint64_t x = 0;
	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -EINVAL; /* one spelling a number: as printed */
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x == 0 || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int parse_reqd(const char *s, size_t len, uint32_t r[3])
{
	const char *end = s + len, *f;
	for (int d = 0; d < 3; d++) {
		size_t n = field(&s, end, ',', &f);
		if (parse_u32(f, n, &r[d]) < 0 || (d < 2 && s == end) ||
		    (d == 2 && f + n != end))
			return -EINVAL;
	}
	return 0;
}

static bool lanes_ok(int64_t n)
{
	return n == 1 || n == 2 || n == 3 || n == 4 || n == 8 || n == 16;
}

/* Whether the fields of P agree (kind, type, lanes, space, access). */
static bool param_consistent(const struct vgpu_sig_param *p)
{
	switch (p->kind) {
	case VGPU_SIG_BUFFER:
		return p->type == VGPU_SIG_NONE && p->lanes == 1 &&
		       (p->space == VGPU_SIG_GLOBAL ||
			(p->space == VGPU_SIG_CONSTANT && p->read_only));
	case VGPU_SIG_LOCAL:
		return p->type == VGPU_SIG_NONE && p->lanes == 1 &&
		       p->space == VGPU_SIG_LOCAL_SPACE;
	case VGPU_SIG_SCALAR:
		return p->type != VGPU_SIG_NONE &&
		       p->space == VGPU_SIG_PRIVATE && p->read_only;
	}
	return false;
}

/* One PARAM token S (LEN bytes) into *P. */
static int parse_param(const char *s, size_t len, struct vgpu_sig_param *p)
{
	const char *end = s + len, *f[6];
	size_t n[6];
	for (int i = 0; i < 5; i++) {
		if (s == end)
			return -EINVAL;
		n[i] = field(&s, end, ':', &f[i]);
	}
	f[5] = s; /* the rest, whatever bytes it holds */
	n[5] = (size_t)(end - s);
	if (!vgpu_param_name_valid(f[0], n[0]))
		return -EINVAL;
	int kind = word(f[1], n[1], KIND, COUNT(KIND)),
	    type = word(f[2], n[2], TYPE, COUNT(TYPE)),
	    space = word(f[4], n[4], SPACE, COUNT(SPACE)),
	    access = word(f[5], n[5], (const char *const[]){"rw", "ro"}, 2);
	uint32_t lanes;
	if (kind < 0 || type < 0 || space < 0 || access < 0 ||
	    parse_u32(f[3], n[3], &lanes) < 0 || !lanes_ok(lanes))
		return -EINVAL;
	memcpy(p->name, f[0], n[0]);
	p->name[n[0]] = '\0';
	p->kind = (enum vgpu_sig_kind)kind;
	p->type = (enum vgpu_sig_type)type;
	p->lanes = lanes;
	p->space = (enum vgpu_sig_space)space;
	p->read_only = access == 1;
	return param_consistent(p) ? 0 : -EINVAL;
}

int vgpu_sig_parse_line(const char *s, size_t len, struct vgpu_sig_kernel *k,
			char *msg, size_t msglen)
{
	memset(k, 0, sizeof(*k));
	const char *end = s + len, *f;
	size_t n = field(&s, end, ' ', &f);
	if (!vgpu_param_name_valid(f, n) || (len && end[-1] == ' ')) {
		snprintf(msg, msglen,
			 "kernel signature '%.*s': not a kernel name, then "
			 "parameters one space apart",
			 (int)(n < 64 ? n : 64), f);
		return -EINVAL;
	}
	memcpy(k->name, f, n);
	bool reqd = false;
	while (s < end) {
		n = field(&s, end, ' ', &f);
		size_t klen = strlen(REQD_KEY);
		int rc = -EINVAL;
		if (reqd)
			; /* nothing may follow it */
		else if (n > klen && memcmp(f, REQD_KEY, klen) == 0) {
			rc = parse_reqd(f + klen, n - klen,
					k->reqd_work_group_size);
			reqd = true;
		} else if (k->nparams < VGPU_PARAMS_MAX) {
			struct vgpu_sig_param *p = &k->params[k->nparams];
			rc = parse_param(f, n, p);
			for (unsigned i = 0; i < k->nparams && rc == 0; i++)
				if (strcmp(k->params[i].name, p->name) == 0)
					rc = -EINVAL; /* a name twice */
			k->nparams += rc == 0;
		}
		if (rc < 0) {
			snprintf(
			    msg, msglen,
			    "kernel signature of %s: '%.*s' is not a "
			    "parameter (NAME:KIND:TYPE:LANES:SPACE:ACCESS)",
			    k->name, (int)(n < 200 ? n : 200), f);
			return -EINVAL;
		}
	}
	return 0;
}

int vgpu_sig_find(const char *text, size_t len, const char *name,
		  struct vgpu_sig_kernel *k, char *msg, size_t msglen)
{
	const char *s = text, *end = text + len, *line;
	size_t nlen = strlen(name);
	while (s < end) {
		size_t n = field(&s, end, '\n', &line);
		if (n >= nlen && memcmp(line, name, nlen) == 0 &&
		    (n == nlen || line[nlen] == ' '))
			return vgpu_sig_parse_line(line, n, k, msg, msglen);
	}
	snprintf(msg, msglen, "the program has no kernel '%s'", name);
	return -ENOENT;
}
