/* The channel actor's state, shared by channel.c (the actor, states,
 * records), channel_exec.c (the dialplan's actions) and channel_bridge.c
 * (bridging the A leg to its B legs). */
#ifndef PBX_CHANNEL_INT_H
#define PBX_CHANNEL_INT_H

#include "call.pb-c.h"
#include "calls.h"
#include "dialplan.h"

enum chan_state {
	CS_NEW = 0,
	CS_ROUTING,
	CS_EXECUTE,
	CS_RINGING,
	CS_EARLY,
	CS_ANSWERED,
	CS_HANGUP,
};

#define CHAN_MAX_FORKS 16
#define CHAN_MAX_VARS  16

struct chan_fork {
	rt_addr chan;
	bool live;
};

struct chan_var {
	char *name, *value;
};

struct chan {
	/* both legs */
	struct calls *g;
	bool a_leg;
	enum chan_state st;
	rt_addr dialog;
	bool dialog_done; /* the dialog ended the leg itself */
	char call[40];
	uint32_t leg;
	uint64_t started_ms, answered_ms;
	unsigned profile;
	const struct conf_user *user; /* the A leg's caller, if known */
	char caller_number[64], caller_name[64];
	char context[64];
	rt_addr peer;   /* A: the B leg that answered; B: the A leg */
	bool peer_done; /* B: the A leg is over (it ended us, or is gone) */
	/* the B leg */
	char target[160];
	uint32_t timeout_s;
	uint64_t timeout_timer;
	/* the A leg only, from here on: a B leg's state ends before (it is
	 * spawned as channel_b_kind, the same actor with a smaller state) */
	struct call_entry entry;
	struct media_session *ms; /* the call's media */
	char destination[64], network_addr[64];
	struct chan_var vars[CHAN_MAX_VARS];
	size_t n_vars;
	rt_msg *aflow;  /* a SipPacket: the flow the INVITE came on */
	uint8_t *offer; /* the caller's SDP */
	size_t offer_len;
	struct dp_actions acts;
	size_t pc; /* next action */
	unsigned transfers;
	uint32_t max_forwards; /* of the caller's INVITE, 70 if none */
	uint64_t sleep_timer;
	/* bridging */
	struct dp_bridge br;
	bool br_live;
	size_t group; /* the group of targets ringing now */
	struct chan_fork forks[CHAN_MAX_FORKS];
	size_t n_forks;
	uint32_t next_leg;
	uint32_t fail_cause; /* the best failure of the bridge so far */
	uint32_t resolving;  /* host names of this group being looked up */
	uint32_t br_gen;     /* which bridge a lookup's answer is for */
	bool ring_sent, early_sent, answered, bridged;
};

/* channel.c */
void chan_set_state(struct chan *c, enum chan_state st);
/* Send a Leg message (kind, code, cause, sdp, id) to `to`. */
void chan_tell(rt_actor *a, rt_addr to, Pbx__LegKind kind, uint32_t code,
               uint32_t cause, const uint8_t *sdp, size_t sdp_len, uint64_t id);
/* Forward a Leg message as it is (offers, requests and their results). */
void chan_forward(rt_actor *a, rt_addr to, const Pbx__Leg *l);
/* End the channel: record, hang up its dialog and the other legs, stop. */
void chan_hangup(rt_actor *a, struct chan *c, uint32_t cause, const char *by);
void chan_record_ringing(struct chan *c, bool early);
void chan_record_answered(struct chan *c, const char *callee);
const char *chan_var(const struct chan *c, const char *name);
int chan_var_set(struct chan *c, const char *name, const char *value);
/* dialplan field lookup (dp_field_fn) */
const char *chan_field(void *arg, const char *field);

/* channel_exec.c: run the dialplan from action c->pc on */
void chan_route(rt_actor *a, struct chan *c);
void chan_run(rt_actor *a, struct chan *c);

/* channel_bridge.c */
void chan_bridge_start(rt_actor *a, struct chan *c, const char *data);
/* A Leg from one of our B legs; false if `from` is none of them. */
bool chan_bridge_leg(rt_actor *a, struct chan *c, rt_addr from,
                     const Pbx__Leg *l);
void chan_bridge_cancel(rt_actor *a, struct chan *c, uint32_t cause);
/* The address of a target's host name arrived. */
void chan_bridge_resolved(rt_actor *a, struct chan *c,
                          const Pbx__CallResolved *r);

#endif
