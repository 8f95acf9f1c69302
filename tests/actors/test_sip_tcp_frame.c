/* The TCP transport's pure parts: incremental framing (the same answers as
 * sip_msg_frame, each header byte looked at about once however the stream is
 * cut, the maximum size enforced before the message is complete) and the
 * source a connection counts against (IPv4 address, IPv6 /64). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sip_tcp.h"

#define OPTS                                                                   \
	"OPTIONS sip:a@b SIP/2.0\r\n"                                          \
	"Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"                               \
	"Call-ID: c\r\n"                                                       \
	"CSeq: 1 OPTIONS\r\n"

static struct sip_limits lim;

static void
setup(void)
{
	sip_limits_default(&lim);
}

/* Feed buf in pieces of `step` bytes, as reads would bring it; the
 * framer's answer once all of it is there. */
static int
feed(struct sip_tcp_framer *f, size_t *fl, const char *buf, size_t len,
     size_t step)
{
	int err = ENODATA;

	sip_tcp_framer_reset(f);
	f->scanned = 0;
	for (size_t have = step < len ? step : len;; have += step) {
		if (have > len)
			have = len;
		err = sip_tcp_frame(f, fl, buf, have, &lim);
		if (err != ENODATA || have == len)
			return err;
	}
}

START_TEST(agrees_with_sip_msg_frame)
{
	static const char *const cases[] = {
		OPTS "Content-Length: 0\r\n\r\n",
		"\r\n\r\n" OPTS "Content-Length: 0\r\n\r\n",
		OPTS "Content-Length: 4\r\n\r\nbody",
		OPTS "Content-Length: 4\r\n\r\nbodyNEXT",
		OPTS "l: 2\r\n\r\nab",
		"OPTIONS sip:a@b SIP/2.0\nCall-ID: c\nContent-Length: 1\n\nx",
		OPTS "Content-Length : 3\r\n\r\nabc",
		OPTS "\r\n",                      /* no Content-Length */
		OPTS "Content-Length: x\r\n\r\n", /* unreadable */
		OPTS "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		OPTS "Content-Length: 1\r\nl: 1\r\n\r\na",
		OPTS "Content-Length: 9\r\n\r\nshort",
		OPTS "Content-Length: 0\r\n",
		OPTS "Content-Length: 100000\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_tcp_framer f;
		size_t len = strlen(cases[i]), a = 0, b = 0;
		int ea = sip_msg_frame(&a, cases[i], len, &lim);

		for (size_t step = 1; step <= len; step += step < 8 ? 1 : 17) {
			int eb = feed(&f, &b, cases[i], len, step);

			ck_assert_msg(ea == eb, "case %zu step %zu: %d != %d",
			              i, step, ea, eb);
			if (!ea)
				ck_assert_uint_eq(a, b);
		}
	}
}
END_TEST

START_TEST(byte_by_byte_scans_once)
{
	char buf[8192];
	struct sip_tcp_framer f;
	size_t n = 0, fl = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "%s", OPTS);
	while (n < 6000)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-Pad: %s\r\n",
		                      "0123456789abcdef");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	                      "Content-Length: 5\r\n\r\nhello");
	ck_assert_int_eq(feed(&f, &fl, buf, n, 1), 0);
	ck_assert_uint_eq(fl, n);
	/* about once each (a line end may be looked at again when the
	 * read ends next to it); a rescan per read would be ~n*n/2 */
	ck_assert_msg(f.scanned <= 3 * n, "scanned %llu bytes of %zu",
	              (unsigned long long)f.scanned, n);
}
END_TEST

START_TEST(pipelined_messages_frame_one_after_another)
{
	const char two[] = OPTS "Content-Length: 1\r\n\r\nA" OPTS
	                        "Content-Length: 2\r\n\r\nBC";
	struct sip_tcp_framer f;
	size_t fl, off;

	sip_tcp_framer_reset(&f);
	ck_assert_int_eq(sip_tcp_frame(&f, &fl, two, sizeof(two) - 1, &lim), 0);
	ck_assert_int_eq(two[fl - 1], 'A');
	off = fl;
	ck_assert_int_eq(
	    sip_tcp_frame(&f, &fl, two + off, sizeof(two) - 1 - off, &lim), 0);
	ck_assert_uint_eq(off + fl, sizeof(two) - 1);
}
END_TEST

START_TEST(max_size_enforced_before_the_end)
{
	struct sip_tcp_framer f;
	char *big = malloc(lim.max_size + 64);
	char head[256];
	size_t fl, n;

	/* a header that never ends: refused once past the limit */
	memset(big, 'a', lim.max_size + 64);
	memcpy(big, OPTS, sizeof(OPTS) - 1);
	sip_tcp_framer_reset(&f);
	ck_assert_int_eq(sip_tcp_frame(&f, &fl, big, lim.max_size, &lim),
	                 ENODATA);
	ck_assert_int_eq(sip_tcp_frame(&f, &fl, big, lim.max_size + 1, &lim),
	                 EMSGSIZE);
	free(big);
	/* a Content-Length past the limit: refused with the header, not
	 * after waiting for the body */
	n = (size_t)snprintf(head, sizeof(head),
	                     OPTS "Content-Length: %zu\r\n\r\n", lim.max_size);
	sip_tcp_framer_reset(&f);
	ck_assert_int_eq(sip_tcp_frame(&f, &fl, head, n, &lim), EMSGSIZE);
}
END_TEST

static void
v6(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET6;
	ck_assert_int_eq(
	    inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr),
	    1);
}

static void
v4(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET;
	ck_assert_int_eq(
	    inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr), 1);
}

static int
same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t ka[16], kb[16];

	sip_tcp_source_key(ka, a);
	sip_tcp_source_key(kb, b);
	return memcmp(ka, kb, 16) == 0;
}

START_TEST(sources_are_ipv4_addresses_and_ipv6_slash_64s)
{
	struct sockaddr_storage a, b;

	v6(&a, "2001:db8:1:2::1");
	v6(&b, "2001:db8:1:2:ffff:ffff:ffff:fffe");
	ck_assert(same_source(&a, &b));
	v6(&b, "2001:db8:1:3::1");
	ck_assert(!same_source(&a, &b));
	v4(&a, "192.0.2.1");
	v6(&b, "::ffff:192.0.2.1");
	ck_assert(same_source(&a, &b));
	v4(&b, "192.0.2.2");
	ck_assert(!same_source(&a, &b));
	/* an IPv6 /64 whose first bytes spell an IPv4 address is another */
	v6(&b, "c000:201::");
	ck_assert(!same_source(&a, &b));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sip-tcp-frame");
	TCase *tc = tcase_create("frame");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, agrees_with_sip_msg_frame);
	tcase_add_test(tc, byte_by_byte_scans_once);
	tcase_add_test(tc, pipelined_messages_frame_one_after_another);
	tcase_add_test(tc, max_size_enforced_before_the_end);
	tcase_add_test(tc, sources_are_ipv4_addresses_and_ipv6_slash_64s);
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
