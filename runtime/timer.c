/*
 * Actor timers: one binary min-heap per worker, ordered by (due, seq), driven
 * by one uv_timer_t armed for the earliest deadline. Starting and cancelling
 * cost O(log n) and no libuv handle, so hundreds of thousands of actors can
 * each hold timers (registration expiry, RFC 3261 timers). A timer belongs to
 * its actor and is cancelled when the actor stops.
 */
#include <errno.h>
#include <stdlib.h>

#include "rt_int.h"

static bool
before(const struct rt_timer *x, const struct rt_timer *y)
{
	return x->due < y->due || (x->due == y->due && x->seq < y->seq);
}

static void
place(struct rt_timers *t, size_t i, struct rt_timer *x)
{
	t->heap[i] = x;
	x->heap_idx = i;
}

static void
sift_up(struct rt_timers *t, size_t i)
{
	struct rt_timer *x = t->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(x, t->heap[p]))
			break;
		place(t, i, t->heap[p]);
		i = p;
	}
	place(t, i, x);
}

static void
sift_down(struct rt_timers *t, size_t i)
{
	struct rt_timer *x = t->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= t->len)
			break;
		if (c + 1 < t->len && before(t->heap[c + 1], t->heap[c]))
			c++;
		if (!before(t->heap[c], x))
			break;
		place(t, i, t->heap[c]);
		i = c;
	}
	place(t, i, x);
}

static void
heap_remove(struct rt_timers *t, struct rt_timer *x)
{
	size_t i = x->heap_idx;
	struct rt_timer *last = t->heap[--t->len];

	if (i == t->len)
		return;
	place(t, i, last);
	if (i > 0 && before(last, t->heap[(i - 1) / 2]))
		sift_up(t, i);
	else
		sift_down(t, i);
}

static void timer_cb(uv_timer_t *h);

static void
arm(struct rt_worker *w)
{
	struct rt_timers *t = &w->timers;
	uint64_t now = uv_now(&w->loop);

	if (!t->len) {
		uv_timer_stop(&t->handle);
		return;
	}
	uv_timer_start(&t->handle, timer_cb,
	               t->heap[0]->due > now ? t->heap[0]->due - now : 0, 0);
}

static void
unlink_timer(struct rt_worker *w, struct rt_timer *x)
{
	rt_actor *a = x->actor;

	heap_remove(&w->timers, x);
	rt_map_del(&w->timers.by_id, x->id);
	if (x->prev)
		x->prev->next = x->next;
	else
		a->timers = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static void
timer_cb(uv_timer_t *h)
{
	struct rt_worker *w = h->data;
	struct rt_timers *t = &w->timers;
	uint64_t now = uv_now(&w->loop);
	unsigned fired = 0;

	/* a bounded batch per call keeps a timer storm from starving I/O */
	while (t->len && t->heap[0]->due <= now && fired++ < 4096) {
		struct rt_timer *x = t->heap[0];
		rt_actor *a = x->actor, *prev;
		rt_timer_h fn = x->h;
		void *arg = x->arg;

		unlink_timer(w, x);
		free(x);
		prev = rt_actor_enter(a);
		fn(a, arg);
		rt_actor_leave(a, prev);
	}
	if (!w->stopped)
		arm(w);
}

int
rt_timers_init(struct rt_worker *w)
{
	struct rt_timers *t = &w->timers;
	int err;

	t->heap = NULL;
	t->len = t->cap = 0;
	t->next_id = 1;
	t->seq = 0;
	rt_map_init(&t->by_id);
	if ((err = uv_timer_init(&w->loop, &t->handle)) != 0)
		return -err;
	t->handle.data = w;
	return 0;
}

void
rt_timers_close(struct rt_worker *w)
{
	struct rt_timers *t = &w->timers;

	/* actors are gone, and with them their timers */
	uv_close((uv_handle_t *)&t->handle, NULL);
	free(t->heap);
	t->heap = NULL;
	t->len = t->cap = 0;
	rt_map_fini(&t->by_id);
}

uint64_t
rt_timer_start(rt_actor *a, uint64_t ms, rt_timer_h h, void *arg)
{
	struct rt_worker *w = a->w;
	struct rt_timers *t = &w->timers;
	struct rt_timer *x;

	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rt_timer **p = realloc(t->heap, cap * sizeof(*p));

		if (!p)
			return 0;
		t->heap = p;
		t->cap = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return 0;
	x->id = t->next_id++;
	x->due = uv_now(&w->loop) + ms;
	x->seq = t->seq++;
	x->actor = a;
	x->h = h;
	x->arg = arg;
	if (rt_map_put(&t->by_id, x->id, x) != 0) {
		free(x);
		return 0;
	}
	x->next = a->timers;
	if (a->timers)
		a->timers->prev = x;
	a->timers = x;
	place(t, t->len++, x);
	sift_up(t, x->heap_idx);
	if (t->heap[0] == x)
		arm(w);
	return x->id;
}

int
rt_timer_cancel(rt_actor *a, uint64_t id)
{
	struct rt_worker *w = a->w;
	struct rt_timer *x = rt_map_get(&w->timers.by_id, id);
	bool first;

	if (!x || x->actor != a)
		return ENOENT;
	first = w->timers.heap[0] == x;
	unlink_timer(w, x);
	free(x);
	if (first)
		arm(w);
	return 0;
}

void
rt_timers_cancel_actor(rt_actor *a)
{
	struct rt_worker *w = a->w;
	bool rearm = false;

	while (a->timers) {
		struct rt_timer *x = a->timers;

		rearm |= w->timers.heap[0] == x;
		unlink_timer(w, x);
		free(x);
	}
	if (rearm && !w->stopped)
		arm(w);
}
