/*
 * Integration-test harness: starts the real vgpufsd on a temporary mount
 * point and offers small helpers over the real files. No mocks.
 */
#ifndef VGPUFS_TEST_HARNESS_H
#define VGPUFS_TEST_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct daemon_proc {
	pid_t pid;
	char mnt[256];
	long nofile;	 /* set: the daemon's RLIMIT_NOFILE (soft and hard) */
	const char *env; /* set: "NAME=value" added to its environment */
};

/*
 * Starts vgpufsd (path from $VGPUFSD) in the foreground on d->mnt, or on a
 * fresh temporary directory when that is empty, with the extra ARGS
 * (NULL-terminated), and waits until the device answers. Aborts the test
 * on failure.
 */
void daemon_start(struct daemon_proc *d, const char *const args[]);
/* SIGTERM, wait; returns the exit status (or -1 if it had to be killed). */
int daemon_stop(struct daemon_proc *d);

/* SIGKILL, as a crash would: no draining; the dead mount is detached. */
void daemon_kill(struct daemon_proc *d);

/* mnt + "/" + rel, in a static rotating buffer. */
const char *dpath(const struct daemon_proc *d, const char *rel);
/* mnt + "/mem/" + name, likewise. */
const char *mem_path(const struct daemon_proc *d, const char *name);

/* Creates mem/NAME with SIZE bytes (mode 0644); returns 0 or -errno. */
int buf_create(const struct daemon_proc *d, const char *name, size_t size);
/* Writes/reads SIZE bytes at offset 0 of mem/NAME; aborts on error. */
void buf_write(const struct daemon_proc *d, const char *name, const void *data,
	       size_t size);
void buf_read(const struct daemon_proc *d, const char *name, void *data,
	      size_t size);

/* Opens a new context (O_RDWR, plus FLAGS). */
int queue_open(const struct daemon_proc *d, int flags);
/* Writes LINE (a newline is added) to the context. */
void queue_send(int fd, const char *line);
/*
 * Reads the next completion line (without newline) into BUF, keeping
 * further lines read with it for the next call (FD < 256); aborts on EOF.
 */
void queue_recv(int fd, char *buf, size_t len);
/* Sends LINE on a fresh context and returns its completion in BUF. */
void run_line(const struct daemon_proc *d, const char *line, char *buf,
	      size_t len);
/* run_line, its completion checked to start with WANT after "SEQ " and to
 * contain SUB (NULL: anything). */
void expect_completion(const struct daemon_proc *d, const char *line,
		       const char *want, const char *sub);
/* As a shell's cp: mem/NAME made (0644) and written whole. */
void mem_put(const struct daemon_proc *d, const char *name, const void *data,
	     size_t len);
/* The path of tests/cl/FILE ($VGPUFS_CL_DIR, which ctest sets), in a
 * static buffer. */
const char *cl_path(const char *file);
/* mem_put of tests/cl/FILE as mem/NAME. */
void mem_put_cl(const struct daemon_proc *d, const char *file,
		const char *name);

/*
 * A suite of one test case NAME whose every test gets a fresh daemon started
 * by SETUP and stopped by TEARDOWN (both may be NULL), TIMEOUT seconds each.
 */
Suite *suite_with_daemon(const char *name, void (*setup)(void),
			 void (*teardown)(void), double timeout,
			 const TTest *const tests[], size_t ntests);
/* Runs the suite; the exit status for main(). */
int run_suite(Suite *s);

/*
 * Runs FN in a child process as UID/GID (with supplementary GROUPS) and
 * returns the child's pid: spawn_as(), then child_status() for its exit
 * status (100: it could not switch users; 101: it died of a signal).
 * as_user() does both.
 */
pid_t spawn_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
	       int (*fn)(void));
int child_status(pid_t pid);
int as_user(uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
	    int (*fn)(void));
/* The number on the first "KEY value" line of stats; aborts if none. */
double stats_value(const struct daemon_proc *d, const char *key);
/*
 * Polls stats until its text contains NEEDLE (or, with WANT false, no longer
 * does), for up to SECONDS; returns whether it did.
 */
bool stats_wait(const struct daemon_proc *d, const char *needle, bool want,
		double seconds);
/*
 * The daemon's resident memory (VmRSS, KiB) and open file descriptors.
 * Under AddressSanitizer (the Asan build) RSS says nothing about leaks,
 * which ASan reports itself: its quarantine keeps freed memory resident.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DAEMON_RSS_MEANINGFUL false
#else
#define DAEMON_RSS_MEANINGFUL true
#endif
/*
 * Writes 1 MiB chunks of zeros to FD from offset START until a write fails
 * or writes nothing; returns the bytes written, and that last write's
 * result in *LAST (errno tells why it failed).
 */
off_t write_until_full(int fd, off_t start, ssize_t *last);
long daemon_rss_kb(const struct daemon_proc *d);
int daemon_fd_count(const struct daemon_proc *d);
/*
 * The daemon's threads whose name (/proc/PID/task/TID/comm) starts with
 * PREFIX: how many there are, and up to MAX of their ids into TIDS.
 */
size_t daemon_threads_named(const struct daemon_proc *d, const char *prefix,
			    pid_t *tids, size_t max);
/* /proc/PID/task/TID/FILE of the daemon's thread TID, open to read, or
 * NULL (the thread ended). */
FILE *daemon_thread_open(const struct daemon_proc *d, pid_t tid,
			 const char *file);

/* Whether ERR is how the kernel answers for a FUSE daemon that died. */
bool dead_mount_errno(int err);

/*
 * Raises this process's RLIMIT_NOFILE (soft and hard; daemons started
 * later inherit it) to N, or as far as the hard limit allows when raising
 * that is not permitted (no CAP_SYS_RESOURCE); returns the soft limit.
 */
long raise_fd_limit(long n);

/* Removes DIR and everything under it (a test's disk tier), if it exists. */
void remove_tree(const char *dir);

/* Checks that METRICS is valid exposition: promtool (install-deps.sh). */
void promtool_check(const char *metrics);

/* Compiles SOURCE with vgpucc (its path in $VGPUCC) into D's mem/NAME. */
void vgpucc_into_mem(const struct daemon_proc *d, const char *source,
		     const char *name);

/* Reads a whole small file into a static buffer. */
const char *slurp(const char *path);
/*
 * Where the kernel offers FUSE over io_uring, checks that D's requests
 * come that way (its info file says so once something was opened).
 */
void assert_uring_where_offered(const struct daemon_proc *d);
double now_seconds(void);

#endif
