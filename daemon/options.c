#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/text_proto.h>

#include "mem/bus.h"
#include "observe/log.h"
#include "options.h"
#include "version.h"

static const char usage[] =
    "usage: vgpufsd [OPTIONS] [MOUNTPOINT]\n"
    "Mounts a virtual GPU as a file tree (default MOUNTPOINT: /dev/vgpu0).\n"
    "\n"
    "  --vram SIZE        RAM tier capacity, K/M/G/T suffixes (default: half "
    "of memory)\n"
    "  --disk DIR|none    disk tier directory (default: /var/lib/vgpufs/NAME "
    "for a\n"
    "                     mount point named vgpuN, else none)\n"
    "  --disk-size SIZE   disk tier capacity (default: free space of DIR at "
    "start)\n"
    "  --disk-sync command|none\n"
    "                     a command's output on disk is synced before its\n"
    "                     completion (default), or left to the kernel\n"
    "  --ram-full disk|enospc\n"
    "                     when the RAM tier cannot hold a buffer: place it "
    "on\n"
    "                     the disk tier (default, if there is one) or fail\n"
    "  --auto-tier        when the RAM tier is short, move the least "
    "recently used\n"
    "                     idle buffers to disk; bring them back when opened\n"
    "  --staging SIZE     RAM for streaming commands on disk-tier buffers "
    "through\n"
    "                     io_uring, besides --vram (default 128M; 0: such\n"
    "                     commands run on mappings of the files)\n"
    "  --bus PROFILE      model a bus: transfers between the tiers and "
    "opens and\n"
    "                     closes of buffers take as long as over that link: "
    "none\n"
    "                     (default), pcie3x16, pcie4x16, pcie5x16, usb3, "
    "nvme, or\n"
    "                     custom:bw=SIZE/s,lat=DURATION (docs/bus.md)\n"
    "  --user-quota SIZE  RAM tier bytes each user but root may use, set "
    "aside\n"
    "                     from --vram while the user has buffers (default: "
    "none)\n"
    "  --user-buffers N|none\n"
    "                     buffers and directories each user but root may "
    "hold\n"
    "                     (default: the share of the slots --user-quota is "
    "of\n"
    "                     --vram, else a quarter of them)\n"
    "  --user-disk-quota SIZE|none\n"
    "                     disk tier bytes each user but root may use "
    "(default:\n"
    "                     the share of --disk-size --user-quota is of "
    "--vram,\n"
    "                     else none)\n"
    "  --workers N        kernel worker threads (default: online CPUs)\n"
    "  --kernel-timeout S a launched kernel running longer is stopped "
    "(ETIMEDOUT);\n"
    "                     seconds, 1 to 86400 (default 10)\n"
    "  --foreground, -f   stay in the foreground\n"
    "  --config FILE      read 'key = value' lines (same keys as these "
    "options)\n"
    "  --config-if-exists FILE\n"
    "                     the same, but a FILE that does not exist is no "
    "error\n"
    "  --no-uring         do not use FUSE over io_uring even if the kernel "
    "offers it\n"
    "  --uring-depth N    io_uring requests per CPU queue (default 512); "
    "a\n"
    "                     blocked read() or write() holds one: a user may "
    "have\n"
    "                     a quarter of N blocked, a queue three quarters; "
    "past\n"
    "                     that they fail with EAGAIN\n"
    "  --queue-depth N    commands a context may have in flight (default "
    "4096);\n"
    "                     past it, or with 1024 completions unread,\n"
    "                     write() waits (EAGAIN with O_NONBLOCK)\n"
    "  --max-contexts-per-user N\n"
    "                     contexts (opens of queue) a user but root may "
    "have\n"
    "                     (default 256; 0: no limit); past it open() "
    "fails\n"
    "                     with EMFILE\n"
    "  --log-level LEVEL  error, warning, info (default) or debug\n"
    "  --help, --version\n";

static uint64_t default_vram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psize <= 0)
		return 1ULL << 30;
	return (uint64_t)pages * (uint64_t)psize / 2;
}

/* A size of at least MIN bytes (K/M/G/T suffixes). */
static int parse_size(const char *s, uint64_t min, uint64_t *out)
{
	int64_t v;
	if (vgpu_parse_int(s, strlen(s), &v) < 0 || v < 0 || (uint64_t)v < min)
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
		if (parse_size(val, 1, &o->vram_bytes) == 0)
			return 0;
	} else if (strcmp(key, "disk") == 0) {
		if (strcmp(val, "none") == 0 || val[0] == '/') {
			snprintf(o->disk_dir, sizeof(o->disk_dir), "%s",
				 strcmp(val, "none") == 0 ? "" : val);
			o->disk_set = true;
			return 0;
		}
	} else if (strcmp(key, "disk-size") == 0) {
		if (parse_size(val, 1, &o->disk_bytes) == 0)
			return 0;
	} else if (strcmp(key, "disk-sync") == 0) {
		if (strcmp(val, "command") == 0 || strcmp(val, "none") == 0) {
			o->disk_sync_none = val[0] == 'n';
			return 0;
		}
	} else if (strcmp(key, "ram-full") == 0) {
		if (strcmp(val, "disk") == 0 || strcmp(val, "enospc") == 0) {
			o->ram_full_enospc = val[0] == 'e';
			return 0;
		}
	} else if (strcmp(key, "staging") == 0) {
		if (parse_size(val, 0, &o->staging) == 0)
			return 0;
	} else if (strcmp(key, "bus") == 0) {
		if (strlen(val) < sizeof(o->bus) && bus_init(val) == 0) {
			snprintf(o->bus, sizeof(o->bus), "%s", val);
			return 0;
		}
		fprintf(stderr,
			"vgpufsd: invalid value '%s' for bus: give none, a "
			"profile (%s) or custom:bw=SIZE/s,lat=DURATION (e.g. "
			"custom:bw=100M/s,lat=1ms)\n",
			val, bus_profile_names());
		return -1;
	} else if (strcmp(key, "user-quota") == 0) {
		if (parse_size(val, 1, &o->user_quota) == 0)
			return 0;
	} else if (strcmp(key, "user-buffers") == 0 ||
		   strcmp(key, "user-disk-quota") == 0) {
		bool buffers = key[5] == 'b';
		uint64_t *v = buffers ? &o->user_buffers : &o->user_disk_quota;
		unsigned n;
		if (strcmp(val, "none") == 0)
			*v = UINT64_MAX;
		else if (buffers ? parse_uint(val, 1, 1u << 30, &n) == 0
				 : parse_size(val, 1, v) == 0)
			*v = buffers ? n : *v;
		else
			goto bad;
		return 0;
	} else if (strcmp(key, "workers") == 0) {
		if (parse_uint(val, 1, 1024, &o->workers) == 0)
			return 0;
	} else if (strcmp(key, "kernel-timeout") == 0) {
		if (parse_uint(val, 1, 86400, &o->kernel_timeout_s) == 0)
			return 0;
	} else if (strcmp(key, "uring-depth") == 0) {
		if (parse_uint(val, 8, 65536, &o->uring_depth) == 0)
			return 0;
	} else if (strcmp(key, "queue-depth") == 0) {
		if (parse_uint(val, 1, 1u << 20, &o->queue_depth) == 0)
			return 0;
	} else if (strcmp(key, "max-contexts-per-user") == 0) {
		if (parse_uint(val, 0, 1u << 20, &o->max_contexts_per_user) ==
		    0)
			return 0;
	} else if (strcmp(key, "log-level") == 0) {
		if ((lvl = log_level_parse(val)) >= 0) {
			o->log_level = lvl;
			return 0;
		}
	} else if (strcmp(key, "foreground") == 0 ||
		   strcmp(key, "uring") == 0 || strcmp(key, "auto-tier") == 0) {
		bool on = strcmp(val, "1") == 0 || strcmp(val, "yes") == 0 ||
			  strcmp(val, "true") == 0;
		if (!on && strcmp(val, "0") && strcmp(val, "no") &&
		    strcmp(val, "false"))
			goto bad;
		*(key[0] == 'f'	  ? &o->foreground
		  : key[0] == 'a' ? &o->auto_tier
				  : &o->uring) = on;
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

static int read_config(struct options *o, const char *path, bool optional)
{
	FILE *f = fopen(path, "re");
	if (!f && optional && errno == ENOENT)
		return 0;
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
	    {"user-buffers", required_argument, NULL, 'n'},
	    {"user-disk-quota", required_argument, NULL, 'k'},
	    {"staging", required_argument, NULL, 'g'},
	    {"bus", required_argument, NULL, 'b'},
	    {"workers", required_argument, NULL, 'w'},
	    {"kernel-timeout", required_argument, NULL, 'K'},
	    {"disk", required_argument, NULL, 'd'},
	    {"disk-size", required_argument, NULL, 's'},
	    {"ram-full", required_argument, NULL, 'r'},
	    {"disk-sync", required_argument, NULL, 'S'},
	    {"auto-tier", no_argument, NULL, 'A'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"config-if-exists", required_argument, NULL, 'C'},
	    {"no-uring", no_argument, NULL, 'U'},
	    {"uring-depth", required_argument, NULL, 'D'},
	    {"queue-depth", required_argument, NULL, 'Q'},
	    {"max-contexts-per-user", required_argument, NULL, 'M'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0}};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct options){.vram_bytes = default_vram(),
			      .workers = ncpu > 0 ? (unsigned)ncpu : 1,
			      .kernel_timeout_s = 10,
			      .uring = true,
			      .staging = 128u << 20,
			      .uring_depth = 512,
			      .queue_depth = 4096,
			      .max_contexts_per_user = 256,
			      .log_level = LOG_LVL_INFO};
	snprintf(o->mountpoint, sizeof(o->mountpoint), "/dev/vgpu0");

	/*
	 * The config files first, so that the command line overrides them: a
	 * quiet first pass (same parser, so --config=FILE and abbreviations
	 * count too), then the real one from the start (optind 0: full reset).
	 */
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1)
		if ((c == 'c' || c == 'C') &&
		    read_config(o, optarg, c == 'C') < 0)
			return -1;
	opterr = 1;
	optind = 0;

	char key[32];
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
		case 'q':
		case 'n':
		case 'k':
		case 'g':
		case 'b':
		case 'w':
		case 'K':
		case 'd':
		case 's':
		case 'r':
		case 'S':
		case 'D':
		case 'Q':
		case 'M':
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
		case 'A':
			o->auto_tier = true;
			break;
		case 'c':
		case 'C':
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
	/*
	 * Only a device named like one (vgpu0, vgpu1...) gets the default
	 * disk tier: a test or trial mount elsewhere never writes /var/lib.
	 */
	unsigned n;
	char end;
	if (!o->disk_set && sscanf(o->name, "vgpu%u%c", &n, &end) == 1)
		snprintf(o->disk_dir, sizeof(o->disk_dir),
			 "/var/lib/vgpufs/vgpu%u", n);
	return 0;
}
