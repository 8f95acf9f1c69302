/* TCP: the listener actor and the connection actor. */
#ifndef PBX_SIP_TCP_H
#define PBX_SIP_TCP_H

#include "sip_stack.h"

#define SIP_TCP_MAX_CONNS      65536
#define SIP_TCP_MAX_PER_SOURCE 256
#define SIP_TCP_IDLE_MS        (300 * 1000) /* no byte for 5 min: close */

extern const rt_kind sip_tcp_listener_kind;
extern const rt_kind sip_tcp_conn_kind;

void *sip_tcp_listener_arg(struct sip_stack *s, unsigned listener, int fd);
/* Spawn argument of a connection on an accepted socket; freed by init. */
void *sip_tcp_conn_arg(struct sip_stack *s, unsigned listener, int fd,
                       const struct sockaddr_storage *peer, void *tls_ctx);

#endif
