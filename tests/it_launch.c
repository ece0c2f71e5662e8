/*
 * Users' programs through the queue (issue 12): build and launch against
 * the real daemon. A program is a buffer (cp'd source, or IR), compiled
 * once for the same bytes (stats: programs_compiled, programs_cache_hits),
 * its errors in the completion as FILE:LINE:COL: error: ...; a launch's
 * parameters bound by the kernel's own names with the launching user's
 * permissions, r for every buffer and w where the kernel may store.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

enum { BOB = 4002 };

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static const char saxpy_cl[] =
    "/* y = a * x + y, one element per work-item. */\n"
    "__kernel void saxpy(const float a, __global const float *x,\n"
    "                    __global float *y, const uint n)\n"
    "{\n"
    "\tsize_t i = get_global_id(0);\n"
    "\tif (i < n)\n"
    "\t\ty[i] = a * x[i] + y[i];\n"
    "}\n";

/* As a shell's cp: mem/NAME made and written whole. */
static void cp_in(const char *name, const char *text, size_t len)
{
	int fd = open(mem_path(&d, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

/* The completion of LINE on a fresh context, checked to start with WANT
 * (after "SEQ ") and to contain SUB (NULL: anything). */
static void expect(const char *line, const char *want, const char *sub)
{
	char buf[512];
	run_line(&d, line, buf, sizeof(buf));
	const char *st = strchr(buf, ' ');
	ck_assert_msg(st && strncmp(st + 1, want, strlen(want)) == 0 &&
			  (!sub || strstr(buf, sub)),
		      "'%s' -> '%s', want '%s' with '%s'", line, buf, want,
		      sub ? sub : "");
}

START_TEST(build_ok_then_cached)
{
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 0);
	expect("build prog=saxpy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
	ck_assert_int_eq(stats_value(&d, "programs_cache_hits"), 0);
	/* the same bytes again, under another name too: no compile */
	expect("build prog=saxpy.cl", "ok", NULL);
	cp_in("copy.cl", saxpy_cl, strlen(saxpy_cl));
	expect("build prog=copy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
	ck_assert_int_eq(stats_value(&d, "programs_cache_hits"), 2);
	/* one byte changed, same length: compiled again */
	char *changed = strdup(saxpy_cl);
	strstr(changed, "a * x")[2] = '+';
	cp_in("saxpy.cl", changed, strlen(changed));
	free(changed);
	expect("build prog=saxpy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 2);
}
END_TEST

START_TEST(build_errors)
{
	static const char bad[] = "__kernel void k(__global float *p)\n"
				  "{\n"
				  "\tp[0] = undeclared;\n"
				  "}\n";
	cp_in("bad.cl", bad, strlen(bad));
	expect("build prog=bad.cl",
	       "err EINVAL: bad.cl:3:9: error: ", "undeclared");
	/* several errors: the first ones, as many as fit */
	static const char two[] = "__kernel void k(__global float *p)\n"
				  "{\n"
				  "\tp[0] = one;\n"
				  "\tp[1] = two;\n"
				  "}\n";
	cp_in("two.cl", two, strlen(two));
	expect("build prog=two.cl", "err EINVAL: two.cl:3:", "two.cl:4:");
	/* IR is verified whatever it claims to be */
	static const char ir[] = "VCLIR\0\0\0\1\0\0\0garbage";
	cp_in("bad.vir", ir, sizeof(ir));
	expect("build prog=bad.vir", "err EINVAL: ", NULL);
	expect("build prog=none.cl", "err ENOENT: build: prog='none.cl'", NULL);
	expect("build prog=bad.cl+100",
	       "err EINVAL: build: ", "from offset 100");
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 0);
	/* an empty program has no kernel */
	cp_in("empty.cl", "", 0);
	expect("build prog=empty.cl", "ok", NULL);
	expect("launch prog=empty.cl kernel=k global=1",
	       "err EINVAL: launch: empty.cl has no kernel 'k'", NULL);
	/* the daemon still serves */
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	expect("build prog=saxpy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 2);
}
END_TEST

/* Hostile sources get a clear error within bounded time and memory. */
START_TEST(build_hostile)
{
	/* a macro bomb: 2^30 tokens if expanded */
	char bomb[4096];
	size_t n = 0;
	n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "#define A0 x x\n");
	for (int i = 1; i <= 30; i++)
		n += (size_t)snprintf(bomb + n, sizeof(bomb) - n,
				      "#define A%d A%d A%d\n", i, i - 1, i - 1);
	n += (size_t)snprintf(bomb + n, sizeof(bomb) - n,
			      "__kernel void k(__global int *p) { A30; }\n");
	cp_in("bomb.cl", bomb, n);
	double t0 = now_seconds();
	expect("build prog=bomb.cl", "err EINVAL: bomb.cl:", NULL);
	/* 10 MB of nested parentheses */
	size_t big = 10u << 20;
	char *deep = malloc(big);
	ck_assert_ptr_nonnull(deep);
	memset(deep, '(', big);
	cp_in("deep.cl", deep, big);
	free(deep);
	expect("build prog=deep.cl", "err EINVAL: deep.cl:", NULL);
	double took = now_seconds() - t0;
	ck_assert_msg(took < 30, "hostile builds took %.1f s", took);
	/* over 16 MiB: refused before anything is read */
	ck_assert_int_eq(truncate(mem_path(&d, "deep.cl"), (17 << 20)), 0);
	expect("build prog=deep.cl", "err EFBIG: build: prog: a program of",
	       NULL);
}
END_TEST

static const char *as_bob_line, *as_bob_want, *as_bob_sub;

static int bob_runs(void)
{
	char buf[512];
	run_line(&d, as_bob_line, buf, sizeof(buf));
	const char *st = strchr(buf, ' ');
	if (st && strncmp(st + 1, as_bob_want, strlen(as_bob_want)) == 0 &&
	    (!as_bob_sub || strstr(buf, as_bob_sub)))
		return 0;
	fprintf(stderr, "'%s' -> '%s', want '%s' with '%s'\n", as_bob_line, buf,
		as_bob_want, as_bob_sub ? as_bob_sub : "");
	return 1;
}

static void expect_as_bob(const char *line, const char *want, const char *sub)
{
	as_bob_line = line;
	as_bob_want = want;
	as_bob_sub = sub;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_runs), 0);
}

START_TEST(build_unreadable_program)
{
	cp_in("private.cl", saxpy_cl, strlen(saxpy_cl));
	ck_assert_int_eq(chmod(mem_path(&d, "private.cl"), 0600), 0);
	expect_as_bob("build prog=private.cl",
		      "err EACCES: build: prog: permission denied", NULL);
	ck_assert_int_eq(chmod(mem_path(&d, "private.cl"), 0644), 0);
	expect_as_bob("build prog=private.cl", "ok", NULL);
}
END_TEST

/* mem/NAME of N floats, mode MODE, owned by OWNER. */
static void make_floats(const char *name, unsigned n, mode_t mode, uid_t owner)
{
	float *v = malloc(n * sizeof(float));
	for (unsigned i = 0; i < n; i++)
		v[i] = (float)i;
	cp_in(name, (const char *)v, n * sizeof(float));
	free(v);
	ck_assert_int_eq(chmod(mem_path(&d, name), mode), 0);
	ck_assert_int_eq(chown(mem_path(&d, name), owner, owner), 0);
}

/* A launch whose binding is right runs. */
#define BOUND "ok launch"

START_TEST(launch_binding_errors)
{
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	make_floats("x", 1024, 0644, 0);
	make_floats("y", 1024, 0644, 0);
	const char *base = "launch prog=saxpy.cl kernel=saxpy global=1024";
	char line[512];
#define L(extra) (snprintf(line, sizeof(line), "%s %s", base, extra), line)
	expect(L("a=2 x=x y=y n=1024"), BOUND, NULL);
	expect(L("a=2 x=x y=y n=1024 local=64 offset=0"), BOUND, NULL);
	expect(L("a=2 x=x+4092 y=y arg.n=1"), BOUND, NULL);
	expect(L("a=2 x=x y=y"),
	       "err EINVAL: launch: kernel saxpy: "
	       "parameter 'n' is not given",
	       NULL);
	expect(L("a=2 x=x y=y n=1 z=3"),
	       "err EINVAL: launch: kernel saxpy has no parameter 'z'", NULL);
	expect("launch prog=saxpy.cl kernel=nope global=1",
	       "err EINVAL: launch: saxpy.cl has no kernel 'nope'", NULL);
	expect(L("a=two x=x y=y n=1"),
	       "err EINVAL: launch: a='two' is not a finite number (f32)",
	       NULL);
	expect(L("a=2 x=x y=y n=5000000000"),
	       "err ERANGE: launch: n='5000000000' does not fit", NULL);
	expect(L("a=2 x=x y=y n=1.5"),
	       "err EINVAL: launch: n='1.5' is not an integer", NULL);
	expect(L("a=2 x=nothere y=y n=1"),
	       "err ENOENT: launch: x='nothere': no such buffer", NULL);
	expect(L("a=2 x=x+4097 y=y n=1"),
	       "err EINVAL: launch: x: offset 4097 is past the buffer's end",
	       NULL);
	expect(L("a=2 x=../x y=y n=1"), "err EINVAL: launch: x='../x'", NULL);
	expect(L("a=2 x=x y=y n=1 local=100"),
	       "err EINVAL: launch: local: 100 does not divide global 1024",
	       NULL);
	expect(L("a=2 x=x y=y n=1 local=4,4"),
	       "err EINVAL: launch: local has 2 sizes, global 1", NULL);
	expect(L("a=2 x=x y=y n=1 offset=1,1"),
	       "err EINVAL: launch: offset has 2 sizes, global 1", NULL);
#undef L
	/* compiled once for all of them */
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
}
END_TEST

/* Vector parameters wait for the compiler's lowering of vectors. */
static const char values_cl[] =
    "__kernel void v(__global float *out, const float f, const int i,\n"
    "                const char c, const ulong u, __local float *tmp)\n"
    "{\n"
    "\ttmp[0] = f;\n"
    "\tout[0] = tmp[0] + i + c + u;\n"
    "}\n";

START_TEST(launch_values)
{
	cp_in("v.cl", values_cl, strlen(values_cl));
	make_floats("o", 4, 0644, 0);
	const char *base = "launch prog=v.cl kernel=v global=1 out=o";
	char line[512];
#define L(extra) (snprintf(line, sizeof(line), "%s %s", base, extra), line)
	expect(L("f=-1.5e3 i=-2147483648 c=-128 u=1T tmp=64"), BOUND, NULL);
	expect(L("f=1.5 i=0xffffffff c=255 u=0 tmp=4"), BOUND, NULL);
	expect(L("f=(1,2) i=1 c=1 u=0 tmp=4"),
	       "err EINVAL: launch: f='(1,2)' is not a finite number", NULL);
	expect(L("f=1 i=4294967296 c=1 u=0 tmp=4"),
	       "err ERANGE: launch: i='4294967296' does not fit", NULL);
	expect(L("f=1 i=1 c=256 u=0 tmp=4"),
	       "err ERANGE: launch: c='256' does not fit", NULL);
	expect(L("f=1 i=1 c=1 u=0 tmp=0"),
	       "err EINVAL: launch: tmp='0': a __local parameter takes a "
	       "byte count",
	       NULL);
	expect(L("f=1 i=1 c=1 u=0 tmp=65537"),
	       "err EINVAL: launch: tmp='65537'", NULL);
#undef L
}
END_TEST

static const char writes_x_cl[] =
    "__kernel void wx(__global float *x) { x[get_global_id(0)] = 1.0f; }\n"
    "__kernel void rx(__global const float *x, __global float *y)\n"
    "{ y[get_global_id(0)] = x[get_global_id(0)]; }\n"
    "__kernel void cx(__constant float *x, __global float *y)\n"
    "{ y[get_global_id(0)] = x[get_global_id(0)]; }\n";

START_TEST(launch_permissions)
{
	cp_in("p.cl", writes_x_cl, strlen(writes_x_cl));
	make_floats("ro", 16, 0644, 0);	    /* bob may read it */
	make_floats("mine", 16, 0644, BOB); /* bob's own */
	make_floats("secret", 16, 0600, 0); /* bob may not read it */
	expect_as_bob("launch prog=p.cl kernel=rx global=16 x=ro y=mine", BOUND,
		      NULL);
	expect_as_bob("launch prog=p.cl kernel=cx global=16 x=ro y=mine", BOUND,
		      NULL);
	expect_as_bob("launch prog=p.cl kernel=wx global=16 x=ro",
		      "err EACCES: launch: x: permission denied: you may not "
		      "read and write this buffer",
		      NULL);
	expect_as_bob("launch prog=p.cl kernel=rx global=16 x=secret y=mine",
		      "err EACCES: launch: x: permission denied: you may not "
		      "read this buffer",
		      NULL);
	expect_as_bob("launch prog=p.cl kernel=rx global=16 x=mine y=ro",
		      "err EACCES: launch: y: permission denied", NULL);
	expect_as_bob("launch prog=p.cl kernel=wx global=16 x=mine", BOUND,
		      NULL);
}
END_TEST

/* mem/NAME's N floats into OUT. */
static void read_floats(const char *name, float *out, unsigned n)
{
	buf_read(&d, name, out, n * sizeof(float));
}

/* saxpy from shell-like file writes, checked against a C loop. */
START_TEST(saxpy_runs)
{
	enum { N = 100000 };
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float)),
	      *got = malloc(N * sizeof(float));
	for (unsigned i = 0; i < N; i++) {
		x[i] = (float)i * 0.5f;
		y[i] = 1000.0f - (float)i;
	}
	cp_in("x", (const char *)x, N * sizeof(float));
	cp_in("y", (const char *)y, N * sizeof(float));
	int tr = open(dpath(&d, "trace"), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(tr, 0);
	/* global rounded up to the group size; n bounds the work */
	expect("launch prog=saxpy.cl kernel=saxpy global=100352 local=256 "
	       "a=2.5 x=x y=y n=100000",
	       "ok launch", NULL);
	/* the trace names the program and kernel of its tiles */
	static char events[1 << 16];
	ssize_t got_bytes = read(tr, events, sizeof(events) - 1);
	close(tr);
	ck_assert_int_gt(got_bytes, 0);
	events[got_bytes] = '\0';
	ck_assert_msg(strstr(events, "finished ctx=") &&
			  strstr(events, "kernel=launch program=saxpy.cl:saxpy "
					 "worker=") &&
			  strstr(events, "completed ctx=") &&
			  strstr(events, "kernel=launch program=saxpy.cl:saxpy "
					 "status=ok"),
		      "trace: %s", events);
	read_floats("y", got, N);
	for (unsigned i = 0; i < N; i++)
		ck_assert_msg(got[i] == 2.5f * x[i] + y[i],
			      "y[%u] = %g, want %g", i, got[i],
			      2.5f * x[i] + y[i]);
	/* the device's own group size, an offset into y, a global offset */
	memcpy(y, got, N * sizeof(float));
	expect("launch prog=saxpy.cl kernel=saxpy global=1000 offset=10 "
	       "a=-1 x=x y=y+400 n=1010",
	       "ok launch", NULL);
	read_floats("y", got, N);
	for (unsigned i = 0; i < N; i++) {
		/* work-items 10..1009 write y[100 + i] from x[i] */
		float want = i >= 110 && i < 1110 ? y[i] - x[i - 100] : y[i];
		ck_assert_msg(got[i] == want, "y[%u] = %g, want %g", i, got[i],
			      want);
	}
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
	free(x);
	free(y);
	free(got);
}
END_TEST

/* IR from vgpucc -o straight into mem/, verified and run like source. */
START_TEST(ir_program_runs)
{
	const char *vgpucc = getenv("VGPUCC");
	ck_assert_msg(vgpucc, "VGPUCC (path of vgpucc) is not set");
	char src[] = "/tmp/it_launch_XXXXXX.cl", cmd[1024];
	int fd = mkstemps(src, 3);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, saxpy_cl, strlen(saxpy_cl)),
			 (ssize_t)strlen(saxpy_cl));
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s", vgpucc, src,
		 mem_path(&d, "saxpy.vir"));
	ck_assert_int_eq(system(cmd), 0);
	unlink(src);
	make_floats("x", 256, 0644, 0);
	make_floats("y", 256, 0644, 0);
	expect("launch prog=saxpy.vir kernel=saxpy global=256 a=3 x=x y=y "
	       "n=256",
	       "ok launch", NULL);
	float y[256];
	read_floats("y", y, 256);
	for (unsigned i = 0; i < 256; i++)
		ck_assert(y[i] == 3.0f * (float)i + (float)i);
	/* every byte past the magic flipped in turn: refused or still
	 * correct, never a crash */
	struct stat st;
	ck_assert_int_eq(stat(mem_path(&d, "saxpy.vir"), &st), 0);
	size_t len = (size_t)st.st_size;
	char *ir = malloc(len);
	buf_read(&d, "saxpy.vir", ir, len);
	unsigned refused = 0;
	for (size_t i = 5; i < len; i += 7) {
		ir[i] ^= 0x5a;
		cp_in("bad.vir", ir, len);
		ir[i] ^= 0x5a;
		char buf[512];
		run_line(&d, "build prog=bad.vir", buf, sizeof(buf));
		refused += strstr(buf, " err EINVAL: ") != NULL;
		ck_assert_msg(strstr(buf, " ok build") || strstr(buf, " err "),
			      "byte %zu: %s", i, buf);
	}
	ck_assert_uint_gt(refused, 0);
	free(ir);
	expect("build prog=saxpy.vir", "ok", NULL);
}
END_TEST

static const char oob_cl[] =
    "__kernel void past(__global float *y, const int n)\n"
    "{ y[get_global_id(0) + n] = 7.0f; }\n";

START_TEST(out_of_bounds_faults)
{
	cp_in("oob.cl", oob_cl, strlen(oob_cl));
	make_floats("y", 64, 0644, 0);
	make_floats("other", 64, 0644, 0);
	expect("launch prog=oob.cl kernel=past global=64 y=y n=1",
	       "err EFAULT: launch: kernel 'past': access out of bounds of "
	       "parameter 'y'",
	       NULL);
	expect("launch prog=oob.cl kernel=past global=64 y=y n=-1000",
	       "err EFAULT: ", "parameter 'y'");
	float v[64];
	read_floats("other", v, 64);
	for (unsigned i = 0; i < 64; i++)
		ck_assert(v[i] == (float)i);
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
	cp_in("first.cl", first_cl, strlen(first_cl));
	for (int i = 0; i < 5; i++)
		expect("launch prog=first.cl kernel=first global=256 local=1 "
		       "y=y spin=1000000",
		       "err EFAULT: launch: kernel 'first': access out of "
		       "bounds of parameter 'y'",
		       NULL);
	/* still serving, the same program in bounds */
	expect("launch prog=oob.cl kernel=past global=64 y=y n=0", "ok launch",
	       NULL);
	read_floats("y", v, 64);
	for (unsigned i = 0; i < 64; i++)
		ck_assert(v[i] == 7.0f);
}
END_TEST

static const char endless_cl[] =
    "__kernel void spin(__global int *p, const int n)\n"
    "{ int i = 0; while (n > 0) { i++; p[0] = i; } }\n";

/* The daemon again with --kernel-timeout SECONDS, two workers, and an
 * endless kernel in mem/spin.cl. */
static void restart_spinning(const char *seconds)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	const char *args[] = {"--vram", "64M",	     "--kernel-timeout",
			      seconds,	"--workers", "2",
			      NULL};
	daemon_start(&d, args);
	cp_in("spin.cl", endless_cl, strlen(endless_cl));
	make_floats("p", 16, 0644, 0);
}

START_TEST(endless_kernel_times_out)
{
	restart_spinning("1");
	double t0 = now_seconds();
	expect("launch prog=spin.cl kernel=spin global=4 local=1 p=p n=1",
	       "err ETIMEDOUT: launch: kernel 'spin' ran longer than "
	       "--kernel-timeout (1 s)",
	       NULL);
	double took = now_seconds() - t0;
	ck_assert_msg(took >= 0.9 && took < 10, "stopped after %.2f s", took);
	/* the workers are free again */
	expect("launch prog=spin.cl kernel=spin global=4 p=p n=0", "ok launch",
	       NULL);
	expect("fill buf=p n=4 value=0", "ok fill", NULL);
}
END_TEST

/* A client killed while its kernel runs: the kernel stops at once. */
START_TEST(killed_client_stops_its_kernel)
{
	restart_spinning("60");
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int q = queue_open(&d, 0);
		queue_send(q,
			   "launch prog=spin.cl kernel=spin global=2 local=1 "
			   "p=p n=1");
		(void)!write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert(stats_wait(&d, "running=launch", true, 10));
	usleep(300 * 1000); /* both workers in the endless loop */
	double t0 = now_seconds();
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	expect("fill buf=p n=4 value=0", "ok fill", NULL);
	double took = now_seconds() - t0;
	ck_assert_msg(took < 5, "the workers were free after %.1f s", took);
	ck_assert(stats_wait(&d, "kernel.launch.failed 1", true, 10));
	close(ready[0]);
	close(ready[1]);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    build_ok_then_cached,
	    build_errors,
	    build_hostile,
	    build_unreadable_program,
	    launch_binding_errors,
	    launch_values,
	    launch_permissions,
	    saxpy_runs,
	    ir_program_runs,
	    out_of_bounds_faults,
	    endless_kernel_times_out,
	    killed_client_stops_its_kernel,
	};
	return run_suite(suite_with_daemon("launch", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
