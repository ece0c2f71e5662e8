/*
 * What one user's contexts may hold in the daemon, against real
 * unprivileged users: reads blocked in the daemon (over io_uring each
 * holds a ring entry of its CPU's queue, and a crowd of them must leave
 * entries for everyone else's requests), contexts per user, and the
 * completions a context keeps unread. The victims' figures (latency of
 * `cat info`, the daemon's memory) are printed.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpu/vgpu.h>
#include <vgpufs/command.h>

#include "harness.h"
#include "victim_probe.h"

static struct daemon_proc d;

enum { VICTIM = 4001, ATTACKER = 4005 /* and the next ones */ };
/* The daemon's defaults: --uring-depth 512, --max-contexts-per-user. */
enum { USER_PARKED = 512 / 4, QUEUE_PARKED = 512 - 512 / 4 };
enum { MAX_CONTEXTS = 256, CONTEXT_TRIES = 1000, QUEUE_DEPTH = 4096 };
enum { ROUNDS = 40 };

static void setup(void)
{
	raise_fd_limit(4096);
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* The CPUs this process may run on. */
static int cpus[CPU_SETSIZE], ncpus;

static void list_cpus(void)
{
	cpu_set_t set;
	ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpus++] = c;
	ck_assert_int_gt(ncpus, 0);
}

/* The calling thread runs on CPU from now on: its requests go to that
 * CPU's io_uring queue. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Children report numbers through this pipe. */
static int report[2];

static void report_open(void)
{
	ck_assert_int_eq(pipe(report), 0);
}

/* Reads LEN bytes the children reported, waiting up to SECONDS. */
static bool report_read(void *buf, size_t len, double seconds)
{
	size_t got = 0;
	double until = now_seconds() + seconds;
	while (got < len) {
		struct pollfd p = {.fd = report[0], .events = POLLIN};
		int ms = (int)((until - now_seconds()) * 1000);
		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			return false;
		ssize_t n = read(report[0], (char *)buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/*
 * A blocking read() the daemon refuses (EAGAIN: the user, or the queue,
 * has as many reads waiting as allowed) is waited out in poll(), as
 * docs/commands.md tells clients to.
 */
static ssize_t read_waiting(int fd, char *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0 || errno != EAGAIN)
			return n;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0)
			return -1;
	}
}

/* --- the attacker: threads blocked in read() on one context --- */

static int attack_threads, attack_cpu = -1; /* -1: all CPUs in turn */
static int attack_q;
static atomic_int started, refused;

static void *blocked_reader(void *arg)
{
	int i = (int)(intptr_t)arg;
	pin(attack_cpu >= 0 ? attack_cpu : cpus[i % ncpus]);
	atomic_fetch_add(&started, 1);
	char buf[64];
	if (read(attack_q, buf, sizeof(buf)) < 0 && errno == EAGAIN) {
		atomic_fetch_add(&refused, 1);
		struct pollfd p = {.fd = attack_q, .events = POLLIN};
		poll(&p, 1, -1); /* blocked all the same, holding nothing */
	}
	return NULL;
}

static int attacker(void)
{
	attack_q = open(dpath(&d, "queue"), O_RDWR);
	if (attack_q < 0)
		return 1;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int i = 0; i < attack_threads; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, blocked_reader,
				   (void *)(intptr_t)i) != 0)
			return 2;
		pthread_detach(t);
	}
	while (atomic_load(&started) < attack_threads)
		usleep(1000);
	usleep(500 * 1000); /* the last reads reach the daemon */
	int n = atomic_load(&refused);
	if (write(report[1], &n, sizeof(n)) != sizeof(n))
		return 3;
	pause(); /* killed by the test */
	return 0;
}

/* USERS attackers of THREADS blocked readers each; their pids in PIDS. */
static void attack(int users, int threads, int cpu, pid_t *pids,
		   int *refused_total)
{
	attack_threads = threads;
	attack_cpu = cpu;
	for (int u = 0; u < users; u++)
		pids[u] =
		    spawn_as(ATTACKER + u, ATTACKER + u, 0, NULL, attacker);
	*refused_total = 0;
	for (int u = 0; u < users; u++) {
		int n = -1;
		if (!report_read(&n, sizeof(n), 60))
			break; /* reported below, after the attackers go */
		*refused_total += n;
	}
}

/*
 * All of them first: a read waiting in the kernel for a ring entry cannot
 * be killed, and the entries are held by the other attackers.
 */
static void attack_end(int users, const pid_t *pids)
{
	for (int u = 0; u < users; u++)
		kill(pids[u], SIGKILL);
	for (int u = 0; u < users; u++)
		child_status(pids[u]);
}

/* --- the victim: info, mem/ and a command, timed --- */

static int victim_cpu = -1; /* -1: all CPUs in turn */

struct victim_figures {
	double median_ms, max_ms;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int victim(void)
{
	double lat[ROUNDS];
	char buf[4096];
	for (int i = 0; i < ROUNDS; i++) {
		pin(victim_cpu >= 0 ? victim_cpu : cpus[i % ncpus]);
		double t0 = now_seconds();
		int fd = open(dpath(&d, "info"), O_RDONLY);
		if (fd < 0)
			return 1;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		lat[i] = (now_seconds() - t0) * 1000;
	}
	DIR *dir = opendir(dpath(&d, "mem"));
	if (!dir)
		return 2;
	while (readdir(dir))
		;
	closedir(dir);
	for (int c = 0; c < ncpus; c++) {
		pin(victim_cpu >= 0 ? victim_cpu : cpus[c]);
		int q = open(dpath(&d, "queue"), O_RDWR);
		ssize_t n = -1;
		if (q >= 0 && write(q, "nop\n", 4) == 4)
			n = read_waiting(q, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(q);
		if (strncmp(buf, "1 ok nop", 8) != 0) {
			fprintf(stderr, "victim's nop on CPU %d: '%s'\n",
				cpus[c], buf);
			return 3;
		}
	}
	qsort(lat, ROUNDS, sizeof(lat[0]), cmp_double);
	struct victim_figures f = {lat[ROUNDS / 2], lat[ROUNDS - 1]};
	return write(report[1], &f, sizeof(f)) == sizeof(f) ? 0 : 4;
}

/*
 * Runs the victim for up to 30 s: 0 and its figures in *F, its exit
 * status, or -1 when it hangs (in *PID then, to be reaped once the
 * attackers are gone: a FUSE request waiting for a ring entry cannot be
 * interrupted).
 */
static int victim_run(struct victim_figures *f, pid_t *pid)
{
	*pid = spawn_as(VICTIM, VICTIM, 0, NULL, victim);
	if (!report_read(f, sizeof(*f), 30)) {
		int status;
		if (waitpid(*pid, &status, WNOHANG) == 0)
			return -1;
		*pid = 0;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
	}
	int status = child_status(*pid);
	*pid = 0;
	return status;
}

/* Reaps a hung victim (its requests are answered now). */
static void victim_reap(pid_t pid)
{
	if (pid)
		child_status(pid);
}

/*
 * The attack: one user's 3000 threads blocked in read() on one
 * context, spread over the CPUs. Over io_uring each parked read held an
 * entry of its CPU's queue (512 each), so every other request of every
 * user waited in the kernel until the attacker was killed. Now a user may
 * have a quarter of a queue's depth parked; the rest of the reads fail
 * with EAGAIN and those threads wait in poll().
 */
START_TEST(blocked_readers_leave_room_for_others)
{
	list_cpus();
	report_open();
	struct victim_figures calm, crowd = {-1, -1};
	pid_t hung;
	ck_assert_int_eq(victim_run(&calm, &hung), 0);

	enum { THREADS = 3000 };
	pid_t pid;
	int n_refused;
	attack(1, THREADS, -1, &pid, &n_refused);
	int victim_status = victim_run(&crowd, &hung);
	if (victim_status == 0)
		victim_probe(&d, "3000 threads of another user blocked in "
				 "read()");
	/* root's view: stats is answered too */
	double parked =
	    victim_status == 0 ? stats_value(&d, "blocked_readers") : -1;
	attack_end(1, &pid);
	victim_reap(hung);

	printf("blocked_readers_leave_room_for_others: victim's cat info "
	       "with %d threads blocked in read(): median %.2f ms, max "
	       "%.2f ms (without: median %.2f ms, max %.2f ms); %.0f parked "
	       "in the daemon, %d refused with EAGAIN (waiting in poll())\n",
	       THREADS, crowd.median_ms, crowd.max_ms, calm.median_ms,
	       calm.max_ms, parked, n_refused);
	fflush(stdout); /* a failed check exits without flushing */
	ck_assert_msg(victim_status == 0,
		      "the victim's requests hung (status %d)", victim_status);
	ck_assert_int_eq((int)parked, USER_PARKED);
	ck_assert_int_eq(n_refused, THREADS - USER_PARKED);
	/* Unchanged, up to the noise of a shared machine. */
	ck_assert_msg(crowd.median_ms < 5 * calm.median_ms + 5,
		      "cat info took %.2f ms, %.2f ms without the crowd",
		      crowd.median_ms, calm.median_ms);
	/* The killed readers are answered and forgotten. */
	ck_assert(stats_wait(&d, "blocked_readers 0", true, 5));
}
END_TEST

/*
 * Several users crowd one CPU's queue: each within its own limit, more
 * than the queue's depth together. A quarter of the queue is kept for
 * requests answered at once, so the victim on that CPU is still served;
 * its own blocking read there is refused and waits in poll().
 */
START_TEST(crowded_queue_keeps_a_reserve)
{
	list_cpus();
	report_open();
	enum { USERS = 4, THREADS = 200 };
	pid_t pids[USERS];
	int n_refused;
	attack(USERS, THREADS, cpus[0], pids, &n_refused);
	struct victim_figures crowd = {-1, -1};
	victim_cpu = cpus[0];
	pid_t hung;
	int victim_status = victim_run(&crowd, &hung);
	double parked =
	    victim_status == 0 ? stats_value(&d, "blocked_readers") : -1;
	attack_end(USERS, pids);
	victim_reap(hung);

	printf("crowded_queue_keeps_a_reserve: %d users x %d readers on CPU "
	       "%d: %.0f parked, %d refused; victim's cat info on that CPU: "
	       "median %.2f ms, max %.2f ms\n",
	       USERS, THREADS, cpus[0], parked, n_refused, crowd.median_ms,
	       crowd.max_ms);
	fflush(stdout); /* a failed check exits without flushing */
	ck_assert_msg(victim_status == 0,
		      "the victim's requests hung (status %d)", victim_status);
	ck_assert_int_eq((int)parked, QUEUE_PARKED);
	ck_assert_int_eq(n_refused, USERS * THREADS - QUEUE_PARKED);
}
END_TEST

/* Launches N waits of TIMEOUT_MS on S; the last one's status. */
static int launch_waits(vgpu_stream *s, int n, int timeout_ms)
{
	int64_t last = 0;
	for (int i = 0; i < n; i++)
		last = VGPU_LAUNCH(s, "wait", VGPU_NAME("event", "never"),
				   VGPU_I64("timeout_ms", timeout_ms));
	int rc = last > 0 ? vgpu_wait(s, last) : (int)last;
	if (rc != -ETIMEDOUT)
		fprintf(stderr, "vgpu_wait: %d (%s)\n", rc,
			vgpu_last_message(s));
	return rc;
}

/* The user's reads waiting in the daemon, up to the limit, then libvgpu. */
static int libvgpu_past_the_limit(void)
{
	attack_q = open(dpath(&d, "queue"), O_RDWR);
	if (attack_q < 0)
		return 1;
	for (int i = 0; i < USER_PARKED; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, blocked_reader,
				   (void *)(intptr_t)i) != 0)
			return 2;
		pthread_detach(t);
	}
	char want[64];
	snprintf(want, sizeof(want), "blocked_readers %d\n", USER_PARKED);
	for (int i = 0; i < 500 && !strstr(slurp(dpath(&d, "stats")), want);
	     i++)
		usleep(10 * 1000);
	if (!strstr(slurp(dpath(&d, "stats")), want))
		return 3;
	vgpu_device *dev;
	vgpu_stream *s;
	if (vgpu_open(d.mnt, &dev) < 0 || vgpu_stream_create(dev, &s) < 0)
		return 4;
	/* completions that come later: each read is refused, then polled */
	char reply[512];
	int rc = vgpu_run_text(dev, "wait event=never timeout_ms=200", reply,
			       sizeof(reply));
	if (rc != -ETIMEDOUT) {
		fprintf(stderr, "vgpu_run_text: %d '%s'\n", rc, reply);
		return 5;
	}
	if (launch_waits(s, 1, 200) != -ETIMEDOUT)
		return 6;
	/* --queue-depth 8: writes that would wait for room behind that wait
	 * are refused too, and go on once completions are read; waits are
	 * commands in flight, unlike nops */
	launch_waits(s, 1, 200);
	if (launch_waits(s, 20, 1) != -ETIMEDOUT)
		return 8;
	vgpu_stream_destroy(s);
	vgpu_close(dev);
	return atomic_load(&refused) == 0 ? 0 : 7;
}

/*
 * libvgpu waits for completions in read(), and for room in write(): when
 * the daemon refuses them (EAGAIN, the user's waiting requests are at the
 * limit), it waits in poll() and goes on, for text commands and streams.
 */
START_TEST(libvgpu_waits_past_the_limit)
{
	list_cpus();
	ck_assert_int_eq(daemon_stop(&d), 0);
	d.mnt[0] = '\0';
	const char *args[] = {"--vram", "64M", "--queue-depth", "8", NULL};
	daemon_start(&d, args);
	ck_assert_int_eq(
	    as_user(ATTACKER, ATTACKER, 0, NULL, libvgpu_past_the_limit), 0);
}
END_TEST

/* --- many contexts full of unread completions --- */

/* Writes nops to Q (non-blocking) until the context takes no more. */
static long fill(int q)
{
	char chunk[64 * 4];
	for (size_t i = 0; i < sizeof(chunk); i += 4)
		memcpy(chunk + i, "nop\n", 4);
	long lines = 0;
	for (int again = 0; again < 3;) {
		ssize_t n = write(q, chunk, sizeof(chunk));
		if (n > 0) {
			lines += n / 4;
			again = 0;
		} else if (n < 0 && errno == EAGAIN) {
			again++; /* nops still running may complete first */
			usleep(10 * 1000);
		} else {
			return -1;
		}
	}
	return lines;
}

/* Completion lines readable from Q without waiting. */
static long drain(int q)
{
	char buf[1 << 16];
	long lines = 0;
	ssize_t n;
	while ((n = read(q, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return n < 0 && errno == EAGAIN ? lines : -1;
}

/*
 * A nop or a refused command completes at once, even behind a wait that
 * holds its context, and its completion waits for the wait's: those count
 * as unread too (they were not counted, and a context behind a wait took
 * commands without end).
 */
START_TEST(completions_behind_a_wait_are_bounded)
{
	int q = queue_open(&d, O_NONBLOCK);
	queue_send(q, "wait event=hold timeout_ms=20000");
	char chunk[64 * 4];
	for (size_t i = 0; i < sizeof(chunk); i += 4)
		memcpy(chunk + i, "nop\n", 4);
	long taken = 0;
	ssize_t n;
	while (taken < 100000 && (n = write(q, chunk, sizeof(chunk))) > 0)
		taken += n / 4;
	printf("completions_behind_a_wait_are_bounded: %ld nops taken behind "
	       "a wait\n",
	       taken);
	fflush(stdout);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_le(taken, VGPU_UNREAD_MAX);
	/* the wait ends: every completion comes, in order */
	char line[256];
	run_line(&d, "signal event=hold", line, sizeof(line));
	ck_assert_msg(strncmp(line, "1 ok signal", 11) == 0, "%s", line);
	struct pollfd p = {.fd = q, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	usleep(100 * 1000);
	ck_assert_int_eq(drain(q), taken + 1);
	close(q);
}
END_TEST

struct crowd_figures {
	int opened, err;
	long taken, read_back;
	int again_ok; /* a write is taken again once all is read */
};

static int contexts_crowd(void)
{
	static int fds[CONTEXT_TRIES];
	struct crowd_figures f = {0};
	for (; f.opened < CONTEXT_TRIES; f.opened++) {
		fds[f.opened] = open(dpath(&d, "queue"), O_RDWR | O_NONBLOCK);
		if (fds[f.opened] < 0) {
			f.err = errno;
			break;
		}
		long lines = fill(fds[f.opened]);
		if (lines < 0)
			return 1;
		if (f.opened == 0)
			f.taken = lines;
	}
	if (write(report[1], &f, sizeof(f)) != sizeof(f))
		return 2;
	/* Hold them while the test looks at the daemon's memory. */
	char go;
	if (read(report[0], &go, 1) != 1)
		return 3;
	usleep(100 * 1000);
	f.read_back = drain(fds[0]);
	f.again_ok = write(fds[0], "nop\n", 4) == 4;
	return write(report[1], &f, sizeof(f)) == sizeof(f) ? 0 : 4;
}

/* A context and a command, as the user of the crowd once it is gone. */
static int contexts_one(void)
{
	char line[256];
	run_line(&d, "nop", line, sizeof(line));
	return strncmp(line, "1 ok nop", 8) == 0 ? 0 : 1;
}

/*
 * The issue: each context kept up to 1 MiB of completions nobody read,
 * and a user could open as many contexts as descriptors: 1000 of them
 * took the daemon from 66 MB to 1.1 GB. Now a context takes no command
 * while VGPU_UNREAD_MAX completions are unread, and a user has at most
 * --max-contexts-per-user (256) contexts: the next open() fails with
 * EMFILE.
 */
START_TEST(contexts_and_unread_completions_are_bounded)
{
	report_open();
	/* warm up: the daemon's threads and arenas exist */
	char line[256];
	run_line(&d, "nop", line, sizeof(line));
	long rss0 = daemon_rss_kb(&d);
	int req[2];
	ck_assert_int_eq(pipe(req), 0);
	int report_in = report[0];
	report[0] = req[0]; /* the child reads the test's go from here */
	pid_t pid = spawn_as(ATTACKER, ATTACKER, 0, NULL, contexts_crowd);
	report[0] = report_in;
	struct crowd_figures f = {0};
	bool got = report_read(&f, sizeof(f), 300);
	long rss = daemon_rss_kb(&d);
	bool sent = write(req[1], "g", 1) == 1;
	got = got && sent && report_read(&f, sizeof(f), 30);
	if (!got)
		kill(pid, SIGKILL);
	int status = child_status(pid);
	close(req[0]);
	close(req[1]);

	printf("contexts_and_unread_completions_are_bounded: one user opened "
	       "%d contexts (then %s), each filled until back-pressure "
	       "(%ld completions unread in the first): daemon RSS %ld KiB "
	       "-> %ld KiB (%+ld KiB, %.1f KiB a context)%s\n",
	       f.opened, f.err ? strerror(f.err) : "stopped", f.taken, rss0,
	       rss, rss - rss0,
	       f.opened ? (double)(rss - rss0) / f.opened : 0.0,
	       DAEMON_RSS_MEANINGFUL ? "" : " (ASan: RSS not meaningful)");
	fflush(stdout);
	ck_assert_msg(got && status == 0, "the crowd failed (status %d)",
		      status);
	ck_assert_int_eq(f.opened, MAX_CONTEXTS);
	ck_assert_int_eq(f.err, EMFILE);
	ck_assert_int_ge(f.taken, VGPU_UNREAD_MAX);
	ck_assert_int_le(f.taken, VGPU_UNREAD_MAX + QUEUE_DEPTH);
	ck_assert_int_eq(f.read_back, f.taken);
	ck_assert(f.again_ok);
	if (DAEMON_RSS_MEANINGFUL)
		ck_assert_int_lt(rss - rss0, 64 << 10);

	/* The user's contexts are counted out as they go. */
	ck_assert(stats_wait(&d, "contexts 0\n", true, 10));
	ck_assert_int_eq(as_user(ATTACKER, ATTACKER, 0, NULL, contexts_one), 0);
	/* Root is not limited. */
	static int mine[MAX_CONTEXTS + 1];
	for (int i = 0; i <= MAX_CONTEXTS; i++)
		ck_assert_int_ge(mine[i] = queue_open(&d, 0), 0);
	for (int i = 0; i <= MAX_CONTEXTS; i++)
		close(mine[i]);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {blocked_readers_leave_room_for_others,
				crowded_queue_keeps_a_reserve,
				libvgpu_waits_past_the_limit,
				completions_behind_a_wait_are_bounded,
				contexts_and_unread_completions_are_bounded};
	return run_suite(suite_with_daemon("context_limits", setup, teardown,
					   300, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
