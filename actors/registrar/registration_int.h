/* The registration actor's bindings (registration.c): the types it keeps
 * them in, their conversions to and from protobuf, and RFC 3261 §10.3
 * applied to them (registration_binding.c, pure: no actor, no clock). */
#ifndef PBX_REGISTRATION_INT_H
#define PBX_REGISTRATION_INT_H

#include "registrar.h"

/* A SipFlow in fixed fields. */
struct flowc {
	uint32_t transport, listener, rport, lport;
	uint8_t rip[16], lip[16];
	uint8_t rlen, llen;
	rt_addr conn;
};

struct binding {
	char contact[256];
	char instance[128];
	uint32_t reg_id;
	char call_id[128];
	uint32_t cseq;
	uint64_t expires_at, updated_at; /* ms, wall clock */
	uint32_t q;
	struct flowc flow;
	uint32_t node;
	/* the version's writer: the node whose REGISTER made it (set by the
	 * store on what it read back; this node's id on what it makes) */
	uint32_t origin;
	uint64_t seq;
	char ua[96];
};

enum change { ADDED, REFRESHED, REMOVED, EXPIRED };

/* The changes one request makes: at most every binding, plus the
 * contacts it adds. Sized per AOR, not for the worst case. */
struct change_entry {
	enum change kind;
	struct binding b;
};
struct change_set {
	size_t n, cap;
	struct change_entry c[];
};

/* --- the actor's state (registration.c) ------------------------------ */

#define RECENT 4

/* A REGISTER as accepted (see request_key). */
struct req_key {
	uint64_t merge, full;
};

/* An answer waiting for the commit: a 200 to send along the REGISTER's
 * flow, or (resp NULL) an UnregisterResult to an admin request. */
struct pending {
	uint64_t corr;
	char *resp;
	size_t len;
	struct flowc flow;
	struct req_key key;
	uint32_t cseq;
	rt_addr admin;     /* who asked (pbxctl unregister) */
	uint64_t req_corr; /* the admin request's correlation */
	uint32_t removed;
};

struct reg {
	struct registrar *g;
	char aor[256];
	struct binding *b; /* n in use, alloc allocated, cap at most */
	size_t n, alloc, cap;
	/* store_aor_epoch of the AOR when b was loaded from the store */
	uint64_t epoch;
	bool stale; /* the epoch moved while commits were pending */
	/* the REGISTERs last accepted (see request_key) */
	struct {
		struct req_key key;
		uint32_t cseq;
	} recent[RECENT];
	unsigned recent_next;
	struct pending *pend;
	size_t npend;
	uint64_t next_corr;
	uint64_t timer, timer_at; /* the expiry timer; when it fires (ms) */
	uint64_t idle_timer;      /* set while it has nothing to do */
	bool retired;             /* out of the table, about to stop */
};

/* --- registration_sync.c: the bindings against the store and the clock */

/* Room for n bindings. */
int reg_reserve(struct reg *r, size_t n);
/* Load the AOR's bindings from the store (at most cap), noting the epoch
 * first (a change during the read is seen next time). */
int reg_load(struct reg *r);
/* Reload when another node changed the AOR since the load (its epoch
 * moved), unless commits of ours are pending (then after them). */
void reg_sync(rt_actor *a, struct reg *r);
/* Expire what is due (reg_due), as events; set the timer. */
void reg_expire(rt_actor *a, struct reg *r);
/* The expiry timer for the earliest due binding. */
void reg_arm(rt_actor *a, struct reg *r);
/* The actor's expiry timer callback (registration.c). */
void reg_expiry_cb(rt_actor *a, void *arg);

/* --- registration_event.c ------------------------------------------- */

/* A change set of room cap, on the heap (NULL without memory). */
struct change_set *reg_cs_new(size_t cap);
/* A REGISTER's working set on the worker's stack for the usual maximum of
 * bindings (no malloc of ~20 KB per request), on the heap beyond it. */
#define REG_STACK_CAP 16
struct reg_scratch {
	union {
		struct change_set cs;
		unsigned char
		    raw[sizeof(struct change_set) +
		        (REG_STACK_CAP + 8) * sizeof(struct change_entry)];
	} cs;
	struct binding nb[REG_STACK_CAP];
};
struct change_set *reg_scratch_cs(struct reg_scratch *sc, size_t cap);
struct binding *reg_scratch_nb(struct reg_scratch *sc, size_t cap);
void reg_scratch_free(struct reg_scratch *sc, struct change_set *cs,
                      struct binding *nb);
/* Append the change set of aor as events (from actor a); the store's
 * answer carries `corr`. ENOSYS without a store. */
int reg_append(rt_actor *a, struct store *store, const char *aor,
               const struct change_set *cs, uint64_t corr);
/* The kept 200 made a 500 (its commit failed: nothing was stored, the
 * client may try again): the status line replaced, its Contact lines
 * dropped. The length written into out (n bytes), 0 if it does not fit. */
size_t reg_failed_response(char *out, size_t n, const char *ok, size_t len);

/* l bytes of p (NULL: none) into dst of n, cut to fit, NUL-terminated. */
void reg_cpy(char *dst, size_t n, const char *p, size_t l);
void reg_flow_in(struct flowc *f, const Pbx__SipFlow *p);
/* A SipFlow pointing into c (valid while c is); conn is its room for the
 * connection's address. */
void reg_flow_out(Pbx__SipFlow *f, Pbx__Addr *conn, const struct flowc *c);
void reg_binding_from_pb(struct binding *b, const Pbx__Binding *p);
/* A Binding pointing into b (valid while b is). */
void reg_binding_to_pb(Pbx__Binding *p, Pbx__SipFlow *f, Pbx__Addr *conn,
                       const char *aor, const struct binding *b);

/* What a REGISTER may do to an AOR: the registrar's settings, at most cap
 * bindings; now (wall clock, ms) and this node's id for the bindings it
 * makes. */
struct reg_rules {
	const struct conf_registrar *cfg;
	size_t cap;
	uint64_t now;
	uint32_t node;
};

/* When binding b is due to expire, for node `self` (ms, wall clock): at
 * its expiry if self wrote its version, grace_ms later if another node did
 * (that node expires it on time; if it is down, the others do). */
uint64_t reg_due(const struct binding *b, uint32_t self, uint64_t grace_ms);

/* §10.3 steps 6-8 for REGISTER m (arrived along flow) on the AOR's
 * bindings nb[0..*nn): the new binding set in nb/nn and the changes in cs;
 * 0, or the response code that refuses the whole request (423, or 400,
 * 403, 500 with *reason). */
uint16_t reg_plan(const struct reg_rules *rr, const struct sip_msg *m,
                  const Pbx__SipFlow *flow, struct binding *nb, size_t *nn,
                  struct change_set *cs, const char **reason);

#endif
