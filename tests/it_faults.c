/*
 * Faults: buffers shrunk, removed or emptied under queued and running
 * kernels, a client killed in the middle of its work, the daemon killed
 * under its clients. The daemon must never fault, and every outcome is the
 * documented one (docs/file-tree.md, docs/running.md).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

static void start(const char *vram)
{
	memset(&d, 0, sizeof(d));
	const char *args[] = {"--vram", vram, "--workers", "2", NULL};
	daemon_start(&d, args);
}

static void setup(void)
{
	start("1G");
}

/* A daemon that faulted (SIGBUS) would not exit 0. */
static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static void expect_ok(int q, const char *kernel)
{
	char out[512], want[64];
	queue_recv(q, out, sizeof(out));
	snprintf(want, sizeof(want), " ok %s ", kernel);
	ck_assert_msg(strstr(out, want), "wanted %s: %s", kernel, out);
}

/* The N x N gemm on A, B, C that the tests run under: seconds long. */
enum { N = 3072 };

/*
 * Creates A and B (N x N, all ones) and C, and starts C = A B on Q; returns
 * once the gemm runs.
 */
static void start_long_gemm(int q)
{
	const size_t bytes = (size_t)N * N * 4;
	ck_assert_int_eq(buf_create(&d, "A", bytes), 0);
	ck_assert_int_eq(buf_create(&d, "B", bytes), 0);
	ck_assert_int_eq(buf_create(&d, "C", bytes), 0);
	char line[256];
	snprintf(line, sizeof(line), "fill buf=A value=1 n=%d", N * N);
	queue_send(q, line);
	snprintf(line, sizeof(line), "fill buf=B value=1 n=%d", N * N);
	queue_send(q, line);
	expect_ok(q, "fill");
	expect_ok(q, "fill");
	snprintf(line, sizeof(line), "gemm a=A b=B c=C m=%d n=%d k=%d", N, N,
		 N);
	queue_send(q, line);
	ck_assert(stats_wait(&d, "running=gemm", true, 10));
}

/* Whether the gemm of start_long_gemm still runs (the test's premise). */
static void gemm_still_runs(void)
{
	ck_assert_msg(strstr(slurp(dpath(&d, "stats")), "running=gemm"),
		      "the gemm ended too soon for this test to mean anything");
}

/* C = A B with all ones: every element is N. */
static void check_c(const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(&d, rel), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	const size_t bytes = (size_t)N * N * 4;
	float *c = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(c, MAP_FAILED);
	close(fd);
	for (size_t i = 0; i < (size_t)N * N; i += 4099)
		ck_assert_msg(c[i] == (float)N, "%s[%zu] = %g", name, i,
			      (double)c[i]);
	ck_assert(c[(size_t)N * N - 1] == (float)N);
	munmap(c, bytes);
}

static off_t size_of(const char *rel)
{
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, rel), &st), 0);
	return st.st_size;
}

/* Every way of shrinking mem/NAME fails with EBUSY and changes nothing. */
static void shrink_refused(const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	off_t size = size_of(rel);
	int fd = open(dpath(&d, rel), O_RDWR);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	ck_assert_int_eq(ftruncate(fd, 4096), -1);
	ck_assert_msg(errno == EBUSY, "ftruncate %s: %s", name,
		      strerror(errno));
	errno = 0;
	ck_assert_int_eq(truncate(dpath(&d, rel), 0), -1);
	ck_assert_msg(errno == EBUSY, "truncate %s: %s", name, strerror(errno));
	errno = 0;
	ck_assert_int_eq(open(dpath(&d, rel), O_RDWR | O_TRUNC), -1);
	ck_assert_msg(errno == EBUSY, "O_TRUNC %s: %s", name, strerror(errno));
	/* as cp and the shell's > open */
	errno = 0;
	ck_assert_int_eq(
	    open(dpath(&d, rel), O_WRONLY | O_CREAT | O_TRUNC, 0644), -1);
	ck_assert_msg(errno == EBUSY, "O_CREAT|O_TRUNC %s: %s", name,
		      strerror(errno));
	ck_assert_int_eq(size_of(rel), size);
	/* growing is fine, and so is setting the size it has */
	ck_assert_int_eq(ftruncate(fd, size + 4096), 0);
	ck_assert_int_eq(ftruncate(fd, size + 4096), 0);
	ck_assert_int_eq(size_of(rel), size + 4096);
	close(fd);
}

/*
 * A buffer that a queued command (D, behind the gemm) or the running gemm
 * (its input A, its output C) uses cannot shrink, however it is asked.
 */
START_TEST(shrink_refused_while_used)
{
	int q = queue_open(&d, 0);
	ck_assert_int_eq(buf_create(&d, "D", 1 << 20), 0);
	start_long_gemm(q);
	queue_send(q, "fill buf=D value=5 n=256K");
	shrink_refused("D");
	shrink_refused("A");
	shrink_refused("C");
	gemm_still_runs();
	expect_ok(q, "gemm");
	expect_ok(q, "fill");
	check_c("C");
	float v[4];
	buf_read(&d, "D", v, sizeof(v));
	ck_assert(v[0] == 5.0f && v[3] == 5.0f);
	/* idle again: now every way of shrinking works */
	ck_assert_int_eq(truncate(dpath(&d, "mem/D"), 4096), 0);
	int fd = open(dpath(&d, "mem/A"), O_RDWR | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	close(fd);
	ck_assert_int_eq(size_of("mem/A"), 0);
	close(q);
}
END_TEST

/*
 * rm and mv of buffers that the running gemm and a queued command use: the
 * names change at once, the commands run on the buffers they bound, and
 * the memory of the removed ones is released after the last command.
 */
START_TEST(unlink_and_rename_while_used)
{
	int q = queue_open(&d, 0);
	ck_assert_int_eq(buf_create(&d, "D", 1 << 20), 0);
	ck_assert_int_eq(mkdir(dpath(&d, "mem/out"), 0755), 0);
	start_long_gemm(q);
	queue_send(q, "fill buf=D value=5 n=256K");
	const double used = stats_value(&d, "vram_ram_used_bytes");
	ck_assert_int_eq(rename(dpath(&d, "mem/C"), dpath(&d, "mem/out/C2")),
			 0);
	ck_assert_int_eq(unlink(dpath(&d, "mem/A")), 0);
	ck_assert_int_eq(unlink(dpath(&d, "mem/D")), 0);
	ck_assert_int_eq(access(dpath(&d, "mem/A"), F_OK), -1);
	/* the names are free again at once, the memory is not */
	ck_assert_int_eq(buf_create(&d, "A", 4096), 0);
	ck_assert_int_eq(stats_value(&d, "buffers"), 5);
	ck_assert(stats_value(&d, "vram_ram_used_bytes") == used + 4096);
	gemm_still_runs();
	expect_ok(q, "gemm");
	expect_ok(q, "fill");
	check_c("out/C2");
	/* the old A and D went with their last command */
	ck_assert(stats_wait(&d, "buffers 3\n", true, 5));
	const double left = 2.0 * N * N * 4 + 4096;
	ck_assert_int_eq(stats_value(&d, "vram_ram_used_bytes"), left);
	close(q);
}
END_TEST

enum { SIGBUS_EXIT = 77 };

static void exit_on_sigbus(int sig)
{
	(void)sig;
	_exit(SIGBUS_EXIT);
}

/*
 * One client maps a buffer, another shrinks it while no command uses it:
 * allowed. The mapping then ends at the new size (the mapper gets SIGBUS
 * past it, as with any file), kernels are bounded by the new size, and
 * growing again brings zeros, not the old bytes.
 */
START_TEST(mapped_buffer_shrunk_by_another)
{
	const size_t size = 1 << 20;
	ck_assert_int_eq(buf_create(&d, "X", size), 0);
	int sync[2], go[2];
	ck_assert_int_eq(pipe(sync), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(dpath(&d, "mem/X"), O_RDWR);
		unsigned char *p =
		    fd < 0 ? MAP_FAILED
			   : mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 0x5a, size);
		char c = 1;
		if (write(sync[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		if (p[0] != 0x5a || p[4095] != 0x5a)
			_exit(4);
		p[0] = 0x11;
		/* a handler of its own: sanitizers would report and exit 1 */
		struct sigaction sa = {.sa_handler = exit_on_sigbus};
		sigaction(SIGBUS, &sa, NULL);
		volatile unsigned char past = p[size - 1]; /* SIGBUS */
		(void)past;
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	ck_assert_int_eq(truncate(dpath(&d, "mem/X"), 4096), 0);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == SIGBUS_EXIT,
		      "status %#x", status);
	unsigned char b[2];
	buf_read(&d, "X", b, 2);
	ck_assert(b[0] == 0x11 && b[1] == 0x5a);
	char out[256];
	run_line(&d, "fill buf=X value=1 n=1024", out, sizeof(out));
	ck_assert_msg(strstr(out, " ok fill "), "%s", out);
	run_line(&d, "fill buf=X value=1 n=1025", out, sizeof(out));
	ck_assert_msg(strstr(out, "err EINVAL: fill: buffer 'buf' holds 4096"),
		      "%s", out);
	ck_assert_int_eq(truncate(dpath(&d, "mem/X"), (off_t)size), 0);
	unsigned char tail[16];
	int fd = open(dpath(&d, "mem/X"), O_RDONLY);
	ck_assert_int_eq(pread(fd, tail, sizeof(tail), 8192), sizeof(tail));
	close(fd);
	for (size_t i = 0; i < sizeof(tail); i++)
		ck_assert_int_eq(tail[i], 0);
}
END_TEST

/*
 * A client punches a hole into a buffer (madvise MADV_REMOVE on its
 * mapping) that a queued command will write, and fills the tier meanwhile:
 * the kernel finds no page to write to. That command fails (EFAULT), the
 * daemon lives on.
 */
START_TEST(hole_punched_under_kernel)
{
	daemon_stop(&d);
	start("256M");
	int q = queue_open(&d, 0);
	const size_t xs = 16 << 20;
	ck_assert_int_eq(buf_create(&d, "X", xs), 0);
	int fd = open(dpath(&d, "mem/X"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	char *p = mmap(NULL, xs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	start_long_gemm(q);
	queue_send(q, "fill buf=X value=3 n=4M");
	ck_assert_int_eq(madvise(p, xs, MADV_REMOVE), 0);
	/* all the room there is, to the page */
	double room = stats_value(&d, "vram_ram_total_bytes") -
		      stats_value(&d, "vram_ram_used_bytes");
	ck_assert_int_eq(buf_create(&d, "Y", 0), 0);
	fd = open(dpath(&d, "mem/Y"), O_RDWR);
	off_t y = (off_t)room;
	while (y > 0 && ftruncate(fd, y) < 0)
		y -= 4096;
	close(fd);
	ck_assert_int_eq(buf_create(&d, "Z", 4096), -ENOSPC); /* full */
	gemm_still_runs();
	expect_ok(q, "gemm");
	char out[512];
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, " err EFAULT: fill: "), "%s", out);
	ck_assert_int_eq(waitpid(d.pid, NULL, WNOHANG), 0);
	/* with room again, the same command works */
	ck_assert_int_eq(unlink(dpath(&d, "mem/Y")), 0);
	ck_assert(stats_wait(&d, "buffers 5\n", true, 5)); /* A B C X Z */
	queue_send(q, "fill buf=X value=3 n=4M");
	expect_ok(q, "fill");
	ck_assert(((float *)p)[12345] == 3.0f);
	munmap(p, xs);
	close(q);
}
END_TEST

static int live_contexts(void)
{
	return (int)stats_value(&d, "contexts");
}

/*
 * The killed client: opens a context, makes its own buffers, maps one,
 * starts a long gemm and queues 100 commands behind it, says so on
 * READY, and waits to be killed (or, when it must LEAVE, exits normally).
 */
static void killed_client(int ready, bool leave)
{
	const size_t bytes = (size_t)N * N * 4;
	const char *names[] = {"mem/k/A", "mem/k/B", "mem/k/C", "mem/k/s"};
	int q = open(dpath(&d, "queue"), O_RDWR);
	if (q < 0 || mkdir(dpath(&d, "mem/k"), 0755) < 0)
		_exit(2);
	for (int i = 0; i < 4; i++) {
		int fd = open(dpath(&d, names[i]), O_RDWR | O_CREAT, 0644);
		if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
			_exit(3);
		if (i == 0) {
			float *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0);
			if (a == MAP_FAILED)
				_exit(4);
			for (size_t j = 0; j < (size_t)N * N; j++)
				a[j] = 1.0f;
		}
		close(fd);
	}
	char cmds[8192];
	int len = snprintf(cmds, sizeof(cmds),
			   "gemm a=k/A b=k/A c=k/C m=%d n=%d k=%d\n", N, N, N);
	for (int i = 0; i < 100; i++)
		len += snprintf(cmds + len, sizeof(cmds) - (size_t)len,
				"fill buf=k/s value=%d n=1M\n", i);
	if (write(q, cmds, (size_t)len) != len)
		_exit(5);
	char c = 1;
	if (write(ready, &c, 1) != 1)
		_exit(6);
	if (!leave)
		pause();
	_exit(0);
}

static void remove_client_buffers(void)
{
	const char *names[] = {"mem/k/A", "mem/k/B", "mem/k/C", "mem/k/s"};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(unlink(dpath(&d, names[i])), 0);
	ck_assert_int_eq(rmdir(dpath(&d, "mem/k")), 0);
}

/*
 * One client killed with SIGKILL in the middle of a long gemm, with a
 * buffer mapped and 100 commands queued, while the client on Q works on x
 * and y: its context goes at once, the rest of its gemm and its queued
 * commands are cancelled, its memory and the daemon's descriptors come
 * back, and the other client's work is right.
 */
static void kill_a_client(int q)
{
	const int fds0 = daemon_fd_count(&d);
	const double used0 = stats_value(&d, "vram_ram_used_bytes");
	const double failed0 = stats_value(&d, "commands_failed");
	const double gemm_failed0 = stats_value(&d, "kernel.gemm.failed");
	const double fill0 = stats_value(&d, "kernel.fill.count");
	float y0;
	buf_read(&d, "y", &y0, sizeof(y0));

	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		killed_client(ready[1], false);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	ck_assert(stats_wait(&d, "running=gemm", true, 10));
	ck_assert_int_eq(live_contexts(), 2);
	/* the other client's work, around the kill */
	for (int i = 0; i < 20; i++)
		queue_send(q, "axpy x=x y=y n=256K alpha=1");
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	const double t0 = now_seconds();
	for (int i = 0; i < 20; i++)
		queue_send(q, "axpy x=x y=y n=256K alpha=1");
	ck_assert(stats_wait(&d, "contexts 1\n", true, 10));
	const double gone = now_seconds() - t0;
	for (int i = 0; i < 40; i++)
		expect_ok(q, "axpy");
	float y[4];
	buf_read(&d, "y", y, sizeof(y));
	ck_assert(y[0] == y0 + 40.0f && y[3] == y0 + 40.0f);
	/* the gemm was cut short, the fills never ran */
	ck_assert_int_eq(stats_value(&d, "kernel.gemm.failed"),
			 gemm_failed0 + 1);
	ck_assert_int_eq(stats_value(&d, "kernel.fill.count"), fill0 + 100);
	ck_assert_int_eq(stats_value(&d, "commands_failed"), failed0 + 101);
	ck_assert_msg(gone < 3, "the context went after %.2f s", gone);
	/* its buffers are files: they stay until removed, then go */
	ck_assert_int_eq(stats_value(&d, "buffers"), 6);
	remove_client_buffers();
	ck_assert(stats_wait(&d, "buffers 2\n", true, 5));
	ck_assert(stats_value(&d, "vram_ram_used_bytes") == used0);
	for (int i = 0; i < 200 && daemon_fd_count(&d) != fds0; i++)
		usleep(10000);
	ck_assert_int_eq(daemon_fd_count(&d), fds0);
}

/*
 * The same client exiting normally (no close, exit() does it): what it
 * wrote still runs to the end, as for any closed context.
 */
START_TEST(client_exits_with_work_queued)
{
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		killed_client(ready[1], true);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(stats_wait(&d, "contexts 0\n", true, 60));
	ck_assert_int_eq(stats_value(&d, "commands_failed"), 0);
	ck_assert_int_eq(stats_value(&d, "kernel.gemm.count"), 1);
	ck_assert_int_eq(stats_value(&d, "kernel.fill.count"), 100);
	float v;
	buf_read(&d, "k/s", &v, sizeof(v));
	ck_assert(v == 99.0f);
	remove_client_buffers();
	close(ready[0]);
	close(ready[1]);
}
END_TEST

/* Four times: after the first, the daemon's memory stays where it was. */
START_TEST(client_killed_mid_gemm)
{
	int q = queue_open(&d, 0);
	const int n = 1 << 18;
	ck_assert_int_eq(buf_create(&d, "x", (size_t)n * 4), 0);
	ck_assert_int_eq(buf_create(&d, "y", (size_t)n * 4), 0);
	queue_send(q, "fill buf=x value=1 n=256K");
	queue_send(q, "fill buf=y value=0 n=256K");
	expect_ok(q, "fill");
	expect_ok(q, "fill");
	kill_a_client(q);
	const long rss0 = daemon_rss_kb(&d);
	for (int round = 0; round < 3; round++)
		kill_a_client(q);
	const long rss1 = daemon_rss_kb(&d);
	ck_assert_msg(!DAEMON_RSS_MEANINGFUL || rss1 < rss0 + rss0 / 10,
		      "RSS %ld KiB before, %ld KiB after", rss0, rss1);
	close(q);
}
END_TEST

/*
 * Reads from a context with a long gemm in flight, in a child process;
 * reports the read's result and errno on REPORT.
 */
static pid_t blocked_reader(int report)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	int q = open(dpath(&d, "queue"), O_RDWR);
	char line[128];
	int len = snprintf(line, sizeof(line),
			   "gemm a=A b=B c=C m=%d n=%d k=%d\n", N, N, N);
	if (q < 0 || write(q, line, (size_t)len) != len)
		_exit(2);
	char buf[256];
	int r[2];
	r[0] = (int)read(q, buf, sizeof(buf));
	r[1] = errno;
	_exit(write(report, r, sizeof(r)) == sizeof(r) ? 0 : 3);
}

/*
 * The daemon killed with SIGKILL under a reader blocked on its queue and a
 * client with a buffer mapped. The reader gets an error at once, new opens
 * fail, the mapping keeps the memory it maps (it is the client's now: no
 * daemon shares it), and a new daemon on the same mount point serves.
 */
START_TEST(daemon_killed_mid_work)
{
	const size_t bytes = (size_t)N * N * 4;
	const char *names[] = {"A", "B", "C"};
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(buf_create(&d, names[i], bytes), 0);
	ck_assert_int_eq(buf_create(&d, "M", 1 << 20), 0);
	int mfd = open(dpath(&d, "mem/M"), O_RDWR);
	ck_assert_int_ge(mfd, 0);
	unsigned char *m =
	    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	memset(m, 0x77, 1 << 20);
	int report[2];
	ck_assert_int_eq(pipe(report), 0);
	pid_t reader = blocked_reader(report[1]);
	ck_assert(stats_wait(&d, "running=gemm", true, 10));
	ck_assert(stats_wait(&d, "blocked_readers 1\n", true, 5));

	ck_assert_int_eq(kill(d.pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(d.pid, NULL, 0), d.pid);
	const double t0 = now_seconds();
	struct pollfd pfd = {.fd = report[0], .events = POLLIN};
	int ready = poll(&pfd, 1, 5000);
	if (ready != 1)
		kill(reader, SIGKILL);
	ck_assert_msg(ready == 1, "the blocked reader hangs");
	int r[2];
	ck_assert_int_eq(read(report[0], r, sizeof(r)), sizeof(r));
	ck_assert_msg(r[0] == -1 && dead_mount_errno(r[1]), "read: %d, %s",
		      r[0], strerror(r[1]));
	ck_assert_double_lt(now_seconds() - t0, 1.0);
	waitpid(reader, NULL, 0);
	ck_assert_int_eq(open(dpath(&d, "info"), O_RDONLY), -1);
	ck_assert_msg(dead_mount_errno(errno), "%s", strerror(errno));

	/* the mapping still holds its memory, readable and writable */
	ck_assert_int_eq(m[0], 0x77);
	ck_assert_int_eq(m[(1 << 20) - 1], 0x77);
	m[5] = 0x12;
	ck_assert_int_eq(m[5], 0x12);
	/* and read() and write() of the open file (passthrough: they never
	 * reach the daemon) go to that memory too */
	unsigned char b[8] = {0};
	ck_assert_int_eq(pread(mfd, b, sizeof(b), 0), sizeof(b));
	ck_assert_int_eq(b[5], 0x12);
	ck_assert_int_eq(pwrite(mfd, "\x34", 1, 6), 1);
	ck_assert_int_eq(m[6], 0x34);

	/* a new daemon on the same mount point: fresh, empty, working */
	daemon_start(&d, (const char *[]){"--vram", "1G", NULL});
	char out[128];
	run_line(&d, "nop", out, sizeof(out));
	ck_assert_msg(strncmp(out, "1 ok nop", 8) == 0, "%s", out);
	ck_assert_int_eq(access(dpath(&d, "mem/M"), F_OK), -1);
	ck_assert_int_eq(stats_value(&d, "buffers"), 0);
	/* the old file still answers as a dead one's */
	ck_assert_int_eq(ftruncate(mfd, 0), -1);
	ck_assert_msg(dead_mount_errno(errno), "%s", strerror(errno));
	close(mfd);
	munmap(m, 1 << 20);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    shrink_refused_while_used,	     unlink_and_rename_while_used,
	    mapped_buffer_shrunk_by_another, hole_punched_under_kernel,
	    client_killed_mid_gemm,	     client_exits_with_work_queued,
	    daemon_killed_mid_work,
	};
	return run_suite(suite_with_daemon("faults", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
