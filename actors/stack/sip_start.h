/*
 * Start-up of the SIP stack, in two steps so that everything its actors
 * read is in place before any of them runs: sip_stack_open binds the
 * listening sockets and spawns nothing; the caller then fills in what the
 * modules above add (registrar, calls, invite_stateless, profile[]); then
 * sip_stack_run spawns the SIP cores and the transports, the actors that
 * read those fields. Nothing writes them afterwards, so the workers read
 * them without synchronisation (spawning publishes them).
 */
#ifndef PBX_SIP_START_H
#define PBX_SIP_START_H

#include "sip_stack.h"

/* Bind every listening socket (refusing an address already in use); no
 * actor yet. Call after rt_start. `listen` replaces cf->listen when
 * n_listen > 0. On an error nothing is left to free. */
int sip_stack_open(struct sip_stack **out, rt *r, const struct conf_sip *cf,
                   const struct conf_addr *listen, size_t n_listen);
/* Spawn the SIP core and the transports on every worker. On an error the
 * actors spawned so far use s: free it after rt_shutdown. */
int sip_stack_run(struct sip_stack *s);
/* After rt_shutdown: close what the actors did not. */
void sip_stack_free(struct sip_stack *s);
/* "127.0.0.1:5060" or "[::1]:5060" into a listen address. */
int sip_listen_parse(struct conf_addr *a, const char *text);
void sip_trace_set(struct sip_stack *s, enum sip_trace_level l);

#endif
