/* The full SIP trace masks credentials: what identifies the request stays,
 * what proves the password (or is a secret itself) does not. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sip_stack.h"
#include "../check_run.h"

static char out[4096];

static const char *
mask(const char *in)
{
	size_t n = sip_trace_mask(out, sizeof(out) - 1, in, strlen(in));

	out[n] = '\0';
	return out;
}

START_TEST(digest_secrets_masked)
{
	const char *m = mask(
	    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	    "Authorization: Digest username=\"1000\", realm=\"127.0.0.1\", "
	    "nonce=\"abcNONCE\", uri=\"sip:127.0.0.1\", "
	    "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, "
	    "cnonce=\"CNONCEx\", opaque=\"OPQ\", qop=auth, nc=00000001\r\n"
	    "Call-ID: a@b\r\n"
	    "Content-Length: 0\r\n\r\n");

	ck_assert_str_eq(
	    m, "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
	       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	       "Authorization: Digest username=\"1000\", realm=\"127.0.0.1\", "
	       "nonce=\"***\", uri=\"sip:127.0.0.1\", response=\"***\", "
	       "algorithm=MD5, cnonce=\"***\", opaque=\"***\", qop=auth, "
	       "nc=00000001\r\n"
	       "Call-ID: a@b\r\n"
	       "Content-Length: 0\r\n\r\n");
}
END_TEST

START_TEST(proxy_authorization_any_case_folded_unquoted)
{
	const char *m =
	    mask("INVITE sip:1001@127.0.0.1 SIP/2.0\r\n"
	         "proxy-authorization :Digest username=\"1000\",\r\n"
	         " response=deadbeef ,cnonce = \"x\\\"y\"\r\n"
	         "Content-Length: 3\r\n\r\n"
	         "abc");

	ck_assert_str_eq(m, "INVITE sip:1001@127.0.0.1 SIP/2.0\r\n"
	                    "proxy-authorization :Digest username=\"1000\",\r\n"
	                    " response=*** ,cnonce = \"***\"\r\n"
	                    "Content-Length: 3\r\n\r\n"
	                    "abc");
	ck_assert_ptr_null(strstr(m, "deadbeef"));
}
END_TEST

START_TEST(other_schemes_and_bare_values_masked)
{
	ck_assert_str_eq(mask("OPTIONS sip:a SIP/2.0\r\n"
	                      "Authorization: Basic MTAwMDoxMjM0\r\n\r\n"),
	                 "OPTIONS sip:a SIP/2.0\r\n"
	                 "Authorization: Basic ***\r\n\r\n");
	ck_assert_str_eq(mask("OPTIONS sip:a SIP/2.0\r\n"
	                      "Authorization: s3cr3t\r\n\r\n"),
	                 "OPTIONS sip:a SIP/2.0\r\n"
	                 "Authorization: ***\r\n\r\n");
	/* a header that only starts like one, and the body, are left alone */
	ck_assert_str_eq(mask("OPTIONS sip:a SIP/2.0\r\n"
	                      "Authorization-Info: nextnonce=\"n\"\r\n"
	                      "\r\nAuthorization: Digest response=\"r\"\r\n"),
	                 "OPTIONS sip:a SIP/2.0\r\n"
	                 "Authorization-Info: nextnonce=\"n\"\r\n"
	                 "\r\nAuthorization: Digest response=\"r\"\r\n");
	/* cut messages (no CRLF at the end), bare LF */
	ck_assert_str_eq(mask("OPTIONS sip:a SIP/2.0\n"
	                      "Authorization: Digest response=\"r"),
	                 "OPTIONS sip:a SIP/2.0\n"
	                 "Authorization: Digest response=\"***\"");
	ck_assert_str_eq(mask("OPTIONS"), "OPTIONS");
}
END_TEST

START_TEST(output_cut_at_cap)
{
	static const char in[] = "OPTIONS sip:a SIP/2.0\r\n"
	                         "Authorization: Digest response=\"r\"\r\n\r\n";
	char small[40];

	ck_assert_uint_eq(sip_trace_mask(small, sizeof(small), in, strlen(in)),
	                  sizeof(small));
	ck_assert_int_eq(
	    memcmp(small, "OPTIONS sip:a SIP/2.0\r\nAuthorization: ", 38), 0);
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, digest_secrets_masked);
	tcase_add_test(tc, proxy_authorization_any_case_folded_unquoted);
	tcase_add_test(tc, other_schemes_and_bare_values_masked);
	tcase_add_test(tc, output_cut_at_cap);
}

int
main(void)
{
	return run_suite("sip_trace", add_tests);
}
