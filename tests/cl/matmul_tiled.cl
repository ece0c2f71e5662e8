/* C = A * B for row-major M x K and K x N matrices, in TILE x TILE blocks
 * staged through __local memory; local size must be (TILE, TILE). */
#ifndef TILE
#define TILE 16
#endif

#define AT(m, row, col, ld) ((m)[(row) * (ld) + (col)])

__kernel void matmul_tiled(__global const float *restrict A,
			   __global const float *restrict B,
			   __global float *restrict C, const int M,
			   const int N, const int K)
{
	__local float As[TILE][TILE];
	__local float Bs[TILE][TILE];
	const int lr = get_local_id(1), lc = get_local_id(0);
	const int row = get_group_id(1) * TILE + lr;
	const int col = get_group_id(0) * TILE + lc;
	float acc = 0.0f;

	for (int t = 0; t < (K + TILE - 1) / TILE; t++) {
		const int ac = t * TILE + lc, br = t * TILE + lr;
		As[lr][lc] = (row < M && ac < K) ? AT(A, row, ac, K) : 0.0f;
		Bs[lr][lc] = (br < K && col < N) ? AT(B, br, col, N) : 0.0f;
		barrier(CLK_LOCAL_MEM_FENCE);
		for (int k = 0; k < TILE; k++)
			acc += As[lr][k] * Bs[k][lc];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (row < M && col < N)
		AT(C, row, col, N) = acc;
}
