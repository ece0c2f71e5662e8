__kernel __attribute__((reqd_work_group_size(16, 16, 1))) void k(__global float4 *p) { p[0] = (float4)(1, 2, 3, vec_step(float4)); }
struct __attribute__((packed)) s { char c; } __attribute__((aligned(8)));
typedef int T; void f(void) { T a; { int T; T = 1; } }
