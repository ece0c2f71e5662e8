#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "fs/node.h"
#include "mem/quota.h"
#include "mem/tier.h"
#include "observe/stats.h"
#include "sched/context.h"
#include "sched/job.h"
#include "sched/scheduler.h"

/*
 * A worker's time in tiles: those that ended, and the one it runs now, so
 * that a long tile shows as busy while it runs. The worker alone writes
 * its entry; SEQ (odd while it writes) lets a reader see the total and the
 * start of one moment, neither counting a tile twice nor dropping one that
 * just ended.
 */
struct worker_time {
	_Atomic uint64_t seq;
	_Atomic uint64_t done_ns;  /* tiles that ended */
	_Atomic uint64_t start_ns; /* of the tile running now; 0: none */
	_Atomic int kernel;	   /* its kernel id; -1: none */
};

static struct {
	uint64_t start_ns;
	_Atomic uint64_t count[VGPU_K_COUNT], failed[VGPU_K_COUNT];
	_Atomic uint64_t time_ns[VGPU_K_COUNT], flops[VGPU_K_COUNT],
	    bytes[VGPU_K_COUNT];
	_Atomic uint64_t errors_unparsed; /* inputs that named no kernel */
	struct worker_time worker[STATS_WORKERS_MAX];
	_Atomic int64_t contexts, parked;
	_Atomic uint64_t ring_spin_ns, ring_sleeps;
} st;

void stats_init(void)
{
	st.start_ns = now_ns();
	for (unsigned w = 0; w < STATS_WORKERS_MAX; w++)
		atomic_store(&st.worker[w].kernel, -1);
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

void stats_commands_at_once(const struct vgpu_kernel_spec *k, uint64_t n)
{
	ADD(st.count[k->id], n);
}

void stats_command_done(const struct job *job)
{
	uint64_t ns = job->t_end_ns > job->t_start_ns
			  ? job->t_end_ns - job->t_start_ns
			  : 0;
	stats_command(job->cmd.spec, job->err, ns);
	if (job->label) /* a user's kernel, by its name too */
		user_kernel_done(job->ctx->uid, job->label, job->err, ns,
				 job->bytes);
	if (!job->err) {
		ADD(st.flops[job->cmd.spec->id], job->flops);
		ADD(st.bytes[job->cmd.spec->id], job->bytes);
	}
}

uint64_t stats_tile_started(unsigned w, int id)
{
	if (w >= STATS_WORKERS_MAX)
		return now_ns();
	struct worker_time *t = &st.worker[w];
	atomic_fetch_add(&t->seq, 1);
	uint64_t t0 = now_ns();
	atomic_store(&t->start_ns, t0);
	atomic_store(&t->kernel, id);
	atomic_fetch_add(&t->seq, 1);
	return t0;
}

uint64_t stats_tile_ended(unsigned w, uint64_t t0)
{
	if (w >= STATS_WORKERS_MAX)
		return now_ns() - t0;
	struct worker_time *t = &st.worker[w];
	atomic_fetch_add(&t->seq, 1);
	uint64_t ns = now_ns() - t0; /* taken inside: see worker_time_read */
	atomic_store(&t->done_ns, atomic_load(&t->done_ns) + ns);
	atomic_store(&t->start_ns, 0);
	atomic_store(&t->kernel, -1);
	atomic_fetch_add(&t->seq, 1);
	return ns;
}

/*
 * Worker W's time in tiles up to NOW, the running tile's so far included.
 * NOW is taken before the reading: a tile that started since counts 0, and
 * one that ended since counts up to NOW at most, never more than it will.
 */
static void worker_time_read(unsigned w, uint64_t now, uint64_t *busy_ns,
			     int *kernel)
{
	struct worker_time *t = &st.worker[w];
	uint64_t seq, done, start;
	for (;;) {
		seq = atomic_load(&t->seq);
		if (seq & 1) { /* the worker is writing: a few instructions */
			sched_yield();
			continue;
		}
		done = atomic_load(&t->done_ns);
		start = atomic_load(&t->start_ns);
		*kernel = atomic_load(&t->kernel);
		if (atomic_load(&t->seq) == seq)
			break;
	}
	*busy_ns = done + (start && now > start ? now - start : 0);
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

void stats_ring_spun(uint64_t ns)
{
	ADD(st.ring_spin_ns, ns);
}

void stats_ring_slept(void)
{
	ADD(st.ring_sleeps, 1);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

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
				    .queued = LOAD(c->sched.queued),
				    .inflight = LOAD(c->inflight),
				    .submitted = LOAD(c->submitted),
				    .completed = LOAD(c->completed),
				    .failed = LOAD(c->failed),
				    .busy_ns = LOAD(c->busy_ns),
				    .running = LOAD(c->running_kernel)};
	memcpy(o->comm, c->comm, sizeof(o->comm));
	o->comm[sizeof(o->comm) - 1] = '\0';
}

/* Memory by owner and by creating process, over every buffer. */
struct memory_walk {
	struct stats_snapshot *s;
	uid_t viewer;
	struct pid_bytes {
		pid_t pid;
		uint64_t bytes;
	} * pids; /* the contexts' processes, sorted */
	size_t npids, cap;
	int err;
};

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct pid_bytes *)a)->pid;
	pid_t y = ((const struct pid_bytes *)b)->pid;
	return (x > y) - (x < y);
}

/* UID's entry in the snapshot's users, added if new; NULL: no memory. */
static struct stats_user *user_entry(struct memory_walk *m, uid_t uid)
{
	struct stats_snapshot *s = m->s;
	size_t i = 0;
	while (i < s->nusers && s->users[i].uid != uid)
		i++;
	if (i == s->nusers) {
		if (s->nusers == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 8;
			void *u = realloc(s->users, cap * sizeof(*s->users));
			if (!u) {
				m->err = -ENOMEM;
				return NULL;
			}
			s->users = u;
			m->cap = cap;
		}
		s->users[s->nusers++] = (struct stats_user){.uid = uid};
	}
	return &s->users[i];
}

static void walk_buffer(struct node *n, void *arg)
{
	struct memory_walk *m = arg;
	struct stat st;
	if (fstat(n->fd, &st) < 0)
		return;
	uint64_t bytes = (uint64_t)st.st_blocks * 512; /* memory it holds */
	struct pid_bytes key = {.pid = n->creator};
	struct pid_bytes *p =
	    m->npids ? bsearch(&key, m->pids, m->npids, sizeof(key), pid_cmp)
		     : NULL;
	if (p)
		p->bytes += bytes;
	if (m->viewer != 0 && n->uid != m->viewer)
		return;
	struct stats_user *u = user_entry(m, n->uid);
	if (u) {
		u->buffers++;
		u->bytes += bytes;
	}
}

/* Adds each --user-quota part VIEWER may see to its owner's entry. */
static void add_quotas(struct memory_walk *m, uid_t viewer)
{
	struct quota_use q[STATS_QUOTAS_MAX];
	size_t nq = quota_list(viewer, q, STATS_QUOTAS_MAX);
	for (size_t i = 0; i < nq; i++) {
		struct stats_user *u = user_entry(m, q[i].uid);
		if (u)
			u->quota_used = q[i].used;
	}
	/* every user but root has a quota, used or not */
	for (size_t i = 0; m->s->quota && i < m->s->nusers; i++)
		m->s->users[i].has_quota = m->s->users[i].uid != 0;
}

/*
 * Fills the users (with their quotas) and the contexts' mem_bytes
 * (tree_lock held).
 */
static int collect_memory(struct stats_snapshot *s, uid_t viewer)
{
	struct memory_walk m = {.s = s, .viewer = viewer};
	if (s->nctx) {
		m.pids = malloc(s->nctx * sizeof(*m.pids));
		if (!m.pids)
			return -ENOMEM;
		for (size_t i = 0; i < s->nctx; i++)
			m.pids[i] = (struct pid_bytes){.pid = s->ctx[i].pid};
		qsort(m.pids, s->nctx, sizeof(*m.pids), pid_cmp);
		for (size_t i = 0; i < s->nctx; i++) /* each pid once */
			if (m.npids == 0 ||
			    m.pids[m.npids - 1].pid != m.pids[i].pid)
				m.pids[m.npids++] = m.pids[i];
	}
	node_for_each_buffer(walk_buffer, &m);
	add_quotas(&m, viewer);
	for (size_t i = 0; i < s->nctx; i++) {
		struct pid_bytes key = {.pid = s->ctx[i].pid};
		struct pid_bytes *p =
		    bsearch(&key, m.pids, m.npids, sizeof(key), pid_cmp);
		s->ctx[i].mem_bytes = p ? p->bytes : 0;
	}
	free(m.pids);
	return m.err;
}

int stats_snapshot(struct stats_snapshot *s, struct tier *const tiers[],
		   uid_t viewer)
{
	memset(s, 0, sizeof(*s));
	uint64_t now = now_ns(); /* one moment for uptime and busy times */
	s->uptime_s = (now - st.start_ns) / 1e9;
	s->workers = sched_workers();
	for (unsigned w = 0; w < s->workers && w < STATS_WORKERS_MAX; w++)
		worker_time_read(w, now, &s->worker_busy_ns[w],
				 &s->worker_kernel[w]);
	s->contexts_all = atomic_load(&st.contexts);
	s->blocked_readers = atomic_load(&st.parked);
	s->ring_spin_ns = atomic_load(&st.ring_spin_ns);
	s->ring_sleeps = atomic_load(&st.ring_sleeps);
	for (int i = 0; i < TIER_COUNT; i++)
		if (tiers[i]) {
			s->tier[i].present = true;
			s->tier[i].used = tier_used(tiers[i]);
			s->tier[i].capacity = tier_capacity(tiers[i]);
		}
	s->quota = quota_limit();
	ooc_stats_read(&s->ooc);
	bus_stats_read(&s->bus);
	s->unparsed = atomic_load(&st.errors_unparsed);
	for (unsigned id = 0; id < VGPU_K_COUNT; id++)
		s->kernel[id] =
		    (struct stats_kernel){.count = atomic_load(&st.count[id]),
					  .failed = atomic_load(&st.failed[id]),
					  .ns = atomic_load(&st.time_ns[id]),
					  .flops = atomic_load(&st.flops[id]),
					  .bytes = atomic_load(&st.bytes[id])};
	struct collect co = {.s = s, .viewer = viewer};
	long nuk = user_kernels_list(viewer, &s->ukernels);
	if (nuk < 0)
		return -ENOMEM;
	s->nukernels = (size_t)nuk;
	context_for_each(collect_context, &co);
	if (co.err == 0) {
		pthread_mutex_lock(&tree_lock);
		s->buffers = node_count_buffers();
		for (int i = 0; i < TIER_COUNT; i++)
			if (tiers[i])
				s->tier[i].buffers = tiers[i]->buffers;
		co.err = collect_memory(s, viewer);
		pthread_mutex_unlock(&tree_lock);
	}
	if (co.err)
		stats_snapshot_free(s);
	return co.err;
}

void stats_snapshot_free(struct stats_snapshot *s)
{
	free(s->ctx);
	free(s->users);
	free(s->ukernels);
	s->ctx = NULL;
	s->users = NULL;
	s->ukernels = NULL;
	s->nctx = s->nusers = s->nukernels = 0;
}
