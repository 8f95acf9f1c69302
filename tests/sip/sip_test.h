/* Shared by the sip/ unit tests. */
#ifndef TESTS_SIP_TEST_H
#define TESTS_SIP_TEST_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip.h"

/* Assert a slice equals a C string, showing both on failure. */
#define ck_assert_pl_str(x_, s_)                                               \
	do {                                                                   \
		struct pl pl_ = (x_);                                          \
		ck_assert_msg(                                                 \
		    pl_eq_str(&pl_, (s_)), "expected '%s', got '%.*s'", (s_),  \
		    pl_.p ? (int)pl_.l : 6, pl_.p ? pl_.p : "(null)");         \
	} while (0)

static inline struct pl
pls(const char *s)
{
	return pl_from_str(s);
}

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
