/*
 * Cross-node routing: a message for another node is packed into the sending
 * worker's batch for that peer. A batch is the wire form of pbx.Batch
 * (field 1, length-delimited, repeated), so each envelope can be unpacked on
 * its own into its own message at the other end. A batch that cannot be sent
 * is unpacked here and each envelope returned to its sender.
 */
#include <errno.h>
#include <stdlib.h>

#include "cluster_int.h"
#include "log.h"

#define BATCH_TAG 0x0a /* field 1, wire type 2 */

static size_t
varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static int
varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;

	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*v = r;
			return 0;
		}
	}
	return EBADMSG;
}

int
cluster_batch_append(nng_msg *nm, const rt_msg *m)
{
	size_t len = rt_msg_packed_size(m), off = nng_msg_len(nm), hl;
	uint8_t hdr[11];

	hdr[0] = BATCH_TAG;
	hl = 1 + varint_put(hdr + 1, len);
	if (nng_msg_realloc(nm, off + hl + len) != 0)
		return ENOMEM;
	uint8_t *body = (uint8_t *)nng_msg_body(nm) + off;
	for (size_t i = 0; i < hl; i++)
		body[i] = hdr[i];
	rt_msg_pack(m, body + hl);
	return 0;
}

void
cluster_batch_each(struct cluster *c, const struct cluster_frame *f, bool bound,
                   const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	uint64_t len;
	rt_msg *m;

	while (p < end) {
		if (*p++ != BATCH_TAG || varint_get(&p, end, &len) != 0 ||
		    len > (uint64_t)(end - p)) {
			cluster_drop(c, CLUSTER_DROP_MALFORMED, 0,
			             "batch from node %u: bad framing",
			             (unsigned)f->node);
			return;
		}
		if (rt_msg_unpack(&m, p, (size_t)len) == 0)
			cluster_received(c, f, bound, m);
		else
			cluster_drop(c, CLUSTER_DROP_MALFORMED, 0,
			             "undecodable envelope from node %u",
			             (unsigned)f->node);
		p += len;
	}
}

static void
return_batch(struct cluster *c, nng_msg *nm)
{
	const uint8_t *p = nng_msg_body(nm), *end = p + nng_msg_len(nm);
	uint64_t len;
	rt_msg *m;

	while (p < end && *p++ == BATCH_TAG && varint_get(&p, end, &len) == 0 &&
	       len <= (uint64_t)(end - p)) {
		if (rt_msg_unpack(&m, p, (size_t)len) == 0)
			rt_return(c->rt, m, EHOSTUNREACH);
		p += len;
	}
	nng_msg_free(nm);
}

static struct peer *
find(struct cluster *c, uint32_t node)
{
	size_t n = atomic_load_explicit(&c->n_peers, memory_order_acquire);

	for (size_t i = 0; i < n; i++)
		if (atomic_load_explicit(&c->peers[i]->node,
		                         memory_order_relaxed) == node)
			return c->peers[i];
	return NULL;
}

static void
flush_one(struct cluster *c, struct peer *p, uint32_t worker)
{
	nng_msg *nm = p->batch[worker];

	p->batch[worker] = NULL;
	if (cluster_send(c, p, nm) != 0)
		return_batch(c, nm);
}

int
cluster_remote_send(void *arg, uint32_t worker, rt_msg *m)
{
	struct cluster *c = arg;
	uint32_t node = rt_msg_env(m)->to->node;
	struct peer *p = find(c, node);
	nng_msg *nm;

	if (!p ||
	    atomic_load_explicit(&p->state, memory_order_relaxed) != CLUSTER_UP)
		return EHOSTUNREACH;
	if (worker == UINT32_MAX) {
		/* not a worker: send alone */
		if (nng_msg_alloc(&nm, 0) != 0)
			return ENOMEM;
		if (cluster_batch_append(nm, m) != 0 ||
		    cluster_send(c, p, nm) != 0) {
			nng_msg_free(nm);
			return EHOSTUNREACH;
		}
		rt_msg_free(m);
		return 0;
	}
	if (!p->batch[worker] && nng_msg_alloc(&p->batch[worker], 0) != 0)
		return ENOMEM;
	if (cluster_batch_append(p->batch[worker], m) != 0)
		return ENOMEM;
	rt_msg_free(m);
	if (nng_msg_len(p->batch[worker]) >= CLUSTER_BATCH_BYTES)
		flush_one(c, p, worker);
	return 0;
}

void
cluster_flush(void *arg, uint32_t worker)
{
	struct cluster *c = arg;
	size_t n = atomic_load_explicit(&c->n_peers, memory_order_acquire);

	for (size_t i = 0; i < n; i++)
		if (c->peers[i]->batch[worker])
			flush_one(c, c->peers[i], worker);
}
