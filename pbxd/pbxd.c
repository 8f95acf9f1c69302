/*
 * pbxd: the daemon. Loads the configuration, applies command-line overrides,
 * starts the runtime, the cluster links and the admin socket, and runs until
 * SIGTERM or SIGINT, then stops everything in order and exits 0.
 *
 * This is the composition root: it links every module; no module links it.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "admin.h"
#include "admin_server.h"
#include "cluster.h"
#include "conf.h"
#include "log.h"
#include "nofile.h"
#include "pbx_fnv.h"
#include "rt.h"
#include "directory.h"
#include "calls.h"
#include "registrar.h"
#include "repl.h"
#include "sip_start.h"
#include "store.h"

#define MAX_PEER_FLAGS 64

struct opts {
	const char *config;
	const char *node, *data, *admin, *cluster_listen, *log_level;
	const char *peers[MAX_PEER_FLAGS];
	size_t n_peers;
	struct conf_addr sip[SIP_MAX_LISTEN];
	size_t n_sip;
	/* --listen PROFILE=ADDR|none: one profile's addresses */
	struct {
		char profile[40];
		struct conf_addr addr; /* port 0: none */
	} plisten[SIP_MAX_LISTEN];
	size_t n_plisten;
	long node_id, workers; /* -1: not given */
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: pbxd [-c FILE] [options]\n"
	        "  -c, --config FILE       configuration (default "
	        "conf/pbx.yaml)\n"
	        "      --node NAME         node name\n"
	        "      --node-id N         node id, unique in the cluster\n"
	        "      --data DIR          data directory\n"
	        "      --admin URL         admin socket (nng URL)\n"
	        "      --cluster-listen URL  cluster socket (nng URL)\n"
	        "      --peer URL          a peer's cluster URL (repeatable)\n"
	        "      --workers N         worker threads (0: one per core)\n"
	        "      --log-level LEVEL   error, warn, info or debug\n"
	        "      --sip ADDR:PORT     SIP address instead of sip.listen "
	        "(repeatable)\n"
	        "      --listen PROFILE=ADDR:PORT|none  a profile's SIP "
	        "address\n"
	        "                          instead of the file's "
	        "(repeatable)\n"
	        "      --version           print the version and exit\n");
}

static int
parse_num(const char *flag, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr,
		        "pbxd: %s: expected a number from %ld to %ld, "
		        "got \"%s\"\n",
		        flag, min, max, s);
		return EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_NODE = 256,
		O_NODE_ID,
		O_DATA,
		O_ADMIN,
		O_CLISTEN,
		O_PEER,
		O_WORKERS,
		O_LOG,
		O_VERSION,
		O_SIP,
		O_LISTEN
	};
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, O_NODE },
		{ "node-id", required_argument, NULL, O_NODE_ID },
		{ "data", required_argument, NULL, O_DATA },
		{ "admin", required_argument, NULL, O_ADMIN },
		{ "cluster-listen", required_argument, NULL, O_CLISTEN },
		{ "peer", required_argument, NULL, O_PEER },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "sip", required_argument, NULL, O_SIP },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->config = "conf/pbx.yaml";
	o->node_id = o->workers = -1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case O_NODE:
			o->node = optarg;
			break;
		case O_DATA:
			o->data = optarg;
			break;
		case O_ADMIN:
			o->admin = optarg;
			break;
		case O_CLISTEN:
			o->cluster_listen = optarg;
			break;
		case O_LOG:
			o->log_level = optarg;
			break;
		case O_NODE_ID:
			if (parse_num("--node-id", optarg, 1, UINT32_MAX,
			              &o->node_id))
				return 2;
			break;
		case O_WORKERS:
			if (parse_num("--workers", optarg, 0, 256, &o->workers))
				return 2;
			break;
		case O_PEER:
			if (o->n_peers == MAX_PEER_FLAGS) {
				fprintf(stderr, "pbxd: too many --peer\n");
				return 2;
			}
			o->peers[o->n_peers++] = optarg;
			break;
		case O_SIP:
			if (o->n_sip == SIP_MAX_LISTEN ||
			    sip_listen_parse(&o->sip[o->n_sip], optarg) != 0) {
				fprintf(stderr,
				        "pbxd: --sip: expected ADDR:PORT (at "
				        "most %d), got \"%s\"\n",
				        SIP_MAX_LISTEN, optarg);
				return 2;
			}
			o->n_sip++;
			break;
		case O_LISTEN: {
			const char *eq = strchr(optarg, '=');
			size_t k = o->n_plisten;

			if (!eq || eq == optarg || k == SIP_MAX_LISTEN ||
			    (size_t)(eq - optarg) >=
			        sizeof(o->plisten[k].profile) ||
			    (strcmp(eq + 1, "none") != 0 &&
			     sip_listen_parse(&o->plisten[k].addr, eq + 1) !=
			         0)) {
				fprintf(stderr,
				        "pbxd: --listen: expected "
				        "PROFILE=ADDR:PORT "
				        "or PROFILE=none, got \"%s\"\n",
				        optarg);
				return 2;
			}
			memcpy(o->plisten[k].profile, optarg,
			       (size_t)(eq - optarg));
			o->n_plisten++;
			break;
		}
		case O_VERSION:
			printf("pbxd %s\n", PBX_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pbxd: unexpected argument \"%s\"\n",
		        argv[optind]);
		return 2;
	}
	return 0;
}

/* A node renamed on the command line without an id gets one derived from
 * its name, so that `--node pbx2` alone does not clash with pbx1's id. */
static uint32_t
id_from_name(const char *s)
{
	uint32_t h = pbx_fnv32_str(PBX_FNV32_INIT, s);

	return (h & 0x7fffffffu) | 1u;
}

static int
mkdirs(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

static void
on_signal(uv_signal_t *h, int signum)
{
	rt_info("%s: stopping", strsignal(signum));
	uv_stop(h->loop);
}

static void
close_cb(uv_handle_t *h, void *arg)
{
	uv_close(h, NULL);
}

/* The profile that has sip.listen (the one naming no address of its
 * own); the TLS listener belongs to it too. */
static unsigned sip_profile;

static bool
is_sip_listen(const struct conf *cf, const struct conf_profile *p)
{
	if (p->listen_count != cf->sip.listen_count)
		return false;
	for (size_t i = 0; i < p->listen_count; i++)
		if (strcmp(p->listen[i].text, cf->sip.listen[i].text) != 0)
			return false;
	return true;
}

/* Every profile's addresses, in profile order; --sip replaces sip.listen,
 * --listen a profile's. */
static int
listeners(const struct conf *cf, const struct opts *o, struct conf_addr *listen,
          uint8_t *profile_of, size_t *n)
{
	struct conf_addr given[SIP_MAX_LISTEN];

	for (size_t k = 0; k < o->n_plisten; k++) {
		size_t p;

		for (p = 0; p < cf->profile_count; p++)
			if (strcmp(cf->profiles[p].name,
			           o->plisten[k].profile) == 0)
				break;
		if (p == cf->profile_count) {
			rt_err("--listen: no profile named %s in the "
			       "configuration",
			       o->plisten[k].profile);
			return EINVAL;
		}
	}
	*n = 0;
	for (size_t p = 0; p < cf->profile_count; p++) {
		const struct conf_profile *pr = &cf->profiles[p];
		const struct conf_addr *v = pr->listen;
		size_t c = pr->listen_count, ng = 0;
		bool named = false;

		for (size_t k = 0; k < o->n_plisten; k++)
			if (strcmp(pr->name, o->plisten[k].profile) == 0) {
				named = true;
				if (o->plisten[k].addr.port)
					given[ng++] = o->plisten[k].addr;
			}
		if (is_sip_listen(cf, pr))
			sip_profile = (unsigned)p;
		if (named) {
			v = given;
			c = ng;
		} else if (is_sip_listen(cf, pr) && o->n_sip) {
			v = o->sip;
			c = o->n_sip;
		}
		for (size_t i = 0; i < c; i++) {
			if (*n == SIP_MAX_LISTEN) {
				rt_err("more than %d SIP listen addresses",
				       SIP_MAX_LISTEN);
				return E2BIG;
			}
			listen[*n] = v[i];
			profile_of[(*n)++] = (uint8_t)p;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct conf *cf = NULL;
	char err[512];
	int rc = 1, e;
	rt *r = NULL;
	struct cluster *cl = NULL;
	struct admin_server *adm = NULL;
	struct sip_stack *sip = NULL;
	struct store *store = NULL;
	struct repl *repl = NULL;
	struct directory *dir = NULL;
	struct registrar reg = { 0 };
	struct calls calls;
	struct conf_addr listen[SIP_MAX_LISTEN];
	uint8_t profile_of[SIP_MAX_LISTEN];
	size_t n_listen = 0;
	struct admin_ctx actx = { 0 };
	struct rt_config rc_cfg;
	struct cluster_config cc = { 0 };
	enum rt_log_level lvl;
	uv_loop_t main_loop;
	uv_signal_t sigint, sigterm;
	rt_addr admin_addr;

	if ((e = parse_opts(argc, argv, &o)) != 0)
		return e == 1 ? 0 : 2;
	if ((e = conf_load(&cf, o.config, err, sizeof(err))) != 0) {
		fprintf(stderr, "pbxd: %s\n", err);
		return 2;
	}
	if (o.node) {
		snprintf(cf->node.name, sizeof(cf->node.name), "%s", o.node);
		if (o.node_id < 0)
			cf->node.id = id_from_name(o.node);
	}
	if (o.node_id > 0)
		cf->node.id = (uint32_t)o.node_id;
	if (o.workers >= 0)
		cf->node.workers = (uint32_t)o.workers;
	if (o.data) {
		free(cf->node.data_dir);
		cf->node.data_dir = strdup(o.data);
	}
	if (o.admin) {
		free(cf->admin.listen);
		cf->admin.listen = strdup(o.admin);
	}
	if (conf_check_admin(cf, err, sizeof(err)) != 0) {
		fprintf(stderr, "pbxd: %s %s\n",
		        o.admin ? "--admin" : "admin.listen", err);
		rc = 2;
		goto out;
	}
	if (o.cluster_listen) {
		free(cf->cluster.listen);
		cf->cluster.listen = strdup(o.cluster_listen);
	}
	lvl = (enum rt_log_level)cf->log.level;
	if (o.log_level && rt_log_level_parse(o.log_level, &lvl) != 0) {
		fprintf(stderr, "pbxd: --log-level: unknown level \"%s\"\n",
		        o.log_level);
		goto out;
	}
	rt_log_set_thread("main");
	rt_log_set_node(cf->node.name);
	rt_log_set_level(lvl);
	signal(SIGPIPE, SIG_IGN);
	/* keep freed memory in the workers' arenas: trimming and growing
	 * them again costs a system call per burst of short-lived actors */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 4 << 20);

	/* the demo password rule once every override is in: --sip,
	 * --listen PROFILE=ADDR and the profiles of the file */
	if (listeners(cf, &o, listen, profile_of, &n_listen) != 0) {
		rc = 2;
		goto out;
	}
	if (conf_check_exposure(cf, listen, n_listen, err, sizeof(err)) != 0) {
		fprintf(stderr, "pbxd: %s\n", err);
		rc = 2;
		goto out;
	}
	if ((e = mkdirs(cf->node.data_dir)) != 0) {
		rt_err("data directory %s: %s", cf->node.data_dir, strerror(e));
		goto out;
	}
	/* once the configuration is accepted (a refusal stays one line), before
	 * the TCP transport sizes its limits */
	pbxd_raise_nofile();
	rc_cfg = (struct rt_config){ .node_id = cf->node.id,
		                     .node_name = cf->node.name,
		                     .workers = cf->node.workers };
	if ((e = rt_alloc(&r, &rc_cfg)) != 0 || (e = rt_start(r)) != 0) {
		rt_err("runtime: %s", strerror(e));
		goto out;
	}
	/* peers from the file, then from the command line */
	const char *peers[MAX_PEER_FLAGS * 2];
	size_t np = 0;
	for (size_t i = 0; i < cf->cluster.peer_count && np < MAX_PEER_FLAGS;
	     i++)
		peers[np++] = cf->cluster.peers[i];
	for (size_t i = 0; i < o.n_peers; i++)
		peers[np++] = o.peers[i];
	cc.listen = cf->cluster.listen;
	cc.peers = peers;
	cc.n_peers = np;
	cc.secret = cf->cluster.secret;
	if ((e = cluster_start(&cl, r, &cc)) != 0)
		goto out;

	if ((e = store_open(&store, r, cf->node.data_dir, cf->node.id)) != 0) {
		rt_err("storage in %s: %s", cf->node.data_dir, strerror(e));
		goto out;
	}
	/* replication watches the store from its first commit on */
	struct repl_config rcfg = {
		.store = store,
		.cluster = cl,
		.retention_ms = (uint64_t)cf->storage.retention * 1000,
		.prune_interval_ms =
		    (uint64_t)cf->storage.prune_interval * 1000,
	};
	if ((e = repl_start(&repl, r, &rcfg)) != 0) {
		rt_err("replication: %s", strerror(e));
		goto out;
	}
	/* CDRs asked for and not writable: better not to start than to lose
	 * billing data */
	if (cf->calls.cdr_file &&
	    (e = store_set_cdr_file(store, cf->calls.cdr_file)) != 0) {
		rt_err("calls.cdr_file %s: %s", cf->calls.cdr_file,
		       strerror(e));
		goto out;
	}
	if ((e = directory_build(&dir, &cf->directory)) != 0 ||
	    (e = registrar_init(&reg, store, dir, cf)) != 0)
		goto out;
	/* the stack's sockets first; what its actors read is all set before
	 * sip_stack_run spawns them (sip_start.h), the registrars and call
	 * routers they hand requests to are running by then */
	if ((e = sip_stack_open(&sip, r, &cf->sip, listen, n_listen)) != 0)
		goto out;
	for (size_t i = 0; i < SIP_MAX_LISTEN; i++)
		sip->profile[i] = i < n_listen ? profile_of[i] : sip_profile;
	reg.s = sip;
	sip->registrar = &reg;
	if ((e = registrar_start(&reg, r)) != 0)
		goto out;
	if ((e = calls_init(&calls, store, dir, cf, &reg.auth)) != 0 ||
	    (e = calls_start(&calls, sip, r)) != 0)
		goto out;
	if ((e = sip_stack_run(sip)) != 0)
		goto out;
	rt_info("directory: %zu users; registrar realm %s",
	        directory_count(dir), cf->registrar.realm);

	actx.rt = r;
	actx.cluster = cl;
	actx.sip = sip;
	actx.store = store;
	actx.reg = &reg;
	actx.repl = repl;
	actx.started_ms = admin_mono_ms();
	if ((e = rt_spawn_named(r, &admin_kind, 0, RT_ID_ADMIN, &actx,
	                        &admin_addr)) != 0 ||
	    (e = admin_server_start(&adm, r, cf->admin.listen, cf->admin.token,
	                            admin_addr)) != 0)
		goto out;
	actx.server = adm;

	rt_info("pbxd %s started: node %s (id %u), %u workers, data %s",
	        PBX_VERSION, cf->node.name, cf->node.id, rt_workers(r),
	        cf->node.data_dir);
	uv_loop_init(&main_loop);
	uv_signal_init(&main_loop, &sigint);
	uv_signal_init(&main_loop, &sigterm);
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_run(&main_loop, UV_RUN_DEFAULT);
	uv_walk(&main_loop, close_cb, NULL);
	uv_run(&main_loop, UV_RUN_DEFAULT);
	uv_loop_close(&main_loop);
	rc = 0;
out:
	/* actors first (no more answers), then the sockets that feed them */
	rt_shutdown(r);
	admin_server_stop(adm);
	repl_free(repl);
	store_close(store);
	sip_stack_free(sip);
	registrar_fini(&reg);
	directory_free(dir);
	cluster_free(cl);
	rt_free(r);
	if (rc == 0)
		rt_info("pbxd stopped");
	conf_free(cf);
	return rc;
}
