/*
 * Calls (the B2BUA). A new INVITE goes through a server transaction to the
 * call router of its worker (call_router.c), which admits it by profile:
 * digest (407) on an `auth` profile, the ACL on the others. It spawns the
 * A-leg channel (channel.c), which runs the dialplan of its context and,
 * to bridge, spawns one B-leg channel per target binding; every channel
 * owns one dialog actor (dialog.c) that speaks SIP for its leg. Channels
 * and dialogs talk with Leg messages (proto/call.proto). All actors of a
 * call live on the worker of the A leg's Call-ID; the B legs' Call-IDs are
 * chosen to hash to the same worker.
 */
#ifndef PBX_CALLS_H
#define PBX_CALLS_H

#include <stdatomic.h>

#include "auth.h"
#include "conf.h"
#include "directory.h"
#include "media.h"
#include "sip_stack.h"
#include "store.h"

/* An active call as `pbxctl calls` shows it: kept by the A-leg channel in
 * the list of its worker (only that worker's actors touch it). */
struct call_entry {
	struct call_entry *prev, *next;
	rt_addr chan;
	char id[40]; /* the call's UUID */
	char caller_number[64], caller_name[64];
	char destination[64], callee[128];
	char sip_call_id[128];
	const char *state;
	const char *profile;
	uint64_t started_ms, answered_ms;
};

struct call_list {
	struct call_entry *head;
	size_t n;
};

struct calls {
	struct sip_stack *s;
	struct store *store;
	const struct directory *dir;
	const struct conf *cf;
	struct auth *auth; /* the node's (the registrar's): one nonce memory */
	const struct media_ops *media;
	struct call_list lists[SIP_MAX_WORKERS];
	_Atomic uint64_t n_active; /* A legs alive (calls.max_calls) */
};

/* auth: the node's digest authentication (struct registrar's), shared so
 * that a credential accepted for one is not accepted again for the other. */
int calls_init(struct calls *g, struct store *store,
               const struct directory *dir, const struct conf *cf,
               struct auth *auth);
/* Set s->calls and s->invite_stateless, spawn the call routers: between
 * sip_stack_open and sip_stack_run (sip_start.h). */
int calls_start(struct calls *g, struct sip_stack *s, rt *r);

void call_list_add(struct call_list *l, struct call_entry *e);
void call_list_remove(struct call_list *l, struct call_entry *e);

/* A new INVITE the PBX answers without a transaction (RFC 3261 §8.2.7),
 * in the SIP core that decoded it (sip_stack's invite_stateless hook): 403 from
 * a source its profile's ACL refuses, and on a profile with auth, a 407
 * challenge to an INVITE without credentials, so that an unauthenticated INVITE
 * costs no transaction and its answer goes once (no retransmission towards a
 * source that may be spoofed); a source that is backed off gets nothing.
 * false: the INVITE takes a transaction to the call router. */
bool calls_stateless(rt_actor *a, struct sip_stack *s,
                     const struct sip_msg *msg, const Pbx__SipFlow *flow);

extern const rt_kind call_router_kind;
extern const rt_kind channel_kind;
extern const rt_kind channel_b_kind; /* a B leg (channel_b.c) */

/* What an A-leg channel starts from (the router fills it; freed by the
 * channel). */
struct chan_a_arg {
	struct calls *g;
	rt_msg *req; /* the SipRequest of the INVITE (data, flow, txn) */
	unsigned profile;
	const struct conf_user *user; /* authenticated caller, or NULL */
	char caller_number[64], caller_name[64];
	char destination[64];
	char network_addr[64];
};

/* A B-leg channel: one target of a bridge. */
struct chan_b_arg {
	struct calls *g;
	rt_addr a_chan;
	char call[40];
	uint32_t leg;
	unsigned profile;
	uint32_t timeout_s; /* no answer: hang up (NO_ANSWER) */
	char caller_number[64], caller_name[64];
	char target[160]; /* for records: "user/1001" or the URI */
	char *ruri;       /* the target URI: a binding's contact or a URI */
	char *to;         /* To header value: the AOR or the URI */
	char *from;       /* From value without tag: the caller id */
	rt_msg *flow;     /* a SipPacket whose flow says where to send */
	uint8_t *sdp;     /* the offer */
	size_t sdp_len;
	uint32_t max_forwards;
};
void chan_b_arg_free(struct chan_b_arg *b);

/* A Call-ID that hashes to `worker`, like the A leg's. */
void calls_make_call_id(rt *r, uint32_t worker, const char *host, char *out,
                        size_t n);
/* A UUID (version 4) as text. */
void calls_uuid(char out[40]);
uint64_t calls_now_ms(void);

#endif
