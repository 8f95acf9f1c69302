/* Shared by the storage tests that compare databases byte for byte: every
 * key and value of one database, in key order, as one buffer. */
#ifndef PBX_STORE_DUMP_H
#define PBX_STORE_DUMP_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

struct dump {
	uint8_t *p;
	size_t n;
};

static inline int
dump_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct dump *d = arg;

	d->p = realloc(d->p, d->n + kl + vl + 16);
	memcpy(d->p + d->n, &kl, 8);
	memcpy(d->p + d->n + 8, k, kl);
	memcpy(d->p + d->n + 8 + kl, &vl, 8);
	memcpy(d->p + d->n + 16 + kl, v, vl);
	d->n += kl + vl + 16;
	return 0;
}

static inline struct dump
dump_of(struct store *s, const char *db)
{
	struct dump d = { NULL, 0 };

	ck_assert_int_eq(store_dump(s, db, dump_cb, &d), 0);
	return d;
}

#endif
