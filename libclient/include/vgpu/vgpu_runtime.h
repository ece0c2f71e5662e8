/*
 * A CUDA-flavoured layer over libvgpu (docs/libvgpu.md#the-runtime-layer):
 * one implicit device, device pointers, streams, synchronisation and
 * sticky last errors, for code written in the style of the CUDA runtime.
 *
 * - The device is $VGPU_DEVICE (or /dev/vgpu0), opened at the first call;
 *   vgpuSetDevicePath() picks another before that.
 * - A device pointer is an address in this process: vgpuMalloc() creates
 *   an anonymous buffer and maps it, so the host can also read and write
 *   it directly (after synchronising). Pointers inside an allocation
 *   (p + offset) are fine wherever a device pointer is taken.
 * - Errors are vgpuError_t: vgpuSuccess (0) or a negative errno. Every
 *   call that fails also records its error for vgpuGetLastError() (per
 *   thread) with a message for vgpuGetLastErrorMessage().
 * - Calls are thread-safe. The NULL stream is one process-wide stream.
 */
#ifndef VGPU_VGPU_RUNTIME_H
#define VGPU_VGPU_RUNTIME_H

#include <stddef.h>

#include "vgpu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int vgpuError_t;
enum { vgpuSuccess = 0 };

typedef struct vgpuStream *vgpuStream_t; /* NULL: the default stream */

typedef enum vgpuMemcpyKind {
	vgpuMemcpyHostToHost = 0,
	vgpuMemcpyHostToDevice = 1,
	vgpuMemcpyDeviceToHost = 2,
	vgpuMemcpyDeviceToDevice = 3,
	vgpuMemcpyDefault = 4, /* told apart by the pointers */
} vgpuMemcpyKind;

/* Before any other call (or after vgpuDeviceReset): the device to use. */
VGPU_API vgpuError_t vgpuSetDevicePath(const char *mountpoint);
/* The libvgpu device underneath, for mixing in libvgpu calls. */
VGPU_API vgpuError_t vgpuGetDevice(vgpu_device **dev);
/* Bytes of device memory free and in all (the info file's tiers). */
VGPU_API vgpuError_t vgpuMemGetInfo(size_t *free_bytes, size_t *total_bytes);

/*
 * SIZE bytes of device memory, zeroed, at *PTR (NULL for 0 bytes). The
 * buffer is mem/.anon-PID-N, removed by vgpuFree() or vgpuDeviceReset(),
 * and at exit.
 */
VGPU_API vgpuError_t vgpuMalloc(void **ptr, size_t size);
/* Waits for the device to be idle, then frees; NULL is fine. */
VGPU_API vgpuError_t vgpuFree(void *ptr);

/*
 * Copies COUNT bytes, then returns. KIND says which side is device memory
 * and is checked against the pointers and the allocations' bounds. Copies
 * wait for the device to be idle, then go through the mapping when the
 * host is involved, or are the `copy` kernel from device to device (any
 * overlap is fine, like memmove). The failure of an earlier command found
 * while waiting is returned, and the copy made all the same.
 */
VGPU_API vgpuError_t vgpuMemcpy(void *dst, const void *src, size_t count,
				vgpuMemcpyKind kind);
/*
 * In STREAM's order: device to device is a `copy` launched on STREAM; a
 * copy with host memory waits for STREAM's earlier work, then copies
 * before returning.
 */
VGPU_API vgpuError_t vgpuMemcpyAsync(void *dst, const void *src, size_t count,
				     vgpuMemcpyKind kind, vgpuStream_t stream);
/* Sets COUNT bytes at device pointer PTR to VALUE, then returns. */
VGPU_API vgpuError_t vgpuMemset(void *ptr, int value, size_t count);
/*
 * In STREAM's order: a `fill` kernel when the bytes make f32 elements,
 * else a host memset after STREAM's earlier work.
 */
VGPU_API vgpuError_t vgpuMemsetAsync(void *ptr, int value, size_t count,
				     vgpuStream_t stream);

VGPU_API vgpuError_t vgpuStreamCreate(vgpuStream_t *stream);
/* Lets its launched work finish (unwaited), then frees it. */
VGPU_API vgpuError_t vgpuStreamDestroy(vgpuStream_t stream);
/*
 * Waits for the stream's work; returns the error of its last failed
 * command since the previous synchronisation, if any.
 */
VGPU_API vgpuError_t vgpuStreamSynchronize(vgpuStream_t stream);
/* vgpuSuccess when its work is done, -EAGAIN when not yet. */
VGPU_API vgpuError_t vgpuStreamQuery(vgpuStream_t stream);
/* Synchronises every stream, the default one included. */
VGPU_API vgpuError_t vgpuDeviceSynchronize(void);
/*
 * Synchronises, destroys every stream, frees every allocation and closes
 * the device; the next call starts afresh.
 */
VGPU_API vgpuError_t vgpuDeviceReset(void);

/* The last error of this thread's calls, reset to vgpuSuccess. */
VGPU_API vgpuError_t vgpuGetLastError(void);
/* The same, not reset. */
VGPU_API vgpuError_t vgpuPeekAtLastError(void);
/* The words that came with it: the daemon's message for a kernel. */
VGPU_API const char *vgpuGetLastErrorMessage(void);
VGPU_API const char *vgpuGetErrorString(vgpuError_t err); /* "Invalid..." */
VGPU_API const char *vgpuGetErrorName(vgpuError_t err);	  /* "EINVAL" */

/*
 * Launches KERNEL on STREAM with named arguments, device pointers as
 * VGPU_PTR:
 *
 *     vgpuLaunch(stream, "gemm", VGPU_PTR("a", dA), VGPU_PTR("b", dB),
 *                VGPU_PTR("c", dC), VGPU_I64("m", m), VGPU_I64("n", n),
 *                VGPU_I64("k", k));
 *
 * Returns at once; the kernel's own failure comes from the next
 * synchronisation of STREAM.
 */
#define vgpuLaunch(stream, ...) vgpuLaunchList((stream), __VA_ARGS__, VGPU_END)
/* The same with the arguments ending with VGPU_END. */
VGPU_API vgpuError_t vgpuLaunchList(vgpuStream_t stream, const char *kernel,
				    ...);
/* The same with an array of NARGS arguments. */
VGPU_API vgpuError_t vgpuLaunchArgs(vgpuStream_t stream, const char *kernel,
				    const vgpu_arg *args, size_t nargs);

/*
 * Your own kernels (OpenCL C, docs/kernels-opencl.md), CUDA style. A
 * module is a program: loading it compiles it here, so that a compile
 * error comes back from the load (-EINVAL, the compiler's diagnostics in
 * vgpuGetLastErrorMessage()) and the kernels' signatures are known, and
 * puts it in an anonymous buffer on the device.
 */
typedef struct vgpuModule *vgpuModule_t;
typedef const struct vgpuFunction *vgpuFunction_t;
typedef struct vgpuDim3 {
	unsigned x, y, z; /* 0 is taken as 1 */
} vgpuDim3;

/* The program in the file PATH: OpenCL C source or IR (vgpucc -o). */
VGPU_API vgpuError_t vgpuModuleLoad(vgpuModule_t *module, const char *path);
/*
 * The program in memory: SIZE bytes of source or IR at IMAGE; SIZE 0: a
 * NUL-terminated source (cuModuleLoadData's convention).
 */
VGPU_API vgpuError_t vgpuModuleLoadData(vgpuModule_t *module, const void *image,
					size_t size);
/* Kernel NAME of MODULE (-ENOENT when it has none); valid until unload. */
VGPU_API vgpuError_t vgpuModuleGetFunction(vgpuFunction_t *func,
					   vgpuModule_t module,
					   const char *name);
/* Frees the module (launched work goes on). NULL is fine. */
VGPU_API vgpuError_t vgpuModuleUnload(vgpuModule_t module);
/*
 * Launches FUNC on STREAM over GRID blocks of BLOCK work-items (global =
 * grid * block, local = block, per dimension; the dimensions are up to
 * the last one above 1). ARGS has one pointer a kernel parameter, in
 * order, to its value: a device pointer (vgpuMalloc's, or inside one) for
 * a __global or __constant pointer, the scalar or vector itself for a
 * number. A __local pointer parameter takes SHAREDMEM bytes: a kernel may
 * have at most one (its ARGS entry is not read; NULL is fine), and then
 * SHAREDMEM must be > 0. Returns at once; the kernel's own failure comes
 * from the next synchronisation of STREAM.
 */
VGPU_API vgpuError_t vgpuLaunchKernel(vgpuFunction_t func, vgpuDim3 grid,
				      vgpuDim3 block, void **args,
				      size_t sharedMem, vgpuStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
