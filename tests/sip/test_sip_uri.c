/* URIs, name-addr/addr-spec, parameters and unescaping. */
#include "sip_test.h"

static int
uri(struct sip_uri *u, const char *s)
{
	struct pl p = pls(s);
	return sip_uri_decode(u, &p);
}

START_TEST(test_sip_full)
{
	struct sip_uri u;

	ck_assert_int_eq(
	    uri(&u, "sips:alice:secret@atlanta.example.com:5061;transport=tcp;"
	            "lr?subject=project%20x&priority=urgent"),
	    0);
	ck_assert_int_eq(u.scheme, SIP_SCHEME_SIPS);
	ck_assert_pl_str(u.scheme_pl, "sips");
	ck_assert_pl_str(u.user, "alice");
	ck_assert_pl_str(u.password, "secret");
	ck_assert_pl_str(u.host, "atlanta.example.com");
	ck_assert(!u.host_ipv6);
	ck_assert_uint_eq(u.port, 5061);
	ck_assert_pl_str(u.params, "transport=tcp;lr");
	ck_assert_pl_str(u.headers, "subject=project%20x&priority=urgent");
}
END_TEST

START_TEST(test_sip_minimal)
{
	struct sip_uri u;
	struct pl v;

	ck_assert_int_eq(uri(&u, "SIP:example.com"), 0);
	ck_assert_int_eq(u.scheme, SIP_SCHEME_SIP);
	ck_assert_ptr_null(u.user.p);
	ck_assert_ptr_null(u.password.p);
	ck_assert_pl_str(u.host, "example.com");
	ck_assert_uint_eq(u.port, 0);
	ck_assert_ptr_null(u.params.p);
	ck_assert_ptr_null(u.headers.p);

	ck_assert_int_eq(uri(&u, "sip:127.0.0.1:5080;lr"), 0);
	ck_assert_pl_str(u.host, "127.0.0.1");
	ck_assert_uint_eq(u.port, 5080);
	ck_assert(sip_param_exists(&u.params, "lr"));
	ck_assert_int_eq(sip_param_get(&v, &u.params, "lr"), 0);
	ck_assert_ptr_null(v.p);
	ck_assert_int_eq(sip_param_get(&v, &u.params, "maddr"), ENOENT);
}
END_TEST

START_TEST(test_ipv6)
{
	struct sip_uri u;

	ck_assert_int_eq(uri(&u, "sip:bob@[2001:db8::10]:5070;transport=udp"),
	                 0);
	ck_assert(u.host_ipv6);
	ck_assert_pl_str(u.host, "2001:db8::10");
	ck_assert_uint_eq(u.port, 5070);
	ck_assert_pl_str(u.user, "bob");
	ck_assert_int_eq(uri(&u, "sip:[::ffff:192.0.2.1]"), 0);
	ck_assert_pl_str(u.host, "::ffff:192.0.2.1");
	ck_assert_int_eq(uri(&u, "sip:[2001:db8::10"), EBADMSG);
	ck_assert_int_eq(uri(&u, "sip:[]"), EBADMSG);
	ck_assert_int_eq(uri(&u, "sip:[g::1]"), EBADMSG);
}
END_TEST

START_TEST(test_odd_users)
{
	struct sip_uri u;
	char buf[64];
	size_t n;

	/* RFC 4475 semiuri, esc01, escnull, intmeth */
	ck_assert_int_eq(uri(&u, "sip:user;par=u%40example.net@example.com"),
	                 0);
	ck_assert_pl_str(u.user, "user;par=u%40example.net");
	ck_assert_pl_str(u.host, "example.com");
	ck_assert_ptr_null(u.params.p);
	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &u.user), 0);
	ck_assert_uint_eq(n, 22);
	ck_assert_mem_eq(buf, "user;par=u@example.net", 22);

	ck_assert_int_eq(uri(&u, "sip:null-%00-null@example.com"), 0);
	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &u.user), 0);
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(buf, "null-\0-null", 11);

	ck_assert_int_eq(
	    uri(&u, "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:"
	            "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com"),
	    0);
	ck_assert_pl_str(u.user,
	                 "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	ck_assert_pl_str(u.password,
	                 "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	ck_assert_pl_str(u.host, "example.com");

	ck_assert_int_eq(
	    uri(&u, "sip:user@example.com?Route=%3Csip:sip.example.com%3E"), 0);
	ck_assert_pl_str(u.headers, "Route=%3Csip:sip.example.com%3E");
}
END_TEST

START_TEST(test_unescape)
{
	char buf[4];
	size_t n = 99;
	struct pl in = pls("%41%62c");

	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &in), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(buf, "Abc", 3);
	in = pls("abcde");
	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &in), ENOSPC);
	in = pls("%4");
	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &in), EBADMSG);
	in = pls("%zz");
	ck_assert_int_eq(sip_uri_unescape(buf, sizeof(buf), &n, &in), EBADMSG);
}
END_TEST

START_TEST(test_tel_and_other)
{
	struct sip_uri u;

	ck_assert_int_eq(
	    uri(&u, "tel:+1-201-555-0123;phone-context=example.com"), 0);
	ck_assert_int_eq(u.scheme, SIP_SCHEME_TEL);
	ck_assert_pl_str(u.user, "+1-201-555-0123");
	ck_assert_pl_str(u.params, "phone-context=example.com");
	ck_assert_ptr_null(u.host.p);

	ck_assert_int_eq(uri(&u, "nobodyKnowsThisScheme:totallyopaquecontent"),
	                 0);
	ck_assert_int_eq(u.scheme, SIP_SCHEME_OTHER);
	ck_assert_pl_str(u.opaque, "totallyopaquecontent");
	ck_assert_int_eq(uri(&u, "soap.beep://192.0.2.103:3002"), 0);
	ck_assert_pl_str(u.scheme_pl, "soap.beep");
}
END_TEST

START_TEST(test_bad_uris)
{
	static const char *const bad[] = {
		"",
		":",
		"sip:",
		"1sip:a",
		"<sip:a@b>",
		"sip:a@b c",
		"sip:@host",
		"sip:host:0",
		"sip:host:65536",
		"sip:host:5x",
		"sip:host;;lr",
		"sip:host;",
		"sip:a@",
		"sip:ho st",
		"tel:",
		"sip:a@b;lr>",
		"sip:1001@[2001:db8::10:5070",
	};
	struct sip_uri u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(uri(&u, bad[i]) == EBADMSG, "accepted %s",
		              bad[i]);
}
END_TEST

/* A refused sip: URI names its problem; a good one or another scheme has
 * none (the UAS answers 400 naming it, or 416). */
START_TEST(test_uri_problem)
{
	static const struct {
		const char *uri, *why;
	} t[] = {
		{ "sip:1001@[2001:db8::10:5070", "unclosed IPv6 bracket" },
		{ "sip:[2001:db8::1", "unclosed IPv6 bracket" },
		{ "sips:1001@[::1;transport=tcp", "unclosed IPv6 bracket" },
		{ "sip:1001@[]:5060", "empty IPv6 reference" },
		{ "sip:[2001:db8::g]", "bad IPv6 reference" },
		{ "sip:host:65536", "bad port" },
		{ "sip:@host", "empty user" },
		{ "sip:host;;lr", "bad parameter" },
		{ "sip:", "nothing after the scheme" },
		{ "sip:1001@[2001:db8::10]:5070", NULL },
		{ "sip:1001@127.0.0.1", NULL },
		{ "nobodyKnowsThisScheme:totally opaque", NULL },
		{ "tel:", NULL },
	};
	struct sip_uri u;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pl p = pls(t[i].uri);
		const char *why = sip_uri_problem(&p);

		if (t[i].why) {
			ck_assert_int_eq(uri(&u, t[i].uri), EBADMSG);
			ck_assert_msg(why && strcmp(why, t[i].why) == 0,
			              "%s: got %s, want %s", t[i].uri,
			              why ? why : "(none)", t[i].why);
		} else {
			ck_assert_msg(!why, "%s: got %s", t[i].uri, why);
		}
	}
}
END_TEST

static int
addr(struct sip_addr *a, const char *s)
{
	struct pl p = pls(s);
	return sip_addr_decode(a, &p);
}

START_TEST(test_addr)
{
	struct sip_addr a;
	char buf[64];
	size_t n;

	ck_assert_int_eq(addr(&a,
	                      "\"Bob \\\"B\\\" Biloxi\" <sip:bob@b.example.com>"
	                      " ;tag=a6c85cf;x=\"y;z\""),
	                 0);
	ck_assert(a.dname_quoted);
	ck_assert_pl_str(a.dname, "Bob \\\"B\\\" Biloxi");
	ck_assert_int_eq(sip_qstr_unescape(buf, sizeof(buf), &n, &a.dname), 0);
	ck_assert_uint_eq(n, 14);
	ck_assert_mem_eq(buf, "Bob \"B\" Biloxi", 14);
	ck_assert_pl_str(a.auri, "sip:bob@b.example.com");
	ck_assert_pl_str(a.uri.user, "bob");
	ck_assert_pl_str(a.tag, "a6c85cf");
	ck_assert_pl_str(a.params, "tag=a6c85cf;x=\"y;z\"");

	/* unquoted display name, no space before < (lwsdisp) */
	ck_assert_int_eq(addr(&a, "caller<sip:caller@example.com>;tag=323"), 0);
	ck_assert_pl_str(a.dname, "caller");
	ck_assert(!a.dname_quoted);
	ck_assert_int_eq(addr(&a, "A. Bell <sip:a.g.bell@example.com>"), 0);
	ck_assert_pl_str(a.dname, "A. Bell");
	ck_assert_ptr_null(a.tag.p);

	/* addr-spec: the parameters are the header's (cparam01) */
	ck_assert_int_eq(
	    addr(&a, "sip:+19725552222@gw1.example.net;unknownparam"), 0);
	ck_assert_ptr_null(a.dname.p);
	ck_assert_pl_str(a.auri, "sip:+19725552222@gw1.example.net");
	ck_assert_ptr_null(a.uri.params.p);
	ck_assert_pl_str(a.params, "unknownparam");
	/* inside <> they are the URI's (cparam02) */
	ck_assert_int_eq(
	    addr(&a, "<sip:+19725552222@gw1.example.net;unknownparam>"), 0);
	ck_assert_pl_str(a.uri.params, "unknownparam");
	ck_assert_uint_eq(a.params.l, 0);

	ck_assert_int_eq(addr(&a, "<http://www.example.com>;tag=3234233"), 0);
	ck_assert_int_eq(a.uri.scheme, SIP_SCHEME_OTHER);
	ck_assert_int_eq(addr(&a, "isbn:2983792873"), 0);
}
END_TEST

START_TEST(test_bad_addr)
{
	static const char *const bad[] = {
		"",
		"\"Mr. J. User <sip:j.user@example.com>",
		"\"Joe\" sip:joe@example.org",
		"<sip:joe@example.org",
		"<sip:joe@example.org>;;",
		"<sip:joe@example.org>;tag=",
		"<sip:joe@example.org> junk",
		"sip:a@b?x=y",
		"<>",
	};
	struct sip_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr(&a, bad[i]) == EBADMSG, "accepted %s",
		              bad[i]);
}
END_TEST

START_TEST(test_params)
{
	struct pl rest =
	    pls(" ;a=1 ; b ;c = \"q;\\\"x\" ;received=[2001:db8::1]");
	struct pl n, v;

	ck_assert_int_eq(sip_param_next(&n, &v, &rest), 0);
	ck_assert_pl_str(n, "a");
	ck_assert_pl_str(v, "1");
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), 0);
	ck_assert_pl_str(n, "b");
	ck_assert_ptr_null(v.p);
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), 0);
	ck_assert_pl_str(n, "c");
	ck_assert_pl_str(v, "\"q;\\\"x\"");
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), 0);
	ck_assert_pl_str(v, "[2001:db8::1]");
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), ENOENT);

	rest = pls(";=x");
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), EBADMSG);
	rest = pls(";a=\"open");
	ck_assert_int_eq(sip_param_next(&n, &v, &rest), EBADMSG);
	rest = pls("TAG=X");
	ck_assert_int_eq(sip_param_get(&v, &rest, "tag"), 0);
	ck_assert_pl_str(v, "X");
}
END_TEST

START_TEST(test_list)
{
	struct pl rest = pls("\"a,b\" <sip:x@y>, <sip:c,d@e> ,,x");
	struct pl e;

	ck_assert_int_eq(sip_list_next(&e, &rest), 0);
	ck_assert_pl_str(e, "\"a,b\" <sip:x@y>");
	ck_assert_int_eq(sip_list_next(&e, &rest), 0);
	ck_assert_pl_str(e, "<sip:c,d@e>");
	ck_assert_int_eq(sip_list_next(&e, &rest), 0);
	ck_assert_uint_eq(e.l, 0);
	ck_assert_int_eq(sip_list_next(&e, &rest), 0);
	ck_assert_pl_str(e, "x");
	ck_assert_int_eq(sip_list_next(&e, &rest), ENOENT);
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, test_sip_full);
	tcase_add_test(tc, test_sip_minimal);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_odd_users);
	tcase_add_test(tc, test_unescape);
	tcase_add_test(tc, test_tel_and_other);
	tcase_add_test(tc, test_bad_uris);
	tcase_add_test(tc, test_uri_problem);
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_bad_addr);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_list);
}

int
main(void)
{
	return run_suite("sip_uri", add);
}
