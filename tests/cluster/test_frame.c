/* The link frame (cluster/frame.c): a sealed batch opens with the same
 * header under the same key; any changed byte, a short message or another
 * key is refused; the replay window takes each counter once, allows a
 * little reordering and refuses what is too old. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../cluster/cluster_int.h"
#include "../check_run.h"

static const struct cluster_frame F = { .node = 7,
	                                .nonce = 0x1122334455667788ull,
	                                .peer_nonce = 0x99aabbccddeeff01ull,
	                                .counter = 42 };

static void
key(struct cluster_key *k, const char *s)
{
	k->len = strlen(s);
	memcpy(k->key, s, k->len);
}

static nng_msg *
sealed(const struct cluster_key *k)
{
	nng_msg *nm;

	ck_assert_int_eq(nng_msg_alloc(&nm, 0), 0);
	ck_assert_int_eq(nng_msg_append(nm, "batch bytes", 11), 0);
	ck_assert_int_eq(cluster_frame_seal(nm, k, &F), 0);
	return nm;
}

START_TEST(seal_then_open)
{
	struct cluster_key k;
	struct cluster_frame f;
	const uint8_t *b;
	size_t len;
	nng_msg *nm;

	key(&k, "a secret of some length");
	nm = sealed(&k);
	ck_assert_uint_eq(nng_msg_len(nm),
	                  CLUSTER_FRAME_HDR + 11 + CLUSTER_FRAME_MAC);
	ck_assert_int_eq(cluster_frame_open(&f, &b, &len, &k, nng_msg_body(nm),
	                                    nng_msg_len(nm)),
	                 0);
	ck_assert_uint_eq(f.node, F.node);
	ck_assert_uint_eq(f.nonce, F.nonce);
	ck_assert_uint_eq(f.peer_nonce, F.peer_nonce);
	ck_assert_uint_eq(f.counter, F.counter);
	ck_assert_uint_eq(len, 11);
	ck_assert_mem_eq(b, "batch bytes", 11);
	cluster_frame_unseal(nm);
	ck_assert_uint_eq(nng_msg_len(nm), 11);
	ck_assert_mem_eq(nng_msg_body(nm), "batch bytes", 11);
	nng_msg_free(nm);
}
END_TEST

START_TEST(tampered_short_or_foreign_refused)
{
	struct cluster_key k, other;
	struct cluster_frame f;
	const uint8_t *b;
	size_t len, n;
	nng_msg *nm;
	uint8_t *p;

	key(&k, "a secret of some length");
	key(&other, "another secret, same length");
	nm = sealed(&k);
	p = nng_msg_body(nm);
	n = nng_msg_len(nm);
	ck_assert_int_eq(cluster_frame_open(&f, &b, &len, &other, p, n),
	                 EACCES);
	for (size_t i = 1; i < n; i++) { /* byte 0 is the version */
		p[i] ^= 0x01;
		ck_assert_int_eq(cluster_frame_open(&f, &b, &len, &k, p, n),
		                 EACCES);
		p[i] ^= 0x01;
	}
	p[0] = 1; /* the unframed batch of old releases starts 0x0a */
	ck_assert_int_eq(cluster_frame_open(&f, &b, &len, &k, p, n), EBADMSG);
	p[0] = CLUSTER_FRAME_VERSION;
	ck_assert_int_eq(
	    cluster_frame_open(&f, &b, &len, &k, p,
	                       CLUSTER_FRAME_HDR + CLUSTER_FRAME_MAC - 1),
	    EBADMSG);
	ck_assert_int_eq(cluster_frame_open(&f, &b, &len, &k, p, n), 0);
	nng_msg_free(nm);
}
END_TEST

START_TEST(replay_window)
{
	/* as a session starts: its hello was 100, nothing before counts */
	struct cluster_replay w = { 100, UINT64_MAX };

	ck_assert(!cluster_replay_check(&w, 100));
	ck_assert(cluster_replay_check(&w, 102));
	ck_assert(cluster_replay_check(&w, 101)); /* late, not seen */
	ck_assert(!cluster_replay_check(&w, 101));
	ck_assert(!cluster_replay_check(&w, 102));
	ck_assert(!cluster_replay_check(&w, 99)); /* before the session */
	ck_assert(cluster_replay_check(&w, 200));
	ck_assert(cluster_replay_check(&w, 137));  /* 63 back */
	ck_assert(!cluster_replay_check(&w, 136)); /* 64 back: too old */
	ck_assert(!cluster_replay_check(&w, 200));
	ck_assert(cluster_replay_check(&w, 1000)); /* a jump clears */
	ck_assert(!cluster_replay_check(&w, 200));
	ck_assert(cluster_replay_check(&w, 999));
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, seal_then_open);
	tcase_add_test(tc, tampered_short_or_foreign_refused);
	tcase_add_test(tc, replay_window);
}

int
main(void)
{
	return run_suite("frame", add_tests);
}
