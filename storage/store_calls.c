/*
 * The calls projection: one CallRecord per call in `calls`, keyed by the
 * call's start (started_ms, big-endian u64) then its UUID, so a cursor from
 * the last key lists the newest calls first without a sort; `call_ids` maps
 * the UUID to its started_ms, which is all it takes to rebuild the key.
 *
 * The record is made by the A leg's CallStarted and finished by its
 * CallEnded; of the B legs only ringing and answering count. Like
 * locations, it depends on nothing but the events and their order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define CALL_KEY_MAX (8 + 512) /* LMDB's key size limit is 511 by default */

bool
store_call_id_ok(const struct store *s, const char *call)
{
	size_t l = call ? strlen(call) : 0;

	return l && l + 8 <= (size_t)mdb_env_get_maxkeysize(s->env) &&
	       l + 8 <= CALL_KEY_MAX;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The `calls` key of a call started at started_ms, in kb. */
static MDB_val
call_key(uint8_t kb[CALL_KEY_MAX], uint64_t started_ms, const char *call)
{
	size_t l = strlen(call);

	put_be64(kb, started_ms);
	memcpy(kb + 8, call, l);
	return (MDB_val){ 8 + l, kb };
}

/* The call's record and its key: 0 with *out NULL if there is none. */
static int
find_record(struct store *s, MDB_txn *txn, const char *call,
            uint8_t kb[CALL_KEY_MAX], MDB_val *k, Pbx__CallRecord **out)
{
	MDB_val ik = { strlen(call), (void *)call }, v;
	int rc;

	*out = NULL;
	rc = mdb_get(txn, s->call_ids, &ik, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (v.mv_size != 8)
		return EBADMSG;
	*k = call_key(kb, get_be64(v.mv_data), call);
	rc = mdb_get(txn, s->calls, k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? EBADMSG : rc; /* index without */
	*out = pbx__call_record__unpack(NULL, v.mv_size, v.mv_data);
	return *out ? 0 : EBADMSG;
}

int
store_call_find(struct store *s, MDB_txn *txn, const char *call,
                Pbx__CallRecord **out)
{
	uint8_t kb[CALL_KEY_MAX];
	MDB_val k;

	return find_record(s, txn, call, kb, &k, out);
}

static int
put_record(struct store *s, MDB_txn *txn, MDB_val *k, const Pbx__CallRecord *r)
{
	MDB_val d = { pbx__call_record__get_packed_size(r), NULL };
	int rc = mdb_put(txn, s->calls, k, &d, MDB_RESERVE);

	if (rc == 0)
		pbx__call_record__pack(r, d.mv_data);
	return rc;
}

/* The A leg's CallStarted: a new record, unless the call has one (a
 * repeated event changes nothing). */
static int
started(struct store *s, MDB_txn *txn, const Pbx__Event *ev)
{
	const Pbx__CallStarted *e = ev->call_started;
	Pbx__CallRecord r = PBX__CALL_RECORD__INIT;
	uint8_t kb[CALL_KEY_MAX], at[8];
	MDB_val ik = { strlen(e->call), e->call }, iv = { 8, at }, k;
	int rc;

	if (e->leg != 0)
		return 0;
	put_be64(at, ev->at_ms);
	rc = mdb_put(txn, s->call_ids, &ik, &iv, MDB_NOOVERWRITE);
	if (rc)
		return rc == MDB_KEYEXIST ? 0 : rc;
	r.call = e->call;
	r.caller_number = e->caller_number;
	r.caller_name = e->caller_name;
	r.destination = e->destination;
	r.profile = e->profile;
	r.context = e->context;
	r.sip_call_id = e->sip_call_id;
	r.network_addr = e->network_addr;
	r.user = e->user;
	r.started_ms = ev->at_ms;
	r.node = ev->origin;
	k = call_key(kb, ev->at_ms, e->call);
	return put_record(s, txn, &k, &r);
}

static uint32_t
secs(uint64_t from_ms, uint64_t to_ms)
{
	uint64_t s = to_ms > from_ms ? (to_ms - from_ms) / 1000 : 0;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* Ringing, answered and ended: the record's fields they set. An ended
 * record is final (its CDR line is out). */
static int
update(struct store *s, MDB_txn *txn, const Pbx__Event *ev, const char *call,
       struct store_buf *cdr)
{
	uint8_t kb[CALL_KEY_MAX];
	Pbx__CallRecord *old, r;
	MDB_val k;
	bool changed = false, ended = false;
	int rc;

	rc = find_record(s, txn, call, kb, &k, &old);
	if (rc || !old)
		return rc;
	if (old->ended_ms)
		goto out;
	r = *old; /* strings stay old's or the event's: never freed via r */
	switch (ev->body_case) {
	case PBX__EVENT__BODY_CALL_RINGING:
		if (!r.ringing_ms) {
			r.ringing_ms = ev->at_ms;
			changed = true;
		}
		break;
	case PBX__EVENT__BODY_CALL_ANSWERED: {
		const Pbx__CallAnswered *e = ev->call_answered;

		if (e->leg == 0 && !r.answered_ms) {
			r.answered_ms = ev->at_ms;
			changed = true;
		}
		if (e->callee && *e->callee && strcmp(e->callee, r.callee)) {
			r.callee = e->callee;
			changed = true;
		}
		if (e->callee_node && e->callee_node != r.callee_node) {
			r.callee_node = e->callee_node;
			changed = true;
		}
		break;
	}
	case PBX__EVENT__BODY_CALL_ENDED: {
		const Pbx__CallEnded *e = ev->call_ended;

		if (e->leg != 0)
			break;
		r.ended_ms = ev->at_ms;
		r.duration_s = secs(r.started_ms, r.ended_ms);
		r.billsec = r.answered_ms ? secs(r.answered_ms, r.ended_ms) : 0;
		r.cause = e->cause;
		r.cause_text = e->cause_text;
		r.sip_code = e->sip_code;
		r.hangup_by = e->hangup_by;
		changed = ended = true;
		break;
	}
	default:
		break;
	}
	if (changed)
		rc = put_record(s, txn, &k, &r);
	if (rc == 0 && ended && cdr)
		store_cdr_line(cdr, &r);
out:
	pbx__call_record__free_unpacked(old, NULL);
	return rc;
}

int
store_apply_call(struct store *s, MDB_txn *txn, const Pbx__Event *ev,
                 struct store_buf *cdr)
{
	const char *call = NULL;

	switch (ev->body_case) {
	case PBX__EVENT__BODY_CALL_STARTED:
		if (ev->call_started &&
		    store_call_id_ok(s, ev->call_started->call))
			return started(s, txn, ev);
		return 0;
	case PBX__EVENT__BODY_CALL_RINGING:
		call = ev->call_ringing ? ev->call_ringing->call : NULL;
		break;
	case PBX__EVENT__BODY_CALL_ANSWERED:
		call = ev->call_answered ? ev->call_answered->call : NULL;
		break;
	case PBX__EVENT__BODY_CALL_ENDED:
		call = ev->call_ended ? ev->call_ended->call : NULL;
		break;
	default:
		return 0;
	}
	return store_call_id_ok(s, call) ? update(s, txn, ev, call, cdr) : 0;
}

int
store_calls_last(struct store *s, uint32_t n,
                 int (*cb)(void *arg, const Pbx__CallRecord *r), void *arg)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_txn *txn;
	uint32_t done = 0;
	int rc, err;

	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_cursor_open(txn, s->calls, &c));
	if (err)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	     rc == 0 && !err && (!n || done < n);
	     rc = mdb_cursor_get(c, &k, &v, MDB_PREV), done++) {
		Pbx__CallRecord *r =
		    pbx__call_record__unpack(NULL, v.mv_size, v.mv_data);

		if (!r) {
			err = EBADMSG;
			break;
		}
		err = cb(arg, r);
		pbx__call_record__free_unpacked(r, NULL);
	}
	if (!err && rc != 0 && rc != MDB_NOTFOUND)
		err = store_errno(rc);
out:
	if (c)
		mdb_cursor_close(c);
	store_read_end(s, txn);
	return err;
}

int
store_call_get(struct store *s, const char *call, Pbx__CallRecord **out)
{
	uint8_t kb[CALL_KEY_MAX];
	Pbx__CallRecord *r;
	MDB_txn *txn;
	MDB_val k;
	int err;

	if (!store_call_id_ok(s, call))
		return EINVAL;
	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(find_record(s, txn, call, kb, &k, &r));
	if (!err && !r)
		err = ENOENT;
	if (!err)
		*out = r;
	store_read_end(s, txn);
	return err;
}
