/*
 * The stats file's contract, spelled once: its "KEY VALUE" lines as the
 * daemon writes them and libvgpu reads them (docs/file-tree.md, stats).
 * Families are a prefix, a name or number, and a field.
 */
#ifndef VGPUFS_STATS_KEYS_H
#define VGPUFS_STATS_KEYS_H

#define VGPU_STAT_VERSION	  "version"
#define VGPU_STAT_UPTIME	  "uptime_seconds"
#define VGPU_STAT_WORKERS	  "workers"
#define VGPU_STAT_BUSY		  "worker_busy_seconds"
#define VGPU_STAT_CONTEXTS	  "contexts"
#define VGPU_STAT_BLOCKED_READERS "blocked_readers"
#define VGPU_STAT_BUFFERS	  "buffers"
#define VGPU_STAT_COMMANDS	  "commands_total"
#define VGPU_STAT_FAILED	  "commands_failed"
#define VGPU_STAT_FLOPS		  "flops_total"
#define VGPU_STAT_BYTES		  "bytes_total"

/* ring pollers: time spent spinning for packets, and sleeps on a doorbell */
#define VGPU_STAT_RING_SPIN_SECONDS "ring_spin_seconds"
#define VGPU_STAT_RING_SLEEPS	    "ring_sleeps"
/* users' programs compiled, and builds and launches the cache served */
#define VGPU_STAT_PROGRAMS_COMPILED "programs_compiled"
#define VGPU_STAT_PROGRAMS_CACHED   "programs_cache_hits"
/* ...the time their compiles took in all (failed ones included), the last's */
#define VGPU_STAT_PROGRAMS_COMPILE_SECONDS "programs_compile_seconds"
#define VGPU_STAT_PROGRAMS_LAST_COMPILE	   "programs_last_compile_seconds"

/* worker.INDEX.busy_seconds, worker.INDEX.kernel */
#define VGPU_STAT_WORKER	      "worker."
#define VGPU_STAT_WORKER_BUSY_FIELD   ".busy_seconds"
#define VGPU_STAT_WORKER_KERNEL_FIELD ".kernel"

/* vram_TIER_used_bytes, vram_TIER_total_bytes, vram_TIER_buffers */
#define VGPU_STAT_VRAM	       "vram_"
#define VGPU_STAT_VRAM_USED    "_used_bytes"
#define VGPU_STAT_VRAM_TOTAL   "_total_bytes"
#define VGPU_STAT_VRAM_BUFFERS "_buffers"

/* kernel.NAME.FIELD */
#define VGPU_STAT_KERNEL    "kernel."
#define VGPU_STAT_K_COUNT   "count"
#define VGPU_STAT_K_FAILED  "failed"
#define VGPU_STAT_K_SECONDS "seconds"
#define VGPU_STAT_K_FLOPS   "flops"
#define VGPU_STAT_K_BYTES   "bytes"

/* program.UID.PROGRAM:KERNEL FIELD=VALUE ...: users' kernels (launch) */
#define VGPU_STAT_PROGRAM   "program."
#define VGPU_STAT_P_COUNT   "count"
#define VGPU_STAT_P_FAILED  "failed"
#define VGPU_STAT_P_SECONDS "seconds"
#define VGPU_STAT_P_BYTES   "bytes"

/* context.ID FIELD=VALUE ... */
#define VGPU_STAT_CONTEXT     "context."
#define VGPU_STAT_C_PID	      "pid"
#define VGPU_STAT_C_UID	      "uid"
#define VGPU_STAT_C_COMM      "comm"
#define VGPU_STAT_C_QUEUED    "queued"
#define VGPU_STAT_C_INFLIGHT  "inflight"
#define VGPU_STAT_C_SUBMITTED "submitted"
#define VGPU_STAT_C_COMPLETED "completed"
#define VGPU_STAT_C_FAILED    "failed"
#define VGPU_STAT_C_BUSY      "busy_seconds"
#define VGPU_STAT_C_RUNNING   "running"
#define VGPU_STAT_C_MEM_BYTES "mem_bytes"

/* user.UID FIELD=VALUE ... */
#define VGPU_STAT_USER	       "user."
#define VGPU_STAT_U_BUFFERS    "buffers"
#define VGPU_STAT_U_BYTES      "bytes"
#define VGPU_STAT_U_QUOTA_USED "quota_used"
#define VGPU_STAT_U_QUOTA      "quota"

#endif
