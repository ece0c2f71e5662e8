/* vgpu ls: the buffers under mem/, with their size, owner and mode. */
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char usage[] =
    "usage: vgpu ls [-d DEVICE] [-H] [-n] [DIR]\n"
    "\n"
    "Lists the buffers and directories under mem/ (or mem/DIR),\n"
    "recursively, in name order: NAME (directories end with '/'), SIZE\n"
    "in bytes, TIER (ram or disk; for a directory, the default tier of\n"
    "what is created in it, '-' if none), OWNER and GROUP, MODE as ls -l\n"
    "shows it.\n"
    "\n"
    "  -H, --human     sizes with K, M, G, T suffixes (powers of 1024)\n"
    "  -n, --numeric   owner and group as numbers\n"
    "\n"
    "Exit status: 0, 2 for wrong usage, 3 when the device is\n"
    "unreachable, 4 when DIR cannot be listed.\n";

struct row {
	char *name, *size, *tier, *owner, *group;
	char mode[11];
};

struct table {
	struct row *rows;
	size_t n, cap;
	bool human, numeric;
};

static char *size_text(uint64_t size, bool human)
{
	char text[32];
	if (human)
		human_size(size, text, sizeof(text));
	return human ? cli_format("%s", text)
		     : cli_format("%llu", (unsigned long long)size);
}

static void mode_text(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = S_ISDIR(m) ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = m & (0400 >> i) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

static char *owner_text(uid_t uid, bool numeric)
{
	struct passwd *pw = numeric ? NULL : getpwuid(uid);
	return pw ? cli_format("%s", pw->pw_name)
		  : cli_format("%u", (unsigned)uid);
}

static char *group_text(gid_t gid, bool numeric)
{
	struct group *gr = numeric ? NULL : getgrgid(gid);
	return gr ? cli_format("%s", gr->gr_name)
		  : cli_format("%u", (unsigned)gid);
}

static int add_row(const vgpu_entry *e, void *arg)
{
	struct table *t = arg;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (!t->rows) {
			fputs("vgpu: out of memory\n", stderr);
			exit(EXIT_ERROR);
		}
	}
	struct row *r = &t->rows[t->n++];
	r->name = cli_format("%s%s", e->name, e->is_dir ? "/" : "");
	r->size = e->is_dir ? cli_format("-") : size_text(e->size, t->human);
	r->tier = cli_format("%s", e->tier && *e->tier ? e->tier : "-");
	r->owner = owner_text(e->uid, t->numeric);
	r->group = group_text(e->gid, t->numeric);
	mode_text(e->mode, r->mode);
	return 0;
}

static int width(const struct table *t, size_t offset, const char *title)
{
	size_t w = strlen(title);
	for (size_t i = 0; i < t->n; i++) {
		const char *s =
		    *(char *const *)((const char *)&t->rows[i] + offset);
		if (strlen(s) > w)
			w = strlen(s);
	}
	return (int)w;
}

static void print_table(const struct table *t)
{
	int wn = width(t, offsetof(struct row, name), "NAME");
	int ws = width(t, offsetof(struct row, size), "SIZE");
	int wt = width(t, offsetof(struct row, tier), "TIER");
	int wo = width(t, offsetof(struct row, owner), "OWNER");
	int wg = width(t, offsetof(struct row, group), "GROUP");
	printf("%-*s  %*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", ws, "SIZE", wt,
	       "TIER", wo, "OWNER", wg, "GROUP", "MODE");
	for (size_t i = 0; i < t->n; i++) {
		const struct row *r = &t->rows[i];
		printf("%-*s  %*s  %-*s  %-*s  %-*s  %s\n", wn, r->name, ws,
		       r->size, wt, r->tier, wo, r->owner, wg, r->group,
		       r->mode);
	}
}

static void free_table(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].name);
		free(t->rows[i].size);
		free(t->rows[i].tier);
		free(t->rows[i].owner);
		free(t->rows[i].group);
	}
	free(t->rows);
}

int cmd_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"human", no_argument, NULL, 'H'},
	    {"numeric", no_argument, NULL, 'n'},
	    {0},
	};
	struct table t = {0};
	int c;
	while ((c = cli_getopt(argc, argv, "Hn", longopts, usage)) != -1) {
		if (c == 'H')
			t.human = true;
		else if (c == 'n')
			t.numeric = true;
		else
			return cli_usage_error(usage, "unknown option");
	}
	vgpu_device *dev;
	int status = cli_open_args(argc, 0, 1, usage, &dev);
	if (status != EXIT_OK)
		return status;
	int rc =
	    vgpu_list(dev, optind < argc ? argv[optind] : NULL, add_row, &t);
	if (rc < 0)
		status = cli_fail(rc, vgpu_last_message(dev));
	else
		print_table(&t);
	free_table(&t);
	vgpu_close(dev);
	return status;
}
