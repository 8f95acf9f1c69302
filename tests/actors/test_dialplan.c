/* The dialplan engine: routing through a loaded dialplan (captures,
 * continue, several fields, unknown contexts), ${var} expansion, bridge
 * strings good and bad, application names. (The Q.850 <-> SIP tables:
 * tests/q850.) */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../conf/conf_fixture.h"
#include "conf.h"
#include "dialplan.h"
#include "q850.h"

/* The call being routed: name=value pairs, NULL-terminated. */
struct call {
	const char *kv[16];
};

static const char *
get(void *arg, const char *field)
{
	struct call *c = arg;
	int i;

	for (i = 0; c->kv[i] != NULL; i += 2) {
		if (strcmp(c->kv[i], field) == 0)
			return c->kv[i + 1];
	}
	return NULL;
}

static const char plan[] =
    "dialplan:\n"
    "  - context: default\n"
    "    extensions:\n"
    "      - name: tag\n"
    "        continue: true\n"
    "        conditions:\n"
    "          - {field: caller_id_number, expression: \"^(2)(\\\\d+)$\"}\n"
    "        actions: [\"set from=$1/$2/$0\"]\n"
    "      - name: split\n"
    "        conditions:\n"
    "          - {field: network_addr, expression: \"^127\\\\.\"}\n"
    "          - {field: destination_number, "
    "expression: \"^(\\\\d{2})(\\\\d{2})(x)?$\"}\n"
    "        actions:\n"
    "          - \"log $0 a=$1 b=$2 c=$3 z=$9 ${keep} $$1 $\"\n"
    "          - \"bridge user/$1$2@${domain}\"\n"
    "          - answer\n"
    "      - name: after\n"
    "        actions: [hangup]\n"
    "  - context: rules\n"
    "    extensions:\n"
    "      - name: local\n"
    "        conditions:\n"
    "          - {field: destination_number, expression: \"^1000$\"}\n"
    "          - {field: caller_id_name, expression: \"^Bob\"}\n"
    "          - {field: \"${toll_allow}\", expression: \"^local$\"}\n"
    "        actions: [\"bridge user/1000\"]\n"
    "      - name: empty\n"
    "        conditions:\n"
    "          - {field: user, expression: \"^$\"}\n"
    "        actions: [\"hangup CALL_REJECTED\"]\n"
    "  - context: nothing\n"
    "    extensions:\n"
    "      - name: never\n"
    "        conditions:\n"
    "          - {field: profile, expression: \"^nobody$\"}\n"
    "        actions: [answer]\n"
    "directory:\n"
    "  users: []\n"
    "profiles:\n"
    "  - name: internal\n";

static struct conf *cf;

static void
setup(void)
{
	cf = load_ok("plan", plan);
}

static void
teardown(void)
{
	conf_free(cf);
	cf = NULL;
}

START_TEST(captures_come_from_the_last_condition)
{
	struct call c = { { "destination_number", "1234", "network_addr",
		            "127.0.0.1", "caller_id_number", "3000", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(cf, "default", get, &c, &a), 0);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_int_eq(a.v[0].app, DP_LOG);
	ck_assert_str_eq(a.v[0].extension, "split");
	/* $3 did not take part and $9 does not exist: both empty; ${keep}
	 * stays for dialplan_expand(). */
	ck_assert_str_eq(a.v[0].data, "1234 a=12 b=34 c= z= ${keep} $12 $");
	ck_assert_int_eq(a.v[1].app, DP_BRIDGE);
	ck_assert_str_eq(a.v[1].data, "user/1234@${domain}");
	ck_assert_int_eq(a.v[2].app, DP_ANSWER);
	ck_assert_ptr_null(a.v[2].data);
	dp_actions_free(&a);
	ck_assert_ptr_null(a.v);
	ck_assert_uint_eq(a.n, 0);
}
END_TEST

START_TEST(continue_keeps_looking_and_the_first_stop_ends)
{
	struct call c = { { "destination_number", "5678", "network_addr",
		            "127.0.0.9", "caller_id_number", "2042", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(cf, "default", get, &c, &a), 0);
	ck_assert_uint_eq(a.n, 4);
	ck_assert_int_eq(a.v[0].app, DP_SET);
	ck_assert_str_eq(a.v[0].extension, "tag");
	ck_assert_str_eq(a.v[0].data, "from=2/042/2042");
	ck_assert_int_eq(a.v[1].app, DP_LOG);
	ck_assert_str_eq(a.v[1].data, "5678 a=56 b=78 c= z= ${keep} $56 $");
	/* "after" matches too, but "split" did not continue. */
	ck_assert_int_eq(a.v[3].app, DP_ANSWER);
	dp_actions_free(&a);
}
END_TEST

START_TEST(a_failing_condition_skips_the_extension)
{
	/* network_addr fails split; "after" has no conditions and runs. */
	struct call c = { { "destination_number", "1234", "network_addr",
		            "10.0.0.1", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(cf, "default", get, &c, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_int_eq(a.v[0].app, DP_HANGUP);
	ck_assert_str_eq(a.v[0].extension, "after");
	ck_assert_ptr_null(a.v[0].data);
	dp_actions_free(&a);
}
END_TEST

START_TEST(every_field_must_match)
{
	struct call ok = { { "destination_number", "1000", "caller_id_name",
		             "Bob Smith", "toll_allow", "local", "user", "1001",
		             NULL } };
	struct call name = { { "destination_number", "1000", "caller_id_name",
		               "Alice", "toll_allow", "local", "user", "1001",
		               NULL } };
	struct call var = { { "destination_number", "1000", "caller_id_name",
		              "Bob", "toll_allow", "national", "user", "1001",
		              NULL } };
	struct call anon = { { "destination_number", "1000", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(cf, "rules", get, &ok, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_str_eq(a.v[0].data, "user/1000");
	dp_actions_free(&a);
	ck_assert_int_eq(dialplan_route(cf, "rules", get, &name, &a), 0);
	ck_assert_uint_eq(a.n, 0);
	dp_actions_free(&a);
	ck_assert_int_eq(dialplan_route(cf, "rules", get, &var, &a), 0);
	ck_assert_uint_eq(a.n, 0);
	dp_actions_free(&a);
	/* Fields the call lacks are empty: "^$" on user matches. */
	ck_assert_int_eq(dialplan_route(cf, "rules", get, &anon, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_int_eq(a.v[0].app, DP_HANGUP);
	ck_assert_str_eq(a.v[0].data, "CALL_REJECTED");
	ck_assert_uint_eq(q850_parse(a.v[0].data), Q850_CALL_REJECTED);
	dp_actions_free(&a);
}
END_TEST

START_TEST(nothing_matches_and_unknown_context)
{
	struct call c = { { "profile", "internal", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(cf, "nothing", get, &c, &a), 0);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_int_eq(dialplan_route(cf, "nope", get, &c, &a), ENOENT);
	ck_assert_int_eq(dialplan_route(cf, NULL, get, &c, &a), ENOENT);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_ptr_null(a.v);
}
END_TEST

START_TEST(builtin_dialplan_reaches_the_extensions_only)
{
	struct conf *b = load_ok("builtin", "log:\n  level: info\n");
	struct call ext = { { "destination_number", "1019", NULL } };
	struct call other = { { "destination_number", "1020", NULL } };
	struct dp_actions a = { 0 };

	ck_assert_int_eq(dialplan_route(b, "public", get, &ext, &a), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_str_eq(a.v[0].data, "user/1019");
	dp_actions_free(&a);
	ck_assert_int_eq(dialplan_route(b, "default", get, &other, &a), 0);
	ck_assert_uint_eq(a.n, 0);
	conf_free(b);
}
END_TEST

START_TEST(expand_replaces_variables)
{
	struct call c = { { "domain", "example.org", "x", "", NULL } };
	char out[32];

	ck_assert_int_eq(
	    dialplan_expand(out, sizeof(out), "user/1000@${domain}", get, &c),
	    0);
	ck_assert_str_eq(out, "user/1000@example.org");
	ck_assert_int_eq(
	    dialplan_expand(out, sizeof(out), "a${x}b${missing}c", get, &c), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(
	    dialplan_expand(out, sizeof(out), "$1 ${unclosed", get, &c), 0);
	ck_assert_str_eq(out, "$1 ${unclosed");
	ck_assert_int_eq(dialplan_expand(out, sizeof(out), "", get, &c), 0);
	ck_assert_str_eq(out, "");
	/* "example.org" is 11 bytes: 11 + NUL fits in 12, not in 11. */
	ck_assert_int_eq(dialplan_expand(out, 12, "${domain}", get, &c), 0);
	ck_assert_str_eq(out, "example.org");
	ck_assert_int_eq(dialplan_expand(out, 11, "${domain}", get, &c),
	                 ENOSPC);
	ck_assert_int_eq(dialplan_expand(out, 3, "abc", get, &c), ENOSPC);
	ck_assert_int_eq(dialplan_expand(out, 0, "", get, &c), ENOSPC);
}
END_TEST

START_TEST(bridge_strings_parse)
{
	struct dp_bridge b;
	const struct dp_target *t;

	ck_assert_int_eq(dp_bridge_parse("user/1000", &b), 0);
	ck_assert_uint_eq(b.global_count, 0);
	ck_assert_uint_eq(b.group_count, 1);
	ck_assert_uint_eq(b.groups[0].target_count, 1);
	t = &b.groups[0].targets[0];
	ck_assert_int_eq(t->kind, DP_TARGET_USER);
	ck_assert_str_eq(t->user, "1000");
	ck_assert_ptr_null(t->domain);
	ck_assert_uint_eq(dp_bridge_timeout(&b, t, 60), 60);
	dp_bridge_free(&b);

	ck_assert_int_eq(
	    dp_bridge_parse(" {call_timeout=20, x='a,b]}' , y=} "
	                    "[leg_timeout=5,y=t]user/1000@example.org , "
	                    "user/1001 | sips:200@10.0.0.1;transport=tls|"
	                    "[call_timeout=7]SIP:300@h",
	                    &b),
	    0);
	ck_assert_uint_eq(b.global_count, 3);
	ck_assert_str_eq(b.globals[0].name, "call_timeout");
	ck_assert_str_eq(b.globals[1].value, "a,b]}");
	ck_assert_str_eq(b.globals[2].name, "y");
	ck_assert_str_eq(b.globals[2].value, "");
	ck_assert_uint_eq(b.group_count, 3);
	ck_assert_uint_eq(b.groups[0].target_count, 2);
	t = &b.groups[0].targets[0];
	ck_assert_str_eq(t->user, "1000");
	ck_assert_str_eq(t->domain, "example.org");
	ck_assert_uint_eq(t->var_count, 2);
	ck_assert_str_eq(dp_bridge_var(&b, t, "y"), "t");
	ck_assert_str_eq(dp_bridge_var(&b, t, "x"), "a,b]}");
	ck_assert_ptr_null(dp_bridge_var(&b, t, "z"));
	ck_assert_uint_eq(dp_bridge_timeout(&b, t, 60), 5);
	t = &b.groups[0].targets[1];
	ck_assert_str_eq(t->user, "1001");
	ck_assert_uint_eq(t->var_count, 0);
	ck_assert_str_eq(dp_bridge_var(&b, t, "y"), "");
	ck_assert_uint_eq(dp_bridge_timeout(&b, t, 60), 20);
	ck_assert_uint_eq(b.groups[1].target_count, 1);
	t = &b.groups[1].targets[0];
	ck_assert_int_eq(t->kind, DP_TARGET_URI);
	ck_assert_str_eq(t->uri, "sips:200@10.0.0.1;transport=tls");
	t = &b.groups[2].targets[0];
	ck_assert_str_eq(t->uri, "SIP:300@h");
	ck_assert_uint_eq(dp_bridge_timeout(&b, t, 60), 7);
	dp_bridge_free(&b);
	dp_bridge_free(&b); /* harmless twice */

	ck_assert_int_eq(dp_bridge_parse("{}user/1", &b), 0);
	ck_assert_uint_eq(b.global_count, 0);
	dp_bridge_free(&b);
}
END_TEST

static void
bad_bridge(const char *s, const char *why)
{
	struct dp_bridge b;

	ck_assert_msg(dp_bridge_parse(s, &b) == EINVAL, "accepted: %s", s);
	ck_assert_msg(strstr(b.err, why) != NULL, "%s: got \"%s\", want %s", s,
	              b.err, why);
	ck_assert_uint_eq(b.group_count, 0);
	dp_bridge_free(&b);
}

START_TEST(bad_bridge_strings_are_refused)
{
	bad_bridge("", "no target");
	bad_bridge("   ", "no target");
	bad_bridge("{a=b}", "no target");
	bad_bridge("{a=b", "missing '}'");
	bad_bridge("{=b}user/1", "expected NAME=VALUE");
	bad_bridge("{a}user/1", "expected NAME=VALUE");
	bad_bridge("{a='b}user/1", "unclosed quote");
	bad_bridge("[a=b user/1", "missing ']'");
	bad_bridge("user/", "needs an id");
	bad_bridge("user/1@", "bad domain");
	bad_bridge("user/1@a@b", "bad domain");
	bad_bridge("foo/1000", "unknown target");
	bad_bridge("1000", "unknown target");
	bad_bridge("sip:", "needs a URI");
	bad_bridge("user/1,,user/2", "an empty target");
	bad_bridge("user/1|", "an empty target");
	bad_bridge("user/1 user/2", "unexpected character");
	bad_bridge("user/1[a=b]", "unexpected character");
	bad_bridge("{call_timeout=abc}user/1", "call_timeout must be 1");
	bad_bridge("[leg_timeout=0]user/1", "leg_timeout must be 1");
	bad_bridge("[leg_timeout=86401]user/1", "leg_timeout must be 1");
}
END_TEST

START_TEST(app_names)
{
	ck_assert_str_eq(dp_app_name(DP_RING_READY), "ring_ready");
	ck_assert_str_eq(dp_app_name((enum dp_app)99), "?");
}
END_TEST

static Suite *
dialplan_suite(void)
{
	Suite *s = suite_create("dialplan");
	TCase *route = tcase_create("route");
	TCase *pure = tcase_create("pure");

	tcase_add_checked_fixture(route, setup, teardown);
	tcase_add_test(route, captures_come_from_the_last_condition);
	tcase_add_test(route, continue_keeps_looking_and_the_first_stop_ends);
	tcase_add_test(route, a_failing_condition_skips_the_extension);
	tcase_add_test(route, every_field_must_match);
	tcase_add_test(route, nothing_matches_and_unknown_context);
	tcase_add_test(route, builtin_dialplan_reaches_the_extensions_only);
	tcase_add_test(pure, expand_replaces_variables);
	tcase_add_test(pure, bridge_strings_parse);
	tcase_add_test(pure, bad_bridge_strings_are_refused);
	tcase_add_test(pure, app_names);
	suite_add_tcase(s, route);
	suite_add_tcase(s, pure);
	return s;
}

int
main(void)
{
	return conf_fixture_run(dialplan_suite(), "test_dialplan");
}
