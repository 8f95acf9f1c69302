/*
 * The SIP stack on the actor runtime: transports, the per-worker SIP core
 * and the transactions.
 *
 * Every worker runs a SIP core actor (id SIP_ID_CORE) and, per listening
 * address, a UDP transport actor (id SIP_ID_UDP(i)) on a socket of its own
 * bound with SO_REUSEPORT, so datagrams are received and parsed on every
 * worker. A message goes to the core of the worker chosen by its Call-ID,
 * where its transactions live; a response goes on to the core of the worker
 * its Via branch names, which looks the branch up among that worker's
 * client transactions (and drops it when it names none); a REGISTER
 * stays on the worker that read it (its 401, or its registrar: see
 * sip_route_in).
 */
#ifndef PBX_SIP_STACK_H
#define PBX_SIP_STACK_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "conf.h"
#include "log.h"
#include "rt.h"
#include "sip.h"

#define SIP_ID_CORE      8
#define SIP_ID_REGISTRAR 9 /* registrar.h */
#define SIP_MAX_LISTEN   16
#define SIP_ID_UDP(i)    (16 + (uint64_t)(i))
#define SIP_ID_TCP(i)    (32 + (uint64_t)(i)) /* listeners, worker 0 */
#define SIP_MAX_WORKERS  256
#define SIP_UDP_BUFFER   (8 << 20) /* bytes, each way, per UDP socket */

enum sip_flow_tp {
	SIP_FLOW_UDP = 1,
	SIP_FLOW_TCP = 2,
	SIP_FLOW_TLS = 3,
};

struct udp_sock;
struct txn_table;
struct registrar; /* actors/registrar */
struct calls;     /* actors/calls */

struct sip_listener {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* "127.0.0.1:5060" */
	char host[48]; /* for Via sent-by */
	uint16_t port;
	int udp_fd[SIP_MAX_WORKERS];
	/* worker w's UDP transport on this address, used on w's thread only
	 * (set and cleared by the transport actor, read by sip_send) */
	struct udp_sock *udp[SIP_MAX_WORKERS];
	int tcp_fd;
	bool tls; /* a TLS listener: TCP only, no UDP sockets */
};

enum sip_trace_level {
	SIP_TRACE_OFF = 0,
	SIP_TRACE_SUMMARY,
	SIP_TRACE_FULL,
};

struct sip_stack {
	rt *rt;
	struct sip_limits limits;
	uint32_t t1, t2, t4;
	size_t n_listen;
	struct sip_listener listen[SIP_MAX_LISTEN];
	_Atomic int trace; /* enum sip_trace_level */
	/* What the modules above add, set between sip_stack_open and
	 * sip_stack_run (sip_start.h), before any actor reads them, and never
	 * changed after: the workers read them without synchronisation. */
	struct registrar *registrar; /* REGISTERs go there when set */
	struct calls *calls;         /* INVITEs and dialogs, when set */
	/* the calls module's answer to a new INVITE without a transaction
	 * (calls_stateless, called by the SIP core); true: answered or
	 * dropped */
	bool (*invite_stateless)(rt_actor *a, struct sip_stack *s,
	                         const struct sip_msg *msg,
	                         const Pbx__SipFlow *flow);
	uint8_t profile[SIP_MAX_LISTEN]; /* listener -> profile index */
	void *tls_ctx; /* SSL_CTX of the TLS listener, if any */
	/* worker w's client transactions by branch (txn_table.h), owned by
	 * its SIP core, used on w's thread only: set and cleared by the core,
	 * filled by the client transactions, read by the core */
	struct txn_table *clients[SIP_MAX_WORKERS];
	/* counters for status (relaxed atomics); n_bad also counts the
	 * responses dropped as matching no transaction of ours */
	_Atomic uint64_t n_in, n_out, n_bad;
	/* TCP and TLS connections of every listener and worker: the limits
	 * (sip.tcp), how many there are, the bytes their buffers hold */
	struct conf_sip_tcp tcp;
	uint32_t tcp_max_conns;
	_Atomic uint32_t tcp_conns;
	_Atomic uint64_t tcp_buffered;
};

/* --- shared by the stack's actors ------------------------------------- */

/* Flows: sockaddr <-> SipFlow. The ip bytes are allocated in m. */
void sip_flow_set(rt_msg *m, Pbx__SipFlow *f, enum sip_flow_tp tp,
                  const struct sockaddr *remote, unsigned listener,
                  const struct sip_stack *s);
int sip_flow_remote(const Pbx__SipFlow *f, struct sockaddr_storage *ss);
/* A deep copy of src into m. */
Pbx__SipFlow *sip_flow_copy(rt_msg *m, const Pbx__SipFlow *src);
/* A new message (a SipPacket without data) holding a copy of f: what an
 * actor keeps to send along a flow later. NULL without memory. */
rt_msg *sip_flow_msg(const Pbx__SipFlow *f);
/* A deep copy of a SipRequest (data, flow, txn) in a new message, to pass
 * on or to keep. NULL without memory. */
rt_msg *sip_request_copy(const Pbx__SipRequest *r);
void sip_flow_text(char *buf, size_t n, const Pbx__SipFlow *f);

/* The transport actor that sends along a flow, from this worker. */
rt_addr sip_flow_sender(rt_actor *a, const Pbx__SipFlow *f);
/* Send bytes along a flow: over UDP on this worker's socket at once,
 * else a SipSend to the flow's transport actor (a TCP/TLS connection). */
int sip_send(struct sip_stack *s, rt_actor *a, const Pbx__SipFlow *f,
             const void *data, size_t len);
/* UDP only: send on worker `worker`'s socket of the flow's address (call
 * on that worker); ENOENT when it has none. */
int sip_udp_send_here(struct sip_stack *s, uint32_t worker,
                      const Pbx__SipFlow *f, const void *data, size_t len);

/* Send a response: UDP responses go where RFC 3261 §18.2.2 says. */
int sip_send_response(struct sip_stack *s, rt_actor *a, const Pbx__SipFlow *f,
                      const void *data, size_t len);

/* One trace line: the start line, or with SIP_TRACE_FULL the whole message
 * with its credentials masked (sip_trace.c). */
void sip_trace(struct sip_stack *s, bool in, const Pbx__SipFlow *f,
               const void *data, size_t len);
/* The message src[0..n) into dst (at most cap bytes, cut there), with the
 * credentials of Authorization and Proxy-Authorization masked: the header
 * name, the scheme and Digest's username, realm, uri, algorithm, qop and nc
 * stay; the other parameters' values (response, cnonce, nonce, opaque...)
 * and other schemes' credentials become ***. Returns the length. */
size_t sip_trace_mask(char *dst, size_t cap, const char *src, size_t n);

/* "user@domain" (domain lower-cased, no port) of a decoded To/From (a
 * message's `to`), the key of an AOR everywhere; 0 or EBADMSG. */
int sip_aor_of(char *out, size_t n, const struct sip_addr *a);
/* The AOR key of a raw message's To, found by scanning the header names
 * only (no parse); 0 or EBADMSG. */
int sip_raw_aor(char *out, size_t n, const char *data, size_t len);
/* The actor that takes a message a transport read on worker `self`: for a
 * REGISTER with credentials (when there is a registrar) the registrar of
 * `self`'s worker (it finds the AOR's registration actor, see registrar.h);
 * for an OPTIONS or any other REGISTER, answered statelessly, the SIP core
 * of `self`'s worker; for the rest the SIP core of the worker its Call-ID
 * hashes to (its transactions live there). */
rt_addr sip_route_in(const struct sip_stack *s, rt_addr self, const char *data,
                     size_t len);

/* A new branch for a client transaction on worker `worker`: the worker
 * where its responses are looked up (sip_branch_worker) and 128 random
 * bits, so that nobody who did not see the request can name it. ENOSPC
 * when n is too small (64 is enough). */
int sip_branch_new(char *buf, size_t n, uint32_t worker);
/* The worker named in one of our branches; ENOENT for any other. */
int sip_branch_worker(const struct pl *branch, uint32_t *worker);
/* A dialog's local tag names its actor (and a random salt), so that an
 * in-dialog request finds it without a table; and back. */
int sip_dialog_tag_encode(char *buf, size_t n, rt_addr dialog, uint32_t salt);
int sip_dialog_tag_decode(const struct pl *tag, rt_addr *dialog);
/* Log lines about what a sender controls (forged or oversized messages) are
 * rate-limited: at most one a second per call site, with the count of those
 * left out since the last. */
struct sip_ratelim {
	_Atomic int64_t next; /* ms, monotonic: the next line allowed */
	_Atomic uint64_t skipped;
};
/* true when a line may go out now; *skipped gets how many did not. */
bool sip_ratelim_ok(struct sip_ratelim *r, uint64_t *skipped);
#define SIP_WARN_LIMITED(fmt, ...)                                             \
	do {                                                                   \
		static struct sip_ratelim rl_;                                 \
		uint64_t sk_;                                                  \
		if (RT_LOG_WARN > rt_log_level_cur ||                          \
		    !sip_ratelim_ok(&rl_, &sk_))                               \
			break;                                                 \
		if (sk_)                                                       \
			rt_logf(RT_LOG_WARN, fmt " (and %llu more like it)",   \
			        __VA_ARGS__, (unsigned long long)sk_);         \
		else                                                           \
			rt_logf(RT_LOG_WARN, fmt, __VA_ARGS__);                \
	} while (0)

/* Room to build the answer to req in: an answer repeats at most the
 * request's headers and adds a few of its own, so buf (*n bytes) when that
 * fits, else a heap block (*heap, for the caller to free) whose size goes to
 * *n. NULL without memory. */
char *sip_answer_room(const struct sip_msg *req, char *buf, size_t *n,
                      char **heap);

/* The call router of a worker takes new INVITEs (actors/calls/calls.h). */
#define SIP_ID_CALLS RT_ID_CALLS

#endif
