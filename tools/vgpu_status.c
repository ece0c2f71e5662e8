/*
 * vgpu status: a health check for scripts and systemd. The device must
 * answer a nop in time. A hung daemon makes a file call block, and a
 * process with a thread blocked there cannot even exit; so the check runs
 * in a child process, and the parent answers when the time is up, leaving
 * the child to end whenever the daemon lets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: vgpu status [-d DEVICE] [-t SECONDS] [-q]\n"
    "\n"
    "Checks that the device answers: opens it, reads its info, runs a\n"
    "nop on a new context and waits for its completion. Prints one line\n"
    "such as 'vgpu0: ok, 0.1.0, 2 workers, nop in 41 us, ram 4.0M of\n"
    "12G used' on success, why not otherwise (on stderr).\n"
    "\n"
    "  -t, --timeout SECONDS  how long to wait for the answer (default 5)\n"
    "  -q, --quiet            print nothing on success\n"
    "\n"
    "Exit status: 0 when the device answered, 2 for wrong usage, 3 when\n"
    "it is unreachable or did not answer in time.\n";

struct check {
	int status;
	char line[512];
};

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The check itself; fills c->status and c->line. */
static void run_check(struct check *c)
{
	vgpu_device *dev;
	vgpu_info info;
	vgpu_stream *s;
	c->status = EXIT_UNREACHABLE;
	if (vgpu_open(cli_device, &dev) < 0) {
		snprintf(c->line, sizeof(c->line), "%s",
			 vgpu_last_message((vgpu_device *)NULL));
		return;
	}
	double t0 = 0, t1 = 0;
	int rc = vgpu_info_get(dev, &info);
	if (rc == 0)
		rc = vgpu_stream_create(dev, &s);
	if (rc == 0) {
		t0 = seconds();
		rc = vgpu_wait(s, VGPU_LAUNCH(s, "nop"));
		t1 = seconds();
		vgpu_stream_destroy(s);
	}
	if (rc < 0) {
		snprintf(c->line, sizeof(c->line), "%s: %s",
			 vgpu_device_path(dev), vgpu_last_message(dev));
	} else {
		char used[16], cap[16];
		human_size(info.used, used, sizeof(used));
		human_size(info.capacity, cap, sizeof(cap));
		snprintf(c->line, sizeof(c->line),
			 "%s: ok, %s, %u workers, nop in %.0f us, %s %s of %s "
			 "used",
			 info.name, info.version, info.workers, (t1 - t0) * 1e6,
			 info.tiers, used, cap);
		c->status = EXIT_OK;
	}
	vgpu_close(dev);
}

/* Runs the check in a child; its result, or false after TIMEOUT s. */
static bool check_in_child(double timeout, struct check *c)
{
	int p[2];
	if (pipe(p) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		/* A caller reading our output must not wait for this one. */
		int null = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		close(p[0]);
		run_check(c);
		ssize_t n = write(p[1], c, sizeof(*c));
		_exit(n == (ssize_t)sizeof(*c) ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	bool got = pid > 0 && poll(&pf, 1, (int)(timeout * 1000)) == 1 &&
		   read(p[0], c, sizeof(*c)) == (ssize_t)sizeof(*c);
	close(p[0]);
	if (got)
		waitpid(pid, NULL, 0);
	return got;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"quiet", no_argument, NULL, 'q'},
	    {0},
	};
	double timeout = 5;
	bool quiet = false;
	int opt;
	while ((opt = cli_getopt(argc, argv, "t:q", longopts, usage)) != -1) {
		char *end;
		if (opt == 'q') {
			quiet = true;
		} else if (opt == 't') {
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0 && timeout < 1e6))
				return cli_usage_error(
				    usage, "bad timeout '%s'", optarg);
		} else {
			return cli_usage_error(usage, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(usage, "no arguments expected");
	fflush(stdout);
	struct check c;
	if (!check_in_child(timeout, &c)) {
		const char *env = getenv("VGPU_DEVICE");
		fprintf(stderr, "vgpu: %s: no answer within %g s\n",
			cli_device    ? cli_device
			: env && *env ? env
				      : VGPU_DEFAULT_DEVICE,
			timeout);
		return EXIT_UNREACHABLE;
	}
	if (c.status != EXIT_OK)
		fprintf(stderr, "vgpu: %s\n", c.line);
	else if (!quiet)
		puts(c.line);
	return c.status;
}
