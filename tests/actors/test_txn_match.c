/* Client transaction branches and responses: a branch carries its worker
 * and 128 random bits (no counter, nothing to guess from another one); a
 * response matched by branch must also carry the request's Call-ID, CSeq
 * number and method and come from where the request went. Log lines about
 * them are rate-limited. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "sip_test.h" /* tests/sip: run_suite */
#include "txn.h"

START_TEST(branch_names_worker)
{
	char b[64];
	uint32_t w = 99;
	struct pl p;

	for (uint32_t worker = 0; worker < 300; worker += 37) {
		ck_assert_int_eq(sip_branch_new(b, sizeof(b), worker), 0);
		ck_assert_msg(strncmp(b, "z9hG4bK", 7) == 0, "%s", b);
		p = pls(b);
		ck_assert_int_eq(sip_branch_worker(&p, &w), 0);
		ck_assert_uint_eq(w, worker);
	}
	ck_assert_int_eq(sip_branch_new(b, 40, 0), ENOSPC);
}
END_TEST

/* Two branches share nothing after the worker: 128 bits each time. */
START_TEST(branch_random)
{
	enum { N = 2000 };
	static char b[N][64];

	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(sip_branch_new(b[i], sizeof(b[i]), 1), 0);
		ck_assert_uint_eq(strlen(b[i]), strlen("z9hG4bK-pbx-1-") + 32);
	}
	qsort(b, N, sizeof(b[0]), (int (*)(const void *, const void *))strcmp);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(b[i - 1], b[i]);
}
END_TEST

/* The branches of the old format (z9hG4bK-pbx-NODE.WORKER.ID, which named
 * an actor: z9hG4bK-pbx-1.0.8 was the SIP core itself), truncated or
 * tampered ones and others' name no worker. */
START_TEST(branch_foreign)
{
	static const char *const bad[] = {
		"z9hG4bK-pbx-1.0.8",
		"z9hG4bK-pbx-1.1.2a",
		"z9hG4bK-pbx-0-",
		"z9hG4bK-pbx-0-0123456789abcdef0123456789abcde",
		"z9hG4bK-pbx-0-0123456789abcdef0123456789abcdef0",
		"z9hG4bK-pbx-0-0123456789abcdef0123456789abcdeg",
		"z9hG4bK-pbx--0123456789abcdef0123456789abcdef",
		"z9hG4bK-pbx-123456789-0123456789abcdef0123456789abcdef",
		"z9hG4bKkdjuw",
		"",
	};
	uint32_t w;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pl p = pls(bad[i]);

		ck_assert_msg(sip_branch_worker(&p, &w) == ENOENT, "took %s",
		              bad[i]);
	}
}
END_TEST

/* One line a second per call site; the next one says how many were left
 * out. */
START_TEST(ratelim)
{
	struct sip_ratelim r = { 0 };
	uint64_t sk = 99;

	ck_assert(sip_ratelim_ok(&r, &sk));
	ck_assert_uint_eq(sk, 0);
	for (int i = 0; i < 1000; i++)
		ck_assert(!sip_ratelim_ok(&r, &sk));
	atomic_store(&r.next, 0); /* as if the second were over */
	ck_assert(sip_ratelim_ok(&r, &sk));
	ck_assert_uint_eq(sk, 1000);
}
END_TEST

static char branch[64];
static struct txn_sent_id id;
static uint8_t ip_a[4] = { 192, 0, 2, 7 }, ip_b[4] = { 192, 0, 2, 8 };

static void
flow(Pbx__SipFlow *f, uint32_t tp, uint8_t *ip, uint32_t port)
{
	pbx__sip_flow__init(f);
	f->transport = tp;
	f->remote_ip.data = ip;
	f->remote_ip.len = 4;
	f->remote_port = port;
}

static void
setup(void)
{
	char req[1024];
	struct sip_msg m;
	int n;

	ck_assert_int_eq(sip_branch_new(branch, sizeof(branch), 0), 0);
	n = snprintf(req, sizeof(req),
	             "INVITE sip:1001@192.0.2.7:5060 SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=%s;rport\r\n"
	             "From: <sip:1000@127.0.0.1>;tag=a1\r\n"
	             "To: <sip:1001@127.0.0.1>\r\n"
	             "Call-ID: leg-b@pbx\r\n"
	             "CSeq: 7 INVITE\r\n"
	             "Max-Forwards: 70\r\n"
	             "Content-Length: 0\r\n\r\n",
	             branch);
	ck_assert_int_eq(sip_msg_decode(&m, req, (size_t)n, NULL), 0);
	ck_assert_int_eq(txn_sent_id_init(&id, &m), 0);
}

static void
teardown(void)
{
	txn_sent_id_fini(&id);
}

/* What txn_response_check says of a response with these fields, from
 * flow f, to the request sent along `to`. */
static const char *
check(const char *br, const char *cid, const char *cseq, const Pbx__SipFlow *to,
      const Pbx__SipFlow *from)
{
	static char rsp[1024];
	static struct sip_msg m;
	int n =
	    snprintf(rsp, sizeof(rsp),
	             "SIP/2.0 486 Busy Here\r\n"
	             "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=%s;rport=5060\r\n"
	             "From: <sip:1000@127.0.0.1>;tag=a1\r\n"
	             "To: <sip:1001@127.0.0.1>;tag=b1\r\n"
	             "Call-ID: %s\r\n"
	             "CSeq: %s\r\n"
	             "Content-Length: 0\r\n\r\n",
	             br, cid, cseq);

	ck_assert_int_eq(sip_msg_decode(&m, rsp, (size_t)n, NULL), 0);
	return txn_response_check(&id, to, &m, from);
}

START_TEST(response_matches)
{
	Pbx__SipFlow to, from;

	flow(&to, 1, ip_a, 5060);
	flow(&from, 1, ip_a, 5060);
	ck_assert_ptr_null(check(branch, "leg-b@pbx", "7 INVITE", &to, &from));
	/* RFC 3261 18.2.2: over TCP the answer may come on another
	 * connection of that address */
	flow(&to, 2, ip_a, 5060);
	flow(&from, 2, ip_a, 40123);
	ck_assert_ptr_null(check(branch, "leg-b@pbx", "7 INVITE", &to, &from));
}
END_TEST

START_TEST(response_forged)
{
	Pbx__SipFlow to, from, other_ip, other_port, tcp;
	char other[64];

	flow(&to, 1, ip_a, 5060);
	flow(&from, 1, ip_a, 5060);
	flow(&other_ip, 1, ip_b, 5060);
	flow(&other_port, 1, ip_a, 5062);
	flow(&tcp, 2, ip_a, 5060);
	ck_assert_int_eq(sip_branch_new(other, sizeof(other), 0), 0);
	ck_assert_str_eq(check(other, "leg-b@pbx", "7 INVITE", &to, &from),
	                 "branch");
	ck_assert_str_eq(check(branch, "guess@pbx", "7 INVITE", &to, &from),
	                 "Call-ID");
	ck_assert_str_eq(check(branch, "leg-b@pbx", "8 INVITE", &to, &from),
	                 "CSeq number");
	ck_assert_str_eq(check(branch, "leg-b@pbx", "7 BYE", &to, &from),
	                 "CSeq method");
	/* a CANCEL's answer only once we sent one */
	ck_assert_str_eq(check(branch, "leg-b@pbx", "7 CANCEL", &to, &from),
	                 "CSeq method");
	id.cancel = true;
	ck_assert_ptr_null(check(branch, "leg-b@pbx", "7 CANCEL", &to, &from));
	ck_assert_str_eq(check(branch, "leg-b@pbx", "7 INVITE", &to, &other_ip),
	                 "source address");
	ck_assert_str_eq(
	    check(branch, "leg-b@pbx", "7 INVITE", &to, &other_port),
	    "source port or transport");
	ck_assert_str_eq(check(branch, "leg-b@pbx", "7 INVITE", &to, &tcp),
	                 "source port or transport");
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, branch_names_worker);
	tcase_add_test(tc, branch_random);
	tcase_add_test(tc, branch_foreign);
	tcase_add_test(tc, ratelim);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, response_matches);
	tcase_add_test(tc, response_forged);
}

int
main(void)
{
	return run_suite("txn_match", add);
}
