#define debug(...) fprintf(stderr, __VA_ARGS__)
#define report(test, ...) ((test)?puts(#test):\
 printf(__VA_ARGS__))
debug("X = %d\n", x);
report(x>y, "x is %d", x);
#line 40 "other.cl"
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
float f = 0x1.8p1f + .5e-3 + 1.0f; char c = '\x41'; ulong u = 42UL;
%: define D <: :>
