/* Digest helpers against the RFC 7616 3.9.1 and RFC 2617 3.5 examples, also
 * from several threads at once. */
#include <pthread.h>

#include "sip_test.h"

/* The RFC 7616 3.9.1 example under alg: the response into resp, the length
 * of HA1 into *ha1_len; 0 or an error. */
static int
rfc7616_response(char *resp, enum sip_digest_alg alg, size_t *ha1_len)
{
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX];
	struct pl user = pls("Mufasa"), realm = pls("http-auth@example.org"),
	          pw = pls("Circle of Life"), method = pls("GET"),
	          uri = pls("/dir/index.html"),
	          nonce = pls("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
	          cnonce = pls("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
	          nc = pls("00000001"), qop = pls("auth");
	int err = sip_digest_ha1(ha1, alg, &user, &realm, &pw);

	*ha1_len = err ? 0 : strlen(ha1);
	err = err ? err : sip_digest_ha2(ha2, alg, &method, &uri);
	return err ? err
	           : sip_digest_response(resp, alg, ha1, &nonce, &nc, &cnonce,
	                                 &qop, ha2);
}

/* The example's response under each algorithm, and HA1's hex length. */
static const struct {
	enum sip_digest_alg alg;
	size_t ha1_len;
	const char *want;
} rfc7616[] = {
	{ SIP_DIGEST_MD5, 32, "8ca523f5e9506fed4657c9700eebdbec" },
	{ SIP_DIGEST_SHA256, 64,
	  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
};

/* _i: MD5, then SHA-256 */
START_TEST(test_rfc7616)
{
	char resp[SIP_DIGEST_HEX_MAX];
	size_t l;

	ck_assert_int_eq(rfc7616_response(resp, rfc7616[_i].alg, &l), 0);
	ck_assert_uint_eq(l, rfc7616[_i].ha1_len);
	ck_assert_str_eq(resp, rfc7616[_i].want);
}
END_TEST

START_TEST(test_rfc2617)
{
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX],
	    resp[SIP_DIGEST_HEX_MAX];
	struct pl user = pls("Mufasa"), realm = pls("testrealm@host.com"),
	          pw = pls("Circle Of Life"), method = pls("GET"),
	          uri = pls("/dir/index.html"),
	          nonce = pls("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
	          cnonce = pls("0a4f113b"), nc = pls("00000001"),
	          qop = pls("auth"), qop_int = pls("auth-int");

	ck_assert_int_eq(
	    sip_digest_ha1(ha1, SIP_DIGEST_MD5, &user, &realm, &pw), 0);
	ck_assert_str_eq(ha1, "939e7578ed9e3c518a452acee763bce9");
	ck_assert_int_eq(sip_digest_ha2(ha2, SIP_DIGEST_MD5, &method, &uri), 0);
	ck_assert_str_eq(ha2, "39aff3a2bab6126f332b942af96d3366");
	ck_assert_int_eq(sip_digest_response(resp, SIP_DIGEST_MD5, ha1, &nonce,
	                                     &nc, &cnonce, &qop, ha2),
	                 0);
	ck_assert_str_eq(resp, "6629fae49393a05397450978507c4ef1");
	ck_assert_int_eq(sip_digest_response(resp, SIP_DIGEST_MD5, ha1, &nonce,
	                                     &nc, &cnonce, &qop_int, ha2),
	                 EINVAL);
	/* RFC 2069 form, without qop (value computed independently) */
	ck_assert_int_eq(sip_digest_response(resp, SIP_DIGEST_MD5, ha1, &nonce,
	                                     NULL, NULL, NULL, ha2),
	                 0);
	ck_assert_str_eq(resp, "670fd8c2df070c60b045671b8b24ff02");
}
END_TEST

START_TEST(test_alg)
{
	enum sip_digest_alg alg = SIP_DIGEST_SHA256;
	struct pl p = PL_INIT;

	ck_assert_int_eq(sip_digest_alg_decode(&alg, &p), 0);
	ck_assert_int_eq(alg, SIP_DIGEST_MD5);
	p = pls("sha-256");
	ck_assert_int_eq(sip_digest_alg_decode(&alg, &p), 0);
	ck_assert_int_eq(alg, SIP_DIGEST_SHA256);
	p = pls("SHA-256-sess");
	ck_assert_int_eq(sip_digest_alg_decode(&alg, &p), EINVAL);
	ck_assert_str_eq(sip_digest_alg_name(SIP_DIGEST_SHA256), "SHA-256");
	ck_assert_str_eq(sip_digest_alg_name(SIP_DIGEST_MD5), "MD5");
}
END_TEST

START_TEST(test_challenge)
{
	char out[256];
	struct sip_buf b;
	struct pl realm = pls("pbx.example.com"), nonce = pls("abc123"),
	          opaque = pls("op");
	struct sip_auth a;
	struct pl v;

	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sip_digest_challenge(&b, &realm, &nonce, &opaque,
	                                      SIP_DIGEST_SHA256, true),
	                 0);
	v.p = out;
	v.l = b.pos;
	ck_assert_pl_str(v,
	                 "Digest realm=\"pbx.example.com\", nonce=\"abc123\", "
	                 "opaque=\"op\", algorithm=SHA-256, qop=\"auth\", "
	                 "stale=true");
	ck_assert_int_eq(sip_auth_decode(&a, &v), 0);
	ck_assert_pl_str(a.realm, "pbx.example.com");
	ck_assert_pl_str(a.nonce, "abc123");
	ck_assert_pl_str(a.algorithm, "SHA-256");
	ck_assert_pl_str(a.stale, "true");

	sip_buf_init(&b, out, 20);
	ck_assert_int_eq(sip_digest_challenge(&b, &realm, &nonce, NULL,
	                                      SIP_DIGEST_MD5, false),
	                 ENOSPC);
	ck_assert_uint_eq(b.pos, 0);
}
END_TEST

/* Each thread hashes with its own context, MD5 and SHA-256 in turn. */
static void *
hash_in_turn(void *arg)
{
	int *bad = arg;

	for (int i = 0; i < 1000; i++) {
		char resp[SIP_DIGEST_HEX_MAX];
		size_t l;

		if (rfc7616_response(resp, rfc7616[i & 1].alg, &l) ||
		    strcmp(resp, rfc7616[i & 1].want) != 0)
			(*bad)++;
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	int bad[4] = { 0 };

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, hash_in_turn, &bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(bad[i], 0);
	}
	/* and this thread too, after them */
	hash_in_turn(&bad[0]);
	ck_assert_int_eq(bad[0], 0);
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_loop_test(tc, test_rfc7616, 0, 2);
	tcase_add_test(tc, test_rfc2617);
	tcase_add_test(tc, test_alg);
	tcase_add_test(tc, test_challenge);
	tcase_add_test(tc, test_threads);
}

int
main(void)
{
	return run_suite("sip_digest", add);
}
