/* lmdb_put DIR DB KEY VALUE [HOLD_MS]: store VALUE (its bytes, as given)
 * under KEY in the named database of the LMDB environment in DIR. With
 * HOLD_MS, the write transaction is held open that long before its commit
 * ("holding" on stdout once it is), so that nobody else can commit
 * meanwhile. The registrar tests use it to plant a record the store cannot
 * read, so that a commit fails, and to make pbxd's commits wait. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	long hold = argc == 6 ? atol(argv[5]) : 0;
	struct timespec ts = { hold / 1000, (hold % 1000) * 1000000L };
	int rc;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: lmdb_put DIR DB KEY VALUE [HOLD_MS]\n");
		return 2;
	}
	k = (MDB_val){ strlen(argv[3]), argv[3] };
	v = (MDB_val){ strlen(argv[4]), argv[4] };
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 8)) ||
	    (rc = mdb_env_open(env, argv[1], 0, 0640)) ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, argv[2], 0, &dbi)) ||
	    (rc = mdb_put(txn, dbi, &k, &v, 0))) {
		fprintf(stderr, "lmdb_put %s %s: %s\n", argv[1], argv[2],
		        mdb_strerror(rc));
		return 1;
	}
	if (hold > 0) {
		printf("holding\n");
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	if ((rc = mdb_txn_commit(txn))) {
		fprintf(stderr, "lmdb_put %s %s: %s\n", argv[1], argv[2],
		        mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
