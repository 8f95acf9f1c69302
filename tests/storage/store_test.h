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

TCase *store_tc_projection(void);
TCase *store_tc_crash(void);

#endif
