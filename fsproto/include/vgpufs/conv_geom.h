/*
 * The shape of a conv2d, maxpool2d or avgpool2d command: computed once by
 * the same function for the catalogue's extents and for the kernels, so
 * that both see the same output size and limits.
 */
#ifndef VGPUFS_CONV_GEOM_H
#define VGPUFS_CONV_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "command.h"

struct vgpu_conv_geom {
	uint64_t n, c, h, w; /* input, N x C x H x W */
	uint64_t k;	     /* output channels (pooling: c) */
	uint64_t kh, kw;     /* window (kernel) rows and columns */
	uint64_t sh, sw;     /* strides */
	uint64_t ph, pw;     /* zero padding on each side */
	uint64_t dh, dw;     /* dilations (pooling: 1) */
	uint64_t groups;     /* conv2d; pooling: 1 */
	uint64_t p, q;	     /* output rows and columns */
	enum vgpu_dtype dt;  /* element type */
	size_t es;	     /* bytes an element */
};

/*
 * Reads and checks the shape of CMD (a conv2d, maxpool2d or avgpool2d
 * command). Returns 0, or -EINVAL with a message in MSG
 * ("conv2d: groups=3 does not divide c=64"). Guarantees for conv2d:
 * p*q and c/groups*kh*kw fit in a 32-bit int (OpenBLAS's), and so does
 * h*w when it equals p*q (1x1 filter, stride 1, no padding).
 */
int vgpu_conv_geom(const struct vgpu_cmd *cmd, struct vgpu_conv_geom *g,
		   char *msg, size_t len);

#endif
