#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include <vgpufs/catalog.h>

#include "fft_plans.h"
#include "kernel_list.h"

static const struct vgpu_kernel_impl *const impls[VGPU_K_COUNT] = {
    [VGPU_K_NOP] = &vgpu_k_nop,
    [VGPU_K_FILL] = &vgpu_k_fill,
    [VGPU_K_COPY] = &vgpu_k_copy,
    [VGPU_K_AXPY] = &vgpu_k_axpy,
    [VGPU_K_DOT] = &vgpu_k_dot,
    [VGPU_K_GEMM] = &vgpu_k_gemm,
    [VGPU_K_ADD] = &vgpu_k_add,
    [VGPU_K_SUB] = &vgpu_k_sub,
    [VGPU_K_MUL] = &vgpu_k_mul,
    [VGPU_K_DIV] = &vgpu_k_div,
    [VGPU_K_MAX] = &vgpu_k_max,
    [VGPU_K_MIN] = &vgpu_k_min,
    [VGPU_K_POW] = &vgpu_k_pow,
    [VGPU_K_RELU] = &vgpu_k_relu,
    [VGPU_K_GELU] = &vgpu_k_gelu,
    [VGPU_K_SIGMOID] = &vgpu_k_sigmoid,
    [VGPU_K_TANH] = &vgpu_k_tanh,
    [VGPU_K_EXP] = &vgpu_k_exp,
    [VGPU_K_LOG] = &vgpu_k_log,
    [VGPU_K_SQRT] = &vgpu_k_sqrt,
    [VGPU_K_ABS] = &vgpu_k_abs,
    [VGPU_K_NEG] = &vgpu_k_neg,
    [VGPU_K_RECIP] = &vgpu_k_recip,
    [VGPU_K_CAST] = &vgpu_k_cast,
    [VGPU_K_FFT] = &vgpu_k_fft,
    [VGPU_K_SUM] = &vgpu_k_sum,
    [VGPU_K_MEAN] = &vgpu_k_mean,
    [VGPU_K_AMAX] = &vgpu_k_amax,
    [VGPU_K_AMIN] = &vgpu_k_amin,
    [VGPU_K_ARGMAX] = &vgpu_k_argmax,
    [VGPU_K_ARGMIN] = &vgpu_k_argmin,
    [VGPU_K_SOFTMAX] = &vgpu_k_softmax,
    [VGPU_K_LOG_SOFTMAX] = &vgpu_k_log_softmax,
    [VGPU_K_LAYERNORM] = &vgpu_k_layernorm,
    [VGPU_K_TRANSPOSE] = &vgpu_k_transpose,
    [VGPU_K_CONV2D] = &vgpu_k_conv2d,
    [VGPU_K_MAXPOOL2D] = &vgpu_k_maxpool2d,
    [VGPU_K_AVGPOOL2D] = &vgpu_k_avgpool2d,
    [VGPU_K_GAUSSIAN_BLUR] = &vgpu_k_gaussian_blur,
    [VGPU_K_SOBEL] = &vgpu_k_sobel,
    [VGPU_K_RESIZE] = &vgpu_k_resize,
    [VGPU_K_GEMV] = &vgpu_k_gemv,
    [VGPU_K_SCAL] = &vgpu_k_scal,
    [VGPU_K_NRM2] = &vgpu_k_nrm2,
    [VGPU_K_ASUM] = &vgpu_k_asum,
    [VGPU_K_GEMM_BATCHED] = &vgpu_k_gemm_batched,
    [VGPU_K_GELU_BACKWARD] = &vgpu_k_gelu_backward,
    [VGPU_K_EMBEDDING] = &vgpu_k_embedding,
    [VGPU_K_EMBEDDING_BACKWARD] = &vgpu_k_embedding_backward,
    [VGPU_K_CROSS_ENTROPY] = &vgpu_k_cross_entropy,
    [VGPU_K_CROSS_ENTROPY_BACKWARD] = &vgpu_k_cross_entropy_backward,
    [VGPU_K_ADAMW] = &vgpu_k_adamw,
    [VGPU_K_SGD] = &vgpu_k_sgd,
    [VGPU_K_SOFTMAX_BACKWARD] = &vgpu_k_softmax_backward,
    [VGPU_K_LAYERNORM_BACKWARD] = &vgpu_k_layernorm_backward,
};

/*
 * OpenBLAS's own pre-fork hook, which ends its thread pool. The pthread
 * flavour starts that pool when it is loaded, before main() can block
 * signals, and idle pool threads would catch the daemon's SIGTERM and spin
 * on the cores. With one thread per call the pool is never started again.
 * Not part of cblas.h, hence weak.
 */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void vgpu_kernels_init(void)
{
	openblas_set_num_threads(1);
	if (blas_thread_shutdown_)
		blas_thread_shutdown_();
}

void vgpu_kernels_cleanup(void)
{
	vgpu_fft_plans_free();
}

const struct vgpu_kernel_impl *vgpu_kernel_impl(unsigned id)
{
	return id < VGPU_K_COUNT ? impls[id] : NULL;
}

int vgpu_kernel_run_serial(const struct vgpu_launch *l, unsigned workers)
{
	if (!l->cmd || !l->cmd->spec)
		return -EINVAL;
	const struct vgpu_kernel_impl *k = vgpu_kernel_impl(l->cmd->spec->id);
	if (!k)
		return -ENOSYS;
	struct vgpu_launch run = *l;
	size_t scratch = 0;
	uint32_t ntiles = k->plan(&run, workers, &scratch);
	if (ntiles == 0)
		ntiles = 1; /* as the scheduler does */
	run.scratch = NULL;
	if (scratch) {
		/* aligned_alloc wants a multiple of the alignment. */
		scratch = (scratch + 63) / 64 * 64;
		run.scratch = aligned_alloc(64, scratch);
		if (!run.scratch)
			return -ENOMEM;
		memset(run.scratch, 0, scratch);
	}
	/* Like the scheduler: every tile runs, finish only after success. */
	int rc = 0;
	for (uint32_t t = 0; t < ntiles; t++) {
		int r = k->run_tile(&run, t, ntiles);
		if (r < 0 && rc == 0)
			rc = r;
	}
	if (rc == 0 && k->finish)
		rc = k->finish(&run, ntiles);
	free(run.scratch);
	return rc;
}
