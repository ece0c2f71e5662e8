/*
 * Out-of-core runs: a command that touches large disk-tier buffers is not
 * run on mappings of their files (page faults, one page at a time) but by a
 * runner that streams the data through bounded RAM staging buffers with
 * explicit, overlapped reads and writes. A runner takes a job over after
 * plan(): it cuts the command into its own units of work, which the
 * scheduler hands to workers like tiles (fair share, cancellation).
 *
 * Staging memory comes from one budget for the whole device (--staging):
 * a runner that cannot get its minimum declines, and the job runs mapped.
 */
#ifndef VGPUFSD_OOC_H
#define VGPUFSD_OOC_H

#include <stdbool.h>
#include <stdint.h>

struct job;

struct ooc_runner {
	const char *name;
	/*
	 * After plan() (scheduler lock held: no blocking, no big
	 * allocation): 0 when the runner takes JOB over (job->ntiles is then
	 * its number of units, job->ooc_state its state); 1 when it declines
	 * (the job runs mapped, as if on RAM); -errno, with job->msg set,
	 * when the command must fail.
	 */
	int (*start)(struct job *job, unsigned workers);
	/* Unit UNIT of job->ntiles, on worker WORKER; 0 or -errno. */
	int (*run)(struct job *job, uint32_t unit, unsigned worker);
	/*
	 * After every unit ran and the kernel's finish(): waits until what
	 * the units wrote has reached the files. 0 or -errno.
	 */
	int (*end)(struct job *job);
	/*
	 * Frees the state and gives back its staging memory; first waits for
	 * any I/O still in flight (a cancelled job may never reach end()).
	 */
	void (*release)(struct job *job);
};

/*
 * The runner for JOB, just validated and mapped (tree_lock held), or NULL:
 * no disk-tier buffer worth streaming, or no runner for its kernel.
 */
const struct ooc_runner *ooc_select(const struct job *job);

/* The staging budget: set once at start (--staging). */
void ooc_staging_init(uint64_t bytes);
uint64_t ooc_staging_total(void);
/*
 * Takes between MIN and WANT bytes of the budget (as much as is free, in
 * multiples of GRAIN): how many, or 0 when not even MIN is free.
 */
uint64_t ooc_staging_take(uint64_t min, uint64_t want, uint64_t grain);
void ooc_staging_give(uint64_t bytes);
uint64_t ooc_staging_used(void);

/* What stats show (all since start but the staging figures). */
struct ooc_stats {
	uint64_t staging_total, staging_used;
	uint64_t commands_stream, commands_gemm; /* taken over by a runner */
	uint64_t read_bytes, write_bytes;	 /* staged from and to disk */
};
void ooc_stats_read(struct ooc_stats *s);
/* A runner took a command over (scheduler). */
void ooc_count_command(const struct ooc_runner *r);
/* A runner moved bytes between the disk tier and staging. */
void ooc_count_io(uint64_t read_bytes, uint64_t write_bytes);

/*
 * The share (0 to 1) of the LEN bytes of a file mapping at P that the page
 * cache holds, from up to 256 pages spread over them: cheap enough under
 * the scheduler's lock. mincore() answers for the file, whoever mapped it.
 * Runners read data the cache holds from there, not from the disk.
 */
double ooc_cached_share(const void *p, uint64_t len);

/* Disk-tier bytes below which a command runs mapped: not worth staging. */
#define OOC_MIN_BYTES (4u << 20)

#endif
