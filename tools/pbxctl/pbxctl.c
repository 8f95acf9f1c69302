/*
 * pbxctl: the operator's client for a node's admin socket (nng req/rep, a
 * packed pbx.AdminRequest out, a pbx.AdminResponse back).
 *
 * Exit codes: 0 done, 1 the node answered with an error, 2 usage error or
 * the node could not be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <arpa/inet.h>
#include <time.h>

#include "admin.pb-c.h"
#include "out.h"
#include "ctl_cluster.h"
#include "q850.h"
#include "token.h"

#define DEFAULT_URL "tcp://127.0.0.1:7000"

struct ctl {
	const char *url;
	bool json;
	int timeout_ms;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: pbxctl [-s URL] [--json] COMMAND [ARGS]\n"
	    "  -s, --socket URL    the node's admin URL (default " DEFAULT_URL
	    ")\n"
	    "      --json          JSON instead of tables\n"
	    "      --token TOKEN   the node's admin.token (or --token-file "
	    "FILE,\n"
	    "                      or PBX_ADMIN_TOKEN in the environment)\n"
	    "  -t, --timeout MS    how long to wait for the node (default "
	    "5000)\n"
	    "commands:\n"
	    "  status              node, version, uptime, workers, peers\n"
	    "  ping NODE [-n N]    round trip from this node to peer NODE\n"
	    "  log-level [LEVEL]   show or set the log level\n"
	    "  trace on|off [--full]  SIP trace in the node's log\n"
	    "  sip-ping URI        OPTIONS to URI from the node\n"
	    "  registrations [--user U]  the live bindings\n"
	    "  unregister AOR [CONTACT]  drop bindings\n"
	    "  calls               the cluster's active calls (and the nodes "
	    "that\n"
	    "                      did not answer)\n"
	    "  hangup ID [CAUSE]   end call ID; CAUSE a Q.850 number or name\n"
	    "                      (NORMAL_CLEARING, USER_BUSY, "
	    "CALL_REJECTED...)\n"
	    "  cdr [--last N]      the newest N call records (default 20)\n"
	    "  cluster             replication: digest, lag, what each peer "
	    "holds\n");
}

/* A Q.850 cause by number (1-999, taken as it is) or name (q850.h); 0 if
 * neither. */
static uint32_t
parse_cause(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s >= '0' && *s <= '9')
		return *end == '\0' && v >= 1 && v <= 999 ? (uint32_t)v : 0;
	return q850_from_name(s);
}

/* Send one request; 0 and *out, or 2 after printing why. */
static int
call(const struct ctl *c, const Pbx__AdminRequest *q, Pbx__AdminResponse **out)
{
	nng_socket s;
	nng_msg *m;
	int rv;

	if ((rv = nng_req0_open(&s)) != 0) {
		fprintf(stderr, "pbxctl: %s\n", nng_strerror(rv));
		return 2;
	}
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, c->timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, c->timeout_ms);
	if ((rv = nng_dial(s, c->url, NULL, 0)) != 0) {
		fprintf(stderr, "pbxctl: cannot reach %s: %s\n", c->url,
		        nng_strerror(rv));
		nng_close(s);
		return 2;
	}
	nng_msg_alloc(&m, pbx__admin_request__get_packed_size(q));
	pbx__admin_request__pack(q, nng_msg_body(m));
	if ((rv = nng_sendmsg(s, m, 0)) != 0 ||
	    (rv = nng_recvmsg(s, &m, 0)) != 0) {
		fprintf(stderr, "pbxctl: %s: %s\n", c->url,
		        rv == NNG_ETIMEDOUT ? "no answer in time"
		                            : nng_strerror(rv));
		nng_close(s);
		return 2;
	}
	*out =
	    pbx__admin_response__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	nng_close(s);
	if (!*out) {
		fprintf(stderr, "pbxctl: %s: undecodable answer\n", c->url);
		return 2;
	}
	return 0;
}

static int
failed(const struct ctl *c, const Pbx__AdminResponse *r)
{
	if (!r->error)
		return 0;
	if (c->json) {
		struct json j;

		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_u64(&j, "error", (uint64_t)r->error);
		json_str(&j, "message", r->message);
		json_end_obj(&j);
	} else {
		fprintf(stderr, "pbxctl: %s\n", r->message);
	}
	return 1;
}

static void
print_status(const struct ctl *c, const Pbx__StatusResponse *s)
{
	char up[32], since[32], num[3][24];
	struct table t;
	struct json j;

	fmt_duration(up, sizeof(up), s->uptime_ms);
	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "node", s->node_name);
		json_u64(&j, "node_id", s->node_id);
		json_str(&j, "version", s->version);
		json_u64(&j, "uptime_ms", s->uptime_ms);
		json_str(&j, "log_level", s->log_level);
		json_u64(&j, "aors", s->aors);
		json_u64(&j, "registers_ok", s->registers_ok);
		json_u64(&j, "registers_challenged", s->registers_challenged);
		json_u64(&j, "registers_refused", s->registers_refused);
		json_u64(&j, "events", s->events);
		json_u64(&j, "commits", s->commits);
		json_bool(&j, "store_failing", s->store_failing);
		json_u64(&j, "sip_in", s->sip_in);
		json_u64(&j, "sip_out", s->sip_out);
		json_u64(&j, "sip_bad", s->sip_bad);
		json_obj(&j, "cluster_dropped");
		json_u64(&j, "malformed", s->cluster_malformed);
		json_u64(&j, "bad_mac", s->cluster_bad_mac);
		json_u64(&j, "unauthenticated", s->cluster_unauthenticated);
		json_u64(&j, "replayed", s->cluster_replayed);
		json_u64(&j, "refused", s->cluster_refused);
		json_u64(&j, "peers_full", s->cluster_peers_full);
		json_end_obj(&j);
		json_arr(&j, "workers");
		for (size_t i = 0; i < s->n_workers; i++) {
			json_obj(&j, NULL);
			json_u64(&j, "index", s->workers[i]->index);
			json_u64(&j, "actors", s->workers[i]->actors);
			json_u64(&j, "messages", s->workers[i]->messages);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_arr(&j, "peers");
		for (size_t i = 0; i < s->n_peers; i++) {
			const Pbx__PeerStatus *p = s->peers[i];

			json_obj(&j, NULL);
			json_str(&j, "name", p->name);
			json_u64(&j, "node_id", p->node);
			json_str(&j, "url", p->url);
			json_str(&j, "state", p->state);
			json_u64(&j, "since_ms", p->since_ms);
			json_str(&j, "version", p->version);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
		return;
	}
	printf("node       %s (id %u)\n", s->node_name, s->node_id);
	printf("version    %s\n", s->version);
	printf("uptime     %s\n", up);
	printf("log level  %s\n", s->log_level);
	printf("registrar  %llu AORs; REGISTER %llu ok, %llu challenged, %llu "
	       "refused\n",
	       (unsigned long long)s->aors, (unsigned long long)s->registers_ok,
	       (unsigned long long)s->registers_challenged,
	       (unsigned long long)s->registers_refused);
	printf("storage    %llu events, %llu commits%s\n",
	       (unsigned long long)s->events, (unsigned long long)s->commits,
	       s->store_failing ? "; COMMITS FAIL: new calls get 503" : "");
	printf("sip        %llu in, %llu out, %llu malformed\n",
	       (unsigned long long)s->sip_in, (unsigned long long)s->sip_out,
	       (unsigned long long)s->sip_bad);
	printf(
	    "cluster    dropped %llu malformed, %llu bad MAC, %llu "
	    "unauthenticated, %llu replayed, %llu refused, %llu peers full\n\n",
	    (unsigned long long)s->cluster_malformed,
	    (unsigned long long)s->cluster_bad_mac,
	    (unsigned long long)s->cluster_unauthenticated,
	    (unsigned long long)s->cluster_replayed,
	    (unsigned long long)s->cluster_refused,
	    (unsigned long long)s->cluster_peers_full);
	table_init(&t, 3, "WORKER", "ACTORS", "MESSAGES");
	for (size_t i = 0; i < s->n_workers; i++) {
		snprintf(num[0], sizeof(num[0]), "%u", s->workers[i]->index);
		snprintf(num[1], sizeof(num[1]), "%llu",
		         (unsigned long long)s->workers[i]->actors);
		snprintf(num[2], sizeof(num[2]), "%llu",
		         (unsigned long long)s->workers[i]->messages);
		table_row(&t, num[0], num[1], num[2]);
	}
	table_print(&t, stdout);
	table_free(&t);
	printf("\n");
	if (!s->n_peers) {
		printf("no peers\n");
		return;
	}
	table_init(&t, 6, "PEER", "NODE", "URL", "STATE", "FOR", "VERSION");
	for (size_t i = 0; i < s->n_peers; i++) {
		const Pbx__PeerStatus *p = s->peers[i];

		snprintf(num[0], sizeof(num[0]), "%u", p->node);
		fmt_duration(since, sizeof(since), p->since_ms);
		table_row(&t, p->name[0] ? p->name : "?",
		          p->node ? num[0] : "?", p->url, p->state, since,
		          p->version[0] ? p->version : "?");
	}
	table_print(&t, stdout);
	table_free(&t);
}

static void
print_ping(const struct ctl *c, const Pbx__PingResponse *p)
{
	struct json j;

	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "node", p->node);
		json_u64(&j, "node_id", p->node_id);
		json_arr(&j, "rtt_us");
		for (size_t i = 0; i < p->n_rtt_ns; i++) {
			json_f64(&j, NULL, (double)p->rtt_ns[i] / 1000.0);
		}
		json_end_arr(&j);
		json_end_obj(&j);
		return;
	}
	for (size_t i = 0; i < p->n_rtt_ns; i++)
		printf("reply from %s (node %u): seq=%zu time=%.3f ms\n",
		       p->node, p->node_id, i, (double)p->rtt_ns[i] / 1e6);
}

static void
flow_source(char *buf, size_t n, const Pbx__Binding *b)
{
	static const char *const tp[] = { "?", "udp", "tcp", "tls" };
	const Pbx__SipFlow *f = b->flow;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (!f) {
		snprintf(buf, n, "?");
		return;
	}
	if (f->remote_ip.len == 4)
		inet_ntop(AF_INET, f->remote_ip.data, ip, sizeof(ip));
	else if (f->remote_ip.len == 16)
		inet_ntop(AF_INET6, f->remote_ip.data, ip, sizeof(ip));
	snprintf(buf, n, f->remote_ip.len == 16 ? "[%s]:%u/%s" : "%s:%u/%s", ip,
	         f->remote_port, tp[f->transport < 4 ? f->transport : 0]);
}

static void
print_registrations(const struct ctl *c, const Pbx__RegistrationsResponse *r)
{
	char exp[24], src[80], node[16];
	struct table t;
	struct json j;

	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_arr(&j, "registrations");
		for (size_t i = 0; i < r->n_bindings; i++) {
			const Pbx__Binding *b = r->bindings[i];

			flow_source(src, sizeof(src), b);
			json_obj(&j, NULL);
			json_str(&j, "aor", b->aor);
			json_str(&j, "contact", b->contact);
			json_u64(&j, "expires_in",
			         b->expires_at_ms > r->now_ms
			             ? (b->expires_at_ms - r->now_ms) / 1000
			             : 0);
			json_str(&j, "source", src);
			json_str(&j, "user_agent", b->user_agent);
			json_str(&j, "instance", b->instance);
			json_u64(&j, "node", b->node);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
		return;
	}
	if (!r->n_bindings) {
		printf("no registrations\n");
		return;
	}
	table_init(&t, 6, "AOR", "CONTACT", "EXPIRES", "SOURCE", "USER AGENT",
	           "NODE");
	for (size_t i = 0; i < r->n_bindings; i++) {
		const Pbx__Binding *b = r->bindings[i];

		snprintf(
		    exp, sizeof(exp), "%llus",
		    (unsigned long long)(b->expires_at_ms > r->now_ms
		                             ? (b->expires_at_ms - r->now_ms) /
		                                   1000
		                             : 0));
		flow_source(src, sizeof(src), b);
		snprintf(node, sizeof(node), "%u", b->node);
		table_row(&t, b->aor, b->contact, exp, src, b->user_agent,
		          node);
	}
	table_print(&t, stdout);
	table_free(&t);
	printf("%zu binding%s\n", r->n_bindings, r->n_bindings == 1 ? "" : "s");
}

static void
print_sip_ping(const struct ctl *c, const Pbx__SipPingResult *p)
{
	struct json j;

	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_u64(&j, "code", p->code);
		json_str(&j, "reason", p->reason);
		json_f64(&j, "rtt_ms", (double)p->rtt_ns / 1e6);
		json_str(&j, "server", p->server);
		json_end_obj(&j);
		return;
	}
	printf("%u %s in %.3f ms%s%s\n", p->code, p->reason,
	       (double)p->rtt_ns / 1e6, p->server[0] ? " from " : "",
	       p->server);
}

/* "Alice <1000>", or the number alone */
static void
fmt_caller(char *buf, size_t n, const char *number, const char *name)
{
	if (name && name[0])
		snprintf(buf, n, "%s <%s>", name, number);
	else
		snprintf(buf, n, "%s", number);
}

/* UTC, to the second; "-" for 0 */
static void
fmt_time(char *buf, size_t n, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !gmtime_r(&t, &tm))
		snprintf(buf, n, "-");
	else
		strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* How long the call has lasted: talk time once answered, else since it
 * started. */
static uint64_t
call_ms(const Pbx__CallInfo *ci, uint64_t now_ms)
{
	uint64_t from = ci->answered_ms ? ci->answered_ms : ci->started_ms;

	return from && now_ms > from ? now_ms - from : 0;
}

static void
print_calls(const struct ctl *c, const Pbx__CallsResponse *r)
{
	char caller[160], dest[256], dur[32], node[16];
	struct table t;
	struct json j;

	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_arr(&j, "calls");
		for (size_t i = 0; i < r->n_calls; i++) {
			const Pbx__CallInfo *ci = r->calls[i];

			json_obj(&j, NULL);
			json_str(&j, "id", ci->id);
			json_str(&j, "caller_number", ci->caller_number);
			json_str(&j, "caller_name", ci->caller_name);
			json_str(&j, "destination", ci->destination);
			json_str(&j, "callee", ci->callee);
			json_str(&j, "state", ci->state);
			json_u64(&j, "started_ms", ci->started_ms);
			json_u64(&j, "answered_ms", ci->answered_ms);
			json_u64(&j, "duration_s",
			         call_ms(ci, r->now_ms) / 1000);
			json_u64(&j, "node", ci->node);
			json_str(&j, "profile", ci->profile);
			json_str(&j, "sip_call_id", ci->sip_call_id);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_u64(&j, "now_ms", r->now_ms);
		json_arr(&j, "silent_nodes");
		for (size_t i = 0; i < r->n_silent_nodes; i++)
			json_str(&j, NULL, r->silent_nodes[i]);
		json_end_arr(&j);
		json_end_obj(&j);
		return;
	}
	table_init(&t, 6, "ID", "CALLER", "DESTINATION", "STATE", "DURATION",
	           "NODE");
	for (size_t i = 0; i < r->n_calls; i++) {
		const Pbx__CallInfo *ci = r->calls[i];

		fmt_caller(caller, sizeof(caller), ci->caller_number,
		           ci->caller_name);
		if (ci->callee[0])
			snprintf(dest, sizeof(dest), "%s -> %s",
			         ci->destination, ci->callee);
		else
			snprintf(dest, sizeof(dest), "%s", ci->destination);
		fmt_duration(dur, sizeof(dur), call_ms(ci, r->now_ms));
		snprintf(node, sizeof(node), "%u", ci->node);
		table_row(&t, ci->id, caller, dest, ci->state, dur, node);
	}
	table_print(&t, stdout);
	table_free(&t);
	printf("%zu active call%s\n", r->n_calls, r->n_calls == 1 ? "" : "s");
	/* their calls are not in the list: say so */
	for (size_t i = 0; i < r->n_silent_nodes; i++)
		printf("%s node %s did not answer\n", i ? "" : "!",
		       r->silent_nodes[i]);
}

static void
json_time(struct json *j, const char *key, uint64_t ms)
{
	char iso[40], k[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	snprintf(k, sizeof(k), "%s_ms", key);
	if (!ms || !gmtime_r(&t, &tm)) {
		json_u64(j, k, 0);
		return;
	}
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + strlen(iso), sizeof(iso) - strlen(iso), ".%03uZ",
	         (unsigned)(ms % 1000));
	json_str(j, key, iso);
	json_u64(j, k, ms);
}

static void
print_cdr(const struct ctl *c, const Pbx__CdrResponse *r)
{
	char start[32], caller[160], dur[32], bill[16], sip[16];
	struct table t;
	struct json j;

	if (c->json) {
		json_begin(&j, stdout);
		json_obj(&j, NULL);
		json_arr(&j, "records");
		for (size_t i = 0; i < r->n_records; i++) {
			const Pbx__CallRecord *cr = r->records[i];

			json_obj(&j, NULL);
			json_str(&j, "call", cr->call);
			json_str(&j, "caller_number", cr->caller_number);
			json_str(&j, "caller_name", cr->caller_name);
			json_str(&j, "destination", cr->destination);
			json_str(&j, "callee", cr->callee);
			json_str(&j, "profile", cr->profile);
			json_str(&j, "context", cr->context);
			json_str(&j, "sip_call_id", cr->sip_call_id);
			json_str(&j, "network_addr", cr->network_addr);
			json_str(&j, "user", cr->user);
			json_time(&j, "start", cr->started_ms);
			json_time(&j, "answer", cr->answered_ms);
			json_time(&j, "end", cr->ended_ms);
			json_u64(&j, "duration", cr->duration_s);
			json_u64(&j, "billsec", cr->billsec);
			json_u64(&j, "cause", cr->cause);
			json_str(&j, "cause_text", cr->cause_text);
			json_u64(&j, "sip_code", cr->sip_code);
			json_str(&j, "hangup_by", cr->hangup_by);
			json_u64(&j, "node", cr->node);
			json_end_obj(&j);
		}
		json_end_arr(&j);
		json_end_obj(&j);
		return;
	}
	table_init(&t, 8, "START (UTC)", "CALLER", "DESTINATION", "CALLEE",
	           "DURATION", "BILLSEC", "CAUSE", "SIP");
	for (size_t i = 0; i < r->n_records; i++) {
		const Pbx__CallRecord *cr = r->records[i];
		bool ended = cr->ended_ms != 0;

		fmt_time(start, sizeof(start), cr->started_ms);
		fmt_caller(caller, sizeof(caller), cr->caller_number,
		           cr->caller_name);
		if (ended)
			fmt_duration(dur, sizeof(dur),
			             (uint64_t)cr->duration_s * 1000);
		else
			snprintf(dur, sizeof(dur), "-");
		snprintf(bill, sizeof(bill), ended ? "%u" : "-", cr->billsec);
		snprintf(sip, sizeof(sip), cr->sip_code ? "%u" : "-",
		         cr->sip_code);
		table_row(&t, start, caller, cr->destination,
		          cr->callee[0] ? cr->callee : "-", dur, bill,
		          !ended              ? "(active)"
		          : cr->cause_text[0] ? cr->cause_text
		                              : "-",
		          sip);
	}
	table_print(&t, stdout);
	table_free(&t);
	printf("%zu record%s\n", r->n_records, r->n_records == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "token", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { DEFAULT_URL, false, 5000 };
	Pbx__AdminRequest q = PBX__ADMIN_REQUEST__INIT;
	Pbx__StatusRequest sq = PBX__STATUS_REQUEST__INIT;
	Pbx__PingRequest pq = PBX__PING_REQUEST__INIT;
	Pbx__LogLevelRequest lq = PBX__LOG_LEVEL_REQUEST__INIT;
	Pbx__TraceRequest tq = PBX__TRACE_REQUEST__INIT;
	Pbx__SipPingRequest spq = PBX__SIP_PING_REQUEST__INIT;
	Pbx__RegistrationsRequest rq = PBX__REGISTRATIONS_REQUEST__INIT;
	Pbx__UnregisterRequest uq = PBX__UNREGISTER_REQUEST__INIT;
	Pbx__CallsRequest cq = PBX__CALLS_REQUEST__INIT;
	Pbx__HangupRequest hq = PBX__HANGUP_REQUEST__INIT;
	Pbx__CdrRequest dq = PBX__CDR_REQUEST__INIT;
	Pbx__ClusterRequest clq = PBX__CLUSTER_REQUEST__INIT;
	Pbx__AdminResponse *r = NULL;
	const char *cmd, *token = NULL, *token_file = NULL;
	char tok[512];
	int o, rc;

	/* "+": options after the command belong to it */
	while ((o = getopt_long(argc, argv, "+s:t:h", lo, NULL)) != -1) {
		switch (o) {
		case 's':
			c.url = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			c.timeout_ms = atoi(optarg);
			break;
		case 'k':
			token = optarg;
			break;
		case 'K':
			token_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "status") == 0) {
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_STATUS;
		q.status = &sq;
	} else if (strcmp(cmd, "ping") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "pbxctl: ping: which node?\n");
			return 2;
		}
		pq.node = argv[optind++];
		pq.count = 1;
		if (optind + 1 < argc && strcmp(argv[optind], "-n") == 0) {
			pq.count = (uint32_t)atoi(argv[optind + 1]);
			optind += 2;
		}
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_PING;
		q.ping = &pq;
	} else if (strcmp(cmd, "log-level") == 0) {
		lq.level = optind < argc ? argv[optind++] : "";
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_LOG_LEVEL;
		q.log_level = &lq;
	} else if (strcmp(cmd, "registrations") == 0) {
		if (optind + 1 < argc && strcmp(argv[optind], "--user") == 0) {
			rq.user = argv[optind + 1];
			optind += 2;
		}
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_REGISTRATIONS;
		q.registrations = &rq;
	} else if (strcmp(cmd, "unregister") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "pbxctl: unregister AOR [CONTACT]\n");
			return 2;
		}
		uq.aor = argv[optind++];
		if (optind < argc && argv[optind][0] != '-')
			uq.contact = argv[optind++];
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_UNREGISTER;
		q.unregister = &uq;
	} else if (strcmp(cmd, "sip-ping") == 0) {
		if (optind >= argc) {
			fprintf(stderr, "pbxctl: sip-ping: which URI?\n");
			return 2;
		}
		spq.uri = argv[optind++];
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_SIP_PING;
		q.sip_ping = &spq;
		if (c.timeout_ms < 40000)
			c.timeout_ms = 40000; /* Timer F is 32 s by default */
	} else if (strcmp(cmd, "trace") == 0) {
		if (optind >= argc || (strcmp(argv[optind], "on") != 0 &&
		                       strcmp(argv[optind], "off") != 0)) {
			fprintf(stderr, "pbxctl: trace on|off [--full]\n");
			return 2;
		}
		tq.on = strcmp(argv[optind++], "on") == 0;
		for (int i = optind; i < argc; i++)
			if (strcmp(argv[i], "--full") == 0)
				tq.full = true;
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_TRACE;
		q.trace = &tq;
	} else if (strcmp(cmd, "calls") == 0) {
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_CALLS;
		q.calls = &cq;
	} else if (strcmp(cmd, "hangup") == 0) {
		if (optind >= argc || argv[optind][0] == '-') {
			fprintf(stderr, "pbxctl: hangup ID [CAUSE]\n");
			return 2;
		}
		hq.id = argv[optind++];
		if (optind < argc && argv[optind][0] != '-' &&
		    !(hq.cause = parse_cause(argv[optind++]))) {
			fprintf(stderr,
			        "pbxctl: hangup: CAUSE is a Q.850 number "
			        "(1-999) or a cause name as FreeSWITCH "
			        "spells it (NORMAL_CLEARING, USER_BUSY, "
			        "CALL_REJECTED, ...)\n");
			return 2;
		}
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_HANGUP;
		q.hangup = &hq;
	} else if (strcmp(cmd, "cluster") == 0) {
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_CLUSTER;
		q.cluster = &clq;
	} else if (strcmp(cmd, "cdr") == 0) {
		for (; optind < argc; optind++) {
			char *end;

			if (strcmp(argv[optind], "--json") == 0) {
				c.json = true;
			} else if (strcmp(argv[optind], "--last") == 0 &&
			           optind + 1 < argc) {
				unsigned long n =
				    strtoul(argv[++optind], &end, 10);

				if (*end || !n || n > UINT32_MAX) {
					fprintf(stderr, "pbxctl: cdr: --last "
					                "takes a number > 0\n");
					return 2;
				}
				dq.last = (uint32_t)n;
			} else {
				fprintf(stderr, "pbxctl: cdr [--last N]\n");
				return 2;
			}
		}
		q.cmd_case = PBX__ADMIN_REQUEST__CMD_CDR;
		q.cdr = &dq;
	} else {
		fprintf(stderr, "pbxctl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	for (; optind < argc; optind++)
		if (strcmp(argv[optind], "--json") == 0)
			c.json = true;
	if ((rc = ctl_token(tok, sizeof(tok), token, token_file)) != 0)
		return rc;
	q.token = tok;
	if ((rc = call(&c, &q, &r)) != 0)
		return rc;
	if ((rc = failed(&c, r)) == 0) {
		/* a SIP ping that got a failure answer is a failure too */
		if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_SIP_PING &&
		    r->sip_ping->code >= 300)
			rc = 1;
		if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_STATUS)
			print_status(&c, r->status);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_PING)
			print_ping(&c, r->ping);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_SIP_PING)
			print_sip_ping(&c, r->sip_ping);
		else if (r->result_case ==
		         PBX__ADMIN_RESPONSE__RESULT_REGISTRATIONS)
			print_registrations(&c, r->registrations);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_CALLS)
			print_calls(&c, r->calls);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_CDR)
			print_cdr(&c, r->cdr);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_CLUSTER)
			print_cluster(c.json, r->cluster);
		else if (r->result_case == PBX__ADMIN_RESPONSE__RESULT_HANGUP) {
			if (!r->hangup->found)
				rc = 1;
			if (c.json)
				printf("{\"found\":%s}\n",
				       r->hangup->found ? "true" : "false");
			else if (r->hangup->found)
				printf("call %s hung up\n", hq.id);
			else
				fprintf(stderr, "pbxctl: no such call\n");
		} else if (r->result_case ==
		           PBX__ADMIN_RESPONSE__RESULT_UNREGISTER) {
			if (c.json)
				printf("{\"removed\":%u}\n",
				       r->unregister->removed);
			else
				printf("removed %u binding%s\n",
				       r->unregister->removed,
				       r->unregister->removed == 1 ? "" : "s");
		} else if (r->result_case ==
		           PBX__ADMIN_RESPONSE__RESULT_TRACE) {
			if (c.json)
				printf("{\"on\":%s,\"full\":%s}\n",
				       r->trace->on ? "true" : "false",
				       r->trace->full ? "true" : "false");
			else
				printf("sip trace %s\n",
				       !r->trace->on    ? "off"
				       : r->trace->full ? "on (full messages)"
				                        : "on");
		} else if (r->result_case ==
		           PBX__ADMIN_RESPONSE__RESULT_LOG_LEVEL) {
			if (c.json) {
				struct json j;

				json_begin(&j, stdout);
				json_obj(&j, NULL);
				json_str(&j, "level", r->log_level->level);
				json_end_obj(&j);
			} else {
				printf("log level %s\n", r->log_level->level);
			}
		}
	}
	pbx__admin_response__free_unpacked(r, NULL);
	return rc;
}
