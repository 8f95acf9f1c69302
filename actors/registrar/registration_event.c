/*
 * What a registration actor (registration.c) writes: the change sets of a
 * REGISTER, in memory on the worker's stack when they are small, as
 * events in the store, and the 500 that replaces a kept 200 whose commit
 * failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registration_int.h"

struct change_set *
reg_cs_new(size_t cap)
{
	struct change_set *cs = malloc(sizeof(*cs) + cap * sizeof(cs->c[0]));

	if (cs) {
		cs->n = 0;
		cs->cap = cap;
	}
	return cs;
}

struct change_set *
reg_scratch_cs(struct reg_scratch *sc, size_t cap)
{
	if (cap > REG_STACK_CAP + 8)
		return reg_cs_new(cap);
	sc->cs.cs.n = 0;
	sc->cs.cs.cap = cap;
	return &sc->cs.cs;
}

struct binding *
reg_scratch_nb(struct reg_scratch *sc, size_t cap)
{
	if (cap <= REG_STACK_CAP)
		return sc->nb;
	return cap <= 1000 ? malloc(cap * sizeof(struct binding)) : NULL;
}

void
reg_scratch_free(struct reg_scratch *sc, struct change_set *cs,
                 struct binding *nb)
{
	if (cs != &sc->cs.cs)
		free(cs);
	if (nb != sc->nb)
		free(nb);
}

int
reg_append(rt_actor *a, struct store *store, const char *aor,
           const struct change_set *cs, uint64_t corr)
{
	struct ev_parts {
		Pbx__Event ev;
		Pbx__Binding pb;
		Pbx__SipFlow pf;
		Pbx__Addr pc;
		Pbx__BindingAdded ad;
		Pbx__BindingRefreshed rf;
		Pbx__BindingRemoved rm;
		Pbx__BindingExpired ex;
	} * x;
	Pbx__Event **evp;
	int err;

	if (!store)
		return ENOSYS;
	x = malloc(cs->n * (sizeof(*x) + sizeof(*evp)));
	if (!x)
		return ENOMEM;
	evp = (Pbx__Event **)(x + cs->n);
	for (size_t i = 0; i < cs->n; i++) {
		pbx__event__init(&x[i].ev);
		x[i].ev.version = 1;
		reg_binding_to_pb(&x[i].pb, &x[i].pf, &x[i].pc, aor,
		                  &cs->c[i].b);
		switch (cs->c[i].kind) {
		case ADDED:
			pbx__binding_added__init(&x[i].ad);
			x[i].ad.binding = &x[i].pb;
			x[i].ev.body_case = PBX__EVENT__BODY_BINDING_ADDED;
			x[i].ev.binding_added = &x[i].ad;
			break;
		case REFRESHED:
			pbx__binding_refreshed__init(&x[i].rf);
			x[i].rf.binding = &x[i].pb;
			x[i].ev.body_case = PBX__EVENT__BODY_BINDING_REFRESHED;
			x[i].ev.binding_refreshed = &x[i].rf;
			break;
		case REMOVED:
			pbx__binding_removed__init(&x[i].rm);
			x[i].rm.aor = (char *)aor;
			x[i].rm.contact = (char *)cs->c[i].b.contact;
			x[i].rm.reason = "unregistered";
			x[i].ev.body_case = PBX__EVENT__BODY_BINDING_REMOVED;
			x[i].ev.binding_removed = &x[i].rm;
			break;
		case EXPIRED:
			pbx__binding_expired__init(&x[i].ex);
			x[i].ex.aor = (char *)aor;
			x[i].ex.contact = (char *)cs->c[i].b.contact;
			/* only this version goes: a refresh written
			 * meanwhile on another node stays (contract §6) */
			x[i].ex.updated_at_ms = cs->c[i].b.updated_at;
			x[i].ev.body_case = PBX__EVENT__BODY_BINDING_EXPIRED;
			x[i].ev.binding_expired = &x[i].ex;
			break;
		}
		evp[i] = &x[i].ev;
	}
	err = store_append(store, rt_self(a), corr, evp, cs->n);
	free(x);
	return err;
}

size_t
reg_failed_response(char *out, size_t n, const char *ok, size_t len)
{
	static const char line[] = "SIP/2.0 500 Storage Unavailable\r\n";
	const char *p = memchr(ok, '\n', len), *end = ok + len;
	size_t k = sizeof(line) - 1;

	if (!p || n < k)
		return 0;
	memcpy(out, line, k);
	for (p++; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t l = eol ? (size_t)(eol + 1 - p) : (size_t)(end - p);

		if (!(l > 8 && strncasecmp(p, "Contact:", 8) == 0)) {
			if (k + l > n)
				return 0;
			memcpy(out + k, p, l);
			k += l;
		}
		p += l;
	}
	return k;
}
