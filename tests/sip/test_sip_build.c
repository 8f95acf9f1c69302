/* The builder: buffer bounds, lines, sip_reply, round trips. */
#include "sip_test.h"

static const char req[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "v: SIP/2.0/TCP p.example.com;branch=z9hG4bK1,SIP/2.0/UDP "
    "10.0.0.1;branch=z9hG4bK2\r\n"
    "Max-Forwards: 70\r\n"
    "t: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "X-Thing: folded\r\n value\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "v=0\r\n";

START_TEST(test_buf)
{
	char out[8];
	struct sip_buf b;

	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sip_buf_str(&b, "abc"), 0);
	ck_assert_int_eq(sip_buf_printf(&b, "%d", 1234), 0);
	ck_assert_uint_eq(b.pos, 7);
	ck_assert_int_eq(sip_buf_str(&b, "xy"), ENOSPC);
	ck_assert_uint_eq(b.pos, 7);
	ck_assert_int_eq(sip_buf_printf(&b, "%d", 12), ENOSPC);
	ck_assert_uint_eq(b.pos, 7);
	ck_assert_int_eq(sip_buf_str(&b, "z"), 0);
	ck_assert_mem_eq(out, "abc1234z", 8);
	ck_assert_int_eq(sip_buf_write(&b, "", 0), 0);
}
END_TEST

START_TEST(test_lines)
{
	char out[512];
	struct sip_buf b;
	struct pl m = pls("OPTIONS"), u = pls("sip:a@b"), v = pls("x");

	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sip_build_request_line(&b, &m, &u), 0);
	ck_assert_int_eq(sip_build_hdr(&b, "Subject", &v), 0);
	ck_assert_int_eq(sip_build_hdrf(&b, "Max-Forwards", "%u", 70u), 0);
	ck_assert_int_eq(sip_build_end(&b, "text/plain", &v), 0);
	ck_assert_uint_eq(b.pos, strlen("OPTIONS sip:a@b SIP/2.0\r\n"
	                                "Subject: x\r\nMax-Forwards: 70\r\n"
	                                "Content-Type: text/plain\r\n"
	                                "Content-Length: 1\r\n\r\nx"));
	ck_assert_mem_eq(out,
	                 "OPTIONS sip:a@b SIP/2.0\r\nSubject: x\r\n"
	                 "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
	                 "Content-Length: 1\r\n\r\nx",
	                 b.pos);

	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sip_build_status_line(&b, 486, NULL), 0);
	ck_assert_int_eq(sip_build_status_line(&b, 299, "Custom"), 0);
	ck_assert_mem_eq(out, "SIP/2.0 486 Busy Here\r\nSIP/2.0 299 Custom\r\n",
	                 b.pos);
	ck_assert_int_eq(sip_build_status_line(&b, 700, NULL), EINVAL);
	ck_assert_int_eq(sip_build_status_line(&b, 99, NULL), EINVAL);
	ck_assert_str_eq(sip_reason_phrase(200), "OK");
	ck_assert_str_eq(sip_reason_phrase(420), "Bad Extension");
	ck_assert_str_eq(sip_reason_phrase(299), "Unknown");
}
END_TEST

START_TEST(test_reply)
{
	struct sip_msg in, out;
	char buf[1024];
	struct sip_buf b;
	struct pl tag = pls("as83kd9bs"), v;
	struct sip_hdr_iter it;
	struct sip_via via;
	struct sip_addr to;
	unsigned n = 0;

	ck_assert_int_eq(sip_msg_decode(&in, req, sizeof(req) - 1, NULL), 0);
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(sip_reply(&b, &in, 180, NULL, &tag), 0);
	ck_assert_int_eq(sip_msg_decode(&out, buf, b.pos, NULL), 0);
	ck_assert(!out.req);
	ck_assert_uint_eq(out.scode, 180);
	ck_assert_pl_str(out.reason, "Ringing");
	ck_assert_uint_eq(out.cseq, 314159);
	ck_assert_pl_str(out.cseq_method, "INVITE");
	ck_assert_pl_str(sip_msg_hdr(&out, SIP_HDR_CALL_ID)->val,
	                 "a84b4c76e66710@pc33.atlanta.example.com");
	ck_assert_pl_str(
	    sip_msg_hdr(&out, SIP_HDR_FROM)->val,
	    "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
	ck_assert_int_eq(
	    sip_addr_decode(&to, &sip_msg_hdr(&out, SIP_HDR_TO)->val), 0);
	ck_assert_pl_str(to.tag, "as83kd9bs");
	ck_assert_uint_eq(out.clen, 0);
	ck_assert_ptr_null(sip_msg_hdr(&out, SIP_HDR_CONTACT));
	sip_hdr_iter_init(&it, &out, SIP_HDR_VIA);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		ck_assert_int_eq(sip_via_decode(&via, &v), 0);
		n++;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_pl_str(via.branch, "z9hG4bK2");

	/* only requests are answered */
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(sip_reply(&b, &out, 200, NULL, &tag), EINVAL);
	ck_assert_uint_eq(b.pos, 0);
}
END_TEST

START_TEST(test_reply_tagged_and_extra)
{
	static const char tagged[] = "BYE sip:a@b SIP/2.0\r\n"
	                             "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                             "From: <sip:a@h>;tag=1\r\n"
	                             "To: <sip:b@h>;tag=2\r\n"
	                             "Call-ID: x\r\n"
	                             "CSeq: 2 BYE\r\n\r\n";
	struct sip_msg in, out;
	char buf[512];
	struct sip_buf b;
	struct pl tag = pls("other"), body = pls("hello");
	struct sip_addr to;

	ck_assert_int_eq(sip_msg_decode(&in, tagged, sizeof(tagged) - 1, NULL),
	                 0);
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(sip_reply_begin(&b, &in, 200, "Fine", &tag), 0);
	ck_assert_int_eq(sip_build_hdrf(&b, "Server", "pbx/%s", "0.1"), 0);
	ck_assert_int_eq(sip_build_end(&b, "text/plain", &body), 0);
	ck_assert_int_eq(sip_msg_decode(&out, buf, b.pos, NULL), 0);
	ck_assert_pl_str(out.reason, "Fine");
	ck_assert_int_eq(
	    sip_addr_decode(&to, &sip_msg_hdr(&out, SIP_HDR_TO)->val), 0);
	ck_assert_pl_str(to.tag, "2");
	ck_assert_pl_str(sip_msg_hdr(&out, SIP_HDR_SERVER)->val, "pbx/0.1");
	ck_assert_pl_str(out.body, "hello");
	ck_assert_pl_str(sip_msg_hdr(&out, SIP_HDR_CONTENT_TYPE)->val,
	                 "text/plain");
}
END_TEST

START_TEST(test_reply_nospace)
{
	struct sip_msg in;
	char buf[1024];
	struct sip_buf b;
	size_t full;

	ck_assert_int_eq(sip_msg_decode(&in, req, sizeof(req) - 1, NULL), 0);
	sip_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(sip_reply(&b, &in, 100, NULL, NULL), 0);
	full = b.pos;
	/* every shorter buffer fails cleanly, leaving pos at 0 */
	for (size_t n = 0; n < full; n++) {
		sip_buf_init(&b, buf, n);
		ck_assert_int_eq(sip_reply(&b, &in, 100, NULL, NULL), ENOSPC);
		ck_assert_uint_eq(b.pos, 0);
	}
}
END_TEST

static void
assert_same(const struct sip_msg *a, const struct sip_msg *b)
{
	ck_assert_int_eq(a->req, b->req);
	ck_assert(pl_eq(&a->method, &b->method));
	ck_assert(pl_eq(&a->ruri, &b->ruri));
	ck_assert_uint_eq(a->scode, b->scode);
	ck_assert_uint_eq(a->hdrc, b->hdrc);
	for (unsigned i = 0; i < a->hdrc; i++) {
		ck_assert_uint_eq(a->hdrv[i].id, b->hdrv[i].id);
		ck_assert(pl_eq(&a->hdrv[i].val, &b->hdrv[i].val));
		if (a->hdrv[i].id == SIP_HDR_OTHER)
			ck_assert(pl_eq(&a->hdrv[i].name, &b->hdrv[i].name));
	}
	ck_assert(pl_eq(&a->body, &b->body));
	ck_assert_uint_eq(a->cseq, b->cseq);
	ck_assert_int_eq(a->max_forwards, b->max_forwards);
}

START_TEST(test_round_trip)
{
	struct sip_msg a, b2, c;
	char out1[2048], out2[2048];
	struct sip_buf b;
	size_t len1;

	ck_assert_int_eq(sip_msg_decode(&a, req, sizeof(req) - 1, NULL), 0);
	sip_buf_init(&b, out1, sizeof(out1));
	ck_assert_int_eq(sip_msg_encode(&b, &a), 0);
	len1 = b.pos;
	ck_assert_int_eq(sip_msg_decode(&b2, out1, len1, NULL), 0);
	assert_same(&a, &b2);
	/* the second encoding is byte-identical to the first */
	sip_buf_init(&b, out2, sizeof(out2));
	ck_assert_int_eq(sip_msg_encode(&b, &b2), 0);
	ck_assert_uint_eq(b.pos, len1);
	ck_assert_mem_eq(out1, out2, len1);
	ck_assert_int_eq(sip_msg_decode(&c, out2, b.pos, NULL), 0);
	assert_same(&b2, &c);

	/* a response too */
	sip_buf_init(&b, out1, sizeof(out1));
	ck_assert_int_eq(sip_reply(&b, &a, 503, "Try Later", NULL), 0);
	ck_assert_int_eq(sip_msg_decode(&b2, out1, b.pos, NULL), 0);
	sip_buf_init(&b, out2, sizeof(out2));
	ck_assert_int_eq(sip_msg_encode(&b, &b2), 0);
	ck_assert_int_eq(sip_msg_decode(&c, out2, b.pos, NULL), 0);
	assert_same(&b2, &c);
	ck_assert_pl_str(c.reason, "Try Later");
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_reply_tagged_and_extra);
	tcase_add_test(tc, test_reply_nospace);
	tcase_add_test(tc, test_round_trip);
}

int
main(void)
{
	return run_suite("sip_build", add);
}
