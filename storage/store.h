/*
 * The node's event log and its projections, in one LMDB environment in the
 * data directory (storage/README.md has the layout).
 *
 * Writes: any thread calls store_append(); the events are packed there and
 * queued to the store's one writer thread, which puts every waiting append
 * into ONE write transaction (group commit): the events, and the projection
 * changes they cause, commit together. After the commit (fsync) the writer
 * answers each appender with a StoreCommitted message carrying its
 * correlation (or StoreFailed). LMDB never commits on a worker.
 *
 * Reads: any thread, short read transactions; values are copied out
 * (unpacked) before the transaction ends.
 */
#ifndef PBX_STORE_H
#define PBX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.pb-c.h"
#include "rt.h"

struct store;

struct store_stats {
	uint64_t events;         /* in the log */
	uint64_t last_seq;       /* of this node */
	uint64_t commits;        /* write transactions since open */
	uint64_t appends;        /* store_append calls since open */
	uint64_t locations;      /* AORs in the projection */
	uint64_t max_batch;      /* most appends in one commit */
	uint64_t failed;         /* appends answered StoreFailed */
	uint64_t calls;          /* call records in the projection */
	uint64_t cdr_lines;      /* CDR lines written since open */
	uint64_t cdr_lost;       /* CDR lines that could not be written */
	uint64_t remote_events;  /* events of other origins applied */
	uint64_t remote_skipped; /* ... skipped (held already) */
	uint64_t pruned;         /* events deleted by store_prune */
	uint64_t tombs;          /* AORs with tombstones */
};

/* Open (creating) the environment in dir, take the directory's lock (EBUSY
 * if another process holds it), start the writer. r may be NULL in tests
 * that only read. */
int store_open(struct store **out, rt *r, const char *dir, uint32_t node_id);
/* Finish the queued appends, stop the writer, close. */
void store_close(struct store *s);

/* Queue events for the next commit. origin, seq and at_ms are set by the
 * store; events are only read (packed) before this returns. The answer
 * (StoreCommitted/StoreFailed) goes to reply_to with `correlation`. */
int store_append(struct store *s, rt_addr reply_to, uint64_t correlation,
                 Pbx__Event *const *events, size_t n);

/* The live bindings of one AOR from the locations projection: 0 and *out
 * (free with pbx__aor_bindings__free_unpacked(*out, NULL)), ENOENT. */
int store_locations_get(struct store *s, const char *aor,
                        Pbx__AorBindings **out);
/* Every AOR of the projection, in key order (a record that cannot be read
 * is logged and skipped); stop when cb returns nonzero and return that
 * value. The bindings are borrowed for the call. */
int store_locations_each(struct store *s,
                         int (*cb)(void *arg, const Pbx__AorBindings *b),
                         void *arg);

/* The call records, newest (greatest started_ms) first, at most n of them
 * (0: all); the record is borrowed for the call; stops when cb returns
 * nonzero and returns that. */
int store_calls_last(struct store *s, uint32_t n,
                     int (*cb)(void *arg, const Pbx__CallRecord *r), void *arg);
/* The record of one call (its UUID): 0 and *out (free with
 * pbx__call_record__free_unpacked(*out, NULL)), ENOENT. */
int store_call_get(struct store *s, const char *call, Pbx__CallRecord **out);

/* Append one JSON line per ended call to the file at path (created if
 * missing, 0640), written and fsync'd by the writer thread after the commit
 * that ended the call. Call it before the first append; EBUSY if a file is
 * already set. */
int store_set_cdr_file(struct store *s, const char *path);

/* Drop the projections and replay the whole log into them (on the writer
 * thread, between two batches; returns when done). */
int store_rebuild(struct store *s);

/* Wait until every append queued before this call is committed or failed
 * (for tests and orderly shutdowns; actors wait for StoreCommitted). */
int store_sync(struct store *s);

/* One event of the log: 0 and *out (free with
 * pbx__event__free_unpacked(*out, NULL)), ENOENT. */
int store_event_get(struct store *s, uint32_t origin, uint64_t seq,
                    Pbx__Event **out);
/* The events of one origin from sequence `from` on, in order; the event is
 * borrowed for the call; stops when cb returns nonzero and returns that. */
int store_events_each(struct store *s, uint32_t origin, uint64_t from,
                      int (*cb)(void *arg, const Pbx__Event *ev), void *arg);

void store_stats(struct store *s, struct store_stats *st);

/* Replication (contract of issue 12; storage/README.md). */

/* The log's cursor per origin: the highest seq held with nothing missing
 * below it (seq), and the at_ms of that event. Includes this node's own
 * origin. Fills out[0..max) (plain structs), sorted by origin, and returns
 * how many it filled; with out NULL, how many origins there are. Any
 * thread. */
size_t store_origins(struct store *s, Pbx__StoreCursor *out, size_t max);

/* Queue events of ONE other origin, received from a peer. events[i] is a
 * packed pbx.Event as stored (origin, seq, at_ms set). They cover the range
 * (after, upto] of that origin: every event of that range that still exists
 * on the sender (ranges may have holes where the sender pruned). Applied
 * iff after == the held seq of the origin (else nothing is applied: skipped
 * = n, and the answer says the real held seq); events with origin !=
 * `origin`, or seq outside (after, upto], or not increasing, or that are no
 * event, make the whole call EINVAL (nothing queued), as does origin == this
 * node. On commit the held seq becomes upto. Answer: StoreApplied to
 * reply_to with correlation, after the commit (fsync). Idempotent. */
int store_append_remote(struct store *s, rt_addr reply_to, uint64_t correlation,
                        uint32_t origin, uint64_t after, uint64_t upto,
                        const ProtobufCBinaryData *events, size_t n);

/* Read raw stored events of `origin` with seq > after, in order, at most
 * max_n events and max_bytes bytes (at least one if any): cb gets (seq,
 * bytes), borrowed for the call (a nonzero return stops and is returned).
 * *upto is set to the last seq covered: the last event returned, or, when
 * the log of that origin ends (or was pruned) before the limits, the
 * origin's held seq. 0, or an errno. */
int store_events_range(struct store *s, uint32_t origin, uint64_t after,
                       size_t max_n, size_t max_bytes, uint64_t *upto,
                       int (*cb)(void *arg, uint64_t seq, const uint8_t *p,
                                 size_t n),
                       void *arg);

/* After every commit that added events (local or remote), send
 * StoreAdvanced (the cursors of the origins that moved) to `to` (one actor;
 * set before traffic, rt_addr{0} to stop). */
void store_watch(struct store *s, rt_addr to);

/* A counter per AOR (hashed slots) that rises, after the commit, whenever
 * an event of ANOTHER origin changed (or may have changed) that AOR's
 * bindings or tombstones. Any thread. */
uint64_t store_aor_epoch(struct store *s, const char *aor);

/* SHA-256 over the live bindings of the locations projection in key order
 * (aor, key, version, expires_at_ms, contact, node), ignoring tombstones,
 * and their counts (either may be NULL). Equal on two nodes = they agree. */
int store_locations_digest(struct store *s, uint8_t out[32], uint64_t *aors,
                           uint64_t *bindings);

/* How long a tombstone is kept after its event's at_ms (default 2 h): a
 * binding event older than a tombstone that arrives later than this would
 * come back. Call it before traffic. */
void store_set_tomb_keep(struct store *s, uint64_t ms);

/* Retention (runs on the writer thread between batches; returns when
 * done): deletes events older than now - age_ms that no longer affect a
 * projection: binding events superseded (their (origin, seq) is not the
 * version of a live binding nor of a kept tombstone), tombstones past
 * expires_at_ms together with their events, and the events AND the call
 * record of calls ended before now - age_ms whose events every peer holds
 * (peers_hold[0..n): the minimum held seq per origin over the peers, an
 * origin missing holds nothing; NULL = no peers). Counts what went in *st
 * (may be NULL). Idempotent. */
struct store_prune_stats {
	uint64_t events, calls, tombs;
};
int store_prune(struct store *s, uint64_t age_ms,
                const Pbx__StoreCursor *peers_hold, size_t n,
                struct store_prune_stats *st);

/* True from a commit that failed until one works again (the writer probes
 * every second meanwhile): callers refuse new work that would be lost.
 * Any thread; false for NULL. */
bool store_failing(struct store *s);

#endif
