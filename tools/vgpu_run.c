/* vgpu run: text commands, each on a new context, completions printed. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"

static const char usage[] =
    "usage: vgpu run [-d DEVICE] 'LINE'...\n"
    "\n"
    "Runs each LINE, a text command such as 'fill buf=x value=1 n=1M'\n"
    "(docs/commands.md), on a new context of its own, one after another;\n"
    "waits for it and prints its completion line, e.g. '1 ok fill 12'\n"
    "or '1 err EINVAL: fill: ...'.\n"
    "\n"
    "Exit status: 0 when every command succeeded, 1 when one failed\n"
    "(the others still run), 2 for a LINE with no command, 3 when the\n"
    "device is unreachable, 4 for other errors.\n";

int cmd_run(int argc, char **argv)
{
	if (cli_getopt(argc, argv, "", NULL, usage) != -1)
		return cli_usage_error(usage, "unknown option");
	vgpu_device *dev;
	int status = cli_open_args(argc, 1, argc, usage, &dev);
	if (status != EXIT_OK)
		return status;
	for (int i = optind; i < argc; i++) {
		char reply[8192] = "";
		int rc = vgpu_run_text(dev, argv[i], reply, sizeof(reply));
		if (reply[0]) { /* the command ran: its completion */
			puts(reply);
			if (rc < 0 && status == EXIT_OK)
				status = EXIT_FAILED;
		} else if (rc < 0) {
			int code = cli_fail(rc, vgpu_last_message(dev));
			status = rc == -EINVAL ? EXIT_USAGE : code;
			break;
		}
	}
	vgpu_close(dev);
	return status;
}
