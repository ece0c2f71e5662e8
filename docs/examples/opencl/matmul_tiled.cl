/* C = A * B, n x n row-major (n a multiple of TS), through TS x TS tiles
 * of A and B in __local memory: the textbook tiled matrix multiply. */
#define TS 16
__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void matmul_tiled(const int n, __global const float *a,
		  __global const float *b, __global float *c)
{
	__local float at[TS][TS];
	__local float bt[TS][TS];
	const int lc = get_local_id(0), lr = get_local_id(1);
	const int col = get_group_id(0) * TS + lc;
	const int row = get_group_id(1) * TS + lr;
	float acc = 0.0f;
	for (int t = 0; t < n; t += TS) {
		at[lr][lc] = a[row * n + t + lc];
		bt[lr][lc] = b[(t + lr) * n + col];
		barrier(CLK_LOCAL_MEM_FENCE);
		for (int k = 0; k < TS; k++)
			acc += at[lr][k] * bt[k][lc];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	c[row * n + col] = acc;
}
