/* Pointer operators (issue 12): comparisons, differences, null pointers,
 * pointers as conditions and pointers to __constant variables. */

/* The index of key in sorted[0..n), -1 when absent: lower bound by
 * pointer compare and difference. */
__kernel void bsearch(__global const int *sorted, const int n,
		      __global const int *keys, __global int *out)
{
	size_t i = get_global_id(0);
	int key = keys[i];
	__global const int *lo = sorted, *hi = sorted + n;
	__global const int *end = hi;
	while (lo < hi) {
		__global const int *mid = lo + (hi - lo) / 2;
		if (*mid < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	out[i] = lo != end && *lo == key ? (int)(lo - sorted) : -1;
}

/* A linked walk: each node holds the step to the next one, the list ends
 * exactly at end; sums vals along the way. */
__kernel void walk(__global const int *steps, __global const float *vals,
		   const int n, __global float *out)
{
	__global const int *p = steps + get_global_id(0);
	__global const int *end = steps + n;
	float sum = 0.0f;
	int hops = 0;
	while (p != end && hops <= n) {
		sum += vals[p - steps];
		p += *p;
		hops++;
	}
	out[get_global_id(0)] = p == end ? sum : -1.0f;
}

/* An optional pointer: the bias when the flag says so, else NULL. */
static float biased(__global const float *b, size_t i)
{
	return b ? b[i] : 0.5f;
}

__kernel void optional(__global float *x, __global const float *bias,
		       const int use_bias)
{
	size_t i = get_global_id(0);
	__global const float *b = use_bias ? bias : NULL;
	float v = x[i] + biased(b, i);
	if (!b)
		v *= 2.0f;
	if (b && b[i] < 0.0f)
		v = -v;
	if ((bool)b == (b != NULL) && (b == 0 || b != NULL))
		x[i] = v;
}

/* Stores through a null pointer when bad is set: the launch faults. */
__kernel void null_store(__global float *x, const int bad)
{
	__global float *p = bad ? 0 : x;
	p[get_global_id(0)] = 1.0f;
}

__constant float table[8] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f};

static float lookup(__constant float *t, int i)
{
	return t[i & 7];
}

/* A __constant table passed to a helper, by element and by pointer. */
__kernel void lut(__global const int *idx, __global float *out)
{
	size_t i = get_global_id(0);
	__constant float *p = table;
	__constant float *q = &table[1];
	__constant float *last = table + 7;
	float v = lookup(table, idx[i]) + *q + p[idx[i] & 3];
	if (q < last && last - q == 6)
		v += 100.0f;
	out[i] = v;
}
