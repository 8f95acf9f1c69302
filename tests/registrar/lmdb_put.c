/* lmdb_put DIR DB KEY VALUE: store VALUE (its bytes, as given) under KEY in
 * the named database of the LMDB environment in DIR. The registrar tests
 * use it to plant a record the store cannot read, so that a commit fails. */
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: lmdb_put DIR DB KEY VALUE\n");
		return 2;
	}
	k = (MDB_val){ strlen(argv[3]), argv[3] };
	v = (MDB_val){ strlen(argv[4]), argv[4] };
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 8)) ||
	    (rc = mdb_env_open(env, argv[1], 0, 0640)) ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, argv[2], 0, &dbi)) ||
	    (rc = mdb_put(txn, dbi, &k, &v, 0)) || (rc = mdb_txn_commit(txn))) {
		fprintf(stderr, "lmdb_put %s %s: %s\n", argv[1], argv[2],
		        mdb_strerror(rc));
		return 1;
	}
	mdb_env_close(env);
	return 0;
}
