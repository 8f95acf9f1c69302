/*
 * Projections: state derived from the log, written in the transaction of
 * the events that change it. `locations`: AOR -> AorBindings; `calls` and
 * `call_ids` (store_calls.c): the call records.
 *
 * Applying must depend on nothing but the events and the order they are
 * applied in (no clock, no configuration): a rebuild replays the log in key
 * order and must give the same bytes. A binding event is applied on the
 * wire format (wire.c): the AOR's stored bindings and the event's binding
 * are read where they lie and the new value spliced from their bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

static bool
str_eq(const struct store_str *a, const struct store_str *b)
{
	return a->l == b->l && (a->l == 0 || memcmp(a->p, b->p, a->l) == 0);
}

/* The AOR's stored bindings, copied to the scratch (a put may overwrite
 * the page they lie in) and read into *out; *n of them. */
static int
wire_bindings(struct store *s, MDB_txn *txn, MDB_val *k,
              struct store_wire_binding **out, size_t *n)
{
	const uint8_t *p, *end;
	struct store_wire_binding x, *v;
	uint8_t *copy;
	MDB_val val;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = mdb_get(txn, s->locations, k, &val);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	copy = store_scratch(s, val.mv_size + 1);
	if (!copy)
		return ENOMEM;
	memcpy(copy, val.mv_data, val.mv_size);
	end = copy + val.mv_size;
	for (p = copy; (rc = store_wire_next_binding(&p, end, &x)) == 0;)
		cnt++;
	if (rc != ENOENT)
		return EBADMSG;
	v = store_scratch(s, (cnt + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	for (p = copy; *n < cnt && store_wire_next_binding(&p, end, &x) == 0;)
		v[(*n)++] = x;
	*out = v;
	return 0;
}

/* Write v[0..n) as the AOR's bindings, or delete the key when n is 0. */
static int
wire_put(struct store *s, MDB_txn *txn, MDB_val *k,
         const struct store_wire_binding *v, size_t n)
{
	MDB_val d = { 0, NULL };
	uint8_t *o;
	int rc;

	if (!n)
		return mdb_del(txn, s->locations, k, NULL);
	for (size_t i = 0; i < n; i++)
		d.mv_size += store_wire_put_binding(NULL, &v[i]);
	rc = mdb_put(txn, s->locations, k, &d, MDB_RESERVE);
	if (rc)
		return rc;
	o = d.mv_data;
	for (size_t i = 0; i < n; i++)
		o += store_wire_put_binding(o, &v[i]);
	return 0;
}

/* Added or refreshed: replace the binding it supersedes -- the same
 * instance and reg-id (RFC 5626) when it has an instance, else (or if
 * none) the same contact -- unless that one was written later (last writer
 * wins on updated_at_ms; on a tie the event applied later, i.e. the greater
 * (origin, seq), wins), else append. */
static int
wire_set(struct store *s, MDB_txn *txn, const struct store_wire_binding *b)
{
	MDB_val k = { b->aor.l, (void *)b->aor.p };
	struct store_wire_binding *v, *w;
	size_t n, i = SIZE_MAX;
	int rc;

	if ((rc = wire_bindings(s, txn, &k, &v, &n)) != 0)
		return rc;
	if (b->instance.l)
		for (size_t j = 0; j < n && i == SIZE_MAX; j++)
			if (str_eq(&v[j].instance, &b->instance) &&
			    v[j].reg_id == b->reg_id)
				i = j;
	for (size_t j = 0; j < n && i == SIZE_MAX; j++)
		if (str_eq(&v[j].contact, &b->contact))
			i = j;
	if (i != SIZE_MAX) {
		if (b->updated_at_ms < v[i].updated_at_ms)
			return 0; /* an older version: nothing changes */
		v[i] = *b;
		return wire_put(s, txn, &k, v, n);
	}
	w = store_scratch(s, (n + 1) * sizeof(*w));
	if (!w)
		return ENOMEM;
	if (n)
		memcpy(w, v, n * sizeof(*w));
	w[n] = *b;
	return wire_put(s, txn, &k, w, n + 1);
}

/* Removed or expired: drop every binding at that contact; an AOR with none
 * left is deleted. */
static int
wire_drop(struct store *s, MDB_txn *txn, const struct store_str *aor,
          const struct store_str *contact)
{
	MDB_val k = { aor->l, (void *)aor->p };
	struct store_wire_binding *v;
	size_t n, kept = 0;
	int rc;

	if ((rc = wire_bindings(s, txn, &k, &v, &n)) != 0 || !n)
		return rc;
	for (size_t j = 0; j < n; j++)
		if (!str_eq(&v[j].contact, contact))
			v[kept++] = v[j];
	return kept != n ? wire_put(s, txn, &k, v, kept) : 0;
}

static bool
wire_key_ok(const struct store *s, const struct store_str *aor)
{
	return aor->l && aor->l <= (size_t)mdb_env_get_maxkeysize(s->env);
}

int
store_apply_bytes(struct store *s, MDB_txn *txn, const uint8_t *body,
                  size_t body_len, const uint8_t *stored, size_t stored_len,
                  struct store_buf *cdr)
{
	struct store_wire_event e;
	Pbx__Event *ev;

	if (store_wire_event(body, body_len, &e) != 0)
		return EBADMSG;
	/* store_append refuses malformed events; one found in the log (an
	 * older writer's) changes nothing, live or in a rebuild alike */
	switch (e.kind) {
	case 16:
	case 17:
		if (!e.has_binding || !wire_key_ok(s, &e.binding.aor))
			return 0;
		return wire_set(s, txn, &e.binding);
	case 18:
	case 19:
		return wire_key_ok(s, &e.aor)
		           ? wire_drop(s, txn, &e.aor, &e.contact)
		           : 0;
	default: /* the calls projection's (store_calls.c), or none */
		ev = pbx__event__unpack(&s->arena.pb, stored_len, stored);
		return ev ? store_apply_call(s, txn, ev, cdr) : EBADMSG;
	}
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
		/* CDR lines are out */
		rc = store_apply_bytes(s, txn, v.mv_data, v.mv_size, v.mv_data,
		                       v.mv_size, NULL);
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
