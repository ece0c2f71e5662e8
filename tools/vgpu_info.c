/* vgpu info: the device's info file, or one value of it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: vgpu info [-d DEVICE] [KEY]\n"
    "\n"
    "Prints the device's info: 'key: value' lines (name, version,\n"
    "protocol, workers, tiers and capacities, kernels, ...). With KEY,\n"
    "prints its value alone, e.g. 'vgpu info tier.ram.capacity'.\n"
    "\n"
    "Exit status: 0, 2 for wrong usage, 3 when the device is\n"
    "unreachable, 4 when there is no such KEY.\n";

/* Copies the info file to stdout. */
static int print_all(vgpu_device *dev)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/info", vgpu_device_path(dev));
	FILE *f = fopen(path, "re");
	if (!f) {
		char msg[4200];
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		return cli_fail(-errno, msg);
	}
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
	if (cli_getopt(argc, argv, "", NULL, usage) != -1)
		return cli_usage_error(usage, "unknown option");
	vgpu_device *dev;
	int status = cli_open_args(argc, 0, 1, usage, &dev);
	if (status != EXIT_OK)
		return status;
	if (optind == argc) {
		status = print_all(dev);
	} else {
		char value[65536];
		int rc =
		    vgpu_info_value(dev, argv[optind], value, sizeof(value));
		if (rc < 0)
			status = cli_fail(rc, vgpu_last_message(dev));
		else
			puts(value);
	}
	vgpu_close(dev);
	return status;
}
