/*
 * Requests parked in the daemon: reads waiting for completions or trace
 * events, writes waiting for room. A parked request holds no FUSE thread;
 * whoever makes progress answers it later. Its caller, though, sleeps
 * uninterruptibly until then, and FUSE over io_uring has no interrupt
 * requests: so a watch thread looks every 0.1 s, while any request is
 * parked, for callers with a signal pending (/proc/TID/status) and has
 * their requests answered with EINTR. That is what lets Ctrl-C and
 * kill -9 end a program blocked in read(). With nothing parked it sleeps.
 *
 * Over io_uring a parked request still holds its ring entry, one of
 * --uring-depth per CPU queue, until it is answered: requests on a queue
 * with no free entry wait in the kernel, whoever sent them. So parking is
 * bounded: per user (root exempt), and per queue, which keeps entries in
 * reserve for requests that are answered at once (stat, open, info).
 * Past either limit a blocking read or write fails with EAGAIN, and its
 * caller waits with poll(), which holds nothing.
 *
 * A queue is guarded by its owner's lock.
 */
#ifndef VGPUFSD_PARKED_H
#define VGPUFSD_PARKED_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/reply.h"

/*
 * Its answer is decided under the queue owner's lock and sent with
 * reply_send() after it (reply.h): r first, as reply_send() frees it.
 */
struct parked {
	struct reply r;
	struct parked *next;
	size_t size;	   /* a read's size; a write's bytes, in data[] */
	pid_t tid;	   /* the caller's thread */
	uid_t uid;	   /* the caller, for the per-user limit */
	int queue;	   /* the receiving thread's count, -1: none */
	uint64_t since_ns; /* parked since (CLOCK_MONOTONIC) */
	char data[];
};

struct parked_queue {
	struct parked *head, **tail;
};

/*
 * At most PER_USER requests parked per user but root (0: no limit), and
 * PER_QUEUE per receiving thread (0: none; over io_uring a thread is a
 * queue). Set before the FUSE loop starts.
 */
void parked_set_limits(unsigned per_user, unsigned per_queue);

void parked_init(struct parked_queue *q);
/*
 * Parks REQ, received by the calling thread, at the end of Q: SIZE is a
 * read's size, or the length of a write's DATA (then copied; DATA NULL
 * for a read). 0, -EAGAIN past a limit (parked_set_limits()), -ENOMEM.
 * It counts as parked until it leaves Q (parked_pop(), parked_take()).
 * Links are stored atomically: a queue's head may be looked at without
 * its lock.
 */
int parked_push(struct parked_queue *q, fuse_req_t req, size_t size,
		const void *data);
/* The oldest request of Q, taken off it; NULL when empty. */
struct parked *parked_pop(struct parked_queue *q);
/* Frees a popped request that needs no answer (its caller is gone). */
void parked_free(struct parked *p);
/*
 * Moves the requests of Q for which KEEP (NULL: none) is false to the end
 * of OUT, to be answered with parked_answer() once Q's lock is dropped.
 */
void parked_take(struct parked_queue *q, bool (*keep)(const struct parked *),
		 struct parked_queue *out);
/*
 * Answers every request of Q with ERR and frees them, through
 * reply_send(): so never with a lock held that a FUSE handler may wait
 * for (see reply.h).
 */
void parked_answer(struct parked_queue *q, int err);
/* A KEEP for parked_take(): whether P's thread has no signal to handle. */
bool parked_undisturbed(const struct parked *p);

/*
 * The watch, run on a thread of its own until parked_watch_stop(): while
 * requests are parked, calls each of the N SWEEPS every 100 ms, which
 * answer the parked requests of their owners (contexts, trace readers)
 * whose thread has a signal to handle.
 */
void parked_watch_run(void (*const sweeps[])(void), size_t n);
void parked_watch_stop(void);

#endif
