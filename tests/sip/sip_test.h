/* Shared by the sip/ unit tests. */
#ifndef TESTS_SIP_TEST_H
#define TESTS_SIP_TEST_H

#include <check.h>

#include "../check_run.h"
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

#endif
