/* Messages on the wire, the id map and the MPSC queue, without workers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rt_int.h"

START_TEST(envelope_pack_unpack_round_trip)
{
	static const uint8_t payload[] = "0123456789abcdef0123456789abcdef";
	rt_addr from = { 3, 1, 77 }, to = { 9, 2, 123456789012ull };
	Pbx__Ping *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 64, &p), *u = NULL;
	const Pbx__Envelope *e;
	uint8_t buf[256];
	size_t n;

	p->seq = 0xfffffffffull;
	p->sent_ns = 5;
	p->payload.data = rt_msg_memdup(m, payload, 32);
	p->payload.len = 32;
	rt_msg_set_route(m, from, to);
	rt_msg_env(m)->correlation = 99;
	n = rt_msg_packed_size(m);
	ck_assert_uint_le(n, sizeof(buf));
	ck_assert_uint_eq(rt_msg_pack(m, buf), n);

	ck_assert_int_eq(rt_msg_unpack(&u, buf, n), 0);
	e = rt_msg_env(u);
	ck_assert_int_eq(e->body_case, PBX__ENVELOPE__BODY_PING);
	ck_assert(rt_addr_eq(rt_addr_from_pb(e->from), from));
	ck_assert(rt_addr_eq(rt_addr_from_pb(e->to), to));
	ck_assert_uint_eq(e->correlation, 99);
	ck_assert(!e->reply);
	ck_assert_uint_eq(e->ping->seq, 0xfffffffffull);
	ck_assert_uint_eq(e->ping->sent_ns, 5);
	ck_assert_uint_eq(e->ping->payload.len, 32);
	ck_assert_mem_eq(e->ping->payload.data, payload, 32);
	rt_msg_free(m);
	rt_msg_free(u);
}
END_TEST

START_TEST(unpack_grows_arena_for_large_messages)
{
	/* an admin status with many repeated entries: more than the arena
	 * guess, so the chunk path is used; nothing may leak */
	Pbx__AdminResponse *r;
	Pbx__StatusResponse *st;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_ADMIN_RESPONSE, 0, &r), *u;
	uint8_t *buf;
	size_t n;

	st = rt_msg_alloc(m, sizeof(*st));
	pbx__status_response__init(st);
	r->result_case = PBX__ADMIN_RESPONSE__RESULT_STATUS;
	r->status = st;
	st->node_name = "node-a";
	st->n_workers = 200;
	st->workers = rt_msg_alloc(m, 200 * sizeof(*st->workers));
	for (int i = 0; i < 200; i++) {
		Pbx__WorkerStatus *w = rt_msg_alloc(m, sizeof(*w));

		pbx__worker_status__init(w);
		w->index = (uint32_t)i;
		w->actors = (uint64_t)i * 1000;
		st->workers[i] = w;
	}
	n = rt_msg_packed_size(m);
	buf = malloc(n);
	rt_msg_pack(m, buf);
	ck_assert_int_eq(rt_msg_unpack(&u, buf, n), 0);
	st = rt_msg_env(u)->admin_response->status;
	ck_assert_str_eq(st->node_name, "node-a");
	ck_assert_uint_eq(st->n_workers, 200);
	ck_assert_uint_eq(st->workers[199]->actors, 199000);
	free(buf);
	rt_msg_free(m);
	rt_msg_free(u);
}
END_TEST

START_TEST(unpack_rejects_garbage_and_keeps_unknown_body_unset)
{
	/* field 4000 (a body a newer release might send), length-delimited,
	 * empty: known fields absent, body not set */
	static const uint8_t future[] = { 0x82, 0xfa, 0x01, 0x00 };
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff };
	rt_msg *u = NULL;

	ck_assert_int_eq(rt_msg_unpack(&u, garbage, sizeof(garbage)), EBADMSG);
	ck_assert_int_eq(rt_msg_unpack(&u, future, sizeof(future)), 0);
	ck_assert_int_eq(rt_msg_env(u)->body_case,
	                 PBX__ENVELOPE__BODY__NOT_SET);
	rt_msg_free(u);
}
END_TEST

START_TEST(map_matches_reference)
{
	/* random puts and deletes against a plain array */
	enum { N = 20000 };
	static void *ref[N];
	struct rt_map m;
	unsigned seed = 7;

	rt_map_init(&m);
	memset(ref, 0, sizeof(ref));
	for (int i = 0; i < 200000; i++) {
		uint64_t k = 1 + (uint64_t)(rand_r(&seed) % (N - 1));

		if (rand_r(&seed) % 3) {
			ck_assert_int_eq(rt_map_put(&m, k, (void *)(k * 8)), 0);
			ref[k] = (void *)(k * 8);
		} else {
			ck_assert_ptr_eq(rt_map_del(&m, k), ref[k]);
			ref[k] = NULL;
		}
	}
	size_t len = 0;
	for (uint64_t k = 1; k < N; k++) {
		ck_assert_ptr_eq(rt_map_get(&m, k), ref[k]);
		len += ref[k] != NULL;
	}
	ck_assert_uint_eq(m.len, len);
	ck_assert_int_eq(rt_map_put(&m, 0, &m), EINVAL);
	rt_map_fini(&m);
}
END_TEST

/* --- MPSC under real threads --------------------------------------------- */

enum { PRODUCERS = 4, PER = 100000 };

struct item {
	struct rt_qnode q;
	int producer;
	int seq;
};

static struct rt_mpsc Q;

static void *
producer(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < PER; i++) {
		struct item *it = malloc(sizeof(*it));

		it->q.type = RT_Q_MSG;
		it->producer = id;
		it->seq = i;
		rt_mpsc_push(&Q, &it->q);
	}
	return NULL;
}

START_TEST(mpsc_keeps_per_producer_order)
{
	pthread_t th[PRODUCERS];
	int next[PRODUCERS] = { 0 };
	long got = 0, disorder = 0;

	rt_mpsc_init(&Q);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i);
	while (got < (long)PRODUCERS * PER) {
		struct rt_qnode *n = rt_mpsc_pop(&Q);
		struct item *it = (struct item *)n;

		if (!n)
			continue;
		ck_assert_int_ne(n->type, RT_Q_STUB);
		disorder += it->seq != next[it->producer];
		next[it->producer] = it->seq + 1;
		free(it);
		got++;
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_ptr_null(rt_mpsc_pop(&Q));
	ck_assert_int_eq(disorder, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("runtime-msg");
	TCase *tc = tcase_create("msg");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, envelope_pack_unpack_round_trip);
	tcase_add_test(tc, unpack_grows_arena_for_large_messages);
	tcase_add_test(tc, unpack_rejects_garbage_and_keeps_unknown_body_unset);
	tcase_add_test(tc, map_matches_reference);
	tcase_add_test(tc, mpsc_keeps_per_producer_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
