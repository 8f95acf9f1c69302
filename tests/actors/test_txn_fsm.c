/* The transaction state machines under simulated time: retransmission
 * schedules, timeouts and absorbed retransmissions, per RFC 3261 §17 and
 * RFC 6026, with T1 = 500 ms, T2 = 4 s, T4 = 5 s. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "txn_fsm.h"

#define OFF UINT64_MAX

struct sim {
	struct txn_fsm f;
	uint64_t now;
	uint64_t due[TXN_TIMER_COUNT];
	uint64_t sent[64]; /* times of sends */
	enum txn_send what[64];
	int n_sent;
	int to_tu;
	int tu_error;
	int64_t ended; /* time it terminated, -1 while alive */
};

static void
apply(struct sim *s, const struct txn_out *o)
{
	for (int t = 0; t < TXN_TIMER_COUNT; t++)
		if (o->cancel & (1u << t))
			s->due[t] = OFF;
	for (unsigned i = 0; i < o->n_start; i++)
		s->due[o->start[i].timer] = s->now + o->start[i].ms;
	if (o->send != TXN_SEND_NONE) {
		ck_assert_int_lt(s->n_sent, 64);
		s->what[s->n_sent] = o->send;
		s->sent[s->n_sent++] = s->now;
	}
	s->to_tu += o->to_tu;
	if (o->tu_error)
		s->tu_error = o->tu_error;
	if (o->terminated && s->ended < 0)
		s->ended = (int64_t)s->now;
}

static void
ev(struct sim *s, enum txn_ev_type type, uint16_t code)
{
	struct txn_ev e = { .type = type, .code = code };
	struct txn_out o;

	txn_fsm_event(&s->f, &e, &o);
	apply(s, &o);
}

/* Fire timers in time order up to `until`. */
static void
run(struct sim *s, uint64_t until)
{
	for (;;) {
		int next = -1;

		for (int t = 0; t < TXN_TIMER_COUNT; t++)
			if (s->due[t] != OFF && s->due[t] <= until &&
			    (next < 0 || s->due[t] < s->due[next]))
				next = t;
		if (next < 0)
			break;
		s->now = s->due[next];
		s->due[next] = OFF;
		struct txn_ev e = { .type = TXN_EV_TIMER,
			            .timer = (enum txn_timer)next };
		struct txn_out o;

		txn_fsm_event(&s->f, &e, &o);
		apply(s, &o);
	}
	s->now = until;
}

static void
sim_init(struct sim *s, enum txn_kind k, bool reliable)
{
	memset(s, 0, sizeof(*s));
	for (int t = 0; t < TXN_TIMER_COUNT; t++)
		s->due[t] = OFF;
	s->ended = -1;
	txn_fsm_init(&s->f, k, reliable, 500, 4000, 5000);
}

static void
assert_sent_at(const struct sim *s, const uint64_t *want, int n)
{
	ck_assert_int_eq(s->n_sent, n);
	for (int i = 0; i < n; i++)
		ck_assert_uint_eq(s->sent[i], want[i]);
}

START_TEST(nict_udp_no_answer_retransmits_then_408)
{
	static const uint64_t want[] = { 0,     500,   1500,  3500,
		                         7500,  11500, 15500, 19500,
		                         23500, 27500, 31500 };
	struct sim s;

	sim_init(&s, TXN_NICT, false);
	ev(&s, TXN_EV_START, 0);
	run(&s, 40000);
	assert_sent_at(&s, want, 11);
	ck_assert_int_eq(s.tu_error, 408);
	ck_assert_int_eq(s.ended, 32000); /* Timer F = 64*T1 */
}
END_TEST

START_TEST(nict_udp_provisional_then_final)
{
	static const uint64_t want[] = { 0, 500, 1500 };
	struct sim s;

	sim_init(&s, TXN_NICT, false);
	ev(&s, TXN_EV_START, 0);
	run(&s, 600);
	ev(&s, TXN_EV_RESPONSE, 100);
	ck_assert_int_eq(s.f.state, TXN_PROCEEDING);
	/* in Proceeding, E fires at its current interval then every T2 */
	run(&s, 5000);
	ck_assert_uint_eq(s.due[TXN_TE], 5500);
	ev(&s, TXN_EV_RESPONSE, 200);
	ck_assert_int_eq(s.f.state, TXN_COMPLETED);
	ev(&s, TXN_EV_RESPONSE, 200); /* retransmitted final: absorbed */
	ck_assert_int_eq(s.to_tu, 2);
	run(&s, 20000);
	assert_sent_at(&s, want, 3);
	ck_assert_int_eq(s.ended, 10000); /* Timer K = T4 */
	ck_assert_int_eq(s.tu_error, 0);
}
END_TEST

START_TEST(nict_tcp_never_retransmits)
{
	struct sim s;

	sim_init(&s, TXN_NICT, true);
	ev(&s, TXN_EV_START, 0);
	run(&s, 40000);
	ck_assert_int_eq(s.n_sent, 1);
	ck_assert_int_eq(s.tu_error, 408);
	sim_init(&s, TXN_NICT, true);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_RESPONSE, 404);
	ck_assert_int_eq(s.ended, 0); /* K = 0 on reliable transports */
}
END_TEST

START_TEST(ict_udp_doubles_without_cap_then_408)
{
	static const uint64_t want[] = {
		0, 500, 1500, 3500, 7500, 15500, 31500
	};
	struct sim s;

	sim_init(&s, TXN_ICT, false);
	ev(&s, TXN_EV_START, 0);
	run(&s, 40000);
	assert_sent_at(&s, want, 7);
	ck_assert_int_eq(s.tu_error, 408);
	ck_assert_int_eq(s.ended, 32000); /* Timer B */
}
END_TEST

START_TEST(ict_failure_is_acked_and_absorbed)
{
	struct sim s;

	sim_init(&s, TXN_ICT, false);
	ev(&s, TXN_EV_START, 0);
	run(&s, 100);
	ev(&s, TXN_EV_RESPONSE, 180);
	run(&s, 5000); /* no retransmission in Proceeding */
	ck_assert_int_eq(s.n_sent, 1);
	ev(&s, TXN_EV_RESPONSE, 486);
	ck_assert_int_eq(s.what[1], TXN_SEND_ACK);
	ev(&s, TXN_EV_RESPONSE, 486); /* again: ACK again, TU not told */
	ck_assert_int_eq(s.what[2], TXN_SEND_ACK);
	ck_assert_int_eq(s.to_tu, 2);
	run(&s, 60000);
	ck_assert_int_eq(s.ended, 5000 + 32000); /* Timer D */
}
END_TEST

START_TEST(ict_2xx_accepted_passes_retransmissions)
{
	struct sim s;

	sim_init(&s, TXN_ICT, false);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_RESPONSE, 200);
	ck_assert_int_eq(s.f.state, TXN_ACCEPTED);
	ev(&s, TXN_EV_RESPONSE, 200);
	ck_assert_int_eq(s.to_tu, 2);  /* the dialog layer ACKs each 2xx */
	ck_assert_int_eq(s.n_sent, 1); /* never an ACK from here */
	run(&s, 60000);
	ck_assert_int_eq(s.ended, 32000); /* Timer M */
}
END_TEST

START_TEST(ist_100_trying_then_failure_retransmitted_until_h)
{
	static const uint64_t want[] = { 200,   1000,  1500,  2500,
		                         4500,  8500,  12500, 16500,
		                         20500, 24500, 28500, 32500 };
	struct sim s;

	sim_init(&s, TXN_IST, false);
	ev(&s, TXN_EV_START, 0);
	ck_assert_int_eq(s.to_tu, 1);
	run(&s, 1000); /* TU silent for 200 ms: our own 100 Trying */
	ck_assert_int_eq(s.what[0], TXN_SEND_100);
	ev(&s, TXN_EV_TU_RESPONSE, 486);
	run(&s, 50000);
	assert_sent_at(&s, want, 12);
	ck_assert_int_eq(s.tu_error, 408);
	ck_assert_int_eq(s.ended, 1000 + 32000); /* Timer H */
}
END_TEST

START_TEST(ist_ack_confirms_and_absorbs)
{
	struct sim s;

	sim_init(&s, TXN_IST, false);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_TU_RESPONSE, 180); /* before 200 ms: no own 100 */
	ev(&s, TXN_EV_REQUEST, 0);       /* INVITE again: 180 again */
	ck_assert_int_eq(s.n_sent, 2);
	ev(&s, TXN_EV_TU_RESPONSE, 404);
	run(&s, 3000);
	ev(&s, TXN_EV_ACK, 0);
	ck_assert_int_eq(s.f.state, TXN_CONFIRMED);
	int sent = s.n_sent;
	ev(&s, TXN_EV_REQUEST, 0); /* absorbed in Confirmed */
	run(&s, 20000);
	ck_assert_int_eq(s.n_sent, sent);
	ck_assert_int_eq(s.ended, 3000 + 5000); /* Timer I = T4 */
	ck_assert_int_eq(s.tu_error, 0);
}
END_TEST

START_TEST(ist_2xx_accepted_until_l)
{
	struct sim s;

	sim_init(&s, TXN_IST, false);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_TU_RESPONSE, 200);
	ev(&s, TXN_EV_REQUEST, 0); /* RFC 6026: absorbed, the TU resends */
	ck_assert_int_eq(s.n_sent, 1);
	ev(&s, TXN_EV_TU_RESPONSE, 200);
	ck_assert_int_eq(s.n_sent, 2);
	ev(&s, TXN_EV_ACK, 0);
	ck_assert_int_eq(s.to_tu, 2);
	run(&s, 60000);
	ck_assert_int_eq(s.ended, 32000); /* Timer L */
}
END_TEST

START_TEST(nist_retransmits_last_response_until_j)
{
	struct sim s;

	sim_init(&s, TXN_NIST, false);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_REQUEST, 0); /* Trying: absorbed */
	ck_assert_int_eq(s.n_sent, 0);
	run(&s, 100);
	ev(&s, TXN_EV_TU_RESPONSE, 200);
	ev(&s, TXN_EV_REQUEST, 0);
	ck_assert_int_eq(s.n_sent, 2);
	ev(&s, TXN_EV_TU_RESPONSE, 500); /* only one final */
	ck_assert_int_eq(s.n_sent, 2);
	run(&s, 60000);
	ck_assert_int_eq(s.ended, 100 + 32000); /* Timer J */
	sim_init(&s, TXN_NIST, true);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_TU_RESPONSE, 200);
	ck_assert_int_eq(s.ended, 0); /* J = 0 on TCP */
}
END_TEST

START_TEST(transport_error_tells_tu_503)
{
	struct sim s;

	sim_init(&s, TXN_NICT, false);
	ev(&s, TXN_EV_START, 0);
	ev(&s, TXN_EV_TRANSPORT_ERROR, 0);
	ck_assert_int_eq(s.tu_error, 503);
	ck_assert_int_eq(s.ended, 0);
	ev(&s, TXN_EV_RESPONSE, 200); /* nothing after the end */
	ck_assert_int_eq(s.to_tu, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("txn-fsm");
	TCase *tc = tcase_create("fsm");

	tcase_add_test(tc, nict_udp_no_answer_retransmits_then_408);
	tcase_add_test(tc, nict_udp_provisional_then_final);
	tcase_add_test(tc, nict_tcp_never_retransmits);
	tcase_add_test(tc, ict_udp_doubles_without_cap_then_408);
	tcase_add_test(tc, ict_failure_is_acked_and_absorbed);
	tcase_add_test(tc, ict_2xx_accepted_passes_retransmissions);
	tcase_add_test(tc, ist_100_trying_then_failure_retransmitted_until_h);
	tcase_add_test(tc, ist_ack_confirms_and_absorbs);
	tcase_add_test(tc, ist_2xx_accepted_until_l);
	tcase_add_test(tc, nist_retransmits_last_response_until_j);
	tcase_add_test(tc, transport_error_tells_tu_503);
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
