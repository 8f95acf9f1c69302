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
	STORE_ITEM_REBUILD,
};

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
	/* rebuild: the caller waits on done_cv for done */
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
	MDB_dbi events, locations, meta, calls, call_ids;
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
};

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
	struct store_str aor, contact, instance;
	uint32_t reg_id;
	uint64_t updated_at_ms;
};
/* An event's body: kind is the Event field number (16 BindingAdded, 17
 * BindingRefreshed, 18 BindingRemoved, 19 BindingExpired), 0 for any other
 * body; the binding of 16/17, the aor and contact of 18/19. */
struct store_wire_event {
	uint32_t kind;
	bool has_binding;
	struct store_wire_binding binding;
	struct store_str aor, contact;
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
 * the calls projection. A call that ends adds its CDR line to cdr unless
 * cdr is NULL (a replay writes none). 0, an MDB_* code or a positive
 * errno (EBADMSG: bytes that are no event). */
int store_apply_bytes(struct store *s, MDB_txn *txn, const uint8_t *body,
                      size_t body_len, const uint8_t *stored, size_t stored_len,
                      struct store_buf *cdr);

/* store_calls.c: the calls projection's part of store_apply; what store_append
 * takes as a call's UUID. */
int store_apply_call(struct store *s, MDB_txn *txn, const Pbx__Event *ev,
                     struct store_buf *cdr);
bool store_call_id_ok(const struct store *s, const char *call);

/* cdr.c: one record as a JSON line (with its newline) at the end of b;
 * write b to the CDR file and fsync it, then empty b (writer thread). */
void store_cdr_line(struct store_buf *b, const Pbx__CallRecord *r);
void store_cdr_flush(struct store *s);
void store_buf_free(struct store_buf *b);

/* Reads under the map lock (store.c). */
int store_read_begin(struct store *s, MDB_txn **txn);
void store_read_end(struct store *s, MDB_txn *txn);

/* For the tests: every key and value of one database ("events",
 * "locations", "calls", "call_ids", "meta") in key order, borrowed for the
 * call; stops when cb returns nonzero and returns that. */
int store_dump(struct store *s, const char *db,
               int (*cb)(void *arg, const void *k, size_t kl, const void *v,
                         size_t vl),
               void *arg);

#endif
