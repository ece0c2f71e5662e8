/* The integer, common and relational built-ins on scalars and vectors. */
__kernel void ints(__global int *p, __global uint4 *u, __global char *c,
		   __global long *l)
{
	size_t i = get_global_id(0);
	int a = p[i], b = p[i + 1];
	p[i] = min(a, b) + max(a, b) + clamp(a, -4, 4) + abs(a) +
	       abs_diff(a, b) + mul24(a, b) + mad24(a, b, 3) + popcount(a) +
	       clz(a) + rotate(a, b) + add_sat(a, b) + sub_sat(a, b) +
	       hadd(a, b) + rhadd(a, b) + mul_hi(a, b) + mad_hi(a, b, 1);
	u[i] = min(u[i], 7u) + clz(u[i]) + popcount(u[i]) +
	       rotate(u[i], (uint4)(1, 2, 3, 4)) + max(u[i], u[i + 1]);
	c[i] = popcount(c[i]) + clz(c[i]) + rotate(c[i], (char)3) +
	       add_sat(c[i], (char)100);
	l[i] = popcount(l[i]) + clz(l[i]) + rotate(l[i], 9L) + abs(l[i]);
}

__kernel void common(__global float4 *f, __global int4 *r,
		     __global float *s)
{
	size_t i = get_global_id(0);
	float4 x = f[i];
	f[i] = mix(x, f[i + 1], 0.25f) + step(0.5f, x) +
	       smoothstep(0.0f, 1.0f, x) + sign(x) + fmin(x, 2.0f) +
	       fabs(x) + bitselect(x, f[i + 1], (float4)(0.0f));
	r[i] = isnan(x) + isinf(x) + isfinite(x) + isnormal(x) + signbit(x) +
	       isequal(x, x) + isless(x, f[i + 1]) + islessgreater(x, x) +
	       isunordered(x, x) + select((int4)(1), (int4)(2), r[i]);
	s[i] = isnan(s[i]) + isinf(s[i]) + isfinite(s[i]) + any(r[i]) +
	       all(r[i]) + select(1.0f, 2.0f, (int)s[i]);
	mem_fence(CLK_GLOBAL_MEM_FENCE);
	read_mem_fence(CLK_LOCAL_MEM_FENCE);
	write_mem_fence(CLK_GLOBAL_MEM_FENCE);
}
