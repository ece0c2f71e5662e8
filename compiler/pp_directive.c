#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pp_internal.h"

static struct ctx *top_file(struct vcl_pp *pp)
{
	return &pp->ctx[pp->nctx - 1];
}

/* The rest of the directive's line, up to its newline (consumed). */
static bool read_line(struct vcl_pp *pp, struct tokvec *line)
{
	struct vcl_scanner *sc = &top_file(pp)->sc;
	for (;;) {
		struct vcl_token t;
		if (!vcl_scan(sc, &t)) {
			pp->fatal = true;
			return false;
		}
		if (t.kind == VCL_T_NEWLINE || t.kind == VCL_T_EOF)
			return true;
		if (!tokvec_push(pp, line, &t))
			return false;
	}
}

/* Tokens spelled back as text, a space where there was whitespace. */
static char *spell(struct vcl_pp *pp, const struct vcl_token *t, uint32_t n)
{
	size_t len = 1;
	for (uint32_t i = 0; i < n; i++)
		len += t[i].len + 1;
	char *buf = vcl_arena_alloc(&pp->arena, len);
	if (!buf)
		return NULL;
	size_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i && (t[i].flags & VCL_TF_SPACE))
			buf[k++] = ' ';
		memcpy(buf + k, t[i].text, t[i].len);
		k += t[i].len;
	}
	buf[k] = '\0';
	return buf;
}

static bool push_cond(struct vcl_pp *pp, struct vcl_loc loc, bool taken)
{
	if (pp->nconds == VCL_MAX_IF_DEPTH) {
		pp_fatal(pp, loc, "#if nested more than %u deep",
			 VCL_MAX_IF_DEPTH);
		return false;
	}
	pp->conds[pp->nconds++] = (struct cond){.taken = taken, .loc = loc};
	return true;
}

/* The innermost open group of the current file, or NULL. */
static struct cond *open_cond(struct vcl_pp *pp)
{
	return pp->nconds > top_file(pp)->cond_base ? &pp->conds[pp->nconds - 1]
						    : NULL;
}

static bool is_if(const struct vcl_token *t)
{
	return pp_spell_equal(t, "if") || pp_spell_equal(t, "ifdef") ||
	       pp_spell_equal(t, "ifndef");
}

/* Skips lines up to the #elif, #else or #endif that ends the innermost
 * group (taking a branch when one of them may be taken), without
 * recursion: nested groups are only counted. */
static void skip_group(struct vcl_pp *pp)
{
	struct vcl_scanner *sc = &top_file(pp)->sc;
	uint32_t depth = 0;
	for (;;) {
		struct vcl_token t;
		if (!vcl_scan(sc, &t)) {
			pp->fatal = true;
			return;
		}
		if (t.kind == VCL_T_EOF || pp->diags->full)
			return; /* the open group is reported at the file end */
		if (t.kind == VCL_T_NEWLINE)
			continue;
		if (t.kind != VCL_T_HASH || !(t.flags & VCL_TF_BOL)) {
			vcl_scan_skip_line(sc);
			continue;
		}
		struct vcl_token d;
		if (!vcl_scan(sc, &d)) {
			pp->fatal = true;
			return;
		}
		if (d.kind == VCL_T_NEWLINE || d.kind == VCL_T_EOF)
			continue;
		struct cond *k = &pp->conds[pp->nconds - 1];
		if (is_if(&d)) {
			if (pp->nconds + ++depth > VCL_MAX_IF_DEPTH) {
				pp_fatal(pp, d.loc,
					 "#if nested more than %u deep",
					 VCL_MAX_IF_DEPTH);
				return;
			}
		} else if (pp_spell_equal(&d, "endif")) {
			if (!depth) {
				pp->nconds--;
				vcl_scan_skip_line(sc);
				return;
			}
			depth--;
		} else if (!depth && pp_spell_equal(&d, "elif")) {
			if (k->seen_else)
				pp_error(pp, d.loc, "#elif after #else");
			if (!k->taken) {
				struct tokvec line = {0};
				bool v = read_line(pp, &line) &&
					 pp_eval_if(pp, line.v, line.n, d.loc);
				tokvec_free(pp, &line);
				sc = &top_file(pp)->sc;
				if (v) {
					k->taken = true;
					return;
				}
				continue;
			}
		} else if (!depth && pp_spell_equal(&d, "else")) {
			if (k->seen_else)
				pp_error(pp, d.loc, "#else after #else");
			k->seen_else = true;
			if (!k->taken) {
				k->taken = true;
				vcl_scan_skip_line(sc);
				return;
			}
		}
		vcl_scan_skip_line(sc);
	}
}

static void do_conditional(struct vcl_pp *pp, const struct vcl_token *d,
			   const struct vcl_token *rest, uint32_t n)
{
	bool v;
	if (pp_spell_equal(d, "if")) {
		v = pp_eval_if(pp, rest, n, d->loc);
	} else {
		if (!n || rest[0].kind != VCL_T_IDENT) {
			pp_error(pp, n ? rest[0].loc : d->loc,
				 "macro name missing after #%.*s", (int)d->len,
				 d->text);
			v = false;
		} else {
			v = pp_lookup(pp, rest[0].text, rest[0].len) != NULL;
			if (pp_spell_equal(d, "ifndef"))
				v = !v;
		}
	}
	if (push_cond(pp, d->loc, v) && !v)
		skip_group(pp);
}

static void do_else_endif(struct vcl_pp *pp, const struct vcl_token *d)
{
	struct cond *k = open_cond(pp);
	if (!k) {
		pp_error(pp, d->loc, "#%.*s without #if", (int)d->len, d->text);
		return;
	}
	if (pp_spell_equal(d, "endif")) {
		pp->nconds--;
		return;
	}
	/* The branch being read was taken: the rest of the group is not. */
	if (k->seen_else)
		pp_error(pp, d->loc, "#%.*s after #else", (int)d->len, d->text);
	if (pp_spell_equal(d, "else"))
		k->seen_else = true;
	skip_group(pp);
}

static const char *errno_text(int err)
{
	switch (err) {
	case -ENOENT:
		return "file not found";
	case -EACCES:
	case -EPERM:
		return "not allowed";
	case -EFBIG:
		return "file too large";
	case -ENOMEM:
		return "out of memory";
	default:
		return "cannot be read";
	}
}

static void do_include(struct vcl_pp *pp, const struct vcl_token *d,
		       const struct vcl_token *rest, uint32_t n)
{
	char *name = NULL;
	bool angled = false;
	if (n && rest[0].kind == VCL_T_STRING) {
		name = vcl_arena_strndup(&pp->arena, rest[0].text + 1,
					 rest[0].len - 2);
	} else if (n && rest[0].kind == VCL_T_LT) {
		uint32_t k = 1;
		while (k < n && rest[k].kind != VCL_T_GT)
			k++;
		if (k < n) {
			angled = true;
			name = spell(pp, rest + 1, k - 1);
		}
	}
	if (!name || !*name) {
		pp_error(pp, n ? rest[0].loc : d->loc,
			 "#include expects \"FILENAME\" or <FILENAME>");
		return;
	}
	if (pp->nfilectx > VCL_MAX_INCLUDE_DEPTH) {
		pp_fatal(pp, d->loc, "#include nested more than %u deep",
			 VCL_MAX_INCLUDE_DEPTH);
		return;
	}
	if (++pp->includes > VCL_MAX_INCLUDES) {
		pp_fatal(pp, d->loc, "more than %u #include directives run",
			 VCL_MAX_INCLUDES);
		return;
	}
	if (!pp->include) {
		pp_error(pp, d->loc,
			 "cannot include '%s': #include is not available here",
			 name);
		return;
	}
	struct vcl_source src = {0};
	int r = pp->include(pp->include_user, name, angled,
			    vcl_pp_file_name(pp, d->loc.file), &src);
	if (r < 0) {
		pp_error(pp, d->loc, "cannot include '%s': %s", name,
			 errno_text(r));
		return;
	}
	if (!src.name)
		src.name = name;
	pp_push_file(pp, &src, d->loc);
}

static void do_line(struct vcl_pp *pp, const struct vcl_token *d,
		    const struct vcl_token *rest, uint32_t n)
{
	struct tokvec in = {.v = (struct vcl_token *)rest, .n = n};
	struct tokvec x = {0};
	if (!pp_expand_list(pp, &in, &x)) {
		tokvec_free(pp, &x);
		return;
	}
	uint64_t line = 0;
	bool ok = x.n >= 1 && x.n <= 2 && x.v[0].kind == VCL_T_PP_NUMBER;
	for (uint32_t i = 0; ok && i < x.v[0].len; i++) {
		char c = x.v[0].text[i];
		ok = c >= '0' && c <= '9' && (line = line * 10 + (c - '0')) &&
		     line <= 2147483647u;
	}
	if (ok && x.n == 2)
		ok = x.v[1].kind == VCL_T_STRING;
	if (!ok) {
		pp_error(pp, d->loc,
			 "#line expects a line number (1 to 2147483647) and "
			 "an optional \"file name\"");
		tokvec_free(pp, &x);
		return;
	}
	struct vcl_scanner *sc = &top_file(pp)->sc;
	sc->line = (uint32_t)line;
	if (x.n == 2) {
		char *name = vcl_arena_strndup(&pp->arena, x.v[1].text + 1,
					       x.v[1].len - 2);
		int id = name ? pp_add_file_name(pp, name) : -1;
		if (id < 0) {
			pp_fatal(pp, d->loc, "out of memory");
		} else {
			sc->file = (uint32_t)id;
			sc->fname = vcl_pp_file_name(pp, (uint32_t)id);
		}
	}
	tokvec_free(pp, &x);
}

static void record_extension(struct vcl_pp *pp, const struct vcl_token *name,
			     bool enable)
{
	bool known = pp_spell_equal(name, "all") ||
		     pp_extension_known(name->text, name->len);
	if (!known)
		pp_warning(pp, name->loc,
			   "unknown OpenCL extension '%.*s', ignored",
			   (int)name->len, name->text);
	if (pp->nexts == pp->capexts) {
		size_t cap = pp->capexts ? pp->capexts * 2 : 8;
		struct vcl_pp_extension *v =
		    realloc(pp->exts, cap * sizeof(*v));
		if (!v) {
			pp_fatal(pp, name->loc, "out of memory");
			return;
		}
		pp->exts = v;
		pp->capexts = cap;
	}
	const char *copy = vcl_arena_strndup(&pp->arena, name->text, name->len);
	if (!copy) {
		pp_fatal(pp, name->loc, "out of memory");
		return;
	}
	pp->exts[pp->nexts++] = (struct vcl_pp_extension){
	    .name = copy, .enable = enable, .known = known, .loc = name->loc};
}

/* FP_CONTRACT OFF or not (ON, and DEFAULT, which is ON) from here: to the
 * end of the source, or inside a block to its '}' (vcl_pp_next). */
static void set_contract(struct vcl_pp *pp, const struct vcl_token *d, bool off)
{
	uint32_t n = pp->ncontract_saved;
	if (pp->braces &&
	    !(n && pp->contract_saved[n - 1].braces == pp->braces)) {
		if (n == VCL_MAX_PARSE_DEPTH) {
			pp_error(pp, d->loc,
				 "#pragma OPENCL FP_CONTRACT nested too deep");
			return;
		}
		pp->contract_saved[n].braces = pp->braces;
		pp->contract_saved[n].off = pp->contract_off;
		pp->ncontract_saved++;
	}
	pp->contract_off = off;
}

/* #pragma OPENCL ... (not macro-expanded, as the spec says); any other
 * pragma is ignored. */
static void do_pragma(struct vcl_pp *pp, const struct vcl_token *d,
		      const struct vcl_token *rest, uint32_t n)
{
	if (!n || !pp_spell_equal(&rest[0], "OPENCL"))
		return;
	if (n >= 2 && pp_spell_equal(&rest[1], "EXTENSION")) {
		if (n == 5 && rest[2].kind == VCL_T_IDENT &&
		    rest[3].kind == VCL_T_COLON &&
		    (pp_spell_equal(&rest[4], "enable") ||
		     pp_spell_equal(&rest[4], "disable"))) {
			record_extension(pp, &rest[2],
					 pp_spell_equal(&rest[4], "enable"));
			return;
		}
		pp_error(pp, d->loc,
			 "expected '#pragma OPENCL EXTENSION name : "
			 "enable|disable'");
		return;
	}
	if (n >= 2 && pp_spell_equal(&rest[1], "FP_CONTRACT")) {
		if (n != 3 || !(pp_spell_equal(&rest[2], "ON") ||
				pp_spell_equal(&rest[2], "OFF") ||
				pp_spell_equal(&rest[2], "DEFAULT")))
			pp_error(pp, d->loc,
				 "expected '#pragma OPENCL FP_CONTRACT "
				 "ON|OFF|DEFAULT'");
		else
			set_contract(pp, d, pp_spell_equal(&rest[2], "OFF"));
		return;
	}
	pp_warning(pp, d->loc, "unknown '#pragma OPENCL', ignored");
}

static void do_message(struct vcl_pp *pp, const struct vcl_token *d,
		       const struct vcl_token *rest, uint32_t n, bool error)
{
	char *msg = spell(pp, rest, n);
	if (error)
		pp_error(pp, d->loc, "#error %s", msg ? msg : "");
	else
		pp_warning(pp, d->loc, "#warning %s", msg ? msg : "");
}

void pp_directive(struct vcl_pp *pp, const struct vcl_token *hash)
{
	struct tokvec line = {0};
	if (!read_line(pp, &line) || !line.n) {
		tokvec_free(pp, &line); /* "#" alone: the null directive */
		return;
	}
	const struct vcl_token *d = &line.v[0], *rest = line.v + 1;
	uint32_t n = line.n - 1;
	if (d->kind != VCL_T_IDENT)
		pp_error(pp, d->loc, "invalid preprocessing directive");
	else if (pp_spell_equal(d, "define"))
		pp_define(pp, rest, n, d->loc);
	else if (pp_spell_equal(d, "undef"))
		pp_undef(pp, rest, n, d->loc);
	else if (is_if(d))
		do_conditional(pp, d, rest, n);
	else if (pp_spell_equal(d, "elif") || pp_spell_equal(d, "else") ||
		 pp_spell_equal(d, "endif"))
		do_else_endif(pp, d);
	else if (pp_spell_equal(d, "include"))
		do_include(pp, d, rest, n);
	else if (pp_spell_equal(d, "line"))
		do_line(pp, d, rest, n);
	else if (pp_spell_equal(d, "pragma"))
		do_pragma(pp, d, rest, n);
	else if (pp_spell_equal(d, "error") || pp_spell_equal(d, "warning"))
		do_message(pp, d, rest, n, pp_spell_equal(d, "error"));
	else
		pp_error(pp, d->loc, "invalid preprocessing directive #%.*s",
			 (int)d->len, d->text);
	(void)hash;
	tokvec_free(pp, &line);
}
