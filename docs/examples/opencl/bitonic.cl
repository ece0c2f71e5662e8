/* One step of a bitonic sort of n (a power of two) keys: stage `k`
 * (block size), pass `j` (compare distance); the host loops over both. */
__kernel void bitonic_step(__global float *keys, const uint j, const uint k)
{
	const uint i = get_global_id(0), l = i ^ j;
	if (l <= i)
		return;
	const float a = keys[i], b = keys[l];
	const bool up = (i & k) == 0;
	if ((a > b) == up) {
		keys[i] = b;
		keys[l] = a;
	}
}
