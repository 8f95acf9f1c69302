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
};

struct conf_raw_cluster {
	char *listen;
	char **peers;
	unsigned peers_count;
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

struct conf_raw_sip {
	char **listen;
	unsigned listen_count;
	struct conf_raw_tls *tls;
	char *max_message_size;
	struct conf_raw_timers *timers;
};

struct conf_raw {
	struct conf_raw_node *node;
	struct conf_raw_log *log;
	struct conf_raw_admin *admin;
	struct conf_raw_cluster *cluster;
	struct conf_raw_sip *sip;
};

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

/* Fills `c` from `raw` with defaults for what is absent, checking every
 * value; on error the line is in d->err. conf_fini() is due either way. */
int conf_check(struct conf *c, const struct conf_raw *raw, struct conf_doc *d);
void conf_fini(struct conf *c);

#endif
