/* Command line and configuration file of vgpufsd. */
#ifndef VGPUFSD_OPTIONS_H
#define VGPUFSD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct options {
	char mountpoint[4096];
	char name[64];	      /* device name shown in info: basename */
	uint64_t vram_bytes;  /* RAM tier capacity */
	char disk_dir[4000];  /* disk tier directory; "" for none */
	bool disk_set;	      /* --disk given (else the default, if any) */
	uint64_t disk_bytes;  /* disk tier capacity; 0: free space at start */
	bool ram_full_enospc; /* a full RAM tier fails instead of spilling */
	bool auto_tier;	      /* demote LRU idle buffers, promote on open */
	bool disk_sync_none;  /* completions do not wait for the disk */
	uint64_t user_quota;  /* bytes of the RAM tier per user; 0: none */
	/* --user-buffers, --user-disk-quota: 0 default, UINT64_MAX none */
	uint64_t user_buffers, user_disk_quota;
	uint64_t staging; /* out-of-core staging memory; 0: none */
	char bus[128];	  /* --bus spec (bus.h); "" or "none": no bus */
	unsigned workers; /* kernel worker threads */
	unsigned kernel_timeout_s; /* a launch's running time at most */
	bool foreground;
	bool uring;	      /* FUSE over io_uring when the kernel has it */
	unsigned uring_depth; /* io_uring queue depth per CPU */
	unsigned queue_depth; /* commands in flight per context */
	unsigned max_contexts_per_user; /* root exempt; 0: no limit */
	int log_level;
};

/*
 * Fills OPTS from the defaults, then --config FILE, then the command line
 * (which wins). Returns 0, 1 when the program should exit successfully
 * (--help, --version), or -1 after printing an error.
 */
int options_parse(struct options *opts, int argc, char **argv);

#endif
