/* TCP: the listener actor and the connection actor. */
#ifndef PBX_SIP_TCP_H
#define PBX_SIP_TCP_H

#include "sip_stack.h"

#define SIP_TCP_BACKOFF_MS 1000 /* accept paused after EMFILE/ENFILE */

extern const rt_kind sip_tcp_listener_kind;
extern const rt_kind sip_tcp_conn_kind;

void *sip_tcp_listener_arg(struct sip_stack *s, unsigned listener, int fd);
/* Spawn argument of a connection on an accepted socket; freed by init. */
void *sip_tcp_conn_arg(struct sip_stack *s, unsigned listener, int fd,
                       const struct sockaddr_storage *peer, void *tls_ctx);

/* How many connections the node may hold: sip.tcp.max_connections when set,
 * else RLIMIT_NOFILE less the descriptors open now and the reserve. Logs
 * one line with the numbers. */
uint32_t sip_tcp_max_conns(const struct conf_sip_tcp *cf);

/* Incremental framing of one message at the front of a stream buffer: keeps
 * where the search for the header's end stopped, so that a message arriving
 * in many reads is scanned about once. Reset it when the buffer's front
 * moves other than by a message it framed. */
struct sip_tcp_framer {
	size_t start;     /* first byte after leading line ends, or unknown */
	size_t scan;      /* where the search for the empty line resumes */
	size_t total;     /* the message's length once its header is read */
	uint64_t scanned; /* bytes examined, ever (for tests) */
};

void sip_tcp_framer_reset(struct sip_tcp_framer *f);
/* 0 and *framelen: a whole message (leading line ends included) is at buf;
 * ENODATA: need more bytes; EBADMSG: no usable Content-Length; EMSGSIZE:
 * the message is, or already will be, over lim->max_size. On 0 the framer
 * is reset for the next message, which starts at buf + *framelen. */
int sip_tcp_frame(struct sip_tcp_framer *f, size_t *framelen, const char *buf,
                  size_t len, const struct sip_limits *lim);

/* The source a peer's connections count against: its IPv4 address (also
 * when mapped in IPv6), or the /64 of its IPv6 address. */
void sip_tcp_source_key(uint8_t key[16], const struct sockaddr_storage *ss);

#endif
