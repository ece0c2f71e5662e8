/*
 * A command on its way through the device: parsed, bound to buffers (with
 * references that keep them alive), validated, then run by the scheduler.
 */
#ifndef VGPUFSD_JOB_H
#define VGPUFSD_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <vgpufs/command.h>
#include <vgpufs/kernel_impl.h>

#include "fs/cred.h"

struct context;
struct node;
struct bufmap;
struct event;
struct ooc_runner;
struct prog_job;
struct vgpu_bufinfo;

/* The tiles [next, end) of a job one worker takes before any other's. */
struct tile_share {
	uint32_t next, end;
};

/* What a worker runs: a step of a tile (0 for a tile of one step). */
struct tile_step {
	uint32_t tile, step;
};

struct job {
	struct job *next;
	struct context *ctx;
	uint64_t seq, tag; /* tag: the binary packet's */
	struct vgpu_cmd cmd;
	const struct vgpu_kernel_impl *impl;
	struct node *bufs[VGPU_MAX_ARGS];
	unsigned nbufs; /* how many of bufs[] are set */
	struct bufmap *maps[VGPU_MAX_ARGS];
	struct vgpu_launch launch;
	/* Set: streamed through staging by this runner (ooc.h). */
	const struct ooc_runner *ooc;
	void *ooc_state;
	uint64_t flops, bytes; /* its work, for stats (valid commands) */
	int err; /* set: the command fails with this, MSG says why */
	char msg[VGPU_MSG_MAX];
	/* scheduler state, under its lock */
	uint32_t ntiles, next_tile, done_tiles; /* next_tile: tiles handed */
	/* Set: each worker's share of the tiles (scheduler.c, take_step);
	 * NULL: tiles go out in order. */
	struct tile_share *shares;
	uint32_t kernel_tiles; /* plan()'s: ntiles unless a runner cut units */
	uint32_t steps;	       /* of each tile (run_step), at least 1 */
	uint32_t inflight;     /* steps running */
	/* Tiles part done, their next step waiting for a worker: at most one
	 * a worker, as a new tile starts only when none waits. */
	struct tile_step *parked;
	uint32_t nparked;
	bool cut;     /* cancelled while running: hands out nothing more */
	bool started; /* its first step was taken: t_start_ns is when */
	/*
	 * Its steps may run for as long as a user's code does (a compile or
	 * a launch's groups), not the few milliseconds of a built-in kernel's
	 * step: the relief thread (scheduler.c) never takes them.
	 */
	bool unbounded;
	bool relief_step;     /* the relief thread runs a step of it */
	struct event *event;  /* signal and wait: their event */
	uint64_t deadline_ns; /* a parked wait's timeout, 0: none */
	uint64_t t_start_ns, t_end_ns;
	/* build and launch: the program room's part (prog/prog_job.h) */
	struct prog_job *prog;
	uint32_t stores;   /* launch: bit i, bufs[i] may be stored to */
	const char *label; /* launch: "PROGRAM:KERNEL" once known (trace) */
	/*
	 * Set: a flag the job's running code polls to end early (a launch's);
	 * the scheduler stores JOB_STOP_KILLED in it when the job's client is
	 * killed.
	 */
	_Atomic int *stop;
	/*
	 * Set: called on the worker when the last tile is done; returns the
	 * tiles of the job's next phase (0: none, the job is done). A
	 * launch's compile is one tile, its work-groups the next phase.
	 */
	uint32_t (*more_tiles)(struct job *job);
	/* Set: writes the message of a tile's failure RC into job->msg, and
	 * may name another error as the cause in job->err (the scheduler's
	 * lock held). */
	void (*fail_msg)(struct job *job, int rc);
};

/*
 * A job for a parsed command: resolves its buffers for CRED (existence,
 * search permission on the path, read/write permission as the kernel
 * uses each buffer), validates extents, and maps the buffers. On any
 * failure the job is still returned with err and msg set (and whatever
 * buffers it bound, which job_free releases). NULL when memory runs out.
 */
struct job *job_new(struct context *ctx, const struct vgpu_cmd *cmd,
		    struct cred *cred);

#define JOB_STOP_KILLED 2

/* Fails JOB with ERR and a message (the first failure stays); ERR. */
int job_fail(struct job *job, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Binds slot SLOT of JOB to the buffer REF names, for CRED wanting WANT
 * (PERM_R, PERM_W): resolved, checked, held busy; *INFO its id and size.
 * Errors name KNAME and ANAME. tree_lock held.
 */
int job_bind_buffer(struct job *job, unsigned slot, const char *kname,
		    const char *aname, const struct vgpu_bufref *ref, int want,
		    struct cred *cred, struct vgpu_bufinfo *info);
/* Maps slot SLOT's buffer (SIZE bytes); launch.ptr[SLOT] = it + OFFSET. */
int job_map_buffer(struct job *job, unsigned slot, const char *kname,
		   const char *aname, uint64_t size, uint64_t offset);
/* Makes the pages [OFFSET, +BYTES) of slot SLOT's buffer exist; without
 * tree_lock. */
int job_populate(struct job *job, unsigned slot, const char *kname,
		 const char *aname, uint64_t offset, uint64_t bytes);

/*
 * Makes what the job wrote to disk-tier buffers durable, before its
 * completion is posted; a failure fails the command.
 */
void job_sync_outputs(struct job *job);
/* Drops the job's buffer references (idempotent). */
void job_release_buffers(struct job *job);
/* Releases the buffers and frees the job. */
void job_free(struct job *job);

#endif
