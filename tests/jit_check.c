#include "jit_check.h"

#include <check.h>

const _Atomic int jit_never_stop;

int jit_run_all(const struct vjit_program *p, int kernel,
		const struct vjit_arg *args, uint32_t nargs,
		const struct vjit_ndrange *nd, struct vjit_fault *fault)
{
	int rc = vjit_check_launch(p, kernel, args, nargs, nd, fault);
	ck_assert_msg(rc == 0, "check_launch: %s", fault->msg);
	uint64_t groups = 1;
	for (int d = 0; d < 3; d++)
		groups *= nd->global[d] / nd->local[d];
	return vjit_run_groups(p, kernel, args, nd, 0, groups, &jit_never_stop,
			       fault);
}
