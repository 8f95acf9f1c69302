/* The calls projection and the CDR file: records made from call events,
 * listed newest first, the same after a rebuild; one JSON line per ended
 * call, escaped, written only after its commit. */
#include <errno.h>
#include <sys/stat.h>

#include "store_int.h"
#include "store_test.h"

static struct store *S;

#define C1 "0b7c3d4e-1f20-4a5b-8c6d-7e8f90a1b2c3"
#define C2 "1c8d4e5f-2031-4b6c-9d7e-8f90a1b2c3d4"
#define C3 "2d9e5f60-3142-4c7d-ae8f-90a1b2c3d4e5"
#define T1 1767323045678ULL /* 2026-01-02T03:04:05.678Z */
#define T2 1767323100000ULL
#define T3 1767323080000ULL

/* The raw bytes of C2's caller name, and what JSON makes of them. */
#define NAME2                                                                  \
	"Bob \"The \\ Builder\"\nJr\t\xc3\xbcn\xc3\xaf "                       \
	"\xe6\x97\xa5\x01\x7f\xff"
#define NAME2_JSON                                                             \
	"Bob \\\"The \\\\ Builder\\\"\\nJr\\t\xc3\xbcn\xc3\xaf "               \
	"\xe6\x97\xa5\\u0001\\u007f\\ufffd"

static const char LINE1[] =
    "{\"call\":\"" C1 "\",\"caller_number\":\"1000\",\"caller_name\":"
    "\"Alice\",\"destination\":\"2000\",\"callee\":"
    "\"sip:2000@192.0.2.20:5062\",\"profile\":\"internal\",\"context\":"
    "\"default\",\"sip_call_id\":\"a84b4c76e66710@pc33\",\"network_addr\":"
    "\"192.0.2.10:5060\",\"user\":\"1000\","
    "\"start\":\"2026-01-02T03:04:05.678Z\",\"start_ms\":1767323045678,"
    "\"answer\":\"2026-01-02T03:04:10.688Z\",\"answer_ms\":1767323050688,"
    "\"end\":\"2026-01-02T03:05:15.999Z\",\"end_ms\":1767323115999,"
    "\"duration\":70,\"billsec\":65,\"cause\":16,\"cause_text\":"
    "\"NORMAL_CLEARING\",\"sip_code\":200,\"hangup_by\":\"caller\","
    "\"node\":1,\"callee_node\":2}\n";

static void
start_c1(void)
{
	struct cev c;
	Pbx__Event *ev = cev_started(&c, C1, 0, T1, "1000", "Alice", "2000");

	c.started.profile = "internal";
	c.started.context = "default";
	c.started.sip_call_id = "a84b4c76e66710@pc33";
	c.started.network_addr = "192.0.2.10:5060";
	c.started.user = "1000";
	append1(S, ev);
}

/* C1 from its start to its end, with the B leg's events between. */
static void
run_c1(bool end)
{
	struct cev c;

	start_c1();
	append1(S, cev_started(&c, C1, 1, T1 + 100, "1000", "Alice",
	                       "sip:2000@192.0.2.20"));
	append1(S, cev_ringing(&c, C1, 1, T1 + 1000));
	append1(S, cev_ringing(&c, C1, 0, T1 + 1200));
	append1(S,
	        cev_answered(&c, C1, 1, T1 + 5000, "sip:2000@192.0.2.20:5062"));
	/* the A leg names the node of the B leg that answered */
	cev_answered(&c, C1, 0, T1 + 5010, NULL);
	c.answered.callee_node = 2;
	append1(S, &c.ev);
	append1(S, cev_ended(&c, C1, 1, T1 + 70000, 16, "NORMAL_CLEARING", 200,
	                     "callee"));
	if (end)
		append1(S, cev_ended(&c, C1, 0, T1 + 70321, 16,
		                     "NORMAL_CLEARING", 200, "caller"));
}

static void
check_c1(const Pbx__CallRecord *r)
{
	ck_assert_str_eq(r->call, C1);
	ck_assert_str_eq(r->caller_number, "1000");
	ck_assert_str_eq(r->caller_name, "Alice");
	ck_assert_str_eq(r->destination, "2000");
	ck_assert_str_eq(r->callee, "sip:2000@192.0.2.20:5062");
	ck_assert_str_eq(r->profile, "internal");
	ck_assert_str_eq(r->context, "default");
	ck_assert_str_eq(r->sip_call_id, "a84b4c76e66710@pc33");
	ck_assert_str_eq(r->network_addr, "192.0.2.10:5060");
	ck_assert_str_eq(r->user, "1000");
	ck_assert_uint_eq(r->started_ms, T1);
	ck_assert_uint_eq(r->ringing_ms, T1 + 1000);
	ck_assert_uint_eq(r->answered_ms, T1 + 5010);
	ck_assert_uint_eq(r->ended_ms, T1 + 70321);
	ck_assert_uint_eq(r->duration_s, 70);
	ck_assert_uint_eq(r->billsec, 65);
	ck_assert_uint_eq(r->cause, 16);
	ck_assert_str_eq(r->cause_text, "NORMAL_CLEARING");
	ck_assert_uint_eq(r->sip_code, 200);
	ck_assert_str_eq(r->hangup_by, "caller");
	ck_assert_uint_eq(r->node, 1);
	ck_assert_uint_eq(r->callee_node, 2);
}

/* C2: rings, never answered, cancelled by the caller after 30.5 s. */
static void
run_c2(bool end)
{
	struct cev c;

	append1(S, cev_started(&c, C2, 0, T2, "1001", NAME2, "2001"));
	append1(S, cev_ringing(&c, C2, 1, T2 + 800));
	if (end)
		append1(S, cev_ended(&c, C2, 0, T2 + 30500, 487,
		                     "ORIGINATOR_CANCEL", 487, "caller"));
}

static int
ids(void *arg, const Pbx__CallRecord *r)
{
	char *out = arg;

	strcat(out, r->call == NULL ? "?" : r->call);
	strcat(out, ";");
	return 0;
}

static int
stop_after_one(void *arg, const Pbx__CallRecord *r)
{
	(*(int *)arg)++;
	return 55;
}

static void
check_listing(void)
{
	char got[512] = "";
	int n = 0;

	ck_assert_int_eq(store_calls_last(S, 0, ids, got), 0);
	ck_assert_str_eq(got, C2 ";" C3 ";" C1 ";");
	got[0] = '\0';
	ck_assert_int_eq(store_calls_last(S, 2, ids, got), 0);
	ck_assert_str_eq(got, C2 ";" C3 ";");
	ck_assert_int_eq(store_calls_last(S, 3, stop_after_one, &n), 55);
	ck_assert_int_eq(n, 1);
}

START_TEST(records_from_call_events)
{
	char *dir = tmpdir_new();
	struct store_stats st;
	Pbx__CallRecord *r;
	struct cev c;

	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	run_c1(false);
	/* active: answered, not ended */
	ck_assert_int_eq(store_call_get(S, C1, &r), 0);
	ck_assert_uint_eq(r->answered_ms, T1 + 5010);
	ck_assert_uint_eq(r->ended_ms, 0);
	ck_assert_uint_eq(r->duration_s, 0);
	pbx__call_record__free_unpacked(r, NULL);
	append1(S, cev_ended(&c, C1, 0, T1 + 70321, 16, "NORMAL_CLEARING", 200,
	                     "caller"));
	/* an ended record is final; a repeated start changes nothing */
	append1(S, cev_answered(&c, C1, 2, T1 + 80000, "sip:late@h"));
	append1(S, cev_ringing(&c, C1, 0, T1 + 80001));
	append1(S, cev_ended(&c, C1, 0, T1 + 90000, 1, "X", 1, "pbx"));
	append1(S, cev_started(&c, C1, 0, T1 + 90001, "666", "Eve", "9"));
	ck_assert_int_eq(store_call_get(S, C1, &r), 0);
	check_c1(r);
	pbx__call_record__free_unpacked(r, NULL);

	/* unanswered: billsec 0 */
	run_c2(true);
	ck_assert_int_eq(store_call_get(S, C2, &r), 0);
	ck_assert_str_eq(r->caller_name, NAME2);
	ck_assert_uint_eq(r->ringing_ms, T2 + 800);
	ck_assert_uint_eq(r->answered_ms, 0);
	ck_assert_str_eq(r->callee, "");
	ck_assert_uint_eq(r->duration_s, 30);
	ck_assert_uint_eq(r->billsec, 0);
	ck_assert_uint_eq(r->cause, 487);
	ck_assert_str_eq(r->cause_text, "ORIGINATOR_CANCEL");
	pbx__call_record__free_unpacked(r, NULL);

	/* events of calls that never started (here) make no record */
	append1(S, cev_ringing(&c, "nosuch", 0, T2));
	append1(S, cev_answered(&c, "nosuch", 0, T2, "sip:x@h"));
	append1(
	    S, cev_ended(&c, "nosuch", 0, T2, 16, "NORMAL_CLEARING", 0, "pbx"));
	append1(S, cev_started(&c, "nosuch", 1, T2, "1", "", "2"));
	ck_assert_int_eq(store_call_get(S, "nosuch", &r), ENOENT);
	ck_assert_int_eq(store_call_get(S, "", &r), EINVAL);

	append1(S, cev_started(&c, C3, 0, T3, "1002", "", "2002"));
	check_listing();
	store_stats(S, &st);
	ck_assert_uint_eq(st.calls, 3);
	ck_assert_uint_eq(st.cdr_lines, 0); /* no file set */

	/* the same after a reopen and a rebuild */
	store_close(S);
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ck_assert_int_eq(store_rebuild(S), 0);
	check_listing();
	ck_assert_int_eq(store_call_get(S, C1, &r), 0);
	check_c1(r);
	pbx__call_record__free_unpacked(r, NULL);
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

START_TEST(call_events_refused_without_an_id)
{
	char *dir = tmpdir_new();
	rt_addr none = { 0, 0, 0 };
	char long_id[600];
	struct cev c;
	Pbx__Event *ev;

	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ev = cev_started(&c, "", 0, T1, "1", "", "2");
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = cev_started(&c, long_id, 0, T1, "1", "", "2");
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = cev_ringing(&c, "", 0, T1);
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = cev_answered(&c, "", 0, T1, NULL);
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	ev = cev_ended(&c, "", 0, T1, 16, "", 0, "");
	ck_assert_int_eq(store_append(S, none, 0, &ev, 1), EINVAL);
	store_close(S);
	tmpdir_rm(dir);
}
END_TEST

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return p;
}

/* An independent JSON parser reads every line back. */
static const char PY_CHECK[] =
    "import json,sys\n"
    "L=[json.loads(l) for l in open(sys.argv[1],encoding='utf-8')]\n"
    "assert len(L)==2,len(L)\n"
    "a,b=L\n"
    "assert a['call']=='" C1 "' and a['callee']=='sip:2000@192.0.2.20:5062'\n"
    "assert a['start']=='2026-01-02T03:04:05.678Z' and "
    "a['start_ms']==1767323045678\n"
    "assert a['duration']==70 and a['billsec']==65 and a['node']==1\n"
    "assert a['callee_node']==2 and b['callee_node']==0\n"
    "assert a['cause']==16 and a['cause_text']=='NORMAL_CLEARING'\n"
    "assert b['caller_name']=='Bob \"The \\\\ Builder\"\\nJr\\t\\u00fcn\\u00ef "
    "\\u65e5\\x01\\x7f\\ufffd',repr(b['caller_name'])\n"
    "assert b['answer'] is None and b['answer_ms'] is None\n"
    "assert b['billsec']==0 and b['duration']==30 and b['sip_code']==487\n"
    "assert b['end']=='2026-01-02T03:05:30.500Z'\n"
    "assert sorted(a)==sorted(['call','caller_number','caller_name',"
    "'destination','callee','profile','context','sip_call_id',"
    "'network_addr','user','start','start_ms','answer','answer_ms','end',"
    "'end_ms','duration','billsec','cause','cause_text','sip_code',"
    "'hangup_by','node','callee_node']),sorted(a)\n";

static void
python_check(const char *path)
{
	char cmd[1300], script[600];
	FILE *f;
	int rc;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "note: no python3, CDR lines not re-parsed\n");
		return;
	}
	snprintf(script, sizeof(script), "%s.py", path);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs(PY_CHECK, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", script, path);
	rc = system(cmd);
	unlink(script);
	ck_assert_int_eq(rc, 0);
}

START_TEST(cdr_file_lines)
{
	char *dir = tmpdir_new(), path[512], *text, *nl;
	struct store_stats st;
	rt_addr none = { 0, 0, 0 };
	struct cev c[2];
	Pbx__Event *evs[2];
	struct stat sb;
	off_t size;

	snprintf(path, sizeof(path), "%s/cdr.jsonl", dir);
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ck_assert_int_eq(store_set_cdr_file(S, path), 0);
	ck_assert_int_eq(store_set_cdr_file(S, path), EBUSY);
	run_c1(false);
	run_c2(false);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0); /* nothing ended yet */

	/* both end in one batch: two lines, in event order */
	evs[0] = cev_ended(&c[0], C1, 0, T1 + 70321, 16, "NORMAL_CLEARING", 200,
	                   "caller");
	evs[1] = cev_ended(&c[1], C2, 0, T2 + 30500, 487, "ORIGINATOR_CANCEL",
	                   487, "caller");
	ck_assert_int_eq(store_append(S, none, 0, evs, 2), 0);
	ck_assert_int_eq(store_sync(S), 0);
	/* a B leg's end and a repeated end write nothing */
	append1(S, cev_ended(&c[0], C1, 1, T1 + 99999, 16, "", 0, ""));
	append1(S, cev_ended(&c[0], C1, 0, T1 + 99999, 16, "", 0, ""));
	text = slurp(path);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(strncmp(text, LINE1, strlen(LINE1)), 0);
	ck_assert_ptr_nonnull(strstr(nl + 1, "\"caller_name\":\"" NAME2_JSON
	                                     "\",\"destination\":\"2001\""));
	ck_assert_ptr_nonnull(strstr(nl + 1, "\"answer\":null,\"answer_ms\":"
	                                     "null,"));
	ck_assert_ptr_nonnull(strstr(nl + 1, "\"duration\":30,\"billsec\":0,"));
	ck_assert_ptr_eq(strchr(nl + 1, '\n'), text + strlen(text) - 1);
	free(text);
	store_stats(S, &st);
	ck_assert_uint_eq(st.cdr_lines, 2);
	ck_assert_uint_eq(st.cdr_lost, 0);
	python_check(path);

	/* a rebuild replays the ends but writes no line */
	ck_assert_int_eq(stat(path, &sb), 0);
	size = sb.st_size;
	ck_assert_int_eq(store_rebuild(S), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, size);
	store_close(S);
	unlink(path);
	tmpdir_rm(dir);
}
END_TEST

/* A value no protobuf decoder takes, in call_ids behind the store's back:
 * any event of that call fails its batch. */
static void
spoil_call_ids(const char *dir, const char *call)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(call), (void *)call }, v = { 3, "\xff\xff\xff" };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 8), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0640), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "call_ids", 0, &dbi), 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(cdr_line_only_after_commit)
{
	char *dir = tmpdir_new(), path[512], *text;
	rt_addr none = { 0, 0, 0 };
	struct store_stats st;
	Pbx__CallRecord *r;
	struct cev c[2];
	Pbx__Event *evs[2];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/cdr.jsonl", dir);
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	store_close(S);
	spoil_call_ids(dir, "spoiled");
	ck_assert_int_eq(store_open(&S, NULL, dir, 1), 0);
	ck_assert_int_eq(store_set_cdr_file(S, path), 0);
	start_c1();
	/* the end of C1 is in a batch that fails: no record change, no line */
	evs[0] = cev_ended(&c[0], C1, 0, T1 + 1000, 16, "NORMAL_CLEARING", 200,
	                   "caller");
	evs[1] = cev_ringing(&c[1], "spoiled", 0, T1 + 1001);
	ck_assert_int_eq(store_append(S, none, 0, evs, 2), 0);
	ck_assert_int_eq(store_sync(S), 0);
	store_stats(S, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.cdr_lines, 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert_int_eq(store_call_get(S, C1, &r), 0);
	ck_assert_uint_eq(r->ended_ms, 0);
	pbx__call_record__free_unpacked(r, NULL);

	/* alone, it commits and its line is written */
	append1(S, cev_ended(&c[0], C1, 0, T1 + 2000, 16, "NORMAL_CLEARING",
	                     200, "caller"));
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, "\"end_ms\":1767323047678,"));
	ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
	store_close(S);
	unlink(path);
	tmpdir_rm(dir);
}
END_TEST

static void
line_of(char *out, size_t n, const char *name)
{
	struct store_buf b = { 0 };
	Pbx__CallRecord r = PBX__CALL_RECORD__INIT;
	const char *p, *q;

	r.caller_name = (char *)name;
	store_cdr_line(&b, &r);
	ck_assert_uint_eq(b.lines, 1);
	ck_assert_int_eq(b.p[b.n - 1], '\n');
	p = strstr(b.p, "\"caller_name\":\"");
	ck_assert_ptr_nonnull(p);
	p += strlen("\"caller_name\":\"");
	q = strstr(p, "\",\"destination\"");
	ck_assert_ptr_nonnull(q);
	snprintf(out, n, "%.*s", (int)(q - p), p);
	store_buf_free(&b);
}

#define CHECK_ESC(raw, want)                                                   \
	do {                                                                   \
		char got_[256];                                                \
		line_of(got_, sizeof(got_), raw);                              \
		ck_assert_str_eq(got_, want);                                  \
	} while (0)

START_TEST(cdr_escaping)
{
	CHECK_ESC("plain", "plain");
	CHECK_ESC(NAME2, NAME2_JSON);
	CHECK_ESC("\b\f\r\x1f", "\\u0008\\u000c\\r\\u001f");
	/* 4-byte UTF-8 passes; overlong, surrogate, cut short and stray
	 * continuation bytes are U+FFFD each */
	CHECK_ESC("\xf0\x9f\x93\x9e", "\xf0\x9f\x93\x9e");
	CHECK_ESC("\xc0\x80", "\\ufffd\\ufffd");
	CHECK_ESC("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");
	CHECK_ESC("a\xe6\x97", "a\\ufffd\\ufffd");
	CHECK_ESC("\x80z", "\\ufffdz");
	CHECK_ESC("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
}
END_TEST

TCase *
store_tc_calls(void)
{
	TCase *tc = tcase_create("calls");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, records_from_call_events);
	tcase_add_test(tc, call_events_refused_without_an_id);
	tcase_add_test(tc, cdr_file_lines);
	tcase_add_test(tc, cdr_line_only_after_commit);
	tcase_add_test(tc, cdr_escaping);
	return tc;
}
