/*
 * Throttling of failed digest authentications (auth.h), as fail2ban and
 * Kamailio's pike/htable recipes do it: failures are counted per source
 * address and per user over a window; past the threshold the source (or
 * user) is backed off, and each new backoff lasts twice the previous one,
 * up to a maximum. A quiet period as long as the maximum forgets the
 * history.
 *
 * What a backoff means is the caller's business (auth_verdict.c): a source
 * is ignored, a user is answered 503 with Retry-After, except on the
 * sources it authenticated from before: per-user limits slow down guessing
 * from everywhere, but must not lock the user's own phones out.
 *
 * Two tables (sources, users) of fixed size, in shards behind mutexes,
 * open addressing over 64-bit key hashes with a short probe: a lookup is
 * one lock and a few cache lines. When a probe has no room, the entry
 * least recently failed (preferably one not backed off) is replaced, so
 * memory is bounded; a flood of sources can only make the table forget
 * old ones.
 *
 * In a cluster the failures count wherever they happen: with sharing on,
 * every local failure is also added to an outbox (per source and per user,
 * aggregated: one entry and a count per key), which the registrar takes
 * every 100 ms and sends to its peers; a peer adds those counts to its own
 * tables (auth_limits_remote) but not to its outbox, so nothing echoes.
 * The outbox is bounded like the tables: a key that finds no room is not
 * shared (it still counts here).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "pbx_fnv.h"

#define SHARDS     16u   /* a power of two */
#define SHARD_CAP  1024u /* entries per shard, a power of two */
#define PROBE      8u
#define GOOD       2u    /* sources remembered per user */
#define OUTBOX     512u  /* keys shared per report at most, a power of two */
#define REMOTE_MAX 1000u /* failures of one key in one report, at most */

struct lent {
	uint64_t key;                    /* 0: free */
	uint64_t window_at, until, last; /* ms */
	uint32_t fails, level;
	uint64_t good[GOOD]; /* users: source keys that authenticated */
};

struct ltab {
	struct {
		pthread_mutex_t mu;
		struct lent e[SHARD_CAP];
	} shard[SHARDS];
};

struct obox {
	uint64_t key; /* 0: free */
	struct auth_failure f;
};

struct auth_limits {
	struct auth_limit_conf c;
	auth_log_h log;
	struct ltab src, user;
	bool share;
	pthread_mutex_t out_mu;
	uint32_t out_n;
	struct obox out[OUTBOX];
};

int
auth_limits_alloc(struct auth_limits **out, const struct auth_limit_conf *c,
                  auth_log_h log)
{
	struct auth_limits *l = calloc(1, sizeof(*l));

	if (!l)
		return ENOMEM;
	l->c = *c;
	l->log = log;
	for (unsigned i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&l->src.shard[i].mu, NULL);
		pthread_mutex_init(&l->user.shard[i].mu, NULL);
	}
	pthread_mutex_init(&l->out_mu, NULL);
	*out = l;
	return 0;
}

void
auth_limits_free(struct auth_limits *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < SHARDS; i++) {
		pthread_mutex_destroy(&l->src.shard[i].mu);
		pthread_mutex_destroy(&l->user.shard[i].mu);
	}
	pthread_mutex_destroy(&l->out_mu);
	free(l);
}

/* The key of a table: FNV-1a, mixed (MurmurHash3's finaliser) so that the
 * shard (top bits) and the slot (low bits) both depend on every byte; 0
 * is no key. */
static uint64_t
nonzero(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

#define HASH_INIT 0xcbf29ce484222325ull

/* An IPv4 address, or the /64 of an IPv6 one (an attacker has the whole
 * /64); IPv4-mapped IPv6 as IPv4. */
static uint64_t
src_key(const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };
	uint64_t h = pbx_fnv64(HASH_INIT, "s", 1);

	if (sa->sa_family == AF_INET6) {
		const uint8_t *b =
		    ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(b, mapped, 12) == 0)
			return nonzero(pbx_fnv64(h, b + 12, 4));
		return nonzero(pbx_fnv64(pbx_fnv64(h, "6", 1), b, 8));
	}
	if (sa->sa_family == AF_INET)
		return nonzero(pbx_fnv64(
		    h, &((const struct sockaddr_in *)sa)->sin_addr, 4));
	return 1;
}

static uint64_t
user_key(const struct pl *user, const struct pl *realm)
{
	uint64_t h = pbx_fnv64(HASH_INIT, "u", 1);

	h = pbx_fnv64(h, user->p, user->l);
	h = pbx_fnv64(h, "@", 1);
	return nonzero(pbx_fnv64(h, realm->p, realm->l));
}

static void
src_text(char *out, size_t n, const struct sockaddr *sa)
{
	const void *ip =
	    sa->sa_family == AF_INET6
	        ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	        : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (!inet_ntop(sa->sa_family, ip, out, (socklen_t)n))
		snprintf(out, n, "?");
}

/* Which of two entries to replace first: one not backed off, then the
 * one that failed longest ago. */
static bool
before(const struct lent *x, const struct lent *y, uint64_t now)
{
	if ((x->until > now) != (y->until > now))
		return y->until > now;
	return x->last < y->last;
}

/* The entry of key in its locked shard; with make, one is made (a free
 * slot of the probe, else the one `before` picks). NULL: none. */
static struct lent *
find(struct ltab *t, uint64_t key, bool make, uint64_t now,
     pthread_mutex_t **mu)
{
	unsigned si = (unsigned)(key >> 56) & (SHARDS - 1);
	struct lent *e = t->shard[si].e, *free_ = NULL, *victim = NULL;
	uint32_t b = (uint32_t)key & (SHARD_CAP - 1);

	*mu = &t->shard[si].mu;
	pthread_mutex_lock(*mu);
	for (uint32_t i = 0; i < PROBE; i++) {
		struct lent *x = &e[(b + i) & (SHARD_CAP - 1)];

		if (x->key == key)
			return x;
		if (!x->key) {
			if (!free_)
				free_ = x;
		} else if (!victim || before(x, victim, now)) {
			victim = x;
		}
	}
	if (!make)
		return NULL;
	victim = free_ ? free_ : victim;
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	return victim;
}

static uint64_t
left(const struct lent *e, uint64_t now)
{
	return e && e->until > now ? e->until - now : 0;
}

uint64_t
auth_limits_source(struct auth_limits *l, const struct sockaddr *src,
                   uint64_t now_ms)
{
	pthread_mutex_t *mu;
	uint64_t ms;

	if (!l || !l->c.failures || !src)
		return 0;
	ms = left(find(&l->src, src_key(src), false, now_ms, &mu), now_ms);
	pthread_mutex_unlock(mu);
	return ms;
}

uint64_t
auth_limits_user(struct auth_limits *l, const struct pl *user,
                 const struct pl *realm, const struct sockaddr *src,
                 uint64_t now_ms)
{
	pthread_mutex_t *mu;
	struct lent *e;
	uint64_t ms = 0, sk;

	if (!l || !l->c.failures || !user || !user->l)
		return 0;
	sk = src ? src_key(src) : 0;
	e = find(&l->user, user_key(user, realm), false, now_ms, &mu);
	if (e && (ms = left(e, now_ms)) != 0)
		for (unsigned i = 0; i < GOOD; i++)
			if (sk && e->good[i] == sk)
				ms = 0;
	pthread_mutex_unlock(mu);
	return ms;
}

/* One more failure of e; true (and *secs) when a backoff starts. */
static bool
count(const struct auth_limit_conf *c, struct lent *e, uint32_t max_s,
      uint64_t now, uint32_t *secs)
{
	uint64_t d;

	/* quiet (a backoff is not) as long as the longest backoff: the
	 * history is forgotten */
	if (e->last && now - (e->until > e->last ? e->until : e->last) >
	                   (uint64_t)max_s * 1000)
		e->level = 0;
	if (!e->window_at ||
	    now - e->window_at > (uint64_t)c->window_s * 1000) {
		e->window_at = now;
		e->fails = 0;
	}
	e->last = now;
	if (++e->fails < c->failures || e->until > now)
		return false;
	d = (uint64_t)c->backoff_s << (e->level < 20 ? e->level : 20);
	if (d > max_s)
		d = max_s;
	e->level++;
	e->until = now + d * 1000;
	e->fails = 0;
	e->window_at = e->until; /* counting starts again after it */
	*secs = (uint32_t)d;
	return true;
}

/* One more failure (n more: a peer's report) of src and of user; a log
 * line when a backoff starts. */
static void
failed_n(struct auth_limits *l, const struct pl *user, const struct pl *realm,
         const struct sockaddr *src, uint64_t now_ms, uint32_t n,
         const char *why)
{
	pthread_mutex_t *mu;
	struct lent *e;
	uint32_t secs;
	bool start = false;
	char text[INET6_ADDRSTRLEN];

	if (src) {
		e = find(&l->src, src_key(src), true, now_ms, &mu);
		/* the counts after a backoff started go with it */
		for (uint32_t i = 0; i < n && !start; i++)
			start =
			    count(&l->c, e, l->c.max_backoff_s, now_ms, &secs);
		pthread_mutex_unlock(mu);
		if (start) {
			src_text(text, sizeof(text), src);
			auth_logf(
			    l->log, true,
			    "auth: source %s throttled for %u s: %u failed "
			    "authentications within %u s%s (requests from "
			    "it are ignored)",
			    text, secs, l->c.failures, l->c.window_s, why);
		}
	}
	start = false;
	if (user && user->l) {
		e = find(&l->user, user_key(user, realm), true, now_ms, &mu);
		for (uint32_t i = 0; i < n && !start; i++)
			start = count(&l->c, e, l->c.user_max_backoff_s, now_ms,
			              &secs);
		pthread_mutex_unlock(mu);
		if (start)
			auth_logf(l->log, true,
			          "auth: user %.*s@%.*s throttled for %u s: %u "
			          "failed authentications within %u s%s (503 "
			          "to sources it has not authenticated from)",
			          PL_ARG(*user), PL_ARG(*realm), secs,
			          l->c.failures, l->c.window_s, why);
	}
}

/* One failure of key into the outbox (f: what names it for a peer). */
static void
share(struct auth_limits *l, uint64_t key, const struct auth_failure *f)
{
	uint32_t b = (uint32_t)key & (OUTBOX - 1);

	pthread_mutex_lock(&l->out_mu);
	for (uint32_t i = 0; i < PROBE; i++) {
		struct obox *x = &l->out[(b + i) & (OUTBOX - 1)];

		if (x->key == key) {
			x->f.count++;
			break;
		}
		if (!x->key) {
			x->key = key;
			x->f = *f;
			x->f.count = 1;
			l->out_n++;
			break;
		}
	}
	pthread_mutex_unlock(&l->out_mu);
}

static void
share_failure(struct auth_limits *l, const struct pl *user,
              const struct pl *realm, const struct sockaddr *src)
{
	struct auth_failure f;

	if (src && (src->sa_family == AF_INET || src->sa_family == AF_INET6)) {
		memset(&f, 0, sizeof(f));
		if (src->sa_family == AF_INET) {
			f.ip_len = 4;
			memcpy(f.ip,
			       &((const struct sockaddr_in *)src)->sin_addr, 4);
		} else {
			f.ip_len = 16;
			memcpy(f.ip,
			       &((const struct sockaddr_in6 *)src)->sin6_addr,
			       16);
		}
		share(l, src_key(src), &f);
	}
	if (user && user->l && user->l < sizeof(f.user) && realm &&
	    realm->l < sizeof(f.realm)) {
		memset(&f, 0, sizeof(f));
		memcpy(f.user, user->p, user->l);
		memcpy(f.realm, realm->p, realm->l);
		share(l, user_key(user, realm), &f);
	}
}

void
auth_limits_failed(struct auth_limits *l, const struct pl *user,
                   const struct pl *realm, const struct sockaddr *src,
                   uint64_t now_ms)
{
	if (!l || !l->c.failures)
		return;
	failed_n(l, user, realm, src, now_ms, 1, "");
	if (l->share)
		share_failure(l, user, realm, src);
}

void
auth_limits_share(struct auth_limits *l, bool on)
{
	if (l)
		l->share = on && l->c.failures;
}

size_t
auth_limits_take(struct auth_limits *l, struct auth_failure *out, size_t max)
{
	size_t n = 0;

	if (!l || !l->share)
		return 0;
	pthread_mutex_lock(&l->out_mu);
	for (uint32_t i = 0; i < OUTBOX && l->out_n && n < max; i++) {
		if (!l->out[i].key)
			continue;
		out[n++] = l->out[i].f;
		l->out[i].key = 0;
		l->out_n--;
	}
	pthread_mutex_unlock(&l->out_mu);
	return n;
}

void
auth_limits_remote(struct auth_limits *l, const struct auth_failure *f,
                   uint64_t now_ms)
{
	struct sockaddr_storage ss;
	struct pl user, realm;
	uint32_t n;

	if (!l || !l->c.failures || !f->count)
		return;
	n = f->count < REMOTE_MAX ? f->count : REMOTE_MAX;
	memset(&ss, 0, sizeof(ss));
	if (f->ip_len == 4) {
		ss.ss_family = AF_INET;
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, f->ip, 4);
		failed_n(l, NULL, NULL, (struct sockaddr *)&ss, now_ms, n,
		         " across the cluster");
	} else if (f->ip_len == 16) {
		ss.ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, f->ip, 16);
		failed_n(l, NULL, NULL, (struct sockaddr *)&ss, now_ms, n,
		         " across the cluster");
	} else if (f->user[0]) {
		user = pl_from_str(f->user);
		realm = pl_from_str(f->realm);
		failed_n(l, &user, &realm, NULL, now_ms, n,
		         " across the cluster");
	}
}

void
auth_limits_passed(struct auth_limits *l, const struct pl *user,
                   const struct pl *realm, const struct sockaddr *src,
                   uint64_t now_ms)
{
	pthread_mutex_t *mu;
	struct lent *e;
	uint64_t sk;

	if (!l || !l->c.failures || !src || !user || !user->l)
		return;
	sk = src_key(src);
	e = find(&l->user, user_key(user, realm), true, now_ms, &mu);
	if (e->good[0] != sk) {
		e->good[1] = e->good[0];
		e->good[0] = sk;
	}
	if (!e->last)
		e->last = now_ms; /* an entry made here ages like the others */
	pthread_mutex_unlock(mu);
}
