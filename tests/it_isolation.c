/*
 * Isolation between users, as a matrix: two unprivileged users and root,
 * every way of reaching another user's buffer (file calls, commands in
 * either form, rename and unlink in a shared sticky directory), group
 * permissions, what stats shows whom, and the per-user quota
 * (--user-quota) on every path that grows a buffer.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
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

static uint64_t secret_handle;

static int binary_with_handle(uint16_t kernel, int argi, int want)
{
	int q = open(dpath(&d, "queue"), O_RDWR);
	char p[256];
	if (q < 0 || write(q, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) < 0 ||
	    vgpu_bin_begin(p, sizeof(p), kernel, 1) < 0)
		return 1;
	if (kernel == VGPU_K_FILL) {
		vgpu_bin_put_buf(p, sizeof(p), 0, secret_handle, 0);
		vgpu_bin_put_float(p, sizeof(p), 1, 9);
		vgpu_bin_put_int(p, sizeof(p), 2, VGPU_ARG_INT, 1);
	} else {
		vgpu_bin_put_buf(p, sizeof(p), argi, secret_handle, 0);
		vgpu_bin_put_buf(p, sizeof(p), 1 - argi, secret_handle, 64);
		vgpu_bin_put_int(p, sizeof(p), 2, VGPU_ARG_INT, 4);
	}
	struct vgpu_bin_completion c;
	int rc = write(q, p, vgpu_bin_size(p)) < 0 ||
		 read(q, &c, sizeof(c)) != sizeof(c) || c.status != want;
	if (rc)
		fprintf(stderr, "binary %u: status %d (%s)\n", kernel, c.status,
			c.msg);
	close(q);
	return rc ? 5 : 0;
}

/* Bob, by every path he has, at alice's 0600 buffer in a sticky dir. */
static int bob_at_the_secret(void)
{
	char secret[512]; /* dpath's buffers are reused */
	snprintf(secret, sizeof(secret), "%s", dpath(&d, "mem/shared/secret"));
	int rc = 0;
	/* as input, as output, in place: text commands */
	rc |= expect("copy src=shared/secret dst=shared/bobs bytes=4",
		     "1 err EACCES: copy: src: permission denied: you may "
		     "not read this buffer");
	rc |= expect("fill buf=shared/secret value=9 n=1",
		     "1 err EACCES: fill: buf: permission denied: you may not "
		     "write this buffer");
	rc |= expect("copy src=shared/bobs dst=shared/secret bytes=4",
		     "1 err EACCES: copy: dst: permission denied");
	rc |= expect("scal x=shared/secret alpha=2 n=1", "1 err EACCES");
	/* binary commands name buffers by inode number: checked the same */
	rc |= binary_with_handle(VGPU_K_FILL, 0, -EACCES);
	rc |= binary_with_handle(VGPU_K_COPY, 0, -EACCES);
	/* file calls */
	rc |= failed_with(open(secret, O_RDONLY), EACCES, "open r");
	rc |= failed_with(open(secret, O_WRONLY), EACCES, "open w");
	rc |= failed_with(open(secret, O_RDWR | O_TRUNC), EACCES, "O_TRUNC");
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

static int make_alices_dir(void)
{
	return mkdir(dpath(&d, "mem/shared/alices"), 0700) < 0;
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
	struct stat st;
	ck_assert_int_eq(stat(dpath(&d, "mem/shared/secret"), &st), 0);
	secret_handle = st.st_ino;
	ck_assert_int_eq(as_user(BOB, BOB, 0, NULL, bob_at_the_secret), 0);
	ck_assert_int_eq(as_user(ALICE, ALICE, 0, NULL, alice_waits), 0);
	/* nothing of alice's changed */
	char data[16];
	buf_read(&d, "shared/secret", data, sizeof(data));
	ck_assert_mem_eq(data, "alice's", 8);
	float one;
	memcpy(&one, data + 8, 4);
	ck_assert(one == 1.0f);
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
	const char *names[] = {"mem/team/ro", "mem/team/rw"};
	mode_t modes[] = {0640, 0660};
	for (int i = 0; i < 2; i++) {
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
	rc |= expect("copy src=team/ro dst=mine.4002 bytes=4", "1 ok copy");
	rc |= expect("fill buf=team/ro value=1 n=1",
		     "1 err EACCES: fill: buf: permission denied");
	rc |= expect("fill buf=team/rw value=2 n=1", "1 ok fill");
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
	/* the 0750 directory stops her before the buffers' own modes */
	rc |= expect("copy src=team/rw dst=mine.4003 bytes=4",
		     "1 err EACCES: copy: src='team/rw': a directory on the "
		     "path is not searchable");
	rc |= failed_with(open(dpath(&d, "mem/team/rw"), O_RDONLY), EACCES,
			  "open in team dir");
	return rc;
}

START_TEST(group_permissions)
{
	gid_t team = TEAM;
	ck_assert_int_eq(as_user(ALICE, ALICE, 1, &team, make_team_files), 0);
	ck_assert_int_eq(as_user(BOB, BOB, 1, &team, bob_in_team), 0);
	ck_assert_int_eq(as_user(CAROL, CAROL, 0, NULL, carol_outside), 0);
	float v;
	buf_read(&d, "team/rw", &v, sizeof(v));
	ck_assert(v == 2.0f);
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
	    quota_on_every_path,
	    quota_is_set_aside_from_vram,
	    quota_and_chown,
	};
	return run_suite(suite_with_daemon("isolation", setup, teardown, 120,
					   tests,
					   sizeof(tests) / sizeof(tests[0])));
}
