/* A seed for initializers: brace elision, designators, nested structs. */
struct a { int x; float y[2]; };
struct b { struct a p[2]; int q; };
__constant struct a table[2] = {{1, {2.0f, 3.0f}}, {.y = {4.0f}, .x = 5}};
__kernel void k(__global float *g)
{
	struct b v = {1, 2.0f, 3.0f, 4, 5.0f, 6.0f, 7};
	float m[2][2][2] = {1, 2, 3, 4, 5, 6, 7, 8};
	int a[][3] = {1, 2, 3, 4};
	g[0] = v.p[1].y[1] + m[1][1][1] + a[1][0] + table[1].y[0];
}
