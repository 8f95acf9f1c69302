/* The replication lag histogram (cluster/repl_recv.c): what pbxctl cluster
 * reports as p50 and p99 of the lag of live-replicated events. */
#include <check.h>
#include <string.h>

#include "../../cluster/repl_int.h"
#include "../check_run.h"

static struct repl r;

static struct repl_lag
lag_of(void)
{
	struct repl_lag l;

	repl_lag(&r, &l);
	return l;
}

START_TEST(empty)
{
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	ck_assert_uint_eq(lag_of().count, 0);
	ck_assert_uint_eq(lag_of().p50_ms, 0);
	ck_assert_uint_eq(lag_of().p99_ms, 0);
}
END_TEST

START_TEST(quantiles)
{
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	/* 98 events of 3 ms, one of 450 ms, one of 7 s: p50 3 ms; p99 is the
	 * 99th event (rank ceil(0.99 * 100)), the 450 ms one, to 10 ms */
	for (int i = 0; i < 98; i++)
		repl_lag_add(&r, 3);
	repl_lag_add(&r, 450);
	repl_lag_add(&r, 7000);
	ck_assert_uint_eq(lag_of().count, 100);
	ck_assert_uint_eq(lag_of().p50_ms, 4); /* the bucket [3, 4) */
	ck_assert_uint_eq(lag_of().p99_ms, 460);
	/* 1 ms steps below 100 ms */
	memset(r.lag, 0, sizeof(r.lag));
	r.lag_n = 0;
	repl_lag_add(&r, 0);
	repl_lag_add(&r, 99);
	ck_assert_uint_eq(lag_of().p50_ms, 1);
	ck_assert_uint_eq(lag_of().p99_ms, 100);
	/* beyond the last bucket: counted there, not lost */
	repl_lag_add(&r, 3600 * 1000);
	repl_lag_add(&r, 3600 * 1000);
	ck_assert_uint_eq(lag_of().count, 4);
	ck_assert_uint_eq(lag_of().p99_ms, 600000);
}
END_TEST

/* The at_ms of a packed event, read off the wire without unpacking. */
START_TEST(at_ms_of_packed_event)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__BindingRemoved rm = PBX__BINDING_REMOVED__INIT;
	uint8_t buf[256];
	ProtobufCBinaryData b = { 0, buf };

	ev.origin = 7;
	ev.seq = 123456789012ull;
	ev.at_ms = 1796400000123ull;
	ev.version = 1;
	rm.aor = "1000@127.0.0.1";
	rm.contact = "sip:1000@127.0.0.1:5070";
	ev.body_case = PBX__EVENT__BODY_BINDING_REMOVED;
	ev.binding_removed = &rm;
	b.len = pbx__event__pack(&ev, buf);
	ck_assert_uint_eq(repl_event_at_ms(&b), ev.at_ms);
	/* cut short, or without the field: 0, never a read past the end */
	for (size_t n = 0; n < b.len; n++) {
		ProtobufCBinaryData c = { n, buf };
		uint64_t v = repl_event_at_ms(&c);

		ck_assert(v == 0 || v == ev.at_ms);
	}
	ev.at_ms = 0;
	b.len = pbx__event__pack(&ev, buf);
	ck_assert_uint_eq(repl_event_at_ms(&b), 0);
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, at_ms_of_packed_event);
	tcase_add_test(tc, empty);
	tcase_add_test(tc, quantiles);
}

int
main(void)
{
	return run_suite("repl", add);
}
