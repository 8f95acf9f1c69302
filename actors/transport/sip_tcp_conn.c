/*
 * The TCP connection actor: one per connection. Reads the byte stream,
 * frames SIP messages by Content-Length (partial reads, several messages in
 * one read), answers RFC 5626 CRLF keep-alive pings, and hands each message
 * to the SIP core of its Call-ID's worker with a flow naming this actor, so
 * responses and later requests come back through it. A connection that
 * sends what cannot be framed is closed, never left to grow its buffer; one
 * idle too long is closed. Its address dying is how transactions learn the
 * transport failed.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sip_tcp.h"

struct tsock {
	uv_tcp_t h;
	rt_actor *a; /* NULL once the actor stopped */
	char *buf;   /* plaintext waiting to be framed */
	size_t len, cap;
	/* TLS: OpenSSL over memory BIOs; the socket carries ciphertext */
	SSL *ssl;
	BIO *rbio, *wbio;
	char cbuf[16384];
};

struct conn {
	struct sip_stack *s;
	struct tsock *ts;
	unsigned listener;
	struct sockaddr_storage peer;
	uint64_t last_ms;
	uint64_t idle_timer;
	char text[80];
};

struct conn_arg {
	struct sip_stack *s;
	unsigned listener;
	int fd;
	struct sockaddr_storage peer;
	void *tls_ctx; /* SSL_CTX, or NULL for plain TCP */
};

struct wreq {
	uv_write_t w;
	char data[];
};

static void
write_cb(uv_write_t *w, int status)
{
	free(w);
}

static void
raw_put(struct tsock *ts, const void *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int k = uv_try_write((uv_stream_t *)&ts->h, &b, 1);
	struct wreq *w;

	if (k == (int)n)
		return;
	if (k < 0) {
		if (k != UV_EAGAIN)
			return;
		k = 0;
	}
	/* the rest goes through the loop */
	w = malloc(sizeof(*w) + n - (size_t)k);
	if (!w)
		return;
	memcpy(w->data, (const char *)p + k, n - (size_t)k);
	b = uv_buf_init(w->data, (unsigned)(n - (size_t)k));
	if (uv_write(&w->w, (uv_stream_t *)&ts->h, &b, 1, write_cb) != 0)
		free(w);
}

/* Ciphertext OpenSSL produced (handshake or records) onto the socket. */
static void
flush_tls(struct tsock *ts)
{
	char out[16384];
	int k;

	while ((k = BIO_read(ts->wbio, out, sizeof(out))) > 0)
		raw_put(ts, out, (size_t)k);
}

static void
put(struct tsock *ts, const void *p, size_t n)
{
	if (!ts->ssl) {
		raw_put(ts, p, n);
		return;
	}
	if (SSL_write(ts->ssl, p, (int)n) <= 0)
		rt_debug("tls write: %s",
		         ERR_reason_error_string(ERR_get_error()));
	flush_tls(ts);
}

static void
deliver(rt_actor *a, struct conn *c, const char *p, size_t n)
{
	Pbx__SipPacket *pkt;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, n + 160, &pkt);
	rt_addr core;

	if (!m)
		return;
	pkt->data.data = rt_msg_memdup(m, p, n);
	pkt->data.len = n;
	pkt->flow = rt_msg_alloc(m, sizeof(*pkt->flow));
	pbx__sip_flow__init(pkt->flow);
	sip_flow_set(m, pkt->flow, c->ts->ssl ? SIP_FLOW_TLS : SIP_FLOW_TCP,
	             (const struct sockaddr *)&c->peer, c->listener, c->s);
	pkt->flow->conn = rt_msg_alloc(m, sizeof(*pkt->flow->conn));
	pbx__addr__init(pkt->flow->conn);
	rt_addr_to_pb(pkt->flow->conn, rt_self(a));
	atomic_fetch_add_explicit(&c->s->n_in, 1, memory_order_relaxed);
	sip_trace(c->s, true, pkt->flow, p, n);
	core = sip_route_in(c->s, rt_self(a), p, n);
	if (rt_send(a, core, m) != 0)
		rt_msg_free(m);
}

/* Frame what is buffered; false when the stream is garbage. */
static bool
frame(rt_actor *a, struct conn *c)
{
	struct tsock *ts = c->ts;
	size_t off = 0, fl;
	int err;

	while (off < ts->len) {
		const char *p = ts->buf + off;
		size_t n = ts->len - off;

		if (n >= 4 && memcmp(p, "\r\n\r\n", 4) == 0) {
			put(ts, "\r\n", 2); /* RFC 5626 §4.4.1 pong */
			off += 4;
			continue;
		}
		if (n >= 2 && memcmp(p, "\r\n", 2) == 0) {
			/* "\r\n" then "\r\n" may come in two reads: a lone
			 * CRLF is a pong only once the next byte shows it */
			if (n < 4 && (n == 2 || p[2] == '\r'))
				break;
			if (p[2] != '\r') {
				off += 2; /* a pong, or a stray line end */
				continue;
			}
		}
		err = sip_msg_frame(&fl, p, n, &c->s->limits);
		if (err == ENODATA)
			break;
		if (err) {
			rt_warn("tcp %s: unframeable stream (%s), closing",
			        c->text, strerror(err));
			return false;
		}
		deliver(a, c, p, fl);
		off += fl;
	}
	memmove(ts->buf, ts->buf + off, ts->len - off);
	ts->len -= off;
	return true;
}

static bool
grow(struct tsock *ts)
{
	if (ts->cap - ts->len < 4096) {
		size_t cap = ts->cap ? ts->cap * 2 : 16384;
		char *p = realloc(ts->buf, cap);

		if (!p)
			return false;
		ts->buf = p;
		ts->cap = cap;
	}
	return true;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tsock *ts = h->data;

	if (ts->ssl) {
		b->base = ts->cbuf;
		b->len = sizeof(ts->cbuf);
		return;
	}
	grow(ts);
	b->base = ts->buf + ts->len;
	b->len = ts->cap - ts->len;
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct tsock *ts = st->data;
	rt_actor *a = ts->a;
	struct conn *c;

	if (!a || n == 0)
		return;
	c = rt_state(a);
	if (n < 0) {
		rt_debug("tcp %s: %s", c->text,
		         n == UV_EOF ? "closed by peer" : uv_strerror((int)n));
		rt_stop(a, 0);
		return;
	}
	if (ts->ssl) {
		int k;

		BIO_write(ts->rbio, ts->cbuf, (int)n);
		while (grow(ts) && (k = SSL_read(ts->ssl, ts->buf + ts->len,
		                                 (int)(ts->cap - ts->len))) > 0)
			ts->len += (size_t)k;
		flush_tls(ts); /* handshake answers */
		if (SSL_get_error(ts->ssl, -1) == SSL_ERROR_SSL) {
			rt_warn("tls %s: %s, closing", c->text,
			        ERR_reason_error_string(ERR_get_error()));
			rt_stop(a, EPROTO);
			return;
		}
	} else {
		ts->len += (size_t)n;
	}
	c->last_ms = rt_now_ms(rt_of(a), rt_self(a).worker);
	/* never buffer more than one message of the largest size */
	if (!frame(a, c) || ts->len > c->s->limits.max_size + 4096) {
		if (ts->len > c->s->limits.max_size + 4096)
			rt_warn("tcp %s: message over %zu bytes, closing",
			        c->text, c->s->limits.max_size);
		rt_stop(a, EBADMSG);
	}
}

static void
close_cb(uv_handle_t *h)
{
	struct tsock *ts = h->data;

	if (ts->ssl)
		SSL_free(ts->ssl); /* frees both BIOs */
	free(ts->buf);
	free(ts);
}

static void
idle_cb(rt_actor *a, void *arg)
{
	struct conn *c = rt_state(a);
	uint64_t now = rt_now_ms(rt_of(a), rt_self(a).worker);

	if (now - c->last_ms >= SIP_TCP_IDLE_MS) {
		rt_info("tcp %s: idle for %u s, closing", c->text,
		        SIP_TCP_IDLE_MS / 1000);
		rt_stop(a, ETIMEDOUT);
		return;
	}
	c->idle_timer = rt_timer_start(a, SIP_TCP_IDLE_MS / 4, idle_cb, NULL);
}

static int
conn_init(rt_actor *a, void *arg)
{
	struct conn *c = rt_state(a);
	struct conn_arg *ca = arg;
	struct tsock *ts = calloc(1, sizeof(*ts));
	char host[48];
	int err;

	c->s = ca->s;
	c->listener = ca->listener;
	c->peer = ca->peer;
	if (!ts) {
		close(ca->fd);
		free(ca);
		return ENOMEM;
	}
	ts->a = a;
	ts->h.data = ts;
	c->ts = ts;
	if (ca->tls_ctx) {
		ts->ssl = SSL_new(ca->tls_ctx);
		ts->rbio = BIO_new(BIO_s_mem());
		ts->wbio = BIO_new(BIO_s_mem());
		if (!ts->ssl || !ts->rbio || !ts->wbio) {
			close(ca->fd);
			free(ca);
			return ENOMEM;
		}
		SSL_set_bio(ts->ssl, ts->rbio, ts->wbio);
		SSL_set_accept_state(ts->ssl);
	}
	uv_tcp_init(rt_loop(rt_of(a), rt_self(a).worker), &ts->h);
	err = uv_tcp_open(&ts->h, ca->fd);
	if (err)
		close(ca->fd);
	free(ca);
	if (!err) {
		uv_tcp_nodelay(&ts->h, 1);
		err = uv_read_start((uv_stream_t *)&ts->h, alloc_cb, read_cb);
	}
	if (c->peer.ss_family == AF_INET6)
		uv_ip6_name((const struct sockaddr_in6 *)&c->peer, host,
		            sizeof(host));
	else
		uv_ip4_name((const struct sockaddr_in *)&c->peer, host,
		            sizeof(host));
	snprintf(c->text, sizeof(c->text), "%s:%u", host,
	         ntohs(((const struct sockaddr_in *)&c->peer)->sin_port));
	c->last_ms = rt_now_ms(rt_of(a), rt_self(a).worker);
	c->idle_timer = rt_timer_start(a, SIP_TCP_IDLE_MS / 4, idle_cb, NULL);
	rt_debug("tcp %s: connected", c->text);
	return err ? -err : 0;
}

static void
conn_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct conn *c = rt_state(a);
	const Pbx__SipSend *snd;

	if (env->body_case != PBX__ENVELOPE__BODY_SIP_SEND)
		return;
	snd = env->sip_send;
	sip_trace(c->s, false, snd->flow, snd->data.data, snd->data.len);
	atomic_fetch_add_explicit(&c->s->n_out, 1, memory_order_relaxed);
	put(c->ts, snd->data.data, snd->data.len);
}

static void
conn_fini(rt_actor *a, int reason)
{
	struct conn *c = rt_state(a);

	if (c->ts) {
		c->ts->a = NULL;
		uv_close((uv_handle_t *)&c->ts->h, close_cb);
	}
}

const rt_kind sip_tcp_conn_kind = {
	.name = "tcp",
	.size = sizeof(struct conn),
	.init = conn_init,
	.handle = conn_handle,
	.fini = conn_fini,
};

void *
sip_tcp_conn_arg(struct sip_stack *s, unsigned listener, int fd,
                 const struct sockaddr_storage *peer, void *tls_ctx)
{
	struct conn_arg *a = malloc(sizeof(*a));

	if (a) {
		a->s = s;
		a->listener = listener;
		a->fd = fd;
		a->peer = *peer;
		a->tls_ctx = tls_ctx;
	}
	return a;
}
