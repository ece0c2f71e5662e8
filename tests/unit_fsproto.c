/* fsproto: the text parser, numbers, validation and completion lines. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/dtype.h>
#include <vgpufs/errnames.h>
#include <vgpufs/kernel_sig.h>
#include <vgpufs/launch_params.h>
#include <vgpufs/text_proto.h>
#include <vgpufs/validate.h>

static struct vgpu_cmd cmd;
static int err;
static char msg[VGPU_MSG_MAX];

static enum vgpu_line_kind parse(const char *line)
{
	err = 0;
	return vgpu_text_parse(line, strlen(line), &cmd, &err, msg,
			       sizeof(msg));
}

static void expect_error(const char *line, int want_err, const char *want_msg)
{
	ck_assert_int_eq(parse(line), VGPU_LINE_ERROR);
	ck_assert_msg(err == want_err, "'%s': err %s, want %s (%s)", line,
		      vgpu_errno_name(err), vgpu_errno_name(want_err), msg);
	ck_assert_msg(strstr(msg, want_msg), "'%s': message '%s' lacks '%s'",
		      line, msg, want_msg);
}

START_TEST(empty_and_comments)
{
	ck_assert_int_eq(parse(""), VGPU_LINE_EMPTY);
	ck_assert_int_eq(parse("   \t "), VGPU_LINE_EMPTY);
	ck_assert_int_eq(parse("# a comment"), VGPU_LINE_EMPTY);
	ck_assert_int_eq(parse("  # indented comment"), VGPU_LINE_EMPTY);
	ck_assert_int_eq(parse("nop # trailing comment"), VGPU_LINE_COMMAND);
	ck_assert_str_eq(cmd.spec->name, "nop");
	ck_assert_int_eq(parse("nop\r"), VGPU_LINE_COMMAND);
}
END_TEST

START_TEST(gemm_full)
{
	ck_assert_int_eq(
	    parse("gemm a=A b=dir/B+4096 c=C m=512 n=1K k=3 "
		  "dtype=f64 transa=1 alpha=-2.5e-1 beta=1 ldc=2048"),
	    VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.spec->id, VGPU_K_GEMM);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_M), 512);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_N), 1024);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_K), 3);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_DTYPE), VGPU_F64);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_TRANSA), 1);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_TRANSB), 0);
	ck_assert(vgpu_cmd_f(&cmd, GEMM_ALPHA) == -0.25);
	ck_assert(vgpu_cmd_f(&cmd, GEMM_BETA) == 1.0);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_LDA), 0);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, GEMM_LDC), 2048);
	ck_assert_int_eq(cmd.buf[GEMM_B].name_len, 5);
	ck_assert(memcmp(cmd.buf[GEMM_B].name, "dir/B", 5) == 0);
	ck_assert_int_eq(cmd.buf[GEMM_B].offset, 4096);
	ck_assert_int_eq(cmd.buf[GEMM_A].offset, 0);
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(parse("axpy x=x y=y n=10"), VGPU_LINE_COMMAND);
	ck_assert(vgpu_cmd_f(&cmd, AXPY_ALPHA) == 1.0);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, AXPY_DTYPE), VGPU_F32);
	ck_assert(!vgpu_cmd_given(&cmd, AXPY_ALPHA));
	ck_assert(vgpu_cmd_given(&cmd, AXPY_N));
}
END_TEST

START_TEST(syntax_errors)
{
	expect_error("gemmm a=A", -ENOSYS, "unknown kernel 'gemmm'");
	expect_error("fill buf=x value=1", -EINVAL, "missing argument 'n'");
	expect_error("fill buf=x value=1 n=4 n=5", -EINVAL, "given twice");
	expect_error("fill buf=x value=1 n=4 q=1", -EINVAL,
		     "unknown argument 'q'");
	expect_error("fill buf=x value=1 n", -EINVAL, "expected key=value");
	expect_error("fill buf=x value= n=3", -EINVAL, "has no value");
	expect_error("fill buf=x value=abc n=3", -EINVAL,
		     "not a finite number");
	expect_error("fill buf=x value=nan n=3", -EINVAL,
		     "not a finite number");
	expect_error("fill buf=x value=1e999 n=3", -ERANGE,
		     "not a finite number");
	expect_error("fill buf=x value=1 n=3x", -EINVAL, "not an integer");
	expect_error("fill buf=x value=1 n=-3", -ERANGE, "out of range");
	expect_error("fill buf=x value=1 n=99999999999999999999", -ERANGE,
		     "out of range");
	expect_error("fill buf=x value=1 n=3 dtype=f16", -EINVAL,
		     "unknown dtype 'f16'");
	expect_error("gemm a=A b=B c=C m=1 n=1 k=1 transa=2", -ERANGE,
		     "out of range");
	expect_error("gemm a=A b=B c=C m=1 n=1 k=3G", -ERANGE, "out of range");
	expect_error("nop x=1", -EINVAL, "takes: nothing");
}
END_TEST

START_TEST(buffer_names)
{
	expect_error("fill buf=../x value=1 n=1", -EINVAL, "not a buffer name");
	expect_error("fill buf=a/../x value=1 n=1", -EINVAL,
		     "not a buffer name");
	expect_error("fill buf=/etc/passwd value=1 n=1", -EINVAL,
		     "not a buffer name");
	expect_error("fill buf=a//b value=1 n=1", -EINVAL, "not a buffer name");
	expect_error("fill buf=a/ value=1 n=1", -EINVAL, "not a buffer name");
	expect_error("fill buf=./a value=1 n=1", -EINVAL, "not a buffer name");
	expect_error("fill buf=+8 value=1 n=1", -EINVAL, "not a buffer name");
	expect_error("fill buf=a+-8 value=1 n=1", -EINVAL, "offset");
	expect_error("fill buf=a+x value=1 n=1", -EINVAL, "offset");
	ck_assert_int_eq(parse("fill buf=..a/.b+1K value=1 n=1"),
			 VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.buf[FILL_BUF].offset, 1024);
	char line[] = "fill buf=a\x01 value=1 n=1";
	expect_error(line, -EINVAL, "not a buffer name");
	char nul[] = "fill buf=a value=1 n=1";
	nul[10] = '\0';
	ck_assert_int_eq(
	    vgpu_text_parse(nul, sizeof(nul) - 1, &cmd, &err, msg, sizeof(msg)),
	    VGPU_LINE_ERROR);
	ck_assert_int_eq(err, -EINVAL);
}
END_TEST

START_TEST(numbers)
{
	int64_t v;
	ck_assert_int_eq(vgpu_parse_int("4K", 2, &v), 0);
	ck_assert_int_eq(v, 4096);
	ck_assert_int_eq(vgpu_parse_int("3G", 2, &v), 0);
	ck_assert_int_eq(v, 3LL << 30);
	ck_assert_int_eq(vgpu_parse_int("2T", 2, &v), 0);
	ck_assert_int_eq(v, 2LL << 40);
	ck_assert_int_eq(vgpu_parse_int("0x10", 4, &v), 0);
	ck_assert_int_eq(v, 16);
	ck_assert_int_eq(vgpu_parse_int("-7", 2, &v), 0);
	ck_assert_int_eq(v, -7);
	ck_assert_int_eq(vgpu_parse_int("9000000T", 8, &v), -ERANGE);
	ck_assert_int_eq(vgpu_parse_int(" 5", 2, &v), -EINVAL);
	ck_assert_int_eq(vgpu_parse_int("+5", 2, &v), -EINVAL);
	ck_assert_int_eq(vgpu_parse_int("K", 1, &v), -EINVAL);
	ck_assert_int_eq(vgpu_parse_int("", 0, &v), -EINVAL);
	double d;
	ck_assert_int_eq(vgpu_parse_float("1.5e3", 5, &d), 0);
	ck_assert(d == 1500.0);
	ck_assert_int_eq(vgpu_parse_float("-0x1p-2", 7, &d), 0);
	ck_assert(d == -0.25);
	ck_assert_int_eq(vgpu_parse_float("inf", 3, &d), -EINVAL);
	ck_assert_int_eq(vgpu_parse_float("1.0f", 4, &d), -EINVAL);
}
END_TEST

static int validate(const char *line, const uint64_t sizes[],
		    const uint64_t ids[])
{
	ck_assert_int_eq(parse(line), VGPU_LINE_COMMAND);
	struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {0};
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++) {
		info[i].size = sizes[i];
		info[i].id = ids ? ids[i] : i + 1;
	}
	return vgpu_cmd_validate(&cmd, info, msg, sizeof(msg));
}

START_TEST(gemm_extents)
{
	uint64_t sz[VGPU_MAX_ARGS] = {[GEMM_A] = 64 * 32 * 4,
				      [GEMM_B] = 32 * 16 * 4,
				      [GEMM_C] = 64 * 16 * 4};
	ck_assert_int_eq(validate("gemm a=A b=B c=C m=64 n=16 k=32", sz, NULL),
			 0);
	/* the contract's example message */
	sz[GEMM_B] = 4096;
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=64 n=1024 k=1024", sz, NULL), -EINVAL);
	sz[GEMM_A] = 1 << 30;
	sz[GEMM_C] = 1 << 30;
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=64 n=1024 k=1024", sz, NULL), -EINVAL);
	ck_assert_str_eq(
	    msg, "gemm: buffer 'b' holds 4096 bytes, needs 4194304 (k*n*4)");
	/* leading dimensions and transposes */
	sz[GEMM_B] = 1 << 30;
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=4 n=4 k=8 lda=4", sz, NULL), -EINVAL);
	ck_assert(strstr(msg, "lda=4 is less than k=8"));
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=4 n=4 k=8 transa=1 lda=4", sz, NULL),
	    0);
	sz[GEMM_A] =
	    (7 * 10 + 4) * 8 - 1; /* stored k x m = 8 x 4, lda 10, f64 */
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=4 n=4 k=8 transa=1 lda=10 "
		     "dtype=f64",
		     sz, NULL),
	    -EINVAL);
	ck_assert(strstr(msg, "((k-1)*lda+m)*8"));
	sz[GEMM_A] += 1;
	ck_assert_int_eq(
	    validate("gemm a=A b=B c=C m=4 n=4 k=8 transa=1 lda=10 "
		     "dtype=f64",
		     sz, NULL),
	    0);
	/* offsets count */
	ck_assert_int_eq(validate("gemm a=A+8 b=B c=C m=4 n=4 k=8 transa=1 "
				  "lda=10 dtype=f64",
				  sz, NULL),
			 -EINVAL);
	ck_assert(strstr(msg, "from offset 8"));
	/* empty matrices need nothing */
	uint64_t zero[VGPU_MAX_ARGS] = {0};
	ck_assert_int_eq(validate("gemm a=A b=B c=C m=0 n=5 k=5", zero, NULL),
			 -EINVAL); /* B is 5x5 */
	ck_assert_int_eq(validate("gemm a=A b=B c=C m=0 n=5 k=0", zero, NULL),
			 0);
}
END_TEST

START_TEST(overflow)
{
	uint64_t big[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		big[i] = UINT64_MAX;
	/* ((m-1)*lda + k)*8 passes 2^64 */
	ck_assert_int_eq(validate("gemm a=A b=B c=C m=2147483647 n=1 "
				  "k=2147483647 lda=2147483647 dtype=f64",
				  big, NULL),
			 -EOVERFLOW);
	ck_assert(strstr(msg, "overflows"));
	/* offset + extent wraps around */
	ck_assert_int_eq(validate("fill buf=x+0x7ffffffffffffffc value=1 "
				  "n=576460752303423487",
				  big, NULL),
			 0);
	uint64_t sz[VGPU_MAX_ARGS] = {[FILL_BUF] = 4096};
	ck_assert_int_eq(
	    validate("fill buf=x+0x7ffffffffffffffc value=1 n=1", sz, NULL),
	    -EINVAL);
	/* the binary form carries 64-bit offsets: offset + extent may wrap */
	ck_assert_int_eq(validate("copy src=a dst=b bytes=100", big, NULL), 0);
	cmd.buf[COPY_SRC].offset = UINT64_MAX - 10;
	struct vgpu_bufinfo info[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		info[i] =
		    (struct vgpu_bufinfo){.id = i + 1, .size = UINT64_MAX};
	ck_assert_int_eq(vgpu_cmd_validate(&cmd, info, msg, sizeof(msg)),
			 -EINVAL);
}
END_TEST

START_TEST(aliasing)
{
	uint64_t sz[VGPU_MAX_ARGS];
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++)
		sz[i] = 1 << 20;
	uint64_t same[VGPU_MAX_ARGS] = {0}; /* all arguments in buffer 0 */
	ck_assert_int_eq(validate("gemm a=X b=X c=X+128 m=8 n=8 k=8", sz, same),
			 -EINVAL);
	ck_assert(strstr(msg, "'c' overlaps 'a'"));
	ck_assert_int_eq(validate("gemm a=X b=X c=X+512 m=8 n=8 k=8", sz, same),
			 0);
	ck_assert_int_eq(validate("axpy x=X y=X n=100", sz, same), 0);
	ck_assert_int_eq(validate("axpy x=X y=X+4 n=100", sz, same), -EINVAL);
	ck_assert_int_eq(validate("axpy x=X y=X+400 n=100", sz, same), 0);
	ck_assert_int_eq(validate("copy src=X dst=X+4 bytes=100", sz, same), 0);
}
END_TEST

START_TEST(completion_lines)
{
	char line[128];
	size_t n = vgpu_format_ok(line, sizeof(line), 1, "gemm", 1830);
	ck_assert_str_eq(line, "1 ok gemm 1830\n");
	ck_assert_uint_eq(n, strlen(line));
	vgpu_format_err(line, sizeof(line), 4, -EINVAL, "bad\nthing");
	ck_assert_str_eq(line, "4 err EINVAL: bad thing\n");
	char longmsg[300];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = vgpu_format_err(line, 64, 7, -E2BIG, longmsg);
	ck_assert_uint_eq(n, 63);
	ck_assert_int_eq(line[62], '\n');
	ck_assert_str_eq(vgpu_errno_name(ENOSPC), "ENOSPC");
	ck_assert_str_eq(vgpu_errno_name(-EACCES), "EACCES");
	ck_assert_str_eq(vgpu_errno_name(100000), "EUNKNOWN");
}
END_TEST

START_TEST(catalog_docs)
{
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(k->id, id);
		char buf[4096];
		int n = vgpu_catalog_describe(k, buf, sizeof(buf));
		ck_assert_int_lt(n, (int)sizeof(buf));
		ck_assert(strstr(buf, k->name));
		ck_assert(strstr(buf, "example: "));
		ck_assert(!strstr(buf, "offsets: ") ==
			  (k->id == VGPU_K_NOP || k->control));
		/* every documented example parses */
		ck_assert_msg(parse(k->example) == VGPU_LINE_COMMAND, "%s: %s",
			      k->example, msg);
		ck_assert_ptr_eq(cmd.spec, k);
	}
	ck_assert_ptr_null(vgpu_catalog_by_id(vgpu_catalog_count()));
	ck_assert_ptr_null(vgpu_catalog_find("gem", 3));
}
END_TEST

/*
 * The size a buffer argument's offset must be a multiple of, by the rule
 * docs/commands.md states, worked out here apart from the catalogue: the
 * size of the argument's element type.
 */
static size_t elem_size(const struct vgpu_cmd *c, unsigned arg)
{
	const struct vgpu_kernel_spec *k = c->spec;
	int64_t dt = -1; /* the command's dtype argument, if any */
	for (unsigned i = 0; i < k->nargs && dt < 0; i++)
		if (k->args[i].type == VGPU_ARG_DTYPE)
			dt = vgpu_cmd_i(c, i);
	switch (k->id) {
	case VGPU_K_BUILD:
	case VGPU_K_LAUNCH: /* the program is read whole: bytes */
	case VGPU_K_COPY:
		return 1; /* bytes */
	case VGPU_K_FFT:
		return 4; /* complex f32: pairs of f32 */
	case VGPU_K_CAST:
		dt = vgpu_cmd_i(c, arg == CAST_X ? CAST_FROM : CAST_TO);
		break;
	case VGPU_K_ARGMAX:
	case VGPU_K_ARGMIN:
		if (arg == RED_OUT)
			return 4; /* i32 indices */
		break;
	case VGPU_K_MEAN:
		if (arg == RED_OUT && dt == VGPU_I32)
			return 8; /* f64 means */
		break;
	case VGPU_K_EMBEDDING:
	case VGPU_K_EMBEDDING_BACKWARD:
		if (arg == EMB_IDX)
			return 4; /* i32 row numbers */
		break;
	case VGPU_K_CROSS_ENTROPY:
	case VGPU_K_CROSS_ENTROPY_BACKWARD:
		if (arg == XENT_TARGET)
			return 4; /* i32 class indices */
		break;
	case VGPU_K_GEMM:
	case VGPU_K_GEMM_BATCHED:
		if (arg == GEMM_C && dt == VGPU_BF16)
			return 4; /* f32 results */
		break;
	}
	ck_assert_int_ge(dt, 0);
	return vgpu_dtype_size((enum vgpu_dtype)dt);
}

/*
 * Argument ARG of the command in `cmd` at its offset + 1G + D (past any
 * other argument) on buffers of 1 TiB: refused with EINVAL and a message
 * naming it unless D is a multiple of its element size, else accepted.
 */
static void check_offset(const struct vgpu_cmd *base,
			 const struct vgpu_bufinfo info[], unsigned arg,
			 uint64_t d)
{
	struct vgpu_cmd c = *base;
	const char *kname = c.spec->name, *aname = c.spec->args[arg].name;
	size_t es = elem_size(&c, arg);
	c.buf[arg].offset += (1u << 30) + d;
	int rc = vgpu_cmd_validate(&c, info, msg, sizeof(msg));
	if (d % es == 0) {
		ck_assert_msg(rc == 0, "%s: %s at +%" PRIu64 ": %s", kname,
			      aname, d, msg);
		return;
	}
	ck_assert_msg(rc == -EINVAL, "%s: %s at +%" PRIu64 " not refused",
		      kname, aname, d);
	char want[VGPU_MSG_MAX];
	snprintf(want, sizeof(want),
		 "%s: '%s' offset %" PRIu64 " is not a multiple of %zu", kname,
		 aname, c.buf[arg].offset, es);
	ck_assert_msg(strstr(msg, want), "'%s' lacks '%s'", msg, want);
}

/* Sets CMD's dtype arguments to combination COMBO of the spec's dtypes. */
static bool set_dtypes(struct vgpu_cmd *c, unsigned combo)
{
	const struct vgpu_kernel_spec *k = c->spec;
	for (unsigned i = 0; i < k->nargs; i++) {
		if (k->args[i].type != VGPU_ARG_DTYPE)
			continue;
		unsigned t = combo % VGPU_DTYPE_COUNT;
		combo /= VGPU_DTYPE_COUNT;
		if (!(k->dtypes & VGPU_DT(t)))
			return false;
		c->val[i].i = t;
	}
	return combo == 0;
}

/*
 * Every kernel's example, with every dtype (pair) it takes: each buffer
 * argument given at an offset that is not a multiple of its element size
 * is refused, naming it, and accepted at one that is.
 */
START_TEST(offsets_aligned)
{
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		ck_assert_int_eq(parse(k->example), VGPU_LINE_COMMAND);
		struct vgpu_cmd ex = cmd;
		/* Buffers of 1 TiB; one per name, as the example aliases. */
		struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {0};
		for (unsigned i = 0; i < k->nargs; i++) {
			info[i].size = (uint64_t)1 << 40;
			for (uint16_t j = 0;
			     ex.buf[i].name && j < ex.buf[i].name_len; j++)
				info[i].id = info[i].id * 131 +
					     (uint8_t)ex.buf[i].name[j];
		}
		ck_assert_msg(vgpu_cmd_validate(&ex, info, msg, sizeof(msg)) ==
				  0,
			      "%s: %s", k->example, msg);
		unsigned tried = 0;
		for (unsigned combo = 0;
		     combo < VGPU_DTYPE_COUNT * VGPU_DTYPE_COUNT; combo++) {
			struct vgpu_cmd c = ex;
			/* A combination the example's other arguments refuse
			 * (bscalar=0.5 with i32) says nothing here. */
			if (!set_dtypes(&c, combo) ||
			    vgpu_cmd_validate(&c, info, msg, sizeof(msg)) < 0)
				continue;
			tried++;
			for (unsigned i = 0; i < k->nargs; i++)
				if (k->args[i].type == VGPU_ARG_BUF &&
				    vgpu_cmd_given(&c, i))
					for (uint64_t d = 1; d <= 8; d++)
						check_offset(&c, info, i, d);
		}
		ck_assert_msg(tried > 0, "%s: no dtype tried", k->name);
	}
}
END_TEST

/* Event names: copied into the command, checked for length and letters. */
START_TEST(event_names)
{
	ck_assert_int_eq(parse("signal event=a.b-c_9 value=3"),
			 VGPU_LINE_COMMAND);
	ck_assert_str_eq(cmd.name, "a.b-c_9");
	ck_assert_int_eq(vgpu_cmd_i(&cmd, SIGNAL_VALUE), 3);
	ck_assert_int_eq(parse("wait event=x"), VGPU_LINE_COMMAND);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, WAIT_VALUE), 1);
	ck_assert_int_eq(vgpu_cmd_i(&cmd, WAIT_TIMEOUT_MS), 0);
	char line[128], name[VGPU_NAME_MAX + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[VGPU_NAME_MAX] = '\0'; /* the longest */
	snprintf(line, sizeof(line), "wait event=%s", name);
	ck_assert_int_eq(parse(line), VGPU_LINE_COMMAND);
	ck_assert_str_eq(cmd.name, name);
	name[VGPU_NAME_MAX] = 'n';
	name[VGPU_NAME_MAX + 1] = '\0'; /* one too long */
	snprintf(line, sizeof(line), "wait event=%s", name);
	expect_error(line, -EINVAL, "is not a name");
	expect_error("signal event=a/b", -EINVAL, "is not a name");
	expect_error("signal event=é", -EINVAL, "is not a name");
	expect_error("signal", -EINVAL, "missing argument 'event'");
	expect_error("signal event=a value=0", -ERANGE, "out of range");
	expect_error("wait event=a timeout_ms=-1", -ERANGE, "out of range");
	/* at most one name argument a kernel: vgpu_cmd has room for one */
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(id);
		unsigned names = 0;
		for (unsigned i = 0; i < k->nargs; i++)
			names += k->args[i].type == VGPU_ARG_NAME;
		ck_assert_uint_le(names, 1);
	}
}
END_TEST

/* Random bytes never crash the parser and always give an answer. */
/* The kernel parameters of the last parse, "name=value ..." */
static const char *params_of(void)
{
	static char out[8192];
	size_t pos = 0, used = 0;
	struct vgpu_param p;
	out[0] = '\0';
	while (vgpu_param_next(&cmd, &pos, &p))
		used += (size_t)snprintf(out + used, sizeof(out) - used,
					 "%s%.*s=%.*s", used ? " " : "",
					 (int)p.name_len, p.name,
					 (int)p.value_len, p.value);
	return out;
}

START_TEST(build_and_launch)
{
	ck_assert_int_eq(parse("build prog=k/saxpy.cl"), VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.spec->id, VGPU_K_BUILD);
	ck_assert_int_eq(cmd.buf[BUILD_PROG].name_len, 10);
	expect_error("build", -EINVAL, "missing argument 'prog'");
	expect_error("build prog=../x", -EINVAL, "not a buffer name");

	ck_assert_int_eq(parse("launch prog=s.cl kernel=saxpy global=1M "
			       "a=2.5 x=x+64 y=y # comment"),
			 VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.spec->id, VGPU_K_LAUNCH);
	ck_assert_str_eq(cmd.name, "saxpy");
	ck_assert_int_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].n, 1);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].v[0], 1u << 20);
	ck_assert_int_eq(cmd.dims[LAUNCH_DIMS_LOCAL].n, 0);
	ck_assert_int_eq(cmd.nparams, 3);
	ck_assert_str_eq(params_of(), "a=2.5 x=x+64 y=y");

	/* launch keys anywhere; arg. gives a parameter named like one */
	ck_assert_int_eq(parse("launch v=(1,2,3,4) prog=p kernel=k "
			       "global=64,32,2 arg.global=g local=8,4 "
			       "offset=1,2,3 arg.kernel=7"),
			 VGPU_LINE_COMMAND);
	ck_assert_str_eq(params_of(), "v=(1,2,3,4) global=g kernel=7");
	ck_assert_int_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].n, 3);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_GLOBAL].v[2], 2);
	ck_assert_int_eq(cmd.dims[LAUNCH_DIMS_LOCAL].n, 2);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_LOCAL].v[1], 4);
	ck_assert_uint_eq(cmd.dims[LAUNCH_DIMS_OFFSET].v[2], 3);
	/* arg.x and x are one parameter */
	expect_error("launch prog=p kernel=k global=1 x=a arg.x=b", -EINVAL,
		     "parameter 'x' is given twice");
	expect_error("launch prog=p kernel=k global=1 global=2", -EINVAL,
		     "'global' is given twice");
	expect_error("launch prog=p kernel=k", -EINVAL,
		     "missing argument 'global'");
	expect_error("launch prog=p global=4", -EINVAL,
		     "missing argument 'kernel'");
	expect_error("launch prog=p kernel=k global=1,2,3,4", -EINVAL,
		     "global: at most 3 sizes");
	expect_error("launch prog=p kernel=k global=1,,2", -EINVAL,
		     "global: '' is not a size");
	expect_error("launch prog=p kernel=k global=4 local=0", -ERANGE,
		     "local: '0' is not a size in [1,");
	expect_error("launch prog=p kernel=k global=-1", -ERANGE,
		     "global: '-1' is not a size");
	expect_error("launch prog=p kernel=k global=2T", -ERANGE,
		     "global: '2T' is not a size");
	expect_error("launch prog=p kernel=k global=1 9x=1", -EINVAL,
		     "'9x' is not a parameter name");
	expect_error("launch prog=p kernel=k global=1 arg.=1", -EINVAL,
		     "'' is not a parameter name");
	expect_error("launch prog=p kernel=k global=1 x=", -EINVAL,
		     "parameter 'x' has no value");
	expect_error("launch prog=p kernel=k global=1 x", -EINVAL,
		     "expected key=value");

	/* limits: 64 parameters, names of 63, values of 1100 bytes */
	char line[VGPU_LINE_MAX + 1];
	size_t used = (size_t)snprintf(line, sizeof(line),
				       "launch prog=p kernel=k global=1");
	for (int i = 0; i < VGPU_PARAMS_MAX; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 " p%d=%d", i, i);
	ck_assert_int_eq(parse(line), VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.nparams, VGPU_PARAMS_MAX);
	snprintf(line + used, sizeof(line) - used, " one=more");
	expect_error(line, -E2BIG, "more than 64 kernel parameters");
	char name[VGPU_PARAM_NAME_MAX + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "launch prog=p kernel=k global=1 %s=1",
		 name);
	expect_error(line, -EINVAL, "is not a parameter name");
	name[VGPU_PARAM_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "launch prog=p kernel=k global=1 %s=1",
		 name);
	ck_assert_int_eq(parse(line), VGPU_LINE_COMMAND);
	used = (size_t)snprintf(line, sizeof(line),
				"launch prog=p kernel=k global=1 v=");
	memset(line + used, 'b', VGPU_PARAM_VALUE_MAX + 1);
	line[used + VGPU_PARAM_VALUE_MAX + 1] = '\0';
	expect_error(line, -ENAMETOOLONG, "parameter 'v': value of 1101");
	/* a kernel that takes no parameters has a launch with none */
	ck_assert_int_eq(parse("launch prog=p kernel=k global=1"),
			 VGPU_LINE_COMMAND);
	ck_assert_int_eq(cmd.nparams, 0);
	ck_assert_str_eq(params_of(), "");
}
END_TEST

START_TEST(garbage)
{
	srand(42);
	char line[512];
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)rand() % sizeof(line);
		for (size_t i = 0; i < len; i++)
			line[i] = iter % 2
				      ? (char)(rand() % 256)
				      : "gemm fil a=b+1K2 #\t"[rand() % 19];
		enum vgpu_line_kind k =
		    vgpu_text_parse(line, len, &cmd, &err, msg, sizeof(msg));
		if (k == VGPU_LINE_ERROR)
			ck_assert(err < 0 && msg[0]);
	}
}
END_TEST

/* Kernel signatures: what the daemon prints parses back the same; bad
 * fields, disagreeing ones and names twice are refused. */
START_TEST(kernel_signatures)
{
	const char *line = "k n:scalar:i32:1:private:ro x:buffer:-:1:global:ro "
			   "y:buffer:-:1:global:rw c:buffer:-:1:constant:ro "
			   "tmp:local:-:1:local:rw v:scalar:f32:4:private:ro "
			   "reqd_work_group_size=64,1,1";
	struct vgpu_sig_kernel k;
	char msg[256], out[VGPU_SIG_LINE_MAX];
	ck_assert_int_eq(
	    vgpu_sig_parse_line(line, strlen(line), &k, msg, sizeof(msg)), 0);
	ck_assert_str_eq(k.name, "k");
	ck_assert_uint_eq(k.nparams, 6);
	ck_assert_int_eq(k.params[4].kind, VGPU_SIG_LOCAL);
	ck_assert_int_eq(k.params[5].type, VGPU_SIG_F32);
	ck_assert_uint_eq(k.params[5].lanes, 4);
	ck_assert(!k.params[2].read_only && k.params[1].read_only);
	ck_assert_uint_eq(k.reqd_work_group_size[0], 64);
	size_t n = vgpu_sig_format(&k, out, sizeof(out));
	ck_assert_uint_eq(n, strlen(line) + 1);
	ck_assert_int_eq(strncmp(out, line, strlen(line)), 0);
	ck_assert_int_eq(out[n - 1], '\n');
	/* cut output is counted, as snprintf does */
	ck_assert_uint_eq(vgpu_sig_format(&k, out, 10), n);
	ck_assert_uint_eq(strlen(out), 9);

	const char *text = "a x:buffer:-:1:global:rw\nab\nb!\n";
	ck_assert_int_eq(
	    vgpu_sig_find(text, strlen(text), "ab", &k, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(k.nparams, 0);
	ck_assert_int_eq(
	    vgpu_sig_find(text, strlen(text), "a", &k, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(k.nparams, 1);
	ck_assert_int_eq(
	    vgpu_sig_find(text, strlen(text), "c", &k, msg, sizeof(msg)),
	    -ENOENT);
	static const char *const bad[] = {
	    "",
	    " k",
	    "1k",
	    "k x:buffer:-:1:global",
	    "k x:buffer:-:1:global:rw:",
	    "k x:buffer:f32:1:global:rw",
	    "k x:buffer:-:4:global:rw",
	    "k x:buffer:-:1:constant:rw",
	    "k x:buffer:-:1:private:rw",
	    "k x:scalar:-:1:private:ro",
	    "k x:scalar:i32:5:private:ro",
	    "k x:scalar:i32:1:private:rw",
	    "k x:scalar:i32:01x:private:ro",
	    "k x:local:-:1:global:rw",
	    "k x:scalar:i32:1:private:ro x:scalar:i32:1:private:ro",
	    "k x.s0:scalar:i32:1:private:ro",
	    "k reqd_work_group_size=1,1",
	    "k reqd_work_group_size=1,1,1,",
	    "k reqd_work_group_size=0,1,1",
	    "k reqd_work_group_size=08,1,1",
	    "k x:scalar:i32:01:private:ro",
	    "k reqd_work_group_size=4294967296,1,1",
	    "k reqd_work_group_size=1,1,1 x:scalar:i32:1:private:ro",
	    "k  x:scalar:i32:1:private:ro",
	    "k ",
	    "k x:scalar:i32:1:private:ro ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(vgpu_sig_parse_line(bad[i], strlen(bad[i]), &k,
						  msg, sizeof(msg)) == -EINVAL,
			      "accepted: %s", bad[i]);
	/* a NUL inside a field is no end of it */
	const char nul[] = "k x:scalar:i32:1:private:ro\0";
	ck_assert_int_eq(
	    vgpu_sig_parse_line(nul, sizeof(nul) - 1, &k, msg, sizeof(msg)),
	    -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fsproto");
	TCase *tc = tcase_create("text");
	tcase_add_test(tc, empty_and_comments);
	tcase_add_test(tc, gemm_full);
	tcase_add_test(tc, event_names);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, buffer_names);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, gemm_extents);
	tcase_add_test(tc, overflow);
	tcase_add_test(tc, aliasing);
	tcase_add_test(tc, offsets_aligned);
	tcase_add_test(tc, completion_lines);
	tcase_add_test(tc, catalog_docs);
	tcase_add_test(tc, build_and_launch);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, kernel_signatures);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
