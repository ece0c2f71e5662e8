/* The stats file, read and parsed into a vgpu_stats snapshot. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/file_tree.h>
#include <vgpufs/stats_keys.h>

#include "client.h"

#define WORKERS_MAX 65536 /* more than a daemon allows */

/* Room for one more element in *ARR of N (capacity *CAP); -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + n * size, 0, (c - n) * size);
	*arr = p;
	*cap = c;
	return 0;
}

struct parser {
	vgpu_stats *st;
	size_t tiers_cap, kernels_cap, contexts_cap, users_cap, programs_cap;
};

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -EPROTO;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return *end || errno ? -EPROTO : 0;
}

static int parse_double(const char *v, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(v, &end);
	return end == v || *end || errno || !(*out >= 0) || isinf(*out)
		   ? -EPROTO
		   : 0;
}

/* Copies V into OUT (LEN bytes), cut to fit. */
static void copy_word(char *out, size_t len, const char *v)
{
	snprintf(out, len, "%s", v);
}

/* The tier NAME (LEN bytes), added when new; NULL for -ENOMEM. */
static vgpu_stats_tier *tier(struct parser *p, const char *name, size_t len)
{
	vgpu_stats *st = p->st;
	for (size_t i = 0; i < st->ntiers; i++)
		if (strlen(st->tiers[i].name) == len &&
		    memcmp(st->tiers[i].name, name, len) == 0)
			return &st->tiers[i];
	if (len >= sizeof(st->tiers[0].name) ||
	    grow((void **)&st->tiers, &p->tiers_cap, st->ntiers,
		 sizeof(*st->tiers)) < 0)
		return NULL;
	vgpu_stats_tier *t = &st->tiers[st->ntiers++];
	memcpy(t->name, name, len);
	return t;
}

/* vram_TIER_used_bytes and vram_TIER_total_bytes. */
static int parse_vram(struct parser *p, const char *key, const char *v)
{
	const char *name = key + strlen(VGPU_STAT_VRAM);
	const char *used = strstr(name, VGPU_STAT_VRAM_USED);
	const char *total = strstr(name, VGPU_STAT_VRAM_TOTAL);
	const char *end = used ? used : total;
	if (!end || end == name)
		return 0; /* some other vram_ key */
	vgpu_stats_tier *t = tier(p, name, (size_t)(end - name));
	if (!t)
		return -ENOMEM;
	return parse_u64(v, used ? &t->used_bytes : &t->total_bytes);
}

/* "worker.I.busy_seconds V" and "worker.I.kernel NAME". */
static int parse_worker(vgpu_stats *st, const char *key, const char *v)
{
	char *field;
	unsigned long w = strtoul(key + strlen(VGPU_STAT_WORKER), &field, 10);
	if (*field != '.' || w >= st->nworkers)
		return -EPROTO;
	if (strcmp(field, VGPU_STAT_WORKER_BUSY_FIELD) == 0)
		return parse_double(v, &st->workers[w].busy_seconds);
	if (strcmp(field, VGPU_STAT_WORKER_KERNEL_FIELD) == 0)
		copy_word(st->workers[w].kernel, sizeof(st->workers[w].kernel),
			  v);
	return 0;
}

/* "kernel.NAME.FIELD V"; a kernel's lines come together. */
static int parse_kernel(struct parser *p, const char *key, const char *v)
{
	vgpu_stats *st = p->st;
	const char *name = key + strlen(VGPU_STAT_KERNEL);
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return -EPROTO;
	size_t len = (size_t)(dot - name);
	vgpu_stats_kernel *k =
	    st->nkernels ? &st->kernels[st->nkernels - 1] : NULL;
	if (!k || strlen(k->name) != len || memcmp(k->name, name, len) != 0) {
		if (len >= sizeof(k->name))
			return -EPROTO;
		if (grow((void **)&st->kernels, &p->kernels_cap, st->nkernels,
			 sizeof(*st->kernels)) < 0)
			return -ENOMEM;
		k = &st->kernels[st->nkernels++];
		memcpy(k->name, name, len);
	}
	const char *f = dot + 1;
	if (strcmp(f, VGPU_STAT_K_SECONDS) == 0)
		return parse_double(v, &k->seconds);
	uint64_t *out = strcmp(f, VGPU_STAT_K_COUNT) == 0    ? &k->count
			: strcmp(f, VGPU_STAT_K_FAILED) == 0 ? &k->failed
			: strcmp(f, VGPU_STAT_K_FLOPS) == 0  ? &k->flops
			: strcmp(f, VGPU_STAT_K_BYTES) == 0  ? &k->bytes
							     : NULL;
	return out ? parse_u64(v, out) : 0;
}

/* Calls FIELD for every "name=value" word of V (modified in place). */
static int parse_fields(char *v,
			int (*field)(void *obj, const char *name,
				     const char *value),
			void *obj)
{
	char *save = NULL;
	for (char *w = strtok_r(v, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		if (!eq)
			return -EPROTO;
		*eq = '\0';
		int rc = field(obj, w, eq + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int context_field(void *obj, const char *name, const char *v)
{
	vgpu_stats_context *c = obj;
	uint64_t u;
	int rc = 0;
	if (strcmp(name, VGPU_STAT_C_COMM) == 0)
		copy_word(c->comm, sizeof(c->comm), v);
	else if (strcmp(name, VGPU_STAT_C_RUNNING) == 0)
		copy_word(c->running, sizeof(c->running), v);
	else if (strcmp(name, VGPU_STAT_C_BUSY) == 0)
		rc = parse_double(v, &c->busy_seconds);
	else if (strcmp(name, VGPU_STAT_C_PID) == 0 ||
		 strcmp(name, VGPU_STAT_C_UID) == 0 ||
		 strcmp(name, VGPU_STAT_C_QUEUED) == 0 ||
		 strcmp(name, VGPU_STAT_C_INFLIGHT) == 0) {
		rc = parse_u64(v, &u);
		if (rc == 0 && u > UINT32_MAX)
			rc = -EPROTO;
		if (rc == 0 && name[0] == 'p')
			c->pid = (pid_t)u;
		else if (rc == 0 && name[0] == 'u')
			c->uid = (uid_t)u;
		else if (rc == 0 && name[0] == 'q')
			c->queued = (unsigned)u;
		else if (rc == 0)
			c->inflight = (unsigned)u;
	} else {
		uint64_t *out =
		    strcmp(name, VGPU_STAT_C_SUBMITTED) == 0   ? &c->submitted
		    : strcmp(name, VGPU_STAT_C_COMPLETED) == 0 ? &c->completed
		    : strcmp(name, VGPU_STAT_C_FAILED) == 0    ? &c->failed
		    : strcmp(name, VGPU_STAT_C_MEM_BYTES) == 0 ? &c->mem_bytes
							       : NULL;
		if (out)
			rc = parse_u64(v, out);
	}
	return rc;
}

static int user_field(void *obj, const char *name, const char *v)
{
	vgpu_stats_user *u = obj;
	if (strcmp(name, VGPU_STAT_U_BUFFERS) == 0)
		return parse_u64(v, &u->buffers);
	if (strcmp(name, VGPU_STAT_U_BYTES) == 0)
		return parse_u64(v, &u->bytes);
	if (strcmp(name, VGPU_STAT_U_QUOTA_USED) == 0)
		return parse_u64(v, &u->quota_used);
	if (strcmp(name, VGPU_STAT_U_QUOTA) == 0)
		return parse_u64(v, &u->quota);
	return 0;
}

static int program_field(void *obj, const char *name, const char *v)
{
	vgpu_stats_program *k = obj;
	if (strcmp(name, VGPU_STAT_P_SECONDS) == 0)
		return parse_double(v, &k->seconds);
	uint64_t *out = strcmp(name, VGPU_STAT_P_COUNT) == 0	? &k->count
			: strcmp(name, VGPU_STAT_P_FAILED) == 0 ? &k->failed
			: strcmp(name, VGPU_STAT_P_BYTES) == 0	? &k->bytes
								: NULL;
	return out ? parse_u64(v, out) : 0;
}

/* "program.UID.PROGRAM:KERNEL k=v ...": the kernel after the last ':'. */
static int parse_program(struct parser *p, const char *key, char *v)
{
	vgpu_stats *st = p->st;
	const char *s = key + strlen(VGPU_STAT_PROGRAM);
	const char *dot = strchr(s, '.'), *colon = strrchr(s, ':');
	char uid[16];
	uint64_t u;
	if (!dot || !colon || colon < dot || (size_t)(dot - s) >= sizeof(uid))
		return -EPROTO;
	memcpy(uid, s, (size_t)(dot - s));
	uid[dot - s] = '\0';
	if (parse_u64(uid, &u) < 0 || u > UINT32_MAX)
		return -EPROTO;
	if (grow((void **)&st->programs, &p->programs_cap, st->nprograms,
		 sizeof(*st->programs)) < 0)
		return -ENOMEM;
	vgpu_stats_program *k = &st->programs[st->nprograms++];
	k->uid = (uid_t)u;
	snprintf(k->program, sizeof(k->program), "%.*s", (int)(colon - dot - 1),
		 dot + 1);
	snprintf(k->kernel, sizeof(k->kernel), "%s", colon + 1);
	return parse_fields(v, program_field, k);
}

/* "context.ID k=v ..." and "user.UID k=v ...". */
static int parse_context(struct parser *p, const char *key, char *v)
{
	vgpu_stats *st = p->st;
	uint64_t id;
	if (parse_u64(key + strlen(VGPU_STAT_CONTEXT), &id) < 0)
		return -EPROTO;
	if (grow((void **)&st->contexts, &p->contexts_cap, st->ncontexts,
		 sizeof(*st->contexts)) < 0)
		return -ENOMEM;
	vgpu_stats_context *c = &st->contexts[st->ncontexts++];
	c->id = id;
	strcpy(c->comm, "?");
	strcpy(c->running, "-");
	return parse_fields(v, context_field, c);
}

static int parse_user(struct parser *p, const char *key, char *v)
{
	vgpu_stats *st = p->st;
	uint64_t uid;
	if (parse_u64(key + strlen(VGPU_STAT_USER), &uid) < 0 ||
	    uid > UINT32_MAX)
		return -EPROTO;
	if (grow((void **)&st->users, &p->users_cap, st->nusers,
		 sizeof(*st->users)) < 0)
		return -ENOMEM;
	vgpu_stats_user *u = &st->users[st->nusers++];
	u->uid = (uid_t)uid;
	return parse_fields(v, user_field, u);
}

static bool prefixed(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One "key value" line (modified in place). */
static int parse_line(struct parser *p, char *key, char *v)
{
	vgpu_stats *st = p->st;
	if (strcmp(key, VGPU_STAT_WORKERS) == 0) {
		uint64_t n;
		if (st->workers || parse_u64(v, &n) < 0 || n > WORKERS_MAX)
			return -EPROTO;
		st->nworkers = (unsigned)n;
		st->workers = calloc(n ? n : 1, sizeof(*st->workers));
		for (unsigned w = 0; st->workers && w < n; w++)
			strcpy(st->workers[w].kernel, "-");
		return st->workers ? 0 : -ENOMEM;
	}
	static const struct {
		const char *key;
		size_t off;
	} u64s[] = {
	    {VGPU_STAT_CONTEXTS, offsetof(vgpu_stats, open_contexts)},
	    {VGPU_STAT_BLOCKED_READERS, offsetof(vgpu_stats, blocked_readers)},
	    {VGPU_STAT_BUFFERS, offsetof(vgpu_stats, buffers)},
	    {VGPU_STAT_COMMANDS, offsetof(vgpu_stats, commands_total)},
	    {VGPU_STAT_FAILED, offsetof(vgpu_stats, commands_failed)},
	    {VGPU_STAT_FLOPS, offsetof(vgpu_stats, flops_total)},
	    {VGPU_STAT_BYTES, offsetof(vgpu_stats, bytes_total)},
	};
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++)
		if (strcmp(key, u64s[i].key) == 0)
			return parse_u64(
			    v, (uint64_t *)((char *)st + u64s[i].off));
	if (strcmp(key, VGPU_STAT_VERSION) == 0)
		copy_word(st->version, sizeof(st->version), v);
	else if (strcmp(key, VGPU_STAT_UPTIME) == 0)
		return parse_double(v, &st->uptime_seconds);
	else if (strcmp(key, VGPU_STAT_BUSY) == 0)
		return parse_double(v, &st->busy_seconds);
	else if (prefixed(key, VGPU_STAT_WORKER))
		return st->workers ? parse_worker(st, key, v) : -EPROTO;
	else if (prefixed(key, VGPU_STAT_VRAM))
		return parse_vram(p, key, v);
	else if (prefixed(key, VGPU_STAT_KERNEL))
		return parse_kernel(p, key, v);
	else if (prefixed(key, VGPU_STAT_CONTEXT))
		return parse_context(p, key, v);
	else if (prefixed(key, VGPU_STAT_USER))
		return parse_user(p, key, v);
	else if (prefixed(key, VGPU_STAT_PROGRAM))
		return parse_program(p, key, v);
	return 0;
}

int vgpu_stats_parse(const char *text, vgpu_stats **out)
{
	*out = NULL;
	struct parser p = {.st = calloc(1, sizeof(vgpu_stats))};
	char *copy = strdup(text);
	int rc = p.st && copy ? 0 : -ENOMEM;
	char *save = NULL;
	for (char *line = rc ? NULL : strtok_r(copy, "\n", &save);
	     line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp || sp == line)
			rc = -EPROTO;
		else
			*sp = '\0', rc = parse_line(&p, line, sp + 1);
	}
	if (rc == 0 && p.st && !p.st->workers)
		rc = -EPROTO; /* not a stats file */
	free(copy);
	if (rc < 0) {
		vgpu_stats_free(p.st);
		return rc;
	}
	*out = p.st;
	return 0;
}

void vgpu_stats_free(vgpu_stats *st)
{
	if (!st)
		return;
	free(st->workers);
	free(st->tiers);
	free(st->kernels);
	free(st->contexts);
	free(st->users);
	free(st->programs);
	free(st);
}

int vgpu_stats_read(vgpu_device *dev, vgpu_stats **out)
{
	*out = NULL;
	char *text;
	int rc = dev_read_file(dev, VGPU_FILE_STATS, &text);
	if (rc < 0)
		return rc;
	rc = vgpu_stats_parse(text, out);
	free(text);
	if (rc == -EPROTO)
		return dev_fail(dev, rc, "%s/stats: not a vgpufs stats file",
				dev->path);
	if (rc < 0)
		return dev_fail(dev, rc, "%s/stats: %s", dev->path,
				strerror(-rc));
	return 0;
}
