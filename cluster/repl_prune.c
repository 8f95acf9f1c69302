/*
 * Retention, off the workers: a thread of its own wakes every prune
 * interval and calls store_prune (which runs on the store's writer thread
 * and returns when done) with the retention age and what every known peer
 * holds, as the replication actor last published it. A worker never waits
 * for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "repl_int.h"

static void *
pruner_main(void *arg)
{
	struct repl *r = arg;
	struct repl_pruner *pr = &r->pruner;
	Pbx__StoreCursor hold[REPL_MAX_ORIGINS];
	struct timespec until;
	size_t n;
	bool peers;
	int err;

	rt_log_set_thread("prune");
	pthread_mutex_lock(&pr->mu);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(pr->interval_ms / 1000);
		until.tv_nsec += (long)(pr->interval_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!pr->stop && pthread_cond_timedwait(&pr->cv, &pr->mu,
		                                           &until) != ETIMEDOUT)
			;
		if (pr->stop)
			break;
		if (!pr->published)
			continue; /* the actor has not looked at the peers yet
			           */
		peers = pr->peers;
		n = pr->n_hold;
		memcpy(hold, pr->hold, n * sizeof(*hold));
		pthread_mutex_unlock(&pr->mu);

		struct store_prune_stats st = { 0 };

		err = store_prune(r->store, pr->age_ms, peers ? hold : NULL,
		                  peers ? n : 0, &st);
		atomic_fetch_add(&r->prune_runs, 1);
		if (err)
			rt_warn("retention: pruning failed: %s", strerror(err));
		else if (st.events || st.calls || st.tombs)
			rt_info("retention: pruned %" PRIu64 " events, %" PRIu64
			        " calls, %" PRIu64 " tombstones",
			        st.events, st.calls, st.tombs);
		atomic_fetch_add(&r->pruned_events, st.events);
		atomic_fetch_add(&r->pruned_calls, st.calls);
		atomic_fetch_add(&r->pruned_tombs, st.tombs);
		pthread_mutex_lock(&pr->mu);
	}
	pthread_mutex_unlock(&pr->mu);
	return NULL;
}

int
repl_pruner_start(struct repl *r, uint64_t age_ms, uint64_t interval_ms)
{
	struct repl_pruner *pr = &r->pruner;
	pthread_condattr_t ca;
	int err;

	pr->age_ms = age_ms;
	pr->interval_ms = interval_ms;
	pthread_mutex_init(&pr->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pr->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((err = pthread_create(&pr->thread, NULL, pruner_main, r)) != 0) {
		pthread_cond_destroy(&pr->cv);
		pthread_mutex_destroy(&pr->mu);
		return err;
	}
	pr->running = true;
	return 0;
}

void
repl_pruner_stop(struct repl *r)
{
	struct repl_pruner *pr = &r->pruner;

	if (!pr->running)
		return;
	pthread_mutex_lock(&pr->mu);
	pr->stop = true;
	pthread_cond_signal(&pr->cv);
	pthread_mutex_unlock(&pr->mu);
	pthread_join(pr->thread, NULL);
	pthread_cond_destroy(&pr->cv);
	pthread_mutex_destroy(&pr->mu);
	pr->running = false;
}

void
repl_pruner_hold(struct repl *r, bool peers, const Pbx__StoreCursor *hold,
                 size_t n)
{
	struct repl_pruner *pr = &r->pruner;

	if (n > REPL_MAX_ORIGINS)
		n = REPL_MAX_ORIGINS;
	pthread_mutex_lock(&pr->mu);
	pr->published = true;
	pr->peers = peers;
	pr->n_hold = n;
	memcpy(pr->hold, hold, n * sizeof(*hold));
	pthread_mutex_unlock(&pr->mu);
}
