/* Private to runtime/: the structures behind rt.h. */
#ifndef PBX_RT_INTERNAL_H
#define PBX_RT_INTERNAL_H

#include <stdatomic.h>

#include "log.h"
#include "rt.h"

/* --- u64 -> pointer map (open addressing, linear probing) -------------- */

struct rt_map {
	uint64_t *keys; /* 0 = empty slot */
	void **vals;
	size_t cap; /* power of two */
	size_t len;
};
void rt_map_init(struct rt_map *m);
void rt_map_fini(struct rt_map *m);
void *rt_map_get(const struct rt_map *m, uint64_t key);
int rt_map_put(struct rt_map *m, uint64_t key, void *val);
void *rt_map_del(struct rt_map *m, uint64_t key);

/* --- queue items ------------------------------------------------------- */

/* Every item on a worker's queues starts with this header. */
struct rt_qnode {
	_Atomic(struct rt_qnode *) next;
	uint8_t type;
};
enum rt_qtype {
	RT_Q_STUB = 0,
	RT_Q_MSG,
	RT_Q_SPAWN,
	RT_Q_CALL,
	RT_Q_STOP,
};

/* Vyukov's intrusive MPSC queue: wait-free push from any thread, pop by the
 * owning worker only. */
struct rt_mpsc {
	_Atomic(struct rt_qnode *) head;
	struct rt_qnode *tail;
	struct rt_qnode stub;
};
void rt_mpsc_init(struct rt_mpsc *q);
void rt_mpsc_push(struct rt_mpsc *q, struct rt_qnode *n);
/* NULL when empty, or while a push is half done (the pusher's wake-up
 * follows, so the consumer will be called again). */
struct rt_qnode *rt_mpsc_pop(struct rt_mpsc *q);

/* --- messages ---------------------------------------------------------- */

struct rt_chunk {
	struct rt_chunk *next;
	max_align_t data[];
};

struct rt_msg {
	struct rt_qnode q; /* first: a message is a queue item */
	Pbx__Envelope *env;
	char *arena;
	size_t arena_left;
	struct rt_chunk *chunks; /* arena overflow */
	Pbx__Envelope env_inline;
	Pbx__Addr to, from;
	max_align_t data[];
};

/* --- timers ------------------------------------------------------------ */

struct rt_timer {
	uint64_t id;
	uint64_t due; /* loop time, ms */
	uint64_t seq; /* FIFO among equal deadlines */
	size_t heap_idx;
	rt_actor *actor;
	rt_timer_h h;
	void *arg;
	struct rt_timer *prev, *next; /* the actor's timers */
};

struct rt_timers {
	struct rt_timer **heap;
	size_t len, cap;
	uint64_t next_id, seq;
	struct rt_map by_id;
	uv_timer_t handle;
};

/* --- requests ---------------------------------------------------------- */

struct rt_pending {
	uint64_t corr;
	rt_actor *actor;
	rt_reply_h h;
	void *arg;
	uint64_t timer;
	struct rt_pending *prev, *next; /* the actor's pending requests */
};

/* --- workers and actors ------------------------------------------------ */

struct rt_worker {
	rt *rt;
	uint32_t index;
	uv_thread_t thread;
	uv_loop_t loop;
	uv_async_t async;
	uv_prepare_t prepare;
	uv_idle_t idle;
	bool idle_on;
	bool stopped;
	int in_drain;
	rt_msg *handling; /* the message a handle callback runs for */

	struct rt_mpsc inbox;               /* from other threads */
	struct rt_qnode *rq_head, *rq_tail; /* same-worker run queue */

	struct rt_map actors;
	_Atomic uint64_t next_id;
	uint64_t next_corr;
	struct rt_map pending;
	struct rt_timers timers;

	_Atomic uint64_t n_actors;
	_Atomic uint64_t n_msgs;
};

struct rt_actor {
	rt_addr addr;
	const rt_kind *kind;
	struct rt_worker *w;
	rt_addr *watchers;
	uint32_t n_watchers, cap_watchers;
	struct rt_timer *timers;
	struct rt_pending *pending;
	int depth; /* callbacks of this actor on the stack */
	bool stopping;
	bool dead;
	int reason;
	max_align_t state[];
};

struct rt {
	uint32_t node_id;
	char node_name[64];
	uint32_t n_workers;
	struct rt_worker *workers;
	_Atomic uint32_t rr;
	_Atomic bool stopping;
	bool started;
	bool shut;

	rt_remote_h remote;
	rt_flush_h flush;
	void *remote_arg;
};

/* The worker whose thread is calling, or NULL. */
struct rt_worker *rt_current_worker(void);
void rt_worker_enqueue(struct rt_worker *w, struct rt_qnode *n);

/* actor.c */
rt_actor *rt_actor_enter(rt_actor *a);
void rt_actor_leave(rt_actor *a, rt_actor *prev);
void rt_actor_dispatch(struct rt_worker *w, rt_msg *m);
void rt_actor_spawn_here(struct rt_worker *w, const rt_kind *k, uint64_t id,
                         void *arg);
void rt_actor_stop_all(struct rt_worker *w);
int rt_route(rt *r, rt_addr to, rt_msg *m);

/* timer.c */
int rt_timers_init(struct rt_worker *w);
void rt_timers_close(struct rt_worker *w);
void rt_timers_cancel_actor(rt_actor *a);

/* request.c */
bool rt_request_complete(struct rt_worker *w, rt_actor *a,
                         const Pbx__Envelope *env);
void rt_request_cancel_actor(rt_actor *a);

/* node.c */
extern const rt_kind rt_node_kind;

#endif
