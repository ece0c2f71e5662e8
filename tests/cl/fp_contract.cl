/*
 * FP_CONTRACT (it_cl_builtins): a * b - c where the product rounds, so
 * that one rounding (fused, on a CPU with FMA) and two differ in the
 * last bit. ON by default; OFF inside a block lasts to its '}'.
 */
__kernel void contract_default(__global const float *a, __global float *out)
{
	const int i = get_global_id(0);
	out[i] = a[i] * a[i] - a[i + 4];
}

__kernel void contract_off(__global const float *a, __global float *out)
{
#pragma OPENCL FP_CONTRACT OFF
	const int i = get_global_id(0);
	out[i] = a[i] * a[i] - a[i + 4];
}

/* After contract_off's block: ON again. mad() may fuse whatever the
 * pragma; a product through a variable is never fused. */
__kernel void contract_after(__global const float *a, __global float *out)
{
	const int i = get_global_id(0);
	const float p = a[i] * a[i];
	out[i] = p - a[i + 4];
	out[i + 4] = a[i] * a[i] - a[i + 4];
	out[i + 8] = mad(a[i], a[i], -a[i + 4]);
}
