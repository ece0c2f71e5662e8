/* Exclusive prefix sums of blocks of 2*local_size elements (Blelloch's
 * work-efficient scan in __local memory); each group also writes its
 * block's total, which a second pass scans and adds. */
__kernel void scan_blocks(__global const float *in, __global float *out,
			  __global float *block_sums, __local float *tmp)
{
	const int lid = get_local_id(0), m = 2 * get_local_size(0);
	const int base = get_group_id(0) * m;
	tmp[2 * lid] = in[base + 2 * lid];
	tmp[2 * lid + 1] = in[base + 2 * lid + 1];
	int offset = 1;
	for (int d = m >> 1; d > 0; d >>= 1) { /* up-sweep */
		barrier(CLK_LOCAL_MEM_FENCE);
		if (lid < d) {
			const int ai = offset * (2 * lid + 1) - 1;
			const int bi = offset * (2 * lid + 2) - 1;
			tmp[bi] += tmp[ai];
		}
		offset *= 2;
	}
	if (lid == 0) {
		block_sums[get_group_id(0)] = tmp[m - 1];
		tmp[m - 1] = 0.0f;
	}
	for (int d = 1; d < m; d *= 2) { /* down-sweep */
		offset >>= 1;
		barrier(CLK_LOCAL_MEM_FENCE);
		if (lid < d) {
			const int ai = offset * (2 * lid + 1) - 1;
			const int bi = offset * (2 * lid + 2) - 1;
			const float t = tmp[ai];
			tmp[ai] = tmp[bi];
			tmp[bi] += t;
		}
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	out[base + 2 * lid] = tmp[2 * lid];
	out[base + 2 * lid + 1] = tmp[2 * lid + 1];
}

/* Adds the scanned block totals to every element of their blocks. */
__kernel void scan_add(__global float *out, __global const float *sums)
{
	out[get_global_id(0)] += sums[get_global_id(0) / (2 * get_local_size(0))];
}
