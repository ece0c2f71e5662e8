/*
 * What the benchmarks share: a device of their own (a vgpufsd started on a
 * temporary mount point), buffers mapped from it, one-command round trips,
 * and the report line that puts a figure next to its same-run baseline.
 */
#ifndef VGPUFS_BENCH_HARNESS_H
#define VGPUFS_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct device {
	pid_t pid;
	char mnt[64];
	unsigned workers;
	bool uring;
};

double now(void);     /* seconds, monotonic */
int64_t now_ns(void); /* the same, in nanoseconds */
/* The P-quantile of V[0..N) (sorts V). */
double percentile(double *v, size_t n, double p);
void die(const char *what);

/* The value of option NAME ("--name VALUE") before "--", or NULL. */
const char *bench_option(int argc, char **argv, const char *name);
/* The ROWS of "--only ROWS" before "--", or NULL (every row). */
const char *bench_only(int argc, char **argv);
/* Whether ROW is among the comma-separated ONLY (NULL: every row). */
bool bench_wanted(const char *only, const char *row);

/*
 * In a forked server (the daemon, the bare file system): a session of its
 * own, as users start daemons, unless VGPUFS_BENCH_SAME_SESSION is set;
 * stopped (SIGTERM) if the bench dies.
 */
void bench_own_session(void);
/* Starts BIN on a new temporary mount point with options EXTRA (NULL-
 * terminated, may be NULL) and waits until it answers. */
void device_start(struct device *d, const char *bin, char **extra);
void device_stop(struct device *d);
/*
 * Parses "[--quick] [-- DAEMON_OPTIONS...]", starts the device ($VGPUFSD
 * or BIN) and prints the header line naming WHAT; returns whether --quick.
 */
bool bench_start(int argc, char **argv, const char *bin, const char *what,
		 struct device *d);
/* D's mount point joined with REL (four results stay valid at once). */
char *path(const struct device *d, const char *rel);
/* Creates (or resizes) mem/NAME to BYTES and maps it. */
void *map_buffer(const struct device *d, const char *name, size_t bytes);
void unmap_buffer(const struct device *d, const char *name, void *p,
		  size_t bytes);
/* One command on context FD, waiting for its completion; exits on err. */
void submit(int fd, const char *line);
/* submit(), returning the command's own time (its ELAPSED_US) in seconds. */
double submit_elapsed(int fd, const char *line);
/* The text of docs/examples/opencl/FILE (an OpenCL C kernel), malloc'd. */
char *cl_source(const char *file);
/* The number on the device's stats line "KEY value"; -1 if none. */
double stats_value(const struct device *d, const char *key);
/* Whether the device serves FUSE over io_uring (after some requests). */
bool transport_is_uring(const struct device *d);

struct result {
	const char *name, *unit;
	double value, baseline, target; /* target 0: none, for information */
	bool higher_better; /* which side of the target ratio is good */
};
void report(const struct result *r);
/*
 * NAME's VALUE against BASELINE, measured in N pairs (at most 64), each
 * pair side by side in time (a pass): the ratio is the median of the
 * pairs' ratios, so that the machine's drift, which hits a pass, hits
 * both sides of it; the value and baseline shown are each side's median.
 */
void report_paired(const char *name, const char *unit, const double *value,
		   const double *baseline, size_t n, double target,
		   bool higher_better);
/* Reports VALUE against a competitor's BASELINE (target: ahead of it). */
void report_vs(const char *name, const char *unit, double value,
	       double baseline);

#endif
