/* A 5x5 Gaussian blur of an 8-bit grey image (weights 1 4 6 4 1 in each
 * direction, in integers: exact), edges clamped: one pixel a work-item. */
__kernel void blur(__global const uchar *in, __global uchar *out,
		   const int w, const int h)
{
	const int x = get_global_id(0), y = get_global_id(1);
	const int k[5] = {1, 4, 6, 4, 1};
	uint sum = 0;
	for (int dy = -2; dy <= 2; dy++) {
		const int yy = clamp(y + dy, 0, h - 1);
		for (int dx = -2; dx <= 2; dx++) {
			const int xx = clamp(x + dx, 0, w - 1);
			sum += k[dy + 2] * k[dx + 2] * in[yy * w + xx];
		}
	}
	out[y * w + x] = (uchar)((sum + 128) / 256);
}
