#include <string.h>

#include <vgpufs/dtype.h>

static const struct {
	const char *name;
	size_t size;
} dtypes[VGPU_DTYPE_COUNT] = {
    [VGPU_F32] = {"f32", 4},
    [VGPU_F64] = {"f64", 8},
};

size_t vgpu_dtype_size(enum vgpu_dtype t)
{
	return (unsigned)t < VGPU_DTYPE_COUNT ? dtypes[t].size : 0;
}

const char *vgpu_dtype_name(enum vgpu_dtype t)
{
	return (unsigned)t < VGPU_DTYPE_COUNT ? dtypes[t].name : NULL;
}

int vgpu_dtype_parse(const char *name, size_t len)
{
	for (int t = 0; t < VGPU_DTYPE_COUNT; t++)
		if (strlen(dtypes[t].name) == len &&
		    memcmp(dtypes[t].name, name, len) == 0)
			return t;
	return -1;
}
