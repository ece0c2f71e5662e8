/* A seed for the type checker's error paths: several errors per run. */
int f(int n) { return n ? f(n - 1) : 0; }
__kernel void k(__global float *g, __constant float *c, __local int *l)
{
	c[0] = 1.0f;
	__global float *p = (__global float *)l;
	float4 v = (float4)(1.0f, 2.0f);
	int4 i = v;
	if (get_local_id(0) < 4)
		barrier(CLK_LOCAL_MEM_FENCE);
	printf("%d", f(1));
	g[0] = sqrt(2) + v.q + atomic_add(c, 1);
}
