/*
 * Retention (store_prune): log compaction. An event older than the age goes
 * once it no longer affects a projection, so the retained log of an origin
 * is the compact snapshot a fresh node pulls: the live bindings' events, the
 * tombstones' events, and the calls not yet ended long ago or not yet held
 * by every peer. Replaying what is left gives the same `locations` and
 * `calls` (test_store_prune checks the bytes).
 *
 * On the writer thread, between batches; the events are walked in chunks of
 * their own transactions, so no transaction grows with the log, and the
 * appends queued meanwhile are committed between two chunks (a REGISTER
 * waits for one chunk, not for the whole prune).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbx_clock.h"
#include "store_int.h"

#define PRUNE_CHUNK 2000 /* events looked at per transaction */

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The calls some of whose old events were kept (a peer lacks them): their
 * records stay. An open-addressing set of UUIDs. */
struct kept {
	char **v;
	size_t cap, n;
};

static uint32_t
hash(const char *p)
{
	uint32_t h = 2166136261u;

	while (*p)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static bool
kept_has(const struct kept *k, const char *call)
{
	if (!k->cap)
		return false;
	for (size_t i = hash(call) & (k->cap - 1); k->v[i];
	     i = (i + 1) & (k->cap - 1))
		if (!strcmp(k->v[i], call))
			return true;
	return false;
}

static int
kept_add(struct kept *k, const char *call)
{
	if (kept_has(k, call))
		return 0;
	if (2 * (k->n + 1) > k->cap) {
		struct kept g = { calloc(k->cap ? 2 * k->cap : 64,
			                 sizeof(char *)),
			          k->cap ? 2 * k->cap : 64, 0 };

		if (!g.v)
			return ENOMEM;
		for (size_t i = 0; i < k->cap; i++) {
			size_t j;

			if (!k->v[i])
				continue;
			for (j = hash(k->v[i]) & (g.cap - 1); g.v[j];
			     j = (j + 1) & (g.cap - 1))
				;
			g.v[j] = k->v[i];
			g.n++;
		}
		free(k->v);
		*k = g;
	}
	for (size_t i = hash(call) & (k->cap - 1);;
	     i = (i + 1) & (k->cap - 1)) {
		if (!k->v[i]) {
			k->v[i] = strdup(call);
			if (!k->v[i])
				return ENOMEM;
			k->n++;
			return 0;
		}
	}
}

static void
kept_free(struct kept *k)
{
	for (size_t i = 0; i < k->cap; i++)
		free(k->v[i]);
	free(k->v);
}

struct store_prune_req {
	uint64_t now, cutoff;
	const Pbx__StoreCursor *hold; /* NULL: no peers */
	size_t nhold;
	struct store_prune_stats st;
	struct kept kept;
	uint8_t resume[STORE_KEY_LEN]; /* the next event to look at */
	bool done;
	bool mark; /* the first pass: only note the calls to keep */
};

/* Every peer holds (origin, seq). */
static bool
held(const struct store_prune_req *q, uint32_t origin, uint64_t seq)
{
	if (!q->hold)
		return true;
	for (size_t i = 0; i < q->nhold; i++)
		if (q->hold[i].origin == origin)
			return seq <= q->hold[i].seq;
	return false;
}

/* Tombstones past their time go. */
static int
prune_tombs(struct store *s, MDB_txn *txn, void *arg)
{
	struct store_prune_req *q = arg;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	q->st.tombs = 0;
	rc = mdb_cursor_open(txn, s->tombs, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data, *end = p + v.mv_size;
		struct store_wire_binding b;
		size_t live = 0, all = 0, sz = 0, o = 0;
		uint8_t *buf;

		while (store_wire_next_binding(&p, end, &b) == 0) {
			all++;
			if (b.expires_at_ms >= q->now)
				live++, sz += store_wire_put_binding(NULL, &b);
		}
		if (live == all)
			continue;
		q->st.tombs += all - live;
		if (!live) {
			rc = mdb_cursor_del(c, 0);
			if (rc)
				break;
			continue;
		}
		/* the survivors, copied before the value is replaced */
		buf = store_scratch(s, sz);
		if (!buf) {
			rc = ENOMEM;
			break;
		}
		for (p = v.mv_data; store_wire_next_binding(&p, end, &b) == 0;)
			if (b.expires_at_ms >= q->now)
				o += store_wire_put_binding(buf + o, &b);
		v = (MDB_val){ sz, buf };
		rc = mdb_cursor_put(c, &k, &v, MDB_CURRENT);
		store_arena_reset(&s->arena);
		if (rc)
			break;
	}
	store_arena_reset(&s->arena);
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* A binding event still matters: its (origin, seq) is the version of a
 * live binding or of a tombstone of its AOR (a Removed or Expired: its
 * contact has a tombstone). */
static int
binding_matters(struct store *s, MDB_txn *txn, const struct store_wire_event *e,
                bool *keep)
{
	const struct store_str *aor =
	    e->has_binding ? &e->binding.aor : &e->aor;
	MDB_val k = { aor->l, (void *)aor->p };
	struct store_wire_binding *v;
	size_t n;
	int rc;

	*keep = false;
	if (!aor->l || aor->l > (size_t)mdb_env_get_maxkeysize(s->env))
		return 0;
	if (e->kind == 16 || e->kind == 17) {
		if ((rc = store_wire_load(s, txn, s->locations, &k, &v, &n)))
			return rc;
		for (size_t i = 0; i < n && !*keep; i++)
			*keep = v[i].origin == e->origin && v[i].seq == e->seq;
	}
	if (*keep)
		return 0;
	if ((rc = store_wire_load(s, txn, s->tombs, &k, &v, &n)))
		return rc;
	for (size_t i = 0; i < n && !*keep; i++) {
		if (e->kind == 16 || e->kind == 17)
			*keep = v[i].instance.l && v[i].origin == e->origin &&
			        v[i].seq == e->seq;
		else
			*keep =
			    !v[i].instance.l &&
			    v[i].contact.l == e->contact.l &&
			    !memcmp(v[i].contact.p, e->contact.p, e->contact.l);
	}
	return 0;
}

static const char *
call_of(const Pbx__Event *ev)
{
	switch (ev->body_case) {
	case PBX__EVENT__BODY_CALL_STARTED:
		return ev->call_started ? ev->call_started->call : NULL;
	case PBX__EVENT__BODY_CALL_RINGING:
		return ev->call_ringing ? ev->call_ringing->call : NULL;
	case PBX__EVENT__BODY_CALL_ANSWERED:
		return ev->call_answered ? ev->call_answered->call : NULL;
	case PBX__EVENT__BODY_CALL_ENDED:
		return ev->call_ended ? ev->call_ended->call : NULL;
	default:
		return NULL;
	}
}

/* A call event goes when its call ended before the cutoff (or has no
 * record left) and every peer holds every old event of that call: a first
 * pass (q->mark) notes the calls one of whose events a peer lacks, whose
 * events and record then all stay (a replay must make the same record). */
static int
call_matters(struct store *s, MDB_txn *txn, struct store_prune_req *q,
             const MDB_val *v, const struct store_wire_event *e, bool *keep)
{
	Pbx__Event *ev =
	    pbx__event__unpack(&s->arena.pb, v->mv_size, v->mv_data);
	const char *call = ev ? call_of(ev) : NULL;
	Pbx__CallRecord *r = NULL;
	bool over;
	int rc;

	*keep = true;
	if (!call || !store_call_id_ok(s, call))
		return 0; /* not a call's: kept */
	rc = store_call_find(s, txn, call, &r);
	if (rc)
		return rc;
	over = !r || (r->ended_ms && r->ended_ms < q->cutoff);
	if (r)
		pbx__call_record__free_unpacked(r, NULL);
	if (!over)
		return 0;
	if (q->mark)
		return held(q, e->origin, e->seq) ? 0
		                                  : kept_add(&q->kept, call);
	*keep = kept_has(&q->kept, call);
	return 0;
}

static uint32_t
origin_of(const uint8_t *key)
{
	return (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
	       (uint32_t)key[2] << 8 | key[3];
}

/* One chunk of the events from q->resume on. */
static int
prune_events(struct store *s, MDB_txn *txn, void *arg)
{
	struct store_prune_req *q = arg;
	MDB_val k = { STORE_KEY_LEN, q->resume }, v;
	MDB_cursor_op op = MDB_SET_RANGE;
	struct store_wire_event e;
	uint64_t gone = 0;
	MDB_cursor *c;
	size_t seen = 0;
	bool keep;
	int rc;

	rc = mdb_cursor_open(txn, s->events, &c);
	if (rc)
		return rc;
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (seen++ == PRUNE_CHUNK) {
			memcpy(q->resume, k.mv_data, STORE_KEY_LEN);
			break;
		}
		if (k.mv_size != STORE_KEY_LEN ||
		    store_wire_event(v.mv_data, v.mv_size, &e) != 0)
			continue; /* not ours to judge: kept */
		if (e.at_ms >= q->cutoff) {
			/* an origin's events are in time order (near enough):
			 * the rest of this origin is young too, so the walk
			 * goes on with the next origin instead of reading
			 * the whole retained hour every time */
			uint32_t o = origin_of(k.mv_data);

			if (o == UINT32_MAX) {
				rc = MDB_NOTFOUND;
				break;
			}
			store_key(q->resume, o + 1, 0);
			k = (MDB_val){ STORE_KEY_LEN, q->resume };
			op = MDB_SET_RANGE;
			continue;
		}
		keep = true;
		if (e.kind >= 16 && e.kind <= 19)
			rc = q->mark ? 0 : binding_matters(s, txn, &e, &keep);
		else
			rc = call_matters(s, txn, q, &v, &e, &keep);
		store_arena_reset(&s->arena);
		if (rc)
			break;
		if (!keep) {
			if ((rc = mdb_cursor_del(c, 0)))
				break;
			gone++;
		}
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		q->done = true;
		rc = 0;
	}
	if (!rc)
		q->st.events += gone; /* committed with it, or retried */
	return rc;
}

/* The records of calls that ended before the cutoff, unless one of their
 * events was kept. Keys sort by start: a call started after the cutoff
 * cannot have ended before it. */
static int
prune_calls(struct store *s, MDB_txn *txn, void *arg)
{
	struct store_prune_req *q = arg;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	q->st.calls = 0;
	rc = mdb_cursor_open(txn, s->calls, &c);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Pbx__CallRecord *r;
		bool go;

		if (k.mv_size < 8 || be64(k.mv_data) >= q->cutoff)
			break;
		r = pbx__call_record__unpack(&s->arena.pb, v.mv_size,
		                             v.mv_data);
		go = r && r->ended_ms && r->ended_ms < q->cutoff && r->call &&
		     !kept_has(&q->kept, r->call);
		if (go) {
			MDB_val ik = { strlen(r->call), r->call };

			rc = mdb_del(txn, s->call_ids, &ik, NULL);
			if (rc == 0 || rc == MDB_NOTFOUND)
				rc = mdb_cursor_del(c, 0);
			q->st.calls++;
		}
		store_arena_reset(&s->arena);
		if (rc)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
store_prune_run(struct store *s, struct store_prune_req *q)
{
	uint64_t before = q->st.events;
	int rc;

	if ((rc = store_with_txn(s, prune_tombs, q)))
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		memset(q->resume, 0, sizeof(q->resume));
		q->done = false;
		q->mark = pass == 0;
		while (!q->done) {
			uint64_t at = q->st.events;

			rc = store_with_txn(s, prune_events, q);
			if (rc) {
				q->st.events = at;
				return rc;
			}
			store_writer_yield(s);
		}
	}
	if ((rc = store_with_txn(s, prune_calls, q)))
		return rc;
	atomic_fetch_add(&s->pruned, q->st.events - before);
	return 0;
}

int
store_prune(struct store *s, uint64_t age_ms,
            const Pbx__StoreCursor *peers_hold, size_t n,
            struct store_prune_stats *st)
{
	struct store_item it = { .kind = STORE_ITEM_PRUNE };
	struct store_prune_req q = { 0 };
	int err;

	if (!s || (n && !peers_hold))
		return EINVAL;
	q.now = pbx_wall_ms();
	q.cutoff = q.now > age_ms ? q.now - age_ms : 0;
	q.hold = peers_hold;
	q.nhold = n;
	it.prune = &q;
	err = store_run_item(s, &it);
	kept_free(&q.kept);
	if (!err) {
		/* debug: the caller (retention) logs what went, if anything */
		rt_debug("store: pruned %llu events, %llu calls, %llu "
		         "tombstones",
		         (unsigned long long)q.st.events,
		         (unsigned long long)q.st.calls,
		         (unsigned long long)q.st.tombs);
		if (st)
			*st = q.st;
	}
	return err;
}
