#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/text_proto.h>

#include "log.h"
#include "options.h"
#include "version.h"

static const char usage[] =
    "usage: vgpufsd [OPTIONS] [MOUNTPOINT]\n"
    "Mounts a virtual GPU as a file tree (default MOUNTPOINT: /dev/vgpu0).\n"
    "\n"
    "  --vram SIZE        RAM tier capacity, K/M/G/T suffixes (default: half "
    "of memory)\n"
    "  --user-quota SIZE  RAM tier bytes each user but root may use, set "
    "aside\n"
    "                     from --vram while the user has buffers (default: "
    "none)\n"
    "  --workers N        kernel worker threads (default: online CPUs)\n"
    "  --foreground, -f   stay in the foreground\n"
    "  --config FILE      read 'key = value' lines (same keys as these "
    "options)\n"
    "  --no-uring         do not use FUSE over io_uring even if the kernel "
    "offers it\n"
    "  --uring-depth N    io_uring requests per CPU queue (default 512); "
    "blocked\n"
    "                     readers of queue each hold one, so keep it above "
    "the\n"
    "                     number of contexts that wait at once\n"
    "  --queue-depth N    commands a context may have in flight (default "
    "4096);\n"
    "                     past it, or past 1 MiB of unread completions,\n"
    "                     write() waits (EAGAIN with O_NONBLOCK)\n"
    "  --log-level LEVEL  error, warning, info (default) or debug\n"
    "  --help, --version\n";

static uint64_t default_vram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psize <= 0)
		return 1ULL << 30;
	return (uint64_t)pages * (uint64_t)psize / 2;
}

static int parse_size(const char *s, uint64_t *out)
{
	int64_t v;
	if (vgpu_parse_int(s, strlen(s), &v) < 0 || v <= 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	int64_t v;
	if (vgpu_parse_int(s, strlen(s), &v) < 0 || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* One option by its long name; shared by the command line and the file. */
static int set_option(struct options *o, const char *key, const char *val)
{
	int lvl;
	if (strcmp(key, "vram") == 0) {
		if (parse_size(val, &o->vram_bytes) == 0)
			return 0;
	} else if (strcmp(key, "user-quota") == 0) {
		if (parse_size(val, &o->user_quota) == 0)
			return 0;
	} else if (strcmp(key, "workers") == 0) {
		if (parse_uint(val, 1, 1024, &o->workers) == 0)
			return 0;
	} else if (strcmp(key, "uring-depth") == 0) {
		if (parse_uint(val, 8, 65536, &o->uring_depth) == 0)
			return 0;
	} else if (strcmp(key, "queue-depth") == 0) {
		if (parse_uint(val, 1, 1u << 20, &o->queue_depth) == 0)
			return 0;
	} else if (strcmp(key, "log-level") == 0) {
		if ((lvl = log_level_parse(val)) >= 0) {
			o->log_level = lvl;
			return 0;
		}
	} else if (strcmp(key, "foreground") == 0 ||
		   strcmp(key, "uring") == 0) {
		bool on = strcmp(val, "1") == 0 || strcmp(val, "yes") == 0 ||
			  strcmp(val, "true") == 0;
		if (!on && strcmp(val, "0") && strcmp(val, "no") &&
		    strcmp(val, "false"))
			goto bad;
		*(key[0] == 'f' ? &o->foreground : &o->uring) = on;
		return 0;
	} else if (strcmp(key, "mountpoint") == 0) {
		snprintf(o->mountpoint, sizeof(o->mountpoint), "%s", val);
		return 0;
	} else {
		fprintf(stderr, "vgpufsd: unknown option '%s'\n", key);
		return -1;
	}
bad:
	fprintf(stderr, "vgpufsd: invalid value '%s' for %s\n", val, key);
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int read_config(struct options *o, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "vgpufsd: cannot read config %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr,
				"vgpufsd: %s:%d: expected key = value\n", path,
				lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		rc = set_option(o, trim(s), trim(eq + 1));
		if (rc < 0)
			fprintf(stderr, "vgpufsd: in %s:%d\n", path, lineno);
	}
	fclose(f);
	return rc;
}

int options_parse(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"vram", required_argument, NULL, 'v'},
	    {"user-quota", required_argument, NULL, 'q'},
	    {"workers", required_argument, NULL, 'w'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"no-uring", no_argument, NULL, 'U'},
	    {"uring-depth", required_argument, NULL, 'D'},
	    {"queue-depth", required_argument, NULL, 'Q'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0}};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct options){.vram_bytes = default_vram(),
			      .workers = ncpu > 0 ? (unsigned)ncpu : 1,
			      .uring = true,
			      .uring_depth = 512,
			      .queue_depth = 4096,
			      .log_level = LOG_LVL_INFO};
	snprintf(o->mountpoint, sizeof(o->mountpoint), "/dev/vgpu0");

	/* The config file first, so that the command line overrides it. */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--config") == 0 &&
		    read_config(o, argv[i + 1]) < 0)
			return -1;

	int c;
	char key[16];
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
		case 'q':
		case 'w':
		case 'D':
		case 'Q':
		case 'l':
			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == c)
					snprintf(key, sizeof(key), "%s",
						 lo->name);
			if (set_option(o, key, optarg) < 0)
				return -1;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'U':
			o->uring = false;
			break;
		case 'c':
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("vgpufsd %s\n", VGPUFS_VERSION);
			return 1;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind < argc)
		snprintf(o->mountpoint, sizeof(o->mountpoint), "%s",
			 argv[optind++]);
	if (optind < argc) {
		fprintf(stderr, "vgpufsd: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (o->user_quota > o->vram_bytes) {
		fprintf(stderr,
			"vgpufsd: --user-quota %llu is more than --vram %llu\n",
			(unsigned long long)o->user_quota,
			(unsigned long long)o->vram_bytes);
		return -1;
	}
	const char *base = strrchr(o->mountpoint, '/');
	const char *name = base && base[1] ? base + 1 : o->mountpoint;
	snprintf(o->name, sizeof(o->name), "%.*s", (int)sizeof(o->name) - 1,
		 name);
	return 0;
}
