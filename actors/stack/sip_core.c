/*
 * The SIP core actor, one per worker (id SIP_ID_CORE). Every message a
 * transport reads lands here, on the worker its Call-ID belongs to, except
 * a REGISTER with credentials, which goes to the registrar of the worker
 * that read it (registrar.h):
 *
 *  - a message that does not parse: a request gets a stateless 400 whose
 *    reason names the problem; a response is dropped (sip_uas_accept);
 *  - a request with an unknown SIP version: stateless 505;
 *  - a REGISTER: handed by message to this worker's registrar (its
 *    actor id is known, SIP_ID_REGISTRAR; no call into it), which
 *    answers 401 to one without credentials; no transaction either way;
 *  - a request matching a live server transaction (§17.2.3, with the RFC
 *    2543 fallback): handed to that transaction (retransmission or ACK);
 *  - a request merged with one in progress (§8.2.2.2): stateless 482;
 *  - a request the PBX answers itself (OPTIONS, 405, 501, 415...): answered
 *    at once, statelessly (sip_uas.c);
 *  - a CANCEL matching an INVITE transaction: 200, and the transaction
 *    is told (its user, the call's dialog, answers the INVITE 487);
 *  - any other request: a new server transaction whose user is the
 *    worker's call router (a new INVITE) or the dialog its To tag names
 *    (481 if none); an ACK matching no transaction goes to the dialog its
 *    To tag names;
 *  - a response: to the client transaction its Via branch names, looked
 *    up on the worker the branch names; dropped (and counted as bad) when
 *    it names none of ours (on_response).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_reply.h"
#include "sip_uas.h"
#include "txn.h"
#include "txn_table.h"

struct core {
	struct sip_stack *s;
	struct txn_table txns;
	struct txn_table clients; /* by branch; s->clients[our worker] */
	/* a key holds parts of one message, so it is never longer than the
	 * largest message plus separators and numbers: key_room bytes each,
	 * for a request's key, its merge key and its CANCEL's INVITE key */
	size_t key_room;
	char *key, *mkey, *ckey;
};

#define KEY_EXTRA 256 /* separators, numbers, prefixes */

/* A key: parts, each after its separator (none before the first), text
 * or a number; 0 when it does not fit in n. */
struct kpart {
	char sep;
	struct pl s;
	uint64_t num;
	bool is_num;
};

static size_t
key_build(char *k, size_t n, const struct kpart *p, size_t np)
{
	struct sip_buf b;
	int err = 0;

	sip_buf_init(&b, k, n);
	for (size_t i = 0; i < np && !err; i++) {
		if (p[i].sep)
			err = sip_buf_write(&b, &p[i].sep, 1);
		if (!err)
			err = p[i].is_num ? sip_buf_uint(&b, p[i].num)
			                  : sip_buf_pl(&b, &p[i].s);
	}
	return err ? 0 : b.pos;
}

#define KTEXT(c, x)                                                            \
	{                                                                      \
		c, x, 0, false                                                 \
	}
#define KNUM(c, x)                                                             \
	{                                                                      \
		c, PL_INIT, x, true                                            \
	}

/* §17.2.3: branch + sent-by + method (ACK matches its INVITE), and Call-ID
 * and CSeq; without the magic cookie, the RFC 2543 fields. */
static size_t
txn_key(char *k, size_t n, const struct sip_msg *msg,
        const char *method_override)
{
	const struct sip_hdr *ci = sip_msg_hdr(msg, SIP_HDR_CALL_ID);
	const struct sip_via *v = &msg->via; /* the top one, decoded */
	struct pl meth =
	    msg->meth == SIP_METHOD_ACK ? PL("INVITE") : msg->method;
	struct pl cid = ci ? ci->val : (struct pl)PL_INIT;

	if (method_override)
		meth = pl_from_str(method_override);
	/* Call-ID and CSeq number too: every retransmission, its ACK and its
	 * CANCEL share them, and two clients that reuse a branch (RFC 4475's
	 * vectors do) are not merged into one transaction */
	if (v->branch.l > 7 && strncmp(v->branch.p, "z9hG4bK", 7) == 0) {
		const struct kpart p[] = {
			KTEXT(0, PL("b")),    KTEXT('|', v->branch),
			KTEXT('|', v->host),  KNUM(':', v->port),
			KTEXT('|', meth),     KTEXT('|', cid),
			KNUM('|', msg->cseq),
		};

		return key_build(k, n, p, sizeof(p) / sizeof(p[0]));
	}
	/* From as the decoder took it apart */
	const struct kpart p[] = {
		KTEXT(0, PL("o")),     KTEXT('|', cid),
		KNUM('|', msg->cseq),  KTEXT('|', msg->from.tag),
		KTEXT('|', msg->ruri), KTEXT('|', v->host),
		KNUM(':', v->port),    KTEXT('|', meth),
	};

	return key_build(k, n, p, sizeof(p) / sizeof(p[0]));
}

/* §8.2.2.2: From tag, Call-ID and CSeq of a request without To tag. */
static size_t
merge_key(char *k, size_t n, const struct sip_msg *msg)
{
	const struct sip_hdr *ci = sip_msg_hdr(msg, SIP_HDR_CALL_ID);

	if (!ci || pl_isset(&msg->to.tag) || !pl_isset(&msg->from.tag))
		return 0;
	const struct kpart p[] = {
		KTEXT(0, PL("m")),       KTEXT('|', msg->from.tag),
		KTEXT('|', ci->val),     KNUM('|', msg->cseq),
		KTEXT('|', msg->method),
	};

	return key_build(k, n, p, sizeof(p) / sizeof(p[0]));
}

/* Pass the packet being handled on, uncopied. */
static void
forward(rt_actor *a, rt_addr to)
{
	rt_msg *m = rt_take(a);

	if (m && rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

/* A response we drop: counted with the bad messages, and a line (one a
 * second at most: they may come by the thousand). */
static void
stray(struct core *c, const struct sip_msg *msg, const Pbx__SipFlow *f,
      const char *why)
{
	char ft[160];

	atomic_fetch_add_explicit(&c->s->n_bad, 1, memory_order_relaxed);
	sip_flow_text(ft, sizeof(ft), f);
	SIP_WARN_LIMITED("response %u from %s dropped: %s (branch %.*s)",
	                 msg->scode, ft, why,
	                 (int)(msg->via.branch.l < 64 ? msg->via.branch.l : 64),
	                 msg->via.branch.p);
}

/* RFC 3261 §18.1.2, §17.1.3: a response goes to the client transaction
 * whose branch it names, looked up on the worker the branch names (a core
 * forwards it to that worker's core at most once), never anywhere else;
 * one that names none of ours is dropped (no proxy here to pass it on).
 * The transaction then checks it belongs (txn_response_check). */
static void
on_response(rt_actor *a, struct core *c, const struct sip_msg *msg,
            const Pbx__SipFlow *f)
{
	rt_addr self = rt_self(a), to = self;
	uint32_t w;

	if (sip_branch_worker(&msg->via.branch, &w) != 0) {
		stray(c, msg, f, "not our branch");
		return;
	}
	if (w != self.worker) {
		if (w >= rt_workers(rt_of(a))) {
			stray(c, msg, f, "no such worker");
			return;
		}
		to.worker = w; /* that core looks it up: no further hop */
		forward(a, to);
		return;
	}
	if (txn_table_get(&c->clients, msg->via.branch.p, msg->via.branch.l,
	                  &to) != 0) {
		stray(c, msg, f, "no such transaction");
		return;
	}
	forward(a, to);
}

/* The dialog a To tag names. Only a dialog's tag is ours, and a dialog is
 * an actor spawned on this node: a tag naming a well-known actor (this
 * core: an ACK naming it went round this core forever) or another node is
 * not ours. */
static int
dialog_of(rt_actor *a, const struct pl *tag, rt_addr *d)
{
	rt_addr self = rt_self(a);

	if (sip_dialog_tag_decode(tag, d) != 0 || d->node != self.node ||
	    d->worker >= rt_workers(rt_of(a)) || d->id < RT_ID_FIRST_DYNAMIC)
		return ENOENT;
	return 0;
}

/* Who takes a new request: a dialog for one with a To tag (its tag names
 * the dialog's actor), the call router for a new INVITE. false: no user (a
 * To tag that is not ours: 481). */
static bool
user_of(rt_actor *a, struct core *c, const struct sip_msg *msg, rt_addr *tu)
{
	*tu = rt_self(a);
	if (!c->s->calls)
		return false;
	if (pl_isset(&msg->to.tag))
		return dialog_of(a, &msg->to.tag, tu) == 0;
	if (msg->meth == SIP_METHOD_INVITE)
		tu->id = SIP_ID_CALLS;
	return true;
}

/* CANCEL (§9.2): 200 at once, and the INVITE's transaction is told. */
static bool
on_cancel(rt_actor *a, struct core *c, const struct sip_msg *msg,
          const Pbx__SipPacket *p)
{
	size_t kl = txn_key(c->ckey, c->key_room, msg, "INVITE");
	Pbx__SipCancelled *q;
	rt_addr txn;
	rt_msg *m;

	if (!kl || txn_table_get(&c->txns, c->ckey, kl, &txn) != 0)
		return false; /* 481 from the UAS core */
	sip_uas_reply(a, c->s, msg, p->flow, 200, NULL);
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_CANCELLED, p->data.len + 64, &q);
	if (!m)
		return true;
	q->data.data = rt_msg_memdup(m, p->data.data, p->data.len);
	q->data.len = p->data.len;
	if (rt_send(a, txn, m) != 0)
		rt_msg_free(m);
	return true;
}

static void
new_txn(rt_actor *a, struct core *c, const char *key, size_t kl,
        const char *mkey, size_t ml, rt_addr tu)
{
	struct txn_server_arg *sa = malloc(sizeof(*sa));
	rt_addr txn;

	if (!sa)
		return;
	sa->s = c->s;
	sa->req = rt_take(a);
	sa->tu = tu;
	if (!sa->req || rt_spawn(rt_of(a), &txn_server_kind, rt_self(a).worker,
	                         sa, &txn) != 0) {
		rt_msg_free(sa->req);
		free(sa);
		return;
	}
	txn_table_put(&c->txns, key, kl, txn);
	if (ml)
		txn_table_put(&c->txns, mkey, ml, txn);
	rt_watch(a, txn); /* its keys go when it stops */
}

/* A REGISTER with credentials has no transaction: its registration actor
 * answers a retransmission itself (registration.c). It goes, without a
 * copy, to this worker's registrar. Transports send such REGISTERs there
 * at once; this is for what their scan of the raw message did not
 * recognise. */
static void
to_registrar(rt_actor *a)
{
	rt_addr to = rt_self(a);

	to.id = SIP_ID_REGISTRAR;
	forward(a, to);
}

static void
on_packet(rt_actor *a, struct core *c, const Pbx__SipPacket *p)
{
	struct sip_msg msg;
	char *key = c->key, *mkey = c->mkey;
	size_t kl, ml;
	rt_addr txn, tu;

	switch (sip_uas_accept(a, c->s, &msg, p)) {
	case SIP_IN_REQUEST:
		break;
	case SIP_IN_RESPONSE:
		on_response(a, c, &msg, p->flow);
		return;
	default:
		return;
	}
	/* OPTIONS is answered statelessly and never merges with anything
	 * stateful (the merge key names the method): no keys to build; nor
	 * does a REGISTER, which has no transaction */
	if (msg.meth == SIP_METHOD_OPTIONS &&
	    sip_uas_stateless(a, c->s, &msg, p->flow))
		return;
	if (msg.meth == SIP_METHOD_REGISTER) {
		if (!sip_uas_stateless(a, c->s, &msg, p->flow))
			to_registrar(a);
		return;
	}
	kl = txn_key(key, c->key_room, &msg, NULL);
	if (!kl) {
		sip_uas_reply(a, c->s, &msg, p->flow, 400, "Header Too Long");
		return;
	}
	if (txn_table_get(&c->txns, key, kl, &txn) == 0) {
		forward(a, txn);
		return;
	}
	if (msg.meth == SIP_METHOD_ACK) {
		/* an ACK for a 2xx: the dialog's business */
		if (c->s->calls && pl_isset(&msg.to.tag) &&
		    dialog_of(a, &msg.to.tag, &tu) == 0)
			forward(a, tu);
		return;
	}
	if (msg.meth == SIP_METHOD_CANCEL && c->s->calls &&
	    on_cancel(a, c, &msg, p))
		return;
	ml = merge_key(mkey, c->key_room, &msg);
	if (ml && txn_table_get(&c->txns, mkey, ml, &txn) == 0) {
		sip_uas_reply(a, c->s, &msg, p->flow, 482, NULL);
		return;
	}
	/* what the PBX answers itself needs no transaction */
	if (sip_uas_stateless(a, c->s, &msg, p->flow))
		return;
	/* nor does a new INVITE's challenge or ACL refusal (calls.h) */
	if (msg.meth == SIP_METHOD_INVITE && !pl_isset(&msg.to.tag) &&
	    c->s->invite_stateless &&
	    c->s->invite_stateless(a, c->s, &msg, p->flow))
		return;
	if (!user_of(a, c, &msg, &tu)) {
		sip_uas_reply(a, c->s, &msg, p->flow, 481, NULL);
		return;
	}
	new_txn(a, c, key, kl, mkey, ml, tu);
}

static int
core_init(rt_actor *a, void *arg)
{
	struct core *c = rt_state(a);

	c->s = arg;
	c->key_room = c->s->limits.max_size + KEY_EXTRA;
	c->key = malloc(c->key_room);
	c->mkey = malloc(c->key_room);
	c->ckey = malloc(c->key_room);
	if (!c->key || !c->mkey || !c->ckey)
		return ENOMEM; /* fini frees what was allocated */
	if (txn_table_init(&c->txns) != 0 || txn_table_init(&c->clients) != 0)
		return ENOMEM;
	c->s->clients[rt_self(a).worker] = &c->clients;
	return 0;
}

static void
core_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct core *c = rt_state(a);

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET:
		on_packet(a, c, env->sip_packet);
		break;
	case PBX__ENVELOPE__BODY_DOWN:
		txn_table_drop(&c->txns, rt_addr_from_pb(env->down->who));
		break;
	default:
		break;
	}
}

static void
core_fini(rt_actor *a, int reason)
{
	struct core *c = rt_state(a);

	if (c->s->clients[rt_self(a).worker] == &c->clients)
		c->s->clients[rt_self(a).worker] = NULL;
	txn_table_fini(&c->txns);
	txn_table_fini(&c->clients);
	free(c->key);
	free(c->mkey);
	free(c->ckey);
}

const rt_kind sip_core_kind = {
	.name = "sip-core",
	.size = sizeof(struct core),
	.init = core_init,
	.handle = core_handle,
	.fini = core_fini,
};
