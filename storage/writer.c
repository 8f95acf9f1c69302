/*
 * Group commit. Appenders (any thread) pack their events and queue them; the
 * one writer thread takes everything waiting, writes it in one transaction
 * with the projection changes, commits (fsync), then answers each appender.
 * The commit's cost is shared by every append of the batch: the more load,
 * the bigger the batches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pbx_clock.h"
#include "store_int.h"

#define MAP_SIZE_MAX ((size_t)1 << 36)
#define ALIGN8(n)    (((n) + 7) & ~(size_t)7)

static bool
binding_ok(const Pbx__Binding *b, size_t maxkey)
{
	return b && b->aor && *b->aor && strlen(b->aor) <= maxkey &&
	       b->contact && *b->contact;
}

/* Refuse here, on the appender's thread, what the projection could not
 * take: a bad event must not fail its whole batch. */
static int
event_ok(const struct store *s, const Pbx__Event *ev)
{
	size_t maxkey = (size_t)mdb_env_get_maxkeysize(s->env);

	switch (ev->body_case) {
	case PBX__EVENT__BODY_BINDING_ADDED:
		return ev->binding_added &&
		       binding_ok(ev->binding_added->binding, maxkey);
	case PBX__EVENT__BODY_BINDING_REFRESHED:
		return ev->binding_refreshed &&
		       binding_ok(ev->binding_refreshed->binding, maxkey);
	case PBX__EVENT__BODY_BINDING_REMOVED:
		return ev->binding_removed && ev->binding_removed->aor &&
		       *ev->binding_removed->aor &&
		       strlen(ev->binding_removed->aor) <= maxkey;
	case PBX__EVENT__BODY_BINDING_EXPIRED:
		return ev->binding_expired && ev->binding_expired->aor &&
		       *ev->binding_expired->aor &&
		       strlen(ev->binding_expired->aor) <= maxkey;
	case PBX__EVENT__BODY_CALL_STARTED:
		return ev->call_started &&
		       store_call_id_ok(s, ev->call_started->call);
	case PBX__EVENT__BODY_CALL_RINGING:
		return ev->call_ringing &&
		       store_call_id_ok(s, ev->call_ringing->call);
	case PBX__EVENT__BODY_CALL_ANSWERED:
		return ev->call_answered &&
		       store_call_id_ok(s, ev->call_answered->call);
	case PBX__EVENT__BODY_CALL_ENDED:
		return ev->call_ended &&
		       store_call_id_ok(s, ev->call_ended->call);
	default:
		return false;
	}
}

/* The event as the appender gave it, without the fields the store sets:
 * origin, seq, at_ms, and its binding's version (origin, seq), which an
 * appender may have copied from a stored binding. */
struct body {
	Pbx__Event e;
	Pbx__BindingAdded added;
	Pbx__BindingRefreshed refreshed;
	Pbx__Binding b;
};

static const Pbx__Event *
event_body(const Pbx__Event *ev, struct body *o)
{
	const Pbx__Binding *b = NULL;

	o->e = *ev;
	o->e.origin = 0;
	o->e.seq = 0;
	o->e.at_ms = 0;
	if (!o->e.version)
		o->e.version = 1;
	if (ev->body_case == PBX__EVENT__BODY_BINDING_ADDED)
		b = ev->binding_added->binding;
	else if (ev->body_case == PBX__EVENT__BODY_BINDING_REFRESHED)
		b = ev->binding_refreshed->binding;
	if (!b || (!b->origin && !b->seq))
		return &o->e;
	o->b = *b;
	o->b.origin = 0;
	o->b.seq = 0;
	if (ev->body_case == PBX__EVENT__BODY_BINDING_ADDED) {
		o->added = *ev->binding_added;
		o->added.binding = &o->b;
		o->e.binding_added = &o->added;
	} else {
		o->refreshed = *ev->binding_refreshed;
		o->refreshed.binding = &o->b;
		o->e.binding_refreshed = &o->refreshed;
	}
	return &o->e;
}

/* Queue one item for the writer (any thread); ESHUTDOWN (item freed) once
 * the store is closing. An item with a reply address is urgent. */
int
store_enqueue(struct store *s, struct store_item *it)
{
	int err = 0;

	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		err = ESHUTDOWN;
	} else {
		bool wake = !s->head || (it->reply_to.id && !s->urgent);

		*s->tail = it;
		s->tail = &it->next;
		s->queued++;
		if (it->reply_to.id && !s->urgent) {
			s->urgent = true;
			s->urgent_since_us = pbx_mono_us();
		}
		/* the writer sleeps on an empty queue, or lets non-urgent
		 * appends gather: wake it only when that changes */
		if (wake)
			pthread_cond_signal(&s->work_cv);
	}
	pthread_mutex_unlock(&s->mu);
	if (err)
		free(it);
	return err;
}

int
store_append(struct store *s, rt_addr reply_to, uint64_t correlation,
             Pbx__Event *const *events, size_t n)
{
	struct store_item *it;
	size_t total = 0, off;
	uint64_t now;
	int err = 0;

	if (!s || !events || !n || n > UINT32_MAX)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct body o;

		if (!events[i] || !event_ok(s, events[i]))
			return EINVAL;
		total += pbx__event__get_packed_size(event_body(events[i], &o));
	}
	off = ALIGN8(sizeof(*it));
	it = malloc(off + n * (sizeof(uint64_t) + sizeof(uint32_t)) + total);
	if (!it)
		return ENOMEM;
	memset(it, 0, sizeof(*it));
	it->kind = STORE_ITEM_APPEND;
	it->reply_to = reply_to;
	it->correlation = correlation;
	it->n = n;
	it->at_ms = (uint64_t *)((char *)it + off);
	it->len = (uint32_t *)(it->at_ms + n);
	it->bytes = (uint8_t *)(it->len + n);
	now = pbx_wall_ms();
	for (size_t i = 0, at = 0; i < n; i++) {
		struct body o;

		/* when the appender wrote it, not when it commits: a
		 * removal's tombstone must not be newer than a binding the
		 * same actor registers right after it (same batch) */
		it->at_ms[i] = events[i]->at_ms ? events[i]->at_ms : now;
		it->len[i] = (uint32_t)pbx__event__pack(
		    event_body(events[i], &o), it->bytes + at);
		at += it->len[i];
	}

	if ((err = store_enqueue(s, it)) == 0)
		atomic_fetch_add(&s->appends, 1);
	return err;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Fields 1-3 (origin, seq, at_ms) come first in field order, so writing
 * them before the appender's bytes gives exactly what packing the whole
 * event would (proto3 leaves zero values out). */
static int
put_event(struct store *s, MDB_txn *txn, const uint8_t *body, uint32_t len,
          uint64_t seq, uint64_t at_ms)
{
	uint8_t key[STORE_KEY_LEN], hdr[33];
	MDB_val k = { sizeof(key), key }, v;
	struct store_apply how = { 0 };
	size_t hl = 0;
	int rc;

	hdr[hl++] = 0x08;
	hl += put_varint(hdr + hl, s->node_id);
	hdr[hl++] = 0x10;
	hl += put_varint(hdr + hl, seq);
	if (at_ms) {
		hdr[hl++] = 0x18;
		hl += put_varint(hdr + hl, at_ms);
	}
	store_key(key, s->node_id, seq);
	v = (MDB_val){ hl + len, NULL };
	rc = mdb_put(txn, s->events, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc)
		return rc;
	memcpy(v.mv_data, hdr, hl);
	memcpy((uint8_t *)v.mv_data + hl, body, len);
	/* the projection reads the appender's bytes (what a rebuild reads
	 * after the prefix), or the event as stored */
	how.origin = s->node_id;
	how.seq = seq;
	how.at_ms = at_ms;
	how.cdr = atomic_load(&s->cdr_fd) >= 0 ? &s->cdr : NULL;
	rc = store_apply_bytes(s, txn, body, len, v.mv_data, v.mv_size, &how);
	store_arena_reset(&s->arena);
	return rc;
}

struct batch {
	struct store_item *first, *end; /* [first, end) */
	uint64_t start_seq, now_ms;
	uint64_t last_at_ms; /* of this node's last event */
	bool local;          /* this node's events in it */
};

static int
write_batch(struct store *s, MDB_txn *txn, void *arg)
{
	struct batch *b = arg;
	uint8_t mk[8], last[8];
	MDB_val k = { sizeof(mk), mk }, v = { sizeof(last), last };
	int rc = 0;

	s->next_seq = b->start_seq; /* again, after a retry */
	s->cdr.n = 0;               /* lines of this try only */
	s->cdr.lines = 0;
	s->cdr.oom = false;
	s->nepoch = 0;
	b->local = false;
	for (struct store_item *it = b->first; it != b->end; it = it->next) {
		const uint8_t *p = it->bytes;

		if (it->kind == STORE_ITEM_REMOTE) {
			if ((rc = store_remote_write(s, txn, it)))
				return rc;
			continue;
		}
		it->first_seq = s->next_seq;
		b->local = true;
		for (size_t i = 0; i < it->n && !rc; i++) {
			b->last_at_ms = it->at_ms[i] ? it->at_ms[i] : b->now_ms;
			rc = put_event(s, txn, p, it->len[i], s->next_seq++,
			               b->last_at_ms);
			p += it->len[i];
		}
		if (rc)
			return rc;
	}
	if (!b->local)
		return 0;
	store_seq_key(mk, s->node_id);
	for (int i = 0; i < 8; i++)
		last[i] = (uint8_t)((s->next_seq - 1) >> (56 - 8 * i));
	return mdb_put(txn, s->meta, &k, &v, 0);
}

static int
do_rebuild(struct store *s, MDB_txn *txn, void *arg)
{
	return store_replay(s, txn);
}

/* LMDB resizes only with no transaction open in the process: readers hold
 * map_lock shared. */
static int
grow(struct store *s)
{
	int rc;

	if (s->map_size >= MAP_SIZE_MAX)
		return MDB_MAP_FULL;
	pthread_rwlock_wrlock(&s->map_lock);
	rc = mdb_env_set_mapsize(s->env, s->map_size * 2);
	if (rc == 0)
		s->map_size *= 2;
	pthread_rwlock_unlock(&s->map_lock);
	if (rc == 0)
		rt_info("store: map grown to %zu MiB", s->map_size >> 20);
	return rc;
}

/* Run fn in one write transaction and commit; again after growing the map
 * when it is full. 0, an MDB_* code or a positive errno. */
int
store_with_txn(struct store *s, int (*fn)(struct store *, MDB_txn *, void *),
               void *arg)
{
	MDB_txn *txn;
	int rc;

	for (;;) {
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == 0) {
			rc = fn(s, txn, arg);
			if (rc)
				mdb_txn_abort(txn);
			else
				rc = mdb_txn_commit(txn);
		}
		if (rc != MDB_MAP_FULL || grow(s))
			return rc;
	}
}

static void
answer(struct store *s, const struct store_item *it, int err,
       const char *reason)
{
	rt_addr none = { 0, 0, 0 };
	Pbx__StoreCommitted *c;
	Pbx__StoreApplied *a;
	Pbx__StoreFailed *f;
	rt_msg *m;
	int rc;

	if (!s->r || !it->reply_to.id)
		return;
	if (it->kind == STORE_ITEM_REMOTE) {
		m = rt_msg_new(PBX__ENVELOPE__BODY_STORE_APPLIED, 0, &a);
		if (!m)
			goto out;
		a->origin = it->origin;
		/* failed: the held seq is what it was */
		a->held = err ? it->first_seq : it->held;
		a->applied = err ? 0 : it->applied;
		a->skipped = err ? (uint32_t)it->n : it->skipped;
		a->error = err;
	} else if (!err) {
		m = rt_msg_new(PBX__ENVELOPE__BODY_STORE_COMMITTED, 0, &c);
		if (!m)
			goto out;
		c->first_seq = it->first_seq;
		c->count = (uint32_t)it->n;
	} else {
		m = rt_msg_new(PBX__ENVELOPE__BODY_STORE_FAILED,
		               strlen(reason) + 1, &f);
		if (!m)
			goto out;
		f->error = err;
		f->reason = rt_msg_strdup(m, reason);
	}
	rt_msg_env(m)->correlation = it->correlation;
	rc = rt_inject(s->r, none, it->reply_to, m);
	if (rc) {
		rt_msg_free(m);
		rt_debug("store: answer to %u/%u/%llu not sent: %s",
		         it->reply_to.node, it->reply_to.worker,
		         (unsigned long long)it->reply_to.id, strerror(rc));
	}
out:
	return;
}

/* Committed: the cursors that moved, the watcher told, the AORs' epochs
 * bumped, the counters. */
static void
advanced(struct store *s, const struct batch *b)
{
	uint32_t origins[64];
	size_t n = 0;

	if (b->local) {
		store_cursor_set(s, s->node_id, s->next_seq - 1, b->last_at_ms);
		origins[n++] = s->node_id;
	}
	for (struct store_item *it = b->first; it != b->end; it = it->next) {
		if (it->kind != STORE_ITEM_REMOTE)
			continue;
		atomic_fetch_add(&s->remote_events, it->applied);
		atomic_fetch_add(&s->remote_skipped, it->skipped);
		if (it->held == it->first_seq)
			continue; /* not applied */
		store_cursor_set(s, it->origin, it->held, it->last_at_ms);
		for (size_t i = 0; i <= n; i++) {
			if (i == n && n < sizeof(origins) / sizeof(*origins))
				origins[n++] = it->origin;
			else if (i < n && origins[i] == it->origin)
				break;
		}
	}
	store_epoch_flush(s, true);
	if (n)
		store_advanced(s, origins, n);
}

/* Commit the appends [first, end), answer them, free them. */
static void
commit_batch(struct store *s, struct store_item *first, struct store_item *end)
{
	struct batch b = { first, end, s->next_seq, pbx_wall_ms(), 0, false };
	struct store_item *it, *next;
	uint64_t count = 0, max;
	int rc, err;

	for (it = first; it != end; it = it->next)
		count++;
	s->last_batch = count;
	rc = store_with_txn(s, write_batch, &b);
	err = store_errno(rc);
	if (rc) {
		s->cdr.n = s->cdr.lines = 0; /* of events that did not commit */
		s->cdr.oom = false;
		s->next_seq = b.start_seq;
		atomic_fetch_add(&s->failed, count);
		rt_err("store: commit of %llu appends failed: %s",
		       (unsigned long long)count,
		       rc < 0 ? mdb_strerror(rc) : strerror(rc));
		for (it = first; it != end; it = it->next)
			if (it->kind == STORE_ITEM_APPEND)
				store_log_lost(s, it, mdb_strerror(rc));
		store_epoch_flush(s, false);
		store_set_failing(s, true, mdb_strerror(rc));
		s->probe_at_us = pbx_mono_us() + STORE_PROBE_MS * 1000u;
	} else {
		store_set_failing(s, false, NULL);
		atomic_fetch_add(&s->commits, 1);
		atomic_store(&s->last_seq, s->next_seq - 1);
		advanced(s, &b);
		max = atomic_load(&s->max_batch);
		if (count > max)
			atomic_store(&s->max_batch, count);
		/* committed: the ended calls' lines, before the answers */
		store_cdr_flush(s);
	}
	for (it = first; it != end; it = next) {
		next = it->next;
		answer(s, it, err, err ? mdb_strerror(rc) : NULL);
		free(it);
	}
	pthread_mutex_lock(&s->mu);
	s->finished += count;
	pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->mu);
}

void
store_writer_yield(struct store *s)
{
	struct store_item *first, **pp;

	pthread_mutex_lock(&s->mu);
	first = s->head;
	for (pp = &s->head; *pp && ((*pp)->kind == STORE_ITEM_APPEND ||
	                            (*pp)->kind == STORE_ITEM_REMOTE);
	     pp = &(*pp)->next)
		;
	if (pp == &s->head) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->head = *pp; /* what is left: a rebuild or a prune first */
	*pp = NULL;
	if (!s->head)
		s->tail = &s->head;
	pthread_mutex_unlock(&s->mu);
	commit_batch(s, first, NULL);
}

static void
process(struct store *s, struct store_item *list)
{
	struct store_item *first = list, *it = list, *next;
	int rc;

	while (first) {
		while (it && (it->kind == STORE_ITEM_APPEND ||
		              it->kind == STORE_ITEM_REMOTE))
			it = it->next;
		if (first != it)
			commit_batch(s, first, it);
		if (!it)
			break;
		/* a rebuild or a prune, between the appends before and after */
		next = it->next;
		rc = it->kind == STORE_ITEM_PRUNE
		         ? store_prune_run(s, it->prune)
		         : store_with_txn(s, do_rebuild, NULL);
		if (rc)
			rt_err("store: %s failed: %s",
			       it->kind == STORE_ITEM_PRUNE ? "prune"
			                                    : "rebuild",
			       rc < 0 ? mdb_strerror(rc) : strerror(rc));
		pthread_mutex_lock(&s->mu);
		it->result = store_errno(rc);
		it->done = true; /* the caller may free it from here on */
		pthread_cond_broadcast(&s->done_cv);
		pthread_mutex_unlock(&s->mu);
		first = it = next;
	}
}

/* Wait for work_cv until a monotonic deadline (us); false once it passed.
 * Called with mu. */
static bool
wait_until(struct store *s, uint64_t until_us)
{
	struct timespec ts = { (time_t)(until_us / 1000000u),
		               (long)(until_us % 1000000u) * 1000L };

	if (pbx_mono_us() >= until_us)
		return false;
	/* work_cv waits on CLOCK_MONOTONIC (store_open) */
	pthread_cond_timedwait(&s->work_cv, &s->mu, &ts);
	return true;
}

/* Nobody waits for what is queued: let more gather until STORE_LAZY_MS
 * after the last commit (or something urgent comes). Called with mu. */
static void
gather(struct store *s)
{
	uint64_t until = s->last_commit_us + STORE_LAZY_MS * 1000u;

	while (!s->urgent && !s->stopping && wait_until(s, until))
		;
}

/* Someone waits, but the last commit held several appends: under load,
 * let more join for up to STORE_COMMIT_DELAY_US after the first waiter came
 * (as PostgreSQL's commit_delay), so fewer, larger commits share the
 * fsyncs. A lone request commits at once. Called with mu. */
static void
gather_urgent(struct store *s)
{
	uint64_t until = s->urgent_since_us + STORE_COMMIT_DELAY_US;

	if (s->last_batch < 2)
		return;
	while (!s->stopping && wait_until(s, until))
		;
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct store_item *list;

	rt_log_set_thread("store");
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stopping) {
			if (!atomic_load(&s->failing)) {
				pthread_cond_wait(&s->work_cv, &s->mu);
			} else if (!wait_until(s, s->probe_at_us)) {
				pthread_mutex_unlock(&s->mu);
				store_probe(s);
				pthread_mutex_lock(&s->mu);
				s->probe_at_us =
				    pbx_mono_us() + STORE_PROBE_MS * 1000u;
			}
		}
		if (!s->head)
			break; /* stopping, and nothing left */
		gather(s);
		if (s->urgent)
			gather_urgent(s);
		list = s->head;
		s->head = NULL;
		s->tail = &s->head;
		s->urgent = false;
		pthread_mutex_unlock(&s->mu);
		process(s, list);
		pthread_mutex_lock(&s->mu);
		s->last_commit_us = pbx_mono_us();
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
store_writer_start(struct store *s)
{
	int err = pthread_create(&s->writer, NULL, writer_main, s);

	if (!err)
		s->writer_running = true;
	return err;
}

void
store_writer_stop(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
	if (s->writer_running)
		pthread_join(s->writer, NULL);
	s->writer_running = false;
}

int
store_sync(struct store *s)
{
	uint64_t ticket;

	pthread_mutex_lock(&s->mu);
	ticket = s->queued;
	while (s->finished < ticket)
		pthread_cond_wait(&s->done_cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int
store_run_item(struct store *s, struct store_item *it)
{
	int err = 0;

	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		err = ESHUTDOWN;
		goto out;
	}
	*s->tail = it;
	s->tail = &it->next;
	s->urgent = true;
	pthread_cond_signal(&s->work_cv);
	while (!it->done)
		pthread_cond_wait(&s->done_cv, &s->mu);
	err = it->result;
out:
	pthread_mutex_unlock(&s->mu);
	return err;
}

int
store_rebuild(struct store *s)
{
	struct store_item it = { .kind = STORE_ITEM_REBUILD };

	return store_run_item(s, &it);
}
