/* Iteration counts of the Mandelbrot set on a w x h grid over
 * [x0, x0+scale*w) x [y0, y0+scale*h): loops of divergent length. */
__kernel void mandelbrot(const int w, const float x0, const float y0,
			 const float scale, const int max_iter,
			 __global int *count)
{
	const int px = get_global_id(0), py = get_global_id(1);
	const float cr = x0 + px * scale, ci = y0 + py * scale;
	float zr = 0.0f, zi = 0.0f;
	int k = 0;
	while (k < max_iter && zr * zr + zi * zi <= 4.0f) {
		const float t = zr * zr - zi * zi + cr;
		zi = 2.0f * zr * zi + ci;
		zr = t;
		k++;
	}
	count[py * w + px] = k;
}
