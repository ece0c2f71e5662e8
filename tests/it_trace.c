/*
 * The trace file against the real daemon: the events of real commands in
 * causal order, per-user visibility, a reader that falls behind, and
 * blocked readers woken by signals, by their process's end and by the
 * daemon's.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;
static const char *const daemon_args[] = {"--workers", "2", "--vram", "128M",
					  NULL};

static void setup(void)
{
	daemon_start(&d, daemon_args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One trace line: "TS TYPE FIELDS". */
struct ev {
	uint64_t ts;
	char type[16];
	char fields[700]; /* " key=value ..." */
};

/* FIELD's value in E, up to a space (or the end for msg and comm). */
static const char *fstr(const struct ev *e, const char *key)
{
	static char out[4][700];
	static int next;
	char *o = out[next++ % 4], pat[32];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(e->fields, pat);
	o[0] = '\0';
	if (p) {
		p += strlen(pat);
		size_t n = strcmp(key, "msg") && strcmp(key, "comm")
			       ? strcspn(p, " ")
			       : strlen(p);
		memcpy(o, p, n);
		o[n] = '\0';
	}
	return o;
}

static uint64_t fnum(const struct ev *e, const char *key)
{
	const char *v = fstr(e, key);
	return *v ? strtoull(v, NULL, 10) : UINT64_MAX;
}

static bool is(const struct ev *e, const char *type)
{
	return strcmp(e->type, type) == 0;
}

/* Reads a trace file (opened O_NONBLOCK) line by line. */
struct reader {
	int fd;
	size_t len;
	char buf[1 << 16];
};

/*
 * The next line into E, waiting up to TIMEOUT seconds; false on timeout
 * (errno ETIMEDOUT) or a failed read (its errno).
 */
static bool next_ev(struct reader *r, struct ev *e, double timeout)
{
	double until = now_seconds() + timeout;
	char *nl;
	while (!(nl = memchr(r->buf, '\n', r->len))) {
		ssize_t n =
		    read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			return false;
		double left = until - now_seconds();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return false;
		}
		struct pollfd pf = {.fd = r->fd, .events = POLLIN};
		poll(&pf, 1, (int)(left * 1000) + 1);
	}
	*nl = '\0';
	char type[16] = "";
	int off = 0;
	ck_assert_msg(
	    sscanf(r->buf, "%" SCNu64 " %15s%n", &e->ts, type, &off) == 2,
	    "bad trace line '%s'", r->buf);
	strcpy(e->type, type);
	snprintf(e->fields, sizeof(e->fields), "%s", r->buf + off);
	size_t used = (size_t)(nl - r->buf) + 1;
	r->len -= used;
	memmove(r->buf, r->buf + used, r->len);
	return true;
}

static struct reader *reader_open(void)
{
	struct reader *r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->fd = open(dpath(&d, "trace"), O_RDONLY | O_NONBLOCK);
	ck_assert_msg(r->fd >= 0, "open trace: %s", strerror(errno));
	r->len = 0;
	return r;
}

static void reader_close(struct reader *r)
{
	close(r->fd);
	free(r);
}

/*
 * Reads events into EVS (up to MAX) until one of type UNTIL for context
 * CTX (any if 0) has come; returns how many. Aborts after 10 s.
 */
static size_t read_until(struct reader *r, struct ev *evs, size_t max,
			 const char *until, uint64_t ctx)
{
	for (size_t n = 0; n < max; n++) {
		ck_assert_msg(next_ev(r, &evs[n], 10), "no '%s' event: %s",
			      until, strerror(errno));
		if (is(&evs[n], until) && (!ctx || fnum(&evs[n], "ctx") == ctx))
			return n + 1;
	}
	ck_abort_msg("more than %zu events before '%s'", max, until);
	return 0;
}

/* The id of the context the last "opened" event of process PID names. */
static uint64_t opened_by(const struct ev *evs, size_t n, pid_t pid)
{
	uint64_t id = 0;
	for (size_t i = 0; i < n; i++)
		if (is(&evs[i], "opened") &&
		    fnum(&evs[i], "pid") == (uint64_t)pid)
			id = fnum(&evs[i], "ctx");
	return id;
}

static int find(const struct ev *evs, size_t n, const char *type, uint64_t ctx,
		uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (is(&evs[i], type) && fnum(&evs[i], "ctx") == ctx &&
		    fnum(&evs[i], "seq") == seq)
			return (int)i;
	return -1;
}

static size_t count(const struct ev *evs, size_t n, const char *type,
		    uint64_t ctx, uint64_t seq)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += is(&evs[i], type) && fnum(&evs[i], "ctx") == ctx &&
		     fnum(&evs[i], "seq") == seq;
	return c;
}

/*
 * Checks the tiles of command SEQ of CTX: each of its N tiles started once
 * and finished once (ok) on a worker < 2, between the command's queued and
 * completed events. Returns N (0 for a command that ran no tile).
 */
static unsigned check_tiles(const struct ev *evs, size_t n, uint64_t ctx,
			    uint64_t seq)
{
	int q = find(evs, n, "queued", ctx, seq);
	int c = find(evs, n, "completed", ctx, seq);
	ck_assert_int_ge(q, 0);
	ck_assert_int_gt(c, q);
	ck_assert_uint_eq(count(evs, n, "queued", ctx, seq), 1);
	ck_assert_uint_eq(count(evs, n, "completed", ctx, seq), 1);
	unsigned ntiles = 0;
	bool seen[256] = {false};
	for (int i = 0; i < (int)n; i++) {
		const struct ev *e = &evs[i];
		if (!is(e, "started") || fnum(e, "ctx") != ctx ||
		    fnum(e, "seq") != seq)
			continue;
		unsigned tile, of;
		ck_assert_int_eq(sscanf(fstr(e, "tile"), "%u/%u", &tile, &of),
				 2);
		ck_assert_uint_lt(tile, of);
		ck_assert_uint_lt(of, 256);
		ck_assert_msg(!seen[tile], "tile %u started twice", tile);
		seen[tile] = true;
		ntiles = of;
		ck_assert_uint_lt(fnum(e, "worker"), 2);
		ck_assert_int_gt(i, q);
		/* its end: the next finished event of this worker */
		int j = i + 1;
		while (j < (int)n &&
		       !(is(&evs[j], "finished") &&
			 fnum(&evs[j], "worker") == fnum(e, "worker")))
			j++;
		ck_assert_msg(j < c,
			      "tile %u of seq %llu: no finished before "
			      "completed",
			      tile, (unsigned long long)seq);
		ck_assert_str_eq(fstr(&evs[j], "tile"), fstr(e, "tile"));
		ck_assert_uint_eq(fnum(&evs[j], "seq"), seq);
		ck_assert_str_eq(fstr(&evs[j], "status"), "ok");
	}
	for (unsigned t = 0; t < ntiles; t++)
		ck_assert_msg(seen[t], "tile %u of seq %llu never started", t,
			      (unsigned long long)seq);
	ck_assert_uint_eq(count(evs, n, "finished", ctx, seq), ntiles);
	return ntiles;
}

/*
 * Checks that the workers of command SEQ of CTX took its tiles by shares
 * (worker W: [W*N/2, (W+1)*N/2) of N): each share's tiles started in
 * order from its start whoever ran them, each worker's first tile was in
 * its own share, and a worker that took the other's never came back to
 * its own. Tiles handed out in plain order fail this (worker 1's first
 * tile would be 1, or worker 0's would alternate between the halves).
 */
static void check_shares(const struct ev *evs, size_t n, uint64_t ctx,
			 uint64_t seq)
{
	unsigned next[2] = {0, 0}; /* of each share; set at the first tile */
	bool sized = false, started[2] = {false, false},
	     strayed[2] = {false, false};
	for (size_t i = 0; i < n; i++) {
		const struct ev *e = &evs[i];
		if (!is(e, "started") || fnum(e, "ctx") != ctx ||
		    fnum(e, "seq") != seq)
			continue;
		unsigned tile, of, w = (unsigned)fnum(e, "worker");
		ck_assert_int_eq(sscanf(fstr(e, "tile"), "%u/%u", &tile, &of),
				 2);
		ck_assert_uint_lt(w, 2);
		unsigned share = tile >= of / 2;
		if (!sized)
			next[1] = of / 2;
		sized = true;
		ck_assert_msg(tile == next[share],
			      "tile %u of %u started before %u of its share",
			      tile, of, next[share]);
		next[share]++;
		ck_assert_msg(started[w] || share == w,
			      "worker %u started on tile %u of %u, outside "
			      "its share",
			      w, tile, of);
		ck_assert_msg(!strayed[w] || share != w,
			      "worker %u came back to its share (tile %u of "
			      "%u)",
			      w, tile, of);
		started[w] = true;
		strayed[w] |= share != w;
	}
}

#define MAX_EVS 4096

/* A gemm in tiles, a fill, a nop and an error: every event, in order. */
START_TEST(events_in_causal_order)
{
	uint64_t t0 = mono_ns();
	struct reader *r = reader_open();
	ck_assert_int_eq(buf_create(&d, "A", 1 << 20), 0);
	ck_assert_int_eq(buf_create(&d, "B", 1 << 20), 0);
	ck_assert_int_eq(buf_create(&d, "C", 1 << 20), 0);
	int q = queue_open(&d, 0);
	queue_send(q, "fill buf=A value=1 n=262144");
	queue_send(q, "gemm a=A b=B c=C m=512 n=512 k=512");
	queue_send(q, "nop");
	queue_send(q, "fill buf=nosuch value=1 n=1");
	char out[512];
	for (int i = 0; i < 4; i++)
		queue_recv(q, out, sizeof(out));
	close(q);
	struct ev *evs = calloc(MAX_EVS, sizeof(*evs));
	size_t n = read_until(r, evs, MAX_EVS, "closed", 0);
	uint64_t t1 = mono_ns();
	uint64_t ctx = opened_by(evs, n, getpid());
	ck_assert_uint_ne(ctx, 0);
	ck_assert_int_eq(fnum(&evs[0], "uid"), 0);
	ck_assert_str_eq(fstr(&evs[0], "comm"), "it_trace");
	ck_assert_uint_eq(fnum(&evs[n - 1], "ctx"), ctx);
	/* CLOCK_MONOTONIC, in order */
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_ge(evs[i].ts, i ? evs[i - 1].ts : t0);
		ck_assert_uint_le(evs[i].ts, t1);
		ck_assert_uint_eq(fnum(&evs[i], "ctx"), ctx);
	}
	ck_assert_uint_gt(check_tiles(evs, n, ctx, 1), 0);
	ck_assert_uint_gt(check_tiles(evs, n, ctx, 2), 1);
	ck_assert_uint_eq(check_tiles(evs, n, ctx, 3), 0);
	ck_assert_uint_eq(check_tiles(evs, n, ctx, 4), 0);
	const struct ev *g = &evs[find(evs, n, "queued", ctx, 2)];
	ck_assert_str_eq(fstr(g, "kernel"), "gemm");
	ck_assert_uint_eq(fnum(g, "flops"), 2ull * 512 * 512 * 512);
	ck_assert_uint_eq(fnum(g, "bytes"), 3u << 20);
	const struct ev *e = &evs[find(evs, n, "completed", ctx, 4)];
	ck_assert_str_eq(fstr(e, "kernel"), "fill");
	ck_assert_str_eq(fstr(e, "status"), "ENOENT");
	ck_assert_msg(strstr(fstr(e, "msg"), "'nosuch'"), "%s", e->fields);
	ck_assert_str_eq(
	    fstr(&evs[find(evs, n, "completed", ctx, 3)], "status"), "ok");
	free(evs);
	reader_close(r);
}
END_TEST

/* Fills of 16 tiles on two workers: each worker starts on its own half
 * (its CPU's caches keep the half's data from one launch to the next,
 * docs/benchmarks.md), then helps with the rest of the other's. */
START_TEST(workers_keep_their_share)
{
	struct reader *r = reader_open();
	ck_assert_int_eq(buf_create(&d, "F", 8 << 20), 0);
	int q = queue_open(&d, 0);
	char out[512];
	for (int i = 0; i < 4; i++) {
		queue_send(q, "fill buf=F value=2 n=2097152");
		queue_recv(q, out, sizeof(out));
		ck_assert_msg(strstr(out, " ok "), "%s", out);
	}
	close(q);
	struct ev *evs = calloc(MAX_EVS, sizeof(*evs));
	size_t n = read_until(r, evs, MAX_EVS, "closed", 0);
	uint64_t ctx = opened_by(evs, n, getpid());
	for (uint64_t seq = 1; seq <= 4; seq++) {
		ck_assert_uint_eq(check_tiles(evs, n, ctx, seq), 16);
		check_shares(evs, n, ctx, seq);
	}
	free(evs);
	reader_close(r);
}
END_TEST

/* The ELAPSED_US of completion line LINE ("SEQ ok KERNEL US"). */
static uint64_t elapsed_us(const char *line)
{
	const char *sp = strrchr(line, ' ');
	ck_assert_msg(strstr(line, " ok ") && sp, "%s", line);
	return strtoull(sp + 1, NULL, 10);
}

/*
 * ELAPSED_US counts from a command's first step, not from when it reached
 * the front of its context's queue: fills sent one after another while a
 * big gemm holds both workers each wait for one (up to a gemm step,
 * milliseconds), which is time in the queue (commands.md). Each
 * command's ELAPSED_US is within its trace's first started and completed
 * lines (with 500 us of slack: its start is taken just before the started
 * line, its end just before the completed one).
 */
START_TEST(elapsed_leaves_out_the_wait_for_a_worker)
{
	enum { FILLS = 5 };
	struct reader *r = reader_open();
	for (const char *b = "GHI"; *b; b++) {
		char name[2] = {*b, 0};
		ck_assert_int_eq(buf_create(&d, name, 16 << 20), 0);
	}
	ck_assert_int_eq(buf_create(&d, "S", 64), 0);
	int qa = queue_open(&d, 0), qb = queue_open(&d, 0);
	queue_send(qa, "gemm a=G b=H c=I m=2048 n=2048 k=2048");
	usleep(10 * 1000); /* its steps on both workers */
	char out[1 + FILLS][256];
	for (int i = 1; i <= FILLS; i++) {
		queue_send(qb, "fill buf=S value=1 n=16");
		queue_recv(qb, out[i], sizeof(out[i]));
	}
	queue_recv(qa, out[0], sizeof(out[0]));
	close(qa);
	close(qb);
	struct ev *evs = calloc(MAX_EVS, sizeof(*evs));
	size_t n = read_until(r, evs, MAX_EVS, "closed", 0);
	n += read_until(r, evs + n, MAX_EVS - n, "closed", 0);
	uint64_t ctx[2] = {0, 0};
	for (size_t i = 0; i < n; i++)
		if (is(&evs[i], "opened") &&
		    fnum(&evs[i], "pid") == (uint64_t)getpid())
			ctx[ctx[0] ? 1 : 0] = fnum(&evs[i], "ctx");
	ck_assert(ctx[0] && ctx[1]);
	for (int c = 0; c <= FILLS; c++) {
		uint64_t cx = ctx[c ? 1 : 0], seq = c ? (uint64_t)c : 1;
		int q = find(evs, n, "queued", cx, seq);
		int s = find(evs, n, "started", cx, seq);
		int e = find(evs, n, "completed", cx, seq);
		ck_assert(q >= 0 && s > q && e > s);
		uint64_t us = elapsed_us(out[c]);
		ck_assert_msg(
		    us * 1000 <= evs[e].ts - evs[s].ts + 500000,
		    "%s: ELAPSED_US %llu, but %llu us from its "
		    "first step to its end (%llu from its queueing)",
		    out[c], (unsigned long long)us,
		    (unsigned long long)(evs[e].ts - evs[s].ts) / 1000,
		    (unsigned long long)(evs[e].ts - evs[q].ts) / 1000);
	}
	free(evs);
	reader_close(r);
}
END_TEST

static int ready[2], go[2];

/* bob subscribes, waits while root works, then works himself. */
static int bob_traces(void)
{
	struct reader *r = reader_open();
	char c = 'r';
	if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		return 2;
	int q = queue_open(&d, 0);
	queue_send(q, "nop");
	char out[256];
	queue_recv(q, out, sizeof(out));
	close(q);
	struct ev *evs = calloc(64, sizeof(*evs));
	size_t n = read_until(r, evs, 64, "closed", 0);
	uint64_t mine = opened_by(evs, n, getpid());
	if (!mine || n != 4) /* opened, queued, completed, closed */
		return 3;
	for (size_t i = 0; i < n; i++)
		if (fnum(&evs[i], "ctx") != mine)
			return 4;
	if (fnum(&evs[0], "uid") != 1001)
		return 5;
	free(evs);
	reader_close(r);
	return 0;
}

/* A user sees only the events of their own contexts; root sees all. */
START_TEST(others_see_only_their_own)
{
	struct reader *root = reader_open();
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t bob = spawn_as(1001, 1001, 0, NULL, bob_traces);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(buf_create(&d, "x", 4096), 0);
	int q = queue_open(&d, 0);
	queue_send(q, "fill buf=x value=1 n=1024");
	queue_send(q, "nop");
	queue_send(q, "fill buf=nosuch value=1 n=1");
	char out[256];
	for (int i = 0; i < 3; i++)
		queue_recv(q, out, sizeof(out));
	close(q);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(child_status(bob), 0);
	struct ev *evs = calloc(MAX_EVS, sizeof(*evs));
	size_t n = 0;
	do /* root's own context, then bob's */
		n += read_until(root, evs + n, MAX_EVS - n, "closed", 0);
	while (!opened_by(evs, n, bob));
	bool saw_bob = false;
	for (size_t i = 0; i < n; i++)
		if (is(&evs[i], "opened") &&
		    fnum(&evs[i], "pid") == (uint64_t)bob)
			saw_bob = fnum(&evs[i], "uid") == 1001;
	ck_assert(saw_bob);
	free(evs);
	reader_close(root);
	for (int i = 0; i < 2; i++) {
		close(ready[i]);
		close(go[i]);
	}
}
END_TEST

/*
 * A reader that stops reading loses events, and is told how many by a
 * "lost N" line; the device serves on meanwhile, and the reader gets
 * events again once it has caught up.
 */
START_TEST(slow_reader_loses_events)
{
	struct reader *r = reader_open();
	int q = queue_open(&d, 0);
	enum { CHUNK = 500, CHUNKS = 12 };
	char *lines = malloc(CHUNK * 4);
	for (int i = 0; i < CHUNK; i++)
		memcpy(lines + i * 4, "nop\n", 4);
	char out[256];
	for (int c = 0; c < CHUNKS; c++) {
		ck_assert_int_eq(write(q, lines, CHUNK * 4), CHUNK * 4);
		for (int i = 0; i < CHUNK; i++)
			queue_recv(q, out, sizeof(out));
	}
	free(lines);
	ck_assert_msg(strstr(out, "6000 ok nop"), "%s", out);
	ck_assert(strstr(slurp(dpath(&d, "stats")), "commands_total 6000\n"));
	/* every event is either read or counted lost */
	size_t seen = 0, lost_lines = 0;
	uint64_t lost = 0;
	struct ev e;
	while (next_ev(r, &e, 0)) {
		if (is(&e, "lost")) {
			lost += strtoull(e.fields, NULL, 10);
			lost_lines++;
		} else {
			seen++;
		}
	}
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_ge(lost_lines, 1);
	ck_assert_uint_gt(lost, 0);
	ck_assert_uint_eq(seen + lost, 1 + 2 * CHUNK * CHUNKS);
	/* caught up: new events come, and nothing is lost any more */
	queue_send(q, "nop");
	queue_recv(q, out, sizeof(out));
	ck_assert(next_ev(r, &e, 5));
	ck_assert_str_eq(e.type, "queued");
	ck_assert_uint_eq(fnum(&e, "seq"), 6001);
	ck_assert(next_ev(r, &e, 5));
	ck_assert_str_eq(e.type, "completed");
	close(q);
	reader_close(r);
}
END_TEST

static void on_usr1(int sig)
{
	(void)sig;
}

/* Blocks in read() on trace; exits 0 when the read fails with EINTR. */
static int blocked_read_eintr(void)
{
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	int fd = open(dpath(&d, "trace"), O_RDONLY);
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	return n < 0 && errno == EINTR ? 0 : 2;
}

/* Blocks in read() on trace; exits 0 when the read fails with ESHUTDOWN. */
static int blocked_read_shutdown(void)
{
	int fd = open(dpath(&d, "trace"), O_RDONLY);
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n >= 0)
		fprintf(stderr, "read %zd bytes: '%.*s'\n", n, (int)n, buf);
	else if (errno != ESHUTDOWN)
		fprintf(stderr, "read: %s\n", strerror(errno));
	return n < 0 && errno == ESHUTDOWN ? 0 : 2;
}

/* Waits until stats shows N blocked readers; aborts after 5 s. */
static void wait_blocked(int n)
{
	char want[64];
	snprintf(want, sizeof(want), "blocked_readers %d\n", n);
	double until = now_seconds() + 5;
	while (!strstr(slurp(dpath(&d, "stats")), want)) {
		ck_assert_msg(now_seconds() < until, "never %s", want);
		usleep(10000);
	}
}

/* The exit status of child PID within 5 s; -1 (and killed) if not. */
static int wait_child(pid_t pid)
{
	double until = now_seconds() + 5;
	int status;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_seconds() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

START_TEST(blocked_reader_interrupted_by_signal)
{
	pid_t pid = spawn_as(0, 0, 0, NULL, blocked_read_eintr);
	wait_blocked(1);
	kill(pid, SIGUSR1);
	ck_assert_int_eq(wait_child(pid), 0);
	wait_blocked(0);
}
END_TEST

/*
 * A reader killed while blocked ends (its read answered), and its file's
 * close frees the subscription: as many as the limit can be opened again.
 */
START_TEST(blocked_reader_killed_and_closed)
{
	pid_t pid = spawn_as(0, 0, 0, NULL, blocked_read_shutdown);
	wait_blocked(1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(wait_child(pid), -2);
	wait_blocked(0);
	int fds[65];
	double until = now_seconds() + 5;
	for (int i = 0; i < 64; i++) { /* the release may still be on its way */
		fds[i] = open(dpath(&d, "trace"), O_RDONLY);
		if (fds[i] < 0 && errno == EMFILE && now_seconds() < until) {
			usleep(10000);
			i--;
			continue;
		}
		ck_assert_msg(fds[i] >= 0, "open %d: %s", i, strerror(errno));
	}
	fds[64] = open(dpath(&d, "trace"), O_RDONLY);
	ck_assert_int_eq(fds[64], -1);
	ck_assert_int_eq(errno, EMFILE);
	for (int i = 0; i < 64; i++)
		close(fds[i]);
}
END_TEST

/* Stopping the daemon answers blocked readers. */
START_TEST(blocked_reader_answered_at_stop)
{
	pid_t pid = spawn_as(0, 0, 0, NULL, blocked_read_shutdown);
	wait_blocked(1);
	ck_assert_int_eq(daemon_stop(&d), 0);
	ck_assert_int_eq(wait_child(pid), 0);
	d.mnt[0] = '\0';
	daemon_start(&d, daemon_args); /* for the teardown */
}
END_TEST

/* Pins the calling thread to CPU (mod the CPUs it may use). */
static void pin(int cpu)
{
	cpu_set_t all, one;
	sched_getaffinity(0, sizeof(all), &all);
	int n = CPU_COUNT(&all), k = cpu % n;
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all) && k-- == 0)
			CPU_SET(c, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

static atomic_bool busy_stop;
/* dpath() is not for threads: the paths are made before they start. */
static char trace_path[1024], queue_path[1024];

/* Blocking reads of trace, from a thread on CPU (void *)N. */
static void *busy_reader(void *arg)
{
	pin((int)(intptr_t)arg);
	int fd = open(trace_path, O_RDONLY);
	char buf[4096];
	while (fd >= 0 && !atomic_load(&busy_stop) &&
	       read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return NULL;
}

/* 5000 nops on a context of its own, from a thread on CPU (void *)N. */
static void *busy_writer(void *arg)
{
	pin((int)(intptr_t)arg);
	int q = open(queue_path, O_RDWR);
	char lines[400], out[64];
	for (int i = 0; i < 100; i++)
		memcpy(lines + i * 4, "nop\n", 4);
	FILE *in = fdopen(dup(q), "r");
	for (int c = 0; q >= 0 && in && c < 50; c++) {
		if (write(q, lines, sizeof(lines)) != (ssize_t)sizeof(lines))
			break;
		for (int i = 0; i < 100 && fgets(out, sizeof(out), in); i++)
			;
	}
	if (in)
		fclose(in);
	close(q);
	return NULL;
}

/*
 * Readers blocked on trace while commands come in on every CPU: events
 * raised in FUSE handlers on one CPU's queue must never answer a read
 * parked on another's from inside the handler (each would wait for the
 * other's queue). Everything finishes in time.
 */
START_TEST(busy_device_with_blocked_readers)
{
	pthread_t r[4], w[2];
	atomic_store(&busy_stop, false);
	snprintf(trace_path, sizeof(trace_path), "%s", dpath(&d, "trace"));
	snprintf(queue_path, sizeof(queue_path), "%s", dpath(&d, "queue"));
	for (int i = 0; i < 4; i++)
		pthread_create(&r[i], NULL, busy_reader, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, busy_writer, (void *)(intptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&busy_stop, true);
	char out[64];
	run_line(&d, "nop", out, sizeof(out)); /* serving, and wakes readers */
	ck_assert_str_eq(out, "1 ok nop 0");
	for (int i = 0; i < 4; i++)
		pthread_join(r[i], NULL);
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert_msg(strstr(st, "commands_total 10001\n"), "%.400s", st);
}
END_TEST

static const char fill_cl[] =
    "__kernel void set(__global float *p, const float v)\n"
    "{\n"
    "\tp[get_global_id(0)] = v;\n"
    "}\n";

/*
 * A user's program: its first launch compiles it ("compiled", with its
 * times, between the command's queued and completed), a launch of the same
 * bytes under another name finds it compiled ("cache_hit", no compile),
 * and a compile that fails says so.
 */
START_TEST(program_compiled_then_cached)
{
	struct reader *r = reader_open();
	const char *bad = "__kernel void k( {";
	const char *names[] = {"set.cl", "copy.cl", "bad.cl"};
	const char *texts[] = {fill_cl, fill_cl, bad};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(buf_create(&d, names[i], strlen(texts[i])), 0);
		buf_write(&d, names[i], texts[i], strlen(texts[i]));
	}
	ck_assert_int_eq(buf_create(&d, "p", 64), 0);
	int q = queue_open(&d, 0);
	queue_send(q, "launch prog=set.cl kernel=set global=16 p=p v=1");
	queue_send(q, "launch prog=copy.cl kernel=set global=16 p=p v=2");
	queue_send(q, "build prog=bad.cl");
	char out[512];
	for (int i = 0; i < 3; i++)
		queue_recv(q, out, sizeof(out));
	ck_assert_msg(strncmp(out, "3 err EINVAL", 12) == 0, "%s", out);
	close(q);
	struct ev *evs = calloc(MAX_EVS, sizeof(*evs));
	size_t n = read_until(r, evs, MAX_EVS, "closed", 0);
	uint64_t ctx = opened_by(evs, n, getpid());
	int c = find(evs, n, "compiled", ctx, 1);
	ck_assert_msg(c >= 0, "no compiled event");
	ck_assert_int_gt(c, find(evs, n, "queued", ctx, 1));
	ck_assert_int_lt(c, find(evs, n, "completed", ctx, 1));
	const struct ev *e = &evs[c];
	ck_assert_str_eq(fstr(e, "kernel"), "launch");
	ck_assert_str_eq(fstr(e, "program"), "set.cl");
	ck_assert_str_eq(fstr(e, "status"), "ok");
	ck_assert_uint_gt(fnum(e, "front_ns"), 0);
	ck_assert_uint_gt(fnum(e, "codegen_ns"), 0);
	ck_assert_uint_eq(fnum(e, "ns"),
			  fnum(e, "front_ns") + fnum(e, "codegen_ns"));
	/* no longer than from the command's queued to its completion */
	ck_assert_uint_le(fnum(e, "ns"),
			  evs[find(evs, n, "completed", ctx, 1)].ts -
			      evs[find(evs, n, "queued", ctx, 1)].ts);
	ck_assert_uint_eq(count(evs, n, "compiled", ctx, 1), 1);
	ck_assert_uint_eq(count(evs, n, "cache_hit", ctx, 1), 0);
	/* the same bytes again: found, not compiled */
	ck_assert_uint_eq(count(evs, n, "compiled", ctx, 2), 0);
	int h = find(evs, n, "cache_hit", ctx, 2);
	ck_assert_msg(h >= 0, "no cache_hit event");
	ck_assert_str_eq(fstr(&evs[h], "program"), "copy.cl");
	ck_assert_str_eq(fstr(&evs[h], "kernel"), "launch");
	ck_assert_int_lt(h, find(evs, n, "completed", ctx, 2));
	/* a failed compile */
	c = find(evs, n, "compiled", ctx, 3);
	ck_assert_msg(c >= 0, "no compiled event for the failed build");
	e = &evs[c];
	ck_assert_str_eq(fstr(e, "kernel"), "build");
	ck_assert_str_eq(fstr(e, "program"), "bad.cl");
	ck_assert_str_eq(fstr(e, "status"), "EINVAL");
	ck_assert_uint_gt(fnum(e, "ns"), 0);
	free(evs);
	reader_close(r);
}
END_TEST

/* Read-only; O_NONBLOCK and poll() as for a pipe. */
START_TEST(nonblocking_and_poll)
{
	errno = 0;
	ck_assert_int_eq(open(dpath(&d, "trace"), O_RDWR), -1);
	ck_assert_int_eq(errno, EACCES);
	struct reader *r = reader_open();
	char buf[256];
	ck_assert_int_eq(read(r->fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	struct pollfd pf = {.fd = r->fd, .events = POLLIN};
	ck_assert_int_eq(poll(&pf, 1, 100), 0);
	char out[256];
	run_line(&d, "nop", out, sizeof(out));
	ck_assert_int_eq(poll(&pf, 1, 5000), 1);
	ck_assert(pf.revents & POLLIN);
	/* whole lines: a read shorter than the first line gets part of it */
	ssize_t n = read(r->fd, buf, 8);
	ck_assert_int_eq(n, 8);
	n = read(r->fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(n > 0 && buf[n - 1] == '\n', "%s", buf);
	reader_close(r);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    events_in_causal_order,
	    workers_keep_their_share,
	    elapsed_leaves_out_the_wait_for_a_worker,
	    others_see_only_their_own,
	    slow_reader_loses_events,
	    blocked_reader_interrupted_by_signal,
	    blocked_reader_killed_and_closed,
	    blocked_reader_answered_at_stop,
	    nonblocking_and_poll,
	    program_compiled_then_cached,
	    busy_device_with_blocked_readers,
	};
	return run_suite(suite_with_daemon("trace", setup, teardown, 60, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
