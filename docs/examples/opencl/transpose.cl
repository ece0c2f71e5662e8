/* out = in transposed (in: h rows of w), through a TS x (TS+1) __local
 * tile so that both the reads and the writes are along rows. */
#define TS 16
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void transpose(const int w, const int h, __global const float *in,
	       __global float *out)
{
	__local float tile[TS][TS + 1];
	const int lx = get_local_id(0), ly = get_local_id(1);
	int x = get_group_id(0) * TS + lx, y = get_group_id(1) * TS + ly;
	if (x < w && y < h)
		tile[ly][lx] = in[y * w + x];
	barrier(CLK_LOCAL_MEM_FENCE);
	x = get_group_id(1) * TS + lx;
	y = get_group_id(0) * TS + ly;
	if (x < h && y < w)
		out[y * h + x] = tile[lx][ly];
}
