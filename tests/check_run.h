/* The main() of a check unit test: one suite, one test case. */
#ifndef PBX_TESTS_CHECK_RUN_H
#define PBX_TESTS_CHECK_RUN_H

#include <check.h>

/* One suite of the given test functions, run, exit status. */
static inline int
run_suite(const char *name, void (*add)(TCase *tc))
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	SRunner *sr;
	int failed;

	add(tc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
