/* Durability: a child process appends through a real runtime and reports
 * each StoreCommitted on a pipe; it is killed with SIGKILL mid-stream.
 * Everything it was told is committed must be in the log and in the
 * projection when the store is opened again. Beside it, another actor
 * appends another origin's events (store_append_remote) and reports each
 * StoreApplied: those ranges must be held too. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store_test.h"

#define CRASH_AORS   20
#define CRASH_WINDOW 16
#define CRASH_ACKS   1500 /* events acknowledged before the kill */

struct ack {
	uint64_t first_seq, count, first_event;
};

struct crasher {
	struct store *s;
	int fd;
	uint64_t next_event; /* index of the next event made */
};

static void
crash_aor(char *out, size_t n, uint64_t i)
{
	snprintf(out, n, "u%llu@crash", (unsigned long long)(i % CRASH_AORS));
}

static void
crash_contact(char *out, size_t n, uint64_t i)
{
	snprintf(out, n, "sip:c%llu@10.0.0.1", (unsigned long long)i);
}

/* 1 to 3 new bindings; the correlation is the first one's index. */
static void
crash_append(rt_actor *a, struct crasher *c)
{
	struct tev t[3];
	Pbx__Event *evs[3];
	uint64_t first = c->next_event;
	size_t n = 1 + first % 3;
	char aor[32], contact[48];

	for (size_t i = 0; i < n; i++) {
		crash_aor(aor, sizeof(aor), first + i);
		crash_contact(contact, sizeof(contact), first + i);
		evs[i] =
		    tev_set(&t[i], false, aor, contact, NULL, 0, first + i, 1);
	}
	if (store_append(c->s, rt_self(a), first, evs, n))
		_exit(3);
	c->next_event += n;
}

static int
crasher_init(rt_actor *a, void *arg)
{
	*(struct crasher **)rt_state(a) = arg;
	for (int i = 0; i < CRASH_WINDOW; i++)
		crash_append(a, arg);
	return 0;
}

static void
crasher_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct crasher *c = *(struct crasher **)rt_state(a);
	struct ack k;

	if (env->body_case != PBX__ENVELOPE__BODY_STORE_COMMITTED)
		_exit(4);
	k.first_seq = env->store_committed->first_seq;
	k.count = env->store_committed->count;
	k.first_event = env->correlation;
	/* below PIPE_BUF: one write, whole */
	if (write(c->fd, &k, sizeof(k)) != sizeof(k))
		_exit(5);
	crash_append(a, c);
}

static const rt_kind crasher_kind = {
	.name = "crasher",
	.size = sizeof(struct crasher *),
	.init = crasher_init,
	.handle = crasher_handle,
};

/* Another origin's events (origin 2), one range of one event at a time,
 * CRASH_WINDOW in flight; an ack's first_event is REMOTE_ACK | seq. */
#define REMOTE_ACK (1ull << 63)

static void
remote_append(struct crasher *c, rt_addr self)
{
	uint64_t seq = ++c->next_event;
	char aor[32], contact[48];
	ProtobufCBinaryData d;
	struct tev t;
	Pbx__Event *ev;

	snprintf(aor, sizeof(aor), "r%llu@crash",
	         (unsigned long long)(seq % CRASH_AORS));
	snprintf(contact, sizeof(contact), "sip:r%llu@10.0.0.2",
	         (unsigned long long)seq);
	ev = tev_set(&t, false, aor, contact, NULL, 0, seq, 1);
	ev->origin = 2;
	ev->seq = seq;
	ev->at_ms = seq;
	d.len = pbx__event__get_packed_size(ev);
	d.data = malloc(d.len);
	if (!d.data)
		_exit(8);
	pbx__event__pack(ev, d.data);
	if (store_append_remote(c->s, self, seq, 2, seq - 1, seq, &d, 1))
		_exit(9);
	free(d.data);
}

static int
remote_init(rt_actor *a, void *arg)
{
	*(struct crasher **)rt_state(a) = arg;
	for (int i = 0; i < CRASH_WINDOW; i++)
		remote_append(arg, rt_self(a));
	return 0;
}

static void
remote_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct crasher *c = *(struct crasher **)rt_state(a);
	const Pbx__StoreApplied *x = env->store_applied;
	struct ack k;

	if (env->body_case != PBX__ENVELOPE__BODY_STORE_APPLIED || x->error ||
	    x->applied != 1 || x->held != env->correlation)
		_exit(10);
	k.first_seq = x->held;
	k.count = 1;
	k.first_event = REMOTE_ACK | x->held;
	if (write(c->fd, &k, sizeof(k)) != sizeof(k))
		_exit(5);
	remote_append(c, rt_self(a));
}

static const rt_kind remote_kind = {
	.name = "remote",
	.size = sizeof(struct crasher *),
	.init = remote_init,
	.handle = remote_handle,
};

static void
child_main(const char *dir, int fd)
{
	struct rt_config cfg = { .node_id = 1,
		                 .node_name = "crash",
		                 .workers = 2 };
	struct crasher c = { .fd = fd }, rc = { .fd = fd };
	rt *r = NULL;
	rt_addr a;

	if (rt_alloc(&r, &cfg) || rt_start(r))
		_exit(1);
	if (store_open(&c.s, r, dir, 1))
		_exit(2);
	rc.s = c.s;
	if (rt_spawn(r, &crasher_kind, 1, &c, &a) ||
	    rt_spawn(r, &remote_kind, 0, &rc, &a))
		_exit(6);
	for (;;)
		pause(); /* until SIGKILL */
}

struct acks {
	struct ack *v;
	size_t n, cap;
};

/* Read acks until `want` more events are acknowledged (or the child
 * stops). */
static void
read_acks(int fd, struct acks *a, uint64_t want)
{
	uint64_t events = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (events < want) {
		struct ack k;
		ssize_t got;

		ck_assert_msg(poll(&p, 1, 20000) == 1, "child is silent");
		got = read(fd, &k, sizeof(k));
		if (got == 0)
			break;
		ck_assert_int_eq(got, sizeof(k));
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 256;
			a->v = realloc(a->v, a->cap * sizeof(*a->v));
			ck_assert_ptr_nonnull(a->v);
		}
		a->v[a->n++] = k;
		events += k.count;
	}
}

static bool
has_contact(const Pbx__AorBindings *b, const char *contact)
{
	for (size_t i = 0; i < b->n_bindings; i++)
		if (!strcmp(b->bindings[i]->contact, contact))
			return true;
	return false;
}

START_TEST(acknowledged_events_survive_kill_9)
{
	char *dir = tmpdir_new();
	struct acks acks = { 0 };
	struct store *s;
	struct store_stats st;
	int fds[2], status;
	uint64_t max_seq = 0, checked = 0, remote = 0, max_remote = 0;
	Pbx__StoreCursor cur[4];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_main(dir, fds[1]);
	}
	close(fds[1]);
	read_acks(fds[0], &acks, CRASH_ACKS);
	/* the child keeps appending: the kill lands mid-stream */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	              "the child died before the kill (status %d)", status);
	/* acks written before the kill and not read yet count too */
	read_acks(fds[0], &acks, UINT64_MAX);
	close(fds[0]);
	ck_assert_uint_gt(acks.n, 0);

	ck_assert_int_eq(store_open(&s, NULL, dir, 1), 0);
	for (size_t i = 0; i < acks.n; i++) {
		if (acks.v[i].first_event & REMOTE_ACK) {
			uint64_t seq = acks.v[i].first_seq;
			char contact[48];
			Pbx__Event *ev;

			snprintf(contact, sizeof(contact), "sip:r%llu@10.0.0.2",
			         (unsigned long long)seq);
			ck_assert_int_eq(store_event_get(s, 2, seq, &ev), 0);
			ck_assert_str_eq(ev->binding_added->binding->contact,
			                 contact);
			pbx__event__free_unpacked(ev, NULL);
			if (seq > max_remote)
				max_remote = seq;
			remote++;
			continue;
		}
		for (uint64_t k = 0; k < acks.v[i].count; k++) {
			uint64_t seq = acks.v[i].first_seq + k;
			uint64_t e = acks.v[i].first_event + k;
			char aor[32], contact[48];
			Pbx__AorBindings *b;
			Pbx__Event *ev;

			crash_aor(aor, sizeof(aor), e);
			crash_contact(contact, sizeof(contact), e);
			ck_assert_int_eq(store_event_get(s, 1, seq, &ev), 0);
			ck_assert_int_eq(ev->body_case,
			                 PBX__EVENT__BODY_BINDING_ADDED);
			ck_assert_str_eq(ev->binding_added->binding->contact,
			                 contact);
			pbx__event__free_unpacked(ev, NULL);
			ck_assert_int_eq(store_locations_get(s, aor, &b), 0);
			ck_assert_msg(has_contact(b, contact),
			              "%s lost from %s", contact, aor);
			pbx__aor_bindings__free_unpacked(b, NULL);
			if (seq > max_seq)
				max_seq = seq;
			checked++;
		}
	}
	store_stats(s, &st);
	fprintf(stderr,
	        "kill -9: %llu acknowledged events and %llu remote ones "
	        "checked, %llu in the log\n",
	        (unsigned long long)checked, (unsigned long long)remote,
	        (unsigned long long)st.events);
	ck_assert_uint_ge(checked + remote, CRASH_ACKS);
	ck_assert_uint_gt(remote, 0);
	ck_assert_uint_ge(st.last_seq, max_seq);
	/* origin 2's held seq covers every acknowledged range */
	ck_assert_uint_eq(store_origins(s, cur, 4), 2);
	ck_assert_uint_eq(cur[1].origin, 2);
	ck_assert_uint_ge(cur[1].seq, max_remote);
	ck_assert_uint_eq(st.events, st.last_seq + cur[1].seq);
	/* and the node goes on after its last sequence */
	{
		struct tev t;
		Pbx__Event *ev;

		append1(s, tev_set(&t, false, "after@crash", "sip:a", NULL, 0,
		                   1, 1));
		ck_assert_int_eq(store_event_get(s, 1, st.last_seq + 1, &ev),
		                 0);
		ck_assert_str_eq(ev->binding_added->binding->aor,
		                 "after@crash");
		pbx__event__free_unpacked(ev, NULL);
	}
	store_close(s);
	free(acks.v);
	tmpdir_rm(dir);
}
END_TEST

TCase *
store_tc_crash(void)
{
	TCase *tc = tcase_create("crash");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, acknowledged_events_survive_kill_9);
	return tc;
}
