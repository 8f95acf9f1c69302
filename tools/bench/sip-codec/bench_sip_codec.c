/* bench-sip-codec: SIP codec throughput on one core.
 *   invite: eager parse of a ~900-byte INVITE with SDP, plus decoding what a
 *           B2BUA reads (top Via, From, To, Call-ID, CSeq, Contact,
 *           Max-Forwards, Content-Type, Content-Length);
 *   register: the same for a REGISTER with Authorization;
 *   reply: building a 180 with To tag and Contact from the parsed INVITE.
 * Each figure is the median of several runs, in operations per second.
 * usage: bench-sip-codec [-n ITERATIONS] [-r RUNS] [--redecode] */
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip.h"

static const char invite[] =
    "INVITE sip:+4930123456@pbx.example.com;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.23:5060;branch=z9hG4bK-524287-1---"
    "a6c85cf2b3e41d07;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:alice@198.51.100.23:5060;transport=udp>\r\n"
    "To: <sip:+4930123456@pbx.example.com;user=phone>\r\n"
    "From: \"Alice Example\" <sip:alice@pbx.example.com>;tag=9fxced76sl\r\n"
    "Call-ID: 3848276298220188511@198.51.100.23\r\n"
    "CSeq: 1 INVITE\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, UPDATE\r\n"
    "Supported: replaces, timer\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "User-Agent: Example Softphone 5.1.2 (Linux)\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 275\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 1707216735 1707216736 IN IP4 198.51.100.23\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.23\r\n"
    "t=0 0\r\n"
    "m=audio 40376 RTP/AVP 111 0 8 101\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

static const char reg[] =
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.23:5060;branch=z9hG4bK-524287-1---"
    "1e2d3c4b5a697887;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:alice@198.51.100.23:5060;transport=udp>;expires=3600;"
    "+sip.instance=\"<urn:uuid:4c5e1b2a-3d6f-4e8a-9b0c-1d2e3f4a5b6c>\";"
    "reg-id=1\r\n"
    "To: <sip:alice@pbx.example.com>\r\n"
    "From: <sip:alice@pbx.example.com>;tag=a73kszlfl\r\n"
    "Call-ID: 9a8b7c6d5e4f3a2b1c0d@198.51.100.23\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Expires: 3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS\r\n"
    "Supported: outbound, path, gruu\r\n"
    "User-Agent: Example Softphone 5.1.2 (Linux)\r\n"
    "Authorization: Digest username=\"alice\",realm=\"pbx.example.com\","
    "nonce=\"65c2b1a0:3f9e8d7c6b5a49382716\",uri=\"sip:pbx.example.com\","
    "response=\"b3a1c6a3e8f0d2c4a6b8e0f2d4c6a8b0\",cnonce=\"8d1f\","
    "nc=00000001,qop=auth,algorithm=MD5\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static volatile size_t sink;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a B2BUA reads of an incoming INVITE. The eager pass has already
 * decoded the top Via, From, To, Call-ID, CSeq, Max-Forwards, the first
 * Contact and Content-Length (it validates them); Content-Type is decoded
 * here. With "redecode", the B2BUA decodes Via, From, To, Call-ID and
 * Contact again from the header index, as if nothing were cached. */
static bool redecode;

/* noinline: run.sh counts its instructions with callgrind */
__attribute__((noinline)) static int
parse_invite(struct sip_msg *msg, const char *buf, size_t len)
{
	struct sip_ctype ctype;
	int err;

	err = sip_msg_decode(msg, buf, len, NULL);
	err = err ? err
	          : sip_ctype_decode(
	                &ctype, &sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE)->val);
	if (err)
		return err;
	if (redecode) {
		struct sip_hdr_iter it;
		struct sip_via via;
		struct sip_addr a;
		struct sip_contact ct;
		struct pl v;

		sip_hdr_iter_init(&it, msg, SIP_HDR_VIA);
		err = sip_hdr_iter_next(&v, &it);
		err = err ? err : sip_via_decode(&via, &v);
		err = err ? err
		          : sip_addr_decode(
		                &a, &sip_msg_hdr(msg, SIP_HDR_FROM)->val);
		err = err ? err
		          : sip_addr_decode(&a,
		                            &sip_msg_hdr(msg, SIP_HDR_TO)->val);
		err = err ? err
		          : sip_callid_decode(
		                &v, &sip_msg_hdr(msg, SIP_HDR_CALL_ID)->val);
		err = err ? err
		          : sip_contact_decode(
		                &ct, &sip_msg_hdr(msg, SIP_HDR_CONTACT)->val);
		if (err)
			return err;
		sink += via.branch.l + a.tag.l + ct.addr.uri.port + v.l;
	}
	sink += msg->via.branch.l + msg->from.tag.l + msg->to.uri.user.l +
	        msg->callid.l + msg->contact.addr.uri.port + ctype.subtype.l +
	        msg->cseq + (size_t)msg->max_forwards + msg->clen;
	return 0;
}

/* A registrar: also Expires and Authorization. */
/* noinline: run.sh counts its instructions with callgrind */
__attribute__((noinline)) static int
parse_register(struct sip_msg *msg, const char *buf, size_t len)
{
	struct sip_auth auth;
	uint32_t expires;
	int err;

	err = sip_msg_decode(msg, buf, len, NULL);
	err = err ? err
	          : sip_expires_decode(&expires,
	                               &sip_msg_hdr(msg, SIP_HDR_EXPIRES)->val);
	err = err ? err
	          : sip_auth_decode(
	                &auth, &sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION)->val);
	if (err)
		return err;
	sink += msg->via.branch.l + msg->from.tag.l + msg->to.uri.user.l +
	        msg->contact.expires + auth.response.l + expires;
	return 0;
}

/* noinline: run.sh counts its instructions with callgrind */
__attribute__((noinline)) static int
build_reply(char *out, size_t size, const struct sip_msg *req)
{
	static const struct pl tag = PL("8321234356");
	static const struct pl contact =
	    PL("<sip:+4930123456@203.0.113.5:5060;transport=udp>");
	struct sip_buf b;
	int err;

	sip_buf_init(&b, out, size);
	err = sip_reply_begin(&b, req, 180, NULL, &tag);
	err = err ? err : sip_build_hdr(&b, "Contact", &contact);
	err = err ? err : sip_build_end(&b, NULL, NULL);
	sink += b.pos;
	return err;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

enum { MAX_RUNS = 99 };

int
main(int argc, char **argv)
{
	static struct sip_msg msg, req;
	static char out[2048];
	long n = 2000000;
	int runs = 7;
	double rate[3][MAX_RUNS];
	const char *name[3] = { "invite_parse", "register_parse",
		                "reply_build" };
	cpu_set_t set;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--redecode"))
			redecode = true;
		else {
			fprintf(stderr,
			        "usage: %s [-n ITERATIONS] [-r RUNS] "
			        "[--redecode]\n",
			        argv[0]);
			return 2;
		}
	}
	if (n < 1 || runs < 1 || runs > MAX_RUNS)
		return 2;
	/* one core: keep the thread where it starts */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);

	if (parse_invite(&req, invite, sizeof(invite) - 1) ||
	    parse_register(&msg, reg, sizeof(reg) - 1) ||
	    build_reply(out, sizeof(out), &req)) {
		fprintf(stderr, "bench-sip-codec: sample messages rejected\n");
		return 1;
	}
	printf("invite_bytes %zu\nregister_bytes %zu\n", sizeof(invite) - 1,
	       sizeof(reg) - 1);
	for (int r = 0; r < runs; r++) {
		double t0 = now();
		for (long i = 0; i < n; i++)
			if (parse_invite(&msg, invite, sizeof(invite) - 1))
				abort();
		double t1 = now();
		for (long i = 0; i < n; i++)
			if (parse_register(&msg, reg, sizeof(reg) - 1))
				abort();
		double t2 = now();
		for (long i = 0; i < n; i++)
			if (build_reply(out, sizeof(out), &req))
				abort();
		double t3 = now();
		rate[0][r] = (double)n / (t1 - t0);
		rate[1][r] = (double)n / (t2 - t1);
		rate[2][r] = (double)n / (t3 - t2);
	}
	for (int k = 0; k < 3; k++) {
		qsort(rate[k], (size_t)runs, sizeof(double), cmp);
		printf("%s_per_s %.0f\n", name[k], rate[k][runs / 2]);
	}
	return 0;
}
