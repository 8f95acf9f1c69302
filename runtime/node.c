/*
 * The node actor, at the well-known address (node, 0, RT_ID_NODE) of every
 * node: answers Ping with Pong carrying the same sequence, timestamp and
 * payload, so any actor can measure a round trip to any node.
 */
#include "rt_int.h"

static void
node_handle(rt_actor *a, const Pbx__Envelope *env)
{
	Pbx__Pong *pong;
	rt_msg *m;

	if (env->body_case != PBX__ENVELOPE__BODY_PING)
		return;
	m = rt_msg_new(PBX__ENVELOPE__BODY_PONG, 0, &pong);
	if (!m)
		return;
	pong->seq = env->ping->seq;
	pong->sent_ns = env->ping->sent_ns;
	pong->payload.len = env->ping->payload.len;
	pong->payload.data = env->ping->payload.len
	                         ? rt_msg_memdup(m, env->ping->payload.data,
	                                         env->ping->payload.len)
	                         : NULL;
	if (env->correlation ? rt_reply(a, env, m)
	                     : rt_send(a, rt_addr_from_pb(env->from), m))
		rt_msg_free(m);
}

const rt_kind rt_node_kind = {
	.name = "node",
	.size = 0,
	.handle = node_handle,
};
