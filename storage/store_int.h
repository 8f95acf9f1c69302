/* Inside the storage module only: the store's state and the pieces shared by
 * store.c (open, close, reads), writer.c (queue, group commit) and project.c
 * (projections, rebuild). */
#ifndef PBX_STORE_INT_H
#define PBX_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "store.h"

#define STORE_FORMAT  1
#define STORE_KEY_LEN 12 /* origin (BE u32) + seq (BE u64) */

enum store_item_kind {
	STORE_ITEM_APPEND,
	STORE_ITEM_REMOTE, /* store_append_remote: events as stored */
	STORE_ITEM_REBUILD,
	STORE_ITEM_PRUNE,
};

struct store_prune_req;

/* One queued request. An append is one heap block: this header, then n
 * event lengths, at_ms values and the packed bytes (without fields 1-3). */
struct store_item {
	struct store_item *next;
	enum store_item_kind kind;
	rt_addr reply_to;
	uint64_t correlation;
	size_t n;
	uint32_t *len;
	uint64_t *at_ms;
	uint8_t *bytes;
	uint64_t first_seq; /* set by the writer */
	/* remote: the origin, the range (after, upto], each event's seq
	 * (in at_ms' place: a remote event's at_ms is in its bytes) and
	 * what the writer did (the answer's fields) */
	uint32_t origin;
	uint64_t *seqs;
	uint64_t after, upto, last_at_ms;
	uint64_t held;
	uint32_t applied, skipped;
	/* rebuild, prune: the caller waits on done_cv for done */
	struct store_prune_req *prune;
	int result;
	bool done;
};

/* A growing text buffer: the CDR lines of the batch being written. */
struct store_buf {
	char *p;
	size_t n, cap;
	size_t lines;
	bool oom; /* a line did not fit in memory: lost */
};

/* Scratch for protobuf-c unpacking while applying events (store_arena.c). */
struct store_arena {
	ProtobufCAllocator pb;
	uint8_t *block;
	size_t cap, used;
	struct arena_big *big;
};

void store_arena_init(struct store_arena *a);
/* Everything allocated since the last reset is gone. */
void store_arena_reset(struct store_arena *a);
void store_arena_fini(struct store_arena *a);
/* n bytes of the write transaction's scratch, gone at the next reset (after
 * each event applied); NULL without memory. */
#define store_scratch(s, n) ((s)->arena.pb.alloc(&(s)->arena, (n)))

struct store {
	rt *r;
	uint32_t node_id;
	char *dir;
	int lock_fd;
	MDB_env *env;
	MDB_dbi events, locations, meta, calls, call_ids, tombs;
	/* Reads hold it shared; the writer holds it exclusive only to grow the
	 * map, which LMDB allows only with no transaction open. */
	pthread_rwlock_t map_lock;
	size_t map_size;

	/* The queue: a list under mu, taken whole by the writer. */
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* the writer waits for items */
	pthread_cond_t done_cv; /* store_sync and store_rebuild wait */
	struct store_item *head, **tail;
	uint64_t queued, finished; /* appends, for store_sync */
	bool stopping;
	/* an item someone waits for (a reply, a rebuild) is queued: commit
	 * now; otherwise the writer lets appends gather for STORE_LAZY_MS
	 * after its last commit (call events: one fsync for many calls) */
	bool urgent;
	uint64_t last_commit_us;  /* monotonic */
	uint64_t urgent_since_us; /* when urgent last became true */
	uint64_t last_batch;      /* appends in the last commit */
	uint64_t probe_at_us;     /* failing: the writer's next probe */
	pthread_t writer;
	bool writer_running;

	uint64_t next_seq;        /* the writer's */
	struct store_arena arena; /* the write transaction's holder's */
	atomic_uint_fast64_t last_seq, commits, appends, max_batch, failed;
	atomic_bool failing; /* the last commit (or probe) failed */
	/* the A-leg Call-IDs of calls whose CallStarted was lost, to name
	 * them when their later events are lost too (writer thread) */
	struct {
		char call[40], sip_call_id[128];
	} lost[16];
	unsigned lost_next;

	/* CDR: the file (-1 if none) and the writer's lines of the batch */
	atomic_int cdr_fd;
	struct store_buf cdr;
	atomic_uint_fast64_t cdr_lines, cdr_lost;

	/* replication (origins.c): the cursor of each origin held (under
	 * cur_mu; the writer updates them after each commit), the watcher
	 * told of each commit, and the AOR epochs (hashed slots) */
	pthread_mutex_t cur_mu;
	Pbx__StoreCursor *cur;
	size_t ncur, capcur;
	rt_addr watcher;
	uint64_t tomb_keep_ms;
	_Atomic uint64_t *epochs;
	/* the writer's: epoch slots touched by remote events in the batch,
	 * bumped after its commit */
	uint32_t *epoch_pending;
	size_t nepoch, capepoch;
	atomic_uint_fast64_t remote_events, remote_skipped, pruned;
};

#define STORE_EPOCH_SLOTS  4096
#define STORE_TOMB_KEEP_MS (2 * 3600 * 1000ull)

#define STORE_LAZY_MS 20
/* Under load (the last commit held more than one append), a commit someone
 * waits for still lets others join for this long: at 9,000 registrations/s
 * commits hold dozens of appends instead of ~15, which share the commit's
 * cost (mostly the kernel's: page writes and two flushes). A lone request
 * is not delayed. */
#define STORE_COMMIT_DELAY_US 12000
/* While commits fail and nothing is queued, a probe this often. */
#define STORE_PROBE_MS 1000

/* The map size of a new environment (1 GiB); tests make it small to see it
 * grow. */
extern size_t store_map_initial;

/* LMDB's and our codes to a positive errno. */
int store_errno(int rc);
void store_key(uint8_t key[STORE_KEY_LEN], uint32_t origin, uint64_t seq);
/* meta: "seq/" + origin (BE u32) -> its last sequence (BE u64) */
void store_seq_key(uint8_t mk[8], uint32_t origin);

/* health.c: a failed batch (writer thread) */
void store_set_failing(struct store *s, bool failing, const char *reason);
void store_log_lost(struct store *s, const struct store_item *it,
                    const char *reason);
int store_probe(struct store *s);

/* writer.c */
int store_writer_start(struct store *s);
int store_enqueue(struct store *s, struct store_item *it);
/* Run fn in one write transaction and commit; again after growing the map
 * when it is full (writer thread). 0, an MDB_* code or a positive errno. */
int store_with_txn(struct store *s,
                   int (*fn)(struct store *, MDB_txn *, void *), void *arg);
/* Between two transactions of a long job (a prune): commit the appends
 * queued meanwhile, so they wait for one chunk, not the whole job. */
void store_writer_yield(struct store *s);
/* Queue a rebuild or prune item and wait until the writer did it. */
int store_run_item(struct store *s, struct store_item *it);
void store_writer_stop(struct store *s);

/* project.c: drop the projections and replay the log into them
 * (store_apply_bytes applies one event). */
int store_replay(struct store *s, MDB_txn *txn);

/* wire.c: the parts of the protobuf wire format the locations projection
 * reads. Bytes of a string field, not NUL-terminated. */
struct store_str {
	const char *p;
	size_t l;
};
/* A Binding as it lies in bytes (the strings point into them). */
struct store_wire_binding {
	const uint8_t *bytes; /* the packed Binding */
	size_t len;
	size_t core_len; /* its fields before 14 (the version's origin, seq) */
	struct store_str aor, contact, instance;
	uint32_t reg_id;
	uint64_t updated_at_ms, expires_at_ms;
	/* the version's (origin, seq): as read, or set before a put */
	uint32_t origin;
	uint64_t seq;
};
/* An event's body: kind is the Event field number (16 BindingAdded, 17
 * BindingRefreshed, 18 BindingRemoved, 19 BindingExpired), 0 for any other
 * body; the binding of 16/17, the aor and contact of 18/19. */
struct store_wire_event {
	uint32_t kind;
	bool has_binding;
	struct store_wire_binding binding;
	struct store_str aor, contact;
	uint64_t expired_upto; /* BindingExpired.updated_at_ms */
	uint32_t origin;       /* fields 1-3, when the bytes hold them */
	uint64_t seq, at_ms;
};
int store_wire_binding(const uint8_t *p, size_t n,
                       struct store_wire_binding *b);
int store_wire_event(const uint8_t *p, size_t n, struct store_wire_event *e);
/* The next binding of a packed AorBindings [*p, end): 0, ENOENT at the
 * end, EBADMSG. */
int store_wire_next_binding(const uint8_t **p, const uint8_t *end,
                            struct store_wire_binding *b);
/* b as an AorBindings.bindings field into out (NULL: only the size). */
size_t store_wire_put_binding(uint8_t *out, const struct store_wire_binding *b);
/* project.c: apply one event to the projections in txn. body: its bytes
 * (the appender's, without origin, seq and at_ms, or as stored), read on
 * the wire for binding events; stored: the event as stored, unpacked for
 * the calls projection. The event's (origin, seq, at_ms) are given in how
 * (origin 0: read them from body). A call that ends adds its CDR line to
 * how->cdr unless it is NULL (a replay, another origin's event). remote:
 * note the AOR's epoch slot for a bump after the commit. 0, an MDB_* code
 * or a positive errno (EBADMSG: bytes that are no event). */
struct store_apply {
	uint32_t origin;
	uint64_t seq, at_ms;
	struct store_buf *cdr;
	bool remote;
};
int store_apply_bytes(struct store *s, MDB_txn *txn, const uint8_t *body,
                      size_t body_len, const uint8_t *stored, size_t stored_len,
                      const struct store_apply *how);

/* project.c: a binding version (updated_at_ms, origin, seq) against
 * another: <0, 0, >0. */
int store_vcmp(const struct store_wire_binding *a,
               const struct store_wire_binding *b);
/* project.c: the AOR's stored bindings (or tombstones) of dbi, copied to
 * the scratch and read into *out; *n of them (0 if none). */
int store_wire_load(struct store *s, MDB_txn *txn, MDB_dbi dbi, MDB_val *k,
                    struct store_wire_binding **out, size_t *n);

/* origins.c: the writer's side of replication. After a commit: the cursor
 * of an origin moved to (seq, at_ms); then one StoreAdvanced of those
 * moved to the watcher, and the epoch bumps. */
void store_cursor_set(struct store *s, uint32_t origin, uint64_t seq,
                      uint64_t at_ms);
void store_advanced(struct store *s, const uint32_t *origins, size_t n);
uint32_t store_epoch_slot(const char *aor, size_t l);
int store_epoch_note(struct store *s, uint32_t slot);
void store_epoch_flush(struct store *s, bool committed);
/* origins.c: load the cursors from meta at open */
int store_cursors_load(struct store *s, MDB_txn *txn);
/* meta seq/ + origin in txn: the held seq of that origin (0 if none) */
int store_held_get(struct store *s, MDB_txn *txn, uint32_t origin,
                   uint64_t *seq);
int store_held_put(struct store *s, MDB_txn *txn, uint32_t origin,
                   uint64_t seq);

/* remote.c: the writer's part of store_append_remote (in write_batch) */
int store_remote_write(struct store *s, MDB_txn *txn, struct store_item *it);

/* prune.c: one prune request, on the writer thread (its own
 * transactions) */
int store_prune_run(struct store *s, struct store_prune_req *req);

/* store_calls.c: the calls projection's part of store_apply; what store_append
 * takes as a call's UUID. */
int store_apply_call(struct store *s, MDB_txn *txn, const Pbx__Event *ev,
                     struct store_buf *cdr);
bool store_call_id_ok(const struct store *s, const char *call);
/* The record of a call in txn: 0 with *out (free_unpacked) or NULL. */
int store_call_find(struct store *s, MDB_txn *txn, const char *call,
                    Pbx__CallRecord **out);

/* cdr.c: one record as a JSON line (with its newline) at the end of b;
 * write b to the CDR file and fsync it, then empty b (writer thread). */
void store_cdr_line(struct store_buf *b, const Pbx__CallRecord *r);
void store_cdr_flush(struct store *s);
void store_buf_free(struct store_buf *b);

/* Reads under the map lock (store.c). */
int store_read_begin(struct store *s, MDB_txn **txn);
void store_read_end(struct store *s, MDB_txn *txn);

/* For the tests: every key and value of one database ("events",
 * "locations", "calls", "call_ids", "meta", "tombs") in key order, borrowed for
 * the call; stops when cb returns nonzero and returns that. */
int store_dump(struct store *s, const char *db,
               int (*cb)(void *arg, const void *k, size_t kl, const void *v,
                         size_t vl),
               void *arg);

#endif
