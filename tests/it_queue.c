/* The queue file: contexts, the text form, completions, blocking rules. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpufs/command.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "256M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* Reads exactly WANT completion lines from FD into OUT (joined). */
static void recv_lines(int fd, int want, char *out, size_t len)
{
	size_t used = 0;
	int lines = 0;
	while (lines < want) {
		ssize_t n = read(fd, out + used, len - 1 - used);
		ck_assert_msg(n > 0, "read: %s", strerror(errno));
		for (ssize_t i = 0; i < n; i++)
			lines += out[used + i] == '\n';
		used += (size_t)n;
		ck_assert_int_eq(out[used - 1], '\n'); /* whole lines only */
	}
	out[used] = '\0';
	ck_assert_int_eq(lines, want);
}

START_TEST(errors_and_order)
{
	ck_assert_int_eq(buf_create(&d, "x", 4096), 0);
	int fd = queue_open(&d, 0);
	const char *batch =
	    "# comment lines and blank lines get no completion\n"
	    "\n"
	    "nop\n"
	    "fill buf=x value=2 n=1024\n"
	    "bogus a=b\n"
	    "fill buf=x value=2 n=1025\n"
	    "fill buf=missing value=2 n=1\n"
	    "fill buf=x value=2\n"
	    "fill buf=../x value=2 n=1\n"
	    "nop\n";
	ck_assert_int_eq(write(fd, batch, strlen(batch)),
			 (ssize_t)strlen(batch));
	char out[4096];
	recv_lines(fd, 8, out, sizeof(out));
	char *save, *line = strtok_r(out, "\n", &save);
	const char *want[] = {
	    "1 ok nop ",
	    "2 ok fill ",
	    "3 err ENOSYS: unknown kernel 'bogus'",
	    "4 err EINVAL: fill: buffer 'buf' holds 4096 bytes, needs 4100 "
	    "(n*4)",
	    "5 err ENOENT: fill: buf='missing': no such buffer in mem/",
	    "6 err EINVAL: fill: missing argument 'n'",
	    "7 err EINVAL: fill: buf='../x' is not a buffer name",
	    "8 ok nop ",
	};
	for (int i = 0; i < 8; i++, line = strtok_r(NULL, "\n", &save)) {
		ck_assert_ptr_nonnull(line);
		ck_assert_msg(strncmp(line, want[i], strlen(want[i])) == 0,
			      "line %d: '%s', want '%s...'", i + 1, line,
			      want[i]);
	}
	/* the context keeps working after errors */
	queue_send(fd, "nop");
	queue_recv(fd, out, sizeof(out));
	ck_assert_str_eq(strtok(out, " "), "9");
	close(fd);
}
END_TEST

START_TEST(split_and_long_lines)
{
	ck_assert_int_eq(buf_create(&d, "x", 4096), 0);
	int fd = queue_open(&d, 0);
	/* a line split across writes is joined */
	const char *parts[] = {"fi", "ll buf=x va", "lue=3 n=", "8\nno", "p\n"};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(write(fd, parts[i], strlen(parts[i])),
				 (ssize_t)strlen(parts[i]));
	char out[8192];
	recv_lines(fd, 2, out, sizeof(out));
	ck_assert_msg(strncmp(out, "1 ok fill", 9) == 0, "%s", out);
	float v[8];
	buf_read(&d, "x", v, sizeof(v));
	for (int i = 0; i < 8; i++)
		ck_assert(v[i] == 3.0f);
	/* an over-long line is one error; the next line is fine */
	size_t big = 100000;
	char *line = malloc(big + 8);
	memset(line, 'a', big);
	memcpy(line + big, "\nnop\n", 5);
	ck_assert_int_eq(write(fd, line, big + 5), (ssize_t)(big + 5));
	free(line);
	recv_lines(fd, 2, out, sizeof(out));
	ck_assert_msg(strstr(out, "3 err E2BIG: line longer than 4096 bytes"),
		      "%s", out);
	ck_assert_msg(strstr(out, "4 ok nop"), "%s", out);
	close(fd);
}
END_TEST

START_TEST(nonblocking_and_poll)
{
	int fd = queue_open(&d, O_NONBLOCK);
	char buf[256];
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 50), 0);
	queue_send(fd, "nop");
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert(pfd.revents & POLLIN);
	queue_recv(fd, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "1 ok nop ", 9) == 0, "%s", buf);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* poll wakes up for a completion that arrives later */
	ck_assert_int_eq(buf_create(&d, "big", 64 << 20), 0);
	queue_send(fd, "fill buf=big value=1 n=16M");
	pfd.revents = 0;
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	queue_recv(fd, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "2 ok fill ", 10) == 0, "%s", buf);
	close(fd);
}
END_TEST

/* A read smaller than a line gets part of it, and the rest next time. */
START_TEST(small_reads)
{
	int fd = queue_open(&d, 0);
	queue_send(fd, "nop");
	queue_send(fd, "nop");
	char a[4] = {0}, rest[256];
	ck_assert_int_eq(read(fd, a, 3), 3);
	ck_assert(memcmp(a, "1 o", 3) == 0);
	ssize_t n = read(fd, rest, sizeof(rest) - 1);
	ck_assert_int_gt(n, 0);
	rest[n] = '\0';
	ck_assert_msg(strncmp(rest, "k nop ", 6) == 0, "%s", rest);
	close(fd);
}
END_TEST

struct blocked_reader {
	const struct daemon_proc *d;
	int fd;
	char line[128];
};

static void *reader_main(void *arg)
{
	struct blocked_reader *r = arg;
	ssize_t n = read(r->fd, r->line, sizeof(r->line) - 1);
	r->line[n > 0 ? n : 0] = '\0';
	return NULL;
}

/*
 * Blocked readers must not starve anyone: stat, ls, and other contexts go
 * on. A parked read holds no daemon thread (libfuse runs at most 64 here);
 * over io_uring it does occupy one ring entry until it is answered.
 */
static void blocked_readers_body(void)
{
	enum { READERS = 200 };
	static struct blocked_reader r[READERS];
	static pthread_t th[READERS];
	for (int i = 0; i < READERS; i++) {
		r[i].d = &d;
		r[i].fd = queue_open(&d, 0);
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, reader_main, &r[i]), 0);
	}
	/* wait until the daemon has parked them all */
	for (int i = 0; i < 500; i++) {
		if (strstr(slurp(dpath(&d, "stats")), "blocked_readers 200\n"))
			break;
		usleep(10000);
	}
	ck_assert_msg(
	    strstr(slurp(dpath(&d, "stats")), "blocked_readers 200\n"), "%s",
	    slurp(dpath(&d, "stats")));
	/* meanwhile another client uses the device normally */
	double t0 = now_seconds();
	for (int i = 0; i < 200; i++) {
		char name[32], out[128];
		snprintf(name, sizeof(name), "b%d", i);
		ck_assert_int_eq(buf_create(&d, name, 4096), 0);
		struct stat st;
		ck_assert_int_eq(stat(dpath(&d, "mem"), &st), 0);
		run_line(&d, "nop", out, sizeof(out));
		ck_assert_msg(strncmp(out, "1 ok nop", 8) == 0, "%s", out);
	}
	ck_assert_msg(now_seconds() - t0 < 20, "the device crawled");
	/* each blocked reader gets its own completion */
	for (int i = 0; i < READERS; i++)
		queue_send(r[i].fd, "nop");
	for (int i = 0; i < READERS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(strncmp(r[i].line, "1 ok nop", 8) == 0,
			      "reader %d: '%s'", i, r[i].line);
		close(r[i].fd);
	}
}

START_TEST(blocked_readers_do_not_starve)
{
	assert_uring_where_offered(&d);
	blocked_readers_body();
}
END_TEST

/* The same over /dev/fuse: 200 waiting readers, at most 64 FUSE threads. */
START_TEST(blocked_readers_dev_fuse)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	d.mnt[0] = '\0';
	const char *args[] = {"--no-uring", NULL};
	daemon_start(&d, args);
	ck_assert(strstr(slurp(dpath(&d, "info")), "transport: fuse\n"));
	blocked_readers_body();
}
END_TEST

/* A reader blocked in read() is released by a signal, even SIGKILL. */
START_TEST(blocked_reader_signals)
{
	int fd = queue_open(&d, 0);
	pid_t pid = fork();
	if (pid == 0) {
		char buf[64];
		read(fd, buf, sizeof(buf));
		_exit(0);
	}
	usleep(200000);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int status;
	double t0 = now_seconds();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		ck_assert_msg(now_seconds() - t0 < 5, "killed reader hangs");
		usleep(10000);
	}
	ck_assert(WIFSIGNALED(status));
	close(fd);
}
END_TEST

/* Two contexts run at once; a long command on one does not hold the other. */
START_TEST(contexts_concurrent)
{
	const int n = 1536;
	for (const char *b = "ABC"; *b; b++) {
		char name[2] = {*b, 0};
		ck_assert_int_eq(buf_create(&d, name, (size_t)n * n * 4), 0);
	}
	char out[256];
	run_line(&d, "fill buf=A value=1 n=2359296", out, sizeof(out));
	run_line(&d, "fill buf=B value=1 n=2359296", out, sizeof(out));
	int big = queue_open(&d, 0);
	/* several seconds of gemm on one context */
	for (int i = 0; i < 6; i++)
		queue_send(big, "gemm a=A b=B c=C m=1536 n=1536 k=1536");
	/* the other context's nops and the tree stay responsive */
	double worst = 0;
	for (int i = 0; i < 50; i++) {
		double t0 = now_seconds();
		run_line(&d, "nop", out, sizeof(out));
		struct stat st;
		ck_assert_int_eq(stat(dpath(&d, "mem/A"), &st), 0);
		double dt = now_seconds() - t0;
		worst = dt > worst ? dt : worst;
		usleep(2000);
	}
	ck_assert_msg(worst < 0.5, "nop took %.3f s while gemm ran", worst);
	for (int i = 0; i < 6; i++) {
		queue_recv(big, out, sizeof(out));
		ck_assert_msg(strstr(out, " ok gemm "), "%s", out);
	}
	close(big);
	float c[4];
	buf_read(&d, "C", c, sizeof(c));
	ck_assert(c[0] == (float)n && c[3] == (float)n);
}
END_TEST

/* Closing a context with queued work: the work still runs, nothing leaks. */
START_TEST(close_with_queued_work)
{
	ck_assert_int_eq(buf_create(&d, "x", 64 << 20), 0);
	int fd = queue_open(&d, 0);
	for (int i = 0; i < 20; i++)
		queue_send(fd, "fill buf=x value=7 n=16M");
	close(fd);
	for (int i = 0; i < 500; i++) {
		const char *st = slurp(dpath(&d, "stats"));
		if (strstr(st, "kernel.fill.count 20\n") &&
		    strstr(st, "contexts 0\n"))
			break;
		usleep(10000);
	}
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert_msg(strstr(st, "kernel.fill.count 20\n"), "%s", st);
	ck_assert_msg(strstr(st, "contexts 0\n"), "%s", st);
	float v;
	buf_read(&d, "x", &v, sizeof(v));
	ck_assert(v == 7.0f);
}
END_TEST

/* rm of a buffer that queued commands use: they still run, then it goes. */
START_TEST(rm_while_queued)
{
	ck_assert_int_eq(buf_create(&d, "doomed", 64 << 20), 0);
	int q = queue_open(&d, 0);
	for (int i = 0; i < 10; i++)
		queue_send(q, "fill buf=doomed value=3 n=16M");
	ck_assert_int_eq(unlink(dpath(&d, "mem/doomed")), 0);
	/* the name is gone at once: a new command cannot find it */
	queue_send(q, "fill buf=doomed value=3 n=1");
	char out[256];
	for (int i = 0; i < 10; i++) {
		queue_recv(q, out, sizeof(out));
		ck_assert_msg(strstr(out, " ok fill "), "%s", out);
	}
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, "11 err ENOENT"), "%s", out);
	close(q);
	/* and the memory is released after the last command */
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert_msg(strstr(st, "buffers 0\n"), "%s", st);
	ck_assert_msg(strstr(st, "vram_ram_used_bytes 0\n"), "%s", st);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * A 4096^3 gemm on one context does not starve another: its nops keep
 * completing with p99 under 20 ms while it runs, and its small kernels wait
 * for about one gemm tile, not for the rest of the gemm (median under an
 * eighth of the gemm's time, worst under half; without fair share the
 * median would be about half).
 */
START_TEST(fair_while_gemm_runs)
{
	for (const char *b = "ABC"; *b; b++) {
		char name[2] = {*b, 0};
		ck_assert_int_eq(buf_create(&d, name, 4096 * 4096 * 4), 0);
	}
	ck_assert_int_eq(buf_create(&d, "small", 1 << 20), 0);
	int big = queue_open(&d, O_NONBLOCK), q = queue_open(&d, 0);
	double gemm_t0 = now_seconds();
	queue_send(big, "gemm a=A b=B c=C m=4096 n=4096 k=4096");
	enum { MAX = 100000 };
	static double nop_ms[MAX], fill_ms[MAX];
	int nops = 0, fills = 0;
	double gemm_ms = 0;
	char out[256];
	for (;;) {
		ssize_t n = read(big, out, sizeof(out) - 1);
		if (n > 0) {
			out[n] = '\0';
			ck_assert_msg(strstr(out, "1 ok gemm "), "%s", out);
			gemm_ms = (now_seconds() - gemm_t0) * 1e3;
			break;
		}
		ck_assert_int_eq(errno, EAGAIN);
		double t0 = now_seconds();
		queue_send(q, nops % 4 == 3 ? "fill buf=small value=2 n=256K"
					    : "nop");
		queue_recv(q, out, sizeof(out));
		double ms = (now_seconds() - t0) * 1e3;
		if (strstr(out, " ok fill "))
			fill_ms[fills++] = ms;
		else
			nop_ms[nops - fills] = ms;
		nops++;
		ck_assert_int_lt(nops, MAX);
	}
	int n = nops - fills;
	ck_assert_int_gt(n, 20);
	ck_assert_int_gt(fills, 5);
	qsort(nop_ms, (size_t)n, sizeof(double), cmp_double);
	qsort(fill_ms, (size_t)fills, sizeof(double), cmp_double);
	double nop_p99 = nop_ms[n * 99 / 100], fill_p50 = fill_ms[fills / 2],
	       fill_max = fill_ms[fills - 1];
	fprintf(stderr,
		"fairness during a %.0f ms 4096^3 gemm: nop p50 %.2f p99 %.2f "
		"ms (%d), fill 1 MiB p50 %.1f max %.1f ms (%d)\n",
		gemm_ms, nop_ms[n / 2], nop_p99, n, fill_p50, fill_max, fills);
	ck_assert_msg(nop_p99 < 20, "nop p99 %.1f ms during the gemm", nop_p99);
	ck_assert_msg(fill_p50 < gemm_ms / 8 && fill_max < gemm_ms / 2,
		      "fill p50 %.1f max %.1f ms during a %.0f ms gemm",
		      fill_p50, fill_max, gemm_ms);
	close(big);
	close(q);
}
END_TEST

/* Whether FD (O_NONBLOCK) has no completion after waiting MS. */
static bool nothing_after(int fd, int ms)
{
	usleep((useconds_t)ms * 1000);
	char c;
	return read(fd, &c, 1) < 0 && errno == EAGAIN;
}

/*
 * signal/wait order work across contexts: a copy queued behind a wait
 * reads what another context filled before its signal.
 */
START_TEST(events_order_work)
{
	ck_assert_int_eq(buf_create(&d, "X", 4096), 0);
	ck_assert_int_eq(buf_create(&d, "Y", 4096), 0);
	int a = queue_open(&d, 0), b = queue_open(&d, O_NONBLOCK);
	char out[256];
	queue_send(b, "wait event=ready\ncopy src=X dst=Y bytes=4096");
	ck_assert(nothing_after(b, 50)); /* held: nobody signalled */
	queue_send(a, "fill buf=X value=7 n=1024\nsignal event=ready");
	queue_recv(a, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok fill"), "%s", out);
	queue_recv(a, out, sizeof(out));
	ck_assert_msg(strstr(out, "2 ok signal"), "%s", out);
	int flags = fcntl(b, F_GETFL);
	fcntl(b, F_SETFL, flags & ~O_NONBLOCK);
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 ok wait"), "%s", out);
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "2 ok copy"), "%s", out);
	float y[1024];
	buf_read(&d, "Y", y, sizeof(y));
	for (int i = 0; i < 1024; i++)
		ck_assert(y[i] == 7.0f);
	/* already signalled: passes at once; values only grow */
	queue_send(b, "wait event=ready value=1");
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "3 ok wait"), "%s", out);
	queue_send(a, "signal event=ready value=3\nsignal event=ready value=2");
	queue_send(b, "wait event=ready value=3");
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "4 ok wait"), "%s", out);
	/* a timeout, and the context goes on */
	double t0 = now_seconds();
	queue_send(b, "wait event=ready value=4 timeout_ms=100\nnop");
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "5 err ETIMEDOUT: wait: event 'ready' is at "
				  "3, below 4"),
		      "%s", out);
	ck_assert(now_seconds() - t0 >= 0.1);
	queue_recv(b, out, sizeof(out));
	ck_assert_str_eq(out, "6 ok nop 0");
	close(a);
	close(b);
}
END_TEST

/*
 * A wait that nobody can satisfy any more is cancelled: when the last
 * context that signalled the event closes, and when the waiting context
 * itself closes while nobody signals the event (the daemon then holds
 * nothing for it: teardown checks a clean exit).
 */
START_TEST(events_cancelled)
{
	int a = queue_open(&d, 0), b = queue_open(&d, 0);
	char out[256];
	queue_send(a, "signal event=c");
	queue_recv(a, out, sizeof(out));
	queue_send(b, "wait event=c value=5\nnop");
	usleep(20000);
	close(a);
	queue_recv(b, out, sizeof(out));
	ck_assert_msg(strstr(out, "1 err ECANCELED: wait: event 'c' is at 1, "
				  "below 5, and its last signalling context "
				  "has closed"),
		      "%s", out);
	queue_recv(b, out, sizeof(out));
	ck_assert_str_eq(out, "2 ok nop 0");
	/* closed while waiting for an event nobody signals */
	queue_send(b, "wait event=nobody\nfill buf=nowhere value=1 n=1");
	close(b);
	/* the user's events are gone with their last context (a release
	 * reaches the daemon after close() returns: try a while) */
	int c = -1;
	for (int tries = 0; tries < 200; tries++) {
		c = queue_open(&d, 0);
		queue_send(c, "wait event=c timeout_ms=20");
		queue_recv(c, out, sizeof(out));
		if (!strstr(out, " ok wait"))
			break;
		close(c);
		usleep(10000);
	}
	ck_assert_msg(strstr(out, "is at 0, below 1"), "%s", out);
	/* a context closed with a wait parked and a signaller still open */
	int e = queue_open(&d, 0), f = queue_open(&d, 0);
	queue_send(e, "signal event=later value=1");
	queue_send(f, "wait event=later value=2");
	usleep(20000);
	close(f); /* held until e closes */
	close(e);
	close(c);
}
END_TEST

/* Writes all of DATA, taking short counts as they come (a blocking fd). */
static void write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

/* A context takes at most --queue-depth commands in flight. */
START_TEST(backpressure_inflight)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	d.mnt[0] = '\0';
	const char *args[] = {"--queue-depth", "2", NULL};
	daemon_start(&d, args);
	for (const char *b = "ABC"; *b; b++) {
		char name[2] = {*b, 0};
		ck_assert_int_eq(buf_create(&d, name, 2048 * 2048 * 4), 0);
	}
	const char *line = "gemm a=A b=B c=C m=2048 n=2048 k=2048\n";
	size_t len = strlen(line);
	char batch[4096] = "";
	for (int i = 0; i < 10; i++)
		strcat(batch, line);
	int q = queue_open(&d, O_NONBLOCK);
	/* whole lines only, and no more than fit (each gemm takes ~0.1 s) */
	ssize_t n = write(q, batch, strlen(batch));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(n % (ssize_t)len, 0);
	ck_assert_int_le(n, 3 * (ssize_t)len);
	ck_assert_int_eq(write(q, line, len), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(q); /* its commands still run */

	/* a blocking writer waits for room and gets everything in */
	char small[4096] = "";
	for (int i = 0; i < 12; i++)
		strcat(small, "fill buf=A value=1 n=4M\n");
	q = queue_open(&d, 0);
	write_all(q, small, strlen(small));
	char out[256];
	for (int i = 0; i < 12; i++) {
		queue_recv(q, out, sizeof(out));
		ck_assert_msg(strstr(out, " ok fill "), "%s", out);
	}
	close(q);
}
END_TEST

/* Completions nobody reads are bounded too: writes wait until they are read. */
START_TEST(backpressure_unread)
{
	int q = queue_open(&d, O_NONBLOCK);
	static char nops[65536];
	for (size_t i = 0; i + 4 <= sizeof(nops); i += 4)
		memcpy(nops + i, "nop\n", 4);
	size_t taken = 0;
	ssize_t n;
	while ((n = write(q, nops, sizeof(nops))) > 0)
		taken += (size_t)n;
	ck_assert_int_eq(errno, EAGAIN);
	/* VGPU_UNREAD_MAX completions, and those of the nops in flight then
	 * (--queue-depth 4096) */
	ck_assert_uint_ge(taken / 4, VGPU_UNREAD_MAX);
	ck_assert_uint_le(taken / 4, VGPU_UNREAD_MAX + 4096);
	/* read them all, then writing works again */
	char buf[65536];
	size_t lines = 0;
	while ((n = read(q, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	ck_assert_uint_eq(lines, taken / 4);
	ck_assert_int_eq(write(q, "nop\n", 4), 4);
	close(q);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    errors_and_order,
	    split_and_long_lines,
	    nonblocking_and_poll,
	    small_reads,
	    blocked_readers_do_not_starve,
	    blocked_readers_dev_fuse,
	    blocked_reader_signals,
	    contexts_concurrent,
	    close_with_queued_work,
	    rm_while_queued,
	    backpressure_inflight,
	    backpressure_unread,
	    fair_while_gemm_runs,
	    events_order_work,
	    events_cancelled,
	};
	return run_suite(suite_with_daemon("queue", setup, teardown, 120, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
