#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "bare_fuse.h"
#include "bench_harness.h"

#define FILE_INO 2

static struct {
	char data[64];
	size_t len;
	bool uring_seen;
} echo;

static void stat_of(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = ino == 1 ? S_IFDIR | 0755 : S_IFREG | 0666;
	st->st_nlink = 1;
}

static void b_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != 1 || strcmp(name, "echo") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e = {
	    .ino = FILE_INO, .attr_timeout = 1, .entry_timeout = 1};
	stat_of(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void b_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	stat_of(ino, &st);
	fuse_reply_attr(req, &st, 1);
}

static void b_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
#ifdef FUSE_CAP_OVER_IO_URING
	echo.uring_seen |= fuse_req_is_uring(req);
#endif
	fi->direct_io = 1; /* like the queue file: every call reaches us */
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void b_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)off, (void)fi;
	echo.len = size < sizeof(echo.data) ? size : sizeof(echo.data);
	memcpy(echo.data, buf, echo.len);
	fuse_reply_write(req, size);
}

static void b_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)ino, (void)off, (void)fi;
	fuse_reply_buf(req, echo.data, size < echo.len ? size : echo.len);
}

static const struct fuse_lowlevel_ops bare_ops = {
    .lookup = b_lookup,
    .getattr = b_getattr,
    .open = b_open,
    .read = b_read,
    .write = b_write,
};

/* The child: mount, serve until SIGTERM, exit 2 if io_uring was used. */
static int serve(const char *mnt, bool uring)
{
	char *argv[] = {"bare", "-o", "allow_other", "-o", "io_uring", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(uring ? 5 : 3, argv);
	struct fuse_session *se =
	    fuse_session_new(&args, &bare_ops, sizeof(bare_ops), NULL);
	fuse_opt_free_args(&args);
	if (!se || fuse_set_signal_handlers(se) < 0 ||
	    fuse_session_mount(se, mnt) < 0)
		return 1;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return echo.uring_seen ? 2 : 0;
}

pid_t bare_fuse_start(const char *mnt, bool uring)
{
	pid_t pid = fork();
	if (pid == 0) {
		bench_own_session();
		_exit(serve(mnt, uring));
	}
	char file[300];
	snprintf(file, sizeof(file), "%s/echo", mnt);
	for (int i = 0; i < 500; i++) {
		struct stat st;
		if (stat(file, &st) == 0)
			return pid;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

bool bare_fuse_stop(pid_t pid)
{
	int status = 0;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 2;
}
