/*
 * The binary protocol: packets built with the client functions parse into
 * the very command the equivalent text line gives; every malformed packet
 * is reported (an error for a well-framed one, BROKEN for an impossible
 * size), and random bytes never make the parser read past its input.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/launch_params.h>
#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/text_proto.h>

static struct vgpu_cmd cmd;
static size_t size;
static uint64_t tag;
static uint16_t kernel;
static int err;
static char msg[VGPU_MSG_MAX];

static enum vgpu_bin_kind parse(const void *p, size_t avail)
{
	err = 0;
	size = 0;
	return vgpu_bin_parse(p, avail, &cmd, &size, &tag, &kernel, &err, msg,
			      sizeof(msg));
}

/* A packet in a heap block of exactly its size: ASan sees any overread. */
static void *exact(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);
	memcpy(q, p, n);
	return q;
}

static void expect_error(const void *pkt, int want_err, const char *want)
{
	size_t n = vgpu_bin_size(pkt);
	void *q = exact(pkt, n);
	ck_assert_int_eq(parse(q, n), VGPU_BIN_ERROR);
	ck_assert_msg(err == want_err, "err %d, want %d (%s)", err, want_err,
		      msg);
	ck_assert_msg(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
	ck_assert_uint_eq(size, n); /* consumed: the stream goes on */
	free(q);
}

START_TEST(gemm_as_text)
{
	char pkt[512];
	ck_assert_int_eq(vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_GEMM, 77), 0);
	ck_assert_int_eq(vgpu_bin_put_buf(pkt, sizeof(pkt), GEMM_A, 11, 4096),
			 0);
	ck_assert_int_eq(vgpu_bin_put_buf(pkt, sizeof(pkt), GEMM_B, 12, 0), 0);
	ck_assert_int_eq(vgpu_bin_put_buf(pkt, sizeof(pkt), GEMM_C, 13, 8), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_int(pkt, sizeof(pkt), GEMM_M, VGPU_ARG_INT, 64), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_int(pkt, sizeof(pkt), GEMM_N, VGPU_ARG_INT, 32), 0);
	ck_assert_int_eq(
	    vgpu_bin_put_int(pkt, sizeof(pkt), GEMM_K, VGPU_ARG_INT, 16), 0);
	ck_assert_int_eq(vgpu_bin_put_int(pkt, sizeof(pkt), GEMM_DTYPE,
					  VGPU_ARG_DTYPE, VGPU_F64),
			 0);
	ck_assert_int_eq(vgpu_bin_put_float(pkt, sizeof(pkt), GEMM_ALPHA, 2.5),
			 0);
	size_t n = vgpu_bin_size(pkt);
	ck_assert_uint_eq(n % VGPU_BIN_ALIGN, 0);
	/* every prefix is "more" */
	for (size_t i = 0; i < n; i++) {
		void *q = exact(pkt, i);
		ck_assert_int_eq(parse(q, i), VGPU_BIN_MORE);
		free(q);
	}
	void *q = exact(pkt, n);
	ck_assert_int_eq(parse(q, n), VGPU_BIN_COMMAND);
	free(q);
	ck_assert_uint_eq(size, n);
	ck_assert_uint_eq(tag, 77);
	ck_assert_uint_eq(kernel, VGPU_K_GEMM);
	struct vgpu_cmd bin = cmd;
	struct vgpu_cmd text;
	const char *line = "gemm a=x+4096 b=y c=z+8 m=64 n=32 k=16 dtype=f64 "
			   "alpha=2.5";
	ck_assert_int_eq(
	    vgpu_text_parse(line, strlen(line), &text, &err, msg, sizeof(msg)),
	    VGPU_LINE_COMMAND);
	ck_assert_ptr_eq(bin.spec, text.spec);
	ck_assert_uint_eq(bin.given, text.given);
	ck_assert(memcmp(bin.val, text.val, sizeof(bin.val)) == 0);
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		ck_assert_uint_eq(bin.buf[i].offset, text.buf[i].offset);
	ck_assert_uint_eq(bin.buf[GEMM_A].handle, 11);
	ck_assert_ptr_null(bin.buf[GEMM_A].name);
}
END_TEST

START_TEST(names_and_many_packets)
{
	char stream[1024];
	size_t used = 0;
	for (int i = 0; i < 3; i++) {
		char *p = stream + used;
		size_t cap = sizeof(stream) - used;
		ck_assert_int_eq(vgpu_bin_begin(p, cap, VGPU_K_WAIT, i), 0);
		ck_assert_int_eq(vgpu_bin_put_name(p, cap, WAIT_EVENT, "ev-1"),
				 0);
		ck_assert_int_eq(
		    vgpu_bin_put_int(p, cap, WAIT_VALUE, VGPU_ARG_INT, i + 1),
		    0);
		used += vgpu_bin_size(p);
	}
	ck_assert_int_eq(vgpu_bin_put_name(stream, sizeof(stream), 0, "a b"),
			 -EINVAL);
	size_t pos = 0;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(parse(stream + pos, used - pos),
				 VGPU_BIN_COMMAND);
		ck_assert_str_eq(cmd.name, "ev-1");
		ck_assert_int_eq(vgpu_cmd_i(&cmd, WAIT_VALUE), i + 1);
		ck_assert_int_eq(vgpu_cmd_i(&cmd, WAIT_TIMEOUT_MS), 0);
		ck_assert_uint_eq(tag, (uint64_t)i);
		pos += size;
	}
	ck_assert_uint_eq(pos, used);
	/* full packet: no room for more */
	char small[40];
	ck_assert_int_eq(vgpu_bin_begin(small, sizeof(small), VGPU_K_NOP, 0),
			 0);
	ck_assert_int_eq(vgpu_bin_put_buf(small, sizeof(small), 0, 1, 0),
			 -ENOSPC);
}
END_TEST

/* A packet for NOP-like tinkering: header plus raw argument bytes. */
static size_t raw(char *pkt, uint16_t k, const struct vgpu_bin_arg *a,
		  const void *value, size_t vlen, size_t pad)
{
	vgpu_bin_begin(pkt, 512, k, 5);
	struct vgpu_bin_header h;
	memcpy(&h, pkt, sizeof(h));
	size_t n = sizeof(h);
	if (a) {
		memcpy(pkt + n, a, sizeof(*a));
		n += sizeof(*a);
		memcpy(pkt + n, value, vlen);
		n += vlen;
		h.nargs = 1;
	}
	memset(pkt + n, 0, pad);
	n += pad;
	h.size = (uint32_t)n;
	memcpy(pkt, &h, sizeof(h));
	return n;
}

START_TEST(malformed)
{
	char pkt[512];
	struct vgpu_bin_header h;
	/* newer version, unknown kernel, flags */
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_NOP, 9);
	memcpy(&h, pkt, sizeof(h));
	h.version = 2;
	memcpy(pkt, &h, sizeof(h));
	expect_error(pkt, -EPROTO, "packet version 2");
	ck_assert_uint_eq(tag, 9);
	h.version = VGPU_BIN_VERSION;
	h.kernel = 60000;
	memcpy(pkt, &h, sizeof(h));
	expect_error(pkt, -ENOSYS, "unknown kernel id 60000");
	ck_assert_uint_eq(kernel, VGPU_BIN_NO_KERNEL);
	h.kernel = VGPU_K_NOP;
	h.flags = 4;
	memcpy(pkt, &h, sizeof(h));
	expect_error(pkt, -EINVAL, "unknown flags");
	/* nargs that lies */
	h.flags = 0;
	h.nargs = 3;
	memcpy(pkt, &h, sizeof(h));
	expect_error(pkt, -EINVAL, "runs past the packet's end");
	/* arguments: index, type, length, value */
	int64_t v = 5;
	struct vgpu_bin_arg a = {
	    .index = FILL_N, .type = VGPU_ARG_INT, .len = 8};
	raw(pkt, VGPU_K_FILL,
	    &(struct vgpu_bin_arg){.index = 40, .type = 1, .len = 8}, &v, 8, 0);
	expect_error(pkt, -EINVAL, "argument index 40");
	a.type = VGPU_ARG_FLOAT;
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 0);
	expect_error(pkt, -EINVAL, "argument 'n' is a integer");
	a.type = VGPU_ARG_INT;
	a.len = 4;
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 0);
	expect_error(pkt, -EINVAL, "value of 4 bytes");
	a.len = 4000;
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 0);
	expect_error(pkt, -EINVAL, "run past the packet's end");
	a.len = 8;
	v = -1;
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 0);
	expect_error(pkt, -ERANGE, "out of range");
	v = 5;
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 16);
	expect_error(pkt, -EINVAL, "16 bytes after the last argument");
	raw(pkt, VGPU_K_FILL, &a, &v, 8, 0);
	expect_error(pkt, -EINVAL, "missing argument 'buf'");
	double nan = __builtin_nan("");
	raw(pkt, VGPU_K_FILL,
	    &(struct vgpu_bin_arg){
		.index = FILL_VALUE, .type = VGPU_ARG_FLOAT, .len = 8},
	    &nan, 8, 0);
	expect_error(pkt, -EINVAL, "not a finite number");
	struct vgpu_bin_buf b = {0, 0};
	raw(pkt, VGPU_K_FILL,
	    &(struct vgpu_bin_arg){
		.index = FILL_BUF, .type = VGPU_ARG_BUF, .len = 16},
	    &b, 16, 0);
	expect_error(pkt, -EINVAL, "handle 0");
	int64_t dt = 99;
	raw(pkt, VGPU_K_FILL,
	    &(struct vgpu_bin_arg){
		.index = FILL_DTYPE, .type = VGPU_ARG_DTYPE, .len = 8},
	    &dt, 8, 0);
	expect_error(pkt, -EINVAL, "unknown dtype 99");
	/* keywords: the word's position in the list */
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_FFT, 0);
	vgpu_bin_put_int(pkt, sizeof(pkt), FFT_NORM, VGPU_ARG_KEYWORD, 9);
	expect_error(pkt, -EINVAL, "no word number 9");
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_FFT, 0);
	vgpu_bin_put_buf(pkt, sizeof(pkt), FFT_X, 3, 0);
	vgpu_bin_put_buf(pkt, sizeof(pkt), FFT_OUT, 3, 0);
	vgpu_bin_put_int(pkt, sizeof(pkt), FFT_N, VGPU_ARG_INT, 8);
	vgpu_bin_put_int(pkt, sizeof(pkt), FFT_NORM, VGPU_ARG_KEYWORD,
			 VGPU_FFT_NORM_ORTHO);
	ck_assert_int_eq(parse(pkt, vgpu_bin_size(pkt)), VGPU_BIN_COMMAND);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, FFT_NORM), VGPU_FFT_NORM_ORTHO);
	/* twice */
	vgpu_bin_begin(pkt, sizeof(pkt), VGPU_K_FILL, 0);
	vgpu_bin_put_int(pkt, sizeof(pkt), FILL_N, VGPU_ARG_INT, 1);
	vgpu_bin_put_int(pkt, sizeof(pkt), FILL_N, VGPU_ARG_INT, 2);
	expect_error(pkt, -EINVAL, "given twice");
	/* impossible sizes: no resync */
	static const uint32_t sizes[] = {0, 8, 23, 25, 4104, 0xffffffffu};
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memcpy(pkt, &sizes[i], 4);
		ck_assert_int_eq(parse(pkt, 64), VGPU_BIN_BROKEN);
		ck_assert_int_eq(err, -EINVAL);
		ck_assert(strstr(msg, "is impossible"));
	}
}
END_TEST

/* Random packets never crash or overread (ASan), always give an answer. */
START_TEST(garbage)
{
	srand(7);
	for (int iter = 0; iter < 200000; iter++) {
		size_t n = (size_t)(rand() % 200);
		unsigned char *p = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)rand();
		if (n >= 24 && iter % 2) { /* mostly plausible headers */
			uint32_t sz = (uint32_t)(n & ~7u);
			uint16_t ver = 1, k = (uint16_t)(rand() % 40);
			uint32_t flags = 0, nargs = (uint32_t)(rand() % 6);
			memcpy(p, &sz, 4);
			memcpy(p + 4, &ver, 2);
			memcpy(p + 6, &k, 2);
			memcpy(p + 8, &flags, 4);
			memcpy(p + 12, &nargs, 4);
		}
		enum vgpu_bin_kind kind = parse(p, n);
		if (kind == VGPU_BIN_ERROR || kind == VGPU_BIN_BROKEN)
			ck_assert(err < 0 && msg[0]);
		if (kind == VGPU_BIN_COMMAND || kind == VGPU_BIN_ERROR)
			ck_assert(size >= 24 && size <= n);
		free(p);
	}
}
END_TEST

/* A launch's parameters: parsed, walked as the daemon walks them. */
START_TEST(launch_parameters)
{
	_Alignas(8) char pkt[VGPU_BIN_PACKET_MAX];
	size_t cap = sizeof(pkt);
	uint64_t g[2] = {64, 2};
	struct vgpu_bin_buf x = {5, 16};
	int64_t n[2] = {-3, 1ll << 40};
	double f = 0.1;
	uint64_t local = 256;
	vgpu_bin_begin(pkt, cap, VGPU_K_LAUNCH, 1);
	vgpu_bin_put_buf(pkt, cap, LAUNCH_PROG, 9, 0);
	vgpu_bin_put_name(pkt, cap, LAUNCH_KERNEL, "k");
	vgpu_bin_put_param(pkt, cap, "x", VGPU_BIN_PARAM_BUF, 1, &x);
	vgpu_bin_put_dims(pkt, cap, LAUNCH_GLOBAL, 2, g);
	vgpu_bin_put_param(pkt, cap, "n", VGPU_BIN_PARAM_INT, 2, n);
	vgpu_bin_put_param(pkt, cap, "f", VGPU_BIN_PARAM_FLOAT, 1, &f);
	vgpu_bin_put_param(pkt, cap, "tmp", VGPU_BIN_PARAM_LOCAL, 1, &local);
	ck_assert_int_eq(parse(pkt, vgpu_bin_size(pkt)), VGPU_BIN_COMMAND);
	ck_assert_uint_eq(cmd.nparams, 4);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].n, 2);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].v[1], 2);
	const char *want[][2] = {{"x", ""},
				 {"n", "(-3,1099511627776)"},
				 {"f", "0.10000000000000001"},
				 {"tmp", "256"}};
	struct vgpu_param p;
	size_t pos = 0;
	for (unsigned i = 0; i < 4; i++) {
		ck_assert(vgpu_param_next(&cmd, &pos, &p));
		ck_assert_int_eq((int)p.name_len, (int)strlen(want[i][0]));
		ck_assert(memcmp(p.name, want[i][0], p.name_len) == 0);
		char text[VGPU_PARAM_TEXT_MAX] = "";
		if (p.kind != VGPU_BIN_PARAM_BUF)
			ck_assert_uint_gt(
			    vgpu_param_text(&p, text, sizeof(text)), 0);
		ck_assert_str_eq(text, want[i][1]);
	}
	ck_assert(!vgpu_param_next(&cmd, &pos, &p));
	/* a text-only cap too small: no text, never a cut one */
	char small[4];
	pos = 0;
	vgpu_param_next(&cmd, &pos, &p);
	vgpu_param_next(&cmd, &pos, &p);
	ck_assert_uint_eq(vgpu_param_text(&p, small, sizeof(small)), 0);
}
END_TEST

START_TEST(completion_record)
{
	struct vgpu_bin_completion c;
	char longmsg[400];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	vgpu_bin_complete(&c, 1, 2, -EINVAL, VGPU_K_GEMM, 10, 20, longmsg);
	ck_assert_uint_eq(strlen(c.msg), sizeof(c.msg) - 1);
	vgpu_bin_complete(&c, 1, 2, 0, VGPU_K_GEMM, 10, 20, NULL);
	ck_assert_str_eq(c.msg, "");
	ck_assert_int_eq(c.status, 0);
	ck_assert_uint_eq(c.t_end_ns, 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("binary");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, gemm_as_text);
	tcase_add_test(tc, names_and_many_packets);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, completion_record);
	tcase_add_test(tc, launch_parameters);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
