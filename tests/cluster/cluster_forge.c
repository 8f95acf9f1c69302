/*
 * An attacker on the cluster port: a raw nng client that sends pbxd what a
 * node would never send it. Each mode is one attack; the script around it
 * (cluster_attacks.sh) checks that pbxd refused it and is still whole.
 *
 *   cluster_forge URL NODE legacy AOR      the wire before frames existed:
 *       Unregister AOR, Exit to the admin actor, a SipRequest without a
 *       flow to every call router, no hello at all
 *   cluster_forge URL NODE badmac AOR      the same, and a hello, in frames
 *       sealed with a key that is not the cluster secret
 *   cluster_forge URL NODE hellos N        N hellos from made-up nodes,
 *       sealed with a wrong key
 *   cluster_forge URL NODE unbound AOR SECRET   the right key, but the
 *       frames do not name pbxd's nonce (no hello exchanged first)
 *   cluster_forge URL NODE learn N SECRET  N hellos with the right key from
 *       made-up nodes (the peer table must stay bounded)
 *   cluster_forge URL NODE authed AOR SECRET LISTEN   a full handshake as a
 *       peer listening on LISTEN, then the attacks (refused by the
 *       allow-list), then a Ping to the
 *       node actor: prints "pong" when it is answered, then replays that
 *       Ping's frame and prints "replayed"; then starts a new session under
 *       a new nonce (as after a restart) and replays the old session's
 *       hello
 *
 * NODE is pbxd's node id. Exit status 0 when everything was sent (and, in
 * authed mode, the handshake and the pong happened).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include "../../cluster/cluster_int.h"

#define FORGER_NODE 4242
#define REGISTRAR   9  /* SIP_ID_REGISTRAR */
#define CALL_ROUTER 10 /* SIP_ID_CALLS */
#define WORKERS     2

static nng_socket push;
static uint32_t target;
static struct cluster_key key;
static struct cluster_frame hdr = { .node = FORGER_NODE };

static void
die(const char *what, int rv)
{
	fprintf(stderr, "cluster_forge: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

static rt_addr
me(uint64_t id)
{
	return (rt_addr){ hdr.node, 0, id };
}

static void
append(nng_msg *nm, rt_msg *m, rt_addr to)
{
	rt_msg_set_route(m, me(100), to);
	if (cluster_batch_append(nm, m) != 0)
		exit(1);
	rt_msg_free(m);
}

static void
add_hello(nng_msg *nm, uint32_t node, const char *name, const char *listen)
{
	Pbx__Hello *h;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_HELLO, 256, &h);

	h->node = node;
	h->name = rt_msg_strdup(m, name);
	h->listen = rt_msg_strdup(m, listen);
	h->version = "0.0.0";
	h->proto_version = 1;
	h->incarnation = 1;
	rt_msg_set_route(m, (rt_addr){ node, 0, RT_ID_NODE },
	                 (rt_addr){ 0, 0, 0 });
	if (cluster_batch_append(nm, m) != 0)
		exit(1);
	rt_msg_free(m);
}

static void
add_unregister(nng_msg *nm, const char *aor)
{
	for (uint32_t w = 0; w < WORKERS; w++) {
		Pbx__Unregister *u;
		rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_UNREGISTER, 256, &u);

		u->aor = rt_msg_strdup(m, aor);
		u->contact = "";
		append(nm, m, (rt_addr){ target, w, REGISTRAR });
	}
}

static void
add_exit(nng_msg *nm)
{
	Pbx__Exit *x;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_EXIT, 0, &x);

	x->reason = 1;
	append(nm, m, (rt_addr){ target, 0, RT_ID_ADMIN });
}

static void
add_flowless_invite(nng_msg *nm)
{
	static const char inv[] =
	    "INVITE sip:1001@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-forged\r\n"
	    "From: <sip:1000@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>\r\n"
	    "Call-ID: forged@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
	    "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

	for (uint32_t w = 0; w < WORKERS; w++) {
		Pbx__SipRequest *r;
		rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_REQUEST,
		                       sizeof(inv), &r);

		r->data.data = rt_msg_memdup(m, inv, sizeof(inv) - 1);
		r->data.len = sizeof(inv) - 1;
		append(nm, m, (rt_addr){ target, w, CALL_ROUTER });
	}
}

/* Seal (unless key is NULL: the old wire) and send; nm is consumed. */
static void
send_frame(nng_msg *nm, const struct cluster_key *k)
{
	int rv;

	hdr.counter++;
	if (k && cluster_frame_seal(nm, k, &hdr) != 0)
		exit(1);
	if ((rv = nng_sendmsg(push, nm, 0)) != 0)
		die("send", rv);
}

static nng_msg *
batch(void)
{
	nng_msg *nm;

	if (nng_msg_alloc(&nm, 0) != 0)
		exit(1);
	return nm;
}

static void
attacks(const struct cluster_key *k, const char *aor)
{
	nng_msg *nm = batch();

	add_unregister(nm, aor);
	send_frame(nm, k);
	nm = batch();
	add_exit(nm);
	send_frame(nm, k);
	nm = batch();
	add_flowless_invite(nm);
	send_frame(nm, k);
}

/* The next frame from pbxd (on our pull socket) opened with key; its
 * envelopes one by one to each(), until each() returns true. */
static bool
receive(nng_socket pull, bool (*each)(const Pbx__Envelope *, void *), void *arg,
        struct cluster_frame *f)
{
	nng_msg *nm;
	const uint8_t *p, *end;
	size_t len;
	bool done = false;

	if (nng_recvmsg(pull, &nm, 0) != 0)
		return false;
	if (cluster_frame_open(f, &p, &len, &key, nng_msg_body(nm),
	                       nng_msg_len(nm)) != 0) {
		nng_msg_free(nm);
		return false;
	}
	for (end = p + len; p < end && !done;) {
		uint64_t l = 0;
		unsigned shift = 0;
		rt_msg *m;

		uint8_t b;

		p++; /* the field tag */
		do {
			b = *p++;
			l |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
		} while ((b & 0x80) && p < end);
		if (l > (uint64_t)(end - p))
			break;
		if (rt_msg_unpack(&m, p, (size_t)l) == 0) {
			done = each(rt_msg_env(m), arg);
			rt_msg_free(m);
		}
		p += l;
	}
	nng_msg_free(nm);
	return done;
}

static bool
is_hello(const Pbx__Envelope *e, void *arg)
{
	(void)arg;
	return e->body_case == PBX__ENVELOPE__BODY_HELLO;
}

static bool
is_pong(const Pbx__Envelope *e, void *arg)
{
	return e->body_case == PBX__ENVELOPE__BODY_PONG && e->reply &&
	       e->correlation == *(uint64_t *)arg;
}

static int
authed(const char *aor, const char *listen)
{
	nng_socket pull;
	struct cluster_frame f;
	nng_msg *nm, *copy, *old_hello;
	uint64_t corr = 7;
	Pbx__Ping *ping;
	rt_msg *m;
	int rv, i;

	if ((rv = nng_pull0_open(&pull)) != 0 ||
	    (rv = nng_socket_set_ms(pull, NNG_OPT_RECVTIMEO, 10000)) != 0 ||
	    (rv = nng_listen(pull, listen, NULL, 0)) != 0)
		die("listen", rv);
	/* a hello without pbxd's nonce: pbxd learns us, dials us and says
	 * hello with its nonce, naming ours */
	nm = batch();
	add_hello(nm, hdr.node, "forger", listen);
	send_frame(nm, &key);
	for (i = 0; i < 20; i++)
		if (receive(pull, is_hello, NULL, &f) &&
		    f.peer_nonce == hdr.nonce)
			break;
	if (i == 20) {
		fprintf(stderr, "cluster_forge: no hello from pbxd\n");
		return 1;
	}
	hdr.peer_nonce = f.nonce;
	nm = batch();
	add_hello(nm, hdr.node, "forger", listen);
	hdr.counter++;
	if (cluster_frame_seal(nm, &key, &hdr) != 0 ||
	    nng_msg_dup(&old_hello, nm) != 0)
		return 1;
	if ((rv = nng_sendmsg(push, nm, 0)) != 0)
		die("send", rv);
	printf("authenticated\n");
	attacks(&key, aor);

	nm = batch();
	m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &ping);
	ping->seq = 1;
	rt_msg_env(m)->correlation = corr;
	append(nm, m, (rt_addr){ target, 0, RT_ID_NODE });
	hdr.counter++;
	if (cluster_frame_seal(nm, &key, &hdr) != 0 ||
	    nng_msg_dup(&copy, nm) != 0)
		return 1;
	if ((rv = nng_sendmsg(push, nm, 0)) != 0)
		die("send", rv);
	for (i = 0; i < 50; i++)
		if (receive(pull, is_pong, &corr, &f))
			break;
	if (i == 50) {
		fprintf(stderr, "cluster_forge: no pong\n");
		return 1;
	}
	printf("pong\n");
	if ((rv = nng_sendmsg(push, copy, 0)) != 0)
		die("send", rv);
	printf("replayed\n");
	/* a restart: a new session under a new nonce; then the recorded
	 * hello of the old one, which must not reopen it */
	hdr.nonce ^= 0xffff;
	nm = batch();
	add_hello(nm, hdr.node, "forger", listen);
	send_frame(nm, &key);
	if ((rv = nng_sendmsg(push, old_hello, 0)) != 0)
		die("send", rv);
	printf("old session replayed\n");
	fflush(stdout);
	/* let it arrive before the socket closes */
	usleep(300 * 1000);
	nng_close(pull);
	return 0;
}

static void
set_key(struct cluster_key *k, const char *s)
{
	k->len = strlen(s) < sizeof(k->key) ? strlen(s) : sizeof(k->key);
	memcpy(k->key, s, k->len);
}

int
main(int argc, char **argv)
{
	struct cluster_key wrong;
	const char *mode;
	int rv, rc = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: cluster_forge URL NODE MODE ARG "
		                "[SECRET [LISTEN]]\n");
		return 2;
	}
	target = (uint32_t)strtoul(argv[2], NULL, 10);
	mode = argv[3];
	set_key(&wrong, "not the cluster secret, a guess");
	if (argc > 5)
		set_key(&key, argv[5]);
	hdr.nonce = 0x0123456789abcdefull ^ (uint64_t)getpid();
	if ((rv = nng_push0_open(&push)) != 0 ||
	    (rv = nng_dial(push, argv[1], NULL, 0)) != 0)
		die(argv[1], rv);
	if (strcmp(mode, "legacy") == 0) {
		attacks(NULL, argv[4]);
	} else if (strcmp(mode, "badmac") == 0) {
		nng_msg *nm = batch();

		add_hello(nm, hdr.node, "forger", "tcp://127.0.0.1:9");
		send_frame(nm, &wrong);
		attacks(&wrong, argv[4]);
	} else if (strcmp(mode, "hellos") == 0 || strcmp(mode, "learn") == 0) {
		unsigned n = (unsigned)strtoul(argv[4], NULL, 10);
		bool right = strcmp(mode, "learn") == 0;

		if (right && argc < 6)
			return 2;
		for (unsigned i = 0; i < n; i++) {
			nng_msg *nm = batch();
			char name[32], url[64];

			snprintf(name, sizeof(name), "forged%u", i);
			snprintf(url, sizeof(url), "tcp://127.0.0.1:%u",
			         10000 + i);
			hdr.node = 5000 + i;
			add_hello(nm, hdr.node, name, url);
			send_frame(nm, right ? &key : &wrong);
		}
	} else if (strcmp(mode, "unbound") == 0 && argc > 5) {
		attacks(&key, argv[4]);
	} else if (strcmp(mode, "authed") == 0 && argc > 6) {
		rc = authed(argv[4], argv[6]);
	} else {
		fprintf(stderr, "cluster_forge: unknown mode %s\n", mode);
		return 2;
	}
	/* nng sends in the background: give it time before closing */
	usleep(300 * 1000);
	nng_close(push);
	return rc;
}
