/*
 * vgpufs-top (docs/top.md): what its files share. A view is what one
 * refresh shows: the newest stats snapshot with the rates since the one
 * before, and the processes' rows; the history keeps the rates of past
 * refreshes for the graphs.
 */
#ifndef VGPUFS_TOP_H
#define VGPUFS_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpu/vgpu.h>

#include "human_size.h"

#define TOP_NAME "vgpufs-top"

/* Columns of the process table, in the order shown (the command last). */
enum top_col {
	COL_PID,
	COL_USER,
	COL_CTX,
	COL_QUEUED,
	COL_INFLIGHT,
	COL_RUNNING,
	COL_GPU,
	COL_TIME,
	COL_MEM,
	COL_COMMAND,
	COL_COUNT
};

/* One process: the sum of its contexts. */
struct top_proc {
	int pid;
	unsigned uid;
	char user[32];
	char comm[16];
	unsigned contexts, queued, inflight;
	char running[32]; /* a kernel one of its contexts runs, or "-" */
	double gpu_pct;	  /* of all workers' time, over the interval */
	double busy_seconds;
	uint64_t mem_bytes;
};

struct top_view {
	vgpu_stats *st;	 /* the newest snapshot (owned) */
	double interval; /* seconds since the previous one */
	double util_pct; /* all workers */
	double *worker_pct;
	double commands_per_s, failed_per_s, gflops, gbytes_per_s;
	uint64_t mem_used, mem_total; /* all tiers */
	struct top_proc *procs;
	size_t nprocs;
};

/*
 * Makes V from CUR (taken over, freed on failure too) and PREV, the
 * snapshot before it (NULL: rates since the daemon started). -ENOMEM.
 */
int top_view_make(struct top_view *v, const vgpu_stats *prev, vgpu_stats *cur);
/* Orders the rows by COL (descending for numbers, ascending for text). */
void top_view_sort(struct top_view *v, enum top_col col, bool reverse);
void top_view_free(struct top_view *v);

/* The columns' names as headers show them: "PID", "GPU%", ... */
extern const char *const top_col_names[COL_COUNT];

/* --- history: the rates of the last refreshes, for the graphs --------- */

enum top_series { SER_UTIL, SER_COMMANDS, SER_GFLOPS, SER_MEM, SER_COUNT };

#define TOP_HISTORY_MAX 1024

struct top_history {
	double v[SER_COUNT][TOP_HISTORY_MAX];
	size_t head, len; /* next slot; how many are kept */
};

void top_history_push(struct top_history *h, const struct top_view *v);
/* Value I of series S counting back from the newest (0); I < h->len. */
double top_history_get(const struct top_history *h, enum top_series s,
		       size_t i);
/* The largest of the newest N values of S. */
double top_history_max(const struct top_history *h, enum top_series s,
		       size_t n);

/* --- units ------------------------------------------------------------- */

/* SECONDS as "1:02:03" (hours:minutes:seconds) or "3d 1:02:03". */
void top_uptime(double seconds, char *out, size_t len);
/* Worker time as top's TIME+: "12:34.56" (minutes:seconds). */
void top_cputime(double seconds, char *out, size_t len);

/* --- the two front ends ----------------------------------------------- */

struct top_options {
	const char *device; /* mount point */
	double delay;	    /* seconds between refreshes */
	long count;	    /* refreshes before exiting; 0: until quit */
	bool batch;
	enum top_col sort;
	bool reverse;
};

/*
 * Reads a snapshot of the device, opening it first when *DEV is NULL; on
 * failure closes it, sets *DEV to NULL, writes why into MSG and returns
 * -errno.
 */
int top_read(const char *path, vgpu_device **dev, vgpu_stats **st, char *msg,
	     size_t len);

/*
 * Why reading PATH failed with -errno RC, in words for the user ("PATH:
 * not a vgpufs device (is vgpufsd running?)"); LIBMSG, libvgpu's message,
 * for other errors when not "".
 */
void top_explain(int rc, const char *path, const char *libmsg, char *msg,
		 size_t len);

/* --- the sampler: the device read in a child process ------------------ */

struct top_sampler;
/* Starts the child that reads PATH/stats; NULL on failure. */
struct top_sampler *top_sampler_start(const char *path);
/* Asks for a reading, unless one is under way. */
void top_sampler_request(struct top_sampler *s);
/* Readable when a reading is done. */
int top_sampler_fd(const struct top_sampler *s);
/*
 * Takes the reading once the fd is readable: true with *ST (yours), or
 * *ST NULL and why in MSG; false when no reading was asked for.
 */
bool top_sampler_take(struct top_sampler *s, vgpu_stats **st, char *msg,
		      size_t len);
/* Seconds the reading under way has taken so far; 0 when none is. */
double top_sampler_waiting(const struct top_sampler *s);
/* Lets the child go (it ends when the daemon lets it) and frees S. */
void top_sampler_stop(struct top_sampler *s);
/* CLOCK_MONOTONIC in seconds. */
double top_now(void);

/* Prints COUNT refreshes as plain text; the exit status. */
int top_batch(const struct top_options *o);
/* The full-screen monitor until q; the exit status. */
int top_screen(const struct top_options *o);

#endif
