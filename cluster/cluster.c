/* The cluster module's life cycle and its view of the peers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cluster_int.h"
#include "log.h"
#include "pbx_clock.h"

/* Known to anyone who reads this file: only for nodes that talk over
 * loopback, and said so in the log at start. */
#define DEMO_SECRET "pbx demo cluster secret: set cluster.secret"

/* The secret, or the demo secret when none is set and no URL leaves the
 * machine. */
static int
take_secret(struct cluster *c, const struct cluster_config *cfg)
{
	const char *s = cfg->secret;

	if (s && s[0]) {
		if (strlen(s) > sizeof(c->key.key))
			return EINVAL;
		c->key.len = strlen(s);
		memcpy(c->key.key, s, c->key.len);
		return 0;
	}
	if (!cluster_url_local(cfg->listen)) {
		rt_err("cluster: %s is reachable from the network and "
		       "cluster.secret is not set: refusing to start (set "
		       "cluster.secret, the same on every node)",
		       cfg->listen);
		return EPERM;
	}
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (!cluster_url_local(cfg->peers[i])) {
			rt_err("cluster: peer %s is on another machine and "
			       "cluster.secret is not set: refusing to start "
			       "(set cluster.secret, the same on every node)",
			       cfg->peers[i]);
			return EPERM;
		}
	}
	c->demo_secret = true;
	c->key.len = strlen(DEMO_SECRET);
	memcpy(c->key.key, DEMO_SECRET, c->key.len);
	rt_warn("cluster: cluster.secret is not set: links use the built-in "
	        "demo secret, which every local user can know; fine for a "
	        "cluster on loopback only, set cluster.secret otherwise");
	return 0;
}

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
	if ((err = take_secret(c, cfg)) != 0 ||
	    RAND_bytes((unsigned char *)&c->nonce, sizeof(c->nonce)) != 1) {
		free(c);
		return err ? err : EIO;
	}
	c->nonce |= 1; /* never 0, the "unknown" of a frame */
	snprintf(c->listen, sizeof(c->listen), "%s", cfg->listen);
	c->hb_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 1000;
	c->dead_after = cfg->dead_after ? cfg->dead_after : 3;
	c->incarnation = pbx_wall_ns();
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->drop_mu, NULL);
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
		pthread_mutex_destroy(&p->tx_mu);
		free(p);
	}
	pthread_mutex_destroy(&c->drop_mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

size_t
cluster_peers(struct cluster *c, struct cluster_peer_info *out, size_t max)
{
	size_t n = atomic_load(&c->n_peers), k = 0;
	nng_time now = nng_clock();

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < n && k < max; i++) {
		struct peer *p = c->peers[i];
		struct cluster_peer_info *o = &out[k];

		if (atomic_load(&p->gone))
			continue;
		k++;
		o->node = atomic_load(&p->node);
		snprintf(o->name, sizeof(o->name), "%s", p->name);
		snprintf(o->url, sizeof(o->url), "%s", p->url);
		snprintf(o->version, sizeof(o->version), "%s", p->version);
		o->incarnation = p->incarnation;
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
