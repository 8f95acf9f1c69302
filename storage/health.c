/*
 * When commits fail. A failed batch marks the store failing (store_failing:
 * the call router answers new INVITEs 503 meanwhile) and names in the log
 * what was lost that nobody is told about: the call events, which are
 * appended without a reply. The registrar hears StoreFailed and logs its own
 * REGISTERs. While the store fails and nothing is queued, the writer probes
 * every STORE_PROBE_MS; a probe or a batch that commits ends the failure.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

bool
store_failing(struct store *s)
{
	return s && atomic_load_explicit(&s->failing, memory_order_relaxed);
}

void
store_set_failing(struct store *s, bool failing, const char *reason)
{
	if (atomic_exchange(&s->failing, failing) == failing)
		return;
	if (failing)
		rt_err("store: commits fail (%s): new calls are answered 503 "
		       "until a commit works again",
		       reason);
	else
		rt_info("store: commits work again: new calls are taken");
}

/* The call of a call event, its kind and leg, and the SIP Call-ID that a
 * CallStarted carries (of its own leg); NULL for other events. */
static const char *
call_of(const Pbx__Event *ev, const char **kind, uint32_t *leg,
        const char **sip_call_id)
{
	*sip_call_id = NULL;
	switch (ev->body_case) {
	case PBX__EVENT__BODY_CALL_STARTED:
		*kind = "CallStarted";
		*leg = ev->call_started->leg;
		*sip_call_id = ev->call_started->sip_call_id;
		return ev->call_started->call;
	case PBX__EVENT__BODY_CALL_RINGING:
		*kind = "CallRinging";
		*leg = ev->call_ringing->leg;
		return ev->call_ringing->call;
	case PBX__EVENT__BODY_CALL_ANSWERED:
		*kind = "CallAnswered";
		*leg = ev->call_answered->leg;
		return ev->call_answered->call;
	case PBX__EVENT__BODY_CALL_ENDED:
		*kind = "CallEnded";
		*leg = ev->call_ended->leg;
		return ev->call_ended->call;
	default:
		return NULL;
	}
}

/* The AOR of a binding event, and its kind; NULL for other events. */
static const char *
aor_of(const Pbx__Event *ev, const char **kind)
{
	switch (ev->body_case) {
	case PBX__EVENT__BODY_BINDING_ADDED:
		*kind = "BindingAdded";
		return ev->binding_added->binding->aor;
	case PBX__EVENT__BODY_BINDING_REFRESHED:
		*kind = "BindingRefreshed";
		return ev->binding_refreshed->binding->aor;
	case PBX__EVENT__BODY_BINDING_REMOVED:
		*kind = "BindingRemoved";
		return ev->binding_removed->aor;
	case PBX__EVENT__BODY_BINDING_EXPIRED:
		*kind = "BindingExpired";
		return ev->binding_expired->aor;
	default:
		return NULL;
	}
}

/* The A leg's Call-ID of a call: remembered from its lost CallStarted, or
 * its record; NULL if neither. *rec is freed by the caller. */
static const char *
a_leg_call_id(struct store *s, const char *call, Pbx__CallRecord **rec)
{
	for (size_t i = 0; i < sizeof(s->lost) / sizeof(s->lost[0]); i++)
		if (strcmp(s->lost[i].call, call) == 0)
			return s->lost[i].sip_call_id;
	if (store_call_get(s, call, rec) == 0)
		return (*rec)->sip_call_id;
	return NULL;
}

/* One line per event of an append nobody waits for: the call (UUID and
 * the A leg's SIP Call-ID) or the binding's AOR. */
void
store_log_lost(struct store *s, const struct store_item *it, const char *reason)
{
	const uint8_t *p = it->bytes;

	if (it->reply_to.id)
		return; /* the appender hears StoreFailed */
	for (size_t i = 0; i < it->n; p += it->len[i++]) {
		Pbx__Event *ev = pbx__event__unpack(NULL, it->len[i], p);
		Pbx__CallRecord *rec = NULL;
		const char *kind = "event", *call, *cid;
		uint32_t leg = 0;

		if (!ev)
			continue;
		call = call_of(ev, &kind, &leg, &cid);
		if (call && cid && leg == 0) {
			unsigned k = s->lost_next++ %
			             (sizeof(s->lost) / sizeof(s->lost[0]));

			snprintf(s->lost[k].call, sizeof(s->lost[k].call), "%s",
			         call);
			snprintf(s->lost[k].sip_call_id,
			         sizeof(s->lost[k].sip_call_id), "%s", cid);
		}
		if (call)
			cid = a_leg_call_id(s, call, &rec);
		if (call)
			rt_err("store: commit failed (%s): %s of call %s "
			       "(Call-ID %s, leg %u) lost",
			       reason, kind, call,
			       cid && *cid ? cid : "unknown", leg);
		else if ((call = aor_of(ev, &kind)) != NULL)
			rt_err("store: commit failed (%s): %s of %s lost",
			       reason, kind, call);
		else
			rt_err("store: commit failed (%s): an event (body %d) "
			       "lost",
			       reason, (int)ev->body_case);
		if (rec)
			pbx__call_record__free_unpacked(rec, NULL);
		pbx__event__free_unpacked(ev, NULL);
	}
}

/* A write transaction that checks what the next batch needs (its first
 * sequence free) and writes the meta record of the sequence as it is. */
int
store_probe(struct store *s)
{
	uint8_t key[STORE_KEY_LEN], mk[8], last[8];
	MDB_val k = { sizeof(key), key }, v, m = { sizeof(mk), mk };
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc)
		goto out;
	store_key(key, s->node_id, s->next_seq);
	rc = mdb_get(txn, s->events, &k, &v);
	if (rc == 0)
		rc = MDB_KEYEXIST; /* what the batch would fail on */
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc) {
		store_seq_key(mk, s->node_id);
		for (int i = 0; i < 8; i++)
			last[i] = (uint8_t)((s->next_seq - 1) >> (56 - 8 * i));
		v = (MDB_val){ sizeof(last), last };
		rc = mdb_put(txn, s->meta, &m, &v, 0);
	}
	if (rc)
		mdb_txn_abort(txn);
	else
		rc = mdb_txn_commit(txn);
out:
	if (rc)
		rt_debug("store: probe failed: %s", mdb_strerror(rc));
	else
		store_set_failing(s, false, NULL);
	return rc;
}
