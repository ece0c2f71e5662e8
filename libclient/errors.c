/* Error numbers in words. */
#include <errno.h>
#include <string.h>

#include <vgpu/vgpu.h>

const char *vgpu_strerror(int err)
{
	const char *s = strerrordesc_np(err < 0 ? -err : err);
	return s ? s : "Unknown error";
}

const char *vgpu_errname(int err)
{
	const char *s = strerrorname_np(err < 0 ? -err : err);
	return s ? s : "EUNKNOWN";
}
