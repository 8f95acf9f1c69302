/*
 * The registrar (RFC 3261 §10). A registrar actor on every worker (id
 * SIP_ID_REGISTRAR) takes the REGISTERs with credentials its worker's
 * transports read: it hands each, without a copy and without a parse, to
 * the registration actor of the AOR (registration.c), found in a table all
 * registrars share. A registration actor is spawned on first use, for a
 * user of the directory, on the worker that read that REGISTER: a phone
 * sends from one address, and SO_REUSEPORT gives each source one worker's
 * socket, so its REGISTERs and its actor stay on one thread. The actor
 * decodes a REGISTER, checks the credentials (registrar_admit,
 * statelessly: auth.h) and applies it. A REGISTER without credentials
 * gets its 401 from the registrar actor of the worker that read it (the
 * SIP core hands it over by message) and spawns no actor. No
 * REGISTER has a server transaction. Every change of a binding is an event
 * in the store; the 200 OK leaves after the commit holding it.
 */
#ifndef PBX_REGISTRAR_H
#define PBX_REGISTRAR_H

#include <pthread.h>

#include "auth.h"
#include "directory.h"
#include "sip_stack.h"
#include "store.h"
#include "txn_table.h"

struct registrar {
	struct sip_stack *s;
	struct store *store;
	const struct directory *dir;
	const struct conf_registrar *cfg;
	/* the node's digest authentication, for the call router too */
	struct auth auth;
	/* AOR -> its registration actor, for every registrar: an actor lives
	 * on the worker that read its AOR's first REGISTER (or, restored at
	 * start, the worker its AOR hashes to) */
	pthread_mutex_t aors_mu;
	bool aors_ready;
	struct txn_table aors;
	_Atomic uint64_t n_ok, n_challenged, n_refused;
	/* the nodes to share wrong-password counts with (registrar_share.c):
	 * pbxd gives the cluster's peers that are up; NULL: none (a single
	 * node). Any thread. */
	size_t (*peers)(void *arg, uint32_t *nodes, size_t max);
	void *peers_arg;
};

int registrar_init(struct registrar *g, struct store *store,
                   const struct directory *dir, const struct conf *cf);
/* After rt_shutdown; harmless on a zeroed struct that init never saw. */
void registrar_fini(struct registrar *g);
/* Spawn the registrar actors (after sip_stack_open, g->s set); they
 * restore the registration actors of stored bindings. */
int registrar_start(struct registrar *g, rt *r);

/* "user@domain" of a request's To (domain lower-cased, no port); 0 or
 * EBADMSG. */
int registrar_aor(char *out, size_t n, const struct sip_msg *msg);
/* A REGISTER has no server transaction (see registration.c): these
 * answer it statelessly along its flow, with a To tag that is the same
 * for a retransmission (sip_stable_tag). */

/* Decode a REGISTER as a transport read it and answer what is not for a
 * registration actor: a message that does not parse, what the UAS core
 * refuses (sip_uas.h), one without credentials (401). true: *msg is to be
 * served. */
bool registrar_screen(rt_actor *a, struct registrar *g, struct sip_msg *msg,
                      const Pbx__SipPacket *p);
/* A response (sent with sip_send_response along the request's flow):
 * `extra` holds whole header lines, `hdrs` may append more. */
int registrar_build(rt_actor *a, char *out, size_t n, size_t *len,
                    const struct sip_msg *msg, const Pbx__SipFlow *flow,
                    uint16_t code, const char *reason, const char *extra,
                    int (*hdrs)(struct sip_buf *b, void *arg), void *arg);
/* Build and send at once. */
void registrar_respond(rt_actor *a, struct registrar *g,
                       const Pbx__SipFlow *flow, const struct sip_msg *msg,
                       uint16_t code, const char *reason, const char *extra,
                       int (*hdrs)(struct sip_buf *b, void *arg), void *arg);
/* 401 with fresh challenges (SHA-256 and MD5); nonces are stateless
 * (auth.h), so this is how a REGISTER without credentials is answered too,
 * on the worker that read it (RFC 3261 §8.2.7). Nothing to a source that
 * is backed off for wrong passwords. */
void registrar_challenge(rt_actor *a, struct registrar *g,
                         const Pbx__SipFlow *flow, const struct sip_msg *msg,
                         bool stale);
/* Check the credentials of a REGISTER for its To AOR (RFC 3261 §10.3
 * steps 1-3): true when the user may register it (the credentials in *cr,
 * pointing into msg); else the answer (401, 400, 403) is sent and false
 * returned. */
bool registrar_admit(rt_actor *a, struct registrar *g, const Pbx__SipFlow *flow,
                     const struct sip_msg *msg, struct auth_creds *cr);
/* Wall clock in ms. */
uint64_t registrar_now_ms(void);

/* Throttling across the cluster (registrar_share.c), in worker 0's
 * registrar actor: start sending this node's failures to g->peers, and
 * count an AuthFailures a peer sent. */
void registrar_share_start(rt_actor *a, struct registrar *g);
void registrar_share_in(rt_actor *a, struct registrar *g,
                        const Pbx__Envelope *env);

/* The expiry of a dead node's bindings (registrar_sweep.c), in worker 0's
 * registrar actor. */
void registrar_sweep_start(rt_actor *a, struct registrar *g);
/* aor's registration actor, spawned here if it has none (*spawned then);
 * zero without memory. */
rt_addr registrar_ensure(rt_actor *a, struct registrar *g, const char *aor,
                         bool *spawned);

extern const rt_kind registrar_kind;
extern const rt_kind registration_kind;

/* Spawn argument of a registration actor. */
struct registration_arg {
	struct registrar *g;
	char aor[256];
};

#endif
