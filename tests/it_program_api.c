/*
 * User kernels launched through the binary protocol: libvgpu's
 * vgpu_program_load/_build and vgpu_launch_kernel on a ring and on the
 * queue file (saxpy, a group sum with __local memory and a vector
 * parameter, each against a C reference), compile errors, bad parameters
 * and permissions as completions, and hostile launch packets written raw.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpu/vgpu.h>
#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>

#include "harness.h"

static struct daemon_proc d;
static vgpu_device *dev;

static const char saxpy_cl[] =
    "__kernel void saxpy(float a, __global const float *x,\n"
    "                    __global float *y, int n)\n"
    "{\n"
    "\tint i = get_global_id(0);\n"
    "\tif (i < n)\n"
    "\t\ty[i] = a * x[i] + y[i];\n"
    "}\n";

/*
 * Each group's sum of IN times SCALE, through __local. (Vector
 * parameters: the IR splits them into lanes today, h/kstats binds them.)
 */
static const char gsum_cl[] =
    "__kernel void gsum(__global const float *in, __global float *out,\n"
    "                   __local float *tmp, float scale)\n"
    "{\n"
    "\tsize_t l = get_local_id(0), n = get_local_size(0);\n"
    "\ttmp[l] = in[get_global_id(0)];\n"
    "\tbarrier(CLK_LOCAL_MEM_FENCE);\n"
    "\tfor (size_t s = n / 2; s > 0; s /= 2) {\n"
    "\t\tif (l < s)\n"
    "\t\t\ttmp[l] += tmp[l + s];\n"
    "\t\tbarrier(CLK_LOCAL_MEM_FENCE);\n"
    "\t}\n"
    "\tif (l == 0)\n"
    "\t\tout[get_group_id(0)] = tmp[0] * scale;\n"
    "}\n";

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
}

static void teardown(void)
{
	vgpu_close(dev);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static vgpu_buffer *new_buffer(const char *name, size_t size, void **map)
{
	vgpu_buffer *b;
	ck_assert_int_eq(vgpu_buffer_create(dev, name, size, 0644, &b), 0);
	ck_assert_int_eq(vgpu_buffer_map(b, map), 0);
	return b;
}

/* A stream on a ring (RING) or on the queue file. */
static vgpu_stream *new_stream(bool ring)
{
	vgpu_stream *s;
	setenv("VGPU_RING", ring ? "1" : "0", 1);
	ck_assert_int_eq(vgpu_stream_create(dev, &s), 0);
	unsetenv("VGPU_RING");
	ck_assert_int_eq(vgpu_stream_uses_ring(s), ring);
	return s;
}

static vgpu_buffer *load(const char *name, const char *src)
{
	vgpu_buffer *p;
	ck_assert_int_eq(vgpu_program_load(dev, name, src, strlen(src), &p), 0);
	return p;
}

#define assert_message(x, want)                                                \
	ck_assert_msg(strstr(vgpu_last_message(x), want),                      \
		      "message '%s', want '%s'", vgpu_last_message(x), want)

enum { N = 1000, G = 1024, L = 64 };

static void saxpy_on(bool ring)
{
	vgpu_stream *s = new_stream(ring);
	vgpu_buffer *prog = load(ring ? "saxpy_r.cl" : "saxpy_q.cl", saxpy_cl);
	float *x, *y, want[N];
	vgpu_buffer *bx = new_buffer(NULL, N * 4, (void **)&x);
	vgpu_buffer *by = new_buffer(NULL, N * 4, (void **)&y);
	for (int i = 0; i < N; i++) {
		x[i] = (float)i * 0.5f;
		y[i] = (float)(N - i);
		want[i] = 3.0f * x[i] + y[i];
	}
	vgpu_ndrange nd = {.dims = 1, .global = {N}};
	vgpu_karg args[] = {VGPU_KFLOAT("a", 3.0), VGPU_KBUF("x", bx, 0),
			    VGPU_KBUF("y", by, 0), VGPU_KINT("n", N)};
	int64_t c = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, 4);
	ck_assert_int_gt(c, 0);
	ck_assert_msg(vgpu_wait(s, c) == 0, "%s", vgpu_last_message(s));
	for (int i = 0; i < N; i++)
		ck_assert_float_eq(y[i], want[i]);
	vgpu_buffer_close(bx);
	vgpu_buffer_close(by);
	vgpu_buffer_close(prog);
	vgpu_stream_destroy(s);
}

START_TEST(saxpy_ring_and_queue)
{
	saxpy_on(true);
	saxpy_on(false);
}
END_TEST

static void gsum_on(bool ring)
{
	vgpu_stream *s = new_stream(ring);
	vgpu_buffer *prog = load(NULL, gsum_cl);
	char msg[256];
	ck_assert_msg(vgpu_program_build(prog, msg, sizeof(msg)) == 0, "%s",
		      msg);
	float *in, *out;
	vgpu_buffer *bi = new_buffer(NULL, G * 4, (void **)&in);
	vgpu_buffer *bo = new_buffer(NULL, (G / L + 1) * 4, (void **)&out);
	for (int i = 0; i < G; i++)
		in[i] = (float)(i % 7);
	/* out at an offset of one float: the offset is taken */
	vgpu_ndrange nd = {.dims = 1, .global = {G}, .local = {L}};
	vgpu_karg args[] = {VGPU_KBUF("in", bi, 0), VGPU_KBUF("out", bo, 4),
			    VGPU_KLOCAL("tmp", L * 4),
			    VGPU_KFLOAT("scale", 2.0)};
	int64_t c = vgpu_launch_kernel(s, prog, "gsum", &nd, args, 4);
	ck_assert_int_gt(c, 0);
	ck_assert_msg(vgpu_wait(s, c) == 0, "%s", vgpu_last_message(s));
	ck_assert_float_eq(out[0], 0.0f);
	for (int g = 0; g < G / L; g++) {
		float sum = 0;
		for (int i = 0; i < L; i++)
			sum += in[g * L + i];
		ck_assert_float_eq(out[1 + g], sum * 2.0f);
	}
	vgpu_buffer_close(bi);
	vgpu_buffer_close(bo);
	vgpu_buffer_close(prog);
	vgpu_stream_destroy(s);
}

START_TEST(local_memory_ring_and_queue)
{
	gsum_on(true);
	gsum_on(false);
}
END_TEST

START_TEST(compile_error_message)
{
	vgpu_buffer *prog =
	    load("bad.cl", "__kernel void k(__global int *p)\n{\n\tp[0] = "
			   "undeclared;\n}\n");
	char msg[256];
	ck_assert_int_eq(vgpu_program_build(prog, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "bad.cl:3:") && strstr(msg, "error"),
		      "message '%s'", msg);
	assert_message(dev, "undeclared");
	/* and a launch of it fails the same way, batched */
	vgpu_stream *s = new_stream(true);
	vgpu_ndrange nd = {.dims = 1, .global = {1}};
	int64_t c = vgpu_launch_kernel(s, prog, "k", &nd, NULL, 0);
	ck_assert_int_eq(vgpu_wait(s, c), -EINVAL);
	assert_message(s, "bad.cl:3:");
	vgpu_stream_destroy(s);
	vgpu_buffer_close(prog);
}
END_TEST

/* Launches saxpy with ARGS and checks the status and message. */
static void bad_launch(vgpu_stream *s, vgpu_buffer *prog, const vgpu_karg *args,
		       size_t n, int want, const char *msg)
{
	vgpu_ndrange nd = {.dims = 1, .global = {4}};
	int64_t c = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, n);
	ck_assert_int_gt(c, 0);
	ck_assert_int_eq(vgpu_wait(s, c), want);
	assert_message(s, msg);
}

START_TEST(bad_parameters)
{
	vgpu_stream *s = new_stream(true);
	vgpu_buffer *prog = load("saxpy.cl", saxpy_cl);
	float *x;
	vgpu_buffer *b = new_buffer("x", 64, (void **)&x);
	vgpu_karg missing[] = {VGPU_KFLOAT("a", 1), VGPU_KBUF("x", b, 0),
			       VGPU_KBUF("y", b, 0)};
	bad_launch(s, prog, missing, 3, -EINVAL,
		   "kernel saxpy: parameter 'n' is not given");
	vgpu_karg unknown[] = {VGPU_KFLOAT("a", 1), VGPU_KBUF("x", b, 0),
			       VGPU_KBUF("y", b, 0), VGPU_KINT("n", 4),
			       VGPU_KINT("m", 4)};
	bad_launch(s, prog, unknown, 5, -EINVAL,
		   "kernel saxpy has no parameter 'm'");
	vgpu_karg not_buf[] = {VGPU_KFLOAT("a", 1), VGPU_KFLOAT("x", 2),
			       VGPU_KBUF("y", b, 0), VGPU_KINT("n", 4)};
	bad_launch(s, prog, not_buf, 4, -EINVAL,
		   "x is a __global or __constant pointer: it takes a buffer, "
		   "not floats");
	vgpu_karg buf_for_scalar[] = {VGPU_KBUF("a", b, 0),
				      VGPU_KBUF("x", b, 0),
				      VGPU_KBUF("y", b, 0), VGPU_KINT("n", 4)};
	bad_launch(s, prog, buf_for_scalar, 4, -EINVAL,
		   "a is a scalar or vector: it takes numbers, not a buffer");
	vgpu_karg float_for_int[] = {VGPU_KFLOAT("a", 1), VGPU_KBUF("x", b, 0),
				     VGPU_KBUF("y", b, 0),
				     VGPU_KFLOAT("n", 2.5)};
	bad_launch(s, prog, float_for_int, 4, -EINVAL, "n='2.5'");
	vgpu_karg too_big[] = {VGPU_KFLOAT("a", 1), VGPU_KBUF("x", b, 0),
			       VGPU_KBUF("y", b, 0), VGPU_KINT("n", 1ll << 40)};
	bad_launch(s, prog, too_big, 4, -ERANGE, "n='1099511627776'");
	vgpu_karg vec[] = {VGPU_KFLOATV("a", 4, 1, 2, 3, 4),
			   VGPU_KBUF("x", b, 0), VGPU_KBUF("y", b, 0),
			   VGPU_KINT("n", 4)};
	bad_launch(s, prog, vec, 4, -EINVAL, "a='(1,2,3,4)'");
	/* what the library itself refuses: no id used */
	vgpu_karg twice[] = {VGPU_KINT("n", 1), VGPU_KINT("n", 2)};
	vgpu_ndrange nd = {.dims = 1, .global = {4}};
	ck_assert_int_eq(vgpu_launch_kernel(s, prog, "saxpy", &nd, twice, 2),
			 -EINVAL);
	assert_message(s, "n given twice");
	vgpu_ndrange nd4 = {.dims = 4, .global = {4}};
	ck_assert_int_eq(vgpu_launch_kernel(s, prog, "saxpy", &nd4, NULL, 0),
			 -EINVAL);
	vgpu_karg lanes[] = {VGPU_KFLOATV("a", 5, 1, 2, 3, 4, 5)};
	ck_assert_int_eq(vgpu_launch_kernel(s, prog, "saxpy", &nd, lanes, 1),
			 -EINVAL);
	assert_message(s, "5 lanes");
	vgpu_buffer_close(b);
	vgpu_buffer_close(prog);
	vgpu_stream_destroy(s);
}
END_TEST

enum { OTHER_UID = 4321 };

/* As another user: saxpy may read x (0644) but not write y. */
static int other_user(void)
{
	vgpu_device *od;
	vgpu_stream *s;
	vgpu_buffer *prog, *x, *y;
	if (vgpu_open(d.mnt, &od) < 0 || vgpu_stream_create(od, &s) < 0 ||
	    vgpu_buffer_open(od, "x", VGPU_READ, &x) < 0 ||
	    vgpu_buffer_open(od, "y", VGPU_READ, &y) < 0 ||
	    vgpu_buffer_open(od, "saxpy.cl", VGPU_READ, &prog) < 0)
		return 10;
	vgpu_ndrange nd = {.dims = 1, .global = {4}};
	vgpu_karg args[] = {VGPU_KFLOAT("a", 1), VGPU_KBUF("x", x, 0),
			    VGPU_KBUF("y", y, 0), VGPU_KINT("n", 4)};
	int64_t c = vgpu_launch_kernel(s, prog, "saxpy", &nd, args, 4);
	if (vgpu_wait(s, c) != -EACCES)
		return 11;
	if (!strstr(vgpu_last_message(s), "y: permission denied: you may "
					  "not read and write"))
		return 12;
	vgpu_buffer_close(prog);
	vgpu_buffer_close(x);
	vgpu_buffer_close(y);
	vgpu_stream_destroy(s);
	vgpu_close(od);
	return 0;
}

START_TEST(buffer_not_writable)
{
	float *x, *y;
	vgpu_buffer *prog = load("saxpy.cl", saxpy_cl);
	vgpu_buffer *bx = new_buffer("x", 16, (void **)&x);
	vgpu_buffer *by = new_buffer("y", 16, (void **)&y);
	y[0] = 7;
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) < 0 ||
		    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) < 0)
			_exit(100);
		_exit(other_user());
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_float_eq(y[0], 7.0f); /* untouched */
	vgpu_buffer_close(prog);
	vgpu_buffer_close(bx);
	vgpu_buffer_close(by);
}
END_TEST

/* A launch of saxpy on x (N floats) with a=2, n=N, y, then param LAST. */
static size_t launch_packet(char *p, uint64_t prog, uint64_t x, uint64_t y,
			    size_t *last)
{
	size_t cap = VGPU_BIN_PACKET_MAX;
	uint64_t g = 8;
	double a = 2;
	int64_t n = 8;
	struct vgpu_bin_buf bx = {x, 0}, by = {y, 0};
	ck_assert_int_eq(vgpu_bin_begin(p, cap, VGPU_K_LAUNCH, 1), 0);
	ck_assert_int_eq(vgpu_bin_put_buf(p, cap, LAUNCH_PROG, prog, 0), 0);
	ck_assert_int_eq(vgpu_bin_put_name(p, cap, LAUNCH_KERNEL, "saxpy"), 0);
	ck_assert_int_eq(vgpu_bin_put_dims(p, cap, LAUNCH_GLOBAL, 1, &g), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_param(p, cap, "a", VGPU_BIN_PARAM_FLOAT, 1, &a), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_param(p, cap, "x", VGPU_BIN_PARAM_BUF, 1, &bx), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_param(p, cap, "y", VGPU_BIN_PARAM_BUF, 1, &by), 0);
	*last = vgpu_bin_size(p);
	ck_assert_int_eq(
	    vgpu_bin_put_param(p, cap, "n", VGPU_BIN_PARAM_INT, 1, &n), 0);
	return vgpu_bin_size(p);
}

static struct vgpu_bin_header *hdr(char *p)
{
	return (struct vgpu_bin_header *)(void *)p;
}

/* Writes packet P (SIZE bytes) and checks its completion. */
static void send_expect(int q, const char *p, size_t size, int status,
			const char *msg)
{
	ck_assert_int_eq(write(q, p, size), (ssize_t)size);
	struct vgpu_bin_completion c;
	ck_assert_int_eq(read(q, &c, sizeof(c)), (ssize_t)sizeof(c));
	ck_assert_msg(c.status == status && strstr(c.msg, msg),
		      "status %d '%s', want %d '%s'", c.status, c.msg, status,
		      msg);
}

START_TEST(hostile_launch_packets)
{
	vgpu_buffer *prog = load("saxpy.cl", saxpy_cl);
	float *x, *y;
	vgpu_buffer *bx = new_buffer("x", 32, (void **)&x);
	vgpu_buffer *by = new_buffer("y", 32, (void **)&y);
	for (int i = 0; i < 8; i++)
		x[i] = (float)i, y[i] = 1;
	int q = queue_open(&d, 0);
	ck_assert_int_eq(write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN),
			 VGPU_BIN_MAGIC_LEN);
	uint64_t hp = vgpu_buffer_handle(prog), hx = vgpu_buffer_handle(bx),
		 hy = vgpu_buffer_handle(by);
	static char p[VGPU_BIN_PACKET_MAX];
	size_t last, size = launch_packet(p, hp, hx, hy, &last);
	char *rec = p + last; /* arg header, param header, name, value */

	hdr(p)->nargs++; /* counts past the end */
	send_expect(q, p, size, -EINVAL, "argument 8 of 8 runs past");
	hdr(p)->nargs--;
	hdr(p)->size -= 8; /* the last value cut short */
	send_expect(q, p, size - 8, -EINVAL, "run past the packet's end");
	hdr(p)->size += 8;
	uint32_t len, huge = 0xfffffff8u;
	memcpy(&len, rec + 4, 4);
	memcpy(rec + 4, &huge, 4); /* a huge length */
	send_expect(q, p, size, -EINVAL, "4294967288 bytes run past");
	memcpy(rec + 4, &len, 4);
	rec[10] = (char)200; /* name_len past the record */
	send_expect(q, p, size, -EINVAL, "is not a C identifier");
	rec[10] = 1;
	rec[9] = 17; /* lanes */
	send_expect(q, p, size, -EINVAL, "17 lanes");
	rec[9] = 1;
	rec[8] = 9; /* kind */
	send_expect(q, p, size, -EINVAL, "unknown kind 9");
	rec[8] = VGPU_BIN_PARAM_INT;
	rec[16] = 'y'; /* a name twice */
	send_expect(q, p, size, -EINVAL, "parameter 'y' is given twice");
	rec[16] = '9';
	send_expect(q, p, size, -EINVAL, "is not a C identifier");
	rec[16] = 'n';
	rec[8] = VGPU_BIN_PARAM_BUF; /* a buffer of 8 bytes */
	send_expect(q, p, size, -EINVAL, "value of 8 bytes, its kind takes 16");
	rec[8] = VGPU_BIN_PARAM_INT;

	/* global with 4 sizes */
	static char p2[VGPU_BIN_PACKET_MAX];
	uint64_t dims[4] = {8, 1, 1, 1};
	size_t cap = sizeof(p2);
	vgpu_bin_begin(p2, cap, VGPU_K_LAUNCH, 2);
	vgpu_bin_put_buf(p2, cap, LAUNCH_PROG, hp, 0);
	vgpu_bin_put_name(p2, cap, LAUNCH_KERNEL, "saxpy");
	ck_assert_int_eq(vgpu_bin_put_dims(p2, cap, LAUNCH_GLOBAL, 4, dims),
			 -EINVAL);
	vgpu_bin_put_dims(p2, cap, LAUNCH_GLOBAL, 3, dims);
	memcpy(p2 + vgpu_bin_size(p2) - 24 - 4, &(uint32_t){32}, 4);
	send_expect(q, p2, vgpu_bin_size(p2), -EINVAL,
		    "its 32 bytes run past the packet's end");
	memcpy(p2 + vgpu_bin_size(p2) - 24 - 4, &(uint32_t){24}, 4);
	dims[1] = 1ull << 63;
	memcpy(p2 + vgpu_bin_size(p2) - 16, &dims[1], 8);
	send_expect(q, p2, vgpu_bin_size(p2), -ERANGE, "is not in [0,");

	/* more parameters than a kernel has: refused by count */
	vgpu_bin_begin(p2, cap, VGPU_K_LAUNCH, 3);
	vgpu_bin_put_buf(p2, cap, LAUNCH_PROG, hp, 0);
	vgpu_bin_put_name(p2, cap, LAUNCH_KERNEL, "saxpy");
	vgpu_bin_put_dims(p2, cap, LAUNCH_GLOBAL, 1, dims);
	char name[16];
	for (unsigned i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ck_assert_int_eq(vgpu_bin_put_param(p2, cap, name,
						    VGPU_BIN_PARAM_LOCAL, 1,
						    &(uint64_t){4}),
				 0);
	}
	send_expect(q, p2, vgpu_bin_size(p2), -E2BIG,
		    "more than 64 kernel parameters");
	/* a parameter for a kernel that takes none */
	vgpu_bin_begin(p2, cap, VGPU_K_BUILD, 4);
	vgpu_bin_put_buf(p2, cap, 0, hp, 0);
	vgpu_bin_put_param(p2, cap, "a", VGPU_BIN_PARAM_LOCAL, 1,
			   &(uint64_t){4});
	send_expect(q, p2, vgpu_bin_size(p2), -EINVAL,
		    "build: takes no kernel parameters");

	/* and the daemon still serves: the packet itself runs */
	send_expect(q, p, size, 0, "");
	for (int i = 0; i < 8; i++)
		ck_assert_float_eq(y[i], 2.0f * (float)i + 1.0f);
	close(q);
	vgpu_buffer_close(prog);
	vgpu_buffer_close(bx);
	vgpu_buffer_close(by);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    saxpy_ring_and_queue,  local_memory_ring_and_queue,
	    compile_error_message, bad_parameters,
	    buffer_not_writable,   hostile_launch_packets,
	};
	return run_suite(suite_with_daemon("program_api", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
