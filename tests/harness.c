#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void daemon_start(struct daemon_proc *d, const char *const args[])
{
	const char *bin = getenv("VGPUFSD");
	ck_assert_msg(bin, "VGPUFSD (path of the daemon) is not set");
	if (!d->mnt[0]) {
		snprintf(d->mnt, sizeof(d->mnt), "/tmp/vgpufs-test-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(d->mnt));
	}
	const char *argv[32] = {bin, "--foreground", "--log-level", "warning"};
	int argc = 4;
	for (int i = 0; args && args[i] && argc < 30; i++)
		argv[argc++] = args[i];
	argv[argc++] = d->mnt;
	argv[argc] = NULL;
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		/* A failed test exits without teardown: the daemon follows. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		struct rlimit rl = {(rlim_t)d->nofile, (rlim_t)d->nofile};
		if ((d->nofile && setrlimit(RLIMIT_NOFILE, &rl) < 0) ||
		    (d->env && putenv((char *)d->env) != 0))
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	/* Ready when info is served (the fuse.vgpufs mount answers). */
	char info[300];
	snprintf(info, sizeof(info), "%s/info", d->mnt);
	for (int i = 0; i < 1000; i++) {
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			ck_abort_msg("vgpufsd exited early (status %d)",
				     status);
		int fd = open(info, O_RDONLY);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(10000);
	}
	kill(d->pid, SIGKILL);
	ck_abort_msg("vgpufsd did not come up on %s", d->mnt);
}

/* Whatever became of the daemon, leave no mount behind. */
static void detach(struct daemon_proc *d)
{
	umount2(d->mnt, MNT_DETACH); /* EINVAL when it unmounted itself */
	rmdir(d->mnt);
}

int daemon_stop(struct daemon_proc *d)
{
	int status = 0;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			detach(d);
			int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			/* 66: TSAN_OPTIONS exitcode (scripts/test.sh) */
			if (rc == 66)
				fputs("vgpufsd exited 66: see the "
				      "ThreadSanitizer report above\n",
				      stderr);
			return rc;
		}
		usleep(10000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	detach(d);
	return -1;
}

void daemon_kill(struct daemon_proc *d)
{
	int status;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	detach(d);
}

const char *dpath(const struct daemon_proc *d, const char *rel)
{
	static char bufs[4][1024];
	static int next;
	char *p = bufs[next++ % 4];
	snprintf(p, 1024, "%s/%s", d->mnt, rel);
	return p;
}

const char *mem_path(const struct daemon_proc *d, const char *name)
{
	char rel[300];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	return dpath(d, rel);
}

int buf_create(const struct daemon_proc *d, const char *name, size_t size)
{
	char rel[300];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(d, rel), O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return -errno;
	int rc = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int open_buf(const struct daemon_proc *d, const char *name, int flags)
{
	char rel[300];
	snprintf(rel, sizeof(rel), "mem/%s", name);
	int fd = open(dpath(d, rel), flags);
	ck_assert_msg(fd >= 0, "open mem/%s: %s", name, strerror(errno));
	return fd;
}

void buf_write(const struct daemon_proc *d, const char *name, const void *data,
	       size_t size)
{
	int fd = open_buf(d, name, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, data, size, 0), (ssize_t)size);
	close(fd);
}

void buf_read(const struct daemon_proc *d, const char *name, void *data,
	      size_t size)
{
	int fd = open_buf(d, name, O_RDONLY);
	ck_assert_int_eq(pread(fd, data, size, 0), (ssize_t)size);
	close(fd);
}

int queue_open(const struct daemon_proc *d, int flags)
{
	int fd = open(dpath(d, "queue"), O_RDWR | flags);
	ck_assert_msg(fd >= 0, "open queue: %s", strerror(errno));
	return fd;
}

void queue_send(int fd, const char *line)
{
	char buf[8192];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	ck_assert_int_eq(write(fd, buf, (size_t)n), n);
}

/* Completion bytes read but not yet returned, per file descriptor. */
static struct {
	char data[8192];
	size_t len;
} pending[256];

void queue_recv(int fd, char *buf, size_t len)
{
	ck_assert_int_lt(fd, 256);
	char *nl;
	while (!(nl = memchr(pending[fd].data, '\n', pending[fd].len))) {
		ssize_t n = read(fd, pending[fd].data + pending[fd].len,
				 sizeof(pending[fd].data) - pending[fd].len);
		ck_assert_msg(n > 0, "read queue: %zd (%s)", n,
			      strerror(errno));
		pending[fd].len += (size_t)n;
	}
	size_t line = (size_t)(nl - pending[fd].data);
	ck_assert_uint_lt(line, len);
	memcpy(buf, pending[fd].data, line);
	buf[line] = '\0';
	pending[fd].len -= line + 1;
	memmove(pending[fd].data, nl + 1, pending[fd].len);
}

void run_line(const struct daemon_proc *d, const char *line, char *buf,
	      size_t len)
{
	int fd = queue_open(d, 0);
	queue_send(fd, line);
	queue_recv(fd, buf, len);
	ck_assert_int_eq(pending[fd].len, 0);
	close(fd);
}

void expect_completion(const struct daemon_proc *d, const char *line,
		       const char *want, const char *sub)
{
	char buf[512];
	run_line(d, line, buf, sizeof(buf));
	const char *st = strchr(buf, ' ');
	ck_assert_msg(st && strncmp(st + 1, want, strlen(want)) == 0 &&
			  (!sub || strstr(buf, sub)),
		      "'%s' -> '%s', want '%s' with '%s'", line, buf, want,
		      sub ? sub : "");
}

void mem_put(const struct daemon_proc *d, const char *name, const void *data,
	     size_t len)
{
	int fd = open(mem_path(d, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

const char *cl_path(const char *file)
{
	static char path[4096];
	const char *dir = getenv("VGPUFS_CL_DIR");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/cl", file);
	return path;
}

void mem_put_cl(const struct daemon_proc *d, const char *file, const char *name)
{
	const char *src = slurp(cl_path(file));
	mem_put(d, name, src, strlen(src));
}

pid_t spawn_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
	       int (*fn)(void))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups((size_t)ngroups, groups) < 0 ||
		    setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(100);
		_exit(fn());
	}
	return pid;
}

int child_status(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

int as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
	    int (*fn)(void))
{
	return child_status(spawn_as(uid, gid, ngroups, groups, fn));
}

void vgpucc_into_mem(const struct daemon_proc *d, const char *source,
		     const char *name)
{
	const char *vgpucc = getenv("VGPUCC");
	ck_assert_msg(vgpucc, "VGPUCC (path of vgpucc) is not set");
	char src[] = "/tmp/vgpufs-test-XXXXXX.cl", cmd[4096];
	int fd = mkstemps(src, 3);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, source, strlen(source)),
			 (ssize_t)strlen(source));
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s", vgpucc, src,
		 mem_path(d, name));
	int status = system(cmd);
	unlink(src);
	ck_assert_msg(status == 0, "%s: %d", cmd, status);
}

void assert_uring_where_offered(const struct daemon_proc *d)
{
	slurp(dpath(d, "info")); /* opened once: info shows the transport */
	if (access("/sys/module/fuse/parameters/enable_uring", F_OK) == 0)
		ck_assert_msg(strstr(slurp(dpath(d, "info")),
				     "transport: fuse-io_uring\n"),
			      "%s", slurp(dpath(d, "info")));
}

const char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	size_t used = 0;
	ssize_t n;
	while ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	buf[used] = '\0';
	return buf;
}

double stats_value(const struct daemon_proc *d, const char *key)
{
	const char *st = slurp(dpath(d, "stats"));
	size_t klen = strlen(key);
	for (const char *p = st; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtod(p + klen + 1, NULL);
	ck_abort_msg("stats has no %s:\n%s", key, st);
	return -1;
}

bool stats_wait(const struct daemon_proc *d, const char *needle, bool want,
		double seconds)
{
	double until = now_seconds() + seconds;
	do {
		if ((strstr(slurp(dpath(d, "stats")), needle) != NULL) == want)
			return true;
		usleep(5000);
	} while (now_seconds() < until);
	return false;
}

off_t write_until_full(int fd, off_t start, ssize_t *last)
{
	char *chunk = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(chunk);
	off_t total = 0;
	ssize_t n;
	while ((n = pwrite(fd, chunk, 1 << 20, start + total)) > 0)
		total += n;
	int err = errno;
	free(chunk);
	errno = err;
	*last = n;
	return total;
}

long daemon_rss_kb(const struct daemon_proc *d)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
	const char *rss = strstr(slurp(path), "VmRSS:");
	ck_assert_ptr_nonnull(rss);
	return atol(rss + 6);
}

int daemon_fd_count(const struct daemon_proc *d)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)d->pid);
	DIR *dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(dir));)
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

FILE *daemon_thread_open(const struct daemon_proc *d, pid_t tid,
			 const char *file)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)d->pid,
		 (int)tid, file);
	return fopen(path, "r");
}

size_t daemon_threads_named(const struct daemon_proc *d, const char *prefix,
			    pid_t *tids, size_t max)
{
	char path[64], comm[32];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)d->pid);
	DIR *dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] == '.')
			continue;
		pid_t tid = (pid_t)atoi(e->d_name);
		FILE *f = daemon_thread_open(d, tid, "comm");
		bool named = f && fgets(comm, sizeof(comm), f) &&
			     strncmp(comm, prefix, strlen(prefix)) == 0;
		if (f)
			fclose(f);
		if (named && n < max)
			tids[n] = tid;
		n += named;
	}
	closedir(dir);
	return n;
}

bool dead_mount_errno(int err)
{
	return err == ENOTCONN || err == ECONNABORTED || err == ECANCELED;
}

Suite *suite_with_daemon(const char *name, void (*setup)(void),
			 void (*teardown)(void), double timeout,
			 const TTest *const tests[], size_t ntests)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	/* VGPUFS_TESTS=a,b runs only the tests named (while working on them) */
	const char *only = getenv("VGPUFS_TESTS");
	for (size_t i = 0; i < ntests; i++) {
		size_t len = strlen(tests[i]->name);
		const char *hit = only ? strstr(only, tests[i]->name) : NULL;
		if (!only || (hit && (hit == only || hit[-1] == ',') &&
			      (hit[len] == ',' || hit[len] == '\0')))
			tcase_add_test(tc, tests[i]);
	}
	suite_add_tcase(s, tc);
	return s;
}

int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

long raise_fd_limit(long n)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	struct rlimit want = rl;
	if (want.rlim_max < (rlim_t)n)
		want.rlim_max = (rlim_t)n;
	want.rlim_cur = (rlim_t)n;
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return n;
	/* without CAP_SYS_RESOURCE: as far as the hard limit goes */
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	return (long)rl.rlim_cur;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void promtool_check(const char *m)
{
	char tmp[] = "/tmp/vgpufs-metrics-XXXXXX", cmd[128];
	int fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, m, strlen(m)), (ssize_t)strlen(m));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", tmp);
	int status = system(cmd);
	unlink(tmp);
	ck_assert_msg(status == 0, "promtool check metrics: %d\n%s", status, m);
}
