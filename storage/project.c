/*
 * Projections: state derived from the log, written in the transaction of
 * the events that change it. `locations`: AOR -> AorBindings, with their
 * tombstones in `tombs`; `calls` and `call_ids` (store_calls.c): the call
 * records.
 *
 * Applying must depend on nothing but the events (no clock, no
 * configuration but the tombstones' keep time, which only `tombs` holds):
 * a rebuild replays the log in key order, and a peer applies the same
 * events in another order; both must give the same `locations` bytes. So a
 * binding event merges as a last-writer-wins element set with tombstones
 * (storage/README.md): versions (updated_at_ms, origin, seq), one binding
 * per key, the bindings of an AOR sorted by (contact, instance, reg-id).
 * A binding event is applied on the wire format (wire.c): the AOR's stored
 * bindings and the event's binding are read where they lie and the new
 * value spliced from their bytes.
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

static int
str_cmp(const struct store_str *a, const struct store_str *b)
{
	size_t l = a->l < b->l ? a->l : b->l;
	int c = l ? memcmp(a->p, b->p, l) : 0;

	return c ? c : (a->l > b->l) - (a->l < b->l);
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

int
store_vcmp(const struct store_wire_binding *a,
           const struct store_wire_binding *b)
{
	if (a->updated_at_ms != b->updated_at_ms)
		return CMP(a->updated_at_ms, b->updated_at_ms);
	if (a->origin != b->origin)
		return CMP(a->origin, b->origin);
	return CMP(a->seq, b->seq);
}

/* The order of the bindings (and tombstones) of an AOR: whatever order
 * their events came in, the same bytes. */
static int
order(const struct store_wire_binding *a, const struct store_wire_binding *b)
{
	int c = str_cmp(&a->contact, &b->contact);

	if (!c)
		c = str_cmp(&a->instance, &b->instance);
	return c ? c : CMP(a->reg_id, b->reg_id);
}

/* A binding's key: its instance and reg-id (RFC 5626) when it has an
 * instance, else its contact. */
static bool
same_key(const struct store_wire_binding *a, const struct store_wire_binding *b)
{
	if (a->instance.l || b->instance.l)
		return str_eq(&a->instance, &b->instance) &&
		       a->reg_id == b->reg_id;
	return str_eq(&a->contact, &b->contact);
}

int
store_wire_load(struct store *s, MDB_txn *txn, MDB_dbi dbi, MDB_val *k,
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
	rc = mdb_get(txn, dbi, k, &val);
	if (rc == MDB_NOTFOUND) { /* room for an insert */
		*out = store_scratch(s, sizeof(**out));
		return *out ? 0 : ENOMEM;
	}
	if (rc)
		return rc;
	/* copied: a put may overwrite the page they lie in */
	copy = store_scratch(s, val.mv_size + 1);
	if (!copy)
		return ENOMEM;
	memcpy(copy, val.mv_data, val.mv_size);
	end = copy + val.mv_size;
	for (p = copy; (rc = store_wire_next_binding(&p, end, &x)) == 0;)
		cnt++;
	if (rc != ENOENT)
		return EBADMSG;
	/* room for one more: an insert */
	v = store_scratch(s, (cnt + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	for (p = copy; *n < cnt && store_wire_next_binding(&p, end, &x) == 0;)
		v[(*n)++] = x;
	*out = v;
	return 0;
}

/* Write v[0..n) as the AOR's value in dbi, or delete the key when n is 0. */
static int
wire_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k,
         const struct store_wire_binding *v, size_t n)
{
	MDB_val d = { 0, NULL };
	uint8_t *o;
	int rc;

	if (!n) {
		rc = mdb_del(txn, dbi, k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	for (size_t i = 0; i < n; i++)
		d.mv_size += store_wire_put_binding(NULL, &v[i]);
	rc = mdb_put(txn, dbi, k, &d, MDB_RESERVE);
	if (rc)
		return rc;
	o = d.mv_data;
	for (size_t i = 0; i < n; i++)
		o += store_wire_put_binding(o, &v[i]);
	return 0;
}

/* v[0..*n) sorted, room for one more: drop v[at] (at < *n) and put b
 * (if any) in its place in the order. */
static void
replace_sorted(struct store_wire_binding *v, size_t *n, size_t at,
               const struct store_wire_binding *b)
{
	size_t i;

	if (at < *n) {
		memmove(&v[at], &v[at + 1], (*n - at - 1) * sizeof(*v));
		(*n)--;
	}
	if (!b)
		return;
	for (i = *n; i > 0 && order(&v[i - 1], b) > 0; i--)
		v[i] = v[i - 1];
	v[i] = *b;
	(*n)++;
}

/* A tombstone: a contact's (contact set, no instance) or a key's (an
 * instance binding that died: instance and reg-id, no contact), with the
 * greatest version that died there and when it may be forgotten. Packed
 * here, then read as a wire binding (the version's origin and seq are
 * put by store_wire_put_binding). */
static int
tomb_make(struct store *s, const struct store_str *contact,
          const struct store_str *instance, uint32_t reg_id,
          const struct store_wire_binding *version, uint64_t expires_at_ms,
          struct store_wire_binding *out)
{
	Pbx__Binding b = PBX__BINDING__INIT;
	char *c = store_scratch(s, contact->l + instance->l + 2);
	uint8_t *p;
	size_t n;

	if (!c)
		return ENOMEM;
	memcpy(c, contact->p, contact->l);
	c[contact->l] = '\0';
	memcpy(c + contact->l + 1, instance->p, instance->l);
	c[contact->l + 1 + instance->l] = '\0';
	b.contact = c;
	b.instance = c + contact->l + 1;
	b.reg_id = reg_id;
	b.updated_at_ms = version->updated_at_ms;
	b.expires_at_ms = expires_at_ms;
	n = pbx__binding__get_packed_size(&b);
	p = store_scratch(s, n + 1);
	if (!p)
		return ENOMEM;
	pbx__binding__pack(&b, p);
	if (store_wire_binding(p, n, out))
		return EBADMSG;
	out->origin = version->origin;
	out->seq = version->seq;
	return 0;
}

/* Raise the tombstone of (contact | instance, reg-id) in t[0..*n) to
 * version (kept if greater) and its expiry (the later one). */
static int
tomb_raise(struct store *s, struct store_wire_binding *t, size_t *n,
           const struct store_str *contact, const struct store_str *instance,
           uint32_t reg_id, const struct store_wire_binding *version,
           uint64_t expires_at_ms)
{
	struct store_wire_binding nt;
	size_t i;
	int rc;

	for (i = 0; i < *n; i++)
		if (str_eq(&t[i].contact, contact) &&
		    str_eq(&t[i].instance, instance) && t[i].reg_id == reg_id)
			break;
	if (i < *n) {
		if (store_vcmp(&t[i], version) >= 0 &&
		    t[i].expires_at_ms >= expires_at_ms)
			return 0;
		if (store_vcmp(&t[i], version) > 0)
			version = &t[i];
		if (t[i].expires_at_ms > expires_at_ms)
			expires_at_ms = t[i].expires_at_ms;
	}
	rc = tomb_make(s, contact, instance, reg_id, version, expires_at_ms,
	               &nt);
	if (!rc)
		replace_sorted(t, n, i, &nt);
	return rc;
}

/* Added or refreshed, version v = b's (updated_at_ms, origin, seq): kept
 * iff v is greater than the stored version of its key, than its key's
 * tombstone and than its contact's tombstone. One that is older than its
 * contact's tombstone still ends the older version of its key (else the
 * outcome would depend on the order). */
static int
wire_set(struct store *s, MDB_txn *txn, const struct store_wire_binding *b,
         uint64_t at_ms)
{
	static const struct store_str none = { "", 0 };
	MDB_val k = { b->aor.l, (void *)b->aor.p };
	struct store_wire_binding *v, *t;
	size_t n, nt, m = SIZE_MAX, ct = SIZE_MAX;
	int rc;

	if ((rc = store_wire_load(s, txn, s->locations, &k, &v, &n)) ||
	    (rc = store_wire_load(s, txn, s->tombs, &k, &t, &nt)))
		return rc;
	for (size_t j = 0; j < nt; j++) {
		if (t[j].instance.l) {
			if (b->instance.l && same_key(&t[j], b) &&
			    store_vcmp(&t[j], b) >= 0)
				return 0; /* its key died later */
		} else if (str_eq(&t[j].contact, &b->contact)) {
			ct = j;
		}
	}
	for (size_t j = 0; j < n && m == SIZE_MAX; j++)
		if (same_key(&v[j], b))
			m = j;
	if (m != SIZE_MAX && store_vcmp(&v[m], b) >= 0)
		return 0; /* an older version: nothing changes */
	if (ct == SIZE_MAX || store_vcmp(b, &t[ct]) > 0) {
		replace_sorted(v, &n, m == SIZE_MAX ? n : m, b);
		return wire_put(txn, s->locations, &k, v, n);
	}
	/* dead on arrival: its key's older version goes, and an instance's
	 * key remembers that it died */
	if (m != SIZE_MAX) {
		replace_sorted(v, &n, m, NULL);
		if ((rc = wire_put(txn, s->locations, &k, v, n)))
			return rc;
	}
	if (!b->instance.l)
		return 0;
	rc = tomb_raise(s, t, &nt, &none, &b->instance, b->reg_id, b,
	                at_ms + s->tomb_keep_ms);
	return rc ? rc : wire_put(txn, s->tombs, &k, t, nt);
}

/* Removed or expired at a contact, tombstone version tv: every binding at
 * that contact older than tv goes (an instance's key remembers it), and,
 * if tomb, the contact's tombstone keeps the greatest tv. An AOR with
 * nothing left is deleted. */
static int
wire_drop(struct store *s, MDB_txn *txn, const struct store_str *aor,
          const struct store_str *contact, const struct store_wire_binding *tv,
          bool tomb, uint64_t at_ms)
{
	static const struct store_str none = { "", 0 };
	MDB_val k = { aor->l, (void *)aor->p };
	struct store_wire_binding *v, *t;
	size_t n, nt, kept = 0;
	uint64_t exp = at_ms + s->tomb_keep_ms;
	int rc;

	if ((rc = store_wire_load(s, txn, s->locations, &k, &v, &n)) ||
	    (rc = store_wire_load(s, txn, s->tombs, &k, &t, &nt)))
		return rc;
	/* room for one more tombstone per binding that dies */
	if (n) {
		struct store_wire_binding *w =
		    store_scratch(s, (nt + n + 1) * sizeof(*w));

		if (!w)
			return ENOMEM;
		if (nt)
			memcpy(w, t, nt * sizeof(*w));
		t = w;
	}
	for (size_t j = 0; j < n; j++) {
		if (!str_eq(&v[j].contact, contact) ||
		    store_vcmp(&v[j], tv) >= 0) {
			v[kept++] = v[j];
			continue;
		}
		if (v[j].instance.l &&
		    (rc = tomb_raise(s, t, &nt, &none, &v[j].instance,
		                     v[j].reg_id, &v[j], exp)))
			return rc;
	}
	if (kept != n && (rc = wire_put(txn, s->locations, &k, v, kept)))
		return rc;
	if (!tomb) /* an old BindingExpired: no version, no tombstone */
		return wire_put(txn, s->tombs, &k, t, nt);
	rc = tomb_raise(s, t, &nt, contact, &none, 0, tv, exp);
	return rc ? rc : wire_put(txn, s->tombs, &k, t, nt);
}

static bool
wire_key_ok(const struct store *s, const struct store_str *aor)
{
	return aor->l && aor->l <= (size_t)mdb_env_get_maxkeysize(s->env);
}

/* Removed: version (at_ms, origin, seq). Expired: (updated_at_ms named,
 * UINT32_MAX, UINT64_MAX), which kills that version and older ones, never
 * a newer one; an old Expired without it kills whatever is at the contact
 * (tv NULL: no tombstone). */
static int
apply_drop(struct store *s, MDB_txn *txn, const struct store_wire_event *e,
           const struct store_apply *how)
{
	struct store_wire_binding tv = { 0 };
	bool tomb = true;

	if (e->kind == 18) {
		tv.updated_at_ms = how->at_ms;
		tv.origin = how->origin;
		tv.seq = how->seq;
	} else {
		tv.updated_at_ms =
		    e->expired_upto ? e->expired_upto : UINT64_MAX;
		tv.origin = UINT32_MAX;
		tv.seq = UINT64_MAX;
		tomb = e->expired_upto != 0;
	}
	return wire_drop(s, txn, &e->aor, &e->contact, &tv, tomb, how->at_ms);
}

int
store_apply_bytes(struct store *s, MDB_txn *txn, const uint8_t *body,
                  size_t body_len, const uint8_t *stored, size_t stored_len,
                  const struct store_apply *how)
{
	struct store_apply h = *how;
	struct store_wire_event e;
	const struct store_str *aor = NULL;
	Pbx__Event *ev;
	int rc;

	if (store_wire_event(body, body_len, &e) != 0)
		return EBADMSG;
	if (!h.origin) {
		h.origin = e.origin;
		h.seq = e.seq;
		h.at_ms = e.at_ms;
	}
	/* store_append refuses malformed events; one found in the log (an
	 * older writer's) changes nothing, live or in a rebuild alike */
	switch (e.kind) {
	case 16:
	case 17:
		if (!e.has_binding || !wire_key_ok(s, &e.binding.aor))
			return 0;
		/* the version is the event's: set by the store */
		e.binding.origin = h.origin;
		e.binding.seq = h.seq;
		aor = &e.binding.aor;
		rc = wire_set(s, txn, &e.binding, h.at_ms);
		break;
	case 18:
	case 19:
		if (!wire_key_ok(s, &e.aor))
			return 0;
		aor = &e.aor;
		rc = apply_drop(s, txn, &e, &h);
		break;
	default: /* the calls projection's (store_calls.c), or none */
		ev = pbx__event__unpack(&s->arena.pb, stored_len, stored);
		return ev ? store_apply_call(s, txn, ev, h.cdr) : EBADMSG;
	}
	if (rc == 0 && h.remote)
		rc = store_epoch_note(s, store_epoch_slot(aor->p, aor->l));
	return rc;
}

int
store_replay(struct store *s, MDB_txn *txn)
{
	struct store_apply how = { 0 }; /* from the bytes; no CDR lines */
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t n = 0;
	int rc;

	if ((rc = mdb_drop(txn, s->locations, 0)) ||
	    (rc = mdb_drop(txn, s->tombs, 0)) ||
	    (rc = mdb_drop(txn, s->calls, 0)) ||
	    (rc = mdb_drop(txn, s->call_ids, 0)))
		return rc;
	rc = mdb_cursor_open(txn, s->events, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		rc = store_apply_bytes(s, txn, v.mv_data, v.mv_size, v.mv_data,
		                       v.mv_size, &how);
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
