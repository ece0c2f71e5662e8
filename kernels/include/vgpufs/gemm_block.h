/*
 * One block of C of a gemm on OpenBLAS, for gemm and gemm_batched (which
 * take the same arguments at the same indices): the shape read from the
 * command, and the call for f32, f64 or bf16 inputs.
 */
#ifndef VGPUFS_KERNELS_GEMM_BLOCK_H
#define VGPUFS_KERNELS_GEMM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/command.h>

struct vgpu_gemm {
	uint64_t m, n, k;
	uint64_t lda, ldb, ldc; /* the defaults filled in, at least 1 */
	bool ta, tb;
	int64_t dtype;
	size_t in_es, out_es; /* A and B, C: bf16 inputs give f32 C */
	double alpha, beta;
};

/*
 * Reads the shape of a gemm or gemm_batched command. -EINVAL for what BLAS
 * would reject (validation should have refused it).
 */
int vgpu_gemm_shape(const struct vgpu_cmd *c, struct vgpu_gemm *g);

/*
 * C[i0..i1)[j0..j1) = alpha*op(A)[i0..i1)*op(B)[..][j0..j1) + beta*C[..]
 * for the matrices at A, B and C (their first elements). 0, or -ENOMEM
 * when bf16 inputs need buffers to be converted in and none is left.
 */
int vgpu_gemm_block(const struct vgpu_gemm *g, const void *a, const void *b,
		    void *c, uint64_t i0, uint64_t i1, uint64_t j0,
		    uint64_t j1);

#endif
