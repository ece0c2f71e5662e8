/*
 * Streams: a binary context with a submission ring (ring.c), or of queue
 * when the device has no rings/ or a ring cannot be made. Launches are
 * gathered into a batch and sent in one write() or copy into the ring;
 * completion records are read back in order and kept in a ring of recent
 * results. With a ring the limits below are the same: the daemon takes
 * packets from the ring only while their completions are sure to fit.
 *
 * Back-pressure: the daemon stops taking packets while VGPU_UNREAD_MAX
 * of a context's completions are unread, and then a write() that could
 * take nothing waits for a reader -- which would be this very thread. So
 * a stream never has more than that many commands written and not read
 * back: before writing more it reads. The daemon's other limit (commands
 * in flight) frees itself as commands finish; a write it cuts short is
 * continued after reading whatever completions are ready.
 *
 * A blocking read() fails with EAGAIN when the user already has as many
 * reads and writes waiting in the daemon as it allows (docs/commands.md):
 * the stream then waits in poll(), which holds nothing there, and reads
 * again; a write refused so waits for a completion the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/file_tree.h>

#include "client.h"
#include "ring.h"

#define MAX_OUTSTANDING VGPU_UNREAD_MAX /* written, completion not read */
#define BATCH_MAX	1024		/* commands a batch may hold */
#define BATCH_DEFAULT	256
#define BATCH_BYTES	(64 * 1024)
#define RESULTS_KEPT	4096 /* a power of two */
#define MESSAGES_KEPT	256  /* more than a read() brings */
#define READ_RECORDS	128  /* completion records a read() takes */
#define RING_RECORDS	256  /* ...and a look at the completion ring */
/* Launches a ring stream makes visible to the daemon at a time, so that it
 * starts on a long batch while the rest is launched. */
#define RING_PIECE 64

struct slot {
	uint64_t seq; /* 0: empty */
	int32_t status;
	uint16_t kernel;
	uint64_t start_ns, end_ns;
};

struct message {
	uint64_t seq;
	char text[sizeof(((struct vgpu_bin_completion *)0)->msg)];
};
_Static_assert(VGPU_RING_MSG_MAX == sizeof(((struct message *)0)->text),
	       "a ring's message slot is a record's message");

struct vgpu_stream {
	vgpu_device *dev;
	int fd;			  /* queue's, when there is no ring */
	struct ring_client *ring; /* NULL: the stream uses queue */
	int broken;		  /* -errno once the stream cannot go on */
	uint64_t next_seq;	  /* id of the next launch */
	uint64_t written;	  /* last id whose packet is written whole */
	uint64_t completed;	  /* last id whose completion was read */
	/* The batch: packets of ids written+1 ... next_seq-1. */
	char *batch;
	size_t batch_len, batch_sent; /* bytes; sent <= len */
	size_t batch_walked;	      /* end of the packet of `written` */
	unsigned batch_count, batch_max;
	struct slot *results; /* RESULTS_KEPT, by seq */
	struct message messages[MESSAGES_KEPT];
	uint64_t failures;
	int pending; /* status of the last failure since vgpu_wait_all */
	struct vgpu_bin_completion *records;	   /* READ_RECORDS, queue's */
	struct vgpu_ring_completion *ring_records; /* RING_RECORDS */
	char (*ring_msgs)[VGPU_RING_MSG_MAX];	   /* ...their messages */
	char message[VGPU_MESSAGE_MAX];
};

int stream_fail(vgpu_stream *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	return dev_fail_msg(s->dev, err, s->message);
}

/* The stream cannot go on (the device is gone, or it broke the protocol). */
static int stream_break(vgpu_stream *s, int err, const char *what)
{
	s->broken = err;
	return stream_fail(s, err, "stream: %s: %s", what, vgpu_strerror(err));
}

vgpu_device *stream_device(const vgpu_stream *s)
{
	return s->dev;
}

const char *vgpu_stream_last_message(const vgpu_stream *s)
{
	return s->message;
}

/* Frees S and what it holds (S may be NULL, its parts too). */
static void stream_free(vgpu_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	ring_client_close(s->ring);
	free(s->batch);
	free(s->results);
	free(s->records);
	free(s->ring_records);
	free(s->ring_msgs);
	free(s);
}

int vgpu_stream_create(vgpu_device *dev, vgpu_stream **out)
{
	*out = NULL;
	vgpu_stream *s = calloc(1, sizeof(*s));
	if (s) {
		s->fd = -1;
		s->batch = malloc(BATCH_BYTES);
		s->results = calloc(RESULTS_KEPT, sizeof(*s->results));
		s->records = malloc(READ_RECORDS * sizeof(*s->records));
	}
	if (!s || !s->batch || !s->results || !s->records) {
		stream_free(s);
		return dev_fail(dev, -ENOMEM, "out of memory");
	}
	s->dev = dev;
	s->next_seq = 1;
	s->batch_max = BATCH_DEFAULT;
	/* VGPU_RING=0 in the environment keeps streams on queue. */
	const char *use_ring = getenv("VGPU_RING");
	if ((!use_ring || strcmp(use_ring, "0") != 0) &&
	    ring_client_open(dev->dirfd, &s->ring) == 0) {
		s->ring_records =
		    malloc(RING_RECORDS * sizeof(*s->ring_records));
		s->ring_msgs = malloc(RING_RECORDS * sizeof(*s->ring_msgs));
		if (!s->ring_records || !s->ring_msgs) {
			stream_free(s);
			return dev_fail(dev, -ENOMEM, "out of memory");
		}
		dev_get(dev);
		*out = s;
		return 0;
	}
	s->fd = openat(dev->dirfd, VGPU_FILE_QUEUE, O_RDWR | O_CLOEXEC);
	int rc = s->fd < 0 ? -errno : 0;
	/* The magic alone: the context speaks binary from now on. */
	if (rc == 0 && write(s->fd, VGPU_BIN_MAGIC, VGPU_BIN_MAGIC_LEN) !=
			   VGPU_BIN_MAGIC_LEN)
		rc = -errno;
	if (rc < 0) {
		stream_free(s);
		return dev_fail(dev, rc, "%s/queue: %s", dev->path,
				vgpu_strerror(rc));
	}
	dev_get(dev);
	*out = s;
	return 0;
}

int vgpu_stream_destroy(vgpu_stream *s)
{
	if (!s)
		return 0;
	int rc = vgpu_flush(s);
	dev_put(s->dev);
	stream_free(s);
	return rc;
}

int vgpu_stream_fd(const vgpu_stream *s)
{
	return s->ring ? ring_client_fd(s->ring) : s->fd;
}

int vgpu_stream_set_wait(vgpu_stream *s, enum vgpu_wait_mode mode)
{
	const uint64_t spin[] = {
	    [VGPU_WAIT_AUTO] = ring_client_auto_spin(),
	    [VGPU_WAIT_SPIN] = UINT64_MAX,
	    [VGPU_WAIT_YIELD] = UINT64_MAX,
	    [VGPU_WAIT_BLOCK] = 0,
	};
	if ((unsigned)mode > VGPU_WAIT_BLOCK)
		return stream_fail(s, -EINVAL, "wait mode %d: 0 to 3",
				   (int)mode);
	if (s->ring)
		ring_client_set_wait(s->ring, spin[mode],
				     mode == VGPU_WAIT_YIELD);
	return 0;
}

int vgpu_stream_uses_ring(const vgpu_stream *s)
{
	return s->ring != NULL;
}

int vgpu_stream_set_batch(vgpu_stream *s, unsigned max_commands)
{
	if (max_commands > BATCH_MAX)
		return stream_fail(s, -EINVAL,
				   "batch of %u commands: at most %u",
				   max_commands, BATCH_MAX);
	s->batch_max = max_commands ? max_commands : 1;
	return 0;
}

int64_t vgpu_submitted(const vgpu_stream *s)
{
	return (int64_t)s->next_seq - 1;
}

int64_t vgpu_completed(const vgpu_stream *s)
{
	return (int64_t)s->completed;
}

uint64_t vgpu_stream_failures(const vgpu_stream *s)
{
	return s->failures;
}

/*
 * Takes in the completion C of command SEQ, failed with MSG if so (at
 * least sizeof(message.text) bytes, NUL-terminated or not).
 */
static int take_result(vgpu_stream *s, uint64_t seq,
		       const struct vgpu_ring_completion *c, const char *msg)
{
	if (seq != s->completed + 1 || c->tag != seq)
		return stream_break(s, -EPROTO, "completions out of order");
	s->completed = seq;
	s->results[seq % RESULTS_KEPT] = (struct slot){
	    seq, c->status, c->kernel, c->t_start_ns, c->t_end_ns};
	if (c->status < 0) {
		struct message *m = &s->messages[s->failures % MESSAGES_KEPT];
		m->seq = seq;
		snprintf(m->text, sizeof(m->text), "%.*s",
			 (int)sizeof(m->text) - 1, msg);
		s->failures++;
		s->pending = c->status;
		snprintf(s->message, sizeof(s->message), "%s", m->text);
		dev_fail_msg(s->dev, c->status, m->text);
	}
	return 0;
}

/* Takes in one completion record read from queue. */
static int take_record(vgpu_stream *s, const struct vgpu_bin_completion *c)
{
	struct vgpu_ring_completion r = {.tag = c->tag,
					 .status = c->status,
					 .kernel = c->kernel,
					 .t_start_ns = c->t_start_ns,
					 .t_end_ns = c->t_end_ns};
	return take_result(s, c->seq, &r, c->msg);
}

/* read() without blocking: the fd stays blocking for everything else. */
static ssize_t read_nonblock(int fd, void *buf, size_t len)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	ssize_t n = read(fd, buf, len);
	int err = errno;
	fcntl(fd, F_SETFL, flags);
	errno = err;
	return n;
}

/* read_completions() from the stream's ring. */
static int take_ring_completions(vgpu_stream *s, int timeout_ms)
{
	int count = ring_client_take(s->ring, s->ring_records, s->ring_msgs,
				     RING_RECORDS, timeout_ms);
	if (count == -EINTR)
		return stream_fail(s, -EINTR, "stream: interrupted");
	if (count < 0) {
		s->broken = count;
		return stream_fail(s, count, "stream: %s",
				   ring_client_error(s->ring));
	}
	for (int i = 0; i < count; i++) {
		int rc = take_result(s, s->completed + 1, &s->ring_records[i],
				     s->ring_msgs[i]);
		if (rc < 0)
			return rc;
	}
	return count;
}

/*
 * Reads the completions that are ready, waiting up to TIMEOUT_MS for one
 * (-1: as long as it takes; 0: not at all). Only called while a written
 * command has not completed. Returns how many were read (0 when none came
 * in time).
 */
static int read_completions(vgpu_stream *s, int timeout_ms)
{
	if (s->ring)
		return take_ring_completions(s, timeout_ms);
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	int ready = timeout_ms > 0 ? poll(&p, 1, timeout_ms) : 1;
	if (ready < 0 && errno == EINTR)
		return stream_fail(s, -EINTR, "stream: interrupted");
	if (ready < 0)
		return stream_break(s, -errno, "poll");
	if (ready == 0)
		return 0;
	size_t len = READ_RECORDS * sizeof(*s->records);
	ssize_t n = timeout_ms == 0 ? read_nonblock(s->fd, s->records, len)
				    : read(s->fd, s->records, len);
	if (n < 0 && errno == EAGAIN && timeout_ms < 0) { /* see the top */
		ready = poll(&p, 1, -1);
		if (ready < 0 && errno == EINTR)
			return stream_fail(s, -EINTR, "stream: interrupted");
		if (ready < 0)
			return stream_break(s, -errno, "poll");
		n = read_nonblock(s->fd, s->records, len);
		if (n < 0 && errno == EAGAIN)
			return 0; /* read by nobody else: the callers loop */
	}
	if (n < 0 && errno == EAGAIN && timeout_ms >= 0)
		return 0;
	if (n < 0 && errno == EINTR)
		return stream_fail(s, -EINTR, "stream: interrupted");
	if (n < 0)
		return stream_break(s, -errno, "read");
	if (n == 0 || n % (ssize_t)sizeof(*s->records))
		return stream_break(s, -EPROTO, "short completion record");
	int count = (int)(n / (ssize_t)sizeof(*s->records));
	for (int i = 0; i < count; i++) {
		int rc = take_record(s, &s->records[i]);
		if (rc < 0)
			return rc;
	}
	return count;
}

/* Notes the packets that the bytes sent so far hold whole. */
static void count_written(vgpu_stream *s)
{
	if (s->batch_sent == s->batch_len) { /* all of them */
		s->written = s->next_seq - 1;
		s->batch_walked = s->batch_len;
		return;
	}
	while (s->batch_walked < s->batch_sent) {
		size_t size = vgpu_bin_size(s->batch + s->batch_walked);
		if (s->batch_walked + size > s->batch_sent)
			break;
		s->batch_walked += size;
		s->written++;
	}
}

int vgpu_flush(vgpu_stream *s)
{
	if (s->broken)
		return s->broken;
	while (s->batch_sent < s->batch_len) {
		/* Room for every packet left, so that records never pile up
		 * to the daemon's limit (see the top of this file). */
		uint64_t left = s->next_seq - 1 - s->written;
		while (s->written - s->completed + left > MAX_OUTSTANDING) {
			int rc = read_completions(s, -1);
			if (rc < 0)
				return rc;
		}
		ssize_t n;
		if (s->ring) {
			n = (ssize_t)ring_client_submit(
			    s->ring, s->batch + s->batch_sent,
			    s->batch_len - s->batch_sent);
			if (n == 0) { /* full: room comes as commands finish */
				int rc = read_completions(s, -1);
				if (rc < 0)
					return rc;
				continue;
			}
		} else {
			n = write(s->fd, s->batch + s->batch_sent,
				  s->batch_len - s->batch_sent);
		}
		if (n < 0 && errno == EINTR)
			return stream_fail(s, -EINTR, "stream: interrupted");
		if (n < 0 && errno == EAGAIN && s->completed < s->written) {
			/* A write that would wait, refused like a read (see
			 * the top): room comes as completions are read. */
			int rc = read_completions(s, -1);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n <= 0)
			return stream_break(s, n < 0 ? -errno : -EIO, "write");
		s->batch_sent += (size_t)n;
		count_written(s);
		/* Cut short: the context is full; take what is ready. */
		while (s->batch_sent < s->batch_len &&
		       s->completed < s->written) {
			int rc = read_completions(s, 0);
			if (rc <= 0) {
				if (rc < 0)
					return rc;
				break;
			}
		}
	}
	s->batch_len = s->batch_sent = s->batch_walked = 0;
	s->batch_count = 0;
	return 0;
}

/*
 * A ring stream's batch so far goes into the ring if it fits, without
 * waiting, while it stays within the outstanding limit (see the top): the
 * daemon starts on it while the rest of the batch is launched. What does
 * not fit goes with the rest.
 */
static void send_piece(vgpu_stream *s)
{
	uint64_t unsent = s->next_seq - 1 - s->written;
	if (s->written - s->completed + unsent > MAX_OUTSTANDING)
		return;
	s->batch_sent += ring_client_submit(s->ring, s->batch + s->batch_sent,
					    s->batch_len - s->batch_sent);
	count_written(s);
}

int64_t stream_append(vgpu_stream *s, uint16_t id,
		      int (*build)(void *pkt, size_t cap, void *arg), void *arg)
{
	if (s->broken)
		return s->broken;
	if (s->batch_count >= s->batch_max ||
	    BATCH_BYTES - s->batch_len < VGPU_BIN_PACKET_MAX) {
		int rc = vgpu_flush(s);
		if (rc < 0)
			return rc;
	}
	char *pkt = s->batch + s->batch_len;
	size_t cap = BATCH_BYTES - s->batch_len;
	vgpu_bin_begin(pkt, cap, id, s->next_seq);
	int rc = build(pkt, cap, arg);
	if (rc < 0)
		return rc;
	s->batch_len += vgpu_bin_size(pkt);
	s->batch_count++;
	int64_t cmd = (int64_t)s->next_seq++;
	if (s->ring && s->batch_count % RING_PIECE == 0 &&
	    s->batch_count < s->batch_max)
		send_piece(s);
	if (s->batch_count >= s->batch_max) {
		rc = vgpu_flush(s);
		/* Interrupted: the launch stays batched, sent later. */
		if (rc < 0 && rc != -EINTR)
			return rc;
	}
	return cmd;
}

/* Whether CMD is an id launched on S; sets the message when not. */
static int check_cmd(vgpu_stream *s, int64_t cmd)
{
	if (cmd < 1 || (uint64_t)cmd >= s->next_seq)
		return stream_fail(s, -EINVAL,
				   "command %lld was not launched on this "
				   "stream (its last is %llu)",
				   (long long)cmd,
				   (unsigned long long)(s->next_seq - 1));
	return 0;
}

/* The kept result of completed command CMD; NULL when it is gone. */
static const struct slot *slot_of(vgpu_stream *s, int64_t cmd)
{
	const struct slot *r = &s->results[(uint64_t)cmd % RESULTS_KEPT];
	if (r->seq == (uint64_t)cmd)
		return r;
	stream_fail(s, -ESTALE,
		    "command %lld completed more than %d commands ago: its "
		    "result is no longer kept",
		    (long long)cmd, RESULTS_KEPT);
	return NULL;
}

/* The message of failed command CMD, NULL when no longer kept. */
static const char *message_of(const vgpu_stream *s, int64_t cmd)
{
	for (unsigned i = 0; i < MESSAGES_KEPT; i++)
		if (s->messages[i].seq == (uint64_t)cmd)
			return s->messages[i].text;
	return NULL;
}

/*
 * Later completions may have come with CMD's: the stream's message is that
 * of the command just waited for.
 */
static void waited_message(vgpu_stream *s, int64_t cmd, int status)
{
	const char *m = message_of(s, cmd);
	if (m)
		snprintf(s->message, sizeof(s->message), "%s", m);
	else
		snprintf(s->message, sizeof(s->message),
			 "command %lld failed with %s; its message is no "
			 "longer kept",
			 (long long)cmd, vgpu_errname(status));
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vgpu_wait_timeout(vgpu_stream *s, int64_t cmd, int timeout_ms)
{
	int rc = check_cmd(s, cmd);
	if (rc == 0 && s->written < (uint64_t)cmd)
		rc = vgpu_flush(s);
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	while (rc >= 0 && s->completed < (uint64_t)cmd) {
		if (s->broken)
			return s->broken;
		int64_t left = deadline - now_ms();
		rc = read_completions(s, timeout_ms < 0 ? -1
					 : left > 0	? (int)left
							: 0);
		if (rc == 0 && timeout_ms >= 0 && now_ms() >= deadline &&
		    s->completed < (uint64_t)cmd)
			return stream_fail(s, -ETIMEDOUT,
					   "stream: command %lld not completed "
					   "within %d ms",
					   (long long)cmd, timeout_ms);
	}
	if (rc < 0)
		return rc;
	const struct slot *r = slot_of(s, cmd);
	if (r && r->status < 0)
		waited_message(s, cmd, r->status);
	return r ? r->status : -ESTALE;
}

int vgpu_wait(vgpu_stream *s, int64_t cmd)
{
	return vgpu_wait_timeout(s, cmd, -1);
}

int vgpu_wait_all(vgpu_stream *s)
{
	int rc = vgpu_flush(s);
	while (rc >= 0 && s->completed < s->written)
		rc = read_completions(s, -1);
	if (rc < 0)
		return rc;
	rc = s->pending;
	s->pending = 0;
	return rc;
}

int vgpu_query(vgpu_stream *s, int64_t cmd)
{
	int rc = check_cmd(s, cmd);
	if (rc == 0 && s->written < (uint64_t)cmd)
		rc = vgpu_flush(s);
	if (rc == 0 && s->completed < (uint64_t)cmd)
		rc = vgpu_stream_process(s);
	return rc < 0 ? rc : s->completed >= (uint64_t)cmd;
}

int vgpu_stream_process(vgpu_stream *s)
{
	int total = 0;
	while (s->completed < s->written) {
		int rc = read_completions(s, 0);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		total += rc;
	}
	return total;
}

int vgpu_result_get(vgpu_stream *s, int64_t cmd, vgpu_result *res)
{
	int rc = check_cmd(s, cmd);
	if (rc < 0)
		return rc;
	if ((uint64_t)cmd > s->completed)
		return stream_fail(s, -EAGAIN, "command %lld has not completed",
				   (long long)cmd);
	const struct slot *r = slot_of(s, cmd);
	if (!r)
		return -ESTALE;
	const struct vgpu_kernel_spec *k = vgpu_catalog_by_id(r->kernel);
	*res = (vgpu_result){.cmd = cmd,
			     .status = r->status,
			     .kernel = k ? k->name : "?",
			     .start_ns = r->start_ns,
			     .end_ns = r->end_ns};
	const char *m = r->status < 0 ? message_of(s, cmd) : NULL;
	snprintf(res->message, sizeof(res->message), "%s", m ? m : "");
	return 0;
}
