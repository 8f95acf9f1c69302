/* Digest authentication (actors/auth/auth.c): the nonce's MAC is HMAC-SHA256 of
 * time, node, salt and realm under the secret (checked against OpenSSL's
 * HMAC()), with several secrets in one thread and from several threads, salts
 * that do not repeat, and auth_check's verdicts on a REGISTER (another node's
 * nonce: AUTH_FOREIGN). */
#include <arpa/inet.h>
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
hex_get(const char *p, int n)
{
	char tmp[17];

	memcpy(tmp, p, (size_t)n);
	tmp[n] = '\0';
	return strtoull(tmp, NULL, 16);
}

/* Whether the nonce is time, node, salt and the first half of
 * HMAC-SHA256(secret, time|node|salt|realm) (time and node 32 bits, salt
 * 64, big-endian) as OpenSSL's one-shot HMAC() computes it; the salt out. */
static bool
nonce_is_hmac(const struct auth *a, const char *nonce, uint64_t now,
              uint64_t *salt)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char in[16 + sizeof(a->realm)], md[32];
	unsigned int ml = sizeof(md);
	size_t rl = strlen(a->realm);
	uint64_t ts = hex_get(nonce, 8), node = hex_get(nonce + 8, 8),
	         s = hex_get(nonce + 16, 16);
	char want[NONCE_LEN + 1];

	if (strlen(nonce) != NONCE_LEN || ts != (uint32_t)now ||
	    node != a->node)
		return false;
	for (int i = 0; i < 4; i++) {
		in[i] = (unsigned char)(ts >> (24 - 8 * i));
		in[4 + i] = (unsigned char)(node >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		in[8 + i] = (unsigned char)(s >> (56 - 8 * i));
	memcpy(in + 16, a->realm, rl);
	if (!HMAC(EVP_sha256(), a->secret, sizeof(a->secret), in, 16 + rl, md,
	          &ml))
		return false;
	snprintf(want, sizeof(want), "%08llx%08llx%016llx",
	         (unsigned long long)ts, (unsigned long long)node,
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
		uint32_t node;
	} v[] = {
		{ "example.com", "cluster-secret", 1700000000, 1 },
		{ "example.com", "another secret", 1700000000, 2 },
		{ "pbx.example.org", "cluster-secret", 0, 0xffffffffu },
		{ "x", "", 0xfffffff0u, 0 },
		{ "a.realm.of.some.length.to.take.more.than.one.sha256."
		  "block.with.the.sixteen.bytes.of.time.and.salt.example.net",
		  "k", 1234567890, 7 },
		{ "random.example.com", NULL, 42, 3 },
	};
	struct auth a;
	char nonce[NONCE_LEN + 1];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		auth_init(&a, v[i].realm, v[i].secret, 300);
		a.node = v[i].node;
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
	a.node = 2;
	auth_nonce(&a, buf, 17, 1);
	ck_assert_str_eq(buf, "0000000100000002");
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

/* How a test REGISTER answers its challenge. */
struct answer {
	const char *nc;   /* NULL: no qop (an RFC 2069 answer) */
	const char *uri;  /* the digest uri; NULL: the Request-URI */
	const char *ruri; /* NULL: sip:example.com */
	bool upper;       /* the response in upper case hex */
};

/* A REGISTER from user with password answering nonce with alg as `an`
 * says: its auth_check verdict at now. */
static enum auth_result
check_as(const struct auth *a, const char *user, const char *password,
         const char *nonce, enum sip_digest_alg alg, uint64_t now,
         const struct answer *an)
{
	static char req[4096];
	const char *ruri = an->ruri ? an->ruri : "sip:example.com";
	const char *duri = an->uri ? an->uri : ruri;
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX],
	    resp[SIP_DIGEST_HEX_MAX], qops[96] = "";
	struct pl u = pl_from_str(user), r = pl_from_str(a->realm),
	          pw = pl_from_str(password), m = pl_from_str("REGISTER"),
	          uri = pl_from_str(duri), np = pl_from_str(nonce),
	          nc = pl_from_str(an->nc ? an->nc : ""),
	          cn = pl_from_str("0a4f113b"), qop = pl_from_str("auth");
	struct sip_limits lim;
	struct sip_msg msg;
	struct auth_creds cr;

	ck_assert_int_eq(sip_digest_ha1(ha1, alg, &u, &r, &pw), 0);
	ck_assert_int_eq(sip_digest_ha2(ha2, alg, &m, &uri), 0);
	ck_assert_int_eq(
	    sip_digest_response(resp, alg, ha1, &np, an->nc ? &nc : NULL,
	                        an->nc ? &cn : NULL, an->nc ? &qop : NULL, ha2),
	    0);
	for (char *p = resp; an->upper && *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (an->nc)
		snprintf(qops, sizeof(qops),
		         ", qop=auth, nc=%s, cnonce=\"0a4f113b\"", an->nc);
	snprintf(req, sizeof(req),
	         "REGISTER %s SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
	         "Max-Forwards: 70\r\n"
	         "To: <sip:%s@example.com>\r\n"
	         "From: <sip:%s@example.com>;tag=456248\r\n"
	         "Call-ID: 843817637684230@998sdasdh09\r\n"
	         "CSeq: 2 REGISTER\r\n"
	         "Contact: <sip:%s@10.0.0.1:5060>\r\n"
	         "Authorization: Digest username=\"%s\", realm=\"%s\", "
	         "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
	         "algorithm=%s%s\r\n"
	         "Content-Length: 0\r\n\r\n",
	         ruri, user, user, user, user, a->realm, nonce, duri, resp,
	         sip_digest_alg_name(alg), qops);
	sip_limits_default(&lim);
	ck_assert_int_eq(sip_msg_decode(&msg, req, strlen(req), &lim), 0);
	return auth_check(a, &msg, false, now, find, NULL, &cr);
}

/* The usual answer: qop=auth, nc=00000001, uri the Request-URI. */
static enum auth_result
check(const struct auth *a, const char *user, const char *password,
      const char *nonce, enum sip_digest_alg alg, uint64_t now)
{
	const struct answer an = { "00000001", NULL, NULL, false };

	return check_as(a, user, password, nonce, alg, now, &an);
}

START_TEST(check_verdicts)
{
	struct auth a, b, same, other;
	char nonce[NONCE_LEN + 1], bad[NONCE_LEN + 1];
	uint64_t now = 1700000000;

	auth_init(&a, "example.com", "cluster-secret", 300);
	auth_init(&b, "example.com", "cluster-secret", 300); /* another node */
	auth_init(&same, "example.com", "cluster-secret", 300); /* this one */
	auth_init(&other, "example.com", "not ours", 300);
	a.node = same.node = 1;
	b.node = 2;
	other.node = 1;
	auth_nonce(&a, nonce, sizeof(nonce), now);
	for (int alg = SIP_DIGEST_MD5; alg <= SIP_DIGEST_SHA256; alg++) {
		ck_assert_int_eq(check(&a, "1000", "1234", nonce, alg, now + 5),
		                 AUTH_OK);
		ck_assert_int_eq(check(&same, "1000", "1234", nonce, alg, now),
		                 AUTH_OK);
		/* another node knows the nonce (same secret) but not its
		 * counts: stale, so the client asks it for one of its own;
		 * a wrong password is still wrong there */
		ck_assert_int_eq(check(&b, "1000", "1234", nonce, alg, now),
		                 AUTH_FOREIGN);
		ck_assert_int_eq(check(&b, "1000", "4321", nonce, alg, now),
		                 AUTH_WRONG);
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

START_TEST(answers_that_are_refused)
{
	struct auth a;
	char nonce[NONCE_LEN + 1];
	uint64_t now = 1700000000;
	struct answer an = { "00000001", NULL, NULL, false };

	auth_init(&a, "example.com", "cluster-secret", 300);
	auth_nonce(&a, nonce, sizeof(nonce), now);
	/* RFC 2069 (no qop, no nonce count): challenged again */
	an.nc = NULL;
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_NONE);
	/* credentials computed for another Request-URI */
	an.nc = "00000001";
	an.uri = "sip:1001@example.com";
	an.ruri = "sip:5555@example.com";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_URI);
	/* another port is another resource */
	an.uri = "sip:1001@example.com:5070";
	an.ruri = "sip:1001@example.com:5080";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_URI);
	/* the same resource written otherwise is the same (a port on one
	 * side only, as sipp writes it, too) */
	an.uri = "sip:1001@example.com:5080";
	an.ruri = "sip:1001@example.com";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_OK);
	auth_nonce(&a, nonce, sizeof(nonce), now);
	an.uri = "sip:1001@EXAMPLE.com;transport=udp";
	an.ruri = "sip:1001@example.com";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_OK);
	/* hex in upper case is the same response */
	an.uri = NULL;
	an.ruri = NULL;
	an.upper = true;
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_SHA256, now, &an),
	    AUTH_OK);
	/* a nonce count of zero or not hex is malformed */
	an.upper = false;
	an.nc = "00000000";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_MALFORMED);
	an.nc = "0000000g";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", nonce, SIP_DIGEST_MD5, now, &an),
	    AUTH_MALFORMED);
}
END_TEST

START_TEST(accepted_counts_are_not_accepted_again)
{
	struct auth a, b;
	char n1[NONCE_LEN + 1], n2[NONCE_LEN + 1];
	uint64_t now = 1700000000;
	struct answer an = { "00000001", NULL, NULL, false };

	auth_init(&a, "example.com", "cluster-secret", 300);
	/* another struct auth of the same node (the call router's) */
	auth_init(&b, "example.com", "cluster-secret", 300);
	ck_assert_int_eq(auth_nonces_alloc(&a.nonces, 300, 4096), 0);
	b.nonces = a.nonces;
	auth_nonce(&a, n1, sizeof(n1), now);
	auth_nonce(&a, n2, sizeof(n2), now);
	ck_assert_int_eq(check(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now),
	                 AUTH_OK);
	ck_assert_int_eq(check(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now),
	                 AUTH_REPLAYED);
	ck_assert_int_eq(check(&b, "1000", "1234", n1, SIP_DIGEST_SHA256, now),
	                 AUTH_REPLAYED);
	/* another nonce, and the next counts of the first */
	ck_assert_int_eq(check(&b, "1000", "1234", n2, SIP_DIGEST_MD5, now),
	                 AUTH_OK);
	an.nc = "00000003";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now, &an),
	    AUTH_OK);
	an.nc = "00000002"; /* overtaken by 3, still new */
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now, &an),
	    AUTH_OK);
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now, &an),
	    AUTH_REPLAYED);
	an.nc = "00000050";
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now, &an),
	    AUTH_OK);
	an.nc = "00000004"; /* below the window of 64 */
	ck_assert_int_eq(
	    check_as(&a, "1000", "1234", n1, SIP_DIGEST_MD5, now, &an),
	    AUTH_REPLAYED);
	/* a wrong password records nothing */
	auth_nonce(&a, n2, sizeof(n2), now);
	ck_assert_int_eq(check(&a, "1000", "4321", n2, SIP_DIGEST_MD5, now),
	                 AUTH_WRONG);
	ck_assert_int_eq(check(&a, "1000", "1234", n2, SIP_DIGEST_MD5, now),
	                 AUTH_OK);
	auth_nonces_free(a.nonces);
}
END_TEST

/* A full table forgets its oldest nonces and takes any nonce as old as
 * them for one it forgot: stale, never accepted again. */
START_TEST(a_full_table_forgets_safely)
{
	struct auth_nonces *t;
	size_t cap, fresh = 0, forgotten = 0;
	struct auth_nonce_use u = { 1000, 0, 1 };

	/* a lifetime longer than the test: every nonce is within it */
	ck_assert_int_eq(auth_nonces_alloc(&t, 86400, 4096), 0);
	cap = auth_nonces_capacity(t);
	ck_assert_uint_eq(cap, 4096);
	for (size_t i = 0; i < 2 * cap; i++) {
		u.ts = 1000 + i / 10; /* 10 uses a second */
		u.salt = i;
		ck_assert_int_eq(auth_nonces_use(t, &u, u.ts),
		                 AUTH_NONCE_FRESH);
	}
	/* every one of the first seconds is either remembered (replayed) or
	 * forgotten: none is fresh again */
	for (size_t i = 0; i < 2 * cap; i += 7) {
		int v;

		u.ts = 1000 + i / 10;
		u.salt = i;
		v = auth_nonces_use(t, &u, 1000 + 2 * cap / 10);
		ck_assert_int_ne(v, AUTH_NONCE_FRESH);
		forgotten += v == AUTH_NONCE_FORGOTTEN;
		fresh += v == AUTH_NONCE_REPLAYED;
	}
	ck_assert_uint_gt(forgotten, 0);
	ck_assert_uint_gt(fresh, 0);
	/* a newer nonce is taken */
	u.ts = 1000 + 2 * cap / 10 + 1;
	u.salt = 1;
	ck_assert_int_eq(auth_nonces_use(t, &u, u.ts), AUTH_NONCE_FRESH);
	/* past the lifetime, room is made without raising the horizon */
	u.ts += 86401;
	for (size_t i = 0; i < cap / 4; i++) {
		u.salt = 10 * cap + i;
		ck_assert_int_eq(auth_nonces_use(t, &u, u.ts),
		                 AUTH_NONCE_FRESH);
	}
	auth_nonces_free(t);
}
END_TEST

static struct sockaddr_in
sin_of(const char *ip)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static int warn_lines;

static void
count_warn(bool warn, const char *line)
{
	(void)line;
	warn_lines += warn;
}

START_TEST(failures_back_off_exponentially)
{
	const struct auth_limit_conf c = { 3, 10, 2, 8, 4 };
	struct auth_limits *l;
	struct sockaddr_in x = sin_of("192.0.2.1"), y = sin_of("192.0.2.2"),
	                   z = sin_of("192.0.2.3");
	struct sockaddr *sx = (struct sockaddr *)&x,
	                *sy = (struct sockaddr *)&y,
	                *sz = (struct sockaddr *)&z;
	struct pl user = pl_from_str("1000"),
	          realm = pl_from_str("example.com");
	uint64_t t = 1000000;

	ck_assert_int_eq(auth_limits_alloc(&l, &c, count_warn), 0);
	/* y is where 1000 registers from */
	auth_limits_passed(l, &user, &realm, sy, t);
	for (int i = 0; i < 2; i++)
		auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 0);
	ck_assert_int_eq(warn_lines, 0);
	auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 2000);
	/* one line as the source's backoff starts, one as the user's */
	ck_assert_int_eq(warn_lines, 2);
	ck_assert_uint_eq(auth_limits_source(l, sy, t), 0);
	/* the user: held back from z, not from y where it authenticated */
	ck_assert_uint_eq(auth_limits_user(l, &user, &realm, sz, t), 2000);
	ck_assert_uint_eq(auth_limits_user(l, &user, &realm, sy, t), 0);
	/* after the backoff, 3 more: twice as long, then capped */
	t += 2000;
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 0);
	for (int i = 0; i < 3; i++)
		auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 4000);
	ck_assert_uint_eq(auth_limits_user(l, &user, &realm, sz, t), 4000);
	t += 4000;
	for (int i = 0; i < 3; i++)
		auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 8000);
	/* the user's backoff stops at user_max_backoff: a delay */
	ck_assert_uint_eq(auth_limits_user(l, &user, &realm, sz, t), 4000);
	t += 8000;
	for (int i = 0; i < 3; i++)
		auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(l, sx, t), 8000);
	/* failures spread wider than the window do not add up */
	t += 8000;
	for (int i = 0; i < 6; i++, t += 6000)
		auth_limits_failed(l, NULL, &realm, sz, t);
	ck_assert_uint_eq(auth_limits_source(l, sz, t), 0);
	/* failures 0: off */
	auth_limits_free(l);
	{
		const struct auth_limit_conf off = { 0, 10, 2, 8, 4 };

		ck_assert_int_eq(auth_limits_alloc(&l, &off, NULL), 0);
		for (int i = 0; i < 100; i++)
			auth_limits_failed(l, &user, &realm, sx, t);
		ck_assert_uint_eq(auth_limits_source(l, sx, t), 0);
		auth_limits_free(l);
	}
}
END_TEST

/* Sharing with peers: local failures kept aggregated per source and per
 * user, taken once; a peer's counts start the backoff here and are not
 * kept for sharing again (nothing echoes). */
START_TEST(failures_are_shared_once_and_counted_remotely)
{
	const struct auth_limit_conf c = { 10, 60, 2, 8, 4 };
	struct auth_limits *l, *peer;
	struct auth_failure f[8];
	struct sockaddr_in x = sin_of("192.0.2.1");
	struct sockaddr *sx = (struct sockaddr *)&x;
	struct pl user = pl_from_str("1000"),
	          realm = pl_from_str("example.com");
	uint64_t t = 1000000;
	size_t n;

	ck_assert_int_eq(auth_limits_alloc(&l, &c, NULL), 0);
	ck_assert_int_eq(auth_limits_alloc(&peer, &c, NULL), 0);
	auth_limits_failed(l, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_take(l, f, 8), 0); /* sharing off */
	auth_limits_share(l, true);
	auth_limits_share(peer, true);
	for (int i = 0; i < 6; i++)
		auth_limits_failed(l, &user, &realm, sx, t);
	n = auth_limits_take(l, f, 8);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(f[i].count, 6);
		if (f[i].ip_len) {
			ck_assert_uint_eq(f[i].ip_len, 4);
			ck_assert_mem_eq(f[i].ip, &x.sin_addr, 4);
		} else {
			ck_assert_str_eq(f[i].user, "1000");
			ck_assert_str_eq(f[i].realm, "example.com");
		}
		auth_limits_remote(peer, &f[i], t);
	}
	ck_assert_uint_eq(auth_limits_take(l, f, 8), 0);    /* taken once */
	ck_assert_uint_eq(auth_limits_take(peer, f, 8), 0); /* no echo */
	ck_assert_uint_eq(auth_limits_source(peer, sx, t), 0);
	/* 6 there and 4 here: the 10th starts the backoff here */
	for (int i = 0; i < 3; i++)
		auth_limits_failed(peer, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(peer, sx, t), 0);
	auth_limits_failed(peer, &user, &realm, sx, t);
	ck_assert_uint_eq(auth_limits_source(peer, sx, t), 2000);
	ck_assert_uint_eq(auth_limits_user(peer, &user, &realm, NULL, t), 2000);
	/* a peer's huge count is bounded, and starts one backoff */
	{
		struct sockaddr_in z = sin_of("192.0.2.9");

		f[0] =
		    (struct auth_failure){ .ip_len = 4, .count = 4000000000u };
		memcpy(f[0].ip, &z.sin_addr, 4);
		auth_limits_remote(l, &f[0], t);
		ck_assert_uint_eq(
		    auth_limits_source(l, (struct sockaddr *)&z, t), 2000);
	}
	auth_limits_free(l);
	auth_limits_free(peer);
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
	tcase_add_test(tc, answers_that_are_refused);
	tcase_add_test(tc, accepted_counts_are_not_accepted_again);
	tcase_add_test(tc, a_full_table_forgets_safely);
	tcase_add_test(tc, failures_back_off_exponentially);
	tcase_add_test(tc, failures_are_shared_once_and_counted_remotely);
}

int
main(void)
{
	return run_suite("auth", add_tests);
}
