#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/ring_spin.h>

#include "clock.h"
#include "cond_deadline.h"
#include "fs/reply.h"
#include "observe/log.h"
#include "observe/stats.h"
#include "observe/trace.h"
#include "ooc/ooc.h"
#include "prog/launch_watchdog.h"
#include "sched/context.h"
#include "sched/events.h"
#include "sched/fault_guard.h"
#include "sched/job.h"
#include "sched/scheduler.h"
#include "sched/topology.h"

/*
 * A user's share of the workers: the uid's runnable contexts, in the ring
 * of runnable users while it has any.
 */
struct sched_user {
	struct fair_node fair;
	struct fair_ring contexts;
	uid_t uid;
	unsigned open; /* its contexts */
	struct sched_user *next;
};

/* What a worker does, for work_added() to choose whom to call. */
enum worker_state { W_BUSY, W_SPINNING, W_SLEEPING };

struct worker_slot {
	pthread_cond_t wake; /* it sleeps on its own: a wake-up has a target */
	int cpu;	     /* the CPU it is pinned to, or -1 */
	enum worker_state state;
	bool called; /* a hand-out counts on it to look (it will, locked) */
};

static struct {
	pthread_mutex_t lock;
	/* users with a context whose active job has work to hand out */
	struct fair_ring users;
	struct sched_user *all_users; /* with a context open */
	pthread_cond_t idle; /* signalled when the last running job completes */
	pthread_cond_t
	    timer; /* wakes the timer: a wait with a timeout parked */
	pthread_t *threads, timer_thread;
	bool timer_started;
	unsigned nworkers;
	unsigned running; /* jobs activated and not yet completed */
	unsigned busy;	  /* workers and pollers running a step */
	/* sched_workers_taken(), kept without the lock: busy >= nworkers,
	 * or work waits for a worker */
	atomic_bool taken;
	atomic_bool stopping;
	bool exit; /* workers leave (after the FUSE session is gone) */
	/* Bumped whenever work is handed out: a worker spinning for more
	 * watches it without the lock. */
	atomic_uint work_gen;
	/* When work was last handed out: what a longer spin would have
	 * caught is judged by it, not by the wake-up that followed. */
	_Atomic uint64_t work_ns;
	struct worker_slot *slot; /* one a worker */
	unsigned nslots;
	unsigned spinners; /* workers spinning */
	/* Heartbeat (sched_alive): asked, and answered by a worker's loop. */
	uint64_t beat_asked, beat_answered;
	pthread_cond_t beat;
	/* Since when each worker runs an unbounded step (0: it does not),
	 * and how many do. */
	uint64_t *held_since;
	unsigned held;
	/* The relief thread (relief_main): running, not yet joined. */
	pthread_t relief_thread;
	bool relief_on, relief_joinable;
	pthread_cond_t relief;	  /* wakes it: work came, or a worker is free */
	uint64_t relief_retry_ns; /* after a failed start, not before */
} S = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .idle = PTHREAD_COND_INITIALIZER,
       .beat = PTHREAD_COND_INITIALIZER,
       .relief = PTHREAD_COND_INITIALIZER};

/*
 * The relief thread. A launch's work-groups run the user's code, which may
 * loop until --kernel-timeout, and cannot be resumed once stopped, so they
 * cannot be preempted. When every worker has run such an unbounded step
 * (job->unbounded: a compile or a launch's groups) for RELIEF_AFTER_NS and
 * a bounded step (a built-in kernel's) waits, one more thread runs the
 * waiting bounded steps by fair share, the OS sharing the CPUs between it
 * and the workers, until a worker's unbounded step ends. It never takes an
 * unbounded step, so it is never held itself: one thread is enough however
 * many endless launches users start, and the only one there is.
 */
#define RELIEF_AFTER_NS (10 * 1000000ull)
/* How much longer than --kernel-timeout a worker may stay in a user's
 * code before the heartbeat (sched_alive) calls it stuck. */
#define HELD_GRACE_S 5

#define CONTAINER(ptr, type, member)                                           \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/*
 * The context whose work goes next (S.users not empty): the runnable user
 * that has used the least worker time, then that user's runnable context
 * that has used the least. So users share the workers equally however many
 * contexts each opens, and a user's contexts share the user's part.
 */
static struct context *ring_pick(void)
{
	struct sched_user *u =
	    CONTAINER(fair_pick(&S.users), struct sched_user, fair);
	return CONTAINER(fair_pick(&u->contexts), struct context, sched.fair);
}

/* Whether every worker runs an unbounded step (lock held; S.held first:
 * S.nworkers grows without the lock while the workers start). */
static bool all_held(void)
{
	return S.held && S.held == S.nworkers;
}

/* S.taken again, after S.busy or S.users changed (lock held); stored
 * only when it changes: spinning pollers read its line. */
static void taken_note(void)
{
	bool taken = S.busy >= S.nworkers || S.users.head != NULL;
	if (atomic_load_explicit(&S.taken, memory_order_relaxed) != taken)
		atomic_store_explicit(&S.taken, taken, memory_order_relaxed);
}

/* One more step runs, or one fewer (D; lock held). */
static void busy_add(int d)
{
	S.busy += (unsigned)d;
	taken_note();
}

static void ring_add(struct context *c)
{
	if (fair_member(&c->sched.fair))
		return;
	if (!c->sched.user->contexts.head)
		fair_add(&S.users, &c->sched.user->fair);
	fair_add(&c->sched.user->contexts, &c->sched.fair);
	taken_note();
	if (all_held()) /* the relief may serve it, or start for it */
		pthread_cond_signal(S.relief_on ? &S.relief : &S.timer);
}

static void ring_remove(struct context *c)
{
	if (!fair_member(&c->sched.fair))
		return;
	fair_remove(&c->sched.user->contexts, &c->sched.fair);
	if (!c->sched.user->contexts.head)
		fair_remove(&S.users, &c->sched.user->fair);
	taken_note();
}

/* Whether JOB has a step to hand out now. */
static bool has_steps(const struct job *job)
{
	return !job->cut && (job->nparked || job->next_tile < job->ntiles);
}

/*
 * Gives each worker a contiguous share of JOB's tiles for its new phase
 * (lock held). A kernel launched again over the same buffers then meets
 * on each worker the data that worker touched the last time, still in its
 * CPU's caches: saxpy over 128 MiB on this machine kind ran 25% faster
 * with each CPU's half fixed than with the halves swapped
 * (docs/benchmarks.md). Streamed (ooc) jobs keep their tiles' order; a
 * job short of memory for the shares hands its tiles out in order too.
 */
static void share_tiles(struct job *job)
{
	unsigned n = S.nworkers;
	if (job->ntiles < 2 || n < 2 || job->ooc)
		return;
	if (!job->shares)
		job->shares = calloc(n, sizeof(*job->shares));
	if (!job->shares)
		return;
	for (unsigned w = 0; w < n; w++)
		job->shares[w] = (struct tile_share){
		    (uint32_t)((uint64_t)job->ntiles * w / n),
		    (uint32_t)((uint64_t)job->ntiles * (w + 1) / n)};
}

/*
 * The tile worker W (or another thread: W past the workers) starts next:
 * the next of its share, else the next of the share with most left. So
 * each share's tiles start in order whoever runs them: an earlier tile's
 * fault comes first, as with tiles handed out in order (the launch
 * reports the first fault: it_cl_groups fault_in_fused_run). A tile is
 * left (has_steps).
 */
static uint32_t shared_tile(struct job *job, unsigned w)
{
	struct tile_share *s = job->shares;
	if (w < S.nworkers && s[w].next < s[w].end)
		return s[w].next++;
	unsigned most = 0;
	for (unsigned i = 1; i < S.nworkers; i++)
		if (s[i].end - s[i].next > s[most].end - s[most].next)
			most = i;
	return s[most].next++;
}

/*
 * The next step of JOB for worker W (past the workers: another thread) to
 * run: a parked tile's, else a new tile's first.
 */
static struct tile_step take_step(struct job *job, unsigned w)
{
	/* Its run starts now: the time it waited for a worker (a wake-up,
	 * or another context's steps) is time in the queue, which ELAPSED_US
	 * does not count (commands.md). */
	if (!job->started) {
		job->started = true;
		job->t_start_ns = now_ns();
	}
	job->inflight++;
	if (job->nparked)
		return job->parked[--job->nparked];
	uint32_t tile = job->shares ? shared_tile(job, w) : job->next_tile;
	job->next_tile++;
	return (struct tile_step){tile, 0};
}

/*
 * Step ST of JOB, the active job of CTX, ran: the tile waits for a worker
 * for its next one, or is done. Returns whether JOB is.
 */
static bool step_done(struct context *ctx, struct job *job, struct tile_step st)
{
	job->inflight--;
	if (st.step + 1 < job->steps && !job->cut && !job->err) {
		job->parked[job->nparked++] =
		    (struct tile_step){st.tile, st.step + 1};
		ring_add(ctx);
	} else {
		job->done_tiles++;
	}
	if (job->relief_step) { /* the relief had it alone: back in the ring */
		job->relief_step = false;
		if (has_steps(job))
			ring_add(ctx);
	}
	return !job->inflight && (job->cut || job->done_tiles == job->ntiles);
}

/* Posts JOB's completion and frees it; without the scheduler lock. */
static void complete(struct job *job)
{
	struct context *ctx = job->ctx;
	job_sync_outputs(job);
	if (!job->t_end_ns)
		job->t_end_ns = now_ns();
	if (job->cmd.spec->id == VGPU_K_LAUNCH && job->t_start_ns)
		atomic_store_explicit(&ctx->sched.launch_ns,
				      job->t_end_ns - job->t_start_ns,
				      memory_order_relaxed);
	stats_command_done(job);
	/* Whoever reads the completion may shrink or free the buffers. */
	job_release_buffers(job);
	context_complete(ctx, job);
	job_free(job);
	context_put(ctx);
}

/* CTX's running command (lock held); stats read its kernel lock-free. */
static void set_active(struct context *ctx, struct job *job)
{
	ctx->sched.active = job;
	atomic_store_explicit(&ctx->running_kernel,
			      job ? (int)job->cmd.spec->id : -1,
			      memory_order_relaxed);
}

/* The command a poller took to run itself (sched_inline_offer). */
static _Thread_local struct {
	struct context *ctx; /* offered for, or NULL */
	struct job *job;     /* taken */
	struct tile_step step;
	struct context *awaited; /* a launch handed to a worker, to wait for */
	uint64_t await_ns;	 /* for this long at most */
} inline_cmd;

/*
 * Whether the FUSE thread that wrote JOB, a launch just handed to an idle
 * worker, waits for it (lock held; sched_inline_await): when no other
 * context waits for a worker and CTX's last launch took at most
 * SCHED_AWAIT_NS, for twice that and 20 us.
 */
static void offer_await(struct context *ctx, const struct job *job)
{
	uint64_t last =
	    atomic_load_explicit(&ctx->sched.launch_ns, memory_order_relaxed);
	if (inline_cmd.ctx != ctx || job->cmd.spec->id != VGPU_K_LAUNCH ||
	    S.users.head || S.busy >= S.nworkers || last > SCHED_AWAIT_NS)
		return;
	uint64_t budget = last ? 2 * last + 20000 : SCHED_AWAIT_NS;
	inline_cmd.awaited = ctx;
	inline_cmd.await_ns = budget < SCHED_AWAIT_NS ? budget : SCHED_AWAIT_NS;
}

/* Whether this thread takes JOB, just activated on CTX (lock held). */
static bool take_inline(struct context *ctx, struct job *job)
{
	if (inline_cmd.ctx != ctx || inline_cmd.job || job->ntiles != 1 ||
	    job->steps != 1 || job->ooc || job->unbounded ||
	    job->bytes > SCHED_INLINE_BYTES ||
	    job->flops > SCHED_INLINE_FLOPS || S.users.head ||
	    S.busy >= S.nworkers)
		return false;
	inline_cmd.job = job;
	inline_cmd.step = take_step(job, UINT_MAX);
	busy_add(1);
	return true;
}

/*
 * N steps were handed out (lock held): a worker is called for each, if
 * one is free. First a spinning one (it takes the step without a
 * wake-up), then a sleeping one, both on another CPU than this thread's:
 * a worker pinned to this CPU runs only once this thread lets it (the
 * FUSE thread that takes a client's write runs on the client's CPU, and
 * may wait for the command, sched_inline_await). A wake-up costs the
 * waker a system call and the woken worker 30-90 us on this VM.
 */
static void work_added(unsigned n)
{
	atomic_store_explicit(&S.work_ns, now_ns(), memory_order_relaxed);
	atomic_fetch_add_explicit(&S.work_gen, 1, memory_order_release);
	int here = n ? sched_getcpu() : -1;
	for (unsigned pass = 0; pass < 4 && n; pass++) {
		bool elsewhere = pass < 2;
		enum worker_state want = pass % 2 ? W_SLEEPING : W_SPINNING;
		for (unsigned w = 0; w < S.nworkers && n; w++) {
			struct worker_slot *ws = &S.slot[w];
			if (ws->called || ws->state != want ||
			    (ws->cpu != here) != elsewhere)
				continue;
			ws->called = true;
			if (want == W_SLEEPING)
				pthread_cond_signal(&ws->wake);
			n--;
		}
	}
}

/* Wakes every sleeping worker (lock held): to exit, or for a heartbeat. */
static void wake_all(void)
{
	for (unsigned w = 0; w < S.nworkers; w++)
		if (S.slot[w].state == W_SLEEPING)
			pthread_cond_signal(&S.slot[w].wake);
}

/* Pushes JOB onto the list *DONE (newest first), to be completed. */
static void push_done(struct job *job, struct job **done)
{
	job->next = *done;
	*done = job;
}

static void running_done(void)
{
	if (--S.running == 0)
		pthread_cond_broadcast(&S.idle);
}

/*
 * Parked waits that are over (RELEASED, linked through next): each was the
 * active job of its context, whose next job may start now (on *WAKE).
 */
static void release_waits(struct job *released, struct job **done,
			  struct context **wake)
{
	while (released) {
		struct job *w = released;
		released = w->next;
		struct context *ctx = w->ctx;
		set_active(ctx, NULL);
		w->t_end_ns = now_ns();
		push_done(w, done);
		running_done();
		ctx->sched.wake_next = *wake;
		*wake = ctx;
	}
}

/*
 * Runs a signal or starts a wait (lock held): the job is done (moved to
 * *DONE), or a wait now holds its context as its active job.
 */
static void run_control(struct context *ctx, struct job *job, struct job **done,
			struct context **wake)
{
	job->t_start_ns = now_ns();
	if (job->cmd.spec->id == VGPU_K_SIGNAL) {
		struct job *released = NULL;
		events_signal(job, &released);
		release_waits(released, done, wake);
	} else {
		int64_t ms = vgpu_cmd_i(&job->cmd, WAIT_TIMEOUT_MS);
		uint64_t deadline =
		    ms > 0 ? job->t_start_ns + (uint64_t)ms * 1000000u : 0;
		if (!events_wait(job, deadline)) {
			set_active(ctx, job);
			S.running++;
			if (deadline)
				pthread_cond_signal(&S.timer);
			/* closed while nobody signals: nothing will come */
			struct job *released = NULL;
			if (ctx->sched.closed)
				events_context_closed(ctx, &released);
			release_waits(released, done, wake);
			return;
		}
	}
	job->t_end_ns = now_ns();
	push_done(job, done);
}

/*
 * Makes the next job of CTX active (lock held). Jobs that fail before they
 * run, and signals and satisfied waits, are moved to DONE, to be completed
 * after the lock is dropped. Contexts whose wait a signal released are
 * added to *WAKE.
 */
static void activate_one(struct context *ctx, struct job **done,
			 struct context **wake)
{
	while (!ctx->sched.active && ctx->sched.fifo_head) {
		struct job *job = ctx->sched.fifo_head;
		ctx->sched.fifo_head = job->next;
		if (!ctx->sched.fifo_head)
			ctx->sched.fifo_tail = NULL;
		job->next = NULL;
		/* Atomic: stats read it without the lock. */
		atomic_fetch_sub_explicit(&ctx->sched.queued, 1,
					  memory_order_relaxed);
		if (!job->err && atomic_load(&S.stopping)) {
			job->err = -ECANCELED;
			strcpy(job->msg, "the device is shutting down");
		}
		if (!job->err && job->cmd.spec->control) {
			run_control(ctx, job, done, wake);
			continue;
		}
		size_t scratch = 0;
		if (!job->err)
			job->ntiles =
			    job->impl->plan(&job->launch, S.nworkers, &scratch);
		if (!job->err && scratch) {
			scratch = (scratch + 63) / 64 * 64;
			job->launch.scratch = aligned_alloc(64, scratch);
			if (job->launch.scratch)
				memset(job->launch.scratch, 0, scratch);
			else {
				job->err = -ENOMEM;
				strcpy(
				    job->msg,
				    "out of memory for the kernel's scratch");
			}
		}
		if (job->ntiles == 0)
			job->ntiles = 1;
		job->kernel_tiles = job->ntiles;
		if (!job->err && job->ooc) {
			int rc = job->ooc->start(job, S.nworkers);
			if (rc == 1)
				job->ooc = NULL; /* declined: runs mapped */
			else if (rc < 0)
				job->err = rc;
			else
				ooc_count_command(job->ooc);
		}
		job->steps = 1;
		if (!job->err && !job->ooc && job->impl->run_step &&
		    job->launch.steps > 1) {
			job->steps = job->launch.steps;
			job->parked = calloc(S.nworkers, sizeof(*job->parked));
			if (!job->parked) {
				job->err = -ENOMEM;
				strcpy(job->msg,
				       "out of memory for the kernel's steps");
			}
		}
		if (job->err) {
			push_done(job, done);
			continue;
		}
		share_tiles(job);
		/* until its first step (take_step) */
		job->t_start_ns = now_ns();
		set_active(ctx, job);
		S.running++;
		if (take_inline(ctx, job))
			continue; /* the loop ends: CTX has its active job */
		offer_await(ctx, job);
		ring_add(ctx);
		work_added(job->ntiles);
	}
}

/* activate_one() for the contexts on WAKE and every one they wake. */
static void activate_woken(struct context *wake, struct job **done)
{
	while (wake) {
		struct context *c = wake;
		wake = c->sched.wake_next;
		c->sched.wake_next = NULL;
		activate_one(c, done, &wake);
	}
}

static void activate_next(struct context *ctx, struct job **done)
{
	ctx->sched.wake_next = NULL;
	activate_woken(ctx, done);
}

/* Releases waits (lock held) and starts what follows them. */
static void release_and_activate(struct job *released, struct job **done)
{
	struct context *wake = NULL;
	release_waits(released, done, &wake);
	activate_woken(wake, done);
}

static void complete_list(struct job *done)
{
	/* The list is newest first; completions must go out in order. */
	struct job *rev = NULL;
	while (done) {
		struct job *next = done->next;
		done->next = rev;
		rev = done;
		done = next;
	}
	while (rev) {
		struct job *next = rev->next;
		complete(rev);
		rev = next;
	}
}

void sched_submit(struct job *job)
{
	struct context *ctx = job->ctx;
	pthread_mutex_lock(&S.lock);
	if (!job->err && job->cmd.spec->control)
		events_bind(job); /* fails the job on error */
	if (ctx->sched.fifo_tail)
		ctx->sched.fifo_tail->next = job;
	else
		ctx->sched.fifo_head = job;
	ctx->sched.fifo_tail = job;
	atomic_fetch_add_explicit(&ctx->sched.queued, 1, memory_order_relaxed);
	struct job *done = NULL;
	activate_next(ctx, &done);
	pthread_mutex_unlock(&S.lock);
	complete_list(done);
}

/* One step of a tile, or the finish, of a job: what fault_guard_call runs. */
struct kernel_step {
	struct job *job;
	uint32_t tile; /* UINT32_MAX: the finish */
	uint32_t step;
	unsigned worker;
};

static int run_step(void *arg)
{
	const struct kernel_step *st = arg;
	struct job *job = st->job;
	if (st->tile == UINT32_MAX)
		return job->impl->finish(&job->launch, job->kernel_tiles);
	if (job->ooc)
		return job->ooc->run(job, st->tile, st->worker);
	if (job->steps > 1)
		return job->impl->run_step(&job->launch, st->tile, job->ntiles,
					   st->step);
	return job->impl->run_tile(&job->launch, st->tile, job->ntiles);
}

/* Fails JOB with RC unless it failed already (S.lock held, or alone). */
static void fail_run(struct job *job, int rc)
{
	if (job->err)
		return;
	job->err = rc;
	if (job->fail_msg)
		job->fail_msg(job, rc);
	else if (rc == -EFAULT)
		snprintf(job->msg, sizeof(job->msg),
			 "%s: a page of a buffer could not be provided "
			 "(a hole punched into it, and the tier full)",
			 job->cmd.spec->name);
	else if (job->ooc && rc == -EIO)
		snprintf(job->msg, sizeof(job->msg),
			 "%s: reading or writing the disk tier failed "
			 "(Input/output error)",
			 job->cmd.spec->name);
	else
		snprintf(job->msg, sizeof(job->msg), "%s: kernel failed: %s",
			 job->cmd.spec->name, strerror(-rc));
}

/* Runs a step of a tile on worker W; returns how long it took (ns). */
static uint64_t run_one_tile(struct job *job, struct tile_step ts, unsigned w)
{
	trace_tile(job, w, ts.tile, TRACE_TILE_STARTED);
	/* A poller (w = the workers' count) has no worker's busy time. */
	unsigned sw = w < S.nworkers ? w : STATS_WORKERS_MAX;
	uint64_t t0 = stats_tile_started(sw, job->cmd.spec->id);
	/* A poller's or the relief's step is the only one of its job running
	 * (take_inline, relief_pick): it may use worker 0's part. */
	struct kernel_step st = {job, ts.tile, ts.step, w < S.nworkers ? w : 0};
	int rc = fault_guard_call(run_step, &st, job->maps, VGPU_MAX_ARGS);
	uint64_t ns = stats_tile_ended(sw, t0);
	trace_tile(job, w, ts.tile, rc < 0 ? rc : 0);
	if (rc < 0) {
		pthread_mutex_lock(&S.lock);
		fail_run(job, rc);
		pthread_mutex_unlock(&S.lock);
	}
	return ns;
}

static void finish_job(struct job *job)
{
	if (!job->err && job->impl->finish) {
		struct kernel_step st = {job, UINT32_MAX, 0, 0};
		int rc =
		    fault_guard_call(run_step, &st, job->maps, VGPU_MAX_ARGS);
		if (rc < 0)
			fail_run(job, rc);
	}
	if (!job->err && job->ooc) {
		int rc = job->ooc->end(job);
		if (rc < 0)
			fail_run(job, rc);
	}
	job->t_end_ns = now_ns();
}

/*
 * A worker that just finished spins this long at most for the next job
 * before sleeping: small commands, one after another, then start without
 * a wake-up (which costs more than they do). The budget adapts
 * (vgpufs/ring_spin.h) to when work came after the spin gave up: it grows
 * when a longer spin would have caught it, and shrinks when not or when
 * the spinner was preempted. At most spinners_max() spin at once: a
 * spinner holds its CPU, and the client that makes the next command needs
 * one too.
 */
#define WORKER_SPIN_NS (50 * 1000)

static unsigned spinners_max(void)
{
	return S.nworkers > 2 ? S.nworkers / 2 : 1;
}

/*
 * Takes S.lock after a spin saw work come: the thread that handed it out
 * holds the lock for a little longer (it bumps work_gen first), and a
 * worker that blocked on it now would sleep on the futex, to be woken by
 * the holder's unlock (a system call) from another CPU (tens of us on a
 * VM whose idle CPU halts). So it spins on the lock too, while the holder
 * is not preempted (then it blocks).
 */
static void lock_after_spin(void)
{
	uint64_t start = now_ns();
	while (pthread_mutex_trylock(&S.lock) != 0) {
		if (now_ns() - start > VGPU_SPIN_PREEMPTED_NS) {
			pthread_mutex_lock(&S.lock);
			return;
		}
		/* pauses between tries: each try writes the lock's line */
		for (int i = 0; i < 16; i++)
			vgpu_ring_relax();
	}
}

/*
 * Spins for work (S.lock held, let go meanwhile). Returns 0 when work
 * came, or when the spin gave up (its budget spent, or preempted), which
 * the caller measures the next work against.
 */
static uint64_t worker_spin(struct worker_slot *ws, struct vgpu_spin *spin)
{
	unsigned gen = atomic_load_explicit(&S.work_gen, memory_order_acquire);
	ws->state = W_SPINNING;
	S.spinners++;
	pthread_mutex_unlock(&S.lock);
	uint64_t start = now_ns(), now = start;
	bool came = false;
	while (!came && vgpu_spin_more(spin, now, now - start)) {
		vgpu_ring_relax();
		came = atomic_load_explicit(&S.work_gen,
					    memory_order_acquire) != gen;
		now = now_ns();
	}
	if (came)
		lock_after_spin();
	else
		pthread_mutex_lock(&S.lock);
	S.spinners--;
	ws->state = W_BUSY;
	ws->called = false; /* it looks now */
	if (came) {
		vgpu_spin_done(spin, 0);
		return 0;
	}
	return now;
}

/* Whether this thread is a worker (worker_main). */
static _Thread_local bool on_worker;

/*
 * JOB's last tile is done: starts the tiles of its next phase, if it has
 * one (job->more_tiles) and was neither failed nor cut; whether it did.
 * Without the lock.
 */
static bool next_phase(struct context *ctx, struct job *job)
{
	if (!job->more_tiles || job->err)
		return false;
	uint32_t n = job->more_tiles(job);
	/* none (a build, a launch of one group): no lock taken for it */
	if (!n)
		return false;
	pthread_mutex_lock(&S.lock);
	bool more = !job->err && !job->cut;
	if (more) {
		job->ntiles = job->kernel_tiles = n;
		job->next_tile = job->done_tiles = 0;
		share_tiles(job);
		ring_add(ctx);
		/* A worker goes back for work at once: none is called for the
		 * step it takes (the phase's first, unless another context's
		 * goes first by fair share). */
		work_added(n - on_worker);
	}
	pthread_mutex_unlock(&S.lock);
	return more;
}

/*
 * Runs STEP of JOB (CTX's active job) on worker W, and completes JOB if
 * that was its last; without the lock (which it takes and gives back).
 */
static void run_step_and_after(struct context *ctx, struct job *job,
			       struct tile_step step, unsigned w)
{
	uint64_t ns = run_one_tile(job, step, w);
	atomic_fetch_add_explicit(&ctx->busy_ns, ns, memory_order_relaxed);

	pthread_mutex_lock(&S.lock);
	busy_add(-1);
	ctx->sched.fair.vtime += ns;
	ctx->sched.user->fair.vtime += ns;
	bool last = step_done(ctx, job, step);
	pthread_mutex_unlock(&S.lock);
	if (!last || next_phase(ctx, job))
		return;
	finish_job(job);
	pthread_mutex_lock(&S.lock);
	set_active(ctx, NULL);
	struct job *done = NULL;
	context_get(ctx); /* completing JOB may drop the last reference */
	activate_next(ctx, &done);
	pthread_mutex_unlock(&S.lock);
	complete(job);
	complete_list(done);
	context_put(ctx);
	pthread_mutex_lock(&S.lock);
	running_done();
	pthread_mutex_unlock(&S.lock);
}

void sched_inline_offer(struct context *ctx)
{
	inline_cmd.ctx = ctx;
	inline_cmd.awaited = NULL;
}

bool sched_inline_taken(void)
{
	return inline_cmd.job != NULL;
}

void sched_inline_run(void)
{
	struct job *job = inline_cmd.job;
	inline_cmd.ctx = NULL;
	inline_cmd.job = NULL;
	if (job)
		run_step_and_after(job->ctx, job, inline_cmd.step, S.nworkers);
}

void sched_inline_await(void)
{
	struct context *ctx = inline_cmd.awaited;
	inline_cmd.awaited = NULL;
	if (!ctx)
		return;
	uint64_t start = now_ns(), now = start, last = start;
	/* A spinner preempted stops: it holds up the requests behind it */
	while (atomic_load_explicit(&ctx->inflight, memory_order_acquire) &&
	       now - start < inline_cmd.await_ns &&
	       now - last < VGPU_SPIN_PREEMPTED_NS) {
		vgpu_ring_relax();
		last = now;
		now = now_ns();
	}
}

static struct context *relief_pick(void);

/*
 * Worker W starts or ends a step of an unbounded job (lock held). The
 * timer is told only when the relief has a context to serve: a launch's
 * tiles begin one after another on every worker, and waking the timer for
 * each took a CPU from a worker each time (a tenth of saxpy's time,
 * docs/benchmarks.md). A context that becomes runnable later tells it
 * itself (ring_add).
 */
static void held_begin(unsigned w)
{
	S.held_since[w] = now_ns();
	if (++S.held == S.nworkers && relief_pick())
		pthread_cond_signal(&S.timer); /* relief_due() has changed */
}

static void held_end(unsigned w)
{
	S.held_since[w] = 0;
	if (S.held-- == S.nworkers && S.relief_on)
		pthread_cond_signal(&S.relief); /* it retires */
}

/*
 * The runnable context the relief serves next (lock held), or NULL: by
 * fair share among those whose active job is bounded and has no step
 * running, so the relief runs its step alone (it takes it out of the ring
 * meanwhile) and a job never runs more steps at once than there are
 * workers (its scratch and parked steps are sized by that).
 */
static struct context *relief_pick(void)
{
	struct sched_user *best_u = NULL;
	struct context *best = NULL;
	struct fair_node *un = S.users.head;
	for (bool first = true; un && (first || un != S.users.head);
	     un = un->next, first = false) {
		struct sched_user *u = CONTAINER(un, struct sched_user, fair);
		if (best_u && best_u->fair.vtime <= u->fair.vtime)
			continue;
		struct fair_node *cn = u->contexts.head;
		do {
			struct context *c =
			    CONTAINER(cn, struct context, sched.fair);
			const struct job *job = c->sched.active;
			if (!job->unbounded && !job->inflight &&
			    (best_u != u ||
			     c->sched.fair.vtime < best->sched.fair.vtime)) {
				best_u = u;
				best = c;
			}
			cn = cn->next;
		} while (cn != u->contexts.head);
	}
	return best;
}

static void *relief_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&S.lock);
	while (!S.exit && all_held()) {
		struct context *ctx = relief_pick();
		if (!ctx) {
			pthread_cond_wait(&S.relief, &S.lock);
			continue;
		}
		struct job *job = ctx->sched.active;
		struct tile_step step = take_step(job, UINT_MAX);
		job->relief_step = true;
		ring_remove(ctx); /* step_done() puts it back */
		busy_add(1);
		unsigned w = S.nworkers + 1; /* in trace: past the pollers' */
		pthread_mutex_unlock(&S.lock);
		run_step_and_after(ctx, job, step, w);
		pthread_mutex_lock(&S.lock);
	}
	S.relief_on = false;
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

/*
 * When the relief should start (lock held): UINT64_MAX unless every
 * worker runs an unbounded step and a bounded one waits; then when the
 * youngest of those steps is RELIEF_AFTER_NS old.
 */
static uint64_t relief_due(void)
{
	if (S.relief_on || S.exit || !all_held() || !relief_pick())
		return UINT64_MAX;
	uint64_t youngest = 0;
	for (unsigned w = 0; w < S.nworkers; w++)
		if (S.held_since[w] > youngest)
			youngest = S.held_since[w];
	uint64_t due = youngest + RELIEF_AFTER_NS;
	return due > S.relief_retry_ns ? due : S.relief_retry_ns;
}

/* Starts the relief thread (lock held); the one before it has ended. */
static void relief_start(uint64_t now)
{
	if (S.relief_joinable)
		pthread_join(S.relief_thread, NULL);
	S.relief_joinable = false;
	int rc = pthread_create(&S.relief_thread, NULL, relief_main, NULL);
	if (rc) {
		log_warn("scheduler: cannot start the relief thread: %s",
			 strerror(rc));
		S.relief_retry_ns = now + 1000000000u;
		return;
	}
	S.relief_on = S.relief_joinable = true;
	pthread_setname_np(S.relief_thread, "vgpu-relief");
}

static void *worker_main(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	on_worker = true;
	reply_thread_is_ours();
	topology_bind_worker(w);
	struct worker_slot *ws = &S.slot[w];
	struct vgpu_spin spin;
	vgpu_spin_init(&spin, WORKER_SPIN_NS);
	bool just_worked = false;
	uint64_t gave_up = 0; /* when the last spin that missed ended */
	pthread_mutex_lock(&S.lock);
	ws->cpu = sched_getcpu(); /* pinned: work_added() calls by it */
	for (;;) {
		while (!S.users.head && !S.exit &&
		       S.beat_answered == S.beat_asked) {
			if (just_worked && S.spinners < spinners_max()) {
				just_worked = false;
				gave_up = worker_spin(ws, &spin);
				continue; /* looks again under the lock */
			}
			just_worked = false;
			ws->state = W_SLEEPING;
			pthread_cond_wait(&ws->wake, &S.lock);
			ws->state = W_BUSY;
			ws->called = false; /* it looks now */
		}
		if (gave_up && S.users.head) {
			/* how much longer the spin would have needed */
			uint64_t at = atomic_load_explicit(
			    &S.work_ns, memory_order_relaxed);
			vgpu_spin_done(&spin, at > gave_up ? at - gave_up : 1);
			gave_up = 0;
		}
		if (S.beat_answered != S.beat_asked) {
			S.beat_answered = S.beat_asked;
			pthread_cond_broadcast(&S.beat);
		}
		if (!S.users.head) {
			if (S.exit)
				break; /* told to exit, nothing running */
			continue;
		}
		struct context *ctx = ring_pick();
		struct job *job = ctx->sched.active;
		struct tile_step step = take_step(job, w);
		if (!has_steps(job))
			ring_remove(ctx); /* nothing left to hand out now */
		busy_add(1);
		if (job->unbounded)
			held_begin(w);
		pthread_mutex_unlock(&S.lock);

		run_step_and_after(ctx, job, step, w);
		just_worked = true;
		pthread_mutex_lock(&S.lock);
		if (S.held_since[w])
			held_end(w);
	}
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

/* Times out parked waits with timeout_ms, and starts the relief. */
static void *timer_main(void *arg)
{
	(void)arg;
	reply_thread_is_ours();
	pthread_mutex_lock(&S.lock);
	while (!S.exit) {
		struct job *released = NULL, *done = NULL;
		uint64_t now = now_ns();
		uint64_t next = events_expire(now, &released);
		release_and_activate(released, &done);
		if (done) {
			pthread_mutex_unlock(&S.lock);
			complete_list(done);
			pthread_mutex_lock(&S.lock);
			continue; /* the list may have changed meanwhile */
		}
		uint64_t due = relief_due();
		if (due <= now)
			relief_start(now);
		else if (due < next)
			next = due;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&S.timer, &S.lock);
		} else {
			struct timespec ts = {
			    .tv_sec = (time_t)(next / 1000000000u),
			    .tv_nsec = (long)(next % 1000000000u)};
			pthread_cond_timedwait(&S.timer, &S.lock, &ts);
		}
	}
	pthread_mutex_unlock(&S.lock);
	return NULL;
}

int sched_start(unsigned workers)
{
	int grc = fault_guard_install();
	if (grc < 0)
		return grc;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* as now_ns() */
	pthread_cond_init(&S.timer, &ca);
	pthread_condattr_destroy(&ca);
	int trc = pthread_create(&S.timer_thread, NULL, timer_main, NULL);
	if (trc)
		return -trc;
	S.timer_started = true;
	pthread_setname_np(S.timer_thread, "vgpu-timer");
	S.threads = calloc(workers, sizeof(*S.threads));
	S.held_since = calloc(workers, sizeof(*S.held_since));
	S.slot = calloc(workers, sizeof(*S.slot));
	if (!S.threads || !S.held_since || !S.slot) {
		sched_join();
		return -ENOMEM;
	}
	for (unsigned i = 0; i < workers; i++) {
		pthread_cond_init(&S.slot[i].wake, NULL);
		S.slot[i].cpu = -1;
	}
	S.nslots = workers;
	for (unsigned i = 0; i < workers; i++) {
		int rc = pthread_create(&S.threads[i], NULL, worker_main,
					(void *)(uintptr_t)i);
		if (rc) {
			sched_stop();
			sched_join();
			return -rc;
		}
		S.nworkers++;
		char name[16];
		snprintf(name, sizeof(name), "vgpu-w%u", i % 100000u);
		pthread_setname_np(S.threads[i], name);
	}
	return 0;
}

void sched_stop(void)
{
	pthread_mutex_lock(&S.lock);
	atomic_store(&S.stopping, true);
	struct job *released = NULL, *done = NULL;
	events_cancel_all(&released);
	release_and_activate(released, &done);
	if (done) {
		pthread_mutex_unlock(&S.lock);
		complete_list(done);
		pthread_mutex_lock(&S.lock);
	}
	while (S.running)
		pthread_cond_wait(&S.idle, &S.lock);
	pthread_mutex_unlock(&S.lock);
}

void sched_join(void)
{
	pthread_mutex_lock(&S.lock);
	S.exit = true;
	wake_all();
	pthread_cond_signal(&S.timer);
	pthread_cond_signal(&S.relief);
	pthread_mutex_unlock(&S.lock);
	if (S.timer_started)
		pthread_join(S.timer_thread, NULL);
	S.timer_started = false;
	if (S.relief_joinable) /* the timer, which starts it, has ended */
		pthread_join(S.relief_thread, NULL);
	S.relief_joinable = false;
	for (unsigned i = 0; i < S.nworkers; i++)
		pthread_join(S.threads[i], NULL);
	free(S.threads);
	S.threads = NULL;
	free(S.held_since);
	S.held_since = NULL;
	for (unsigned i = 0; i < S.nslots; i++)
		pthread_cond_destroy(&S.slot[i].wake);
	free(S.slot);
	S.slot = NULL;
	S.nslots = 0;
	S.nworkers = 0;
}

/*
 * Whether every worker runs a user's code that the launch watchdog stops
 * in time (lock held): they are busy, not stuck, and answer no heartbeat
 * until it ends. A compile is bounded by the compiler's limits, within
 * the same grace.
 */
static bool held_in_time(void)
{
	if (!all_held())
		return false;
	uint64_t limit =
	    ((uint64_t)launch_watchdog_timeout_s() + HELD_GRACE_S) *
	    1000000000u;
	uint64_t now = now_ns();
	for (unsigned w = 0; w < S.nworkers; w++)
		if (now - S.held_since[w] > limit)
			return false;
	return true;
}

bool sched_alive(unsigned timeout_ms)
{
	struct timespec ts =
	    cond_deadline_ms(timeout_ms); /* S.beat: realtime */
	pthread_mutex_lock(&S.lock);
	if (held_in_time()) {
		pthread_mutex_unlock(&S.lock);
		return true;
	}
	uint64_t asked = ++S.beat_asked;
	/* One worker is enough: an idle one wakes, a busy one answers after
	 * its step. */
	wake_all();
	int rc = 0;
	while (S.beat_answered < asked && rc == 0)
		rc = pthread_cond_timedwait(&S.beat, &S.lock, &ts);
	bool alive = S.beat_answered >= asked;
	pthread_mutex_unlock(&S.lock);
	return alive;
}

bool sched_workers_taken(void)
{
	return atomic_load_explicit(&S.taken, memory_order_relaxed);
}

bool sched_stopping(void)
{
	return atomic_load(&S.stopping);
}

unsigned sched_workers(void)
{
	return S.nworkers;
}

/* The share of CTX's uid, made with its first context (lock held). */
static struct sched_user *user_get(uid_t uid)
{
	struct sched_user *u = S.all_users;
	while (u && u->uid != uid)
		u = u->next;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return NULL;
		u->uid = uid;
		u->next = S.all_users;
		S.all_users = u;
	}
	u->open++;
	return u;
}

/* Forgets U with its last context (lock held). */
static void user_put(struct sched_user *u)
{
	if (--u->open)
		return;
	struct sched_user **pp = &S.all_users;
	while (*pp != u)
		pp = &(*pp)->next;
	*pp = u->next;
	free(u);
}

int sched_context_opened(struct context *ctx)
{
	pthread_mutex_lock(&S.lock);
	int rc = -ENOMEM;
	ctx->sched.user = user_get(ctx->uid);
	if (ctx->sched.user) {
		rc = events_context_opened(ctx);
		if (rc < 0)
			user_put(ctx->sched.user);
	}
	pthread_mutex_unlock(&S.lock);
	return rc;
}

/* Runs an events_context_* hook for CTX and completes what it released. */
static void context_hook(struct context *ctx,
			 void (*hook)(struct context *, struct job **))
{
	struct job *released = NULL, *done = NULL;
	pthread_mutex_lock(&S.lock);
	hook(ctx, &released);
	release_and_activate(released, &done);
	pthread_mutex_unlock(&S.lock);
	complete_list(done);
}

static void mark_closed(struct context *ctx, struct job **released)
{
	ctx->sched.closed = true;
	events_context_closed(ctx, released);
}

static void cancel(struct job *job)
{
	if (job->err)
		return;
	job->err = -ECANCELED;
	strcpy(job->msg, "its client was killed");
}

/*
 * The client of CTX was killed (lock held): nobody is left to use what its
 * commands compute. Its running command stops at its next step (a wait
 * stays, as for any closed context), its queued ones are cancelled.
 */
static void abandon(struct context *ctx, struct job **done)
{
	struct job *job = ctx->sched.active;
	if (job && job->stop) /* its tiles in flight end early too */
		atomic_store(job->stop, JOB_STOP_KILLED);
	if (job && !job->cmd.spec->control &&
	    (has_steps(job) ||
	     (job->steps > 1 && !job->cut && job->done_tiles < job->ntiles))) {
		cancel(job);
		/* ntiles stays: steps in flight still read it */
		job->cut = true;
		job->nparked = 0;
		ring_remove(ctx);
		if (!job->inflight) {
			/* no step in flight, whose worker would complete it */
			job->t_end_ns = now_ns();
			set_active(ctx, NULL);
			push_done(job, done);
			running_done();
		}
	}
	while (ctx->sched.fifo_head) {
		job = ctx->sched.fifo_head;
		ctx->sched.fifo_head = job->next;
		/* Atomic: stats read it without the lock. */
		atomic_fetch_sub_explicit(&ctx->sched.queued, 1,
					  memory_order_relaxed);
		cancel(job);
		push_done(job, done);
	}
	ctx->sched.fifo_tail = NULL;
}

void sched_context_closed(struct context *ctx, bool killed)
{
	struct job *released = NULL, *done = NULL;
	pthread_mutex_lock(&S.lock);
	mark_closed(ctx, &released);
	if (killed)
		abandon(ctx, &done);
	release_and_activate(released, &done);
	pthread_mutex_unlock(&S.lock);
	complete_list(done);
}

void sched_context_gone(struct context *ctx)
{
	context_hook(ctx, events_context_gone);
	pthread_mutex_lock(&S.lock);
	user_put(ctx->sched.user);
	pthread_mutex_unlock(&S.lock);
}
