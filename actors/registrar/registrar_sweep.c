/*
 * The bindings of a node that is down (contract §6): a node restores at
 * start only the AORs it holds a flow of or wrote a binding of, and each
 * node expires on time only the versions it wrote, so the bindings a dead
 * node wrote would stay in every projection. Every registrar.expiry_grace
 * seconds the registrar actor of worker 0 walks the locations and, for an
 * AOR with a binding another node wrote that has been expired for longer
 * than the grace, spawns the AOR's actor (it expires what is due at its
 * start, registration_sync.c, and stops when idle), or tells the one it
 * has (RegistrationSync: it reloads what changed and expires). A
 * node that is up expired its own within the grace, so the walk finds
 * nothing to do then; several nodes expiring the same version write the
 * same tombstone (the merge rule makes that harmless).
 */
#include <string.h>

#include "log.h"
#include "registrar.h"

struct sweep {
	rt_actor *a;
	struct registrar *g;
	uint64_t now, grace;
	uint32_t self;
	unsigned spawned;
};

static bool
orphaned(const Pbx__AorBindings *b, const struct sweep *s)
{
	for (size_t i = 0; i < b->n_bindings; i++) {
		const Pbx__Binding *x = b->bindings[i];

		if (x->origin && x->origin != s->self &&
		    x->expires_at_ms + s->grace <= s->now)
			return true;
	}
	return false;
}

static int
sweep_one(void *arg, const Pbx__AorBindings *b)
{
	struct sweep *s = arg;
	const char *aor;
	bool spawned;
	rt_addr x;
	rt_msg *m;
	Pbx__RegistrationSync *rs;

	if (!b->n_bindings || !(aor = b->bindings[0]->aor) || !aor[0] ||
	    !orphaned(b, s))
		return 0;
	x = registrar_ensure(s->a, s->g, aor, &spawned);
	s->spawned += spawned;
	if (x.id && !spawned &&
	    (m = rt_msg_new(PBX__ENVELOPE__BODY_REGISTRATION_SYNC, 0, &rs)) &&
	    rt_send(s->a, x, m) != 0)
		rt_msg_free(m);
	return 0;
}

static void
sweep_cb(rt_actor *a, void *arg)
{
	struct registrar *g = arg;
	struct sweep s = { a,
		           g,
		           registrar_now_ms(),
		           (uint64_t)g->cfg->expiry_grace * 1000,
		           rt_self(a).node,
		           0 };

	store_locations_each(g->store, sweep_one, &s);
	if (s.spawned)
		rt_info("registrar: %u AORs with bindings of other nodes "
		        "expired for over %u s: actors spawned to expire them",
		        s.spawned, g->cfg->expiry_grace);
	rt_timer_start(a, s.grace, sweep_cb, g);
}

void
registrar_sweep_start(rt_actor *a, struct registrar *g)
{
	if (rt_self(a).worker != 0 || !g->store)
		return;
	rt_timer_start(a, (uint64_t)g->cfg->expiry_grace * 1000, sweep_cb, g);
}
