/*
 * Actors: spawning, dispatching one message at a time, routing sends, and
 * stopping with notice to watchers. A message to an actor that is gone comes
 * back to its sender as Undeliverable (or, for a watch, as Down).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_int.h"

/* --- callbacks into actor code ---------------------------------------- */

static void finalize(rt_actor *a);

/* The actor whose code is running on this thread (callbacks nest when an
 * actor spawns another on its own worker). */
static _Thread_local rt_actor *tls_actor;

static void
set_current(rt_actor *a)
{
	tls_actor = a;
	if (a)
		rt_log_set_actor(a->kind->name, (unsigned long long)a->addr.id);
	else
		rt_log_set_actor(NULL, 0);
}

rt_actor *
rt_actor_enter(rt_actor *a)
{
	rt_actor *prev = tls_actor;

	a->depth++;
	set_current(a);
	return prev;
}

void
rt_actor_leave(rt_actor *a, rt_actor *prev)
{
	set_current(prev);
	if (--a->depth == 0 && a->stopping)
		finalize(a);
}

void
rt_actor_spawn_here(struct rt_worker *w, const rt_kind *k, uint64_t id,
                    void *arg)
{
	rt_actor *a = calloc(1, sizeof(*a) + k->size), *prev;
	int err;

	if (!a) {
		rt_err("spawn %s: out of memory", k->name);
		return;
	}
	a->addr.node = w->rt->node_id;
	a->addr.worker = w->index;
	a->addr.id = id;
	a->kind = k;
	a->w = w;
	if (rt_map_get(&w->actors, id) || rt_map_put(&w->actors, id, a)) {
		rt_err("spawn %s: id %llu taken or no memory", k->name,
		       (unsigned long long)id);
		free(a);
		return;
	}
	atomic_fetch_add_explicit(&w->n_actors, 1, memory_order_relaxed);
	if (!k->init)
		return;
	prev = rt_actor_enter(a);
	err = k->init(a, arg);
	if (err)
		rt_stop(a, err);
	rt_actor_leave(a, prev);
}

/* --- stopping ------------------------------------------------------------ */

static void
tell_watchers(rt_actor *a)
{
	Pbx__Down *d;
	rt_msg *m;

	for (uint32_t i = 0; i < a->n_watchers; i++) {
		m = rt_msg_new(PBX__ENVELOPE__BODY_DOWN, sizeof(Pbx__Addr), &d);
		if (!m)
			break;
		d->who = rt_msg_alloc(m, sizeof(*d->who));
		pbx__addr__init(d->who);
		rt_addr_to_pb(d->who, a->addr);
		d->reason = a->reason;
		d->kind = (char *)a->kind->name; /* static */
		rt_msg_set_route(m, a->addr, a->watchers[i]);
		if (rt_route(a->w->rt, a->watchers[i], m) != 0)
			rt_msg_free(m);
	}
}

static void
finalize(rt_actor *a)
{
	struct rt_worker *w = a->w;

	if (a->dead)
		return;
	a->dead = true;
	rt_timers_cancel_actor(a);
	rt_request_cancel_actor(a);
	if (a->kind->fini) {
		rt_actor *prev = tls_actor;

		set_current(a);
		a->kind->fini(a, a->reason);
		set_current(prev);
	}
	if (!atomic_load(&w->rt->stopping))
		tell_watchers(a);
	rt_map_del(&w->actors, a->addr.id);
	atomic_fetch_sub_explicit(&w->n_actors, 1, memory_order_relaxed);
	free(a->watchers);
	free(a);
}

void
rt_stop(rt_actor *a, int reason)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->reason = reason;
	if (a->depth == 0)
		finalize(a);
}

void
rt_actor_stop_all(struct rt_worker *w)
{
	struct rt_map *m = &w->actors;

	/* finalize removes from the map: restart the scan after each */
	for (size_t i = 0; i < m->cap;) {
		if (m->keys[i]) {
			rt_actor *a = m->vals[i];

			a->stopping = true;
			a->reason = ESHUTDOWN;
			finalize(a);
			continue;
		}
		i++;
	}
}

/* --- watches ----------------------------------------------------------- */

static void
watch_add(rt_actor *a, rt_addr who)
{
	for (uint32_t i = 0; i < a->n_watchers; i++)
		if (rt_addr_eq(a->watchers[i], who))
			return;
	if (a->n_watchers == a->cap_watchers) {
		uint32_t cap = a->cap_watchers ? a->cap_watchers * 2 : 2;
		rt_addr *p = realloc(a->watchers, cap * sizeof(*p));

		if (!p)
			return;
		a->watchers = p;
		a->cap_watchers = cap;
	}
	a->watchers[a->n_watchers++] = who;
}

static void
watch_del(rt_actor *a, rt_addr who)
{
	for (uint32_t i = 0; i < a->n_watchers; i++)
		if (rt_addr_eq(a->watchers[i], who)) {
			a->watchers[i] = a->watchers[--a->n_watchers];
			return;
		}
}

/* --- delivery ----------------------------------------------------------- */

static int
control(rt_actor *a, const Pbx__Envelope *env)
{
	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_WATCH:
		watch_add(a, rt_addr_from_pb(env->from));
		return 1;
	case PBX__ENVELOPE__BODY_UNWATCH:
		watch_del(a, rt_addr_from_pb(env->from));
		return 1;
	case PBX__ENVELOPE__BODY_EXIT:
		rt_stop(a, env->exit->reason);
		return 1;
	default:
		return 0;
	}
}

void
rt_actor_dispatch(struct rt_worker *w, rt_msg *m)
{
	const Pbx__Envelope *env = m->env;
	rt_actor *a = rt_map_get(&w->actors, env->to ? env->to->id : 0);
	rt_actor *prev;

	atomic_fetch_add_explicit(&w->n_msgs, 1, memory_order_relaxed);
	if (!a || a->stopping) {
		rt_return(w->rt, m, ENOENT);
		return;
	}
	prev = rt_actor_enter(a);
	if (control(a, env)) {
		/* handled by the runtime */
	} else if ((env->reply ||
	            env->body_case == PBX__ENVELOPE__BODY_UNDELIVERABLE) &&
	           rt_request_complete(w, a, env)) {
		/* a pending request's answer */
	} else if (env->reply) {
		/* late answer to a request that timed out: drop */
	} else if (env->body_case == PBX__ENVELOPE__BODY__NOT_SET) {
		/* a body this release does not know (newer peer) */
		rt_actor_leave(a, prev);
		rt_return(w->rt, m, EPROTONOSUPPORT);
		return;
	} else {
		w->handling = m;
		a->kind->handle(a, env);
		m = w->handling; /* NULL: rt_take took it */
		w->handling = NULL;
	}
	rt_actor_leave(a, prev);
	rt_msg_free(m);
}

rt_msg *
rt_take(rt_actor *a)
{
	rt_msg *m = a->w->handling;

	a->w->handling = NULL;
	return m;
}

/* Answer a message that reached nobody, then free it. */
void
rt_return(rt *r, rt_msg *m, int err)
{
	Pbx__Envelope *env = m->env;
	rt_addr from = rt_addr_from_pb(env->from);
	rt_addr to = rt_addr_from_pb(env->to);
	Pbx__Undeliverable *u;
	Pbx__Down *d;
	rt_msg *b = NULL;

	if (from.id == 0 || env->reply ||
	    env->body_case == PBX__ENVELOPE__BODY_UNDELIVERABLE ||
	    env->body_case == PBX__ENVELOPE__BODY_DOWN ||
	    env->body_case == PBX__ENVELOPE__BODY_UNWATCH ||
	    env->body_case == PBX__ENVELOPE__BODY_EXIT)
		goto out;
	if (env->body_case == PBX__ENVELOPE__BODY_WATCH) {
		b = rt_msg_new(PBX__ENVELOPE__BODY_DOWN, sizeof(Pbx__Addr), &d);
		if (!b)
			goto out;
		d->who = rt_msg_alloc(b, sizeof(*d->who));
		pbx__addr__init(d->who);
		rt_addr_to_pb(d->who, to);
		d->reason = err;
		d->kind = "";
	} else {
		b = rt_msg_new(PBX__ENVELOPE__BODY_UNDELIVERABLE,
		               sizeof(Pbx__Addr), &u);
		if (!b)
			goto out;
		u->to = rt_msg_alloc(b, sizeof(*u->to));
		pbx__addr__init(u->to);
		rt_addr_to_pb(u->to, to);
		u->error = err;
		u->body_case = (uint32_t)env->body_case;
		b->env->correlation = env->correlation;
	}
	rt_msg_set_route(b, to, from);
	if (rt_route(r, from, b) != 0)
		rt_msg_free(b);
out:
	rt_msg_free(m);
}

/* Route a message whose envelope addresses are set. Takes m on 0. */
int
rt_route(rt *r, rt_addr to, rt_msg *m)
{
	struct rt_worker *cur;

	if (atomic_load_explicit(&r->stopping, memory_order_relaxed))
		return ESHUTDOWN;
	if (to.node != r->node_id) {
		if (!r->remote)
			return EHOSTUNREACH;
		cur = rt_current_worker();
		return r->remote(r->remote_arg, cur ? cur->index : UINT32_MAX,
		                 m);
	}
	if (to.worker >= r->n_workers || to.id == 0)
		return EINVAL;
	rt_worker_enqueue(&r->workers[to.worker], &m->q);
	return 0;
}

int
rt_send(rt_actor *a, rt_addr to, rt_msg *m)
{
	if (!m)
		return EINVAL;
	rt_msg_set_route(m, a->addr, to);
	return rt_route(a->w->rt, to, m);
}

int
rt_inject(rt *r, rt_addr from, rt_addr to, rt_msg *m)
{
	if (!m)
		return EINVAL;
	rt_msg_set_route(m, from, to);
	return rt_route(r, to, m);
}

void
rt_deliver(rt *r, rt_msg *m)
{
	rt_addr to = rt_addr_from_pb(m->env->to);

	if (to.node != r->node_id || to.worker >= r->n_workers) {
		rt_return(r, m, ENOENT);
		return;
	}
	if (atomic_load_explicit(&r->stopping, memory_order_relaxed)) {
		rt_msg_free(m);
		return;
	}
	rt_worker_enqueue(&r->workers[to.worker], &m->q);
}

static int
send_control(rt_actor *a, rt_addr to, Pbx__Envelope__BodyCase body, int reason)
{
	Pbx__Exit *x;
	rt_msg *m = rt_msg_new(body, 0, &x);
	int err;

	if (!m)
		return ENOMEM;
	if (body == PBX__ENVELOPE__BODY_EXIT)
		x->reason = reason;
	err = rt_send(a, to, m);
	if (err)
		rt_msg_free(m);
	return err;
}

int
rt_watch(rt_actor *a, rt_addr target)
{
	return send_control(a, target, PBX__ENVELOPE__BODY_WATCH, 0);
}

int
rt_unwatch(rt_actor *a, rt_addr target)
{
	return send_control(a, target, PBX__ENVELOPE__BODY_UNWATCH, 0);
}

int
rt_exit(rt_actor *a, rt_addr target, int reason)
{
	return send_control(a, target, PBX__ENVELOPE__BODY_EXIT, reason);
}

/* --- accessors ------------------------------------------------------------ */

rt_addr
rt_self(const rt_actor *a)
{
	return a->addr;
}

void *
rt_state(rt_actor *a)
{
	return a->state;
}

rt *
rt_of(rt_actor *a)
{
	return a->w->rt;
}

const char *
rt_kind_name(const rt_actor *a)
{
	return a->kind->name;
}
