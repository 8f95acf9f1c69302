/* The cluster module's life cycle and its view of the peers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_int.h"
#include "pbx_clock.h"

int
cluster_start(struct cluster **out, rt *r, const struct cluster_config *cfg)
{
	struct cluster *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return ENOMEM;
	if (!cfg->listen || strlen(cfg->listen) >= sizeof(c->listen)) {
		free(c);
		return EINVAL;
	}
	c->rt = r;
	snprintf(c->listen, sizeof(c->listen), "%s", cfg->listen);
	c->hb_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 1000;
	c->dead_after = cfg->dead_after ? cfg->dead_after : 3;
	c->incarnation = pbx_wall_ns();
	pthread_mutex_init(&c->mu, NULL);
	if ((err = cluster_links_open(c, cfg)) != 0) {
		cluster_links_close(c);
		cluster_free(c);
		return err;
	}
	rt_set_remote(r, cluster_remote_send, cluster_flush, c);
	*out = c;
	return 0;
}

void
cluster_free(struct cluster *c)
{
	size_t n;

	if (!c)
		return;
	if (!atomic_load(&c->closing))
		cluster_links_close(c);
	n = atomic_load(&c->n_peers);
	for (size_t i = 0; i < n; i++) {
		struct peer *p = c->peers[i];

		for (uint32_t w = 0; w < rt_workers(c->rt); w++)
			if (p->batch[w])
				nng_msg_free(p->batch[w]);
		free(p->batch);
		free(p);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

size_t
cluster_peers(struct cluster *c, struct cluster_peer_info *out, size_t max)
{
	size_t n = atomic_load(&c->n_peers), k = 0;
	nng_time now = nng_clock();

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < n && k < max; i++, k++) {
		struct peer *p = c->peers[i];
		struct cluster_peer_info *o = &out[k];

		o->node = atomic_load(&p->node);
		snprintf(o->name, sizeof(o->name), "%s", p->name);
		snprintf(o->url, sizeof(o->url), "%s", p->url);
		snprintf(o->version, sizeof(o->version), "%s", p->version);
		o->state = (enum cluster_link)atomic_load(&p->state);
		o->since_ms = now - p->since;
	}
	pthread_mutex_unlock(&c->mu);
	return k;
}

int
cluster_resolve(struct cluster *c, const char *name_or_id, uint32_t *node)
{
	size_t n = atomic_load(&c->n_peers);
	char *end;
	unsigned long id = strtoul(name_or_id, &end, 10);
	int err = ENOENT;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		struct peer *p = c->peers[i];
		uint32_t pn = atomic_load(&p->node);

		if (!pn)
			continue;
		if (strcmp(p->name, name_or_id) == 0 ||
		    (*end == '\0' && end != name_or_id && pn == id)) {
			*node = pn;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return err;
}
