/* The calls module: start-up, the per-worker lists of active calls, and
 * the small things every call actor needs (UUIDs, Call-IDs, time). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "calls.h"
#include "log.h"
#include "pbx_clock.h"

int
calls_init(struct calls *g, struct store *store, const struct directory *dir,
           const struct conf *cf, struct auth *auth)
{
	memset(g, 0, sizeof(*g));
	g->store = store;
	g->dir = dir;
	g->cf = cf;
	g->media = &media_bypass;
	g->auth = auth;
	return 0;
}

int
calls_start(struct calls *g, struct sip_stack *s, rt *r)
{
	/* the stack's actors read these: set before sip_stack_run spawns
	 * them (sip_start.h) */
	g->s = s;
	s->invite_stateless = calls_stateless;
	s->calls = g;
	for (uint32_t w = 0; w < rt_workers(r); w++) {
		rt_addr at;
		int err = rt_spawn_named(r, &call_router_kind, w, SIP_ID_CALLS,
		                         g, &at);

		if (err)
			return err;
	}
	rt_info("calls: %zu profile(s), media %s, no-answer timeout %u s",
	        g->cf->profile_count, g->media->name, g->cf->calls.timeout);
	return 0;
}

void
call_list_add(struct call_list *l, struct call_entry *e)
{
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	l->n++;
}

void
call_list_remove(struct call_list *l, struct call_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else if (l->head == e)
		l->head = e->next;
	else
		return; /* not in the list */
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	l->n--;
}

void
chan_b_arg_free(struct chan_b_arg *b)
{
	if (!b)
		return;
	free(b->ruri);
	free(b->to);
	free(b->from);
	free(b->sdp);
	rt_msg_free(b->flow);
	free(b);
}

void
calls_uuid(char out[40])
{
	unsigned char u[16];

	if (RAND_bytes(u, sizeof(u)) != 1)
		for (size_t i = 0; i < sizeof(u); i++)
			u[i] = (unsigned char)rand();
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, 40,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	         "%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
	         u[10], u[11], u[12], u[13], u[14], u[15]);
}

void
calls_make_call_id(rt *r, uint32_t worker, const char *host, char *out,
                   size_t n)
{
	unsigned char u[8];

	/* the B leg's requests then land on the A leg's worker */
	for (int i = 0; i < 1000; i++) {
		if (RAND_bytes(u, sizeof(u)) != 1)
			for (size_t k = 0; k < sizeof(u); k++)
				u[k] = (unsigned char)rand();
		snprintf(out, n, "%02x%02x%02x%02x%02x%02x%02x%02x@%s", u[0],
		         u[1], u[2], u[3], u[4], u[5], u[6], u[7], host);
		if (rt_worker_of(r, out, strlen(out)) == worker)
			return;
	}
}

uint64_t
calls_now_ms(void)
{
	return pbx_wall_ms();
}
