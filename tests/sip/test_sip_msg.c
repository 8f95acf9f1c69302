/* The eager pass: start lines, header index, folding, bodies, framing and
 * limits. */
#include <stdlib.h>

#include "sip_test.h"

static struct sip_msg msg;

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "v: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK1, SIP/2.0/UDP "
    "10.0.0.1:5070;branch=z9hG4bK2\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "f: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "m: <sip:alice@pc33.atlanta.example.com>\r\n"
    "X-Custom:  some value\r\n"
    "Subject: folded\r\n"
    "\tsubject line\r\n"
    "c: application/sdp\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\r\n";

static int
decode(const char *s)
{
	return sip_msg_decode(&msg, s, strlen(s), NULL);
}

START_TEST(test_request)
{
	const struct sip_hdr *h;

	ck_assert_int_eq(decode(invite), 0);
	ck_assert(msg.req);
	ck_assert_pl_str(msg.method, "INVITE");
	ck_assert_int_eq(msg.meth, SIP_METHOD_INVITE);
	ck_assert_pl_str(msg.ruri, "sip:bob@biloxi.example.com");
	ck_assert_pl_str(msg.ver, "SIP/2.0");
	ck_assert_uint_eq(msg.hdrc, 12);
	ck_assert_uint_eq(msg.cseq, 314159);
	ck_assert_pl_str(msg.cseq_method, "INVITE");
	ck_assert_int_eq(msg.max_forwards, 70);
	ck_assert_uint_eq(msg.clen, 4);
	ck_assert_pl_str(msg.body, "v=0\r");
	ck_assert_ptr_null(msg.err);

	/* what the eager pass keeps decoded */
	ck_assert_pl_str(msg.via.branch, "z9hG4bK776asdhds");
	ck_assert_pl_str(msg.via.host, "pc33.atlanta.example.com");
	ck_assert_pl_str(msg.from.tag, "1928301774");
	ck_assert_pl_str(msg.from.dname, "Alice");
	ck_assert_ptr_null(msg.to.tag.p);
	ck_assert_pl_str(msg.to.uri.user, "bob");
	ck_assert_pl_str(msg.callid, "a84b4c76e66710@pc33.atlanta.example.com");
	ck_assert(msg.has_contact);
	ck_assert_pl_str(msg.contact.addr.uri.host, "pc33.atlanta.example.com");

	h = sip_msg_hdr(&msg, SIP_HDR_CALL_ID);
	ck_assert_ptr_nonnull(h);
	ck_assert_pl_str(h->name, "i");
	ck_assert_pl_str(h->val, "a84b4c76e66710@pc33.atlanta.example.com");
	ck_assert_uint_eq(sip_msg_hdr_count(&msg, SIP_HDR_VIA), 2);
	h = sip_msg_hdr(&msg, SIP_HDR_VIA);
	ck_assert_pl_str(h->name, "Via");
	h = sip_msg_hdr_next(&msg, h);
	ck_assert_pl_str(h->name, "v");
	ck_assert_ptr_null(sip_msg_hdr_next(&msg, h));

	h = sip_msg_hdr(&msg, SIP_HDR_OTHER);
	ck_assert_pl_str(h->name, "X-Custom");
	ck_assert_pl_str(h->val, "some value");
	ck_assert_ptr_eq(sip_msg_hdr_byname(&msg, "x-custom"), h);
	h = sip_msg_hdr(&msg, SIP_HDR_SUBJECT);
	ck_assert_pl_str(h->val, "folded\r\n\tsubject line");
	ck_assert_ptr_null(sip_msg_hdr(&msg, SIP_HDR_ROUTE));
	ck_assert_uint_eq(sip_msg_hdr_count(&msg, SIP_HDR_ROUTE), 0);
}
END_TEST

START_TEST(test_iter)
{
	struct sip_hdr_iter it;
	struct sip_via via;
	struct pl v;

	ck_assert_int_eq(decode(invite), 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_VIA);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert_pl_str(via.branch, "z9hG4bK776asdhds");
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert_pl_str(via.branch, "z9hG4bK1");
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert_pl_str(via.host, "10.0.0.1");
	ck_assert_uint_eq(via.port, 5070);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), ENOENT);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), ENOENT);

	sip_hdr_iter_init(&it, &msg, SIP_HDR_ROUTE);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), ENOENT);
}
END_TEST

START_TEST(test_response)
{
	const char *r = "SIP/2.0 180 Ringing\r\n"
	                "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                "From: <sip:a@h>;tag=1\r\n"
	                "To: <sip:b@h>;tag=2\r\n"
	                "Call-ID: x\r\n"
	                "CSeq: 1 INVITE\r\n"
	                "Content-Length: 0\r\n\r\n";

	ck_assert_int_eq(decode(r), 0);
	ck_assert(!msg.req);
	ck_assert_uint_eq(msg.scode, 180);
	ck_assert_pl_str(msg.reason, "Ringing");
	ck_assert_pl_str(msg.cseq_method, "INVITE");
	ck_assert_uint_eq(msg.body.l, 0);
	ck_assert_uint_eq(msg.raw.l, strlen(r));
}
END_TEST

static const char *const bad[][2] = {
	{ "SIP/2.0 99 Too small\r\n\r\n", "Bad status code" },
	{ "SIP/2.0 700 Too big\r\n\r\n", "Bad status code" },
	{ "SIP/2.0 2000 Long\r\n\r\n", "Bad status code" },
	{ "SIP/2.0 20x Hex\r\n\r\n", "Bad status code" },
	{ "SIP/2.0\r\n\r\n", "Bad status line" },
	{ "INVITE sip:a@b\r\n\r\n", "Bad request line" },
	{ "INVITE sip:a@b HTTP/1.1\r\n\r\n", "Bad request line" },
	{ "INVITE a b SIP/2.0\r\n\r\n", "Bad Request-URI" },
	{ "INVITE sip:a@b SIP/2.0\r\nNo colon here\r\n\r\n",
	  "Malformed header line" },
	/* CR | 0x20 is '-': must not pass for Call-ID */
	{ "INVITE sip:a@b SIP/2.0\r\nCall\rID: x\r\nVia: SIP/2.0/UDP h\r\n\r\n",
	  "Malformed header line" },
	{ "INVITE sip:a@b SIP/2.0\r\nCall\rID: x\r\n\r\n",
	  "Malformed header line" },
	{ "INVITE sip:a@b SIP/2.0\r\n: empty name\r\n\r\n",
	  "Malformed header line" },
	{ "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n",
	  "Missing empty line after headers" },
	{ "INVITE sip:a@b SIP/2.0", "Truncated start line" },
	{ "", "Truncated start line" },
};

START_TEST(test_bad)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(decode(bad[i][0]) == EBADMSG, "accepted: %s",
		              bad[i][0]);
		ck_assert_str_eq(msg.err, bad[i][1]);
	}
}
END_TEST

/* A valid request with one header line replaced. */
static int
with_hdr(const char *line)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
	         "OPTIONS sip:a@b SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	         "From: <sip:a@h>;tag=1\r\n"
	         "To: <sip:b@h>\r\n"
	         "Call-ID: x\r\n"
	         "CSeq: 1 OPTIONS\r\n"
	         "%s\r\n"
	         "Content-Length: 0\r\n\r\n",
	         line);
	return decode(buf);
}

START_TEST(test_scalars)
{
	ck_assert_int_eq(with_hdr("Max-Forwards: 255"), 0);
	ck_assert_int_eq(msg.max_forwards, 255);
	ck_assert_int_eq(with_hdr("Max-Forwards: 256"), EBADMSG);
	ck_assert_str_eq(msg.err, "Bad Max-Forwards");
	ck_assert_int_eq(with_hdr("Max-Forwards: -1"), EBADMSG);
	ck_assert_int_eq(with_hdr("Expires: 4294967295"), 0);
	ck_assert_int_eq(with_hdr("Expires: 4294967296"), EBADMSG);
	ck_assert_str_eq(msg.err, "Bad Expires");
	ck_assert_int_eq(with_hdr("Retry-After: 4294967296"), EBADMSG);
	ck_assert_int_eq(with_hdr("Retry-After: 120 (lunch)"), 0);
	ck_assert_int_eq(with_hdr("CSeq: 2 OPTIONS"), EBADMSG);
	ck_assert_str_eq(msg.err, "Multiple CSeq");
	ck_assert_int_eq(with_hdr("Content-Length: 1"), EBADMSG);
	ck_assert_str_eq(msg.err, "Multiple Content-Length");
	ck_assert_int_eq(with_hdr("Contact: <sip:a@h>;expires=4294967296"),
	                 EBADMSG);
	ck_assert_str_eq(msg.err, "Bad Contact");
	ck_assert_int_eq(with_hdr("Contact: *"), 0);
	ck_assert_int_eq(with_hdr("Via: SIP/2.0/UDP h;;"), EBADMSG);
	ck_assert_str_eq(msg.err, "Bad Via");
	/* a continuation line belongs to the header above it */
	ck_assert_int_eq(with_hdr(" folded: onto CSeq"), EBADMSG);
	ck_assert_str_eq(msg.err, "Bad CSeq");
	ck_assert_int_eq(with_hdr("Subject: a\r\n b"), 0);
	ck_assert_pl_str(sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->val, "a\r\n b");
}
END_TEST

START_TEST(test_missing)
{
	const char *m = "OPTIONS sip:a@b SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                "From: <sip:a@h>;tag=1\r\n"
	                "Call-ID: x\r\n"
	                "CSeq: 1 OPTIONS\r\n\r\n";
	ck_assert_int_eq(decode(m), EBADMSG);
	ck_assert_str_eq(msg.err, "Missing To");
	m = "OPTIONS sip:a@b SIP/2.0\r\n"
	    "From: <sip:a@h>;tag=1\r\n"
	    "To: <sip:a@h>\r\n"
	    "Call-ID: x\r\n"
	    "CSeq: 1 OPTIONS\r\n\r\n";
	ck_assert_int_eq(decode(m), EBADMSG);
	ck_assert_str_eq(msg.err, "Missing Via");
}
END_TEST

START_TEST(test_leading_crlf_and_lf)
{
	const char *m = "\r\n\r\nOPTIONS sip:a@b SIP/2.0\n"
	                "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	                "From: <sip:a@h>;tag=1\n"
	                "To: <sip:a@h>\n"
	                "Call-ID: x\n"
	                "CSeq: 1 OPTIONS\n\nbody";
	ck_assert_int_eq(decode(m), 0);
	ck_assert_pl_str(msg.method, "OPTIONS");
	ck_assert_pl_str(msg.body, "body");
	ck_assert_ptr_eq(msg.raw.p, m + 4);
}
END_TEST

START_TEST(test_limits)
{
	struct sip_limits lim;
	char *big;
	size_t n = 0;

	sip_limits_default(&lim);
	ck_assert_uint_eq(lim.max_size, 65536);
	ck_assert_uint_eq(lim.max_hdrs, SIP_MAX_HDRS);

	lim.max_hdrs = 5;
	ck_assert_int_eq(sip_msg_decode(&msg, invite, strlen(invite), &lim),
	                 EMSGSIZE);
	ck_assert_str_eq(msg.err, "Too many headers");

	sip_limits_default(&lim);
	lim.max_size = 100;
	ck_assert_int_eq(sip_msg_decode(&msg, invite, strlen(invite), &lim),
	                 EMSGSIZE);
	ck_assert_str_eq(msg.err, "Message too large");

	sip_limits_default(&lim);
	lim.max_depth = 1;
	ck_assert_int_eq(with_hdr("User-Agent: a (b (c))"), 0);
	ck_assert_int_eq(sip_msg_decode(&msg, msg.raw.p, msg.raw.l, &lim),
	                 EMSGSIZE);
	ck_assert_str_eq(msg.err, "Nesting too deep");

	/* more lines than the index holds */
	big = malloc(64 * 1024);
	ck_assert_ptr_nonnull(big);
	n += (size_t)sprintf(big, "OPTIONS sip:a@b SIP/2.0\r\n");
	for (int i = 0; i < SIP_MAX_HDRS + 1; i++)
		n += (size_t)sprintf(big + n, "X-H%d: v\r\n", i);
	n += (size_t)sprintf(big + n, "\r\n");
	ck_assert_int_eq(sip_msg_decode(&msg, big, n, NULL), EMSGSIZE);
	free(big);
}
END_TEST

START_TEST(test_frame)
{
	size_t fl = 0, len = strlen(invite);
	char two[2048];

	ck_assert_int_eq(sip_msg_frame(&fl, invite, len, NULL), 0);
	ck_assert_uint_eq(fl, len - 1); /* the final '\n' is beyond l: 4 */
	for (size_t i = 0; i < len - 1; i++)
		ck_assert_int_eq(sip_msg_frame(&fl, invite, i, NULL), ENODATA);

	snprintf(two, sizeof(two), "\r\n%s%s", invite, invite);
	ck_assert_int_eq(sip_msg_frame(&fl, two, strlen(two), NULL), 0);
	ck_assert_uint_eq(fl, len + 1);
	ck_assert_int_eq(sip_msg_decode(&msg, two, fl, NULL), 0);
	ck_assert_uint_eq(msg.body.l, 4);

	ck_assert_int_eq(
	    sip_msg_frame(&fl, "OPTIONS sip:a@b SIP/2.0\r\n\r\n", 27, NULL),
	    EBADMSG);
	ck_assert_int_eq(
	    sip_msg_frame(&fl,
	                  "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
	                  41, NULL),
	    EBADMSG);
	ck_assert_int_eq(
	    sip_msg_frame(&fl, "OPTIONS sip:a@b SIP/2.0\r\nl: 99999999\r\n\r\n",
	                  41, NULL),
	    EMSGSIZE);
}
END_TEST

START_TEST(test_lookup)
{
	ck_assert_int_eq(sip_hdr_lookup("CALL-id", 7), SIP_HDR_CALL_ID);
	ck_assert_int_eq(sip_hdr_lookup("I", 1), SIP_HDR_CALL_ID);
	ck_assert_int_eq(sip_hdr_lookup("x", 1), SIP_HDR_SESSION_EXPIRES);
	ck_assert_int_eq(sip_hdr_lookup("Y", 1), SIP_HDR_IDENTITY);
	ck_assert_int_eq(sip_hdr_lookup("www-authenticate", 16),
	                 SIP_HDR_WWW_AUTHENTICATE);
	ck_assert_int_eq(sip_hdr_lookup("Contacts", 8), SIP_HDR_OTHER);
	ck_assert_int_eq(sip_hdr_lookup("q", 1), SIP_HDR_OTHER);
	ck_assert_int_eq(sip_hdr_lookup("", 0), SIP_HDR_OTHER);
	for (int id = 1; id < SIP_HDR_COUNT_; id++) {
		const char *n = sip_hdr_name((enum sip_hdr_id)id);
		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(sip_hdr_lookup(n, strlen(n)), id);
	}
	ck_assert_ptr_null(sip_hdr_name(SIP_HDR_OTHER));
	ck_assert_int_eq(sip_method_lookup(&(struct pl){ "BYE", 3 }),
	                 SIP_METHOD_BYE);
	ck_assert_int_eq(sip_method_lookup(&(struct pl){ "bye", 3 }),
	                 SIP_METHOD_OTHER);
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_iter);
	tcase_add_test(tc, test_response);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_leading_crlf_and_lf);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_frame);
	tcase_add_test(tc, test_lookup);
}

int
main(void)
{
	return run_suite("sip_msg", add);
}
