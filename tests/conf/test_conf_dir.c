/* conf/: the user directory (users, ranges, the demo password rule) and the
 * registrar settings. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conf.h"
#include "conf_fixture.h"

static const struct conf_user *
find_user(const struct conf *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->directory.user_count; i++) {
		if (strcmp(c->directory.users[i].id, id) == 0)
			return &c->directory.users[i];
	}
	return NULL;
}

START_TEST(shipped_file_has_extensions_1000_to_1019)
{
	struct conf *c = NULL;
	const struct conf_user *u;
	char id[8], name[32];
	int i;

	ck_assert_msg(conf_load(&c, PBX_SOURCE_DIR "/conf/pbx.yaml", err,
	                        sizeof(err)) == 0,
	              "%s", err);
	ck_assert_str_eq(c->directory.domain, "127.0.0.1");
	ck_assert_int_eq(c->directory.lab, 0);
	ck_assert_uint_eq(c->directory.user_count, 20);
	for (i = 0; i < 20; i++) {
		u = &c->directory.users[i];
		snprintf(id, sizeof(id), "%d", 1000 + i);
		snprintf(name, sizeof(name), "Extension %d", 1000 + i);
		ck_assert_str_eq(u->id, id);
		ck_assert_str_eq(u->domain, "127.0.0.1");
		ck_assert_str_eq(u->password, "1234");
		ck_assert_ptr_null(u->ha1_md5);
		ck_assert_ptr_null(u->ha1_sha256);
		ck_assert_str_eq(u->display_name, name);
		ck_assert_str_eq(u->number, id);
		ck_assert_str_eq(u->context, "default");
		ck_assert_uint_eq(u->var_count, 0);
	}
	ck_assert_str_eq(c->registrar.realm, "127.0.0.1");
	ck_assert_uint_eq(c->registrar.default_expires, 3600);
	ck_assert_uint_eq(c->registrar.min_expires, 60);
	ck_assert_uint_eq(c->registrar.max_expires, 7200);
	ck_assert_uint_eq(c->registrar.max_bindings, 10);
	ck_assert_uint_eq(c->registrar.nonce_lifetime, 300);
	ck_assert_ptr_null(c->registrar.secret);
	ck_assert_uint_eq(c->registrar.actor_idle, 32);
	ck_assert_uint_eq(c->registrar.expiry_grace, 30);
	ck_assert_uint_eq(c->registrar.throttle.failures, 10);
	ck_assert_uint_eq(c->registrar.throttle.window, 60);
	ck_assert_uint_eq(c->registrar.throttle.backoff, 30);
	ck_assert_uint_eq(c->registrar.throttle.max_backoff, 3600);
	ck_assert_uint_eq(c->registrar.throttle.user_max_backoff, 300);
	conf_free(c);
}
END_TEST

START_TEST(defaults_without_directory_or_registrar)
{
	struct conf *c = load_ok("nodir", "log: {level: info}\n");

	ck_assert_str_eq(c->directory.domain, "127.0.0.1");
	ck_assert_int_eq(c->directory.lab, 0);
	ck_assert_uint_eq(c->directory.user_count, 0);
	ck_assert_str_eq(c->registrar.realm, "127.0.0.1");
	ck_assert_uint_eq(c->registrar.default_expires, 3600);
	ck_assert_ptr_null(c->registrar.secret);
	ck_assert_uint_eq(c->registrar.actor_idle, 32);
	ck_assert_uint_eq(c->registrar.throttle.failures, 10);
	ck_assert_uint_eq(c->registrar.throttle.user_max_backoff, 300);
	conf_free(c);

	/* Lists with every entry commented out. */
	c = load_ok("hollow", "directory:\n  users:\n  # - {id: a}\n"
	                      "  ranges:\n");
	ck_assert_uint_eq(c->directory.user_count, 0);
	conf_free(c);

	c = load_ok("realm", "directory: {domain: pbx.example.com}\n"
	                     "registrar: {secret: s3cret}\n");
	ck_assert_str_eq(c->registrar.realm, "pbx.example.com");
	ck_assert_str_eq(c->registrar.secret, "s3cret");
	conf_free(c);
}
END_TEST

START_TEST(users_and_ranges_in_file_order)
{
	struct conf *c = load_ok(
	    "order", "directory:\n"
	             "  domain: pbx.example.com\n"
	             "  ranges:\n"
	             "    - from: \"0100\"\n"
	             "      to: 0199\n"
	             "      password: \"pw-{id}\"\n"
	             "      display_name: \"User {id} ({id})\"\n"
	             "      number: \"+33{id}\"\n"
	             "      context: ctx-{id}\n"
	             "      variables: [\"group=bulk-{id}\", \"lang=fr\"]\n"
	             "    - {from: 8, to: 11, password: x}\n"
	             "  users:\n"
	             "    - id: \"1000\"\n"
	             "      password: \"1234\"\n"
	             "      display_name: \"Reception\"\n"
	             "      number: \"1000\"\n"
	             "      context: default\n"
	             "      variables: [\"toll_allow=local\", \"empty=\"]\n"
	             "    - id: alice.b+x\n"
	             "      domain: other.example.com\n"
	             "      ha1_md5: 0123456789abcdef0123456789abcdef\n");
	const struct conf_directory *dir = &c->directory;
	const struct conf_user *u;

	ck_assert_uint_eq(dir->user_count, 100 + 4 + 2);
	u = &dir->users[0];
	ck_assert_str_eq(u->id, "0100");
	ck_assert_str_eq(u->domain, "pbx.example.com");
	ck_assert_str_eq(u->password, "pw-0100");
	ck_assert_str_eq(u->display_name, "User 0100 (0100)");
	ck_assert_str_eq(u->number, "+330100");
	ck_assert_str_eq(u->context, "ctx-0100");
	ck_assert_uint_eq(u->var_count, 2);
	ck_assert_str_eq(u->vars[0].name, "group");
	ck_assert_str_eq(u->vars[0].value, "bulk-0100");
	ck_assert_str_eq(u->vars[1].name, "lang");
	ck_assert_str_eq(u->vars[1].value, "fr");
	u = &dir->users[99];
	ck_assert_str_eq(u->id, "0199");
	ck_assert_str_eq(u->password, "pw-0199");
	ck_assert_str_eq(u->vars[0].value, "bulk-0199");
	/* No leading zero in from: plain decimal ids, growing in width. */
	ck_assert_str_eq(dir->users[100].id, "8");
	ck_assert_str_eq(dir->users[101].id, "9");
	ck_assert_str_eq(dir->users[102].id, "10");
	ck_assert_str_eq(dir->users[103].id, "11");
	ck_assert_str_eq(dir->users[103].display_name, "11");
	ck_assert_str_eq(dir->users[103].number, "11");
	ck_assert_str_eq(dir->users[103].context, "default");
	ck_assert_uint_eq(dir->users[103].var_count, 0);
	u = &dir->users[104];
	ck_assert_str_eq(u->id, "1000");
	ck_assert_str_eq(u->password, "1234");
	ck_assert_str_eq(u->display_name, "Reception");
	ck_assert_str_eq(u->vars[0].name, "toll_allow");
	ck_assert_str_eq(u->vars[0].value, "local");
	ck_assert_str_eq(u->vars[1].name, "empty");
	ck_assert_str_eq(u->vars[1].value, "");
	u = &dir->users[105];
	ck_assert_str_eq(u->id, "alice.b+x");
	ck_assert_str_eq(u->domain, "other.example.com");
	ck_assert_ptr_null(u->password);
	ck_assert_str_eq(u->ha1_md5, "0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(u->display_name, "alice.b+x");
	ck_assert_ptr_eq(find_user(c, "0150"), &dir->users[50]);
	conf_free(c);
}
END_TEST

START_TEST(ha1_values_are_checked)
{
	static const char sha[] = "0123456789abcdef0123456789abcdef"
	                          "0123456789abcdef0123456789abcdef";
	char text[256];
	struct conf *c;

	snprintf(text, sizeof(text),
	         "directory:\n  users:\n    - {id: a, ha1_sha256: %s}\n", sha);
	c = load_ok("sha", text);
	ck_assert_str_eq(c->directory.users[0].ha1_sha256, sha);
	ck_assert_ptr_null(c->directory.users[0].ha1_md5);
	conf_free(c);

	conf_refused(
	    "upper",
	    "directory:\n  users:\n    - id: a\n"
	    "      ha1_md5: 0123456789ABCDEF0123456789abcdef\n",
	    4, 16,
	    "directory.users[0].ha1_md5: expected 32 lowercase hex digits",
	    "write it in lowercase");
	conf_refused(
	    "short",
	    "directory:\n  users:\n    - id: a\n      password: p\n"
	    "    - id: b\n      ha1_md5: 0123456789abcdef\n",
	    6, 16,
	    "directory.users[1].ha1_md5: expected 32 lowercase hex digits",
	    NULL);
	conf_refused("md5as256",
	             "directory:\n  users:\n    - id: a\n"
	             "      ha1_sha256: 0123456789abcdef0123456789abcdef\n",
	             4, 19,
	             "directory.users[0].ha1_sha256: expected 64 lowercase hex "
	             "digits",
	             NULL);
	conf_refused("nohex",
	             "directory:\n  users:\n    - id: a\n"
	             "      ha1_md5: 0123456789abcdef0123456789abcdeg\n",
	             4, 16, "directory.users[0].ha1_md5: expected 32", NULL);
	conf_refused(
	    "nopass", "directory:\n  users:\n    - id: a\n      number: b\n", 3,
	    7, "directory.users[0]: needs a password, ha1_md5 or ha1_sha256",
	    NULL);
	conf_refused("rangenopass",
	             "directory:\n  ranges:\n    - {from: 1, to: 2}\n", 3, 7,
	             "directory.ranges[0]: needs a password", NULL);
}
END_TEST

START_TEST(bad_users_and_variables)
{
	conf_refused("noid", "directory:\n  users:\n    - password: p\n", 3, 7,
	             "directory.users[0]: id is required", NULL);
	conf_refused(
	    "badid", "directory:\n  users:\n    - {id: \"a b\", password: p}\n",
	    3, 12,
	    "directory.users[0].id: expected 1 to 64 of A-Z a-z 0-9 . _ + "
	    "-, got \"a b\"",
	    NULL);
	conf_refused(
	    "typo", "directory:\n  users:\n    - id: a\n      pasword: p\n", 4,
	    7,
	    "directory.users[0]: unknown field \"pasword\"; did you mean "
	    "\"password\"?",
	    NULL);
	conf_refused(
	    "noeq",
	    "directory:\n  users:\n    - id: a\n      password: p\n"
	    "      variables: [x, toll]\n",
	    5, 19,
	    "directory.users[0].variables[0]: expected name=value with a "
	    "non-empty name, got \"x\"",
	    NULL);
	conf_refused(
	    "noname",
	    "directory:\n  ranges:\n    - from: 1\n      to: 2\n"
	    "      password: p\n      variables: [\"a=1\", \"=1\"]\n",
	    6, 26,
	    "directory.ranges[0].variables[1]: expected name=value with a "
	    "non-empty name",
	    NULL);
	conf_refused("lab", "directory:\n  lab: yes\n", 2, 8,
	             "directory.lab: expected true or false, got \"yes\"",
	             NULL);
	conf_refused(
	    "ctrl",
	    "directory:\n  users:\n    - id: a\n"
	    "      password: p\n      display_name: \"a\\r\\nb\"\n",
	    5, 21, "directory.users[0].display_name: expected 1 to 128", NULL);
}
END_TEST

START_TEST(range_bounds_are_checked)
{
	conf_refused(
	    "below",
	    "directory:\n  ranges:\n    - {from: 1000, to: 999, password: p}\n",
	    3, 24, "directory.ranges[0].to: must not be below from (1000)",
	    NULL);
	conf_refused(
	    "nonnum",
	    "directory:\n  ranges:\n    - {from: 1e3, to: 2000, password: p}\n",
	    3, 14,
	    "directory.ranges[0].from: expected a number of 1 to 18 decimal "
	    "digits, got \"1e3\"",
	    NULL);
	conf_refused("noto",
	             "directory:\n  ranges:\n    - {from: 1, password: p}\n", 3,
	             7, "directory.ranges[0]: to is required", NULL);
	conf_refused("toobig",
	             "directory:\n  ranges:\n"
	             "    - {from: 1000000, to: 2000000, password: p}\n",
	             3, 27,
	             "directory.ranges[0].to: the range 1000000..2000000 holds "
	             "1000001 ids; at most 1000000 per range",
	             NULL);
	conf_refused("total",
	             "directory:\n  ranges:\n"
	             "    - {from: 1000000, to: 1999999, password: p}\n"
	             "    - {from: 2000000, to: 2999999, password: p}\n"
	             "    - {from: 3000000, to: 3000000, password: p}\n",
	             5, 7,
	             "directory.ranges[2]: this range brings the directory to "
	             "2000001 users; at most 2000000 in all",
	             NULL);
}
END_TEST

START_TEST(duplicate_id_names_both_places)
{
	/* A user after a range that holds its id. */
	conf_refused(
	    "dup1",
	    "directory:\n"
	    "  ranges:\n"
	    "    - {from: 1000, to: 1019, password: p}\n"
	    "  users:\n"
	    "    - {id: \"2000\", password: p}\n"
	    "    - {id: \"1005\", password: q}\n",
	    6, 12,
	    "directory.users[1].id: user 1005@127.0.0.1 is already defined "
	    "by directory.ranges[0] (line 3)",
	    NULL);
	/* A range after a user: reported on the range. */
	conf_refused(
	    "dup2",
	    "directory:\n"
	    "  users:\n"
	    "    - {id: \"1005\", password: q}\n"
	    "  ranges:\n"
	    "    - {from: 1000, to: 1019, password: p}\n",
	    5, 7,
	    "directory.ranges[0]: user 1005@127.0.0.1 is already defined by "
	    "directory.users[0] (line 3)",
	    NULL);
	/* Overlapping ranges, domains without case. */
	conf_refused(
	    "dup3",
	    "directory:\n"
	    "  ranges:\n"
	    "    - {from: 10, to: 20, password: p, domain: A.example}\n"
	    "    - {from: 20, to: 30, password: p, domain: a.EXAMPLE}\n",
	    4, 7,
	    "directory.ranges[1]: user 20@a.EXAMPLE is already defined by "
	    "directory.ranges[0] (line 3)",
	    NULL);
	/* Same id in another domain, and "0100" is not "100". */
	conf_free(load_ok("nodup",
	                  "directory:\n"
	                  "  users:\n"
	                  "    - {id: \"1005\", password: q}\n"
	                  "    - {id: \"1005\", password: q, domain: b}\n"
	                  "  ranges:\n"
	                  "    - {from: \"0100\", to: 199, password: p}\n"
	                  "    - {from: 100, to: 199, password: p}\n"));
}
END_TEST

#define DEMO "directory:\n  ranges: [{from: 1, to: 3, password: \"1234\"}]\n"

START_TEST(demo_password_refused_on_network_listener)
{
	struct conf *c;

	conf_refused(
	    "public", "sip:\n  listen: [127.0.0.1:5060, 0.0.0.0:5060]\n" DEMO,
	    2, 28,
	    "sip.listen[1]: the demo password 1234 is configured "
	    "(directory.ranges[0], user 1) and this listener (0.0.0.0:5060) "
	    "is reachable from the network; change the passwords or set "
	    "directory.lab: true",
	    NULL);
	conf_refused("v6", "sip:\n  listen: ['[2001:db8::1]:5060']\n" DEMO, 2,
	             12, "sip.listen[0]: the demo password 1234", NULL);
	conf_refused(
	    "tls",
	    "sip:\n  tls: {listen: 192.0.2.1:5061, cert: c, key: k}\n" DEMO, 2,
	    17, "sip.tls.listen: the demo password 1234", NULL);
	/* a profile's own address counts as much as sip.listen */
	conf_refused("profile",
	             DEMO "profiles:\n"
	                  "  - {name: internal, auth: true}\n"
	                  "  - name: external\n"
	                  "    acl: [127.0.0.0/8]\n"
	                  "    listen: [127.0.0.1:5080, '[::]:5080']\n",
	             7, 30,
	             "profiles[1].listen[1]: the demo password 1234 is "
	             "configured (user 1) and this listener ([::]:5080) is "
	             "reachable from the network",
	             NULL);

	c = load_ok("lab",
	            "sip:\n  listen: [0.0.0.0:5060]\n" DEMO "  lab: true\n");
	ck_assert_int_eq(c->directory.lab, 1);
	conf_free(c);
	conf_free(load_ok("loop",
	                  "sip:\n  listen: [127.0.0.2:5060, "
	                  "'[::1]:5060', '[::ffff:127.0.0.1]:5070']\n" DEMO));
	/* Another password, or HA1 only: no rule. */
	conf_free(load_ok("other", "sip:\n  listen: [0.0.0.0:5060]\n"
	                           "directory:\n  users:\n"
	                           "    - {id: a, password: \"12345\"}\n"
	                           "    - {id: b, ha1_md5: "
	                           "0123456789abcdef0123456789abcdef}\n"));
}
END_TEST

START_TEST(exposure_of_command_line_addresses)
{
	struct conf_addr loop[2] = {
		{ "127.0.0.1:5060", "127.0.0.1", 5060, AF_INET },
		{ "[::1]:5060", "::1", 5060, AF_INET6 },
	};
	struct conf_addr open[2] = {
		{ "127.0.0.1:5060", "127.0.0.1", 5060, AF_INET },
		{ "10.1.2.3:5060", "10.1.2.3", 5060, AF_INET },
	};
	struct conf *c = NULL;

	ck_assert_int_eq(
	    conf_load(&c, PBX_SOURCE_DIR "/conf/pbx.yaml", err, sizeof(err)),
	    0);
	ck_assert_int_eq(conf_check_exposure(c, loop, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_check_exposure(c, open, 2, err, sizeof(err)),
	                 EPERM);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_str_eq(err,
	                 "10.1.2.3:5060: the demo password 1234 is "
	                 "configured (user 1000) and this listener "
	                 "(10.1.2.3:5060) is reachable from the network; "
	                 "change the passwords or set directory.lab: true");
	ck_assert_int_eq(conf_check_exposure(c, open, 2, NULL, 0), EPERM);
	c->directory.lab = 1;
	ck_assert_int_eq(conf_check_exposure(c, open, 2, err, sizeof(err)), 0);
	conf_free(c);

	c = load_ok("nousers", "sip:\n  listen: [127.0.0.1:5060]\n");
	ck_assert_int_eq(conf_check_exposure(c, open, 2, err, sizeof(err)), 0);
	conf_free(c);
}
END_TEST

START_TEST(registrar_settings)
{
	struct conf *c = load_ok("reg", "registrar:\n"
	                                "  realm: example.com\n"
	                                "  default_expires: 600\n"
	                                "  min_expires: 600\n"
	                                "  max_expires: 600\n"
	                                "  max_bindings: 1000\n"
	                                "  nonce_lifetime: 10\n"
	                                "  secret: \"change-me\"\n"
	                                "  actor_idle: 1\n"
	                                "  expiry_grace: 2\n"
	                                "  throttle:\n"
	                                "    failures: 0\n"
	                                "    window: 5\n"
	                                "    backoff: 2\n"
	                                "    max_backoff: 8\n"
	                                "    user_max_backoff: 4\n");

	ck_assert_str_eq(c->registrar.realm, "example.com");
	ck_assert_uint_eq(c->registrar.default_expires, 600);
	ck_assert_uint_eq(c->registrar.min_expires, 600);
	ck_assert_uint_eq(c->registrar.max_expires, 600);
	ck_assert_uint_eq(c->registrar.max_bindings, 1000);
	ck_assert_uint_eq(c->registrar.nonce_lifetime, 10);
	ck_assert_str_eq(c->registrar.secret, "change-me");
	ck_assert_uint_eq(c->registrar.actor_idle, 1);
	ck_assert_uint_eq(c->registrar.expiry_grace, 2);
	ck_assert_uint_eq(c->registrar.throttle.failures, 0);
	ck_assert_uint_eq(c->registrar.throttle.window, 5);
	ck_assert_uint_eq(c->registrar.throttle.backoff, 2);
	ck_assert_uint_eq(c->registrar.throttle.max_backoff, 8);
	ck_assert_uint_eq(c->registrar.throttle.user_max_backoff, 4);
	conf_free(c);

	conf_refused("idle0", "registrar:\n  actor_idle: 0\n", 2, 15,
	             "registrar.actor_idle: must be 1 to 86400, got 0", NULL);
	conf_refused("grace0", "registrar:\n  expiry_grace: 0\n", 2, 17,
	             "registrar.expiry_grace: must be 1 to 86400, got 0", NULL);
	conf_refused("thrwin", "registrar:\n  throttle: {window: 0}\n", 2, 22,
	             "registrar.throttle.window: must be 1 to 86400, got 0",
	             NULL);
	conf_refused(
	    "thrmax", "registrar:\n  throttle:\n    max_backoff: 10\n", 3, 18,
	    "registrar.throttle.max_backoff: must be at least backoff (30 s, "
	    "the default), got 10",
	    NULL);
	conf_refused("thrkey", "registrar:\n  throttle: {tries: 3}\n", 2, 14,
	             "registrar.throttle: unknown field \"tries\"", NULL);

	conf_refused(
	    "minmax", "registrar:\n  min_expires: 100\n  max_expires: 99\n", 3,
	    16,
	    "registrar.max_expires: must be at least min_expires (100 s), "
	    "got 99",
	    NULL);
	conf_refused(
	    "mindef", "registrar:\n  min_expires: 3601\n", 2, 16,
	    "registrar.min_expires: must not exceed default_expires (3600 "
	    "s, the default), got 3601",
	    NULL);
	conf_refused(
	    "defmin", "registrar:\n  default_expires: 59\n", 2, 20,
	    "registrar.default_expires: must be at least min_expires (60 s, "
	    "the default), got 59",
	    NULL);
	conf_refused(
	    "defmax",
	    "registrar:\n  default_expires: 7201\n  max_expires: 7200\n", 3, 16,
	    "registrar.max_expires: must be at least default_expires (7201 "
	    "s), got 7200",
	    NULL);
	conf_refused(
	    "maxdef", "registrar:\n  max_expires: 3599\n", 2, 16,
	    "registrar.max_expires: must be at least default_expires (3600 "
	    "s, the default), got 3599",
	    NULL);
	conf_refused("bind0", "registrar:\n  max_bindings: 0\n", 2, 17,
	             "registrar.max_bindings: must be 1 to 1000, got 0", NULL);
	conf_refused("bind", "registrar:\n  max_bindings: 1001\n", 2, 17,
	             "registrar.max_bindings: must be 1 to 1000, got 1001",
	             NULL);
	conf_refused("nonce", "registrar:\n  nonce_lifetime: 9\n", 2, 19,
	             "registrar.nonce_lifetime: must be 10 to 86400, got 9",
	             NULL);
	conf_refused("nonce2", "registrar:\n  nonce_lifetime: 86401\n", 2, 19,
	             "registrar.nonce_lifetime: must be 10 to 86400", NULL);
	conf_refused("secret", "registrar:\n  secret: ''\n", 2, 11,
	             "registrar.secret: expected a non-empty secret", NULL);
	conf_refused("realm", "registrar:\n  realm: 'a\"b'\n", 2, 10,
	             "registrar.realm: expected a realm without quotes", NULL);
}
END_TEST

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 5 /* ASan makes every allocation and access slower */
#else
#define SLOW 1
#endif

START_TEST(range_of_100000_users_loads_fast)
{
	struct conf *c;
	const struct conf_user *u;
	size_t before, after;
	double t0, t;

	put("big", "directory:\n"
	           "  ranges:\n"
	           "    - from: 100000\n"
	           "      to: 199999\n"
	           "      password: \"pw-{id}\"\n"
	           "      display_name: \"User {id}\"\n"
	           "      number: \"{id}\"\n"
	           "      context: default\n"
	           "      variables: [\"group=bulk-{id}\"]\n");
	c = NULL;
	before = heap_used();
	t0 = now_s();
	ck_assert_msg(conf_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	t = now_s() - t0;
	after = heap_used();
	ck_assert_uint_eq(c->directory.user_count, 100000);
	u = &c->directory.users[54321];
	ck_assert_str_eq(u->id, "154321");
	ck_assert_str_eq(u->password, "pw-154321");
	ck_assert_str_eq(u->display_name, "User 154321");
	ck_assert_str_eq(u->number, "154321");
	ck_assert_str_eq(u->context, "default");
	ck_assert_uint_eq(u->var_count, 1);
	ck_assert_str_eq(u->vars[0].name, "group");
	ck_assert_str_eq(u->vars[0].value, "bulk-154321");
	ck_assert_str_eq(c->directory.users[99999].id, "199999");
	fprintf(stderr,
	        "100000 users: %.1f ms, %zu bytes on the heap (%zu per user)\n",
	        t * 1e3, after - before, (after - before) / 100000);
	ck_assert_msg(t < 1.0 * SLOW, "took %.3f s", t);
	/* struct conf_user is 80 bytes; the strings about 60 more. */
	if (after > before)
		ck_assert_uint_lt(after - before, 100000 * 200);
	conf_free(c);
}
END_TEST

static Suite *
dir_suite(void)
{
	Suite *s = suite_create("conf_dir");
	TCase *tc = tcase_create("directory");

	tcase_add_test(tc, shipped_file_has_extensions_1000_to_1019);
	tcase_add_test(tc, defaults_without_directory_or_registrar);
	tcase_add_test(tc, users_and_ranges_in_file_order);
	tcase_add_test(tc, ha1_values_are_checked);
	tcase_add_test(tc, bad_users_and_variables);
	tcase_add_test(tc, range_bounds_are_checked);
	tcase_add_test(tc, duplicate_id_names_both_places);
	tcase_add_test(tc, demo_password_refused_on_network_listener);
	tcase_add_test(tc, exposure_of_command_line_addresses);
	tcase_add_test(tc, registrar_settings);
	tcase_add_test(tc, range_of_100000_users_loads_fast);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conf_fixture_run(dir_suite(), "test_conf_dir");
}
