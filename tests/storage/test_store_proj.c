/* The locations projection: every rule of store_apply, read back with
 * store_locations_get/each, and a rebuild from the log that gives the same
 * bytes. */
#include <errno.h>

#include "store_int.h"
#include "store_test.h"

static struct store *S;

/* The bindings of aor as "contact/cseq" joined by spaces, "-" if none. */
static void
bindings_str(char *out, size_t n, const char *aor)
{
	Pbx__AorBindings *b;
	size_t o = 0;
	int err = store_locations_get(S, aor, &b);

	if (err) {
		ck_assert_int_eq(err, ENOENT);
		snprintf(out, n, "-");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < b->n_bindings; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s/%u", i ? " " : "",
		                      b->bindings[i]->contact,
		                      b->bindings[i]->cseq);
	pbx__aor_bindings__free_unpacked(b, NULL);
}

#define CHECK_AOR(aor, want)                                                   \
	do {                                                                   \
		char got_[512];                                                \
		bindings_str(got_, sizeof(got_), aor);                         \
		ck_assert_str_eq(got_, want);                                  \
	} while (0)

static int
collect(void *arg, const Pbx__AorBindings *b)
{
	char *out = arg;

	ck_assert_uint_gt(b->n_bindings, 0);
	strcat(out, b->bindings[0]->aor);
	strcat(out, "=");
	for (size_t i = 0; i < b->n_bindings; i++) {
		char one[128];

		ck_assert_str_eq(b->bindings[i]->aor, b->bindings[0]->aor);
		snprintf(one, sizeof(one), "%s%s", i ? "," : "",
		         b->bindings[i]->contact);
		strcat(out, one);
	}
	strcat(out, ";");
	return 0;
}

static int
stop_at_first(void *arg, const Pbx__AorBindings *b)
{
	(*(int *)arg)++;
	return 77;
}

START_TEST(projection_rules)
{
	char *dir = tmpdir_new();
	const char *uuid = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";
	char all[1024] = "";
	struct tev t;
	int calls = 0;

	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	/* several bindings per AOR; a refresh replaces in place */
	append1(S, tev_set(&t, false, "a@x", "sip:c1", NULL, 0, 100, 1));
	append1(S, tev_set(&t, false, "a@x", "sip:c2", NULL, 0, 100, 1));
	append1(S, tev_set(&t, true, "a@x", "sip:c1", NULL, 0, 200, 2));
	CHECK_AOR("a@x", "sip:c1/2 sip:c2/1");
	/* an older version loses (last writer wins on updated_at_ms) */
	append1(S, tev_set(&t, true, "a@x", "sip:c2", NULL, 0, 50, 7));
	append1(S, tev_set(&t, true, "a@x", "sip:c1", NULL, 0, 199, 8));
	CHECK_AOR("a@x", "sip:c1/2 sip:c2/1");
	/* a tie: the later event wins */
	append1(S, tev_set(&t, true, "a@x", "sip:c2", NULL, 0, 100, 9));
	CHECK_AOR("a@x", "sip:c1/2 sip:c2/9");

	/* RFC 5626: the same instance and reg-id replaces, whatever the
	 * contact; another reg-id is another binding */
	append1(S, tev_set(&t, false, "a@x", "sip:c3", uuid, 1, 100, 1));
	append1(S, tev_set(&t, false, "a@x", "sip:c4", uuid, 1, 150, 2));
	append1(S, tev_set(&t, false, "a@x", "sip:c5", uuid, 2, 150, 3));
	CHECK_AOR("a@x", "sip:c1/2 sip:c2/9 sip:c4/2 sip:c5/3");
	append1(S, tev_set(&t, true, "a@x", "sip:c6", uuid, 1, 140, 4));
	CHECK_AOR("a@x", "sip:c1/2 sip:c2/9 sip:c4/2 sip:c5/3");

	/* removed, expired */
	append1(S, tev_drop(&t, false, "a@x", "sip:c1"));
	CHECK_AOR("a@x", "sip:c2/9 sip:c4/2 sip:c5/3");
	append1(S, tev_drop(&t, true, "a@x", "sip:c5"));
	CHECK_AOR("a@x", "sip:c2/9 sip:c4/2");
	append1(S, tev_drop(&t, true, "a@x", "sip:nobody"));
	CHECK_AOR("a@x", "sip:c2/9 sip:c4/2");

	/* the last one gone, the key goes */
	append1(S, tev_set(&t, false, "b@x", "sip:b1", NULL, 0, 100, 1));
	CHECK_AOR("b@x", "sip:b1/1");
	append1(S, tev_drop(&t, true, "b@x", "sip:b1"));
	CHECK_AOR("b@x", "-");
	append1(S, tev_drop(&t, false, "never@x", "sip:n"));
	CHECK_AOR("never@x", "-");
	append1(S, tev_set(&t, false, "c@x", "sip:d1", NULL, 0, 100, 1));

	ck_assert_int_eq(store_locations_each(S, collect, all), 0);
	ck_assert_str_eq(all, "a@x=sip:c2,sip:c4;c@x=sip:d1;");
	ck_assert_int_eq(store_locations_each(S, stop_at_first, &calls), 77);
	ck_assert_int_eq(calls, 1);

	/* the same after a reopen and after a rebuild */
	store_close(S);
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ck_assert_int_eq(store_rebuild(S), 0);
	all[0] = '\0';
	ck_assert_int_eq(store_locations_each(S, collect, all), 0);
	ck_assert_str_eq(all, "a@x=sip:c2,sip:c4;c@x=sip:d1;");
	CHECK_AOR("a@x", "sip:c2/9 sip:c4/2");
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

/* A dump of a database: each key and value, length-prefixed. */
struct dump {
	uint8_t *p;
	size_t n, cap;
	long keys;
};

static void
dump_put(struct dump *d, const void *p, size_t n)
{
	if (d->n + n + sizeof(n) > d->cap) {
		d->cap = (d->cap + n + sizeof(n)) * 2;
		d->p = realloc(d->p, d->cap);
		ck_assert_ptr_nonnull(d->p);
	}
	memcpy(d->p + d->n, &n, sizeof(n));
	memcpy(d->p + d->n + sizeof(n), p, n);
	d->n += sizeof(n) + n;
}

static int
dump_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct dump *d = arg;

	dump_put(d, k, kl);
	dump_put(d, v, vl);
	d->keys++;
	return 0;
}

static struct dump
dump_db(const char *db)
{
	struct dump d = { 0 };

	ck_assert_int_eq(store_dump(S, db, dump_cb, &d), 0);
	return d;
}

/* A random call event: starts (A or B leg), ringing, answers and ends of
 * 40 calls, with times that often tie (the calls key then orders by UUID),
 * in any order, some for calls that never started. */
static Pbx__Event *
random_call_event(unsigned *seed, struct cev *c, char *call, size_t n)
{
	static const char *const causes[] = { "NORMAL_CLEARING", "USER_BUSY",
		                              "ORIGINATOR_CANCEL" };
	uint64_t at = 1700000000000ULL + (uint64_t)(rand_r(seed) % 50) * 1000;
	uint32_t leg = (uint32_t)(rand_r(seed) % 3);

	snprintf(call, n, "call-%d", rand_r(seed) % 40);
	switch (rand_r(seed) % 4) {
	case 0:
		return cev_started(c, call, leg ? leg - 1 : 0, at, "1000",
		                   "A \"b\"", "2000");
	case 1:
		return cev_ringing(c, call, leg, at);
	case 2:
		return cev_answered(c, call, leg, at,
		                    leg ? "sip:2000@10.0.0.1" : NULL);
	default:
		return cev_ended(c, call, leg ? leg - 1 : 0, at, 16 + leg,
		                 causes[leg], 200, "caller");
	}
}

static void
random_events(unsigned *seed, int count)
{
	rt_addr none = { 0, 0, 0 };
	struct tev t[5];
	struct cev c[5];
	Pbx__Event *evs[5];
	char aor[32], contact[32], inst[32], call[5][32];

	for (int done = 0; done < count;) {
		int n = 1 + rand_r(seed) % 5;

		for (int i = 0; i < n; i++) {
			int kind = rand_r(seed) % 14;
			uint64_t upd = 1000 + (uint64_t)(rand_r(seed) % 500);

			snprintf(aor, sizeof(aor), "%d@rand",
			         rand_r(seed) % 30);
			snprintf(contact, sizeof(contact), "sip:%d@h",
			         rand_r(seed) % 8);
			snprintf(inst, sizeof(inst), "<urn:uuid:%d>",
			         rand_r(seed) % 3);
			if (kind < 4)
				evs[i] = tev_set(&t[i], false, aor, contact,
				                 kind == 0 ? inst : NULL,
				                 (uint32_t)(rand_r(seed) % 2),
				                 upd, (uint32_t)done);
			else if (kind < 7)
				evs[i] = tev_set(&t[i], true, aor, contact,
				                 kind == 4 ? inst : NULL, 1,
				                 upd, (uint32_t)done);
			else if (kind < 10)
				evs[i] =
				    tev_drop(&t[i], kind == 9, aor, contact);
			else
				evs[i] = random_call_event(seed, &c[i], call[i],
				                           sizeof(call[i]));
		}
		ck_assert_int_eq(store_append(S, none, 0, evs, (size_t)n), 0);
		done += n;
	}
	ck_assert_int_eq(store_sync(S), 0);
}

/* Every value of a dumped database is what protobuf-c packs from its
 * unpacked self: the writer's prefixing of origin, seq and at_ms to events,
 * and the projection's splicing of bindings, give canonical protobuf. klen:
 * the length every key has, 0 for any. */
static void
check_canonical(const struct dump *d, const ProtobufCMessageDescriptor *desc,
                size_t klen)
{
	for (size_t o = 0; o < d->n;) {
		size_t kl, vl, n;
		const uint8_t *v;
		ProtobufCMessage *m;
		uint8_t *p;

		memcpy(&kl, d->p + o, sizeof(kl));
		o += sizeof(kl) + kl;
		memcpy(&vl, d->p + o, sizeof(vl));
		v = d->p + o + sizeof(vl);
		o += sizeof(vl) + vl;
		if (klen)
			ck_assert_uint_eq(kl, klen);
		m = protobuf_c_message_unpack(desc, NULL, vl, v);
		ck_assert_ptr_nonnull(m);
		if (desc == &pbx__aor_bindings__descriptor)
			ck_assert_uint_gt(((Pbx__AorBindings *)m)->n_bindings,
			                  0);
		n = protobuf_c_message_get_packed_size(m);
		ck_assert_uint_eq(n, vl);
		p = malloc(n);
		protobuf_c_message_pack(m, p);
		ck_assert_mem_eq(p, v, n);
		free(p);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

/* The projections' databases, dumped one after the other. */
static const char *const PROJ_DBS[] = { "locations", "calls", "call_ids" };
#define NPROJ (sizeof(PROJ_DBS) / sizeof(PROJ_DBS[0]))

static void
dump_projections(struct dump d[NPROJ])
{
	for (size_t i = 0; i < NPROJ; i++)
		d[i] = dump_db(PROJ_DBS[i]);
}

static void
same_projections(struct dump a[NPROJ], struct dump b[NPROJ])
{
	for (size_t i = 0; i < NPROJ; i++) {
		ck_assert_msg(a[i].keys == b[i].keys && a[i].n == b[i].n &&
		                  memcmp(a[i].p, b[i].p, a[i].n) == 0,
		              "%s differs after the rebuild", PROJ_DBS[i]);
		free(a[i].p);
		free(b[i].p);
	}
}

START_TEST(rebuild_gives_the_same_bytes)
{
	char *dir = tmpdir_new();
	unsigned seed = 20261121;
	struct store_stats st;
	struct dump before[NPROJ], after[NPROJ], events0, events1;

	ck_assert_int_eq(store_open(&S, NULL, dir, 3), 0);
	random_events(&seed, 4000);
	store_stats(S, &st);
	ck_assert_uint_ge(st.events, 4000);
	ck_assert_uint_eq(st.failed, 0);
	dump_projections(before);
	events0 = dump_db("events");
	ck_assert_int_gt(before[0].keys, 10);
	ck_assert_uint_eq((uint64_t)before[0].keys, st.locations);
	/* every call got started at some point, many of them ended */
	ck_assert_int_eq(before[1].keys, 40);
	ck_assert_uint_eq(st.calls, 40);
	ck_assert_int_eq(before[2].keys, 40);
	check_canonical(&events0, &pbx__event__descriptor, STORE_KEY_LEN);
	check_canonical(&before[0], &pbx__aor_bindings__descriptor, 0);

	ck_assert_int_eq(store_rebuild(S), 0);
	dump_projections(after);
	events1 = dump_db("events");
	same_projections(before, after);
	/* the log is untouched */
	ck_assert_uint_eq(events1.n, events0.n);
	ck_assert_mem_eq(events1.p, events0.p, events0.n);

	/* appends go on after a rebuild, and a rebuild in between batches
	 * still agrees with the live projection */
	random_events(&seed, 1000);
	dump_projections(before);
	store_close(S);
	ck_assert_int_eq(store_open(&S, NULL, dir, 3), 0);
	ck_assert_int_eq(store_rebuild(S), 0);
	dump_projections(after);
	same_projections(before, after);
	store_close(S);
	free(events0.p);
	free(events1.p);
	tmpdir_rm(dir);
}
END_TEST

/* The writer's protobuf scratch: what fits in its block is bump-allocated
 * there, aligned and without overlap; what does not is a malloc each (freed
 * at reset: ASan's leak check runs this too); after a reset the block is
 * used again from its start. */
START_TEST(arena_block_big_reset)
{
	struct store_arena a;
	uint8_t *p[100], *first;

	store_arena_init(&a);
	for (int i = 0; i < 100; i++) {
		p[i] = a.pb.alloc(&a, 1000 + (size_t)i);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % _Alignof(max_align_t), 0);
		memset(p[i], i, 1000 + (size_t)i);
	}
	ck_assert_ptr_nonnull(a.big); /* 100 KB: past the 64 KB block */
	for (int i = 0; i < 100; i++)
		for (size_t j = 0; j < 1000 + (size_t)i; j++)
			ck_assert_uint_eq(p[i][j], (uint8_t)i);
	a.pb.free(&a, p[3]); /* nothing until the reset */
	ck_assert_uint_eq(p[3][0], 3);
	first = p[0];
	store_arena_reset(&a);
	ck_assert_ptr_null(a.big);
	ck_assert_ptr_eq(a.pb.alloc(&a, 8), first);
	store_arena_fini(&a);
}
END_TEST

TCase *
store_tc_projection(void)
{
	TCase *tc = tcase_create("projection");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, projection_rules);
	tcase_add_test(tc, rebuild_gives_the_same_bytes);
	tcase_add_test(tc, arena_block_big_reset);
	return tc;
}
