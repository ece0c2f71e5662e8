/*
 * libvgpu against the real device: opening and info, buffers (create,
 * open, map, resize, remove, list), streams and launches with their
 * errors, waits on one command, on many and on a whole stream, a long
 * batch through the daemon's back-pressure, epoll readiness, text
 * commands, and what happens when the device goes away.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpu/vgpu.h>

#include "harness.h"

static struct daemon_proc d;
static vgpu_device *dev;

static void start(const char *const args[])
{
	d.mnt[0] = '\0';
	daemon_start(&d, args);
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
}

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	start(args);
}

static void teardown(void)
{
	vgpu_close(dev);
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* A new buffer of SIZE bytes, mapped at *MAP when MAP is not NULL. */
static vgpu_buffer *new_buffer(const char *name, size_t size, void **map)
{
	vgpu_buffer *b;
	ck_assert_int_eq(vgpu_buffer_create(dev, name, size, 0644, &b), 0);
	if (map)
		ck_assert_int_eq(vgpu_buffer_map(b, map), 0);
	return b;
}

static vgpu_stream *new_stream(void)
{
	vgpu_stream *s;
	ck_assert_int_eq(vgpu_stream_create(dev, &s), 0);
	return s;
}

#define assert_message(x, want)                                                \
	ck_assert_msg(strstr(vgpu_last_message(x), want),                      \
		      "message '%s', want '%s'", vgpu_last_message(x), want)

START_TEST(open_and_info)
{
	ck_assert_str_eq(vgpu_device_path(dev), d.mnt);
	ck_assert_str_eq(vgpu_version(), "0.1.0");
	vgpu_info info;
	ck_assert_int_eq(vgpu_info_get(dev, &info), 0);
	ck_assert_str_eq(info.name, strrchr(d.mnt, '/') + 1);
	ck_assert(info.version[0] != '\0');
	ck_assert_int_eq(info.protocol, 1);
	ck_assert_uint_ge(info.workers, 1);
	ck_assert_uint_eq(info.capacity, 64u << 20);
	ck_assert_str_eq(info.tiers, "ram");
	char kernels[4096];
	ck_assert_int_eq(
	    vgpu_info_value(dev, "kernels", kernels, sizeof(kernels)), 0);
	ck_assert(strncmp(kernels, "nop fill copy", 13) == 0);
	unsigned words = 0;
	for (char *w = strtok(kernels, " "); w; w = strtok(NULL, " "))
		words++;
	ck_assert_uint_eq(info.kernels, words);
	char v[16];
	ck_assert_int_eq(
	    vgpu_info_value(dev, "tier.ram.capacity", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "67108864");
	ck_assert_int_eq(vgpu_info_value(dev, "nosuch", v, sizeof(v)), -ENOENT);
	assert_message(dev, "info has no key 'nosuch'");
	ck_assert_int_eq(vgpu_info_value(dev, "kernels", v, sizeof(v)),
			 -ERANGE);
	/* Used memory counts buffers. */
	vgpu_buffer *b = new_buffer("u", 1 << 20, NULL);
	ck_assert_int_eq(vgpu_info_get(dev, &info), 0);
	ck_assert_uint_ge(info.used, 1 << 20);
	vgpu_buffer_close(b);

	/* $VGPU_DEVICE, then the default path */
	vgpu_device *other;
	setenv("VGPU_DEVICE", d.mnt, 1);
	ck_assert_int_eq(vgpu_open(NULL, &other), 0);
	ck_assert_str_eq(vgpu_device_path(other), d.mnt);
	vgpu_close(other);
	unsetenv("VGPU_DEVICE");
	if (access(VGPU_DEFAULT_DEVICE, F_OK) != 0) {
		ck_assert_int_eq(vgpu_open(NULL, &other), -ENOENT);
		ck_assert_ptr_null(other);
		assert_message((vgpu_device *)NULL, VGPU_DEFAULT_DEVICE);
	}
	/* not a device */
	char plain[] = "/tmp/vgpu-plain-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(plain));
	ck_assert_int_eq(vgpu_open(plain, &other), -ENODEV);
	assert_message((vgpu_device *)NULL, "is not a vgpufs device");
	rmdir(plain);
	ck_assert_int_eq(vgpu_open("/nonexistent/vgpu", &other), -ENOENT);
	assert_message((vgpu_device *)NULL, "/nonexistent/vgpu");
}
END_TEST

START_TEST(buffers)
{
	void *map;
	vgpu_buffer *b;
	ck_assert_int_eq(vgpu_buffer_create(dev, "a", 4096, 0640, &b), 0);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/a"), &st), 0);
	ck_assert_uint_eq(vgpu_buffer_handle(b), st.st_ino);
	mode_t mask = umask(0);
	umask(mask);
	ck_assert_int_eq(st.st_mode & 0777, 0640 & ~mask);
	ck_assert_str_eq(vgpu_buffer_name(b), "a");
	ck_assert_int_eq(vgpu_buffer_size(b), 4096);
	vgpu_buffer *again;
	ck_assert_int_eq(vgpu_buffer_create(dev, "a", 16, 0600, &again),
			 -EEXIST);
	ck_assert_ptr_null(again);
	assert_message(dev, "mem/a: File exists");

	/* grow, map: the mapping is the buffer */
	ck_assert_int_eq(vgpu_buffer_resize(b, 8192), 0);
	ck_assert_int_eq(vgpu_buffer_size(b), 8192);
	ck_assert_int_eq(vgpu_buffer_map(b, &map), 0);
	void *map2;
	ck_assert_int_eq(vgpu_buffer_map(b, &map2), 0);
	ck_assert_ptr_eq(map, map2);
	memcpy((char *)map + 8000, "hello", 5);
	char got[5];
	ck_assert_int_eq(pread(vgpu_buffer_fd(b), got, 5, 8000), 5);
	ck_assert(memcmp(got, "hello", 5) == 0);
	uint64_t off = 0;
	ck_assert_ptr_eq(vgpu_buffer_at(dev, (char *)map + 100, &off), b);
	ck_assert_uint_eq(off, 100);
	ck_assert_ptr_eq(vgpu_buffer_at(dev, (char *)map + 8191, NULL), b);
	ck_assert_ptr_null(vgpu_buffer_at(dev, (char *)map + 8192, NULL));
	ck_assert_ptr_null(vgpu_buffer_at(dev, &off, NULL));
	ck_assert_int_eq(vgpu_buffer_resize(b, 4096), -EBUSY);
	assert_message(dev, "unmap before shrinking");
	ck_assert_int_eq(vgpu_buffer_resize(b, 1 << 20), 0); /* grow: fine */
	ck_assert_int_eq(vgpu_buffer_unmap(b), 0);
	ck_assert_ptr_null(vgpu_buffer_at(dev, map, NULL));
	ck_assert_int_eq(vgpu_buffer_resize(b, 16), 0);

	/* open the existing one read-only: its data, no writes */
	vgpu_buffer *r;
	ck_assert_int_eq(vgpu_buffer_open(dev, "a", VGPU_READ, &r), 0);
	ck_assert_uint_eq(vgpu_buffer_handle(r), vgpu_buffer_handle(b));
	ck_assert_int_eq(vgpu_buffer_size(r), 16);
	ck_assert_int_eq(vgpu_buffer_map(r, &map), 0);
	ck_assert_int_eq(((char *)map)[0], 0);
	ck_assert_int_eq(write(vgpu_buffer_fd(r), "x", 1), -1);
	ck_assert_int_eq(vgpu_buffer_open(dev, "a", 0, &again), -EINVAL);
	ck_assert_int_eq(vgpu_buffer_open(dev, "nosuch", VGPU_READ, &again),
			 -ENOENT);
	assert_message(dev, "mem/nosuch");
	vgpu_buffer_close(r);

	/* remove: the name goes, the open buffer still works */
	ck_assert_int_eq(vgpu_buffer_remove(dev, "a"), 0);
	ck_assert_int_eq(access(dpath(&d, "mem/a"), F_OK), -1);
	ck_assert_int_eq(vgpu_buffer_size(b), 16);
	ck_assert_int_eq(vgpu_buffer_remove(dev, "a"), -ENOENT);
	vgpu_buffer_close(b);
	vgpu_buffer_close(NULL);

	/* names must stay inside mem/ */
	const char *bad[] = {"",     "/abs", "../info", "x/../y",
			     "a//b", ".",    "x/"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(vgpu_buffer_create(dev, bad[i], 1, 0600, &b),
				 -EINVAL);
		ck_assert_int_eq(vgpu_buffer_remove(dev, bad[i]), -EINVAL);
	}
	/* a subdirectory */
	ck_assert_int_eq(mkdir(dpath(&d, "mem/run1"), 0755), 0);
	b = new_buffer("run1/x", 64, NULL);
	ck_assert_str_eq(vgpu_buffer_name(b), "run1/x");
	vgpu_buffer_close(b);
	ck_assert_int_eq(vgpu_buffer_create(dev, "nodir/x", 1, 0600, &b),
			 -ENOENT);

	/* beyond the capacity: ENOSPC, and nothing left behind */
	ck_assert_int_eq(vgpu_buffer_create(dev, "huge", 128u << 20, 0600, &b),
			 -ENOSPC);
	ck_assert_int_eq(access(dpath(&d, "mem/huge"), F_OK), -1);
	/* an empty buffer has nothing to map */
	b = new_buffer("empty", 0, NULL);
	ck_assert_int_eq(vgpu_buffer_map(b, &map), -EINVAL);
	vgpu_buffer_close(b);

	/* anonymous: a generated name, gone at close */
	ck_assert_int_eq(vgpu_buffer_create(dev, NULL, 4096, 0600, &b), 0);
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", vgpu_buffer_name(b));
	ck_assert(strncmp(vgpu_buffer_name(b), ".anon-", 6) == 0);
	ck_assert_int_eq(access(dpath(&d, rel), F_OK), 0);
	vgpu_buffer_close(b);
	ck_assert_int_eq(access(dpath(&d, rel), F_OK), -1);
	/* names are unique in the process, across devices opened */
	vgpu_device *twice;
	ck_assert_int_eq(vgpu_open(d.mnt, &twice), 0);
	vgpu_buffer *one, *two;
	ck_assert_int_eq(vgpu_buffer_create(dev, NULL, 64, 0600, &one), 0);
	ck_assert_int_eq(vgpu_buffer_create(twice, NULL, 64, 0600, &two), 0);
	ck_assert_str_ne(vgpu_buffer_name(one), vgpu_buffer_name(two));
	vgpu_buffer_close(one);
	vgpu_buffer_close(two);
	vgpu_close(twice);
}
END_TEST

struct listing {
	char names[16][64];
	uint64_t sizes[16];
	bool dirs[16];
	int n;
	int stop_after;
};

static int collect(const vgpu_entry *e, void *arg)
{
	struct listing *l = arg;
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", e->name);
	l->sizes[l->n] = e->size;
	l->dirs[l->n] = e->is_dir;
	ck_assert_uint_eq(e->uid, getuid());
	ck_assert(e->handle != 0);
	l->n++;
	return l->n == l->stop_after ? 7 : 0;
}

START_TEST(listing)
{
	ck_assert_int_eq(mkdir(dpath(&d, "mem/d"), 0755), 0);
	vgpu_buffer *b[3] = {new_buffer("y", 100, NULL),
			     new_buffer("d/x", 200, NULL),
			     new_buffer("b", 300, NULL)};
	struct listing l = {0};
	ck_assert_int_eq(vgpu_list(dev, NULL, collect, &l), 0);
	ck_assert_int_eq(l.n, 4);
	ck_assert_str_eq(l.names[0], "b");
	ck_assert_uint_eq(l.sizes[0], 300);
	ck_assert_str_eq(l.names[1], "d");
	ck_assert(l.dirs[1]);
	ck_assert_str_eq(l.names[2], "d/x");
	ck_assert_uint_eq(l.sizes[2], 200);
	ck_assert(!l.dirs[2]);
	ck_assert_str_eq(l.names[3], "y");
	l = (struct listing){.stop_after = 2};
	ck_assert_int_eq(vgpu_list(dev, "", collect, &l), 7);
	ck_assert_int_eq(l.n, 2);
	l = (struct listing){0};
	ck_assert_int_eq(vgpu_list(dev, "d", collect, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.names[0], "d/x");
	ck_assert_int_eq(vgpu_list(dev, "nosuch", collect, &l), -ENOENT);
	ck_assert_int_eq(vgpu_list(dev, "../", collect, &l), -EINVAL);
	for (int i = 0; i < 3; i++)
		vgpu_buffer_close(b[i]);
}
END_TEST

START_TEST(launch_and_wait)
{
	enum { N = 1000 };
	float *x, *y;
	double *z;
	vgpu_buffer *bx = new_buffer("x", N * 4, (void **)&x);
	vgpu_buffer *by = new_buffer("y", N * 4, (void **)&y);
	vgpu_buffer *bz = new_buffer("z", 2 * N * 8, (void **)&z);
	for (int i = 0; i < N; i++)
		x[i] = (float)i;
	vgpu_stream *s = new_stream();
	int64_t c1 = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", by, 0),
				 VGPU_F64("value", 0.5), VGPU_I64("n", N));
	ck_assert_int_eq(c1, 1);
	/* an integer for a float argument is fine */
	int64_t c2 =
	    VGPU_LAUNCH(s, "axpy", VGPU_BUF("x", bx, 0), VGPU_BUF("y", by, 0),
			VGPU_I64("alpha", 2), VGPU_I64("n", N));
	ck_assert_int_eq(c2, 2);
	/* the array form, f64, an offset, and pointers into the mapping */
	const vgpu_arg fill[] = {VGPU_PTR("buf", z + N), VGPU_F64("value", 3),
				 VGPU_I64("n", N),
				 VGPU_DTYPE("dtype", VGPU_TYPE_F64)};
	int64_t c3 = vgpu_launch(s, "fill", fill, 4);
	ck_assert_int_eq(c3, 3);
	ck_assert_int_eq(vgpu_submitted(s), 3);
	ck_assert_int_eq(vgpu_completed(s), 0); /* batched: not even sent */
	ck_assert_int_eq(vgpu_wait(s, c2), 0);
	ck_assert_int_ge(vgpu_completed(s), 2);
	for (int i = 0; i < N; i++)
		ck_assert(y[i] == 2.0f * (float)i + 0.5f);
	ck_assert_int_eq(vgpu_wait(s, c3), 0);
	for (int i = 0; i < N; i++)
		ck_assert(z[i] == 0 && z[N + i] == 3.0);
	vgpu_result r;
	ck_assert_int_eq(vgpu_result_get(s, c2, &r), 0);
	ck_assert_int_eq(r.cmd, c2);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.kernel, "axpy");
	ck_assert_str_eq(r.message, "");
	ck_assert(r.start_ns > 0 && r.start_ns <= r.end_ns);
	/* a bool, a dtype and defaults: gemm with transb */
	float *a, *bm, *c;
	vgpu_buffer *ba = new_buffer("A", 6 * 4, (void **)&a);
	vgpu_buffer *bb = new_buffer("B", 6 * 4, (void **)&bm);
	vgpu_buffer *bc = new_buffer("C", 4 * 4, (void **)&c);
	for (int i = 0; i < 6; i++)
		a[i] = (float)(i + 1), bm[i] = (float)(i % 3);
	int64_t c4 = VGPU_LAUNCH(
	    s, "gemm", VGPU_BUF("a", ba, 0), VGPU_BUF("b", bb, 0),
	    VGPU_BUF("c", bc, 0), VGPU_I64("m", 2), VGPU_I64("n", 2),
	    VGPU_I64("k", 3), VGPU_BOOL("transb", true),
	    VGPU_DTYPE("dtype", VGPU_TYPE_F32), VGPU_F64("alpha", 1.0));
	ck_assert_int_eq(vgpu_wait(s, c4), 0);
	/* C = A (2x3) * B^T where B is 2x3 */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			float want = 0;
			for (int k = 0; k < 3; k++)
				want += a[i * 3 + k] * bm[j * 3 + k];
			ck_assert(c[i * 2 + j] == want);
		}
	/* a keyword by its word or by its position: fft's norm, on a
	 * length-2 transform of (1, 1) in z: (2, 0), scaled */
	float *zc = (float *)z; /* z is f64: reuse it as 2 complex f32 */
	zc[0] = 1, zc[1] = 0, zc[2] = 1, zc[3] = 0;
	int64_t c5 =
	    VGPU_LAUNCH(s, "fft", VGPU_BUF("x", bz, 0), VGPU_BUF("out", bz, 0),
			VGPU_I64("n", 2), VGPU_NAME("norm", "n"));
	ck_assert_int_eq(vgpu_wait(s, c5), 0);
	ck_assert(zc[0] == 1 && zc[1] == 0 && zc[2] == 0 && zc[3] == 0);
	int64_t c6 =
	    VGPU_LAUNCH(s, "fft", VGPU_BUF("x", bz, 0), VGPU_BUF("out", bz, 0),
			VGPU_I64("n", 2), VGPU_I64("norm", 0));
	ck_assert_int_eq(vgpu_wait(s, c6), 0);
	ck_assert(zc[0] == 1 && zc[2] == 1);
	ck_assert_int_eq(VGPU_LAUNCH(s, "fft", VGPU_NAME("norm", "backward")),
			 -EINVAL);
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	ck_assert_int_eq(vgpu_stream_failures(s), 0);
	ck_assert_int_eq(vgpu_stream_destroy(s), 0);
	vgpu_buffer *all[] = {bx, by, bz, ba, bb, bc};
	for (int i = 0; i < 6; i++)
		vgpu_buffer_close(all[i]);
}
END_TEST

/* Mistakes the library sees: refused at once, no command id used. */
START_TEST(launch_refused)
{
	vgpu_buffer *b = new_buffer("b", 64, NULL);
	vgpu_stream *s = new_stream();
	ck_assert_int_eq(VGPU_LAUNCH(s, "gemmm"), -ENOSYS);
	assert_message(s, "unknown kernel 'gemmm'");
	assert_message(dev, "unknown kernel 'gemmm'");
	ck_assert_int_eq(vgpu_launch(s, NULL, NULL, 0), -ENOSYS);
	ck_assert_int_eq(VGPU_LAUNCH(s, "fill", VGPU_I64("q", 1)), -EINVAL);
	assert_message(s, "fill: no argument 'q' (cat kernels/fill");
	ck_assert_int_eq(
	    VGPU_LAUNCH(s, "fill", VGPU_I64("n", 1), VGPU_I64("n", 2)),
	    -EINVAL);
	assert_message(s, "fill: n given twice");
	ck_assert_int_eq(VGPU_LAUNCH(s, "fill", VGPU_F64("n", 1.5)), -EINVAL);
	assert_message(s, "fill: n is an integer, not a float");
	ck_assert_int_eq(VGPU_LAUNCH(s, "fill", VGPU_I64("buf", 1)), -EINVAL);
	assert_message(s, "fill: buf is a buffer, not an integer");
	ck_assert_int_eq(VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", NULL, 0)),
			 -EINVAL);
	assert_message(s, "fill: buf: a NULL buffer");
	int local;
	ck_assert_int_eq(VGPU_LAUNCH(s, "fill", VGPU_PTR("buf", &local)),
			 -EINVAL);
	assert_message(s, "is in no mapped buffer");
	ck_assert_int_eq(VGPU_LAUNCH(s, "signal", VGPU_NAME("event", "a b")),
			 -EINVAL);
	assert_message(s, "signal: event='a b': a name is 1 to 63");
	ck_assert_int_eq(VGPU_LAUNCH(s, "signal", VGPU_I64("event", 1)),
			 -EINVAL);
	vgpu_arg many[25]; /* more than any kernel takes (VGPU_MAX_ARGS 24) */
	for (int i = 0; i < 25; i++)
		many[i] = VGPU_I64("n", i);
	ck_assert_int_eq(
	    vgpu_launchl(s, "fill", many[0], many[1], many[2], many[3], many[4],
			 many[5], many[6], many[7], many[8], many[9], many[10],
			 many[11], many[12], many[13], many[14], many[15],
			 many[16], many[17], many[18], many[19], many[20],
			 many[21], many[22], many[23], many[24], VGPU_END),
	    -E2BIG);
	/* none of these took an id */
	ck_assert_int_eq(vgpu_submitted(s), 0);
	ck_assert_int_eq(VGPU_LAUNCH(s, "nop"), 1);
	/* waits on ids never given */
	ck_assert_int_eq(vgpu_wait(s, 0), -EINVAL);
	ck_assert_int_eq(vgpu_wait(s, 2), -EINVAL);
	assert_message(s, "command 2 was not launched on this stream");
	ck_assert_int_eq(vgpu_query(s, 5), -EINVAL);
	vgpu_result r;
	ck_assert_int_eq(vgpu_result_get(s, 1, &r), -EAGAIN);
	ck_assert_int_eq(vgpu_wait(s, 1), 0);
	ck_assert_int_eq(vgpu_stream_set_batch(s, 5000), -EINVAL);
	vgpu_stream_destroy(s);
	vgpu_buffer_close(b);
}
END_TEST

/* Mistakes the daemon sees: the command fails with its message. */
START_TEST(failing_commands)
{
	vgpu_buffer *b = new_buffer("small", 4096, NULL);
	vgpu_stream *s = new_stream();
	int64_t ok = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
				 VGPU_F64("value", 1), VGPU_I64("n", 1024));
	int64_t big = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
				  VGPU_F64("value", 1), VGPU_I64("n", 2048));
	int64_t missing = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0));
	int64_t range = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
				    VGPU_F64("value", 1), VGPU_I64("n", -1));
	int64_t after = VGPU_LAUNCH(s, "nop");
	ck_assert_int_eq(vgpu_wait(s, big), -EINVAL);
	const char *want = "fill: buffer 'buf' holds 4096 bytes, needs 8192 "
			   "(n*4)";
	assert_message(s, want);
	ck_assert_int_eq(vgpu_wait(s, ok), 0);
	ck_assert_int_eq(vgpu_wait(s, missing), -EINVAL);
	ck_assert_int_eq(vgpu_wait(s, range), -ERANGE);
	assert_message(s, "out of range");
	ck_assert_int_eq(vgpu_wait(s, after), 0);
	vgpu_result r;
	ck_assert_int_eq(vgpu_result_get(s, big, &r), 0);
	ck_assert_int_eq(r.status, -EINVAL);
	ck_assert_str_eq(r.kernel, "fill");
	ck_assert(strstr(r.message, want));
	ck_assert_int_eq(r.start_ns, r.end_ns); /* it never ran */
	ck_assert_int_eq(vgpu_result_get(s, missing, &r), 0);
	ck_assert_msg(strstr(r.message, "fill: missing"), "%s", r.message);
	ck_assert_int_eq(vgpu_stream_failures(s), 3);
	/* wait_all: the last failure since the previous one, then clean */
	ck_assert_int_eq(vgpu_wait_all(s), -ERANGE);
	assert_message(s, "fill: n=-1 is out of range");
	assert_message(dev, "fill: n=-1 is out of range");
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	VGPU_LAUNCH(s, "nop");
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	/* a buffer removed since it was opened: no buffer with its handle */
	ck_assert_int_eq(vgpu_buffer_remove(dev, "small"), 0);
	int64_t gone = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
				   VGPU_F64("value", 1), VGPU_I64("n", 1));
	ck_assert_int_eq(vgpu_wait(s, gone), -ENOENT);
	assert_message(s, "fill: buf: no buffer with handle");
	vgpu_stream_destroy(s);
	vgpu_buffer_close(b);
}
END_TEST

enum { OTHER_UID = 4321 };
static vgpu_buffer *root_only;

/* As another user: the buffer cannot be opened, nor used by handle. */
static int other_user(void)
{
	vgpu_device *od;
	if (vgpu_open(d.mnt, &od) < 0)
		return 10;
	vgpu_buffer *b;
	if (vgpu_buffer_open(od, "private", VGPU_READ, &b) != -EACCES)
		return 11;
	if (!strstr(vgpu_last_message(od), "Permission denied"))
		return 12;
	if (vgpu_buffer_remove(od, "private") != -EPERM)
		return 13;
	vgpu_stream *s;
	if (vgpu_stream_create(od, &s) < 0)
		return 14;
	/* a handle from a file root opened: the daemon checks the writer */
	int64_t c = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", root_only, 0),
				VGPU_F64("value", 9), VGPU_I64("n", 1));
	if (vgpu_wait(s, c) != -EACCES)
		return 15;
	if (!strstr(vgpu_last_message(s),
		    "fill: buf: permission denied: you may not write"))
		return 16;
	vgpu_stream_destroy(s);
	vgpu_close(od);
	return 0;
}

START_TEST(permissions)
{
	ck_assert_int_eq(
	    vgpu_buffer_create(dev, "private", 64, 0600, &root_only), 0);
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
	float v;
	ck_assert_int_eq(pread(vgpu_buffer_fd(root_only), &v, 4, 0), 4);
	ck_assert(v == 0.0f); /* untouched */
	vgpu_buffer_close(root_only);
}
END_TEST

START_TEST(wait_on_many)
{
	enum { N = 3000 };
	float *x;
	vgpu_buffer *b = new_buffer("x", N * 4, (void **)&x);
	vgpu_stream *s = new_stream();
	int64_t ids[N];
	/* fill element i with i, one command each; every 7th fails */
	for (int i = 0; i < N; i++) {
		ids[i] = VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 4 * i),
				     VGPU_F64("value", i),
				     VGPU_I64("n", i % 7 == 0 ? 2 * N : 1));
		ck_assert_int_eq(ids[i], i + 1);
	}
	/* waits in any order */
	for (int i = N - 1; i >= 0; i -= 97)
		ck_assert_int_eq(vgpu_wait(s, ids[i]), i % 7 ? 0 : -EINVAL);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(vgpu_query(s, ids[i]), 1);
		ck_assert_int_eq(vgpu_wait(s, ids[i]), i % 7 ? 0 : -EINVAL);
		ck_assert(x[i] == (i % 7 ? (float)i : 0.0f));
	}
	ck_assert_int_eq(vgpu_stream_failures(s), (N + 6) / 7);
	ck_assert_int_eq(vgpu_wait_all(s), -EINVAL);
	/* the 64 latest failures keep their message */
	vgpu_result r;
	ck_assert_int_eq(vgpu_result_get(s, ids[N - 1 - (N - 1) % 7], &r), 0);
	ck_assert(strstr(r.message, "fill: buffer 'buf' holds"));
	ck_assert_int_eq(vgpu_result_get(s, ids[0], &r), 0);
	ck_assert_int_eq(r.status, -EINVAL);
	ck_assert_str_eq(r.message, "");
	/* results are kept for the last 4096 commands */
	for (int i = 0; i < 4096; i++)
		VGPU_LAUNCH(s, "nop");
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	ck_assert_int_eq(vgpu_result_get(s, ids[0], &r), -ESTALE);
	ck_assert_int_eq(vgpu_wait(s, ids[0]), -ESTALE);
	ck_assert_int_eq(vgpu_result_get(s, vgpu_submitted(s), &r), 0);
	ck_assert_str_eq(r.kernel, "nop");
	vgpu_stream_destroy(s);
	vgpu_buffer_close(b);
}
END_TEST

/* N nops on one stream with batches of BATCH: no deadlock, all complete. */
static void many_nops(int n, unsigned batch)
{
	vgpu_stream *s = new_stream();
	ck_assert_int_eq(vgpu_stream_set_batch(s, batch), 0);
	double t0 = now_seconds();
	for (int i = 1; i <= n; i++)
		ck_assert_int_eq(VGPU_LAUNCH(s, "nop"), i);
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	ck_assert_int_eq(vgpu_completed(s), n);
	vgpu_result r;
	ck_assert_int_eq(vgpu_result_get(s, n, &r), 0);
	ck_assert_int_eq(r.cmd, n);
	fprintf(stderr, "%d nops, batches of %u: %.2f s\n", n, batch,
		now_seconds() - t0);
	vgpu_stream_destroy(s);
}

START_TEST(hundred_thousand_nops)
{
	/* 25 MiB of completions through a context that holds 1024 (256 KiB) */
	many_nops(100000, 1024);
	many_nops(20000, 1);
}
END_TEST

START_TEST(small_queue_depth)
{
	vgpu_close(dev);
	ck_assert_int_eq(daemon_stop(&d), 0);
	const char *args[] = {"--vram", "64M", "--queue-depth", "8", NULL};
	start(args);
	float *x;
	vgpu_buffer *b = new_buffer("x", 4096, (void **)&x);
	vgpu_stream *s = new_stream();
	/* writes cut short by the daemon carry on after reading */
	for (int i = 0; i < 20000; i++)
		VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
			    VGPU_F64("value", i), VGPU_I64("n", 1024));
	ck_assert_int_eq(vgpu_wait_all(s), 0);
	ck_assert(x[1000] == 19999.0f);
	vgpu_stream_destroy(s);
	vgpu_buffer_close(b);
}
END_TEST

static bool readable(int epfd, int timeout_ms)
{
	struct epoll_event ev;
	return epoll_wait(epfd, &ev, 1, timeout_ms) == 1;
}

START_TEST(epoll_readiness)
{
	vgpu_stream *s = new_stream();
	vgpu_stream *t = new_stream();
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, vgpu_stream_fd(s), &ev),
			 0);
	ck_assert(!readable(ep, 50));
	/* a command held by an event: not ready until signalled */
	int64_t w = VGPU_LAUNCH(s, "wait", VGPU_NAME("event", "go"));
	ck_assert_int_eq(vgpu_flush(s), 0);
	ck_assert(!readable(ep, 100));
	ck_assert_int_eq(vgpu_query(s, w), 0);
	double t0 = now_seconds();
	ck_assert_int_eq(vgpu_wait_timeout(s, w, 50), -ETIMEDOUT);
	ck_assert(now_seconds() - t0 >= 0.045);
	assert_message(s, "command 1 not completed within 50 ms");
	ck_assert_int_eq(vgpu_wait_timeout(s, w, 0), -ETIMEDOUT);
	ck_assert_int_eq(vgpu_stream_process(s), 0);
	int64_t sig = VGPU_LAUNCH(t, "signal", VGPU_NAME("event", "go"));
	ck_assert_int_eq(vgpu_wait(t, sig), 0);
	ck_assert(readable(ep, 5000));
	ck_assert_int_eq(vgpu_stream_process(s), 1);
	ck_assert_int_eq(vgpu_completed(s), w);
	ck_assert(!readable(ep, 0));
	ck_assert_int_eq(vgpu_query(s, w), 1);
	ck_assert_int_eq(vgpu_wait(s, w), 0);
	/* several at once */
	for (int i = 0; i < 10; i++)
		VGPU_LAUNCH(s, "nop");
	ck_assert_int_eq(vgpu_flush(s), 0);
	int got = 0;
	while (got < 10 && readable(ep, 5000)) {
		int n = vgpu_stream_process(s);
		ck_assert_int_gt(n, 0);
		got += n;
	}
	ck_assert_int_eq(got, 10);
	close(ep);
	vgpu_stream_destroy(s);
	vgpu_stream_destroy(t);
}
END_TEST

/* Destroying a stream sends its batch: the commands still run. */
START_TEST(destroy_sends_the_batch)
{
	float *x;
	vgpu_buffer *b = new_buffer("x", 4096, (void **)&x);
	vgpu_stream *s = new_stream();
	VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0), VGPU_F64("value", 4),
		    VGPU_I64("n", 1024));
	ck_assert_int_eq(vgpu_stream_destroy(s), 0);
	for (int i = 0; i < 500 && x[1023] != 4.0f; i++)
		usleep(10000);
	ck_assert(x[1023] == 4.0f);
	/* the device outlives its close while a buffer is open */
	vgpu_device *keep = dev;
	ck_assert_int_eq(vgpu_open(d.mnt, &dev), 0);
	vgpu_close(keep);
	ck_assert_int_eq(vgpu_buffer_size(b), 4096);
	vgpu_buffer_close(b);
}
END_TEST

START_TEST(text_commands)
{
	vgpu_buffer *b = new_buffer("t", 64, NULL);
	char reply[512];
	ck_assert_int_eq(
	    vgpu_run_text(dev, "fill buf=t value=2 n=16", reply, sizeof(reply)),
	    0);
	ck_assert_msg(strncmp(reply, "1 ok fill ", 10) == 0, "%s", reply);
	ck_assert_int_eq(
	    vgpu_run_text(dev, "fill buf=t value=2 n=17", reply, sizeof(reply)),
	    -EINVAL);
	ck_assert_str_eq(reply, "1 err EINVAL: fill: buffer 'buf' holds 64 "
				"bytes, needs 68 (n*4)");
	assert_message(dev, "fill: buffer 'buf' holds 64 bytes");
	ck_assert_int_eq(vgpu_run_text(dev, "gemmm", NULL, 0), -ENOSYS);
	ck_assert_int_eq(vgpu_run_text(dev, "fill buf=nosuch value=1 n=1",
				       reply, sizeof(reply)),
			 -ENOENT);
	ck_assert_int_eq(
	    vgpu_run_text(dev, "   # only a comment", reply, sizeof(reply)),
	    -EINVAL);
	assert_message(dev, "no command");
	ck_assert_int_eq(vgpu_run_text(dev, "nop\nnop", reply, sizeof(reply)),
			 -EINVAL);
	ck_assert_int_eq(
	    vgpu_run_text(dev, "nop # a comment", reply, sizeof(reply)), 0);
	vgpu_buffer_close(b);
}
END_TEST

START_TEST(error_words)
{
	ck_assert_str_eq(vgpu_strerror(-EINVAL), "Invalid argument");
	ck_assert_str_eq(vgpu_strerror(ENOSPC), "No space left on device");
	ck_assert_str_eq(vgpu_errname(-ENOSPC), "ENOSPC");
	ck_assert_str_eq(vgpu_errname(-ESTALE), "ESTALE");
	ck_assert_str_eq(vgpu_errname(-99999), "EUNKNOWN");
	ck_assert_str_eq(vgpu_strerror(-99999), "Unknown error");
	ck_assert_str_eq(vgpu_last_message(dev), "");
}
END_TEST

/* The daemon stops under an open stream: errors, never a hang. */
START_TEST(device_goes_away)
{
	vgpu_stream *s = new_stream();
	ck_assert_int_eq(vgpu_wait(s, VGPU_LAUNCH(s, "nop")), 0);
	ck_assert_int_eq(daemon_stop(&d), 0);
	int64_t c = VGPU_LAUNCH(s, "nop");
	int rc = c < 0 ? (int)c : vgpu_wait(s, c);
	ck_assert_msg(rc == -ENOTCONN || rc == -ECONNABORTED ||
			  rc == -ESHUTDOWN,
		      "%d %s", rc, vgpu_last_message(s));
	/* broken for good */
	ck_assert_int_eq(VGPU_LAUNCH(s, "nop"), rc);
	vgpu_stream_destroy(s);
	vgpu_close(dev);
	const char *args[] = {"--vram", "64M", NULL};
	start(args); /* for the teardown */
}
END_TEST

/* The stats file as a snapshot: counters, workers, tiers, contexts. */
START_TEST(stats_snapshot)
{
	vgpu_stream *s = new_stream();
	vgpu_buffer *b = new_buffer("st", 4096, NULL); /* created by us */
	ck_assert_int_eq(
	    vgpu_wait(s,
		      VGPU_LAUNCH(s, "fill", VGPU_BUF("buf", b, 0),
				  VGPU_F64("value", 1), VGPU_I64("n", 1024))),
	    0);
	vgpu_stats *st;
	ck_assert_int_eq(vgpu_stats_read(dev, &st), 0);
	ck_assert_str_eq(st->version, "0.1.0");
	ck_assert(st->uptime_seconds > 0);
	ck_assert_uint_gt(st->nworkers, 0);
	ck_assert_str_eq(st->workers[0].kernel, "-");
	ck_assert_uint_eq(st->open_contexts, 1);
	ck_assert_uint_eq(st->buffers, 1);
	ck_assert_uint_eq(st->commands_total, 1);
	ck_assert_uint_eq(st->bytes_total, 4096);
	ck_assert_uint_eq(st->ntiers, 1);
	ck_assert_str_eq(st->tiers[0].name, "ram");
	ck_assert_uint_eq(st->tiers[0].total_bytes, 64 << 20);
	ck_assert_uint_eq(st->tiers[0].used_bytes, 4096);
	ck_assert_str_eq(st->kernels[1].name, "fill");
	ck_assert_uint_eq(st->kernels[1].count, 1);
	ck_assert_uint_eq(st->ncontexts, 1);
	ck_assert_int_eq(st->contexts[0].pid, getpid());
	ck_assert_uint_eq(st->contexts[0].completed, 1);
	ck_assert_str_eq(st->contexts[0].running, "-");
	ck_assert_uint_eq(st->contexts[0].mem_bytes, 4096);
	ck_assert_uint_eq(st->nusers, 1);
	ck_assert_uint_eq(st->users[0].bytes, 4096);
	vgpu_stats_free(st);
	vgpu_buffer_close(b);
	vgpu_stream_destroy(s);
}
END_TEST

/* What is not a stats file is refused, whatever it holds. */
START_TEST(stats_parse_refuses)
{
	static const char *const bad[] = {
	    "",
	    "uptime_seconds 1\n",		    /* no workers */
	    "workers 2\nworker.2.busy_seconds 1\n", /* no such worker */
	    "worker.0.kernel -\nworkers 1\n",	    /* before workers */
	    "workers 1\nworkers 1\n",
	    "workers 99999999999\n",
	    "workers -1\n",
	    "workers 1\ncommands_total x\n",
	    "workers 1\nuptime_seconds -3\n",
	    "workers 1\nuptime_seconds nan\n",
	    "workers 1\nuptime_seconds inf\n",
	    "workers 1\ncontext.1 pid\n",
	    "workers 1\ncontext.x pid=1\n",
	    "workers 1\ncontext.1 uid=99999999999\n",
	    "workers 1\nnospace\n",
	    "workers 1\nkernel.gemm count 1\n",
	    "workers 1\nuser.7 quota=x\n",
	    "workers 1\nuser.7.bytes 5\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vgpu_stats *st = (vgpu_stats *)1;
		ck_assert_msg(vgpu_stats_parse(bad[i], &st) == -EPROTO, "%s",
			      bad[i]);
		ck_assert_ptr_null(st);
	}
	vgpu_stats *st;
	ck_assert_int_eq(
	    vgpu_stats_parse("workers 1\nnew_key 7\n"
			     "vram_ssd_used_bytes 5\n"
			     "context.3 comm=averyveryverylongname "
			     "later=1\n",
			     &st),
	    0);
	ck_assert_uint_eq(st->nworkers, 1);
	ck_assert_str_eq(st->tiers[0].name, "ssd");
	ck_assert_uint_eq(st->tiers[0].used_bytes, 5);
	ck_assert_str_eq(st->contexts[0].comm, "averyveryverylo");
	vgpu_stats_free(st);
	/* --user-quota's fields of a user line */
	ck_assert_int_eq(
	    vgpu_stats_parse("workers 1\nuser.0 buffers=1 bytes=8\n"
			     "user.7 buffers=2 bytes=8192 "
			     "quota_used=4096 quota=1048576\n",
			     &st),
	    0);
	ck_assert_uint_eq(st->nusers, 2);
	ck_assert_uint_eq(st->users[0].quota, 0);
	ck_assert_uint_eq(st->users[1].uid, 7);
	ck_assert_uint_eq(st->users[1].buffers, 2);
	ck_assert_uint_eq(st->users[1].quota_used, 4096);
	ck_assert_uint_eq(st->users[1].quota, 1048576);
	vgpu_stats_free(st);
	vgpu_stats_free(NULL);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    open_and_info,
	    buffers,
	    listing,
	    launch_and_wait,
	    launch_refused,
	    failing_commands,
	    permissions,
	    wait_on_many,
	    hundred_thousand_nops,
	    small_queue_depth,
	    epoll_readiness,
	    destroy_sends_the_batch,
	    text_commands,
	    error_words,
	    device_goes_away,
	    stats_snapshot,
	    stats_parse_refuses,
	};
	return run_suite(suite_with_daemon("libvgpu", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
