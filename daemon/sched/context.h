/*
 * A context: one open() of queue. It turns written bytes into commands,
 * hands them to the scheduler in order, and collects completion lines for
 * read(). Readers that find nothing are parked and answered later from the
 * thread that completes a command, so they never hold a FUSE thread.
 */
#ifndef VGPUFSD_CONTEXT_H
#define VGPUFSD_CONTEXT_H

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vgpufs/command.h>

#include "fs/cred.h"
#include "sched/parked.h"
#include "sched/scheduler.h"

struct job;
struct early_line;
struct ring;

struct context {
	uint64_t id;
	pid_t pid;
	uid_t uid;
	char comm[16];
	_Atomic unsigned refs; /* the open file, and each job not yet done */

	/* Submission side: one write at a time, so commands keep their order.
	 */
	pthread_mutex_t submit_lock;
	char line[VGPU_LINE_MAX + 1];
	size_t line_len;
	bool overlong; /* the current line passed VGPU_LINE_MAX */
	/* Decided by the first bytes written: text, or binary packets (then
	 * line[] gathers a packet split across writes). */
	bool form_known, binary; /* binary: written under both locks */
	/* Its submission ring, when it was created under rings/: packets
	 * come from there, completions go there (ring/ring.h). */
	struct ring *ring;
	_Atomic uint64_t next_seq;
	/* Writes waiting for room (back-pressure), oldest first. */
	struct parked_queue writers;
	/*
	 * Handed to the scheduler, not done. On a cache line of its own: the
	 * thread that wrote a launch spins reading it (sched_inline_await)
	 * while a worker completes the launch, writing the lock and done[]
	 * below, which would otherwise go back and forth between the two
	 * CPUs at each of the worker's writes.
	 */
	_Alignas(64) _Atomic unsigned inflight;

	/* Completion side. */
	_Alignas(64) pthread_mutex_t lock;
	char
	    *done; /* completion lines not yet read: done[done_off, done_len) */
	size_t done_off, done_len, done_cap;
	unsigned unread; /* completions posted, in done[] or early, not read */
	struct parked_queue readers;
	/* Completions finished ahead of an earlier one, by sequence number. */
	uint64_t next_post;
	struct early_line *early;
	struct fuse_pollhandle *poll;
	bool closed;
	/* Test builds (VGPUFS_FAULT=read_late): each read's handler, the
	 * read answered, sleeps 300 ms before it returns. */
	bool read_late;

	struct sched_ctx sched; /* its place in the scheduler */
	/* The last close() of the file came from a process dying of a signal
	 * (set at each flush). */
	_Atomic bool closer_killed;

	/* Counters for stats, read without locks. */
	_Atomic uint64_t submitted, completed, failed;
	_Atomic uint64_t busy_ns;   /* worker time its commands used */
	_Atomic int running_kernel; /* its active command's kernel id, or -1 */
	struct context *all_next, **all_prev;
};

/*
 * Back-pressure: a context takes no more command lines while it has
 * MAX_INFLIGHT commands in flight or VGPU_UNREAD_MAX completions unread.
 * A user but root may have MAX_PER_USER contexts (0: no limit), from
 * open() until closed with every command completed.
 */
void context_set_limits(unsigned max_inflight, unsigned max_per_user);

/*
 * A new context for the process behind REQ in *CTX: 0, -EMFILE when its
 * user has as many as allowed, -ENOMEM.
 */
int context_open(fuse_req_t req, struct context **ctx);
/*
 * close() of the file by thread TID (FUSE flush): notes whether its process
 * is dying of a signal.
 */
void context_flush(struct context *ctx, pid_t tid);
/*
 * The file was closed: drop completions, let submitted commands finish —
 * unless the last close came from a killed process, whose commands are
 * cancelled; the context goes away with its last job.
 */
void context_close(struct context *ctx);
void context_get(struct context *ctx);
void context_put(struct context *ctx);

/*
 * write() on queue: parses and submits complete lines while the context has
 * room. Replies with the bytes taken (a short count when room ran out); with
 * none taken, EAGAIN if NONBLOCK, else the write waits for room.
 */
void context_write(struct context *ctx, fuse_req_t req, const char *data,
		   size_t size, bool nonblock);
/* read() on queue: whole completion lines, parks when there are none. */
void context_read(struct context *ctx, fuse_req_t req, size_t size,
		  bool nonblock);
void context_poll(struct context *ctx, fuse_req_t req,
		  struct fuse_pollhandle *ph);

/* What a finished command reports. */
struct completion {
	uint64_t seq, tag; /* tag: the binary packet's, else 0 */
	int err;	   /* 0 or -errno */
	const struct vgpu_kernel_spec *kernel; /* NULL: the input named none */
	const char *msg;		       /* why it failed */
	const char *label; /* a launch's PROGRAM:KERNEL, or NULL */
	uint64_t t_start_ns, t_end_ns;
};

/*
 * A command of CTX finished: appends its completion (a line "SEQ ok KERNEL
 * ELAPSED_US" or "SEQ err ERRNAME: MSG", or a binary record) and wakes
 * readers. Completions go out in sequence order whatever order commands
 * finish in.
 */
void context_post(struct context *ctx, const struct completion *c);
/*
 * A ring's poller posts the completions of commands that do no work (nop)
 * together: between context_batch_begin() and context_batch_end() (CTX's
 * submit_lock held), context_post_batched() keeps such a completion of
 * CTX (no error) and returns true; the end, or any other completion of
 * CTX, posts those kept under one lock, with one time (they did no work)
 * and one store of the completion ring's tail. Order is kept: a kept
 * completion goes out before any later one.
 */
void context_batch_begin(struct context *ctx);
bool context_post_batched(struct context *ctx, const struct completion *c);
void context_batch_end(void);
/*
 * The completions of N bare nops, commands FIRST_SEQ... of CTX whose
 * packets (24 bytes each, the tags read from them) are at P: kept in the
 * batch when batching for CTX, else posted one by one.
 */
void context_post_nops(struct context *ctx, uint64_t first_seq,
		       const unsigned char *p, unsigned n);
/* Whether CTX may take another command (submit_lock held): back-pressure. */
bool context_has_room(struct context *ctx);
/* context_post() for a job the scheduler ran. */
void context_complete(struct context *ctx, const struct job *job);

/* Calls FN for every open context (for stats), under the list lock. */
void context_for_each(void (*fn)(const struct context *, void *), void *arg);
/*
 * Waits up to TIMEOUT_MS until every open context's completions have been
 * read (at shutdown, so that the last ones are not lost with the mount).
 */
void context_wait_read(unsigned timeout_ms);
/* Answers every parked reader with -ESHUTDOWN (shutdown). */
void context_abort_readers(void);
/* Answers parked readers and writers whose thread has a signal pending
 * with -EINTR (the watch's sweep, parked.h). */
void context_interrupt_signalled(void);

#endif
