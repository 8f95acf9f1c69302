/*
 * Request/reply: a request carries a correlation id unique on its worker;
 * the answer (a reply envelope, or an Undeliverable bounce with the same
 * correlation) completes it, and a timer fails it with ETIMEDOUT. Pending
 * requests die with their actor, so a callback never runs after its actor
 * stopped.
 */
#include <errno.h>
#include <stdlib.h>

#include "rt_int.h"

static void
unlink_pending(struct rt_worker *w, struct rt_pending *p)
{
	rt_actor *a = p->actor;

	rt_map_del(&w->pending, p->corr);
	if (p->prev)
		p->prev->next = p->next;
	else
		a->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

static void
timeout_cb(rt_actor *a, void *arg)
{
	struct rt_pending *p = arg;
	rt_reply_h h = p->h;
	void *harg = p->arg;

	unlink_pending(a->w, p);
	free(p);
	h(a, ETIMEDOUT, NULL, harg);
}

int
rt_request(rt_actor *a, rt_addr to, rt_msg *m, uint32_t timeout_ms,
           rt_reply_h h, void *arg)
{
	struct rt_worker *w = a->w;
	struct rt_pending *p;
	int err;

	if (!m || !h)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->corr = ++w->next_corr;
	p->actor = a;
	p->h = h;
	p->arg = arg;
	m->env->correlation = p->corr;
	m->env->reply = false;
	if ((err = rt_map_put(&w->pending, p->corr, p)) != 0) {
		free(p);
		return err;
	}
	p->next = a->pending;
	if (a->pending)
		a->pending->prev = p;
	a->pending = p;
	p->timer = rt_timer_start(a, timeout_ms, timeout_cb, p);
	err = p->timer ? rt_send(a, to, m) : ENOMEM;
	if (err) {
		if (p->timer)
			rt_timer_cancel(a, p->timer);
		unlink_pending(w, p);
		free(p);
		m->env->correlation = 0;
	}
	return err;
}

int
rt_reply(rt_actor *a, const Pbx__Envelope *req, rt_msg *m)
{
	if (!m)
		return EINVAL;
	m->env->correlation = req->correlation;
	m->env->reply = true;
	return rt_send(a, rt_addr_from_pb(req->from), m);
}

bool
rt_request_complete(struct rt_worker *w, rt_actor *a, const Pbx__Envelope *env)
{
	struct rt_pending *p;
	rt_reply_h h;
	void *harg;
	int err = 0;

	if (!env->correlation)
		return false;
	p = rt_map_get(&w->pending, env->correlation);
	if (!p || p->actor != a)
		return false;
	if (env->body_case == PBX__ENVELOPE__BODY_UNDELIVERABLE && !env->reply)
		err = env->undeliverable->error ? env->undeliverable->error
		                                : ENOENT;
	h = p->h;
	harg = p->arg;
	rt_timer_cancel(a, p->timer);
	unlink_pending(w, p);
	free(p);
	h(a, err, err ? NULL : env, harg);
	return true;
}

void
rt_request_cancel_actor(rt_actor *a)
{
	while (a->pending) {
		struct rt_pending *p = a->pending;

		unlink_pending(a->w, p);
		free(p);
	}
}
