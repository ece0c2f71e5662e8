/* vgpufs-top: options, then the full screen or batch mode (docs/top.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "top.h"

static const char usage[] =
    "usage: " TOP_NAME " [-b] [-d SECONDS] [-n COUNT] [-s COLUMN] [-r] "
    "[DEVICE]\n"
    "\n"
    "Shows what a vgpufs device does: its workers' utilization, memory,\n"
    "commands and GFLOP/s, their history, and the processes using it.\n"
    "DEVICE is its mount point (default: $VGPU_DEVICE, "
    "else " VGPU_DEFAULT_DEVICE ").\n"
    "\n"
    "  -b, --batch          plain lines for scripts instead of the screen\n"
    "  -d, --delay SECONDS  time between refreshes (default 1)\n"
    "  -n, --count COUNT    refreshes before exiting (default: until q,\n"
    "                       or for ever in batch mode)\n"
    "  -s, --sort COLUMN    sort the processes by COLUMN: pid user command\n"
    "                       ctx queued inflight running gpu% time mem\n"
    "                       (default gpu%)\n"
    "  -r, --reverse        reverse the order\n"
    "  -h, --help           this help\n"
    "  -V, --version        the version\n"
    "\n"
    "Keys: q quit, h or ? help, p or space pause, s or > next sort column,\n"
    "< previous, r reverse, arrows and PgUp/PgDn scroll.\n"
    "\n"
    "Exit status: 0 after q or COUNT refreshes, 1 when the device cannot\n"
    "be read (batch mode), 2 for wrong usage.\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, TOP_NAME ": %s%s%s%s\n%.*s", what, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "",
		(int)(strchr(usage, '\n') - usage + 1), usage);
	return 2;
}

static bool parse_column(const char *name, enum top_col *col)
{
	for (int c = 0; c < COL_COUNT; c++)
		if (strcasecmp(name, top_col_names[c]) == 0 ||
		    (c == COL_GPU && strcasecmp(name, "gpu") == 0)) {
			*col = (enum top_col)c;
			return true;
		}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"batch", no_argument, NULL, 'b'},
	    {"delay", required_argument, NULL, 'd'},
	    {"count", required_argument, NULL, 'n'},
	    {"sort", required_argument, NULL, 's'},
	    {"reverse", no_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	struct top_options o = {.delay = 1, .sort = COL_GPU};
	int opt;
	char *end;
	while ((opt = getopt_long(argc, argv, "bd:n:s:rhV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'b':
			o.batch = true;
			break;
		case 'd':
			o.delay = strtod(optarg, &end);
			if (*end || !(o.delay >= 0.05 && o.delay <= 86400))
				return usage_error(
				    "the delay must be 0.05 to 86400 seconds, "
				    "not",
				    optarg);
			break;
		case 'n':
			o.count = strtol(optarg, &end, 10);
			if (*end || end == optarg || o.count < 1)
				return usage_error("bad count", optarg);
			break;
		case 's':
			if (!parse_column(optarg, &o.sort))
				return usage_error("no such column", optarg);
			break;
		case 'r':
			o.reverse = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf(TOP_NAME " %s\n", vgpu_version());
			return 0;
		default:
			return usage_error("unknown option", NULL);
		}
	}
	if (argc - optind > 1)
		return usage_error("one device at most", NULL);
	o.device = optind < argc ? argv[optind] : getenv("VGPU_DEVICE");
	if (!o.device || !*o.device)
		o.device = VGPU_DEFAULT_DEVICE;
	if (o.batch)
		return top_batch(&o);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, TOP_NAME ": not a terminal: use -b for plain "
					 "output\n");
		return 2;
	}
	return top_screen(&o);
}
