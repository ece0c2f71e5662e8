/*
 * Error names: the one table (fsproto/errnames.c) that the daemon's
 * completions and libvgpu's vgpu_errname share, against glibc's names, and
 * each completion's name read back to its errno as libvgpu reads it.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vgpu/vgpu.h>
#include <vgpufs/errnames.h>
#include <vgpufs/text_proto.h>

START_TEST(completions_and_libvgpu_agree)
{
	int named = 0;
	for (int e = 1; e < 512; e++) {
		const char *name = vgpu_errno_name(e);
		const char *glibc = strerrorname_np(e);
		ck_assert_msg(strcmp(name, glibc ? glibc : "EUNKNOWN") == 0,
			      "errno %d: the table says %s, glibc %s", e, name,
			      glibc ? glibc : "nothing");
		ck_assert_str_eq(vgpu_errname(-e), name);
		ck_assert_str_eq(vgpu_errname(e), name);
		if (!glibc)
			continue;
		named++;
		/* as the daemon completes a failed command */
		char line[128], want[64];
		vgpu_format_err(line, sizeof(line), 7, -e, "why");
		snprintf(want, sizeof(want), "7 err %s: why\n", name);
		ck_assert_str_eq(line, want);
		ck_assert_int_eq(vgpu_completion_status(line), -e);
		ck_assert_int_eq(vgpu_errno_of_name(name, strlen(name)), e);
	}
	ck_assert_int_ge(named, 130); /* every Linux errno */
}
END_TEST

/* Where Linux has two names for one number: glibc's, one of them. */
START_TEST(one_name_a_number)
{
	ck_assert_int_eq(ENOTSUP, EOPNOTSUPP);
	ck_assert_str_eq(vgpu_errname(-ENOTSUP), "EOPNOTSUPP");
	ck_assert_str_eq(vgpu_errname(-EWOULDBLOCK), "EAGAIN");
	ck_assert_str_eq(vgpu_errname(-EDEADLOCK), "EDEADLK");
	char line[128];
	vgpu_format_err(line, sizeof(line), 1, -ENOTSUP, "no");
	ck_assert_str_eq(line, "1 err EOPNOTSUPP: no\n");
	ck_assert_int_eq(vgpu_errno_of_name("ENOTSUP", 7), 0);
}
END_TEST

START_TEST(unknown_and_malformed)
{
	ck_assert_str_eq(vgpu_errname(-99999), "EUNKNOWN");
	ck_assert_str_eq(vgpu_errname(0), "EUNKNOWN");
	ck_assert_int_eq(vgpu_completion_status("3 err EUNKNOWN: x\n"), -EIO);
	ck_assert_int_eq(vgpu_completion_status("3 err EINVALX: x\n"), -EIO);
	ck_assert_int_eq(vgpu_completion_status("3 ok nop 12\n"), 0);
	ck_assert_int_eq(vgpu_completion_status("3 maybe\n"), -EPROTO);
	ck_assert_int_eq(vgpu_completion_status(""), -EPROTO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("errnames");
	TCase *tc = tcase_create("errnames");
	tcase_add_test(tc, completions_and_libvgpu_agree);
	tcase_add_test(tc, one_name_a_number);
	tcase_add_test(tc, unknown_and_malformed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
