/* The libcyaml schema of the configuration file, and what each setting should
 * look like for error messages. Every field is optional: defaults are applied
 * in check.c, where a missing value is still NULL. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf_int.h"

#define OPT CYAML_FLAG_OPTIONAL
/* A section left empty (all of its lines commented out) means defaults. */
#define SECTION (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL_STR)
/* The same for a list: "users:" with every entry commented out. */
#define LIST (CYAML_FLAG_POINTER | OPT | CYAML_FLAG_POINTER_NULL_STR)
#define TEXT(key, type, member)                                                \
	CYAML_FIELD_STRING_PTR(key, OPT, type, member, 0, CYAML_UNLIMITED)

static const cyaml_schema_value_t text_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t node_fields[] = {
	TEXT("name", struct conf_raw_node, name),
	TEXT("id", struct conf_raw_node, id),
	TEXT("data_dir", struct conf_raw_node, data_dir),
	TEXT("workers", struct conf_raw_node, workers),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t log_fields[] = {
	TEXT("level", struct conf_raw_log, level),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t admin_fields[] = {
	TEXT("listen", struct conf_raw_admin, listen),
	TEXT("token", struct conf_raw_admin, token),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cluster_fields[] = {
	TEXT("listen", struct conf_raw_cluster, listen),
	CYAML_FIELD_SEQUENCE("peers", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_cluster, peers, &text_entry, 0,
	                     CYAML_UNLIMITED),
	TEXT("secret", struct conf_raw_cluster, secret),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t tls_fields[] = {
	TEXT("listen", struct conf_raw_tls, listen),
	TEXT("cert", struct conf_raw_tls, cert),
	TEXT("key", struct conf_raw_tls, key),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t timers_fields[] = {
	TEXT("t1", struct conf_raw_timers, t1),
	TEXT("t2", struct conf_raw_timers, t2),
	TEXT("t4", struct conf_raw_timers, t4),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t tcp_fields[] = {
	TEXT("write_queue", struct conf_raw_tcp, write_queue),
	TEXT("message_timeout", struct conf_raw_tcp, message_timeout),
	TEXT("idle_timeout", struct conf_raw_tcp, idle_timeout),
	TEXT("max_connections", struct conf_raw_tcp, max_connections),
	TEXT("fd_reserve", struct conf_raw_tcp, fd_reserve),
	TEXT("max_per_source", struct conf_raw_tcp, max_per_source),
	TEXT("buffer_budget", struct conf_raw_tcp, buffer_budget),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t sip_fields[] = {
	CYAML_FIELD_SEQUENCE("listen", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_sip, listen, &text_entry, 0,
	                     CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("tls", SECTION, struct conf_raw_sip, tls,
	                        tls_fields),
	TEXT("max_message_size", struct conf_raw_sip, max_message_size),
	CYAML_FIELD_MAPPING_PTR("timers", SECTION, struct conf_raw_sip, timers,
	                        timers_fields),
	CYAML_FIELD_MAPPING_PTR("tcp", SECTION, struct conf_raw_sip, tcp,
	                        tcp_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t user_fields[] = {
	TEXT("id", struct conf_raw_user, id),
	TEXT("domain", struct conf_raw_user, domain),
	TEXT("password", struct conf_raw_user, password),
	TEXT("ha1_md5", struct conf_raw_user, ha1_md5),
	TEXT("ha1_sha256", struct conf_raw_user, ha1_sha256),
	TEXT("display_name", struct conf_raw_user, display_name),
	TEXT("number", struct conf_raw_user, number),
	TEXT("context", struct conf_raw_user, context),
	CYAML_FIELD_SEQUENCE("variables", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_user, variables, &text_entry, 0,
	                     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t user_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_user,
	                    user_fields),
};

static const cyaml_schema_field_t range_fields[] = {
	TEXT("from", struct conf_raw_range, from),
	TEXT("to", struct conf_raw_range, to),
	TEXT("domain", struct conf_raw_range, domain),
	TEXT("password", struct conf_raw_range, password),
	TEXT("display_name", struct conf_raw_range, display_name),
	TEXT("number", struct conf_raw_range, number),
	TEXT("context", struct conf_raw_range, context),
	CYAML_FIELD_SEQUENCE("variables", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_range, variables, &text_entry, 0,
	                     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t range_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_range,
	                    range_fields),
};

static const cyaml_schema_field_t directory_fields[] = {
	TEXT("domain", struct conf_raw_directory, domain),
	TEXT("lab", struct conf_raw_directory, lab),
	CYAML_FIELD_SEQUENCE("users", LIST, struct conf_raw_directory, users,
	                     &user_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("ranges", LIST, struct conf_raw_directory, ranges,
	                     &range_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t throttle_fields[] = {
	TEXT("failures", struct conf_raw_throttle, failures),
	TEXT("window", struct conf_raw_throttle, window),
	TEXT("backoff", struct conf_raw_throttle, backoff),
	TEXT("max_backoff", struct conf_raw_throttle, max_backoff),
	TEXT("user_max_backoff", struct conf_raw_throttle, user_max_backoff),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t registrar_fields[] = {
	TEXT("realm", struct conf_raw_registrar, realm),
	TEXT("default_expires", struct conf_raw_registrar, default_expires),
	TEXT("min_expires", struct conf_raw_registrar, min_expires),
	TEXT("max_expires", struct conf_raw_registrar, max_expires),
	TEXT("max_bindings", struct conf_raw_registrar, max_bindings),
	TEXT("nonce_lifetime", struct conf_raw_registrar, nonce_lifetime),
	TEXT("secret", struct conf_raw_registrar, secret),
	TEXT("digest", struct conf_raw_registrar, digest),
	TEXT("actor_idle", struct conf_raw_registrar, actor_idle),
	CYAML_FIELD_MAPPING_PTR("throttle", SECTION, struct conf_raw_registrar,
	                        throttle, throttle_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t profile_fields[] = {
	TEXT("name", struct conf_raw_profile, name),
	CYAML_FIELD_SEQUENCE("listen", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_profile, listen, &text_entry, 0,
	                     CYAML_UNLIMITED),
	TEXT("auth", struct conf_raw_profile, auth),
	TEXT("context", struct conf_raw_profile, context),
	CYAML_FIELD_SEQUENCE("codecs", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_profile, codecs, &text_entry, 0,
	                     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("acl", CYAML_FLAG_POINTER | OPT,
	                     struct conf_raw_profile, acl, &text_entry, 0,
	                     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t profile_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_profile,
	                    profile_fields),
};

static const cyaml_schema_field_t calls_fields[] = {
	TEXT("timeout", struct conf_raw_calls, timeout),
	TEXT("session_expires", struct conf_raw_calls, session_expires),
	TEXT("min_se", struct conf_raw_calls, min_se),
	TEXT("cdr_file", struct conf_raw_calls, cdr_file),
	TEXT("max_calls", struct conf_raw_calls, max_calls),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t storage_fields[] = {
	TEXT("retention", struct conf_raw_storage, retention),
	TEXT("prune_interval", struct conf_raw_storage, prune_interval),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t condition_fields[] = {
	TEXT("field", struct conf_raw_condition, field),
	TEXT("expression", struct conf_raw_condition, expression),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t condition_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_condition,
	                    condition_fields),
};

static const cyaml_schema_field_t extension_fields[] = {
	TEXT("name", struct conf_raw_extension, name),
	CYAML_FIELD_SEQUENCE("conditions", LIST, struct conf_raw_extension,
	                     conditions, &condition_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("actions", LIST, struct conf_raw_extension,
	                     actions, &text_entry, 0, CYAML_UNLIMITED),
	TEXT("continue", struct conf_raw_extension, cont),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t extension_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_extension,
	                    extension_fields),
};

static const cyaml_schema_field_t context_fields[] = {
	TEXT("context", struct conf_raw_context, context),
	CYAML_FIELD_SEQUENCE("extensions", LIST, struct conf_raw_context,
	                     extensions, &extension_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t context_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conf_raw_context,
	                    context_fields),
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_MAPPING_PTR("node", SECTION, struct conf_raw, node,
	                        node_fields),
	CYAML_FIELD_MAPPING_PTR("log", SECTION, struct conf_raw, log,
	                        log_fields),
	CYAML_FIELD_MAPPING_PTR("admin", SECTION, struct conf_raw, admin,
	                        admin_fields),
	CYAML_FIELD_MAPPING_PTR("cluster", SECTION, struct conf_raw, cluster,
	                        cluster_fields),
	CYAML_FIELD_MAPPING_PTR("sip", SECTION, struct conf_raw, sip,
	                        sip_fields),
	CYAML_FIELD_MAPPING_PTR("directory", SECTION, struct conf_raw,
	                        directory, directory_fields),
	CYAML_FIELD_MAPPING_PTR("registrar", SECTION, struct conf_raw,
	                        registrar, registrar_fields),
	CYAML_FIELD_SEQUENCE("profiles", LIST, struct conf_raw, profiles,
	                     &profile_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("calls", SECTION, struct conf_raw, calls,
	                        calls_fields),
	CYAML_FIELD_MAPPING_PTR("storage", SECTION, struct conf_raw, storage,
	                        storage_fields),
	CYAML_FIELD_SEQUENCE("dialplan", LIST, struct conf_raw, dialplan,
	                     &context_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

const cyaml_schema_value_t conf_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct conf_raw, top_fields),
};

static const struct {
	const char *path;
	const char *expect;
} expects[] = {
	{ "", "a mapping of sections (node, log, admin, cluster, sip, "
	      "directory, registrar, profiles, calls, storage, dialplan)" },
	{ "node", "a mapping" },
	{ "node.name", "a name" },
	{ "node.id", "an integer" },
	{ "node.data_dir", "a directory path" },
	{ "node.workers", "an integer" },
	{ "log", "a mapping" },
	{ "log.level", "one of error, warn, info, debug" },
	{ "admin", "a mapping" },
	{ "admin.listen", "an nng URL" },
	{ "admin.token", "a token" },
	{ "cluster", "a mapping" },
	{ "cluster.listen", "an nng URL" },
	{ "cluster.peers", "a list of nng URLs" },
	{ "cluster.peers[]", "an nng URL" },
	{ "cluster.secret", "a secret" },
	{ "sip", "a mapping" },
	{ "sip.listen", "a list of ADDR:PORT" },
	{ "sip.listen[]", "an ADDR:PORT" },
	{ "sip.tls", "a mapping" },
	{ "sip.tls.listen", "an ADDR:PORT" },
	{ "sip.tls.cert", "a file path" },
	{ "sip.tls.key", "a file path" },
	{ "sip.max_message_size", "an integer" },
	{ "sip.timers", "a mapping" },
	{ "sip.timers.t1", "an integer" },
	{ "sip.timers.t2", "an integer" },
	{ "sip.timers.t4", "an integer" },
	{ "sip.tcp", "a mapping" },
	{ "sip.tcp.write_queue", "an integer" },
	{ "sip.tcp.message_timeout", "an integer" },
	{ "sip.tcp.idle_timeout", "an integer" },
	{ "sip.tcp.max_connections", "an integer" },
	{ "sip.tcp.fd_reserve", "an integer" },
	{ "sip.tcp.max_per_source", "an integer" },
	{ "sip.tcp.buffer_budget", "an integer" },
	{ "directory", "a mapping" },
	{ "directory.domain", "a domain" },
	{ "directory.lab", "true or false" },
	{ "directory.users", "a list of users" },
	{ "directory.users[]", "a user (a mapping with id and password)" },
	{ "directory.users[].id", "a user id" },
	{ "directory.users[].domain", "a domain" },
	{ "directory.users[].password", "a password" },
	{ "directory.users[].ha1_md5", "32 hex digits" },
	{ "directory.users[].ha1_sha256", "64 hex digits" },
	{ "directory.users[].display_name", "a name" },
	{ "directory.users[].number", "a number" },
	{ "directory.users[].context", "a context name" },
	{ "directory.users[].variables", "a list of name=value" },
	{ "directory.users[].variables[]", "a name=value" },
	{ "directory.ranges", "a list of ranges" },
	{ "directory.ranges[]", "a range (a mapping with from, to and "
	                        "password)" },
	{ "directory.ranges[].from", "a number" },
	{ "directory.ranges[].to", "a number" },
	{ "directory.ranges[].domain", "a domain" },
	{ "directory.ranges[].password", "a password" },
	{ "directory.ranges[].display_name", "a name" },
	{ "directory.ranges[].number", "a number" },
	{ "directory.ranges[].context", "a context name" },
	{ "directory.ranges[].variables", "a list of name=value" },
	{ "directory.ranges[].variables[]", "a name=value" },
	{ "registrar", "a mapping" },
	{ "registrar.realm", "a realm" },
	{ "registrar.default_expires", "an integer" },
	{ "registrar.min_expires", "an integer" },
	{ "registrar.max_expires", "an integer" },
	{ "registrar.max_bindings", "an integer" },
	{ "registrar.nonce_lifetime", "an integer" },
	{ "registrar.secret", "a secret" },
	{ "registrar.digest", "md5, sha-256 or both" },
	{ "registrar.actor_idle", "an integer" },
	{ "registrar.throttle", "a mapping" },
	{ "registrar.throttle.failures", "an integer" },
	{ "registrar.throttle.window", "an integer" },
	{ "registrar.throttle.backoff", "an integer" },
	{ "registrar.throttle.max_backoff", "an integer" },
	{ "registrar.throttle.user_max_backoff", "an integer" },
	{ "profiles", "a list of profiles" },
	{ "profiles[]", "a profile (a mapping with name, listen, auth, "
	                "context, codecs, acl)" },
	{ "profiles[].name", "a profile name" },
	{ "profiles[].listen", "a list of ADDR:PORT" },
	{ "profiles[].listen[]", "an ADDR:PORT" },
	{ "profiles[].auth", "true or false" },
	{ "profiles[].context", "a context name" },
	{ "profiles[].codecs", "a list of codec names" },
	{ "profiles[].codecs[]", "a codec name" },
	{ "profiles[].acl", "a list of networks (CIDR)" },
	{ "profiles[].acl[]", "a network such as 127.0.0.0/8" },
	{ "storage", "a mapping" },
	{ "storage.retention", "an integer" },
	{ "storage.prune_interval", "an integer" },
	{ "calls", "a mapping" },
	{ "calls.timeout", "an integer" },
	{ "calls.session_expires", "an integer" },
	{ "calls.min_se", "an integer" },
	{ "calls.cdr_file", "a file path" },
	{ "calls.max_calls", "an integer" },
	{ "dialplan", "a list of contexts" },
	{ "dialplan[]", "a context (a mapping with context and extensions)" },
	{ "dialplan[].context", "a context name" },
	{ "dialplan[].extensions", "a list of extensions" },
	{ "dialplan[].extensions[]", "an extension (a mapping with name, "
	                             "conditions, actions, continue)" },
	{ "dialplan[].extensions[].name", "an extension name" },
	{ "dialplan[].extensions[].conditions", "a list of conditions" },
	{ "dialplan[].extensions[].conditions[]", "a condition (a mapping "
	                                          "with field and "
	                                          "expression)" },
	{ "dialplan[].extensions[].conditions[].field", "a field name" },
	{ "dialplan[].extensions[].conditions[].expression",
	  "a regular expression" },
	{ "dialplan[].extensions[].actions", "a list of \"app data\"" },
	{ "dialplan[].extensions[].actions[]", "an \"app data\" string" },
	{ "dialplan[].extensions[].continue", "true or false" },
};

const cyaml_schema_field_t *
conf_schema_fields(const char *path)
{
	const cyaml_schema_field_t *f = top_fields;
	const char *p = path;

	while (*p != '\0') {
		size_t n = strcspn(p, ".[");
		const cyaml_schema_field_t *hit = NULL;
		const cyaml_schema_value_t *v;

		for (; f->key != NULL; f++) {
			if (strlen(f->key) == n && memcmp(f->key, p, n) == 0) {
				hit = f;
				break;
			}
		}
		if (hit == NULL)
			return NULL;
		v = &hit->value;
		p += n;
		/* "directory.users[2]": the fields of a list's entries. */
		if (*p == '[' && v->type == CYAML_SEQUENCE) {
			v = v->sequence.entry;
			p += strcspn(p, "]");
			if (*p == ']')
				p++;
		}
		if (v->type != CYAML_MAPPING)
			return NULL;
		f = v->mapping.fields;
		if (*p == '.')
			p++;
	}
	return f;
}

const char *
conf_schema_expect(const char *path)
{
	char norm[128];
	size_t i = 0;
	int in_index = 0;

	/* "sip.listen[3]" is looked up as "sip.listen[]". */
	for (; *path != '\0' && i + 1 < sizeof(norm); path++) {
		if (*path == '[')
			in_index = 1;
		else if (*path == ']')
			in_index = 0;
		else if (in_index)
			continue;
		norm[i++] = *path;
	}
	norm[i] = '\0';

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		if (strcmp(expects[i].path, norm) == 0)
			return expects[i].expect;
	}
	return "something else";
}

void
conf_schema_names(char *buf, size_t len, const cyaml_schema_field_t *f)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (; f != NULL && f->key != NULL; f++) {
		int n = snprintf(buf + used, len - used, "%s%s",
		                 used > 0 ? ", " : "", f->key);

		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}
