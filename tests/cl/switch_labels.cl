/* case labels inside ifs and loops of their switch (Duff's device); each
 * work-item writes what its switch did (tests/builtins_check.c runs the
 * same code in C). */

/* Copies counts[i] ints of src to dst[64 i...], eight a turn. */
__kernel void duff(__global const int *src, __global int *dst,
		   __global const int *counts)
{
	size_t i = get_global_id(0);
	int count = counts[i];
	__global const int *from = src;
	__global int *to = dst + 64 * i;
	int n = (count + 7) / 8;
	if (count > 0)
		switch (count % 8) {
		case 0:
			do {
				*to++ = *from++;
			case 7:
				*to++ = *from++;
			case 6:
				*to++ = *from++;
			case 5:
				*to++ = *from++;
			case 4:
				*to++ = *from++;
			case 3:
				*to++ = *from++;
			case 2:
				*to++ = *from++;
			case 1:
				*to++ = *from++;
			} while (--n > 0);
		}
}

/* Labels in an if's branches, a for, a while with continue and break,
 * a nested switch: r records each step (SWITCH_PATH in the C test). */
__kernel void paths(__global const int *v, __global int *o)
{
	size_t i = get_global_id(0);
	int x = v[i], r = 0, j = 0;
	switch (x) {
	case 0:
		r += 1;
		if (x > 100) {
		case 1:
			r += 10;
		} else {
		case 2:
			r += 100;
			if (x == 2)
				break;
		}
		r += 1000;
		for (j = 0; j < 3; j++) {
			r += 10000;
		case 3:
			r += 100000;
			if (j == 1)
				break;
		}
		r += j * 1000000;
	case 4:
		while (r < 50) {
			r += 5;
		case 5:
			r += 2;
			if (r & 1)
				continue;
			switch (r) {
			case 2:
				r += 3;
			default:
				r += 1;
			}
		}
		break;
	default:
		r = -1;
		if (x < 0) {
		case 6:
			r -= 20;
		}
	}
	o[i] = r;
}
