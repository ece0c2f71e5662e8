/*
 * gemm on disk-tier matrices, run out of core (daemon/ooc/ooc_gemm.c): blocks
 * of C staged through a small --staging with io_uring. Results are checked
 * against a triple loop in double, for f32 and f64, alpha and beta, every
 * mix of tiers, transposed operands, odd shapes and unaligned offsets;
 * stats must show that the
 * runner took the command (a runner that silently declined would still be
 * correct). Also: a client gone mid-gemm, and an I/O error.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;
static char disk[64];

/* The daemon on a fresh disk directory, staging too small for the data. */
static void start_with(const char *staging, const char *workers,
		       const char *env)
{
	snprintf(disk, sizeof(disk), "/tmp/vgpufs-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(disk));
	const char *args[] = {"--vram",	     "256M",  "--disk",	   disk,
			      "--disk-size", "1G",    "--staging", staging,
			      "--workers",   workers, NULL};
	d.mnt[0] = '\0';
	d.env = env;
	daemon_start(&d, args);
}

static void setup(void)
{
	start_with("4M", "2", NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void teardown(void)
{
	int status = daemon_stop(&d);
	nftw(disk, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	ck_assert_int_eq(status, 0); /* a clean stop: no leaks, no crash */
}

/* mem/NAME in TIER ("ram" or "disk") holding SIZE bytes of DATA. */
static void put(const char *name, const char *tier, const void *data,
		size_t size)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	/* the tier is set on the empty buffer, closed (an open one is busy) */
	int fd = open(dpath(&d, rel), O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	close(fd);
	ck_assert_msg(setxattr(dpath(&d, rel), "user.vgpu.tier", tier,
			       strlen(tier), 0) == 0,
		      "%s: tier %s: %s", name, tier, strerror(errno));
	fd = open(dpath(&d, rel), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, size, 0), (ssize_t)size);
	close(fd);
}

static void get(const char *name, void *data, size_t size)
{
	buf_read(&d, name, data, size);
}

/* A gemm's shape and where its matrices live. */
struct shape {
	bool ta, tb;	   /* transa, transb: A stored k x m, B n x k */
	const char *dtype; /* "f32" or "f64" */
	uint64_t m, n, k, lda, ldb, ldc;
	uint64_t aoff, boff, coff; /* bytes into their buffers */
	double alpha, beta;
	const char *tier[3]; /* of A, B, C */
};

/* dtype, m, n, k, lda, ldb, ldc, offsets of A, B, C, alpha, beta, tiers */
#define SHAPE(...) ((struct shape){false, false, __VA_ARGS__})
/* the same, with A and B stored transposed as TA and TB say */
#define SHAPE_T(ta, tb, ...) ((struct shape){ta, tb, __VA_ARGS__})
/* the same, A and B stored transposed as TA and TB say */
#define SHAPE_T(ta, tb, ...) ((struct shape){ta, tb, __VA_ARGS__})

static double rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / (double)(1ULL << 53) * 2 - 1;
}

/* A buffer of OFF bytes then ROWS x LD elements of random values. */
static void *matrix(const struct shape *sh, uint64_t off, uint64_t rows,
		    uint64_t ld, uint64_t seed, size_t *size)
{
	size_t es = sh->dtype[1] == '6' ? 8 : 4;
	*size = off + rows * ld * es;
	char *p = malloc(*size);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x5a, off);
	for (uint64_t i = 0; i < rows * ld; i++) {
		double v = rnd(&seed);
		if (es == 8)
			memcpy(p + off + i * 8, &v, 8);
		else {
			float f = (float)v;
			memcpy(p + off + i * 4, &f, 4);
		}
	}
	return p;
}

static double elem(const struct shape *sh, const char *p, uint64_t off,
		   uint64_t i)
{
	if (sh->dtype[1] == '6') {
		double v;
		memcpy(&v, p + off + i * 8, 8);
		return v;
	}
	float f;
	memcpy(&f, p + off + i * 4, 4);
	return f;
}

static int evict_one(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st, (void)ftw;
	int fd = flag == FTW_F ? open(path, O_RDONLY) : -1;
	if (fd >= 0) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return 0;
}

/*
 * Set: the disk tier's files leave the page cache once written, so that
 * the runner reads them from the disk (with O_DIRECT where aligned).
 */
static bool evict;

/* A gemm's operands, in memory and as buffers PREFIX-a, -b and -c. */
struct operands {
	char *a, *b, *c;
	size_t sa, sb, sc;
	char na[64], nb[64], nc[64];
};

/*
 * Random operands of SH (stored transposed as it says), put in their
 * tiers; with beta = 0 C holds NaN, which must not leak into the result.
 */
static void make_operands(const struct shape *sh, const char *prefix,
			  struct operands *o)
{
	size_t es = sh->dtype[1] == '6' ? 8 : 4;
	o->a = matrix(sh, sh->aoff, sh->ta ? sh->k : sh->m, sh->lda, 1, &o->sa);
	o->b = matrix(sh, sh->boff, sh->tb ? sh->n : sh->k, sh->ldb, 2, &o->sb);
	o->c = matrix(sh, sh->coff, sh->m, sh->ldc, 3, &o->sc);
	if (sh->beta == 0)
		for (uint64_t i = 0; i < sh->m; i++)
			memset(o->c + sh->coff + i * sh->ldc * es, 0xff,
			       sh->n * es);
	snprintf(o->na, sizeof(o->na), "%s-a", prefix);
	snprintf(o->nb, sizeof(o->nb), "%s-b", prefix);
	snprintf(o->nc, sizeof(o->nc), "%s-c", prefix);
	put(o->na, sh->tier[0], o->a, o->sa);
	put(o->nb, sh->tier[1], o->b, o->sb);
	put(o->nc, sh->tier[2], o->c, o->sc);
	if (evict)
		nftw(disk, evict_one, 16, FTW_PHYS);
}

static void free_operands(struct operands *o)
{
	free(o->a), free(o->b), free(o->c);
}

/* The gemm SH as a command line on buffers A, B and C, at SH's offsets. */
static void gemm_line(const struct shape *sh, const char *a, const char *b,
		      const char *c, char *line, size_t len)
{
	snprintf(line, len,
		 "gemm a=%s+%llu b=%s+%llu c=%s+%llu m=%llu n=%llu k=%llu "
		 "dtype=%s alpha=%.17g beta=%.17g lda=%llu ldb=%llu ldc=%llu "
		 "transa=%d transb=%d",
		 a, (unsigned long long)sh->aoff, b,
		 (unsigned long long)sh->boff, c, (unsigned long long)sh->coff,
		 (unsigned long long)sh->m, (unsigned long long)sh->n,
		 (unsigned long long)sh->k, sh->dtype, sh->alpha, sh->beta,
		 (unsigned long long)sh->lda, (unsigned long long)sh->ldb,
		 (unsigned long long)sh->ldc, sh->ta, sh->tb);
}

/*
 * Checks OUT, C's buffer after the gemm SH on operands O, against a triple
 * loop: C's elements, the padding of ldc, and the bytes before C.
 */
static void check_c(const struct shape *sh, const char *prefix,
		    const struct operands *o, const char *out)
{
	size_t es = sh->dtype[1] == '6' ? 8 : 4;
	const char *a = o->a, *b = o->b, *c = o->c;
	ck_assert_msg(memcmp(out, c, sh->coff) == 0, "bytes before C changed");
	double tol = (sh->dtype[1] == '6' ? 1e-12 : 2e-6) * (double)sh->k;
	/* big ones: every few rows (and the last), about 5e8 steps of loop */
	uint64_t every = sh->m * sh->n * sh->k / 500000000 + 1;
	for (uint64_t i = 0; i < sh->m;
	     i = i + every < sh->m || i == sh->m - 1 ? i + every : sh->m - 1)
		for (uint64_t j = 0; j < sh->ldc; j++) {
			uint64_t at = sh->coff + (i * sh->ldc + j) * es;
			if (j >= sh->n) { /* ldc's padding: left as it was */
				ck_assert_msg(memcmp(out + at, c + at, es) == 0,
					      "%s: C[%llu][%llu] changed",
					      prefix, (unsigned long long)i,
					      (unsigned long long)j);
				continue;
			}
			double s = 0;
			for (uint64_t p = 0; p < sh->k; p++)
				s += elem(sh, a, sh->aoff,
					  sh->ta ? p * sh->lda + i
						 : i * sh->lda + p) *
				     elem(sh, b, sh->boff,
					  sh->tb ? j * sh->ldb + p
						 : p * sh->ldb + j);
			double want = sh->alpha * s;
			if (sh->beta != 0) /* beta = 0: C is not read at all */
				want += sh->beta *
					elem(sh, c, sh->coff, i * sh->ldc + j);
			double got = elem(sh, out, sh->coff, i * sh->ldc + j);
			ck_assert_msg(fabs(got - want) <= tol,
				      "%s: C[%llu][%llu] = %.9g, want %.9g",
				      prefix, (unsigned long long)i,
				      (unsigned long long)j, got, want);
		}
}

/*
 * Runs the gemm SH on fresh buffers PREFIX-a, -b, -c and checks C against
 * a triple loop, and that the bytes around C are untouched. Returns the
 * command's completion line in REPLY.
 */
static void check_gemm(const struct shape *sh, const char *prefix, char *reply,
		       size_t len)
{
	struct operands o;
	make_operands(sh, prefix, &o);
	char line[512];
	gemm_line(sh, o.na, o.nb, o.nc, line, sizeof(line));
	run_line(&d, line, reply, len);
	ck_assert_msg(strncmp(reply, "1 ok", 4) == 0, "%s: %s", line, reply);
	char *out = malloc(o.sc);
	ck_assert_ptr_nonnull(out);
	get(o.nc, out, o.sc);
	check_c(sh, prefix, &o, out);
	free_operands(&o);
	free(out);
}

/* check_gemm(), and that the runner took it (or declined: TAKEN false). */
static void check_ooc(const struct shape *sh, const char *prefix, bool taken)
{
	double cmds = stats_value(&d, "ooc_gemm_commands");
	double read = stats_value(&d, "ooc_read_bytes");
	char reply[512];
	check_gemm(sh, prefix, reply, sizeof(reply));
	double cmds2 = stats_value(&d, "ooc_gemm_commands");
	double read2 = stats_value(&d, "ooc_read_bytes");
	ck_assert_msg(cmds2 == cmds + (taken ? 1 : 0),
		      "%s: ooc_gemm_commands %g -> %g", prefix, cmds, cmds2);
	ck_assert_msg(taken ? read2 > read : read2 == read,
		      "%s: ooc_read_bytes %g -> %g", prefix, read, read2);
	/* staging given back once the command completed */
	ck_assert(stats_wait(&d, "staging_used_bytes 0\n", true, 5));
}

/*
 * Tiers and shapes: with 4M of staging the blocks are 256 to 512 wide, so
 * none of these is a multiple of them; offsets are not 4096-aligned and
 * leading dimensions pad the rows. Each mix puts at least 4 MiB on disk.
 */
START_TEST(mixes_match_reference)
{
	static const struct {
		const char *name, *why;
		struct shape sh;
	} cases[] = {
	    {"all-disk-f32", "odd tails, padded rows",
	     SHAPE("f32", 700, 900, 1100, 1103, 905, 907, 40, 8, 1028, 1.5,
		   -0.5, {"disk", "disk", "disk"})},
	    {"all-disk-f64", "f64",
	     SHAPE("f64", 500, 600, 700, 700, 600, 600, 0, 0, 0, 0.75, 2,
		   {"disk", "disk", "disk"})},
	    {"a-disk", "A alone on disk, B and C in place",
	     SHAPE("f32", 1000, 300, 1100, 1100, 301, 300, 12, 4, 0, 1, 1,
		   {"disk", "ram", "ram"})},
	    {"c-ram-beta0", "beta = 0: C (NaN) is not read",
	     SHAPE("f64", 333, 777, 1001, 1001, 777, 780, 8, 16, 24, -1, 0,
		   {"disk", "disk", "ram"})},
	    {"c-disk", "C alone on disk: read, written back",
	     SHAPE("f32", 1200, 1000, 64, 64, 1000, 1003, 0, 0, 4, 2, 0.5,
		   {"ram", "ram", "disk"})},
	    {"c-disk-beta0", "beta = 0: C on disk written, not read",
	     SHAPE("f32", 900, 1300, 500, 500, 1300, 1300, 0, 0, 0, 1, 0,
		   {"disk", "ram", "disk"})},
	    {"k-one", "k = 1: one step",
	     SHAPE("f32", 1500, 1400, 1, 1, 1400, 1400, 4, 4, 4, 1, 1,
		   {"ram", "disk", "disk"})},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double w = stats_value(&d, "ooc_write_bytes");
		const struct shape *sh = &cases[i].sh;
		check_ooc(sh, cases[i].name, true);
		/* a C on disk was written back, all of it */
		double w2 = stats_value(&d, "ooc_write_bytes");
		double c =
		    (double)(sh->m * sh->n * (sh->dtype[1] == '6' ? 8 : 4));
		ck_assert_msg(strcmp(sh->tier[2], "disk") ? w2 == w
							  : w2 >= w + c,
			      "%s (%s): ooc_write_bytes %g -> %g",
			      cases[i].name, cases[i].why, w, w2);
	}
}
END_TEST

/*
 * transa and transb: the stored rows of a block are read as they are and
 * OpenBLAS is told; every combination, on disk and in RAM, padded.
 */
START_TEST(transposed_match_reference)
{
	static const struct {
		const char *name;
		struct shape sh;
	} cases[] = {
	    {"ta-all-disk",
	     SHAPE_T(true, false, "f32", 700, 900, 1100, 707, 900, 900, 44, 0,
		     8, 1, 0, {"disk", "disk", "disk"})},
	    {"tb-b-disk",
	     SHAPE_T(false, true, "f32", 800, 1200, 900, 900, 903, 1200, 0, 12,
		     0, -1, 0.5, {"ram", "disk", "ram"})},
	    {"ta-tb-c-ram",
	     SHAPE_T(true, true, "f32", 650, 700, 1300, 650, 1301, 701, 4, 4, 4,
		     0.5, 1, {"disk", "disk", "ram"})},
	    {"ta-tb-c-disk",
	     SHAPE_T(true, true, "f32", 1100, 1000, 600, 1101, 602, 1000, 8, 0,
		     0, 1, 1, {"ram", "ram", "disk"})},
	    {"ta-tb-f64",
	     SHAPE_T(true, true, "f64", 500, 600, 700, 500, 700, 600, 0, 0, 0,
		     1.25, -1, {"disk", "disk", "disk"})},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_ooc(&cases[i].sh, cases[i].name, true);
}
END_TEST

/* C in A's buffer: declined (a block of C could overwrite A), still right */
START_TEST(c_sharing_a_declined_still_right)
{
	struct shape sh = SHAPE("f32", 700, 900, 1100, 1100, 900, 900, 0, 0, 0,
				1, 0.5, {"disk", "disk", "disk"});
	struct operands o;
	make_operands(&sh, "s", &o);
	/* one buffer: A, then C, which the shape's offset now points into */
	size_t size = o.sa + o.sc;
	char *ac = malloc(size);
	ck_assert_ptr_nonnull(ac);
	memcpy(ac, o.a, o.sa);
	memcpy(ac + o.sa, o.c, o.sc);
	put("s-ac", "disk", ac, size);
	struct shape at = sh;
	at.coff = o.sa;
	char line[512], reply[512];
	gemm_line(&at, "s-ac", o.nb, "s-ac", line, sizeof(line));
	double cmds = stats_value(&d, "ooc_gemm_commands");
	run_line(&d, line, reply, sizeof(reply));
	ck_assert_msg(strncmp(reply, "1 ok", 4) == 0, "%s: %s", line, reply);
	ck_assert_double_eq(stats_value(&d, "ooc_gemm_commands"), cmds);
	get("s-ac", ac, size);
	ck_assert_msg(memcmp(ac, o.a, o.sa) == 0, "A changed");
	check_c(&sh, "s", &o, ac + o.sa);
	free(ac);
	free_operands(&o);
}
END_TEST

START_TEST(more_workers_than_cores)
{
	/* 3 slots share 4M: smaller blocks, units on every worker */
	teardown();
	start_with("4M", "3", NULL);
	struct shape sh = SHAPE("f32", 1025, 1023, 777, 777, 1023, 1023, 0, 0,
				0, 1, 1, {"disk", "disk", "disk"});
	check_ooc(&sh, "g", true);
}
END_TEST

START_TEST(aligned_blocks_direct_reads)
{
	/*
	 * With 16M of staging the blocks are 1024 wide: rows of B and C are
	 * 4096-aligned and B, not in the page cache, is read with O_DIRECT.
	 */
	teardown();
	start_with("16M", "2", NULL);
	evict = true;
	struct shape sh = SHAPE("f32", 2048, 2048, 1024, 1024, 2048, 2048, 0, 0,
				0, 1, -1, {"disk", "disk", "disk"});
	check_ooc(&sh, "g", true);
	/* f64, B at an offset: aligned still */
	struct shape f64 = SHAPE("f64", 1024, 1536, 700, 700, 1536, 1536, 0,
				 4096, 0, 1, 1, {"disk", "disk", "disk"});
	check_ooc(&f64, "h", true);
	evict = false;
}
END_TEST

/* A gemm of 32 units on a context of a child, which waits to be killed. */
static pid_t gemm_in_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int q = queue_open(&d, 0);
		queue_send(q, "gemm a=a b=b c=c m=4096 n=2048 k=2048");
		pause();
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

START_TEST(client_gone_mid_gemm)
{
	/* 80 MiB of matrices, 32 units of 512 x 512: a second or more */
	size_t size = 4096u * 2048 * 4;
	char *z = calloc(1, size);
	ck_assert_ptr_nonnull(z);
	put("a", "disk", z, size);
	put("b", "disk", z, size / 2);
	put("c", "disk", z, size);
	free(z);
	for (int round = 0; round < 3; round++) {
		double cmds = stats_value(&d, "ooc_gemm_commands");
		double failed = stats_value(&d, "commands_failed");
		/* rounds 0, 1: killed; 2: closed normally, so it runs on */
		int q = -1;
		pid_t pid = 0;
		if (round < 2)
			pid = gemm_in_child();
		else {
			q = queue_open(&d, 0);
			queue_send(q, "gemm a=a b=b c=c m=4096 n=2048 k=2048");
		}
		double t0 = now_seconds();
		while (stats_value(&d, "ooc_gemm_commands") == cmds &&
		       now_seconds() - t0 < 10)
			usleep(2000);
		ck_assert_double_gt(stats_value(&d, "ooc_gemm_commands"), cmds);
		/* mid-unit, or between units with writes in flight */
		usleep(round == 1 ? 100000 : 10000);
		if (pid) {
			kill(pid, SIGKILL);
			ck_assert_int_eq(child_status(pid), 101);
		} else
			close(q);
		char reply[256];
		run_line(&d, "fill buf=c n=16 value=1", reply, sizeof(reply));
		ck_assert_msg(strncmp(reply, "1 ok", 4) == 0, "%s", reply);
		ck_assert(stats_wait(&d, "staging_used_bytes 0\n", true, 60));
		/* the killed ones count as failed (ECANCELED), cut short */
		t0 = now_seconds();
		while (pid && stats_value(&d, "commands_failed") == failed &&
		       now_seconds() - t0 < 10)
			usleep(2000);
		if (pid)
			ck_assert_double_eq(stats_value(&d, "commands_failed"),
					    failed + 1);
	}
}
END_TEST

START_TEST(io_error_fails_the_command_only)
{
#ifndef VGPUFS_FAULT_INJECTION
	return; /* a Release build has no VGPUFS_FAULT */
#endif
	teardown();
	start_with("4M", "2", "VGPUFS_FAULT=ooc_io");
	struct shape sh = SHAPE("f32", 700, 900, 1100, 1100, 900, 900, 0, 0, 0,
				1, 0, {"disk", "disk", "disk"});
	struct operands o;
	make_operands(&sh, "e", &o);
	char reply[512];
	run_line(&d, "gemm a=e-a b=e-b c=e-c m=700 n=900 k=1100", reply,
		 sizeof(reply));
	ck_assert_msg(strstr(reply, " err ") && strstr(reply, "gemm"), "%s",
		      reply);
	/* the daemon serves on: the same gemm in RAM, and stats */
	sh.tier[0] = sh.tier[1] = sh.tier[2] = "ram";
	struct operands r;
	make_operands(&sh, "r", &r);
	run_line(&d, "gemm a=r-a b=r-b c=r-c m=700 n=900 k=1100", reply,
		 sizeof(reply));
	ck_assert_msg(strncmp(reply, "1 ok", 4) == 0, "%s", reply);
	ck_assert(stats_wait(&d, "staging_used_bytes 0\n", true, 5));
	free_operands(&o);
	free_operands(&r);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {
	    mixes_match_reference,
	    transposed_match_reference,
	    c_sharing_a_declined_still_right,
	    more_workers_than_cores,
	    aligned_blocks_direct_reads,
	    client_gone_mid_gemm,
	    io_error_fails_the_command_only,
	};
	return run_suite(suite_with_daemon("ooc_gemm", setup, teardown, 300,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
