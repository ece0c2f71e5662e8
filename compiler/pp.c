#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_internal.h"

static void report(struct vcl_pp *pp, enum vcl_severity sev, struct vcl_loc loc,
		   const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	vcl_diag_add(pp->diags, sev, vcl_pp_file_name(pp, loc.file), loc.line,
		     loc.col, "%s", msg);
}

void pp_error(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(pp, VCL_ERROR, loc, fmt, ap);
	va_end(ap);
}

void pp_warning(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(pp, VCL_WARNING, loc, fmt, ap);
	va_end(ap);
}

void pp_fatal(struct vcl_pp *pp, struct vcl_loc loc, const char *fmt, ...)
{
	if (pp->fatal)
		return; /* the first bound reached is the one to report */
	va_list ap;
	va_start(ap, fmt);
	report(pp, VCL_ERROR, loc, fmt, ap);
	va_end(ap);
	pp->fatal = true;
}

bool tokvec_reserve(struct vcl_pp *pp, struct tokvec *tv, uint32_t cap,
		    struct vcl_loc loc)
{
	if (cap <= tv->cap)
		return true;
	if (pp->live + (cap - tv->cap) > VCL_MAX_LIVE_EXPANSION_TOKENS) {
		pp_fatal(pp, loc,
			 "macro expansion holds more than %u tokens at once",
			 VCL_MAX_LIVE_EXPANSION_TOKENS);
		return false;
	}
	struct vcl_token *v = realloc(tv->v, cap * sizeof(*v));
	if (!v) {
		pp_fatal(pp, loc, "out of memory");
		return false;
	}
	pp->live += cap - tv->cap;
	tv->v = v;
	tv->cap = cap;
	return true;
}

bool tokvec_push(struct vcl_pp *pp, struct tokvec *tv,
		 const struct vcl_token *t)
{
	if (tv->n == tv->cap &&
	    !tokvec_reserve(pp, tv, tv->cap ? tv->cap * 2 : 8, t->loc))
		return false;
	tv->v[tv->n++] = *t;
	return true;
}

void tokvec_free(struct vcl_pp *pp, struct tokvec *tv)
{
	pp->live -= tv->cap;
	free(tv->v);
	*tv = (struct tokvec){0};
}

bool pp_spell_equal(const struct vcl_token *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->text, s, t->len) == 0;
}

const char *vcl_pp_file_name(const struct vcl_pp *pp, uint32_t file)
{
	return file < pp->nfiles ? pp->file_names[file] : "<unknown>";
}

struct vcl_diags *vcl_pp_diags(const struct vcl_pp *pp)
{
	return pp->diags;
}

size_t vcl_pp_extensions(const struct vcl_pp *pp,
			 const struct vcl_pp_extension **out)
{
	*out = pp->exts;
	return pp->nexts;
}

uint64_t vcl_pp_expanded_tokens(const struct vcl_pp *pp)
{
	return pp->expanded;
}

static struct ctx *push_ctx(struct vcl_pp *pp, struct vcl_loc loc)
{
	if (pp->nctx == pp->capctx) {
		uint32_t cap = pp->capctx ? pp->capctx * 2 : 16;
		struct ctx *c = realloc(pp->ctx, cap * sizeof(*c));
		if (!c) {
			pp_fatal(pp, loc, "out of memory");
			return NULL;
		}
		pp->ctx = c;
		pp->capctx = cap;
	}
	struct ctx *c = &pp->ctx[pp->nctx++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* A file name and, optionally, its bytes into the file table. */
static int add_file(struct vcl_pp *pp, const char *name, char *data)
{
	if (pp->nfiles == pp->capfiles) {
		uint32_t cap = pp->capfiles ? pp->capfiles * 2 : 16;
		const char **names =
		    realloc(pp->file_names, cap * sizeof(*names));
		if (!names)
			return -1;
		pp->file_names = names;
		char **datas = realloc(pp->file_data, cap * sizeof(*datas));
		if (!datas)
			return -1;
		pp->file_data = datas;
		pp->capfiles = cap;
	}
	const char *copy = vcl_arena_strndup(&pp->arena, name, strlen(name));
	if (!copy)
		return -1;
	pp->file_names[pp->nfiles] = copy;
	pp->file_data[pp->nfiles] = data;
	return (int)pp->nfiles++;
}

int pp_add_file_name(struct vcl_pp *pp, const char *name)
{
	return add_file(pp, name, NULL);
}

bool pp_push_file(struct vcl_pp *pp, const struct vcl_source *src,
		  struct vcl_loc from)
{
	const char *name = src->name ? src->name : "<input>";
	/* Named first, so that a refusal of the main file can say which. */
	int id = add_file(pp, name, NULL);
	if (id < 0) {
		pp_fatal(pp, from, "out of memory");
		return false;
	}
	if (src->len > VCL_MAX_SOURCE_BYTES) {
		pp_fatal(pp, from,
			 "'%s' is %zu bytes, more than the limit of %u MiB",
			 name, src->len, VCL_MAX_SOURCE_BYTES >> 20);
		return false;
	}
	if (pp->input_bytes + src->len > VCL_MAX_TOTAL_INPUT_BYTES) {
		pp_fatal(pp, from,
			 "the sources read exceed %u MiB in all (with '%s')",
			 VCL_MAX_TOTAL_INPUT_BYTES >> 20, name);
		return false;
	}
	char *data = malloc(src->len ? src->len : 1);
	if (!data) {
		pp_fatal(pp, from, "out of memory");
		return false;
	}
	if (src->len)
		memcpy(data, src->data, src->len);
	pp->file_data[id] = data;
	pp->input_bytes += src->len;
	struct ctx *c = push_ctx(pp, from);
	if (!c)
		return false;
	c->kind = CTX_FILE;
	c->cond_base = pp->nconds;
	vcl_scan_init(&c->sc, data, src->len, (uint32_t)id, pp->file_names[id],
		      &pp->arena, pp->diags);
	pp->nfilectx++;
	return true;
}

bool pp_push_tokens(struct vcl_pp *pp, struct tokvec *toks,
		    struct vcl_macro *macro, bool barrier)
{
	struct vcl_loc none = {0};
	struct ctx *c = push_ctx(pp, toks->n ? toks->v[0].loc : none);
	if (!c) {
		tokvec_free(pp, toks);
		return false;
	}
	c->kind = CTX_TOKENS;
	c->toks = *toks;
	*toks = (struct tokvec){0};
	c->macro = macro;
	c->barrier = barrier;
	if (macro)
		macro->active++;
	return true;
}

/* Groups left open at the end of their file. */
static void close_conds(struct vcl_pp *pp, uint32_t base)
{
	while (pp->nconds > base) {
		struct cond *k = &pp->conds[--pp->nconds];
		pp_error(pp, k->loc, "unterminated conditional directive");
	}
}

static void pop_ctx(struct vcl_pp *pp)
{
	struct ctx *c = &pp->ctx[--pp->nctx];
	if (c->kind == CTX_TOKENS) {
		if (c->macro)
			c->macro->active--;
		tokvec_free(pp, &c->toks);
		return;
	}
	pp->nfilectx--;
	close_conds(pp, c->cond_base);
}

void pp_next_raw(struct vcl_pp *pp, struct vcl_token *t)
{
	for (;;) {
		if (pp->fatal || pp->diags->full || !pp->nctx) {
			memset(t, 0, sizeof(*t));
			t->kind = VCL_T_EOF;
			return;
		}
		struct ctx *c = &pp->ctx[pp->nctx - 1];
		if (c->kind == CTX_TOKENS) {
			if (c->pos < c->toks.n) {
				*t = c->toks.v[c->pos++];
				if (pp->pending_space)
					t->flags |= VCL_TF_SPACE;
				pp->pending_space = false;
				return;
			}
			if (c->barrier) {
				memset(t, 0, sizeof(*t));
				t->kind = VCL_T_EOF;
				return;
			}
			pop_ctx(pp);
			continue;
		}
		if (!vcl_scan(&c->sc, t)) {
			pp->fatal = true;
			continue;
		}
		if (t->kind == VCL_T_NEWLINE) {
			pp->pending_space = true;
			continue;
		}
		if (t->kind == VCL_T_EOF) {
			if (pp->collecting_args)
				return;
			if (pp->nfilectx == 1) {
				/* The main file ends the stream. */
				close_conds(pp, c->cond_base);
				return;
			}
			pop_ctx(pp);
			continue;
		}
		if (t->kind == VCL_T_HASH && (t->flags & VCL_TF_BOL)) {
			if (pp->collecting_args) {
				pp_error(pp, t->loc,
					 "a directive inside a macro's "
					 "arguments is not supported");
				pp->fatal = true;
				continue;
			}
			pp_directive(pp, t);
			continue;
		}
		if (pp->pending_space)
			t->flags |= VCL_TF_SPACE;
		pp->pending_space = false;
		return;
	}
}

bool pp_next_lparen(struct vcl_pp *pp)
{
	while (pp->nctx && !pp->fatal) {
		struct ctx *c = &pp->ctx[pp->nctx - 1];
		if (c->kind == CTX_TOKENS) {
			if (c->pos < c->toks.n)
				return c->toks.v[c->pos].kind == VCL_T_LPAREN;
			if (c->barrier)
				return false;
			pop_ctx(pp);
			continue;
		}
		struct vcl_scanner save = c->sc;
		struct vcl_token t;
		c->sc.quiet = true;
		do {
			if (!vcl_scan(&c->sc, &t))
				break;
		} while (t.kind == VCL_T_NEWLINE);
		c->sc = save;
		if (t.kind == VCL_T_HASH && (t.flags & VCL_TF_BOL))
			return false;
		return t.kind == VCL_T_LPAREN;
	}
	return false;
}

/* Pulls expanded tokens until the stream (or the barrier) ends. */
static bool pump(struct vcl_pp *pp, struct vcl_token *out)
{
	for (;;) {
		pp_next_raw(pp, out);
		if (out->kind == VCL_T_EOF)
			return false;
		if (out->kind == VCL_T_IDENT &&
		    !(out->flags & VCL_TF_NO_EXPAND)) {
			int r = pp_try_expand(pp, out);
			if (r > 0)
				continue;
			if (r < 0)
				return false;
		}
		return true;
	}
}

bool pp_expand_list(struct vcl_pp *pp, const struct tokvec *in,
		    struct tokvec *out)
{
	struct vcl_loc loc = in->n ? in->v[0].loc : (struct vcl_loc){0};
	if (pp->expand_depth >= VCL_MAX_EXPAND_DEPTH) {
		pp_fatal(pp, loc, "macro arguments nested more than %u deep",
			 VCL_MAX_EXPAND_DEPTH);
		return false;
	}
	struct tokvec copy = {0};
	for (uint32_t i = 0; i < in->n; i++)
		if (!tokvec_push(pp, &copy, &in->v[i])) {
			tokvec_free(pp, &copy);
			return false;
		}
	uint32_t base = pp->nctx;
	bool saved_space = pp->pending_space;
	pp->pending_space = false;
	if (!pp_push_tokens(pp, &copy, NULL, true))
		return false;
	pp->expand_depth++;
	struct vcl_token t;
	bool ok = true;
	while (pump(pp, &t))
		if (!tokvec_push(pp, out, &t)) {
			ok = false;
			break;
		}
	pp->expand_depth--;
	while (pp->nctx > base)
		pop_ctx(pp);
	pp->pending_space = saved_space;
	return ok && !pp->fatal;
}

bool vcl_pp_next(struct vcl_pp *pp, struct vcl_token *out)
{
	if (!pump(pp, out))
		return false;
	out->flags &= ~VCL_TF_BOL;
	if (out->kind == VCL_T_LBRACE) {
		pp->braces++;
	} else if (out->kind == VCL_T_RBRACE && pp->braces) {
		uint32_t n = pp->ncontract_saved;
		if (n && pp->contract_saved[n - 1].braces == pp->braces) {
			pp->contract_off = pp->contract_saved[n - 1].off;
			pp->ncontract_saved--;
		}
		pp->braces--;
	}
	if (pp->contract_off)
		out->flags |= VCL_TF_NO_CONTRACT;
	return true;
}

struct vcl_pp *vcl_pp_new(const struct vcl_pp_options *opt,
			  const struct vcl_source *main,
			  struct vcl_diags *diags)
{
	struct vcl_pp *pp = calloc(1, sizeof(*pp));
	if (!pp)
		return NULL;
	pp->diags = diags;
	vcl_arena_init(&pp->arena, VCL_MAX_ARENA_BYTES);
	if (opt) {
		pp->include = opt->include;
		pp->include_user = opt->include_user;
	}
	struct vcl_loc at_start = {0, 1, 1};
	/* The main file first, so that its id is 0; the predefined macros and
	 * the command line above it on the stack, read first. */
	pp_define_builtins(pp);
	if (!pp_push_file(pp, main, at_start))
		return pp;
	char *cmdline = NULL;
	size_t len = 0;
	if (!pp_cmdline_text(pp, opt ? opt->defines : NULL,
			     opt ? opt->ndefines : 0, &cmdline, &len))
		return pp;
	struct vcl_source cl = {"<command line>", cmdline, len};
	bool ok = pp_push_file(pp, &cl, at_start);
	free(cmdline);
	if (!ok)
		return pp;
	struct vcl_source pre = {"<built-in>", vcl_predef_text,
				 strlen(vcl_predef_text)};
	pp_push_file(pp, &pre, at_start);
	return pp;
}

void vcl_pp_free(struct vcl_pp *pp)
{
	if (!pp)
		return;
	pp->nconds = 0; /* an early end is no unterminated #if */
	while (pp->nctx)
		pop_ctx(pp);
	free(pp->ctx);
	for (uint32_t i = 0; i < pp->nfiles; i++)
		free(pp->file_data[i]);
	free(pp->file_data);
	free(pp->file_names);
	free(pp->exts);
	vcl_arena_free(&pp->arena);
	free(pp);
}
