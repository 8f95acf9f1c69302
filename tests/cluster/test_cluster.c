/* Two nodes in one process, linked over real nng TCP sockets on loopback:
 * the same actor code talks to a local and to a remote actor and cannot tell
 * the difference; an unreachable node fails visibly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/harness.h"
#include "cluster.h"

static struct probe P;

struct node {
	rt *rt;
	struct cluster *cl;
};

static void
node_up_secret(struct node *n, uint32_t id, const char *listen,
               const char *peer, const char *secret)
{
	struct rt_config cfg = { .node_id = id,
		                 .node_name = id == 1 ? "one" : "two",
		                 .workers = 2 };
	struct cluster_config cc = { .listen = listen,
		                     .peers = (const char *const *)&peer,
		                     .n_peers = peer ? 1 : 0,
		                     .heartbeat_ms = 100,
		                     .secret = secret };

	ck_assert_int_eq(rt_alloc(&n->rt, &cfg), 0);
	ck_assert_int_eq(rt_start(n->rt), 0);
	ck_assert_int_eq(cluster_start(&n->cl, n->rt, &cc), 0);
}

/* without a secret: the demo secret, as on loopback */
static void
node_up(struct node *n, uint32_t id, const char *listen, const char *peer)
{
	node_up_secret(n, id, listen, peer, NULL);
}

static void
node_down(struct node *n)
{
	rt_shutdown(n->rt);
	cluster_free(n->cl);
	rt_free(n->rt);
}

static bool
linked(struct node *n, uint32_t peer)
{
	struct cluster_peer_info info[4];
	size_t k = cluster_peers(n->cl, info, 4);

	for (size_t i = 0; i < k; i++)
		if (info[i].node == peer && info[i].state == CLUSTER_UP)
			return true;
	return false;
}

static void
wait_linked(struct node *n, uint32_t peer)
{
	for (int i = 0; i < 100 && !linked(n, peer); i++)
		usleep(50 * 1000);
	ck_assert(linked(n, peer));
}

/* An echo actor: answers every Ping request with a Pong of the same seq
 * and payload, and says where the request came from. */
static void
echo_handle(rt_actor *a, const Pbx__Envelope *env)
{
	Pbx__Pong *p;
	rt_msg *m;

	if (env->body_case != PBX__ENVELOPE__BODY_PING)
		return;
	m = rt_msg_new(PBX__ENVELOPE__BODY_PONG, 0, &p);
	p->seq = env->ping->seq;
	p->sent_ns = env->from->node; /* who asked */
	p->payload.data =
	    rt_msg_memdup(m, env->ping->payload.data, env->ping->payload.len);
	p->payload.len = env->ping->payload.len;
	ck_assert_int_eq(rt_reply(a, env, m), 0);
}

static const rt_kind echo_kind = { .name = "echo", .handle = echo_handle };

struct asker {
	rt_addr target;
	int slot;
};

static void
answered(rt_actor *a, int err, const Pbx__Envelope *r, void *arg)
{
	struct asker *k = arg;

	if (!err) {
		ck_assert_int_eq(r->body_case, PBX__ENVELOPE__BODY_PONG);
		ck_assert_uint_eq(r->pong->seq, 77);
		ck_assert_uint_eq(r->pong->sent_ns, rt_self(a).node);
		ck_assert_uint_eq(r->pong->payload.len, 5);
		ck_assert_mem_eq(r->pong->payload.data, "hello", 5);
		ck_assert(rt_addr_eq(rt_addr_from_pb(r->from), k->target));
	}
	probe_set(&P, k->slot, err);
	probe_add(&P, k->slot, 1);
}

static int
asker_init(rt_actor *a, void *arg)
{
	struct asker *k = arg;
	Pbx__Ping *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 8, &p);
	int err;

	p->seq = 77;
	p->payload.data = rt_msg_memdup(m, "hello", 5);
	p->payload.len = 5;
	err = rt_request(a, k->target, m, 2000, answered, k);
	if (err) {
		rt_msg_free(m);
		probe_set(&P, k->slot, err);
		probe_add(&P, k->slot, 1);
	}
	return 0;
}

static const rt_kind asker_kind = { .name = "asker", .init = asker_init };

START_TEST(request_reply_across_nodes_like_local)
{
	struct node a, b;
	rt_addr echo_local, echo_remote, x;
	struct asker k[3];

	probe_init(&P);
	/* ports below the end-to-end tests' ranges (20000-32759), which run
	 * at the same time */
	node_up(&a, 1, "tcp://127.0.0.1:19301", "tcp://127.0.0.1:19302");
	node_up(&b, 2, "tcp://127.0.0.1:19302", NULL); /* learns node 1 */
	wait_linked(&a, 2);
	wait_linked(&b, 1);

	ck_assert_int_eq(rt_spawn(a.rt, &echo_kind, 1, NULL, &echo_local), 0);
	ck_assert_int_eq(rt_spawn(b.rt, &echo_kind, 1, NULL, &echo_remote), 0);
	k[0] = (struct asker){ echo_local, 0 };
	k[1] = (struct asker){ echo_remote, 1 };
	/* a dead actor on a live node: the remote node bounces it */
	k[2] = (struct asker){ { 2, 1, 99999 }, 2 };
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rt_spawn(a.rt, &asker_kind, 0, &k[i], &x), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(probe_wait(&P, i, 1, 5000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 0);
	ck_assert_int_eq(probe_val(&P, 1), 0);
	ck_assert_int_eq(probe_val(&P, 2), ENOENT);
	node_down(&b);
	node_down(&a);
}
END_TEST

START_TEST(unreachable_node_fails_at_once)
{
	struct node a;
	rt_addr x;
	struct asker k[2] = { { { 9, 0, RT_ID_NODE }, 0 },
		              { { 2, 0, RT_ID_NODE }, 1 } };

	probe_init(&P);
	/* node 2 is configured but never started */
	node_up(&a, 1, "tcp://127.0.0.1:19311", "tcp://127.0.0.1:19312");
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(rt_spawn(a.rt, &asker_kind, 0, &k[i], &x), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 5000), 1);
	ck_assert_int_eq(probe_wait(&P, 1, 1, 5000), 1);
	ck_assert_int_eq(probe_val(&P, 0), EHOSTUNREACH);
	ck_assert_int_eq(probe_val(&P, 1), EHOSTUNREACH);
	node_down(&a);
}
END_TEST

START_TEST(link_down_and_back)
{
	struct node a, b;

	node_up(&a, 1, "tcp://127.0.0.1:19321", "tcp://127.0.0.1:19322");
	node_up(&b, 2, "tcp://127.0.0.1:19322", NULL);
	wait_linked(&a, 2);
	node_down(&b);
	for (int i = 0; i < 100 && linked(&a, 2); i++)
		usleep(50 * 1000);
	ck_assert(!linked(&a, 2));
	node_up(&b, 2, "tcp://127.0.0.1:19322", NULL);
	wait_linked(&a, 2);
	node_down(&b);
	node_down(&a);
}
END_TEST

static size_t
n_peers(struct node *n)
{
	struct cluster_peer_info info[4];

	return cluster_peers(n->cl, info, 4);
}

static uint64_t
bad_macs(struct node *n)
{
	struct cluster_stats st;

	cluster_stats(n->cl, &st);
	return st.bad_mac;
}

/* Nodes with different secrets: every frame fails the MAC, nothing links,
 * and a request to the other node fails at once. */
START_TEST(different_secrets_never_link)
{
	struct node a, b;
	struct asker k = { { 2, 0, RT_ID_NODE }, 0 };
	rt_addr x;

	probe_init(&P);
	node_up_secret(&a, 1, "tcp://127.0.0.1:19331", "tcp://127.0.0.1:19332",
	               "the secret of node one, 32 bytes");
	node_up_secret(&b, 2, "tcp://127.0.0.1:19332", NULL,
	               "the secret of node two, 32 bytes");
	for (int i = 0; i < 100 && !bad_macs(&b); i++)
		usleep(50 * 1000);
	ck_assert_uint_gt(bad_macs(&b), 0);
	ck_assert(!linked(&a, 2));
	ck_assert_uint_eq(n_peers(&b), 0); /* a's hello taught it nothing */
	ck_assert_int_eq(rt_spawn(a.rt, &asker_kind, 0, &k, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 5000), 1);
	ck_assert_int_eq(probe_val(&P, 0), EHOSTUNREACH);
	node_down(&b);
	node_down(&a);
}
END_TEST

/* A secret is required once a URL leaves the machine. */
START_TEST(no_secret_off_loopback_refused)
{
	struct rt_config cfg = { .node_id = 1,
		                 .node_name = "one",
		                 .workers = 1 };
	const char *peer = "tcp://192.0.2.1:19343";
	struct cluster_config open = { .listen = "tcp://0.0.0.0:19341" };
	struct cluster_config far = { .listen = "tcp://127.0.0.1:19342",
		                      .peers = &peer,
		                      .n_peers = 1 };
	struct cluster *cl = NULL;
	rt *r;

	ck_assert_int_eq(rt_alloc(&r, &cfg), 0);
	ck_assert_int_eq(rt_start(r), 0);
	ck_assert_int_eq(cluster_start(&cl, r, &open), EPERM);
	ck_assert_int_eq(cluster_start(&cl, r, &far), EPERM);
	open.secret = "a secret of at least 16 bytes";
	ck_assert_int_eq(cluster_start(&cl, r, &open), 0);
	rt_shutdown(r);
	cluster_free(cl);
	rt_free(r);
}
END_TEST

/* A peer learned from its hello is forgotten when silent for three dead
 * times (900 ms here), and learned again, in the same slot, when it is
 * back. */
START_TEST(learned_peer_forgotten_and_learned_again)
{
	struct node a, b;

	node_up(&a, 1, "tcp://127.0.0.1:19351", "tcp://127.0.0.1:19352");
	node_up(&b, 2, "tcp://127.0.0.1:19352", NULL); /* learns node 1 */
	wait_linked(&b, 1);
	ck_assert_uint_eq(n_peers(&b), 1);
	node_down(&a);
	for (int i = 0; i < 100 && n_peers(&b); i++)
		usleep(50 * 1000);
	ck_assert_uint_eq(n_peers(&b), 0);
	node_up(&a, 1, "tcp://127.0.0.1:19351", "tcp://127.0.0.1:19352");
	wait_linked(&b, 1);
	wait_linked(&a, 2);
	ck_assert_uint_eq(n_peers(&b), 1);
	node_down(&b);
	node_down(&a);
}
END_TEST

/* A stream of requests across the link, one after the other, for many
 * heartbeats: every one is answered. */
struct streamer {
	rt_addr target;
	long left, failed;
};

static void stream_next(rt_actor *a, struct streamer *st);

static void
streamed(rt_actor *a, int err, const Pbx__Envelope *r, void *arg)
{
	struct streamer *st = arg;

	(void)r;
	if (err)
		st->failed++;
	stream_next(a, st);
}

static void
stream_next(rt_actor *a, struct streamer *st)
{
	Pbx__Ping *p;
	rt_msg *m;

	if (st->left-- == 0) {
		probe_set(&P, 0, st->failed);
		probe_add(&P, 0, 1);
		return;
	}
	m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 8, &p);
	p->seq = 77;
	p->payload.data = rt_msg_memdup(m, "hello", 5);
	p->payload.len = 5;
	if (rt_request(a, st->target, m, 2000, streamed, st) != 0) {
		rt_msg_free(m);
		st->failed++;
		probe_set(&P, 0, st->failed);
		probe_add(&P, 0, 1);
	}
}

static int
streamer_init(rt_actor *a, void *arg)
{
	stream_next(a, arg);
	return 0;
}

static const rt_kind streamer_kind = { .name = "streamer",
	                               .init = streamer_init };

/* Every frame moves the receiver's last_heard on while the heartbeat
 * timer checks it: the timer once read the clock first, saw the silence
 * negative (that is, huge) and took a busy link down (and forgot a busy
 * learned peer). 16 streams of 5000 requests span many heartbeats of
 * 100 ms. */
START_TEST(busy_link_stays_up)
{
	struct node a, b;
	struct streamer st[16];
	rt_addr echo, x;
	long failed = 0;

	probe_init(&P);
	node_up(&a, 1, "tcp://127.0.0.1:19361", "tcp://127.0.0.1:19362");
	node_up(&b, 2, "tcp://127.0.0.1:19362", NULL); /* learns node 1 */
	wait_linked(&a, 2);
	wait_linked(&b, 1);
	ck_assert_int_eq(rt_spawn(b.rt, &echo_kind, 1, NULL, &echo), 0);
	for (int i = 0; i < 16; i++) {
		st[i] = (struct streamer){ .target = echo, .left = 5000 };
		ck_assert_int_eq(
		    rt_spawn(a.rt, &streamer_kind, (uint32_t)i % 2, &st[i], &x),
		    0);
	}
	ck_assert_int_eq(probe_wait(&P, 0, 16, 120000), 16);
	for (int i = 0; i < 16; i++)
		failed += st[i].failed;
	ck_assert_int_eq(failed, 0);
	ck_assert(linked(&a, 2));
	ck_assert(linked(&b, 1));
	node_down(&b);
	node_down(&a);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("links");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, request_reply_across_nodes_like_local);
	tcase_add_test(tc, unreachable_node_fails_at_once);
	tcase_add_test(tc, link_down_and_back);
	tcase_add_test(tc, different_secrets_never_link);
	tcase_add_test(tc, no_secret_off_loopback_refused);
	tcase_add_test(tc, learned_peer_forgotten_and_learned_again);
	tcase_add_test(tc, busy_link_stays_up);
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
