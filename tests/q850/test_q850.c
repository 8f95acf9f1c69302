/* The Q.850 module: every name round-trips, what "hangup CAUSE" takes, and
 * the cause <-> SIP tables checked against RFC 3398 row by row, with each
 * place where we follow FreeSWITCH instead named. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "q850.h"

START_TEST(every_name_round_trips)
{
	size_t named = 0;

	for (uint32_t c = 0; c < 1000; c++) {
		const char *n = q850_name(c);
		char lower[64], num[8];
		size_t i;

		if (n == NULL)
			continue;
		named++;
		ck_assert_msg(strlen(n) < sizeof(lower), "%s too long", n);
		for (i = 0; n[i]; i++) {
			ck_assert_msg(isupper((unsigned char)n[i]) ||
			                  isdigit((unsigned char)n[i]) ||
			                  n[i] == '_',
			              "%u: odd name %s", c, n);
			lower[i] = (char)tolower((unsigned char)n[i]);
		}
		lower[i] = '\0';
		ck_assert_uint_eq(q850_from_name(n), c);
		ck_assert_uint_eq(q850_from_name(lower), c);
		ck_assert_uint_eq(q850_parse(n), c);
		snprintf(num, sizeof(num), "%u", c);
		ck_assert_uint_eq(q850_parse(num), c);
		/* one name per cause */
		for (uint32_t d = 0; d < c; d++)
			ck_assert_msg(!q850_name(d) || strcmp(q850_name(d), n),
			              "%s names %u and %u", n, d, c);
	}
	ck_assert_uint_gt(named, 50);
	ck_assert_ptr_null(q850_name(0));
	ck_assert_ptr_null(q850_name(4));
	ck_assert_ptr_null(q850_name(128));
}
END_TEST

START_TEST(names_and_numbers)
{
	ck_assert_uint_eq(Q850_USER_BUSY, 17);
	ck_assert_str_eq(q850_name(Q850_NORMAL_CLEARING), "NORMAL_CLEARING");
	ck_assert_str_eq(q850_name(102), "RECOVERY_ON_TIMER_EXPIRE");
	ck_assert_uint_eq(q850_parse("USER_BUSY"), 17);
	ck_assert_uint_eq(q850_parse("user_busy"), 17);
	ck_assert_uint_eq(q850_parse("ORIGINATOR_CANCEL"), 487);
	ck_assert_uint_eq(q850_parse("17"), 17);
	ck_assert_uint_eq(q850_parse("4"), 4); /* any number 1..127 */
	ck_assert_uint_eq(q850_parse("127"), 127);
	ck_assert_uint_eq(q850_parse("487"), 487);
	ck_assert_uint_eq(q850_parse("128"), 0);
	ck_assert_uint_eq(q850_parse("0"), 0);
	ck_assert_uint_eq(q850_parse("0017"), 0);
	ck_assert_uint_eq(q850_parse("17x"), 0);
	ck_assert_uint_eq(q850_parse("USER_BUSYY"), 0);
	ck_assert_uint_eq(q850_parse(""), 0);
	ck_assert_uint_eq(q850_parse(NULL), 0);
	ck_assert_uint_eq(q850_from_name("17"), 0);
	ck_assert_uint_eq(q850_from_name(NULL), 0);
}
END_TEST

/* RFC 3398 §8.2.6.1 (ISUP cause -> SIP response), every row; `ours` is
 * nonzero where we answer otherwise, as FreeSWITCH does or by the 480
 * default for a cause neither lists. */
static const struct {
	uint32_t cause;
	uint16_t rfc, ours;
} to_sip[] = {
	{ 1, 404, 0 },    { 2, 404, 0 },     { 3, 404, 0 },
	{ 17, 486, 0 },   { 18, 408, 0 },    { 19, 480, 0 },
	{ 20, 480, 0 },   { 21, 403, 603 }, /* FreeSWITCH: Decline */
	{ 22, 410, 0 },   { 23, 410, 0 },    { 26, 404, 480 }, /* not listed */
	{ 27, 502, 0 },   { 28, 484, 0 },    { 29, 501, 0 },
	{ 31, 480, 0 },   { 34, 503, 0 },    { 38, 503, 0 },
	{ 41, 503, 0 },   { 42, 503, 0 },    { 47, 503, 0 },
	{ 55, 403, 480 }, /* not listed */
	{ 57, 403, 0 },   { 58, 503, 0 },    { 65, 488, 0 },
	{ 70, 488, 480 },                    /* not listed */
	{ 79, 501, 0 },   { 87, 403, 480 },  /* not listed */
	{ 88, 503, 488 },                    /* FreeSWITCH */
	{ 102, 504, 0 },  { 111, 500, 480 }, /* not listed */
	{ 127, 500, 0 },
};

/* RFC 3398 §7.2.4.1 (SIP response -> ISUP cause), every row; rfc 0 where
 * the RFC maps by the Warning header or not at all. */
static const struct {
	uint16_t code;
	uint32_t rfc, ours;
} from_sip[] = {
	{ 400, 41, 0 },  { 401, 21, 0 },  { 402, 21, 0 },  { 403, 21, 0 },
	{ 404, 1, 0 },   { 405, 63, 0 },  { 406, 79, 0 },  { 407, 21, 0 },
	{ 408, 102, 0 }, { 410, 22, 0 },  { 413, 127, 0 }, { 414, 127, 0 },
	{ 415, 79, 0 },  { 416, 127, 0 }, { 420, 127, 0 }, { 421, 127, 0 },
	{ 423, 127, 0 }, { 480, 18, 0 },  { 481, 41, 0 },  { 482, 25, 0 },
	{ 483, 25, 0 },  { 484, 28, 0 },  { 485, 1, 3 },   { 486, 17, 0 },
	{ 487, 0, 487 }, { 488, 0, 88 },  { 500, 41, 0 },  { 501, 79, 0 },
	{ 502, 38, 0 },  { 503, 41, 0 },  { 504, 102, 0 }, { 505, 127, 0 },
	{ 513, 127, 0 }, { 600, 17, 0 },  { 603, 21, 0 },  { 604, 1, 3 },
	{ 606, 0, 88 },
};

START_TEST(cause_to_sip_follows_rfc3398)
{
	for (size_t i = 0; i < sizeof(to_sip) / sizeof(to_sip[0]); i++) {
		uint16_t want = to_sip[i].ours ? to_sip[i].ours : to_sip[i].rfc;

		ck_assert_msg(q850_to_sip(to_sip[i].cause) == want,
		              "cause %u: got %u, want %u (RFC 3398: %u)",
		              to_sip[i].cause, q850_to_sip(to_sip[i].cause),
		              want, to_sip[i].rfc);
	}
}
END_TEST

START_TEST(sip_to_cause_follows_rfc3398)
{
	for (size_t i = 0; i < sizeof(from_sip) / sizeof(from_sip[0]); i++) {
		uint32_t want =
		    from_sip[i].ours ? from_sip[i].ours : from_sip[i].rfc;

		ck_assert_msg(q850_from_sip(from_sip[i].code) == want,
		              "SIP %u: got %u, want %u (RFC 3398: %u)",
		              from_sip[i].code, q850_from_sip(from_sip[i].code),
		              want, from_sip[i].rfc);
	}
}
END_TEST

/* What the tables above do not cover: causes and codes neither RFC 3398
 * lists (the dialplan's former tests, unchanged). */
START_TEST(outside_rfc3398)
{
	static const unsigned to[][2] = {
		{ 16, 480 },  { 25, 483 },  { 44, 503 },
		{ 52, 403 },  { 54, 403 },  { 69, 501 },
		{ 487, 487 }, { 602, 480 }, { 9999, 480 },
	};
	static const unsigned from[][2] = {
		{ 200, 16 },
		{ 608, 21 },
		{ 499, 31 },
		{ 302, 31 },
	};

	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++)
		ck_assert_msg(q850_to_sip(to[i][0]) == to[i][1],
		              "cause %u: got %u, want %u", to[i][0],
		              q850_to_sip(to[i][0]), to[i][1]);
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		ck_assert_msg(q850_from_sip((uint16_t)from[i][0]) == from[i][1],
		              "SIP %u: got %u, want %u", from[i][0],
		              q850_from_sip((uint16_t)from[i][0]), from[i][1]);
	/* A busy callee shows the caller busy; a cancel stays a cancel. */
	ck_assert_uint_eq(q850_to_sip(q850_from_sip(486)), 486);
	ck_assert_uint_eq(q850_to_sip(q850_from_sip(487)), 487);
	ck_assert_uint_eq(q850_to_sip(q850_from_sip(404)), 404);
	ck_assert_uint_eq(q850_to_sip(q850_from_sip(603)), 603);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("q850");
	TCase *tc = tcase_create("q850");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_name_round_trips);
	tcase_add_test(tc, names_and_numbers);
	tcase_add_test(tc, cause_to_sip_follows_rfc3398);
	tcase_add_test(tc, sip_to_cause_follows_rfc3398);
	tcase_add_test(tc, outside_rfc3398);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
