/*
 * The node's memory of accepted digest credentials (auth.h): per nonce, the
 * nonce counts already used, so that a credential accepted once is refused
 * the second time whatever the request around it (RFC 7616 §3.4.5).
 *
 * One table for every worker of the node, in shards, each behind its own
 * mutex: a registration touches one shard for the length of a hash lookup.
 * Each shard is a ring of entries in the order of their first use, with a
 * chained hash index over it. The ring is bounded: when it is full its
 * oldest entry goes, and the shard remembers the newest nonce time it
 * dropped (its horizon). A nonce at or before the horizon that the shard
 * does not hold may be one it forgot, so it is answered "forgotten" (the
 * caller challenges again, stale=true) instead of being taken as new:
 * memory stays bounded and nothing forgotten can be replayed. Entries also
 * go once their nonce is past its lifetime (auth_check calls it stale
 * then).
 *
 * Nonce counts are checked with a window, as IPsec checks sequence
 * numbers: a count above the highest seen is new; one of the 64 below it is
 * new if that count was not used yet (a client's requests may overtake each
 * other); anything older is refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define SHARDS    64u /* a power of two */
#define NC_WINDOW 64u

struct nent {
	uint64_t ts, salt;
	uint64_t seen; /* bit i: count nc_max - i was used */
	uint32_t nc_max;
	uint32_t next; /* in the bucket's chain: ring index + 1, 0 ends */
};

struct shard {
	pthread_mutex_t mu;
	uint32_t head, n;  /* the ring: ring[(head + k) % cap], k < n */
	uint64_t horizon;  /* newest nonce time dropped while not expired */
	uint32_t *bucket;  /* cap of them: ring index + 1, 0 empty */
	struct nent *ring; /* cap */
};

struct auth_nonces {
	uint32_t lifetime_s;
	uint32_t cap; /* per shard, a power of two */
	struct shard shard[SHARDS];
};

/* The salt is random per challenge, the time is not: mixed (MurmurHash3's
 * finaliser) so that shard and bucket bits both depend on all of them. */
static uint64_t
mix(const struct auth_nonce_use *u)
{
	uint64_t h = u->salt ^ (u->ts * 0x9e3779b97f4a7c15ull);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

void
auth_nonces_free(struct auth_nonces *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < SHARDS; i++) {
		pthread_mutex_destroy(&t->shard[i].mu);
		free(t->shard[i].bucket);
		free(t->shard[i].ring);
	}
	free(t);
}

int
auth_nonces_alloc(struct auth_nonces **out, uint32_t lifetime_s,
                  size_t capacity)
{
	struct auth_nonces *t = calloc(1, sizeof(*t));
	uint32_t cap = 16;

	if (!t)
		return ENOMEM;
	while ((size_t)cap * SHARDS < capacity && cap < (1u << 24))
		cap <<= 1;
	t->lifetime_s = lifetime_s;
	t->cap = cap;
	for (unsigned i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&t->shard[i].mu, NULL);
		/* calloc: pages no entry reached are never touched */
		t->shard[i].bucket = calloc(cap, sizeof(uint32_t));
		t->shard[i].ring = calloc(cap, sizeof(struct nent));
		if (!t->shard[i].bucket || !t->shard[i].ring) {
			auth_nonces_free(t);
			return ENOMEM;
		}
	}
	*out = t;
	return 0;
}

size_t
auth_nonces_capacity(const struct auth_nonces *t)
{
	return (size_t)SHARDS * t->cap;
}

/* Unlink the ring's oldest entry from its chain and drop it. */
static void
drop_head(struct shard *s, uint32_t cap, uint32_t bucket)
{
	uint32_t idx = s->head, *pp = &s->bucket[bucket];

	while (*pp && *pp != idx + 1)
		pp = &s->ring[*pp - 1].next;
	if (*pp)
		*pp = s->ring[idx].next;
	s->head = (s->head + 1) % cap;
	s->n--;
}

static uint32_t
bucket_of(const struct nent *e, uint32_t cap)
{
	struct auth_nonce_use u = { e->ts, e->salt, 0 };

	return (uint32_t)(mix(&u) >> 32) & (cap - 1);
}

/* The expired at the ring's head go; when the ring is full, the oldest
 * goes too and raises the horizon. */
static void
make_room(struct shard *s, uint32_t cap, uint64_t now_s, uint32_t lifetime_s)
{
	while (s->n && s->ring[s->head].ts + lifetime_s < now_s)
		drop_head(s, cap, bucket_of(&s->ring[s->head], cap));
	if (s->n == cap) {
		if (s->ring[s->head].ts > s->horizon)
			s->horizon = s->ring[s->head].ts;
		drop_head(s, cap, bucket_of(&s->ring[s->head], cap));
	}
}

/* The verdict on count nc of an entry, which takes it when it is new. */
static int
take_nc(struct nent *e, uint32_t nc)
{
	uint32_t back;

	if (nc > e->nc_max) {
		uint32_t shift = nc - e->nc_max;

		e->seen = shift >= NC_WINDOW ? 0 : e->seen << shift;
		e->seen |= 1;
		e->nc_max = nc;
		return AUTH_NONCE_FRESH;
	}
	back = e->nc_max - nc;
	if (back >= NC_WINDOW || (e->seen >> back) & 1)
		return AUTH_NONCE_REPLAYED;
	e->seen |= 1ull << back;
	return AUTH_NONCE_FRESH;
}

int
auth_nonces_use(struct auth_nonces *t, const struct auth_nonce_use *u,
                uint64_t now_s)
{
	uint64_t h = mix(u);
	uint32_t cap = t->cap;
	struct shard *s = &t->shard[h & (SHARDS - 1)];
	uint32_t b = (uint32_t)(h >> 32) & (cap - 1), idx;
	struct nent *e;
	int verdict;

	if (u->nc == 0)
		return AUTH_NONCE_REPLAYED; /* counts start at 1 */
	pthread_mutex_lock(&s->mu);
	for (uint32_t i = s->bucket[b]; i; i = s->ring[i - 1].next) {
		e = &s->ring[i - 1];
		if (e->ts == u->ts && e->salt == u->salt) {
			verdict = take_nc(e, u->nc);
			goto out;
		}
	}
	if (u->ts <= s->horizon) {
		verdict = AUTH_NONCE_FORGOTTEN;
		goto out;
	}
	make_room(s, cap, now_s, t->lifetime_s);
	idx = (s->head + s->n) % cap;
	e = &s->ring[idx];
	*e =
	    (struct nent){ .ts = u->ts, .salt = u->salt, .next = s->bucket[b] };
	s->bucket[b] = idx + 1;
	s->n++;
	verdict = take_nc(e, u->nc);
out:
	pthread_mutex_unlock(&s->mu);
	return verdict;
}
