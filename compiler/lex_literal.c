#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lex_literal.h"

enum { MAX_NUMBER_LEN = 512 };

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static bool fail(char *err, size_t cap, const char *fmt, const char *s,
		 size_t n)
{
	snprintf(err, cap, fmt, (int)(n > 64 ? 64 : n), s);
	return false;
}

/* u, l, ul, lu, ll, ull, llu in any case; sets the suffix bits. */
static bool int_suffix(const char *s, size_t n, uint32_t *bits)
{
	*bits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c == 'u' || c == 'U') && !(*bits & VCL_LIT_U)) {
			*bits |= VCL_LIT_U;
		} else if ((c == 'l' || c == 'L') && !(*bits & VCL_LIT_L)) {
			*bits |= VCL_LIT_L;
			if (i + 1 < n && s[i + 1] == c)
				i++; /* ll: long is already 64-bit */
		} else {
			return false;
		}
	}
	return true;
}

static bool is_float(const char *s, size_t n, bool hex)
{
	for (size_t i = hex ? 2 : 0; i < n; i++) {
		char c = s[i];
		if (c == '.' || (hex && (c == 'p' || c == 'P')) ||
		    (!hex && (c == 'e' || c == 'E')))
			return true;
	}
	return false;
}

static bool parse_int(const char *s, size_t n, bool hex, struct vcl_token *t,
		      char *err, size_t cap)
{
	unsigned base = hex ? 16 : s[0] == '0' ? 8 : 10;
	size_t i = hex ? 2 : 0;
	uint64_t v = 0;
	size_t start = i;
	for (; i < n && digit_value(s[i]) < 16; i++) {
		unsigned d = (unsigned)digit_value(s[i]);
		if (d >= base) {
			if (base == 8 && d < 10)
				return fail(err, cap,
					    "invalid digit in octal constant "
					    "'%.*s'",
					    s, n);
			break;
		}
		if (v > (UINT64_MAX - d) / base)
			return fail(err, cap,
				    "integer literal '%.*s' is too large", s,
				    n);
		v = v * base + d;
	}
	if (i == start && hex)
		return fail(err, cap,
			    "hexadecimal constant '%.*s' has no digits", s, n);
	uint32_t bits;
	if (!int_suffix(s + i, n - i, &bits))
		return fail(err, cap,
			    "invalid suffix on integer constant '%.*s'", s, n);
	t->kind = VCL_T_INT_LIT;
	t->u.i = v;
	t->aux = bits;
	return true;
}

/* The length of the float's digits and exponent (no suffix), or 0. */
static size_t float_body(const char *s, size_t n, bool hex)
{
	size_t i = hex ? 2 : 0, digits = 0;
	int limit = hex ? 16 : 10;
	for (; i < n && digit_value(s[i]) < limit; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && digit_value(s[i]) < limit; i++)
			digits++;
	if (!digits)
		return 0;
	bool has_exp = i < n && (hex ? (s[i] == 'p' || s[i] == 'P')
				     : (s[i] == 'e' || s[i] == 'E'));
	if (hex && !has_exp)
		return 0; /* a hexadecimal float needs its exponent */
	if (has_exp) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e0)
			return 0;
	}
	return i;
}

static bool parse_float(const char *s, size_t n, bool hex, struct vcl_token *t,
			char *err, size_t cap)
{
	size_t body = float_body(s, n, hex);
	if (!body)
		return fail(err, cap, "invalid floating constant '%.*s'", s, n);
	uint32_t bits = 0;
	if (n - body == 1 && (s[body] == 'f' || s[body] == 'F'))
		bits = VCL_LIT_F;
	else if (n != body)
		return fail(err, cap,
			    "invalid suffix on floating constant '%.*s'", s, n);
	char buf[MAX_NUMBER_LEN + 1];
	memcpy(buf, s, body);
	buf[body] = '\0';
	t->kind = VCL_T_FLOAT_LIT;
	t->u.f = strtod(buf, NULL); /* the C locale: '.' is the point */
	t->aux = bits;
	return true;
}

bool vcl_parse_number(const char *s, size_t n, struct vcl_token *t, char *err,
		      size_t errcap)
{
	if (n > MAX_NUMBER_LEN)
		return fail(err, errcap, "number '%.*s...' is too long", s, n);
	bool hex = n > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (is_float(s, n, hex))
		return parse_float(s, n, hex, t, err, errcap);
	return parse_int(s, n, hex, t, err, errcap);
}

bool vcl_parse_char(const char *s, size_t n, int64_t *value, char *err,
		    size_t errcap)
{
	if (n < 3)
		return fail(err, errcap, "empty character constant %.*s", s, n);
	const char *p = s + 1, *end = s + n - 1;
	unsigned v;
	if (*p != '\\') {
		v = (unsigned char)*p++;
	} else if (++p < end && (*p == 'x' || *p == 'X')) {
		v = 0;
		const char *d0 = ++p;
		for (; p < end && digit_value(*p) < 16; p++) {
			v = v * 16 + (unsigned)digit_value(*p);
			if (v > 0xff)
				return fail(err, errcap,
					    "hex escape sequence out of range "
					    "in %.*s",
					    s, n);
		}
		if (p == d0)
			return fail(err, errcap,
				    "\\x used with no following hex digits in "
				    "%.*s",
				    s, n);
	} else if (p < end && *p >= '0' && *p <= '7') {
		v = 0;
		for (int k = 0; k < 3 && p < end && *p >= '0' && *p <= '7'; k++)
			v = v * 8 + (unsigned)(*p++ - '0');
		if (v > 0xff)
			return fail(
			    err, errcap,
			    "octal escape sequence out of range in %.*s", s, n);
	} else {
		static const char from[] = "'\"?\\abfnrtv",
				  to[] = "'\"?\\\a\b\f\n\r\t\v";
		const char *k = p < end ? strchr(from, *p) : NULL;
		if (!k || !*p)
			return fail(err, errcap,
				    "unknown escape sequence in %.*s", s, n);
		v = (unsigned char)to[k - from];
		p++;
	}
	if (p != end)
		return fail(err, errcap, "multi-character constant %.*s", s, n);
	*value = (int8_t)(uint8_t)v;
	return true;
}
