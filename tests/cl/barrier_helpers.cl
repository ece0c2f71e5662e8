/*
 * Barriers in helper functions (docs/kernels-opencl.md): each helper
 * below holds barriers, which every work-item of the group reaches; the
 * compiler inlines them into their kernels. it_barrier_helpers runs
 * these on the daemon against C references.
 */
#define TILE 8

/* One tile of A and one of B into __local memory, between barriers. */
void load_tiles(__global const float *A, __global const float *B,
		__local float *ta, __local float *tb, int n, int row, int col,
		int t)
{
	int lx = get_local_id(0), ly = get_local_id(1);
	barrier(CLK_LOCAL_MEM_FENCE); /* the last tile is read by all */
	ta[ly * TILE + lx] = A[row * n + t * TILE + lx];
	tb[ly * TILE + lx] = B[(t * TILE + ly) * n + col];
	barrier(CLK_LOCAL_MEM_FENCE);
}

/* C = A * B, n a multiple of TILE, groups of TILE x TILE. */
__kernel __attribute__((reqd_work_group_size(TILE, TILE, 1))) void
matmul_tiles(__global const float *A, __global const float *B,
	     __global float *C, int n)
{
	__local float ta[TILE * TILE], tb[TILE * TILE];
	int col = get_global_id(0), row = get_global_id(1);
	int lx = get_local_id(0), ly = get_local_id(1);
	float acc = 0.0f;
	for (int t = 0; t < n / TILE; t++) {
		load_tiles(A, B, ta, tb, n, row, col, t);
		for (int k = 0; k < TILE; k++)
			acc += ta[ly * TILE + k] * tb[k * TILE + lx];
	}
	C[row * n + col] = acc;
}

/* The sum of the group's v, for every work-item: a tree in tmp with a
 * barrier per level (the group size a power of two). */
float reduce_local(__local float *tmp, float v)
{
	int lid = get_local_id(0);
	tmp[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
		if (lid < s)
			tmp[lid] += tmp[lid + s];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	float sum = tmp[0];
	barrier(CLK_LOCAL_MEM_FENCE); /* tmp free for the next use */
	return sum;
}

/* out[g] = the sum of group g's x; mean[i] = x[i] - the group's mean. */
__kernel void group_sums(__global const float *x, __global float *out,
			 __global float *centered, __local float *tmp)
{
	size_t i = get_global_id(0);
	float sum = reduce_local(tmp, x[i]);
	if (get_local_id(0) == 0)
		out[get_group_id(0)] = sum;
	centered[i] = x[i] - sum / get_local_size(0);
}

/* One step of an inclusive scan: t[lid] += t[lid - d]. */
void scan_step(__local int *t, int lid, int d)
{
	int add = lid >= d ? t[lid - d] : 0;
	barrier(CLK_LOCAL_MEM_FENCE);
	t[lid] += add;
	barrier(CLK_LOCAL_MEM_FENCE);
}

/* The inclusive scan of the group's v (Hillis-Steele): a helper with a
 * barrier calling another. */
int scan_local(__local int *t, int v)
{
	int lid = get_local_id(0);
	t[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (int d = 1; d < (int)get_local_size(0); d <<= 1)
		scan_step(t, lid, d);
	int r = t[lid];
	barrier(CLK_LOCAL_MEM_FENCE);
	return r;
}

__kernel void scan_groups(__global const int *x, __global int *y,
			  __local int *t)
{
	size_t i = get_global_id(0);
	y[i] = scan_local(t, x[i]);
}

/* Rounds of a stencil in __local memory: a barrier helper called in the
 * kernel's uniform loop (a loop bound from a parameter). */
void smooth(__local float *a, __local float *b, int lid, int n)
{
	b[lid] = (a[(lid + n - 1) % n] + a[lid] + a[(lid + 1) % n]) / 4.0f;
	barrier(CLK_LOCAL_MEM_FENCE);
	a[lid] = b[lid];
	barrier(CLK_LOCAL_MEM_FENCE);
}

__kernel void smooth_rounds(__global float *x, __local float *a,
			    __local float *b, int rounds)
{
	int lid = get_local_id(0), n = get_local_size(0);
	size_t i = get_global_id(0);
	a[lid] = x[i];
	barrier(CLK_LOCAL_MEM_FENCE);
	for (int r = 0; r < rounds; r++) {
		if (r == 5)
			continue;
		smooth(a, b, lid, n);
	}
	x[i] = a[lid];
}

/*
 * How many of the group's values are below *limit (a private pointer)
 * and this work-item's rank among them, through *rank: a result, private
 * and __local pointer parameters, a return before the barriers taken by
 * the whole group and one after them taken by some work-items.
 */
int rank_in_group(__local int *vals, int v, const int *limit, int *rank)
{
	int lid = get_local_id(0), n = get_local_size(0);
	if (*limit < 0)
		return -1;
	vals[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	int below = 0, r = 0;
	for (int k = 0; k < n; k++) {
		if (vals[k] < *limit)
			below++;
		if (vals[k] < v || (vals[k] == v && k < lid))
			r++;
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	*rank = r;
	if (v >= *limit)
		return below + 1000;
	return below;
}

__kernel void ranks(__global const int *x, __global int *out,
		    __local int *vals, int limit)
{
	size_t i = get_global_id(0);
	int rank = -7;
	int c = rank_in_group(vals, x[i], &limit, &rank);
	out[2 * i] = c;
	out[2 * i + 1] = rank;
}

/* The next work-item's v plus this one's, through __local memory. */
int with_next(__local int *t, int v)
{
	int lid = get_local_id(0);
	t[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	return t[(lid + 1) % get_local_size(0)] + v;
}

/* An argument whose variable the call's own arguments change (i++): the
 * helper gets the value from before. */
__kernel void post_increment(__global int *y, __local int *t)
{
	int i = get_global_id(0);
	int r = with_next(t, i++);
	y[2 * get_global_id(0)] = r;
	y[2 * get_global_id(0) + 1] = i;
}
