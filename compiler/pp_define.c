#include <string.h>

#include "pp_internal.h"

static uint32_t hash(const char *s, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % MACRO_BUCKETS;
}

struct vcl_macro *pp_lookup(struct vcl_pp *pp, const char *name, uint32_t len)
{
	for (struct vcl_macro *m = pp->buckets[hash(name, len)]; m; m = m->next)
		if (m->len == len && memcmp(m->name, name, len) == 0)
			return m;
	return NULL;
}

static void unlink_macro(struct vcl_pp *pp, const struct vcl_macro *m)
{
	struct vcl_macro **pm = &pp->buckets[hash(m->name, m->len)];
	while (*pm != m)
		pm = &(*pm)->next;
	*pm = m->next;
}

static void insert(struct vcl_pp *pp, struct vcl_macro *m)
{
	uint32_t h = hash(m->name, m->len);
	m->next = pp->buckets[h];
	pp->buckets[h] = m;
}

void pp_define_builtins(struct vcl_pp *pp)
{
	static const struct {
		const char *name;
		int kind;
	} builtins[] = {{"__FILE__", BUILTIN_FILE}, {"__LINE__", BUILTIN_LINE}};
	for (size_t i = 0; i < 2; i++) {
		struct vcl_macro *m = vcl_arena_alloc(&pp->arena, sizeof(*m));
		if (!m)
			return;
		memset(m, 0, sizeof(*m));
		m->name = builtins[i].name;
		m->len = (uint32_t)strlen(m->name);
		m->builtin = builtins[i].kind;
		insert(pp, m);
	}
}

/* A name #define and #undef may not touch, else NULL. */
static const char *reserved(const struct vcl_pp *pp, const struct vcl_token *t)
{
	(void)pp;
	if (pp_spell_equal(t, "defined"))
		return "'defined' cannot be used as a macro name";
	if (pp_spell_equal(t, "__FILE__") || pp_spell_equal(t, "__LINE__"))
		return "a built-in macro cannot be redefined or undefined";
	if (pp_spell_equal(t, "__VA_ARGS__"))
		return "__VA_ARGS__ cannot be used as a macro name";
	return NULL;
}

static bool macro_name(struct vcl_pp *pp, const struct vcl_token *line,
		       uint32_t n, struct vcl_loc at)
{
	if (!n || line[0].kind != VCL_T_IDENT) {
		pp_error(pp, n ? line[0].loc : at, "macro name missing");
		return false;
	}
	const char *why = reserved(pp, &line[0]);
	if (why) {
		pp_error(pp, line[0].loc, "%s", why);
		return false;
	}
	return true;
}

static bool same_tokens(const struct vcl_token *a, const struct vcl_token *b,
			uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (a[i].kind != b[i].kind || a[i].len != b[i].len ||
		    a[i].aux != b[i].aux ||
		    memcmp(a[i].text, b[i].text, a[i].len) ||
		    (i && (a[i].flags & VCL_TF_SPACE) !=
			      (b[i].flags & VCL_TF_SPACE)))
			return false;
	}
	return true;
}

static bool same_definition(const struct vcl_macro *a,
			    const struct vcl_macro *b)
{
	return a->function_like == b->function_like &&
	       a->variadic == b->variadic && a->nparams == b->nparams &&
	       a->nbody == b->nbody && !a->builtin && !b->builtin &&
	       same_tokens(a->params, b->params, a->nparams) &&
	       same_tokens(a->body, b->body, a->nbody);
}

/* The parameter list after "NAME(": returns the index of the token after
 * the ')' or 0 on error. */
static uint32_t parse_params(struct vcl_pp *pp, struct vcl_macro *m,
			     const struct vcl_token *line, uint32_t n)
{
	uint32_t i = 2;
	m->params =
	    vcl_arena_alloc(&pp->arena, n * sizeof(struct vcl_token) + 1);
	if (!m->params) {
		pp_fatal(pp, line[0].loc, "out of memory");
		return 0;
	}
	if (i < n && line[i].kind == VCL_T_RPAREN)
		return i + 1;
	for (;;) {
		if (i >= n) {
			pp_error(pp, line[n - 1].loc,
				 "missing ')' in macro parameter list");
			return 0;
		}
		const struct vcl_token *t = &line[i];
		if (t->kind == VCL_T_ELLIPSIS) {
			m->variadic = true;
			m->params[m->nparams] = *t;
			m->params[m->nparams].kind = VCL_T_IDENT;
			m->params[m->nparams].text = "__VA_ARGS__";
			m->params[m->nparams++].len = 11;
			if (i + 1 >= n || line[i + 1].kind != VCL_T_RPAREN) {
				pp_error(pp, t->loc,
					 "missing ')' after '...' in macro "
					 "parameter list");
				return 0;
			}
			return i + 2;
		}
		if (t->kind != VCL_T_IDENT ||
		    pp_spell_equal(t, "__VA_ARGS__")) {
			pp_error(pp, t->loc,
				 "expected a parameter name in the macro "
				 "parameter list, found '%.*s'",
				 (int)t->len, t->text);
			return 0;
		}
		for (uint32_t k = 0; k < m->nparams; k++)
			if (m->params[k].len == t->len &&
			    !memcmp(m->params[k].text, t->text, t->len)) {
				pp_error(pp, t->loc,
					 "duplicate macro parameter '%.*s'",
					 (int)t->len, t->text);
				return 0;
			}
		if (m->nparams == VCL_MAX_MACRO_PARAMS) {
			pp_error(pp, t->loc, "more than %u macro parameters",
				 VCL_MAX_MACRO_PARAMS);
			return 0;
		}
		m->params[m->nparams++] = *t;
		i++;
		if (i < n && line[i].kind == VCL_T_COMMA) {
			i++;
			continue;
		}
		if (i < n && line[i].kind == VCL_T_RPAREN)
			return i + 1;
		pp_error(pp, i < n ? line[i].loc : t->loc,
			 "expected ',' or ')' in macro parameter list");
		return 0;
	}
}

static int param_index(const struct vcl_macro *m, const struct vcl_token *t)
{
	if (t->kind != VCL_T_IDENT)
		return -1;
	for (uint32_t k = 0; k < m->nparams; k++)
		if (m->params[k].len == t->len &&
		    !memcmp(m->params[k].text, t->text, t->len))
			return (int)k;
	return -1;
}

/* The replacement list: parameters marked, '#' and '##' checked. */
static bool parse_body(struct vcl_pp *pp, struct vcl_macro *m,
		       const struct vcl_token *line, uint32_t i, uint32_t n)
{
	m->nbody = n - i;
	m->body = vcl_arena_alloc(&pp->arena,
				  m->nbody * sizeof(struct vcl_token) + 1);
	if (!m->body) {
		pp_fatal(pp, line[0].loc, "out of memory");
		return false;
	}
	for (uint32_t k = 0; k < m->nbody; k++) {
		struct vcl_token t = line[i + k];
		t.flags &= ~VCL_TF_BOL;
		if (!k)
			t.flags &= ~VCL_TF_SPACE;
		int p = m->function_like ? param_index(m, &t) : -1;
		if (p >= 0) {
			t.kind = VCL_T_MACRO_PARAM;
			t.aux = (uint32_t)p;
		} else if (t.kind == VCL_T_IDENT &&
			   pp_spell_equal(&t, "__VA_ARGS__")) {
			pp_error(pp, t.loc,
				 "__VA_ARGS__ can only appear in the "
				 "expansion of a variadic macro");
			return false;
		}
		m->body[k] = t;
	}
	for (uint32_t k = 0; k < m->nbody; k++) {
		const struct vcl_token *t = &m->body[k];
		if (t->kind == VCL_T_HASHHASH && (!k || k + 1 == m->nbody)) {
			pp_error(pp, t->loc,
				 "'##' cannot appear at either end of a "
				 "macro expansion");
			return false;
		}
		if (t->kind == VCL_T_HASH && m->function_like &&
		    (k + 1 == m->nbody ||
		     m->body[k + 1].kind != VCL_T_MACRO_PARAM)) {
			pp_error(pp, t->loc,
				 "'#' is not followed by a macro parameter");
			return false;
		}
	}
	return true;
}

void pp_define(struct vcl_pp *pp, const struct vcl_token *line, uint32_t n,
	       struct vcl_loc at)
{
	if (!macro_name(pp, line, n, at))
		return;
	struct vcl_macro *m = vcl_arena_alloc(&pp->arena, sizeof(*m));
	if (!m) {
		pp_fatal(pp, line[0].loc, "out of memory");
		return;
	}
	memset(m, 0, sizeof(*m));
	m->name = line[0].text;
	m->len = line[0].len;
	m->loc = line[0].loc;
	uint32_t i = 1;
	if (n > 1 && line[1].kind == VCL_T_LPAREN &&
	    !(line[1].flags & VCL_TF_SPACE)) {
		m->function_like = true;
		i = parse_params(pp, m, line, n);
		if (!i)
			return;
	} else if (n > 1 && !(line[1].flags & VCL_TF_SPACE)) {
		pp_warning(pp, line[1].loc,
			   "whitespace is required after the macro name");
	}
	if (!parse_body(pp, m, line, i, n))
		return;
	struct vcl_macro *old = pp_lookup(pp, m->name, m->len);
	if (old) {
		if (same_definition(old, m))
			return;
		pp_warning(pp, m->loc, "'%.*s' macro redefined", (int)m->len,
			   m->name);
		unlink_macro(pp, old);
	}
	insert(pp, m);
}

void pp_undef(struct vcl_pp *pp, const struct vcl_token *line, uint32_t n,
	      struct vcl_loc at)
{
	if (!macro_name(pp, line, n, at))
		return;
	if (n > 1)
		pp_warning(pp, line[1].loc,
			   "extra tokens at the end of #undef directive");
	struct vcl_macro *m = pp_lookup(pp, line[0].text, line[0].len);
	if (m)
		unlink_macro(pp, m);
}
