/* Overflow-checked size arithmetic for extent computations. */
#ifndef VGPUFS_EXTENT_MATH_H
#define VGPUFS_EXTENT_MATH_H

#include <stdbool.h>
#include <stdint.h>

/* *OUT = A*B; false on overflow. */
static inline bool ext_mul(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* *OUT = A*B*C*D; false on overflow. */
static inline bool ext_mul4(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			    uint64_t *out)
{
	return ext_mul(a, b, out) && ext_mul(*out, c, out) &&
	       ext_mul(*out, d, out);
}

/*
 * Bytes spanned by a ROWS x COLS row-major matrix with leading dimension LD
 * and element size ES: ((rows-1)*ld + cols)*es, or 0 when it is empty.
 */
static inline bool ext_matrix(uint64_t rows, uint64_t cols, uint64_t ld,
			      uint64_t es, uint64_t *out)
{
	uint64_t t;
	if (rows == 0 || cols == 0) {
		*out = 0;
		return true;
	}
	return ext_mul(rows - 1, ld, &t) &&
	       !__builtin_add_overflow(t, cols, &t) && ext_mul(t, es, out);
}

#endif
