/* Retention: store_prune deletes what no longer affects a projection, keeps
 * what does, and a replay of what is left gives the same bytes. */
#include <errno.h>

#include "pbx_clock.h"
#include "store_int.h"
#include "store_dump.h"
#include "store_test.h"

static void
assert_dump(const struct dump *a, const struct dump *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert(a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Raw events of a range, copied. */
struct pull {
	ProtobufCBinaryData ev[16];
	size_t n;
};

static int
pull_cb(void *arg, uint64_t seq, const uint8_t *p, size_t n)
{
	struct pull *r = arg;

	(void)seq;
	ck_assert_uint_lt(r->n, 16);
	r->ev[r->n].data = malloc(n);
	memcpy(r->ev[r->n].data, p, n);
	r->ev[r->n++].len = n;
	return 0;
}

static void
pull_free(struct pull *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ev[i].data);
	r->n = 0;
}

static void
at(struct store *s, Pbx__Event *ev, uint64_t at_ms)
{
	ev->at_ms = at_ms;
	append1(s, ev);
}

static int
seq_of(void *arg, const Pbx__Event *ev)
{
	char *o = arg;

	snprintf(o + strlen(o), 256 - strlen(o), "%llu ",
	         (unsigned long long)ev->seq);
	return 0;
}

START_TEST(prune_keeps_what_matters)
{
	char *dir = tmpdir_new(), left[256] = "";
	uint64_t now = pbx_wall_ms(), old = now - 600000;
	struct store_prune_stats ps;
	Pbx__StoreCursor hold = PBX__STORE_CURSOR__INIT;
	struct store_stats st;
	struct dump loc, calls;
	struct store *s;
	struct tev t;
	struct cev c;

	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	store_set_tomb_keep(s, 300000); /* 5 min */
	/* 1-3: a@x refreshed twice: only the last one (3) matters */
	for (int i = 0; i < 3; i++)
		at(s,
		   tev_set(&t, i > 0, "a@x", "sip:a", NULL, 0,
		           old + (uint64_t)i, (uint32_t)i),
		   old + (uint64_t)i);
	/* 4-5: b@x added and removed 10 min ago: its tombstone (kept 5
	 * min) is past, both go */
	at(s, tev_set(&t, false, "b@x", "sip:b", NULL, 0, old, 1), old);
	at(s, tev_drop(&t, false, "b@x", "sip:b"), old + 1);
	/* 6-7: c@x added 10 min ago, removed 2 min ago: the tombstone is
	 * kept, so is the removal; the add goes */
	at(s, tev_set(&t, false, "c@x", "sip:c", NULL, 0, old, 1), old);
	at(s, tev_drop(&t, false, "c@x", "sip:c"), now - 120000);
	/* 8-9: call-1 ended 10 min ago; 10: call-2 never ended; 11-12:
	 * call-3 ended 9 min ago */
	at(s, cev_started(&c, "call-1", 0, old, "1000", "A", "2000"), old);
	at(s,
	   cev_ended(&c, "call-1", 0, old + 5, 16, "NORMAL_CLEARING", 200,
	             "caller"),
	   old + 5);
	at(s, cev_started(&c, "call-2", 0, old, "1000", "A", "2000"), old);
	at(s, cev_started(&c, "call-3", 0, old + 60000, "1000", "A", "2000"),
	   old + 60000);
	at(s,
	   cev_ended(&c, "call-3", 0, old + 60005, 16, "NORMAL_CLEARING", 200,
	             "caller"),
	   old + 60005);
	/* 13: young, whatever it is */
	at(s, tev_set(&t, true, "a@x", "sip:a", NULL, 0, now, 9), now);

	loc = dump_of(s, "locations");
	/* a peer holds origin 1 up to 11 only: call-3's end (12) is not
	 * held by everyone, so call-3 keeps its events and record */
	hold.origin = 1;
	hold.seq = 11;
	ck_assert_int_eq(store_prune(s, 60000, &hold, 1, &ps), 0);
	ck_assert_uint_eq(ps.tombs, 1);
	ck_assert_uint_eq(ps.calls, 1);
	ck_assert_int_eq(store_events_each(s, 1, 0, seq_of, left), 0);
	/* 1, 2: superseded; 3 superseded by the young 13 as well */
	ck_assert_str_eq(left, "7 10 11 12 13 ");
	ck_assert_uint_eq(ps.events, 8);
	store_stats(s, &st);
	ck_assert_uint_eq(st.pruned, 8);
	ck_assert_uint_eq(st.calls, 2);
	calls = dump_of(s, "calls");
	{
		struct dump l2 = dump_of(s, "locations");

		assert_dump(&loc, &l2); /* the live bindings stay */
		free(l2.p);
	}
	/* a replay of what is left gives the same bytes */
	ck_assert_int_eq(store_rebuild(s), 0);
	{
		struct dump l2 = dump_of(s, "locations"),
		            c2 = dump_of(s, "calls");

		assert_dump(&loc, &l2);
		assert_dump(&calls, &c2);
		free(l2.p);
		free(c2.p);
	}
	/* the compacted log is the snapshot: a fresh node pulling origin 1
	 * from 0, two events at a time over the pruned holes, gets the same
	 * projections */
	{
		char *d2 = tmpdir_new();
		struct store *f;
		struct pull pl = { .n = 0 };
		uint64_t after = 0, upto;
		rt_addr none = { 0, 0, 0 };
		uint8_t h1[32], h2[32];

		ck_assert_int_eq(store_open(&f, NULL, d2, 2), 0);
		do {
			ck_assert_int_eq(store_events_range(s, 1, after, 2,
			                                    1 << 20, &upto,
			                                    pull_cb, &pl),
			                 0);
			ck_assert_int_eq(store_append_remote(f, none, 0, 1,
			                                     after, upto, pl.ev,
			                                     pl.n),
			                 0);
			pull_free(&pl);
			after = upto;
		} while (after < 13);
		ck_assert_int_eq(store_sync(f), 0);
		{
			struct dump l2 = dump_of(f, "locations"),
			            c2 = dump_of(f, "calls");

			assert_dump(&loc, &l2);
			assert_dump(&calls, &c2);
			free(l2.p);
			free(c2.p);
		}
		ck_assert_int_eq(store_locations_digest(s, h1, NULL, NULL), 0);
		ck_assert_int_eq(store_locations_digest(f, h2, NULL, NULL), 0);
		ck_assert(memcmp(h1, h2, 32) == 0);
		store_close(f);
		tmpdir_rm(d2);
	}
	/* idempotent; once every peer holds everything, call-3 goes too */
	ck_assert_int_eq(store_prune(s, 60000, &hold, 1, &ps), 0);
	ck_assert_uint_eq(ps.events + ps.calls + ps.tombs, 0);
	hold.seq = 13;
	ck_assert_int_eq(store_prune(s, 60000, &hold, 1, &ps), 0);
	ck_assert_uint_eq(ps.events, 2);
	ck_assert_uint_eq(ps.calls, 1);
	left[0] = '\0';
	ck_assert_int_eq(store_events_each(s, 1, 0, seq_of, left), 0);
	ck_assert_str_eq(left, "7 10 13 ");
	/* the next sequence does not go back after a reopen */
	store_close(s);
	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	store_stats(s, &st);
	ck_assert_uint_eq(st.last_seq, 13);
	free(loc.p);
	free(calls.p);
	store_close(s);
	tmpdir_rm(dir);
}
END_TEST

/* Refreshes of the same AORs forever, pruned with a small age: the log
 * stays at about one event per live binding. */
START_TEST(long_run_stays_bounded)
{
	char *dir = tmpdir_new(), aor[32];
	struct store_prune_stats ps;
	struct store_stats st;
	struct store *s;
	struct tev t[10];
	Pbx__Event *ev[10];
	rt_addr none = { 0, 0, 0 };
	uint64_t appended = 0;

	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	for (int round = 0; round < 100; round++) {
		uint64_t now = pbx_wall_ms();

		for (int k = 0; k < 10; k++) {
			for (int a = 0; a < 10; a++) {
				snprintf(aor, sizeof(aor), "u%d@x", a);
				ev[a] = tev_set(
				    &t[a], round || k, aor, "sip:u", NULL, 0,
				    now - 5000 + (uint64_t)k, (uint32_t)k);
				ev[a]->at_ms = now - 5000 + (uint64_t)k;
			}
			ck_assert_int_eq(store_append(s, none, 0, ev, 10), 0);
			appended += 10;
		}
		ck_assert_int_eq(store_sync(s), 0);
		ck_assert_int_eq(store_prune(s, 1000, NULL, 0, &ps), 0);
		store_stats(s, &st);
		ck_assert_uint_eq(st.events, 10); /* one per binding */
		ck_assert_uint_eq(st.locations, 10);
	}
	store_stats(s, &st);
	ck_assert_uint_eq(st.pruned, appended - 10);
	store_close(s);
	tmpdir_rm(dir);
}
END_TEST

/* The walk skips the young rest of an origin, and goes on with the next
 * one: origin 5's old superseded events go although origin 1 is young. */
START_TEST(prune_walks_every_origin)
{
	char *dir = tmpdir_new(), left[256] = "";
	uint64_t now = pbx_wall_ms(), old = now - 600000;
	rt_addr none = { 0, 0, 0 };
	struct store_prune_stats ps;
	struct store *s;
	struct tev t;

	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	at(s, tev_set(&t, false, "a@x", "sip:a", NULL, 0, now, 1), now);
	at(s, tev_set(&t, false, "a@x", "sip:a", NULL, 0, now + 1, 2), now);
	for (uint64_t i = 1; i <= 3; i++) {
		Pbx__Event *ev = tev_set(&t, i > 1, "z@x", "sip:z", NULL, 0,
		                         old + i, (uint32_t)i);
		ProtobufCBinaryData d;

		ev->origin = 5;
		ev->seq = i;
		ev->at_ms = old + i;
		d.len = pbx__event__get_packed_size(ev);
		d.data = malloc(d.len);
		pbx__event__pack(ev, d.data);
		ck_assert_int_eq(
		    store_append_remote(s, none, 0, 5, i - 1, i, &d, 1), 0);
		free(d.data);
	}
	ck_assert_int_eq(store_sync(s), 0);
	ck_assert_int_eq(store_prune(s, 60000, NULL, 0, &ps), 0);
	ck_assert_uint_eq(ps.events, 2);
	ck_assert_int_eq(store_events_each(s, 5, 0, seq_of, left), 0);
	ck_assert_str_eq(left, "3 ");
	left[0] = '\0';
	ck_assert_int_eq(store_events_each(s, 1, 0, seq_of, left), 0);
	ck_assert_str_eq(left, "1 2 "); /* young: not looked at */
	store_close(s);
	tmpdir_rm(dir);
}
END_TEST

TCase *
store_tc_prune(void)
{
	TCase *tc = tcase_create("prune");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, prune_keeps_what_matters);
	tcase_add_test(tc, long_run_stays_bounded);
	tcase_add_test(tc, prune_walks_every_origin);
	return tc;
}
