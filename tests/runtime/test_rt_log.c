/* The logger: whatever the text holds, a log line is one line and no
 * control byte from a peer reaches it raw. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../check_run.h"

static void
escaped(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t l = rt_log_escape(out, sizeof(out), in, n);

	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(l, strlen(want));
}

START_TEST(escape_controls_and_bad_utf8)
{
	escaped("plain text: 1000@127.0.0.1", 26, "plain text: 1000@127.0.0.1");
	escaped("a\r\nb\tc", 6, "a\\r\\nb\\tc");
	escaped("ua\x1b[31mred", 10, "ua\\x1b[31mred");
	escaped("nul\0x\x7f", 6, "nul\\x00x\\x7f");
	/* well-formed UTF-8 stays; broken, overlong, surrogate and C1 do not */
	escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e", 14,
	        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e");
	escaped("\xc3(", 2, "\\xc3(");
	escaped("\xc0\xaf", 2, "\\xc0\\xaf");
	escaped("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	escaped("\xc2\x9b"
	        "2J",
	        4, "\\xc2\\x9b2J");
	escaped("\xe2\x82", 2, "\\xe2\\x82");
}
END_TEST

START_TEST(escape_stops_at_a_whole_character)
{
	char out[5];

	/* "abc" and the NUL fit, "\\r" (two more) does not */
	ck_assert_uint_eq(rt_log_escape(out, sizeof(out), "abc\r", 4), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_uint_eq(rt_log_escape(out, 3, "\xc3\xa9\xc3\xa9", 4), 2);
	ck_assert_str_eq(out, "\xc3\xa9");
}
END_TEST

/* Run fn with stderr going to a file; the file's bytes in buf. */
static size_t
capture(void (*fn)(void), char *buf, size_t cap)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static void
log_forged(void)
{
	rt_logf(RT_LOG_INFO, "REGISTER from %s",
	        "evil\r\n2026-01-01T00:00:00Z "
	        "ERROR pbx1 w0 - forged\x1b[2J");
}

static char big_ua[20000];

static void
log_long(void)
{
	rt_logf(RT_LOG_INFO, "ua %s end", big_ua);
}

START_TEST(a_line_is_one_line)
{
	static char buf[100000];
	size_t n = capture(log_forged, buf, sizeof(buf));

	ck_assert_uint_gt(n, 0);
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	ck_assert_ptr_null(strchr(buf, '\r'));
	ck_assert_ptr_null(strchr(buf, '\x1b'));
	ck_assert_ptr_nonnull(
	    strstr(buf, "REGISTER from evil\\r\\n2026-01-01T00:00:00Z ERROR "
	                "pbx1 w0 - forged\\x1b[2J\n"));

	/* longer than the logger's stack buffer: all of it, still one line */
	memset(big_ua, 'a', sizeof(big_ua) - 1);
	big_ua[100] = '\n';
	big_ua[sizeof(big_ua) - 2] = '\x07';
	n = capture(log_long, buf, sizeof(buf));
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
	ck_assert_ptr_nonnull(strstr(buf, "aaa\\naaa"));
	ck_assert_ptr_nonnull(strstr(buf, "aaa\\x07 end\n"));
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, escape_controls_and_bad_utf8);
	tcase_add_test(tc, escape_stops_at_a_whole_character);
	tcase_add_test(tc, a_line_is_one_line);
}

int
main(void)
{
	return run_suite("rt_log", add_tests);
}
