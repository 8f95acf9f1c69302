/* From the raw strings libcyaml loaded to the checked struct conf: defaults
 * for what is absent, then every rule libcyaml cannot express (ranges, URL
 * and address forms, level names, settings that go together). Each failure
 * points at the offending value through the libyaml document. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_int.h"

#define MAX_TIMER_MS 60000 /* keeps 64*T1 (RFC 3261 timer B) in range */

static const char *const level_names[] = { "error", "warn", "info", "debug" };

const char *
conf_log_level_name(enum conf_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

/* "PATH: what, got <the value as written>[: why]", at the value. */
int
conf_bad_why(struct conf_doc *d, const char *path, const char *what,
             const char *why)
{
	char got[64];

	conf_doc_describe(got, sizeof(got), conf_doc_find(d, path, NULL));
	return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
	                     "%s, got %s%s%s", what, got, why ? ": " : "",
	                     why ? why : "");
}

int
conf_bad(struct conf_doc *d, const char *path, const char *what)
{
	return conf_bad_why(d, path, what, NULL);
}

int
conf_dup_str(char **out, const char *s)
{
	*out = strdup(s);
	return *out == NULL ? ENOMEM : 0;
}

int
conf_take_uint(uint32_t *out, struct conf_doc *d, const char *path,
               const char *s, uint32_t min, uint32_t max)
{
	char what[64];
	const char *p = s;
	uint64_t v = 0;
	int neg = 0;

	if (s == NULL)
		return 0; /* the default stays */
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return conf_bad(d, path, "expected an integer");
	for (; isdigit((unsigned char)*p); p++) {
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0')
		return conf_bad(d, path, "expected an integer");
	if ((neg && v != 0) || v < min || v > max) {
		if (max == UINT32_MAX)
			snprintf(what, sizeof(what), "must be at least %u",
			         min);
		else
			snprintf(what, sizeof(what), "must be %u to %u", min,
			         max);
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "%s, got %s", what, s);
	}
	*out = (uint32_t)v;
	return 0;
}

static int
take_name(char *out, size_t len, struct conf_doc *d, const char *path,
          const char *s)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			break;
	}
	if (n == 0 || n >= len || i < n)
		return conf_bad(
		    d, path,
		    "expected 1 to 63 letters, digits, '.', '_' or '-'");
	memcpy(out, s, n + 1);
	return 0;
}

static int
take_text(char **out, struct conf_doc *d, const char *path, const char *s)
{
	if (s == NULL)
		return 0;
	if (*s == '\0')
		return conf_bad(d, path, "expected a non-empty value");
	free(*out);
	return conf_dup_str(out, s);
}

/* NULL when `u` is an nng URL we accept, else what is wrong with it. */
static const char *
url_problem(const char *u)
{
	static const char *const schemes[] = { "tcp://", "tls+tcp://", "ipc://",
		                               "inproc://" };
	const char *rest = NULL, *colon;
	char *end;
	unsigned long port;
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(u, schemes[i], strlen(schemes[i])) == 0)
			rest = u + strlen(schemes[i]);
	}
	if (rest == NULL)
		return "it must start with tcp://, tls+tcp://, ipc:// or "
		       "inproc://";
	for (i = 0; u[i] != '\0'; i++) {
		if (isspace((unsigned char)u[i]))
			return "it contains a space";
	}
	if (*rest == '\0')
		return "nothing follows the scheme";
	if (strncmp(u, "tcp://", 6) != 0 && strncmp(u, "tls+tcp://", 10) != 0)
		return NULL; /* ipc:// takes a path, inproc:// any name */
	colon = strrchr(rest, ':');
	if (colon == NULL || colon == rest)
		return "it needs HOST:PORT after the scheme";
	if (rest[0] == '[' && colon[-1] != ']')
		return "an IPv6 host needs brackets, as in tcp://[::1]:7000";
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end != '\0' || port == 0 ||
	    port > 65535)
		return "the port must be 1 to 65535";
	return NULL;
}

static int
take_url(char **out, struct conf_doc *d, const char *path, const char *s)
{
	const char *why;

	if (s == NULL)
		return 0;
	why = url_problem(s);
	if (why != NULL)
		return conf_bad_why(d, path, "expected an nng URL", why);
	free(*out);
	return conf_dup_str(out, s);
}

/* The admin token: long enough not to be guessed over the network, and
 * printable ASCII without spaces, so that it survives a shell, an
 * environment variable and a file's trailing newline alike. */
static int
take_token(char **out, struct conf_doc *d, const char *path, const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 16 || n > 256)
		return conf_bad(d, path, "expected 16 to 256 characters");
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return conf_bad(d, path,
			                "expected printable ASCII without "
			                "spaces");
	free(*out);
	return conf_dup_str(out, s);
}

/* 0 and *out when `s` is ADDR:PORT, else EINVAL and why it is not. */
static int
parse_addr(struct conf_addr *out, const char *s, char *why, size_t wlen)
{
	struct conf_addr addr = { .port = 0 }, *a = &addr;
	unsigned char bin[16];
	const char *host = s, *colon;
	size_t hlen;
	char *end;
	unsigned long port;
	int rc = EINVAL;

	if (strlen(s) >= sizeof(a->text)) {
		snprintf(why, wlen, "it is too long");
		goto out;
	}
	if (*s == '[') {
		colon = strstr(s, "]:");
		host = s + 1;
		a->family = AF_INET6;
		if (colon == NULL) {
			snprintf(why, wlen, "write IPv6 as [ADDR]:PORT");
			goto out;
		}
		hlen = (size_t)(colon++ - host);
	} else {
		colon = strrchr(s, ':');
		a->family = AF_INET;
		if (colon == NULL) {
			snprintf(why, wlen, "the :PORT is missing");
			goto out;
		}
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL) {
			snprintf(why, wlen,
			         "write IPv6 in brackets, as in "
			         "[::1]:5060");
			goto out;
		}
	}
	if (hlen == 0 || hlen >= sizeof(a->host)) {
		snprintf(why, wlen, "the address is %s",
		         hlen ? "too long" : "missing");
		goto out;
	}
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (inet_pton(a->family, a->host, bin) != 1) {
		snprintf(why, wlen, "%.46s is not an %s address%s", a->host,
		         a->family == AF_INET ? "IPv4" : "IPv6",
		         a->family == AF_INET ? " (names are not allowed)"
		                              : "");
		goto out;
	}
	/* One spelling per address, so that duplicates are found. */
	inet_ntop(a->family, bin, a->host, sizeof(a->host));
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end != '\0' || port == 0 ||
	    port > 65535) {
		snprintf(why, wlen, "the port must be 1 to 65535");
		goto out;
	}
	a->port = (uint16_t)port;
	snprintf(a->text, sizeof(a->text), "%s", s);
	*out = addr;
	rc = 0;
out:
	return rc;
}

int
conf_take_addr(struct conf_addr *a, struct conf_doc *d, const char *path,
               const char *s)
{
	char why[128];

	if (parse_addr(a, s, why, sizeof(why)) == 0)
		return 0;
	return conf_bad_why(d, path, "expected ADDR:PORT", why);
}

int
conf_same_addr(const struct conf_addr *a, const struct conf_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       strcmp(a->host, b->host) == 0;
}

static int
check_node(struct conf_node *n, const struct conf_raw_node *r,
           struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = take_name(n->name, sizeof(n->name), d, "node.name", r->name);
	if (!rc)
		rc = conf_take_uint(&n->id, d, "node.id", r->id, 1, UINT32_MAX);
	if (!rc)
		rc = take_text(&n->data_dir, d, "node.data_dir", r->data_dir);
	if (!rc)
		rc = conf_take_uint(&n->workers, d, "node.workers", r->workers,
		                    0, 256);
	return rc;
}

static int
check_log(struct conf_log *l, const struct conf_raw_log *r, struct conf_doc *d)
{
	size_t i;

	if (r == NULL || r->level == NULL)
		return 0;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(r->level, level_names[i]) == 0) {
			l->level = (enum conf_log_level)i;
			return 0;
		}
	}
	return conf_bad(d, "log.level",
	                "expected one of error, warn, info, debug");
}

static int
check_cluster(struct conf *c, const struct conf_raw_cluster *r,
              struct conf_doc *d)
{
	char path[48];
	unsigned i, j;
	int rc = 0;

	if (r == NULL)
		goto out;
	rc = take_url(&c->cluster.listen, d, "cluster.listen", r->listen);
	/* the key of every frame between nodes: long enough not to be
	 * guessed; the error gives its length, never the secret */
	if (!rc && r->secret != NULL &&
	    (strlen(r->secret) < 16 || strlen(r->secret) > 256))
		rc = conf_doc_fail(d, conf_doc_mark(d, "cluster.secret", 0),
		                   "cluster.secret",
		                   "expected a secret of 16 to 256 characters, "
		                   "got %zu",
		                   strlen(r->secret));
	if (!rc && r->secret != NULL)
		rc = conf_dup_str(&c->cluster.secret, r->secret);
	if (rc || r->peers_count == 0)
		goto out;
	c->cluster.peers = calloc(r->peers_count, sizeof(char *));
	if (c->cluster.peers == NULL) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < r->peers_count; i++) {
		snprintf(path, sizeof(path), "cluster.peers[%u]", i);
		rc = take_url(&c->cluster.peers[i], d, path, r->peers[i]);
		if (rc)
			goto out;
		c->cluster.peer_count++;
		for (j = 0; j < i; j++) {
			if (strcmp(r->peers[j], r->peers[i]) == 0) {
				rc = conf_doc_fail(d, conf_doc_mark(d, path, 0),
				                   path,
				                   "%s is listed twice (also "
				                   "cluster.peers[%u])",
				                   r->peers[i], j);
				goto out;
			}
		}
	}
out:
	return rc;
}

static int
check_listen(struct conf_sip *s, const struct conf_raw_sip *r,
             struct conf_doc *d)
{
	char path[48];
	unsigned i, j;
	int rc;

	if (r->listen_count == 0)
		return conf_doc_fail(d, conf_doc_mark(d, "sip.listen", 0),
		                     "sip.listen",
		                     "expected at least one "
		                     "ADDR:PORT, got none");
	free(s->listen);
	s->listen_count = 0;
	s->listen = calloc(r->listen_count, sizeof(*s->listen));
	if (s->listen == NULL)
		return ENOMEM;
	s->listen_count = r->listen_count;
	for (i = 0; i < r->listen_count; i++) {
		snprintf(path, sizeof(path), "sip.listen[%u]", i);
		rc = conf_take_addr(&s->listen[i], d, path, r->listen[i]);
		if (rc)
			return rc;
		for (j = 0; j < i; j++) {
			if (conf_same_addr(&s->listen[j], &s->listen[i]))
				return conf_doc_fail(
				    d, conf_doc_mark(d, path, 0), path,
				    "%s is listed twice (also "
				    "sip.listen[%u])",
				    r->listen[i], j);
		}
	}
	return 0;
}

static int
check_tls(struct conf_sip *s, const struct conf_raw_tls *r, struct conf_doc *d)
{
	size_t i;
	int rc = 0;

	if (r == NULL)
		return 0;
	s->tls.enabled = 1;
	if (r->listen != NULL)
		rc = conf_take_addr(&s->tls.listen, d, "sip.tls.listen",
		                    r->listen);
	if (rc)
		return rc;
	for (i = 0; i < s->listen_count; i++) {
		if (!conf_same_addr(&s->listen[i], &s->tls.listen))
			continue;
		return conf_doc_fail(
		    d,
		    conf_doc_mark(d, r->listen ? "sip.tls.listen" : "sip.tls",
		                  !r->listen),
		    "sip.tls.listen",
		    "%s%s is also in sip.listen; TLS needs a port of its "
		    "own",
		    s->tls.listen.text, r->listen ? "" : " (the default)");
	}
	if (r->cert == NULL && r->key == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, "sip.tls", 1),
		                     "sip.tls", "cert and key are required");
	if (r->key == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, "sip.tls.cert", 1),
		                     "sip.tls",
		                     "cert is set but key is "
		                     "missing; both are required");
	if (r->cert == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, "sip.tls.key", 1),
		                     "sip.tls",
		                     "key is set but cert is "
		                     "missing; both are required");
	rc = take_text(&s->tls.cert, d, "sip.tls.cert", r->cert);
	if (!rc)
		rc = take_text(&s->tls.key, d, "sip.tls.key", r->key);
	return rc;
}

static int
check_timers(struct conf_sip_timers *t, const struct conf_raw_timers *r,
             struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = conf_take_uint(&t->t1, d, "sip.timers.t1", r->t1, 1, MAX_TIMER_MS);
	if (!rc)
		rc = conf_take_uint(&t->t2, d, "sip.timers.t2", r->t2, 1,
		                    MAX_TIMER_MS);
	if (!rc)
		rc = conf_take_uint(&t->t4, d, "sip.timers.t4", r->t4, 1,
		                    MAX_TIMER_MS);
	if (rc || t->t2 >= t->t1)
		return rc;
	if (r->t2 == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, "sip.timers.t1", 0),
		                     "sip.timers.t1",
		                     "must not exceed t2 (%u ms, the default), "
		                     "got %u",
		                     t->t2, t->t1);
	return conf_doc_fail(
	    d, conf_doc_mark(d, "sip.timers.t2", 0), "sip.timers.t2",
	    "must be at least t1 (%u ms), got %u", t->t1, t->t2);
}

static int
check_tcp(struct conf_sip_tcp *t, const struct conf_raw_tcp *r,
          struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = conf_take_uint(&t->write_queue, d, "sip.tcp.write_queue",
	                    r->write_queue, 4096, 1u << 30);
	if (!rc)
		rc = conf_take_uint(&t->message_timeout, d,
		                    "sip.tcp.message_timeout",
		                    r->message_timeout, 1, 3600);
	if (!rc)
		rc = conf_take_uint(&t->idle_timeout, d, "sip.tcp.idle_timeout",
		                    r->idle_timeout, 1, 86400);
	if (!rc)
		rc = conf_take_uint(&t->max_connections, d,
		                    "sip.tcp.max_connections",
		                    r->max_connections, 0, 1u << 20);
	if (!rc)
		rc = conf_take_uint(&t->fd_reserve, d, "sip.tcp.fd_reserve",
		                    r->fd_reserve, 0, 1u << 20);
	if (!rc)
		rc = conf_take_uint(&t->max_per_source, d,
		                    "sip.tcp.max_per_source", r->max_per_source,
		                    1, 1u << 20);
	if (!rc)
		rc = conf_take_uint(&t->buffer_budget, d,
		                    "sip.tcp.buffer_budget", r->buffer_budget,
		                    65536, 4294967295u);
	return rc;
}

static int
check_sip(struct conf_sip *s, const struct conf_raw_sip *r, struct conf_doc *d)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (conf_doc_find(d, "sip.listen", NULL) != NULL)
		rc = check_listen(s, r, d);
	if (!rc)
		rc = conf_take_uint(&s->max_message_size, d,
		                    "sip.max_message_size", r->max_message_size,
		                    1024, 1048576);
	if (!rc)
		rc = check_timers(&s->timers, r->timers, d);
	if (!rc)
		rc = check_tcp(&s->tcp, r->tcp, d);
	if (!rc)
		rc = check_tls(s, r->tls, d);
	return rc;
}

/* "PATH: must be at least LO_PATH (N s[, the default]), got M", at whichever
 * of the two the file sets, the later one when it sets both. */
static int
order(struct conf_doc *d, const char *lo_path, const char *lo_raw, uint32_t lo,
      const char *hi_path, const char *hi_raw, uint32_t hi)
{
	const char *lname = strrchr(lo_path, '.') + 1;
	const char *hname = strrchr(hi_path, '.') + 1;

	if (hi_raw == NULL && lo_raw != NULL)
		return conf_doc_fail(d, conf_doc_mark(d, lo_path, 0), lo_path,
		                     "must not exceed %s (%u s, the default), "
		                     "got %u",
		                     hname, hi, lo);
	return conf_doc_fail(d, conf_doc_mark(d, hi_path, 0), hi_path,
	                     "must be at least %s (%u s%s), got %u", lname, lo,
	                     lo_raw == NULL ? ", the default" : "", hi);
}

/* A digest realm goes between quotes in WWW-Authenticate. */
static int
take_realm(char **out, struct conf_doc *d, const char *path, const char *s)
{
	const char *p;

	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
			break;
	}
	if (*s == '\0' || *p != '\0')
		return conf_bad(d, path,
		                "expected a realm without quotes, "
		                "backslashes or control characters");
	free(*out);
	return conf_dup_str(out, s);
}

static int
check_throttle(struct conf_throttle *t, const struct conf_raw_throttle *r,
               struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = conf_take_uint(&t->failures, d, "registrar.throttle.failures",
	                    r->failures, 0, 1000000);
	if (!rc)
		rc = conf_take_uint(&t->window, d, "registrar.throttle.window",
		                    r->window, 1, 86400);
	if (!rc)
		rc =
		    conf_take_uint(&t->backoff, d, "registrar.throttle.backoff",
		                   r->backoff, 1, 86400);
	if (!rc)
		rc = conf_take_uint(&t->max_backoff, d,
		                    "registrar.throttle.max_backoff",
		                    r->max_backoff, 1, 604800);
	if (!rc)
		rc = conf_take_uint(&t->user_max_backoff, d,
		                    "registrar.throttle.user_max_backoff",
		                    r->user_max_backoff, 1, 86400);
	if (rc)
		return rc;
	if (t->max_backoff < t->backoff)
		return order(d, "registrar.throttle.backoff", r->backoff,
		             t->backoff, "registrar.throttle.max_backoff",
		             r->max_backoff, t->max_backoff);
	if (t->user_max_backoff < t->backoff)
		return order(d, "registrar.throttle.backoff", r->backoff,
		             t->backoff, "registrar.throttle.user_max_backoff",
		             r->user_max_backoff, t->user_max_backoff);
	return 0;
}

static int
check_registrar(struct conf *c, const struct conf_raw_registrar *r,
                struct conf_doc *d)
{
	struct conf_registrar *g = &c->registrar;
	int rc = 0;

	if (r != NULL) {
		rc = take_realm(&g->realm, d, "registrar.realm", r->realm);
		if (!rc)
			rc = conf_take_uint(&g->default_expires, d,
			                    "registrar.default_expires",
			                    r->default_expires, 1, UINT32_MAX);
		if (!rc)
			rc = conf_take_uint(&g->min_expires, d,
			                    "registrar.min_expires",
			                    r->min_expires, 1, UINT32_MAX);
		if (!rc)
			rc = conf_take_uint(&g->max_expires, d,
			                    "registrar.max_expires",
			                    r->max_expires, 1, UINT32_MAX);
		if (!rc)
			rc = conf_take_uint(&g->max_bindings, d,
			                    "registrar.max_bindings",
			                    r->max_bindings, 1, 1000);
		if (!rc)
			rc = conf_take_uint(&g->nonce_lifetime, d,
			                    "registrar.nonce_lifetime",
			                    r->nonce_lifetime, 10, 86400);
		if (!rc)
			rc = conf_take_uint(&g->actor_idle, d,
			                    "registrar.actor_idle",
			                    r->actor_idle, 1, 86400);
		if (!rc)
			rc = check_throttle(&g->throttle, r->throttle, d);
		if (!rc && r->secret != NULL && *r->secret == '\0')
			rc = conf_bad(d, "registrar.secret",
			              "expected a non-empty secret (or no "
			              "secret line)");
		if (!rc && r->secret != NULL)
			rc = conf_dup_str(&g->secret, r->secret);
		if (!rc && r->digest != NULL) {
			if (strcmp(r->digest, "md5") == 0)
				g->digest = CONF_DIGEST_MD5;
			else if (strcmp(r->digest, "sha-256") == 0)
				g->digest = CONF_DIGEST_SHA256;
			else if (strcmp(r->digest, "both") == 0)
				g->digest =
				    CONF_DIGEST_MD5 | CONF_DIGEST_SHA256;
			else
				rc = conf_bad(d, "registrar.digest",
				              "expected md5, sha-256 or both");
		}
		if (rc)
			return rc;
	}
	if (g->min_expires > g->max_expires)
		return order(d, "registrar.min_expires",
		             r ? r->min_expires : NULL, g->min_expires,
		             "registrar.max_expires", r ? r->max_expires : NULL,
		             g->max_expires);
	if (g->default_expires < g->min_expires)
		return order(d, "registrar.min_expires",
		             r ? r->min_expires : NULL, g->min_expires,
		             "registrar.default_expires",
		             r ? r->default_expires : NULL, g->default_expires);
	if (g->default_expires > g->max_expires)
		return order(d, "registrar.default_expires",
		             r ? r->default_expires : NULL, g->default_expires,
		             "registrar.max_expires", r ? r->max_expires : NULL,
		             g->max_expires);
	/* The realm follows the domain unless the file sets it. */
	if (g->realm == NULL)
		rc = conf_dup_str(&g->realm, c->directory.domain);
	return rc;
}

static int
set_defaults(struct conf *c)
{
	int rc;

	snprintf(c->node.name, sizeof(c->node.name), "pbx1");
	c->node.id = 1;
	c->node.workers = 0;
	c->log.level = CONF_LOG_INFO;
	c->sip.max_message_size = 65536;
	c->sip.timers.t1 = 500;
	c->sip.timers.t2 = 4000;
	c->sip.timers.t4 = 5000;
	c->sip.tcp = (struct conf_sip_tcp){
		.write_queue = 256 * 1024,
		.message_timeout = 10,
		.idle_timeout = 300,
		.max_connections = 0,
		.fd_reserve = 64,
		.max_per_source = 256,
		.buffer_budget = 128u << 20,
	};
	c->sip.listen = calloc(1, sizeof(*c->sip.listen));
	if (c->sip.listen == NULL)
		return ENOMEM;
	c->sip.listen_count = 1;
	parse_addr(&c->sip.listen[0], "127.0.0.1:5060", NULL, 0);
	parse_addr(&c->sip.tls.listen, "127.0.0.1:5061", NULL, 0);
	c->registrar.default_expires = 3600;
	c->registrar.min_expires = 60;
	c->registrar.max_expires = 7200;
	c->registrar.max_bindings = 10;
	c->registrar.digest = CONF_DIGEST_MD5 | CONF_DIGEST_SHA256;
	c->registrar.nonce_lifetime = 300;
	/* 64*T1: a client retransmits a REGISTER that long, so a stopped
	 * actor never misses one it answered */
	c->registrar.actor_idle = 32;
	c->registrar.throttle.failures = 10;
	c->registrar.throttle.window = 60;
	c->registrar.throttle.backoff = 30;
	c->registrar.throttle.max_backoff = 3600;
	c->registrar.throttle.user_max_backoff = 300;
	c->storage.retention = 3600;
	c->storage.prune_interval = 60;
	c->calls.timeout = 60;
	c->calls.session_expires = 1800;
	c->calls.min_se = 90;
	/* what a 2-core node carries with room to spare (tools/bench/calls);
	 * beyond it 503 with Retry-After */
	c->calls.max_calls = 2000;
	rc = conf_dup_str(&c->node.data_dir, "./data");
	if (!rc)
		rc = conf_dup_str(&c->admin.listen, "tcp://127.0.0.1:7000");
	if (!rc)
		rc = conf_dup_str(&c->cluster.listen, "tcp://127.0.0.1:7100");
	if (!rc)
		rc = conf_dup_str(&c->directory.domain, "127.0.0.1");
	return rc;
}

int
conf_check(struct conf_box *b, const struct conf_raw *raw, struct conf_doc *d)
{
	struct conf *c = &b->c;
	int rc = set_defaults(c);

	if (!rc)
		rc = check_node(&c->node, raw->node, d);
	if (!rc)
		rc = check_log(&c->log, raw->log, d);
	if (!rc && raw->admin != NULL)
		rc = take_url(&c->admin.listen, d, "admin.listen",
		              raw->admin->listen);
	if (!rc && raw->admin != NULL)
		rc = take_token(&c->admin.token, d, "admin.token",
		                raw->admin->token);
	if (!rc && c->admin.token == NULL &&
	    !conf_admin_is_local(c->admin.listen))
		rc = conf_doc_fail(d, conf_doc_mark(d, "admin.listen", 0),
		                   "admin.listen", CONF_ADMIN_OPEN,
		                   c->admin.listen);
	if (!rc)
		rc = check_cluster(c, raw->cluster, d);
	if (!rc && strcmp(c->admin.listen, c->cluster.listen) == 0) {
		if (raw->cluster != NULL && raw->cluster->listen != NULL)
			rc = conf_bad(
			    d, "cluster.listen",
			    "expected another address than admin.listen");
		else
			rc = conf_bad(d, "admin.listen",
			              "expected another address than "
			              "cluster.listen (the default)");
	}
	if (!rc)
		rc = check_sip(&c->sip, raw->sip, d);
	if (!rc)
		rc = conf_check_directory(b, raw->directory, d);
	if (!rc)
		rc = check_registrar(c, raw->registrar, d);
	if (!rc)
		rc = conf_check_profiles(c, raw, d);
	if (!rc)
		rc = conf_check_profile_exposure(c, d);
	if (!rc)
		rc = conf_check_calls(&c->calls, raw->calls, d);
	if (!rc)
		rc = conf_check_storage(&c->storage, raw->storage, d);
	if (!rc)
		rc = conf_check_dialplan(c, raw, d);
	return rc;
}

void
conf_fini(struct conf_box *b)
{
	struct conf *c = &b->c;
	size_t i;

	free(c->node.data_dir);
	free(c->admin.listen);
	free(c->admin.token);
	free(c->cluster.listen);
	for (i = 0; i < c->cluster.peer_count; i++)
		free(c->cluster.peers[i]);
	free(c->cluster.peers);
	free(c->cluster.secret);
	free(c->sip.listen);
	free(c->sip.tls.cert);
	free(c->sip.tls.key);
	conf_directory_fini(&c->directory);
	free(c->registrar.realm);
	free(c->registrar.secret);
	conf_profiles_fini(c);
	free(c->calls.cdr_file);
	conf_dialplan_fini(&c->dialplan);
	conf_arena_fini(&b->arena);
	memset(c, 0, sizeof(*c));
}
