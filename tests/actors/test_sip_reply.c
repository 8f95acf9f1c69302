/* sip_reply_build, the one builder of responses; sip_reply_start: the top Via
 * of a reply names where the request really came from (RFC 3581 rport, RFC 3261
 * received), for IPv4 addresses of every digit count and for IPv6; the stable
 * To tag. */
#include <arpa/inet.h>

#include "sip_reply.h"
#include "sip_test.h" /* tests/sip: run_suite */

static const char req[] =
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-r1;rport\r\n"
    "From: <sip:1000@127.0.0.1>;tag=f1\r\n"
    "To: <sip:1000@127.0.0.1>\r\n"
    "Call-ID: reply-test@x\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n";

/* The Via line of a 200 to req from ip:port (family af). */
static void
via_of(char *out, size_t n, int af, const char *ip, uint32_t port)
{
	uint8_t addr[16];
	Pbx__SipFlow f = PBX__SIP_FLOW__INIT;
	struct sip_msg msg;
	struct sip_buf b;
	char buf[2048];
	const char *v, *e;

	ck_assert_int_eq(sip_msg_decode(&msg, req, sizeof(req) - 1, NULL), 0);
	ck_assert_int_eq(inet_pton(af, ip, addr), 1);
	f.transport = 1;
	f.remote_ip.data = addr;
	f.remote_ip.len = af == AF_INET ? 4 : 16;
	f.remote_port = port;
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(sip_reply_start(&b, &msg, &f, 200, NULL, NULL), 0);
	buf[b.pos < sizeof(buf) ? b.pos : sizeof(buf) - 1] = '\0';
	v = strstr(buf, "\r\nVia: ");
	ck_assert_ptr_nonnull(v);
	v += 2;
	e = strstr(v, "\r\n");
	snprintf(out, n, "%.*s", (int)(e - v), v);
}

START_TEST(received_ipv4)
{
	static const char *const ips[] = { "0.0.0.0",       "1.2.3.4",
		                           "9.10.99.100",   "10.0.100.255",
		                           "127.0.0.1",     "255.255.255.255",
		                           "192.168.101.9", "100.20.3.199" };
	char via[512], want[512];

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		via_of(via, sizeof(via), AF_INET, ips[i], 40000 + (uint32_t)i);
		snprintf(want, sizeof(want),
		         "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-r1;"
		         "rport=%u;received=%s",
		         40000 + (unsigned)i, ips[i]);
		ck_assert_str_eq(via, want);
	}
}
END_TEST

START_TEST(received_ipv6)
{
	char via[512];

	via_of(via, sizeof(via), AF_INET6, "2001:db8::1", 5062);
	ck_assert_str_eq(via, "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-"
	                      "r1;rport=5062;received=2001:db8::1");
}
END_TEST

START_TEST(stable_tag_follows_request)
{
	struct sip_msg msg;
	char t1[24], t2[24], t3[24];
	char other[sizeof(req)];

	ck_assert_int_eq(sip_msg_decode(&msg, req, sizeof(req) - 1, NULL), 0);
	sip_stable_tag(t1, sizeof(t1), 1, &msg);
	sip_stable_tag(t2, sizeof(t2), 1, &msg);
	ck_assert_str_eq(t1, t2); /* a retransmission: the same tag */
	ck_assert_uint_eq(strlen(t1), 16);
	memcpy(other, req, sizeof(req));
	memcpy(strstr(other, "z9hG4bK-r1"), "z9hG4bK-r2", 10);
	ck_assert_int_eq(sip_msg_decode(&msg, other, sizeof(req) - 1, NULL), 0);
	sip_stable_tag(t3, sizeof(t3), 1, &msg);
	ck_assert_str_ne(t1, t3); /* another branch: another tag */
}
END_TEST

static int
add_x(struct sip_buf *b, void *arg)
{
	return sip_build_hdrf(b, "X-Hdrs", "%s", (const char *)arg);
}

/* The one builder: every part in its place, the request's headers copied,
 * our tag on a To without one, extra before hdrs, then the body. */
START_TEST(build_whole_response)
{
	static const char sdp[] = "v=0\r\n";
	struct pl tag = pl_from_str("t1"), body = pl_from_str(sdp);
	struct sip_msg msg;
	struct sip_buf b;
	char buf[2048];

	ck_assert_int_eq(sip_msg_decode(&msg, req, sizeof(req) - 1, NULL), 0);
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(
	    sip_reply_build(&b, &(struct sip_reply){ .req = &msg,
	                                             .code = 403,
	                                             .reason = "No Way",
	                                             .totag = &tag,
	                                             .extra = "X-Extra: 1\r\n",
	                                             .hdrs = add_x,
	                                             .arg = "2",
	                                             .ctype = "application/sdp",
	                                             .body = &body }),
	    0);
	ck_assert_uint_lt(b.pos, sizeof(buf));
	buf[b.pos] = '\0';
	ck_assert_str_eq(buf,
	                 "SIP/2.0 403 No Way\r\n"
	                 "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-r1;"
	                 "rport\r\n"
	                 "From: <sip:1000@127.0.0.1>;tag=f1\r\n"
	                 "To: <sip:1000@127.0.0.1>;tag=t1\r\n"
	                 "Call-ID: reply-test@x\r\n"
	                 "CSeq: 2 REGISTER\r\n"
	                 "Server: " SIP_SERVER_NAME "\r\n"
	                 "X-Extra: 1\r\n"
	                 "X-Hdrs: 2\r\n"
	                 "Content-Type: application/sdp\r\n"
	                 "Content-Length: 5\r\n\r\n"
	                 "v=0\r\n");
	/* too small a buffer: an error, not a cut response */
	sip_buf_init(&b, buf, 64);
	ck_assert_int_ne(
	    sip_reply_build(&b,
	                    &(struct sip_reply){ .req = &msg, .code = 200 }),
	    0);
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, received_ipv4);
	tcase_add_test(tc, received_ipv6);
	tcase_add_test(tc, stable_tag_follows_request);
	tcase_add_test(tc, build_whole_response);
}

int
main(void)
{
	return run_suite("sip_reply", add_tests);
}
