/*
 * vgpu trace: records the device's trace file for a while and writes it as
 * Chrome trace-event JSON (docs/cli.md): a track per worker with the tiles
 * it ran, a track per context with its commands, and one with the
 * compiles of its users' programs.
 *
 * Events are written as their spans end, so memory holds only what is
 * unfinished: a tile per worker, the queued commands of each context.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: vgpu trace [-d DEVICE] [-s SECONDS] [-o FILE] [DEVICE]\n"
    "\n"
    "Records the device's scheduler events (its trace file) for SECONDS\n"
    "(Ctrl-C ends sooner) and writes them as Chrome trace-event JSON,\n"
    "which Perfetto (ui.perfetto.dev) and chrome://tracing open: a track\n"
    "per worker with the tiles it ran, a track per context with its\n"
    "commands, and one with its programs' compiles. You see your own\n"
    "contexts' events; root sees all.\n"
    "\n"
    "  -s, --seconds SECONDS  how long to record (default 5)\n"
    "  -o, --output FILE      where to write the JSON (default, or -: "
    "stdout)\n"
    "\n"
    "Exit status: 0, 2 for wrong usage, 3 when the device is unreachable,\n"
    "4 when its trace or FILE cannot be read or written.\n";

#define WORKERS_MAX 1024 /* as the daemon's --workers allows */
#define FIELD_MAX   512	 /* longer than any field of a trace line */

/* A command of a context, queued and not yet completed. */
struct pending {
	uint64_t seq, queued_ns, flops, bytes;
	uint64_t done_ns; /* 0: not completed yet */
	char kernel[48], status[48];
	char *msg;
};

struct ctx_track {
	uint64_t id; /* 0: a free slot */
	char *name;
	struct pending *q; /* q[head..n): queued, in sequence order */
	size_t head, n, cap;
	uint64_t last_end_ns; /* its spans follow each other, never overlap */
	uint64_t last_compile_end_ns; /* the same, on its compiles' track */
	bool compiled;		      /* has a track of compiles */
};

struct worker_track {
	bool used, running;
	uint64_t start_ns, ctx, seq;
	uint64_t last_end_ns;
	char kernel[64], tile[32];
};

struct recorder {
	FILE *out;
	bool any; /* an event written: the next one needs a comma */
	struct ctx_track *ctx;
	size_t nctx, ctx_cap; /* hash table on id, open addressing */
	struct worker_track w[WORKERS_MAX];
	unsigned workers; /* the device's, from info */
	uint64_t first_ns, last_ns, events, lost;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Length of the valid UTF-8 sequence at P, 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c >= 0xc2 && c <= 0xdf   ? 2
		   : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4
					    : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong forms, surrogates, or code points past U+10FFFF */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* S as a JSON string: escaped, and invalid UTF-8 replaced by U+FFFD. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else {
			size_t n = utf8_len(p);
			if (n) {
				fwrite(p, 1, n, f);
				p += n;
			} else {
				fputs("\\ufffd", f);
				p++;
			}
		}
	}
	fputc('"', f);
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* Starts an event object: {"ph":PH,"pid":PID,"tid":TID,"name":NAME */
static void event_begin(struct recorder *r, const char *ph, int pid,
			uint64_t tid, const char *name)
{
	fprintf(r->out,
		"%s\n{\"ph\":\"%s\",\"pid\":%d,\"tid\":%" PRIu64 ",\"name\":",
		r->any ? "," : "", ph, pid, tid);
	json_str(r->out, name);
	r->any = true;
}

/* A metadata event naming (or ordering) a process or thread track. */
static void metadata(struct recorder *r, const char *what, int pid,
		     uint64_t tid, const char *name, uint64_t sort)
{
	event_begin(r, "M", pid, tid, what);
	if (name) {
		fputs(",\"args\":{\"name\":", r->out);
		json_str(r->out, name);
		fputs("}}", r->out);
	} else {
		fprintf(r->out, ",\"args\":{\"sort_index\":%" PRIu64 "}}",
			sort);
	}
}

enum { PID_WORKERS = 1, PID_CONTEXTS = 2, PID_COMPILES = 3 };

/*
 * The value of KEY in the fields of a trace line (" key=value", the first
 * one), up to the next space, or to the end for comm and msg (the last
 * fields, free text); "" when absent.
 */
static const char *field(const char *fields, const char *key,
			 char out[FIELD_MAX])
{
	char pat[32];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(fields, pat);
	out[0] = '\0';
	if (!p)
		return out;
	p += strlen(pat);
	bool rest = !strcmp(key, "comm") || !strcmp(key, "msg");
	size_t n = rest ? strlen(p) : strcspn(p, " ");
	if (n >= FIELD_MAX)
		n = FIELD_MAX - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static uint64_t field_u64(const char *fields, const char *key)
{
	char v[FIELD_MAX];
	return strtoull(field(fields, key, v), NULL, 10);
}

static struct ctx_track *ctx_find(struct recorder *r, uint64_t id);

static int ctx_grow(struct recorder *r)
{
	struct ctx_track *old = r->ctx;
	size_t old_cap = r->ctx_cap;
	size_t cap = old_cap ? old_cap * 2 : 64;
	r->ctx = calloc(cap, sizeof(*r->ctx));
	if (!r->ctx) {
		r->ctx = old;
		return -ENOMEM;
	}
	r->ctx_cap = cap;
	r->nctx = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id)
			*ctx_find(r, old[i].id) = old[i];
	free(old);
	return 0;
}

/* The track of context ID, made if new; NULL when out of memory. */
static struct ctx_track *ctx_find(struct recorder *r, uint64_t id)
{
	if ((r->nctx + 1) * 2 > r->ctx_cap && ctx_grow(r) < 0)
		return NULL;
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (r->ctx_cap - 1);
	while (r->ctx[i].id && r->ctx[i].id != id)
		i = (i + 1) & (r->ctx_cap - 1);
	if (!r->ctx[i].id) {
		r->ctx[i].id = id;
		r->nctx++;
	}
	return &r->ctx[i];
}

/*
 * Where a span that begins at START on a track whose last span ended at
 * LAST_END must begin: 1 ns after it at the earliest. Viewers turn the
 * microseconds of the file back into nanoseconds with rounding errors, and
 * spans that touch could then overlap, which a track's spans must not.
 */
static uint64_t span_start(uint64_t start, uint64_t last_end)
{
	return last_end && start <= last_end ? last_end + 1 : start;
}

/*
 * Context C's span of command P, ended at END: from its queueing, or from
 * the end of the previous span if later.
 */
static void ctx_span(struct recorder *r, struct ctx_track *c,
		     const struct pending *p, uint64_t end)
{
	uint64_t start = span_start(p->queued_ns, c->last_end_ns);
	if (end < start)
		end = start;
	c->last_end_ns = end;
	event_begin(r, "X", PID_CONTEXTS, c->id, p->kernel);
	fprintf(r->out,
		",\"cat\":\"command\",\"ts\":%.3f,\"dur\":%.3f,\"args\":{"
		"\"seq\":%" PRIu64 ",\"queued_us\":%.3f,\"flops\":%" PRIu64
		",\"bytes\":%" PRIu64 ",\"status\":",
		us(start), us(end - start), p->seq, us(p->queued_ns), p->flops,
		p->bytes);
	json_str(r->out, p->done_ns ? p->status : "unfinished");
	if (p->done_ns)
		fprintf(r->out, ",\"done_us\":%.3f", us(p->done_ns));
	if (p->msg) {
		fputs(",\"msg\":", r->out);
		json_str(r->out, p->msg);
	}
	fputs("}}", r->out);
}

/* Forgets C's queued commands. */
static void ctx_clear(struct ctx_track *c)
{
	for (size_t i = c->head; i < c->n; i++)
		free(c->q[i].msg);
	c->head = c->n = 0;
}

static void on_queued(struct recorder *r, uint64_t ts, const char *f)
{
	struct ctx_track *c = ctx_find(r, field_u64(f, "ctx"));
	if (!c)
		return;
	if (c->n == c->cap && c->head) {
		memmove(c->q, c->q + c->head, (c->n - c->head) * sizeof(*c->q));
		c->n -= c->head;
		c->head = 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->q, cap * sizeof(*c->q));
		if (!p)
			return;
		c->q = p;
		c->cap = cap;
	}
	struct pending *p = &c->q[c->n++];
	*p = (struct pending){.seq = field_u64(f, "seq"),
			      .queued_ns = ts,
			      .flops = field_u64(f, "flops"),
			      .bytes = field_u64(f, "bytes")};
	char v[FIELD_MAX];
	snprintf(p->kernel, sizeof(p->kernel), "%s", field(f, "kernel", v));
}

/*
 * A command completed. Its span waits for those queued before it: nop and
 * errors complete at once, ahead of earlier commands still running, but
 * their completions are read in order, and spans of a track must not
 * overlap.
 */
static void on_completed(struct recorder *r, uint64_t ts, const char *f)
{
	struct ctx_track *c = ctx_find(r, field_u64(f, "ctx"));
	uint64_t seq = field_u64(f, "seq");
	size_t i = c ? c->head : 0;
	while (c && i < c->n && c->q[i].seq != seq)
		i++;
	if (!c || i == c->n)
		return; /* queued before the trace began, or lost */
	struct pending *p = &c->q[i];
	char v[FIELD_MAX];
	p->done_ns = ts;
	snprintf(p->status, sizeof(p->status), "%s", field(f, "status", v));
	if (*field(f, "msg", v))
		p->msg = strdup(v);
	while (c->head < c->n && c->q[c->head].done_ns) {
		p = &c->q[c->head++];
		ctx_span(r, c, p, p->done_ns);
		free(p->msg);
	}
	if (c->head == c->n)
		c->head = c->n = 0;
}

static void worker_span(struct recorder *r, unsigned w, uint64_t end,
			const char *status)
{
	struct worker_track *t = &r->w[w];
	uint64_t start = span_start(t->start_ns, t->last_end_ns);
	if (end < start)
		end = start;
	t->last_end_ns = end;
	event_begin(r, "X", PID_WORKERS, w, t->kernel);
	fprintf(r->out,
		",\"cat\":\"tile\",\"ts\":%.3f,\"dur\":%.3f,\"args\":{"
		"\"ctx\":%" PRIu64 ",\"seq\":%" PRIu64 ",\"tile\":",
		us(start), us(end - start), t->ctx, t->seq);
	json_str(r->out, t->tile);
	fputs(",\"status\":", r->out);
	json_str(r->out, status);
	fputs("}}", r->out);
	t->running = false;
}

/* A started or finished tile. */
static void on_tile(struct recorder *r, uint64_t ts, const char *f,
		    bool started)
{
	char v[FIELD_MAX];
	char *end;
	unsigned long w = strtoul(field(f, "worker", v), &end, 10);
	if (!*v || *end || w >= WORKERS_MAX)
		return;
	struct worker_track *t = &r->w[w];
	t->used = true;
	if (started) {
		*t = (struct worker_track){.used = true,
					   .running = true,
					   .last_end_ns = t->last_end_ns,
					   .start_ns = ts,
					   .ctx = field_u64(f, "ctx"),
					   .seq = field_u64(f, "seq")};
		snprintf(t->kernel, sizeof(t->kernel), "%s",
			 field(f, "kernel", v));
		snprintf(t->tile, sizeof(t->tile), "%s", field(f, "tile", v));
		return;
	}
	if (t->running && t->seq == field_u64(f, "seq") &&
	    !strcmp(t->tile, field(f, "tile", v)))
		worker_span(r, (unsigned)w, ts, field(f, "status", v));
}

/*
 * A user's program compiled ("compiled", at its end, with its length in
 * ns) or found compiled ("cache_hit"): a span or an instant on a track of
 * the context's compiles, apart from its commands, which it overlaps.
 */
static void on_program(struct recorder *r, uint64_t ts, const char *f,
		       bool compiled)
{
	struct ctx_track *c = ctx_find(r, field_u64(f, "ctx"));
	if (!c)
		return;
	c->compiled = true;
	char program[FIELD_MAX], v[FIELD_MAX], name[FIELD_MAX + 16];
	field(f, "program", program);
	snprintf(name, sizeof(name), "%s %s", compiled ? "compile" : "cached",
		 program);
	if (!compiled) {
		event_begin(r, "i", PID_COMPILES, c->id, name);
		fprintf(r->out,
			",\"cat\":\"compile\",\"s\":\"t\",\"ts\":%.3f,"
			"\"args\":{\"seq\":%" PRIu64 ",\"command\":",
			us(ts), field_u64(f, "seq"));
		json_str(r->out, field(f, "kernel", v));
		fputs("}}", r->out);
		return;
	}
	uint64_t ns = field_u64(f, "ns");
	uint64_t start =
	    span_start(ts > ns ? ts - ns : 0, c->last_compile_end_ns);
	uint64_t end = ts < start ? start : ts;
	c->last_compile_end_ns = end;
	event_begin(r, "X", PID_COMPILES, c->id, name);
	fprintf(r->out,
		",\"cat\":\"compile\",\"ts\":%.3f,\"dur\":%.3f,\"args\":{"
		"\"seq\":%" PRIu64 ",\"front_us\":%.3f,\"codegen_us\":%.3f,"
		"\"command\":",
		us(start), us(end - start), field_u64(f, "seq"),
		us(field_u64(f, "front_ns")), us(field_u64(f, "codegen_ns")));
	json_str(r->out, field(f, "kernel", v));
	fputs(",\"status\":", r->out);
	json_str(r->out, field(f, "status", v));
	fputs("}}", r->out);
}

/* Spans in flight are unknown after a loss: they are forgotten. */
static void on_lost(struct recorder *r, uint64_t ts, uint64_t n)
{
	r->lost += n;
	for (unsigned w = 0; w < WORKERS_MAX; w++)
		r->w[w].running = false;
	for (size_t i = 0; i < r->ctx_cap; i++)
		ctx_clear(&r->ctx[i]);
	char name[64];
	snprintf(name, sizeof(name), "lost %" PRIu64 " events", n);
	event_begin(r, "i", PID_WORKERS, 0, name);
	fprintf(r->out, ",\"s\":\"g\",\"ts\":%.3f}", us(ts));
}

static void on_opened(struct recorder *r, const char *f)
{
	struct ctx_track *c = ctx_find(r, field_u64(f, "ctx"));
	if (!c)
		return;
	char comm[FIELD_MAX], uid[FIELD_MAX], pid[FIELD_MAX];
	field(f, "comm", comm);
	field(f, "uid", uid);
	field(f, "pid", pid);
	size_t len = strlen(comm) + strlen(uid) + strlen(pid) + 64;
	free(c->name);
	c->name = malloc(len);
	if (c->name)
		snprintf(c->name, len, "ctx %" PRIu64 " %s (pid %s, uid %s)",
			 c->id, comm, pid, uid);
}

/* One line of the trace file: "TS TYPE FIELDS...". */
static void take_line(struct recorder *r, const char *line)
{
	char *end;
	uint64_t ts = strtoull(line, &end, 10);
	if (end == line || *end != ' ')
		return;
	const char *type = end + 1;
	size_t tlen = strcspn(type, " ");
	const char *f = type + tlen; /* " key=value..." */
	if (!r->events++)
		r->first_ns = ts;
	r->last_ns = ts;
#define IS(word) (tlen == strlen(word) && !strncmp(type, word, tlen))
	if (IS("queued"))
		on_queued(r, ts, f);
	else if (IS("completed"))
		on_completed(r, ts, f);
	else if (IS("started") || IS("finished"))
		on_tile(r, ts, f, IS("started"));
	else if (IS("compiled") || IS("cache_hit"))
		on_program(r, ts, f, IS("compiled"));
	else if (IS("opened"))
		on_opened(r, f);
	else if (IS("closed"))
		ctx_find(r, field_u64(f, "ctx"));
	else if (IS("lost"))
		on_lost(r, ts, strtoull(f, NULL, 10));
#undef IS
}

/* The spans still open when recording ended, and the tracks' names. */
static void finish(struct recorder *r)
{
	for (unsigned w = 0; w < WORKERS_MAX; w++)
		if (r->w[w].running)
			worker_span(r, w, r->last_ns, "unfinished");
	for (size_t i = 0; i < r->ctx_cap; i++) {
		struct ctx_track *c = &r->ctx[i];
		if (c->id && c->head < c->n) /* those behind it wait */
			ctx_span(r, c, &c->q[c->head], r->last_ns);
	}
	metadata(r, "process_name", PID_WORKERS, 0, "workers", 0);
	metadata(r, "process_sort_index", PID_WORKERS, 0, NULL, 1);
	metadata(r, "process_name", PID_CONTEXTS, 0, "contexts", 0);
	metadata(r, "process_sort_index", PID_CONTEXTS, 0, NULL, 2);
	metadata(r, "process_name", PID_COMPILES, 0, "compiles", 0);
	metadata(r, "process_sort_index", PID_COMPILES, 0, NULL, 3);
	char name[64];
	for (unsigned w = 0; w < WORKERS_MAX; w++) {
		if (w >= r->workers && !r->w[w].used)
			continue;
		snprintf(name, sizeof(name), "worker %u", w);
		metadata(r, "thread_name", PID_WORKERS, w, name, 0);
		metadata(r, "thread_sort_index", PID_WORKERS, w, NULL, w);
	}
	for (size_t i = 0; i < r->ctx_cap; i++) {
		struct ctx_track *c = &r->ctx[i];
		if (!c->id)
			continue;
		snprintf(name, sizeof(name), "ctx %" PRIu64, c->id);
		metadata(r, "thread_name", PID_CONTEXTS, c->id,
			 c->name ? c->name : name, 0);
		metadata(r, "thread_sort_index", PID_CONTEXTS, c->id, NULL,
			 c->id);
		if (!c->compiled)
			continue;
		metadata(r, "thread_name", PID_COMPILES, c->id,
			 c->name ? c->name : name, 0);
		metadata(r, "thread_sort_index", PID_COMPILES, c->id, NULL,
			 c->id);
	}
}

static void recorder_free(struct recorder *r)
{
	for (size_t i = 0; i < r->ctx_cap; i++) {
		ctx_clear(&r->ctx[i]);
		free(r->ctx[i].name);
		free(r->ctx[i].q);
	}
	free(r->ctx);
}

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Reads the trace file FD until SECONDS have passed or a signal came,
 * handing whole lines to R. Returns 0 or -errno.
 */
static int record(int fd, double seconds, struct recorder *r)
{
	static char buf[1 << 16];
	size_t len = 0;
	double deadline = seconds_now() + seconds;
	while (!interrupted) {
		double left = deadline - seconds_now();
		if (left <= 0)
			break;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int ms = left > 1000 ? 1000000 : (int)(left * 1000) + 1;
		if (poll(&pf, 1, ms) < 0 && errno != EINTR)
			return -errno;
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 && errno == ESHUTDOWN)
			break; /* the daemon is stopping: what we have */
		if (n <= 0)
			return n < 0 ? -errno : 0;
		len += (size_t)n;
		buf[len] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			take_line(r, line);
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1)
			len = 0; /* no line is this long: not a trace */
	}
	return 0;
}

static int parse_args(int argc, char **argv, double *seconds,
		      const char **output)
{
	static const struct option longopts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {0},
	};
	int opt;
	while ((opt = cli_getopt(argc, argv, "s:o:", longopts, usage)) != -1) {
		char *end;
		if (opt == 's') {
			*seconds = strtod(optarg, &end);
			if (*end || !(*seconds > 0 && *seconds < 1e7))
				return cli_usage_error(
				    usage, "bad number of seconds '%s'",
				    optarg);
		} else if (opt == 'o') {
			*output = optarg;
		} else {
			return cli_usage_error(usage, "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(usage, "too many arguments");
	if (optind < argc)
		cli_device = argv[optind];
	return EXIT_OK;
}

/* Opens the device's trace file into *FD, and learns its worker count. */
static int open_trace(int *fd, unsigned *workers)
{
	vgpu_device *dev;
	int status = cli_open(&dev);
	if (status != EXIT_OK)
		return status;
	vgpu_info info;
	if (vgpu_info_get(dev, &info) == 0)
		*workers = info.workers;
	char path[4096];
	snprintf(path, sizeof(path), "%s/trace", vgpu_device_path(dev));
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		char msg[4200];
		int err = errno;
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(err));
		status = cli_fail(-err, msg);
	}
	vgpu_close(dev);
	return status;
}

int cmd_trace(int argc, char **argv)
{
	double seconds = 5;
	const char *output = "-";
	int status = parse_args(argc, argv, &seconds, &output);
	if (status != EXIT_OK)
		return status;
	static struct recorder r;
	int fd;
	status = open_trace(&fd, &r.workers);
	if (status != EXIT_OK)
		return status;
	bool to_stdout = !strcmp(output, "-");
	r.out = to_stdout ? stdout : fopen(output, "we");
	if (!r.out) {
		fprintf(stderr, "vgpu: %s: %s\n", output, strerror(errno));
		close(fd);
		return EXIT_ERROR;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", r.out);
	double t0 = seconds_now();
	int rc = record(fd, seconds, &r);
	double took = seconds_now() - t0;
	close(fd);
	finish(&r);
	fputs("\n]}\n", r.out);
	if (rc < 0) {
		fprintf(stderr, "vgpu: reading the trace: %s\n", strerror(-rc));
		status = EXIT_ERROR;
	}
	if (fflush(r.out) != 0 || ferror(r.out) ||
	    (!to_stdout && fclose(r.out) != 0)) {
		fprintf(stderr, "vgpu: %s: %s\n", output, strerror(errno));
		status = EXIT_ERROR;
	}
	fprintf(stderr,
		"vgpu: %.1f s, %" PRIu64 " events, %u workers, %zu "
		"contexts\n",
		took, r.events, r.workers, r.nctx);
	if (r.lost)
		fprintf(stderr,
			"vgpu: %" PRIu64 " events lost (the trace was read "
			"too slowly)\n",
			r.lost);
	recorder_free(&r);
	return status;
}
