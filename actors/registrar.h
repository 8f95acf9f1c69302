/*
 * The registrar (RFC 3261 §10). A registrar actor on every worker (id
 * SIP_ID_REGISTRAR) takes the REGISTERs of the AORs that hash to its worker:
 * it hands each to the registration actor of the AOR (registration.c),
 * spawned on first use for a user of the directory, which checks the
 * credentials (registrar_admit, statelessly: auth.h) and applies it. A
 * REGISTER without credentials never gets here: the SIP core answers it
 * 401 (registrar_challenge_stateless). Every change of a binding is an event in
 * the store; the 200 OK leaves after the commit holding it.
 */
#ifndef PBX_REGISTRAR_H
#define PBX_REGISTRAR_H

#include "auth.h"
#include "directory.h"
#include "sip_stack.h"
#include "store.h"

#define SIP_ID_REGISTRAR 9

struct registrar {
	struct sip_stack *s;
	struct store *store;
	const struct directory *dir;
	const struct conf_registrar *cfg;
	struct auth auth;
	_Atomic uint64_t n_ok, n_challenged, n_refused;
};

int registrar_init(struct registrar *g, struct store *store,
                   const struct directory *dir, const struct conf *cf);
/* Spawn the registrar actors (after sip_stack_start set g->s); they
 * restore the registration actors of stored bindings. */
int registrar_start(struct registrar *g, rt *r);

/* "user@domain" of a request's To (domain lower-cased, no port); 0 or
 * EBADMSG. */
int registrar_aor(char *out, size_t n, const struct sip_msg *msg);
/* A response to a request that came through server transaction r->txn:
 * `extra` holds whole header lines, `hdrs` may append more. */
int registrar_build(char *out, size_t n, size_t *len, const Pbx__SipRequest *r,
                    const struct sip_msg *msg, uint16_t code,
                    const char *reason, const char *extra,
                    int (*hdrs)(struct sip_buf *b, void *arg), void *arg);
void registrar_send(rt_actor *a, rt_addr txn, const char *data, size_t len);
/* Build and send at once. */
void registrar_respond(rt_actor *a, const Pbx__SipRequest *r,
                       const struct sip_msg *msg, uint16_t code,
                       const char *reason, const char *extra,
                       int (*hdrs)(struct sip_buf *b, void *arg), void *arg);
/* 401 with fresh challenges (SHA-256 and MD5). */
void registrar_challenge(rt_actor *a, struct registrar *g,
                         const Pbx__SipRequest *r, const struct sip_msg *msg,
                         bool stale);
/* Answer a REGISTER without Authorization 401 with fresh challenges at
 * once, statelessly (RFC 3261 §8.2.7), on the worker that read it. */
void registrar_challenge_stateless(rt_actor *a, struct registrar *g,
                                   const struct sip_msg *msg,
                                   const Pbx__SipFlow *flow,
                                   const struct pl *totag);
/* Check the credentials of a REGISTER for its To AOR (RFC 3261 §10.3
 * steps 1-3): true when the user may register it (the credentials in *cr,
 * pointing into msg); else the answer (401, 400, 403) is sent and false
 * returned. */
bool registrar_admit(rt_actor *a, struct registrar *g, const Pbx__SipRequest *r,
                     const struct sip_msg *msg, struct auth_creds *cr);
/* Wall clock in ms. */
uint64_t registrar_now_ms(void);

extern const rt_kind registrar_kind;
extern const rt_kind registration_kind;

/* Spawn argument of a registration actor. */
struct registration_arg {
	struct registrar *g;
	char aor[256];
};

#endif
