/* What a peer may send (cluster/guard.c), envelope by envelope: the
 * allow-list of kinds and targets, the addresses every envelope must carry,
 * and the hello's fields. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../cluster/cluster_int.h"

#define SELF   1
#define PEER   2
#define ADMIN  RT_ID_ADMIN
#define NODE   RT_ID_NODE
#define ACTOR  RT_ID_FIRST_DYNAMIC
#define SIPREG 9 /* a well-known service: the registrar */

static struct cluster c;
static uint64_t from_id = 100; /* the sender's actor */

static void
setup(void)
{
	struct rt_config cfg = { .node_id = SELF,
		                 .node_name = "self",
		                 .workers = 2 };

	memset(&c, 0, sizeof(c));
	from_id = 100;
	ck_assert_int_eq(rt_alloc(&c.rt, &cfg), 0);
}

static void
teardown(void)
{
	rt_free(c.rt);
}

/* One envelope of kind body, from (PEER, 0, sender) to (to_node, worker,
 * to_id); the filter's verdict. */
static int
verdict_from(Pbx__Envelope__BodyCase body, uint64_t sender, uint32_t to_node,
             uint32_t worker, uint64_t to_id, bool reply, uint64_t corr)
{
	Pbx__Envelope e = PBX__ENVELOPE__INIT;
	Pbx__Addr to = PBX__ADDR__INIT, from = PBX__ADDR__INIT;
	Pbx__Ping ping = PBX__PING__INIT;
	const char *why = NULL;
	int rv;

	to.node = to_node;
	to.worker = worker;
	to.id = to_id;
	from.node = PEER;
	from.id = sender;
	e.to = &to;
	e.from = &from;
	e.reply = reply;
	e.correlation = corr;
	e.body_case = body;
	e.ping = &ping; /* any body: the union's pointer is all it reads */
	rv = cluster_filter(&c, PEER, &e, &why);
	ck_assert(rv == 0 || why != NULL);
	return rv;
}

/* From (PEER, 0, from_id): by default an actor spawned at run time. */
static int
verdict(Pbx__Envelope__BodyCase body, uint32_t to_node, uint32_t worker,
        uint64_t to_id, bool reply, uint64_t corr)
{
	return verdict_from(body, from_id, to_node, worker, to_id, reply, corr);
}

/* What a call spanning two nodes needs, and nothing around it. */
START_TEST(call_kinds)
{
	/* a B leg asked of a call router (any worker) by a channel */
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 0,
	                         RT_ID_CALLS, false, 7),
	                 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 1,
	                         RT_ID_CALLS, false, 7),
	                 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 0,
	                         ACTOR, false, 7),
	                 EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 0,
	                         SIPREG, false, 7),
	                 EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 0,
	                         RT_ID_CALLS, true, 7),
	                 EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_START, SELF, 0,
	                         RT_ID_CALLS, false, 0),
	                 EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALL_LEG_START, ADMIN,
	                              SELF, 0, RT_ID_CALLS, false, 7),
	                 EPERM);
	/* its answer: a reply to a channel only */
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_STARTED, SELF, 0,
	                         ACTOR, true, 7),
	                 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_STARTED, SELF, 0,
	                         ACTOR, false, 7),
	                 EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_LEG_STARTED, SELF, 0,
	                         ADMIN, true, 7),
	                 EPERM);
	/* Leg: channel to channel, never to a service nor from one */
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_LEG, SELF, 1, ACTOR, false, 0), 0);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_LEG, SELF, 0, RT_ID_CALLS, false, 0),
	    EPERM);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_LEG, SELF, 0, ADMIN, false, 0), EPERM);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_LEG, SELF, 0, ACTOR, true, 3), EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_LEG, RT_ID_CALLS,
	                              SELF, 0, ACTOR, false, 0),
	                 EPERM);
	/* the admin's calls list: admin to router, the answer back */
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALLS_LIST, ADMIN,
	                              SELF, 0, RT_ID_CALLS, false, 9),
	                 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALLS_LIST, SELF, 0,
	                         RT_ID_CALLS, false, 9),
	                 EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALLS_LIST, ADMIN,
	                              SELF, 0, ACTOR, false, 9),
	                 EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALLS_LIST_REPLY,
	                              RT_ID_CALLS, SELF, 0, ADMIN, true, 9),
	                 0);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALLS_LIST_REPLY,
	                              RT_ID_CALLS, SELF, 0, ACTOR, true, 9),
	                 EPERM);
	/* a Leg that found no channel comes back to its sender, a channel;
	 * a bounce of anything else without a request to complete does not */
	{
		Pbx__Envelope e = PBX__ENVELOPE__INIT;
		Pbx__Addr to = PBX__ADDR__INIT, from = PBX__ADDR__INIT;
		Pbx__Undeliverable u = PBX__UNDELIVERABLE__INIT;
		const char *why;

		to.node = SELF;
		to.id = ACTOR;
		from.node = PEER;
		from.id = ACTOR + 5;
		e.to = &to;
		e.from = &from;
		e.body_case = PBX__ENVELOPE__BODY_UNDELIVERABLE;
		e.undeliverable = &u;
		u.body_case = PBX__ENVELOPE__BODY_LEG;
		ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), 0);
		to.id = RT_ID_CALLS;
		ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EPERM);
		to.id = ACTOR;
		u.body_case = PBX__ENVELOPE__BODY_SIP_SEND;
		ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EPERM);
	}
	/* the admin's hangup of a call wherever it is, and its answer */
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALL_HANGUP, ADMIN,
	                              SELF, 0, RT_ID_CALLS, false, 9),
	                 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_CALL_HANGUP, SELF, 0,
	                         RT_ID_CALLS, false, 9),
	                 EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALL_HANGUP, ADMIN,
	                              SELF, 0, ACTOR, false, 9),
	                 EPERM);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY,
	                              RT_ID_CALLS, SELF, 0, ADMIN, true, 9),
	                 0);
	ck_assert_int_eq(verdict_from(PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY,
	                              RT_ID_CALLS, SELF, 0, ACTOR, true, 9),
	                 EPERM);
	/* a new INVITE: still never from a peer */
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_SIP_REQUEST, SELF, 0,
	                         RT_ID_CALLS, false, 0),
	                 EPERM);
}
END_TEST

START_TEST(allow_list)
{
	/* what nodes exchange */
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 0, NODE, false, 1), 0);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 1, ACTOR, false, 0), 0);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PONG, SELF, 0, ADMIN, true, 5), 0);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PONG, SELF, 1, ACTOR, false, 0), 0);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_UNDELIVERABLE, SELF, 0,
	                         ADMIN, false, 5),
	                 0);
	/* the same kinds to the wrong actors, or in the wrong form */
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 0, ADMIN, false, 1), EPERM);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 0, SIPREG, false, 1),
	    EPERM);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 0, NODE, true, 1), EPERM);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PONG, SELF, 0, SIPREG, true, 1), EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_UNDELIVERABLE, SELF, 0,
	                         ADMIN, false, 0),
	                 EPERM);
	/* never from a peer */
	static const Pbx__Envelope__BodyCase never[] = {
		PBX__ENVELOPE__BODY_EXIT,
		PBX__ENVELOPE__BODY_WATCH,
		PBX__ENVELOPE__BODY_UNWATCH,
		PBX__ENVELOPE__BODY_DOWN,
		PBX__ENVELOPE__BODY_HELLO,
		PBX__ENVELOPE__BODY_ADMIN_REQUEST,
		PBX__ENVELOPE__BODY_SIP_REQUEST,
		PBX__ENVELOPE__BODY_SIP_SEND,
		PBX__ENVELOPE__BODY_UNREGISTER,
		PBX__ENVELOPE__BODY_CALL_HANGUP,
		PBX__ENVELOPE__BODY_STORE_COMMITTED,
		PBX__ENVELOPE__BODY_PEER_LINK,
		PBX__ENVELOPE__BODY__NOT_SET,
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		ck_assert_int_eq(verdict(never[i], SELF, 0, ACTOR, false, 0),
		                 EPERM);
		ck_assert_int_eq(verdict(never[i], SELF, 0, ADMIN, true, 1),
		                 EPERM);
	}
}
END_TEST

/* Replication: only between the replication actors, never as a reply. */
START_TEST(replication)
{
	static const Pbx__Envelope__BodyCase kinds[] = {
		PBX__ENVELOPE__BODY_REPL_HAVE,
		PBX__ENVELOPE__BODY_REPL_EVENTS,
		PBX__ENVELOPE__BODY_REPL_ACK,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		from_id = RT_ID_REPL;
		ck_assert_int_eq(
		    verdict(kinds[i], SELF, 0, RT_ID_REPL, false, 0), 0);
		ck_assert_int_eq(
		    verdict(kinds[i], SELF, 0, RT_ID_REPL, true, 1), EPERM);
		ck_assert_int_eq(verdict(kinds[i], SELF, 0, ADMIN, false, 0),
		                 EPERM);
		ck_assert_int_eq(verdict(kinds[i], SELF, 1, ACTOR, false, 0),
		                 EPERM);
		ck_assert_int_eq(verdict(kinds[i], SELF, 0, SIPREG, false, 0),
		                 EPERM);
		/* from another actor of the peer than its replication actor */
		from_id = 100;
		ck_assert_int_eq(
		    verdict(kinds[i], SELF, 0, RT_ID_REPL, false, 0), EPERM);
	}
	/* the link's own notice is never taken from a peer */
	from_id = RT_ID_REPL;
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_PEER_LINK, SELF, 0,
	                         RT_ID_REPL, false, 0),
	                 EPERM);
}
END_TEST

/* Wrong-password counts (actors/registrar/registrar_share.c): from a
 * peer's worker-0 registrar to ours only, never a reply; a registration
 * actor's RegistrationSync never from a peer. */
START_TEST(auth_failures)
{
	const Pbx__Envelope__BodyCase k = PBX__ENVELOPE__BODY_AUTH_FAILURES;

	from_id = RT_ID_REGISTRAR;
	ck_assert_int_eq(verdict(k, SELF, 0, RT_ID_REGISTRAR, false, 0), 0);
	ck_assert_int_eq(verdict(k, SELF, 0, RT_ID_REGISTRAR, true, 1), EPERM);
	ck_assert_int_eq(verdict(k, SELF, 0, RT_ID_REGISTRAR, false, 3), EPERM);
	ck_assert_int_eq(verdict(k, SELF, 1, RT_ID_REGISTRAR, false, 0), EPERM);
	ck_assert_int_eq(verdict(k, SELF, 0, ADMIN, false, 0), EPERM);
	ck_assert_int_eq(verdict(k, SELF, 0, ACTOR, false, 0), EPERM);
	from_id = 100;
	ck_assert_int_eq(verdict(k, SELF, 0, RT_ID_REGISTRAR, false, 0), EPERM);
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_REGISTRATION_SYNC, SELF, 0,
	                         ACTOR, false, 0),
	                 EPERM);
	from_id = RT_ID_REGISTRAR;
	ck_assert_int_eq(verdict(PBX__ENVELOPE__BODY_REGISTRATION_SYNC, SELF, 0,
	                         RT_ID_REGISTRAR, false, 0),
	                 EPERM);
}
END_TEST

START_TEST(addresses)
{
	Pbx__Envelope e = PBX__ENVELOPE__INIT;
	Pbx__Addr to = PBX__ADDR__INIT, from = PBX__ADDR__INIT;
	Pbx__Ping ping = PBX__PING__INIT;
	const char *why;

	/* another node, or a worker we do not have */
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, 3, 0, NODE, false, 1), EBADMSG);
	ck_assert_int_eq(
	    verdict(PBX__ENVELOPE__BODY_PING, SELF, 2, NODE, false, 1),
	    EBADMSG);
	/* no addresses, or a reply address off the sender */
	e.body_case = PBX__ENVELOPE__BODY_PING;
	e.ping = &ping;
	ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EBADMSG);
	to.node = SELF;
	to.id = NODE;
	e.to = &to;
	ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EBADMSG);
	from.node = 3;
	from.id = 100;
	e.from = &from;
	ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EBADMSG);
	from.node = PEER;
	ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), 0);
	/* a body case with no body */
	e.ping = NULL;
	ck_assert_int_eq(cluster_filter(&c, PEER, &e, &why), EPERM);
}
END_TEST

static int
hello(uint32_t node, const char *name, const char *listen, const char *version)
{
	Pbx__Hello h = PBX__HELLO__INIT;
	const char *why;

	h.node = node;
	h.name = (char *)name;
	h.listen = (char *)listen;
	h.version = (char *)version;
	return cluster_hello_check(&c, PEER, &h, &why);
}

START_TEST(hello_fields)
{
	ck_assert_int_eq(hello(PEER, "n2", "tcp://127.0.0.1:7101", "1.0"), 0);
	ck_assert_int_eq(hello(PEER, "n2", "ipc:///tmp/n2", "1.0"), 0);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://192.0.2.1:7101", "1.0"), 0);
	ck_assert_int_eq(hello(3, "n2", "tcp://127.0.0.1:7101", "1.0"),
	                 EBADMSG); /* not the frame's sender */
	ck_assert_int_eq(hello(PEER, "", "tcp://127.0.0.1:7101", "1.0"),
	                 EBADMSG);
	ck_assert_int_eq(
	    hello(PEER, "n2\nFAKE log line", "tcp://127.0.0.1:7101", "1.0"),
	    EBADMSG);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://127.0.0.1:7101\n", "1.0"),
	                 EBADMSG);
	ck_assert_int_eq(hello(PEER, "n2", "http://127.0.0.1:7101", "1.0"),
	                 EBADMSG);
	ck_assert_int_eq(hello(PEER, "n2", "", "1.0"), EBADMSG);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://127.0.0.1:7101", "1 0"),
	                 EBADMSG);
	/* under the demo secret, never a URL off this machine */
	c.demo_secret = true;
	ck_assert_int_eq(hello(PEER, "n2", "tcp://192.0.2.1:7101", "1.0"),
	                 EPERM);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://0.0.0.0:7101", "1.0"), EPERM);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://[::1]:7101", "1.0"), 0);
	ck_assert_int_eq(hello(PEER, "n2", "tcp://localhost:7101", "1.0"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("guard");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, allow_list);
	tcase_add_test(tc, call_kinds);
	tcase_add_test(tc, replication);
	tcase_add_test(tc, auth_failures);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, hello_fields);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
