/*
 * Isolation between users, as a matrix: unprivileged users and root,
 * every way of reaching another user's buffer (file calls, commands by
 * name and by handle, rename and unlink in a shared sticky directory,
 * private directories on the path, changed since), group permissions
 * (also as the 70th of a user's groups), when a command is checked, what
 * stats shows whom, the per-user quota (--user-quota) on every path that
 * grows a buffer, and the per-user limits on buffer slots and the disk
 * tier (--user-buffers, --user-disk-quota).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>

#include "harness.h"

static struct daemon_proc d;

enum { ALICE = 4001, BOB = 4002, CAROL = 4003, TEAM = 4100 };
#define QUOTA (16 << 20)

static void setup(void)
{
	const char *args[] = {"--vram", "64M", "--user-quota", "16M", NULL};
	daemon_start(&d, args);
}

static void teardown(void)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
}

/* 0 if the completion of LINE (as the current user) starts with WANT. */
static int expect(const char *line, const char *want)
{
	int fd = open(dpath(&d, "queue"), O_RDWR);
	if (fd < 0)
		return 1;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	ssize_t r = write(fd, buf, (size_t)n) == n
			? read(fd, buf, sizeof(buf) - 1)
			: -1;
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	if (strncmp(buf, want, strlen(want)) == 0)
		return 0;
	fprintf(stderr, "'%s' -> '%s', want '%s'\n", line, buf, want);
	return 2;
}

/* 0 if CALL failed with ERR; else says which step did not. */
static int failed_with(int rc, int err, const char *what)
{
	if (rc == -1 && errno == err)
		return 0;
	fprintf(stderr, "%s: %d (%s), want %s\n", what, rc,
		rc < 0 ? strerror(errno) : "success", strerror(err));
	return 4;
}

static int make_private(void)
{
	int fd = open(dpath(&d, "mem/shared/secret"), O_CREAT | O_RDWR, 0600);
	if (fd < 0 || pwrite(fd, "alice's", 8, 0) != 8 ||
	    ftruncate(fd, 4096) < 0)
		return 1;
	close(fd);
	return expect("fill buf=shared/secret+8 value=1 n=2", "1 ok fill");
}

/* The inode number of REL (a buffer's handle in binary commands), or 0. */
static uint64_t ino_of(const char *rel)
{
	struct stat st;
	return stat(dpath(&d, rel), &st) == 0 ? st.st_ino : 0;
}

/*
 * KERNEL (fill, copy or scal) on handles A (and B: copy's destination) in
 * binary form, as the current user: 0 if its status is WANT.
 */
static int binary_cmd(uint16_t kernel, uint64_t a, uint64_t b, int want)
{
	int q = open(dpath(&d, "queue"), O_RDWR);
	char p[256];
	if (q < 0 || write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) < 0 ||
	    vgpu_bin_begin(p, sizeof(p), kernel, 1) < 0)
		return 1;
	if (kernel == VGPU_K_FILL) {
		vgpu_bin_put_buf(p, sizeof(p), FILL_BUF, a, 0);
		vgpu_bin_put_float(p, sizeof(p), FILL_VALUE, 9);
		vgpu_bin_put_int(p, sizeof(p), FILL_N, VGPU_ARG_INT, 1);
	} else if (kernel == VGPU_K_SCAL) {
		vgpu_bin_put_buf(p, sizeof(p), SCAL_X, a, 0);
		vgpu_bin_put_float(p, sizeof(p), SCAL_ALPHA, 2);
		vgpu_bin_put_int(p, sizeof(p), SCAL_N, VGPU_ARG_INT, 1);
	} else {
		vgpu_bin_put_buf(p, sizeof(p), COPY_SRC, a, 0);
		vgpu_bin_put_buf(p, sizeof(p), COPY_DST, b, 0);
		vgpu_bin_put_int(p, sizeof(p), COPY_BYTES, VGPU_ARG_INT, 4);
	}
	struct vgpu_bin_completion c = {0};
	int rc = write(q, p, vgpu_bin_size(p)) < 0 ||
		 read(q, &c, sizeof(c)) != sizeof(c) || c.status != want;
	if (rc)
		fprintf(stderr, "binary %u on %llu, %llu: status %d (%s)\n",
			kernel, (unsigned long long)a, (unsigned long long)b,
			c.status, c.msg);
	close(q);
	return rc ? 5 : 0;
}

/*
 * One cell of the matrix, tried both ways: by name (LINE's completion
 * starts with WANT) and by handle (KERNEL on A, B): a handle grants
 * exactly what the name does.
 */
static int cell(const char *line, const char *want, uint16_t kernel, uint64_t a,
		uint64_t b)
{
	int status = strncmp(want, "1 ok", 4) == 0 ? 0
		     : strstr(want, "EACCES")	   ? -EACCES
						   : -ENOENT;
	return expect(line, want) | binary_cmd(kernel, a, b, status);
}

/* Handles of the buffers of a test, found by root before users run. */
static struct {
	uint64_t none, secret, bobs, weights, open, ro, rw, pub, g70, g70rw;
} h;

/* Bob, by every path he has, at alice's 0600 buffer in a sticky dir. */
static int bob_at_the_secret(void)
{
	char secret[512]; /* dpath's buffers are reused */
	snprintf(secret, sizeof(secret), "%s", dpath(&d, "mem/shared/secret"));
	int rc = 0;
	/* as input, as output, in place; by name and by handle */
	const struct {
		const char *line, *want;
		uint16_t kernel;
		const uint64_t *a, *b;
	} cells[] = {
	    {"copy src=shared/secret dst=shared/bobs bytes=4",
	     "1 err EACCES: copy: src: permission denied: you may not read "
	     "this buffer",
	     VGPU_K_COPY, &h.secret, &h.bobs},
	    {"fill buf=shared/secret value=9 n=1",
	     "1 err EACCES: fill: buf: permission denied: you may not write "
	     "this buffer",
	     VGPU_K_FILL, &h.secret, &h.none},
	    {"copy src=shared/bobs dst=shared/secret bytes=4",
	     "1 err EACCES: copy: dst: permission denied", VGPU_K_COPY, &h.bobs,
	     &h.secret},
	    {"scal x=shared/secret alpha=2 n=1", "1 err EACCES", VGPU_K_SCAL,
	     &h.secret, &h.none},
	    /* alice's 0700 directory stops him whatever her buffers' modes */
	    {"copy src=shared/alices/weights dst=shared/bobs bytes=4",
	     "1 err EACCES: copy: src='shared/alices/weights': a directory on "
	     "the path is not searchable",
	     VGPU_K_COPY, &h.weights, &h.bobs},
	    {"copy src=shared/bobs dst=shared/alices/open bytes=4",
	     "1 err EACCES: copy: dst='shared/alices/open': a directory on "
	     "the path is not searchable",
	     VGPU_K_COPY, &h.bobs, &h.open},
	    {"fill buf=shared/alices/open value=9 n=1",
	     "1 err EACCES: fill: buf='shared/alices/open': a directory on "
	     "the path is not searchable",
	     VGPU_K_FILL, &h.open, &h.none},
	    /* his own buffer */
	    {"scal x=shared/bobs alpha=2 n=1", "1 ok scal", VGPU_K_SCAL,
	     &h.bobs, &h.none},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		rc |= cell(cells[i].line, cells[i].want, cells[i].kernel,
			   *cells[i].a, *cells[i].b);
	/* file calls */
	rc |= failed_with(open(secret, O_RDONLY), EACCES, "open r");
	rc |= failed_with(open(secret, O_WRONLY), EACCES, "open w");
	rc |= failed_with(open(secret, O_RDWR | O_TRUNC), EACCES, "O_TRUNC");
	rc |=
	    failed_with(open(dpath(&d, "mem/shared/alices/weights"), O_RDONLY),
			EACCES, "open in 0700 dir");
	rc |= failed_with(truncate(secret, 0), EACCES, "truncate");
	rc |= failed_with(chmod(secret, 0666), EPERM, "chmod");
	rc |= failed_with(chown(secret, BOB, BOB), EPERM, "chown");
	/* the sticky directory: no unlink, no rename, no replacing */
	rc |= failed_with(unlink(secret), EPERM, "unlink");
	rc |= failed_with(rename(secret, dpath(&d, "mem/shared/mine")), EPERM,
			  "rename away");
	rc |= failed_with(rename(dpath(&d, "mem/shared/bobs"), secret), EPERM,
			  "rename over");
	rc |= failed_with(rename(secret, dpath(&d, "mem/stolen")), EPERM,
			  "move out");
	rc |=
	    failed_with(rmdir(dpath(&d, "mem/shared/alices")), EPERM, "rmdir");
	/* nor create inside alice's private directory */
	rc |= failed_with(
	    open(dpath(&d, "mem/shared/alices/x"), O_CREAT | O_RDWR, 0600),
	    EACCES, "create in 0700 dir");
	/* events: his "done" is not hers */
	rc |= expect("signal event=done value=7", "1 ok signal");
	return rc;
}

static int make_bobs(void)
{
	int fd = open(dpath(&d, "mem/shared/bobs"), O_CREAT | O_RDWR, 0600);
	return fd < 0 || ftruncate(fd, 4096) < 0 || close(fd) < 0;
}

/* a 0700 directory with a 0644 and a 0666 buffer in it */
static int make_alices_dir(void)
{
	int rc = mkdir(dpath(&d, "mem/shared/alices"), 0700) < 0;
	const char *names[] = {"mem/shared/alices/weights",
			       "mem/shared/alices/open"};
	mode_t modes[] = {0644, 0666};
	for (int i = 0; i < 2; i++) {
		int fd = open(dpath(&d, names[i]), O_CREAT | O_RDWR, 0600);
		rc |= fd < 0 || pwrite(fd, "alice's", 8, 0) != 8 ||
		      ftruncate(fd, 4096) < 0 || fchmod(fd, modes[i]) < 0;
		close(fd);
	}
	return rc;
}

static int alice_waits(void)
{
	return expect("wait event=done value=7 timeout_ms=50",
		      "1 err ETIMEDOUT");
}

START_TEST(no_way_into_a_private_buffer)
{
	ck_assert_int_eq(mkdir(dpath(&d, "mem/shared"), 01777), 0);
	ck_assert_int_eq(chmod(dpath(&d, "mem/shared"), 01777), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, make_private), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, make_alices_dir), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, make_bobs), 0);
	h.secret = ino_of("mem/shared/secret");
	h.bobs = ino_of("mem/shared/bobs");
	h.weights = ino_of("mem/shared/alices/weights");
	h.open = ino_of("mem/shared/alices/open");
	ck_assert(h.secret && h.bobs && h.weights && h.open);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_at_the_secret), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_waits), 0);
	/* nothing of alice's changed */
	char data[16];
	buf_read(&d, "shared/secret", data, sizeof(data));
	ck_assert_mem_eq(data, "alice's", 8);
	float one;
	memcpy(&one, data + 8, 4);
	ck_assert(one == 1.0f);
	buf_read(&d, "shared/alices/weights", data, sizeof(data));
	ck_assert_mem_eq(data, "alice's", 8);
	buf_read(&d, "shared/alices/open", data, sizeof(data));
	ck_assert_mem_eq(data, "alice's\0\0\0\0\0", 12);
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/shared/secret"), &st), 0);
	ck_assert_int_eq(st.st_uid, ALICE);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* root may do all of it */
	char out[256];
	run_line(&d, "copy src=shared/secret dst=shared/bobs bytes=8", out,
		 sizeof(out));
	ck_assert_msg(strstr(out, " ok copy "), "%s", out);
	ck_assert_int_eq(rename(dpath(&d, "mem/shared/secret"),
				dpath(&d, "mem/shared/moved")),
			 0);
	ck_assert_int_eq(unlink(dpath(&d, "mem/shared/moved")), 0);
}
END_TEST

static int make_team_files(void)
{
	int rc = mkdir(dpath(&d, "mem/team"), 0750) < 0;
	rc |= chown(dpath(&d, "mem/team"), ALICE, TEAM) < 0;
	const char *names[] = {"mem/team/ro", "mem/team/rw", "mem/team/pub"};
	mode_t modes[] = {0640, 0660, 0666};
	for (int i = 0; i < 3; i++) {
		int fd = open(dpath(&d, names[i]), O_CREAT | O_RDWR, modes[i]);
		rc |= fd < 0 || ftruncate(fd, 4096) < 0 ||
		      fchown(fd, ALICE, TEAM) < 0 || fchmod(fd, modes[i]) < 0;
		close(fd);
	}
	return rc;
}

/* mem/mine.UID of the caller, 4096 bytes */
static int make_mine(void)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/mine.%u", (unsigned)getuid());
	int fd = open(dpath(&d, rel), O_CREAT | O_RDWR, 0600);
	int rc = fd < 0 || ftruncate(fd, 4096) < 0;
	close(fd);
	return rc;
}

static int bob_in_team(void)
{
	int rc = make_mine();
	uint64_t mine = ino_of("mem/mine.4002");
	rc |= cell("copy src=team/ro dst=mine.4002 bytes=4", "1 ok copy",
		   VGPU_K_COPY, h.ro, mine);
	rc |= cell("fill buf=team/ro value=1 n=1",
		   "1 err EACCES: fill: buf: permission denied", VGPU_K_FILL,
		   h.ro, 0);
	rc |= cell("fill buf=team/rw value=2 n=1", "1 ok fill", VGPU_K_FILL,
		   h.rw, 0);
	int fd = open(dpath(&d, "mem/team/ro"), O_RDONLY);
	rc |= fd < 0;
	close(fd);
	rc |= failed_with(open(dpath(&d, "mem/team/ro"), O_WRONLY), EACCES,
			  "team ro for write");
	return rc;
}

static int carol_outside(void)
{
	int rc = make_mine();
	uint64_t mine = ino_of("mem/mine.4003");
	/* the 0750 directory stops her before the buffers' own modes */
	rc |= cell("copy src=team/rw dst=mine.4003 bytes=4",
		   "1 err EACCES: copy: src='team/rw': a directory on the "
		   "path is not searchable",
		   VGPU_K_COPY, h.rw, mine);
	rc |= cell("copy src=team/pub dst=mine.4003 bytes=4",
		   "1 err EACCES: copy: src='team/pub': a directory on the "
		   "path is not searchable",
		   VGPU_K_COPY, h.pub, mine);
	rc |= cell("copy src=mine.4003 dst=team/pub bytes=4",
		   "1 err EACCES: copy: dst='team/pub': a directory on the "
		   "path is not searchable",
		   VGPU_K_COPY, mine, h.pub);
	rc |= failed_with(open(dpath(&d, "mem/team/rw"), O_RDONLY), EACCES,
			  "open in team dir");
	return rc;
}

START_TEST(group_permissions)
{
	gid_t team = TEAM;
	ck_assert_int_eq(as_user(ALICE, ALICE, 1, &team, make_team_files), 0);
	h.ro = ino_of("mem/team/ro");
	h.rw = ino_of("mem/team/rw");
	h.pub = ino_of("mem/team/pub");
	ck_assert_int_eq(as_user(BOB, BOB, 1, &team, bob_in_team), 0);
	ck_assert_int_eq(as_user(CAROL, CAROL, 0, NULL, carol_outside), 0);
	float v;
	buf_read(&d, "team/rw", &v, sizeof(v));
	ck_assert(v == 9.0f); /* the handle's fill came last */
}
END_TEST

/* --- handles and the path as it is now ------------------------------ */

static const char *bob_name; /* the name of alice's buffer now */
static bool bob_may;	     /* whether he may read it */

static int bob_reads(void)
{
	int rc = make_mine();
	char line[256], want[256];
	snprintf(line, sizeof(line), "copy src=%s dst=mine.4002 bytes=4",
		 bob_name);
	snprintf(want, sizeof(want),
		 bob_may ? "1 ok copy"
			 : "1 err EACCES: copy: src='%s': a directory on the "
			   "path is not searchable",
		 bob_name);
	return rc | cell(line, want, VGPU_K_COPY, h.weights,
			 ino_of("mem/mine.4002"));
}

static int alice_makes_pub(void)
{
	int rc = mkdir(dpath(&d, "mem/pub"), 0755) < 0 ||
		 mkdir(dpath(&d, "mem/priv"), 0700) < 0;
	int fd = open(dpath(&d, "mem/pub/w"), O_CREAT | O_RDWR, 0644);
	rc |= fd < 0 || ftruncate(fd, 4096) < 0;
	close(fd);
	return rc;
}

static int alice_closes_pub(void)
{
	return chmod(dpath(&d, "mem/pub"), 0700) < 0;
}

static int alice_opens_pub(void)
{
	return chmod(dpath(&d, "mem/pub"), 0755) < 0;
}

static int alice_hides_pub(void)
{
	return rename(dpath(&d, "mem/pub"), dpath(&d, "mem/priv/pub")) < 0;
}

/*
 * A handle is checked against the path the buffer has when the command
 * is written: a chmod of a directory on it, or a move into a private
 * directory, takes effect for handles as for names.
 */
START_TEST(handles_follow_the_path_as_it_is)
{
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_makes_pub), 0);
	h.weights = ino_of("mem/pub/w");
	ck_assert(h.weights);
	bob_name = "pub/w";
	bob_may = true;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_closes_pub), 0);
	bob_may = false;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_opens_pub), 0);
	bob_may = true;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads), 0);
	/* moved into her 0700 directory: out of his reach by either form */
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_hides_pub), 0);
	ck_assert_int_eq(ino_of("mem/priv/pub/w"), h.weights);
	bob_name = "priv/pub/w";
	bob_may = false;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_reads), 0);
}
END_TEST

/* --- users in many groups -------------------------------------------- */

enum { GROUP0 = 5001, NGROUPS = 70 };

static int make_group_files(void)
{
	const char *names[] = {"mem/g70", "mem/g70rw"};
	mode_t modes[] = {0604, 0060};
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		int fd = open(dpath(&d, names[i]), O_CREAT | O_RDWR, 0600);
		rc |= fd < 0 || ftruncate(fd, 4096) < 0 ||
		      fchown(fd, (uid_t)-1, GROUP0 + NGROUPS - 1) < 0 ||
		      fchmod(fd, modes[i]) < 0;
		close(fd);
	}
	return rc;
}

/* His 70th group: the group's bits are his, not the others' */
static int bob_in_70_groups(void)
{
	int rc = make_mine();
	uint64_t mine = ino_of("mem/mine.4002");
	rc |= cell("copy src=g70 dst=mine.4002 bytes=4",
		   "1 err EACCES: copy: src: permission denied", VGPU_K_COPY,
		   h.g70, mine);
	rc |= failed_with(open(dpath(&d, "mem/g70"), O_RDONLY), EACCES,
			  "open 0604 as a member");
	rc |= cell("copy src=g70rw dst=mine.4002 bytes=4", "1 ok copy",
		   VGPU_K_COPY, h.g70rw, mine);
	rc |= cell("fill buf=g70rw value=3 n=1", "1 ok fill", VGPU_K_FILL,
		   h.g70rw, 0);
	return rc;
}

/* Every supplementary group counts, past 64 (the daemon reads /proc). */
START_TEST(users_in_70_groups)
{
	gid_t last = GROUP0 + NGROUPS - 1;
	ck_assert_int_eq(as_user(ALICE, ALICE, 1, &last, make_group_files), 0);
	h.g70 = ino_of("mem/g70");
	h.g70rw = ino_of("mem/g70rw");
	gid_t groups[NGROUPS];
	for (int i = 0; i < NGROUPS; i++)
		groups[i] = (gid_t)(GROUP0 + i);
	ck_assert_int_eq(as_user(BOB, BOB, NGROUPS, groups, bob_in_70_groups),
			 0);
	float v;
	buf_read(&d, "g70rw", &v, sizeof(v));
	ck_assert(v == 9.0f); /* the handle's fill came last */
}
END_TEST

/* --- when permissions are checked ------------------------------------ */

static int bob_mine(void)
{
	return make_mine();
}

/*
 * A command is checked when it is written, like an open(): a copy queued
 * (behind a wait) before the owner made the buffer private still reads it;
 * one written afterwards is refused.
 */
START_TEST(checked_when_written)
{
	ck_assert_int_eq(buf_create(&d, "doc", 4096), 0); /* 0644, root's */
	buf_write(&d, "doc", "v1!", 4);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_mine), 0);
	int pipes[2][2];
	ck_assert_int_eq(pipe(pipes[0]), 0);
	ck_assert_int_eq(pipe(pipes[1]), 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* bob: a queued copy, then (told the mode changed) another */
		char c = 0, out[512] = "";
		if (setgroups(0, NULL) < 0 || setresgid(BOB, BOB, BOB) < 0 ||
		    setresuid(BOB, BOB, BOB) < 0)
			_exit(100);
		int q = open(dpath(&d, "queue"), O_RDWR);
		const char cmds[] = "wait event=go value=1 timeout_ms=20000\n"
				    "copy src=doc dst=mine.4002 bytes=4\n";
		int rc = q < 0 || write(q, cmds, sizeof(cmds) - 1) < 0;
		rc |= write(pipes[0][1], "s", 1) != 1;
		rc |= read(pipes[1][0], &c, 1) != 1;
		rc |= expect("copy src=doc dst=mine.4002 bytes=4",
			     "1 err EACCES: copy: src: permission denied");
		rc |= expect("signal event=go", "1 ok signal");
		/* both completions, in one read or two */
		size_t got = 0;
		ssize_t n;
		while (!strstr(out, "\n2 ") && got < sizeof(out) - 1 &&
		       (n = read(q, out + got, sizeof(out) - 1 - got)) > 0) {
			got += (size_t)n;
			out[got] = '\0';
		}
		if (strncmp(out, "1 ok wait", 9) != 0 ||
		    !strstr(out, "\n2 ok copy")) {
			fprintf(stderr, "queued copy: %s\n", out);
			rc |= 8;
		}
		_exit(rc);
	}
	char c;
	ck_assert_int_eq(read(pipes[0][0], &c, 1), 1);
	ck_assert_int_eq(chmod(dpath(&d, "mem/doc"), 0600), 0);
	ck_assert_int_eq(write(pipes[1][1], "c", 1), 1);
	ck_assert_int_eq(child_status(pid), 0);
	char data[4];
	buf_read(&d, "mine.4002", data, sizeof(data));
	ck_assert_mem_eq(data, "v1!", 4);
	for (int i = 0; i < 2; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}
END_TEST

/* --- the quota ------------------------------------------------------ */

static int make(const char *name, off_t size)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(&d, rel), O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		return -errno;
	int rc = size && ftruncate(fd, size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int tier_used_kb(void)
{
	struct statvfs sv;
	statvfs(dpath(&d, "mem"), &sv);
	return (int)((sv.f_blocks - sv.f_bfree) * sv.f_frsize / 1024);
}

/* Removed buffers are freed once the kernel forgets them: soon. */
static void wait_used_kb(int want)
{
	for (int i = 0; i < 200 && tier_used_kb() != want; i++)
		usleep(10000);
	ck_assert_int_eq(tier_used_kb(), want);
}

static int quota_by_ftruncate(void)
{
	int rc = 0;
	if (make("a1", QUOTA + 4096) != -EDQUOT)
		rc |= 1;
	if (make("a1", QUOTA) != 0)
		rc |= 2;
	if (make("a2", 4096) != -EDQUOT)
		rc |= 4;
	/* shrinking gives room back within the quota */
	if (make("a1", QUOTA / 2) != 0 || make("a2", QUOTA / 2) != 0)
		rc |= 8;
	unlink(dpath(&d, "mem/a1"));
	unlink(dpath(&d, "mem/a2"));
	return rc;
}

static int quota_by_fallocate(void)
{
	int fd = open(dpath(&d, "mem/f"), O_CREAT | O_RDWR, 0600);
	int rc = failed_with(fallocate(fd, 0, 0, QUOTA + 4096), EDQUOT,
			     "fallocate past the quota");
	rc |= failed_with(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, QUOTA + 4096),
			  EDQUOT, "fallocate keep-size");
	rc |= fallocate(fd, 0, 0, QUOTA) != 0;
	struct stat st;
	rc |= fstat(fd, &st) < 0 || st.st_size != QUOTA;
	close(fd);
	unlink(dpath(&d, "mem/f"));
	return rc;
}

/* write() past the end goes straight to tmpfs: the kernel says ENOSPC. */
static int quota_by_writing(void)
{
	int fd = open(dpath(&d, "mem/w"), O_CREAT | O_RDWR, 0600);
	ssize_t n;
	off_t total = write_until_full(fd, 0, &n);
	int rc = failed_with((int)n, ENOSPC, "write past the quota");
	if (total > QUOTA || total < QUOTA / 2) {
		fprintf(stderr, "wrote %lld bytes\n", (long long)total);
		rc |= 8;
	}
	close(fd);
	unlink(dpath(&d, "mem/w"));
	return rc;
}

/* A mapping's pages are allocated when touched: past the quota, SIGBUS. */
static int quota_by_touching(void)
{
	int fd = open(dpath(&d, "mem/sparse"), O_CREAT | O_RDWR, 0600);
	int rc = pwrite(fd, "z", 1, QUOTA - 1) != 1; /* one page, a hole */
	/* (the hole's end may take a huge page: 2 MiB) */
	rc |= make("filler", QUOTA - (4 << 20)) != 0;
	char *m = mmap(NULL, QUOTA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc |= m == MAP_FAILED;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL); /* not a sanitizer's: die of it */
		for (size_t i = 0; i < QUOTA; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS) {
		fprintf(stderr, "touching past the quota: status %#x\n",
			status);
		rc |= 16;
	}
	/* a command writing the holes: EDQUOT, said so */
	rc |= expect("fill buf=sparse value=1 n=4M",
		     "1 err EDQUOT: fill: buf: the owner's quota "
		     "(--user-quota) is full");
	munmap(m, QUOTA);
	close(fd);
	unlink(dpath(&d, "mem/sparse"));
	unlink(dpath(&d, "mem/filler"));
	return rc;
}

/* Many small buffers add up to the quota like one big one. */
static int quota_by_many_small(void)
{
	char name[32];
	int i, rc = 0;
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		if ((rc = make(name, 64 << 10)) != 0)
			break;
	}
	int made = i;
	int bad = rc != -EDQUOT || made != QUOTA / (64 << 10);
	if (bad)
		fprintf(stderr, "small buffers: %d made, then %d\n", made, rc);
	for (i = 0; i <= made; i++) {
		snprintf(name, sizeof(name), "mem/s%d", i);
		unlink(dpath(&d, name));
	}
	return bad;
}

static int (*const quota_paths[])(void) = {
    quota_by_ftruncate, quota_by_fallocate,  quota_by_writing,
    quota_by_touching,	quota_by_many_small,
};

START_TEST(quota_on_every_path)
{
	int q = queue_open(&d, 0); /* a bystander of root's */
	int used0 = tier_used_kb();
	for (size_t i = 0; i < sizeof(quota_paths) / sizeof(quota_paths[0]);
	     i++) {
		ck_assert_msg(as_user(ALICE, ALICE, 0, NULL, quota_paths[i]) ==
				  0,
			      "quota path %zu", i);
		/* all of it given back; no half-made buffer left */
		wait_used_kb(used0);
		ck_assert(strstr(slurp(dpath(&d, "stats")), "buffers 0\n"));
	}
	/* root is not bound by the quota */
	ck_assert_int_eq(make("big", QUOTA * 2), 0);
	queue_send(q, "fill buf=big value=1 n=8M");
	char out[128];
	queue_recv(q, out, sizeof(out));
	ck_assert_msg(strstr(out, " ok fill "), "%s", out);
	close(q);
}
END_TEST

/* statfs's f_bavail: what the caller may still allocate */
static uint64_t avail(void)
{
	struct statvfs sv;
	statvfs(dpath(&d, "mem"), &sv);
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

static int alice_takes_some(void)
{
	int rc = avail() != QUOTA;
	return rc | make("alices", 1 << 20) | (avail() != QUOTA - (1 << 20));
}

static int bob_takes_some(void)
{
	return make("bobs", 2 << 20);
}

static int carol_tries(void)
{
	return make("carols", 4096) == -ENOSPC ? 0 : 1;
}

static int alice_looks(void)
{
	char *st = strdup(slurp(dpath(&d, "stats")));
	const char *m = slurp(dpath(&d, "metrics"));
	int rc =
	    !strstr(st, "\nuser.4001 buffers=1 bytes=1048576 "
			"quota_used=1048576 quota=16777216\n")
		? 1
	    : strstr(st, "\nuser.4002 ") ? 2
	    : strstr(st, "\nuser.0 ")	 ? 3
	    : !strstr(m, "vgpu_user_quota_used_bytes{uid=\"4001\"} 1048576\n")
		? 4
	    : strstr(m, "{uid=\"4002\"}")				   ? 5
	    : !strstr(m, "vgpu_user_quota_bytes{uid=\"4001\"} 16777216\n") ? 6
	    : !strstr(m, "vgpu_user_buffer_bytes{uid=\"4001\"} 1048576\n") ? 7
									   : 0;
	if (rc)
		fprintf(stderr, "alice sees (%d):\n%s\n%s\n", rc, st, m);
	free(st);
	return rc;
}

/*
 * Quotas are set aside from --vram: what users hold (and may still grow
 * into by write()) is never root's, and the total never passes --vram.
 */
START_TEST(quota_is_set_aside_from_vram)
{
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_takes_some), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_takes_some), 0);
	/* stats: each user sees their own use, root everyone's */
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_looks), 0);
	const char *st = slurp(dpath(&d, "stats"));
	ck_assert(strstr(st, "\nuser.4001 buffers=1 bytes=1048576 "
			     "quota_used=1048576 quota=16777216\n"));
	ck_assert(strstr(st, "\nuser.4002 buffers=1 bytes=2097152 "
			     "quota_used=2097152 quota=16777216\n"));
	ck_assert(strstr(st, "vram_ram_used_bytes 3145728\n"));
	/* root has 64M - 2 * 16M */
	ck_assert_uint_eq(avail(), 32 << 20);
	ck_assert_int_eq(make("root1", (32 << 20) + 4096), -ENOSPC);
	ck_assert_int_eq(make("root1", 20 << 20), 0);
	/* the quota families are valid exposition (promtool: install-deps.sh)
	 */
	const char *m = slurp(dpath(&d, "metrics"));
	ck_assert(
	    strstr(m, "vgpu_user_quota_used_bytes{uid=\"4002\"} 2097152\n"));
	promtool_check(m);
	/* root has no quota: no quota fields, no quota metrics */
	ck_assert(strstr(slurp(dpath(&d, "stats")),
			 "\nuser.0 buffers=1 bytes=20971520\n"));
	ck_assert(
	    !strstr(slurp(dpath(&d, "metrics")), "quota_bytes{uid=\"0\"}"));
	/* a third user's 16M cannot be set aside now: ENOSPC, nothing made */
	ck_assert_int_eq(as_user(CAROL, CAROL, 0, NULL, carol_tries), 0);
	ck_assert_int_eq(access(dpath(&d, "mem/carols"), F_OK), -1);
	/* once alice's buffers are gone, her part is root's again */
	ck_assert_int_eq(unlink(dpath(&d, "mem/alices")), 0);
	for (int i = 0; i < 100 && make("root2", 16 << 20) != 0; i++)
		usleep(10000); /* the kernel forgets the file asynchronously */
	ck_assert_int_eq(make("root2", 16 << 20), 0);
	ck_assert(!strstr(slurp(dpath(&d, "stats")), "\nuser.4001 "));
}
END_TEST

/* --- per-user buffers and disk ---------------------------------------- */

enum { SLOTS = 700 - 256, USER_SLOTS = SLOTS / 4 }; /* 16M of 64M: a quarter */

static int statvfs_ffree(void)
{
	struct statvfs sv;
	return statvfs(dpath(&d, "mem"), &sv) < 0 ? -1 : (int)sv.f_ffree;
}

/* Alice takes her share of the slots: EDQUOT then, not everyone's ENOSPC */
static int alice_fills_slots(void)
{
	int rc = statvfs_ffree() != USER_SLOTS;
	char name[32];
	int i, err = 0;
	for (i = 0; i < SLOTS; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if ((err = make(name, 0)) != 0)
			break;
	}
	if (i != USER_SLOTS || err != -EDQUOT) {
		fprintf(stderr, "%d buffers made, then %s\n", i,
			strerror(-err));
		rc |= 2;
	}
	rc |= failed_with(mkdir(dpath(&d, "mem/dir"), 0700), EDQUOT,
			  "mkdir past --user-buffers");
	rc |= statvfs_ffree() != 0 ? 4 : 0;
	/* a buffer freed is room for another */
	rc |= unlink(dpath(&d, "mem/n0")) < 0;
	for (i = 0; i < 100 && (err = make("again", 0)) != 0; i++)
		usleep(10000); /* the kernel forgets the file asynchronously */
	return rc | (err ? 8 : 0);
}

static int bob_still_makes(void)
{
	return make("bobs", 4096) != 0 || mkdir(dpath(&d, "mem/bd"), 0700) < 0;
}

/* A disk-tier buffer of the caller's, in their directory DIR, its fd. */
static int disk_buffer(const char *dir, const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "mem/%s", dir);
	if (access(dpath(&d, rel), F_OK) < 0 &&
	    (mkdir(dpath(&d, rel), 0700) < 0 ||
	     setxattr(dpath(&d, rel), "user.vgpu.tier", "disk", 4, 0) < 0))
		return -1;
	snprintf(rel, sizeof(rel), "mem/%s/%s", dir, name);
	return open(dpath(&d, rel), O_CREAT | O_RDWR, 0600);
}

static int carol_on_disk(void)
{
	int fd = disk_buffer("cd", "dk"), fd2 = disk_buffer("cd", "dk2");
	int rc = fd < 0 || fd2 < 0;
	rc |= failed_with(ftruncate(fd, QUOTA + 4096), EDQUOT,
			  "disk buffer past the disk quota");
	rc |= ftruncate(fd, QUOTA) != 0;
	rc |= failed_with(ftruncate(fd2, 4096), EDQUOT, "a second one");
	rc |= failed_with(fallocate(fd2, 0, 0, 4096), EDQUOT, "fallocate");
	/* write() past the end is the kernel's: counted late, and then no
	 * command takes her disk buffers until she is within it again */
	rc |= ftruncate(fd, QUOTA / 2) != 0;
	rc |= pwrite(fd, "past", 4, QUOTA) != 4;
	close(fd);
	rc |= expect("fill buf=cd/dk value=1 n=1",
		     "1 err EDQUOT: fill: buf: the owner's disk quota "
		     "(--user-disk-quota) is exceeded");
	rc |= ftruncate(fd2, 4096) == 0; /* nor grows any */
	rc |= truncate(dpath(&d, "mem/cd/dk"), QUOTA / 2) != 0;
	rc |= expect("fill buf=cd/dk value=1 n=1", "1 ok fill");
	rc |= ftruncate(fd2, 4096) != 0;
	close(fd2);
	return rc;
}

static int bob_on_disk(void)
{
	int fd = disk_buffer("bd2", "bdk");
	int rc = fd < 0 || ftruncate(fd, QUOTA) != 0;
	close(fd);
	return rc;
}

/*
 * One user can take neither every slot for buffers nor the disk tier:
 * --user-buffers and --user-disk-quota default to the share --user-quota
 * is of --vram (a quarter here).
 */
START_TEST(per_user_buffers_and_disk)
{
	ck_assert_int_eq(daemon_stop(&d), 0);
	char disk[64] = "/tmp/vgpufs-disk-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(disk));
	const char *args[] = {
	    "--vram",	   "64M", "--user-quota", "16M",   "--disk", disk,
	    "--disk-size", "64M", "--log-level",  "error", NULL};
	d.mnt[0] = '\0';
	d.nofile = 700;
	daemon_start(&d, args);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_fills_slots), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_still_makes), 0);
	ck_assert_int_eq(make("roots", 4096), 0); /* root is not bound */
	ck_assert_int_eq(as_user(CAROL, CAROL, 0, NULL, carol_on_disk), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_on_disk), 0);
	ck_assert_int_eq(daemon_stop(&d), 0);
	remove_tree(disk);
	const char *plain[] = {"--vram", "64M", "--user-quota", "16M", NULL};
	d.mnt[0] = '\0';
	daemon_start(&d, plain); /* for the teardown */
}
END_TEST

/* A buffer's memory is in its owner's part: chown moves only empty ones. */
START_TEST(quota_and_chown)
{
	ck_assert_int_eq(make("given", 4096), 0);
	ck_assert_int_eq(chown(dpath(&d, "mem/given"), ALICE, ALICE), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(truncate(dpath(&d, "mem/given"), 0), 0);
	/* EBUSY until the kernel has released the file closed just now */
	int rc;
	for (int i = 0; i < 100; i++) {
		rc = chown(dpath(&d, "mem/given"), ALICE, ALICE);
		if (rc == 0 || errno != EBUSY)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(rc, 0);
	/* now in alice's part: her quota bounds it, root's use is 0 */
	ck_assert_int_eq(make("given", QUOTA + 4096), -EDQUOT);
	ck_assert_int_eq(make("given", 4096), 0);
	ck_assert(strstr(slurp(dpath(&d, "stats")),
			 "\nuser.4001 buffers=1 bytes=4096 quota_used=4096 "
			 "quota=16777216\n"));
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
	    no_way_into_a_private_buffer,
	    group_permissions,
	    handles_follow_the_path_as_it_is,
	    users_in_70_groups,
	    checked_when_written,
	    per_user_buffers_and_disk,
	    quota_on_every_path,
	    quota_is_set_aside_from_vram,
	    quota_and_chown,
	};
	return run_suite(suite_with_daemon("isolation", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
