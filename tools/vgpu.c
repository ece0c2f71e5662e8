/*
 * vgpu: the command line tool of vgpufs (docs/cli.md). Run a command, show
 * the device's info and buffers, check its health, checkpoint and restore
 * buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_device;

static const char usage[] =
    "usage: vgpu [-d DEVICE] COMMAND [ARGS...]\n"
    "\n"
    "Commands:\n"
    "  run 'LINE'...  run text commands, print their completions\n"
    "  info [KEY]     the device's info, or one value of it\n"
    "  ls [DIR]       buffers under mem/: name, size, owner, mode\n"
    "  status         health check: does the device answer?\n"
    "  trace          record scheduler events as Chrome trace JSON\n"
    "  checkpoint DIR copy the RAM-tier buffers (--all: every buffer) to DIR\n"
    "  restore DIR    recreate a checkpoint's buffers under mem/\n"
    "\n"
    "Options:\n"
    "  -d, --device DEVICE  the device's mount point (default: "
    "$VGPU_DEVICE,\n"
    "                       else " VGPU_DEFAULT_DEVICE ")\n"
    "  -h, --help           this help; vgpu COMMAND --help for a "
    "command's\n"
    "  -V, --version        the version\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  the command ran and failed (run: an error completion)\n"
    "  2  wrong usage\n"
    "  3  device unreachable: nothing mounted there, not a vgpufs "
    "device,\n"
    "     its daemon gone, or no answer in time\n"
    "  4  any other error (permission denied, no such directory, ...)\n";

int cli_usage_error(const char *use, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vgpu: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%.*s", (int)(strchr(use, '\n') - use + 1), use);
	return EXIT_USAGE;
}

char *cli_format(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		fputs("vgpu: out of memory\n", stderr);
		exit(EXIT_ERROR);
	}
	return s;
}

int cli_fail(int err, const char *message)
{
	fprintf(stderr, "vgpu: %s\n", message);
	switch (-err) {
	case ENOTCONN:
	case ECONNABORTED:
	case ESHUTDOWN:
	case ETIMEDOUT:
	case ENODEV:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_ERROR;
	}
}

int cli_open(vgpu_device **dev)
{
	int rc = vgpu_open(cli_device, dev);
	if (rc < 0) {
		fprintf(stderr, "vgpu: %s\n",
			vgpu_last_message((vgpu_device *)NULL));
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

int cli_open_args(int argc, int min, int max, const char *use,
		  vgpu_device **dev)
{
	if (argc - optind < min)
		return cli_usage_error(use, "missing argument");
	if (argc - optind > max)
		return cli_usage_error(use, "too many arguments");
	return cli_open(dev);
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *use)
{
	/* The subcommand's options, then -d and -h. */
	struct option all[16];
	int n = 0;
	while (longopts && longopts[n].name && n < 13) {
		all[n] = longopts[n];
		n++;
	}
	all[n++] = (struct option){"device", required_argument, NULL, 'd'};
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	all[n] = (struct option){0};
	char opts[64];
	snprintf(opts, sizeof(opts), "+%sd:h", shortopts);
	for (;;) {
		int c = getopt_long(argc, argv, opts, all, NULL);
		if (c == 'd') {
			cli_device = optarg;
		} else if (c == 'h') {
			fputs(use, stdout);
			exit(EXIT_OK);
		} else {
			return c;
		}
	}
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
    {"run", cmd_run},	      {"info", cmd_info},
    {"ls", cmd_ls},	      {"status", cmd_status},
    {"trace", cmd_trace},     {"checkpoint", cmd_checkpoint},
    {"restore", cmd_restore},
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	int c;
	while ((c = cli_getopt(argc, argv, "V", longopts, usage)) != -1) {
		if (c == 'V') {
			printf("vgpu %s\n", vgpu_version());
			return EXIT_OK;
		}
		return cli_usage_error(usage, "unknown option");
	}
	if (optind == argc)
		return cli_usage_error(usage, "no command given");
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			/* The subcommand parses from its own name on. */
			int sub_argc = argc - optind;
			optind = 1;
			return commands[i].run(sub_argc,
					       argv + argc - sub_argc);
		}
	}
	return cli_usage_error(usage, "unknown command '%s'", name);
}
