#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "victim_probe.h"

enum { VICTIM_ROUNDS = 21, GEMM_N = 64 };
#define HANG_US 5e6

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct probe_latency summarize(double us[VICTIM_ROUNDS],
				      const char *what, const char *attack)
{
	qsort(us, VICTIM_ROUNDS, sizeof(us[0]), by_value);
	struct probe_latency l = {us[VICTIM_ROUNDS / 2], us[VICTIM_ROUNDS - 1]};
	ck_assert_msg(l.max_us < HANG_US,
		      "victim under %s: a %s took %.0f us (hung?)", attack,
		      what, l.max_us);
	return l;
}

/*
 * The completion of the one command in flight on Q: read directly, as the
 * attack may leave Q past the descriptors queue_recv() keeps lines for.
 */
static void recv_line(int q, char *out, size_t len)
{
	size_t got = 0;
	while (got + 1 < len) {
		ssize_t n = read(q, out + got, len - 1 - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
		if (out[got - 1] == '\n')
			break;
	}
	out[got] = '\0';
}

/* One command's round trip on Q (its completion must be ok), in us. */
static double command_us(int q, const char *line, const char *attack)
{
	char out[256];
	double t0 = now_seconds();
	queue_send(q, line);
	recv_line(q, out, sizeof(out));
	double us = (now_seconds() - t0) * 1e6;
	ck_assert_msg(strstr(out, " ok "), "victim under %s: '%s' -> '%s'",
		      attack, line, out);
	return us;
}

/* Opening, reading and closing the info file, in us. */
static double info_us(const struct daemon_proc *d, const char *attack)
{
	char text[16384];
	double t0 = now_seconds();
	int fd = open(dpath(d, "info"), O_RDONLY);
	ck_assert_msg(fd >= 0, "victim under %s: open info failed", attack);
	ssize_t n = read(fd, text, sizeof(text));
	close(fd);
	ck_assert_msg(n > 0, "victim under %s: read info failed", attack);
	return (now_seconds() - t0) * 1e6;
}

static const char *const names[] = {"victim_a", "victim_b", "victim_c"};

static void make_buffers(const struct daemon_proc *d)
{
	size_t bytes = GEMM_N * GEMM_N * sizeof(float);
	float *ones = malloc(bytes);
	ck_assert_ptr_nonnull(ones);
	for (size_t i = 0; i < GEMM_N * GEMM_N; i++)
		ones[i] = 1;
	static const char *const names[] = {"victim_a", "victim_b", "victim_c"};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(buf_create(d, names[i], bytes), 0);
		buf_write(d, names[i], ones, bytes);
	}
	free(ones);
}

struct probe_figures victim_probe(const struct daemon_proc *d,
				  const char *attack)
{
	make_buffers(d);
	int q = queue_open(d, 0);
	char gemm[128];
	snprintf(gemm, sizeof(gemm),
		 "gemm a=victim_a b=victim_b c=victim_c m=%d n=%d k=%d", GEMM_N,
		 GEMM_N, GEMM_N);
	double nop[VICTIM_ROUNDS], mm[VICTIM_ROUNDS], info[VICTIM_ROUNDS];
	for (int i = 0; i < VICTIM_ROUNDS; i++) {
		nop[i] = command_us(q, "nop", attack);
		mm[i] = command_us(q, gemm, attack);
		info[i] = info_us(d, attack);
	}
	close(q);
	float c[GEMM_N * GEMM_N];
	buf_read(d, "victim_c", c, sizeof(c));
	for (int i = 0; i < GEMM_N * GEMM_N; i++)
		ck_assert_msg(c[i] == GEMM_N, "victim under %s: C[%d] = %g",
			      attack, i, c[i]);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(unlink(mem_path(d, names[i])), 0);
	struct probe_figures f = {summarize(nop, "nop", attack),
				  summarize(mm, "gemm", attack),
				  summarize(info, "cat info", attack)};
	printf("victim under %s: nop p50 %.0f us (max %.0f), gemm 64^3 p50 "
	       "%.0f us (max %.0f), cat info p50 %.0f us (max %.0f)\n",
	       attack, f.nop.p50_us, f.nop.max_us, f.gemm.p50_us, f.gemm.max_us,
	       f.info.p50_us, f.info.max_us);
	fflush(stdout);
	return f;
}
