/* RFC 4475 conformance: every vector of rfc4475/MANIFEST.tsv is accepted,
 * rejected or survived as its parser column says, and the accepted ones
 * expose what the core needs to give the reply column's answer. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

#define DIR PBX_SOURCE_DIR "/tests/sip/rfc4475/"

static char *
slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), DIR "%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* exact size, so ASan sees any read past the datagram */
	buf = malloc(n > 0 ? (size_t)n : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct sip_msg msg;

static int
decode_file(const char *name)
{
	size_t len;
	char *buf = slurp(name, &len);
	/* keep buf alive in a static so slices stay valid for the caller */
	static char *last;
	free(last);
	last = buf;
	return sip_msg_decode(&msg, buf, len, NULL);
}

START_TEST(test_manifest)
{
	char path[512], line[1024];
	unsigned rows = 0, accepted = 0, rejected = 0;
	FILE *f;

	snprintf(path, sizeof(path), DIR "MANIFEST.tsv");
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *file, *sec, *kind, *parser, *save = NULL;
		int err;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		file = strtok_r(line, "\t", &save);
		sec = strtok_r(NULL, "\t", &save);
		kind = strtok_r(NULL, "\t", &save);
		parser = strtok_r(NULL, "\t", &save);
		ck_assert_ptr_nonnull(parser);
		(void)sec;
		rows++;
		err = decode_file(file);
		if (strcmp(parser, "accept") == 0) {
			ck_assert_msg(err == 0, "%s: refused (%s)", file,
			              msg.err ? msg.err : "?");
			ck_assert_msg(msg.req == (strcmp(kind, "request") == 0),
			              "%s: wrong kind", file);
			accepted++;
		} else if (strcmp(parser, "reject") == 0) {
			ck_assert_msg(err != 0, "%s: accepted", file);
			ck_assert_msg(msg.err != NULL, "%s: no reason", file);
			rejected++;
		} else {
			ck_assert_str_eq(parser, "lenient");
		}
	}
	fclose(f);
	ck_assert_uint_eq(rows, 49);
	ck_assert_uint_eq(accepted, 28);
	ck_assert_uint_eq(rejected, 10);
}
END_TEST

START_TEST(test_reasons)
{
	ck_assert_int_ne(decode_file("mcl01.dat"), 0);
	ck_assert_str_eq(msg.err, "Multiple Content-Length");
	ck_assert_int_ne(decode_file("clerr.dat"), 0);
	ck_assert_str_eq(msg.err, "Bad Content-Length");
	ck_assert_int_ne(decode_file("ncl.dat"), 0);
	ck_assert_str_eq(msg.err, "Bad Content-Length");
	ck_assert_int_ne(decode_file("bigcode.dat"), 0);
	ck_assert_str_eq(msg.err, "Bad status code");
	ck_assert_int_ne(decode_file("ltgtruri.dat"), 0);
	ck_assert_str_eq(msg.err, "Bad Request-URI");
	ck_assert_int_ne(decode_file("quotbal.dat"), 0);
	ck_assert_str_eq(msg.err, "Bad To");
	ck_assert_int_ne(decode_file("insuf.dat"), 0);
	ck_assert_str_eq(msg.err, "Missing Call-ID");
	/* a 400 can still be built from what was indexed */
	ck_assert_int_ne(decode_file("scalar02.dat"), 0);
	ck_assert(msg.req);
	ck_assert_ptr_nonnull(sip_msg_hdr(&msg, SIP_HDR_VIA));
}
END_TEST

/* The accepted vectors whose answer is the core's: the decoders expose it. */
START_TEST(test_core_inputs)
{
	struct sip_uri uri;
	struct sip_ctype ct;
	struct sip_auth auth;
	struct sip_via via;
	struct sip_hdr_iter it;
	struct pl v;

	ck_assert_int_eq(decode_file("unkscm.dat"), 0);
	ck_assert_int_eq(sip_uri_decode(&uri, &msg.ruri), 0);
	ck_assert_int_eq(uri.scheme, SIP_SCHEME_OTHER);
	ck_assert(pl_eq_str(&uri.scheme_pl, "nobodyKnowsThisScheme"));

	ck_assert_int_eq(decode_file("novelsc.dat"), 0);
	ck_assert_int_eq(sip_uri_decode(&uri, &msg.ruri), 0);
	ck_assert(uri.scheme != SIP_SCHEME_SIP);

	ck_assert_int_eq(decode_file("bext01.dat"), 0);
	ck_assert(
	    sip_msg_has_token(&msg, SIP_HDR_REQUIRE, "nothingSupportsThis"));
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_PROXY_REQUIRE,
	                            "noProxiesSupportThis"));

	ck_assert_int_eq(decode_file("badvers.dat"), 0);
	ck_assert(pl_eq_str(&msg.ver, "SIP/7.0"));

	ck_assert_int_eq(decode_file("invut.dat"), 0);
	ck_assert_int_eq(
	    sip_ctype_decode(&ct,
	                     &sip_msg_hdr(&msg, SIP_HDR_CONTENT_TYPE)->val),
	    0);
	ck_assert(sip_ctype_is(&ct, "application", "unknownformat"));

	ck_assert_int_eq(decode_file("regaut01.dat"), 0);
	ck_assert_int_eq(
	    sip_auth_decode(&auth,
	                    &sip_msg_hdr(&msg, SIP_HDR_AUTHORIZATION)->val),
	    0);
	ck_assert(pl_eq_str(&auth.scheme, "NoOneKnowsThisScheme"));

	ck_assert_int_eq(decode_file("zeromf.dat"), 0);
	ck_assert_int_eq(msg.max_forwards, 0);

	ck_assert_int_eq(decode_file("badbranch.dat"), 0);
	ck_assert_int_eq(
	    sip_via_decode(&via, &sip_msg_hdr(&msg, SIP_HDR_VIA)->val), 0);
	ck_assert(pl_eq_str(&via.branch, "z9hG4bK"));

	ck_assert_int_eq(decode_file("bcast.dat"), 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_VIA);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert(pl_eq_str(&via.host, "255.255.255.255"));

	ck_assert_int_eq(decode_file("dblreq.dat"), 0);
	ck_assert_int_eq(msg.meth, SIP_METHOD_REGISTER);
	ck_assert_uint_eq(msg.body.l, 0);

	ck_assert_int_eq(decode_file("mpart01.dat"), 0);
	ck_assert_uint_eq(msg.body.l, 553);

	ck_assert_int_eq(decode_file("inv2543.dat"), 0);
	ck_assert_int_eq(msg.max_forwards, -1);
	ck_assert_uint_gt(msg.body.l, 0);
}
END_TEST

/* wsinv: folding, compact names, odd spacing, leading zeros. */
START_TEST(test_wsinv)
{
	struct sip_addr a;
	struct sip_via via;
	struct sip_hdr_iter it;
	struct sip_contact ct;
	struct pl v;
	char buf[64];
	size_t n;

	ck_assert_int_eq(decode_file("wsinv.dat"), 0);
	ck_assert_int_eq(msg.max_forwards, 68);
	ck_assert_uint_eq(msg.cseq, 9);
	ck_assert(pl_eq_str(&msg.cseq_method, "INVITE"));
	ck_assert_uint_eq(msg.clen, 150);
	ck_assert_int_eq(
	    sip_addr_decode(&a, &sip_msg_hdr(&msg, SIP_HDR_TO)->val), 0);
	ck_assert(pl_eq_str(&a.tag, "1918181833n"));
	ck_assert(pl_eq_str(&a.uri.host, "chair-dnrc.example.com"));
	ck_assert_int_eq(
	    sip_addr_decode(&a, &sip_msg_hdr(&msg, SIP_HDR_FROM)->val), 0);
	ck_assert(a.dname_quoted);
	ck_assert_int_eq(sip_qstr_unescape(buf, sizeof(buf), &n, &a.dname), 0);
	ck_assert_uint_eq(n, 14);
	ck_assert_mem_eq(buf, "J Rosenberg \\\"", 14);
	ck_assert(pl_eq_str(&a.tag, "98asjd8"));

	sip_hdr_iter_init(&it, &msg, SIP_HDR_VIA);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert(pl_eq_str(&via.transport, "UDP"));
	ck_assert(pl_eq_str(&via.host, "192.0.2.2"));
	ck_assert(pl_eq_str(&via.branch, "390skdjuw"));
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert_int_eq(via.tp, SIP_TP_TCP);
	ck_assert(pl_eq_str(&via.host, "spindle.example.com"));
	ck_assert(pl_eq_str(&via.branch, "z9hG4bK9ikj8"));
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_via_decode(&via, &v), 0);
	ck_assert(pl_eq_str(&via.host, "192.168.255.111"));
	ck_assert(pl_eq_str(&via.branch, "z9hG4bK30239"));
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), ENOENT);

	ck_assert_int_eq(
	    sip_contact_decode(&ct, &sip_msg_hdr(&msg, SIP_HDR_CONTACT)->val),
	    0);
	ck_assert(ct.has_q);
	ck_assert_uint_eq(ct.q, 330);
	ck_assert_ptr_nonnull(sip_msg_hdr_byname(&msg, "NewFangledHeader"));
	ck_assert_ptr_nonnull(sip_msg_hdr(&msg, SIP_HDR_SUBJECT));
	ck_assert_uint_eq(sip_msg_hdr(&msg, SIP_HDR_SUBJECT)->val.l, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sip_rfc4475");
	TCase *tc = tcase_create("rfc4475");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_manifest);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_core_inputs);
	tcase_add_test(tc, test_wsinv);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
