/* Error numbers in words. */
#include <errno.h>
#include <string.h>

#include <vgpu/vgpu.h>
#include <vgpufs/errnames.h>

const char *vgpu_strerror(int err)
{
	const char *s = strerrordesc_np(err < 0 ? -err : err);
	return s ? s : "Unknown error";
}

/* The daemon's completions name errors from the same table. */
const char *vgpu_errname(int err)
{
	return vgpu_errno_name(err);
}
