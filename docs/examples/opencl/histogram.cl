/* A 256-bin histogram of bytes: each group counts into __local bins with
 * atomics, then adds them to the global bins. */
#define BINS 256
__kernel void histogram(__global const uchar *data, const uint n,
			__global uint *bins)
{
	__local uint local_bins[BINS];
	const uint lid = get_local_id(0), lsz = get_local_size(0);
	for (uint b = lid; b < BINS; b += lsz)
		local_bins[b] = 0;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint i = get_global_id(0); i < n; i += get_global_size(0))
		atomic_inc(&local_bins[data[i]]);
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint b = lid; b < BINS; b += lsz)
		atomic_add(&bins[b], local_bins[b]);
}
