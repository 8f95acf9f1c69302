/*
 * The registration actor's bindings: conversions to and from protobuf, and
 * RFC 3261 §10.3 applied to an AOR's bindings for one REGISTER (reg_plan),
 * which depends on nothing but its arguments.
 */
#include <string.h>
#include <strings.h>

#include "registration_int.h"

void
reg_cpy(char *dst, size_t n, const char *p, size_t l)
{
	if (l >= n)
		l = n - 1;
	memcpy(dst, p ? p : "", p ? l : 0);
	dst[p ? l : 0] = '\0';
}

void
reg_flow_in(struct flowc *f, const Pbx__SipFlow *p)
{
	memset(f, 0, sizeof(*f));
	if (!p)
		return;
	f->transport = p->transport;
	f->listener = p->listener;
	f->rport = p->remote_port;
	f->lport = p->local_port;
	f->rlen = (uint8_t)(p->remote_ip.len <= 16 ? p->remote_ip.len : 0);
	memcpy(f->rip, p->remote_ip.data, f->rlen);
	f->llen = (uint8_t)(p->local_ip.len <= 16 ? p->local_ip.len : 0);
	memcpy(f->lip, p->local_ip.data, f->llen);
	if (p->conn)
		f->conn = rt_addr_from_pb(p->conn);
}

void
reg_binding_from_pb(struct binding *b, const Pbx__Binding *p)
{
	memset(b, 0, sizeof(*b));
	reg_cpy(b->contact, sizeof(b->contact), p->contact, strlen(p->contact));
	reg_cpy(b->instance, sizeof(b->instance), p->instance,
	        strlen(p->instance));
	b->reg_id = p->reg_id;
	reg_cpy(b->call_id, sizeof(b->call_id), p->call_id, strlen(p->call_id));
	b->cseq = p->cseq;
	b->expires_at = p->expires_at_ms;
	b->updated_at = p->updated_at_ms;
	b->q = p->q;
	reg_flow_in(&b->flow, p->flow);
	b->node = p->node;
	b->origin = p->origin;
	b->seq = p->seq;
	reg_cpy(b->ua, sizeof(b->ua), p->user_agent, strlen(p->user_agent));
}

void
reg_flow_out(Pbx__SipFlow *f, Pbx__Addr *conn, const struct flowc *c)
{
	pbx__sip_flow__init(f);
	f->transport = c->transport;
	f->listener = c->listener;
	f->remote_port = c->rport;
	f->local_port = c->lport;
	f->remote_ip.data = (uint8_t *)c->rip;
	f->remote_ip.len = c->rlen;
	f->local_ip.data = (uint8_t *)c->lip;
	f->local_ip.len = c->llen;
	if (c->conn.id) {
		pbx__addr__init(conn);
		rt_addr_to_pb(conn, c->conn);
		f->conn = conn;
	}
}

void
reg_binding_to_pb(Pbx__Binding *p, Pbx__SipFlow *f, Pbx__Addr *conn,
                  const char *aor, const struct binding *b)
{
	pbx__binding__init(p);
	p->aor = (char *)aor;
	p->contact = (char *)b->contact;
	p->instance = (char *)b->instance;
	p->reg_id = b->reg_id;
	p->call_id = (char *)b->call_id;
	p->cseq = b->cseq;
	p->expires_at_ms = b->expires_at;
	p->updated_at_ms = b->updated_at;
	p->q = b->q;
	p->node = b->node;
	p->user_agent = (char *)b->ua;
	reg_flow_out(f, conn, &b->flow);
	p->flow = f;
}

/* One URI parameter by RFC 3261 §19.1.4: a parameter in both must be
 * equal (case-insensitive); user, ttl, method, maddr and transport must be
 * in both or in neither. */
static bool
param_eq(const struct pl *pa, const struct pl *pb, const char *name,
         bool must_pair)
{
	struct pl va, vb;
	bool ha = sip_param_get(&va, pa, name) == 0;
	bool hb = sip_param_get(&vb, pb, name) == 0;

	if (ha && hb)
		return pl_eqi(&va, &vb);
	return !(must_pair && (ha || hb));
}

/* SIP URI equality (§19.1.4): user exact, host and scheme without case,
 * port present in both or neither, and the parameters that matter. */
static bool
uri_eq(const char *stored, const struct pl *given)
{
	static const char *const paired[] = { "user", "ttl", "method", "maddr",
		                              "transport" };
	struct pl sp = pl_from_str(stored), name, val, rest;
	struct sip_uri a, b;

	if (pl_eq_str(given, stored))
		return true;
	if (sip_uri_decode(&a, &sp) != 0 || sip_uri_decode(&b, given) != 0 ||
	    a.scheme != b.scheme || !pl_eq(&a.user, &b.user) ||
	    !pl_eq(&a.password, &b.password) || !pl_eqi(&a.host, &b.host) ||
	    a.port != b.port)
		return false;
	for (size_t i = 0; i < sizeof(paired) / sizeof(paired[0]); i++)
		if (!param_eq(&a.params, &b.params, paired[i], true))
			return false;
	rest = a.params;
	while (sip_param_next(&name, &val, &rest) == 0) {
		char n[64];

		if (name.l >= sizeof(n))
			continue;
		memcpy(n, name.p, name.l);
		n[name.l] = '\0';
		if (!param_eq(&a.params, &b.params, n, false))
			return false;
	}
	return true;
}

static ssize_t
find(const struct binding *b, size_t n, const struct sip_contact *c)
{
	for (size_t i = 0; i < n; i++) {
		if (c->instance.l ? pl_eq_str(&c->instance, b[i].instance) &&
		                        b[i].reg_id == c->reg_id
		                  : uri_eq(b[i].contact, &c->addr.auri))
			return (ssize_t)i;
	}
	return -1;
}

static void
fill(struct binding *x, const struct sip_contact *c, const struct sip_msg *m,
     const Pbx__SipFlow *flow, uint32_t exp, uint64_t now, uint32_t node)
{
	const struct sip_hdr *ci = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	const struct sip_hdr *ua = sip_msg_hdr(m, SIP_HDR_USER_AGENT);

	reg_cpy(x->contact, sizeof(x->contact), c->addr.auri.p, c->addr.auri.l);
	reg_cpy(x->instance, sizeof(x->instance), c->instance.p, c->instance.l);
	x->reg_id = c->has_reg_id ? c->reg_id : 0;
	reg_cpy(x->call_id, sizeof(x->call_id), ci->val.p, ci->val.l);
	x->cseq = m->cseq;
	x->expires_at = now + (uint64_t)exp * 1000;
	x->updated_at = now;
	x->q = c->has_q ? c->q : 1000;
	reg_flow_in(&x->flow, flow);
	x->node = node;
	x->origin = node; /* this node writes the version */
	x->seq = 0;
	reg_cpy(x->ua, sizeof(x->ua), ua ? ua->val.p : NULL,
	        ua ? ua->val.l : 0);
}

uint64_t
reg_due(const struct binding *b, uint32_t self, uint64_t grace_ms)
{
	if (!b->origin || b->origin == self)
		return b->expires_at;
	return b->expires_at + grace_ms;
}

uint16_t
reg_plan(const struct reg_rules *rr, const struct sip_msg *m,
         const Pbx__SipFlow *flow, struct binding *nb, size_t *nn,
         struct change_set *cs, const char **reason)
{
	const struct conf_registrar *cfg = rr->cfg;
	const struct sip_hdr *eh = sip_msg_hdr(m, SIP_HDR_EXPIRES);
	const struct sip_hdr *ci = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	uint32_t hexp = cfg->default_expires, exp;
	uint64_t now = rr->now;
	uint32_t node = rr->node;
	struct sip_hdr_iter it;
	struct sip_contact c;
	bool star = false;
	unsigned others = 0;
	struct pl v;

	if (eh && sip_expires_decode(&hexp, &eh->val) != 0)
		return *reason = "Bad Expires", 400;
	sip_hdr_iter_init(&it, m, SIP_HDR_CONTACT);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		ssize_t i;

		if (sip_contact_decode(&c, &v) != 0)
			return *reason = "Bad Contact", 400;
		if (c.star) {
			star = true;
			continue;
		}
		others++;
		exp = c.has_expires ? c.expires : hexp;
		if (exp && exp < cfg->min_expires)
			return 423;
		if (exp > cfg->max_expires)
			exp = cfg->max_expires;
		i = find(nb, *nn, &c);
		if (i >= 0 && pl_eq_str(&ci->val, nb[i].call_id) &&
		    m->cseq <= nb[i].cseq)
			return *reason = "Out Of Order CSeq", 500;
		if (cs->n == cs->cap)
			return *reason = "Too Many Contacts", 400;
		if (exp == 0) {
			if (i < 0)
				continue;
			cs->c[cs->n].kind = REMOVED;
			cs->c[cs->n++].b = nb[i];
			nb[i] = nb[--*nn];
		} else if (i >= 0) {
			/* the same binding: matched by URI (§19.1.4), maybe
			 * spelt otherwise, it keeps the contact it was first
			 * stored under, which is its name in the store */
			char keep[sizeof(nb[i].contact)];

			memcpy(keep, nb[i].contact, sizeof(keep));
			fill(&nb[i], &c, m, flow, exp, now, node);
			if (!c.instance.l) /* an instance moves its contact */
				memcpy(nb[i].contact, keep, sizeof(keep));
			cs->c[cs->n].kind = REFRESHED;
			cs->c[cs->n++].b = nb[i];
		} else {
			if (*nn >= rr->cap)
				return *reason = "Too Many Bindings", 403;
			fill(&nb[*nn], &c, m, flow, exp, now, node);
			cs->c[cs->n].kind = ADDED;
			cs->c[cs->n++].b = nb[(*nn)++];
		}
	}
	if (!star)
		return 0;
	/* "Contact: *" stands alone, with Expires: 0 (§10.3 step 6) */
	if (others || !eh || hexp != 0)
		return *reason =
		           "Contact * Needs Expires 0 And No Other Contact",
		       400;
	for (size_t i = 0; i < *nn; i++)
		if (pl_eq_str(&ci->val, nb[i].call_id) && m->cseq <= nb[i].cseq)
			return *reason = "Out Of Order CSeq", 500;
	for (size_t i = 0; i < *nn && cs->n < cs->cap; i++) {
		cs->c[cs->n].kind = REMOVED;
		cs->c[cs->n++].b = nb[i];
	}
	*nn = 0;
	return 0;
}
