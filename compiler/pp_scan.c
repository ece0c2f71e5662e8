#include <string.h>

#include "pp_scan.h"

void vcl_scan_init(struct vcl_scanner *s, const char *data, size_t len,
		   uint32_t file, const char *fname, struct vcl_arena *arena,
		   struct vcl_diags *diags)
{
	*s = (struct vcl_scanner){
	    .p = data,
	    .end = data + len,
	    .file = file,
	    .line = 1,
	    .col = 1,
	    .bol = true,
	    .fname = fname,
	    .arena = arena,
	    .diags = diags,
	};
}

/* Length of a line splice (backslash, newline) at p, else 0. */
static size_t splice_at(const struct vcl_scanner *s, const char *p)
{
	if (p < s->end && *p == '\\') {
		if (p + 1 < s->end && p[1] == '\n')
			return 2;
		if (p + 2 < s->end && p[1] == '\r' && p[2] == '\n')
			return 3;
	}
	return 0;
}

static void skip_splices(struct vcl_scanner *s, bool *spliced)
{
	size_t n;
	while ((n = splice_at(s, s->p))) {
		s->p += n;
		s->line++;
		s->col = 1;
		*spliced = true;
	}
}

/* The character at the cursor after splices, -1 at the end. */
static int cur(struct vcl_scanner *s, bool *spliced)
{
	skip_splices(s, spliced);
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

/* The character after the current one (splices skipped), -1 at the end. */
static int next_char(struct vcl_scanner *s)
{
	const char *p = s->p + 1;
	size_t n;
	while ((n = splice_at(s, p)))
		p += n;
	return p < s->end ? (unsigned char)*p : -1;
}

static void adv(struct vcl_scanner *s)
{
	s->p++;
	s->col++;
}

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(int c)
{
	return is_ident_start(c) || is_digit(c);
}

static void error(struct vcl_scanner *s, uint32_t line, uint32_t col,
		  const char *msg)
{
	if (!s->quiet)
		vcl_diag_add(s->diags, VCL_ERROR, s->fname, line, col, "%s",
			     msg);
}

/* Skips a block comment whose "/" "*" is at the cursor. */
static void block_comment(struct vcl_scanner *s, bool *spliced)
{
	uint32_t line = s->line, col = s->col;
	adv(s);
	adv(s);
	for (;;) {
		int c = cur(s, spliced);
		if (c < 0) {
			error(s, line, col, "unterminated /* comment");
			return;
		}
		adv(s);
		if (c == '\n') {
			s->line++;
			s->col = 1;
		} else if (c == '*' && cur(s, spliced) == '/') {
			adv(s);
			return;
		}
	}
}

static void line_comment(struct vcl_scanner *s, bool *spliced)
{
	int c;
	while ((c = cur(s, spliced)) >= 0 && c != '\n')
		adv(s);
}

/* Whitespace and comments before a token; true if there were any. */
static bool skip_blank(struct vcl_scanner *s)
{
	bool space = false, spliced = false;
	for (;;) {
		int c = cur(s, &spliced);
		if (c == ' ' || c == '\t' || c == '\v' || c == '\f' ||
		    c == '\r') {
			adv(s);
		} else if (c == '/' && next_char(s) == '*') {
			block_comment(s, &spliced);
		} else if (c == '/' && next_char(s) == '/') {
			line_comment(s, &spliced);
		} else {
			return space;
		}
		space = true;
	}
}

void vcl_scan_skip_line(struct vcl_scanner *s)
{
	bool spliced = false;
	for (;;) {
		int c = cur(s, &spliced);
		if (c < 0 || c == '\n')
			return;
		if (c == '/' && next_char(s) == '*')
			block_comment(s, &spliced);
		else if (c == '/' && next_char(s) == '/')
			line_comment(s, &spliced);
		else
			adv(s);
	}
}

/* A quoted literal whose opening quote is at the cursor; false when the
 * line or the input ends first (the quote alone is then the token). */
static bool quoted(struct vcl_scanner *s, int quote, bool *spliced)
{
	const char *p0 = s->p;
	uint32_t line0 = s->line, col0 = s->col;
	adv(s);
	for (;;) {
		int c = cur(s, spliced);
		if (c < 0 || c == '\n') {
			s->p = p0;
			s->line = line0;
			s->col = col0;
			adv(s);
			return false;
		}
		adv(s);
		if (c == quote)
			return true;
		if (c == '\\') {
			c = cur(s, spliced);
			if (c >= 0 && c != '\n')
				adv(s);
		}
	}
}

static void number(struct vcl_scanner *s, bool *spliced, int first)
{
	int prev = first;
	for (;;) {
		int c = cur(s, spliced);
		if (c == '+' || c == '-') {
			if (prev != 'e' && prev != 'E' && prev != 'p' &&
			    prev != 'P')
				return;
		} else if (!is_ident_char(c) && c != '.') {
			return;
		}
		prev = c;
		adv(s);
	}
}

struct punct {
	const char *s;
	enum vcl_tok kind;
};

/* Longest first within each leading character. */
static const struct punct puncts[] = {
    {"%:%:", VCL_T_HASHHASH},  {"...", VCL_T_ELLIPSIS},
    {"<<=", VCL_T_SHL_ASSIGN}, {">>=", VCL_T_SHR_ASSIGN},
    {"->", VCL_T_ARROW},       {"++", VCL_T_INC},
    {"--", VCL_T_DEC},	       {"<<", VCL_T_SHL},
    {">>", VCL_T_SHR},	       {"<=", VCL_T_LE},
    {">=", VCL_T_GE},	       {"==", VCL_T_EQ},
    {"!=", VCL_T_NE},	       {"&&", VCL_T_ANDAND},
    {"||", VCL_T_OROR},	       {"*=", VCL_T_MUL_ASSIGN},
    {"/=", VCL_T_DIV_ASSIGN},  {"%=", VCL_T_MOD_ASSIGN},
    {"+=", VCL_T_ADD_ASSIGN},  {"-=", VCL_T_SUB_ASSIGN},
    {"&=", VCL_T_AND_ASSIGN},  {"^=", VCL_T_XOR_ASSIGN},
    {"|=", VCL_T_OR_ASSIGN},   {"##", VCL_T_HASHHASH},
    {"<:", VCL_T_LBRACKET},    {":>", VCL_T_RBRACKET},
    {"<%", VCL_T_LBRACE},      {"%>", VCL_T_RBRACE},
    {"%:", VCL_T_HASH},	       {"[", VCL_T_LBRACKET},
    {"]", VCL_T_RBRACKET},     {"(", VCL_T_LPAREN},
    {")", VCL_T_RPAREN},       {"{", VCL_T_LBRACE},
    {"}", VCL_T_RBRACE},       {".", VCL_T_DOT},
    {"&", VCL_T_AMP},	       {"*", VCL_T_STAR},
    {"+", VCL_T_PLUS},	       {"-", VCL_T_MINUS},
    {"~", VCL_T_TILDE},	       {"!", VCL_T_BANG},
    {"/", VCL_T_SLASH},	       {"%", VCL_T_PERCENT},
    {"<", VCL_T_LT},	       {">", VCL_T_GT},
    {"^", VCL_T_CARET},	       {"|", VCL_T_PIPE},
    {"?", VCL_T_QUESTION},     {":", VCL_T_COLON},
    {";", VCL_T_SEMI},	       {"=", VCL_T_ASSIGN},
    {",", VCL_T_COMMA},	       {"#", VCL_T_HASH},
};

/* Matches a punctuator at the cursor, splices allowed between its
 * characters; returns its kind and consumes it, or VCL_T_EOF. */
static enum vcl_tok punctuator(struct vcl_scanner *s, bool *spliced)
{
	for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
		struct vcl_scanner save = *s;
		bool sp = false;
		const char *m = puncts[i].s;
		while (*m && cur(s, &sp) == (unsigned char)*m) {
			adv(s);
			m++;
		}
		if (!*m) {
			*spliced |= sp;
			return puncts[i].kind;
		}
		*s = save;
	}
	return VCL_T_EOF;
}

/* The spelling of a token that contained line splices, without them. */
static bool clean_spelling(struct vcl_scanner *s, struct vcl_token *t)
{
	char *out = vcl_arena_alloc(s->arena, t->len + 1);
	if (!out) {
		error(s, t->loc.line, t->loc.col, "out of memory");
		return false;
	}
	size_t n = 0;
	for (const char *p = t->text; p < t->text + t->len;) {
		size_t k = splice_at(s, p);
		if (k) {
			p += k;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	t->text = out;
	t->len = (uint32_t)n;
	return true;
}

bool vcl_scan(struct vcl_scanner *s, struct vcl_token *t)
{
	bool space = skip_blank(s);
	bool spliced = false;
	int c = cur(s, &spliced);
	memset(t, 0, sizeof(*t));
	t->loc = (struct vcl_loc){s->file, s->line, s->col};
	t->text = s->p;
	if (c < 0) {
		t->kind = VCL_T_EOF;
		t->flags = s->bol ? VCL_TF_BOL : 0;
		return true;
	}
	if (c == '\n') {
		adv(s);
		s->line++;
		s->col = 1;
		s->bol = true;
		t->kind = VCL_T_NEWLINE;
		t->len = 1;
		return true;
	}
	t->flags = (s->bol ? VCL_TF_BOL : 0) | (space ? VCL_TF_SPACE : 0);
	s->bol = false;
	spliced = false;
	if (is_ident_start(c)) {
		t->kind = VCL_T_IDENT;
		while (is_ident_char(cur(s, &spliced)))
			adv(s);
	} else if (is_digit(c) || (c == '.' && is_digit(next_char(s)))) {
		t->kind = VCL_T_PP_NUMBER;
		adv(s);
		number(s, &spliced, c);
	} else if (c == '\'' || c == '"') {
		bool ok = quoted(s, c, &spliced);
		t->kind = !ok	     ? VCL_T_OTHER
			  : c == '"' ? VCL_T_STRING
				     : VCL_T_CHAR_CONST;
	} else {
		t->kind = punctuator(s, &spliced);
		if (t->kind == VCL_T_EOF) {
			t->kind = VCL_T_OTHER;
			adv(s);
		}
	}
	t->len = (uint32_t)(s->p - t->text);
	if (spliced)
		return clean_spelling(s, t);
	return true;
}
