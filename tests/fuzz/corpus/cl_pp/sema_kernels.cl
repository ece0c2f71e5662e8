#define BLOCK 16
__kernel void histogram(__global const uchar *data, const uint n, __global uint *hist, __local uint *lh)
{
	uint lid = get_local_id(0), gid = get_global_id(0), lsz = get_local_size(0);
	for (uint i = lid; i < 256; i += lsz) lh[i] = 0;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint i = gid; i < n; i += get_global_size(0)) atomic_inc(&lh[data[i]]);
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint i = lid; i < 256; i += lsz) atomic_add(&hist[i], lh[i]);
}
__kernel void transpose(__global float *out, __global const float *in, int w, int h)
{
	__local float tile[BLOCK][BLOCK + 1];
	int x = get_group_id(0) * BLOCK + get_local_id(0);
	int y = get_group_id(1) * BLOCK + get_local_id(1);
	if (x < w && y < h) tile[get_local_id(1)][get_local_id(0)] = in[y * w + x];
	barrier(CLK_LOCAL_MEM_FENCE);
	x = get_group_id(1) * BLOCK + get_local_id(0);
	y = get_group_id(0) * BLOCK + get_local_id(1);
	if (x < h && y < w) out[y * h + x] = tile[get_local_id(0)][get_local_id(1)];
}
__kernel void nbody(__global float4 *pos, __global float4 *vel, int n, float dt, float eps)
{
	int i = get_global_id(0);
	float4 p = pos[i], a = (float4)(0.0f);
	for (int j = 0; j < n; j++) {
		float4 d = pos[j] - p;
		float inv = rsqrt(d.x * d.x + d.y * d.y + d.z * d.z + eps);
		a += d * (inv * inv * inv) * pos[j].w;
	}
	vel[i] += a * dt;
	vel[i].w = 0;
	pos[i].xyz += vel[i].xyz * dt;
}
__kernel void scan(__global int *data, __local int *tmp, int n)
{
	int lid = get_local_id(0);
	tmp[lid] = lid < n ? data[lid] : 0;
	for (int off = 1; off < (int)get_local_size(0); off <<= 1) {
		barrier(CLK_LOCAL_MEM_FENCE);
		int t = lid >= off ? tmp[lid - off] : 0;
		barrier(CLK_LOCAL_MEM_FENCE);
		tmp[lid] += t;
	}
	if (lid < n) data[lid] = tmp[lid];
}
float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }
__kernel void act(__global float *x, const unsigned int n, float alpha)
{
	size_t i = get_global_id(0);
	if (i >= n) return;
	float v = x[i];
	x[i] = v > 0 ? v : alpha * (exp(v) - 1.0f);
	x[i] = max(x[i], 0.0f) + sigmoid(x[i]) + clamp(v, -1.0f, 1.0f) + fma(v, v, 1.0f) + mad(v, 2.0f, 1.0f);
	x[i] += pow(v, 2) + sqrt(fabs(v)) + (float)M_PI + M_PI_F;
	int k = (int)floor(v); uint u = (uint)k; long l = k * 2L; ulong ul = u + 1UL;
	x[i] += (float)(l + ul) + convert_float(k) + as_float(u);
	double d = v; d = d * 2.0 + 1; x[i] = (float)d;
}
typedef struct { float x, y; } float2_t;
__kernel void vec(__global float2_t *p, __global float8 *v8, __global uchar4 *img)
{
	size_t i = get_global_id(0);
	p[i].x = p[i].y * 2;
	float8 a = v8[i]; a.s01234567 = a.s76543210; a.lo = a.hi * 0.5f; v8[i] = a;
	uchar4 c = img[i]; float4 f = convert_float4(c) / 255.0f; img[i] = convert_uchar4_sat_rte(f * 255.0f);
	float3 t = vload3(i, (__global float *)v8); vstore3(t, i + 1, (__global float *)v8);
	int4 m = isgreater(f, (float4)(0.5f)); img[i] = select(img[i], (uchar4)(0), convert_char4(m) != 0);
}
