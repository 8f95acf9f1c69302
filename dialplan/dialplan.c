/* The dialplan engine: routing a call through a context, ${var} expansion,
 * bridge strings, and the Q.850 <-> SIP mappings. Pure: it reads the
 * configuration and what the caller's field function returns, nothing
 * else. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dialplan.h"

#define MAX_CAPTURES 10 /* $0..$9 */

_Static_assert(sizeof(enum dp_app) == sizeof(enum conf_dp_app),
               "dp_app mirrors conf_dp_app");

static const char *const app_names[] = {
	[DP_ANSWER] = "answer",
	[DP_PRE_ANSWER] = "pre_answer",
	[DP_RING_READY] = "ring_ready",
	[DP_SET] = "set",
	[DP_BRIDGE] = "bridge",
	[DP_TRANSFER] = "transfer",
	[DP_HANGUP] = "hangup",
	[DP_SLEEP] = "sleep",
	[DP_LOG] = "log",
};

const char *
dp_app_name(enum dp_app app)
{
	if ((unsigned)app >= sizeof(app_names) / sizeof(app_names[0]))
		return "?";
	return app_names[app];
}

void
dp_actions_free(struct dp_actions *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].data);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* A growing string for substitutions. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static int
sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (s == NULL)
			return ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* `data` with $0..$9 taken from `subject` and the first `ncap` pairs of
 * `ov` (ncap 0: no captures). */
static char *
substitute(const char *data, const char *subject, const PCRE2_SIZE *ov,
           int ncap)
{
	struct sbuf b = { 0 };
	const char *p = data, *lit = data;
	int rc = 0;

	for (; *p != '\0' && !rc; p++) {
		int i;

		if (p[0] != '$' || !isdigit((unsigned char)p[1]))
			continue;
		rc = sbuf_add(&b, lit, (size_t)(p - lit));
		i = p[1] - '0';
		if (!rc && i < ncap && ov[2 * i] != PCRE2_UNSET)
			rc = sbuf_add(&b, subject + ov[2 * i],
			              ov[2 * i + 1] - ov[2 * i]);
		p++;
		lit = p + 1;
	}
	if (!rc)
		rc = sbuf_add(&b, lit, strlen(lit));
	if (rc) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static int
append(struct dp_actions *out, const struct conf_dp_extension *e,
       const char *subject, const PCRE2_SIZE *ov, int ncap)
{
	size_t i;

	for (i = 0; i < e->action_count; i++) {
		const struct conf_dp_action *a = &e->actions[i];
		struct dp_action *d;

		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 8;
			struct dp_action *v =
			    realloc(out->v, cap * sizeof(*out->v));

			if (v == NULL)
				return ENOMEM;
			out->v = v;
			out->cap = cap;
		}
		d = &out->v[out->n];
		d->app = (enum dp_app)a->app;
		d->extension = e->name;
		d->data = NULL;
		if (a->data != NULL) {
			d->data = substitute(a->data, subject, ov, ncap);
			if (d->data == NULL)
				return ENOMEM;
		}
		out->n++;
	}
	return 0;
}

/* 1 when every condition of `e` matches; md then holds the last one's
 * captures, *subject its value and *ncap how many pairs are set. */
static int
matches(const struct conf_dp_extension *e, dp_field_fn get, void *arg,
        pcre2_match_data *md, const char **subject, int *ncap)
{
	size_t i;

	*subject = "";
	*ncap = 0;
	for (i = 0; i < e->condition_count; i++) {
		const struct conf_dp_condition *k = &e->conditions[i];
		const char *v = get(arg, k->field);
		int rc;

		if (v == NULL)
			v = "";
		rc = pcre2_match(k->re, (PCRE2_SPTR)v, strlen(v), 0, 0, md,
		                 NULL);
		if (rc < 0)
			return 0; /* no match, or a match error: not taken */
		*subject = v;
		/* 0: more groups than the ovector holds; all of it is set. */
		*ncap = rc == 0 ? MAX_CAPTURES : rc;
	}
	return 1;
}

int
dialplan_route(const struct conf *cf, const char *context, dp_field_fn get,
               void *arg, struct dp_actions *out)
{
	const struct conf_dp_context *x = conf_dp_context_find(cf, context);
	struct dp_actions acts = { 0 };
	pcre2_match_data *md = NULL;
	size_t i;
	int rc = 0;

	if (x == NULL)
		return ENOENT;
	md = pcre2_match_data_create(MAX_CAPTURES, NULL);
	if (md == NULL)
		return ENOMEM;
	for (i = 0; i < x->extension_count; i++) {
		const struct conf_dp_extension *e = &x->extensions[i];
		const char *subject;
		int ncap;

		if (!matches(e, get, arg, md, &subject, &ncap))
			continue;
		rc = append(&acts, e, subject, pcre2_get_ovector_pointer(md),
		            ncap);
		if (rc || !e->cont)
			break;
	}
	pcre2_match_data_free(md);
	if (rc) {
		dp_actions_free(&acts);
		return rc;
	}
	*out = acts;
	return 0;
}

int
dialplan_expand(char *out, size_t n, const char *in, dp_field_fn get, void *arg)
{
	size_t o = 0;
	const char *p = in;

	if (n == 0)
		return ENOSPC;
	while (*p != '\0') {
		const char *piece = p, *close = NULL;
		size_t len = 1;
		char name[128];

		if (p[0] == '$' && p[1] == '{')
			close = strchr(p + 2, '}');
		if (close != NULL && (size_t)(close - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(close - p - 2));
			name[close - p - 2] = '\0';
			piece = get(arg, name);
			if (piece == NULL)
				piece = "";
			len = strlen(piece);
			p = close + 1;
		} else {
			p++;
		}
		if (o + len >= n) {
			out[0] = '\0';
			return ENOSPC;
		}
		memcpy(out + o, piece, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

/* Bridge strings. The copy of the string is cut in place; the arrays are
 * sized from the separators, so nothing grows while parsing. */
struct bridge_mem {
	char *buf;
	struct dp_var *vars;
	struct dp_target *targets;
	struct dp_group *groups;
};

struct bparse {
	struct dp_bridge *b;
	struct bridge_mem *m;
	size_t nvars;
	size_t ntargets;
	size_t ngroups;
};

static int
bfail(struct dp_bridge *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static char *
skip_space(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void
trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int
var_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* "{a=b,c='d,e'}" or "[...]" at *pp; the variables are appended to the
 * flat array and *pp moves past the closing bracket. */
static int
parse_vars(struct bparse *k, char **pp, char close)
{
	char *p = skip_space(*pp + 1);

	if (*p == close) { /* "{}": no variables */
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		struct dp_var *v = &k->m->vars[k->nvars];
		char *name, *value, sep;

		p = skip_space(p);
		name = p;
		while (var_name_char(*p))
			p++;
		if (p == name || *p != '=')
			return bfail(k->b, "expected NAME=VALUE at \"%.20s\"",
			             name);
		*p++ = '\0';
		if (*p == '\'') {
			value = ++p;
			p = strchr(p, '\'');
			if (p == NULL)
				return bfail(
				    k->b, "unclosed quote in the value of %s",
				    name);
			*p++ = '\0';
			p = skip_space(p);
		} else {
			value = p;
			p += strcspn(p, close == '}' ? ",}" : ",]");
		}
		if (*p != ',' && *p != close)
			return bfail(k->b, "missing '%c' after the variables",
			             close);
		sep = *p;
		*p++ = '\0';
		trim_end(value);
		v->name = name;
		v->value = value;
		k->nvars++;
		if (sep == close)
			break;
	}
	*pp = p;
	return 0;
}

static int
check_timeout(struct dp_bridge *b, const struct dp_var *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = v[i].value;
		size_t len = strspn(s, "0123456789");
		unsigned long t = strtoul(s, NULL, 10);

		if (strcmp(v[i].name, "call_timeout") != 0 &&
		    strcmp(v[i].name, "leg_timeout") != 0)
			continue;
		if (len == 0 || s[len] != '\0' || len > 5 || t < 1 || t > 86400)
			return bfail(
			    b, "%s must be 1 to 86400 seconds, got \"%s\"",
			    v[i].name, s);
	}
	return 0;
}

static int
parse_target(struct bparse *k, struct dp_target *t, char *s)
{
	char *at;

	if (*s == '\0')
		return bfail(k->b, "an empty target");
	if (strpbrk(s, " \t[]{}") != NULL)
		return bfail(k->b, "unexpected character in target \"%.40s\"",
		             s);
	if (strncmp(s, "user/", 5) == 0) {
		t->kind = DP_TARGET_USER;
		t->user = s + 5;
		at = strchr(t->user, '@');
		if (at != NULL) {
			*at = '\0';
			t->domain = at + 1;
			if (*t->domain == '\0' || strchr(t->domain, '@'))
				return bfail(k->b, "a bad domain in user/%s@",
				             t->user);
		}
		if (*t->user == '\0' || strchr(t->user, '/') != NULL)
			return bfail(k->b, "user/ needs an id");
		return 0;
	}
	if (strncasecmp(s, "sip:", 4) == 0 || strncasecmp(s, "sips:", 5) == 0) {
		t->kind = DP_TARGET_URI;
		t->uri = s;
		if (s[strcspn(s, ":") + 1] == '\0')
			return bfail(k->b, "%s needs a URI after the scheme",
			             s);
		return 0;
	}
	return bfail(k->b,
	             "unknown target \"%.40s\"; expected user/ID[@DOMAIN] "
	             "or sip:URI",
	             s);
}

static size_t
count_chars(const char *s, const char *set)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += strchr(set, *s) != NULL;
	return n;
}

static int
parse_targets(struct bparse *k, char *p)
{
	struct dp_group *g = &k->m->groups[0];
	int rc;

	k->ngroups = 1;
	g->targets = &k->m->targets[0];
	for (;;) {
		struct dp_target *t = &k->m->targets[k->ntargets];
		size_t first = k->nvars;
		char *start, sep;

		p = skip_space(p);
		memset(t, 0, sizeof(*t));
		if (*p == '[') {
			rc = parse_vars(k, &p, ']');
			if (rc)
				return rc;
			t->vars = &k->m->vars[first];
			t->var_count = k->nvars - first;
			rc = check_timeout(k->b, t->vars, t->var_count);
			if (rc)
				return rc;
			p = skip_space(p);
		}
		start = p;
		p += strcspn(p, ",|");
		sep = *p;
		*p = '\0';
		trim_end(start);
		rc = parse_target(k, t, start);
		if (rc)
			return rc;
		k->ntargets++;
		g->target_count++;
		if (sep == '\0')
			return 0;
		p++;
		if (sep == '|') {
			g = &k->m->groups[k->ngroups++];
			g->targets = &k->m->targets[k->ntargets];
		}
	}
}

int
dp_bridge_parse(const char *data, struct dp_bridge *out)
{
	struct dp_bridge b = { 0 };
	struct bridge_mem *m = calloc(1, sizeof(*m));
	struct bparse k = { .b = &b, .m = m };
	size_t nvars, nsep;
	char *p;
	int rc = ENOMEM;

	memset(out, 0, sizeof(*out));
	if (m == NULL)
		goto out;
	nvars = count_chars(data, "=") + 1;
	nsep = count_chars(data, ",|") + 1;
	m->buf = strdup(data);
	m->vars = calloc(nvars, sizeof(*m->vars));
	m->targets = calloc(nsep, sizeof(*m->targets));
	m->groups = calloc(nsep, sizeof(*m->groups));
	if (m->buf == NULL || m->vars == NULL || m->targets == NULL ||
	    m->groups == NULL)
		goto out;
	p = skip_space(m->buf);
	if (*p == '{') {
		rc = parse_vars(&k, &p, '}');
		if (rc)
			goto out;
		b.globals = m->vars;
		b.global_count = k.nvars;
		rc = check_timeout(&b, b.globals, b.global_count);
		if (rc)
			goto out;
	}
	if (*skip_space(p) == '\0') {
		rc = bfail(&b, "no target to bridge to");
		goto out;
	}
	rc = parse_targets(&k, p);
	if (rc)
		goto out;
	b.groups = m->groups;
	b.group_count = k.ngroups;
	b.mem_ = m;
	m = NULL;
	*out = b;
out:
	if (rc == EINVAL)
		memcpy(out->err, b.err, sizeof(out->err));
	if (m != NULL) {
		b.mem_ = m;
		dp_bridge_free(&b);
	}
	return rc;
}

void
dp_bridge_free(struct dp_bridge *b)
{
	struct bridge_mem *m = b->mem_;

	if (m != NULL) {
		free(m->buf);
		free(m->vars);
		free(m->targets);
		free(m->groups);
		free(m);
	}
	memset(b, 0, sizeof(*b));
}

static const char *
find_var(const struct dp_var *v, size_t n, const char *name)
{
	size_t i;

	/* The last setting wins, as when FreeSWITCH sets them in order. */
	for (i = n; i > 0; i--) {
		if (strcmp(v[i - 1].name, name) == 0)
			return v[i - 1].value;
	}
	return NULL;
}

const char *
dp_bridge_var(const struct dp_bridge *b, const struct dp_target *t,
              const char *name)
{
	const char *v = NULL;

	if (t != NULL)
		v = find_var(t->vars, t->var_count, name);
	if (v == NULL)
		v = find_var(b->globals, b->global_count, name);
	return v;
}

uint32_t
dp_bridge_timeout(const struct dp_bridge *b, const struct dp_target *t,
                  uint32_t dflt)
{
	const char *v = NULL;

	if (t != NULL)
		v = find_var(t->vars, t->var_count, "leg_timeout");
	if (v == NULL)
		v = find_var(b->globals, b->global_count, "leg_timeout");
	if (v == NULL)
		v = dp_bridge_var(b, t, "call_timeout");
	/* Checked by dp_bridge_parse(): 1 to 86400. */
	return v != NULL ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}
