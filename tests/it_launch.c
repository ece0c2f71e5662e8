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
#include <sys/xattr.h>
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
	mem_put(&d, name, text, len);
}

/* The completion of LINE on a fresh context, checked to start with WANT
 * (after "SEQ ") and to contain SUB (NULL: anything). */
static void expect(const char *line, const char *want, const char *sub)
{
	expect_completion(&d, line, want, sub);
}

START_TEST(build_ok_then_cached)
{
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 0);
	ck_assert_double_eq(stats_value(&d, "programs_compile_seconds"), 0);
	double t0 = now_seconds();
	expect("build prog=saxpy.cl", "ok", NULL);
	double took = now_seconds() - t0;
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
	ck_assert_int_eq(stats_value(&d, "programs_cache_hits"), 0);
	/* the compile's time: some, and no more than the round trip */
	double compile = stats_value(&d, "programs_compile_seconds");
	ck_assert_double_gt(compile, 0);
	ck_assert_double_le(compile, took);
	ck_assert_double_eq(stats_value(&d, "programs_last_compile_seconds"),
			    compile);
	/* the same bytes again, under another name too: no compile */
	expect("build prog=saxpy.cl", "ok", NULL);
	cp_in("copy.cl", saxpy_cl, strlen(saxpy_cl));
	expect("build prog=copy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 1);
	ck_assert_int_eq(stats_value(&d, "programs_cache_hits"), 2);
	ck_assert_double_eq(stats_value(&d, "programs_compile_seconds"),
			    compile);
	/* one byte changed, same length: compiled again */
	char *changed = strdup(saxpy_cl);
	strstr(changed, "a * x")[2] = '+';
	cp_in("saxpy.cl", changed, strlen(changed));
	free(changed);
	expect("build prog=saxpy.cl", "ok", NULL);
	ck_assert_int_eq(stats_value(&d, "programs_compiled"), 2);
	double last = stats_value(&d, "programs_last_compile_seconds");
	ck_assert_double_gt(last, 0);
	ck_assert_double_eq_tol(stats_value(&d, "programs_compile_seconds"),
				compile + last, 2e-6);
	/* metrics says the same, for Prometheus */
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert_ptr_nonnull(strstr(m, "\nvgpu_programs_compiled_total 2\n"));
	ck_assert_ptr_nonnull(
	    strstr(m, "\nvgpu_programs_cache_hits_total 2\n"));
	double total, last_m;
	const char *p = strstr(m, "\nvgpu_programs_compile_seconds_total ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
	    sscanf(p, " vgpu_programs_compile_seconds_total %lf", &total), 1);
	ck_assert_double_eq_tol(total, compile + last, 2e-6);
	p = strstr(m, "\nvgpu_programs_last_compile_seconds ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
	    sscanf(p, " vgpu_programs_last_compile_seconds %lf", &last_m), 1);
	ck_assert_double_eq_tol(last_m, last, 2e-6);
	promtool_check(m);
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
	/* failed compiles took time too */
	ck_assert_double_gt(stats_value(&d, "programs_compile_seconds"), 0);
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

/* mem/NAME's N floats into OUT. */
static void read_floats(const char *name, float *out, unsigned n)
{
	buf_read(&d, name, out, n * sizeof(float));
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

/* Vector parameters: the compiler gives a kernel a vector's lanes as
 * scalar parameters v.s0, v.s1, ...; a launch gives them as one v. */
static const char vectors_cl[] =
    "__kernel void vec(__global float *out, const float4 v, const int2 k,\n"
    "                  const float3 w)\n"
    "{\n"
    "\tfloat4 s = v * (float)k.y + (float4)(w, (float)k.x);\n"
    "\tout[0] = s.x; out[1] = s.y; out[2] = s.z; out[3] = s.w;\n"
    "\tout[4] = w.x - w.z;\n"
    "}\n";

/* The kernel's results in C, for V, K, W. */
static void vectors_in_c(const float v[4], const int k[2], const float w[3],
			 float out[5])
{
	for (int j = 0; j < 4; j++)
		out[j] = v[j] * (float)k[1] + (j < 3 ? w[j] : (float)k[0]);
	out[4] = w[0] - w[2];
}

START_TEST(launch_vectors)
{
	cp_in("vec.cl", vectors_cl, strlen(vectors_cl));
	make_floats("o", 5, 0644, 0);
	const char *base = "launch prog=vec.cl kernel=vec global=1 out=o";
	char line[512];
	float got[5], want[5];
#define L(extra) (snprintf(line, sizeof(line), "%s %s", base, extra), line)
	expect(L("v=(1.5,-2,3,0.25) k=(-7,3) w=(10,20,30.5)"), BOUND, NULL);
	read_floats("o", got, 5);
	vectors_in_c((float[]){1.5f, -2, 3, 0.25f}, (int[]){-7, 3},
		     (float[]){10, 20, 30.5f}, want);
	for (int j = 0; j < 5; j++)
		ck_assert_msg(got[j] == want[j], "out[%d] = %g, want %g", j,
			      got[j], want[j]);
	/* one value for every lane */
	expect(L("v=2.5 k=4 w=-1"), BOUND, NULL);
	read_floats("o", got, 5);
	vectors_in_c((float[]){2.5f, 2.5f, 2.5f, 2.5f}, (int[]){4, 4},
		     (float[]){-1, -1, -1}, want);
	for (int j = 0; j < 5; j++)
		ck_assert_msg(got[j] == want[j], "out[%d] = %g, want %g", j,
			      got[j], want[j]);
	expect(L("v=(1,2,3) k=1 w=1"),
	       "err EINVAL: launch: v='(1,2,3)' has fewer values than the "
	       "vector's lanes (f32x4)",
	       NULL);
	expect(L("v=(1,2,3,4,5) k=1 w=1"),
	       "err EINVAL: launch: v='(1,2,3,4,5)' has more values than the "
	       "vector's lanes (f32x4)",
	       NULL);
	expect(L("v=1 k=1 w=(1,2,3,4)"),
	       "err EINVAL: launch: w='(1,2,3,4)' has more values", NULL);
	expect(L("v=1 k=(1,2.5) w=1"),
	       "err EINVAL: launch: k='(1,2.5)' is not an integer (i32x2)",
	       NULL);
	expect(L("v=1 k=1"),
	       "err EINVAL: launch: kernel vec: parameter 'w' is not given",
	       NULL);
	expect(L("v=1 k=1 w=1 v.s0=2"),
	       "err EINVAL: launch: 'v.s0' is not a parameter name", NULL);
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

static const char two_kernels_cl[] =
    "__kernel void one(__global float *y) { y[get_global_id(0)] = 1.0f; }\n"
    "__kernel void two(__global float *y) { y[get_global_id(0)] = 2.0f; }\n";

/*
 * A cached launch takes its program's size from the daemon's own record
 * while nobody has the buffer open (buffer_size_of): a write through an
 * open file (passthrough, unseen by the daemon) and a truncate by path
 * must still be seen by the next launch, and a permission taken away
 * between two cached launches refuses the second.
 */
START_TEST(program_and_buffer_change_between_cached_launches)
{
	const char *pc = two_kernels_cl;
	size_t first = (size_t)(strchr(pc, '\n') + 1 - pc);
	cp_in("p.cl", pc, first); /* kernel one only */
	make_floats("y", 16, 0644, BOB);
	for (int i = 0; i < 3; i++) /* its size kept after the first */
		expect("launch prog=p.cl kernel=one global=16 y=y", BOUND,
		       NULL);
	expect("launch prog=p.cl kernel=two global=16 y=y", "err EINVAL",
	       "has no kernel 'two'");
	/* grown through an open file: the daemon learns it at the open */
	int fd = open(mem_path(&d, "p.cl"), O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, pc + first, strlen(pc) - first),
			 (ssize_t)(strlen(pc) - first));
	close(fd);
	/* the close's release reaches the daemon later: launches after it
	 * too, when its size may be kept again */
	for (int i = 0; i < 5; i++) {
		expect("launch prog=p.cl kernel=two global=16 y=y", BOUND,
		       NULL);
		usleep(20000);
	}
	float y[16];
	read_floats("y", y, 16);
	ck_assert_float_eq(y[15], 2.0f);
	/* cut back by path (a setattr, no open): kernel two is gone */
	ck_assert_int_eq(truncate(mem_path(&d, "p.cl"), (off_t)first), 0);
	expect("launch prog=p.cl kernel=two global=16 y=y", "err EINVAL",
	       "has no kernel 'two'");
	expect("launch prog=p.cl kernel=one global=16 y=y", BOUND, NULL);
	/* bob's launches, cached; then y is no longer his to write */
	expect_as_bob("launch prog=p.cl kernel=one global=16 y=y", BOUND, NULL);
	expect_as_bob("launch prog=p.cl kernel=one global=16 y=y", BOUND, NULL);
	ck_assert_int_eq(chmod(mem_path(&d, "y"), 0444), 0);
	expect_as_bob("launch prog=p.cl kernel=one global=16 y=y",
		      "err EACCES: launch: y: permission denied", NULL);
}
END_TEST

/*
 * The cache compares a launch's program with the last one used before it
 * hashes (program_get): two programs of the same length and kernel name,
 * launched in turns, each run its own code, and neither is compiled again.
 */
START_TEST(same_length_programs_in_turns)
{
	static const char one[] = "__kernel void k(__global float *y) { "
				  "y[get_global_id(0)] = 1.0f; }\n";
	char two[sizeof(one)];
	memcpy(two, one, sizeof(one));
	strstr(two, "1.0f")[0] = '2';
	cp_in("a.cl", one, strlen(one));
	cp_in("b.cl", two, strlen(two));
	make_floats("y", 16, 0644, 0);
	expect("build prog=a.cl", "ok", NULL);
	expect("build prog=b.cl", "ok", NULL);
	double compiled = stats_value(&d, "programs_compiled");
	for (int i = 0; i < 4; i++) {
		const char *prog = i % 2 ? "b.cl" : "a.cl";
		char line[128];
		snprintf(line, sizeof(line),
			 "launch prog=%s kernel=k global=16 y=y", prog);
		for (int rep = 0; rep < 2; rep++) /* the last one, then not */
			expect(line, BOUND, NULL);
		float y[16];
		read_floats("y", y, 16);
		ck_assert_float_eq(y[15], i % 2 ? 2.0f : 1.0f);
	}
	ck_assert_double_eq(stats_value(&d, "programs_compiled"), compiled);
}
END_TEST

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

/* Bob sees his own kernels only; 0 when so. */
static int bob_reads_stats(void)
{
	const char *stats = slurp(dpath(&d, "stats"));
	if (!strstr(stats, "saxpy") &&
	    strstr(stats, "\nprogram.4002.p.cl:wx count=1 "))
		return 0;
	fprintf(stderr, "bob's stats: %s\n", stats);
	return 1;
}

/* Users' kernels by user, program and kernel in stats and metrics, each
 * user seeing their own. */
START_TEST(user_kernels_in_stats)
{
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	make_floats("x", 1024, 0644, 0);
	make_floats("y", 1024, 0644, 0);
	const char *ok = "launch prog=saxpy.cl kernel=saxpy global=1024 a=2 "
			 "x=x y=y n=1024";
	expect(ok, "ok launch", NULL);
	expect(ok, "ok launch", NULL);
	/* failed after its kernel was found: counted as failed */
	expect("launch prog=saxpy.cl kernel=saxpy global=1024 a=2 x=x y=y "
	       "n=1.5",
	       "err EINVAL: ", NULL);
	/* before: under kernel.launch only */
	expect("launch prog=saxpy.cl kernel=nope global=1",
	       "err EINVAL: ", NULL);
	cp_in("p.cl", writes_x_cl, strlen(writes_x_cl));
	make_floats("mine", 16, 0644, BOB);
	expect_as_bob("launch prog=p.cl kernel=wx global=16 x=mine", BOUND,
		      NULL);
	char want[256];
	const char *stats = slurp(dpath(&d, "stats"));
	snprintf(want, sizeof(want),
		 "\nprogram.0.saxpy.cl:saxpy count=3 failed=1 seconds=");
	ck_assert_msg(strstr(stats, want), "stats: %s", stats);
	snprintf(want, sizeof(want), " bytes=%zu\n",
		 2 * (strlen(saxpy_cl) + 2 * 4096));
	ck_assert_msg(strstr(strstr(stats, "program.0.saxpy"), want),
		      "stats: %s", stats);
	ck_assert_msg(strstr(stats, "\nprogram.4002.p.cl:wx count=1 "
				    "failed=0 seconds="),
		      "stats: %s", stats);
	ck_assert_int_eq(stats_value(&d, "kernel.launch.count"), 5);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads_stats), 0);
	const char *metrics = slurp(dpath(&d, "metrics"));
	ck_assert_msg(
	    strstr(metrics, "\nvgpu_user_kernel_commands_total{uid=\"0\","
			    "program=\"saxpy.cl\",kernel=\"saxpy\"} 3\n") &&
		strstr(metrics,
		       "\nvgpu_user_kernel_failures_total{uid=\"4002\","
		       "program=\"p.cl\",kernel=\"wx\"} 0\n"),
	    "metrics: %s", metrics);
	promtool_check(metrics);
}
END_TEST

/* The table of users' kernels is bounded: launches of kernels past its
 * 255 rows count in one "(other)" row. */
START_TEST(user_kernels_table_bounded)
{
	enum { KERNELS = 300, ROWS = 255 };
	static char src[KERNELS * 64];
	size_t n = 0;
	for (int i = 0; i < KERNELS; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n,
				      "__kernel void k%d(__global int *p) "
				      "{ p[0] = %d; }\n",
				      i, i);
	cp_in("many.cl", src, n);
	make_floats("p", 1, 0644, 0);
	for (int i = 0; i < KERNELS; i++) {
		char line[128];
		snprintf(line, sizeof(line),
			 "launch prog=many.cl kernel=k%d global=1 p=p", i);
		expect(line, "ok launch", NULL);
	}
	const char *stats = slurp(dpath(&d, "stats"));
	unsigned rows = 0;
	for (const char *s = stats; (s = strstr(s, "\nprogram.0.many.cl:k"));
	     s++)
		rows++;
	ck_assert_uint_eq(rows, ROWS);
	char want[128];
	snprintf(want, sizeof(want),
		 "\nprogram.0.(other):(other) count=%d failed=0 ",
		 KERNELS - ROWS);
	ck_assert_msg(strstr(stats, want), "stats: %s", stats);
}
END_TEST

/* IR from vgpucc -o straight into mem/, verified and run like source. */
START_TEST(ir_program_runs)
{
	vgpucc_into_mem(&d, saxpy_cl, "saxpy.vir");
	make_floats("x", 256, 0644, 0);
	make_floats("y", 256, 0644, 0);
	expect("launch prog=saxpy.vir kernel=saxpy global=256 a=3 x=x y=y "
	       "n=256",
	       "ok launch", NULL);
	float y[256];
	read_floats("y", y, 256);
	for (unsigned i = 0; i < 256; i++)
		ck_assert(y[i] == 3.0f * (float)i + (float)i);
}
END_TEST

/* The tiles the trace (read from TR) shows finished for saxpy.cl's
 * saxpy. */
static int saxpy_tiles_run(int tr)
{
	static char events[1 << 16];
	ssize_t n = read(tr, events, sizeof(events) - 1);
	ck_assert_int_gt(n, 0);
	events[n] = '\0';
	int tiles = 0;
	for (const char *e = events; (e = strstr(e, "finished ctx=")); e++) {
		const char *end = strchr(e, '\n');
		const char *prog = strstr(e, "program=saxpy.cl:saxpy ");
		tiles += prog && (!end || prog < end);
	}
	return tiles;
}

/* A launch of one work-group runs it in the tile that binds it (no
 * second phase, prog_job.c: two tiles before); of more groups, in the
 * tiles after. Both right. */
START_TEST(one_group_one_tile)
{
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	make_floats("x", 32, 0644, 0);
	make_floats("y", 32, 0644, 0);
	expect("build prog=saxpy.cl", "ok build", NULL);
	int tr = open(dpath(&d, "trace"), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(tr, 0);
	expect("launch prog=saxpy.cl kernel=saxpy global=16 a=2 x=x y=y n=32",
	       "ok launch", NULL);
	ck_assert_int_eq(saxpy_tiles_run(tr), 1);
	expect("launch prog=saxpy.cl kernel=saxpy global=32 local=16 a=1 x=x "
	       "y=y n=32",
	       "ok launch", NULL);
	ck_assert_int_eq(saxpy_tiles_run(tr), 3);
	close(tr);
	float y[32];
	read_floats("y", y, 32);
	for (int i = 0; i < 32; i++)
		ck_assert_float_eq(y[i], i < 16 ? 4.0f * i : 2.0f * i);
}
END_TEST

/* Voluntary context switches of the daemon's thread named COMM. */
static long thread_switches(const char *comm)
{
	pid_t tid;
	ck_assert_uint_eq(daemon_threads_named(&d, comm, &tid, 1), 1);
	FILE *f = daemon_thread_open(&d, tid, "status");
	ck_assert_ptr_nonnull(f);
	char line[128];
	long n = -1;
	while (fgets(line, sizeof(line), f) &&
	       sscanf(line, "voluntary_ctxt_switches: %ld", &n) != 1)
		;
	fclose(f);
	ck_assert_int_ge(n, 0);
	return n;
}

/*
 * Launches of 32 tiles on two workers leave the scheduler's timer asleep:
 * it is woken when every worker runs a user's code only if a command
 * waits that the relief could run, not at every tile (each wake-up took
 * a CPU from a worker: a tenth of saxpy's time, docs/benchmarks.md).
 */
START_TEST(launch_tiles_leave_timer_asleep)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	const char *args[] = {"--vram", "64M", "--workers", "2", NULL};
	daemon_start(&d, args);
	enum { N = 1 << 20 };
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	make_floats("x", N, 0644, 0);
	make_floats("y", N, 0644, 0);
	int tr = open(dpath(&d, "trace"), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(tr, 0);
	expect("launch prog=saxpy.cl kernel=saxpy global=1048576 local=256 "
	       "a=1 x=x y=y n=1048576",
	       "ok launch", NULL);
	ck_assert_int_eq(saxpy_tiles_run(tr), 33); /* its compile, 32 */
	close(tr);
	long before = thread_switches("vgpu-timer");
	for (int i = 0; i < 10; i++)
		expect("launch prog=saxpy.cl kernel=saxpy global=1048576 "
		       "local=256 a=1 x=x y=y n=1048576",
		       "ok launch", NULL);
	long woken = thread_switches("vgpu-timer") - before;
	ck_assert_msg(woken <= 3,
		      "the timer was woken %ld times in 10 launches", woken);
	float y[4];
	read_floats("y", y, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_float_eq(y[i], 12.0f * i);
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

/*
 * The kernels' signatures a build publishes on the program's buffer
 * (user.vgpu.kernels), read as a shell user would (getxattr(2), what
 * getfattr does): buffers, scalars, a __local pointer, a vector, the
 * work-group size a kernel requires; helpers are no kernels.
 */
static const char multi_cl[] =
    "float twice(float v) { return 2 * v; }\n"
    "__kernel void scale(__global float *y, __global const float *x,\n"
    "                    const float a, uint n)\n"
    "{\n"
    "\tsize_t i = get_global_id(0);\n"
    "\tif (i < n)\n"
    "\t\ty[i] = twice(a) * x[i];\n"
    "}\n"
    "__kernel __attribute__((reqd_work_group_size(8, 1, 1)))\n"
    "void gsum(__global const int *in, __local int *tmp,\n"
    "          __global long *out)\n"
    "{\n"
    "\ttmp[get_local_id(0)] = in[get_global_id(0)];\n"
    "\tbarrier(CLK_LOCAL_MEM_FENCE);\n"
    "\tif (get_local_id(0) == 0)\n"
    "\t\tout[get_group_id(0)] = tmp[0] + tmp[7];\n"
    "}\n"
    "__kernel void shift(__global float4 *p, float4 d,\n"
    "                    __constant short *c, char k, double w)\n"
    "{\n"
    "\tp[get_global_id(0)] += d * (float)(c[0] + k + w);\n"
    "}\n";

static const char multi_sigs[] =
    "scale y:buffer:-:1:global:rw x:buffer:-:1:global:ro "
    "a:scalar:f32:1:private:ro n:scalar:i32:1:private:ro\n"
    "gsum in:buffer:-:1:global:ro tmp:local:-:1:local:rw "
    "out:buffer:-:1:global:rw reqd_work_group_size=8,1,1\n"
    "shift p:buffer:-:1:global:rw d:scalar:f32:4:private:ro "
    "c:buffer:-:1:constant:ro k:scalar:i8:1:private:ro "
    "w:scalar:f64:1:private:ro\n";

/* user.vgpu.kernels of mem/NAME into BUF: its length or -errno. */
static ssize_t read_sigs(const char *name, char *buf, size_t cap)
{
	ssize_t n =
	    getxattr(mem_path(&d, name), "user.vgpu.kernels", buf, cap - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

START_TEST(published_signatures)
{
	char sigs[4096];
	cp_in("multi.cl", multi_cl, strlen(multi_cl));
	/* none before a build */
	ck_assert_int_eq(read_sigs("multi.cl", sigs, sizeof(sigs)), -ENODATA);
	expect("build prog=multi.cl", "ok", NULL);
	ck_assert_int_eq(read_sigs("multi.cl", sigs, sizeof(sigs)),
			 (ssize_t)strlen(multi_sigs));
	ck_assert_str_eq(sigs, multi_sigs);
	/* listed with the tier, and too small a buffer is ERANGE */
	char names[256];
	ssize_t n = listxattr(mem_path(&d, "multi.cl"), names, sizeof(names));
	ck_assert_int_gt(n, 0);
	ck_assert(memmem(names, (size_t)n, "user.vgpu.kernels", 18) != NULL);
	ck_assert_int_eq(read_sigs("multi.cl", sigs, 10), -ERANGE);
	/* the daemon's alone to set */
	ck_assert_int_eq(
	    setxattr(mem_path(&d, "multi.cl"), "user.vgpu.kernels", "x", 1, 0),
	    -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(
	    removexattr(mem_path(&d, "multi.cl"), "user.vgpu.kernels"), -1);
	ck_assert_int_eq(errno, EPERM);
	/* a launch (the cached program) publishes the same */
	cp_in("saxpy.cl", saxpy_cl, strlen(saxpy_cl));
	expect("launch prog=saxpy.cl kernel=saxpy global=1 a=1 x=saxpy.cl "
	       "y=multi.cl n=0",
	       "ok", NULL);
	ck_assert_int_gt(read_sigs("saxpy.cl", sigs, sizeof(sigs)), 0);
	ck_assert_str_eq(sigs, "saxpy a:scalar:f32:1:private:ro "
			       "x:buffer:-:1:global:ro y:buffer:-:1:global:rw "
			       "n:scalar:i32:1:private:ro\n");
}
END_TEST

/* A program that fails to build has none; another user reads them only
 * if the program is readable to him, and cannot change them. */
static int bob_reads_sigs(void)
{
	char sigs[4096];
	ssize_t n = read_sigs("multi.cl", sigs, sizeof(sigs));
	if (n != -EACCES) {
		fprintf(stderr, "bob read the signatures: %zd\n", n);
		return 1;
	}
	return 0;
}

static int bob_reads_open_sigs(void)
{
	char sigs[4096];
	ssize_t n = read_sigs("multi.cl", sigs, sizeof(sigs));
	return n == (ssize_t)strlen(multi_sigs) && !strcmp(sigs, multi_sigs)
		   ? 0
		   : 1;
}

START_TEST(signatures_hostile)
{
	char sigs[4096];
	cp_in("multi.cl", multi_cl, strlen(multi_cl));
	expect("build prog=multi.cl", "ok", NULL);
	ck_assert_int_gt(read_sigs("multi.cl", sigs, sizeof(sigs)), 0);
	/* a failed build takes them away */
	static const char bad[] = "__kernel void k(__global int *p)\n"
				  "{ p[0] = nothing; }\n";
	cp_in("multi.cl", bad, strlen(bad));
	expect("build prog=multi.cl", "err EINVAL: ", NULL);
	ck_assert_int_eq(read_sigs("multi.cl", sigs, sizeof(sigs)), -ENODATA);
	cp_in("bad.cl", bad, strlen(bad));
	expect("build prog=bad.cl", "err EINVAL: ", NULL);
	ck_assert_int_eq(read_sigs("bad.cl", sigs, sizeof(sigs)), -ENODATA);
	/* a 0600 program's signatures are its owner's */
	cp_in("multi.cl", multi_cl, strlen(multi_cl));
	expect("build prog=multi.cl", "ok", NULL);
	ck_assert_int_eq(chmod(mem_path(&d, "multi.cl"), 0600), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads_sigs), 0);
	/* readable: bob reads them, but his build of a tail of it (another
	 * program) publishes nothing on a buffer he may not write */
	ck_assert_int_eq(chmod(mem_path(&d, "multi.cl"), 0644), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads_open_sigs), 0);
	char line[128];
	snprintf(line, sizeof(line), "build prog=multi.cl+%zu",
		 (size_t)(strstr(multi_cl, "__kernel void shift") - multi_cl));
	expect_as_bob(line, "ok", NULL);
	ck_assert_int_eq(read_sigs("multi.cl", sigs, sizeof(sigs)),
			 (ssize_t)strlen(multi_sigs));
	ck_assert_str_eq(sigs, multi_sigs);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    build_ok_then_cached,
	    build_errors,
	    build_unreadable_program,
	    launch_binding_errors,
	    launch_values,
	    launch_vectors,
	    launch_permissions,
	    program_and_buffer_change_between_cached_launches,
	    same_length_programs_in_turns,
	    saxpy_runs,
	    one_group_one_tile,
	    launch_tiles_leave_timer_asleep,
	    user_kernels_in_stats,
	    user_kernels_table_bounded,
	    ir_program_runs,
	    killed_client_stops_its_kernel,
	    published_signatures,
	    signatures_hostile,
	};
	return run_suite(suite_with_daemon("launch", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
