/*
 * Soak: 16 client processes, each its own context, for 60 seconds (or
 * --seconds S, --clients N). Each loops: random buffer create, resize and
 * remove in its own directory, then a random batch of kernels whose
 * results it checks against its own reference, mixed with commands that
 * must fail; even clients speak text, odd ones binary; a batch goes in one
 * write or one write a command. Every command must get exactly one
 * completion, in order, and no result may be wrong; the daemon's memory
 * (VmRSS) and descriptors after the run must be where they were after a
 * warm-up run. Prints a one-line summary.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/errnames.h>
#include <vgpufs/text_proto.h>

#include "harness.h"

static double seconds = 60;
static int nclients = 16;

/* What one client counted; shared with the parent. */
struct tally {
	uint64_t submitted, completions, ok, failed_as_expected;
	uint64_t unexpected, wrong, out_of_order, buffer_ops;
	char problem[512]; /* the first thing that went wrong */
};

enum { NBUF = 6, MAXF = 1 << 17 /* floats a buffer holds at most */ };

struct buffer {
	bool live;
	int fd;	  /* kept open: results are read through it, even after rm */
	size_t n; /* floats */
	uint64_t ino;
	float *shadow; /* what the client expects it to hold */
	float *err;    /* and how far from that it may be */
};

/* A command of a batch, and what its completion must be. */
struct planned {
	char line[512];
	const char *kernel;
	int err; /* 0, or the -errno it must fail with (binary: any error) */
	int out; /* the buffer it writes, -1 none */
	size_t off, len; /* floats of OUT it writes */
	float *want, *tol;
};

struct client {
	int id, q;
	bool binary;
	uint64_t seq;
	struct buffer b[NBUF];
	struct tally *t;
	const struct daemon_proc *d;
	uint64_t rng;
};

static uint64_t rnd(struct client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static size_t upto(struct client *c, size_t n)
{
	return n ? (size_t)(rnd(c) % n) : 0;
}

static float rndf(struct client *c)
{
	return (float)((double)upto(c, 2001) / 1000.0 - 1.0);
}

static void problem(struct client *c, const char *fmt, ...)
{
	if (c->t->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(c->t->problem, sizeof(c->t->problem),
			 "client %d: ", c->id);
	vsnprintf(c->t->problem + n, sizeof(c->t->problem) - (size_t)n, fmt,
		  ap);
	va_end(ap);
}

static const char *rel(const struct client *c, int i)
{
	static char names[4][64]; /* several in one call's arguments */
	static int next;
	char *p = names[next++ % 4];
	snprintf(p, 64, "c%d/b%d", c->id, i);
	return p;
}

static const char *path(const struct client *c, int i)
{
	char r[80];
	snprintf(r, sizeof(r), "mem/%s", rel(c, i));
	return dpath(c->d, r);
}

/* Reads buffer I's floats [OFF, OFF+LEN) through its descriptor. */
static bool fetch(struct client *c, int i, size_t off, size_t len, float *out)
{
	ssize_t got = pread(c->b[i].fd, out, len * 4, (off_t)(off * 4));
	if (got != (ssize_t)(len * 4)) {
		problem(c, "pread b%d: %zd (%s)", i, got, strerror(errno));
		return false;
	}
	return true;
}

static void drop(struct client *c, int i)
{
	if (c->b[i].live && unlink(path(c, i)) < 0)
		problem(c, "rm b%d: %s", i, strerror(errno));
	close(c->b[i].fd);
	free(c->b[i].shadow);
	free(c->b[i].err);
	memset(&c->b[i], 0, sizeof(c->b[i]));
}

/* Creates, resizes or removes a buffer, at random; nothing in flight. */
static void buffer_op(struct client *c)
{
	int i = (int)upto(c, NBUF);
	struct buffer *b = &c->b[i];
	c->t->buffer_ops++;
	if (!b->fd) {
		size_t n = 256 + upto(c, MAXF - 256);
		int fd = open(path(c, i), O_RDWR | O_CREAT | O_EXCL, 0600);
		struct stat st;
		if (fd < 0 || ftruncate(fd, (off_t)(n * 4)) < 0 ||
		    fstat(fd, &st) < 0) {
			problem(c, "create b%d: %s", i, strerror(errno));
			if (fd >= 0)
				close(fd);
			return;
		}
		*b = (struct buffer){.live = true,
				     .fd = fd,
				     .n = n,
				     .ino = st.st_ino,
				     .shadow = calloc(MAXF, 4),
				     .err = calloc(MAXF, 4)};
		return;
	}
	if (upto(c, 4) == 0) {
		drop(c, i);
		return;
	}
	/* resize; what is past the old end reads as zeros */
	size_t n = 256 + upto(c, MAXF - 256);
	if (ftruncate(b->fd, (off_t)(n * 4)) < 0) {
		problem(c, "resize b%d to %zu: %s", i, n * 4, strerror(errno));
		return;
	}
	if (n > b->n)
		memset(b->shadow + b->n, 0, (n - b->n) * 4);
	if (n > b->n)
		memset(b->err + b->n, 0, (n - b->n) * 4);
	b->n = n;
}

/* A live buffer other than the ones in NOT (-1 for none), or -1. */
static int pick(struct client *c, int not1, int not2)
{
	int start = (int)upto(c, NBUF);
	for (int k = 0; k < NBUF; k++) {
		int i = (start + k) % NBUF;
		if (c->b[i].live && i != not1 && i != not2)
			return i;
	}
	return -1;
}

static float maxabs(const float *x, size_t n)
{
	float m = 0;
	for (size_t i = 0; i < n; i++)
		m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
	return m;
}

/* The reference of P's output, with a tolerance an element. */
static void expect(struct planned *p, int out, size_t off, size_t len)
{
	p->out = out;
	p->off = off;
	p->len = len;
	p->want = malloc(len * 4);
	p->tol = malloc(len * 4);
}

#define LINE(...) snprintf(p->line, sizeof(p->line), __VA_ARGS__)

/*
 * Plans one valid command on the client's buffers: its line, and the
 * reference of what it writes with a bound of the error an element. The
 * bound is the command's own rounding (generous: a few ulps of the terms)
 * plus what the error bounds of its inputs (the commands before it in the
 * batch) can become through it. False when there are not enough buffers.
 */
static bool plan_kernel(struct client *c, struct planned *p)
{
	int x = pick(c, -1, -1), y = pick(c, x, -1), z = pick(c, x, y);
	if (x < 0)
		return false;
	/* keep values small, so that bounds stay tight: refill */
	int kind = (int)upto(c, 10);
	if (y >= 0 && maxabs(c->b[y].shadow, c->b[y].n) > 100)
		x = y, kind = 0;
	if (y < 0 || maxabs(c->b[x].shadow, c->b[x].n) > 100)
		kind = 0;
	if (kind >= 8 && z < 0)
		kind = 0;
	const struct buffer *bx = &c->b[x];
	const float *sx = bx->shadow, *ex = bx->err;
	const float *sy = y >= 0 ? c->b[y].shadow : NULL;
	const float *ey = y >= 0 ? c->b[y].err : NULL;
	size_t n = 1 + upto(c, bx->n);
	if (kind > 0 && kind < 8)
		n = 1 + upto(c, bx->n < c->b[y].n ? bx->n : c->b[y].n);
	float v = rndf(c);
	const float u = 1e-6f; /* rounding, relative to the terms */
	switch (kind) {
	case 0: /* fill */
		n = bx->n - upto(c, 2) * upto(c, bx->n);
		p->kernel = "fill";
		LINE("fill buf=%s value=%g n=%zu", rel(c, x), (double)v, n);
		expect(p, x, 0, n);
		for (size_t i = 0; i < n; i++)
			p->want[i] = v, p->tol[i] = 0;
		return true;
	case 1: /* copy */
		p->kernel = "copy";
		LINE("copy src=%s dst=%s bytes=%zu", rel(c, x), rel(c, y),
		     n * 4);
		expect(p, y, 0, n);
		memcpy(p->want, sx, n * 4);
		memcpy(p->tol, ex, n * 4);
		return true;
	case 2: /* axpy */
		p->kernel = "axpy";
		LINE("axpy x=%s y=%s n=%zu alpha=%g", rel(c, x), rel(c, y), n,
		     (double)v);
		expect(p, y, 0, n);
		for (size_t i = 0; i < n; i++) {
			p->want[i] = sy[i] + v * sx[i];
			p->tol[i] = u * (fabsf(sy[i]) + fabsf(v * sx[i])) +
				    ey[i] + fabsf(v) * ex[i];
		}
		return true;
	case 3: /* add */
		p->kernel = "add";
		LINE("add a=%s b=%s out=%s n=%zu", rel(c, x), rel(c, y),
		     rel(c, y), n);
		expect(p, y, 0, n);
		for (size_t i = 0; i < n; i++) {
			p->want[i] = sx[i] + sy[i];
			p->tol[i] =
			    u * (fabsf(sx[i]) + fabsf(sy[i])) + ex[i] + ey[i];
		}
		return true;
	case 4: /* mul by a scalar, in place */
		p->kernel = "mul";
		LINE("mul a=%s bscalar=%g out=%s n=%zu", rel(c, y), (double)v,
		     rel(c, y), n);
		expect(p, y, 0, n);
		for (size_t i = 0; i < n; i++) {
			p->want[i] = sy[i] * v;
			p->tol[i] = u * fabsf(sy[i] * v) + fabsf(v) * ey[i];
		}
		return true;
	case 5: /* sum of a vector */
	case 6: /* amax of rows */
	{
		size_t rows = kind == 5 ? 1 : 1 + upto(c, 16);
		size_t cols = n / rows ? n / rows : 1;
		if (rows * cols > bx->n || rows > c->b[y].n)
			rows = cols = 1;
		p->kernel = kind == 5 ? "sum" : "amax";
		LINE("%s x=%s out=%s rows=%zu cols=%zu axis=1", p->kernel,
		     rel(c, x), rel(c, y), rows, cols);
		expect(p, y, 0, rows);
		for (size_t r = 0; r < rows; r++) {
			const float *row = sx + r * cols, *er = ex + r * cols;
			double s = 0, a = 0, m = -INFINITY, e = 0, emax = 0;
			for (size_t j = 0; j < cols; j++) {
				s += row[j];
				a += fabs(row[j]);
				m = row[j] > m ? row[j] : m;
				e += er[j];
				emax = er[j] > emax ? er[j] : emax;
			}
			p->want[r] = (float)(kind == 5 ? s : m);
			p->tol[r] = (float)(kind == 5 ? u * a + e : emax);
		}
		return true;
	}
	case 7: /* softmax of rows */
	{
		size_t rows = 1 + upto(c, 8);
		size_t cols = n / rows ? n / rows : 1;
		if (rows * cols > n)
			rows = cols = 1;
		p->kernel = "softmax";
		LINE("softmax x=%s out=%s rows=%zu cols=%zu", rel(c, x),
		     rel(c, y), rows, cols);
		expect(p, y, 0, rows * cols);
		for (size_t r = 0; r < rows; r++) {
			const float *row = sx + r * cols, *er = ex + r * cols;
			double m = -INFINITY, s = 0, emax = 0;
			for (size_t j = 0; j < cols; j++) {
				m = row[j] > m ? row[j] : m;
				emax = er[j] > emax ? er[j] : emax;
			}
			for (size_t j = 0; j < cols; j++)
				s += exp(row[j] - m);
			for (size_t j = 0; j < cols; j++) {
				double e = exp(row[j] - m) / s;
				p->want[r * cols + j] = (float)e;
				/* inputs off by d move e by about 2d e */
				p->tol[r * cols + j] =
				    (float)(e * (1e-5 + 2.5 * emax) + 1e-9);
			}
		}
		return true;
	}
	default: /* a small gemm: z = x y */
	{
		size_t m = 1 + upto(c, 24), k = 1 + upto(c, 24),
		       nn = 1 + upto(c, 24);
		if (m * k > bx->n || k * nn > c->b[y].n || m * nn > c->b[z].n)
			m = k = nn = 1;
		p->kernel = "gemm";
		LINE("gemm a=%s b=%s c=%s m=%zu n=%zu k=%zu", rel(c, x),
		     rel(c, y), rel(c, z), m, nn, k);
		expect(p, z, 0, m * nn);
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < nn; j++) {
				double s = 0, a = 0, e = 0;
				for (size_t l = 0; l < k; l++) {
					double av = sx[i * k + l],
					       bv = sy[l * nn + j];
					s += av * bv;
					a += fabs(av * bv);
					e += fabs(bv) * ex[i * k + l] +
					     fabs(av) * ey[l * nn + j];
				}
				p->want[i * nn + j] = (float)s;
				p->tol[i * nn + j] = (float)(10 * u * a + e);
			}
		return true;
	}
	}
}

static bool plan_valid(struct client *c, struct planned *p)
{
	if (!plan_kernel(c, p))
		return false;
	/* the commands after it see what it wrote, and how far off */
	memcpy(c->b[p->out].shadow + p->off, p->want, p->len * 4);
	memcpy(c->b[p->out].err + p->off, p->tol, p->len * 4);
	return true;
}

/* Plans a command that must fail; it changes nothing. */
static void plan_bad(struct client *c, struct planned *p)
{
	int x = pick(c, -1, -1);
	int kind = (int)upto(c, c->binary ? 2 : 4);
	if (x < 0 && kind == 0)
		kind = 1;
	p->out = -1;
	switch (kind) {
	case 0: /* one element past the end */
		p->kernel = "fill";
		p->err = -EINVAL;
		LINE("fill buf=%s value=1 n=%zu", rel(c, x), c->b[x].n + 1);
		break;
	case 1: /* no such buffer */
		p->kernel = "fill";
		p->err = -ENOENT;
		LINE("fill buf=c%d/missing value=1 n=1", c->id);
		break;
	case 2:
		p->kernel = NULL;
		p->err = -ENOSYS;
		LINE("frobnicate x=1");
		break;
	default:
		p->kernel = "axpy";
		p->err = -EINVAL;
		LINE("axpy n=4");
		break;
	}
}

/* The binary packet for text command LINE, buffers by inode number. */
static size_t to_packet(struct client *c, const char *line, char *pkt,
			size_t cap)
{
	struct vgpu_cmd cmd;
	int err;
	char msg[VGPU_MSG_MAX];
	if (vgpu_text_parse(line, strlen(line), &cmd, &err, msg, sizeof(msg)) !=
	    VGPU_LINE_COMMAND) {
		problem(c, "cannot encode '%s': %s", line, msg);
		return 0;
	}
	const struct vgpu_kernel_spec *k = cmd.spec;
	vgpu_bin_begin(pkt, cap, k->id, c->seq + 1);
	for (unsigned i = 0; i < k->nargs; i++) {
		if (!vgpu_cmd_given(&cmd, i))
			continue;
		uint16_t type = (uint16_t)k->args[i].type;
		if (type == VGPU_ARG_BUF) {
			/* "cI/bJ": the buffer's inode; another, a handle
			 * that names nothing */
			char nm[80], extra;
			int cid, bi;
			snprintf(nm, sizeof(nm), "%.*s",
				 (int)cmd.buf[i].name_len, cmd.buf[i].name);
			uint64_t ino = (uint64_t)1 << 60;
			if (sscanf(nm, "c%d/b%d%c", &cid, &bi, &extra) == 2 &&
			    cid == c->id && bi >= 0 && bi < NBUF && c->b[bi].fd)
				ino = c->b[bi].ino;
			vgpu_bin_put_buf(pkt, cap, (uint16_t)i, ino,
					 cmd.buf[i].offset);
		} else if (type == VGPU_ARG_FLOAT) {
			vgpu_bin_put_float(pkt, cap, (uint16_t)i, cmd.val[i].f);
		} else {
			vgpu_bin_put_int(pkt, cap, (uint16_t)i, type,
					 cmd.val[i].i);
		}
	}
	return vgpu_bin_size(pkt);
}

static bool write_all(struct client *c, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(c->q, data, len);
		if (n <= 0) {
			problem(c, "write queue: %s", strerror(errno));
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends the batch: all in one write, or a write a command. */
static bool submit(struct client *c, struct planned *p, int count)
{
	static char out[64 * 4200];
	size_t used = 0;
	bool one_write = upto(c, 2);
	for (int i = 0; i < count; i++) {
		size_t len;
		if (c->binary) {
			len = to_packet(c, p[i].line, out + used,
					sizeof(out) - used);
			if (!len)
				return false;
		} else {
			len = (size_t)snprintf(out + used, sizeof(out) - used,
					       "%s\n", p[i].line);
		}
		c->seq++;
		c->t->submitted++;
		used += len;
		if (!one_write) {
			if (!write_all(c, out, used))
				return false;
			used = 0;
		}
	}
	return write_all(c, out, used);
}

/* Reads the completion of command SEQ: its status and kernel name. */
static bool receive(struct client *c, uint64_t seq, int *status,
		    const char **kernel)
{
	static char pending[8192];
	static size_t have;
	if (c->binary) {
		struct vgpu_bin_completion r;
		size_t got = 0;
		while (got < sizeof(r)) {
			ssize_t n =
			    read(c->q, (char *)&r + got, sizeof(r) - got);
			if (n <= 0) {
				problem(c, "read queue: %s", strerror(errno));
				return false;
			}
			got += (size_t)n;
		}
		if (r.seq != seq || r.tag != seq)
			c->t->out_of_order++;
		*status = r.status;
		const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(r.kernel);
		*kernel = k ? k->name : NULL;
		return true;
	}
	char *nl;
	while (!(nl = memchr(pending, '\n', have))) {
		ssize_t n = read(c->q, pending + have, sizeof(pending) - have);
		if (n <= 0) {
			problem(c, "read queue: %s", strerror(errno));
			return false;
		}
		have += (size_t)n;
	}
	*nl = '\0';
	char word[16], name[64] = "";
	unsigned long long got = 0;
	int fields = sscanf(pending, "%llu %15s %63s", &got, word, name);
	if (fields < 3 || got != seq)
		c->t->out_of_order++;
	static char k[64];
	snprintf(k, sizeof(k), "%s", name);
	*kernel = k;
	*status = 0;
	if (strcmp(word, "ok") != 0) {
		/* "SEQ err ENAME: MSG" */
		k[strcspn(k, ":")] = '\0';
		int e = vgpu_errno_of_name(k, strlen(k));
		*status = e ? -e : -EPROTO;
	}
	have -= (size_t)(nl + 1 - pending);
	memmove(pending, nl + 1, have);
	return true;
}

/* Checks every completion and result of the batch; updates shadows. */
static void check_batch(struct client *c, struct planned *p, int count)
{
	static float got[MAXF];
	uint64_t first = c->seq - (uint64_t)count + 1;
	for (int i = 0; i < count; i++) {
		int status;
		const char *kernel;
		if (!receive(c, first + (uint64_t)i, &status, &kernel))
			return;
		c->t->completions++;
		bool as_planned = p[i].err ? status != 0 : status == 0;
		if (!c->binary && p[i].err && status != p[i].err)
			as_planned = false;
		if (!as_planned) {
			c->t->unexpected++;
			problem(c, "'%s': status %d, wanted %d", p[i].line,
				status, p[i].err);
		} else if (status) {
			c->t->failed_as_expected++;
		} else {
			c->t->ok++;
			if (!kernel || strcmp(kernel, p[i].kernel) != 0)
				c->t->out_of_order++;
		}
	}
	/* results: the shadows hold what the last writer of each element
	 * must have left there */
	for (int i = count - 1; i >= 0; i--) {
		if (p[i].out < 0)
			continue;
		struct buffer *b = &c->b[p[i].out];
		/* only the last writer of each element decides it */
		if (!fetch(c, p[i].out, p[i].off, p[i].len, got))
			return;
		for (size_t j = 0; j < p[i].len; j++) {
			float w = b->shadow[p[i].off + j];
			bool later = w != p[i].want[j];
			if (later)
				continue;
			/* plus FLT_MIN: subnormal results may differ in
			 * their few bits of precision */
			if (!(fabsf(got[j] - w) <= p[i].tol[j] + FLT_MIN) &&
			    !(isnan(got[j]) && isnan(w))) {
				c->t->wrong++;
				problem(c,
					"'%s': element %zu is %.9g, wanted "
					"%.9g",
					p[i].line, j, (double)got[j],
					(double)w);
				break;
			}
		}
		/* what the device computed is what comes next, exactly */
		memcpy(b->shadow + p[i].off, got, p[i].len * 4);
		memset(b->err + p[i].off, 0, p[i].len * 4);
	}
}

/*
 * A reply the daemon loses would hang the test until check's timeout; a
 * client whose batch takes this long says so instead (a batch takes
 * milliseconds).
 */
#define STALL_SECONDS 30
static struct tally *stall_tally;

static void on_stall(int sig)
{
	(void)sig;
	static const char msg[] = "a batch got no answer within 30 s: a "
				  "read or write of queue never returned";
	if (!stall_tally->problem[0])
		memcpy(stall_tally->problem, msg, sizeof(msg));
	_exit(3);
}

static void client_main(struct client *c, double until)
{
	stall_tally = c->t;
	signal(SIGALRM, on_stall);
	char dir[32];
	snprintf(dir, sizeof(dir), "mem/c%d", c->id);
	c->q = open(dpath(c->d, "queue"), O_RDWR);
	if (c->q < 0 || mkdir(dpath(c->d, dir), 0700) < 0) {
		problem(c, "start: %s", strerror(errno));
		return;
	}
	if (c->binary && !write_all(c, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN))
		return;
	struct planned p[64];
	while (now_seconds() < until && !c->t->problem[0]) {
		alarm(STALL_SECONDS);
		for (int i = (int)upto(c, 3); i >= 0; i--)
			buffer_op(c);
		int count = 1 + (int)upto(c, 48);
		for (int i = 0; i < count; i++) {
			memset(&p[i], 0, sizeof(p[i]));
			if (upto(c, 10) == 0 || !plan_valid(c, &p[i]))
				plan_bad(c, &p[i]);
		}
		/* a buffer the batch uses may go meanwhile: rm is fine */
		int gone = upto(c, 8) == 0 ? pick(c, -1, -1) : -1;
		if (submit(c, p, count)) {
			if (gone >= 0 && unlink(path(c, gone)) == 0)
				c->b[gone].live = false;
			check_batch(c, p, count);
		}
		for (int i = 0; i < count; i++) {
			free(p[i].want);
			free(p[i].tol);
		}
		for (int i = 0; i < NBUF; i++)
			if (c->b[i].fd && !c->b[i].live)
				drop(c, i);
	}
	alarm(0);
	for (int i = 0; i < NBUF; i++)
		if (c->b[i].fd)
			drop(c, i);
	close(c->q);
	if (rmdir(dpath(c->d, dir)) < 0)
		problem(c, "rmdir %s: %s", dir, strerror(errno));
}

/* Runs the clients for RUN seconds; returns their summed tallies. */
static struct tally run_clients(const struct daemon_proc *d, double run)
{
	struct tally *t =
	    mmap(NULL, sizeof(*t) * (size_t)nclients, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(t, MAP_FAILED);
	memset(t, 0, sizeof(*t) * (size_t)nclients);
	double until = now_seconds() + run;
	pid_t pids[64];
	for (int i = 0; i < nclients; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct client c = {.id = i,
					   .binary = i % 2,
					   .t = &t[i],
					   .d = d,
					   .rng = 0x9e3779b97f4a7c15u *
						      (uint64_t)(i + 1) ^
						  (uint64_t)getpid()};
			client_main(&c, until);
			_exit(0);
		}
	}
	struct tally sum = {0};
	for (int i = 0; i < nclients; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
		    !t[i].problem[0])
			snprintf(t[i].problem, sizeof(t[i].problem),
				 "client %d: exit status %#x", i, status);
		sum.submitted += t[i].submitted;
		sum.completions += t[i].completions;
		sum.ok += t[i].ok;
		sum.failed_as_expected += t[i].failed_as_expected;
		sum.unexpected += t[i].unexpected;
		sum.wrong += t[i].wrong;
		sum.out_of_order += t[i].out_of_order;
		sum.buffer_ops += t[i].buffer_ops;
		if (t[i].problem[0] && !sum.problem[0])
			memcpy(sum.problem, t[i].problem, sizeof(sum.problem));
	}
	munmap(t, sizeof(*t) * (size_t)nclients);
	return sum;
}

/* Waits until the clients' contexts and buffers are all gone. */
static void settle(const struct daemon_proc *d)
{
	ck_assert(stats_wait(d, "contexts 0\n", true, 10));
	ck_assert(stats_wait(d, "buffers 0\n", true, 10));
	ck_assert(stats_wait(d, "vram_ram_used_bytes 0\n", true, 10));
}

START_TEST(soak)
{
	struct daemon_proc d = {0};
	const char *args[] = {"--vram", "1G", NULL};
	daemon_start(&d, args);
	double warm = seconds / 6 < 10 ? seconds / 6 : 10;
	struct tally w = run_clients(&d, warm);
	ck_assert_msg(!w.problem[0], "warm-up: %s", w.problem);
	settle(&d);
	const long rss0 = daemon_rss_kb(&d);
	int fds0 = daemon_fd_count(&d);
	const double total0 = stats_value(&d, "commands_total");

	struct tally s = run_clients(&d, seconds);
	settle(&d);
	for (int i = 0; i < 200 && daemon_fd_count(&d) != fds0; i++)
		usleep(10000);
	const long rss1 = daemon_rss_kb(&d);
	const int fds1 = daemon_fd_count(&d);
	const double total = stats_value(&d, "commands_total") - total0;
	printf("soak: %d clients, %.0f s: %llu commands, %llu completions "
	       "(%llu ok, %llu failed as they must, %llu unexpected), "
	       "%llu wrong, %llu out of order, %llu buffer operations; "
	       "daemon RSS %ld -> %ld KiB, fds %d -> %d\n",
	       nclients, seconds, (unsigned long long)s.submitted,
	       (unsigned long long)s.completions, (unsigned long long)s.ok,
	       (unsigned long long)s.failed_as_expected,
	       (unsigned long long)s.unexpected, (unsigned long long)s.wrong,
	       (unsigned long long)s.out_of_order,
	       (unsigned long long)s.buffer_ops, rss0, rss1, fds0, fds1);
	fflush(stdout);
	ck_assert_msg(!s.problem[0], "%s", s.problem);
	ck_assert_uint_gt(s.submitted, 0);
	ck_assert_uint_eq(s.completions, s.submitted);
	ck_assert_uint_eq((uint64_t)total, s.submitted);
	ck_assert_uint_eq(s.unexpected, 0);
	ck_assert_uint_eq(s.wrong, 0);
	ck_assert_uint_eq(s.out_of_order, 0);
	ck_assert_int_eq(fds1, fds0);
	ck_assert_msg(!DAEMON_RSS_MEANINGFUL || rss1 <= rss0 + rss0 / 10,
		      "daemon RSS %ld KiB after warm-up, %ld KiB after", rss0,
		      rss1);
	ck_assert_int_eq(daemon_stop(&d), 0);
}
END_TEST

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--clients") == 0)
			nclients = atoi(argv[i + 1]);
	}
	if (argc % 2 == 0 || seconds <= 0 || nclients < 1 || nclients > 64) {
		fprintf(stderr,
			"usage: %s [--seconds S] [--clients N (1-64)]\n",
			argv[0]);
		return 2;
	}
	const TTest *const tests[] = {soak};
	return run_suite(suite_with_daemon("soak", NULL, NULL,
					   seconds * 1.2 + 120, tests, 1));
}
