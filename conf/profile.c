/* SIP profiles (where calls come in, whether callers authenticate, which
 * context and codecs they get, who may send), their ACLs, and the calls
 * section. Runs after sip: a profile's addresses are checked against
 * sip.listen and sip.tls.listen. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf_int.h"

#define MAX_PROFILE_NAME 32

static const char *const codec_names[] = { "PCMU", "PCMA", "G722", "opus" };

void
conf_profiles_fini(struct conf *c)
{
	size_t i, j;

	for (i = 0; i < c->profile_count; i++) {
		struct conf_profile *p = &c->profiles[i];

		free(p->name);
		free(p->listen);
		free(p->context);
		for (j = 0; j < p->codec_count; j++)
			free(p->codecs[j]);
		free(p->codecs);
		free(p->acl);
	}
	free(c->profiles);
	c->profiles = NULL;
	c->profile_count = 0;
}

/* 0 and *out for "ADDR/PREFIX" or "ADDR", else EINVAL and why. */
static int
parse_net(struct conf_acl_net *out, const char *s, char *why, size_t wlen)
{
	struct conf_acl_net n = { .family = AF_INET };
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix, max, i;
	char *end;

	if (strlen(s) >= sizeof(n.text) || hlen >= sizeof(host)) {
		snprintf(why, wlen, "it is too long");
		return EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (strchr(host, ':') != NULL)
		n.family = AF_INET6;
	if (inet_pton(n.family, host, n.addr) != 1) {
		snprintf(why, wlen, "%s is not an %s address", host,
		         n.family == AF_INET ? "IPv4" : "IPv6");
		return EINVAL;
	}
	max = n.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		prefix = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    prefix > max) {
			snprintf(why, wlen,
			         "the prefix length must be 0 to %lu", max);
			return EINVAL;
		}
	}
	/* "10.0.0.1/8" is more likely a typo than a way to write 10/8. */
	for (i = prefix; i < max; i++) {
		if (n.addr[i / 8] & (0x80 >> (i % 8))) {
			snprintf(why, wlen,
			         "host bits are set after the first %lu bits",
			         prefix);
			return EINVAL;
		}
	}
	n.prefix = (uint8_t)prefix;
	snprintf(n.text, sizeof(n.text), "%s", s);
	*out = n;
	return 0;
}

/* IPv4-mapped IPv6 (::ffff:a.b.c.d, or a network within ::ffff:0:0/96)
 * compares as IPv4. */
static void
unmap(int *family, uint8_t *addr, unsigned *prefix)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (*family != AF_INET6 || memcmp(addr, mapped, 12) != 0 ||
	    *prefix < 96)
		return;
	memmove(addr, addr + 12, 4);
	*family = AF_INET;
	*prefix -= 96;
}

static int
net_has(const struct conf_acl_net *n, int family, const uint8_t *addr)
{
	uint8_t net[16];
	int nfam = n->family;
	unsigned prefix = n->prefix, full, rest;

	memcpy(net, n->addr, sizeof(net));
	unmap(&nfam, net, &prefix);
	if (nfam != family)
		return 0;
	full = prefix / 8;
	rest = prefix % 8;
	if (memcmp(net, addr, full) != 0)
		return 0;
	return rest == 0 ||
	       ((net[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
conf_acl_allows(const struct conf_profile *p, const struct sockaddr *sa)
{
	uint8_t addr[16];
	unsigned prefix = 128;
	int family;
	size_t i;

	if (sa == NULL)
		return 0;
	if (p->acl_count == 0)
		return p->auth ? 1 : 0;
	family = sa->sa_family;
	if (family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return 0;
	unmap(&family, addr, &prefix);
	for (i = 0; i < p->acl_count; i++) {
		if (net_has(&p->acl[i], family, addr))
			return 1;
	}
	return 0;
}

/* Where `a` is already used, as a path, or NULL: sip.listen, TLS, the
 * first `nprof` profiles except `bare` (its addresses are sip.listen's). */
static const char *
addr_owner(char *buf, size_t len, const struct conf *c, size_t nprof,
           size_t bare, const struct conf_addr *a)
{
	size_t i, j;

	for (i = 0; i < c->sip.listen_count; i++) {
		if (conf_same_addr(&c->sip.listen[i], a)) {
			snprintf(buf, len, "sip.listen[%zu]", i);
			return buf;
		}
	}
	if (c->sip.tls.enabled && conf_same_addr(&c->sip.tls.listen, a))
		return "sip.tls.listen";
	for (i = 0; i < nprof; i++) {
		const struct conf_profile *p = &c->profiles[i];

		for (j = 0; i != bare && j < p->listen_count; j++) {
			if (conf_same_addr(&p->listen[j], a)) {
				snprintf(buf, len, "profiles[%zu].listen[%zu]",
				         i, j);
				return buf;
			}
		}
	}
	return NULL;
}

static int
take_listen(struct conf *c, size_t idx, size_t bare,
            const struct conf_raw_profile *r, struct conf_doc *d)
{
	struct conf_profile *p = &c->profiles[idx];
	char path[64], other[64];
	const char *owner;
	unsigned i;
	int rc;

	p->listen = calloc(r->listen_count, sizeof(*p->listen));
	if (p->listen == NULL)
		return ENOMEM;
	for (i = 0; i < r->listen_count; i++) {
		snprintf(path, sizeof(path), "profiles[%zu].listen[%u]", idx,
		         i);
		rc = conf_take_addr(&p->listen[i], d, path, r->listen[i]);
		if (rc)
			return rc;
		/* The profiles before this one, and this one so far. */
		p->listen_count = i;
		owner = addr_owner(other, sizeof(other), c, idx + 1, bare,
		                   &p->listen[i]);
		p->listen_count = i + 1;
		if (owner != NULL)
			return conf_doc_fail(
			    d, conf_doc_mark(d, path, 0), path,
			    "%s is already used by %s; a "
			    "profile needs addresses of its own",
			    r->listen[i], owner);
	}
	return 0;
}

static int
take_codecs(struct conf_profile *p, size_t idx,
            const struct conf_raw_profile *r, struct conf_doc *d)
{
	size_t n = r ? r->codecs_count : 2, i, j, k;
	char path[64];

	p->codecs = calloc(n, sizeof(char *));
	if (p->codecs == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = r ? r->codecs[i] : codec_names[i];

		snprintf(path, sizeof(path), "profiles[%zu].codecs[%zu]", idx,
		         i);
		for (k = 0; k < sizeof(codec_names) / sizeof(codec_names[0]);
		     k++) {
			if (strcasecmp(s, codec_names[k]) == 0)
				break;
		}
		if (k == sizeof(codec_names) / sizeof(codec_names[0]))
			return conf_bad(
			    d, path, "expected one of PCMU, PCMA, G722, opus");
		for (j = 0; j < i; j++) {
			if (strcmp(p->codecs[j], codec_names[k]) == 0)
				return conf_doc_fail(
				    d, conf_doc_mark(d, path, 0), path,
				    "%s is listed twice (also "
				    "profiles[%zu].codecs[%zu])",
				    s, idx, j);
		}
		if (conf_dup_str(&p->codecs[i], codec_names[k]))
			return ENOMEM;
		p->codec_count = i + 1;
	}
	return 0;
}

static int
take_acl(struct conf_profile *p, size_t idx, const struct conf_raw_profile *r,
         struct conf_doc *d)
{
	char path[64], why[96];
	unsigned i;

	p->acl = calloc(r->acl_count, sizeof(*p->acl));
	if (p->acl == NULL)
		return ENOMEM;
	for (i = 0; i < r->acl_count; i++) {
		snprintf(path, sizeof(path), "profiles[%zu].acl[%u]", idx, i);
		if (parse_net(&p->acl[i], r->acl[i], why, sizeof(why)))
			return conf_bad_why(
			    d, path, "expected ADDR/PREFIX or ADDR", why);
		p->acl_count = i + 1;
	}
	return 0;
}

static int
take_profile_name(struct conf *c, size_t idx, const char *s, struct conf_doc *d)
{
	char path[64];
	size_t i, n;

	snprintf(path, sizeof(path), "profiles[%zu].name", idx);
	if (s == NULL) {
		snprintf(path, sizeof(path), "profiles[%zu]", idx);
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "name is required");
	}
	n = strlen(s);
	for (i = 0; i < n; i++) {
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			break;
	}
	if (n == 0 || n > MAX_PROFILE_NAME || i < n)
		return conf_bad(d, path,
		                "expected 1 to 32 of a-z 0-9 _ - (lowercase)");
	for (i = 0; i < idx; i++) {
		if (strcmp(c->profiles[i].name, s) == 0)
			return conf_doc_fail(
			    d, conf_doc_mark(d, path, 0), path,
			    "profile \"%s\" is already defined "
			    "by profiles[%zu]",
			    s, i);
	}
	return conf_dup_str(&c->profiles[idx].name, s);
}

/* A context name as the directory takes it: [A-Za-z0-9._-]{1,64}. */
static int
take_context(char **out, struct conf_doc *d, const char *path, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			break;
	}
	if (n == 0 || n > 64 || i < n)
		return conf_bad(d, path,
		                "expected 1 to 64 of A-Z a-z 0-9 . _ -");
	return conf_dup_str(out, s);
}

static int
take_sip_listen(struct conf *c, struct conf_profile *p)
{
	p->listen = calloc(c->sip.listen_count, sizeof(*p->listen));
	if (p->listen == NULL)
		return ENOMEM;
	memcpy(p->listen, c->sip.listen,
	       c->sip.listen_count * sizeof(*p->listen));
	p->listen_count = c->sip.listen_count;
	return 0;
}

static int
check_profile(struct conf *c, size_t idx, const struct conf_raw_profile *r,
              struct conf_doc *d, size_t *bare)
{
	struct conf_profile *p = &c->profiles[idx];
	char path[64];
	int rc;

	p->auth = 1;
	rc = take_profile_name(c, idx, r->name, d);
	if (!rc && r->listen_count > 0)
		rc = take_listen(c, idx, *bare, r, d);
	if (!rc && r->listen_count == 0 && *bare != SIZE_MAX) {
		snprintf(path, sizeof(path), "profiles[%zu]", idx);
		return conf_doc_fail(
		    d, conf_doc_mark(d, path, 0), path,
		    "no listen addresses, like profiles[%zu]; only one "
		    "profile may use sip.listen",
		    *bare);
	}
	if (!rc && r->listen_count == 0) {
		*bare = idx;
		rc = take_sip_listen(c, p);
	}
	snprintf(path, sizeof(path), "profiles[%zu].auth", idx);
	if (!rc)
		rc = conf_take_bool(&p->auth, d, path, r->auth);
	snprintf(path, sizeof(path), "profiles[%zu].context", idx);
	if (!rc)
		rc = take_context(&p->context, d, path,
		                  r->context ? r->context : "default");
	if (!rc)
		rc = take_codecs(p, idx, r->codecs_count ? r : NULL, d);
	if (!rc && r->acl_count > 0)
		rc = take_acl(p, idx, r, d);
	return rc;
}

int
conf_check_profiles(struct conf *c, const struct conf_raw *raw,
                    struct conf_doc *d)
{
	static const struct conf_raw_profile internal = { .name = "internal" };
	const struct conf_raw_profile *list = raw->profiles;
	size_t n = raw->profiles_count, i, bare = SIZE_MAX;
	int rc = 0;

	if (n == 0) {
		list = &internal;
		n = 1;
	}
	c->profiles = calloc(n, sizeof(*c->profiles));
	if (c->profiles == NULL)
		return ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		c->profile_count = i + 1;
		rc = check_profile(c, i, &list[i], d, &bare);
	}
	return rc;
}

int
conf_check_storage(struct conf_storage *k, const struct conf_raw_storage *r,
                   struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = conf_take_uint(&k->retention, d, "storage.retention", r->retention,
	                    1, 366 * 86400);
	if (!rc)
		rc = conf_take_uint(&k->prune_interval, d,
		                    "storage.prune_interval", r->prune_interval,
		                    1, 86400);
	return rc;
}

int
conf_check_calls(struct conf_calls *k, const struct conf_raw_calls *r,
                 struct conf_doc *d)
{
	int rc;

	if (r == NULL)
		return 0;
	rc = conf_take_uint(&k->timeout, d, "calls.timeout", r->timeout, 1,
	                    3600);
	if (!rc)
		rc = conf_take_uint(&k->session_expires, d,
		                    "calls.session_expires", r->session_expires,
		                    90, 86400);
	if (!rc)
		rc = conf_take_uint(&k->min_se, d, "calls.min_se", r->min_se,
		                    90, 86400);
	if (!rc)
		rc = conf_take_uint(&k->max_calls, d, "calls.max_calls",
		                    r->max_calls, 0, UINT32_MAX);
	if (!rc && r->cdr_file != NULL) {
		if (*r->cdr_file == '\0')
			return conf_bad(d, "calls.cdr_file",
			                "expected a file path (or no cdr_file "
			                "line)");
		rc = conf_dup_str(&k->cdr_file, r->cdr_file);
	}
	if (rc || k->min_se <= k->session_expires)
		return rc;
	if (r->session_expires == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, "calls.min_se", 0),
		                     "calls.min_se",
		                     "must not exceed session_expires (%u s, "
		                     "the default), got %u",
		                     k->session_expires, k->min_se);
	return conf_doc_fail(
	    d, conf_doc_mark(d, "calls.session_expires", 0),
	    "calls.session_expires", "must be at least min_se (%u s%s), got %u",
	    k->min_se, r->min_se ? "" : ", the default", k->session_expires);
}
