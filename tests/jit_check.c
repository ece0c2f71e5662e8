#include "jit_check.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void jit_dump_start(char prefix[JIT_DUMP_PREFIX])
{
	snprintf(prefix, JIT_DUMP_PREFIX, "/tmp/vgpujit_dump_XXXXXX");
	int fd = mkstemp(prefix);
	ck_assert_int_ge(fd, 0);
	close(fd);
	setenv("VGPUJIT_DUMP", prefix, 1);
}

int jit_dump_end(const char *prefix, const char *stage,
		 bool (*match)(const char *line))
{
	unsetenv("VGPUJIT_DUMP");
	char path[JIT_DUMP_PREFIX + 8];
	snprintf(path, sizeof(path), "%s.%s.ll", prefix, stage);
	FILE *f = fopen(path, "r");
	ck_assert(f);
	char line[4096];
	int found = 0;
	while (fgets(line, sizeof(line), f))
		found += match(line);
	fclose(f);
	static const char *const stages[] = {"pre", "opt"};
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s.%s.ll", prefix, stages[k]);
		unlink(path);
	}
	unlink(prefix);
	return found;
}
