/* Digest authentication (actors/auth/auth.c): the nonce's MAC is HMAC-SHA256 of
 * time, salt and realm under the secret (checked against OpenSSL's HMAC()),
 * with several secrets in one thread and from several threads, salts that
 * do not repeat, and auth_check's verdicts on a REGISTER. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sip/sip_test.h"
#include "auth.h"

#define NONCE_LEN 64

static uint64_t
hex_u64(const char *p)
{
	char tmp[17];

	memcpy(tmp, p, 16);
	tmp[16] = '\0';
	return strtoull(tmp, NULL, 16);
}

/* Whether the nonce is time, salt and the first half of HMAC-SHA256(secret,
 * time|salt|realm) as OpenSSL's one-shot HMAC() computes it; the salt out. */
static bool
nonce_is_hmac(const struct auth *a, const char *nonce, uint64_t now,
              uint64_t *salt)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char in[16 + sizeof(a->realm)], md[32];
	unsigned int ml = sizeof(md);
	size_t rl = strlen(a->realm);
	uint64_t ts = hex_u64(nonce), s = hex_u64(nonce + 16);
	char want[NONCE_LEN + 1];

	if (strlen(nonce) != NONCE_LEN || ts != now)
		return false;
	for (int i = 0; i < 8; i++) {
		in[i] = (unsigned char)(ts >> (56 - 8 * i));
		in[8 + i] = (unsigned char)(s >> (56 - 8 * i));
	}
	memcpy(in + 16, a->realm, rl);
	if (!HMAC(EVP_sha256(), a->secret, sizeof(a->secret), in, 16 + rl, md,
	          &ml))
		return false;
	snprintf(want, sizeof(want), "%016llx%016llx", (unsigned long long)ts,
	         (unsigned long long)s);
	for (int i = 0; i < 16; i++) {
		want[32 + 2 * i] = hex[md[i] >> 4];
		want[33 + 2 * i] = hex[md[i] & 15];
	}
	want[NONCE_LEN] = '\0';
	if (salt)
		*salt = s;
	return strcmp(want, nonce) == 0;
}

START_TEST(nonce_mac_is_hmac_sha256)
{
	static const struct {
		const char *realm, *secret;
		uint64_t now;
	} v[] = {
		{ "example.com", "cluster-secret", 1700000000 },
		{ "example.com", "another secret", 1700000000 },
		{ "pbx.example.org", "cluster-secret", 0 },
		{ "x", "", 0xffffffffffffffffull },
		{ "a.realm.of.some.length.to.take.more.than.one.sha256."
		  "block.with.the.sixteen.bytes.of.time.and.salt.example.net",
		  "k", 1234567890 },
		{ "random.example.com", NULL, 42 },
	};
	struct auth a;
	char nonce[NONCE_LEN + 1];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		auth_init(&a, v[i].realm, v[i].secret, 300);
		for (int k = 0; k < 4; k++) {
			auth_nonce(&a, nonce, sizeof(nonce), v[i].now + k);
			ck_assert_msg(
			    nonce_is_hmac(&a, nonce, v[i].now + k, NULL),
			    "vector %zu: %s", i, nonce);
		}
	}
}
END_TEST

START_TEST(secrets_take_turns_in_one_thread)
{
	/* more secrets than the thread keeps keyed states for */
	struct auth a[3];
	char nonce[NONCE_LEN + 1];

	auth_init(&a[0], "example.com", "one", 300);
	auth_init(&a[1], "example.com", NULL, 300);
	auth_init(&a[2], "example.com", "three", 300);
	for (int k = 0; k < 30; k++) {
		const struct auth *x = &a[(k * 7) % 3];

		auth_nonce(x, nonce, sizeof(nonce), 1700000000 + k);
		ck_assert_msg(nonce_is_hmac(x, nonce, 1700000000 + k, NULL),
		              "round %d: %s", k, nonce);
	}
}
END_TEST

START_TEST(short_buffer_is_terminated)
{
	struct auth a;
	char buf[NONCE_LEN + 1], full[NONCE_LEN + 1];

	auth_init(&a, "example.com", "s", 300);
	memset(buf, 'X', sizeof(buf));
	auth_nonce(&a, buf, 17, 1);
	ck_assert_str_eq(buf, "0000000000000001");
	auth_nonce(&a, full, sizeof(full), 1);
	ck_assert_uint_eq(strlen(full), NONCE_LEN);
}
END_TEST

#define THREADS    4
#define PER_THREAD 2000

struct worker {
	const struct auth *a;
	uint64_t salts[PER_THREAD];
	int bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char nonce[NONCE_LEN + 1];

	for (int i = 0; i < PER_THREAD; i++) {
		auth_nonce(w->a, nonce, sizeof(nonce), 1700000000);
		if (!nonce_is_hmac(w->a, nonce, 1700000000, &w->salts[i]))
			w->bad++;
	}
	return NULL;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

START_TEST(threads_share_the_auth_and_salts_do_not_repeat)
{
	static struct worker w[THREADS];
	static uint64_t all[THREADS * PER_THREAD];
	pthread_t t[THREADS];
	struct auth a;

	auth_init(&a, "example.com", "cluster-secret", 300);
	for (int i = 0; i < THREADS; i++) {
		w[i].a = &a;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]),
		                 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
		memcpy(all + i * PER_THREAD, w[i].salts, sizeof(w[i].salts));
	}
	qsort(all, THREADS * PER_THREAD, sizeof(all[0]), cmp_u64);
	for (int i = 1; i < THREADS * PER_THREAD; i++)
		ck_assert_msg(all[i] != all[i - 1], "salt %016llx twice",
		              (unsigned long long)all[i]);
}
END_TEST

static struct conf_user users[] = {
	{ .id = "1000", .password = "1234" },
	/* HA1 only: MD5("1001:example.com:1234") */
	{ .id = "1001", .ha1_md5 = "e2aa3a5e0b5f5bc8a403480c784a4ba8" },
};

static const struct conf_user *
find(void *arg, const struct pl *u)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (pl_eq_str(u, users[i].id))
			return &users[i];
	return NULL;
}

/* A REGISTER from user with password answering nonce with alg: its
 * auth_check verdict at now. */
static enum auth_result
check(const struct auth *a, const char *user, const char *password,
      const char *nonce, enum sip_digest_alg alg, uint64_t now)
{
	static char req[4096];
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX],
	    resp[SIP_DIGEST_HEX_MAX];
	struct pl u = pl_from_str(user), r = pl_from_str(a->realm),
	          pw = pl_from_str(password), m = pl_from_str("REGISTER"),
	          uri = pl_from_str("sip:example.com"), np = pl_from_str(nonce),
	          nc = pl_from_str("00000001"), cn = pl_from_str("0a4f113b"),
	          qop = pl_from_str("auth");
	struct sip_limits lim;
	struct sip_msg msg;
	struct auth_creds cr;

	ck_assert_int_eq(sip_digest_ha1(ha1, alg, &u, &r, &pw), 0);
	ck_assert_int_eq(sip_digest_ha2(ha2, alg, &m, &uri), 0);
	ck_assert_int_eq(
	    sip_digest_response(resp, alg, ha1, &np, &nc, &cn, &qop, ha2), 0);
	snprintf(req, sizeof(req),
	         "REGISTER sip:example.com SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
	         "Max-Forwards: 70\r\n"
	         "To: <sip:%s@example.com>\r\n"
	         "From: <sip:%s@example.com>;tag=456248\r\n"
	         "Call-ID: 843817637684230@998sdasdh09\r\n"
	         "CSeq: 2 REGISTER\r\n"
	         "Contact: <sip:%s@10.0.0.1:5060>\r\n"
	         "Authorization: Digest username=\"%s\", realm=\"%s\", "
	         "nonce=\"%s\", uri=\"sip:example.com\", response=\"%s\", "
	         "algorithm=%s, qop=auth, nc=00000001, cnonce=\"0a4f113b\"\r\n"
	         "Content-Length: 0\r\n\r\n",
	         user, user, user, user, a->realm, nonce, resp,
	         sip_digest_alg_name(alg));
	sip_limits_default(&lim);
	ck_assert_int_eq(sip_msg_decode(&msg, req, strlen(req), &lim), 0);
	return auth_check(a, &msg, false, now, find, NULL, &cr);
}

START_TEST(check_verdicts)
{
	struct auth a, b, other;
	char nonce[NONCE_LEN + 1], bad[NONCE_LEN + 1];
	uint64_t now = 1700000000;

	auth_init(&a, "example.com", "cluster-secret", 300);
	auth_init(&b, "example.com", "cluster-secret", 300); /* another node */
	auth_init(&other, "example.com", "not ours", 300);
	auth_nonce(&a, nonce, sizeof(nonce), now);
	for (int alg = SIP_DIGEST_MD5; alg <= SIP_DIGEST_SHA256; alg++) {
		ck_assert_int_eq(check(&a, "1000", "1234", nonce, alg, now + 5),
		                 AUTH_OK);
		ck_assert_int_eq(check(&b, "1000", "1234", nonce, alg, now),
		                 AUTH_OK);
		ck_assert_int_eq(check(&a, "1000", "4321", nonce, alg, now),
		                 AUTH_WRONG);
		ck_assert_int_eq(check(&a, "2000", "1234", nonce, alg, now),
		                 AUTH_UNKNOWN);
		ck_assert_int_eq(
		    check(&a, "1000", "1234", nonce, alg, now + 301),
		    AUTH_STALE);
		ck_assert_int_eq(check(&other, "1000", "1234", nonce, alg, now),
		                 AUTH_BAD_NONCE);
	}
	ck_assert_int_eq(check(&a, "1001", "1234", nonce, SIP_DIGEST_MD5, now),
	                 AUTH_OK);
	/* a changed digit in time, salt or MAC, and upper case hex */
	for (int i = 0; i < NONCE_LEN; i += 7) {
		memcpy(bad, nonce, sizeof(bad));
		bad[i] = bad[i] == '0' ? '1' : '0';
		ck_assert_int_eq(
		    check(&a, "1000", "1234", bad, SIP_DIGEST_MD5, now),
		    AUTH_BAD_NONCE);
	}
	memcpy(bad, nonce, sizeof(bad));
	for (int i = 0; i < NONCE_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	ck_assert_int_eq(check(&a, "1000", "1234", bad, SIP_DIGEST_MD5, now),
	                 AUTH_BAD_NONCE);
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, nonce_mac_is_hmac_sha256);
	tcase_add_test(tc, secrets_take_turns_in_one_thread);
	tcase_add_test(tc, short_buffer_is_terminated);
	tcase_add_test(tc, threads_share_the_auth_and_salts_do_not_repeat);
	tcase_add_test(tc, check_verdicts);
}

int
main(void)
{
	return run_suite("auth", add_tests);
}
