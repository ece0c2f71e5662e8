/*
 * Hostile and unprivileged users: every buffer a command names is checked
 * against the submitter's uid, and bad commands never touch data.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct daemon_proc d;

enum { ALICE = 4001, BOB = 4002, TEAM = 4100 };

static void setup(void)
{
	const char *args[] = {"--vram", "128M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* Sends LINE as the current user; 0 if the completion starts with WANT. */
static int expect(const char *line, const char *want)
{
	int fd = open(dpath(&d, "queue"), O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "open queue: %s\n", strerror(errno));
		return 1;
	}
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (write(fd, buf, (size_t)n) != n)
		return 2;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	if (strncmp(buf, want, strlen(want)) != 0) {
		fprintf(stderr, "'%s' -> '%s', want '%s'\n", line, buf, want);
		return 3;
	}
	return 0;
}

static void make_buffer(const char *name, mode_t mode, uid_t uid, gid_t gid,
			float value)
{
	char rel[128], out[256], line[256];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	ck_assert_int_eq(buf_create(&d, name, 4096), 0);
	snprintf(line, sizeof(line), "fill buf=%s value=%g n=1024", name,
		 value);
	run_line(&d, line, out, sizeof(out));
	ck_assert_msg(strstr(out, " ok "), "%s", out);
	ck_assert_int_eq(chown(dpath(&d, rel), uid, gid), 0);
	ck_assert_int_eq(chmod(dpath(&d, rel), mode), 0);
}

static float first(const char *name)
{
	float v;
	buf_read(&d, name, &v, sizeof(v));
	return v;
}

static int bob_attacks(void)
{
	int rc = 0;
	/* every way of naming alice's private buffer fails, with EACCES */
	rc |= expect("fill buf=secret value=9 n=1",
		     "1 err EACCES: fill: buf: permission denied");
	rc |= expect("copy src=secret dst=bobs bytes=4",
		     "1 err EACCES: copy: src: permission denied");
	rc |= expect("copy src=bobs dst=secret bytes=4",
		     "1 err EACCES: copy: dst: permission denied");
	rc |= expect("axpy x=bobs y=secret n=1", "1 err EACCES");
	rc |= expect("dot x=secret y=bobs out=bobs+8 n=1", "1 err EACCES");
	rc |= expect("gemm a=secret b=bobs c=bobs+64 m=1 n=1 k=1",
		     "1 err EACCES");
	rc |= expect("gemm a=bobs b=bobs c=secret m=1 n=1 k=1", "1 err EACCES");
	/* a 0644 buffer is readable, not writable */
	rc |= expect("copy src=shared dst=bobs bytes=4", "1 ok copy");
	rc |= expect("fill buf=shared value=9 n=1", "1 err EACCES");
	/* the team buffer (0660, group team): bob is not in the team */
	rc |= expect("fill buf=teamwork value=9 n=1", "1 err EACCES");
	/* a buffer inside alice's 0700 directory is out of reach, whatever its
	 * mode */
	rc |= expect("copy src=private/open dst=bobs bytes=4",
		     "1 err EACCES: copy: src='private/open': a directory");
	/* his own buffer works */
	rc |= expect("fill buf=bobs value=5 n=16", "1 ok fill");
	/* nor can he open the file directly */
	if (open(dpath(&d, "mem/secret"), O_RDONLY) >= 0)
		rc |= 8;
	return rc;
}

static int teammate(void)
{
	return expect("fill buf=teamwork value=3 n=1", "1 ok fill");
}

START_TEST(other_users_are_refused)
{
	make_buffer("secret", 0600, ALICE, ALICE, 1.0f);
	make_buffer("shared", 0644, ALICE, ALICE, 2.0f);
	make_buffer("teamwork", 0660, ALICE, TEAM, 4.0f);
	make_buffer("bobs", 0600, BOB, BOB, 0.0f);
	ck_assert_int_eq(mkdir(dpath(&d, "mem/private"), 0700), 0);
	ck_assert_int_eq(buf_create(&d, "private/open", 4096), 0);
	ck_assert_int_eq(chmod(dpath(&d, "mem/private/open"), 0666), 0);
	ck_assert_int_eq(chown(dpath(&d, "mem/private"), ALICE, ALICE), 0);

	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_attacks), 0);
	/* nothing of alice's changed */
	ck_assert(first("secret") == 1.0f);
	ck_assert(first("shared") == 2.0f);
	ck_assert(first("teamwork") == 4.0f);
	ck_assert(first("bobs") == 5.0f);
	/* group permissions count, through supplementary groups too */
	gid_t team = TEAM;
	ck_assert_int_eq(as_user(BOB, BOB, 1, &team, teammate), 0);
	ck_assert(first("teamwork") == 3.0f);
}
END_TEST

static int make_own_buffer(void)
{
	int fd = open(dpath(&d, "mem/mine"), O_CREAT | O_RDWR, 0600);
	if (fd < 0 || ftruncate(fd, 64) < 0)
		return 1;
	close(fd);
	return expect("fill buf=mine value=1 n=16", "1 ok fill");
}

static int unlink_mine(void)
{
	return unlink(dpath(&d, "mem/mine")) == 0 || errno != EPERM;
}

START_TEST(unprivileged_allocation)
{
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, make_own_buffer), 0);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/mine"), &st), 0);
	ck_assert_int_eq(st.st_uid, ALICE);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* the sticky mem/ directory: bob cannot remove alice's buffer */
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, unlink_mine), 0);
	ck_assert_int_eq(stat(dpath(&d, "mem/mine"), &st), 0);
}
END_TEST

/* Out-of-bounds and overflowing commands are refused before anything runs. */
START_TEST(bounds_are_checked)
{
	ck_assert_int_eq(buf_create(&d, "v", 4096), 0);
	char out[512];
	run_line(&d, "fill buf=v value=1 n=1024", out, sizeof(out));
	const char *bad[] = {
	    "fill buf=v value=9 n=1025",
	    "fill buf=v+1 value=9 n=1024",
	    "fill buf=v+4096 value=9 n=1",
	    "fill buf=v+9223372036854775807 value=9 n=1",
	    "fill buf=v value=9 n=9223372036854775807",
	    "copy src=v dst=v+8 bytes=4089",
	    "gemm a=v b=v c=v+2048 m=2147483647 n=2147483647 k=2147483647",
	    "gemm a=v b=v c=v+2048 m=16 n=16 k=16 lda=2",
	    "dot x=v y=v out=v+4096 n=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_line(&d, bad[i], out, sizeof(out));
		ck_assert_msg(strncmp(out, "1 err E", 7) == 0, "%s -> %s",
			      bad[i], out);
	}
	float v[1024];
	buf_read(&d, "v", v, sizeof(v));
	for (int i = 0; i < 1024; i++)
		ck_assert(v[i] == 1.0f);
}
END_TEST

/* A buffer in use by a queued command cannot shrink under it. */
START_TEST(no_shrink_while_used)
{
	ck_assert_int_eq(buf_create(&d, "big", 64 << 20), 0);
	int q = queue_open(&d, 0);
	for (int i = 0; i < 16; i++)
		queue_send(q, "fill buf=big value=2 n=16M");
	int fd = open(dpath(&d, "mem/big"), O_RDWR);
	int rc = ftruncate(fd, 4096);
	int err = errno;
	char out[128];
	for (int i = 0; i < 16; i++) {
		queue_recv(q, out, sizeof(out));
		ck_assert_msg(strstr(out, " ok fill"), "%s", out);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EBUSY);
	/* idle again: now it may shrink */
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	close(fd);
	close(q);
}
END_TEST

static int bob_signals(void)
{
	return expect("signal event=shared value=5", "1 ok signal");
}

/* Events are private to a user: bob's "shared" is not root's "shared". */
START_TEST(events_are_per_user)
{
	int q = queue_open(&d, 0);
	queue_send(q, "signal event=shared value=1");
	ck_assert_int_eq(as_user(1001, 1001, 0, NULL, bob_signals), 0);
	char out[256];
	queue_send(q, "wait event=shared value=5 timeout_ms=100");
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strncmp(out, "1 ok signal ", 12) == 0, "%s", out);
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, "2 err ETIMEDOUT: wait: event 'shared' is "
				  "at 1, below 5"),
		      "%s", out);
	close(q);
}
END_TEST

/* bob's view of stats and metrics: his own context, not root's */
static int bob_looks(void)
{
	int q = open(dpath(&d, "queue"), O_RDWR);
	if (q < 0)
		return 1;
	if (buf_create(&d, "bobs", 4096) < 0)
		return 1;
	char *st = strdup(slurp(dpath(&d, "stats"))); /* slurp's is static */
	const char *m = slurp(dpath(&d, "metrics"));
	int rc = !strstr(st, " uid=1001 ")			     ? 2
		 : strstr(st, " uid=0 ")			     ? 3
		 : !strstr(m, "{uid=\"1001\"} 1\n")		     ? 4
		 : strstr(m, "{uid=\"0\"}")			     ? 5
		 : !strstr(st, "\nuser.1001 buffers=1 bytes=4096\n") ? 6
		 : strstr(st, "\nuser.0 ")			     ? 7
								     : 0;
	if (rc)
		fprintf(stderr, "bob sees:\n%s\n%s\n", st, m);
	free(st);
	close(q);
	return rc;
}

/* stats and metrics show each user only their own contexts; root all. */
START_TEST(stats_per_user)
{
	int q = queue_open(&d, 0);
	ck_assert_int_eq(buf_create(&d, "roots", 8192), 0);
	ck_assert_int_eq(as_user(1001, 1001, 0, NULL, bob_looks), 0);
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert(strstr(st, " uid=0 "));
	ck_assert(strstr(st, "\nuser.0 buffers=1 bytes=8192\n"));
	ck_assert(strstr(st, "\nuser.1001 buffers=1 bytes=4096\n"));
	close(q);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    other_users_are_refused, unprivileged_allocation,
	    bounds_are_checked,	     no_shrink_while_used,
	    events_are_per_user,     stats_per_user,
	};
	return run_suite(suite_with_daemon("security", setup, teardown, 60,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
