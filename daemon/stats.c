#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <vgpufs/catalog.h>

#include "context.h"
#include "job.h"
#include "node.h"
#include "ram_tier.h"
#include "scheduler.h"
#include "stats.h"
#include "text_buf.h"

static struct {
	uint64_t start_ns;
	_Atomic uint64_t count[VGPU_K_COUNT], failed[VGPU_K_COUNT];
	_Atomic uint64_t time_ns[VGPU_K_COUNT];
	_Atomic uint64_t errors_unparsed; /* lines that named no kernel */
	_Atomic uint64_t busy_ns;
	_Atomic int64_t contexts, parked;
} st;

void stats_init(void)
{
	st.start_ns = now_ns();
}

void stats_command(const struct vgpu_kernel_spec *k, int err, uint64_t ns)
{
	if (!k) {
		atomic_fetch_add_explicit(&st.errors_unparsed, 1,
					  memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&st.count[k->id], 1, memory_order_relaxed);
	if (err)
		atomic_fetch_add_explicit(&st.failed[k->id], 1,
					  memory_order_relaxed);
	else if (ns)
		atomic_fetch_add_explicit(&st.time_ns[k->id], ns,
					  memory_order_relaxed);
}

void stats_command_done(const struct job *job)
{
	stats_command(job->cmd.spec, job->err,
		      job->t_end_ns > job->t_start_ns
			  ? job->t_end_ns - job->t_start_ns
			  : 0);
}

void stats_worker_busy(uint64_t ns)
{
	atomic_fetch_add(&st.busy_ns, ns);
}

void stats_context_opened(void)
{
	atomic_fetch_add(&st.contexts, 1);
}

void stats_context_closed(void)
{
	atomic_fetch_sub(&st.contexts, 1);
}

void stats_parked_readers(int delta)
{
	atomic_fetch_add(&st.parked, delta);
}

static void context_line(const struct context *c, void *arg)
{
	tb_printf(arg,
		  "context.%llu pid=%d uid=%u comm=%s queued=%u submitted=%llu "
		  "completed=%llu failed=%llu\n",
		  (unsigned long long)c->id, (int)c->pid, (unsigned)c->uid,
		  c->comm[0] ? c->comm : "?", c->queued,
		  (unsigned long long)c->submitted,
		  (unsigned long long)c->completed,
		  (unsigned long long)c->failed);
}

char *stats_render(const struct ram_tier *ram, size_t *len)
{
	struct text_buf tb = {0};
	uint64_t now = now_ns();
	pthread_mutex_lock(&tree_lock);
	uint64_t buffers = node_count_buffers();
	pthread_mutex_unlock(&tree_lock);
	tb_printf(&tb, "uptime_seconds %.3f\n", (now - st.start_ns) / 1e9);
	tb_printf(&tb, "workers %u\n", sched_workers());
	tb_printf(&tb, "worker_busy_seconds %.6f\n",
		  atomic_load(&st.busy_ns) / 1e9);
	tb_printf(&tb, "contexts %lld\n", (long long)atomic_load(&st.contexts));
	tb_printf(&tb, "blocked_readers %lld\n",
		  (long long)atomic_load(&st.parked));
	tb_printf(&tb, "buffers %llu\n", (unsigned long long)buffers);
	tb_printf(&tb, "vram_ram_used_bytes %llu\n",
		  (unsigned long long)ram_tier_used(ram));
	tb_printf(&tb, "vram_ram_total_bytes %llu\n",
		  (unsigned long long)ram_tier_capacity(ram));
	uint64_t total = 0, failed = 0;
	for (unsigned id = 0; id < VGPU_K_COUNT; id++) {
		const char *name = vgpu_catalog_by_id(id)->name;
		uint64_t c = atomic_load(&st.count[id]),
			 f = atomic_load(&st.failed[id]);
		total += c;
		failed += f;
		tb_printf(&tb, "kernel.%s.count %llu\n", name,
			  (unsigned long long)c);
		tb_printf(&tb, "kernel.%s.failed %llu\n", name,
			  (unsigned long long)f);
		tb_printf(&tb, "kernel.%s.seconds %.6f\n", name,
			  atomic_load(&st.time_ns[id]) / 1e9);
	}
	failed += atomic_load(&st.errors_unparsed);
	tb_printf(
	    &tb, "commands_total %llu\n",
	    (unsigned long long)(total + atomic_load(&st.errors_unparsed)));
	tb_printf(&tb, "commands_failed %llu\n", (unsigned long long)failed);
	context_for_each(context_line, &tb);
	*len = tb.len;
	return tb_take(&tb);
}
