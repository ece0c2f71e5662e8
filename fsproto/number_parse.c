/* Numbers in command lines: strict, overflow-checked, whole-token. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/text_proto.h>

#define NUM_MAX 64 /* longer tokens are no sensible number */

static int copy_token(const char *s, size_t len, char *tmp)
{
	if (len == 0 || len >= NUM_MAX)
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return 0;
}

int vgpu_parse_int(const char *s, size_t len, int64_t *out)
{
	char tmp[NUM_MAX];
	if (copy_token(s, len, tmp) < 0)
		return -EINVAL;
	unsigned shift = 0;
	switch (tmp[len - 1]) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case 'T':
	case 't':
		shift = 40;
		break;
	}
	if (shift)
		tmp[--len] = '\0';
	/* strtoll accepts leading blanks and '+': the grammar does not. */
	if (len == 0 || !(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
		return -EINVAL;
	char *end;
	errno = 0;
	long long v = strtoll(tmp, &end, 0);
	if (end == tmp || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (shift) {
		long long lim = INT64_MAX >> shift;
		if (v > lim || v < -lim)
			return -ERANGE;
		v *= 1LL << shift;
	}
	*out = v;
	return 0;
}

int vgpu_parse_float(const char *s, size_t len, double *out)
{
	char tmp[NUM_MAX];
	if (copy_token(s, len, tmp) < 0)
		return -EINVAL;
	if (tmp[0] == ' ' || tmp[0] == '\t')
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(tmp, &end);
	if (end == tmp || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return -ERANGE;
	if (!isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}
