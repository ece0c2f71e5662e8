/* __constant variables of the program and of a kernel: tables read by
 * index, member and lane (each a private copy made at entry). */
typedef struct {
	float scale;
	int offset;
} step_t;

__constant float weights[5] = {0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f};
__constant int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
__constant step_t steps[2] = {{2.0f, 1}, {0.5f, -1}};
__constant float4 corner = (float4)(1.0f, 2.0f, 3.0f, 4.0f);
__constant int limit = 3;

float smooth(__global const float *x, int i)
{
	float s = 0.0f;
	for (int k = 0; k < 5; k++)
		s += weights[k] * x[i + k];
	return s;
}

__kernel void blur(__global const float *x, __global float *y,
		   __global int *z)
{
	int i = get_global_id(0);
	__constant int bias[2] = {10, 20};
	y[i] = smooth(x, i) * steps[i % 2].scale + corner.w;
	z[i] = grid[i % 2][i % 3] + steps[i % 2].offset + bias[i % 2] +
	       min(i, limit);
}
