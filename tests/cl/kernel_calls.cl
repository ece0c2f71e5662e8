/* Kernels called from kernels (OpenCL C 1.2 allows it; the called one's
 * work-item functions name the caller's work-item), and private objects
 * of more than 4096 words zeroed, initialized and copied (issue 12);
 * run by tests/it_kernel_calls.c. */

__kernel void scale(__global float *x, float a)
{
	size_t i = get_global_id(0);
	x[i] = x[i] * a;
}

/* x[i] = x[i] * a + b, through scale */
__kernel void scale_add(__global float *x, float a, float b)
{
	scale(x, a);
	x[get_global_id(0)] += b;
}

/* Reverses each work-group's part of v, through tmp: a barrier in a
 * kernel another kernel calls. */
__kernel void group_reverse(__global int *v, __global int *tmp)
{
	size_t g = get_group_id(0) * get_local_size(0);
	size_t l = get_local_id(0), n = get_local_size(0);
	tmp[g + l] = v[g + l];
	barrier(CLK_GLOBAL_MEM_FENCE);
	v[g + l] = tmp[g + n - 1 - l];
}

/* reverse, add the global id, reverse again */
__kernel void reverse_add_reverse(__global int *v, __global int *tmp)
{
	group_reverse(v, tmp);
	v[get_global_id(0)] += (int)get_global_id(0);
	barrier(CLK_GLOBAL_MEM_FENCE);
	group_reverse(v, tmp);
}

#define BIG 8192

/* Weighted sums of an array of 8192 ints zeroed by {0} (two elements
 * set after) or partly initialized ({i, 2, 3} then zeros). */
__kernel void big_zero(__global int *out)
{
	int i = (int)get_global_id(0);
	int z[BIG] = {0};
	z[i % BIG] = 5;
	z[BIG - 1] += i;
	long s = 0;
	for (int k = 0; k < BIG; k++)
		s += (long)z[k] * (k + 1);
	out[i] = (int)s;
}

__kernel void big_partial(__global int *out)
{
	int i = (int)get_global_id(0);
	int p[BIG] = {i, 2, 3};
	p[BIG - 2] = 9;
	long s = 0;
	for (int k = 0; k < BIG; k++)
		s += (long)p[k] * (k + 7);
	out[i] = (int)s;
}

/* a struct of 20 KiB copied: out[i] = the copy's sum, weighted */
struct big {
	int w[5119];
	float f;
};

__kernel void big_copy(__global int *out)
{
	int i = (int)get_global_id(0);
	struct big a, b;
	for (int k = 0; k < 5119; k++)
		a.w[k] = k * 3 + i;
	a.f = 0.5f * (float)i;
	b = a;
	a.w[7] = -1; /* the copy is b's own */
	long s = 0;
	for (int k = 0; k < 5119; k++)
		s += (long)b.w[k] * (k % 11 + 1);
	out[i] = (int)s + (int)(b.f * 4.0f);
}
