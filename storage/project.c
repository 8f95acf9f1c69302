/*
 * Projections: state derived from the log, written in the transaction of
 * the events that change it. `locations`: AOR -> AorBindings; `calls` and
 * `call_ids` (calls.c): the call records.
 *
 * Applying must depend on nothing but the events and the order they are
 * applied in (no clock, no configuration): a rebuild replays the log in key
 * order and must give the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

static bool
streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The binding that b replaces: the same instance and reg-id (RFC 5626) when
 * b has an instance, else (or if none) the same contact. -1 if none. */
static long
find_binding(Pbx__Binding *const *v, size_t n, const Pbx__Binding *b)
{
	if (b->instance && *b->instance)
		for (size_t i = 0; i < n; i++)
			if (streq(v[i]->instance, b->instance) &&
			    v[i]->reg_id == b->reg_id)
				return (long)i;
	for (size_t i = 0; i < n; i++)
		if (streq(v[i]->contact, b->contact))
			return (long)i;
	return -1;
}

static int
get_bindings(struct store *s, MDB_txn *txn, MDB_val *k, Pbx__AorBindings **out)
{
	MDB_val v;
	int rc;

	*out = NULL;
	rc = mdb_get(txn, s->locations, k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	/* the event's scratch: freed with it (store_arena_reset) */
	*out = pbx__aor_bindings__unpack(&s->arena.pb, v.mv_size, v.mv_data);
	return *out ? 0 : EBADMSG;
}

/* Write the AOR's bindings v[0..n), or delete the key when n is 0. */
static int
put_bindings(struct store *s, MDB_txn *txn, MDB_val *k, Pbx__Binding **v,
             size_t n)
{
	Pbx__AorBindings ab = PBX__AOR_BINDINGS__INIT;
	MDB_val d;
	int rc;

	if (!n)
		return mdb_del(txn, s->locations, k, NULL);
	ab.n_bindings = n;
	ab.bindings = v;
	d.mv_size = pbx__aor_bindings__get_packed_size(&ab);
	d.mv_data = NULL;
	rc = mdb_put(txn, s->locations, k, &d, MDB_RESERVE);
	if (rc == 0)
		pbx__aor_bindings__pack(&ab, d.mv_data);
	return rc;
}

/* Added or refreshed: replace the binding it supersedes unless that one was
 * written later (last writer wins on updated_at_ms; on a tie the event
 * applied later, i.e. the greater (origin, seq), wins), else append. */
static int
set_binding(struct store *s, MDB_txn *txn, Pbx__Binding *b)
{
	MDB_val k = { strlen(b->aor), b->aor };
	Pbx__AorBindings *old;
	Pbx__Binding **v;
	size_t n;
	long i;
	int rc;

	rc = get_bindings(s, txn, &k, &old);
	if (rc)
		return rc;
	n = old ? old->n_bindings : 0;
	v = store_scratch(s, (n + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	if (n)
		memcpy(v, old->bindings, n * sizeof(*v));
	i = find_binding(v, n, b);
	if (i < 0)
		v[n++] = b;
	else if (b->updated_at_ms >= v[i]->updated_at_ms)
		v[i] = b;
	else
		return 0; /* an older version: nothing changes */
	return put_bindings(s, txn, &k, v, n);
}

/* Removed or expired: drop every binding at that contact. */
static int
drop_binding(struct store *s, MDB_txn *txn, const char *aor,
             const char *contact)
{
	MDB_val k = { strlen(aor), (void *)aor };
	Pbx__AorBindings *old;
	Pbx__Binding **v;
	size_t n = 0;
	int rc;

	rc = get_bindings(s, txn, &k, &old);
	if (rc || !old)
		return rc;
	v = store_scratch(s, old->n_bindings * sizeof(*v) + 1);
	if (!v)
		return ENOMEM;
	for (size_t i = 0; i < old->n_bindings; i++)
		if (!streq(old->bindings[i]->contact, contact))
			v[n++] = old->bindings[i];
	return n != old->n_bindings ? put_bindings(s, txn, &k, v, n) : 0;
}

static bool
key_ok(const struct store *s, const char *aor)
{
	return aor && *aor &&
	       strlen(aor) <= (size_t)mdb_env_get_maxkeysize(s->env);
}

int
store_apply(struct store *s, MDB_txn *txn, const Pbx__Event *ev,
            struct store_buf *cdr)
{
	Pbx__Binding *b = NULL;
	const char *aor = NULL, *contact = NULL;

	/* store_append refuses malformed events; one found in the log (an
	 * older writer's) changes nothing, live or in a rebuild alike */
	switch (ev->body_case) {
	case PBX__EVENT__BODY_BINDING_ADDED:
		b = ev->binding_added ? ev->binding_added->binding : NULL;
		break;
	case PBX__EVENT__BODY_BINDING_REFRESHED:
		b = ev->binding_refreshed ? ev->binding_refreshed->binding
		                          : NULL;
		break;
	case PBX__EVENT__BODY_BINDING_REMOVED:
		if (ev->binding_removed) {
			aor = ev->binding_removed->aor;
			contact = ev->binding_removed->contact;
		}
		break;
	case PBX__EVENT__BODY_BINDING_EXPIRED:
		if (ev->binding_expired) {
			aor = ev->binding_expired->aor;
			contact = ev->binding_expired->contact;
		}
		break;
	case PBX__EVENT__BODY_CALL_STARTED:
	case PBX__EVENT__BODY_CALL_RINGING:
	case PBX__EVENT__BODY_CALL_ANSWERED:
	case PBX__EVENT__BODY_CALL_ENDED:
		return store_apply_call(s, txn, ev, cdr);
	default:
		return 0; /* no projection of ours */
	}
	if (b)
		return key_ok(s, b->aor) ? set_binding(s, txn, b) : 0;
	return key_ok(s, aor) ? drop_binding(s, txn, aor, contact) : 0;
}

int
store_replay(struct store *s, MDB_txn *txn)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t n = 0;
	int rc;

	if ((rc = mdb_drop(txn, s->locations, 0)) ||
	    (rc = mdb_drop(txn, s->calls, 0)) ||
	    (rc = mdb_drop(txn, s->call_ids, 0)))
		return rc;
	rc = mdb_cursor_open(txn, s->events, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Pbx__Event *ev =
		    pbx__event__unpack(&s->arena.pb, v.mv_size, v.mv_data);

		/* CDR lines are out */
		rc = ev ? store_apply(s, txn, ev, NULL) : EBADMSG;
		store_arena_reset(&s->arena);
		if (rc)
			break;
		n++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		rt_info("store: projections rebuilt from %llu events",
		        (unsigned long long)n);
		rc = 0;
	}
	return rc;
}
