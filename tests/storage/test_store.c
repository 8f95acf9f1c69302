/* The store on a real LMDB environment in a temp dir: answers to real
 * actors, sequences across reopen, group commit under concurrent appenders,
 * the directory lock, and the stored format. */
#include <errno.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "store_int.h"
#include "store_test.h"

static struct probe P;
static struct store *S;
static _Atomic unsigned char *seen; /* by sequence */

/* An appender: `count` appends, at most `window` unanswered (0: all at
 * once); append i holds sizes[i] events (1 without sizes). Probe counters:
 * 0 answers, 1 out-of-order correlations, 2 sequences seen twice, 3
 * failures, 4 append errors. v[i], v[8+i]: first_seq and count of answer i
 * of client 0. */
struct client {
	int index;
	long count, window;
	const uint32_t *sizes;
	long sent, got;
};

static uint64_t
corr_of(const struct client *c, long i)
{
	return (uint64_t)(c->index + 1) * 1000000 + (uint64_t)i;
}

static void
client_append(rt_actor *a, struct client *c)
{
	struct tev t[4];
	Pbx__Event *evs[4];
	uint32_t n = c->sizes ? c->sizes[c->sent] : 1;
	char aor[32], contact[48];

	for (uint32_t i = 0; i < n; i++) {
		snprintf(aor, sizeof(aor), "u%d@gc", c->index);
		snprintf(contact, sizeof(contact), "sip:%d-%ld-%u@h", c->index,
		         c->sent % 8, i);
		evs[i] = tev_set(&t[i], c->sent >= 8, aor, contact, NULL, 0,
		                 (uint64_t)c->sent, (uint32_t)c->sent);
	}
	if (store_append(S, rt_self(a), corr_of(c, c->sent), evs, n))
		probe_add(&P, 4, 1);
	c->sent++;
}

static int
client_init(rt_actor *a, void *arg)
{
	struct client *c = arg;

	*(struct client **)rt_state(a) = c;
	while (c->sent < c->count && (!c->window || c->sent < c->window))
		client_append(a, c);
	return 0;
}

static void
client_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct client *c = *(struct client **)rt_state(a);
	const Pbx__StoreCommitted *sc = env->store_committed;

	if (env->body_case == PBX__ENVELOPE__BODY_STORE_FAILED) {
		probe_add(&P, 3, 1);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_STORE_COMMITTED)
		return;
	if (env->correlation != corr_of(c, c->got))
		probe_add(&P, 1, 1);
	for (uint32_t k = 0; seen && k < sc->count; k++)
		if (atomic_exchange(&seen[sc->first_seq + k], 1))
			probe_add(&P, 2, 1);
	if (c->index == 0 && c->got < 8) {
		probe_set(&P, (int)c->got, (long)sc->first_seq);
		probe_set(&P, 8 + (int)c->got, (long)sc->count);
	}
	c->got++;
	if (c->window && c->sent < c->count)
		client_append(a, c);
	probe_add(&P, 0, 1);
}

static const rt_kind client_kind = {
	.name = "client",
	.size = sizeof(struct client *),
	.init = client_init,
	.handle = client_handle,
};

START_TEST(append_answers_actor_and_seq_continues)
{
	static const uint32_t sizes[] = { 1, 3, 2 };
	struct client c = { .index = 0, .count = 3, .sizes = sizes };
	struct client c2 = { .index = 0, .count = 1 };
	char *dir = tmpdir_new();
	rt *r = rt_test_start(2);
	struct store_stats st;
	Pbx__Event *ev;
	rt_addr a;

	probe_init(&P);
	ck_assert_int_eq(store_open(&S, r, dir, 1), 0);
	ck_assert_int_eq(rt_spawn(r, &client_kind, 1, &c, &a), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 3, 10000), 3);
	ck_assert_int_eq(probe_get(&P, 1), 0); /* correlations */
	ck_assert_int_eq(probe_get(&P, 3) + probe_get(&P, 4), 0);
	ck_assert_int_eq(probe_val(&P, 0), 1);
	ck_assert_int_eq(probe_val(&P, 8), 1);
	ck_assert_int_eq(probe_val(&P, 1), 2);
	ck_assert_int_eq(probe_val(&P, 9), 3);
	ck_assert_int_eq(probe_val(&P, 2), 5);
	ck_assert_int_eq(probe_val(&P, 10), 2);
	store_stats(S, &st);
	ck_assert_uint_eq(st.events, 6);
	ck_assert_uint_eq(st.last_seq, 6);
	ck_assert_uint_eq(st.appends, 3);
	store_close(S);

	/* reopened, the node's sequence goes on after 6 */
	probe_init(&P);
	ck_assert_int_eq(store_open(&S, r, dir, 1), 0);
	store_stats(S, &st);
	ck_assert_uint_eq(st.last_seq, 6);
	ck_assert_uint_eq(st.events, 6);
	ck_assert_int_eq(rt_spawn(r, &client_kind, 0, &c2, &a), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 10000), 1);
	ck_assert_int_eq(probe_get(&P, 1), 0);
	ck_assert_int_eq(probe_val(&P, 0), 7);
	ck_assert_int_eq(probe_val(&P, 8), 1);
	ck_assert_int_eq(store_event_get(S, 1, 7, &ev), 0);
	ck_assert_uint_eq(ev->seq, 7);
	ck_assert_uint_eq(ev->origin, 1);
	pbx__event__free_unpacked(ev, NULL);
	ck_assert_int_eq(store_event_get(S, 1, 8, &ev), ENOENT);
	store_close(S);
	rt_test_stop(r);
	tmpdir_rm(dir);
}
END_TEST

START_TEST(append_refuses_malformed)
{
	char *dir = tmpdir_new();
	rt_addr none = { 0, 0, 0 };
	struct tev t;
	Pbx__Event *ev, empty = PBX__EVENT__INIT;

	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ev = tev_set(&t, false, "", "sip:x@h", NULL, 0, 1, 1);
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = tev_drop(&t, false, "", "sip:x@h");
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = &empty; /* no body */
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ck_assert_int_eq(store_append(S, none, 0, &ev, 0), EINVAL);
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

#define CLIENTS 8
#define TOTAL   10000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 8 actors on 4 workers append TOTAL events concurrently, each keeping at
 * most `window` appends unanswered (0: all at once). */
static void
run_group_commit(long window, const char *what)
{
	struct client c[CLIENTS];
	char *dir = tmpdir_new();
	rt *r = rt_test_start(4);
	struct store_stats st;
	double t0, ms;
	rt_addr a;

	probe_init(&P);
	seen = calloc(TOTAL + 2, 1);
	ck_assert_int_eq(store_open(&S, r, dir, 1), 0);
	t0 = now_ms();
	for (int i = 0; i < CLIENTS; i++) {
		c[i] = (struct client){ .index = i,
			                .count = TOTAL / CLIENTS,
			                .window = window };
		ck_assert_int_eq(
		    rt_spawn(r, &client_kind, (uint32_t)i % 4, &c[i], &a), 0);
	}
	ck_assert_int_eq(probe_wait(&P, 0, TOTAL, 120000), TOTAL);
	ms = now_ms() - t0;
	ck_assert_int_eq(probe_get(&P, 1), 0);
	ck_assert_int_eq(probe_get(&P, 2), 0);
	ck_assert_int_eq(probe_get(&P, 3) + probe_get(&P, 4), 0);
	for (long q = 1; q <= TOTAL; q++)
		ck_assert_msg(seen[q], "seq %ld not answered", q);
	store_stats(S, &st);
	fprintf(stderr,
	        "group commit (%s): %llu appends in %llu commits, largest "
	        "%llu, %.0f ms, %.0f appends/s\n",
	        what, (unsigned long long)st.appends,
	        (unsigned long long)st.commits,
	        (unsigned long long)st.max_batch, ms, TOTAL / ms * 1e3);
	ck_assert_uint_eq(st.appends, TOTAL);
	ck_assert_uint_eq(st.events, TOTAL);
	ck_assert_uint_eq(st.last_seq, TOTAL);
	ck_assert_uint_eq(st.locations, CLIENTS);
	ck_assert_uint_lt(st.commits, st.appends); /* it batched */
	ck_assert_uint_gt(st.max_batch, 1);
	store_close(S);
	rt_test_stop(r);
	free((void *)seen);
	seen = NULL;
	tmpdir_rm(dir);
}

START_TEST(group_commit_flood)
{
	run_group_commit(0, "all at once");
}
END_TEST

START_TEST(group_commit_each_waits)
{
	/* as a registrar does: the next append only after the commit */
	run_group_commit(1, "one in flight per actor");
}
END_TEST

START_TEST(second_open_is_busy)
{
	char *dir = tmpdir_new();
	struct store *s2 = NULL;
	pid_t pid;
	int status;

	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	/* another process */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int err = store_open(&s2, NULL, dir, 1);

		if (!err)
			store_close(s2);
		_exit(err);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), EBUSY);
	/* and this one */
	ck_assert_int_eq(store_open(&s2, NULL, dir, 1), EBUSY);
	store_close(S);
	ck_assert_int_eq(store_open(&s2, NULL, dir, 1), 0);
	store_close(s2);
	tmpdir_rm(dir);
}
END_TEST

static int
grab(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	uint8_t *out = arg;

	ck_assert_uint_lt(vl, 256);
	out[0] = (uint8_t)vl;
	memcpy(out + 1, v, vl);
	return 1; /* the first event only */
}

START_TEST(stored_format_is_stable)
{
	/* Event{origin 7, seq 1, at_ms 1, version 1, binding_added{binding{
	 * aor "a@b", contact "sip:x"}}} as protobuf: what is in the log
	 * today must stay readable, and equal to what we write */
	static const uint8_t golden[] = {
		0x08, 0x07, 0x10, 0x01, 0x18, 0x01, 0x20, 0x01, 0x82,
		0x01, 0x0e, 0x0a, 0x0c, 0x0a, 0x03, 'a',  '@',  'b',
		0x12, 0x05, 's',  'i',  'p',  ':',  'x',
	};
	char *dir = tmpdir_new();
	uint8_t raw[257];
	Pbx__Binding b = PBX__BINDING__INIT;
	Pbx__BindingAdded ba = PBX__BINDING_ADDED__INIT;
	Pbx__Event ev = PBX__EVENT__INIT, *pev = &ev, *got;
	struct tev t;

	b.aor = "a@b";
	b.contact = "sip:x";
	ba.binding = &b;
	ev.body_case = PBX__EVENT__BODY_BINDING_ADDED;
	ev.binding_added = &ba;
	ev.at_ms = 1;
	ev.origin = 99; /* the store sets it */
	ev.seq = 12345;
	got = pbx__event__unpack(NULL, sizeof(golden), golden);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->origin, 7);
	ck_assert_uint_eq(got->seq, 1);
	ck_assert_int_eq(got->body_case, PBX__EVENT__BODY_BINDING_ADDED);
	ck_assert_str_eq(got->binding_added->binding->contact, "sip:x");
	pbx__event__free_unpacked(got, NULL);

	ck_assert_int_eq(store_open(&S, NULL, dir, 7), 0);
	append1(S, pev);
	ck_assert_int_eq(store_dump(S, "events", grab, raw), 1);
	ck_assert_uint_eq(raw[0], sizeof(golden));
	ck_assert_mem_eq(raw + 1, golden, sizeof(golden));

	/* every field of a full binding comes back equal */
	pev = tev_set(&t, true, "1000@example.com", "sip:1000@10.0.0.9:5060",
	              "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", 2,
	              1700000000123, 42);
	append1(S, pev);
	ck_assert_int_eq(store_event_get(S, 7, 2, &got), 0);
	ck_assert_uint_eq(got->origin, 7);
	ck_assert_uint_eq(got->seq, 2);
	ck_assert_uint_eq(got->version, 1);
	ck_assert_uint_gt(got->at_ms, 1700000000000ULL); /* now */
	ck_assert_int_eq(got->body_case, PBX__EVENT__BODY_BINDING_REFRESHED);
	{
		const Pbx__Binding *gb = got->binding_refreshed->binding;
		size_t n1 = pbx__binding__get_packed_size(&t.b);
		size_t n2 = pbx__binding__get_packed_size(gb);
		uint8_t *p1 = malloc(n1), *p2 = malloc(n2);

		ck_assert_uint_eq(n1, n2);
		pbx__binding__pack(&t.b, p1);
		pbx__binding__pack(gb, p2);
		ck_assert_mem_eq(p1, p2, n1);
		ck_assert_str_eq(gb->instance, t.instance);
		ck_assert_uint_eq(gb->reg_id, 2);
		ck_assert_uint_eq(gb->updated_at_ms, 1700000000123ULL);
		free(p1);
		free(p2);
	}
	pbx__event__free_unpacked(got, NULL);
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

/* Records answers: n[5] StoreCommitted, n[6] StoreFailed; v[0] the last
 * correlation, v[1] first_seq or error. */
static void
collector_handle(rt_actor *a, const Pbx__Envelope *env)
{
	probe_set(&P, 0, (long)env->correlation);
	if (env->body_case == PBX__ENVELOPE__BODY_STORE_COMMITTED) {
		probe_set(&P, 1, (long)env->store_committed->first_seq);
		probe_add(&P, 5, 1);
	} else if (env->body_case == PBX__ENVELOPE__BODY_STORE_FAILED) {
		probe_set(&P, 1, env->store_failed->error);
		probe_add(&P, 6, 1);
	}
}

static const rt_kind collector_kind = {
	.name = "collector",
	.handle = collector_handle,
};

/* A value no protobuf decoder takes, written behind the store's back. */
static void
spoil_locations(const char *dir, const char *aor)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(aor), (void *)aor }, v = { 3, "\xff\xff\xff" };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 8), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0640), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "locations", 0, &dbi), 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(failed_batch_answers_store_failed)
{
	char *dir = tmpdir_new();
	rt *r = rt_test_start(2);
	struct store_stats st;
	struct tev t[2];
	Pbx__Event *evs[2];
	Pbx__AorBindings *b;
	rt_addr col;

	probe_init(&P);
	ck_assert_int_eq(store_open(&S, r, dir, 1), 0);
	store_close(S);
	spoil_locations(dir, "bad@x");
	ck_assert_int_eq(store_open(&S, r, dir, 1), 0);
	ck_assert_int_eq(rt_spawn(r, &collector_kind, 1, NULL, &col), 0);

	/* the second event cannot be projected: nothing of the append is
	 * stored, the appender is told why */
	evs[0] = tev_set(&t[0], false, "good@x", "sip:lost", NULL, 0, 1, 1);
	evs[1] = tev_set(&t[1], false, "bad@x", "sip:b", NULL, 0, 1, 1);
	ck_assert_int_eq(store_append(S, col, 41, evs, 2), 0);
	ck_assert_int_eq(probe_wait(&P, 6, 1, 10000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 41);
	ck_assert_int_eq(probe_val(&P, 1), EBADMSG);
	store_stats(S, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.events, 0);
	ck_assert_uint_eq(st.last_seq, 0);
	/* failing until a commit works: here the writer's probe (nothing is
	 * queued, and "bad@x" is no part of what it writes), within seconds */
	ck_assert(store_failing(S));
	for (int i = 0; i < 100 && store_failing(S); i++)
		usleep(50000);
	ck_assert(!store_failing(S));
	store_stats(S, &st);
	ck_assert_uint_eq(st.events, 0);

	/* the next append takes the sequence the failed one did not */
	evs[0] = tev_set(&t[0], false, "good@x", "sip:kept", NULL, 0, 2, 2);
	ck_assert_int_eq(store_append(S, col, 42, evs, 1), 0);
	ck_assert_int_eq(probe_wait(&P, 5, 1, 10000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 42);
	ck_assert_int_eq(probe_val(&P, 1), 1);
	ck_assert(!store_failing(S));
	ck_assert_int_eq(store_locations_get(S, "good@x", &b), 0);
	ck_assert_uint_eq(b->n_bindings, 1);
	ck_assert_str_eq(b->bindings[0]->contact, "sip:kept");
	pbx__aor_bindings__free_unpacked(b, NULL);
	store_close(S);
	rt_test_stop(r);
	tmpdir_rm(dir);
}
END_TEST

START_TEST(full_map_grows_and_commits)
{
	/* 1 MiB of map and ~3 MiB of events: batches hit MDB_MAP_FULL, the
	 * writer grows the map and commits them anyway */
	static char ua[1001];
	char *dir = tmpdir_new();
	rt_addr none = { 0, 0, 0 };
	struct store_stats st;
	struct tev t[4];
	Pbx__Event *evs[4];
	Pbx__AorBindings *b;
	char contact[32];

	memset(ua, 'x', sizeof(ua) - 1);
	store_map_initial = (size_t)1 << 20;
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	for (int i = 0; i < 3000; i += 4) {
		for (int k = 0; k < 4; k++) {
			snprintf(contact, sizeof(contact), "sip:%d@h",
			         (i + k) % 16);
			evs[k] =
			    tev_set(&t[k], false, "big@x", contact, NULL, 0,
			            (uint64_t)(i + k), (uint32_t)(i + k));
			t[k].b.user_agent = ua;
		}
		ck_assert_int_eq(store_append(S, none, 0, evs, 4), 0);
	}
	ck_assert_int_eq(store_sync(S), 0);
	store_stats(S, &st);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.events, 3000);
	ck_assert_uint_eq(st.last_seq, 3000);
	store_close(S);
	store_map_initial = (size_t)1 << 30;

	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ck_assert_int_eq(store_locations_get(S, "big@x", &b), 0);
	ck_assert_uint_eq(b->n_bindings, 16);
	ck_assert_uint_eq(b->bindings[0]->updated_at_ms, 2992);
	ck_assert_str_eq(b->bindings[0]->user_agent, ua);
	pbx__aor_bindings__free_unpacked(b, NULL);
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("storage");
	TCase *tc = tcase_create("log");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, append_answers_actor_and_seq_continues);
	tcase_add_test(tc, append_refuses_malformed);
	tcase_add_test(tc, group_commit_flood);
	tcase_add_test(tc, group_commit_each_waits);
	tcase_add_test(tc, second_open_is_busy);
	tcase_add_test(tc, stored_format_is_stable);
	tcase_add_test(tc, full_map_grows_and_commits);
	tcase_add_test(tc, failed_batch_answers_store_failed);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, store_tc_projection());
	suite_add_tcase(s, store_tc_crash());
	suite_add_tcase(s, store_tc_calls());
	suite_add_tcase(s, store_tc_repl());
	suite_add_tcase(s, store_tc_prune());
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
