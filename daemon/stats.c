#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "job.h"
#include "node.h"
#include "quota.h"
#include "ram_tier.h"
#include "scheduler.h"
#include "stats.h"

static struct {
	uint64_t start_ns;
	_Atomic uint64_t count[VGPU_K_COUNT], failed[VGPU_K_COUNT];
	_Atomic uint64_t time_ns[VGPU_K_COUNT], flops[VGPU_K_COUNT],
	    bytes[VGPU_K_COUNT];
	_Atomic uint64_t errors_unparsed; /* inputs that named no kernel */
	_Atomic uint64_t busy_ns[STATS_WORKERS_MAX];
	_Atomic int running[STATS_WORKERS_MAX];
	_Atomic int64_t contexts, parked;
} st;

void stats_init(void)
{
	st.start_ns = now_ns();
	for (unsigned w = 0; w < STATS_WORKERS_MAX; w++)
		atomic_store(&st.running[w], -1);
}

#define ADD(field, v)                                                          \
	atomic_fetch_add_explicit(&(field), v, memory_order_relaxed)

void stats_command(const struct vgpu_kernel_spec *k, int err, uint64_t ns)
{
	if (!k) {
		ADD(st.errors_unparsed, 1);
		return;
	}
	ADD(st.count[k->id], 1);
	if (err)
		ADD(st.failed[k->id], 1);
	else if (ns)
		ADD(st.time_ns[k->id], ns);
}

void stats_command_done(const struct job *job)
{
	stats_command(job->cmd.spec, job->err,
		      job->t_end_ns > job->t_start_ns
			  ? job->t_end_ns - job->t_start_ns
			  : 0);
	if (!job->err) {
		ADD(st.flops[job->cmd.spec->id], job->flops);
		ADD(st.bytes[job->cmd.spec->id], job->bytes);
	}
}

void stats_worker_busy(unsigned w, uint64_t ns)
{
	if (w < STATS_WORKERS_MAX)
		ADD(st.busy_ns[w], ns);
}

void stats_worker_kernel(unsigned w, int id)
{
	if (w < STATS_WORKERS_MAX)
		atomic_store_explicit(&st.running[w], id, memory_order_relaxed);
}

void stats_context_opened(void)
{
	ADD(st.contexts, 1);
}

void stats_context_closed(void)
{
	ADD(st.contexts, -1);
}

void stats_parked_readers(int delta)
{
	ADD(st.parked, delta);
}

#define LOAD(x)                                                                \
	atomic_load_explicit((_Atomic __typeof__(x) *)&(x),                    \
			     memory_order_relaxed)

struct collect {
	struct stats_snapshot *s;
	size_t cap;
	uid_t viewer;
	int err;
};

static void collect_context(const struct context *c, void *arg)
{
	struct collect *co = arg;
	if (co->viewer != 0 && c->uid != co->viewer)
		return; /* others' contexts are theirs to see */
	if (co->s->nctx == co->cap) {
		size_t cap = co->cap ? co->cap * 2 : 16;
		void *p = realloc(co->s->ctx, cap * sizeof(*co->s->ctx));
		if (!p) {
			co->err = -ENOMEM;
			return;
		}
		co->s->ctx = p;
		co->cap = cap;
	}
	struct stats_context *o = &co->s->ctx[co->s->nctx++];
	*o = (struct stats_context){.id = c->id,
				    .pid = c->pid,
				    .uid = c->uid,
				    .queued = LOAD(c->queued),
				    .inflight = LOAD(c->inflight),
				    .submitted = LOAD(c->submitted),
				    .completed = LOAD(c->completed),
				    .failed = LOAD(c->failed),
				    .busy_ns = LOAD(c->busy_ns),
				    .running = LOAD(c->running_kernel)};
	memcpy(o->comm, c->comm, sizeof(o->comm));
	o->comm[sizeof(o->comm) - 1] = '\0';
}

int stats_snapshot(struct stats_snapshot *s, const struct ram_tier *ram,
		   uid_t viewer)
{
	memset(s, 0, sizeof(*s));
	s->uptime_s = (now_ns() - st.start_ns) / 1e9;
	s->workers = sched_workers();
	for (unsigned w = 0; w < s->workers && w < STATS_WORKERS_MAX; w++) {
		s->worker_busy_ns[w] = atomic_load(&st.busy_ns[w]);
		s->worker_kernel[w] = atomic_load(&st.running[w]);
	}
	s->contexts_all = atomic_load(&st.contexts);
	s->blocked_readers = atomic_load(&st.parked);
	pthread_mutex_lock(&tree_lock);
	s->buffers = node_count_buffers();
	pthread_mutex_unlock(&tree_lock);
	s->ram_used = quota_tier_used(ram);
	s->quota = quota_limit();
	s->nusers = quota_list(viewer, s->users, STATS_USERS_MAX);
	s->ram_capacity = ram_tier_capacity(ram);
	s->unparsed = atomic_load(&st.errors_unparsed);
	for (unsigned id = 0; id < VGPU_K_COUNT; id++)
		s->kernel[id] =
		    (struct stats_kernel){.count = atomic_load(&st.count[id]),
					  .failed = atomic_load(&st.failed[id]),
					  .ns = atomic_load(&st.time_ns[id]),
					  .flops = atomic_load(&st.flops[id]),
					  .bytes = atomic_load(&st.bytes[id])};
	struct collect co = {.s = s, .viewer = viewer};
	context_for_each(collect_context, &co);
	if (co.err)
		stats_snapshot_free(s);
	return co.err;
}

void stats_snapshot_free(struct stats_snapshot *s)
{
	free(s->ctx);
	s->ctx = NULL;
	s->nctx = 0;
}
