/*
 * Events of other origins, received from a peer (store_append_remote): kept
 * as they came, under their own key (origin, seq), and applied to the
 * projections in the same transaction as this node's appends. The range
 * (after, upto] is applied only when after is the origin's held seq, which
 * then becomes upto: a range sent twice, or one that overlaps, is skipped
 * and answered with the real held seq, so nothing is applied twice and the
 * sender knows where to go on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbx_clock.h"
#include "store_int.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* What the writer could not apply must be refused here, on the caller's
 * thread: a bad event must not fail the batch it shares with others. */
static int
remote_ok(const struct store *s, uint32_t origin, uint64_t after, uint64_t upto,
          uint64_t *prev, const ProtobufCBinaryData *d, uint64_t *seq,
          uint64_t *at_ms)
{
	struct store_wire_event e;
	Pbx__Event *ev;

	if (!d->data || !d->len || d->len > UINT32_MAX ||
	    store_wire_event(d->data, d->len, &e))
		return EINVAL;
	if (e.origin != origin || e.seq <= after || e.seq > upto ||
	    e.seq <= *prev)
		return EINVAL;
	*prev = e.seq;
	*seq = e.seq;
	*at_ms = e.at_ms;
	if (e.kind >= 16 && e.kind <= 19)
		return 0; /* read on the wire; a bad key changes nothing */
	/* the others are unpacked by the writer */
	ev = pbx__event__unpack(NULL, d->len, d->data);
	if (!ev)
		return EINVAL;
	pbx__event__free_unpacked(ev, NULL);
	(void)s;
	return 0;
}

int
store_append_remote(struct store *s, rt_addr reply_to, uint64_t correlation,
                    uint32_t origin, uint64_t after, uint64_t upto,
                    const ProtobufCBinaryData *events, size_t n)
{
	struct store_item *it;
	size_t total = 0, off;
	uint64_t prev = 0;
	int err = 0;

	if (!s || !origin || origin == s->node_id || upto < after ||
	    (n && !events) || n > UINT32_MAX || n > upto - after)
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		total += events[i].len;
	off = ALIGN8(sizeof(*it));
	it =
	    malloc(off + n * (2 * sizeof(uint64_t) + sizeof(uint32_t)) + total);
	if (!it)
		return ENOMEM;
	memset(it, 0, sizeof(*it));
	it->kind = STORE_ITEM_REMOTE;
	it->reply_to = reply_to;
	it->correlation = correlation;
	it->n = n;
	it->origin = origin;
	it->after = after;
	it->upto = upto;
	it->at_ms = (uint64_t *)((char *)it + off);
	it->seqs = it->at_ms + n;
	it->len = (uint32_t *)(it->seqs + n);
	it->bytes = (uint8_t *)(it->len + n);
	for (size_t i = 0, o = 0; i < n; i++) {
		err = remote_ok(s, origin, after, upto, &prev, &events[i],
		                &it->seqs[i], &it->at_ms[i]);
		if (err) {
			free(it);
			return err;
		}
		it->len[i] = (uint32_t)events[i].len;
		memcpy(it->bytes + o, events[i].data, events[i].len);
		o += events[i].len;
	}

	return store_enqueue(s, it);
}

int
store_remote_write(struct store *s, MDB_txn *txn, struct store_item *it)
{
	uint8_t key[STORE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v;
	const uint8_t *p = it->bytes;
	uint64_t held;
	int rc;

	/* again from the start after a retry */
	it->applied = it->skipped = 0;
	it->last_at_ms = 0;
	if ((rc = store_held_get(s, txn, it->origin, &held)))
		return rc;
	it->first_seq = it->held = held; /* first_seq: the held seq before */
	if (it->after != held) {
		it->skipped = (uint32_t)it->n;
		return 0;
	}
	for (size_t i = 0; i < it->n; p += it->len[i++]) {
		struct store_apply how = { it->origin, it->seqs[i],
			                   it->at_ms[i], NULL, true };

		store_key(key, it->origin, it->seqs[i]);
		v = (MDB_val){ it->len[i], (void *)p };
		rc = mdb_put(txn, s->events, &k, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) { /* held already (cannot be) */
			it->skipped++;
			continue;
		}
		if (rc)
			return rc;
		/* no CDR line: only a call's own node writes it */
		rc = store_apply_bytes(s, txn, p, it->len[i], p, it->len[i],
		                       &how);
		store_arena_reset(&s->arena);
		if (rc)
			return rc;
		it->applied++;
		it->last_at_ms = it->at_ms[i];
	}
	if ((rc = store_held_put(s, txn, it->origin, it->upto)))
		return rc;
	it->held = it->upto;
	return 0;
}
