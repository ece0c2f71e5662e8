#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_internal.h"

/* An invocation's arguments: as written, and macro-expanded on demand. */
struct arg {
	struct tokvec raw, expanded;
	bool done;
};

struct args {
	uint32_t n;    /* given */
	struct arg *v; /* one per parameter (at least one) */
};

static void free_args(struct vcl_pp *pp, struct args *a, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		tokvec_free(pp, &a->v[i].raw);
		tokvec_free(pp, &a->v[i].expanded);
	}
	free(a->v);
}

/* Reads "( ... )" after the macro's name; false on error. */
static bool collect_args(struct vcl_pp *pp, const struct vcl_macro *m,
			 const struct vcl_token *name, struct args *a)
{
	struct vcl_token t;
	uint32_t slots = m->nparams ? m->nparams : 1, depth = 0;
	pp_next_raw(pp, &t); /* the '(' seen by pp_next_lparen */
	pp->collecting_args = true;
	a->n = 1;
	for (;;) {
		pp_next_raw(pp, &t);
		if (t.kind == VCL_T_EOF) {
			pp->collecting_args = false;
			if (!pp->fatal)
				pp_error(pp, name->loc,
					 "unterminated argument list invoking "
					 "macro '%.*s'",
					 (int)m->len, m->name);
			return false;
		}
		if (t.kind == VCL_T_RPAREN && depth == 0)
			break;
		if (t.kind == VCL_T_LPAREN)
			depth++;
		else if (t.kind == VCL_T_RPAREN)
			depth--;
		else if (t.kind == VCL_T_COMMA && depth == 0 &&
			 !(m->variadic && a->n >= slots)) {
			a->n++;
			continue;
		}
		if (a->n <= slots &&
		    !tokvec_push(pp, &a->v[a->n - 1].raw, &t)) {
			pp->collecting_args = false;
			return false;
		}
	}
	pp->collecting_args = false;
	uint32_t need = m->nparams;
	if (need == 0 && a->n == 1 && a->v[0].raw.n == 0)
		return true;
	if (m->variadic && a->n == need - 1)
		a->n = need; /* __VA_ARGS__ empty */
	if (a->n != need) {
		pp_error(pp, name->loc,
			 "macro '%.*s' takes %u argument%s, but %u %s given",
			 (int)m->len, m->name, need, need == 1 ? "" : "s", a->n,
			 a->n == 1 ? "was" : "were");
		return false;
	}
	return true;
}

static const struct tokvec *expanded_arg(struct vcl_pp *pp, struct args *a,
					 uint32_t i)
{
	struct arg *g = &a->v[i];
	if (!g->done) {
		g->done = true;
		if (!pp_expand_list(pp, &g->raw, &g->expanded))
			return NULL;
	}
	return &g->expanded;
}

/* The string literal of an argument's spelling (the '#' operator). */
static bool stringize(struct vcl_pp *pp, const struct tokvec *arg,
		      struct vcl_loc loc, struct vcl_token *out)
{
	size_t cap = 3;
	for (uint32_t i = 0; i < arg->n; i++)
		cap += 2 * (size_t)arg->v[i].len + 1;
	char *buf = vcl_arena_alloc(&pp->arena, cap);
	if (!buf) {
		pp_fatal(pp, loc, "out of memory");
		return false;
	}
	size_t n = 0;
	buf[n++] = '"';
	for (uint32_t i = 0; i < arg->n; i++) {
		const struct vcl_token *t = &arg->v[i];
		if (i && (t->flags & VCL_TF_SPACE))
			buf[n++] = ' ';
		bool quoted =
		    t->kind == VCL_T_STRING || t->kind == VCL_T_CHAR_CONST;
		for (uint32_t k = 0; k < t->len; k++) {
			if (quoted && (t->text[k] == '"' || t->text[k] == '\\'))
				buf[n++] = '\\';
			buf[n++] = t->text[k];
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	out->kind = VCL_T_STRING;
	out->text = buf;
	out->len = (uint32_t)n;
	out->loc = loc;
	return true;
}

/* lhs ## rhs into lhs (the '##' operator). */
static bool paste(struct vcl_pp *pp, struct vcl_token *lhs,
		  const struct vcl_token *rhs)
{
	if (rhs->kind == VCL_T_PLACEMARKER)
		return true;
	uint16_t space = lhs->flags & VCL_TF_SPACE;
	if (lhs->kind == VCL_T_PLACEMARKER) {
		*lhs = *rhs;
		lhs->flags = (rhs->flags & ~VCL_TF_SPACE) | space;
		return true;
	}
	size_t len = (size_t)lhs->len + rhs->len;
	char *buf = vcl_arena_alloc(&pp->arena, len + 1);
	if (!buf) {
		pp_fatal(pp, lhs->loc, "out of memory");
		return false;
	}
	memcpy(buf, lhs->text, lhs->len);
	memcpy(buf + lhs->len, rhs->text, rhs->len);
	buf[len] = '\0';
	struct vcl_scanner sc;
	struct vcl_token t, end;
	vcl_scan_init(&sc, buf, len, lhs->loc.file, "", &pp->arena, pp->diags);
	sc.quiet = true;
	if (!vcl_scan(&sc, &t) || !vcl_scan(&sc, &end) || t.len != len ||
	    t.flags & VCL_TF_SPACE || end.kind != VCL_T_EOF ||
	    t.kind == VCL_T_OTHER) {
		pp_error(pp, lhs->loc,
			 "pasting \"%.*s\" and \"%.*s\" does not give a valid "
			 "preprocessing token",
			 (int)lhs->len, lhs->text, (int)rhs->len, rhs->text);
		return false;
	}
	t.loc = lhs->loc;
	t.flags = space;
	*lhs = t;
	return true;
}

struct subst {
	struct tokvec out;
	bool paste_next; /* the last token of out is a '##' operand */
};

static bool emit(struct vcl_pp *pp, struct subst *s, const struct vcl_token *t)
{
	if (s->paste_next) {
		s->paste_next = false;
		return paste(pp, &s->out.v[s->out.n - 1], t);
	}
	return tokvec_push(pp, &s->out, t);
}

/* Appends a parameter's argument, raw or expanded, to the expansion. */
static bool emit_arg(struct vcl_pp *pp, struct subst *s,
		     const struct vcl_token *param, const struct tokvec *arg,
		     bool pasted)
{
	if (!arg->n) {
		if (!pasted)
			return true;
		struct vcl_token pm = *param;
		pm.kind = VCL_T_PLACEMARKER;
		pm.len = 0;
		return emit(pp, s, &pm);
	}
	for (uint32_t k = 0; k < arg->n; k++) {
		struct vcl_token t = arg->v[k];
		t.flags &= ~VCL_TF_BOL;
		if (!k)
			t.flags = (t.flags & ~VCL_TF_SPACE) |
				  (param->flags & VCL_TF_SPACE);
		if (!emit(pp, s, &t))
			return false;
	}
	return true;
}

/* The replacement list with arguments substituted, '#' and '##' applied
 * (C99 6.10.3.1-3). Body tokens take the location of the use. */
static bool substitute(struct vcl_pp *pp, const struct vcl_macro *m,
		       const struct vcl_token *name, struct args *a,
		       struct tokvec *out)
{
	struct subst s = {0};
	if (!a && m->nbody && !tokvec_reserve(pp, &s.out, m->nbody, name->loc))
		return false;
	for (uint32_t i = 0; i < m->nbody; i++) {
		const struct vcl_token *bt = &m->body[i];
		bool ok;
		if (bt->kind == VCL_T_HASHHASH) {
			s.paste_next = true;
			continue;
		}
		if (bt->kind == VCL_T_HASH && m->function_like) {
			struct vcl_token str;
			const struct vcl_token *p = &m->body[++i];
			ok = stringize(pp, &a->v[p->aux].raw, name->loc, &str);
			str.flags = bt->flags & VCL_TF_SPACE;
			ok = ok && emit(pp, &s, &str);
		} else if (bt->kind == VCL_T_MACRO_PARAM) {
			bool pasted = s.paste_next ||
				      (i + 1 < m->nbody &&
				       m->body[i + 1].kind == VCL_T_HASHHASH);
			const struct tokvec *arg =
			    pasted ? &a->v[bt->aux].raw
				   : expanded_arg(pp, a, bt->aux);
			ok = arg && emit_arg(pp, &s, bt, arg, pasted);
		} else {
			struct vcl_token t = *bt;
			t.loc = name->loc;
			ok = emit(pp, &s, &t);
		}
		if (!ok) {
			tokvec_free(pp, &s.out);
			return false;
		}
	}
	/* Placemarkers go; the first token takes the name's spacing. */
	uint32_t n = 0;
	for (uint32_t i = 0; i < s.out.n; i++)
		if (s.out.v[i].kind != VCL_T_PLACEMARKER)
			s.out.v[n++] = s.out.v[i];
	s.out.n = n;
	if (n)
		s.out.v[0].flags = (s.out.v[0].flags & ~VCL_TF_SPACE) |
				   (name->flags & VCL_TF_SPACE);
	*out = s.out;
	return true;
}

static bool expand_builtin(struct vcl_pp *pp, const struct vcl_macro *m,
			   const struct vcl_token *name, struct tokvec *out)
{
	struct vcl_token t;
	if (m->builtin == BUILTIN_LINE) {
		char num[16];
		int len = snprintf(num, sizeof(num), "%u", name->loc.line);
		t = *name;
		t.kind = VCL_T_PP_NUMBER;
		t.text = vcl_arena_strndup(&pp->arena, num, (size_t)len);
		t.len = (uint32_t)len;
		if (!t.text) {
			pp_fatal(pp, name->loc, "out of memory");
			return false;
		}
	} else {
		/* The name's quotes and backslashes escaped, as for a
		 * string literal. */
		const char *file = vcl_pp_file_name(pp, name->loc.file);
		struct vcl_token ft = {.kind = VCL_T_STRING,
				       .text = file,
				       .len = (uint32_t)strlen(file)};
		struct tokvec one = {.v = &ft, .n = 1};
		if (!stringize(pp, &one, name->loc, &t))
			return false;
		t.flags = name->flags & VCL_TF_SPACE;
	}
	return tokvec_push(pp, out, &t);
}

int pp_try_expand(struct vcl_pp *pp, struct vcl_token *name)
{
	struct vcl_macro *m = pp_lookup(pp, name->text, name->len);
	if (!m)
		return 0;
	if (m->active) {
		/* Painted for good (C99 6.10.3.4p2). */
		name->flags |= VCL_TF_NO_EXPAND;
		return 0;
	}
	if (m->function_like && !pp_next_lparen(pp))
		return 0;
	struct tokvec out = {0};
	bool ok;
	if (m->builtin) {
		ok = expand_builtin(pp, m, name, &out);
	} else if (m->function_like) {
		uint32_t slots = m->nparams ? m->nparams : 1;
		struct args a = {.v = calloc(slots, sizeof(struct arg))};
		if (!a.v) {
			pp_fatal(pp, name->loc, "out of memory");
			return -1;
		}
		ok = collect_args(pp, m, name, &a) &&
		     substitute(pp, m, name, &a, &out);
		free_args(pp, &a, slots);
	} else {
		ok = substitute(pp, m, name, NULL, &out);
	}
	if (!ok) {
		tokvec_free(pp, &out);
		return pp->fatal ? -1 : 1;
	}
	pp->expanded += out.n;
	if (pp->expanded > VCL_MAX_EXPANSION_TOKENS) {
		tokvec_free(pp, &out);
		pp_fatal(pp, name->loc,
			 "macro expansion produced more than %u tokens "
			 "(expanding '%.*s')",
			 VCL_MAX_EXPANSION_TOKENS, (int)m->len, m->name);
		return -1;
	}
	return pp_push_tokens(pp, &out, m, false) ? 1 : -1;
}
