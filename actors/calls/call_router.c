/*
 * The call router, one per worker (id SIP_ID_CALLS): the user of every new
 * INVITE's server transaction. It answers 100 Trying at once, admits the
 * call by its profile (the listener it came in on) -- a digest challenge
 * (407) and check against the directory on a profile with `auth`, the ACL
 * on the others (403) -- and spawns the A-leg channel, which takes the
 * transaction over. It also answers the admin's questions about the calls
 * of its worker (list, hang up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "log.h"
#include "q850.h"
#include "sip_reply.h"

struct router {
	struct calls *g;
};

/* The caller's number and name: the directory's, else From's. */
static void
caller_id(struct chan_a_arg *ca, const struct sip_msg *m)
{
	size_t l;

	if (ca->user) {
		snprintf(ca->caller_number, sizeof(ca->caller_number), "%s",
		         ca->user->number ? ca->user->number : ca->user->id);
		snprintf(ca->caller_name, sizeof(ca->caller_name), "%s",
		         ca->user->display_name ? ca->user->display_name
		                                : ca->caller_number);
		return;
	}
	if (sip_uri_unescape(ca->caller_number, sizeof(ca->caller_number) - 1,
	                     &l, &m->from.uri.user) != 0)
		l = 0;
	ca->caller_number[l] = '\0';
	if (!m->from.dname.l ||
	    sip_qstr_unescape(ca->caller_name, sizeof(ca->caller_name) - 1, &l,
	                      &m->from.dname) != 0)
		snprintf(ca->caller_name, sizeof(ca->caller_name), "%s",
		         ca->caller_number);
	else
		ca->caller_name[l] = '\0';
}

/* A response to the INVITE through its server transaction r->txn (the To
 * tag is the transaction's): `extra` holds whole header lines, `hdrs` may
 * append more. */
static void
respond(rt_actor *a, const Pbx__SipRequest *r, const struct sip_msg *msg,
        uint16_t code, const char *reason, const char *extra,
        int (*hdrs)(struct sip_buf *b, void *arg), void *arg)
{
	rt_addr txn = rt_addr_from_pb(r->txn);
	struct pl totag;
	Pbx__SipResponse *resp;
	struct sip_buf b;
	char buf[8192], *out, *heap, tag[24];
	size_t n = sizeof(buf);
	struct sip_reply rp;
	rt_msg *m;
	int err = ENOMEM;

	sip_make_tag(tag, sizeof(tag), txn, msg->cseq);
	totag = pl_from_str(tag);
	rp = (struct sip_reply){ .req = msg,
		                 .flow = r->flow,
		                 .code = code,
		                 .reason = reason,
		                 .totag = &totag,
		                 .extra = extra,
		                 .hdrs = hdrs,
		                 .arg = arg };
	/* an answer repeats the request's headers: room for a large one */
	if ((out = sip_answer_room(msg, buf, &n, &heap))) {
		sip_buf_init(&b, out, n);
		err = sip_reply_build(&b, &rp);
	}
	if (err) {
		sip_reply_cannot(&rp, err);
		free(heap);
		return;
	}
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_RESPONSE, b.pos, &resp);
	if (m) {
		resp->data.data = rt_msg_memdup(m, out, b.pos);
		resp->data.len = b.pos;
		if (rt_send(a, txn, m) != 0)
			rt_msg_free(m);
	}
	free(heap);
}

static bool
check_session_expires(rt_actor *a, struct calls *g, const Pbx__SipRequest *r,
                      const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	struct sip_session_expires se;
	char extra[64];

	if (!h || sip_session_expires_decode(&se, &h->val) != 0 ||
	    se.delta >= g->cf->calls.min_se)
		return true;
	/* RFC 4028 §8.1: too small an interval */
	snprintf(extra, sizeof(extra), "Min-SE: %u\r\n", g->cf->calls.min_se);
	respond(a, r, m, 422, "Session Interval Too Small", extra, NULL, NULL);
	return false;
}

static void
on_invite(rt_actor *a, struct router *w, const Pbx__Envelope *env)
{
	const Pbx__SipRequest *r = env->sip_request;
	struct calls *g = w->g;
	unsigned pi;
	const struct conf_profile *p;
	struct sockaddr_storage ss;
	struct chan_a_arg *ca;
	rt_addr chan;
	struct sip_msg m;
	size_t l;

	/* the SIP core always sets the flow; anything else did not come from
	 * it, and without a flow there is nowhere to answer */
	if (!r || !r->flow || r->flow->listener >= SIP_MAX_LISTEN) {
		rt_warn("call router: request without a valid flow, dropped");
		return;
	}
	pi = g->s->profile[r->flow->listener];
	p = &g->cf->profiles[pi];

	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &g->s->limits) != 0 ||
	    m.meth != SIP_METHOD_INVITE)
		return;
	respond(a, r, &m, 100, NULL, NULL, NULL, NULL);
	if (sip_flow_remote(r->flow, &ss) != 0 ||
	    !conf_acl_allows(p, (const struct sockaddr *)&ss)) {
		char from[64];

		sip_flow_text(from, sizeof(from), r->flow);
		rt_info("INVITE from %s refused by the ACL of profile %s", from,
		        p->name);
		respond(a, r, &m, 403, "Forbidden By ACL", NULL, NULL, NULL);
		return;
	}
	if (g->cf->calls.max_calls &&
	    atomic_load_explicit(&g->n_active, memory_order_relaxed) >=
	        g->cf->calls.max_calls) {
		respond(a, r, &m, 503, "Too Many Calls", "Retry-After: 5\r\n",
		        NULL, NULL);
		return;
	}
	/* its events (and its record) would be lost */
	if (store_failing(g->store)) {
		rt_warn("INVITE %.*s refused 503: the store is failing",
		        PL_ARG(m.callid));
		respond(a, r, &m, 503, "Storage Unavailable",
		        "Retry-After: 5\r\n", NULL, NULL);
		return;
	}
	if (!(ca = calloc(1, sizeof(*ca))))
		return;
	if (p->auth) {
		struct auth_verdict v;
		struct auth_answer an = { g->auth, &v, true, 0 };
		uint64_t now = calls_now_ms();

		auth_decide(g->auth, &m, true, (struct sockaddr *)&ss, g->dir,
		            &m.from.uri.host, now, &v);
		an.now_s = now / 1000;
		switch (v.action) {
		case AUTH_ACCEPT:
			ca->user = v.user;
			break;
		case AUTH_CHALLENGE:
			respond(a, r, &m, 407, NULL, NULL, auth_answer_hdrs,
			        &an);
			free(ca);
			return;
		case AUTH_DROP:
			/* backed off since sip_uas let it through: a
			 * transaction must end, so it is refused */
			respond(a, r, &m, 403, NULL, NULL, NULL, NULL);
			free(ca);
			return;
		default:
			respond(a, r, &m, v.code, v.reason, NULL,
			        auth_answer_hdrs, &an);
			free(ca);
			return;
		}
	}
	if (!check_session_expires(a, g, r, &m)) {
		free(ca);
		return;
	}
	ca->g = g;
	ca->profile = pi;
	caller_id(ca, &m);
	{
		struct sip_uri u;

		if (sip_uri_decode(&u, &m.ruri) != 0 ||
		    sip_uri_unescape(ca->destination,
		                     sizeof(ca->destination) - 1, &l,
		                     &u.user) != 0)
			l = 0;
		ca->destination[l] = '\0';
	}
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		          ca->network_addr, sizeof(ca->network_addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		          ca->network_addr, sizeof(ca->network_addr));
	if (!(ca->req = sip_request_copy(r))) {
		free(ca);
		return;
	}
	if (rt_spawn(rt_of(a), &channel_kind, rt_self(a).worker, ca, &chan) !=
	    0)
		respond(a, r, &m, 500, "No Channel", NULL, NULL, NULL);
}

/* A response without a transaction (calls_stateless): the To tag is a
 * hash of the request, the same for its retransmissions. */
static void
reply_stateless(rt_actor *a, struct sip_stack *s, const struct sip_msg *msg,
                const Pbx__SipFlow *flow, uint16_t code, const char *reason,
                int (*hdrs)(struct sip_buf *b, void *arg), void *arg)
{
	char tag[24];
	struct pl totag;

	sip_stable_tag(tag, sizeof(tag), rt_self(a).node, msg);
	totag = pl_from_str(tag);
	sip_reply_send(s, a,
	               &(struct sip_reply){ .req = msg,
	                                    .flow = flow,
	                                    .code = code,
	                                    .reason = reason,
	                                    .totag = &totag,
	                                    .hdrs = hdrs,
	                                    .arg = arg });
}

bool
calls_stateless(rt_actor *a, struct sip_stack *s, const struct sip_msg *msg,
                const Pbx__SipFlow *flow)
{
	struct calls *g = s->calls;
	const struct conf_profile *p;
	struct sockaddr_storage ss;
	struct auth_verdict v;
	struct auth_answer an = { g->auth, &v, true, 0 };
	struct sip_auth h;
	uint32_t nc;
	uint64_t now = calls_now_ms();

	if (flow->listener >= SIP_MAX_LISTEN || sip_flow_remote(flow, &ss) != 0)
		return false; /* the router decides */
	p = &g->cf->profiles[s->profile[flow->listener]];
	if (!conf_acl_allows(p, (const struct sockaddr *)&ss)) {
		char from[64];

		sip_flow_text(from, sizeof(from), flow);
		rt_info("INVITE from %s refused by the ACL of profile %s", from,
		        p->name);
		reply_stateless(a, s, msg, flow, 403, "Forbidden By ACL", NULL,
		                NULL);
		return true;
	}
	if (!p->auth)
		return false;
	if (auth_limits_source(g->auth->limits, (const struct sockaddr *)&ss,
	                       now))
		return true; /* a source backed off: ignored */
	if (auth_creds(g->auth, msg, true, &h, &nc) != ENOENT)
		return false; /* credentials: the router checks them */
	memset(&v, 0, sizeof(v));
	v.action = AUTH_CHALLENGE;
	an.now_s = now / 1000;
	reply_stateless(a, s, msg, flow, 407, NULL, auth_answer_hdrs, &an);
	return true;
}

static void
on_list(rt_actor *a, struct router *w, const Pbx__Envelope *env)
{
	struct call_list *l = &w->g->lists[rt_self(a).worker];
	Pbx__CallsListReply *rep;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_CALLS_LIST_REPLY,
	                       l->n * (sizeof(Pbx__CallInfo) + 600) + 64, &rep);
	size_t i = 0;

	if (!m)
		return;
	rep->calls = rt_msg_alloc(m, (l->n + 1) * sizeof(*rep->calls));
	for (struct call_entry *e = l->head; e && rep->calls; e = e->next) {
		Pbx__CallInfo *ci = rt_msg_alloc(m, sizeof(*ci));

		if (!ci)
			break;
		pbx__call_info__init(ci);
		ci->id = rt_msg_strdup(m, e->id);
		ci->caller_number = rt_msg_strdup(m, e->caller_number);
		ci->caller_name = rt_msg_strdup(m, e->caller_name);
		ci->destination = rt_msg_strdup(m, e->destination);
		ci->callee = rt_msg_strdup(m, e->callee);
		ci->state = rt_msg_strdup(m, e->state ? e->state : "");
		ci->profile = rt_msg_strdup(m, e->profile ? e->profile : "");
		ci->sip_call_id = rt_msg_strdup(m, e->sip_call_id);
		ci->started_ms = e->started_ms;
		ci->answered_ms = e->answered_ms;
		ci->node = rt_self(a).node;
		rep->calls[i++] = ci;
	}
	rep->n_calls = rep->calls ? i : 0;
	if (rt_reply(a, env, m) != 0)
		rt_msg_free(m);
}

static void
on_hangup(rt_actor *a, struct router *w, const Pbx__Envelope *env)
{
	struct call_list *l = &w->g->lists[rt_self(a).worker];
	const Pbx__CallHangup *h = env->call_hangup;
	Pbx__CallHangupReply *rep;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY, 0, &rep);

	if (!m)
		return;
	for (struct call_entry *e = l->head; e; e = e->next)
		if (h->id && strcmp(e->id, h->id) == 0) {
			Pbx__Leg *lg;
			rt_msg *x = rt_msg_new(PBX__ENVELOPE__BODY_LEG, 0, &lg);

			if (x) {
				lg->kind = PBX__LEG_KIND__LEG_HANGUP;
				lg->cause =
				    h->cause ? h->cause : Q850_NORMAL_CLEARING;
				if (rt_send(a, e->chan, x) != 0)
					rt_msg_free(x);
			}
			rep->found = true;
			break;
		}
	if (rt_reply(a, env, m) != 0)
		rt_msg_free(m);
}

static int
router_init(rt_actor *a, void *arg)
{
	struct router *w = rt_state(a);

	w->g = arg;
	return 0;
}

static void
router_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct router *w = rt_state(a);

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_REQUEST:
		on_invite(a, w, env);
		break;
	case PBX__ENVELOPE__BODY_CALLS_LIST:
		if (env->calls_list && env->calls_list->node_wide)
			calls_list_node(a, env);
		else
			on_list(a, w, env);
		break;
	case PBX__ENVELOPE__BODY_CALL_HANGUP:
		if (env->call_hangup && env->call_hangup->node_wide)
			calls_list_node(a, env);
		else
			on_hangup(a, w, env);
		break;
	case PBX__ENVELOPE__BODY_CALL_LEG_START:
		calls_remote_leg_start(a, w->g, env);
		break;
	default:
		break;
	}
}

const rt_kind call_router_kind = {
	.name = "call-router",
	.size = sizeof(struct router),
	.init = router_init,
	.handle = router_handle,
};
