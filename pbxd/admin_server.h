/*
 * The admin socket: nng req/rep on the admin URL. Each request (a packed
 * pbx.AdminRequest) is handed to the admin actor as an Envelope; the actor
 * answers through admin_server_respond(). Several requests may be in flight
 * (one nng context each).
 */
#ifndef PBX_ADMIN_SERVER_H
#define PBX_ADMIN_SERVER_H

#include "rt.h"

struct admin_server;

/* Requests go to `actor`; their envelope's correlation names the slot.
 * With a token, a request that does not carry it is answered EACCES and
 * goes nowhere. An ipc:// socket file is made 0600. */
int admin_server_start(struct admin_server **out, rt *r, const char *url,
                       const char *token, rt_addr actor);
/* Any thread; takes nothing: the response is packed and sent. */
void admin_server_respond(struct admin_server *s, uint64_t correlation,
                          const Pbx__AdminResponse *resp);
void admin_server_stop(struct admin_server *s);

#endif
