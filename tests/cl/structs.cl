/* Structs in private memory and as __global element types, initializer
 * lists, & of a scalar variable, unions. */
typedef struct {
	float4 pos;
	int id;
	float w[3];
} particle;

typedef union {
	float f;
	uint u;
} bits;

void bump(int *x) { *x += 1; }

__kernel void move(__global particle *p, __global int *out, float dt)
{
	size_t i = get_global_id(0);
	particle q = p[i];
	q.pos.xyz += (float3)(dt);
	q.id = (int)i;
	q.w[1] = q.w[0] * 2.0f;
	p[i] = q;
	p[i].w[2] = p[i].pos.x;
	__global particle *r = &p[i];
	r->id += 1;
	int t[4] = {1, 2};
	int n = t[1] + t[3];
	bump(&n);
	particle z = {(float4)(0.0f), 7, {1.0f, 2.0f}};
	bits b = {.f = dt};
	int g[2][2] = {{1}, [1] = {3, 4}};
	out[i] = n + z.id + (int)b.u + g[1][0] + (int)z.w[1];
}
