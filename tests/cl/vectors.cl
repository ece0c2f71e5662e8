/* Vectors scalarized: literals, swizzles (read and written), arithmetic,
 * compares, ?: and select, vload/vstore, helpers taking and returning
 * float4, geometric built-ins. */
float4 scale(float4 v, float s) { return v * s; }
__kernel void k(__global float4 *p, __global float *q, __global int4 *r, float a)
{
	size_t i = get_global_id(0);
	float4 v = p[i];
	float4 w = (float4)(1.0f, 2.0f, v.xy);
	v.xyz += w.zyx * a;
	v = scale(v, 2.0f) + (float4)(a);
	int4 m = v > w;
	r[i] = select((int4)(0), (int4)(1, 2, 3, 4), m) + (m ? (int4)7 : (int4)8);
	q[i] = dot(v, w) + length(v.xy) + distance(v, w);
	p[i] = normalize(v) + rsqrt(w) + clamp(v, 0.0f, 1.0f) + min(v, w) + max(v, 1.0f);
	p[i].s3 = v.lo.y + v.odd.x;
	float3 c = cross(v.xyz, w.xyz);
	vstore4(v, i, q);
	float4 l = vload4(1, q) + vload3(0, q).xyzz;
	q[0] = c.x + l.w + (any(m) ? 1.0f : 0.0f) + all(m.xy);
	v++;
	-v;
	p[0] = v;
}
