/* The daemon's configuration: one YAML file loaded into plain C structs.
 *
 * Every setting is optional and has a default (see conf/pbx.yaml and
 * conf/README.md). A file that is not valid is refused as a whole, with one
 * line that names the file, the line and column, and the setting:
 *
 *   pbx.yaml:7:12: node.workers: expected an integer, got "many"
 */
#ifndef PBX_CONF_H
#define PBX_CONF_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct pcre2_real_code_8; /* pcre2_code with PCRE2_CODE_UNIT_WIDTH 8 */

enum conf_log_level {
	CONF_LOG_ERROR = 0,
	CONF_LOG_WARN,
	CONF_LOG_INFO,
	CONF_LOG_DEBUG,
};

/* An "ADDR:PORT" listen address, checked with inet_pton. */
struct conf_addr {
	char text[64]; /* as written: "127.0.0.1:5060" or "[::1]:5060" */
	char host[46]; /* the address alone, without brackets */
	uint16_t port; /* 1..65535 */
	int family;    /* AF_INET or AF_INET6 */
};

struct conf_node {
	char name[64];    /* 1-63 of [A-Za-z0-9._-]; default "pbx1" */
	uint32_t id;      /* nonzero; default 1 */
	char *data_dir;   /* default "./data" */
	uint32_t workers; /* 0..256, 0 = one per core; default 0 */
};

struct conf_log {
	enum conf_log_level level; /* default CONF_LOG_INFO */
};

struct conf_admin {
	char *listen; /* nng URL; default "tcp://127.0.0.1:7000" */
	char *token;  /* NULL, or 16-256 printable ASCII characters: then
	               * every admin request must carry it */
};

struct conf_cluster {
	char *listen; /* nng URL; default "tcp://127.0.0.1:7100" */
	char **peers; /* nng URLs; default none */
	size_t peer_count;
	char *secret; /* key of the link MAC, shared by the cluster; NULL if
	                 not set (loopback only: a demo secret) */
};

struct conf_sip_tls {
	int enabled;             /* 1 when the file has a sip.tls section */
	struct conf_addr listen; /* default 127.0.0.1:5061 */
	char *cert;              /* PEM paths, both set when enabled */
	char *key;
};

struct conf_sip_timers {
	uint32_t t1; /* ms, 1..60000, default 500 */
	uint32_t t2; /* ms, t1..60000, default 4000 */
	uint32_t t4; /* ms, 1..60000, default 5000 */
};

/* Limits of SIP over TCP and TLS (sip.tcp), per node. */
struct conf_sip_tcp {
	uint32_t write_queue; /* bytes queued per connection, default 262144 */
	uint32_t message_timeout; /* s from a message's first byte; 10 */
	uint32_t idle_timeout;    /* s without a message, default 300 */
	uint32_t max_connections; /* 0 (default): from RLIMIT_NOFILE */
	uint32_t fd_reserve;     /* descriptors kept for the rest, default 64 */
	uint32_t max_per_source; /* per IPv4 address, IPv6 /64; default 256 */
	uint32_t buffer_budget;  /* bytes, all buffers, default 134217728 */
};

struct conf_sip {
	struct conf_addr *listen; /* default one: 127.0.0.1:5060 */
	size_t listen_count;      /* at least 1 */
	struct conf_sip_tls tls;
	uint32_t max_message_size; /* bytes, 1024..1048576, default 65536 */
	struct conf_sip_timers timers;
	struct conf_sip_tcp tcp;
};

/* A "name=value" channel variable set on a user's calls. */
struct conf_var {
	char *name;
	char *value;
};

/* A SIP user of the directory. Its strings belong to the struct conf and
 * several users may share one (a range's common password, "default"): read
 * them, never free or change them. */
struct conf_user {
	char *id;         /* "1000": the SIP user part, [A-Za-z0-9._+-]{1,64} */
	char *domain;     /* the directory's domain unless set */
	char *password;   /* NULL when only HA1 values are given */
	char *ha1_md5;    /* 32 lowercase hex, or NULL */
	char *ha1_sha256; /* 64 lowercase hex, or NULL */
	char *display_name; /* caller id name; default: the id */
	char *number;       /* caller id number; default: the id */
	char *context;      /* dialplan context; default "default" */
	struct conf_var *vars;
	size_t var_count;
};

struct conf_directory {
	char *domain; /* default "127.0.0.1" */
	int lab;      /* 1: allow the demo password on non-loopback listeners */
	struct conf_user
	    *users; /* explicit users AND expanded ranges, in file order */
	size_t user_count;
};

struct conf_registrar {
	char *realm;              /* default: directory.domain */
	uint32_t default_expires; /* s, default 3600 */
	uint32_t min_expires;     /* s, default 60 (423 below it) */
	uint32_t max_expires;     /* s, default 7200 (clamped to it) */
	uint32_t max_bindings;    /* per AOR, default 10, 1..1000 */
	uint32_t nonce_lifetime;  /* s, default 300, 10..86400 */
	char *secret; /* nonce HMAC secret, shared by the cluster; NULL if not
	                 set */
	unsigned digest; /* CONF_DIGEST_* offered in challenges; default both */
	uint32_t actor_idle; /* s, an AOR's actor without bindings stops; 32 */
	/* failed authentications (REGISTER and INVITE): per source and per
	 * user, `failures` within `window` start a backoff of `backoff`,
	 * doubled each time up to `max_backoff` (a source) or
	 * `user_max_backoff` (a user); failures 0: off */
	struct conf_throttle {
		uint32_t failures;         /* default 10 */
		uint32_t window;           /* s, default 60 */
		uint32_t backoff;          /* s, default 30 */
		uint32_t max_backoff;      /* s, default 3600 */
		uint32_t user_max_backoff; /* s, default 300 */
	} throttle;
};

#define CONF_DIGEST_MD5    1u
#define CONF_DIGEST_SHA256 2u

/* An ACL entry: "127.0.0.0/8", "::1/128", or an address alone (a host). */
struct conf_acl_net {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; 4 bytes used for AF_INET */
	uint8_t prefix;   /* 0..32 or 0..128 */
	char text[64];    /* as written */
};

/* A SIP profile: where calls come in and how they are treated. */
struct conf_profile {
	char *name;               /* [a-z0-9_-]{1,32}, unique */
	struct conf_addr *listen; /* a copy of sip.listen for the profile
	                             that names no address of its own */
	size_t listen_count;
	int auth;      /* 1: callers must authenticate (digest) */
	char *context; /* dialplan context of calls arriving here */
	char **codecs; /* in order of preference: PCMU, PCMA, G722, opus */
	size_t codec_count;
	struct conf_acl_net *acl; /* who may send; see conf_acl_allows() */
	size_t acl_count;
};

/* Retention of the event log (storage/, cluster/repl.h). */
struct conf_storage {
	uint32_t retention;      /* s, events older than this may go; 3600 */
	uint32_t prune_interval; /* s, how often retention runs; 60 */
};

struct conf_calls {
	uint32_t timeout;         /* s, no-answer timeout of a bridge; 60 */
	uint32_t session_expires; /* s, RFC 4028 Session-Expires; 1800 */
	uint32_t min_se;          /* s, RFC 4028 Min-SE, 90..session_expires */
	char *cdr_file;     /* JSON lines of call records; NULL: none written */
	uint32_t max_calls; /* concurrent calls of this node, 0: unlimited */
};

/* The applications a dialplan action may run. */
enum conf_dp_app {
	CONF_DP_ANSWER = 0,
	CONF_DP_PRE_ANSWER,
	CONF_DP_RING_READY,
	CONF_DP_SET,      /* "var=value" */
	CONF_DP_BRIDGE,   /* a bridge string, required */
	CONF_DP_TRANSFER, /* "EXT [CONTEXT]" */
	CONF_DP_HANGUP,   /* optional Q.850 cause, name or number */
	CONF_DP_SLEEP,    /* milliseconds */
	CONF_DP_LOG,      /* text */
};

/* A condition: `field`'s value must match `re`. `field` is what the
 * dialplan engine asks the channel for: a built-in field name
 * (destination_number, caller_id_number, caller_id_name, network_addr,
 * profile, context, user) or, for "${NAME}" in the file, the channel
 * variable name NAME. */
struct conf_dp_condition {
	char *field;
	char *expression;             /* as written */
	struct pcre2_real_code_8 *re; /* compiled at load */
};

struct conf_dp_action {
	enum conf_dp_app app;
	char *data; /* NULL when the action has none; may hold $1 and ${x} */
};

struct conf_dp_extension {
	char *name;
	struct conf_dp_condition *conditions; /* none: always matches */
	size_t condition_count;
	struct conf_dp_action *actions;
	size_t action_count;
	int cont; /* "continue: true": keep looking after a match */
};

struct conf_dp_context {
	char *name;
	struct conf_dp_extension *extensions;
	size_t extension_count;
};

struct conf_dialplan {
	struct conf_dp_context *contexts; /* names unique */
	size_t context_count;
	int builtin; /* 1: the file has no dialplan, the built-in one is used */
};

struct conf {
	struct conf_node node;
	struct conf_log log;
	struct conf_admin admin;
	struct conf_cluster cluster;
	struct conf_sip sip;
	struct conf_directory directory;
	struct conf_registrar registrar;
	struct conf_profile *profiles; /* at least one */
	size_t profile_count;
	struct conf_calls calls;
	struct conf_dialplan dialplan;
	struct conf_storage storage;
};

/* Loads and checks the YAML file at `path`. Returns 0 and a new *out for
 * conf_free(), or an errno: the one from opening or reading the file, EFBIG
 * past 1 MiB, ENOMEM, or EINVAL for anything wrong in the file itself. On error
 * *out is untouched and `err` (if errlen > 0) holds one line without a
 * newline, "FILE:LINE:COL: FIELD.PATH: what is wrong" (just "FILE: ..." when
 * the file cannot be read). */
int conf_load(struct conf **out, const char *path, char *err, size_t errlen);

/* Frees everything conf_load() returned; NULL is fine. */
void conf_free(struct conf *c);

/* The demo password rule for listen addresses given outside the file (pbxd
 * --sip replaces sip.listen): returns EPERM, and one line in `err` naming the
 * address, when a user of `c` has the password "1234", directory.lab is off
 * and one of the `n` addresses is not loopback (127.0.0.0/8, ::1); else 0.
 * conf_load() already applies it to sip.listen and sip.tls.listen. */
int conf_check_exposure(const struct conf *c, const struct conf_addr *listen,
                        size_t n, char *err, size_t errlen);

/* 1 when the admin URL can only be reached from this machine: tcp:// on
 * a loopback address (127.0.0.0/8, [::1], localhost), ipc:// (a socket
 * file, made 0600) or inproc://; else 0. */
int conf_admin_is_local(const char *url);
/* The admin rule after overrides (pbxd --admin): EPERM and one line in
 * `err` (starting with the URL) when admin.listen is not local and admin.token
 * is not set; else 0. conf_load() already applies it to the file's
 * admin.listen. */
int conf_check_admin(const struct conf *c, char *err, size_t errlen);

/* 1 when a request from `sa` (AF_INET or AF_INET6; an IPv4-mapped IPv6
 * address counts as IPv4) may reach profile `p`, else 0. With an acl, the
 * address must be in one of its networks; without one, everybody may send to
 * a profile with auth and nobody to one without (an open external profile
 * must say who may use it). Pure: no I/O, safe from any thread. */
int conf_acl_allows(const struct conf_profile *p, const struct sockaddr *sa);

/* The context named `name` of the dialplan, or NULL. */
const struct conf_dp_context *conf_dp_context_find(const struct conf *c,
                                                   const char *name);

/* "error", "warn", "info" or "debug". */
const char *conf_log_level_name(enum conf_log_level level);

#endif
