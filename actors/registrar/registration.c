/*
 * The registration actor: one per address-of-record, on the worker that
 * read its first REGISTER (restored at start: on the worker its AOR hashes
 * to; registrar.h). It holds the AOR's bindings, applies authenticated
 * REGISTERs per RFC 3261 §10.3 (registration_binding.c: expiry from the
 * Contact or Expires, 423 below the minimum, Call-ID/CSeq ordering,
 * Contact: * to remove all, RFC 5626 instance/reg-id replacing a device's
 * own binding, a maximum per AOR), writes every change as an event and
 * sends the 200 OK only once the store has committed it (500 if the commit
 * failed). REGISTERs have no transaction: it absorbs their
 * retransmissions. A timer expires bindings, and expiry is an event too.
 * In a cluster it also holds the bindings made through other nodes: it
 * reloads them when the store says the AOR changed, and expires another
 * node's only after a grace (registration_sync.c). Credentials, and their
 * nonce counts, are checked by registrar_admit against what the node
 * accepted (auth.h).
 *
 * An actor without bindings and without a commit pending stops once it has
 * been so for registrar.actor_idle seconds (REGISTERs with junk credentials
 * would otherwise leave one per AOR for good): it leaves the registrars'
 * table first, then for a grace period hands what still reaches it back to
 * its worker's registrar, which finds or spawns the AOR's actor anew.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "registration_int.h"

#define GRACE_MS 2000 /* a retired actor passes on what was on its way */

static void idle_check(rt_actor *a, struct reg *r);

void
reg_expiry_cb(rt_actor *a, void *arg)
{
	struct reg *r = rt_state(a);

	r->timer = 0;
	reg_sync(a, r);
	reg_expire(a, r);
	idle_check(a, r);
}

/* --- the actor ---------------------------------------------------------- */

/* --- REGISTER (RFC 3261 §10.3) ----------------------------------------- */

/* A REGISTER has no transaction: its registration actor is what absorbs
 * retransmissions. A request is known by its Call-ID, From tag and CSeq,
 * and by its top Via (with the branch) and source: a retransmission of one
 * whose 200 waits for its commit is dropped (the 200 follows, as a server
 * transaction in Trying would); of one accepted, answered anew with the
 * current bindings, changing nothing (§10.3 would refuse its CSeq, and its
 * nonce count looks replayed). The same request by another path (another
 * Via) is a merged request (§8.2.2.2): 482, as a transaction would have
 * said. */
static struct req_key
request_key(const struct sip_msg *m, const Pbx__SipFlow *f)
{
	const struct sip_hdr *ci = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	const struct sip_hdr *via = sip_msg_hdr(m, SIP_HDR_VIA);
	struct req_key k;
	uint32_t port = f ? f->remote_port : 0;

	k.merge = RT_HASH_INIT;
	if (ci)
		k.merge = rt_hash(k.merge, ci->val.p, ci->val.l);
	k.merge = rt_hash(k.merge, m->from.tag.p, m->from.tag.l);
	k.full = k.merge;
	if (via)
		k.full = rt_hash(k.full, via->val.p, via->val.l);
	if (f)
		k.full = rt_hash(k.full, f->remote_ip.data, f->remote_ip.len);
	k.full = rt_hash(k.full, &port, sizeof(port));
	return k;
}

/* 200: a retransmission of an accepted request; 100: of one whose commit
 * is pending; 482: merged; 0: neither. */
static uint16_t
seen(const struct reg *r, const struct req_key *k, uint32_t cseq)
{
	for (size_t i = 0; i < r->npend; i++)
		if (r->pend[i].resp && r->pend[i].key.full == k->full &&
		    r->pend[i].key.merge == k->merge && r->pend[i].cseq == cseq)
			return 100;
	for (unsigned i = 0; i < RECENT; i++)
		if (r->recent[i].key.merge == k->merge &&
		    r->recent[i].cseq == cseq)
			return r->recent[i].key.full == k->full ? 200 : 482;
	return 0;
}

static void
forget(struct reg *r, const struct req_key *k)
{
	for (unsigned i = 0; i < RECENT; i++)
		if (r->recent[i].key.merge == k->merge &&
		    r->recent[i].key.full == k->full)
			memset(&r->recent[i], 0, sizeof(r->recent[i]));
}

static void
remember(struct reg *r, const struct req_key *k, uint32_t cseq)
{
	r->recent[r->recent_next].key = *k;
	r->recent[r->recent_next].cseq = cseq;
	r->recent_next = (r->recent_next + 1) % RECENT;
}

struct ok_arg {
	const struct reg *r;
	uint64_t now;
	bool outbound; /* RFC 5626 §6: the client asked for outbound */
};

/* The Date header value, made once a second per thread. */
static const char *
date_now(uint64_t now_ms)
{
	static _Thread_local char date[64];
	static _Thread_local time_t made = -1;
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	if (t != made) {
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		made = t;
	}
	return date;
}

/* 200 OK: every current binding with its remaining expiry, and Date. */
static int
ok_hdrs(struct sip_buf *b, void *arg)
{
	const struct ok_arg *o = arg;
	int err = 0;

	for (size_t i = 0; i < o->r->n && !err; i++) {
		const struct binding *x = &o->r->b[i];
		uint64_t left = x->expires_at > o->now
		                    ? (x->expires_at - o->now + 999) / 1000
		                    : 0;

		if (!left)
			continue; /* another node's, expired, in its grace */
		err = sip_buf_str(b, "Contact: <");
		err = err ? err : sip_buf_str(b, x->contact);
		err = err ? err : sip_buf_str(b, ">;expires=");
		err = err ? err : sip_buf_uint(b, left);
		if (!err && x->instance[0]) {
			err = sip_buf_str(b, ";+sip.instance=\"");
			err = err ? err : sip_buf_str(b, x->instance);
			err = err ? err : sip_buf_str(b, "\";reg-id=");
			err = err ? err : sip_buf_uint(b, x->reg_id);
		}
		err = err ? err : sip_buf_str(b, "\r\n");
	}
	if (!err && o->outbound)
		err = sip_buf_str(b, "Require: outbound\r\n");
	err = err ? err : sip_buf_str(b, "Date: ");
	err = err ? err : sip_buf_str(b, date_now(o->now));
	return err ? err : sip_buf_str(b, "\r\n");
}

static void
refuse(rt_actor *a, struct reg *r, const Pbx__SipPacket *q,
       const struct sip_msg *msg, uint16_t code, const char *reason,
       const char *extra)
{
	atomic_fetch_add_explicit(&r->g->n_refused, 1, memory_order_relaxed);
	registrar_respond(a, r->g, q->flow, msg, code, reason, extra, NULL,
	                  NULL);
}

static void
on_register(rt_actor *a, struct reg *r, const Pbx__SipPacket *q)
{
	struct sip_msg msg;
	struct reg_scratch sc;
	struct auth_creds cr;
	struct change_set *cs = NULL;
	struct binding *nb = NULL;
	const char *reason = NULL;
	char extra[64], out[16384];
	struct ok_arg oa;
	size_t nn = r->n, len;
	uint16_t code;
	struct req_key key;
	struct reg_rules rules;

	if (!registrar_screen(a, r->g, &msg, q))
		return;
	reg_sync(a, r); /* what other nodes did to the AOR */
	key = request_key(&msg, q->flow);
	switch (seen(r, &key, msg.cseq)) {
	case 100:
		return; /* its 200 leaves after the commit */
	case 200:
		oa = (struct ok_arg){ r, registrar_now_ms(), false };
		if (registrar_build(a, out, sizeof(out), &len, &msg, q->flow,
		                    200, NULL, NULL, ok_hdrs, &oa) == 0)
			sip_send_response(r->g->s, a, q->flow, out, len);
		return;
	case 482:
		registrar_respond(a, r->g, q->flow, &msg, 482, NULL, NULL, NULL,
		                  NULL);
		return;
	}
	if (!registrar_admit(a, r->g, q->flow, &msg, &cr))
		return;
	cs = reg_scratch_cs(&sc, r->cap + 8);
	nb = reg_scratch_nb(&sc, r->cap);
	if (!cs || !nb) {
		refuse(a, r, q, &msg, 500, NULL, NULL);
		goto out;
	}
	if (r->n)
		memcpy(nb, r->b, r->n * sizeof(*nb));
	rules = (struct reg_rules){ r->g->cfg, r->cap, registrar_now_ms(),
		                    rt_self(a).node };
	code = reg_plan(&rules, &msg, q->flow, nb, &nn, cs, &reason);
	if (code == 423) {
		snprintf(extra, sizeof(extra), "Min-Expires: %u\r\n",
		         r->g->cfg->min_expires);
		refuse(a, r, q, &msg, 423, NULL, extra);
		goto out;
	}
	if (!code && reg_reserve(r, nn) != 0)
		code = 500;
	if (code) {
		refuse(a, r, q, &msg, code, reason, NULL);
		goto out;
	}
	if (nn)
		memcpy(r->b, nb, nn * sizeof(*nb));
	r->n = nn;
	reg_arm(a, r);
	oa = (struct ok_arg){ r, registrar_now_ms(), false };
	/* RFC 5626 §6: a client supporting outbound that registered with
	 * reg-id gets "Require: outbound" back */
	if (sip_msg_has_token(&msg, SIP_HDR_SUPPORTED, "outbound"))
		for (size_t i = 0; i < cs->n; i++)
			if (cs->c[i].kind != REMOVED && cs->c[i].b.reg_id)
				oa.outbound = true;
	if (registrar_build(a, out, sizeof(out), &len, &msg, q->flow, 200, NULL,
	                    NULL, ok_hdrs, &oa) != 0)
		goto out;
	atomic_fetch_add_explicit(&r->g->n_ok, 1, memory_order_relaxed);
	remember(r, &key, msg.cseq);
	for (size_t i = 0; i < cs->n; i++)
		rt_info("%s: %s -> %s",
		        cs->c[i].kind == ADDED     ? "registered"
		        : cs->c[i].kind == REMOVED ? "unregistered"
		                                   : "refreshed",
		        r->aor, cs->c[i].b.contact);
	if (cs->n == 0) { /* a query, or nothing to store */
		sip_send_response(r->g->s, a, q->flow, out, len);
		goto out;
	}
	/* answer after the commit that holds the events */
	struct pending *p = realloc(r->pend, (r->npend + 1) * sizeof(*p));
	uint64_t corr = ++r->next_corr;

	if (!p || reg_append(a, r->g->store, r->aor, cs, corr) != 0) {
		if (p)
			r->pend = p;
		refuse(a, r, q, &msg, 500, "Storage Unavailable", NULL);
		goto out;
	}
	r->pend = p;
	p = &r->pend[r->npend++];
	memset(p, 0, sizeof(*p));
	p->corr = corr;
	reg_flow_in(&p->flow, q->flow);
	p->key = key;
	p->cseq = msg.cseq;
	p->resp = malloc(len);
	p->len = p->resp ? len : 0;
	if (p->resp)
		memcpy(p->resp, out, len);
out:
	reg_scratch_free(&sc, cs, nb);
}

static int
reg_init(rt_actor *a, void *arg)
{
	struct reg *r = rt_state(a);
	struct registration_arg *ra = arg;
	int err;

	r->g = ra->g;
	snprintf(r->aor, sizeof(r->aor), "%s", ra->aor);
	free(ra);
	r->cap = r->g->cfg->max_bindings;
	if ((err = reg_load(r)) != 0)
		return err;
	reg_expire(a, r); /* what expired while we were down, and the timer */
	idle_check(a, r);
	return 0;
}

static void
on_committed(rt_actor *a, struct reg *r, uint64_t corr, bool ok)
{
	for (size_t i = 0; i < r->npend; i++) {
		struct pending *p = &r->pend[i];
		char failed[16384];
		Pbx__SipFlow f;
		Pbx__Addr conn;
		size_t len;

		if (p->corr != corr)
			continue;
		if (!p->resp) {
			Pbx__UnregisterResult *u;
			rt_msg *m = rt_msg_new(
			    PBX__ENVELOPE__BODY_UNREGISTER_RESULT, 0, &u);

			if (m) {
				u->removed = ok ? p->removed : 0;
				rt_msg_env(m)->correlation = p->req_corr;
				rt_msg_env(m)->reply = true;
				if (rt_send(a, p->admin, m) != 0)
					rt_msg_free(m);
			}
			r->pend[i] = r->pend[--r->npend];
			return;
		}
		reg_flow_out(&f, &conn, &p->flow);
		if (ok) {
			sip_send_response(r->g->s, a, &f, p->resp, p->len);
		} else {
			len = reg_failed_response(failed, sizeof(failed),
			                          p->resp, p->len);
			forget(r, &p->key);
			rt_err("store commit failed: REGISTER for %s answered "
			       "500",
			       r->aor);
			if (len)
				sip_send_response(r->g->s, a, &f, failed, len);
		}
		free(p->resp);
		r->pend[i] = r->pend[--r->npend];
		return;
	}
}

static void
on_unregister(rt_actor *a, struct reg *r, const Pbx__Envelope *env)
{
	const char *contact = env->unregister->contact;
	struct change_set *cs = reg_cs_new(r->n + 1);
	struct pending *p;
	size_t k = 0;

	if (!cs)
		return;
	reg_sync(a, r); /* bindings made through other nodes too */
	for (size_t i = 0; i < r->n; i++) {
		if ((!contact[0] || strcmp(contact, r->b[i].contact) == 0) &&
		    cs->n < cs->cap) {
			cs->c[cs->n].kind = REMOVED;
			cs->c[cs->n++].b = r->b[i];
			rt_info("unregistered by the operator: %s -> %s",
			        r->aor, r->b[i].contact);
		} else {
			r->b[k++] = r->b[i];
		}
	}
	r->n = k;
	reg_arm(a, r);
	p = realloc(r->pend, (r->npend + 1) * sizeof(*p));
	if (p) {
		r->pend = p;
		p = &r->pend[r->npend];
		memset(p, 0, sizeof(*p));
		p->corr = ++r->next_corr;
		p->admin = rt_addr_from_pb(env->from);
		p->req_corr = env->correlation;
		p->removed = (uint32_t)cs->n;
		if (cs->n == 0 ||
		    reg_append(a, r->g->store, r->aor, cs, p->corr) != 0) {
			/* nothing to store: answer now */
			r->npend++;
			on_committed(a, r, p->corr, cs->n == 0);
		} else {
			r->npend++;
		}
	}
	free(cs);
}

/* --- stopping when idle ------------------------------------------------ */

static void
retire_cb(rt_actor *a, void *arg)
{
	rt_stop(a, 0);
}

static void
idle_cb(rt_actor *a, void *arg)
{
	struct reg *r = rt_state(a);

	r->idle_timer = 0;
	if (r->n || r->npend)
		return;
	/* no registrar finds it from now on; what one sent before arrives
	 * within the grace period and goes back to be dispatched anew */
	pthread_mutex_lock(&r->g->aors_mu);
	txn_table_drop(&r->g->aors, rt_self(a));
	pthread_mutex_unlock(&r->g->aors_mu);
	r->retired = true;
	rt_debug("registration %s: no bindings, idle: stopping", r->aor);
	rt_timer_start(a, GRACE_MS, retire_cb, NULL);
}

/* After each message: the idle timer runs while there is nothing to keep
 * (no binding, no commit pending), from the last message on. */
static void
idle_check(rt_actor *a, struct reg *r)
{
	if (r->retired)
		return;
	if (r->idle_timer) {
		rt_timer_cancel(a, r->idle_timer);
		r->idle_timer = 0;
	}
	if (!r->n && !r->npend)
		r->idle_timer = rt_timer_start(
		    a, (uint64_t)r->g->cfg->actor_idle * 1000, idle_cb, NULL);
}

/* A retired actor's mail: REGISTERs back to the registrar of this worker
 * (uncopied), an operator's unregister answered (no bindings here). */
static void
retired_handle(rt_actor *a, const Pbx__Envelope *env)
{
	rt_addr to = rt_self(a);
	Pbx__UnregisterResult *u;
	rt_msg *m;

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET:
		to.id = SIP_ID_REGISTRAR;
		if ((m = rt_take(a)) && rt_send(a, to, m) != 0)
			rt_msg_free(m);
		break;
	case PBX__ENVELOPE__BODY_UNREGISTER:
		m = rt_msg_new(PBX__ENVELOPE__BODY_UNREGISTER_RESULT, 0, &u);
		if (m && rt_reply(a, env, m) != 0)
			rt_msg_free(m);
		break;
	default:
		break;
	}
}

static void
reg_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct reg *r = rt_state(a);

	if (r->retired) {
		retired_handle(a, env);
		return;
	}
	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET:
		on_register(a, r, env->sip_packet);
		break;
	case PBX__ENVELOPE__BODY_UNREGISTER:
		on_unregister(a, r, env);
		break;
	case PBX__ENVELOPE__BODY_REGISTRATION_SYNC:
		reg_sync(a, r);
		reg_expire(a, r);
		break;
	case PBX__ENVELOPE__BODY_STORE_COMMITTED:
		on_committed(a, r, env->correlation, true);
		if (r->stale && !r->npend)
			reg_sync(a, r); /* deferred while we were ahead */
		break;
	case PBX__ENVELOPE__BODY_STORE_FAILED:
		on_committed(a, r, env->correlation, false);
		if (r->stale && !r->npend)
			reg_sync(a, r);
		break;
	default:
		break;
	}
	idle_check(a, r);
}

static void
reg_fini(rt_actor *a, int reason)
{
	struct reg *r = rt_state(a);

	for (size_t i = 0; i < r->npend; i++)
		free(r->pend[i].resp);
	free(r->pend);
	free(r->b);
}

const rt_kind registration_kind = {
	.name = "registration",
	.size = sizeof(struct reg),
	.init = reg_init,
	.handle = reg_handle,
	.fini = reg_fini,
};
