/*
 * The A leg runs its dialplan: the first extension of its context whose
 * conditions match gives the actions, run in order until one waits (bridge,
 * sleep) or ends the call (hangup). Nothing matched: 404 (cause
 * UNALLOCATED_NUMBER); actions run out: the call is hung up
 * (NORMAL_CLEARING), as in FreeSWITCH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "log.h"
#include "q850.h"

#define MAX_TRANSFERS 10
#define DATA_MAX      1024

void
chan_route(rt_actor *a, struct chan *c)
{
	int err;

	chan_set_state(&c->base, CS_ROUTING);
	dp_actions_free(&c->acts);
	c->pc = 0;
	err =
	    dialplan_route(c->base.g->cf, c->context, chan_field, c, &c->acts);
	if (err || c->acts.n == 0) {
		rt_info("channel %s: no extension for %s in context %s",
		        c->base.call, c->destination, c->context);
		chan_hangup(a, c, Q850_UNALLOCATED_NUMBER, "pbx"); /* 404 */
		return;
	}
	chan_set_state(&c->base, CS_EXECUTE);
	chan_run(a, c);
}

static void
wake(rt_actor *a, void *arg)
{
	struct chan *c = rt_state(a);

	c->sleep_timer = 0;
	chan_run(a, c);
}

/* Our own answer (no bridge): the media layer's answer to the offer. */
static void
answer_alone(rt_actor *a, struct chan *c, bool early)
{
	const struct sip_listener *l = &c->base.g->s->listen[0];
	uint8_t *sdp = NULL;
	size_t len = 0;

	if (c->offer_len)
		c->base.g->media->answer(c->ms, c->offer, c->offer_len, l->host,
		                         &sdp, &len);
	chan_tell(a, c->base.dialog,
	          early ? PBX__LEG_KIND__LEG_RING : PBX__LEG_KIND__LEG_ANSWER,
	          early ? 183 : 200, 0, sdp, len, 0);
	free(sdp);
	if (early) {
		if (!c->early_sent)
			chan_record_ringing(&c->base, true);
		c->early_sent = true;
		chan_set_state(&c->base, CS_EARLY);
	} else {
		c->answered = true;
		chan_record_answered(&c->base, NULL, 0);
		chan_set_state(&c->base, CS_ANSWERED);
	}
}

static void
set_var(struct chan *c, const char *data)
{
	const char *eq = strchr(data, '=');
	char name[64];

	if (!eq || eq == data || (size_t)(eq - data) >= sizeof(name)) {
		rt_warn("channel %s: set %s: expected var=value", c->base.call,
		        data);
		return;
	}
	memcpy(name, data, (size_t)(eq - data));
	name[eq - data] = '\0';
	chan_var_set(c, name, eq + 1);
}

/* "EXT [CONTEXT]": false when the call must end (too many). */
static bool
transfer(struct chan *c, const char *data)
{
	char ext[64] = "", ctx[64] = "";

	if (++c->transfers > MAX_TRANSFERS) {
		rt_warn("channel %s: more than %d transfers", c->base.call,
		        MAX_TRANSFERS);
		return false;
	}
	if (sscanf(data, "%63s %63s", ext, ctx) < 1)
		return false;
	snprintf(c->destination, sizeof(c->destination), "%s", ext);
	snprintf(c->entry.destination, sizeof(c->entry.destination), "%s", ext);
	if (ctx[0])
		snprintf(c->context, sizeof(c->context), "%s", ctx);
	return true;
}

void
chan_run(rt_actor *a, struct chan *c)
{
	char data[DATA_MAX];

	while (c->base.st != CS_HANGUP && c->pc < c->acts.n) {
		const struct dp_action *act = &c->acts.v[c->pc++];

		data[0] = '\0';
		if (act->data && dialplan_expand(data, sizeof(data), act->data,
		                                 chan_field, c) != 0) {
			rt_warn("channel %s: action data too long",
			        c->base.call);
			chan_hangup(a, c, Q850_NORMAL_TEMPORARY_FAILURE, "pbx");
			return;
		}
		switch (act->app) {
		case DP_ANSWER:
			if (!c->answered)
				answer_alone(a, c, false);
			break;
		case DP_PRE_ANSWER:
			if (!c->answered)
				answer_alone(a, c, true);
			break;
		case DP_RING_READY:
			if (!c->answered && !c->ring_sent) {
				chan_tell(a, c->base.dialog,
				          PBX__LEG_KIND__LEG_RING, 180, 0, NULL,
				          0, 0);
				c->ring_sent = true;
				chan_record_ringing(&c->base, false);
				chan_set_state(&c->base, CS_RINGING);
			}
			break;
		case DP_SET:
			set_var(c, data);
			break;
		case DP_BRIDGE:
			chan_bridge_start(a, c, data);
			return; /* resumes on failure with continue_on_fail */
		case DP_TRANSFER:
			if (!transfer(c, data)) {
				chan_hangup(a, c, Q850_EXCHANGE_ROUTING_ERROR,
				            "pbx");
				return;
			}
			chan_route(a, c);
			return;
		case DP_HANGUP:
			chan_hangup(a, c,
			            data[0] ? q850_parse(data)
			                    : Q850_NORMAL_CLEARING,
			            "pbx");
			return;
		case DP_SLEEP:
			c->sleep_timer = rt_timer_start(
			    a, strtoull(data, NULL, 10), wake, NULL);
			return;
		case DP_LOG:
			rt_info("channel %s: %s", c->base.call, data);
			break;
		}
	}
	if (c->base.st != CS_HANGUP)
		chan_hangup(a, c, Q850_NORMAL_CLEARING, "pbx");
}
