#include "h.h"
#define str(s) # s
#define xstr(s) str(s)
#define glue(a, b) a ## b
#define xglue(a, b) glue(a, b)
#define t(x,y,z) x ## y ## z
int j[] = { t(1,2,3), t(,4,5), t(6,,7), t(8,9,) };
xglue(H, (a, b)) xstr(__LINE__ __FILE__)
#if FUZZ * 2 == 2 && (1 ? 0x10 : 07) >> 2 == 4
int ok;
#elif defined X
#error no
#else
#endif
