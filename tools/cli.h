/* The vgpu command line tool: what its subcommands share. */
#ifndef VGPU_CLI_H
#define VGPU_CLI_H

#include <getopt.h>

#include <vgpu/vgpu.h>

#include "human_size.h"

/* Exit codes, as `vgpu --help` documents them. */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* the command ran and failed */
	EXIT_USAGE = 2,	      /* wrong options or arguments */
	EXIT_UNREACHABLE = 3, /* no device there, or it does not answer */
	EXIT_ERROR = 4,	      /* anything else (permissions, ...) */
};

/* The device chosen by -d (NULL: $VGPU_DEVICE or /dev/vgpu0). */
extern const char *cli_device;

/*
 * Parses a subcommand's options: -d/--device and -h/--help are handled
 * here (help prints USAGE and exits 0); others are returned like
 * getopt_long() does. SHORT and LONG are the subcommand's own.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *usage);
/* Prints "vgpu: MESSAGE" and USAGE's first line; returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Opens cli_device; on failure prints why and returns EXIT_UNREACHABLE. */
int cli_open(vgpu_device **dev);
/*
 * After the options: checks that MIN to MAX arguments are left (else a
 * usage error), then cli_open(). Returns EXIT_OK or the exit code.
 */
int cli_open_args(int argc, int min, int max, const char *usage,
		  vgpu_device **dev);
/* Prints "vgpu: MESSAGE"; returns the exit code that ERR calls for. */
int cli_fail(int err, const char *message);

/* asprintf() that exits with a message when out of memory. */
char *cli_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
