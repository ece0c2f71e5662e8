/*
 * Reading the device in a child process, for the full screen. A daemon
 * that is stopped (not dead) makes every read of its files block, and a
 * process with a thread blocked there cannot even exit (vgpu status has
 * the same problem). So a child reads the stats file and sends its text
 * through a pipe; the screen polls that pipe with the keyboard, says when
 * no answer comes, and can always quit: the child ends when the daemon
 * lets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

struct top_sampler {
	const char *path;
	pid_t child;
	int req, res; /* pipes to and from the child */
	bool busy;    /* a request is out */
	double since; /* when it was sent */
};

/* What the child sends for a reading: then LEN bytes of the file. */
struct reply {
	int32_t err; /* 0 or -errno */
	uint32_t len;
};

double top_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return true;
}

static bool read_all(int fd, void *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p = (char *)p + n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads PATH/stats whole; -errno. */
static int read_stats(const char *path, char **text, size_t *len)
{
	char name[4096];
	snprintf(name, sizeof(name), "%s/stats", path);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int rc = 0;
	for (;;) {
		if (!buf) {
			rc = -ENOMEM;
			break;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap) {
			char *bigger =
			    cap < (64u << 20) ? realloc(buf, cap *= 2) : NULL;
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* The child: a reading per request byte, until the screen is gone. */
static void child(const char *path, int req, int res)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd); /* the terminal is the screen's */
	char c;
	while (read_all(req, &c, 1)) {
		char *text = NULL;
		size_t len = 0;
		struct reply r = {.err = read_stats(path, &text, &len)};
		r.len = (uint32_t)len;
		bool ok =
		    write_all(res, &r, sizeof(r)) && write_all(res, text, len);
		free(text);
		if (!ok)
			break;
	}
	_exit(0);
}

/* Starts the child and its pipes; false on failure. */
static bool spawn(struct top_sampler *s)
{
	int req[2], res[2];
	if (pipe2(req, O_CLOEXEC) < 0)
		return false;
	if (pipe2(res, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		return false;
	}
	fflush(NULL);
	s->child = fork();
	if (s->child == 0) {
		close(req[1]);
		close(res[0]);
		child(s->path, req[0], res[1]);
	}
	close(req[0]);
	close(res[1]);
	s->req = req[1];
	s->res = res[0];
	s->busy = false;
	return s->child > 0;
}

/* Lets the child go: it ends at its next read of the request pipe. */
static void let_go(struct top_sampler *s)
{
	close(s->req);
	close(s->res);
	/* Reaped when it has already ended; else it ends when the daemon
	   lets it, and init reaps it. */
	if (s->child > 0 && waitpid(s->child, NULL, WNOHANG) == 0)
		kill(s->child, SIGKILL);
}

struct top_sampler *top_sampler_start(const char *path)
{
	struct top_sampler *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	signal(SIGPIPE, SIG_IGN); /* a child gone is seen as EPIPE */
	s->path = path;
	if (!spawn(s)) {
		let_go(s);
		free(s);
		return NULL;
	}
	return s;
}

void top_sampler_request(struct top_sampler *s)
{
	if (s->busy)
		return;
	if (!write_all(s->req, "r", 1)) { /* the child died: another one */
		let_go(s);
		if (!spawn(s) || !write_all(s->req, "r", 1))
			return;
	}
	s->busy = true;
	s->since = top_now();
}

int top_sampler_fd(const struct top_sampler *s)
{
	return s->res;
}

bool top_sampler_take(struct top_sampler *s, vgpu_stats **st, char *msg,
		      size_t len)
{
	*st = NULL;
	if (!s->busy)
		return false;
	struct reply r;
	char *text = NULL;
	bool got = read_all(s->res, &r, sizeof(r));
	if (got && r.err == 0) {
		text = malloc((size_t)r.len + 1);
		got = text && read_all(s->res, text, r.len);
	}
	s->busy = false;
	if (!got) {
		snprintf(msg, len, "%s: the reader process is gone", s->path);
	} else if (r.err < 0) {
		top_explain(r.err, s->path, "", msg, len);
	} else {
		text[r.len] = '\0';
		int rc = vgpu_stats_parse(text, st);
		if (rc < 0)
			snprintf(msg, len, "%s/stats: %s", s->path,
				 rc == -EPROTO ? "not a vgpufs stats file"
					       : strerror(-rc));
	}
	free(text);
	return true;
}

double top_sampler_waiting(const struct top_sampler *s)
{
	return s->busy ? top_now() - s->since : 0;
}

void top_sampler_stop(struct top_sampler *s)
{
	let_go(s);
	free(s);
}
