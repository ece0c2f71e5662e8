#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vgpufs/validate.h>

#include "clock.h"
#include "fs/node.h"
#include "mem/buffer.h"
#include "mem/bufmap.h"
#include "mem/disk_tier.h"
#include "mem/tier.h"
#include "ooc/ooc.h"
#include "prog/prog_job.h"
#include "sched/context.h"
#include "sched/job.h"

static struct job *job_alloc(struct context *ctx)
{
	struct job *job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->ctx = ctx;
	return job;
}

int job_fail(struct job *job, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(job->msg, sizeof(job->msg), fmt, ap);
	va_end(ap);
	job->err = err;
	return err;
}

static const char *access_word(int want)
{
	return want == (PERM_R | PERM_W) ? "read and write"
	       : want == PERM_W		 ? "write"
					 : "read";
}

int job_bind_buffer(struct job *job, unsigned slot, const char *kname,
		    const char *aname, const struct vgpu_bufref *ref, int want,
		    struct cred *cred, struct vgpu_bufinfo *info)
{
	int err = 0;
	struct node *n;
	if (ref->name) {
		n = node_resolve(ref->name, ref->name_len, cred, &err);
		if (!n)
			return job_fail(
			    job, err, "%s: %s='%.*s': %s", kname, aname,
			    (int)ref->name_len, ref->name,
			    err == -ENOENT ? "no such buffer in mem/"
			    : err == -EACCES
				? "a directory on the path is not searchable"
			    : err == -EISDIR ? "is a directory"
					     : strerror(-err));
	} else {
		n = node_by_ino(ref->handle);
		if (!n || n->kind != NK_BUF || n->unlinked)
			return job_fail(
			    job, -ENOENT, "%s: %s: no buffer with handle %llu",
			    kname, aname, (unsigned long long)ref->handle);
		/* A handle grants no more than the buffer's name would. */
		if (!node_path_searchable(n, cred))
			return job_fail(
			    job, -EACCES,
			    "%s: %s: handle %llu: a directory on the "
			    "buffer's path is not searchable",
			    kname, aname, (unsigned long long)ref->handle);
	}
	if (n->moving)
		return job_fail(job, -EBUSY,
				"%s: %s: the buffer is moving between tiers; "
				"try again when its user.vgpu.tier has changed",
				kname, aname);
	bool allowed = cred_allows(cred, n->uid, n->gid, n->mode, want);
	if (!allowed && cred->ngroups == CRED_GROUPS_UNREADABLE)
		return job_fail(
		    job, -EACCES,
		    "%s: %s: your supplementary groups could not be "
		    "read (/proc/%d/status): refused",
		    kname, aname, (int)cred->pid);
	if (!allowed)
		return job_fail(
		    job, -EACCES,
		    "%s: %s: permission denied: you may not %s this buffer",
		    kname, aname, access_word(want));
	int rc = buffer_size_of(n, &info->size);
	if (rc < 0)
		return job_fail(job, rc, "%s: %s: %s", kname, aname,
				strerror(-rc));
	info->id = n->ino;
	n->tier->ops->count_writes(n->tier, n);
	job->bufs[slot] = n;
	job->nbufs++;
	n->last_used_ns = now_ns();
	n->busy++;
	return 0;
}

/* Binds argument I to its buffer; tree_lock held. */
static int bind_buffer(struct job *job, unsigned i, struct cred *cred,
		       struct vgpu_bufinfo *info)
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	const struct vgpu_arg_spec *a = &k->args[i];
	int want = (a->access & VGPU_ACC_R ? PERM_R : 0) |
		   (a->access & VGPU_ACC_W ? PERM_W : 0);
	return job_bind_buffer(job, i, k->name, a->name, &job->cmd.buf[i], want,
			       cred, info);
}

/*
 * Makes every page the command will touch exist (after validation, without
 * tree_lock): a kernel touching a hole when the tier is full would fault
 * (SIGBUS) inside the daemon, and reading a hole of a shared tmpfs mapping
 * allocates it, so inputs too.
 */
int job_populate(struct job *job, unsigned slot, const char *kname,
		 const char *aname, uint64_t offset, uint64_t bytes)
{
	struct node *n = job->bufs[slot];
	int rc = n->tier->ops->populate(n->tier, n, offset, bytes);
	if (rc == 0)
		return 0;
	if (rc == -EDQUOT && n->tier->id == TIER_DISK)
		return job_fail(job, rc,
				"%s: %s: the owner's disk quota "
				"(--user-disk-quota) is exceeded (buffers "
				"grown by writing past their end); free "
				"some of it",
				kname, aname);
	const char *full = rc == -EDQUOT ? "the owner's quota (--user-quota)"
			   : n->tier->id == TIER_RAM ? "the RAM tier"
						     : "the disk tier";
	return job_fail(job, rc,
			"%s: %s: %s is full (the buffer has "
			"unallocated pages: it was written "
			"sparsely, grown by writing past its end "
			"or had a hole punched into it)",
			kname, aname, full);
}

static int populate_buffers(struct job *job)
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	struct vgpu_extent ext[VGPU_MAX_ARGS] = {0};
	char msg[8];
	if (k->extents(&job->cmd, ext, msg, sizeof(msg)) < 0)
		return 0; /* validated: cannot happen */
	for (unsigned i = 0; i < k->nargs; i++) {
		if (!job->bufs[i])
			continue;
		int rc = job_populate(job, i, k->name, k->args[i].name,
				      job->cmd.buf[i].offset, ext[i].bytes);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int job_map_buffer(struct job *job, unsigned slot, const char *kname,
		   const char *aname, uint64_t size, uint64_t offset)
{
	int err = 0;
	job->maps[slot] = bufmap_get(job->bufs[slot], size, &err);
	if (!job->maps[slot])
		return job_fail(job, err, "%s: %s: cannot map the buffer: %s",
				kname, aname, strerror(-err));
	job->launch.ptr[slot] = (char *)job->maps[slot]->addr + offset;
	return 0;
}

/* Maps every bound buffer; tree_lock held, after validation. */
static int map_buffers(struct job *job, const struct vgpu_bufinfo info[])
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	for (unsigned i = 0; i < k->nargs; i++) {
		if (!job->bufs[i])
			continue;
		int rc = job_map_buffer(job, i, k->name, k->args[i].name,
					info[i].size, job->cmd.buf[i].offset);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct job *job_new(struct context *ctx, const struct vgpu_cmd *cmd,
		    struct cred *cred)
{
	struct job *job = job_alloc(ctx);
	if (!job)
		return NULL;
	job->cmd = *cmd;
	job->launch.cmd = &job->cmd;
	const struct vgpu_kernel_spec *k = cmd->spec;
	job->impl = k->program ? &prog_impl : vgpu_kernel_impl(k->id);
	if (k->control)
		return job; /* the scheduler runs it; it names no buffer */
	if (!job->impl) {
		job_fail(job, -ENOSYS, "%s: no implementation in this daemon",
			 k->name);
		return job;
	}
	struct vgpu_bufinfo info[VGPU_MAX_ARGS] = {0};
	bool has_bufs = false;
	for (unsigned i = 0; i < k->nargs; i++)
		has_bufs |= k->args[i].type == VGPU_ARG_BUF;
	/* The tree's lock only for commands that name buffers. */
	if (has_bufs)
		pthread_mutex_lock(&tree_lock);
	int rc = 0;
	for (unsigned i = 0; i < k->nargs && rc == 0; i++)
		if (k->args[i].type == VGPU_ARG_BUF)
			rc = bind_buffer(job, i, cred, &info[i]);
	if (rc == 0) {
		rc = vgpu_cmd_validate_bytes(&job->cmd, info, job->msg,
					     sizeof(job->msg), &job->bytes);
		if (rc < 0)
			job->err = rc;
	}
	if (rc == 0) {
		job->flops = vgpu_cmd_flops(&job->cmd);
		if (map_buffers(job, info) == 0)
			job->ooc = ooc_select(job);
	}
	if (has_bufs)
		pthread_mutex_unlock(&tree_lock);
	if (rc == 0 && !job->err)
		populate_buffers(job);
	if (k->program && rc == 0 && !job->err)
		prog_job_init(job, cred, info[0].size);
	/* Names pointed into the write's data, which is gone after this. */
	for (unsigned i = 0; i < k->nargs; i++)
		job->cmd.buf[i].name = NULL;
	if (!job->prog || job->err)
		job->cmd.params = NULL; /* else the program room's copy */
	return job;
}

void job_sync_outputs(struct job *job)
{
	const struct vgpu_kernel_spec *k = job->cmd.spec;
	/* A buffer's tier cannot change while the job holds it (busy). */
	for (unsigned i = 0; job->nbufs && i < VGPU_MAX_ARGS; i++) {
		struct node *n = job->bufs[i];
		bool written = k->program ? (job->stores >> i) & 1
			       : i < k->nargs
				   ? (k->args[i].access & VGPU_ACC_W) != 0
				   : false;
		if (!n || n->tier->id != TIER_DISK || !written)
			continue;
		int rc = disk_sync(n);
		if (rc < 0 && !job->err)
			job_fail(job, rc,
				 "%s: %s: cannot write to the disk tier: %s",
				 k->name,
				 i < k->nargs && !k->program ? k->args[i].name
							     : "a buffer",
				 strerror(-rc));
	}
}

void job_release_buffers(struct job *job)
{
	if (job->ooc) {
		/* its I/O on the buffers' files must be over first */
		job->ooc->release(job);
		job->ooc = NULL;
	}
	if (!job->nbufs)
		return; /* most cheap commands: no need for the tree's lock */
	pthread_mutex_lock(&tree_lock);
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++) {
		if (job->bufs[i]) {
			bufmap_done(job->bufs[i], job->maps[i]);
			job->bufs[i]->busy--;
			node_release_if_unused(job->bufs[i]);
			job->bufs[i] = NULL;
		}
		job->maps[i] = NULL;
	}
	job->nbufs = 0;
	pthread_mutex_unlock(&tree_lock);
}

void job_free(struct job *job)
{
	if (!job)
		return;
	job_release_buffers(job);
	prog_job_free(job->prog);
	free(job->launch.scratch);
	free(job->parked);
	free(job->shares);
	free(job);
}
