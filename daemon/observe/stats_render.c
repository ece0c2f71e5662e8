/*
 * The stats file ("key value" lines, cheap to read and to parse from a
 * shell) and the metrics file (Prometheus text exposition format), both
 * rendered from one snapshot. docs/file-tree.md lists every key.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <vgpufs/catalog.h>
#include <vgpufs/stats_keys.h>

#include "observe/stats.h"
#include "observe/text_buf.h"
#include "prog/program.h"
#include "version.h"

static const char *kernel_name(int id)
{
	const struct vgpu_kernel_spec *k =
	    id >= 0 ? vgpu_catalog_by_id((unsigned)id) : NULL;
	return k ? k->name : "-";
}

/* Totals over all kernels. */
static struct stats_kernel totals(const struct stats_snapshot *s)
{
	struct stats_kernel t = {0};
	for (unsigned id = 0; id < VGPU_K_COUNT; id++) {
		t.count += s->kernel[id].count;
		t.failed += s->kernel[id].failed;
		t.ns += s->kernel[id].ns;
		t.flops += s->kernel[id].flops;
		t.bytes += s->kernel[id].bytes;
	}
	t.count += s->unparsed;
	t.failed += s->unparsed;
	return t;
}

static uint64_t busy_total(const struct stats_snapshot *s)
{
	uint64_t b = 0;
	for (unsigned w = 0; w < s->workers; w++)
		b += s->worker_busy_ns[w];
	return b;
}

#define U(x) ((unsigned long long)(x))

/*
 * A process names itself (prctl, /proc/PID/comm): spaces, '=' or control
 * characters would let it forge fields of its line.
 */
static void clean_comm(const char *comm, char out[16])
{
	size_t i = 0;
	for (; comm[i] && i < 15; i++) {
		unsigned char c = (unsigned char)comm[i];
		out[i] = c <= ' ' || c == '=' || c == 0x7f ? '_' : (char)c;
	}
	out[i] = '\0';
}

/*
 * A user's kernel's "PROGRAM:KERNEL": the program is a buffer's path, which
 * may hold any byte but '/' and NUL; spaces, '=', quotes and backslashes
 * would forge fields of its stats line or break its metrics' labels.
 */
static void clean_name(const char *name, char out[USER_KERNEL_NAME_MAX])
{
	size_t i = 0;
	for (; name[i] && i < USER_KERNEL_NAME_MAX - 1; i++) {
		unsigned char c = (unsigned char)name[i];
		out[i] =
		    c <= ' ' || c == '=' || c == 0x7f || c == '"' || c == '\\'
			? '_'
			: (char)c;
	}
	out[i] = '\0';
}

/*
 * The bus model: its profile always ("none" without one), its link and
 * per direction what it carried only with one.
 */
static void stats_render_bus(struct text_buf *tb, const struct bus_stats *b)
{
	tb_printf(tb, "bus_profile %s\n", b->profile);
	if (!b->enabled)
		return;
	tb_printf(tb, "bus_bandwidth_bytes_per_second %llu\n", U(b->bandwidth));
	tb_printf(tb, "bus_latency_seconds %.9f\n", b->latency_ns / 1e9);
	for (int d = 0; d < BUS_DIR_COUNT; d++) {
		const struct bus_dir_stats *x = &b->dir[d];
		const char *n = bus_dir_name(d);
		tb_printf(tb, "bus_%s_bytes %llu\n", n, U(x->bytes));
		tb_printf(tb, "bus_%s_transfers %llu\n", n, U(x->transfers));
		tb_printf(tb, "bus_%s_modelled_seconds %.9f\n", n,
			  x->modelled_ns / 1e9);
		tb_printf(tb, "bus_%s_real_seconds %.9f\n", n,
			  x->real_ns / 1e9);
		tb_printf(tb, "bus_%s_waited_seconds %.9f\n", n,
			  x->waited_ns / 1e9);
	}
}

char *stats_render(const struct stats_snapshot *s, size_t *len)
{
	struct text_buf tb = {0};
	struct stats_kernel t = totals(s);
	tb_printf(&tb, VGPU_STAT_VERSION " %s\n", VGPUFS_VERSION);
	tb_printf(&tb, VGPU_STAT_UPTIME " %.6f\n", s->uptime_s);
	tb_printf(&tb, VGPU_STAT_WORKERS " %u\n", s->workers);
	tb_printf(&tb, VGPU_STAT_BUSY " %.6f\n", busy_total(s) / 1e9);
	for (unsigned w = 0; w < s->workers; w++) {
		tb_printf(&tb,
			  VGPU_STAT_WORKER "%u" VGPU_STAT_WORKER_BUSY_FIELD
					   " %.6f\n",
			  w, s->worker_busy_ns[w] / 1e9);
		tb_printf(&tb,
			  VGPU_STAT_WORKER "%u" VGPU_STAT_WORKER_KERNEL_FIELD
					   " %s\n",
			  w, kernel_name(s->worker_kernel[w]));
	}
	tb_printf(&tb, VGPU_STAT_CONTEXTS " %lld\n",
		  (long long)s->contexts_all);
	tb_printf(&tb, VGPU_STAT_BLOCKED_READERS " %lld\n",
		  (long long)s->blocked_readers);
	tb_printf(&tb, VGPU_STAT_RING_SPIN_SECONDS " %.6f\n",
		  s->ring_spin_ns / 1e9);
	tb_printf(&tb, VGPU_STAT_RING_SLEEPS " %llu\n", U(s->ring_sleeps));
	tb_printf(&tb, VGPU_STAT_BUFFERS " %llu\n", U(s->buffers));
	for (int i = 0; i < TIER_COUNT; i++)
		if (s->tier[i].present) {
			tb_printf(&tb,
				  VGPU_STAT_VRAM "%s" VGPU_STAT_VRAM_USED
						 " %llu\n",
				  tier_name(i), U(s->tier[i].used));
			tb_printf(&tb,
				  VGPU_STAT_VRAM "%s" VGPU_STAT_VRAM_TOTAL
						 " %llu\n",
				  tier_name(i), U(s->tier[i].capacity));
			tb_printf(&tb,
				  VGPU_STAT_VRAM "%s" VGPU_STAT_VRAM_BUFFERS
						 " %llu\n",
				  tier_name(i), U(s->tier[i].buffers));
		}
	stats_render_bus(&tb, &s->bus);
	const struct ooc_stats *o = &s->ooc;
	tb_printf(&tb, "staging_used_bytes %llu\n", U(o->staging_used));
	tb_printf(&tb, "staging_total_bytes %llu\n", U(o->staging_total));
	tb_printf(&tb, "ooc_stream_commands %llu\n", U(o->commands_stream));
	tb_printf(&tb, "ooc_gemm_commands %llu\n", U(o->commands_gemm));
	tb_printf(&tb, "ooc_read_bytes %llu\n", U(o->read_bytes));
	tb_printf(&tb, "ooc_write_bytes %llu\n", U(o->write_bytes));
	struct program_counts pc = program_counts();
	tb_printf(&tb, VGPU_STAT_PROGRAMS_COMPILED " %llu\n", U(pc.compiled));
	tb_printf(&tb, VGPU_STAT_PROGRAMS_CACHED " %llu\n", U(pc.cache_hits));
	tb_printf(&tb, VGPU_STAT_PROGRAMS_COMPILE_SECONDS " %.6f\n",
		  pc.compile_ns / 1e9);
	tb_printf(&tb, VGPU_STAT_PROGRAMS_LAST_COMPILE " %.6f\n",
		  pc.last_compile_ns / 1e9);
	tb_printf(&tb, VGPU_STAT_COMMANDS " %llu\n", U(t.count));
	tb_printf(&tb, VGPU_STAT_FAILED " %llu\n", U(t.failed));
	tb_printf(&tb, VGPU_STAT_FLOPS " %llu\n", U(t.flops));
	tb_printf(&tb, VGPU_STAT_BYTES " %llu\n", U(t.bytes));
	for (unsigned id = 0; id < VGPU_K_COUNT; id++) {
		const char *n = kernel_name((int)id);
		const struct stats_kernel *k = &s->kernel[id];
		tb_printf(&tb,
			  VGPU_STAT_KERNEL "%s." VGPU_STAT_K_COUNT " %llu\n", n,
			  U(k->count));
		tb_printf(&tb,
			  VGPU_STAT_KERNEL "%s." VGPU_STAT_K_FAILED " %llu\n",
			  n, U(k->failed));
		tb_printf(&tb,
			  VGPU_STAT_KERNEL "%s." VGPU_STAT_K_SECONDS " %.6f\n",
			  n, k->ns / 1e9);
		tb_printf(&tb,
			  VGPU_STAT_KERNEL "%s." VGPU_STAT_K_FLOPS " %llu\n", n,
			  U(k->flops));
		tb_printf(&tb,
			  VGPU_STAT_KERNEL "%s." VGPU_STAT_K_BYTES " %llu\n", n,
			  U(k->bytes));
	}
	for (size_t i = 0; i < s->nukernels; i++) {
		const struct user_kernel *k = &s->ukernels[i];
		char name[USER_KERNEL_NAME_MAX];
		clean_name(k->name, name);
		tb_printf(&tb,
			  VGPU_STAT_PROGRAM
			  "%u.%s " VGPU_STAT_P_COUNT "=%llu " VGPU_STAT_P_FAILED
			  "=%llu " VGPU_STAT_P_SECONDS
			  "=%.6f " VGPU_STAT_P_BYTES "=%llu\n",
			  (unsigned)k->uid, name, U(k->count), U(k->failed),
			  k->ns / 1e9, U(k->bytes));
	}
	for (size_t i = 0; i < s->nctx; i++) {
		const struct stats_context *c = &s->ctx[i];
		char comm[16];
		clean_comm(c->comm, comm);
		tb_printf(
		    &tb,
		    VGPU_STAT_CONTEXT
		    "%llu " VGPU_STAT_C_PID "=%d " VGPU_STAT_C_UID
		    "=%u " VGPU_STAT_C_COMM "=%s " VGPU_STAT_C_QUEUED
		    "=%u " VGPU_STAT_C_INFLIGHT "=%u " VGPU_STAT_C_SUBMITTED
		    "=%llu " VGPU_STAT_C_COMPLETED "=%llu " VGPU_STAT_C_FAILED
		    "=%llu " VGPU_STAT_C_BUSY "=%.6f " VGPU_STAT_C_RUNNING
		    "=%s " VGPU_STAT_C_MEM_BYTES "=%llu\n",
		    U(c->id), (int)c->pid, (unsigned)c->uid,
		    comm[0] ? comm : "?", c->queued, c->inflight,
		    U(c->submitted), U(c->completed), U(c->failed),
		    c->busy_ns / 1e9, kernel_name(c->running), U(c->mem_bytes));
	}
	for (size_t i = 0; i < s->nusers; i++) {
		const struct stats_user *u = &s->users[i];
		tb_printf(&tb,
			  VGPU_STAT_USER "%u " VGPU_STAT_U_BUFFERS
					 "=%llu " VGPU_STAT_U_BYTES "=%llu",
			  (unsigned)u->uid, U(u->buffers), U(u->bytes));
		if (u->has_quota)
			tb_printf(&tb,
				  " " VGPU_STAT_U_QUOTA_USED
				  "=%llu " VGPU_STAT_U_QUOTA "=%llu",
				  U(u->quota_used), U(s->quota));
		tb_printf(&tb, "\n");
	}
	*len = tb.len;
	return tb_take(&tb);
}

static void family(struct text_buf *tb, const char *name, const char *type,
		   const char *help)
{
	tb_printf(tb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per-user sums of the visible contexts (few users: a linear scan). */
enum {
	U_CONTEXTS,
	U_QUEUED,
	U_INFLIGHT,
	U_BUSY_S,
	U_BUFFERS,
	U_BYTES,
	U_FIELDS
};

static const struct {
	const char *name, *help;
} user_fields[U_FIELDS] = {
    [U_CONTEXTS] = {"vgpu_user_contexts", "Open contexts, by user."},
    [U_QUEUED] = {"vgpu_user_commands_queued",
		  "Commands waiting to run, by user."},
    [U_INFLIGHT] = {"vgpu_user_commands_inflight",
		    "Commands submitted and not completed, by user."},
    [U_BUSY_S] = {"vgpu_user_busy_seconds",
		  "Worker time used by the open contexts of each user."},
    [U_BUFFERS] = {"vgpu_user_buffers", "Buffers, by owner."},
    [U_BYTES] = {"vgpu_user_buffer_bytes",
		 "Memory held by the buffers of each owner."},
};

struct user_sum {
	uid_t uid;
	double v[U_FIELDS];
};

/* The entry of UID in U (N of CAP used); NULL beyond CAP users. */
static struct user_sum *user_slot(struct user_sum *u, size_t *n, size_t cap,
				  uid_t uid)
{
	size_t j = 0;
	while (j < *n && u[j].uid != uid)
		j++;
	if (j == *n) {
		if (*n == cap)
			return NULL; /* beyond CAP users: left out */
		u[(*n)++] = (struct user_sum){.uid = uid};
	}
	return &u[j];
}

static size_t sum_users(const struct stats_snapshot *s, struct user_sum *u,
			size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nctx; i++) {
		const struct stats_context *c = &s->ctx[i];
		struct user_sum *us = user_slot(u, &n, cap, c->uid);
		if (!us)
			continue;
		us->v[U_CONTEXTS] += 1;
		us->v[U_QUEUED] += c->queued;
		us->v[U_INFLIGHT] += c->inflight;
		us->v[U_BUSY_S] += c->busy_ns / 1e9;
	}
	for (size_t i = 0; i < s->nusers; i++) {
		struct user_sum *us = user_slot(u, &n, cap, s->users[i].uid);
		if (!us)
			continue;
		us->v[U_BUFFERS] = (double)s->users[i].buffers;
		us->v[U_BYTES] = (double)s->users[i].bytes;
	}
	return n;
}

/* With a bus: its link, and per direction what it carried (bus.h). */
static void metrics_render_bus(struct text_buf *tb, const struct bus_stats *b)
{
	if (!b->enabled)
		return;
	family(tb, "vgpu_bus_info", "gauge", "The bus model (--bus).");
	tb_printf(tb, "vgpu_bus_info{profile=\"%s\"} 1\n", b->profile);
	family(tb, "vgpu_bus_bandwidth_bytes_per_second", "gauge",
	       "Bandwidth of each direction of the modelled bus.");
	tb_printf(tb, "vgpu_bus_bandwidth_bytes_per_second %llu\n",
		  U(b->bandwidth));
	family(tb, "vgpu_bus_latency_seconds", "gauge",
	       "Latency of each transfer over the modelled bus.");
	tb_printf(tb, "vgpu_bus_latency_seconds %.9f\n", b->latency_ns / 1e9);
	static const struct {
		const char *name, *help;
		size_t off;
		bool seconds;
	} per_dir[] = {
	    {"vgpu_bus_bytes_total", "Bytes over the modelled bus.",
	     offsetof(struct bus_dir_stats, bytes), false},
	    {"vgpu_bus_transfers_total", "Transfers over the modelled bus.",
	     offsetof(struct bus_dir_stats, transfers), false},
	    {"vgpu_bus_modelled_seconds_total",
	     "Modelled time of the transfers: latency + bytes / bandwidth.",
	     offsetof(struct bus_dir_stats, modelled_ns), true},
	    {"vgpu_bus_real_seconds_total",
	     "Time the transfers really took, where the daemon sees them.",
	     offsetof(struct bus_dir_stats, real_ns), true},
	    {"vgpu_bus_waited_seconds_total",
	     "Time from the start of each transfer to its modelled end, "
	     "queueing behind others included.",
	     offsetof(struct bus_dir_stats, waited_ns), true},
	};
	for (size_t f = 0; f < sizeof(per_dir) / sizeof(per_dir[0]); f++) {
		family(tb, per_dir[f].name, "counter", per_dir[f].help);
		for (int d = 0; d < BUS_DIR_COUNT; d++) {
			uint64_t v;
			memcpy(&v, (const char *)&b->dir[d] + per_dir[f].off,
			       sizeof(v));
			if (per_dir[f].seconds)
				tb_printf(tb, "%s{direction=\"%s\"} %.9f\n",
					  per_dir[f].name, bus_dir_name(d),
					  v / 1e9);
			else
				tb_printf(tb, "%s{direction=\"%s\"} %llu\n",
					  per_dir[f].name, bus_dir_name(d),
					  U(v));
		}
	}
}

/* The compiles of users' programs, as stats' programs_* lines. */
static void metrics_render_programs(struct text_buf *tb)
{
	struct program_counts pc = program_counts();
	family(tb, "vgpu_programs_compiled_total", "counter",
	       "Users' programs compiled (cache misses), failures included.");
	tb_printf(tb, "vgpu_programs_compiled_total %llu\n", U(pc.compiled));
	family(tb, "vgpu_programs_cache_hits_total", "counter",
	       "Builds and launches that found their program compiled.");
	tb_printf(tb, "vgpu_programs_cache_hits_total %llu\n",
		  U(pc.cache_hits));
	family(tb, "vgpu_programs_compile_seconds_total", "counter",
	       "Time spent compiling users' programs.");
	tb_printf(tb, "vgpu_programs_compile_seconds_total %.6f\n",
		  pc.compile_ns / 1e9);
	family(tb, "vgpu_programs_last_compile_seconds", "gauge",
	       "How long the last compile of a user's program took.");
	tb_printf(tb, "vgpu_programs_last_compile_seconds %.6f\n",
		  pc.last_compile_ns / 1e9);
}

/* Users' kernels, like the built-ins' per_kernel families. */
static void metrics_user_kernels(struct text_buf *tb,
				 const struct stats_snapshot *s)
{
	static const struct {
		const char *name, *help;
		size_t off;
		bool seconds;
	} fields[] = {
	    {"vgpu_user_kernel_commands_total",
	     "Launches of users' kernels completed, by uid, program and "
	     "kernel.",
	     offsetof(struct user_kernel, count), false},
	    {"vgpu_user_kernel_failures_total",
	     "Launches of users' kernels that failed.",
	     offsetof(struct user_kernel, failed), false},
	    {"vgpu_user_kernel_seconds_total",
	     "Time from start to end of successful launches of users' "
	     "kernels.",
	     offsetof(struct user_kernel, ns), true},
	    {"vgpu_user_kernel_bytes_total",
	     "Bytes spanned by the buffers of successful launches of users' "
	     "kernels.",
	     offsetof(struct user_kernel, bytes), false},
	};
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		family(tb, fields[f].name, "counter", fields[f].help);
		for (size_t i = 0; i < s->nukernels; i++) {
			const struct user_kernel *k = &s->ukernels[i];
			char name[USER_KERNEL_NAME_MAX];
			clean_name(k->name, name);
			char *colon = strrchr(name, ':');
			const char *kernel = colon ? colon + 1 : "";
			if (colon)
				*colon = '\0';
			uint64_t v;
			memcpy(&v, (const char *)k + fields[f].off, sizeof(v));
			tb_printf(
			    tb, "%s{uid=\"%u\",program=\"%s\",kernel=\"%s\"} ",
			    fields[f].name, (unsigned)k->uid, name, kernel);
			if (fields[f].seconds)
				tb_printf(tb, "%.6f\n", v / 1e9);
			else
				tb_printf(tb, "%llu\n", U(v));
		}
	}
}

char *metrics_render(const struct stats_snapshot *s, size_t *len)
{
	struct text_buf tb = {0};
	family(&tb, "vgpu_info", "gauge", "Version of the vgpufs daemon.");
	tb_printf(&tb, "vgpu_info{version=\"%s\"} 1\n", VGPUFS_VERSION);
	family(&tb, "vgpu_uptime_seconds", "gauge",
	       "Seconds since the daemon started.");
	tb_printf(&tb, "vgpu_uptime_seconds %.6f\n", s->uptime_s);
	family(&tb, "vgpu_workers", "gauge", "Kernel worker threads.");
	tb_printf(&tb, "vgpu_workers %u\n", s->workers);
	family(&tb, "vgpu_worker_busy_seconds_total", "counter",
	       "Time each worker spent running kernel tiles.");
	for (unsigned w = 0; w < s->workers; w++)
		tb_printf(&tb,
			  "vgpu_worker_busy_seconds_total{worker=\"%u\"} "
			  "%.6f\n",
			  w, s->worker_busy_ns[w] / 1e9);
	family(&tb, "vgpu_contexts", "gauge", "Open contexts (queue files).");
	tb_printf(&tb, "vgpu_contexts %lld\n", (long long)s->contexts_all);
	family(&tb, "vgpu_blocked_readers", "gauge",
	       "read() calls waiting for a completion.");
	tb_printf(&tb, "vgpu_blocked_readers %lld\n",
		  (long long)s->blocked_readers);
	family(&tb, "vgpu_ring_spin_seconds_total", "counter",
	       "Time ring pollers spent spinning for packets.");
	tb_printf(&tb, "vgpu_ring_spin_seconds_total %.6f\n",
		  s->ring_spin_ns / 1e9);
	family(&tb, "vgpu_ring_sleeps_total", "counter",
	       "Times a ring poller went to sleep on its doorbell.");
	tb_printf(&tb, "vgpu_ring_sleeps_total %llu\n", U(s->ring_sleeps));
	family(&tb, "vgpu_buffers", "gauge", "Buffers under mem/.");
	tb_printf(&tb, "vgpu_buffers %llu\n", U(s->buffers));
	family(&tb, "vgpu_vram_used_bytes", "gauge", "Memory used, by tier.");
	for (int i = 0; i < TIER_COUNT; i++)
		if (s->tier[i].present)
			tb_printf(&tb,
				  "vgpu_vram_used_bytes{tier=\"%s\"} %llu\n",
				  tier_name(i), U(s->tier[i].used));
	family(&tb, "vgpu_vram_capacity_bytes", "gauge",
	       "Memory capacity, by tier.");
	for (int i = 0; i < TIER_COUNT; i++)
		if (s->tier[i].present)
			tb_printf(
			    &tb, "vgpu_vram_capacity_bytes{tier=\"%s\"} %llu\n",
			    tier_name(i), U(s->tier[i].capacity));
	family(&tb, "vgpu_tier_buffers", "gauge", "Buffers, by tier.");
	for (int i = 0; i < TIER_COUNT; i++)
		if (s->tier[i].present)
			tb_printf(&tb, "vgpu_tier_buffers{tier=\"%s\"} %llu\n",
				  tier_name(i), U(s->tier[i].buffers));
	metrics_render_bus(&tb, &s->bus);
	const struct ooc_stats *o = &s->ooc;
	family(&tb, "vgpu_staging_bytes", "gauge",
	       "Out-of-core staging memory (--staging), used and in all.");
	tb_printf(&tb, "vgpu_staging_bytes{state=\"used\"} %llu\n",
		  U(o->staging_used));
	tb_printf(&tb, "vgpu_staging_bytes{state=\"total\"} %llu\n",
		  U(o->staging_total));
	family(&tb, "vgpu_ooc_commands_total", "counter",
	       "Commands on disk-tier buffers run out of core, by runner.");
	tb_printf(&tb, "vgpu_ooc_commands_total{runner=\"stream\"} %llu\n",
		  U(o->commands_stream));
	tb_printf(&tb, "vgpu_ooc_commands_total{runner=\"gemm\"} %llu\n",
		  U(o->commands_gemm));
	family(&tb, "vgpu_ooc_bytes_total", "counter",
	       "Bytes staged between the disk tier and staging memory.");
	tb_printf(&tb, "vgpu_ooc_bytes_total{direction=\"read\"} %llu\n",
		  U(o->read_bytes));
	tb_printf(&tb, "vgpu_ooc_bytes_total{direction=\"write\"} %llu\n",
		  U(o->write_bytes));
	metrics_render_programs(&tb);
	static const struct {
		const char *name, *help;
		size_t off;
		bool seconds;
	} per_kernel[] = {
	    {"vgpu_commands_total", "Commands completed, by kernel.",
	     offsetof(struct stats_kernel, count), false},
	    {"vgpu_command_failures_total", "Commands that failed, by kernel.",
	     offsetof(struct stats_kernel, failed), false},
	    {"vgpu_kernel_seconds_total",
	     "Time from start to end of successful commands, by kernel.",
	     offsetof(struct stats_kernel, ns), true},
	    {"vgpu_kernel_flops_total",
	     "Floating-point operations of successful commands, by kernel.",
	     offsetof(struct stats_kernel, flops), false},
	    {"vgpu_kernel_bytes_total",
	     "Bytes spanned by the buffers of successful commands, by kernel.",
	     offsetof(struct stats_kernel, bytes), false},
	};
	for (size_t f = 0; f < sizeof(per_kernel) / sizeof(per_kernel[0]);
	     f++) {
		family(&tb, per_kernel[f].name, "counter", per_kernel[f].help);
		for (unsigned id = 0; id < VGPU_K_COUNT; id++) {
			uint64_t v;
			memcpy(&v,
			       (const char *)&s->kernel[id] + per_kernel[f].off,
			       sizeof(v));
			if (per_kernel[f].seconds)
				tb_printf(&tb, "%s{kernel=\"%s\"} %.6f\n",
					  per_kernel[f].name,
					  kernel_name((int)id), v / 1e9);
			else
				tb_printf(&tb, "%s{kernel=\"%s\"} %llu\n",
					  per_kernel[f].name,
					  kernel_name((int)id), U(v));
		}
	}
	metrics_user_kernels(&tb, s);
	family(&tb, "vgpu_input_errors_total", "counter",
	       "Lines or packets that named no known kernel.");
	tb_printf(&tb, "vgpu_input_errors_total %llu\n", U(s->unparsed));
	struct user_sum users[256];
	size_t nu = sum_users(s, users, 256);
	for (unsigned f = 0; f < U_FIELDS; f++) {
		family(&tb, user_fields[f].name, "gauge", user_fields[f].help);
		for (size_t i = 0; i < nu; i++)
			tb_printf(&tb, "%s{uid=\"%u\"} %.*f\n",
				  user_fields[f].name, (unsigned)users[i].uid,
				  f == U_BUSY_S ? 6 : 0, users[i].v[f]);
	}
	static const struct {
		const char *name, *help;
	} quota_fields[] = {
	    {"vgpu_user_quota_used_bytes",
	     "Bytes in each user's part of the RAM tier (--user-quota)."},
	    {"vgpu_user_quota_bytes",
	     "Size of each user's part of the RAM tier (--user-quota)."},
	};
	for (unsigned f = 0; s->quota && f < 2; f++) {
		family(&tb, quota_fields[f].name, "gauge",
		       quota_fields[f].help);
		for (size_t i = 0; i < s->nusers; i++)
			if (s->users[i].has_quota)
				tb_printf(
				    &tb, "%s{uid=\"%u\"} %llu\n",
				    quota_fields[f].name,
				    (unsigned)s->users[i].uid,
				    U(f ? s->quota : s->users[i].quota_used));
	}
	*len = tb.len;
	return tb_take(&tb);
}
