/* Shared by the storage tests: a fresh data directory per test and events
 * built on the stack. */
#ifndef PBX_STORE_TEST_H
#define PBX_STORE_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/harness.h"
#include "store.h"

static inline char *
tmpdir_new(void)
{
	char tmpl[] = "/tmp/pbx-store-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static inline void
tmpdir_rm(char *d)
{
	static const char *const files[] = { "data.mdb", "lock.mdb",
		                             "pbxd.lock" };
	char p[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, files[i]);
		unlink(p);
	}
	rmdir(d);
	free(d);
}

/* An event and everything it points to, in one struct. */
struct tev {
	Pbx__Event ev;
	Pbx__BindingAdded added;
	Pbx__BindingRefreshed refreshed;
	Pbx__BindingRemoved removed;
	Pbx__BindingExpired expired;
	Pbx__Binding b;
	char aor[64], contact[96], instance[64], call_id[32];
};

/* BindingAdded (refresh false) or BindingRefreshed. */
static inline Pbx__Event *
tev_set(struct tev *t, bool refresh, const char *aor, const char *contact,
        const char *instance, uint32_t reg_id, uint64_t updated_at_ms,
        uint32_t cseq)
{
	pbx__event__init(&t->ev);
	pbx__binding__init(&t->b);
	snprintf(t->aor, sizeof(t->aor), "%s", aor);
	snprintf(t->contact, sizeof(t->contact), "%s", contact);
	snprintf(t->instance, sizeof(t->instance), "%s",
	         instance ? instance : "");
	snprintf(t->call_id, sizeof(t->call_id), "cid-%u", cseq);
	t->b.aor = t->aor;
	t->b.contact = t->contact;
	t->b.instance = t->instance;
	t->b.reg_id = reg_id;
	t->b.call_id = t->call_id;
	t->b.cseq = cseq;
	t->b.expires_at_ms = updated_at_ms + 3600000;
	t->b.q = 1000;
	t->b.updated_at_ms = updated_at_ms;
	if (refresh) {
		pbx__binding_refreshed__init(&t->refreshed);
		t->refreshed.binding = &t->b;
		t->ev.body_case = PBX__EVENT__BODY_BINDING_REFRESHED;
		t->ev.binding_refreshed = &t->refreshed;
	} else {
		pbx__binding_added__init(&t->added);
		t->added.binding = &t->b;
		t->ev.body_case = PBX__EVENT__BODY_BINDING_ADDED;
		t->ev.binding_added = &t->added;
	}
	return &t->ev;
}

/* BindingRemoved (expired false) or BindingExpired. */
static inline Pbx__Event *
tev_drop(struct tev *t, bool expired, const char *aor, const char *contact)
{
	pbx__event__init(&t->ev);
	snprintf(t->aor, sizeof(t->aor), "%s", aor);
	snprintf(t->contact, sizeof(t->contact), "%s", contact);
	if (expired) {
		pbx__binding_expired__init(&t->expired);
		t->expired.aor = t->aor;
		t->expired.contact = t->contact;
		t->ev.body_case = PBX__EVENT__BODY_BINDING_EXPIRED;
		t->ev.binding_expired = &t->expired;
	} else {
		pbx__binding_removed__init(&t->removed);
		t->removed.aor = t->aor;
		t->removed.contact = t->contact;
		t->removed.reason = "unregister";
		t->ev.body_case = PBX__EVENT__BODY_BINDING_REMOVED;
		t->ev.binding_removed = &t->removed;
	}
	return &t->ev;
}

/* Append one event without an answer and wait for its commit. */
static inline void
append1(struct store *s, Pbx__Event *ev)
{
	rt_addr none = { 0, 0, 0 };

	ck_assert_int_eq(store_append(s, none, 0, &ev, 1), 0);
	ck_assert_int_eq(store_sync(s), 0);
}

/* A call event; strings are borrowed until it is appended. */
struct cev {
	Pbx__Event ev;
	Pbx__CallStarted started;
	Pbx__CallRinging ringing;
	Pbx__CallAnswered answered;
	Pbx__CallEnded ended;
};

/* CallStarted; the other fields are set on c->started by the caller. */
static inline Pbx__Event *
cev_started(struct cev *c, const char *call, uint32_t leg, uint64_t at_ms,
            const char *number, const char *name, const char *destination)
{
	pbx__event__init(&c->ev);
	pbx__call_started__init(&c->started);
	c->started.call = (char *)call;
	c->started.leg = leg;
	c->started.caller_number = (char *)number;
	c->started.caller_name = (char *)name;
	c->started.destination = (char *)destination;
	c->ev.at_ms = at_ms;
	c->ev.body_case = PBX__EVENT__BODY_CALL_STARTED;
	c->ev.call_started = &c->started;
	return &c->ev;
}

static inline Pbx__Event *
cev_ringing(struct cev *c, const char *call, uint32_t leg, uint64_t at_ms)
{
	pbx__event__init(&c->ev);
	pbx__call_ringing__init(&c->ringing);
	c->ringing.call = (char *)call;
	c->ringing.leg = leg;
	c->ev.at_ms = at_ms;
	c->ev.body_case = PBX__EVENT__BODY_CALL_RINGING;
	c->ev.call_ringing = &c->ringing;
	return &c->ev;
}

static inline Pbx__Event *
cev_answered(struct cev *c, const char *call, uint32_t leg, uint64_t at_ms,
             const char *callee)
{
	pbx__event__init(&c->ev);
	pbx__call_answered__init(&c->answered);
	c->answered.call = (char *)call;
	c->answered.leg = leg;
	c->answered.callee = (char *)(callee ? callee : "");
	c->ev.at_ms = at_ms;
	c->ev.body_case = PBX__EVENT__BODY_CALL_ANSWERED;
	c->ev.call_answered = &c->answered;
	return &c->ev;
}

static inline Pbx__Event *
cev_ended(struct cev *c, const char *call, uint32_t leg, uint64_t at_ms,
          uint32_t cause, const char *cause_text, uint32_t sip_code,
          const char *hangup_by)
{
	pbx__event__init(&c->ev);
	pbx__call_ended__init(&c->ended);
	c->ended.call = (char *)call;
	c->ended.leg = leg;
	c->ended.cause = cause;
	c->ended.cause_text = (char *)cause_text;
	c->ended.sip_code = sip_code;
	c->ended.hangup_by = (char *)hangup_by;
	c->ev.at_ms = at_ms;
	c->ev.body_case = PBX__EVENT__BODY_CALL_ENDED;
	c->ev.call_ended = &c->ended;
	return &c->ev;
}

TCase *store_tc_projection(void);
TCase *store_tc_crash(void);
TCase *store_tc_calls(void);
TCase *store_tc_repl(void);
TCase *store_tc_prune(void);

#endif
