/* Shared by the runtime tests: a runtime per test and a way to wait for the
 * actors' results from the test thread. */
#ifndef PBX_TEST_HARNESS_H
#define PBX_TEST_HARNESS_H

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "rt.h"

struct probe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long n[16]; /* counters the actors bump */
	long v[16]; /* values they record */
};

static inline void
probe_init(struct probe *p)
{
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (int i = 0; i < 16; i++)
		p->n[i] = p->v[i] = 0;
}

static inline void
probe_add(struct probe *p, int i, long d)
{
	pthread_mutex_lock(&p->mu);
	p->n[i] += d;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static inline void
probe_set(struct probe *p, int i, long v)
{
	pthread_mutex_lock(&p->mu);
	p->v[i] = v;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Wait until counter i reaches want or ms pass; returns the counter. */
static inline long
probe_wait(struct probe *p, int i, long want, int ms)
{
	struct timespec ts;
	long v;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->n[i] < want &&
	       pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
		;
	v = p->n[i];
	pthread_mutex_unlock(&p->mu);
	return v;
}

static inline long
probe_get(struct probe *p, int i)
{
	long v;

	pthread_mutex_lock(&p->mu);
	v = p->n[i];
	pthread_mutex_unlock(&p->mu);
	return v;
}

static inline long
probe_val(struct probe *p, int i)
{
	long v;

	pthread_mutex_lock(&p->mu);
	v = p->v[i];
	pthread_mutex_unlock(&p->mu);
	return v;
}

static inline rt *
rt_test_start(uint32_t workers)
{
	struct rt_config cfg = { .node_id = 1,
		                 .node_name = "test",
		                 .workers = workers };
	rt *r = NULL;

	ck_assert_int_eq(rt_alloc(&r, &cfg), 0);
	ck_assert_int_eq(rt_start(r), 0);
	return r;
}

static inline void
rt_test_stop(rt *r)
{
	rt_shutdown(r);
	rt_free(r);
}

#endif
