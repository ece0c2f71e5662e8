/* Kernels of it_cl_groups: small groups the device runs fused along
 * dimension 0 (no barrier, no __local memory) and one it must not fuse. */

ulong q(uint w, uint d)
{
	return w == 0	? get_group_id(d)
	       : w == 1 ? get_local_id(d)
	       : w == 2 ? get_global_id(d)
	       : w == 3 ? get_local_size(d)
			: get_num_groups(d);
}

/* Per work-item: group id, local id, global id, local size, number of
 * groups of each dimension (those of dimension 1 and 2 through q). */
__kernel void ids(__global ulong *out)
{
	size_t x = get_global_id(0) - get_global_offset(0);
	size_t y = get_global_id(1) - get_global_offset(1);
	size_t z = get_global_id(2) - get_global_offset(2);
	__global ulong *o =
	    out + ((z * get_global_size(1) + y) * get_global_size(0) + x) * 15;
	o[0] = get_group_id(0);
	o[1] = get_local_id(0);
	o[2] = get_global_id(0);
	o[3] = get_local_size(0);
	o[4] = get_num_groups(0);
	for (uint d = 1; d < 3; d++)
		for (uint w = 0; w < 5; w++)
			o[d * 5 + w] = q(w, d);
}

/* Global ids only: fused whatever the local size. */
__kernel void saxpy(float a, __global const float *x, __global float *y)
{
	size_t i = get_global_id(0) - get_global_offset(0);
	y[i] = a * x[i] + y[i];
}

/* A barrier and __local memory: never fused. */
__kernel void rev(__global ulong *out)
{
	__local ulong t[64];
	size_t l = get_local_id(0), n = get_local_size(0);
	t[l] = get_global_id(0) * 100 + get_group_id(0);
	barrier(CLK_LOCAL_MEM_FENCE);
	out[get_global_id(0) - get_global_offset(0)] = t[n - 1 - l];
}

/* Stores past the end from work-item 64 - k on. */
__kernel void wr(__global float *out, int k)
{
	out[get_group_id(0) * get_local_size(0) + get_local_id(0) + k] = 5.0f;
}

/* Stores past the end of OUT (N floats) at two work-items: (300, 0), in
 * the second group of 256 x 2, and (10, 1), in the first. A run of both
 * groups goes row by row, so (300, 0)'s store is its first fault. */
__kernel void two_faults(__global float *out, int n)
{
	size_t x = get_global_id(0), y = get_global_id(1);
	size_t i = y * get_global_size(0) + x;
	bool past = (x == 300 && y == 0) || (x == 10 && y == 1);
	out[past ? n + i : i] = 1.0f;
}
