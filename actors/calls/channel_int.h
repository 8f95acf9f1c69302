/* The channel actors' state: what both kinds share (channel.c), the A
 * leg's, shared by channel.c (the actor), channel_exec.c (the dialplan's
 * actions) and channel_bridge.c (bridging it to its B legs). A B leg's
 * own state is private to channel_b.c. */
#ifndef PBX_CHANNEL_INT_H
#define PBX_CHANNEL_INT_H

#include "call.pb-c.h"
#include "calls.h"
#include "dialog.h"
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

/* A B leg of the ringing group. One on another node (remote) is known by
 * its node and leg number until its address comes (CallLegStarted, or its
 * first Leg message); it is dropped when its node stops answering. */
struct chan_fork {
	rt_addr chan; /* chan.id 0: a remote leg being started */
	bool live;
	bool remote;
	uint32_t leg;
	uint64_t heard_ms;            /* remote: when it last said anything */
	uint32_t end_cause, end_code; /* ended before its address came */
	char target[160];             /* for the record: the contact it rings */
};

/* Between the channels of a call that spans two nodes: LEG_ALIVE every
 * CALLS_ALIVE_MS each way, the other side gone after CALLS_SILENT_MS of
 * silence (channel_remote.c). */
#define CALLS_ALIVE_MS  1000
#define CALLS_SILENT_MS 4000

struct chan_var {
	char *name, *value;
};

/* What both kinds of channel have, the first member of each one's state
 * (struct chan for the A leg, channel.c; struct chan_b for a B leg,
 * channel_b.c): the shared functions of channel.c work on it. */
struct chan_base {
	struct calls *g;
	enum chan_state st;
	struct call_entry *entry; /* A: what pbxctl shows of it; B: NULL */
	rt_addr dialog;
	bool dialog_done; /* the dialog ended the leg itself */
	char call[40];
	uint32_t leg;
	uint64_t started_ms, answered_ms;
	unsigned profile;
	char caller_number[64], caller_name[64];
	rt_addr peer; /* A: the B leg that answered; B: the A leg */
};

/* The A leg: the caller's, which runs the dialplan and bridges. */
struct chan {
	struct chan_base base;
	const struct conf_user *user; /* the caller, if known */
	char context[64];
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
	uint64_t alive_timer; /* while a fork is on another node */
};

/* channel.c: what both kinds share */
void chan_set_state(struct chan_base *b, enum chan_state st);
/* Send a Leg message (kind, code, cause, sdp, id) to `to`: 0, or why it
 * could not be sent (EHOSTUNREACH: the link to its node is down). */
int chan_tell(rt_actor *a, rt_addr to, Pbx__LegKind kind, uint32_t code,
              uint32_t cause, const uint8_t *sdp, size_t sdp_len, uint64_t id);
/* Forward a Leg message as it is (offers, requests and their results). */
int chan_forward(rt_actor *a, rt_addr to, const Pbx__Leg *l);
/* Spawn the leg's dialog on our worker (da taken, whatever the result). */
int chan_spawn_dialog(rt_actor *a, struct chan_base *b, struct dialog_arg *da);
/* Call events of a leg. */
void chan_record_started(struct chan_base *b, const char *destination,
                         const char *context, const char *sip_call_id,
                         const char *network_addr, const char *user);
void chan_record_ringing(struct chan_base *b, bool early);
/* callee_node: the A leg's record names the node of the leg that answered
 * (0 for a B leg's own event). */
void chan_record_answered(struct chan_base *b, const char *callee,
                          uint32_t callee_node);
void chan_record_ended(struct chan_base *b, uint32_t cause, uint32_t code,
                       const char *by);

/* channel.c: the A leg */
/* End the call: record, hang up its dialog and the B legs, stop. */
void chan_hangup(rt_actor *a, struct chan *c, uint32_t cause, const char *by);
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
/* A Leg to `to` came back (Undeliverable): that fork is gone. */
void chan_bridge_bounce(rt_actor *a, struct chan *c, rt_addr to,
                        uint32_t body_case);
/* A Leg from fork f (or made up for it: LEG_ENDED when it is gone). */
void chan_fork_leg(rt_actor *a, struct chan *c, struct chan_fork *f,
                   const Pbx__Leg *l);

/* channel_remote.c: B legs on other nodes (the binding's flow is there) */
/* Start fork f (not yet counted in c->forks) as a B leg on `node`: b is
 * taken whatever the result; false when it could not start. */
bool chan_remote_start(rt_actor *a, struct chan *c, struct chan_fork *f,
                       struct chan_b_arg *b, uint32_t node);
/* The remote fork a Leg from `from` belongs to (a leg being started learns
 * its address from it), or NULL. */
struct chan_fork *chan_remote_fork(rt_actor *a, struct chan *c, rt_addr from,
                                   const Pbx__Leg *l);
/* Fork f's node is gone or refused it: a LEG_ENDED for it. */
void chan_remote_gone(rt_actor *a, struct chan *c, struct chan_fork *f,
                      const char *why);
/* call_list.c: the calls of every worker, for another node's admin: a
 * CallsList or a CallHangup with node_wide. */
void calls_list_node(rt_actor *a, const Pbx__Envelope *env);
/* The router's side: a CallLegStart from another node's A channel. */
void calls_remote_leg_start(rt_actor *a, struct calls *g,
                            const Pbx__Envelope *env);
/* The address of a target's host name arrived. */
void chan_bridge_resolved(rt_actor *a, struct chan *c,
                          const Pbx__CallResolved *r);

#endif
