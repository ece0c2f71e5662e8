/* The predefined macros of OpenCL C 1.2 (section 6.10, and the constants
 * of 6.12.2 and 6.12.8 that kernels use), and -D/-U as source text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_internal.h"

/* Supported extensions: each is also a predefined macro (6.10). */
static const char *const extensions[] = {
    "cl_khr_fp64",
    "cl_khr_global_int32_base_atomics",
    "cl_khr_global_int32_extended_atomics",
    "cl_khr_local_int32_base_atomics",
    "cl_khr_local_int32_extended_atomics",
    "cl_khr_byte_addressable_store",
};

bool pp_extension_known(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(extensions) / sizeof(*extensions); i++)
		if (strlen(extensions[i]) == len &&
		    !memcmp(extensions[i], name, len))
			return true;
	return false;
}

/* No __IMAGE_SUPPORT__ (no images), no __FAST_RELAXED_MATH__ (no such
 * option yet), no FP_FAST_FMA/FP_FAST_FMAF (optional: fma speed depends on
 * the host CPU). */
const char vcl_predef_text[] =
    "#define __OPENCL_VERSION__ 120\n"
    "#define __OPENCL_C_VERSION__ 120\n"
    "#define CL_VERSION_1_0 100\n"
    "#define CL_VERSION_1_1 110\n"
    "#define CL_VERSION_1_2 120\n"
    "#define __ENDIAN_LITTLE__ 1\n"
    "#define __kernel_exec(X, typen) __kernel "
    "__attribute__((work_group_size_hint(X, 1, 1))) "
    "__attribute__((vec_type_hint(typen)))\n"
    "#define kernel_exec(X, typen) __kernel_exec(X, typen)\n"
    "#define cl_khr_fp64 1\n"
    "#define cl_khr_global_int32_base_atomics 1\n"
    "#define cl_khr_global_int32_extended_atomics 1\n"
    "#define cl_khr_local_int32_base_atomics 1\n"
    "#define cl_khr_local_int32_extended_atomics 1\n"
    "#define cl_khr_byte_addressable_store 1\n"
    "#define CLK_LOCAL_MEM_FENCE 1\n"
    "#define CLK_GLOBAL_MEM_FENCE 2\n"
    "#define NULL 0\n" /* 0, not (void *)0: no generic space */
    "#define CHAR_BIT 8\n"
    "#define SCHAR_MAX 127\n"
    "#define SCHAR_MIN (-127-1)\n"
    "#define CHAR_MAX SCHAR_MAX\n"
    "#define CHAR_MIN SCHAR_MIN\n"
    "#define UCHAR_MAX 255\n"
    "#define SHRT_MAX 32767\n"
    "#define SHRT_MIN (-32767-1)\n"
    "#define USHRT_MAX 65535\n"
    "#define INT_MAX 2147483647\n"
    "#define INT_MIN (-2147483647-1)\n"
    "#define UINT_MAX 0xffffffffU\n"
    "#define LONG_MAX 0x7fffffffffffffffL\n"
    "#define LONG_MIN (-0x7fffffffffffffffL-1)\n"
    "#define ULONG_MAX 0xffffffffffffffffUL\n"
    "#define FP_ILOGB0 (-2147483647-1)\n"
    "#define FP_ILOGBNAN 2147483647\n"
    "#define FLT_DIG 6\n"
    "#define FLT_MANT_DIG 24\n"
    "#define FLT_MAX_10_EXP +38\n"
    "#define FLT_MAX_EXP +128\n"
    "#define FLT_MIN_10_EXP -37\n"
    "#define FLT_MIN_EXP -125\n"
    "#define FLT_RADIX 2\n"
    "#define FLT_MAX 0x1.fffffep127f\n"
    "#define FLT_MIN 0x1.0p-126f\n"
    "#define FLT_EPSILON 0x1.0p-23f\n"
    "#define DBL_DIG 15\n"
    "#define DBL_MANT_DIG 53\n"
    "#define DBL_MAX_10_EXP +308\n"
    "#define DBL_MAX_EXP +1024\n"
    "#define DBL_MIN_10_EXP -307\n"
    "#define DBL_MIN_EXP -1021\n"
    "#define DBL_MAX 0x1.fffffffffffffp1023\n"
    "#define DBL_MIN 0x1.0p-1022\n"
    "#define DBL_EPSILON 0x1.0p-52\n"
    "#define M_E_F 2.71828182845904523536f\n"
    "#define M_LOG2E_F 1.44269504088896340736f\n"
    "#define M_LOG10E_F 0.434294481903251827651f\n"
    "#define M_LN2_F 0.693147180559945309417f\n"
    "#define M_LN10_F 2.30258509299404568402f\n"
    "#define M_PI_F 3.14159265358979323846f\n"
    "#define M_PI_2_F 1.57079632679489661923f\n"
    "#define M_PI_4_F 0.785398163397448309616f\n"
    "#define M_1_PI_F 0.318309886183790671538f\n"
    "#define M_2_PI_F 0.636619772367581343076f\n"
    "#define M_2_SQRTPI_F 1.12837916709551257390f\n"
    "#define M_SQRT2_F 1.41421356237309504880f\n"
    "#define M_SQRT1_2_F 0.707106781186547524401f\n"
    "#define M_E 2.71828182845904523536\n"
    "#define M_LOG2E 1.44269504088896340736\n"
    "#define M_LOG10E 0.434294481903251827651\n"
    "#define M_LN2 0.693147180559945309417\n"
    "#define M_LN10 2.30258509299404568402\n"
    "#define M_PI 3.14159265358979323846\n"
    "#define M_PI_2 1.57079632679489661923\n"
    "#define M_PI_4 0.785398163397448309616\n"
    "#define M_1_PI 0.318309886183790671538\n"
    "#define M_2_PI 0.636619772367581343076\n"
    "#define M_2_SQRTPI 1.12837916709551257390\n"
    "#define M_SQRT2 1.41421356237309504880\n"
    "#define M_SQRT1_2 0.707106781186547524401\n";

static bool is_ident(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* "#define NAME VALUE\n" / "#undef NAME\n" lines, each name checked so that
 * an option cannot smuggle in a directive of its own. */
bool pp_cmdline_text(struct vcl_pp *pp, const struct vcl_pp_define *defs,
		     size_t n, char **text, size_t *len)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(defs[i].text) + 16;
	char *buf = malloc(cap);
	if (!buf) {
		pp_fatal(pp, (struct vcl_loc){0}, "out of memory");
		return false;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = defs[i].text;
		const char *eq = defs[i].undef ? NULL : strchr(s, '=');
		size_t nlen = eq ? (size_t)(eq - s) : strlen(s);
		size_t slen = strlen(s);
		if (!is_ident(s, nlen) || strpbrk(s, "\r\n") ||
		    (slen && s[slen - 1] == '\\')) {
			vcl_diag_add(pp->diags, VCL_ERROR, "<command line>", 0,
				     0, "invalid macro in -%c '%.200s'",
				     defs[i].undef ? 'U' : 'D', s);
			continue;
		}
		if (defs[i].undef)
			k += (size_t)sprintf(buf + k, "#undef %s\n", s);
		else
			k += (size_t)sprintf(buf + k, "#define %.*s %s\n",
					     (int)nlen, s, eq ? eq + 1 : "1");
	}
	buf[k] = '\0';
	*text = buf;
	*len = k;
	return true;
}
