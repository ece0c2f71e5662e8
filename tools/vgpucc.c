/*
 * vgpucc: the OpenCL C compiler's command line (docs/compiler.md, "vgpucc").
 * Reads a source and its #includes, runs the library's stages (preprocess,
 * parse, type check, lower, verify), prints the diagnostics, and writes the
 * IR as text (-S) or binary (-o). The library does no I/O: this file does
 * all of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpucl/ast.h>
#include <vgpucl/ir.h>
#include <vgpucl/limits.h>
#include <vgpucl/pp.h>
#include <vgpucl/sema.h>

enum { EXIT_COMPILE = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "usage: vgpucc [-D NAME[=VALUE]]... [-U NAME]... [-I DIR]... [-S] "
    "[-o OUT] FILE.cl\n"
    "\n"
    "Compiles OpenCL C 1.2 to vgpufs IR. Without -S or -o it only checks.\n"
    "\n"
    "Options:\n"
    "  -D NAME[=VALUE]  define a macro (VALUE defaults to 1)\n"
    "  -U NAME          undefine a macro (-D and -U apply in order)\n"
    "  -I DIR           search DIR for #include \"x\" (after the including\n"
    "                   file's directory) and #include <x>\n"
    "  -S               write the IR as text (to stdout, or to OUT)\n"
    "  -o OUT           write the IR to OUT: binary, text with -S; - is "
    "stdout\n"
    "  -h, --help       this help\n"
    "  -V, --version    the version\n"
    "\n"
    "Diagnostics go to stderr as FILE:LINE:COL: error: MESSAGE.\n"
    "\n"
    "Exit status:\n"
    "  0  compiled (or checked) without errors; warnings allowed\n"
    "  1  an error in the source, or a file that cannot be read or "
    "written\n"
    "  2  wrong usage\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vgpucc: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%.*s", (int)(strchr(usage, '\n') - usage + 1),
		usage);
	return EXIT_USAGE;
}

/*
 * Reads path whole into *data (malloc'd, *len bytes). A file over cap
 * bytes is -EFBIG, read no further: the input may be a pipe or a device
 * with no end.
 */
static int read_whole(const char *path, size_t cap, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0, size = 65536;
	char *buf = malloc(size);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (n == size) {
			size = size * 2 > cap + 1 ? cap + 1 : size * 2;
			char *bigger = realloc(buf, size);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
		}
		ssize_t r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > cap)
			rc = -EFBIG;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

struct includes {
	char **dirs; /* -I, in order */
	size_t ndirs;
	char *data; /* the last file handed over; the library copied it */
	char *path; /* its name, likewise */
};

/* dir/name, or name alone when dir is empty; NULL when out of memory. */
static char *join(const char *dir, size_t dirlen, const char *name)
{
	char *s = NULL;
	if (dirlen == 0)
		s = strdup(name);
	else if (asprintf(&s, "%.*s/%s", (int)dirlen, dir, name) < 0)
		s = NULL;
	return s;
}

/* Tries one candidate path: 0 and *out filled, or a negative errno. */
static int try_include(struct includes *inc, char *path, struct vcl_source *out)
{
	if (!path)
		return -ENOMEM;
	char *data;
	size_t len;
	int rc = read_whole(path, VCL_MAX_SOURCE_BYTES, &data, &len);
	if (rc < 0) {
		free(path);
		return rc;
	}
	free(inc->data);
	free(inc->path);
	inc->data = data;
	inc->path = path;
	*out = (struct vcl_source){path, data, len};
	return 0;
}

/*
 * "x": the including file's directory, then each -I DIR; <x>: the -I DIRs
 * only. An absolute name is read as it is. The first candidate that exists
 * wins; a later one is tried only when the earlier was not found.
 */
static int include_file(void *user, const char *name, bool angled,
			const char *includer, struct vcl_source *out)
{
	struct includes *inc = user;
	if (name[0] == '/')
		return try_include(inc, strdup(name), out);
	int rc = -ENOENT;
	if (!angled) {
		const char *slash = strrchr(includer, '/');
		size_t dirlen = slash ? (size_t)(slash - includer) + 1 : 0;
		rc = try_include(inc, join(includer, dirlen, name), out);
	}
	for (size_t i = 0; i < inc->ndirs && rc == -ENOENT; i++)
		rc = try_include(
		    inc, join(inc->dirs[i], strlen(inc->dirs[i]), name), out);
	return rc;
}

static void print_diags(const struct vcl_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char line[1024];
		size_t n = vcl_diag_format(&d->v[i], line, sizeof(line));
		char *big = n >= sizeof(line) ? malloc(n + 1) : NULL;
		if (big)
			vcl_diag_format(&d->v[i], big, n + 1);
		fprintf(stderr, "%s\n", big ? big : line);
		free(big);
	}
}

/* Writes len bytes to path ("-": stdout); 0, or 1 with a message. */
static int write_output(const char *path, const void *bytes, size_t len)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "vgpucc: cannot write '%s': %s\n", path,
			strerror(errno));
		return EXIT_COMPILE;
	}
	bool ok = fwrite(bytes, 1, len, f) == len;
	ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "vgpucc: cannot write '%s': %s\n", path,
			strerror(errno));
		if (!to_stdout)
			unlink(path);
		return EXIT_COMPILE;
	}
	return 0;
}

/* The module as text (-S) or binary, to out. */
static int emit(const struct vcl_ir_module *m, bool text, const char *out)
{
	size_t n = text ? vcl_ir_print(m, NULL, 0) : vcl_ir_write(m, NULL, 0);
	char *buf = malloc(n + 1);
	if (!buf) {
		fputs("vgpucc: out of memory\n", stderr);
		return EXIT_COMPILE;
	}
	if (text)
		vcl_ir_print(m, buf, n + 1);
	else
		vcl_ir_write(m, (uint8_t *)buf, n);
	int rc = write_output(out, buf, n);
	free(buf);
	return rc;
}

struct options {
	struct vcl_pp_define *defines;
	size_t ndefines;
	struct includes inc;
	bool text;
	const char *out; /* NULL: check only (or stdout with -S) */
	const char *file;
};

/* The stages over the source; the exit status. */
static int compile(struct options *o, const char *data, size_t len)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_pp_options popt = {o->defines, o->ndefines, include_file,
				      &o->inc};
	struct vcl_source src = {o->file, data, len};
	struct vcl_pp *pp = vcl_pp_new(&popt, &src, &d);
	struct vcl_ast *ast = pp ? vcl_parse(pp) : NULL;
	struct vcl_program *prog = ast ? vcl_sema(ast, pp) : NULL;
	struct vcl_ir_module *m = NULL;
	if (prog && !vcl_diags_failed(&d)) {
		m = vcl_ir_lower(prog, pp);
		struct vcl_ir_module *inlined = NULL;
		/* As the daemon will: its helpers' barriers inlined. */
		if (m && vcl_ir_verify(m, &d))
			vcl_ir_inline_barriers(m, &inlined, &d);
		vcl_ir_free(inlined);
	}
	print_diags(&d);
	int rc = 0;
	if (vcl_diags_failed(&d)) {
		rc = EXIT_COMPILE;
	} else if (!m) {
		fputs("vgpucc: out of memory\n", stderr);
		rc = EXIT_COMPILE;
	} else if (o->text || o->out) {
		rc = emit(m, o->text, o->out ? o->out : "-");
	}
	vcl_ir_free(m);
	vcl_program_free(prog);
	vcl_ast_free(ast);
	vcl_pp_free(pp);
	vcl_diags_free(&d);
	return rc;
}

/* Parses argv into o; 0, or the exit status to leave with (-1: done). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0}};
	/* Every argument could be an option: enough room whatever comes. */
	o->defines = calloc((size_t)argc, sizeof(*o->defines));
	o->inc.dirs = calloc((size_t)argc, sizeof(*o->inc.dirs));
	if (!o->defines || !o->inc.dirs) {
		fputs("vgpucc: out of memory\n", stderr);
		return EXIT_COMPILE;
	}
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":D:U:I:So:hV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'D':
		case 'U':
			o->defines[o->ndefines++] =
			    (struct vcl_pp_define){c == 'U', optarg};
			break;
		case 'I':
			o->inc.dirs[o->inc.ndirs++] = optarg;
			break;
		case 'S':
			o->text = true;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		case 'V':
			printf("vgpucc %s (IR %u.%u)\n", VGPUCC_VERSION,
			       VCL_IR_MAJOR, VCL_IR_MINOR);
			return -1;
		case ':': {
			char shortopt[3] = {'-', (char)optopt, 0};
			return usage_error("option '%s' needs an argument",
					   shortopt);
		}
		default: {
			/* optopt names a short option (maybe in a cluster);
			 * a long one is the whole argument. */
			char shortopt[3] = {'-', (char)optopt, 0};
			return usage_error("unknown option '%s'",
					   optopt ? shortopt
						  : argv[optind - 1]);
		}
		}
	}
	if (argc - optind != 1)
		return usage_error(argc == optind
				       ? "no input file%s"
				       : "more than one input file%s",
				   "");
	o->file = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc == 0) {
		char *data = NULL;
		size_t len = 0;
		int err = read_whole(o.file, VCL_MAX_SOURCE_BYTES, &data, &len);
		if (err == -EFBIG) {
			fprintf(stderr,
				"vgpucc: '%s' is larger than %u MiB, the most "
				"a source may hold\n",
				o.file, VCL_MAX_SOURCE_BYTES >> 20);
			rc = EXIT_COMPILE;
		} else if (err < 0) {
			fprintf(stderr, "vgpucc: cannot read '%s': %s\n",
				o.file, strerror(-err));
			rc = EXIT_COMPILE;
		} else {
			rc = compile(&o, data, len);
		}
		free(data);
	}
	free(o.inc.data);
	free(o.inc.path);
	free(o.inc.dirs);
	free(o.defines);
	return rc < 0 ? 0 : rc;
}
