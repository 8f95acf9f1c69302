/* Private to conf/: the raw structs libcyaml fills, the schema, and the
 * libyaml view of the same document that gives every error its line. */
#ifndef PBX_CONF_INT_H
#define PBX_CONF_INT_H

#include <stdarg.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "conf.h"

/* Larger files are refused before parsing (EFBIG). */
#define CONF_MAX_FILE (1024 * 1024)

/* What libcyaml fills; a setting absent from the file stays NULL. Numbers are
 * kept as text: libcyaml 1.3.1 reads "1.5" as 1 and "010" as 8 without a
 * word, so check.c parses them strictly and says what is wrong. */
struct conf_raw_node {
	char *name;
	char *id;
	char *data_dir;
	char *workers;
};

struct conf_raw_log {
	char *level;
};

struct conf_raw_admin {
	char *listen;
	char *token;
};

struct conf_raw_cluster {
	char *listen;
	char **peers;
	unsigned peers_count;
	char *secret;
};

struct conf_raw_tls {
	char *listen;
	char *cert;
	char *key;
};

struct conf_raw_timers {
	char *t1;
	char *t2;
	char *t4;
};

struct conf_raw_tcp {
	char *write_queue;
	char *message_timeout;
	char *idle_timeout;
	char *max_connections;
	char *fd_reserve;
	char *max_per_source;
	char *buffer_budget;
};

struct conf_raw_sip {
	char **listen;
	unsigned listen_count;
	struct conf_raw_tls *tls;
	char *max_message_size;
	struct conf_raw_timers *timers;
	struct conf_raw_tcp *tcp;
};

struct conf_raw_user {
	char *id;
	char *domain;
	char *password;
	char *ha1_md5;
	char *ha1_sha256;
	char *display_name;
	char *number;
	char *context;
	char **variables;
	unsigned variables_count;
};

/* Text fields may hold "{id}"; a range has no HA1 (it depends on the id). */
struct conf_raw_range {
	char *from;
	char *to;
	char *domain;
	char *password;
	char *display_name;
	char *number;
	char *context;
	char **variables;
	unsigned variables_count;
};

struct conf_raw_directory {
	char *domain;
	char *lab;
	struct conf_raw_user *users;
	unsigned users_count;
	struct conf_raw_range *ranges;
	unsigned ranges_count;
};

struct conf_raw_throttle {
	char *failures;
	char *window;
	char *backoff;
	char *max_backoff;
	char *user_max_backoff;
};

struct conf_raw_registrar {
	char *realm;
	char *default_expires;
	char *min_expires;
	char *max_expires;
	char *max_bindings;
	char *nonce_lifetime;
	char *secret;
	char *digest;
	char *actor_idle;
	struct conf_raw_throttle *throttle;
};

struct conf_raw_profile {
	char *name;
	char **listen;
	unsigned listen_count;
	char *auth;
	char *context;
	char **codecs;
	unsigned codecs_count;
	char **acl;
	unsigned acl_count;
};

struct conf_raw_storage {
	char *retention;
	char *prune_interval;
};

struct conf_raw_calls {
	char *timeout;
	char *session_expires;
	char *min_se;
	char *cdr_file;
	char *max_calls;
};

struct conf_raw_condition {
	char *field;
	char *expression;
};

struct conf_raw_extension {
	char *name;
	struct conf_raw_condition *conditions;
	unsigned conditions_count;
	char **actions;
	unsigned actions_count;
	char *cont; /* "continue" */
};

struct conf_raw_context {
	char *context;
	struct conf_raw_extension *extensions;
	unsigned extensions_count;
};

struct conf_raw {
	struct conf_raw_node *node;
	struct conf_raw_log *log;
	struct conf_raw_admin *admin;
	struct conf_raw_cluster *cluster;
	struct conf_raw_sip *sip;
	struct conf_raw_directory *directory;
	struct conf_raw_registrar *registrar;
	struct conf_raw_profile *profiles;
	unsigned profiles_count;
	struct conf_raw_calls *calls;
	struct conf_raw_storage *storage;
	struct conf_raw_context *dialplan;
	unsigned dialplan_count;
};

/* Where the users' strings and variables live: a few large blocks instead of
 * several small allocations per user, so that a range of 100,000 users costs
 * little more than its text. Freed as a whole with the struct conf. */
struct conf_chunk;
struct conf_arena {
	struct conf_chunk *head;
	size_t bytes; /* allocated, for the memory test */
};

/* What conf_load() allocates: the public struct first, so conf_free() finds
 * the rest from it. */
struct conf_box {
	struct conf c;
	struct conf_arena arena;
};

/* conf_arena_take() aligns to `align` (a power of two), conf_arena_alloc()
 * to a pointer; both return NULL on ENOMEM. */
void *conf_arena_take(struct conf_arena *a, size_t n, size_t align);
void *conf_arena_alloc(struct conf_arena *a, size_t n);
char *conf_arena_strdup(struct conf_arena *a, const char *s);
void conf_arena_fini(struct conf_arena *a);

/* schema.c */

extern const cyaml_schema_value_t conf_schema;

/* The fields of the mapping at `path` ("" is the top level), ending with a
 * NULL key, or NULL when the schema has no mapping there. */
const cyaml_schema_field_t *conf_schema_fields(const char *path);

/* What the value at `path` should be, for "expected ..." messages; list
 * entries are matched whatever their index ("sip.listen[3]"). */
const char *conf_schema_expect(const char *path);

/* Writes the known field names of `fields` as "a, b, c". */
void conf_schema_names(char *buf, size_t len, const cyaml_schema_field_t *f);

/* doc.c: the document as libyaml sees it, and error lines that point into
 * it. */

struct conf_doc {
	const char *file;
	char *err;
	size_t errlen;
	yaml_document_t doc;
	int loaded;
};

/* Parses `buf`. Refuses, with a line in d->err, syntax errors, an empty
 * document, a second document, and keys that are not unique plain names.
 * conf_doc_fini() is due whatever it returns. */
int conf_doc_parse(struct conf_doc *d, const uint8_t *buf, size_t len);
void conf_doc_fini(struct conf_doc *d);

/* The value at a dotted path such as "sip.timers.t2" or "sip.listen[1]"
 * ("" is the root), and its key in *key when it has one; NULL if absent. */
yaml_node_t *conf_doc_find(struct conf_doc *d, const char *path,
                           yaml_node_t **key);

/* Where to point for `path`: its key when `at_key` and it has one, else its
 * value; when the path is absent, the deepest part of it that is there. */
yaml_mark_t conf_doc_mark(struct conf_doc *d, const char *path, int at_key);

/* Describes a value for "got ..." messages: "\"many\"", "a list",
 * "a mapping" or "nothing". */
void conf_doc_describe(char *buf, size_t len, const yaml_node_t *n);

/* Writes "FILE:LINE:COL: PATH: message" (no "PATH: " when path is empty)
 * into d->err and returns EINVAL. */
int conf_doc_fail(struct conf_doc *d, yaml_mark_t mark, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* check.c */

/* Fills b->c from `raw` with defaults for what is absent, checking every
 * value; on error the line is in d->err. conf_fini() is due either way. */
int conf_check(struct conf_box *b, const struct conf_raw *raw,
               struct conf_doc *d);
void conf_fini(struct conf_box *b);

/* Shared by the checks: "PATH: what, got <value>[: why]" at the value
 * (EINVAL); a strict unsigned integer in min..max, the default kept when `s`
 * is NULL; a copy of `s` (ENOMEM). */
int conf_bad_why(struct conf_doc *d, const char *path, const char *what,
                 const char *why);
int conf_bad(struct conf_doc *d, const char *path, const char *what);
int conf_take_uint(uint32_t *out, struct conf_doc *d, const char *path,
                   const char *s, uint32_t min, uint32_t max);
int conf_dup_str(char **out, const char *s);
/* "true" or "false"; the default kept when `s` is NULL. */
int conf_take_bool(int *out, struct conf_doc *d, const char *path,
                   const char *s);
/* An ADDR:PORT (EINVAL and the line otherwise); two equal addresses. */
int conf_take_addr(struct conf_addr *a, struct conf_doc *d, const char *path,
                   const char *s);
int conf_same_addr(const struct conf_addr *a, const struct conf_addr *b);

/* conf_directory.c */

/* directory: the users, the ranges expanded, ids unique per domain; then the
 * demo password rule against sip.listen and sip.tls.listen, which must be
 * checked already. */
int conf_check_directory(struct conf_box *b, const struct conf_raw_directory *r,
                         struct conf_doc *d);
void conf_directory_fini(struct conf_directory *dir);

/* profile.c: profiles (after sip), then calls. */
int conf_check_profiles(struct conf *c, const struct conf_raw *raw,
                        struct conf_doc *d);
void conf_profiles_fini(struct conf *c);
int conf_check_storage(struct conf_storage *k, const struct conf_raw_storage *r,
                       struct conf_doc *d);
int conf_check_calls(struct conf_calls *k, const struct conf_raw_calls *r,
                     struct conf_doc *d);

/* conf_dialplan.c: the dialplan (or the built-in one), then whether every
 * profile's and user's context is in it. */
int conf_check_dialplan(struct conf *c, const struct conf_raw *raw,
                        struct conf_doc *d);
void conf_dialplan_fini(struct conf_dialplan *dp);

/* exposure.c */

#define CONF_DEMO_PASSWORD "1234"
/* printf format of the demo password refusal: where the password is set
 * (three strings), then the listener. */
#define CONF_EXPOSED                                                           \
	"the demo password " CONF_DEMO_PASSWORD " is configured (%s%s%s) and " \
	"this listener (%s) is reachable from the network; change the "        \
	"passwords or set directory.lab: true"

/* printf format of the admin refusal: the URL. */
#define CONF_ADMIN_OPEN                                                        \
	"%s is reachable from the network and admin.token is not set; set "    \
	"admin.token (16 or more characters) or listen on loopback "           \
	"(tcp://127.0.0.1:PORT) or ipc://PATH"

/* The demo password rule for the profiles' own addresses (sip.listen and
 * sip.tls.listen are the directory check's): EINVAL and the line of the
 * first one reachable from the network. */
int conf_check_profile_exposure(const struct conf *c, struct conf_doc *d);

/* The first user with the demo password, or NULL. */
const struct conf_user *conf_demo_user(const struct conf_directory *dir);
/* 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
int conf_is_loopback(const struct conf_addr *a);

#endif
