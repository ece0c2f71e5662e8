/* A 5x5 convolution of a w x h image (zero outside), one output pixel per
 * work-item (2D). The filter is read through __constant memory. */
#define R 2
__kernel void conv2d_5x5(const int w, const int h, __global const float *in,
			 __constant float *filt, __global float *out)
{
	const int x = get_global_id(0), y = get_global_id(1);
	float acc = 0.0f;
	for (int dy = -R; dy <= R; dy++) {
		const int yy = y + dy;
		if (yy < 0 || yy >= h)
			continue;
		for (int dx = -R; dx <= R; dx++) {
			const int xx = x + dx;
			if (xx >= 0 && xx < w)
				acc += filt[(dy + R) * (2 * R + 1) + dx + R] *
				       in[yy * w + xx];
		}
	}
	out[y * w + x] = acc;
}
