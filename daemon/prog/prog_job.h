/*
 * build and launch as jobs of the scheduler: the job's first tile reads
 * the program, compiles it (or takes it from the cache), and for a launch
 * binds the kernel's parameters for the launching user; a launch's
 * work-groups are the tiles of its next phase (job->more_tiles).
 */
#ifndef VGPUFSD_PROG_JOB_H
#define VGPUFSD_PROG_JOB_H

#include <stdint.h>

#include <vgpufs/kernel_impl.h>

#include "fs/cred.h"

struct job;
struct prog_job;

/* What job->impl is for build and launch. */
extern const struct vgpu_kernel_impl prog_impl;

/*
 * Called by job_new once the program's buffer (PROG_SIZE bytes) is bound
 * and mapped: keeps what the worker needs (CRED, the parameters' text,
 * names); fails the job when that cannot be kept or the program is too
 * large.
 */
void prog_job_init(struct job *job, struct cred *cred, uint64_t prog_size);
void prog_job_free(struct prog_job *p);

#endif
