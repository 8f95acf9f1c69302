/* lmdb_put DIR DB KEY VALUE [HOLD_MS]: store VALUE (its bytes, as given)
 * under KEY in the named database of the LMDB environment in DIR. With
 * HOLD_MS, the write transaction is held open that long before its commit
 * ("holding" on stdout once it is), so that nobody else can commit
 * meanwhile. lmdb_put -d DIR DB KEY: delete KEY. A KEY written hex:... is
 * those bytes (hex:0000000100000000000000ff: the event key of node 1, seq
 * 255). The registrar tests use it to plant a record the store cannot read,
 * so that a commit fails, and to make pbxd's commits wait; the call tests
 * to take the slot of pbxd's next event, so that its commits fail until
 * the key is deleted. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* KEY as bytes into buf: 0 and *k, or 1 for bad hex. */
static int
key_of(const char *s, unsigned char *buf, size_t cap, MDB_val *k)
{
	size_t n;

	if (strncmp(s, "hex:", 4) != 0) {
		*k = (MDB_val){ strlen(s), (void *)s };
		return 0;
	}
	s += 4;
	n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return 1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return 1;
		buf[i] = (unsigned char)v;
	}
	*k = (MDB_val){ n / 2, buf };
	return 0;
}

int
main(int argc, char **argv)
{
	int del = argc > 1 && strcmp(argv[1], "-d") == 0;
	char **a = argv + del;
	int na = argc - del;
	unsigned char kb[511];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	long hold = !del && na == 6 ? atol(a[5]) : 0;
	struct timespec ts = { hold / 1000, (hold % 1000) * 1000000L };
	int rc;

	if (del ? na != 4 : (na != 5 && na != 6)) {
		fprintf(stderr, "usage: lmdb_put DIR DB KEY VALUE [HOLD_MS]\n"
		                "       lmdb_put -d DIR DB KEY\n");
		return 2;
	}
	if (key_of(a[3], kb, sizeof(kb), &k)) {
		fprintf(stderr, "lmdb_put: bad hex key %s\n", a[3]);
		return 2;
	}
	if (!del)
		v = (MDB_val){ strlen(a[4]), a[4] };
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 8)) ||
	    (rc = mdb_env_open(env, a[1], 0, 0640)) ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, a[2], 0, &dbi)) ||
	    (rc = del ? mdb_del(txn, dbi, &k, NULL)
	              : mdb_put(txn, dbi, &k, &v, 0))) {
		fprintf(stderr, "lmdb_put %s %s: %s\n", a[1], a[2],
		        mdb_strerror(rc));
		return 1;
	}
	if (hold > 0) {
		printf("holding\n");
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	if ((rc = mdb_txn_commit(txn))) {
		fprintf(stderr, "lmdb_put %s %s: %s\n", a[1], a[2],
		        mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
