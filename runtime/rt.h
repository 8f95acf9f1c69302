/*
 * The actor runtime: worker loops, actors, messages, timers, watches.
 *
 * A node runs `workers` threads, each with one uv_loop_t. An actor lives on
 * one worker for its whole life and handles one message at a time there, so
 * its state needs no locks. Actors refer to each other by address (node,
 * worker, local id), never by pointer.
 *
 * Messages are protobuf envelopes (proto/envelope.proto). In process the
 * unpacked struct is handed over; across nodes the cluster layer packs it.
 * A handler cannot tell which happened.
 *
 * Ownership (as nng): a send takes the message only when it returns 0; on
 * error the caller still owns it. A handler borrows the envelope until it
 * returns.
 *
 * Threads: functions taking an rt_actor run on that actor's worker, inside a
 * handler, timer or reply callback. Functions taking only an rt may be called
 * from any thread unless noted.
 */
#ifndef PBX_RT_H
#define PBX_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "envelope.pb-c.h"
#include "pbx_fnv.h"

typedef struct rt rt;
typedef struct rt_actor rt_actor;
typedef struct rt_msg rt_msg;

/* An actor address. Also a protobuf message (pbx.Addr) on the wire. */
typedef struct rt_addr {
	uint32_t node;
	uint32_t worker;
	uint64_t id;
} rt_addr;

#define RT_WORKER_ANY UINT32_MAX

/* Local ids below this are well-known services, the same on every node. */
enum rt_wellknown {
	RT_ID_NONE = 0,
	RT_ID_NODE = 1,  /* the node actor on worker 0: answers pings */
	RT_ID_ADMIN = 2, /* the admin actor on worker 0 */
	RT_ID_REPL = 3,  /* log replication on worker 0 (cluster/repl.h) */
	/* the registrar actor of each worker (SIP_ID_REGISTRAR); worker 0's
	 * takes the AuthFailures of peers */
	RT_ID_REGISTRAR = 9,
	RT_ID_CALLS = 10, /* the call router of each worker (actors/calls) */
	RT_ID_FIRST_DYNAMIC = 64,
};

/* An actor kind: one per file, a const table. */
typedef struct rt_kind {
	const char *name;
	size_t size; /* bytes of state, zeroed, freed with the actor */
	/* On the actor's worker before any message. Nonzero: the actor stops
	 * at once with that reason (watchers are told). May be NULL. */
	int (*init)(rt_actor *a, void *arg);
	/* One message. The envelope is borrowed until return. */
	void (*handle)(rt_actor *a, const Pbx__Envelope *env);
	/* When the actor stops, after its timers are cancelled. May be NULL. */
	void (*fini)(rt_actor *a, int reason);
} rt_kind;

struct rt_config {
	uint32_t node_id; /* nonzero */
	const char *node_name;
	uint32_t workers; /* 0: number of cores */
};

/* --- lifecycle (main thread) --------------------------------------- */

int rt_alloc(rt **out, const struct rt_config *cfg);
/* Start the worker threads. */
int rt_start(rt *r);
/* Stop every actor (fini runs, watchers on this node are not told), close
 * every handle, stop and join the workers. Idempotent. */
void rt_shutdown(rt *r);
void rt_free(rt *r);

uint32_t rt_node_id(const rt *r);
const char *rt_node_name(const rt *r);
uint32_t rt_workers(const rt *r);
uv_loop_t *rt_loop(rt *r, uint32_t worker);
uint64_t rt_now_ms(rt *r, uint32_t worker); /* that worker's loop time */

/* Run fn(arg) on a worker's thread (setup of handles pinned there). */
int rt_call(rt *r, uint32_t worker, void (*fn)(void *arg), void *arg);

/* Worker chosen by a key (Call-ID, AOR): stable for the node's life. */
uint32_t rt_worker_of(const rt *r, const void *key, size_t len);
/* FNV-1a of len bytes, continuing from h (start with RT_HASH_INIT): the hash
 * rt_worker_of uses, for any table or key that wants one. */
#define RT_HASH_INIT PBX_FNV64_INIT
uint64_t rt_hash(uint64_t h, const void *p, size_t len);

/* --- actors ------------------------------------------------------------ */

/* Spawn on `worker` (or RT_WORKER_ANY: round robin). The address is valid
 * at once; messages sent to it are delivered after init. Called on the same
 * worker, init runs before rt_spawn returns. */
int rt_spawn(rt *r, const rt_kind *k, uint32_t worker, void *arg, rt_addr *out);
/* Same, with a well-known local id (< RT_ID_FIRST_DYNAMIC). */
int rt_spawn_named(rt *r, const rt_kind *k, uint32_t worker, uint64_t id,
                   void *arg, rt_addr *out);

rt_addr rt_self(const rt_actor *a);
void *rt_state(rt_actor *a);
rt *rt_of(rt_actor *a);
const char *rt_kind_name(const rt_actor *a);

/* Stop this actor once the current callback returns. */
void rt_stop(rt_actor *a, int reason);

/* --- messages ---------------------------------------------------------- */

/* A message whose body is the Envelope oneof case `body`, initialised, with
 * `extra` bytes of arena for strings, bytes and repeated fields. Every pointer
 * stored in the body must point into this message (rt_msg_alloc/strdup) or to
 * static data: the message is freed as one block. *bodyp gets the body. */
rt_msg *rt_msg_new(Pbx__Envelope__BodyCase body, size_t extra, void *bodyp);
void *rt_msg_alloc(rt_msg *m, size_t n);
char *rt_msg_strdup(rt_msg *m, const char *s);
void *rt_msg_memdup(rt_msg *m, const void *p, size_t n);
Pbx__Envelope *rt_msg_env(rt_msg *m);
/* Set the envelope's addresses (rt_send does this; for link layers). */
void rt_msg_set_route(rt_msg *m, rt_addr from, rt_addr to);
void rt_msg_free(rt_msg *m);

/* Pack an envelope (wire form) and unpack one into a new message. */
size_t rt_msg_packed_size(const rt_msg *m);
size_t rt_msg_pack(const rt_msg *m, uint8_t *out);
int rt_msg_unpack(rt_msg **out, const uint8_t *p, size_t n);

/* Send from an actor. Errors known at once are returned (EHOSTUNREACH: no
 * link to that node; EINVAL: bad worker or address; ESHUTDOWN). A message
 * to an actor that is gone, here or on another node, comes back to the
 * sender as Undeliverable (a watch: Down with ENOENT). */
int rt_send(rt_actor *a, rt_addr to, rt_msg *m);
/* Take the message a handle callback is running for: the runtime will not
 * free it, the caller owns it (to send it on without a copy, or to keep
 * it; the envelope stays where it is). Inside handle only, once; NULL
 * elsewhere. */
rt_msg *rt_take(rt_actor *a);
/* Send from outside any actor (any thread), `from` may be zero. */
int rt_inject(rt *r, rt_addr from, rt_addr to, rt_msg *m);

/* Request/reply. The reply callback runs on the actor's worker exactly once:
 * err 0 with the reply envelope (borrowed), or ETIMEDOUT, ENOENT (no such
 * actor), EHOSTUNREACH (node unreachable). Never after the actor stopped. */
typedef void (*rt_reply_h)(rt_actor *a, int err, const Pbx__Envelope *reply,
                           void *arg);
int rt_request(rt_actor *a, rt_addr to, rt_msg *m, uint32_t timeout_ms,
               rt_reply_h h, void *arg);
int rt_reply(rt_actor *a, const Pbx__Envelope *req, rt_msg *m);

/* --- timers ------------------------------------------------------------ */

typedef void (*rt_timer_h)(rt_actor *a, void *arg);
/* One-shot timer on the actor's loop. Returns its id (never 0). */
uint64_t rt_timer_start(rt_actor *a, uint64_t ms, rt_timer_h h, void *arg);
/* 0, or ENOENT when it already fired or was cancelled. */
int rt_timer_cancel(rt_actor *a, uint64_t id);

/* --- watches ----------------------------------------------------------- */

/* Be told (a Down message) when `target` stops, normally or not. Watching an
 * actor that is already gone yields Down with reason ENOENT. */
int rt_watch(rt_actor *a, rt_addr target);
int rt_unwatch(rt_actor *a, rt_addr target);
/* Ask `target` to stop with `reason`. */
int rt_exit(rt_actor *a, rt_addr target, int reason);

/* --- addresses --------------------------------------------------------- */

static inline bool
rt_addr_eq(rt_addr x, rt_addr y)
{
	return x.node == y.node && x.worker == y.worker && x.id == y.id;
}
rt_addr rt_addr_from_pb(const Pbx__Addr *p);
void rt_addr_to_pb(Pbx__Addr *p, rt_addr a);

/* --- statistics (any thread, approximate) ------------------------------ */

struct rt_worker_stats {
	uint64_t actors;
	uint64_t messages;
};
void rt_worker_stats(const rt *r, uint32_t worker, struct rt_worker_stats *s);

/* --- the cluster layer's hooks ----------------------------------------- */

/* Called on the sending worker for every message to another node; takes m
 * on success (0). */
typedef int (*rt_remote_h)(void *arg, uint32_t worker, rt_msg *m);
/* Called on a worker after it drained its queues: flush batches. */
typedef void (*rt_flush_h)(void *arg, uint32_t worker);
void rt_set_remote(rt *r, rt_remote_h send, rt_flush_h flush, void *arg);
/* Hand a message that arrived from another node to its local target (any
 * thread). Takes m always: an undeliverable message is answered or freed. */
void rt_deliver(rt *r, rt_msg *m);
/* Tell the sender of m that it could not be delivered (an Undeliverable, or
 * Down for a watch), then free m. Any thread. */
void rt_return(rt *r, rt_msg *m, int err);

#endif
