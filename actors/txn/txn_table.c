#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "txn_table.h"

struct txn_entry {
	struct txn_entry *next_key, *next_txn;
	uint64_t h;
	rt_addr txn;
	size_t klen;
	char key[];
};

static uint64_t
hash(const char *p, size_t n)
{
	return rt_hash(RT_HASH_INIT, p, n);
}

static size_t
txn_slot(const struct txn_table *t, rt_addr a)
{
	return (size_t)((a.id * 0x9e3779b97f4a7c15ull) >> 17) & (t->nb - 1);
}

int
txn_table_init(struct txn_table *t)
{
	t->nb = 1024;
	t->n = 0;
	t->by_key = calloc(t->nb, sizeof(*t->by_key));
	t->by_txn = calloc(t->nb, sizeof(*t->by_txn));
	if (!t->by_key || !t->by_txn) {
		txn_table_fini(t);
		return ENOMEM;
	}
	return 0;
}

void
txn_table_fini(struct txn_table *t)
{
	for (size_t i = 0; t->by_key && i < t->nb; i++) {
		struct txn_entry *e = t->by_key[i], *n;

		for (; e; e = n) {
			n = e->next_key;
			free(e);
		}
	}
	free(t->by_key);
	free(t->by_txn);
	t->by_key = t->by_txn = NULL;
	t->n = 0;
}

static void
grow(struct txn_table *t)
{
	size_t nb = t->nb * 2;
	struct txn_entry **k = calloc(nb, sizeof(*k)), **x;

	x = calloc(nb, sizeof(*x));
	if (!k || !x) {
		free(k);
		free(x);
		return; /* longer chains, still correct */
	}
	for (size_t i = 0; i < t->nb; i++) {
		struct txn_entry *e = t->by_key[i], *n;

		for (; e; e = n) {
			n = e->next_key;
			e->next_key = k[e->h & (nb - 1)];
			k[e->h & (nb - 1)] = e;
		}
	}
	free(t->by_key);
	free(t->by_txn);
	t->by_key = k;
	t->by_txn = x;
	t->nb = nb;
	/* rebuild the txn chains from the key chains */
	for (size_t i = 0; i < nb; i++)
		for (struct txn_entry *e = k[i]; e; e = e->next_key) {
			size_t s = txn_slot(t, e->txn);

			e->next_txn = x[s];
			x[s] = e;
		}
}

int
txn_table_put(struct txn_table *t, const char *key, size_t klen, rt_addr txn)
{
	struct txn_entry *e;
	size_t s;

	if (t->n >= t->nb)
		grow(t);
	e = malloc(sizeof(*e) + klen);
	if (!e)
		return ENOMEM;
	e->h = hash(key, klen);
	e->txn = txn;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->next_key = t->by_key[e->h & (t->nb - 1)];
	t->by_key[e->h & (t->nb - 1)] = e;
	s = txn_slot(t, txn);
	e->next_txn = t->by_txn[s];
	t->by_txn[s] = e;
	t->n++;
	return 0;
}

int
txn_table_get(const struct txn_table *t, const char *key, size_t klen,
              rt_addr *txn)
{
	uint64_t h = hash(key, klen);

	for (struct txn_entry *e = t->by_key[h & (t->nb - 1)]; e;
	     e = e->next_key)
		if (e->h == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0) {
			*txn = e->txn;
			return 0;
		}
	return ENOENT;
}

size_t
txn_table_drop(struct txn_table *t, rt_addr txn)
{
	struct txn_entry **pp = &t->by_txn[txn_slot(t, txn)], *e;
	size_t k = 0;

	while ((e = *pp) != NULL) {
		if (!rt_addr_eq(e->txn, txn)) {
			pp = &e->next_txn;
			continue;
		}
		*pp = e->next_txn;
		/* unlink from its key chain */
		struct txn_entry **kp = &t->by_key[e->h & (t->nb - 1)];
		while (*kp != e)
			kp = &(*kp)->next_key;
		*kp = e->next_key;
		free(e);
		t->n--;
		k++;
	}
	return k;
}
