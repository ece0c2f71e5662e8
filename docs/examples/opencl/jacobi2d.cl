/* One Jacobi sweep of the 5-point stencil on a w x h grid; the border
 * keeps its values. */
__kernel void jacobi2d(const int w, const int h, __global const float *u,
		       __global float *v)
{
	const int x = get_global_id(0), y = get_global_id(1);
	const int i = y * w + x;
	if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
		v[i] = u[i];
		return;
	}
	v[i] = 0.25f * (u[i - 1] + u[i + 1] + u[i - w] + u[i + w]);
}
