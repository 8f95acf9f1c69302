/* conf/: call handling: profiles and their ACLs, the calls section, the
 * dialplan (compiled expressions, actions, the built-in one) and the
 * contexts that profiles and users name. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "conf_fixture.h"

static struct sockaddr_in
v4(const char *a)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	ck_assert_int_eq(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6
v6(const char *a)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };

	ck_assert_int_eq(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return s;
}

static int
allows4(const struct conf_profile *p, const char *a)
{
	struct sockaddr_in s = v4(a);

	return conf_acl_allows(p, (const struct sockaddr *)&s);
}

static int
allows6(const struct conf_profile *p, const char *a)
{
	struct sockaddr_in6 s = v6(a);

	return conf_acl_allows(p, (const struct sockaddr *)&s);
}

static void
assert_local_extension(const struct conf *c, const char *context)
{
	const struct conf_dp_context *x = conf_dp_context_find(c, context);
	const struct conf_dp_extension *e;

	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->extension_count, 1);
	e = &x->extensions[0];
	ck_assert_str_eq(e->name, "local");
	ck_assert_int_eq(e->cont, 0);
	ck_assert_uint_eq(e->condition_count, 1);
	ck_assert_str_eq(e->conditions[0].field, "destination_number");
	ck_assert_str_eq(e->conditions[0].expression, "^(10[01][0-9])$");
	ck_assert_ptr_nonnull(e->conditions[0].re);
	ck_assert_uint_eq(e->action_count, 1);
	ck_assert_int_eq(e->actions[0].app, CONF_DP_BRIDGE);
	ck_assert_str_eq(e->actions[0].data, "user/$1");
}

START_TEST(shipped_file_has_two_profiles_and_the_local_dialplan)
{
	struct conf *c = NULL;
	const struct conf_profile *in, *ex;

	ck_assert_msg(conf_load(&c, PBX_SOURCE_DIR "/conf/pbx.yaml", err,
	                        sizeof(err)) == 0,
	              "%s", err);
	ck_assert_uint_eq(c->profile_count, 2);
	in = &c->profiles[0];
	ex = &c->profiles[1];
	ck_assert_str_eq(in->name, "internal");
	ck_assert_int_eq(in->auth, 1);
	ck_assert_str_eq(in->context, "default");
	ck_assert_uint_eq(in->listen_count, 1);
	ck_assert_str_eq(in->listen[0].text, "127.0.0.1:5060");
	ck_assert_uint_eq(in->acl_count, 0);
	ck_assert_str_eq(ex->name, "external");
	ck_assert_int_eq(ex->auth, 0);
	ck_assert_str_eq(ex->context, "public");
	ck_assert_uint_eq(ex->listen_count, 1);
	ck_assert_str_eq(ex->listen[0].text, "127.0.0.1:5080");
	ck_assert_uint_eq(ex->listen[0].port, 5080);
	ck_assert_uint_eq(ex->codec_count, 2);
	ck_assert_uint_eq(ex->acl_count, 1);
	ck_assert_str_eq(ex->acl[0].text, "127.0.0.0/8");
	ck_assert_int_eq(ex->acl[0].prefix, 8);
	ck_assert_int_eq(allows4(ex, "127.0.0.1"), 1);
	ck_assert_int_eq(allows4(ex, "10.0.0.1"), 0);
	ck_assert_uint_eq(c->calls.timeout, 60);
	ck_assert_uint_eq(c->calls.session_expires, 1800);
	ck_assert_uint_eq(c->calls.min_se, 90);
	ck_assert_ptr_null(c->calls.cdr_file);
	ck_assert_uint_eq(c->calls.max_calls, 2000);
	ck_assert_int_eq(c->dialplan.builtin, 0);
	ck_assert_uint_eq(c->dialplan.context_count, 2);
	assert_local_extension(c, "default");
	assert_local_extension(c, "public");
	conf_free(c);
}
END_TEST

START_TEST(absent_sections_give_internal_profile_and_builtin_dialplan)
{
	struct conf *c = load_ok("empty", "sip:\n  listen: [127.0.0.2:5070, "
	                                  "\"[::1]:5070\"]\n");
	const struct conf_profile *p;

	ck_assert_uint_eq(c->profile_count, 1);
	p = &c->profiles[0];
	ck_assert_str_eq(p->name, "internal");
	ck_assert_int_eq(p->auth, 1);
	ck_assert_str_eq(p->context, "default");
	ck_assert_uint_eq(p->codec_count, 2);
	ck_assert_str_eq(p->codecs[0], "PCMU");
	ck_assert_str_eq(p->codecs[1], "PCMA");
	ck_assert_uint_eq(p->listen_count, 2);
	/* a limit on concurrent calls unless the file says otherwise */
	ck_assert_uint_eq(c->calls.max_calls, 2000);
	ck_assert_str_eq(p->listen[0].text, "127.0.0.2:5070");
	ck_assert_str_eq(p->listen[1].host, "::1");
	ck_assert_uint_eq(p->acl_count, 0);
	/* No acl and auth on: anybody may send, and authenticate. */
	ck_assert_int_eq(allows4(p, "192.0.2.1"), 1);
	ck_assert_uint_eq(c->calls.timeout, 60);
	ck_assert_uint_eq(c->calls.session_expires, 1800);
	ck_assert_uint_eq(c->calls.min_se, 90);
	ck_assert_int_eq(c->dialplan.builtin, 1);
	ck_assert_uint_eq(c->dialplan.context_count, 2);
	assert_local_extension(c, "default");
	assert_local_extension(c, "public");
	ck_assert_ptr_null(conf_dp_context_find(c, "nope"));
	conf_free(c);
}
END_TEST

static const char every_setting[] =
    "sip:\n"
    "  listen: [127.0.0.1:5060]\n"
    "directory:\n"
    "  users:\n"
    "    - {id: \"2000\", password: pw, context: office}\n"
    "  ranges:\n"
    "    - {from: 3000, to: 3009, password: pw, context: office}\n"
    "profiles:\n"
    "  - name: lan\n"
    "    listen: [\"127.0.0.1:5062\", \"[::1]:5062\"]\n"
    "    context: office\n"
    "    codecs: [opus, g722, pcmu]\n"
    "    acl: [10.0.0.0/8, \"192.168.1.7\", \"fd00::/8\"]\n"
    "  - name: trunk_1\n"
    "    auth: false\n"
    "    context: office\n"
    "calls:\n"
    "  timeout: 30\n"
    "  session_expires: 600\n"
    "  min_se: 120\n"
    "  cdr_file: /tmp/cdr.jsonl\n"
    "  max_calls: 500\n"
    "dialplan:\n"
    "  - context: office\n"
    "    extensions:\n"
    "      - name: tag\n"
    "        continue: true\n"
    "        conditions:\n"
    "          - {field: caller_id_number, expression: \"^2\"}\n"
    "          - {field: \"${toll_allow}\", expression: local}\n"
    "        actions: [\"set group=two\", \"log tagged ${group}\"]\n"
    "      - name: all\n"
    "        actions:\n"
    "          - answer\n"
    "          - pre_answer\n"
    "          - ring_ready\n"
    "          - sleep 250\n"
    "          - transfer 1000 office\n"
    "          - transfer 1000\n"
    "          - hangup USER_BUSY\n"
    "          - hangup 17\n"
    "          - hangup\n"
    "          - \"bridge   {a=b}user/1000|sip:x@127.0.0.1  \"\n";

START_TEST(every_setting_is_read)
{
	struct conf *c = NULL;
	const struct conf_profile *p;
	const struct conf_dp_context *x;
	const struct conf_dp_extension *e;

	c = load_ok("every", every_setting);
	ck_assert_uint_eq(c->profile_count, 2);
	p = &c->profiles[0];
	ck_assert_str_eq(p->name, "lan");
	ck_assert_uint_eq(p->listen_count, 2);
	ck_assert_int_eq(p->listen[1].family, AF_INET6);
	ck_assert_uint_eq(p->codec_count, 3);
	ck_assert_str_eq(p->codecs[0], "opus");
	ck_assert_str_eq(p->codecs[1], "G722");
	ck_assert_str_eq(p->codecs[2], "PCMU");
	ck_assert_uint_eq(p->acl_count, 3);
	ck_assert_int_eq(p->acl[1].prefix, 32);
	ck_assert_int_eq(p->acl[2].family, AF_INET6);
	ck_assert_int_eq(p->acl[2].prefix, 8);
	/* trunk_1 has no address of its own: it takes sip.listen. */
	p = &c->profiles[1];
	ck_assert_str_eq(p->name, "trunk_1");
	ck_assert_int_eq(p->auth, 0);
	ck_assert_uint_eq(p->listen_count, 1);
	ck_assert_str_eq(p->listen[0].text, "127.0.0.1:5060");
	/* No acl and auth off: nobody. */
	ck_assert_int_eq(allows4(p, "127.0.0.1"), 0);
	ck_assert_uint_eq(c->calls.timeout, 30);
	ck_assert_uint_eq(c->calls.session_expires, 600);
	ck_assert_uint_eq(c->calls.min_se, 120);
	ck_assert_str_eq(c->calls.cdr_file, "/tmp/cdr.jsonl");
	ck_assert_uint_eq(c->calls.max_calls, 500);
	ck_assert_int_eq(c->dialplan.builtin, 0);
	ck_assert_uint_eq(c->dialplan.context_count, 1);
	x = conf_dp_context_find(c, "office");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->extension_count, 2);
	e = &x->extensions[0];
	ck_assert_int_eq(e->cont, 1);
	ck_assert_uint_eq(e->condition_count, 2);
	ck_assert_str_eq(e->conditions[1].field, "toll_allow");
	ck_assert_int_eq(e->actions[0].app, CONF_DP_SET);
	ck_assert_str_eq(e->actions[0].data, "group=two");
	ck_assert_int_eq(e->actions[1].app, CONF_DP_LOG);
	ck_assert_str_eq(e->actions[1].data, "tagged ${group}");
	e = &x->extensions[1];
	ck_assert_uint_eq(e->condition_count, 0);
	ck_assert_uint_eq(e->action_count, 10);
	ck_assert_int_eq(e->actions[0].app, CONF_DP_ANSWER);
	ck_assert_ptr_null(e->actions[0].data);
	ck_assert_int_eq(e->actions[1].app, CONF_DP_PRE_ANSWER);
	ck_assert_int_eq(e->actions[2].app, CONF_DP_RING_READY);
	ck_assert_int_eq(e->actions[3].app, CONF_DP_SLEEP);
	ck_assert_str_eq(e->actions[3].data, "250");
	ck_assert_int_eq(e->actions[4].app, CONF_DP_TRANSFER);
	ck_assert_int_eq(e->actions[6].app, CONF_DP_HANGUP);
	ck_assert_ptr_null(e->actions[8].data);
	ck_assert_int_eq(e->actions[9].app, CONF_DP_BRIDGE);
	ck_assert_str_eq(e->actions[9].data, "{a=b}user/1000|sip:x@127.0.0.1");
	conf_free(c);
}
END_TEST

START_TEST(acl_matches_ipv4_ipv6_and_mapped)
{
	struct conf *c = load_ok(
	    "acl", "profiles:\n"
	           "  - name: ext\n"
	           "    auth: false\n"
	           "    acl: [10.1.0.0/16, 192.0.2.7, \"2001:db8::/32\", "
	           "\"::ffff:198.51.100.0/120\", \"fe80::1\"]\n"
	           "  - name: all\n"
	           "    listen: [127.0.0.1:5090]\n"
	           "    auth: false\n"
	           "    acl: [0.0.0.0/0, \"::/0\"]\n");
	const struct conf_profile *p = &c->profiles[0], *all = &c->profiles[1];
	struct sockaddr un = { .sa_family = AF_UNIX };

	ck_assert_int_eq(allows4(p, "10.1.2.3"), 1);
	ck_assert_int_eq(allows4(p, "10.1.255.255"), 1);
	ck_assert_int_eq(allows4(p, "10.2.0.1"), 0);
	ck_assert_int_eq(allows4(p, "192.0.2.7"), 1);
	ck_assert_int_eq(allows4(p, "192.0.2.8"), 0);
	ck_assert_int_eq(allows6(p, "2001:db8:1::5"), 1);
	ck_assert_int_eq(allows6(p, "2001:db9::5"), 0);
	ck_assert_int_eq(allows6(p, "fe80::1"), 1);
	ck_assert_int_eq(allows6(p, "fe80::2"), 0);
	/* An IPv4-mapped source matches IPv4 networks ... */
	ck_assert_int_eq(allows6(p, "::ffff:10.1.9.9"), 1);
	ck_assert_int_eq(allows6(p, "::ffff:10.3.9.9"), 0);
	/* ... and a mapped network matches plain IPv4 sources. */
	ck_assert_int_eq(allows4(p, "198.51.100.77"), 1);
	ck_assert_int_eq(allows4(p, "198.51.101.77"), 0);
	ck_assert_int_eq(allows6(p, "::ffff:198.51.100.1"), 1);
	ck_assert_int_eq(conf_acl_allows(p, &un), 0);
	ck_assert_int_eq(conf_acl_allows(p, NULL), 0);
	ck_assert_int_eq(allows4(all, "203.0.113.9"), 1);
	ck_assert_int_eq(allows6(all, "2001:db8::1"), 1);
	conf_free(c);
}
END_TEST

START_TEST(refused_profiles)
{
	conf_refused(
	    "dupprof",
	    "profiles:\n"
	    "  - name: a\n"
	    "  - name: a\n"
	    "    listen: [127.0.0.1:5080]\n",
	    3, 11, "profiles[1].name: profile \"a\" is already defined", NULL);
	conf_refused("upper", "profiles:\n  - name: Ext\n", 2, 11,
	             "profiles[0].name: expected 1 to 32 of a-z 0-9 _ -", NULL);
	conf_refused("noname", "profiles:\n  - auth: true\n", 2, 5,
	             "profiles[0]: name is required", NULL);
	conf_refused("badcidr",
	             "profiles:\n"
	             "  - name: ext\n"
	             "    acl:\n"
	             "      - 10.0.0.0/33\n",
	             4, 9,
	             "profiles[0].acl[0]: expected ADDR/PREFIX or ADDR, got "
	             "\"10.0.0.0/33\": the prefix length must be 0 to 32",
	             NULL);
	conf_refused("badaddr",
	             "profiles:\n  - name: ext\n    acl: [10.0.0.300]\n", 3, 11,
	             "profiles[0].acl[0]: expected ADDR/PREFIX or ADDR",
	             "not an IPv4 address");
	conf_refused("hostbits",
	             "profiles:\n  - name: ext\n    acl: [10.0.0.1/8]\n", 3, 11,
	             "profiles[0].acl[0]: expected ADDR/PREFIX or ADDR",
	             "host bits are set");
	conf_refused("v6bad",
	             "profiles:\n  - name: ext\n    acl: [\"::1/129\"]\n", 3,
	             11, "profiles[0].acl[0]: ", "0 to 128");
	conf_refused("reuse",
	             "profiles:\n"
	             "  - name: ext\n"
	             "    listen: [127.0.0.1:5060]\n",
	             3, 14,
	             "profiles[0].listen[0]: 127.0.0.1:5060 is already used by "
	             "sip.listen[0]",
	             NULL);
	conf_refused("reuse2",
	             "profiles:\n"
	             "  - name: a\n"
	             "    listen: [127.0.0.1:5080]\n"
	             "  - name: b\n"
	             "    listen: [127.0.0.1:5081, 127.0.0.1:5080]\n",
	             5, 30, "profiles[1].listen[1]: ",
	             "already used by profiles[0].listen[0]");
	conf_refused("twobare", "profiles:\n  - name: a\n  - name: b\n", 3, 5,
	             "profiles[1]: no listen addresses, like profiles[0]",
	             NULL);
	conf_refused("codec",
	             "profiles:\n  - name: a\n    codecs: [PCMU, GSM]\n", 3, 20,
	             "profiles[0].codecs[1]: expected one of PCMU, PCMA", NULL);
	conf_refused("codec2",
	             "profiles:\n  - name: a\n    codecs: [PCMU, pcmu]\n", 3,
	             20, "profiles[0].codecs[1]: pcmu is listed twice", NULL);
	conf_refused("auth", "profiles:\n  - name: a\n    auth: maybe\n", 3, 11,
	             "profiles[0].auth: expected true or false", NULL);
}
END_TEST

START_TEST(refused_calls)
{
	conf_refused("timeout", "calls:\n  timeout: 0\n", 2, 12,
	             "calls.timeout: must be 1 to 3600, got 0", NULL);
	conf_refused("se", "calls:\n  session_expires: 60\n", 2, 20,
	             "calls.session_expires: must be 90 to 86400", NULL);
	conf_refused(
	    "minse", "calls:\n  min_se: 2000\n", 2, 11,
	    "calls.min_se: must not exceed session_expires (1800 s, the "
	    "default), got 2000",
	    NULL);
	conf_refused(
	    "minse2", "calls:\n  min_se: 300\n  session_expires: 200\n", 3, 20,
	    "calls.session_expires: must be at least min_se (300 s), got "
	    "200",
	    NULL);
	conf_refused("maxcalls", "calls:\n  max_calls: lots\n", 2, 14,
	             "calls.max_calls: expected an integer", NULL);
	conf_refused("cdr", "calls:\n  cdr_file: \"\"\n", 2, 13,
	             "calls.cdr_file: expected a file path", NULL);
}
END_TEST

/* Retention of the event log: defaults, values, refusals. */
START_TEST(storage_settings)
{
	struct conf *c = load_ok("stnone", "log:\n  level: info\n");

	ck_assert_uint_eq(c->storage.retention, 3600);
	ck_assert_uint_eq(c->storage.prune_interval, 60);
	conf_free(c);
	c = load_ok("st", "storage:\n  retention: 5\n  prune_interval: 1\n");
	ck_assert_uint_eq(c->storage.retention, 5);
	ck_assert_uint_eq(c->storage.prune_interval, 1);
	conf_free(c);
	conf_refused("ret0", "storage:\n  retention: 0\n", 2, 14,
	             "storage.retention: must be 1 to 31622400, got 0", NULL);
	conf_refused("retx", "storage:\n  retention: 1h\n", 2, 14,
	             "storage.retention: expected an integer", NULL);
	conf_refused("pi", "storage:\n  prune_interval: 90000\n", 2, 19,
	             "storage.prune_interval: must be 1 to 86400, got 90000",
	             NULL);
	conf_refused("stk", "storage:\n  retain: 5\n", 2, 3, "storage", NULL);
}
END_TEST

/* A one-extension dialplan with `line` as its only action or condition. */
#define DP_HEAD                                                                \
	"dialplan:\n"                                                          \
	"  - context: default\n"                                               \
	"    extensions:\n"                                                    \
	"      - name: x\n"

START_TEST(refused_dialplan)
{
	conf_refused(
	    "regex",
	    DP_HEAD "        conditions:\n"
	            "          - field: destination_number\n"
	            "            expression: \"^(10\"\n"
	            "        actions: [answer]\n",
	    7, 25,
	    "dialplan[0].extensions[0].conditions[0].expression: expected "
	    "a regular expression, got \"^(10\": missing closing "
	    "parenthesis at offset 4",
	    NULL);
	conf_refused(
	    "field",
	    DP_HEAD "        conditions:\n"
	            "          - field: dest\n"
	            "            expression: x\n"
	            "        actions: [answer]\n",
	    6, 20,
	    "dialplan[0].extensions[0].conditions[0].field: unknown field "
	    "\"dest\"",
	    "${NAME}");
	conf_refused("var",
	             DP_HEAD "        conditions:\n"
	                     "          - {field: \"${a b}\", expression: x}\n"
	                     "        actions: [answer]\n",
	             6, 21,
	             "dialplan[0].extensions[0].conditions[0].field: expected "
	             "${NAME}",
	             NULL);
	conf_refused("noexpr",
	             DP_HEAD "        conditions:\n"
	                     "          - {field: user}\n"
	                     "        actions: [answer]\n",
	             6, 13,
	             "dialplan[0].extensions[0].conditions[0]: expression is "
	             "required",
	             NULL);
	conf_refused(
	    "app",
	    DP_HEAD "        actions:\n          - answer\n"
	            "          - bridg user/1000\n",
	    7, 13,
	    "dialplan[0].extensions[0].actions[1]: unknown application "
	    "\"bridg\"",
	    "known: answer, pre_answer");
	conf_refused(
	    "bridge", DP_HEAD "        actions: [\"bridge  \"]\n", 5, 19,
	    "dialplan[0].extensions[0].actions[0]: bridge needs data", NULL);
	conf_refused(
	    "set", DP_HEAD "        actions: [set novalue]\n", 5, 19,
	    "dialplan[0].extensions[0].actions[0]: expected set NAME=VALUE",
	    NULL);
	conf_refused(
	    "answer", DP_HEAD "        actions: [answer now]\n", 5, 19,
	    "dialplan[0].extensions[0].actions[0]: answer takes no data", NULL);
	conf_refused("sleep", DP_HEAD "        actions: [sleep 1.5]\n", 5, 19,
	             "dialplan[0].extensions[0].actions[0]: expected sleep MS",
	             NULL);
	conf_refused(
	    "hangup", DP_HEAD "        actions: [hangup USER_BUSYY]\n", 5, 19,
	    "dialplan[0].extensions[0].actions[0]: expected hangup", NULL);
	conf_refused(
	    "transfer", DP_HEAD "        actions: [transfer 1000 nowhere]\n", 5,
	    19, "dialplan[0].extensions[0].actions[0]: expected transfer",
	    "no such context");
	conf_refused("noactions", DP_HEAD "        actions: []\n", 5, 18,
	             "dialplan[0].extensions[0].actions: expected at least one "
	             "action",
	             NULL);
	conf_refused("dupctx",
	             "dialplan:\n"
	             "  - context: default\n"
	             "  - context: default\n",
	             3, 14,
	             "dialplan[1].context: context \"default\" is already "
	             "defined by dialplan[0]",
	             NULL);
	conf_refused(
	    "extname", DP_HEAD "        continue: yes\n", 5, 19,
	    "dialplan[0].extensions[0].continue: expected true or false", NULL);
}
END_TEST

START_TEST(refused_missing_contexts)
{
	/* The shipped users (a range in context default) need it. */
	conf_refused(
	    "userctx",
	    "directory:\n"
	    "  users:\n"
	    "    - {id: \"2000\", password: pw, context: office}\n"
	    "dialplan:\n"
	    "  - context: default\n",
	    3, 43,
	    "directory.users[0].context: the context \"office\" of user "
	    "2000 is not in the dialplan (contexts: default)",
	    NULL);
	conf_refused(
	    "rangectx",
	    "directory:\n"
	    "  ranges:\n"
	    "    - {from: 10, to: 12, password: pw}\n"
	    "profiles:\n"
	    "  - name: a\n"
	    "    context: office\n"
	    "dialplan:\n"
	    "  - context: office\n",
	    3, 7,
	    "directory.ranges[0]: the context \"default\" (the default) of "
	    "users 10 to 12 is not in the dialplan",
	    NULL);
	conf_refused(
	    "tmplctx",
	    "directory:\n"
	    "  ranges:\n"
	    "    - {from: 10, to: 12, password: pw, context: \"c{id}\"}\n"
	    "dialplan:\n"
	    "  - context: default\n"
	    "  - context: c10\n"
	    "  - context: c11\n",
	    1, 1, "directory: the context \"c12\" of user 12@127.0.0.1", NULL);
	conf_refused(
	    "profctx",
	    "profiles:\n"
	    "  - name: a\n"
	    "    context: office\n"
	    "dialplan:\n"
	    "  - context: default\n",
	    3, 14,
	    "profiles[0].context: the context \"office\" of profile a is "
	    "not in the dialplan",
	    NULL);
	conf_refused(
	    "internalctx", "dialplan:\n  - context: office\n", 1, 1,
	    "dialplan: the context \"default\" (the default) of profile "
	    "internal",
	    NULL);
}
END_TEST

static Suite *
calls_suite(void)
{
	Suite *s = suite_create("conf_calls");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc,
	               shipped_file_has_two_profiles_and_the_local_dialplan);
	tcase_add_test(
	    tc, absent_sections_give_internal_profile_and_builtin_dialplan);
	tcase_add_test(tc, every_setting_is_read);
	tcase_add_test(tc, acl_matches_ipv4_ipv6_and_mapped);
	tcase_add_test(tc, refused_profiles);
	tcase_add_test(tc, refused_calls);
	tcase_add_test(tc, storage_settings);
	tcase_add_test(tc, refused_dialplan);
	tcase_add_test(tc, refused_missing_contexts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conf_fixture_run(calls_suite(), "test_conf_calls");
}
