/*
 * The SIP ping actor: the transaction user of one OPTIONS request. It sends
 * OPTIONS to a URI with an IP address for host (no DNS yet) over UDP,
 * through a client transaction, and reports the final response or the
 * transaction's failure with the round-trip time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pbx_clock.h"
#include "sip_ping.h"
#include "sip_reply.h"
#include "txn.h"

struct ping {
	struct sip_stack *s;
	rt_addr requester;
	uint64_t corr;
	uint64_t t0;
};

struct ping_arg {
	struct sip_stack *s;
	rt_addr requester;
	uint64_t corr;
	char uri[512];
};

static void
report(rt_actor *a, struct ping *p, uint32_t code, const char *reason,
       const struct pl *server)
{
	Pbx__SipPingResult *r;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PING_RESULT, 512, &r);

	if (m) {
		r->code = code;
		r->reason = rt_msg_strdup(m, reason);
		r->rtt_ns = pbx_mono_ns() - p->t0;
		if (server && server->l) {
			char *sv = rt_msg_alloc(m, server->l + 1);

			memcpy(sv, server->p, server->l);
			sv[server->l] = '\0';
			r->server = sv;
		}
		rt_msg_env(m)->correlation = p->corr;
		if (rt_send(a, p->requester, m) != 0)
			rt_msg_free(m);
	}
	rt_stop(a, 0);
}

/* Where the URI points: an IP literal and a port. */
static int
target(struct sockaddr_storage *ss, const char *text)
{
	struct sip_uri u;
	struct pl pl = pl_from_str(text);
	char host[64];

	if (sip_uri_decode(&u, &pl) != 0 || u.scheme != SIP_SCHEME_SIP ||
	    u.host.l == 0 || u.host.l >= sizeof(host))
		return EINVAL;
	memcpy(host, u.host.p, u.host.l);
	host[u.host.l] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (u.host_ipv6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(u.port ? u.port : 5060);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1
		           ? 0
		           : EAFNOSUPPORT;
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(u.port ? u.port : 5060);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : EAFNOSUPPORT;
}

static int
ping_init(rt_actor *a, void *arg)
{
	struct ping *p = rt_state(a);
	struct ping_arg *pa = arg;
	struct sockaddr_storage ss;
	struct txn_client_arg *ca;
	Pbx__SipFlow *flow;
	char req[2048], tag[24];
	unsigned listener = 0;
	struct sip_buf b;
	rt_msg *keep;
	rt_addr txn;
	int err;

	p->s = pa->s;
	p->requester = pa->requester;
	p->corr = pa->corr;
	p->t0 = pbx_mono_ns();
	err = target(&ss, pa->uri);
	if (err) {
		free(pa);
		report(a, p, 0,
		       err == EINVAL
		           ? "not a sip: URI"
		           : "host must be an IP address (no DNS yet)",
		       NULL);
		return 0;
	}
	while (listener < p->s->n_listen &&
	       p->s->listen[listener].ss.ss_family != ss.ss_family)
		listener++;
	if (listener == p->s->n_listen) {
		free(pa);
		report(a, p, 0, "no listening address of that family", NULL);
		return 0;
	}
	sip_make_tag(tag, sizeof(tag), rt_self(a), p->t0);
	const struct sip_listener *l = &p->s->listen[listener];
	char host[64];

	/* an IPv6 address in a URI is a reference: [::1] */
	snprintf(host, sizeof(host),
	         l->ss.ss_family == AF_INET6 ? "[%s]" : "%s", l->host);
	sip_buf_init(&b, req, sizeof(req));
	err = sip_buf_printf(&b,
	                     "OPTIONS %s SIP/2.0\r\nMax-Forwards: 70\r\n"
	                     "From: <sip:ping@%s:%u>;tag=%s\r\nTo: <%s>\r\n"
	                     "Call-ID: %s@pbx\r\nCSeq: 1 OPTIONS\r\n"
	                     "User-Agent: " SIP_SERVER_NAME "\r\n",
	                     pa->uri, host, l->port, tag, pa->uri, tag);
	free(pa);
	if (err || sip_build_end(&b, NULL, NULL)) {
		report(a, p, 0, "URI too long", NULL);
		return 0;
	}
	keep = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, 64, NULL);
	flow = rt_msg_alloc(keep, sizeof(*flow));
	pbx__sip_flow__init(flow);
	sip_flow_set(keep, flow, SIP_FLOW_UDP, (struct sockaddr *)&ss, listener,
	             p->s);
	ca = txn_client_arg_new(p->s, req, b.pos, flow, rt_self(a));
	rt_msg_free(keep);
	if (!ca || rt_spawn(rt_of(a), &txn_client_kind, rt_self(a).worker, ca,
	                    &txn) != 0) {
		txn_client_arg_free(ca);
		report(a, p, 0, "out of memory", NULL);
	}
	return 0;
}

static void
ping_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct ping *p = rt_state(a);
	struct sip_msg msg;
	const struct sip_hdr *sv;

	if (env->body_case == PBX__ENVELOPE__BODY_SIP_TXN_FAILED) {
		report(a, p, env->sip_txn_failed->code,
		       env->sip_txn_failed->reason, NULL);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_SIP_RESPONSE_IN ||
	    sip_msg_decode(&msg, (const char *)env->sip_response_in->data.data,
	                   env->sip_response_in->data.len,
	                   &p->s->limits) != 0 ||
	    msg.scode < 200)
		return;
	sv = sip_msg_hdr(&msg, SIP_HDR_SERVER);
	if (!sv)
		sv = sip_msg_hdr(&msg, SIP_HDR_USER_AGENT);
	char reason[128];
	snprintf(reason, sizeof(reason), "%.*s", PL_ARG(msg.reason));
	report(a, p, msg.scode, reason, sv ? &sv->val : NULL);
}

const rt_kind sip_ping_kind = {
	.name = "sip-ping",
	.size = sizeof(struct ping),
	.init = ping_init,
	.handle = ping_handle,
};

void *
sip_ping_arg(struct sip_stack *s, const char *uri, rt_addr requester,
             uint64_t correlation)
{
	struct ping_arg *a = calloc(1, sizeof(*a));

	if (a) {
		a->s = s;
		a->requester = requester;
		a->corr = correlation;
		snprintf(a->uri, sizeof(a->uri), "%s", uri);
	}
	return a;
}
