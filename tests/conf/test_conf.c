/* conf/: the shipped pbx.yaml, defaults, and the one-line error for each way a
 * file can be wrong (file name, line, column and setting asserted). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ftw.h>
#include <unistd.h>

#include "conf.h"
#include "conf_fixture.h"

/* The file must be refused with "PATH:LINE:COL: " followed by `start`. */
static void
refused(const char *name, const char *text, int line, int col,
        const char *start)
{
	struct conf sentinel, *c = &sentinel; /* must stay untouched */
	char head[256];
	int rc;

	put(name, text);
	rc = conf_load(&c, path, err, sizeof(err));
	ck_assert_int_eq(rc, EINVAL);
	ck_assert_ptr_eq(c, &sentinel);
	ck_assert_ptr_null(strchr(err, '\n'));
	snprintf(head, sizeof(head), "%s:%d:%d: %s", path, line, col, start);
	ck_assert_msg(strncmp(err, head, strlen(head)) == 0,
	              "\n got:  %s\n want: %s...", err, head);
}

static void
assert_defaults(const struct conf *c)
{
	ck_assert_str_eq(c->node.name, "pbx1");
	ck_assert_uint_eq(c->node.id, 1);
	ck_assert_str_eq(c->node.data_dir, "./data");
	ck_assert_uint_eq(c->node.workers, 0);
	ck_assert_int_eq(c->log.level, CONF_LOG_INFO);
	ck_assert_str_eq(c->admin.listen, "tcp://127.0.0.1:7000");
	ck_assert_str_eq(c->cluster.listen, "tcp://127.0.0.1:7100");
	ck_assert_uint_eq(c->cluster.peer_count, 0);
	ck_assert_uint_eq(c->sip.listen_count, 1);
	ck_assert_str_eq(c->sip.listen[0].text, "127.0.0.1:5060");
	ck_assert_str_eq(c->sip.listen[0].host, "127.0.0.1");
	ck_assert_uint_eq(c->sip.listen[0].port, 5060);
	ck_assert_int_eq(c->sip.listen[0].family, AF_INET);
	ck_assert_int_eq(c->sip.tls.enabled, 0);
	ck_assert_ptr_null(c->sip.tls.cert);
	ck_assert_ptr_null(c->sip.tls.key);
	ck_assert_uint_eq(c->sip.max_message_size, 65536);
	ck_assert_uint_eq(c->sip.timers.t1, 500);
	ck_assert_uint_eq(c->sip.timers.t2, 4000);
	ck_assert_uint_eq(c->sip.timers.t4, 5000);
	ck_assert_uint_eq(c->sip.tcp.write_queue, 262144);
	ck_assert_uint_eq(c->sip.tcp.message_timeout, 10);
	ck_assert_uint_eq(c->sip.tcp.idle_timeout, 300);
	ck_assert_uint_eq(c->sip.tcp.max_connections, 0);
	ck_assert_uint_eq(c->sip.tcp.fd_reserve, 64);
	ck_assert_uint_eq(c->sip.tcp.max_per_source, 256);
	ck_assert_uint_eq(c->sip.tcp.buffer_budget, 134217728);
}

START_TEST(shipped_file_loads_with_defaults_on_loopback)
{
	struct conf *c = NULL;
	int rc =
	    conf_load(&c, PBX_SOURCE_DIR "/conf/pbx.yaml", err, sizeof(err));

	ck_assert_msg(rc == 0, "%s", err);
	assert_defaults(c);
	ck_assert_str_eq(err, "");
	conf_free(c);
}
END_TEST

START_TEST(omitted_sections_get_defaults)
{
	struct conf *c = load_ok("partial", "log:\n  level: debug\n");

	ck_assert_int_eq(c->log.level, CONF_LOG_DEBUG);
	ck_assert_str_eq(conf_log_level_name(c->log.level), "debug");
	c->log.level = CONF_LOG_INFO;
	assert_defaults(c);
	conf_free(c);

	c = load_ok("braces", "{}\n");
	assert_defaults(c);
	conf_free(c);

	/* A section whose lines are all commented out. */
	c = load_ok("hollow", "node:\n  # name: x\nsip:\n  timers:\n");
	assert_defaults(c);
	conf_free(c);
}
END_TEST

START_TEST(every_setting_is_read)
{
	struct conf *c =
	    load_ok("full", "node:\n"
	                    "  name: edge-2.lab_x\n"
	                    "  id: 4294967295\n"
	                    "  data_dir: /var/lib/pbx\n"
	                    "  workers: 256\n"
	                    "log: {level: warn}\n"
	                    "admin:\n"
	                    "  listen: ipc:///run/pbx/admin\n"
	                    "cluster:\n"
	                    "  listen: tls+tcp://[::1]:7100\n"
	                    "  peers:\n"
	                    "    - tcp://10.0.0.2:7100\n"
	                    "    - inproc://peer\n"
	                    "sip:\n"
	                    "  listen: ['[::1]:5070', 0.0.0.0:5080]\n"
	                    "  tls:\n"
	                    "    listen: '[::]:5061'\n"
	                    "    cert: /etc/pbx/cert.pem\n"
	                    "    key: /etc/pbx/key.pem\n"
	                    "  max_message_size: 1024\n"
	                    "  timers: {t1: 1, t2: 1, t4: 60000}\n"
	                    "  tcp:\n"
	                    "    write_queue: 4096\n"
	                    "    message_timeout: 3600\n"
	                    "    idle_timeout: 1\n"
	                    "    max_connections: 1048576\n"
	                    "    fd_reserve: 0\n"
	                    "    max_per_source: 1\n"
	                    "    buffer_budget: 4294967295\n");

	ck_assert_str_eq(c->node.name, "edge-2.lab_x");
	ck_assert_uint_eq(c->node.id, 4294967295u);
	ck_assert_str_eq(c->node.data_dir, "/var/lib/pbx");
	ck_assert_uint_eq(c->node.workers, 256);
	ck_assert_int_eq(c->log.level, CONF_LOG_WARN);
	ck_assert_str_eq(c->admin.listen, "ipc:///run/pbx/admin");
	ck_assert_str_eq(c->cluster.listen, "tls+tcp://[::1]:7100");
	ck_assert_uint_eq(c->cluster.peer_count, 2);
	ck_assert_str_eq(c->cluster.peers[0], "tcp://10.0.0.2:7100");
	ck_assert_str_eq(c->cluster.peers[1], "inproc://peer");
	ck_assert_uint_eq(c->sip.listen_count, 2);
	ck_assert_str_eq(c->sip.listen[0].text, "[::1]:5070");
	ck_assert_str_eq(c->sip.listen[0].host, "::1");
	ck_assert_uint_eq(c->sip.listen[0].port, 5070);
	ck_assert_int_eq(c->sip.listen[0].family, AF_INET6);
	ck_assert_str_eq(c->sip.listen[1].host, "0.0.0.0");
	ck_assert_uint_eq(c->sip.listen[1].port, 5080);
	ck_assert_int_eq(c->sip.tls.enabled, 1);
	ck_assert_str_eq(c->sip.tls.listen.host, "::");
	ck_assert_uint_eq(c->sip.tls.listen.port, 5061);
	ck_assert_str_eq(c->sip.tls.cert, "/etc/pbx/cert.pem");
	ck_assert_str_eq(c->sip.tls.key, "/etc/pbx/key.pem");
	ck_assert_uint_eq(c->sip.max_message_size, 1024);
	ck_assert_uint_eq(c->sip.timers.t1, 1);
	ck_assert_uint_eq(c->sip.timers.t2, 1);
	ck_assert_uint_eq(c->sip.timers.t4, 60000);
	ck_assert_uint_eq(c->sip.tcp.write_queue, 4096);
	ck_assert_uint_eq(c->sip.tcp.message_timeout, 3600);
	ck_assert_uint_eq(c->sip.tcp.idle_timeout, 1);
	ck_assert_uint_eq(c->sip.tcp.max_connections, 1048576);
	ck_assert_uint_eq(c->sip.tcp.fd_reserve, 0);
	ck_assert_uint_eq(c->sip.tcp.max_per_source, 1);
	ck_assert_uint_eq(c->sip.tcp.buffer_budget, 4294967295u);
	conf_free(c);
}
END_TEST

START_TEST(tls_listen_defaults_to_5061)
{
	struct conf *c = load_ok("tls", "sip:\n"
	                                "  tls:\n"
	                                "    cert: c.pem\n"
	                                "    key: k.pem\n");

	ck_assert_int_eq(c->sip.tls.enabled, 1);
	ck_assert_str_eq(c->sip.tls.listen.text, "127.0.0.1:5061");
	ck_assert_uint_eq(c->sip.tls.listen.port, 5061);
	conf_free(c);
}
END_TEST

START_TEST(tcp_limits_out_of_range)
{
	refused("wq", "sip:\n  tcp:\n    write_queue: 100\n", 3, 18,
	        "sip.tcp.write_queue: must be 4096 to 1073741824, got 100");
	refused("mt", "sip:\n  tcp: {message_timeout: 0}\n", 2, 26,
	        "sip.tcp.message_timeout: must be 1 to 3600, got 0");
	refused("ps", "sip:\n  tcp:\n    max_per_source: 0\n", 3, 21,
	        "sip.tcp.max_per_source: must be 1 to 1048576, got 0");
	refused("bb", "sip:\n  tcp:\n    buffer_budget: 1000\n", 3, 20,
	        "sip.tcp.buffer_budget: must be at least 65536, got 1000");
	refused("unknown", "sip:\n  tcp:\n    write_queu: 1\n", 3, 5,
	        "sip.tcp: unknown field \"write_queu\"; did you mean "
	        "\"write_queue\"?");
}
END_TEST

START_TEST(yaml_syntax_error)
{
	refused("syntax", "node:\n  name: a\n   id: 2\n", 3, 6,
	        "YAML syntax error: mapping values are not allowed");
	refused("nocolon", "node:\n  name: a\n  workers\nlog: {}\n", 3, 3,
	        "YAML syntax error: could not find expected ':'");
	refused("quote", "node:\n  name: \"pbx1\n", 2, 9,
	        "YAML syntax error: found unexpected end of stream");
	refused("tab", "node:\n\tname: a\n", 2, 1, "YAML syntax error: ");
	ck_assert_ptr_nonnull(strstr(err, "tabs"));
}
END_TEST

START_TEST(unknown_top_level_key)
{
	refused("top", "node:\n  id: 2\nsipp:\n  listen: []\n", 3, 1,
	        "unknown section \"sipp\"; did you mean \"sip\"?");
	ck_assert_ptr_nonnull(strstr(err, "node, log, admin, cluster, sip"));
}
END_TEST

START_TEST(unknown_nested_key)
{
	refused("nested", "log:\n  level: info\nnode:\n  wrokers: 4\n", 4, 3,
	        "node: unknown field \"wrokers\"; did you mean \"workers\"?");
	refused("deeper", "sip:\n  timers:\n    t1: 500\n    t3: 1\n", 4, 5,
	        "sip.timers: unknown field \"t3\"");
	refused("far", "admin:\n  bind: tcp://127.0.0.1:1\n", 2, 3,
	        "admin: unknown field \"bind\" (known: listen, token)");
}
END_TEST

START_TEST(wrong_type)
{
	refused("workers",
	        "log:\n  level: info\n\n\n\nnode:\n  workers: many\n", 7, 12,
	        "node.workers: expected an integer, got \"many\"");
	refused("float", "node:\n  workers: 1.5\n", 2, 12,
	        "node.workers: expected an integer, got \"1.5\"");
	refused("list", "node:\n  name: [a, b]\n", 2, 9,
	        "node.name: expected a name, got a list");
	refused("scalar", "node: 5\n", 1, 7,
	        "node: expected a mapping, got \"5\"");
	refused("notlist", "sip:\n  listen: 127.0.0.1:5060\n", 2, 11,
	        "sip.listen: expected a list of ADDR:PORT, got "
	        "\"127.0.0.1:5060\"");
	refused("entry", "cluster:\n  peers:\n    - tcp://a:1\n    - {x: 1}\n",
	        4, 7, "cluster.peers[1]: expected an nng URL, got a mapping");
	refused("toplist", "- node\n", 1, 1,
	        "expected a mapping of sections (node, log, admin, cluster, "
	        "sip, directory, registrar, profiles, calls, storage, "
	        "dialplan), got "
	        "a list");
}
END_TEST

START_TEST(workers_out_of_range)
{
	refused("w257", "node:\n  workers: 257\n", 2, 12,
	        "node.workers: must be 0 to 256, got 257");
	refused("wneg", "node:\n  workers: -1\n", 2, 12,
	        "node.workers: must be 0 to 256, got -1");
	refused("whuge", "node:\n  workers: 99999999999999999999999\n", 2, 12,
	        "node.workers: must be 0 to 256, got 9999");
}
END_TEST

START_TEST(id_zero)
{
	refused("id0", "node:\n  name: a\n  id: 0\n", 3, 7,
	        "node.id: must be at least 1, got 0");
	refused("idbig", "node:\n  id: 4294967296\n", 2, 7,
	        "node.id: must be at least 1, got 4294967296");
}
END_TEST

START_TEST(bad_node_name)
{
	refused("name", "node:\n  name: \"pbx one\"\n", 2, 9,
	        "node.name: expected 1 to 63 letters, digits, '.', '_' or '-', "
	        "got \"pbx one\"");
	refused(
	    "longname",
	    "node:\n  name: "
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    "\n",
	    2, 9, "node.name: expected 1 to 63");
	refused("emptydir", "node:\n  data_dir: ''\n", 2, 13,
	        "node.data_dir: expected a non-empty value");
}
END_TEST

START_TEST(bad_log_level)
{
	refused("level", "log:\n  level: verbose\n", 2, 10,
	        "log.level: expected one of error, warn, info, debug, got "
	        "\"verbose\"");
}
END_TEST

START_TEST(bad_url)
{
	refused("http", "admin:\n  listen: http://127.0.0.1:7000\n", 2, 11,
	        "admin.listen: expected an nng URL, got "
	        "\"http://127.0.0.1:7000\": it must start with tcp://");
	refused("noport", "cluster:\n  listen: tcp://127.0.0.1\n", 2, 11,
	        "cluster.listen: expected an nng URL, got \"tcp://127.0.0.1\"");
	refused("peer", "cluster:\n  peers:\n  - tcp://a:7100\n  - tcp://b:0\n",
	        4, 5,
	        "cluster.peers[1]: expected an nng URL, got \"tcp://b:0\"");
	refused("samelisten", "cluster:\n  listen: tcp://127.0.0.1:7000\n", 2,
	        11, "cluster.listen: expected another address than admin");
}
END_TEST

START_TEST(admin_off_loopback_needs_a_token)
{
	static const char *const local[] = {
		"tcp://127.0.0.1:7000", "tcp://127.9.8.7:7000",
		"tcp://[::1]:7000",     "tcp://[::ffff:127.0.0.1]:7000",
		"tcp://localhost:7000", "ipc:///run/pbx/admin.sock",
		"inproc://admin",
	};
	static const char *const open[] = {
		"tcp://0.0.0.0:7000",
		"tcp://[::]:7000",
		"tcp://*:7000",
		"tcp://:7000",
		"tcp://10.0.0.1:7000",
		"tcp://pbx.example.com:7000",
		"tls+tcp://127.0.0.1:7000",
		"ws://127.0.0.1:7000",
	};
	struct conf *c;

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		ck_assert_msg(conf_admin_is_local(local[i]), "%s", local[i]);
	for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
		ck_assert_msg(!conf_admin_is_local(open[i]), "%s", open[i]);

	refused("adminopen", "admin:\n  listen: tcp://0.0.0.0:7000\n", 2, 11,
	        "admin.listen: tcp://0.0.0.0:7000 is reachable from the "
	        "network and admin.token is not set");
	refused("shorttoken",
	        "admin:\n  listen: tcp://0.0.0.0:7000\n  token: abc\n", 3, 10,
	        "admin.token: expected 16 to 256 characters, got \"abc\"");
	refused("spacetoken", "admin:\n  token: \"0123456789 abcdef\"\n", 2, 10,
	        "admin.token: expected printable ASCII without spaces");
	c = load_ok("token", "admin:\n  listen: tcp://0.0.0.0:7000\n"
	                     "  token: 0123456789abcdef\n");
	ck_assert_str_eq(c->admin.token, "0123456789abcdef");
	ck_assert_int_eq(conf_check_admin(c, err, sizeof(err)), 0);
	free(c->admin.token); /* as without the line, after pbxd --admin */
	c->admin.token = NULL;
	ck_assert_int_eq(conf_check_admin(c, err, sizeof(err)), EPERM);
	ck_assert_str_eq(err,
	                 "tcp://0.0.0.0:7000 is reachable from the network "
	                 "and admin.token is not set; set admin.token (16 "
	                 "or more characters) or listen on loopback "
	                 "(tcp://127.0.0.1:PORT) or ipc://PATH");
	conf_free(c);
	c = load_ok("notoken", "node:\n  id: 2\n");
	ck_assert_ptr_null(c->admin.token);
	ck_assert_int_eq(conf_check_admin(c, err, sizeof(err)), 0);
	conf_free(c);
}
END_TEST

/* The cluster secret: unset by default, at least 16 characters, and an
 * error never shows it. */
START_TEST(cluster_secret)
{
	struct conf *c = load_ok("nosecret", "node:\n  name: a\n");

	ck_assert_ptr_null(c->cluster.secret);
	conf_free(c);
	c = load_ok("secret", "cluster:\n  secret: \"sixteen chars ok\"\n");
	ck_assert_str_eq(c->cluster.secret, "sixteen chars ok");
	conf_free(c);
	refused("shortsecret", "cluster:\n  secret: hunter2\n", 2, 11,
	        "cluster.secret: expected a secret of 16 to 256 characters, "
	        "got 7");
	ck_assert_ptr_null(strstr(err, "hunter2"));
}
END_TEST

START_TEST(bad_sip_listen_address)
{
	refused("name", "sip:\n  listen:\n    - localhost:5060\n", 3, 7,
	        "sip.listen[0]: expected ADDR:PORT, got \"localhost:5060\": "
	        "localhost is not an IPv4 address");
	refused("v6", "sip:\n  listen: ['[::1]:5060', '::1:5060']\n", 2, 26,
	        "sip.listen[1]: expected ADDR:PORT, got \"::1:5060\"");
	refused("port", "sip:\n  listen: [127.0.0.1:65536]\n", 2, 12,
	        "sip.listen[0]: expected ADDR:PORT, got \"127.0.0.1:65536\": "
	        "the port must be 1 to 65535");
	refused("noport", "sip:\n  listen: [127.0.0.1]\n", 2, 12,
	        "sip.listen[0]: expected ADDR:PORT");
	refused("twice", "sip:\n  listen: ['[::1]:5060', '[0::1]:5060']\n", 2,
	        26, "sip.listen[1]: [0::1]:5060 is listed twice");
	refused("none", "sip:\n  listen: []\n", 2, 11,
	        "sip.listen: expected at least one ADDR:PORT");
	refused("tlsclash",
	        "sip:\n  tls: {listen: 127.0.0.1:5060, cert: c, key: k}\n", 2,
	        17, "sip.tls.listen: 127.0.0.1:5060 is also in sip.listen");
}
END_TEST

START_TEST(timer_t2_below_t1)
{
	refused("t2", "sip:\n  timers:\n    t1: 500\n    t2: 499\n", 4, 9,
	        "sip.timers.t2: must be at least t1 (500 ms), got 499");
	refused("t1", "sip:\n  timers:\n    t1: 4001\n", 3, 9,
	        "sip.timers.t1: must not exceed t2 (4000 ms, the default)");
	refused("t0", "sip:\n  timers:\n    t1: 0\n", 3, 9,
	        "sip.timers.t1: must be 1 to 60000, got 0");
	refused("mms", "sip:\n  max_message_size: 1023\n", 2, 21,
	        "sip.max_message_size: must be 1024 to 1048576, got 1023");
}
END_TEST

START_TEST(tls_cert_without_key)
{
	refused("certonly",
	        "sip:\n  listen: ['127.0.0.1:5060']\n  tls:\n    cert: c.pem\n",
	        4, 5, "sip.tls: cert is set but key is missing");
	refused("keyonly", "sip:\n  tls:\n    key: k.pem\n", 3, 5,
	        "sip.tls: key is set but cert is missing");
	refused("neither", "sip:\n  tls:\n    listen: 127.0.0.1:5062\n", 2, 3,
	        "sip.tls: cert and key are required");
}
END_TEST

START_TEST(missing_file)
{
	struct conf *c = NULL;
	char want[256];

	snprintf(path, sizeof(path), "%s/absent.yaml", tmpdir);
	ck_assert_int_eq(conf_load(&c, path, err, sizeof(err)), ENOENT);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path,
	         strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf_load(&c, tmpdir, err, sizeof(err)), EISDIR);
}
END_TEST

START_TEST(empty_file)
{
	refused("empty", "", 1, 1, "the file is empty; expected a mapping");
	refused("comments", "# nothing here\n\n   \n", 1, 1,
	        "the file is empty");
}
END_TEST

START_TEST(duplicate_key_and_second_document)
{
	refused("dup", "node:\n  id: 1\n  name: a\n  id: 2\n", 4, 3,
	        "node: field \"id\" is given twice (first on line 2)");
	refused("twodocs", "node: {}\n---\nnode: {}\n", 2, 1,
	        "a second YAML document");
}
END_TEST

START_TEST(small_or_no_error_buffer)
{
	struct conf *c = NULL;
	char tiny[8];

	put("tiny", "node:\n  workers: many\n");
	ck_assert_int_eq(conf_load(&c, path, tiny, sizeof(tiny)), EINVAL);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
	ck_assert_int_eq(conf_load(&c, path, NULL, 0), EINVAL);
	ck_assert_ptr_null(c);
	conf_free(NULL);
}
END_TEST

/* Loading the same files again and again must not grow: run under ASan, a
 * leak in any path (success or error) fails the sanitizer build. */
START_TEST(repeated_loads_free_everything)
{
	static const char *const texts[] = {
		"node:\n  name: a\n  workers: many\n",
		"cluster:\n  peers: [tcp://a:1, tcp://b:2, bad]\n",
		"sip:\n  listen: [127.0.0.1:5060, '[::1]:5060', x]\n",
		"sip:\n  tls: {cert: a, key: b}\n  timers: {t1: 9, t2: 1}\n",
		"node: &n {name: a}\nlog: *n\n",
	};
	struct conf *c;
	size_t i;
	int round;

	for (round = 0; round < 20; round++) {
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			c = NULL;
			put("again", texts[i]);
			ck_assert_int_ne(conf_load(&c, path, err, sizeof(err)),
			                 0);
			ck_assert_ptr_null(c);
		}
		c = NULL;
		ck_assert_int_eq(conf_load(&c, PBX_SOURCE_DIR "/conf/pbx.yaml",
		                           err, sizeof(err)),
		                 0);
		conf_free(c);
	}
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, shipped_file_loads_with_defaults_on_loopback);
	tcase_add_test(tc, omitted_sections_get_defaults);
	tcase_add_test(tc, every_setting_is_read);
	tcase_add_test(tc, tls_listen_defaults_to_5061);
	tcase_add_test(tc, tcp_limits_out_of_range);
	tcase_add_test(tc, yaml_syntax_error);
	tcase_add_test(tc, unknown_top_level_key);
	tcase_add_test(tc, unknown_nested_key);
	tcase_add_test(tc, wrong_type);
	tcase_add_test(tc, workers_out_of_range);
	tcase_add_test(tc, id_zero);
	tcase_add_test(tc, bad_node_name);
	tcase_add_test(tc, bad_log_level);
	tcase_add_test(tc, bad_url);
	tcase_add_test(tc, admin_off_loopback_needs_a_token);
	tcase_add_test(tc, cluster_secret);
	tcase_add_test(tc, bad_sip_listen_address);
	tcase_add_test(tc, timer_t2_below_t1);
	tcase_add_test(tc, tls_cert_without_key);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, duplicate_key_and_second_document);
	tcase_add_test(tc, small_or_no_error_buffer);
	tcase_add_test(tc, repeated_loads_free_everything);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return conf_fixture_run(conf_suite(), "test_conf");
}
