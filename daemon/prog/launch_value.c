#include <errno.h>
#include <string.h>

#include <vgpufs/text_proto.h>

#include "prog/launch_value.h"

/* One lane of scalar kind K from S into P. */
static int lane(enum vcl_ir_kind k, const char *s, size_t len, uint8_t *p,
		const char **why)
{
	if (k == VCL_IR_F32 || k == VCL_IR_F64) {
		double d;
		if (vgpu_parse_float(s, len, &d) < 0) {
			*why = "is not a finite number";
			return -EINVAL;
		}
		if (k == VCL_IR_F64) {
			memcpy(p, &d, 8);
		} else {
			float f = (float)d;
			memcpy(p, &f, 4);
		}
		return 0;
	}
	int64_t v;
	int rc = vgpu_parse_int(s, len, &v);
	if (rc < 0) {
		*why = rc == -ERANGE ? "is out of the 64-bit range"
				     : "is not an integer";
		return rc;
	}
	unsigned bits = k == VCL_IR_I8	  ? 8
			: k == VCL_IR_I16 ? 16
			: k == VCL_IR_I32 ? 32
			: k == VCL_IR_I1  ? 1
					  : 64;
	if (bits < 64) {
		/* signed or unsigned: from -2^(bits-1) to 2^bits - 1 */
		int64_t lo = bits == 1 ? 0 : -((int64_t)1 << (bits - 1));
		int64_t hi = ((int64_t)1 << bits) - 1;
		if (v < lo || v > hi) {
			*why = "does not fit the parameter's type";
			return -ERANGE;
		}
	}
	uint64_t u = (uint64_t)v;
	size_t bytes = bits == 1 ? 1 : bits / 8;
	memcpy(p, &u, bytes); /* little-endian: the low bytes */
	return 0;
}

int launch_value_parse(vcl_ir_type t, const char *text, size_t len,
		       uint8_t out[static LAUNCH_VALUE_MAX], const char **why)
{
	enum vcl_ir_kind k = VCL_IR_KIND(t);
	unsigned lanes = VCL_IR_LANES(t);
	uint32_t lsize = vcl_ir_type_size(VCL_IR_TYPE(k, 0, 0));
	memset(out, 0, LAUNCH_VALUE_MAX);
	if (k == VCL_IR_VOID || k == VCL_IR_PTR || k >= VCL_IR_KIND_COUNT ||
	    lanes * lsize > LAUNCH_VALUE_MAX) {
		*why = "has a type a launch cannot give";
		return -EINVAL;
	}
	if (!lanes)
		return lane(k, text, len, out, why);
	bool list = len >= 2 && text[0] == '(' && text[len - 1] == ')';
	if (!list) { /* one value for every lane */
		for (unsigned i = 0; i < lanes; i++) {
			int rc = lane(k, text, len, out + i * lsize, why);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	const char *s = text + 1, *end = text + len - 1;
	unsigned n = 0;
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma ? comma : end;
		if (n == lanes) {
			*why = "has more values than the vector's lanes";
			return -EINVAL;
		}
		int rc = lane(k, s, (size_t)(e - s), out + n * lsize, why);
		if (rc < 0)
			return rc;
		n++;
		if (!comma)
			break;
		s = comma + 1;
	}
	if (n != lanes) {
		*why = "has fewer values than the vector's lanes";
		return -EINVAL;
	}
	return 0;
}
