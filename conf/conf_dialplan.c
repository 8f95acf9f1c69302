/* The dialplan: contexts of extensions, each a list of conditions (a field
 * and a PCRE2 expression, compiled here) and actions ("app data"). A file
 * without a dialplan gets the built-in one below. Then every profile's and
 * every user's context must be in it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "conf_int.h"
#include "q850.h"

#define MAX_SLEEP_MS 3600000

static const char *const fields[] = {
	"destination_number",
	"caller_id_number",
	"caller_id_name",
	"network_addr",
	"profile",
	"context",
	"user",
};

static const char *const apps[] = {
	[CONF_DP_ANSWER] = "answer",
	[CONF_DP_PRE_ANSWER] = "pre_answer",
	[CONF_DP_RING_READY] = "ring_ready",
	[CONF_DP_SET] = "set",
	[CONF_DP_BRIDGE] = "bridge",
	[CONF_DP_TRANSFER] = "transfer",
	[CONF_DP_HANGUP] = "hangup",
	[CONF_DP_SLEEP] = "sleep",
	[CONF_DP_LOG] = "log",
};

#define NAPPS (sizeof(apps) / sizeof(apps[0]))

/* The built-in dialplan, as conf/pbx.yaml writes it out: the extensions
 * 1000 to 1019 are reachable from both contexts; nothing else matches, so
 * any other number is refused. */
static struct conf_raw_condition builtin_cond[] = {
	{ .field = "destination_number", .expression = "^(10[01][0-9])$" },
};
static char *builtin_actions[] = { "bridge user/$1" };
static struct conf_raw_extension builtin_ext[] = {
	{ .name = "local",
	  .conditions = builtin_cond,
	  .conditions_count = 1,
	  .actions = builtin_actions,
	  .actions_count = 1 },
};
static const struct conf_raw_context builtin[] = {
	{ .context = "default",
	  .extensions = builtin_ext,
	  .extensions_count = 1 },
	{ .context = "public",
	  .extensions = builtin_ext,
	  .extensions_count = 1 },
};

void
conf_dialplan_fini(struct conf_dialplan *dp)
{
	size_t i, j, k;

	for (i = 0; i < dp->context_count; i++) {
		struct conf_dp_context *x = &dp->contexts[i];

		for (j = 0; j < x->extension_count; j++) {
			struct conf_dp_extension *e = &x->extensions[j];

			for (k = 0; k < e->condition_count; k++) {
				free(e->conditions[k].field);
				free(e->conditions[k].expression);
				pcre2_code_free(e->conditions[k].re);
			}
			for (k = 0; k < e->action_count; k++)
				free(e->actions[k].data);
			free(e->conditions);
			free(e->actions);
			free(e->name);
		}
		free(x->extensions);
		free(x->name);
	}
	free(dp->contexts);
	memset(dp, 0, sizeof(*dp));
}

const struct conf_dp_context *
conf_dp_context_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < c->dialplan.context_count; i++) {
		if (strcmp(c->dialplan.contexts[i].name, name) == 0)
			return &c->dialplan.contexts[i];
	}
	return NULL;
}

static int
name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return 0;
	}
	return n > 0 && n <= max;
}

/* "${NAME}" is the channel variable NAME; anything else must be one of
 * fields[]. On success *out is the name the engine asks the channel for. */
static int
take_field(char **out, struct conf_doc *d, const char *path, const char *s)
{
	size_t i, n = strlen(s);
	char names[200] = "";

	if (n > 3 && strncmp(s, "${", 2) == 0 && s[n - 1] == '}') {
		char var[80];

		if (n - 3 >= sizeof(var))
			return conf_bad(d, path, "expected a shorter name");
		memcpy(var, s + 2, n - 3);
		var[n - 3] = '\0';
		if (!name_ok(var, 64, "._-"))
			return conf_bad(d, path,
			                "expected ${NAME}, NAME of A-Z a-z "
			                "0-9 . _ -");
		return conf_dup_str(out, var);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(s, fields[i]) == 0)
			return conf_dup_str(out, s);
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		         "%s, ", fields[i]);
	}
	return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
	                     "unknown field \"%s\" (known: %s${NAME} for a "
	                     "channel variable)",
	                     s, names);
}

static int
take_condition(struct conf_dp_condition *k, struct conf_doc *d,
               const char *base, const struct conf_raw_condition *r)
{
	char path[192], msg[160];
	PCRE2_SIZE off;
	int code, rc;

	if (r->field == NULL || r->expression == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, base, 0), base,
		                     "%s is required",
		                     r->field ? "expression" : "field");
	snprintf(path, sizeof(path), "%s.field", base);
	rc = take_field(&k->field, d, path, r->field);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s.expression", base);
	k->re = pcre2_compile((PCRE2_SPTR)r->expression, PCRE2_ZERO_TERMINATED,
	                      0, &code, &off, NULL);
	if (k->re == NULL) {
		char why[200];

		if (code == PCRE2_ERROR_NOMEMORY)
			return ENOMEM;
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(why, sizeof(why), "%s at offset %zu", msg,
		         (size_t)off);
		return conf_bad_why(d, path, "expected a regular expression",
		                    why);
	}
	return conf_dup_str(&k->expression, r->expression);
}

/* "app data": the app, then the data with the spaces around it trimmed. */
static int
split_action(char *app, size_t applen, const char **data, size_t *datalen,
             const char *s)
{
	size_t n = strcspn(s, " \t");

	if (n == 0 || n >= applen)
		return EINVAL;
	memcpy(app, s, n);
	app[n] = '\0';
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*data = s;
	*datalen = n;
	return 0;
}

static int
bad_action(struct conf_doc *d, const char *path, const char *fmt,
           const char *app)
{
	char what[160];

	snprintf(what, sizeof(what), fmt, app);
	return conf_bad(d, path, what);
}

/* Checks what an app's data must look like; `dp` holds every context by
 * now, for transfer. */
static int
check_data(const struct conf_dialplan *dp, struct conf_doc *d, const char *path,
           enum conf_dp_app app, const char *data)
{
	const char *p;
	size_t n;

	switch (app) {
	case CONF_DP_ANSWER:
	case CONF_DP_PRE_ANSWER:
	case CONF_DP_RING_READY:
		if (data != NULL)
			return bad_action(d, path, "%s takes no data",
			                  apps[app]);
		return 0;
	case CONF_DP_HANGUP:
		if (data != NULL && q850_parse(data) == 0)
			return conf_bad(
			    d, path,
			    "expected hangup [CAUSE], CAUSE a Q.850 "
			    "name such as USER_BUSY or a number 1 to "
			    "127");
		return 0;
	default:
		break;
	}
	if (data == NULL)
		return bad_action(d, path, "%s needs data", apps[app]);
	switch (app) {
	case CONF_DP_SET:
		n = strcspn(data, "=");
		if (data[n] != '=' || n == 0 || n > 64 ||
		    strspn(
		        data,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789._-") != n)
			return conf_bad(d, path,
			                "expected set NAME=VALUE, NAME of A-Z "
			                "a-z 0-9 . _ -");
		return 0;
	case CONF_DP_TRANSFER:
		n = strcspn(data, " \t");
		p = data + n + strspn(data + n, " \t");
		if (*p == '\0')
			return 0;
		if (strpbrk(p, " \t") != NULL)
			return conf_bad(
			    d, path, "expected transfer EXTENSION [CONTEXT]");
		if (strchr(p, '$') != NULL)
			return 0; /* known only when the call runs */
		for (n = 0; n < dp->context_count; n++) {
			if (strcmp(dp->contexts[n].name, p) == 0)
				return 0;
		}
		return conf_bad_why(d, path,
		                    "expected transfer EXTENSION "
		                    "[CONTEXT]",
		                    "no such context");
	case CONF_DP_SLEEP:
		n = strspn(data, "0123456789");
		if (n == 0 || data[n] != '\0' || n > 7 ||
		    strtoul(data, NULL, 10) > MAX_SLEEP_MS)
			return conf_bad(d, path,
			                "expected sleep MS, 0 to 3600000 "
			                "milliseconds");
		return 0;
	default:
		return 0; /* bridge and log: any text; bridge is parsed when
		             it runs, after $1 and ${var} are known */
	}
}

static int
take_action(struct conf_dp_action *a, const struct conf_dialplan *dp,
            struct conf_doc *d, const char *path, const char *s)
{
	char app[32], names[160] = "";
	const char *data;
	size_t n, i;
	int rc;

	if (split_action(app, sizeof(app), &data, &n, s) != 0)
		return conf_bad(d, path, "expected \"app data\"");
	for (i = 0; i < NAPPS; i++) {
		if (strcmp(app, apps[i]) == 0)
			break;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		         "%s%s", i ? ", " : "", apps[i]);
	}
	if (i == NAPPS)
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "unknown application \"%s\" (known: %s)",
		                     app, names);
	a->app = (enum conf_dp_app)i;
	if (n > 0) {
		a->data = strndup(data, n);
		if (a->data == NULL)
			return ENOMEM;
	}
	rc = check_data(dp, d, path, a->app, a->data);
	return rc;
}

static int
take_extension(struct conf_dp_extension *e, const struct conf_dialplan *dp,
               struct conf_doc *d, const char *base,
               const struct conf_raw_extension *r)
{
	char path[160];
	unsigned i;
	int rc;

	if (r->name == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, base, 0), base,
		                     "name is required");
	snprintf(path, sizeof(path), "%s.name", base);
	if (!name_ok(r->name, 64, "._-+*#"))
		return conf_bad(d, path,
		                "expected 1 to 64 of A-Z a-z 0-9 . _ - + * #");
	rc = conf_dup_str(&e->name, r->name);
	snprintf(path, sizeof(path), "%s.continue", base);
	if (!rc)
		rc = conf_take_bool(&e->cont, d, path, r->cont);
	if (!rc && r->actions_count == 0 && !e->cont) {
		snprintf(path, sizeof(path), "%s.actions", base);
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "expected at least one action");
	}
	if (rc)
		return rc;
	e->conditions = calloc(r->conditions_count + 1, sizeof(*e->conditions));
	e->actions = calloc(r->actions_count + 1, sizeof(*e->actions));
	if (e->conditions == NULL || e->actions == NULL)
		return ENOMEM;
	for (i = 0; i < r->conditions_count && !rc; i++) {
		snprintf(path, sizeof(path), "%s.conditions[%u]", base, i);
		e->condition_count = i + 1;
		rc = take_condition(&e->conditions[i], d, path,
		                    &r->conditions[i]);
	}
	for (i = 0; i < r->actions_count && !rc; i++) {
		snprintf(path, sizeof(path), "%s.actions[%u]", base, i);
		e->action_count = i + 1;
		rc = take_action(&e->actions[i], dp, d, path, r->actions[i]);
	}
	return rc;
}

static int
take_contexts(struct conf_dialplan *dp, struct conf_doc *d,
              const struct conf_raw_context *r, size_t n)
{
	char path[96];
	size_t i, j;
	int rc = 0;

	dp->contexts = calloc(n, sizeof(*dp->contexts));
	if (dp->contexts == NULL)
		return ENOMEM;
	/* Names first, so that transfer can name a later context. */
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "dialplan[%zu]", i);
		if (r[i].context == NULL)
			return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
			                     "context is required");
		snprintf(path, sizeof(path), "dialplan[%zu].context", i);
		if (!name_ok(r[i].context, 64, "._-"))
			return conf_bad(
			    d, path, "expected 1 to 64 of A-Z a-z 0-9 . _ -");
		for (j = 0; j < i; j++) {
			if (strcmp(dp->contexts[j].name, r[i].context) == 0)
				return conf_doc_fail(
				    d, conf_doc_mark(d, path, 0), path,
				    "context \"%s\" is already defined by "
				    "dialplan[%zu]",
				    r[i].context, j);
		}
		dp->context_count = i + 1;
		if (conf_dup_str(&dp->contexts[i].name, r[i].context))
			return ENOMEM;
	}
	for (i = 0; i < n && !rc; i++) {
		struct conf_dp_context *x = &dp->contexts[i];

		x->extensions =
		    calloc(r[i].extensions_count + 1, sizeof(*x->extensions));
		if (x->extensions == NULL)
			return ENOMEM;
		for (j = 0; j < r[i].extensions_count && !rc; j++) {
			snprintf(path, sizeof(path),
			         "dialplan[%zu].extensions[%zu]", i, j);
			x->extension_count = j + 1;
			rc = take_extension(&x->extensions[j], dp, d, path,
			                    &r[i].extensions[j]);
		}
	}
	return rc;
}

static void
context_names(char *buf, size_t len, const struct conf_dialplan *dp)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < dp->context_count && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                 dp->contexts[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int
missing(struct conf_doc *d, const struct conf_dialplan *dp, const char *path,
        const char *whose, const char *ctx, int is_default)
{
	char names[200];

	context_names(names, sizeof(names), dp);
	/* A whole section ("dialplan", "directory") is pointed at by its
	 * key. */
	return conf_doc_fail(
	    d, conf_doc_mark(d, path, !strpbrk(path, ".[")), path,
	    "the context \"%s\"%s of %s is not in the "
	    "dialplan (contexts: %s)",
	    ctx, is_default ? " (the default)" : "", whose, names);
}

static int
check_profile_contexts(const struct conf *c, const struct conf_raw *raw,
                       struct conf_doc *d)
{
	char path[64], whose[64];
	size_t i;

	for (i = 0; i < c->profile_count; i++) {
		const struct conf_profile *p = &c->profiles[i];
		int given = raw->profiles_count > 0 && raw->profiles[i].context;

		if (conf_dp_context_find(c, p->context) != NULL)
			continue;
		snprintf(whose, sizeof(whose), "profile %s", p->name);
		if (raw->profiles_count == 0)
			return missing(d, &c->dialplan, "dialplan", whose,
			               p->context, 1);
		snprintf(path, sizeof(path),
		         given ? "profiles[%zu].context" : "profiles[%zu]", i);
		return missing(d, &c->dialplan, path, whose, p->context,
		               !given);
	}
	return 0;
}

/* The users: first as written (a range's context without "{id}" is checked
 * once for the whole range), then one by one for the contexts that depend
 * on the id. */
static int
check_user_contexts(const struct conf *c, const struct conf_raw *raw,
                    struct conf_doc *d)
{
	const struct conf_raw_directory *r = raw->directory;
	const char *last = NULL;
	char path[64], whose[128];
	unsigned i;
	size_t u;

	for (i = 0; r != NULL && i < r->users_count; i++) {
		const char *ctx = r->users[i].context;

		if ((ctx && strstr(ctx, "{id}")) ||
		    conf_dp_context_find(c, ctx ? ctx : "default"))
			continue;
		snprintf(path, sizeof(path),
		         ctx ? "directory.users[%u].context"
		             : "directory.users[%u]",
		         i);
		snprintf(whose, sizeof(whose), "user %s",
		         r->users[i].id ? r->users[i].id : "?");
		return missing(d, &c->dialplan, path, whose,
		               ctx ? ctx : "default", !ctx);
	}
	for (i = 0; r != NULL && i < r->ranges_count; i++) {
		const char *ctx = r->ranges[i].context;

		if ((ctx && strstr(ctx, "{id}")) ||
		    conf_dp_context_find(c, ctx ? ctx : "default"))
			continue;
		snprintf(path, sizeof(path),
		         ctx ? "directory.ranges[%u].context"
		             : "directory.ranges[%u]",
		         i);
		snprintf(whose, sizeof(whose), "users %s to %s",
		         r->ranges[i].from, r->ranges[i].to);
		return missing(d, &c->dialplan, path, whose,
		               ctx ? ctx : "default", !ctx);
	}
	for (u = 0; u < c->directory.user_count; u++) {
		const struct conf_user *usr = &c->directory.users[u];

		/* Users of a range share their context string. */
		if (usr->context == last ||
		    conf_dp_context_find(c, usr->context)) {
			last = usr->context;
			continue;
		}
		snprintf(whose, sizeof(whose), "user %s@%s", usr->id,
		         usr->domain);
		return missing(d, &c->dialplan, "directory", whose,
		               usr->context, 0);
	}
	return 0;
}

int
conf_check_dialplan(struct conf *c, const struct conf_raw *raw,
                    struct conf_doc *d)
{
	int rc;

	if (raw->dialplan_count == 0) {
		c->dialplan.builtin = 1;
		return take_contexts(&c->dialplan, d, builtin,
		                     sizeof(builtin) / sizeof(builtin[0]));
	}
	rc = take_contexts(&c->dialplan, d, raw->dialplan, raw->dialplan_count);
	if (!rc)
		rc = check_profile_contexts(c, raw, d);
	if (!rc)
		rc = check_user_contexts(c, raw, d);
	return rc;
}
