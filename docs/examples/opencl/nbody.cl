/* One n-body step: accelerations by direct summation (softened), then
 * velocity and position. pos.w holds the mass. */
__kernel void nbody(const int n, const float dt, const float eps2,
		    __global const float4 *pos, __global float4 *vel,
		    __global float4 *new_pos)
{
	const int i = get_global_id(0);
	const float4 p = pos[i];
	float3 acc = (float3)(0.0f, 0.0f, 0.0f);
	for (int j = 0; j < n; j++) {
		const float4 q = pos[j];
		const float3 d = q.xyz - p.xyz;
		const float inv = rsqrt(dot(d, d) + eps2);
		acc += d * (q.w * inv * inv * inv);
	}
	float4 v = vel[i];
	v.xyz += acc * dt;
	vel[i] = v;
	new_pos[i] = (float4)(p.xyz + v.xyz * dt, p.w);
}
