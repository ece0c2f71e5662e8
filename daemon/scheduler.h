/*
 * The scheduler: a pool of worker threads running kernels tile by tile.
 * Each context runs its commands one after another; contexts with work
 * share the workers tile by tile: a free worker takes its next tile from
 * the runnable context that has used the least worker time (fair share),
 * so one huge command shares the workers instead of holding them, and a
 * small command arriving meanwhile goes next.
 */
#ifndef VGPUFSD_SCHEDULER_H
#define VGPUFSD_SCHEDULER_H

#include <stdbool.h>

struct job;

/* Starts WORKERS threads; 0 or -errno. */
int sched_start(unsigned workers);
/* Queues JOB behind the earlier jobs of its context. */
void sched_submit(struct job *job);
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
unsigned sched_workers(void);

#endif
