#include <stdio.h>
#include <string.h>

#include <vgpufs/dtype.h>

static const struct {
	const char *name;
	size_t size;
} dtypes[VGPU_DTYPE_COUNT] = {
    [VGPU_F32] = {"f32", 4},   /* float */
    [VGPU_F64] = {"f64", 8},   /* double */
    [VGPU_I32] = {"i32", 4},   /* int32_t */
    [VGPU_U8] = {"u8", 1},     /* uint8_t */
    [VGPU_BF16] = {"bf16", 2}, /* bfloat16, stored as uint16_t */
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

char *vgpu_dtype_list(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (int t = 0; t < VGPU_DTYPE_COUNT; t++) {
		if (!(mask & VGPU_DT(t)) || used >= len)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s",
				 used ? ", " : "", dtypes[t].name);
		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}
