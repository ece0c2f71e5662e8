/* convert_T with _sat and rounding modes, and as_T, scalars and vectors. */
__kernel void conv(__global float *f, __global int *i, __global uchar4 *c,
		   __global double *d, __global uint *u)
{
	size_t k = get_global_id(0);
	i[k] = convert_int_sat(f[k]) + convert_int_rte(f[k]) +
	       convert_int_rtp(f[k]) + convert_int_rtn(f[k]) +
	       convert_int_sat_rtz(f[k]) + convert_short_sat(i[k + 1]) +
	       convert_char_sat(u[k]);
	u[k] = convert_uint_sat(i[k]) + convert_uint_sat(d[k]) +
	       convert_uint_sat((long)i[k]);
	c[k] = convert_uchar4_sat(convert_int4(c[k]) * 3) +
	       convert_uchar4_sat_rte((float4)(f[k]));
	f[k] = convert_float_rtz(i[k]) + convert_float_rtp(u[k]) +
	       convert_float_rtn(d[k]) + convert_float_rtz(d[k]) +
	       convert_float_rte(i[k]) + convert_float(d[k]);
	i[k] = as_int(f[k]) + as_int4(convert_float4(c[k])).y +
	       as_uint(c[k]) + as_int2(d[k]).x;
	f[k] = as_float(i[k]) + as_float3(as_int4((float4)(1.0f))).z;
}
