/*
 * The only symbols generated code may reach: the fault recorder, libm's
 * functions the math intrinsics become (directly, or through LLVM's
 * lowering of llvm.sin and the like, frem as fmod, exp2 of an integer as
 * ldexp; lgamma as a wrapper of lgamma_r) and the memory functions LLVM may
 * emit for zeroing and copying. Anything else a program refers to fails its
 * link (jit_compile.c), even what the process has: ldexpf was missing, and a
 * kernel using exp2 of an integer failed to link until it was added.
 */
#include <math.h>
#include <string.h>

#include "jit_internal.h"

/* lgamma without glibc's global signgam, which lgamma writes (a race
 * between the threads running work-items): lgamma_r, the sign dropped. */
static double vjit_lgamma(double x)
{
	int sign;
	return lgamma_r(x, &sign);
}

static float vjit_lgammaf(float x)
{
	int sign;
	return lgammaf_r(x, &sign);
}

#define F(name)                                                                \
	{#name, (void *)name},                                                 \
	{                                                                      \
#name "f", (void *)name##f                                     \
	}

const struct vjit_symbol vjit_symbols[] = {
    {"vjit_rt_fault", (void *)vjit_rt_fault},
    {"memset", (void *)memset},
    {"memcpy", (void *)memcpy},
    {"memmove", (void *)memmove},
    F(acos),
    F(acosh),
    F(asin),
    F(asinh),
    F(atan),
    F(atan2),
    F(atanh),
    F(cbrt),
    F(ceil),
    F(copysign),
    F(cos),
    F(cosh),
    F(erf),
    F(erfc),
    F(exp),
    F(exp10),
    F(exp2),
    F(expm1),
    F(fabs),
    F(fdim),
    F(floor),
    F(fma),
    F(fmax),
    F(fmin),
    F(fmod),
    F(hypot),
    F(ldexp),
    F(log),
    {"vjit_lgamma", (void *)vjit_lgamma},
    {"vjit_lgammaf", (void *)vjit_lgammaf},
    F(log10),
    F(log1p),
    F(log2),
    F(logb),
    F(nearbyint),
    F(pow),
    F(rint),
    F(round),
    F(roundeven),
    F(sin),
    F(sincos),
    F(sinh),
    F(sqrt),
    F(tan),
    F(tanh),
    F(tgamma),
    F(trunc),
};
const size_t vjit_nsymbols = sizeof(vjit_symbols) / sizeof(vjit_symbols[0]);
