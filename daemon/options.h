/* Command line and configuration file of vgpufsd. */
#ifndef VGPUFSD_OPTIONS_H
#define VGPUFSD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct options {
	char mountpoint[4096];
	char name[64];	     /* device name shown in info: basename */
	uint64_t vram_bytes; /* RAM tier capacity */
	uint64_t user_quota; /* bytes of the RAM tier per user; 0: none */
	unsigned workers;    /* kernel worker threads */
	bool foreground;
	bool uring;	      /* FUSE over io_uring when the kernel has it */
	unsigned uring_depth; /* io_uring queue depth per CPU */
	unsigned queue_depth; /* commands in flight per context */
	int log_level;
};

/*
 * Fills OPTS from the defaults, then --config FILE, then the command line
 * (which wins). Returns 0, 1 when the program should exit successfully
 * (--help, --version), or -1 after printing an error.
 */
int options_parse(struct options *opts, int argc, char **argv);

#endif
