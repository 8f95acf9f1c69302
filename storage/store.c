/*
 * The store's life (open, lock, close) and its reads. Writes are writer.c's,
 * projections project.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

size_t store_map_initial = (size_t)1 << 30;

int
store_errno(int rc)
{
	if (rc >= 0)
		return rc;
	switch (rc) {
	case MDB_NOTFOUND:
		return ENOENT;
	case MDB_KEYEXIST:
		return EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return ENOSPC;
	case MDB_READERS_FULL:
		return EAGAIN;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return EBADMSG;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return EPROTO;
	default:
		return EIO;
	}
}

void
store_key(uint8_t key[STORE_KEY_LEN], uint32_t origin, uint64_t seq)
{
	for (int i = 0; i < 4; i++)
		key[i] = (uint8_t)(origin >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		key[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int err = 0;

	if (!p)
		return ENOMEM;
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0750) && errno != EEXIST) {
			err = errno;
			goto out;
		}
		*c = '/';
	}
	if (mkdir(p, 0750) && errno != EEXIST)
		err = errno;
out:
	free(p);
	return err;
}

/* flock on DIR/pbxd.lock: a second pbxd on the same data would corrupt
 * nothing in LMDB, but two writers assigning the same sequences would. The
 * file holds the owner's pid for the error message. */
static int
lock_dir(struct store *s)
{
	char path[4096], pid[32] = "";
	ssize_t n;
	int len, err = 0;

	if (snprintf(path, sizeof(path), "%s/pbxd.lock", s->dir) >=
	    (int)sizeof(path))
		return ENAMETOOLONG;
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->lock_fd < 0) {
		err = errno;
		rt_err("store: cannot open %s: %s", path, strerror(err));
		goto out;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? EBUSY : errno;
		n = pread(s->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		rt_err("store: data directory %s is in use (lock %s held by "
		       "pid %s): is another pbxd running?",
		       s->dir, path, pid[0] ? pid : "?");
		goto out;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) == 0)
		(void)!pwrite(s->lock_fd, pid, (size_t)len, 0);
out:
	return err;
}

/* LMDB maps data.mdb and reads its pages in place: a page past the end of
 * a truncated file is a SIGBUS, not an error. Before anything reads a page,
 * check the file against what its meta page says it holds: every page up to
 * the last one in use must be in the file. An empty data.mdb would be taken
 * for a new one, and the node would start with nothing: refused too. */
static int
check_size_empty(const struct store *s)
{
	char path[4096];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/data.mdb", s->dir) >=
	    (int)sizeof(path))
		return ENAMETOOLONG;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : errno;
	if (st.st_size > 0)
		return 0;
	rt_err("store: %s is empty (truncated?): refusing to start on it; "
	       "restore it from a backup or a peer, or remove it to start "
	       "with an empty store",
	       path);
	return EBADMSG;
}

static int
check_size(const struct store *s)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat st;
	mdb_filehandle_t fd;
	uint64_t need;

	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &ms) ||
	    mdb_env_get_fd(s->env, &fd) || fstat(fd, &st) != 0)
		return EIO;
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)st.st_size >= need)
		return 0;
	rt_err("store: %s/data.mdb is truncated: %lld bytes, its pages need "
	       "%llu; refusing to start on it (restore it from a backup or a "
	       "peer)",
	       s->dir, (long long)st.st_size, (unsigned long long)need);
	return EBADMSG;
}

void
store_seq_key(uint8_t mk[8], uint32_t origin)
{
	memcpy(mk, "seq/", 4);
	for (int i = 0; i < 4; i++)
		mk[4 + i] = (uint8_t)(origin >> (24 - 8 * i));
}

/* The next sequence continues after the last one: the meta record, or the
 * log's last key of this origin if that is further (it cannot be, as both
 * commit together, but the log is the truth). */
static int
load_seq(struct store *s, MDB_txn *txn)
{
	uint8_t key[STORE_KEY_LEN], mk[8];
	MDB_val k = { sizeof(key), key }, v, m = { sizeof(mk), mk };
	uint64_t last = 0;
	MDB_cursor *c;
	int rc;

	store_seq_key(mk, s->node_id);
	rc = mdb_get(txn, s->meta, &m, &v);
	if (rc == 0 && v.mv_size == 8)
		last = be64(v.mv_data);
	rc = mdb_cursor_open(txn, s->events, &c);
	if (rc)
		return store_errno(rc);
	if (s->node_id == UINT32_MAX) {
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	} else {
		store_key(key, s->node_id + 1, 0);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		rc = rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST)
		                        : mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	if (rc == 0 && k.mv_size == STORE_KEY_LEN &&
	    memcmp(k.mv_data, mk + 4, 4) == 0 &&
	    be64((uint8_t *)k.mv_data + 4) > last)
		last = be64((uint8_t *)k.mv_data + 4);
	mdb_cursor_close(c);
	s->next_seq = last + 1;
	atomic_store(&s->last_seq, last);
	return 0;
}

static int
open_dbs(struct store *s)
{
	MDB_val k = { 6, "format" }, v;
	uint32_t fmt = STORE_FORMAT;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc)
		return store_errno(rc);
	if ((rc = mdb_dbi_open(txn, "events", MDB_CREATE, &s->events)) ||
	    (rc = mdb_dbi_open(txn, "locations", MDB_CREATE, &s->locations)) ||
	    (rc = mdb_dbi_open(txn, "calls", MDB_CREATE, &s->calls)) ||
	    (rc = mdb_dbi_open(txn, "call_ids", MDB_CREATE, &s->call_ids)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
	    (rc = mdb_dbi_open(txn, "tombs", MDB_CREATE, &s->tombs)))
		goto out;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		v = (MDB_val){ sizeof(fmt), &fmt };
		rc = mdb_put(txn, s->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != sizeof(fmt) ||
	                       memcmp(v.mv_data, &fmt, sizeof(fmt)))) {
		rt_err("store: %s has an unknown format", s->dir);
		rc = EPROTO;
	}
	if (rc)
		goto out;
	rc = load_seq(s, txn);
	if (rc)
		goto out;
	rc = store_cursors_load(s, txn);
	if (rc)
		goto out;
	rc = mdb_txn_commit(txn);
	return store_errno(rc);
out:
	mdb_txn_abort(txn);
	return store_errno(rc);
}

static void
store_free(struct store *s)
{
	if (s->env)
		mdb_env_close(s->env);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	if (atomic_load(&s->cdr_fd) >= 0)
		close(atomic_load(&s->cdr_fd));
	store_buf_free(&s->cdr);
	pthread_rwlock_destroy(&s->map_lock);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->work_cv);
	pthread_cond_destroy(&s->done_cv);
	store_arena_fini(&s->arena);
	pthread_mutex_destroy(&s->cur_mu);
	free(s->cur);
	free((void *)s->epochs);
	free(s->epoch_pending);
	free(s->dir);
	free(s);
}

int
store_open(struct store **out, rt *r, const char *dir, uint32_t node_id)
{
	struct store *s = NULL;
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	MDB_envinfo info;
	int dead = 0, err;

	if (!out || !dir || !*dir || !node_id)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->r = r;
	s->node_id = node_id;
	s->lock_fd = -1;
	atomic_init(&s->cdr_fd, -1);
	s->tail = &s->head;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(
	    &ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->map_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca); /* the writer's deadlines are monotonic */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->work_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->done_cv, NULL);
	pthread_mutex_init(&s->cur_mu, NULL);
	s->tomb_keep_ms = STORE_TOMB_KEEP_MS;
	store_arena_init(&s->arena);
	s->epochs = calloc(STORE_EPOCH_SLOTS, sizeof(*s->epochs));
	if (!s->epochs) {
		err = ENOMEM;
		goto out;
	}
	s->dir = strdup(dir);
	if (!s->dir) {
		err = ENOMEM;
		goto out;
	}
	err = mkdir_p(dir);
	if (err) {
		rt_err("store: cannot create %s: %s", dir, strerror(err));
		goto out;
	}
	err = lock_dir(s);
	if (err)
		goto out;
	err = check_size_empty(s);
	if (err)
		goto out;
	if ((err = mdb_env_create(&s->env)) ||
	    (err = mdb_env_set_maxdbs(s->env, 8)) ||
	    (err = mdb_env_set_maxreaders(s->env, 256)) ||
	    (err = mdb_env_set_mapsize(s->env, store_map_initial)) ||
	    (err = mdb_env_open(s->env, dir, MDB_NOTLS, 0640))) {
		rt_err("store: cannot open LMDB in %s (%s/data.mdb): %s", dir,
		       dir, mdb_strerror(err));
		err = store_errno(err);
		goto out;
	}
	err = check_size(s);
	if (err)
		goto out;
	/* slots of readers killed with the previous process */
	mdb_reader_check(s->env, &dead);
	mdb_env_info(s->env, &info);
	s->map_size = info.me_mapsize;
	err = open_dbs(s);
	if (err) {
		rt_err("store: cannot open the databases in %s: %s", dir,
		       strerror(err));
		goto out;
	}
	err = store_writer_start(s);
	if (err)
		goto out;
	rt_info("store: opened %s, node %u continues at seq %llu, map %zu MiB",
	        dir, node_id, (unsigned long long)s->next_seq,
	        s->map_size >> 20);
	*out = s;
out:
	if (err)
		store_free(s);
	return err;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	store_writer_stop(s);
	rt_info("store: closed %s after %llu appends in %llu commits", s->dir,
	        (unsigned long long)atomic_load(&s->appends),
	        (unsigned long long)atomic_load(&s->commits));
	store_free(s);
}

int
store_read_begin(struct store *s, MDB_txn **txn)
{
	int rc;

	pthread_rwlock_rdlock(&s->map_lock);
	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc)
		pthread_rwlock_unlock(&s->map_lock);
	return store_errno(rc);
}

void
store_read_end(struct store *s, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&s->map_lock);
}

int
store_locations_get(struct store *s, const char *aor, Pbx__AorBindings **out)
{
	MDB_val k = { aor ? strlen(aor) : 0, (void *)aor }, v;
	Pbx__AorBindings *b;
	MDB_txn *txn;
	int err;

	if (!k.mv_size || k.mv_size > (size_t)mdb_env_get_maxkeysize(s->env))
		return EINVAL;
	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_get(txn, s->locations, &k, &v));
	if (err)
		goto out;
	b = pbx__aor_bindings__unpack(NULL, v.mv_size, v.mv_data);
	if (!b) {
		err = EBADMSG;
		goto out;
	}
	*out = b;
out:
	store_read_end(s, txn);
	return err;
}

int
store_locations_each(struct store *s,
                     int (*cb)(void *arg, const Pbx__AorBindings *b), void *arg)
{
	MDB_val k, v;
	MDB_cursor *c = NULL;
	MDB_txn *txn;
	int rc, err;

	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_cursor_open(txn, s->locations, &c));
	if (err)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !err;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Pbx__AorBindings *b =
		    pbx__aor_bindings__unpack(NULL, v.mv_size, v.mv_data);

		if (!b) {
			/* one unreadable record must not hide the others */
			rt_warn("store: the location record of %.*s is "
			        "unreadable: skipped",
			        (int)k.mv_size, (const char *)k.mv_data);
			continue;
		}
		err = cb(arg, b);
		pbx__aor_bindings__free_unpacked(b, NULL);
	}
	if (!err && rc != MDB_NOTFOUND)
		err = store_errno(rc);
out:
	if (c)
		mdb_cursor_close(c);
	store_read_end(s, txn);
	return err;
}

int
store_event_get(struct store *s, uint32_t origin, uint64_t seq,
                Pbx__Event **out)
{
	uint8_t key[STORE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v;
	Pbx__Event *ev;
	MDB_txn *txn;
	int err;

	store_key(key, origin, seq);
	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_get(txn, s->events, &k, &v));
	if (err)
		goto out;
	ev = pbx__event__unpack(NULL, v.mv_size, v.mv_data);
	if (!ev) {
		err = EBADMSG;
		goto out;
	}
	*out = ev;
out:
	store_read_end(s, txn);
	return err;
}

int
store_events_each(struct store *s, uint32_t origin, uint64_t from,
                  int (*cb)(void *arg, const Pbx__Event *ev), void *arg)
{
	uint8_t key[STORE_KEY_LEN];
	MDB_val k = { sizeof(key), key }, v;
	MDB_cursor *c = NULL;
	MDB_txn *txn;
	int rc, err;

	store_key(key, origin, from);
	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_cursor_open(txn, s->events, &c));
	if (err)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Pbx__Event *ev;

		if (k.mv_size != STORE_KEY_LEN || memcmp(k.mv_data, key, 4))
			break; /* the next origin */
		ev = pbx__event__unpack(NULL, v.mv_size, v.mv_data);
		if (!ev) {
			err = EBADMSG;
			break;
		}
		err = cb(arg, ev);
		pbx__event__free_unpacked(ev, NULL);
	}
	if (!err && rc != 0 && rc != MDB_NOTFOUND)
		err = store_errno(rc);
out:
	if (c)
		mdb_cursor_close(c);
	store_read_end(s, txn);
	return err;
}

void
store_stats(struct store *s, struct store_stats *st)
{
	MDB_stat ms;
	MDB_txn *txn;

	memset(st, 0, sizeof(*st));
	if (store_read_begin(s, &txn) == 0) {
		if (mdb_stat(txn, s->events, &ms) == 0)
			st->events = ms.ms_entries;
		if (mdb_stat(txn, s->locations, &ms) == 0)
			st->locations = ms.ms_entries;
		if (mdb_stat(txn, s->calls, &ms) == 0)
			st->calls = ms.ms_entries;
		if (mdb_stat(txn, s->tombs, &ms) == 0)
			st->tombs = ms.ms_entries;
		store_read_end(s, txn);
	}
	st->last_seq = atomic_load(&s->last_seq);
	st->commits = atomic_load(&s->commits);
	st->appends = atomic_load(&s->appends);
	st->max_batch = atomic_load(&s->max_batch);
	st->failed = atomic_load(&s->failed);
	st->cdr_lines = atomic_load(&s->cdr_lines);
	st->cdr_lost = atomic_load(&s->cdr_lost);
	st->remote_events = atomic_load(&s->remote_events);
	st->remote_skipped = atomic_load(&s->remote_skipped);
	st->pruned = atomic_load(&s->pruned);
}

void
store_set_tomb_keep(struct store *s, uint64_t ms)
{
	s->tomb_keep_ms = ms;
}

int
store_dump(struct store *s, const char *db,
           int (*cb)(void *arg, const void *k, size_t kl, const void *v,
                     size_t vl),
           void *arg)
{
	MDB_dbi dbi = !strcmp(db, "events")      ? s->events
	              : !strcmp(db, "locations") ? s->locations
	              : !strcmp(db, "calls")     ? s->calls
	              : !strcmp(db, "call_ids")  ? s->call_ids
	              : !strcmp(db, "tombs")     ? s->tombs
	                                         : s->meta;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_txn *txn;
	int rc, err;

	err = store_read_begin(s, &txn);
	if (err)
		return err;
	err = store_errno(mdb_cursor_open(txn, dbi, &c));
	if (err)
		goto out;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !err;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		err = cb(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
out:
	if (c)
		mdb_cursor_close(c);
	store_read_end(s, txn);
	return err;
}
