#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vgpufs/catalog.h>

#include "fs/node.h"
#include "mem/tier.h"
#include "ooc/ooc.h"
#include "ooc/ooc_runners.h"
#include "sched/job.h"

static struct {
	uint64_t total;
	_Atomic uint64_t used;
} budget;

static struct {
	_Atomic uint64_t stream, gemm, read, written;
} counts;

void ooc_stats_read(struct ooc_stats *s)
{
	*s = (struct ooc_stats){
	    .staging_total = budget.total,
	    .staging_used = atomic_load(&budget.used),
	    .commands_stream = atomic_load(&counts.stream),
	    .commands_gemm = atomic_load(&counts.gemm),
	    .read_bytes = atomic_load(&counts.read),
	    .write_bytes = atomic_load(&counts.written),
	};
}

void ooc_count_command(const struct ooc_runner *r)
{
	atomic_fetch_add(r == &ooc_gemm_runner ? &counts.gemm : &counts.stream,
			 1);
}

void ooc_count_io(uint64_t read_bytes, uint64_t write_bytes)
{
	if (read_bytes)
		atomic_fetch_add(&counts.read, read_bytes);
	if (write_bytes)
		atomic_fetch_add(&counts.written, write_bytes);
}

const struct ooc_runner *ooc_select(const struct job *job)
{
	if (!budget.total || !job->impl)
		return NULL;
	uint64_t disk = 0;
	for (unsigned i = 0; i < VGPU_MAX_ARGS; i++) {
		const struct node *n = job->bufs[i];
		if (n && n->tier->id == TIER_DISK)
			disk += n->charged;
	}
	if (disk < OOC_MIN_BYTES)
		return NULL;
	if (job->cmd.spec->id == VGPU_K_GEMM)
		return &ooc_gemm_runner;
	if (job->impl->tile_bytes)
		return &ooc_stream_runner;
	return NULL;
}

double ooc_cached_share(const void *p, uint64_t len)
{
	enum { SAMPLES = 256 };
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	unsigned resident = 0, seen = 0;
	for (unsigned k = 0; k < SAMPLES && len; k++) {
		uintptr_t a = ((uintptr_t)p + len / SAMPLES * k) / page * page;
		unsigned char v = 0;
		if (mincore((void *)a, 1, &v) == 0) {
			resident += v & 1;
			seen++;
		}
	}
	return seen ? (double)resident / seen : 0;
}

void ooc_staging_init(uint64_t bytes)
{
	budget.total = bytes;
}

uint64_t ooc_staging_total(void)
{
	return budget.total;
}

uint64_t ooc_staging_used(void)
{
	return atomic_load_explicit(&budget.used, memory_order_relaxed);
}

uint64_t ooc_staging_take(uint64_t min, uint64_t want, uint64_t grain)
{
	uint64_t used = atomic_load(&budget.used);
	for (;;) {
		uint64_t avail = budget.total - used;
		uint64_t n = want < avail ? want : avail;
		n = grain ? n / grain * grain : n;
		if (n < min || n == 0)
			return 0;
		if (atomic_compare_exchange_weak(&budget.used, &used, used + n))
			return n;
	}
}

void ooc_staging_give(uint64_t bytes)
{
	atomic_fetch_sub(&budget.used, bytes);
}
