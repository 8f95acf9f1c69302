/*
 * What the cluster link lets through. A peer that holds the secret is still
 * only trusted with the traffic nodes exchange today: the allow-list below
 * names each envelope kind a peer may send and to which actors. Everything
 * else (runtime control such as Exit and Watch, admin, SIP and registrar
 * messages) is refused, so a compromised or buggy peer cannot stop an
 * actor, remove a binding or feed the SIP actors a half-built request.
 * Of the calls, only what a call spanning two nodes needs passes: a B leg
 * asked of a call router, Leg messages between channels, the admin's calls
 * list and hangup.
 *
 * Dropped frames and envelopes are counted by reason and logged at most
 * once a second per reason and envelope kind, so a flood cannot flood the
 * log too, nor hide a different attempt behind it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cluster_int.h"
#include "log.h"

static const char *const drop_names[CLUSTER_DROP_N] = {
	[CLUSTER_DROP_MALFORMED] = "malformed",
	[CLUSTER_DROP_BAD_MAC] = "bad MAC",
	[CLUSTER_DROP_UNAUTH] = "unauthenticated",
	[CLUSTER_DROP_REPLAY] = "replayed",
	[CLUSTER_DROP_REFUSED] = "refused",
	[CLUSTER_DROP_PEERS_FULL] = "peer table full",
};

void
cluster_drop(struct cluster *c, enum cluster_drop why, unsigned kind,
             const char *fmt, ...)
{
	struct cluster_ratelog *rl =
	    &c->drop_log[why][kind < CLUSTER_LOG_KINDS ? kind : 0];
	nng_time now = nng_clock();
	uint64_t quiet;
	char text[256];
	va_list ap;

	atomic_fetch_add(&c->drops[why], 1);
	pthread_mutex_lock(&c->drop_mu);
	if (rl->last && now - rl->last < 1000) {
		rl->quiet++;
		pthread_mutex_unlock(&c->drop_mu);
		return;
	}
	rl->last = now;
	quiet = rl->quiet;
	rl->quiet = 0;
	pthread_mutex_unlock(&c->drop_mu);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rt_warn("cluster: dropped (%s): %s; %" PRIu64
	        " more like it not logged",
	        drop_names[why], text, quiet);
}

void
cluster_stats(struct cluster *c, struct cluster_stats *out)
{
	out->malformed = atomic_load(&c->drops[CLUSTER_DROP_MALFORMED]);
	out->bad_mac = atomic_load(&c->drops[CLUSTER_DROP_BAD_MAC]);
	out->unauthenticated = atomic_load(&c->drops[CLUSTER_DROP_UNAUTH]);
	out->replayed = atomic_load(&c->drops[CLUSTER_DROP_REPLAY]);
	out->refused = atomic_load(&c->drops[CLUSTER_DROP_REFUSED]);
	out->peers_full = atomic_load(&c->drops[CLUSTER_DROP_PEERS_FULL]);
}

/* Targets of a probe: the node actor, or an actor spawned at run time
 * (the echo actors of tests and benchmarks). Never a well-known service
 * such as the admin actor, the registrar or a SIP transport. */
static bool
probe_target(const Pbx__Addr *to)
{
	return to->id == RT_ID_NODE || to->id >= RT_ID_FIRST_DYNAMIC;
}

/* Answers go back to whoever asked: the admin actor (pbxctl ping) or an
 * actor spawned at run time. A reply only completes a request its target
 * has pending; any other is dropped by the runtime. */
static bool
answer_target(const Pbx__Addr *to)
{
	return to->id == RT_ID_ADMIN || to->id >= RT_ID_FIRST_DYNAMIC;
}

/* Channels (and dialogs) are spawned at run time; a well-known service
 * never takes a Leg. */
static bool
channel(const Pbx__Addr *a)
{
	return a->id >= RT_ID_FIRST_DYNAMIC;
}

/* What a call that spans two nodes sends (actors/calls/channel_remote.c):
 * a B leg asked of the call router by a channel, its answer, Leg messages
 * from channel to channel, and the admin's calls list and hangup (a node's
 * admin asks worker 0's router of each peer, which answers it). */
static bool
call_allowed(const Pbx__Envelope *e, const Pbx__Addr *to, const Pbx__Addr *from)
{
	switch (e->body_case) {
	case PBX__ENVELOPE__BODY_CALL_LEG_START:
		return e->call_leg_start && !e->reply && e->correlation &&
		       to->id == RT_ID_CALLS && channel(from);
	case PBX__ENVELOPE__BODY_CALL_LEG_STARTED:
		return e->call_leg_started && e->reply && channel(to);
	case PBX__ENVELOPE__BODY_LEG:
		return e->leg && !e->reply && channel(to) && channel(from);
	case PBX__ENVELOPE__BODY_CALLS_LIST:
		return e->calls_list && !e->reply && e->correlation &&
		       to->id == RT_ID_CALLS && from->id == RT_ID_ADMIN;
	case PBX__ENVELOPE__BODY_CALLS_LIST_REPLY:
		return e->calls_list_reply && e->reply && to->id == RT_ID_ADMIN;
	case PBX__ENVELOPE__BODY_CALL_HANGUP:
		return e->call_hangup && !e->reply && e->correlation &&
		       to->id == RT_ID_CALLS && from->id == RT_ID_ADMIN;
	case PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY:
		return e->call_hangup_reply && e->reply &&
		       to->id == RT_ID_ADMIN;
	default:
		return false;
	}
}

int
cluster_filter(struct cluster *c, uint32_t sender, const Pbx__Envelope *e,
               const char **why)
{
	const Pbx__Addr *to = e->to, *from = e->from;

	if (!to || !from) {
		*why = "no address";
		return EBADMSG;
	}
	if (to->node != rt_node_id(c->rt) || to->worker >= rt_workers(c->rt)) {
		*why = "addressed to another node or no such worker";
		return EBADMSG;
	}
	if (from->node != sender || from->id == 0) {
		*why = "reply address not on the sending node";
		return EBADMSG;
	}
	switch (e->body_case) {
	case PBX__ENVELOPE__BODY_PING:
		if (!e->ping || e->reply || !probe_target(to))
			break;
		return 0;
	case PBX__ENVELOPE__BODY_PONG:
		if (!e->pong || !answer_target(to))
			break;
		return 0;
	case PBX__ENVELOPE__BODY_AUTH_FAILURES:
		/* a peer's wrong-password counts: between the registrars of
		 * worker 0 only, never a reply
		 * (actors/registrar/registrar_share.c) */
		if (!e->auth_failures || e->reply || e->correlation ||
		    to->id != RT_ID_REGISTRAR || to->worker != 0 ||
		    from->id != RT_ID_REGISTRAR)
			break;
		return 0;
	case PBX__ENVELOPE__BODY_REPL_HAVE:
	case PBX__ENVELOPE__BODY_REPL_EVENTS:
	case PBX__ENVELOPE__BODY_REPL_ACK:
		/* log replication: only between the replication actors, from
		 * theirs (an ack names the batch, it is not a reply) */
		if (e->reply || to->id != RT_ID_REPL || from->id != RT_ID_REPL)
			break;
		return 0;
	case PBX__ENVELOPE__BODY_UNDELIVERABLE:
		/* a bounce of our request: completes it at once; or of a Leg
		 * to a channel that is gone: ends that leg */
		if (e->undeliverable && e->correlation && answer_target(to))
			return 0;
		if (e->undeliverable && channel(to) &&
		    e->undeliverable->body_case == PBX__ENVELOPE__BODY_LEG)
			return 0;
		break;
	default:
		if (call_allowed(e, to, from))
			return 0;
		break;
	}
	*why = "kind or target not allowed from a peer";
	return EPERM;
}

/* A node name as node.name allows: 1-63 of A-Z a-z 0-9 . _ - */
static bool
valid_name(const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= max ||
		    !(isalnum((unsigned char)s[n]) || strchr("._-", s[n])))
			return false;
	return n > 0;
}

static bool
printable(const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return true;
	for (; s[n]; n++)
		if (n >= max || !isgraph((unsigned char)s[n]))
			return false;
	return true;
}

/* The host of tcp://HOST:PORT (and its tls/ws/4/6 variants) into host;
 * false for a URL without one. */
static bool
url_host(const char *url, char *host, size_t len)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return false;
	p += 3;
	if (*p == '[') {
		end = strchr(++p, ']');
	} else {
		end = strrchr(p, ':');
	}
	if (!end || (size_t)(end - p) >= len)
		return false;
	memcpy(host, p, (size_t)(end - p));
	host[end - p] = '\0';
	return true;
}

bool
cluster_url_local(const char *url)
{
	char host[128];

	if (strncmp(url, "ipc://", 6) == 0 || strncmp(url, "inproc://", 9) == 0)
		return true;
	if (!url_host(url, host, sizeof(host)))
		return false;
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

int
cluster_hello_check(struct cluster *c, uint32_t sender, const Pbx__Hello *h,
                    const char **why)
{
	static const char *const schemes[] = { "tcp://", "tcp4://", "tcp6://",
		                               "tls+tcp://", "ipc://" };
	bool scheme = false;

	*why = NULL;
	if (!h || h->node == 0 || h->node != sender)
		*why = "node id missing or not the frame's sender";
	else if (!valid_name(h->name, 63))
		*why = "bad node name";
	else if (!printable(h->version, 31))
		*why = "bad version";
	else if (!h->listen || !printable(h->listen, 255))
		*why = "bad listen URL";
	if (*why)
		return EBADMSG;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		scheme = scheme || strncmp(h->listen, schemes[i],
		                           strlen(schemes[i])) == 0;
	if (!scheme) {
		*why = "listen URL of an unsupported scheme";
		return EBADMSG;
	}
	/* the demo secret is known to every local user: never let it make us
	 * dial out of the machine */
	if (c->demo_secret && !cluster_url_local(h->listen)) {
		*why = "non-loopback listen URL under the demo secret";
		return EPERM;
	}
	return 0;
}
