/* Vector types, swizzles, literals and conversions: a lexer workout. */
typedef struct {
	float4 pos;
	uchar16 tag;
} particle;

__kernel void step(__global particle *p, __constant float2 *wind,
		   private const double dt)
{
	const size_t i = get_global_id(0);
	float4 v = (float4)(wind[0].x, wind[0].y, 0x1.8p1f, .5e-1f);
	p[i].pos.xyz += v.xyz * (float)dt;
	p[i].tag.s0 = convert_uchar_sat(p[i].pos.w * 255.0f) + '\x01';
	ulong bits = as_ulong(dt) >> 3UL;
	p[i].pos.w = bits ? 1.0f : 0.0f;
}
