/*
 * The binary form through the real device: packets in (many a write, or
 * split across writes), fixed-size completion records out with tags, times
 * and the daemon's messages; malformed packets give error records, and an
 * impossible size fails the write without harming the context.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>

#include "harness.h"

static struct daemon_proc d;

static void setup(void)
{
	const char *args[] = {"--vram", "64M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

static int open_binary(void)
{
	int q = queue_open(&d, 0);
	ck_assert_int_eq(write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN),
			 VGPU_BIN_MAGIC_LEN);
	return q;
}

static uint64_t handle_of(const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, rel), &st), 0);
	return st.st_ino;
}

static size_t fill_packet(char *p, size_t cap, uint64_t tag, uint64_t handle,
			  double value, int64_t n)
{
	ck_assert_int_eq(vgpu_bin_begin(p, cap, VGPU_K_FILL, tag), 0);
	ck_assert_int_eq(vgpu_bin_put_buf(p, cap, FILL_BUF, handle, 0), 0);
	ck_assert_int_eq(vgpu_bin_put_float(p, cap, FILL_VALUE, value), 0);
	ck_assert_int_eq(vgpu_bin_put_int(p, cap, FILL_N, VGPU_ARG_INT, n), 0);
	return vgpu_bin_size(p);
}

static void read_record(int q, struct vgpu_bin_completion *c)
{
	ck_assert_int_eq(read(q, c, sizeof(*c)), (ssize_t)sizeof(*c));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(packets_and_records)
{
	ck_assert_int_eq(buf_create(&d, "x", 4096), 0);
	uint64_t hx = handle_of("x");
	int q = open_binary();
	char stream[4096];
	size_t used = fill_packet(stream, sizeof(stream), 1001, hx, 2.5, 1024);
	ck_assert_int_eq(vgpu_bin_begin(stream + used, sizeof(stream) - used,
					VGPU_K_NOP, 1002),
			 0);
	used += vgpu_bin_size(stream + used);
	used += fill_packet(stream + used, sizeof(stream) - used, 1003, hx, 1,
			    1025); /* one element too many */
	uint64_t t0 = mono_ns();
	ck_assert_int_eq(write(q, stream, used), (ssize_t)used);
	struct vgpu_bin_completion c[3];
	/* a read returns whole records only */
	ck_assert_int_eq(read(q, c, sizeof(c[0]) - 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	for (int i = 0; i < 3; i++)
		read_record(q, &c[i]);
	uint64_t t1 = mono_ns();
	ck_assert_uint_eq(c[0].tag, 1001);
	ck_assert_uint_eq(c[0].seq, 1);
	ck_assert_int_eq(c[0].status, 0);
	ck_assert_uint_eq(c[0].kernel, VGPU_K_FILL);
	ck_assert_str_eq(c[0].msg, "");
	ck_assert(c[0].t_start_ns >= t0 && c[0].t_start_ns <= c[0].t_end_ns &&
		  c[0].t_end_ns <= t1);
	ck_assert_uint_eq(c[1].tag, 1002);
	ck_assert_uint_eq(c[1].kernel, VGPU_K_NOP);
	ck_assert_int_eq(c[1].status, 0);
	ck_assert_uint_eq(c[2].tag, 1003);
	ck_assert_int_eq(c[2].status, -EINVAL);
	ck_assert_msg(strstr(c[2].msg, "fill: buffer 'buf' holds 4096 bytes, "
				       "needs 4100"),
		      "%s", c[2].msg);
	float x[1024];
	buf_read(&d, "x", x, sizeof(x));
	for (int i = 0; i < 1024; i++)
		ck_assert(x[i] == 2.5f);
	close(q);
}
END_TEST

/* Packets cut at every byte still make commands; many per write too. */
START_TEST(split_and_batched)
{
	ck_assert_int_eq(buf_create(&d, "y", 64), 0);
	uint64_t hy = handle_of("y");
	int q = open_binary();
	char p[256];
	size_t n = fill_packet(p, sizeof(p), 7, hy, 3, 16);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(write(q, p + i, 1), 1);
	struct vgpu_bin_completion c;
	read_record(q, &c);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.tag, 7);
	enum { N = 1000 };
	static char many[N * sizeof(struct vgpu_bin_header)];
	for (int i = 0; i < N; i++)
		vgpu_bin_begin(many + i * sizeof(struct vgpu_bin_header),
			       sizeof(struct vgpu_bin_header), VGPU_K_NOP,
			       (uint64_t)i);
	ck_assert_int_eq(write(q, many, sizeof(many)), (ssize_t)sizeof(many));
	static struct vgpu_bin_completion recs[N];
	size_t got = 0;
	while (got < sizeof(recs)) {
		ssize_t r = read(q, (char *)recs + got, sizeof(recs) - got);
		ck_assert_int_gt(r, 0);
		ck_assert_int_eq(r % (ssize_t)sizeof(recs[0]), 0);
		got += (size_t)r;
	}
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(recs[i].tag, (uint64_t)i);
		ck_assert_uint_eq(recs[i].seq, (uint64_t)i + 2);
	}
	close(q);
}
END_TEST

START_TEST(malformed_packets)
{
	int q = open_binary();
	char p[256];
	struct vgpu_bin_header h;
	vgpu_bin_begin(p, sizeof(p), VGPU_K_NOP, 5);
	memcpy(&h, p, sizeof(h));
	h.version = 9;
	memcpy(p, &h, sizeof(h));
	ck_assert_int_eq(write(q, p, sizeof(h)), (ssize_t)sizeof(h));
	struct vgpu_bin_completion c;
	read_record(q, &c);
	ck_assert_int_eq(c.status, -EPROTO);
	ck_assert_uint_eq(c.tag, 5);
	ck_assert(strstr(c.msg, "packet version 9"));
	h.version = VGPU_BIN_VERSION;
	h.kernel = 4000;
	memcpy(p, &h, sizeof(h));
	ck_assert_int_eq(write(q, p, sizeof(h)), (ssize_t)sizeof(h));
	read_record(q, &c);
	ck_assert_int_eq(c.status, -ENOSYS);
	ck_assert_uint_eq(c.kernel, VGPU_BIN_NO_KERNEL);
	/* a handle that is no buffer */
	size_t n = fill_packet(p, sizeof(p), 6, 999999, 1, 1);
	ck_assert_int_eq(write(q, p, n), (ssize_t)n);
	read_record(q, &c);
	ck_assert_int_eq(c.status, -ENOENT);
	ck_assert(strstr(c.msg, "no buffer with handle 999999"));
	/* an impossible size: the write fails, the context lives on */
	uint32_t lie = 12;
	memcpy(p, &lie, sizeof(lie));
	ck_assert_int_eq(write(q, p, 24), -1);
	ck_assert_int_eq(errno, EINVAL);
	vgpu_bin_begin(p, sizeof(p), VGPU_K_NOP, 8);
	ck_assert_int_eq(write(q, p, 24), 24);
	read_record(q, &c);
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.tag, 8);
	/* good packets before a broken one are taken: a short write */
	char two[48];
	vgpu_bin_begin(two, 24, VGPU_K_NOP, 9);
	memcpy(two + 24, &lie, sizeof(lie));
	ck_assert_int_eq(write(q, two, sizeof(two)), 24);
	read_record(q, &c);
	ck_assert_uint_eq(c.tag, 9);
	close(q);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    packets_and_records,
	    split_and_batched,
	    malformed_packets,
	};
	return run_suite(suite_with_daemon("binary", setup, teardown, 60, tests,
					   sizeof(tests) / sizeof(tests[0])));
}
