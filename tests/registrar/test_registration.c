/* Who expires what in a cluster (actors/registrar/registration_binding.c,
 * contract §6): reg_due gives a binding's expiry for the node that wrote
 * it, and the grace later for another node; a binding read from the store
 * keeps its version's origin and seq; one a node makes carries its own id
 * (and never an origin/seq in the event: the store sets them). */
#include <check.h>
#include <string.h>

#include "../../actors/registrar/registration_int.h"
#include "../check_run.h"

START_TEST(due_by_origin)
{
	struct binding b;

	memset(&b, 0, sizeof(b));
	b.expires_at = 100000;
	/* written here, or before the cluster (origin 0): on time */
	b.origin = 1;
	ck_assert_uint_eq(reg_due(&b, 1, 30000), 100000);
	b.origin = 0;
	ck_assert_uint_eq(reg_due(&b, 1, 30000), 100000);
	/* another node's: after the grace */
	b.origin = 2;
	ck_assert_uint_eq(reg_due(&b, 1, 30000), 130000);
	ck_assert_uint_eq(reg_due(&b, 2, 30000), 100000);
}
END_TEST

START_TEST(versions_in_and_out)
{
	Pbx__Binding p = PBX__BINDING__INIT, q;
	Pbx__SipFlow f;
	Pbx__Addr conn;
	struct binding b;

	p.aor = "1000@example.com";
	p.contact = "sip:1000@192.0.2.1";
	p.expires_at_ms = 5000;
	p.updated_at_ms = 4000;
	p.node = 3;
	p.origin = 2;
	p.seq = 77;
	reg_binding_from_pb(&b, &p);
	ck_assert_uint_eq(b.origin, 2);
	ck_assert_uint_eq(b.seq, 77);
	ck_assert_uint_eq(b.node, 3);
	ck_assert_uint_eq(b.updated_at, 4000);
	/* the event a node appends leaves the version's writer to the
	 * store */
	reg_binding_to_pb(&q, &f, &conn, p.aor, &b);
	ck_assert_uint_eq(q.origin, 0);
	ck_assert_uint_eq(q.seq, 0);
	ck_assert_uint_eq(q.updated_at_ms, 4000);
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, due_by_origin);
	tcase_add_test(tc, versions_in_and_out);
}

int
main(void)
{
	return run_suite("registration", add_tests);
}
