/* C = A * B, n x n row-major, one element of C per work-item (2D). */
__kernel void matmul_naive(const int n, __global const float *a,
			   __global const float *b, __global float *c)
{
	const int col = get_global_id(0), row = get_global_id(1);
	float acc = 0.0f;
	for (int k = 0; k < n; k++)
		acc += a[row * n + k] * b[k * n + col];
	c[row * n + col] = acc;
}
