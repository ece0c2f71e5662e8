/*
 * The scheduler: a pool of worker threads running kernels tile by tile
 * (long tiles in steps of a few milliseconds). Each context runs its
 * commands one after another; contexts with work share the workers step by
 * step, users first: a free worker goes to the user with work who has used
 * the least worker time, and within that user to the context that has used
 * the least (fair share). So one huge command shares the workers instead
 * of holding them, a small command arriving meanwhile goes next, and a user
 * gets no more of the workers by opening more contexts.
 *
 * signal and wait commands are run here, not by workers: a wait holds its
 * context (as its active job, without tiles) until its event is high
 * enough, times out or is cancelled (events.h).
 */
#ifndef VGPUFSD_SCHEDULER_H
#define VGPUFSD_SCHEDULER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/fair_ring.h"

struct context;
struct job;
struct sched_user;
struct signaller;

/*
 * A context's place in the scheduler, kept in the context but owned by
 * the scheduler (and its events): under the scheduler's lock, but for
 * QUEUED, which stats read without it.
 */
struct sched_ctx {
	struct job *fifo_head, *fifo_tail, *active;
	/* In its user's ring while its active job has work to hand out. */
	struct fair_node fair;
	struct sched_user *user;   /* its uid's share of the workers */
	_Atomic uint32_t queued;   /* commands waiting, not yet started */
	struct context *wake_next; /* to activate (scheduler's work list) */
	struct signaller *signals; /* events it has written a signal for */
	bool closed;		   /* the file is closed */
	/* Its last launch's time from activation to completion, ns. */
	_Atomic uint64_t launch_ns;
};

/* Starts WORKERS threads; 0 or -errno. */
int sched_start(unsigned workers);
/* Queues JOB behind the earlier jobs of its context. */
void sched_submit(struct job *job);
/*
 * Small commands on the submitting thread (a ring's poller, or the FUSE
 * thread answering a write on `queue`): a worker's wake-up from another
 * session costs far more than a small kernel. While offered, the calling
 * thread may take one command of CTX that sched_submit() activates: a
 * single tile of at most SCHED_INLINE_BYTES/SCHED_INLINE_FLOPS, not a
 * user's program (its compile or kernel may run long), and only while no
 * context waits for a worker and a worker is idle (so it takes no
 * worker's share).
 * sched_inline_run() then runs it, completes it and withdraws the offer;
 * no lock of the context may be held there (completing it takes them).
 */
#define SCHED_INLINE_BYTES (64u << 10)
#define SCHED_INLINE_FLOPS 1000000u
void sched_inline_offer(struct context *ctx);
bool sched_inline_taken(void);
void sched_inline_run(void);
/*
 * A small launch on the FUSE thread that takes the write: a launch runs
 * the user's code, which may loop until --kernel-timeout, so it never
 * runs on that thread; it goes to a worker, and when a worker was idle,
 * nobody else waited and the context's last launch took at most
 * SCHED_AWAIT_NS, the thread spins (at most that long, twice the last
 * launch's time and 20 us) until the context has nothing in flight
 * before it answers the write. The completion is then there for the
 * client's read, which need not sleep and be woken from the worker's CPU
 * (tens of us on a VM). Called after sched_inline_run(), no lock held.
 */
#define SCHED_AWAIT_NS (100u * 1000u)
void sched_inline_await(void);

/*
 * Stops accepting: commands that have not started are cancelled, running
 * ones finish; returns when none runs any more. The workers stay: a
 * worker that answered a FUSE request over io_uring owns the ring entry's
 * next fetch, which the kernel cancels when the thread exits, so they
 * must outlive the FUSE session.
 */
void sched_stop(void);
/* Ends the worker threads; after the FUSE session is destroyed. */
void sched_join(void);
bool sched_stopping(void);
/*
 * Whether as many steps run as there are workers, or work waits for one
 * (read without the lock, so it may be a moment old): a thread that spins
 * then takes a CPU from a worker, and a ring's poller or client had
 * better sleep.
 */
bool sched_workers_taken(void);
/*
 * The watchdog's heartbeat: true when a worker passed through its loop
 * within TIMEOUT_MS of the call. An idle worker answers at once, a busy one
 * after its current step; so false means the workers or the scheduler's
 * lock are stuck. Also true while every worker runs a user's code (a
 * launch's groups, a compile) for less than --kernel-timeout and a grace:
 * the launch watchdog ends it.
 */
bool sched_alive(unsigned timeout_ms);

/*
 * A context's life as the scheduler sees it: opened (0 or -ENOMEM), its
 * file closed (a wait nobody can satisfy any more is cancelled; when its
 * client was KILLED, its queued commands are cancelled and its running one
 * stops at its next step), and gone (closed and every command done: it
 * signals nothing any more).
 */
int sched_context_opened(struct context *ctx);
void sched_context_closed(struct context *ctx, bool killed);
void sched_context_gone(struct context *ctx);
unsigned sched_workers(void);

#endif
