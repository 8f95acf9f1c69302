/* base/: the one FNV-1a gives the values the copies it replaced gave (node
 * ids derived from names, the directory's and rt_hash's keys must not
 * change), and the clock helpers read the clocks they name. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pbx_clock.h"
#include "pbx_fnv.h"
#include "rt.h"

/* The loops pbxd.c and rt_hash had, written out as the reference. */
static uint32_t
ref32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static uint64_t
ref64(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

START_TEST(fnv_values_unchanged)
{
	static const char *const in[] = { "", "a", "pbx2", "node-west-1",
		                          "1000@example.com" };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = strlen(in[i]);

		ck_assert_uint_eq(pbx_fnv32_str(PBX_FNV32_INIT, in[i]),
		                  ref32(in[i]));
		ck_assert_uint_eq(pbx_fnv64(PBX_FNV64_INIT, in[i], n),
		                  ref64(1469598103934665603ull, in[i], n));
		ck_assert_uint_eq(rt_hash(RT_HASH_INIT, in[i], n),
		                  ref64(1469598103934665603ull, in[i], n));
	}
	/* the published FNV-1a 32-bit value of "a" */
	ck_assert_uint_eq(pbx_fnv32_str(PBX_FNV32_INIT, "a"), 0xe40c292cu);
	/* continuing from a hash is hashing the concatenation */
	ck_assert_uint_eq(pbx_fnv64(pbx_fnv64(PBX_FNV64_INIT, "ab", 2), "c", 1),
	                  pbx_fnv64(PBX_FNV64_INIT, "abc", 3));
}
END_TEST

START_TEST(clocks_read_their_clock)
{
	struct timespec ts;
	uint64_t m0, m1, w, ref;

	m0 = pbx_mono_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	w = pbx_wall_ms();
	ref = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	m1 = pbx_mono_ns();
	ck_assert_uint_le(m0, m1);
	ck_assert_uint_ge(w, ref);
	ck_assert_uint_le(w - ref, 60000u); /* wall, not monotonic time */
	ck_assert_uint_le(pbx_mono_us() / 1000u, pbx_mono_ms());
	ck_assert_uint_ge(pbx_mono_ms(), m1 / 1000000u);
	ck_assert_uint_ge(pbx_wall_ns() / 1000000u, w);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");

	tcase_add_test(tc, fnv_values_unchanged);
	tcase_add_test(tc, clocks_read_their_clock);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
