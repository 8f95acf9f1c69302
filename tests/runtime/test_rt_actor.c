/* The actor runtime on real worker threads: delivery order, contention,
 * timers, watches, request/reply and bounces. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static struct probe P;

/* A test actor runs a script: what to do at init and on each message. */
struct script {
	int (*init)(rt_actor *a, struct script *s);
	void (*on)(rt_actor *a, const Pbx__Envelope *env, struct script *s);
	void (*fini)(rt_actor *a, int reason, struct script *s);
	rt_addr target;
	long count, index;
};

static int
script_init(rt_actor *a, void *arg)
{
	struct script **st = rt_state(a);

	*st = arg;
	return (*st)->init ? (*st)->init(a, *st) : 0;
}

static void
script_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct script *s = *(struct script **)rt_state(a);

	if (s->on)
		s->on(a, env, s);
}

static void
script_fini(rt_actor *a, int reason)
{
	struct script *s = *(struct script **)rt_state(a);

	if (s->fini)
		s->fini(a, reason, s);
}

static const rt_kind script_kind = {
	.name = "script",
	.size = sizeof(struct script *),
	.init = script_init,
	.handle = script_handle,
	.fini = script_fini,
};

static int
send_ping(rt_actor *a, rt_addr to, uint64_t seq, uint64_t tag)
{
	Pbx__Ping *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &p);
	int err;

	p->seq = seq;
	p->sent_ns = tag;
	err = rt_send(a, to, m);
	if (err)
		rt_msg_free(m);
	return err;
}

/* --- order and contention ---------------------------------------------- */

#define SENDERS 8
static long sink_next[SENDERS];

static void
sink_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	long from = (long)env->ping->sent_ns;

	if ((long)env->ping->seq != sink_next[from])
		probe_add(&P, 1, 1); /* out of order */
	sink_next[from] = (long)env->ping->seq + 1;
	probe_add(&P, 0, 1);
}

static int
sender_init(rt_actor *a, struct script *s)
{
	for (long i = 0; i < s->count; i++)
		ck_assert_int_eq(
		    send_ping(a, s->target, (uint64_t)i, (uint64_t)s->index),
		    0);
	return 0;
}

static void
run_senders(uint32_t workers, int senders, long count, bool same_worker)
{
	struct script sink = { .on = sink_on };
	struct script snd[SENDERS];
	rt *r = rt_test_start(workers);
	rt_addr sa, x;

	probe_init(&P);
	for (int i = 0; i < SENDERS; i++)
		sink_next[i] = 0;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &sink, &sa), 0);
	for (int i = 0; i < senders; i++) {
		snd[i] = (struct script){ .init = sender_init,
			                  .target = sa,
			                  .count = count,
			                  .index = i };
		ck_assert_int_eq(
		    rt_spawn(r, &script_kind,
		             same_worker ? 0 : (uint32_t)i % workers, &snd[i],
		             &x),
		    0);
	}
	ck_assert_int_eq(probe_wait(&P, 0, senders * count, 20000),
	                 senders * count);
	ck_assert_int_eq(probe_get(&P, 1), 0);
	rt_test_stop(r);
}

START_TEST(mailbox_order_same_worker)
{
	run_senders(2, 1, 20000, true);
}
END_TEST

START_TEST(mailbox_order_cross_worker)
{
	/* sender 1 lives on worker 1, the sink on worker 0 */
	struct script sink = { .on = sink_on };
	struct script snd = { .init = sender_init, .count = 20000, .index = 0 };
	rt *r = rt_test_start(2);
	rt_addr sa, x;

	probe_init(&P);
	sink_next[0] = 0;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &sink, &sa), 0);
	snd.target = sa;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &snd, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 20000, 20000), 20000);
	ck_assert_int_eq(probe_get(&P, 1), 0);
	rt_test_stop(r);
}
END_TEST

START_TEST(contention_many_senders)
{
	/* 8 senders spread over 4 workers flood one sink at once: nothing
	 * lost, each sender's order kept */
	run_senders(4, SENDERS, 20000, false);
}
END_TEST

START_TEST(spawn_from_foreign_thread_then_send)
{
	/* the address is usable at once: a message sent right after spawn
	 * is delivered after init */
	struct script sink = { .on = sink_on };
	rt *r = rt_test_start(2);
	rt_addr sa;
	Pbx__Ping *p;
	rt_msg *m;

	probe_init(&P);
	sink_next[0] = 0;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &sink, &sa), 0);
	ck_assert_int_eq(sa.worker, 1);
	m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &p);
	rt_addr none = { 0, 0, 0 };
	ck_assert_int_eq(rt_inject(r, none, sa, m), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 5000), 1);
	rt_test_stop(r);
}
END_TEST

/* --- timers ------------------------------------------------------------ */

static uint64_t cancel_me;

static void
timer_fired(rt_actor *a, void *arg)
{
	long k = (long)(intptr_t)arg;
	long n = probe_get(&P, 2);

	probe_set(&P, (int)n, k); /* v[n] = which timer fired n-th */
	probe_add(&P, 2, 1);
	if (k == 30)
		/* already fired: cancelling it now is an error */
		probe_add(&P, 3, rt_timer_cancel(a, cancel_me) == ENOENT);
}

static int
timers_init(rt_actor *a, struct script *s)
{
	uint64_t t15;

	rt_timer_start(a, 30, timer_fired, (void *)30);
	cancel_me = rt_timer_start(a, 10, timer_fired, (void *)10);
	rt_timer_start(a, 20, timer_fired, (void *)20);
	t15 = rt_timer_start(a, 15, timer_fired, (void *)15);
	ck_assert_int_ne(t15, 0);
	ck_assert_int_eq(rt_timer_cancel(a, t15), 0);
	ck_assert_int_eq(rt_timer_cancel(a, t15), ENOENT);
	return 0;
}

START_TEST(timers_fire_in_order_and_cancel)
{
	struct script s = { .init = timers_init };
	rt *r = rt_test_start(2);
	rt_addr x;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &s, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 2, 3, 5000), 3);
	usleep(50 * 1000); /* the cancelled 15 ms timer must not come */
	ck_assert_int_eq(probe_get(&P, 2), 3);
	ck_assert_int_eq(probe_val(&P, 0), 10);
	ck_assert_int_eq(probe_val(&P, 1), 20);
	ck_assert_int_eq(probe_val(&P, 2), 30);
	ck_assert_int_eq(probe_get(&P, 3), 1);
	rt_test_stop(r);
}
END_TEST

static void
stopped_timer(rt_actor *a, void *arg)
{
	probe_add(&P, 4, 1);
}

static int
stop_init(rt_actor *a, struct script *s)
{
	rt_timer_start(a, 30, stopped_timer, NULL);
	rt_stop(a, 0);
	return 0;
}

static void
count_fini(rt_actor *a, int reason, struct script *s)
{
	probe_set(&P, 5, reason);
	probe_add(&P, 5, 1);
}

START_TEST(stop_cancels_timers)
{
	struct script s = { .init = stop_init, .fini = count_fini };
	rt *r = rt_test_start(1);
	rt_addr x;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &s, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 5, 1, 5000), 1);
	usleep(100 * 1000);
	ck_assert_int_eq(probe_get(&P, 4), 0);
	ck_assert_int_eq(probe_val(&P, 5), 0);
	rt_test_stop(r);
}
END_TEST

/* --- watches ------------------------------------------------------------ */

static void
victim_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	if (env->body_case == PBX__ENVELOPE__BODY_PING)
		rt_stop(a, (int)env->ping->seq);
}

static int
watcher_init(rt_actor *a, struct script *s)
{
	ck_assert_int_eq(rt_watch(a, s->target), 0);
	/* same path as the watch: it arrives after it */
	if (s->index == 0)
		ck_assert_int_eq(send_ping(a, s->target, 7, 0), 0);
	else
		ck_assert_int_eq(rt_exit(a, s->target, 3), 0);
	return 0;
}

static void
watcher_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	rt_addr who;

	if (env->body_case != PBX__ENVELOPE__BODY_DOWN)
		return;
	who = rt_addr_from_pb(env->down->who);
	ck_assert(rt_addr_eq(who, s->target));
	probe_set(&P, (int)probe_get(&P, 6), env->down->reason);
	probe_add(&P, 6, 1);
	/* watching it again, now that it is gone, yields Down(ENOENT) */
	if (probe_get(&P, 6) == 1)
		rt_watch(a, s->target);
}

START_TEST(watch_reports_stop_and_dead_target)
{
	struct script v = { .on = victim_on };
	struct script w = { .init = watcher_init, .on = watcher_on };
	rt *r = rt_test_start(2);
	rt_addr va, wa;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &v, &va), 0);
	w.target = va;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &w, &wa), 0);
	ck_assert_int_eq(probe_wait(&P, 6, 2, 5000), 2);
	ck_assert_int_eq(probe_val(&P, 0), 7);
	ck_assert_int_eq(probe_val(&P, 1), ENOENT);
	rt_test_stop(r);
}
END_TEST

START_TEST(exit_stops_target_with_reason)
{
	struct script v = { .on = victim_on, .fini = count_fini };
	struct script w = { .init = watcher_init,
		            .on = watcher_on,
		            .index = 1 };
	rt *r = rt_test_start(2);
	rt_addr va, wa;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &v, &va), 0);
	w.target = va;
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &w, &wa), 0);
	ck_assert_int_ge(probe_wait(&P, 6, 1, 5000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 3);
	ck_assert_int_eq(probe_wait(&P, 5, 1, 5000), 1);
	rt_test_stop(r);
}
END_TEST

/* --- request / reply ---------------------------------------------------- */

static void
got_reply(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct script *s = arg;

	if (!err) {
		ck_assert_int_eq(reply->body_case, PBX__ENVELOPE__BODY_PONG);
		ck_assert_int_eq(reply->pong->seq, 42);
	}
	probe_set(&P, (int)s->index, err);
	probe_add(&P, 7, 1);
}

static int
requester_init(rt_actor *a, struct script *s)
{
	Pbx__Ping *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &p);

	p->seq = 42;
	ck_assert_int_eq(rt_request(a, s->target, m, 100, got_reply, s), 0);
	return 0;
}

START_TEST(request_reply_timeout_and_dead)
{
	struct script silent = { 0 };
	struct script rq[3];
	rt *r = rt_test_start(2);
	rt_addr sa, x, node = { 1, 0, RT_ID_NODE }, dead = { 1, 1, 999999 };

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &silent, &sa), 0);
	rt_addr targets[3] = { node, sa, dead };
	for (int i = 0; i < 3; i++) {
		rq[i] = (struct script){ .init = requester_init,
			                 .target = targets[i],
			                 .index = i };
		ck_assert_int_eq(
		    rt_spawn(r, &script_kind, (uint32_t)i % 2, &rq[i], &x), 0);
	}
	ck_assert_int_eq(probe_wait(&P, 7, 3, 5000), 3);
	ck_assert_int_eq(probe_val(&P, 0), 0);
	ck_assert_int_eq(probe_val(&P, 1), ETIMEDOUT);
	ck_assert_int_eq(probe_val(&P, 2), ENOENT);
	rt_test_stop(r);
}
END_TEST

static int
bouncer_init(rt_actor *a, struct script *s)
{
	ck_assert_int_eq(send_ping(a, s->target, 1, 0), 0);
	return 0;
}

static void
bouncer_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	ck_assert_int_eq(env->body_case, PBX__ENVELOPE__BODY_UNDELIVERABLE);
	ck_assert_int_eq(env->undeliverable->error, ENOENT);
	ck_assert_int_eq(env->undeliverable->body_case,
	                 PBX__ENVELOPE__BODY_PING);
	ck_assert(
	    rt_addr_eq(rt_addr_from_pb(env->undeliverable->to), s->target));
	probe_add(&P, 8, 1);
}

/* --- taking the message being handled ---------------------------------- */

/* A relay takes each ping it is handed and sends it on, unchanged and
 * uncopied, to the sink; a second take in the same callback gets NULL. */
static void
relay_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	rt_msg *m = rt_take(a);

	if (!m || rt_take(a) != NULL || rt_msg_env(m) != env)
		probe_add(&P, 1, 1);
	if (m && rt_send(a, s->target, m) != 0) {
		rt_msg_free(m);
		probe_add(&P, 1, 1);
	}
}

static void
taken_on(rt_actor *a, const Pbx__Envelope *env, struct script *s)
{
	/* in order, with the body the sender wrote, from the relay */
	if ((long)env->ping->seq != s->index++ || env->ping->sent_ns != 77 ||
	    env->from->id != (uint64_t)s->count)
		probe_add(&P, 1, 1);
	probe_add(&P, 0, 1);
}

static int
taker_send_init(rt_actor *a, struct script *s)
{
	for (long i = 0; i < 1000; i++)
		ck_assert_int_eq(send_ping(a, s->target, (uint64_t)i, 77), 0);
	return 0;
}

START_TEST(take_forwards_without_copy)
{
	rt *r = rt_test_start(2);
	struct script sink[2], relay[2], snd[2];
	rt_addr sink_a, relay_a, x;

	/* the relay on worker 0 forwards to a sink on worker 1 (same = 0)
	 * or on its own worker (same = 1) */
	for (int same = 0; same < 2; same++) {
		sink[same] = (struct script){ .on = taken_on };
		relay[same] = (struct script){ .on = relay_on };
		snd[same] = (struct script){ .init = taker_send_init };
		probe_init(&P);
		ck_assert_int_eq(rt_spawn(r, &script_kind, same ? 0 : 1,
		                          &sink[same], &sink_a),
		                 0);
		relay[same].target = sink_a;
		ck_assert_int_eq(
		    rt_spawn(r, &script_kind, 0, &relay[same], &relay_a), 0);
		sink[same].count = (long)relay_a.id;
		snd[same].target = relay_a;
		ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &snd[same], &x),
		                 0);
		ck_assert_int_eq(probe_wait(&P, 0, 1000, 20000), 1000);
		ck_assert_int_eq(probe_get(&P, 1), 0);
	}
	rt_test_stop(r);
}
END_TEST

START_TEST(send_to_dead_address_bounces)
{
	rt *r = rt_test_start(2);
	rt_addr x, dead_same = { 1, 0, 123456 }, dead_other = { 1, 1, 654321 };
	struct script b1 = { .init = bouncer_init,
		             .on = bouncer_on,
		             .target = dead_same };
	struct script b2 = { .init = bouncer_init,
		             .on = bouncer_on,
		             .target = dead_other };

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &b1, &x), 0);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 0, &b2, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 8, 2, 5000), 2);
	rt_test_stop(r);
}
END_TEST

START_TEST(shutdown_with_live_actors)
{
	/* actors with timers and pending requests at shutdown: fini runs
	 * for each, nothing leaks (checked by the sanitizer build) */
	struct script s[4];
	rt *r = rt_test_start(2);
	rt_addr x, silent;
	struct script quiet = { .fini = count_fini };

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &script_kind, 1, &quiet, &silent), 0);
	for (int i = 0; i < 4; i++) {
		s[i] = (struct script){ .init = requester_init,
			                .fini = count_fini,
			                .target = silent,
			                .index = 10 };
		ck_assert_int_eq(
		    rt_spawn(r, &script_kind, (uint32_t)i % 2, &s[i], &x), 0);
	}
	usleep(20 * 1000);
	rt_test_stop(r);
	ck_assert_int_eq(probe_get(&P, 5), 5);
	ck_assert_int_eq(probe_val(&P, 5), ESHUTDOWN);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("actors");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mailbox_order_same_worker);
	tcase_add_test(tc, mailbox_order_cross_worker);
	tcase_add_test(tc, contention_many_senders);
	tcase_add_test(tc, spawn_from_foreign_thread_then_send);
	tcase_add_test(tc, timers_fire_in_order_and_cancel);
	tcase_add_test(tc, stop_cancels_timers);
	tcase_add_test(tc, watch_reports_stop_and_dead_target);
	tcase_add_test(tc, exit_stops_target_with_reason);
	tcase_add_test(tc, request_reply_timeout_and_dead);
	tcase_add_test(tc, send_to_dead_address_bounces);
	tcase_add_test(tc, take_forwards_without_copy);
	tcase_add_test(tc, shutdown_with_live_actors);
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
