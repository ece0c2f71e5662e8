/*
 * A matrix product in the style of the CUDA runtime: device memory, copies
 * to and from it, a launch on the default stream, checked on the host.
 * Build: cc vgpu_runtime_gemm.c $(pkg-config --cflags --libs vgpu)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <vgpu/vgpu_runtime.h>

#define CHECK(call)                                                            \
	do {                                                                   \
		vgpuError_t err_ = (call);                                     \
		if (err_ != vgpuSuccess) {                                     \
			fprintf(stderr, "%s: %s: %s\n", #call,                 \
				vgpuGetErrorName(err_),                        \
				vgpuGetLastErrorMessage());                    \
			exit(1);                                               \
		}                                                              \
	} while (0)

int main(void)
{
	enum { M = 64, N = 48, K = 32 };
	static float a[M * K], b[K * N], c[M * N];
	for (int i = 0; i < M * K; i++)
		a[i] = (float)(i % 7) - 3;
	for (int i = 0; i < K * N; i++)
		b[i] = (float)(i % 5) / 4;

	float *da, *db, *dc;
	CHECK(vgpuMalloc((void **)&da, sizeof(a)));
	CHECK(vgpuMalloc((void **)&db, sizeof(b)));
	CHECK(vgpuMalloc((void **)&dc, sizeof(c)));
	CHECK(vgpuMemcpy(da, a, sizeof(a), vgpuMemcpyHostToDevice));
	CHECK(vgpuMemcpy(db, b, sizeof(b), vgpuMemcpyHostToDevice));
	CHECK(vgpuLaunch(NULL, "gemm", VGPU_PTR("a", da), VGPU_PTR("b", db),
			 VGPU_PTR("c", dc), VGPU_I64("m", M), VGPU_I64("n", N),
			 VGPU_I64("k", K)));
	/* Waits for the gemm, then copies. */
	CHECK(vgpuMemcpy(c, dc, sizeof(c), vgpuMemcpyDeviceToHost));

	double worst = 0;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double want = 0;
			for (int k = 0; k < K; k++)
				want += (double)a[i * K + k] * b[k * N + j];
			worst = fmax(worst, fabs(c[i * N + j] - want));
		}
	printf("gemm %dx%dx%d: largest error %g\n", M, N, K, worst);
	CHECK(vgpuFree(da));
	CHECK(vgpuFree(db));
	CHECK(vgpuFree(dc));
	CHECK(vgpuDeviceReset());
	return worst < 1e-4 ? 0 : 1;
}
