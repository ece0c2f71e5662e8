#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/lex.h>

#include "compiler_check.h"

static int find_file(void *user, const char *name, bool angled,
		     const char *includer, struct vcl_source *out)
{
	(void)angled;
	(void)includer;
	for (const struct cc_file *f = user; f && f->name; f++)
		if (!strcmp(f->name, name)) {
			out->data = f->text;
			out->len = strlen(f->text);
			return 0;
		}
	return -ENOENT;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s,
		   size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void cc_run(struct cc_run *r, const char *src, size_t len,
	    const struct vcl_pp_define *defs, size_t ndefs,
	    const struct cc_file *files, bool lex)
{
	memset(r, 0, sizeof(*r));
	vcl_diags_init(&r->d, 0);
	struct vcl_pp_options opt = {.defines = defs,
				     .ndefines = ndefs,
				     .include = files ? find_file : NULL,
				     .include_user = (void *)files};
	struct vcl_source s = {"t.cl", src, len};
	r->pp = vcl_pp_new(&opt, &s, &r->d);
	size_t olen = 0, ocap = 0;
	append(&r->out, &olen, &ocap, "", 0);
	struct vcl_token t;
	while (lex ? vcl_lex_next(r->pp, &t) : vcl_pp_next(r->pp, &t)) {
		if (r->ntokens++ && r->ntokens < 100000)
			append(&r->out, &olen, &ocap, " ", 1);
		if (r->ntokens < 100000)
			append(&r->out, &olen, &ocap, t.text, t.len);
	}
	size_t dlen = 0, dcap = 0;
	append(&r->diags, &dlen, &dcap, "", 0);
	for (size_t i = 0; i < r->d.n; i++) {
		char line[1024];
		size_t n = vcl_diag_format(&r->d.v[i], line, sizeof(line));
		append(&r->diags, &dlen, &dcap, line,
		       n < sizeof(line) ? n : sizeof(line) - 1);
		append(&r->diags, &dlen, &dcap, "\n", 1);
	}
	r->errors = r->d.errors;
}

void cc_pp(struct cc_run *r, const char *src)
{
	cc_run(r, src, strlen(src), NULL, 0, NULL, false);
}

void cc_free(struct cc_run *r)
{
	vcl_pp_free(r->pp);
	vcl_diags_free(&r->d);
	free(r->out);
	free(r->diags);
}

char *cc_read_kernel(const char *name, size_t *len)
{
	const char *dir = getenv("VGPUFS_CL_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/cl", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void cc_format_diags(const struct vcl_diags *d, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n && n < cap - 2; i++) {
		n += vcl_diag_format(&d->v[i], buf + n, cap - n - 1);
		if (n < cap - 1)
			buf[n++] = '\n';
		buf[n < cap ? n : cap - 1] = 0;
	}
}

void cc_on_stack(void *(*fn)(void *), size_t bytes)
{
	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, bytes);
	if (pthread_create(&th, &attr, fn, NULL) == 0)
		pthread_join(th, NULL);
	else
		abort();
	pthread_attr_destroy(&attr);
}

void cc_check(struct cc_lowered *r, const char *src, size_t len)
{
	vcl_diags_init(&r->d, 0);
	struct vcl_pp_options opt = {0};
	struct vcl_source s = {"t.cl", src, len};
	r->m = NULL;
	r->text[0] = 0;
	r->pp = vcl_pp_new(&opt, &s, &r->d);
	r->ast = vcl_parse(r->pp);
	ck_assert(r->ast);
	r->prog = vcl_sema(r->ast, r->pp);
	ck_assert(r->prog);
	cc_format_diags(&r->d, r->diags, sizeof(r->diags));
}

/* Checks and lowers src; the module is NULL when lowering failed. */
void cc_lower(struct cc_lowered *r, const char *src, size_t len)
{
	cc_check(r, src, len);
	ck_assert_msg(r->d.errors == 0, "%s\n%s", src, r->diags);
	r->m = vcl_ir_lower(r->prog, r->pp);
	cc_format_diags(&r->d, r->diags, sizeof(r->diags));
	r->text[0] = 0;
	if (r->m)
		vcl_ir_print(r->m, r->text, sizeof(r->text));
}

void cc_unlower(struct cc_lowered *r)
{
	vcl_ir_free(r->m);
	vcl_program_free(r->prog);
	vcl_ast_free(r->ast);
	vcl_pp_free(r->pp);
	vcl_diags_free(&r->d);
}

/* Verifies m; returns the diagnostics (empty when it passed). */
bool cc_verify(const struct vcl_ir_module *m, char *out, size_t cap)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	bool ok = vcl_ir_verify(m, &d);
	cc_format_diags(&d, out, cap);
	ck_assert_msg(ok == (d.errors == 0), "%s", out);
	vcl_diags_free(&d);
	return ok;
}

/* write, read (which verifies), print: the same text. */
void cc_round_trip(const struct cc_lowered *r)
{
	size_t n = vcl_ir_write(r->m, NULL, 0);
	uint8_t *bin = malloc(n);
	ck_assert(bin);
	ck_assert_uint_eq(vcl_ir_write(r->m, bin, n), n);
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_ir_module *back = vcl_ir_read(bin, n, &d);
	char out[4096];
	cc_format_diags(&d, out, sizeof(out));
	ck_assert_msg(back, "%s", out);
	static char text[65536];
	vcl_ir_print(back, text, sizeof(text));
	ck_assert_str_eq(text, r->text);
	/* Every cut of the bytes is refused with a message, not a crash. */
	for (size_t cut = 0; cut < n; cut++) {
		struct vcl_diags dc;
		vcl_diags_init(&dc, 0);
		/* In a buffer of its size, for ASan to see an over-read. */
		uint8_t *part = malloc(cut ? cut : 1);
		memcpy(part, bin, cut);
		ck_assert(!vcl_ir_read(part, cut, &dc));
		free(part);
		ck_assert(dc.errors > 0);
		vcl_diags_free(&dc);
	}
	/* A newer version is refused naming both. */
	bin[6] = VCL_IR_MINOR + 1;
	ck_assert(!vcl_ir_read(bin, n, &d));
	cc_format_diags(&d, out, sizeof(out));
	char want[64];
	snprintf(want, sizeof(want), "IR version 0.%d, this daemon reads 0.%d",
		 VCL_IR_MINOR + 1, VCL_IR_MINOR);
	ck_assert_msg(strstr(out, want), "%s", out);
	vcl_ir_free(back);
	vcl_diags_free(&d);
	free(bin);
}
