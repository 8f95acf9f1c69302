/*
 * pbxctl cluster: this node's log cursors, its locations digest, the lag of
 * replicated events it received, and per peer and origin what the peer
 * holds and how far behind this node it is. The table has one line per
 * (peer, origin); --json gives everything.
 */
#include <stdio.h>

#include "ctl_cluster.h"
#include "out.h"

static void
hex(char *out, const ProtobufCBinaryData *b)
{
	static const char d[] = "0123456789abcdef";
	size_t n = b->len > 32 ? 32 : b->len;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b->data[i] >> 4];
		out[2 * i + 1] = d[b->data[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
json_origins(struct json *j, Pbx__ClusterOrigin **o, size_t n, bool peer)
{
	json_arr(j, "origins");
	for (size_t i = 0; i < n; i++) {
		json_obj(j, NULL);
		json_u64(j, "origin", o[i]->origin);
		json_u64(j, "seq", o[i]->seq);
		json_u64(j, "at_ms", o[i]->at_ms);
		if (peer) {
			json_u64(j, "lag_events", o[i]->lag_events);
			json_u64(j, "lag_ms", o[i]->lag_ms);
		}
		json_end_obj(j);
	}
	json_end_arr(j);
}

static void
print_json(const Pbx__ClusterResponse *r, const char *digest)
{
	struct json j;

	json_begin(&j, stdout);
	json_obj(&j, NULL);
	json_u64(&j, "node", r->node);
	json_str(&j, "name", r->name);
	json_str(&j, "digest", digest);
	json_u64(&j, "aors", r->aors);
	json_u64(&j, "bindings", r->bindings);
	json_obj(&j, "lag_ms");
	json_u64(&j, "p50", r->lag_p50_ms);
	json_u64(&j, "p99", r->lag_p99_ms);
	json_u64(&j, "count", r->lag_count);
	json_end_obj(&j);
	json_u64(&j, "remote_events", r->remote_events);
	json_u64(&j, "remote_skipped", r->remote_skipped);
	json_u64(&j, "pruned", r->pruned);
	json_origins(&j, r->origins, r->n_origins, false);
	json_arr(&j, "peers");
	for (size_t i = 0; i < r->n_peers; i++) {
		const Pbx__ClusterPeer *p = r->peers[i];

		json_obj(&j, NULL);
		json_u64(&j, "node", p->node);
		json_str(&j, "name", p->name);
		json_str(&j, "state", p->state);
		json_u64(&j, "incarnation", p->incarnation);
		json_str(&j, "version", p->version);
		json_origins(&j, p->origins, p->n_origins, true);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
}

void
print_cluster(bool json, const Pbx__ClusterResponse *r)
{
	char digest[65], c[6][24];
	struct table t;

	hex(digest, &r->digest);
	if (json) {
		print_json(r, digest);
		return;
	}
	printf("node %s (%u): %llu AORs, %llu bindings, digest %s\n", r->name,
	       r->node, (unsigned long long)r->aors,
	       (unsigned long long)r->bindings, digest);
	printf("replication lag: p50 %llu ms, p99 %llu ms over %llu events; "
	       "%llu events applied from peers, %llu pruned\n",
	       (unsigned long long)r->lag_p50_ms,
	       (unsigned long long)r->lag_p99_ms,
	       (unsigned long long)r->lag_count,
	       (unsigned long long)r->remote_events,
	       (unsigned long long)r->pruned);
	table_init(&t, 7, "PEER", "STATE", "INCARNATION", "ORIGIN", "HELD",
	           "LAG EVENTS", "LAG MS");
	for (size_t i = 0; i < r->n_origins; i++) {
		snprintf(c[0], sizeof(c[0]), "%u", r->origins[i]->origin);
		snprintf(c[1], sizeof(c[1]), "%llu",
		         (unsigned long long)r->origins[i]->seq);
		table_row(&t, "(this node)", "-", "-", c[0], c[1], "-", "-");
	}
	for (size_t i = 0; i < r->n_peers; i++) {
		const Pbx__ClusterPeer *p = r->peers[i];
		char name[80];

		snprintf(name, sizeof(name), "%s (%u)",
		         p->name[0] ? p->name : "?", p->node);
		snprintf(c[2], sizeof(c[2]), "%llu",
		         (unsigned long long)p->incarnation);
		if (!p->n_origins)
			table_row(&t, name, p->state, c[2], "-", "-", "-", "-");
		for (size_t k = 0; k < p->n_origins; k++) {
			const Pbx__ClusterOrigin *o = p->origins[k];

			snprintf(c[0], sizeof(c[0]), "%u", o->origin);
			snprintf(c[1], sizeof(c[1]), "%llu",
			         (unsigned long long)o->seq);
			snprintf(c[3], sizeof(c[3]), "%llu",
			         (unsigned long long)o->lag_events);
			snprintf(c[4], sizeof(c[4]), "%llu",
			         (unsigned long long)o->lag_ms);
			table_row(&t, name, p->state, c[2], c[0], c[1], c[3],
			          c[4]);
		}
	}
	table_print(&t, stdout);
	table_free(&t);
}
