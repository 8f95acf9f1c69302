/*
 * Workers: one thread and one uv loop each. Items reach a worker through its
 * run queue (from its own thread) or its MPSC inbox plus one uv_async_send
 * (from any other thread); a prepare handle drains both before the loop
 * would block, and an idle handle keeps the loop from blocking while a
 * drain was cut short to let I/O in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_int.h"

#define DRAIN_BUDGET 16384

struct rt_call_req {
	struct rt_qnode q;
	void (*fn)(void *);
	void *arg;
};

struct rt_spawn_req {
	struct rt_qnode q;
	const rt_kind *kind;
	uint64_t id;
	void *arg;
};

static _Thread_local struct rt_worker *tls_worker;

struct rt_worker *
rt_current_worker(void)
{
	return tls_worker;
}

/* --- MPSC ------------------------------------------------------------- */

void
rt_mpsc_init(struct rt_mpsc *q)
{
	atomic_store(&q->stub.next, NULL);
	q->stub.type = RT_Q_STUB;
	atomic_store(&q->head, &q->stub);
	q->tail = &q->stub;
}

void
rt_mpsc_push(struct rt_mpsc *q, struct rt_qnode *n)
{
	struct rt_qnode *prev;

	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	prev = atomic_exchange_explicit(&q->head, n, memory_order_acq_rel);
	atomic_store_explicit(&prev->next, n, memory_order_release);
}

struct rt_qnode *
rt_mpsc_pop(struct rt_mpsc *q)
{
	struct rt_qnode *tail = q->tail, *next, *head;

	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (tail == &q->stub) {
		if (!next)
			return NULL;
		q->tail = next;
		tail = next;
		next = atomic_load_explicit(&tail->next, memory_order_acquire);
	}
	if (next) {
		q->tail = next;
		return tail;
	}
	head = atomic_load_explicit(&q->head, memory_order_acquire);
	if (tail != head)
		return NULL;
	rt_mpsc_push(q, &q->stub);
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (next) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

/* --- run queue and draining -------------------------------------------- */

static void
rq_push(struct rt_worker *w, struct rt_qnode *n)
{
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	if (w->rq_tail)
		atomic_store_explicit(&w->rq_tail->next, n,
		                      memory_order_relaxed);
	else
		w->rq_head = n;
	w->rq_tail = n;
}

static struct rt_qnode *
rq_pop(struct rt_worker *w)
{
	struct rt_qnode *n = w->rq_head;

	if (n) {
		w->rq_head =
		    atomic_load_explicit(&n->next, memory_order_relaxed);
		if (!w->rq_head)
			w->rq_tail = NULL;
	}
	return n;
}

static void free_item(struct rt_qnode *n);
static void worker_stop(struct rt_worker *w);
static void idle_cb(uv_idle_t *h);

static void
run_item(struct rt_worker *w, struct rt_qnode *n)
{
	switch (n->type) {
	case RT_Q_MSG:
		rt_actor_dispatch(w, (rt_msg *)n);
		break;
	case RT_Q_SPAWN: {
		struct rt_spawn_req *s = (struct rt_spawn_req *)n;

		rt_actor_spawn_here(w, s->kind, s->id, s->arg);
		free(s);
		break;
	}
	case RT_Q_CALL: {
		struct rt_call_req *c = (struct rt_call_req *)n;

		c->fn(c->arg);
		free(c);
		break;
	}
	case RT_Q_STOP:
		free(n);
		worker_stop(w);
		break;
	default:
		break;
	}
}

static void
drain(struct rt_worker *w)
{
	struct rt_qnode *n;
	unsigned budget = DRAIN_BUDGET;

	if (w->stopped || w->in_drain)
		return;
	w->in_drain++;
	while (budget && !w->stopped) {
		/* inbox first into the run queue, in order, then run */
		while ((n = rt_mpsc_pop(&w->inbox)) != NULL)
			rq_push(w, n);
		if (!w->rq_head)
			break;
		while (budget && !w->stopped && (n = rq_pop(w)) != NULL) {
			run_item(w, n);
			budget--;
		}
	}
	w->in_drain--;
	if (w->stopped)
		return;
	if (w->rt->flush)
		w->rt->flush(w->rt->remote_arg, w->index);
	/* work left: do not let the loop block in poll */
	if (w->rq_head && !w->idle_on) {
		uv_idle_start(&w->idle, idle_cb);
		w->idle_on = true;
	} else if (!w->rq_head && w->idle_on) {
		uv_idle_stop(&w->idle);
		w->idle_on = false;
	}
}

static void
idle_cb(uv_idle_t *h)
{
	/* nothing: its presence makes poll return at once */
}

static void
prepare_cb(uv_prepare_t *h)
{
	drain(h->data);
}

static void
async_cb(uv_async_t *h)
{
	drain(h->data);
}

void
rt_worker_enqueue(struct rt_worker *w, struct rt_qnode *n)
{
	if (tls_worker == w) {
		rq_push(w, n);
		return;
	}
	rt_mpsc_push(&w->inbox, n);
	uv_async_send(&w->async);
}

/* --- lifecycle -------------------------------------------------------- */

static void
free_item(struct rt_qnode *n)
{
	if (n->type == RT_Q_MSG)
		rt_msg_free((rt_msg *)n);
	else if (n->type != RT_Q_STUB)
		free(n);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h)) {
		rt_warn("closing a handle left open on the loop (type %s)",
		        uv_handle_type_name(h->type));
		uv_close(h, NULL);
	}
}

static void
worker_stop(struct rt_worker *w)
{
	struct rt_qnode *n;

	rt_actor_stop_all(w);
	w->stopped = true;
	while ((n = rq_pop(w)) != NULL)
		free_item(n);
	uv_close((uv_handle_t *)&w->async, NULL);
	uv_close((uv_handle_t *)&w->prepare, NULL);
	uv_close((uv_handle_t *)&w->idle, NULL);
	rt_timers_close(w);
	uv_walk(&w->loop, walk_close, NULL);
}

static void
worker_main(void *arg)
{
	struct rt_worker *w = arg;

	tls_worker = w;
	rt_log_set_worker((int)w->index);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	rt_log_set_worker(-1);
	tls_worker = NULL;
}

static int
worker_init(rt *r, struct rt_worker *w, uint32_t index)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->rt = r;
	w->index = index;
	rt_mpsc_init(&w->inbox);
	rt_map_init(&w->actors);
	rt_map_init(&w->pending);
	atomic_store(&w->next_id, RT_ID_FIRST_DYNAMIC);
	if ((err = uv_loop_init(&w->loop)) != 0)
		return -err;
	uv_async_init(&w->loop, &w->async, async_cb);
	uv_prepare_init(&w->loop, &w->prepare);
	uv_idle_init(&w->loop, &w->idle);
	w->async.data = w->prepare.data = w->idle.data = w;
	uv_prepare_start(&w->prepare, prepare_cb);
	uv_unref((uv_handle_t *)&w->prepare);
	return rt_timers_init(w);
}

int
rt_alloc(rt **out, const struct rt_config *cfg)
{
	rt *r;
	uint32_t n = cfg->workers;
	int err = 0;

	if (!cfg->node_id)
		return EINVAL;
	if (n == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (uint32_t)c : 1;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->node_id = cfg->node_id;
	snprintf(r->node_name, sizeof(r->node_name), "%s",
	         cfg->node_name ? cfg->node_name : "pbx");
	r->n_workers = n;
	r->workers = calloc(n, sizeof(*r->workers));
	if (!r->workers) {
		free(r);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < n && !err; i++)
		err = worker_init(r, &r->workers[i], i);
	if (err) {
		/* loops are not running: nothing to close but memory */
		free(r->workers);
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

int
rt_start(rt *r)
{
	rt_addr a;
	int err;

	for (uint32_t i = 0; i < r->n_workers; i++) {
		err = uv_thread_create(&r->workers[i].thread, worker_main,
		                       &r->workers[i]);
		if (err)
			return -err;
	}
	r->started = true;
	return rt_spawn_named(r, &rt_node_kind, 0, RT_ID_NODE, NULL, &a);
}

void
rt_shutdown(rt *r)
{
	struct rt_qnode *n;

	if (!r || r->shut)
		return;
	r->shut = true;
	atomic_store(&r->stopping, true);
	for (uint32_t i = 0; i < r->n_workers && r->started; i++) {
		n = calloc(1, sizeof(*n));
		n->type = RT_Q_STOP;
		rt_worker_enqueue(&r->workers[i], n);
	}
	for (uint32_t i = 0; i < r->n_workers && r->started; i++)
		uv_thread_join(&r->workers[i].thread);
}

void
rt_free(rt *r)
{
	struct rt_qnode *n;

	if (!r)
		return;
	rt_shutdown(r);
	for (uint32_t i = 0; i < r->n_workers; i++) {
		struct rt_worker *w = &r->workers[i];

		if (!r->started) {
			/* never ran: close what worker_init opened */
			worker_stop(w);
			uv_run(&w->loop, UV_RUN_DEFAULT);
		}
		while ((n = rt_mpsc_pop(&w->inbox)) != NULL)
			free_item(n);
		uv_loop_close(&w->loop);
		rt_map_fini(&w->actors);
		rt_map_fini(&w->pending);
	}
	free(r->workers);
	free(r);
}

/* --- small accessors -------------------------------------------------- */

uint32_t
rt_node_id(const rt *r)
{
	return r->node_id;
}

const char *
rt_node_name(const rt *r)
{
	return r->node_name;
}

uint32_t
rt_workers(const rt *r)
{
	return r->n_workers;
}

uv_loop_t *
rt_loop(rt *r, uint32_t worker)
{
	return worker < r->n_workers ? &r->workers[worker].loop : NULL;
}

uint64_t
rt_now_ms(rt *r, uint32_t worker)
{
	return uv_now(&r->workers[worker].loop);
}

uint64_t
rt_hash(uint64_t h, const void *p, size_t len)
{
	return pbx_fnv64(h, p, len);
}

uint32_t
rt_worker_of(const rt *r, const void *key, size_t len)
{
	return (uint32_t)(rt_hash(RT_HASH_INIT, key, len) % r->n_workers);
}

int
rt_call(rt *r, uint32_t worker, void (*fn)(void *), void *arg)
{
	struct rt_call_req *c;

	if (worker >= r->n_workers)
		return EINVAL;
	if (atomic_load(&r->stopping))
		return ESHUTDOWN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->q.type = RT_Q_CALL;
	c->fn = fn;
	c->arg = arg;
	rt_worker_enqueue(&r->workers[worker], &c->q);
	return 0;
}

int
rt_spawn_named(rt *r, const rt_kind *k, uint32_t worker, uint64_t id, void *arg,
               rt_addr *out)
{
	struct rt_spawn_req *s;
	struct rt_worker *w;

	if (worker == RT_WORKER_ANY)
		worker = atomic_fetch_add(&r->rr, 1) % r->n_workers;
	if (worker >= r->n_workers || !k)
		return EINVAL;
	if (atomic_load(&r->stopping))
		return ESHUTDOWN;
	w = &r->workers[worker];
	if (!id)
		id = atomic_fetch_add(&w->next_id, 1);
	out->node = r->node_id;
	out->worker = worker;
	out->id = id;
	if (tls_worker == w) {
		rt_actor_spawn_here(w, k, id, arg);
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->q.type = RT_Q_SPAWN;
	s->kind = k;
	s->id = id;
	s->arg = arg;
	rt_worker_enqueue(w, &s->q);
	return 0;
}

int
rt_spawn(rt *r, const rt_kind *k, uint32_t worker, void *arg, rt_addr *out)
{
	return rt_spawn_named(r, k, worker, 0, arg, out);
}

void
rt_worker_stats(const rt *r, uint32_t worker, struct rt_worker_stats *s)
{
	const struct rt_worker *w = &r->workers[worker];

	s->actors = atomic_load_explicit(&w->n_actors, memory_order_relaxed);
	s->messages = atomic_load_explicit(&w->n_msgs, memory_order_relaxed);
}

void
rt_set_remote(rt *r, rt_remote_h send, rt_flush_h flush, void *arg)
{
	r->remote = send;
	r->flush = flush;
	r->remote_arg = arg;
}
