/*
 * What replication reads of the store: each origin's cursor (the held seq
 * and that event's at_ms), an origin's raw events by range, the watcher
 * told after each commit that added events, the AORs' epochs (raised by
 * other origins' changes) and a digest of the locations projection.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int
store_held_get(struct store *s, MDB_txn *txn, uint32_t origin, uint64_t *seq)
{
	uint8_t mk[8];
	MDB_val k = { sizeof(mk), mk }, v;
	int rc;

	store_seq_key(mk, origin);
	rc = mdb_get(txn, s->meta, &k, &v);
	*seq = rc == 0 && v.mv_size == 8 ? be64(v.mv_data) : 0;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_held_put(struct store *s, MDB_txn *txn, uint32_t origin, uint64_t seq)
{
	uint8_t mk[8], b[8];
	MDB_val k = { sizeof(mk), mk }, v = { sizeof(b), b };

	store_seq_key(mk, origin);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(seq >> (56 - 8 * i));
	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* Under cur_mu: the cursor of origin, made if missing (kept sorted by
 * origin); NULL without memory. */
static Pbx__StoreCursor *
cursor_of(struct store *s, uint32_t origin)
{
	size_t i;

	for (i = 0; i < s->ncur && s->cur[i].origin < origin; i++)
		;
	if (i < s->ncur && s->cur[i].origin == origin)
		return &s->cur[i];
	if (s->ncur == s->capcur) {
		size_t cap = s->capcur ? 2 * s->capcur : 8;
		Pbx__StoreCursor *n = realloc(s->cur, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->cur = n;
		s->capcur = cap;
	}
	memmove(&s->cur[i + 1], &s->cur[i], (s->ncur - i) * sizeof(*s->cur));
	s->ncur++;
	pbx__store_cursor__init(&s->cur[i]);
	s->cur[i].origin = origin;
	return &s->cur[i];
}

void
store_cursor_set(struct store *s, uint32_t origin, uint64_t seq, uint64_t at_ms)
{
	Pbx__StoreCursor *c;

	pthread_mutex_lock(&s->cur_mu);
	c = cursor_of(s, origin);
	if (c) {
		c->seq = seq;
		if (at_ms) /* a range of holes only: the last at_ms stays */
			c->at_ms = at_ms;
	}
	pthread_mutex_unlock(&s->cur_mu);
}

int
store_cursors_load(struct store *s, MDB_txn *txn)
{
	uint8_t ek[STORE_KEY_LEN];
	MDB_val k = { 4, "seq/" }, v, e = { sizeof(ek), ek }, ev;
	struct store_wire_event we;
	MDB_cursor *c;
	int rc;

	store_cursor_set(s, s->node_id, s->next_seq - 1, 0);
	rc = mdb_cursor_open(txn, s->meta, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		uint32_t origin;
		uint64_t seq, at = 0;

		if (k.mv_size != 8 || memcmp(kp, "seq/", 4))
			break;
		if (v.mv_size != 8)
			continue;
		origin = (uint32_t)kp[4] << 24 | (uint32_t)kp[5] << 16 |
		         (uint32_t)kp[6] << 8 | kp[7];
		seq = be64(v.mv_data);
		store_key(ek, origin, seq);
		if (mdb_get(txn, s->events, &e, &ev) == 0 &&
		    store_wire_event(ev.mv_data, ev.mv_size, &we) == 0)
			at = we.at_ms;
		if (origin != s->node_id)
			store_cursor_set(s, origin, seq, at);
		else if (at)
			store_cursor_set(s, origin, s->next_seq - 1, at);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

size_t
store_origins(struct store *s, Pbx__StoreCursor *out, size_t max)
{
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->cur_mu);
	n = out ? (s->ncur < max ? s->ncur : max) : s->ncur;
	for (size_t i = 0; out && i < n; i++)
		out[i] = s->cur[i];
	pthread_mutex_unlock(&s->cur_mu);
	return n;
}

void
store_watch(struct store *s, rt_addr to)
{
	pthread_mutex_lock(&s->cur_mu);
	s->watcher = to;
	pthread_mutex_unlock(&s->cur_mu);
}

void
store_advanced(struct store *s, const uint32_t *origins, size_t n)
{
	rt_addr none = { 0, 0, 0 }, to;
	Pbx__StoreAdvanced *a;
	Pbx__StoreCursor *c;
	rt_msg *m;

	pthread_mutex_lock(&s->cur_mu);
	to = s->watcher;
	if (!s->r || !to.id)
		goto out;
	m = rt_msg_new(PBX__ENVELOPE__BODY_STORE_ADVANCED,
	               n * (sizeof(*c) + sizeof(c)) + 16, &a);
	if (!m)
		goto out;
	a->cursors = rt_msg_alloc(m, n * sizeof(*a->cursors));
	c = rt_msg_alloc(m, n * sizeof(*c));
	if (!a->cursors || !c) {
		rt_msg_free(m);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		Pbx__StoreCursor *x = cursor_of(s, origins[i]);

		pbx__store_cursor__init(&c[i]);
		if (x)
			c[i] = *x;
		a->cursors[a->n_cursors++] = &c[i];
	}
	if (rt_inject(s->r, none, to, m))
		rt_msg_free(m);
out:
	pthread_mutex_unlock(&s->cur_mu);
}

uint32_t
store_epoch_slot(const char *aor, size_t l)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < l; i++)
		h = (h ^ (uint8_t)aor[i]) * 16777619u;
	return h % STORE_EPOCH_SLOTS;
}

int
store_epoch_note(struct store *s, uint32_t slot)
{
	if (s->nepoch == s->capepoch) {
		size_t cap = s->capepoch ? 2 * s->capepoch : 64;
		uint32_t *n = realloc(s->epoch_pending, cap * sizeof(*n));

		if (!n)
			return ENOMEM;
		s->epoch_pending = n;
		s->capepoch = cap;
	}
	s->epoch_pending[s->nepoch++] = slot;
	return 0;
}

void
store_epoch_flush(struct store *s, bool committed)
{
	/* after the commit: an actor that sees the new epoch reads the new
	 * bindings */
	for (size_t i = 0; committed && i < s->nepoch; i++)
		atomic_fetch_add(&s->epochs[s->epoch_pending[i]], 1);
	s->nepoch = 0;
}

uint64_t
store_aor_epoch(struct store *s, const char *aor)
{
	if (!s || !aor)
		return 0;
	return atomic_load(&s->epochs[store_epoch_slot(aor, strlen(aor))]);
}

int
store_events_range(struct store *s, uint32_t origin, uint64_t after,
                   size_t max_n, size_t max_bytes, uint64_t *upto,
                   int (*cb)(void *arg, uint64_t seq, const uint8_t *p,
                             size_t n),
                   void *arg)
{
	uint8_t key[STORE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v;
	MDB_cursor *c = NULL;
	MDB_txn *txn;
	size_t got = 0, bytes = 0;
	uint64_t last = after, held;
	bool cut = false;
	int rc, err;

	if (!s || !upto || !cb || !max_n || after == UINT64_MAX)
		return EINVAL;
	store_key(key, origin, after + 1);
	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(store_held_get(s, txn, origin, &held));
	if (err)
		goto out;
	err = store_errno(mdb_cursor_open(txn, s->events, &c));
	if (err)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t seq;

		if (k.mv_size != STORE_KEY_LEN || memcmp(k.mv_data, key, 4))
			break; /* the next origin */
		seq = be64((const uint8_t *)k.mv_data + 4);
		if (seq > held)
			break; /* not held with nothing missing below */
		if (got == max_n || (got && bytes + v.mv_size > max_bytes)) {
			cut = true;
			break;
		}
		err = cb(arg, seq, v.mv_data, v.mv_size);
		if (err)
			goto out;
		got++;
		bytes += v.mv_size;
		last = seq;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		err = store_errno(rc);
		goto out;
	}
	/* the log of that origin ended (or was pruned) before the limits:
	 * everything up to the held seq is covered */
	*upto = cut || held < last ? last : held;
out:
	if (c)
		mdb_cursor_close(c);
	store_read_end(s, txn);
	return err;
}

static void
feed_str(EVP_MD_CTX *x, const char *p)
{
	size_t l = p ? strlen(p) : 0;
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)l >> (56 - 8 * i));
	EVP_DigestUpdate(x, b, 8);
	EVP_DigestUpdate(x, p ? p : "", l);
}

static void
feed_u64(EVP_MD_CTX *x, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	EVP_DigestUpdate(x, b, 8);
}

struct digest {
	EVP_MD_CTX *x;
	uint64_t aors, bindings;
};

static int
digest_aor(void *arg, const Pbx__AorBindings *ab)
{
	struct digest *d = arg;

	d->aors++;
	for (size_t i = 0; i < ab->n_bindings; i++) {
		const Pbx__Binding *b = ab->bindings[i];

		d->bindings++;
		feed_str(d->x, b->aor);
		feed_str(d->x, b->instance); /* the key */
		feed_u64(d->x, b->reg_id);
		feed_u64(d->x, b->updated_at_ms); /* the version */
		feed_u64(d->x, b->origin);
		feed_u64(d->x, b->seq);
		feed_u64(d->x, b->expires_at_ms);
		feed_str(d->x, b->contact);
		feed_u64(d->x, b->node);
	}
	return 0;
}

int
store_locations_digest(struct store *s, uint8_t out[32], uint64_t *aors,
                       uint64_t *bindings)
{
	struct digest d = { EVP_MD_CTX_new(), 0, 0 };
	unsigned int n = 0;
	int err;

	if (!d.x)
		return ENOMEM;
	if (!EVP_DigestInit_ex(d.x, EVP_sha256(), NULL)) {
		err = EIO;
		goto out;
	}
	err = store_locations_each(s, digest_aor, &d);
	if (err)
		goto out;
	if (!EVP_DigestFinal_ex(d.x, out, &n) || n != 32) {
		err = EIO;
		goto out;
	}
	if (aors)
		*aors = d.aors;
	if (bindings)
		*bindings = d.bindings;
out:
	EVP_MD_CTX_free(d.x);
	return err;
}
