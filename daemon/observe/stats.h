/*
 * Live counters behind the stats and metrics files, updated lock-free by
 * every thread, and the snapshot that both files are rendered from.
 */
#ifndef VGPUFSD_STATS_H
#define VGPUFSD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vgpufs/catalog.h>

#include "mem/bus.h"
#include "mem/tier.h"
#include "observe/user_kernels.h"
#include "ooc/ooc.h"

#define STATS_WORKERS_MAX 1024 /* as --workers allows */
#define STATS_QUOTAS_MAX  256  /* users with a quota shown */

struct job;
struct tier;
struct vgpu_kernel_spec;

void stats_init(void);
/* A command completed: K is NULL for input that named no kernel. */
void stats_command(const struct vgpu_kernel_spec *k, int err, uint64_t ns);
/* N commands of K completed at once, without error or time (a run of
 * nops a ring's poller took in one look): one update for all. */
void stats_commands_at_once(const struct vgpu_kernel_spec *k, uint64_t n);
void stats_command_done(const struct job *job);
/*
 * Worker W starts a tile of kernel ID: returns its start (now_ns()), which
 * stats_tile_ended takes back and turns into the tile's duration (ns).
 * Until then the worker's busy time grows by the tile's time so far.
 */
uint64_t stats_tile_started(unsigned w, int id);
uint64_t stats_tile_ended(unsigned w, uint64_t t0);
void stats_context_opened(void);
void stats_context_closed(void);
void stats_parked_readers(int delta);
/* A ring's poller spun NS for packets; it went to sleep on its doorbell. */
void stats_ring_spun(uint64_t ns);
void stats_ring_slept(void);

struct stats_kernel {
	uint64_t count, failed, ns, flops, bytes;
};

struct stats_context {
	uint64_t id;
	pid_t pid;
	uid_t uid;
	char comm[16];
	unsigned queued, inflight;
	uint64_t submitted, completed, failed, busy_ns;
	int running;	    /* kernel id, or -1 */
	uint64_t mem_bytes; /* of the buffers its process created */
};

/* The buffers a user owns, and their part of the RAM tier (--user-quota). */
struct stats_user {
	uid_t uid;
	uint64_t buffers, bytes;
	bool has_quota;	     /* a user but root, under --user-quota */
	uint64_t quota_used; /* bytes in their part of the RAM tier */
};

/* Everything the files show, at one moment, as user VIEWER may see it. */
struct stats_snapshot {
	double uptime_s;
	unsigned workers;
	uint64_t worker_busy_ns[STATS_WORKERS_MAX];
	int worker_kernel[STATS_WORKERS_MAX];
	int64_t contexts_all, blocked_readers;
	uint64_t ring_spin_ns, ring_sleeps; /* all rings' pollers */
	uint64_t buffers;
	struct stats_tier {
		bool present;
		uint64_t used, capacity, buffers;
	} tier[TIER_COUNT];
	uint64_t unparsed; /* failed inputs that named no kernel */
	uint64_t quota;	   /* --user-quota: bytes per user; 0: none */
	struct stats_kernel kernel[VGPU_K_COUNT];
	struct ooc_stats ooc; /* out-of-core runs */
	struct bus_stats bus; /* the virtual bus (--bus) */
	/* the contexts VIEWER may see: its own, or all for root */
	struct stats_context *ctx;
	size_t nctx;
	/* the owners of buffers VIEWER may see: itself, or all for root */
	struct stats_user *users;
	size_t nusers;
	/* the users' kernels VIEWER may see: its own, or all for root */
	struct user_kernel *ukernels;
	size_t nukernels;
};

/* Fills S (free with stats_snapshot_free); -ENOMEM. */
int stats_snapshot(struct stats_snapshot *s, struct tier *const tiers[],
		   uid_t viewer);
void stats_snapshot_free(struct stats_snapshot *s);

/* The stats file: "key value" lines (docs/file-tree.md); malloc'ed. */
char *stats_render(const struct stats_snapshot *s, size_t *len);
/* The metrics file: Prometheus text exposition format; malloc'ed. */
char *metrics_render(const struct stats_snapshot *s, size_t *len);

#endif
