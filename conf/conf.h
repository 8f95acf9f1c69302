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
};

struct conf_cluster {
	char *listen; /* nng URL; default "tcp://127.0.0.1:7100" */
	char **peers; /* nng URLs; default none */
	size_t peer_count;
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

struct conf_sip {
	struct conf_addr *listen; /* default one: 127.0.0.1:5060 */
	size_t listen_count;      /* at least 1 */
	struct conf_sip_tls tls;
	uint32_t max_message_size; /* bytes, 1024..1048576, default 65536 */
	struct conf_sip_timers timers;
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
};

struct conf {
	struct conf_node node;
	struct conf_log log;
	struct conf_admin admin;
	struct conf_cluster cluster;
	struct conf_sip sip;
	struct conf_directory directory;
	struct conf_registrar registrar;
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

/* "error", "warn", "info" or "debug". */
const char *conf_log_level_name(enum conf_log_level level);

#endif
