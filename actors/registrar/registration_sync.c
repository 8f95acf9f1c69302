/*
 * A registration actor's bindings (registration.c) against the store and
 * the clock: loading them, reloading them when another node changed the
 * AOR, and expiring them.
 *
 * In a cluster the store also holds the bindings other nodes wrote (their
 * events, replicated). The store raises the AOR's epoch (store_aor_epoch)
 * whenever a replicated event changes it; the actor notes the epoch when
 * it loads and compares it on each REGISTER and expiry: an atomic load and
 * a hash of the AOR, nothing more, while nobody else touches the AOR. When
 * it moved, the actor reloads from the store, so a 200 lists the bindings
 * made through other nodes and max_bindings counts them. Not while a
 * commit of its own is pending: what it holds then is ahead of the store;
 * it reloads once the commits are in.
 *
 * Expiry (contract §6): a node expires on time the versions it wrote
 * (origin = this node), and the versions another node wrote only once they
 * have been expired for registrar.expiry_grace: that node does it on time
 * while it is up, and if it is down its bindings still go. The expiry
 * event names the version it expires (updated_at_ms), so a refresh written
 * meanwhile elsewhere survives it, whoever expires first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registration_int.h"

/* Room for n bindings: an AOR holds what it uses, not max_bindings. */
int
reg_reserve(struct reg *r, size_t n)
{
	struct binding *b;

	if (n <= r->alloc)
		return 0;
	if (!(b = realloc(r->b, n * sizeof(*b))))
		return ENOMEM;
	r->b = b;
	r->alloc = n;
	return 0;
}

int
reg_load(struct reg *r)
{
	Pbx__AorBindings *ab = NULL;
	int err = 0;

	r->n = 0;
	r->stale = false;
	if (!r->g->store)
		return 0;
	/* the epoch before the read: a change committed during it moves the
	 * epoch again, and the next check reloads */
	r->epoch = store_aor_epoch(r->g->store, r->aor);
	if (store_locations_get(r->g->store, r->aor, &ab) != 0)
		return 0; /* none (or unreadable: as before, none) */
	if ((err = reg_reserve(r, ab->n_bindings < r->cap ? ab->n_bindings
	                                                  : r->cap)) == 0)
		for (size_t i = 0; i < ab->n_bindings && r->n < r->cap; i++)
			reg_binding_from_pb(&r->b[r->n++], ab->bindings[i]);
	pbx__aor_bindings__free_unpacked(ab, NULL);
	return err;
}

void
reg_sync(rt_actor *a, struct reg *r)
{
	size_t before = r->n;

	if (!r->g->store ||
	    (!r->stale && store_aor_epoch(r->g->store, r->aor) == r->epoch))
		return;
	if (r->npend) {
		r->stale = true; /* after our commits */
		return;
	}
	if (reg_load(r) != 0)
		rt_warn("registration %s: reload: no memory", r->aor);
	rt_debug("registration %s: changed by another node: %zu bindings, "
	         "%zu before",
	         r->aor, r->n, before);
	reg_arm(a, r);
}

void
reg_arm(rt_actor *a, struct reg *r)
{
	uint64_t next = UINT64_MAX, now = registrar_now_ms(), due;
	uint32_t self = rt_self(a).node;
	uint64_t grace = (uint64_t)r->g->cfg->expiry_grace * 1000;

	for (size_t i = 0; i < r->n; i++)
		if ((due = reg_due(&r->b[i], self, grace)) < next)
			next = due;
	/* a timer that fires no later than needed stays (a refresh moves the
	 * earliest expiry later: it fires, finds nothing due, and is set
	 * again), so a REGISTER seldom touches the loop's timer heap */
	if (r->timer && r->timer_at <= next)
		return;
	if (r->timer)
		rt_timer_cancel(a, r->timer);
	r->timer = 0;
	if (next != UINT64_MAX) {
		r->timer_at = next > now ? next : now;
		r->timer = rt_timer_start(a, next > now ? next - now : 0,
		                          reg_expiry_cb, NULL);
	}
}

void
reg_expire(rt_actor *a, struct reg *r)
{
	struct change_set *cs = reg_cs_new(r->n + 1);
	uint64_t now = registrar_now_ms();
	uint64_t grace = (uint64_t)r->g->cfg->expiry_grace * 1000;
	uint32_t self = rt_self(a).node;
	size_t k = 0;

	if (!cs)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct binding *b = &r->b[i];

		if (reg_due(b, self, grace) <= now && cs->n < cs->cap) {
			cs->c[cs->n].kind = EXPIRED;
			cs->c[cs->n++].b = *b;
			if (!b->origin || b->origin == self)
				rt_info("binding expired: %s -> %s", r->aor,
				        b->contact);
			else
				rt_info("binding expired: %s -> %s (written "
				        "by node %u, expired for %u s)",
				        r->aor, b->contact, b->origin,
				        r->g->cfg->expiry_grace);
		} else {
			r->b[k++] = *b;
		}
	}
	r->n = k;
	if (cs->n)
		reg_append(a, r->g->store, r->aor, cs, 0);
	free(cs);
	reg_arm(a, r);
}
