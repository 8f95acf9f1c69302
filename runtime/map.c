/*
 * u64 -> pointer map for the actor, timer and request tables of a worker.
 * Linear probing with backward-shift deletion (no tombstones), so a table
 * that sees millions of short-lived actors does not degrade. Key 0 is never
 * stored (ids start at 1).
 */
#include <errno.h>
#include <stdlib.h>

#include "rt_int.h"

static inline size_t
slot(uint64_t key, size_t cap)
{
	/* fibonacci hashing: ids are sequential, spread them */
	return (size_t)((key * 11400714819323198485ull) >> 20) & (cap - 1);
}

void
rt_map_init(struct rt_map *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	m->len = 0;
}

void
rt_map_fini(struct rt_map *m)
{
	free(m->keys);
	free(m->vals);
	rt_map_init(m);
}

void *
rt_map_get(const struct rt_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == 0)
			return NULL;
	}
}

static void
insert(uint64_t *keys, void **vals, size_t cap, uint64_t key, void *val)
{
	size_t i = slot(key, cap);

	while (keys[i] != 0 && keys[i] != key)
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	vals[i] = val;
}

static int
grow(struct rt_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			insert(keys, vals, cap, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int
rt_map_put(struct rt_map *m, uint64_t key, void *val)
{
	int err;

	if (key == 0)
		return EINVAL;
	/* load factor at most 1/2 */
	if ((m->len + 1) * 2 > m->cap && (err = grow(m)) != 0)
		return err;
	if (!rt_map_get(m, key))
		m->len++;
	insert(m->keys, m->vals, m->cap, key, val);
	return 0;
}

void *
rt_map_del(struct rt_map *m, uint64_t key)
{
	size_t i, j, k, mask = m->cap - 1;
	void *val;

	if (!m->cap || key == 0)
		return NULL;
	for (i = slot(key, m->cap); m->keys[i] != key; i = (i + 1) & mask)
		if (m->keys[i] == 0)
			return NULL;
	val = m->vals[i];
	m->len--;
	/* shift back the entries of the probe run that follows */
	for (j = i;;) {
		m->keys[i] = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (m->keys[j] == 0)
				return val;
			k = slot(m->keys[j], m->cap);
			/* move j to i unless its home k lies cyclically in
			 * (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		i = j;
	}
}
