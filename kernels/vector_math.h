/*
 * glibc's vector math library (libmvec, glibc >= 2.35 for erf, erfc and
 * tanh): libm's functions 8 floats or 4 doubles at a time. <math.h>
 * declares the vector forms only under -ffast-math, which the kernels do
 * not use, so they are declared here; a loop in a VGPU_AVX2 function under
 * `omp simd` calls the AVX2 forms, within 4 ulp of the scalar functions
 * (glibc's manual). Loops pick them at run time with vgpu_cpu_avx2(). GCC
 * only: other compilers get the scalar functions.
 */
#ifndef VGPU_VECTOR_MATH_H
#define VGPU_VECTOR_MATH_H

#include <math.h>
#include <stdbool.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VGPU_LIBMVEC	 1
#define VGPU_VECTOR_FORM __attribute__((simd("notinbranch")))
VGPU_VECTOR_FORM float erff(float);
VGPU_VECTOR_FORM float expf(float);
VGPU_VECTOR_FORM float logf(float);
VGPU_VECTOR_FORM float tanhf(float);
VGPU_VECTOR_FORM double exp(double);
VGPU_VECTOR_FORM double erfc(double);
#define VGPU_AVX2      __attribute__((target("avx2")))
#define VGPU_SIMD      _Pragma("omp simd")
#define VGPU_PRAGMA(x) _Pragma(#x)
/* A vectorized loop with these clauses (reductions: their order is the
 * vector lanes', not the loop's). */
#define VGPU_SIMD_CLAUSES(...) VGPU_PRAGMA(omp simd __VA_ARGS__)
/* A vectorized loop that sums into the given variables. */
#define VGPU_SIMD_SUM(...) VGPU_SIMD_CLAUSES(reduction(+ : __VA_ARGS__))
static inline bool vgpu_cpu_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}
#else
#define VGPU_LIBMVEC 0
#define VGPU_AVX2
#define VGPU_SIMD
#define VGPU_SIMD_CLAUSES(...)
#define VGPU_SIMD_SUM(...)
static inline bool vgpu_cpu_avx2(void)
{
	return false;
}
#endif

#endif
