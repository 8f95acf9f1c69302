/* The socket under a TCP/TLS connection actor (sip_tcp_conn.c), private to
 * the two files. */
#ifndef PBX_SIP_TCP_SOCK_H
#define PBX_SIP_TCP_SOCK_H

#include <openssl/ssl.h>

#include "sip_tcp.h"

#define BUF_MIN   8192 /* a read buffer's first size */
#define BUF_SLACK 4096 /* room past the largest message for line ends */

struct tsock {
	uv_tcp_t h;
	rt_actor *a; /* NULL once the actor stopped */
	struct sip_stack *s;
	bool dead; /* closing: read and write nothing more */
	char *buf; /* plaintext waiting to be framed; freed when empty */
	size_t len, cap;
	/* writes: one uv_write in flight (out), the rest queued in wq */
	uv_write_t w;
	char *out, *wq;
	size_t out_len, out_cap, wq_len, wq_cap;
	int grow_err; /* why alloc_cb gave no room */
	size_t held;  /* bytes of buf, out and wq counted in s->tcp_buffered */
	/* TLS: OpenSSL over memory BIOs; the socket carries ciphertext */
	SSL *ssl;
	BIO *rbio, *wbio;
	char cbuf[16384];
	char text[80]; /* "tcp 192.0.2.1:5060", for log lines */
};

/* Close from anywhere: the actor may be freed at once (outside a handler),
 * so callers touch only ts after this. Not from alloc_cb: libuv calls
 * read_cb right after it, and closing clears read_cb. */
void tsock_doom(struct tsock *ts, int reason);
/* Count what ts holds now in the node's buffer total. */
void tsock_account(struct tsock *ts);
/* May ts hold `extra` bytes more? Past the budget, only one holding less
 * than an equal share of it. No side effect. */
bool tsock_budget_allows(const struct tsock *ts, size_t extra);
/* Log that the budget is exhausted and close ts (see tsock_doom). */
void tsock_budget_refuse(struct tsock *ts, size_t extra);
/* Send plaintext (encrypted over TLS); queued past what the socket takes,
 * closing ts when the queue would pass sip.tcp.write_queue. */
void tsock_put(struct tsock *ts, const void *p, size_t n);
/* Ciphertext OpenSSL produced (handshake, records) onto the socket. */
void tsock_flush_tls(struct tsock *ts);
/* Room to read into: 0, EMSGSIZE (a whole message of the largest size and
 * more is buffered), ENOBUFS (the budget said no: the caller calls
 * tsock_budget_refuse, outside alloc_cb) or ENOMEM. */
int tsock_grow(struct tsock *ts);
/* uv_close's callback: frees ts and what it holds. */
void tsock_close_cb(uv_handle_t *h);

#endif
