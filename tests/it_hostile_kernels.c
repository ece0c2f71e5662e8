/*
 * Hostile users' kernels against the real daemon (issue 12, "Execution:
 * native code, and safety"): one case per rule. Alice (an unprivileged
 * user) launches each attack; every case checks the error completion and
 * its message, that the daemon still serves (a fill right after gives the
 * right bytes) and that Bob's buffer is byte for byte what it was.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

enum { ALICE = 4001, BOB = 4002, SECRET_BYTES = 65536 };

/* Bob's bytes, which no attack may change. */
static uint8_t secret[SECRET_BYTES];

/* As a shell's cp: mem/NAME made and written whole, owned by OWNER. */
static void cp_in(const char *name, const void *data, size_t len, uid_t owner,
		  mode_t mode)
{
	const char *path = mem_path(&d, name);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	ck_assert_int_eq(chown(path, owner, owner), 0);
}

/* Alice's program mem/NAME (source or IR). */
static void program(const char *name, const char *text, size_t len)
{
	cp_in(name, text, len, ALICE, 0644);
}

/* The daemon with --kernel-timeout TIMEOUT, Bob's secret and Alice's
 * buffers. */
static void start(const char *timeout)
{
	const char *args[] = {"--vram", "64M",	     "--kernel-timeout",
			      timeout,	"--workers", "2",
			      NULL};
	daemon_start(&d, args);
	for (size_t i = 0; i < SECRET_BYTES; i++)
		secret[i] = (uint8_t)(i * 7 + 3);
	cp_in("secret", secret, SECRET_BYTES, BOB, 0600);
	float zeros[1024] = {0};
	cp_in("a", zeros, sizeof(zeros), ALICE, 0644);
	cp_in("b", zeros, sizeof(zeros), ALICE, 0644);
	cp_in("check", zeros, 64, 0, 0644);
}

static void setup(void)
{
	start("2");
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* What Alice's line should complete with: a start and some parts. */
static const char *as_line, *as_want, *as_parts[4];

static int alice_runs(void)
{
	char buf[1024];
	run_line(&d, as_line, buf, sizeof(buf));
	const char *st = strchr(buf, ' ');
	bool ok = st && strncmp(st + 1, as_want, strlen(as_want)) == 0;
	for (int i = 0; ok && i < 4 && as_parts[i]; i++)
		ok = strstr(buf, as_parts[i]) != NULL;
	if (!ok)
		fprintf(stderr, "'%.200s' -> '%s', want '%s' with", as_line,
			buf, as_want);
	for (int i = 0; !ok && i < 4 && as_parts[i]; i++)
		fprintf(stderr, " '%s'", as_parts[i]);
	if (!ok)
		fputc('\n', stderr);
	return !ok;
}

/* LINE as Alice completes starting with WANT (after "SEQ ") and holds
 * every part given after it (up to 4, NULL-ended). */
static void expect(const char *line, const char *want, ...)
{
	as_line = line;
	as_want = want;
	va_list ap;
	va_start(ap, want);
	for (int i = 0; i < 4; i++)
		as_parts[i] = NULL;
	for (int i = 0; i < 4; i++) {
		const char *p = va_arg(ap, const char *);
		if (!p)
			break;
		as_parts[i] = p;
	}
	va_end(ap);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_runs), 0);
}

/* The daemon still serves (a built-in command's bytes right) and Bob's
 * buffer is intact. */
static void unharmed(void)
{
	char buf[512];
	run_line(&d, "fill buf=check n=16 value=3", buf, sizeof(buf));
	ck_assert_msg(strstr(buf, " ok fill"), "fill: %s", buf);
	float v[16];
	buf_read(&d, "check", v, sizeof(v));
	for (int i = 0; i < 16; i++)
		ck_assert(v[i] == 3.0f);
	static uint8_t now[SECRET_BYTES];
	buf_read(&d, "secret", now, SECRET_BYTES);
	ck_assert(memcmp(now, secret, SECRET_BYTES) == 0);
}

static const char bounds_cl[] =
    "__kernel void rd(__global const float *x, __global float *y,\n"
    "                 const int n)\n"
    "{ y[get_global_id(0)] = x[get_global_id(0) + n]; }\n"
    "__kernel void wr(__global float *y, const int n)\n"
    "{ y[get_global_id(0) + n] = 7.0f; }\n"
    "__kernel void far(__global float *y, const long n)\n"
    "{ __global float *p = y + n; p += n; *p = 1.0f; }\n";

/* Out of bounds, read or written, below or far past: EFAULT naming the
 * kernel, the parameter and the byte offset. */
START_TEST(out_of_bounds)
{
	program("b.cl", bounds_cl, strlen(bounds_cl));
	expect("launch prog=b.cl kernel=rd global=1 x=a y=b n=1024",
	       "err EFAULT: launch: kernel 'rd': access out of bounds of "
	       "parameter 'x' (4096 bytes) at byte offset 4096",
	       NULL);
	expect("launch prog=b.cl kernel=wr global=1 y=b n=1024",
	       "err EFAULT: launch: kernel 'wr': access out of bounds of "
	       "parameter 'y' (4096 bytes) at byte offset 4096",
	       NULL);
	unharmed();
	expect("launch prog=b.cl kernel=wr global=1 y=b n=-1",
	       "err EFAULT: launch: kernel 'wr': access out of bounds of "
	       "parameter 'y' (4096 bytes) at byte offset -4",
	       NULL);
	/* 2^40 floats twice: 2^43 bytes past y */
	expect("launch prog=b.cl kernel=far global=1 y=b n=1T",
	       "err EFAULT: launch: kernel 'far': access out of bounds of "
	       "parameter 'y' (4096 bytes) at byte offset 8796093022208",
	       NULL);
	unharmed();
	/* a fault in the first group stops the others: the fault is the
	 * cause reported, not the stop */
	static const char first_cl[] =
	    "__kernel void first(__global float *y, const int spin)\n"
	    "{\n"
	    "\tif (get_group_id(0) == 0) { y[1 << 20] = 1.0f; return; }\n"
	    "\tfloat s = 0.0f;\n"
	    "\tfor (int i = 0; i < spin; i++) s += (float)i;\n"
	    "\ty[get_global_id(0) % 16] = s;\n"
	    "}\n";
	program("first.cl", first_cl, strlen(first_cl));
	for (int i = 0; i < 5; i++)
		expect("launch prog=first.cl kernel=first global=256 local=1 "
		       "y=b spin=1000000",
		       "err EFAULT: launch: kernel 'first': access out of "
		       "bounds of parameter 'y'",
		       NULL);
	/* in bounds the same program runs */
	expect("launch prog=b.cl kernel=wr global=1024 y=b n=0", "ok launch",
	       NULL);
	float v[1024];
	buf_read(&d, "b", v, sizeof(v));
	for (int i = 0; i < 1024; i++)
		ck_assert(v[i] == 7.0f);
	unharmed();
}
END_TEST

/* Integer division by zero and INT_MIN / -1: no SIGFPE, the results the
 * compiler documents (0, and INT_MIN with remainder 0). */
START_TEST(integer_division)
{
	static const char dz_cl[] =
	    "__kernel void dz(__global int *y, const int a, const int b)\n"
	    "{ y[0] = a / b; y[1] = a % b; }\n"
	    "__kernel void dzl(__global long *y, const long a, const long b)\n"
	    "{ y[0] = a / b; y[1] = a % b; }\n";
	program("dz.cl", dz_cl, strlen(dz_cl));
	int32_t r[2];
	expect("launch prog=dz.cl kernel=dz global=1 y=a a=7 b=0", "ok launch",
	       NULL);
	buf_read(&d, "a", r, sizeof(r));
	ck_assert_int_eq(r[0], 0);
	ck_assert_int_eq(r[1], 0);
	expect("launch prog=dz.cl kernel=dz global=1 y=a a=-2147483648 b=-1",
	       "ok launch", NULL);
	buf_read(&d, "a", r, sizeof(r));
	ck_assert_int_eq(r[0], INT32_MIN);
	ck_assert_int_eq(r[1], 0);
	int64_t l[2];
	expect("launch prog=dz.cl kernel=dzl global=1 y=a "
	       "a=-9223372036854775808 b=-1",
	       "ok launch", NULL);
	buf_read(&d, "a", l, sizeof(l));
	ck_assert(l[0] == INT64_MIN && l[1] == 0);
	expect("launch prog=dz.cl kernel=dzl global=1 y=a a=5 b=0", "ok launch",
	       NULL);
	buf_read(&d, "a", l, sizeof(l));
	ck_assert(l[0] == 0 && l[1] == 0);
	unharmed();
}
END_TEST

static const char endless_cl[] =
    "__kernel void spin(__global int *p, const int n)\n"
    "{ int i = 0; while (n > 0) { i++; p[0] = i; } }\n";

static int alice_spins(void)
{
	as_line = "launch prog=spin.cl kernel=spin global=1 p=a n=1";
	as_want = "err ETIMEDOUT: launch: kernel 'spin' ran longer than "
		  "--kernel-timeout (2 s)";
	as_parts[0] = NULL;
	return alice_runs();
}

/* An endless loop: ETIMEDOUT after --kernel-timeout; another context's
 * commands complete meanwhile, and the workers are free after. */
START_TEST(endless_loop)
{
	program("spin.cl", endless_cl, strlen(endless_cl));
	double t0 = now_seconds();
	pid_t alice = spawn_as(ALICE, ALICE, 0, NULL, alice_spins);
	ck_assert(stats_wait(&d, "running=launch", true, 10));
	/* one group: one worker spins, the other serves */
	double t1 = now_seconds();
	unharmed();
	ck_assert_msg(now_seconds() - t1 < 1.0, "a fill took %.2f s meanwhile",
		      now_seconds() - t1);
	ck_assert_int_eq(child_status(alice), 0);
	double took = now_seconds() - t0;
	ck_assert_msg(took >= 1.9 && took < 10, "stopped after %.2f s", took);
	/* both workers spinning: both stopped */
	expect("launch prog=spin.cl kernel=spin global=4 local=1 p=a n=1",
	       "err ETIMEDOUT: launch: kernel 'spin' ran longer than "
	       "--kernel-timeout (2 s)",
	       NULL);
	expect("launch prog=spin.cl kernel=spin global=4 p=a n=0", "ok launch",
	       NULL);
	unharmed();
}
END_TEST

/*
 * The daemon's threads of its own, named vgpu-* (/proc/PID/task/TID/comm):
 * the workers and their helpers; libfuse's own come and go with requests.
 */
static int daemon_threads(void)
{
	return (int)daemon_threads_named(&d, "vgpu-", NULL, 0);
}

/* A socket as systemd's NOTIFY_SOCKET at PATH: the daemon's messages. */
static int notify_listen(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* The WATCHDOG=1 pings on FD since the last call. */
static int pings(int fd)
{
	char msg[4096];
	int n = 0;
	ssize_t len;
	while ((len = recv(fd, msg, sizeof(msg) - 1, 0)) > 0) {
		msg[len] = '\0';
		n += strstr(msg, "WATCHDOG=1") != NULL;
	}
	return n;
}

/* Alice's launch of 64 groups looping forever: every worker holds some. */
static int alice_hogs(void)
{
	char buf[512];
	run_line(&d,
		 "launch prog=spin.cl kernel=spin global=64 local=1 p=a n=1",
		 buf, sizeof(buf));
	return 0;
}

/* A fill of what fill_as() says, in a context of its own. */
static const char *fill_buf;
static int fill_value;

static int fills(void)
{
	char line[128], buf[512];
	snprintf(line, sizeof(line), "fill buf=%s n=16 value=%d", fill_buf,
		 fill_value);
	run_line(&d, line, buf, sizeof(buf));
	if (strstr(buf, " ok fill"))
		return 0;
	fprintf(stderr, "fill: %s\n", buf);
	return 1;
}

/* UID fills mem/NAME with VALUE: the right bytes, within 1 s. */
static void fill_as(uid_t uid, const char *name, int value)
{
	fill_buf = name;
	fill_value = value;
	double t0 = now_seconds();
	ck_assert_int_eq(as_user(uid, uid, 0, NULL, fills), 0);
	double took = now_seconds() - t0;
	printf("uid %u's fill while every worker spins: %.1f ms\n",
	       (unsigned)uid, took * 1e3);
	ck_assert_msg(took < 1.0, "uid %u's fill took %.2f s", (unsigned)uid,
		      took);
	float v[16];
	buf_read(&d, name, v, sizeof(v));
	for (int i = 0; i < 16; i++)
		ck_assert(v[i] == (float)value);
}

/*
 * Endless groups on every worker (a timeout far away): Alice's other
 * context and Bob are served meanwhile, by at most one thread more, and
 * the systemd watchdog goes on being pinged (a busy worker is not a stuck
 * one while the launch watchdog has not stopped its kernel); Alice
 * opening more contexts with endless launches gets no more threads; all
 * of it ends with her clients, and the extra thread with it.
 */
START_TEST(endless_on_every_worker)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	d.mnt[0] = '\0';
	/* a 0.2 s systemd watchdog: the daemon probes every 0.1 s */
	char sock[64];
	snprintf(sock, sizeof(sock), "/tmp/vgpufs-notify-%d", (int)getpid());
	int notify = notify_listen(sock);
	setenv("NOTIFY_SOCKET", sock, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	start("30");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	program("spin.cl", endless_cl, strlen(endless_cl));
	float zeros[16] = {0};
	cp_in("bobs", zeros, sizeof(zeros), BOB, 0600);
	int threads = daemon_threads();
	enum { HOGS = 4 };
	pid_t hog[HOGS];
	hog[0] = spawn_as(ALICE, ALICE, 0, NULL, alice_hogs);
	ck_assert(stats_wait(&d, "worker.0.kernel launch", true, 30));
	ck_assert(stats_wait(&d, "worker.1.kernel launch", true, 30));
	pings(notify);
	for (int i = 1; i <= 5; i++) {
		fill_as(ALICE, "b", i);
		fill_as(BOB, "bobs", i);
	}
	/* busy in a user's code within --kernel-timeout is not stuck */
	usleep(500 * 1000);
	int n = pings(notify);
	ck_assert_msg(n >= 3, "%d watchdog pings while the workers spin", n);
	close(notify);
	unlink(sock);
	ck_assert_int_le(daemon_threads(), threads + 1);
	for (int i = 1; i < HOGS; i++)
		hog[i] = spawn_as(ALICE, ALICE, 0, NULL, alice_hogs);
	ck_assert(stats_wait(&d, "running=launch", true, 10));
	usleep(300 * 1000); /* their launches wait for a worker */
	for (int i = 6; i <= 8; i++) {
		fill_as(BOB, "bobs", i);
		ck_assert_int_le(daemon_threads(), threads + 1);
	}
	for (int i = 0; i < HOGS; i++) {
		kill(hog[i], SIGKILL);
		ck_assert_int_eq(child_status(hog[i]), 101);
	}
	ck_assert(stats_wait(&d, "running=launch", false, 10));
	double until = now_seconds() + 5;
	while (daemon_threads() > threads && now_seconds() < until)
		usleep(10000);
	ck_assert_int_eq(daemon_threads(), threads);
	unharmed();
}
END_TEST

/* Alice's source NAME builds with a compile error at its start holding
 * PART, within 30 s and without the daemon's memory growing
 * much. */
static void refused(const char *name, const char *text, size_t len,
		    const char *part)
{
	program(name, text, len);
	char line[256], start[256];
	snprintf(line, sizeof(line), "build prog=%s", name);
	snprintf(start, sizeof(start), "err EINVAL: %s:", name);
	long rss0 = daemon_rss_kb(&d);
	double t0 = now_seconds();
	expect(line, start, part, NULL);
	double took = now_seconds() - t0;
	long grown = daemon_rss_kb(&d) - rss0;
	printf("%s (%zu bytes): refused in %.2f s, the daemon grew by %ld kB\n",
	       name, len, took, grown);
	ck_assert_msg(took < 30, "%s: refused after %.1f s", name, took);
	ck_assert_msg(grown < 512 * 1024, "%s: the daemon grew by %ld kB", name,
		      grown);
	unharmed();
}

START_TEST(recursion)
{
	static const char rec[] =
	    "int f(int n) { return n ? f(n - 1) : 0; }\n"
	    "__kernel void k(__global int *p) { p[0] = f(p[1]); }\n";
	refused("rec.cl", rec, strlen(rec),
		"error: recursion is not supported: 'f' calls itself");
	static const char mutual[] =
	    "int g(int n);\n"
	    "int f(int n) { return n ? g(n - 1) : 0; }\n"
	    "int g(int n) { return f(n); }\n"
	    "__kernel void k(__global int *p) { p[0] = f(p[1]); }\n";
	refused("mutual.cl", mutual, strlen(mutual),
		"error: recursion is not supported");
}
END_TEST

START_TEST(divergent_barrier)
{
	static const char src[] = "__kernel void k(__global int *p)\n"
				  "{\n"
				  "\tif (get_local_id(0) == 0)\n"
				  "\t\tbarrier(CLK_LOCAL_MEM_FENCE);\n"
				  "\tp[0] = 1;\n"
				  "}\n";
	refused("div.cl", src, strlen(src),
		"error: barrier() where work-items may diverge");
	/* a helper with a barrier: inlined where every work-item calls
	 * it, refused where not all do */
	static const char helper[] =
	    "void sync_all(void) { barrier(CLK_LOCAL_MEM_FENCE); }\n"
	    "__kernel void k(__global int *p)\n"
	    "{\n"
	    "\tif (get_local_id(0) < 4)\n"
	    "\t\tsync_all();\n"
	    "\tp[0] = 1;\n"
	    "}\n";
	refused("divh.cl", helper, strlen(helper),
		"divh.cl:5:11: error: 'sync_all' calls barrier() and is called "
		"where work-items may diverge");
	/* ...or whose barrier diverges on what a call passes it, which the
	 * verifier sees once the helper is inlined */
	static const char param[] =
	    "void sync_if(int x) { if (x) barrier(CLK_LOCAL_MEM_FENCE); }\n"
	    "__kernel void k(__global int *p)\n"
	    "{ sync_if(get_local_id(0) < 4); p[0] = 1; }\n";
	refused("divp.cl", param, strlen(param),
		"code generation: with the calls of functions that have a "
		"barrier inlined: function 0 'k', instruction");
	expect("build prog=divp.cl", "err EINVAL",
	       "barrier where work-items may diverge", NULL);
}
END_TEST

/* No call leaves the program but to the built-ins. */
START_TEST(external_calls)
{
	static const char sys[] =
	    "__kernel void k(__global int *p) { p[0] = system(0); }\n";
	refused("sys.cl", sys, strlen(sys),
		"error: call to undeclared function 'system'");
	static const char ext[] =
	    "extern int system(const char *c);\n"
	    "__kernel void k(__global int *p) { p[0] = system(0); }\n";
	refused("ext.cl", ext, strlen(ext),
		"error: 'system' is called but never defined");
	static const char pf[] =
	    "__kernel void k(__global int *p) { printf(\"%d\", p[0]); }\n";
	refused("pf.cl", pf, strlen(pf), "error: printf is not supported");
}
END_TEST

START_TEST(huge_private_array)
{
	static const char src[] = "__kernel void k(__global int *p)\n"
				  "{\n"
				  "\tfloat big[268435456]; /* 1 GiB */\n"
				  "\tbig[p[0]] = 1.0f;\n"
				  "\tp[1] = (int)big[p[2]];\n"
				  "}\n";
	refused("big.cl", src, strlen(src),
		"error: private variables take 1073741824 bytes, more than "
		"the limit of 65536 per work-item");
}
END_TEST

/* 10 MB of source, 10 000 nested parentheses, a macro bomb; over 16 MiB
 * refused before anything is read. */
START_TEST(hostile_sources)
{
	char bomb[4096];
	size_t n = 0;
	n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "#define A0 x x\n");
	for (int i = 1; i <= 30; i++) /* 2^31 tokens if expanded */
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n,
				      "#define A%d A%d A%d\n", i, i - 1, i - 1);
	n += (size_t)snprintf(bomb + n, sizeof(bomb) - n,
			      "__kernel void k(__global int *p) { A30; }\n");
	refused("bomb.cl", bomb, n, NULL);
	/* 10 000 nested parentheses in an expression */
	size_t len = 0, cap = 30000;
	char *par = malloc(cap);
	ck_assert_ptr_nonnull(par);
	len += (size_t)snprintf(par, cap,
				"__kernel void k(__global int *p) "
				"{ p[0] = ");
	memset(par + len, '(', 10000);
	len += 10000;
	par[len++] = '1';
	memset(par + len, ')', 10000);
	len += 10000;
	len += (size_t)snprintf(par + len, cap - len, "; }\n");
	refused("par.cl", par, len, "error: nesting deeper than 256 levels");
	free(par);
	/* 10 MB: a kernel, then lines of declarations */
	size_t big = 10u << 20;
	char *src = malloc(big);
	ck_assert_ptr_nonnull(src);
	static const char decl[] = "__constant int c = 1 + ;\n";
	for (size_t i = 0; i + sizeof(decl) - 1 <= big; i += sizeof(decl) - 1)
		memcpy(src + i, decl, sizeof(decl) - 1);
	refused("ten.cl", src, big - big % (sizeof(decl) - 1), NULL);
	/* 10 MB of '(' */
	memset(src, '(', big);
	refused("deep.cl", src, big, NULL);
	free(src);
	ck_assert_int_eq(truncate(mem_path(&d, "deep.cl"), 17 << 20), 0);
	expect("build prog=deep.cl", "err EFBIG: build: prog: a program of",
	       NULL);
	unharmed();
}
END_TEST

/* IR from vgpucc -o, its bytes flipped and cut: refused or run as it
 * verifies, never a crash. */
START_TEST(hostile_ir)
{
	static const char saxpy_cl[] =
	    "__kernel void saxpy(const float a, __global const float *x,\n"
	    "                    __global float *y, const uint n)\n"
	    "{ size_t i = get_global_id(0); if (i < n) y[i] = a * x[i] + y[i]; "
	    "}\n";
	vgpucc_into_mem(&d, saxpy_cl, "saxpy.vir");
	struct stat st;
	ck_assert_int_eq(stat(mem_path(&d, "saxpy.vir"), &st), 0);
	size_t len = (size_t)st.st_size;
	char *ir = malloc(len);
	buf_read(&d, "saxpy.vir", ir, len);
	unsigned refused_flips = 0, refused_cuts = 0;
	for (size_t i = 5; i < len; i += 7) { /* every byte past the magic */
		ir[i] ^= 0x5a;
		program("bad.vir", ir, len);
		ir[i] ^= 0x5a;
		char buf[512];
		run_line(&d, "build prog=bad.vir", buf, sizeof(buf));
		refused_flips += strstr(buf, " err EINVAL: ") != NULL;
		ck_assert_msg(strstr(buf, " ok build") ||
				  strstr(buf, " err EINVAL: "),
			      "byte %zu: %s", i, buf);
	}
	for (size_t cut = 0; cut < len; cut += 3) { /* every length */
		program("cut.vir", ir, cut);
		char buf[512];
		run_line(&d, "build prog=cut.vir", buf, sizeof(buf));
		refused_cuts += strstr(buf, " err EINVAL: ") != NULL;
		ck_assert_msg(strstr(buf, " ok build") ||
				  strstr(buf, " err EINVAL: "),
			      "cut at %zu: %s", cut, buf);
	}
	ck_assert_uint_gt(refused_flips, 0);
	ck_assert_uint_gt(refused_cuts, len / 3 / 2);
	/* the whole IR still runs */
	program("saxpy.vir", ir, len);
	free(ir);
	expect("launch prog=saxpy.vir kernel=saxpy global=1024 a=3 x=a y=b "
	       "n=1024",
	       "ok launch", NULL);
	unharmed();
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    out_of_bounds,   integer_division,
	    endless_loop,    endless_on_every_worker,
	    recursion,	     divergent_barrier,
	    external_calls,  huge_private_array,
	    hostile_sources, hostile_ir,
	};
	return run_suite(suite_with_daemon("hostile_kernels", setup, teardown,
					   180, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
