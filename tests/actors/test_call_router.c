/* The call router takes SipRequests from the SIP core, which always sets
 * the flow. One without a flow, or with a listener index out of range, did
 * not come from there (a forged cluster message once crashed pbxd this
 * way): the router drops it and carries on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/harness.h"
#include "calls.h"
#include "sip_stack.h"
#include "../check_run.h"

static struct probe P;
static struct sip_stack stack;
static struct calls calls = { .s = &stack };
static rt_addr router;

static const char invite[] =
    "INVITE sip:1001@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-x\r\n"
    "From: <sip:1000@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>\r\n"
    "Call-ID: x@127.0.0.1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n";

static void
send_invite(rt_actor *a, bool flow, uint32_t listener)
{
	Pbx__SipRequest *r;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_REQUEST,
	                       sizeof(invite) + sizeof(Pbx__SipFlow), &r);

	r->data.data = rt_msg_memdup(m, invite, sizeof(invite) - 1);
	r->data.len = sizeof(invite) - 1;
	if (flow) {
		r->flow = rt_msg_alloc(m, sizeof(*r->flow));
		pbx__sip_flow__init(r->flow);
		r->flow->listener = listener;
	}
	ck_assert_int_eq(rt_send(a, router, m), 0);
}

/* Watches the router, sends it the bad requests, then stops it: the Down
 * comes after the router has handled both, in order, and lived. */
static int
sender_init(rt_actor *a, void *arg)
{
	(void)arg;
	ck_assert_int_eq(rt_watch(a, router), 0);
	send_invite(a, false, 0);
	send_invite(a, true, 1000);
	ck_assert_int_eq(rt_exit(a, router, 77), 0);
	return 0;
}

static void
sender_handle(rt_actor *a, const Pbx__Envelope *env)
{
	(void)a;
	if (env->body_case == PBX__ENVELOPE__BODY_DOWN) {
		probe_set(&P, 0, env->down->reason);
		probe_add(&P, 0, 1);
	}
}

static const rt_kind sender_kind = { .name = "sender",
	                             .init = sender_init,
	                             .handle = sender_handle };

START_TEST(request_without_flow_dropped)
{
	rt *r = rt_test_start(1);
	rt_addr x;

	probe_init(&P);
	ck_assert_int_eq(rt_spawn(r, &call_router_kind, 0, &calls, &router), 0);
	ck_assert_int_eq(rt_spawn(r, &sender_kind, 0, NULL, &x), 0);
	ck_assert_int_eq(probe_wait(&P, 0, 1, 5000), 1);
	ck_assert_int_eq(probe_val(&P, 0), 77); /* our Exit, not a crash */
	rt_test_stop(r);
}
END_TEST

static void
add_tests(TCase *tc)
{
	tcase_add_test(tc, request_without_flow_dropped);
}

int
main(void)
{
	return run_suite("call_router", add_tests);
}
