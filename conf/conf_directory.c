/* The user directory: users written one by one and ranges expanded into
 * users, both checked and stored compactly; ids unique per domain; and the
 * demo password rule. An explicit user is handled as a range of one id, so
 * both take "{id}" in their text fields. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"
#include "pbx_fnv.h"

#define MAX_ID    64
#define MAX_TEXT  128 /* passwords, display names, variable values */
#define MAX_RANGE 1000000u
#define MAX_USERS 2000000u

void
conf_directory_fini(struct conf_directory *dir)
{
	free(dir->domain);
	free(dir->users);
	memset(dir, 0, sizeof(*dir));
}

/* A text field of a user or range: shared as is unless it holds "{id}". */
struct tmpl {
	const char *text; /* NULL: absent */
	char *fixed;      /* the one copy every user shares */
	int is_id;        /* exactly "{id}": the user's id string itself */
	unsigned nsub;    /* occurrences of "{id}" */
};

/* One entry of users or ranges, in the order of the users array. */
struct origin {
	size_t first; /* index of its first user */
	int is_range;
	unsigned index;
};

struct dir_check {
	struct conf_box *b;
	struct conf_doc *d;
	struct conf_directory *dir;
	char *domain;    /* the directory's, in the arena */
	char *context;   /* "default", shared */
	uint64_t *slots; /* hash tag << 32 | user index + 1; 0 is free */
	size_t mask;
	struct origin *origins;
	size_t norigins;
};

static void
origin_path(char *out, size_t len, const struct origin *o)
{
	snprintf(out, len, "directory.%s[%u]", o->is_range ? "ranges" : "users",
	         o->index);
}

static const struct origin *
origin_of(const struct dir_check *k, size_t user)
{
	size_t lo = 0, hi = k->norigins;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->origins[mid].first <= user)
			lo = mid;
		else
			hi = mid;
	}
	return &k->origins[lo];
}

/* Domains compare without case, ids with it (RFC 3261 19.1.4). */
static uint64_t
user_hash(const struct conf_user *u)
{
	uint64_t h = PBX_FNV64_INIT;
	const char *p;

	for (p = u->id; *p != '\0'; p++)
		h = pbx_fnv64_byte(h, (unsigned char)*p);
	h = pbx_fnv64_byte(h, '@');
	for (p = u->domain; *p != '\0'; p++)
		h = pbx_fnv64_byte(h,
		                   (unsigned char)tolower((unsigned char)*p));
	/* FNV-1a leaves sequential ids clustered in the low bits that index
	 * the table; this mixing step (MurmurHash3's) spreads them. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 33);
}

/* 0, or 1 and the index of the user that already has this id. The upper
 * half of the hash kept in the slot spares most string compares, each a
 * cache miss once there are a million users. */
static int
insert(struct dir_check *k, size_t idx, size_t *dup)
{
	const struct conf_user *u = &k->dir->users[idx];
	uint64_t h = user_hash(u), tag = h & 0xffffffff00000000u;
	size_t i = (size_t)h & k->mask;

	for (; k->slots[i] != 0; i = (i + 1) & k->mask) {
		size_t at = (size_t)(k->slots[i] & 0xffffffffu) - 1;
		const struct conf_user *o = &k->dir->users[at];

		if ((k->slots[i] & 0xffffffff00000000u) != tag)
			continue;
		if (strcmp(o->id, u->id) == 0 &&
		    (o->domain == u->domain ||
		     strcasecmp(o->domain, u->domain) == 0)) {
			*dup = at;
			return 1;
		}
	}
	k->slots[i] = tag | (uint64_t)(idx + 1);
	return 0;
}

enum field_kind {
	F_ID,       /* [A-Za-z0-9._+-]{1,64} */
	F_NUMBER,   /* the same and '*', '#' */
	F_CONTEXT,  /* [A-Za-z0-9._-]{1,64} */
	F_DOMAIN,   /* a host name or address literal */
	F_TEXT,     /* 1..128 bytes, no control characters */
	F_NAME,     /* the same without '"' and '\' (quoted in From) */
	F_VARVALUE, /* 0..128 bytes, no control characters */
};

static int
char_ok(enum field_kind kind, unsigned char c)
{
	switch (kind) {
	case F_ID:
		return isalnum(c) || strchr("._+-", c) != NULL;
	case F_NUMBER:
		return isalnum(c) || strchr("._+-*#", c) != NULL;
	case F_CONTEXT:
		return isalnum(c) || strchr("._-", c) != NULL;
	case F_DOMAIN:
		return isalnum(c) || strchr(".-_:[]", c) != NULL;
	case F_NAME:
		if (c == '"' || c == '\\')
			return 0;
		/* fall through */
	default:
		return c >= 0x20 && c != 0x7f;
	}
}

static const char *const field_what[] = {
	[F_ID] = "expected 1 to 64 of A-Z a-z 0-9 . _ + -",
	[F_NUMBER] = "expected 1 to 64 of A-Z a-z 0-9 . _ + - * #",
	[F_CONTEXT] = "expected 1 to 64 of A-Z a-z 0-9 . _ -",
	[F_DOMAIN] = "expected a domain name or an IP address",
	[F_TEXT] = "expected 1 to 128 characters, no control characters",
	[F_NAME] = "expected 1 to 128 characters, no quotes, backslashes or "
	           "control characters",
	[F_VARVALUE] = "expected name=value, the value at most 128 "
	               "characters without control characters",
};

/* Checks `s` (with "{id}" standing for an id of up to `idlen` digits when
 * `tmpl`) and counts the "{id}"; EINVAL with the line at `path`. */
static int
check_field(struct conf_doc *d, const char *path, const char *s,
            enum field_kind kind, int tmpl, size_t idlen, unsigned *nsub)
{
	size_t max = kind == F_DOMAIN ? 253
	             : kind == F_TEXT || kind == F_NAME || kind == F_VARVALUE
	                 ? MAX_TEXT
	                 : MAX_ID;
	size_t len = 0;
	unsigned n = 0;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (tmpl && strncmp(p, "{id}", 4) == 0) {
			n++;
			len += idlen;
			p += 3;
			continue;
		}
		if (!char_ok(kind, (unsigned char)*p))
			break;
		len++;
	}
	if (*p != '\0' || len > max || (len == 0 && kind != F_VARVALUE))
		return conf_bad(d, path, field_what[kind]);
	if (nsub != NULL)
		*nsub = n;
	return 0;
}

static int
tmpl_init(struct tmpl *t, struct dir_check *k, const char *path, const char *s,
          enum field_kind kind, size_t idlen)
{
	struct conf_arena *a = &k->b->arena;
	int rc;

	memset(t, 0, sizeof(*t));
	t->text = s;
	if (s == NULL)
		return 0;
	rc = check_field(k->d, path, s, kind, 1, idlen, &t->nsub);
	if (rc)
		return rc;
	t->is_id = strcmp(s, "{id}") == 0;
	if (t->nsub == 0) {
		t->fixed = conf_arena_strdup(a, s);
		if (t->fixed == NULL)
			return ENOMEM;
	}
	return 0;
}

/* The field for the user whose id is `id`; NULL on ENOMEM. */
static char *
tmpl_expand(struct conf_arena *a, const struct tmpl *t, char *id, size_t idlen)
{
	const char *p;
	char *out, *o;

	if (t->fixed != NULL)
		return t->fixed;
	if (t->is_id)
		return id;
	out = conf_arena_take(a, strlen(t->text) + t->nsub * idlen + 1, 1);
	if (out == NULL)
		return NULL;
	for (p = t->text, o = out;;) {
		const char *at = strstr(p, "{id}");
		size_t n = at ? (size_t)(at - p) : strlen(p);

		memcpy(o, p, n);
		o += n;
		if (at == NULL)
			break;
		memcpy(o, id, idlen);
		o += idlen;
		p = at + 4;
	}
	*o = '\0';
	return out;
}

/* A HA1 is the hex of a hash; stored lowercase as RFC 7616 writes it. */
static int
take_ha1(char **out, struct dir_check *k, const char *path, const char *s,
         size_t hexlen, const char *hash)
{
	char what[96];
	size_t i, n;
	int upper = 0;

	if (s == NULL)
		return 0;
	n = strlen(s);
	for (i = 0; i < n && isxdigit((unsigned char)s[i]); i++)
		upper |= isupper((unsigned char)s[i]);
	if (i < n || n != hexlen || upper) {
		snprintf(what, sizeof(what),
		         "expected %zu lowercase hex digits (%s of "
		         "id:realm:password)",
		         hexlen, hash);
		return conf_bad_why(
		    k->d, path, what,
		    i == n && n == hexlen ? "write it in lowercase" : NULL);
	}
	*out = conf_arena_strdup(&k->b->arena, s);
	return *out == NULL ? ENOMEM : 0;
}

/* A user or a range, before expansion. */
struct source {
	char base[48];  /* "directory.users[3]" */
	const char *id; /* a user's id, NULL for a range */
	uint64_t from, to;
	int width; /* digits of from when it has leading zeros, else 0 */
	const char *domain;
	const char *password;
	const char *ha1_md5;
	const char *ha1_sha256;
	const char *display_name;
	const char *number;
	const char *context;
	char **variables;
	unsigned nvar;
};

/* A variable split at its first '=', each side a template. */
struct var_tmpl {
	struct tmpl name;
	struct tmpl value;
	char text[MAX_TEXT * 2 + 2];
};

static int
vars_init(struct var_tmpl **out, struct dir_check *k, const struct source *s,
          size_t idlen, int *templated)
{
	struct var_tmpl *v = NULL;
	char path[80];
	unsigned i;
	int rc = 0;

	*templated = 0;
	if (s->nvar == 0)
		goto out;
	v = calloc(s->nvar, sizeof(*v));
	if (v == NULL) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < s->nvar && !rc; i++) {
		const char *text = s->variables[i];
		const char *eq = strchr(text, '=');

		snprintf(path, sizeof(path), "%s.variables[%u]", s->base, i);
		if (eq == NULL || eq == text ||
		    strlen(text) >= sizeof(v[i].text)) {
			rc = conf_bad(k->d, path,
			              "expected name=value with a non-empty "
			              "name");
			break;
		}
		memcpy(v[i].text, text, strlen(text) + 1);
		v[i].text[eq - text] = '\0';
		rc =
		    tmpl_init(&v[i].name, k, path, v[i].text, F_CONTEXT, idlen);
		if (rc == EINVAL)
			rc = conf_bad(k->d, path,
			              "expected name=value, the name of "
			              "A-Z a-z 0-9 . _ -");
		if (!rc)
			rc = tmpl_init(&v[i].value, k, path,
			               v[i].text + (eq - text) + 1, F_VARVALUE,
			               idlen);
		*templated |= v[i].name.nsub > 0 || v[i].value.nsub > 0;
	}
out:
	if (rc) {
		free(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

static struct conf_var *
vars_expand(struct conf_arena *a, const struct var_tmpl *v, size_t n, char *id,
            size_t idlen)
{
	struct conf_var *out = conf_arena_alloc(a, n * sizeof(*out));
	size_t i;

	for (i = 0; out != NULL && i < n; i++) {
		out[i].name = tmpl_expand(a, &v[i].name, id, idlen);
		out[i].value = tmpl_expand(a, &v[i].value, id, idlen);
		if (out[i].name == NULL || out[i].value == NULL)
			return NULL;
	}
	return out;
}

static int
duplicate(struct dir_check *k, const struct source *s, size_t user,
          size_t first)
{
	const struct conf_user *u = &k->dir->users[user];
	const struct origin *o = origin_of(k, first);
	char path[64], other[48];
	yaml_mark_t m;

	origin_path(other, sizeof(other), o);
	snprintf(path, sizeof(path), "%s%s", s->base, s->id ? ".id" : "");
	m = conf_doc_mark(k->d, other, 0);
	return conf_doc_fail(k->d, conf_doc_mark(k->d, path, 0), path,
	                     "user %s@%s is already defined by %s (line %zu)%s",
	                     u->id, u->domain, other, m.line + 1,
	                     s->id ? "" : "; ids must be unique per domain");
}

/* The decimal id after `id` (at most 18 digits, zeros kept): "0199" gives
 * "0200", "99" gives "100". Returns its length. */
static size_t
next_id(char *id, size_t len)
{
	size_t i = len;

	while (i > 0 && id[i - 1] == '9')
		id[--i] = '0';
	if (i > 0) {
		id[i - 1]++;
		return len;
	}
	memmove(id + 1, id, len + 1);
	id[0] = '1';
	return len + 1;
}

/* Adds the users of `s` at k->dir->user_count onwards. */
static int
add_source(struct dir_check *k, const struct source *s)
{
	struct conf_arena *a = &k->b->arena;
	struct tmpl password, display, number, context;
	struct var_tmpl *vt = NULL;
	struct conf_var *shared_vars = NULL;
	char path[80], id[MAX_ID + 2], *domain = k->domain;
	char *ha1_md5 = NULL, *ha1_sha256 = NULL;
	size_t idlen, maxlen, dup;
	uint64_t n, count;
	int rc, templated;

	/* The first id, and the longest one for the length checks. */
	if (s->id != NULL) {
		snprintf(id, sizeof(id), "%s", s->id);
		count = 1;
	} else {
		snprintf(id, sizeof(id), "%0*llu", s->width,
		         (unsigned long long)s->from);
		count = s->to - s->from + 1;
	}
	idlen = strlen(id);
	maxlen = idlen;
	if (s->id == NULL)
		maxlen = (size_t)snprintf(NULL, 0, "%0*llu", s->width,
		                          (unsigned long long)s->to);

#define FIELD(name) (snprintf(path, sizeof(path), "%s." name, s->base), path)
	rc = 0;
	if (s->domain != NULL) {
		rc = check_field(k->d, FIELD("domain"), s->domain, F_DOMAIN, 0,
		                 0, NULL);
		if (!rc) {
			domain = conf_arena_strdup(a, s->domain);
			rc = domain == NULL ? ENOMEM : 0;
		}
	}
	if (!rc)
		rc = take_ha1(&ha1_md5, k, FIELD("ha1_md5"), s->ha1_md5, 32,
		              "MD5");
	if (!rc)
		rc = take_ha1(&ha1_sha256, k, FIELD("ha1_sha256"),
		              s->ha1_sha256, 64, "SHA-256");
	if (!rc && s->password != NULL && *s->password == '\0')
		rc = conf_bad(k->d, FIELD("password"),
		              "expected a non-empty password");
	if (!rc)
		rc = tmpl_init(&password, k, FIELD("password"), s->password,
		               F_TEXT, maxlen);
	if (!rc)
		rc = tmpl_init(&display, k, FIELD("display_name"),
		               s->display_name ? s->display_name : "{id}",
		               F_NAME, maxlen);
	if (!rc)
		rc =
		    tmpl_init(&number, k, FIELD("number"),
		              s->number ? s->number : "{id}", F_NUMBER, maxlen);
	if (!rc)
		rc = tmpl_init(&context, k, FIELD("context"), s->context,
		               F_CONTEXT, maxlen);
#undef FIELD
	if (rc)
		goto out;
	if (s->password == NULL && ha1_md5 == NULL && ha1_sha256 == NULL) {
		rc = conf_doc_fail(k->d, conf_doc_mark(k->d, s->base, 0),
		                   s->base,
		                   s->id ? "needs a password, ha1_md5 or "
		                           "ha1_sha256"
		                         : "needs a password");
		goto out;
	}
	if (context.text == NULL)
		context.fixed = k->context;
	rc = vars_init(&vt, k, s, maxlen, &templated);
	if (rc)
		goto out;
	if (s->nvar > 0 && !templated) {
		shared_vars = vars_expand(a, vt, s->nvar, id, idlen);
		if (shared_vars == NULL) {
			rc = ENOMEM;
			goto out;
		}
	}
	for (n = 0; n < count; n++) {
		size_t ui = k->dir->user_count;
		struct conf_user *u = &k->dir->users[ui];

		if (n > 0)
			idlen = next_id(id, idlen);
		u->id = conf_arena_strdup(a, id);
		if (u->id == NULL) {
			rc = ENOMEM;
			goto out;
		}
		u->domain = domain;
		u->ha1_md5 = ha1_md5;
		u->ha1_sha256 = ha1_sha256;
		if (password.text != NULL)
			u->password = tmpl_expand(a, &password, u->id, idlen);
		u->display_name = tmpl_expand(a, &display, u->id, idlen);
		u->number = tmpl_expand(a, &number, u->id, idlen);
		u->context = tmpl_expand(a, &context, u->id, idlen);
		u->var_count = s->nvar;
		u->vars = shared_vars;
		if (s->nvar > 0 && templated)
			u->vars = vars_expand(a, vt, s->nvar, u->id, idlen);
		if ((password.text != NULL && u->password == NULL) ||
		    u->display_name == NULL || u->number == NULL ||
		    u->context == NULL || (s->nvar > 0 && u->vars == NULL)) {
			rc = ENOMEM;
			goto out;
		}
		k->dir->user_count++;
		if (insert(k, ui, &dup)) {
			rc = duplicate(k, s, ui, dup);
			goto out;
		}
	}
out:
	free(vt);
	return rc;
}

/* A range bound: digits only, so "0100" keeps its zeros as text. */
static int
take_bound(uint64_t *out, struct conf_doc *d, const char *base,
           const char *name, const char *s)
{
	char path[64];
	uint64_t v = 0;
	size_t i;

	snprintf(path, sizeof(path), "%s.%s", base, name);
	if (s == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, base, 0), base,
		                     "%s is required", name);
	for (i = 0; isdigit((unsigned char)s[i]) && i < 18; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (i == 0 || s[i] != '\0')
		return conf_bad(d, path,
		                "expected a number of 1 to 18 decimal digits");
	*out = v;
	return 0;
}

static int
range_source(struct source *src, struct conf_doc *d,
             const struct conf_raw_range *r, unsigned i, uint64_t *total)
{
	char path[64];
	uint64_t count;
	int rc;

	memset(src, 0, sizeof(*src));
	snprintf(src->base, sizeof(src->base), "directory.ranges[%u]", i);
	rc = take_bound(&src->from, d, src->base, "from", r->from);
	if (!rc)
		rc = take_bound(&src->to, d, src->base, "to", r->to);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s.to", src->base);
	if (src->to < src->from)
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "must not be below from (%s), got %s",
		                     r->from, r->to);
	count = src->to - src->from + 1;
	if (count > MAX_RANGE)
		return conf_doc_fail(d, conf_doc_mark(d, path, 0), path,
		                     "the range %s..%s holds %llu ids; at most "
		                     "%u per range",
		                     r->from, r->to, (unsigned long long)count,
		                     MAX_RANGE);
	*total += count;
	if (*total > MAX_USERS)
		return conf_doc_fail(d, conf_doc_mark(d, src->base, 0),
		                     src->base,
		                     "this range brings the directory to %llu "
		                     "users; at most %u in all",
		                     (unsigned long long)*total, MAX_USERS);
	if (r->from[0] == '0' && r->from[1] != '\0')
		src->width = (int)strlen(r->from);
	src->domain = r->domain;
	src->password = r->password;
	src->display_name = r->display_name;
	src->number = r->number;
	src->context = r->context;
	src->variables = r->variables;
	src->nvar = r->variables_count;
	return 0;
}

static int
user_source(struct source *src, struct conf_doc *d,
            const struct conf_raw_user *r, unsigned i)
{
	char path[64];
	int rc;

	memset(src, 0, sizeof(*src));
	snprintf(src->base, sizeof(src->base), "directory.users[%u]", i);
	if (r->id == NULL)
		return conf_doc_fail(d, conf_doc_mark(d, src->base, 0),
		                     src->base, "id is required");
	snprintf(path, sizeof(path), "%s.id", src->base);
	rc = check_field(d, path, r->id, F_ID, 0, 0, NULL);
	if (rc)
		return rc;
	src->id = r->id;
	src->domain = r->domain;
	src->password = r->password;
	src->ha1_md5 = r->ha1_md5;
	src->ha1_sha256 = r->ha1_sha256;
	src->display_name = r->display_name;
	src->number = r->number;
	src->context = r->context;
	src->variables = r->variables;
	src->nvar = r->variables_count;
	return 0;
}

/* Users and ranges go into one array in the order the file gives them. */
static int
ranges_first(struct conf_doc *d)
{
	yaml_node_t *uk = NULL, *rk = NULL;

	if (conf_doc_find(d, "directory.users", &uk) == NULL ||
	    conf_doc_find(d, "directory.ranges", &rk) == NULL || uk == NULL ||
	    rk == NULL)
		return 0;
	return rk->start_mark.index < uk->start_mark.index;
}

static int
fill(struct dir_check *k, const struct conf_raw_directory *r)
{
	struct source *src = NULL;
	uint64_t total = r->users_count;
	size_t nsrc = (size_t)r->users_count + r->ranges_count, i, slots;
	int rc = 0, rfirst = ranges_first(k->d);

	if (nsrc == 0)
		return 0;
	src = calloc(nsrc, sizeof(*src));
	k->origins = calloc(nsrc, sizeof(*k->origins));
	if (src == NULL || k->origins == NULL) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < nsrc && !rc; i++) {
		int is_range =
		    rfirst ? i < r->ranges_count : i >= r->users_count;
		unsigned j = (unsigned)(is_range == rfirst
		                            ? i
		                            : i - (rfirst ? r->ranges_count
		                                          : r->users_count));

		k->origins[i].is_range = is_range;
		k->origins[i].index = j;
		if (is_range)
			rc = range_source(&src[i], k->d, &r->ranges[j], j,
			                  &total);
		else
			rc = user_source(&src[i], k->d, &r->users[j], j);
	}
	if (rc)
		goto out;
	k->dir->users = calloc((size_t)total, sizeof(*k->dir->users));
	for (slots = 16; slots < 2 * total; slots *= 2)
		;
	k->slots = calloc(slots, sizeof(*k->slots));
	k->mask = slots - 1;
	if (k->dir->users == NULL || k->slots == NULL) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < nsrc && !rc; i++) {
		k->origins[i].first = k->dir->user_count;
		k->norigins = i + 1;
		rc = add_source(k, &src[i]);
	}
out:
	free(src);
	return rc;
}

static int
check_exposure(struct dir_check *k)
{
	const struct conf_sip *sip = &k->b->c.sip;
	const struct conf_user *u;
	const char *path = NULL;
	char where[48], lpath[48];
	const struct conf_addr *bad = NULL;
	size_t i;

	if (k->dir->lab || (u = conf_demo_user(k->dir)) == NULL)
		return 0;
	for (i = 0; i < sip->listen_count && bad == NULL; i++) {
		if (!conf_is_loopback(&sip->listen[i])) {
			bad = &sip->listen[i];
			snprintf(lpath, sizeof(lpath), "sip.listen[%zu]", i);
			path = lpath;
		}
	}
	if (bad == NULL && sip->tls.enabled &&
	    !conf_is_loopback(&sip->tls.listen)) {
		bad = &sip->tls.listen;
		path = "sip.tls.listen";
	}
	if (bad == NULL)
		return 0;
	origin_path(where, sizeof(where),
	            origin_of(k, (size_t)(u - k->dir->users)));
	return conf_doc_fail(k->d, conf_doc_mark(k->d, path, 0), path,
	                     CONF_EXPOSED, where, ", user ", u->id, bad->text);
}

int
conf_take_bool(int *out, struct conf_doc *d, const char *path, const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
		*out = s[0] == 't';
		return 0;
	}
	return conf_bad(d, path, "expected true or false");
}

int
conf_check_directory(struct conf_box *b, const struct conf_raw_directory *r,
                     struct conf_doc *d)
{
	struct dir_check k = { .b = b, .d = d, .dir = &b->c.directory };
	static const struct conf_raw_directory none = { 0 };
	int rc = 0;

	if (r == NULL)
		r = &none;
	if (r->domain != NULL) {
		rc = check_field(d, "directory.domain", r->domain, F_DOMAIN, 0,
		                 0, NULL);
		if (!rc) {
			free(k.dir->domain);
			rc = conf_dup_str(&k.dir->domain, r->domain);
		}
	}
	if (!rc)
		rc = conf_take_bool(&k.dir->lab, d, "directory.lab", r->lab);
	if (rc)
		goto out;
	k.domain = conf_arena_strdup(&b->arena, k.dir->domain);
	k.context = conf_arena_strdup(&b->arena, "default");
	if (k.domain == NULL || k.context == NULL) {
		rc = ENOMEM;
		goto out;
	}
	rc = fill(&k, r);
	if (!rc)
		rc = check_exposure(&k);
out:
	free(k.slots);
	free(k.origins);
	return rc;
}
