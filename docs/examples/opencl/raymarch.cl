/* A toy renderer: a red sphere over a checkered floor, ray-marched through
 * their signed distance field and lit by one light, one pixel a work-item,
 * RGB bytes (after a PPM header they are a picture). */
static float scene(float3 p)
{
	const float sphere = length(p - (float3)(0.0f, 1.0f, 0.0f)) - 1.0f;
	return min(sphere, p.y); /* the floor is the plane y = 0 */
}

/* The surface's normal: the field's gradient by central differences. */
static float3 normal_at(float3 p)
{
	const float e = 1e-3f;
	const float3 dx = (float3)(e, 0, 0), dy = (float3)(0, e, 0),
		     dz = (float3)(0, 0, e);
	return normalize((float3)(scene(p + dx) - scene(p - dx),
				  scene(p + dy) - scene(p - dy),
				  scene(p + dz) - scene(p - dz)));
}

__kernel void raymarch(__global uchar *rgb, const int w, const int h)
{
	const int px = get_global_id(0), py = get_global_id(1);
	const float3 eye = (float3)(0.0f, 1.0f, -4.0f);
	const float3 dir = normalize(
	    (float3)((px - 0.5f * w) / h, (0.5f * h - py) / h, 1.0f));
	float t = 0.0f;
	int hit = 0;
	for (int i = 0; i < 96 && t < 20.0f; i++) {
		const float d = scene(eye + dir * t);
		if (d < 1e-3f) {
			hit = 1;
			break;
		}
		t += d;
	}
	float3 c = (float3)(0.5f, 0.7f, 1.0f) * (1.0f - 0.5f * dir.y); /* sky */
	if (hit) {
		const float3 p = eye + dir * t;
		const float3 l = normalize((float3)(-0.5f, 0.8f, -0.6f));
		const float diffuse = max(dot(normal_at(p), l), 0.0f);
		float3 albedo = (float3)(0.9f, 0.3f, 0.2f);
		if (p.y < 2e-3f) /* on the floor: a checkerboard */
			albedo = (((int)floor(p.x) + (int)floor(p.z)) & 1)
				     ? (float3)(0.9f)
				     : (float3)(0.2f);
		c = albedo * (0.15f + 0.85f * diffuse);
	}
	const int o = 3 * (py * w + px);
	rgb[o] = (uchar)(255.0f * clamp(c.x, 0.0f, 1.0f));
	rgb[o + 1] = (uchar)(255.0f * clamp(c.y, 0.0f, 1.0f));
	rgb[o + 2] = (uchar)(255.0f * clamp(c.z, 0.0f, 1.0f));
}
