/* The SIP core's table of live server transactions: key string -> actor,
 * with every key of a transaction also found by the transaction's id, so
 * all its keys go when it stops. Chained hashing, one per worker, no locks. */
#ifndef PBX_TXN_TABLE_H
#define PBX_TXN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

struct txn_entry;

struct txn_table {
	struct txn_entry **by_key, **by_txn;
	size_t nb; /* buckets, power of two */
	size_t n;
};

int txn_table_init(struct txn_table *t);
void txn_table_fini(struct txn_table *t);
/* 0, or ENOMEM. The same key twice is a caller error. */
int txn_table_put(struct txn_table *t, const char *key, size_t klen,
                  rt_addr txn);
/* 0 and *txn, or ENOENT. */
int txn_table_get(const struct txn_table *t, const char *key, size_t klen,
                  rt_addr *txn);
/* Remove every key of this transaction; returns how many. */
size_t txn_table_drop(struct txn_table *t, rt_addr txn);

#endif
