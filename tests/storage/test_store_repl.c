/* Replication's side of the store: remote appends (idempotent by the held
 * seq, answered StoreApplied), cursors, ranges, the watcher, epochs, and the
 * merge rule: the same events of several origins applied in random orders
 * give byte-identical locations and equal digests. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "pbx_clock.h"
#include "store_int.h"
#include "store_dump.h"
#include "store_test.h"

static struct probe P;

/* Probe: 0 StoreApplied answers (v: held), 1 applied, 2 skipped, 3
 * errors, 4 StoreAdvanced (v: the first cursor's seq), 5 its origin. */
static void
rec_handle(rt_actor *a, const Pbx__Envelope *env)
{
	(void)a;
	if (env->body_case == PBX__ENVELOPE__BODY_STORE_APPLIED) {
		const Pbx__StoreApplied *x = env->store_applied;

		probe_add(&P, 1, x->applied);
		probe_add(&P, 2, x->skipped);
		probe_add(&P, 3, x->error ? 1 : 0);
		probe_set(&P, 0, (long)x->held);
		probe_add(&P, 0, 1);
	} else if (env->body_case == PBX__ENVELOPE__BODY_STORE_ADVANCED) {
		const Pbx__StoreAdvanced *x = env->store_advanced;

		if (x->n_cursors) {
			probe_set(&P, 4, (long)x->cursors[0]->seq);
			probe_set(&P, 5, (long)x->cursors[0]->origin);
		}
		probe_add(&P, 4, 1);
	}
}

static const rt_kind rec_kind = {
	.name = "rec",
	.size = 8,
	.handle = rec_handle,
};

/* Raw events of a range, copied. */
struct raw {
	ProtobufCBinaryData ev[512];
	uint64_t seq[512];
	size_t n;
};

static int
raw_cb(void *arg, uint64_t seq, const uint8_t *p, size_t n)
{
	struct raw *r = arg;

	ck_assert_uint_lt(r->n, 512);
	r->ev[r->n].data = malloc(n);
	memcpy(r->ev[r->n].data, p, n);
	r->ev[r->n].len = n;
	r->seq[r->n++] = seq;
	return 0;
}

static void
raw_free(struct raw *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ev[i].data);
	r->n = 0;
}

static void
assert_same(struct store *a, struct store *b, const char *db)
{
	struct dump x = dump_of(a, db), y = dump_of(b, db);

	ck_assert_uint_eq(x.n, y.n);
	ck_assert(x.n == 0 || memcmp(x.p, y.p, x.n) == 0);
	free(x.p);
	free(y.p);
}

START_TEST(remote_append_applies_once)
{
	char *da = tmpdir_new(), *db = tmpdir_new(), cdr[256];
	rt *r = rt_test_start(1);
	struct store *A, *B;
	struct tev t;
	struct cev c;
	struct raw raw = { .n = 0 };
	Pbx__StoreCursor cur[4];
	struct store_stats st;
	uint8_t ha[32], hb[32];
	uint64_t upto, na, nb, e0;
	rt_addr me;
	struct stat sb;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &rec_kind, 0, NULL, &me), 0);
	ck_assert_int_eq(store_open(&A, r, da, 1), 0);
	ck_assert_int_eq(store_open(&B, r, db, 2), 0);
	snprintf(cdr, sizeof(cdr), "%s/cdr.jsonl", db);
	ck_assert_int_eq(store_set_cdr_file(B, cdr), 0);
	store_watch(B, me);
	append1(A, tev_set(&t, false, "a@x", "sip:a1", NULL, 0, 100, 1));
	append1(A, tev_set(&t, false, "b@x", "sip:b1", NULL, 0, 100, 1));
	append1(A, tev_set(&t, true, "a@x", "sip:a1", NULL, 0, 200, 2));
	append1(A, cev_started(&c, "call-1", 0, 1000, "1000", "A", "2000"));
	append1(A, cev_ended(&c, "call-1", 0, 2000, 16, "NORMAL_CLEARING", 200,
	                     "caller"));
	append1(A, tev_drop(&t, false, "b@x", "sip:b1"));

	/* the range, in two pieces by max_n */
	ck_assert_int_eq(
	    store_events_range(A, 1, 0, 4, 1 << 20, &upto, raw_cb, &raw), 0);
	ck_assert_uint_eq(raw.n, 4);
	ck_assert_uint_eq(upto, 4);
	ck_assert_int_eq(
	    store_events_range(A, 1, 4, 100, 1 << 20, &upto, raw_cb, &raw), 0);
	ck_assert_uint_eq(raw.n, 6);
	ck_assert_uint_eq(upto, 6);
	/* max_bytes: at least one */
	{
		struct raw one = { .n = 0 };

		ck_assert_int_eq(
		    store_events_range(A, 1, 0, 100, 1, &upto, raw_cb, &one),
		    0);
		ck_assert_uint_eq(one.n, 1);
		ck_assert_uint_eq(upto, 1);
		raw_free(&one);
	}

	/* refused: our own origin, a wrong origin, a seq out of range, not
	 * increasing */
	ck_assert_int_eq(store_append_remote(B, me, 1, 2, 0, 6, raw.ev, 6),
	                 EINVAL);
	ck_assert_int_eq(store_append_remote(B, me, 1, 3, 0, 6, raw.ev, 6),
	                 EINVAL);
	ck_assert_int_eq(store_append_remote(B, me, 1, 1, 0, 5, raw.ev, 6),
	                 EINVAL);
	ck_assert_int_eq(store_append_remote(B, me, 1, 1, 1, 6, raw.ev, 6),
	                 EINVAL);
	{
		ProtobufCBinaryData sw[2] = { raw.ev[1], raw.ev[0] };
		ProtobufCBinaryData junk = { 3, (uint8_t *)"\xff\xff\xff" };

		ck_assert_int_eq(store_append_remote(B, me, 1, 1, 0, 6, sw, 2),
		                 EINVAL);
		ck_assert_int_eq(
		    store_append_remote(B, me, 1, 1, 0, 6, &junk, 1), EINVAL);
	}
	e0 = store_aor_epoch(B, "a@x");
	ck_assert_uint_eq(store_aor_epoch(A, "a@x"), 0); /* local only */

	/* applied, answered after the commit, the watcher told */
	ck_assert_int_eq(store_append_remote(B, me, 7, 1, 0, 6, raw.ev, 6), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 10000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 6);
	ck_assert_int_eq(probe_get(&P, 1), 6);
	ck_assert_int_eq(probe_get(&P, 3), 0);
	ck_assert_int_ge(probe_wait(&P, 4, 1, 10000), 1);
	ck_assert_int_eq(probe_val(&P, 4), 6);
	ck_assert_int_eq(probe_val(&P, 5), 1);
	ck_assert_uint_gt(store_aor_epoch(B, "a@x"), e0);
	/* the same range again, and one that does not start at the held seq:
	 * skipped, answered with the held seq */
	ck_assert_int_eq(store_append_remote(B, me, 8, 1, 0, 6, raw.ev, 6), 0);
	ck_assert_int_eq(store_append_remote(B, me, 9, 1, 4, 6, raw.ev + 4, 2),
	                 0);
	ck_assert_int_eq(probe_wait(&P, 0, 3, 10000), 3);
	ck_assert_int_eq(probe_val(&P, 0), 6);
	ck_assert_int_eq(probe_get(&P, 1), 6);
	ck_assert_int_eq(probe_get(&P, 2), 8);
	store_stats(B, &st);
	ck_assert_uint_eq(st.remote_events, 6);
	ck_assert_uint_eq(st.remote_skipped, 8);
	ck_assert_uint_eq(st.events, 6);
	ck_assert_uint_eq(st.calls, 1);

	/* the same projection: bytes, digest */
	assert_same(A, B, "locations");
	assert_same(A, B, "calls");
	ck_assert_int_eq(store_locations_digest(A, ha, &na, &nb), 0);
	ck_assert_uint_eq(na, 1);
	ck_assert_uint_eq(nb, 1);
	ck_assert_int_eq(store_locations_digest(B, hb, NULL, NULL), 0);
	ck_assert(memcmp(ha, hb, 32) == 0);
	{
		Pbx__AorBindings *ab;

		ck_assert_int_eq(store_locations_get(B, "a@x", &ab), 0);
		ck_assert_uint_eq(ab->bindings[0]->origin, 1);
		ck_assert_uint_eq(ab->bindings[0]->seq, 3);
		pbx__aor_bindings__free_unpacked(ab, NULL);
	}
	/* another origin's CallEnded writes no CDR line */
	ck_assert_int_eq(stat(cdr, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);

	/* cursors: ours and the other origin's, after a reopen too */
	ck_assert_uint_eq(store_origins(B, cur, 4), 2);
	ck_assert_uint_eq(cur[0].origin, 1);
	ck_assert_uint_eq(cur[0].seq, 6);
	ck_assert_uint_gt(cur[0].at_ms, 0);
	ck_assert_uint_eq(cur[1].origin, 2);
	ck_assert_uint_eq(cur[1].seq, 0);
	store_close(B);
	ck_assert_int_eq(store_open(&B, r, db, 2), 0);
	ck_assert_uint_eq(store_origins(B, cur, 4), 2);
	ck_assert_uint_eq(cur[0].seq, 6);
	ck_assert_uint_gt(cur[0].at_ms, 0);
	/* a rebuild gives the same */
	ck_assert_int_eq(store_rebuild(B), 0);
	assert_same(A, B, "locations");
	assert_same(A, B, "calls");
	/* the holes of a pruned range: an empty range moves the held seq */
	ck_assert_int_eq(store_append_remote(B, me, 10, 1, 6, 9, NULL, 0), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 4, 10000), 4);
	ck_assert_int_eq(probe_val(&P, 0), 9);
	raw_free(&raw);
	ck_assert_int_eq(
	    store_events_range(B, 1, 0, 100, 1 << 20, &upto, raw_cb, &raw), 0);
	ck_assert_uint_eq(raw.n, 6);
	ck_assert_uint_eq(upto, 9);
	raw_free(&raw);

	store_close(A);
	store_close(B);
	rt_test_stop(r);
	unlink(cdr);
	tmpdir_rm(da);
	tmpdir_rm(db);
}
END_TEST

/* A packed event as its origin stores it. */
static ProtobufCBinaryData
stored(Pbx__Event *ev, uint32_t origin, uint64_t seq, uint64_t at_ms)
{
	ProtobufCBinaryData d;

	ev->origin = origin;
	ev->seq = seq;
	ev->at_ms = at_ms;
	ev->version = 1;
	d.len = pbx__event__get_packed_size(ev);
	d.data = malloc(d.len);
	pbx__event__pack(ev, d.data);
	return d;
}

#define ORIGINS 6
#define PER     40
#define STORES  4

/* Random binding events of ORIGINS origins on shared keys: 3 AORs, 4
 * contacts, instances on some, times in a narrow range (many ties). */
static void
random_set(unsigned *seed, ProtobufCBinaryData ev[ORIGINS][PER])
{
	static const char *const aors[] = { "a@x", "b@x", "c@x" };
	static const char *const inst[] = { "<urn:uuid:1>", "<urn:uuid:2>" };
	char contact[32];

	for (int o = 0; o < ORIGINS; o++) {
		for (int i = 0; i < PER; i++) {
			struct tev t;
			Pbx__Event *e;
			const char *aor = aors[rand_r(seed) % 3];
			uint64_t at = 1000 + (uint64_t)(rand_r(seed) % 20);
			int k = rand_r(seed) % 10;

			snprintf(contact, sizeof(contact), "sip:c%d",
			         rand_r(seed) % 4);
			if (k < 6) {
				const char *in = rand_r(seed) % 3 == 0
				                     ? inst[rand_r(seed) % 2]
				                     : NULL;

				e = tev_set(&t, k >= 3, aor, contact, in, 1, at,
				            (uint32_t)i);
			} else {
				e = tev_drop(&t, k >= 8, aor, contact);
				if (k >= 8) /* an expiry names its version */
					t.expired.updated_at_ms =
					    1000 +
					    (uint64_t)(rand_r(seed) % 20);
			}
			ev[o][i] =
			    stored(e, (uint32_t)(o + 1), (uint64_t)i + 1, at);
		}
	}
}

/* Apply the set to s in a random interleaving of the origins, each in
 * ranges of random length (an origin's own order is the log's). */
static void
apply_random_order(struct store *s, unsigned *seed,
                   ProtobufCBinaryData ev[ORIGINS][PER])
{
	rt_addr none = { 0, 0, 0 };
	size_t next[ORIGINS] = { 0 };
	int left = ORIGINS;

	while (left) {
		int o = rand_r(seed) % ORIGINS;
		size_t n = 1 + (size_t)(rand_r(seed) % 6);

		if (next[o] == PER)
			continue;
		if (n > PER - next[o])
			n = PER - next[o];
		ck_assert_int_eq(
		    store_append_remote(s, none, 0, (uint32_t)(o + 1), next[o],
		                        next[o] + n, &ev[o][next[o]], n),
		    0);
		next[o] += n;
		if (next[o] == PER)
			left--;
	}
	ck_assert_int_eq(store_sync(s), 0);
}

START_TEST(merge_is_order_independent)
{
	static ProtobufCBinaryData ev[ORIGINS][PER];
	struct store *s[STORES];
	char *dir[STORES];
	uint8_t h[STORES][32];
	unsigned seed = 12345u + (unsigned)_i * 7919u;
	uint64_t nb = 0;

	random_set(&seed, ev);
	for (int i = 0; i < STORES; i++) {
		dir[i] = tmpdir_new();
		ck_assert_int_eq(store_open(&s[i], NULL, dir[i], 100 + i), 0);
		apply_random_order(s[i], &seed, ev);
		ck_assert_int_eq(store_locations_digest(s[i], h[i], NULL, &nb),
		                 0);
	}
	ck_assert_uint_gt(nb, 0); /* something is left to compare */
	for (int i = 1; i < STORES; i++) {
		assert_same(s[0], s[i], "locations");
		ck_assert(memcmp(h[0], h[i], 32) == 0);
	}
	/* a replay (the log's key order) agrees too */
	ck_assert_int_eq(store_rebuild(s[1]), 0);
	assert_same(s[0], s[1], "locations");
	for (int i = 0; i < STORES; i++) {
		store_close(s[i]);
		tmpdir_rm(dir[i]);
	}
	for (int o = 0; o < ORIGINS; o++)
		for (int i = 0; i < PER; i++)
			free(ev[o][i].data);
}
END_TEST

/* One event of origin o as a one-event range after its held seq. */
static void
one(struct store *s, uint64_t *held, uint32_t o, Pbx__Event *e, uint64_t at)
{
	rt_addr none = { 0, 0, 0 };
	ProtobufCBinaryData d = stored(e, o, held[o] + 1, at);

	ck_assert_int_eq(
	    store_append_remote(s, none, 0, o, held[o], held[o] + 1, &d, 1), 0);
	held[o]++;
	ck_assert_int_eq(store_sync(s), 0);
	free(d.data);
}

static void
check_aor(struct store *s, const char *aor, const char *want)
{
	Pbx__AorBindings *ab;
	char got[256] = "";

	if (store_locations_get(s, aor, &ab) == 0) {
		for (size_t i = 0; i < ab->n_bindings; i++)
			snprintf(
			    got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s/%llu", i ? " " : "", ab->bindings[i]->contact,
			    (unsigned long long)ab->bindings[i]->updated_at_ms);
		pbx__aor_bindings__free_unpacked(ab, NULL);
	} else {
		snprintf(got, sizeof(got), "-");
	}
	ck_assert_str_eq(got, want);
}

START_TEST(removed_never_comes_back)
{
	char *dir = tmpdir_new();
	uint64_t held[8] = { 0 };
	struct store *s;
	struct tev t;

	ck_assert_int_eq(store_open(&s, NULL, dir, 9), 0);
	/* a removal at 1000 on node 2, then a late add of 900 from node 1 */
	one(s, held, 2, tev_drop(&t, false, "a@x", "sip:c"), 1000);
	one(s, held, 1, tev_set(&t, false, "a@x", "sip:c", NULL, 0, 900, 1),
	    900);
	check_aor(s, "a@x", "-");
	/* a newer registration is a new binding */
	one(s, held, 3, tev_set(&t, false, "a@x", "sip:c", NULL, 0, 1100, 1),
	    1100);
	check_aor(s, "a@x", "sip:c/1100");
	/* an expiry of version 1050 does not kill the refresh of 1100 */
	tev_drop(&t, true, "a@x", "sip:c");
	t.expired.updated_at_ms = 1050;
	one(s, held, 1, &t.ev, 1200);
	check_aor(s, "a@x", "sip:c/1100");
	/* one of 1100 does */
	tev_drop(&t, true, "a@x", "sip:c");
	t.expired.updated_at_ms = 1100;
	one(s, held, 2, &t.ev, 1300);
	check_aor(s, "a@x", "-");
	/* an instance: a late older version at another contact does not
	 * come back after the newer one was removed */
	one(s, held, 1,
	    tev_set(&t, false, "b@x", "sip:d2", "<urn:uuid:9>", 1, 2000, 1),
	    2000);
	one(s, held, 2, tev_drop(&t, false, "b@x", "sip:d2"), 2100);
	one(s, held, 3,
	    tev_set(&t, false, "b@x", "sip:d1", "<urn:uuid:9>", 1, 1900, 1),
	    1900);
	check_aor(s, "b@x", "-");
	/* and all of it after a rebuild (key order: origin 1 first) */
	ck_assert_int_eq(store_rebuild(s), 0);
	check_aor(s, "a@x", "-");
	check_aor(s, "b@x", "-");
	store_close(s);
	tmpdir_rm(dir);
}
END_TEST

/* A phone unregisters and registers the same contact again at once: the
 * removal's time is when it was appended, not when its batch commits, so
 * its tombstone is not newer than the new registration. */
START_TEST(unregister_then_register_at_once)
{
	char *dir = tmpdir_new();
	rt_addr none = { 0, 0, 0 };
	struct store *s;
	struct tev t1, t2, t0;
	Pbx__Event *ev;
	uint64_t now;

	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	append1(s, tev_set(&t0, false, "a@x", "sip:c", NULL, 0, 1000, 1));
	for (int i = 0; i < 20; i++) {
		ev = tev_drop(&t1, false, "a@x", "sip:c");
		ck_assert_int_eq(store_append(s, none, 0, &ev, 1), 0);
		now = pbx_wall_ms();
		ev = tev_set(&t2, false, "a@x", "sip:c", NULL, 0, now, 2);
		ck_assert_int_eq(store_append(s, none, 0, &ev, 1), 0);
		ck_assert_int_eq(store_sync(s), 0);
		{
			Pbx__AorBindings *ab;

			ck_assert_int_eq(store_locations_get(s, "a@x", &ab), 0);
			ck_assert_uint_eq(ab->n_bindings, 1);
			ck_assert_uint_eq(ab->bindings[0]->updated_at_ms, now);
			pbx__aor_bindings__free_unpacked(ab, NULL);
		}
	}
	store_close(s);
	tmpdir_rm(dir);
}
END_TEST

TCase *
store_tc_repl(void)
{
	TCase *tc = tcase_create("replication");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, remote_append_applies_once);
	tcase_add_loop_test(tc, merge_is_order_independent, 0, 8);
	tcase_add_test(tc, removed_never_comes_back);
	tcase_add_test(tc, unregister_then_register_at_once);
	return tc;
}
