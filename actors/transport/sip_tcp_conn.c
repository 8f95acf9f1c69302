/*
 * The TCP connection actor: one per connection. Reads the byte stream,
 * frames SIP messages by Content-Length (partial reads, several messages in
 * one read), answers RFC 5626 CRLF keep-alive pings, and hands each message
 * to the SIP core of its Call-ID's worker with a flow naming this actor, so
 * responses and later requests come back through it. Its address dying is
 * how transactions learn the transport failed.
 *
 * A connection costs what its buffers hold and is closed, with one log line,
 * rather than let grow: past sip.tcp.write_queue bytes waiting for a peer
 * that does not read; a message not complete sip.tcp.message_timeout after
 * its first byte (the idle timeout only counts between messages, so a byte
 * now and then keeps nothing open); a stream that cannot be framed or a
 * message over sip.max_message_size; and, once the buffers of all the
 * node's connections pass sip.tcp.buffer_budget, one holding more than its
 * share that gets or sends more. TLS runs over the same buffers: the limits
 * count its plaintext in and its ciphertext out.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sip_tcp_sock.h"

struct conn {
	struct sip_stack *s;
	struct tsock *ts;
	unsigned listener;
	struct sockaddr_storage peer;
	struct sip_tcp_framer fr;
	uint64_t last_ms;      /* the last message or ping completed */
	uint64_t msg_start_ms; /* first byte of the message in progress, or 0 */
	uint64_t deadline_timer;
};

struct conn_arg {
	struct sip_stack *s;
	unsigned listener;
	int fd;
	struct sockaddr_storage peer;
	void *tls_ctx; /* SSL_CTX, or NULL for plain TCP */
};

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

/* Frame what is buffered: the number of messages and pings it held, or -1
 * when the connection is closing (the stream is garbage, or a pong could
 * not be queued); then the actor may be gone. */
static int
frame(rt_actor *a, struct conn *c)
{
	struct tsock *ts = c->ts;
	size_t off = 0, fl;
	int err, done = 0;

	while (off < ts->len) {
		const char *p = ts->buf + off;
		size_t n = ts->len - off;

		if (c->fr.scan == 0 && n >= 4 &&
		    memcmp(p, "\r\n\r\n", 4) == 0) {
			tsock_put(ts, "\r\n", 2); /* RFC 5626 §4.4.1 pong */
			if (ts->dead)
				return -1;
			off += 4;
			done++;
			continue;
		}
		if (c->fr.scan == 0 && n >= 2 && memcmp(p, "\r\n", 2) == 0) {
			/* "\r\n" then "\r\n" may come in two reads: a lone
			 * CRLF is a pong only once the next byte shows it */
			if (n < 4 && (n == 2 || p[2] == '\r'))
				break;
			if (p[2] != '\r') {
				off += 2; /* a pong, or a stray line end */
				done++;
				continue;
			}
		}
		err = sip_tcp_frame(&c->fr, &fl, p, n, &c->s->limits);
		if (err == ENODATA)
			break;
		if (err == EMSGSIZE) {
			rt_warn("%s: message over %zu bytes, closing", ts->text,
			        c->s->limits.max_size);
			tsock_doom(ts, EMSGSIZE);
			return -1;
		}
		if (err) {
			rt_warn("%s: unframeable stream (%s), closing",
			        ts->text, strerror(err));
			tsock_doom(ts, EBADMSG);
			return -1;
		}
		deliver(a, c, p, fl);
		off += fl;
		done++;
	}
	memmove(ts->buf, ts->buf + off, ts->len - off);
	ts->len -= off;
	if (!ts->len && ts->buf) { /* an idle connection holds no buffer */
		free(ts->buf);
		ts->buf = NULL;
		ts->cap = 0;
		tsock_account(ts);
	}
	return done;
}

static void deadline_cb(rt_actor *a, void *arg);

/* The message deadline runs from the first byte of a message (or of a TLS
 * record or handshake) until the message is whole. */
static void
track_message(rt_actor *a, struct conn *c, int done)
{
	struct tsock *ts = c->ts;
	uint64_t now = rt_now_ms(rt_of(a), rt_self(a).worker);
	bool partial =
	    ts->len > 0 || (ts->ssl && (!SSL_is_init_finished(ts->ssl) ||
	                                SSL_has_pending(ts->ssl)));

	if (done)
		c->last_ms = now;
	if (!partial)
		c->msg_start_ms = 0;
	else if (done || !c->msg_start_ms)
		c->msg_start_ms = now;
	if (c->msg_start_ms && !c->deadline_timer)
		c->deadline_timer = rt_timer_start(
		    a, c->s->tcp.message_timeout * 1000ull, deadline_cb, NULL);
}

static void
deadline_cb(rt_actor *a, void *arg)
{
	struct conn *c = rt_state(a);
	uint64_t now = rt_now_ms(rt_of(a), rt_self(a).worker);
	uint64_t limit = c->s->tcp.message_timeout * 1000ull;

	c->deadline_timer = 0;
	if (!c->msg_start_ms)
		return;
	if (now - c->msg_start_ms >= limit) {
		rt_warn("%s: message not complete %u s after its first byte "
		        "(%zu bytes so far), closing",
		        c->ts->text, c->s->tcp.message_timeout, c->ts->len);
		tsock_doom(c->ts, ETIMEDOUT);
		return;
	}
	c->deadline_timer =
	    rt_timer_start(a, c->msg_start_ms + limit - now, deadline_cb, NULL);
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
	if (ts->dead || (ts->grow_err = tsock_grow(ts)) != 0) {
		b->base = NULL; /* read_cb gets UV_ENOBUFS */
		b->len = 0;
		return;
	}
	b->base = ts->buf + ts->len;
	b->len = ts->cap - ts->len;
}

/* Plaintext out of OpenSSL into buf, framing whenever buf is full; false
 * when the connection is closing. */
static bool
tls_in(rt_actor *a, struct conn *c, ssize_t n, int *done)
{
	struct tsock *ts = c->ts;
	int k, d, err;

	BIO_write(ts->rbio, ts->cbuf, (int)n);
	for (;;) {
		if ((err = tsock_grow(ts)) == EMSGSIZE) {
			if ((d = frame(a, c)) < 0)
				return false;
			*done += d;
			err = tsock_grow(ts);
		}
		if (err == ENOBUFS) {
			tsock_budget_refuse(ts, ts->cap ? ts->cap : BUF_MIN);
			return false;
		}
		if (err) {
			rt_warn("%s: %s, closing", ts->text, strerror(err));
			tsock_doom(ts, err);
			return false;
		}
		k = SSL_read(ts->ssl, ts->buf + ts->len,
		             (int)(ts->cap - ts->len));
		if (k <= 0)
			break;
		ts->len += (size_t)k;
	}
	tsock_flush_tls(ts); /* handshake answers */
	if (ts->dead)
		return false;
	if (SSL_get_error(ts->ssl, k) == SSL_ERROR_SSL) {
		rt_warn("%s: %s, closing", ts->text,
		        ERR_reason_error_string(ERR_get_error()));
		tsock_doom(ts, EPROTO);
		return false;
	}
	return true;
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct tsock *ts = st->data;
	rt_actor *a = ts->a;
	struct conn *c;
	int done = 0, d;

	if (!a || ts->dead || n == 0)
		return;
	c = rt_state(a);
	if (n == UV_ENOBUFS) { /* grow said no in alloc_cb */
		if (ts->grow_err == ENOBUFS) {
			tsock_budget_refuse(ts, ts->cap ? ts->cap : BUF_MIN);
			return;
		}
		if (ts->grow_err == EMSGSIZE)
			rt_warn("%s: message over %zu bytes, closing", ts->text,
			        c->s->limits.max_size);
		else
			rt_warn("%s: %s, closing", ts->text,
			        strerror(ts->grow_err));
		tsock_doom(ts, ts->grow_err);
		return;
	}
	if (n < 0) {
		rt_debug("%s: %s", ts->text,
		         n == UV_EOF ? "closed by peer" : uv_strerror((int)n));
		tsock_doom(ts, 0);
		return;
	}
	/* new data while over budget: the largest consumers go */
	if (!tsock_budget_allows(ts, 0)) {
		tsock_budget_refuse(ts, 0);
		return;
	}
	if (ts->ssl) {
		if (!tls_in(a, c, n, &done))
			return;
	} else {
		ts->len += (size_t)n;
	}
	if ((d = frame(a, c)) < 0)
		return;
	track_message(a, c, done + d);
}

static void
idle_cb(rt_actor *a, void *arg)
{
	struct conn *c = rt_state(a);
	uint64_t now = rt_now_ms(rt_of(a), rt_self(a).worker);
	uint64_t idle = c->s->tcp.idle_timeout * 1000ull;

	/* a message in progress has its deadline instead */
	if (!c->msg_start_ms && now - c->last_ms >= idle) {
		rt_info("%s: idle for %u s, closing", c->ts->text,
		        c->s->tcp.idle_timeout);
		rt_stop(a, ETIMEDOUT);
		return;
	}
	rt_timer_start(a, idle / 4 ? idle / 4 : 1, idle_cb, NULL);
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
	sip_tcp_framer_reset(&c->fr);
	if (!ts) {
		close(ca->fd);
		free(ca);
		return ENOMEM;
	}
	ts->a = a;
	ts->s = c->s;
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
	snprintf(ts->text, sizeof(ts->text), "%s %s:%u",
	         ts->ssl ? "tls" : "tcp", host,
	         ntohs(((const struct sockaddr_in *)&c->peer)->sin_port));
	c->last_ms = rt_now_ms(rt_of(a), rt_self(a).worker);
	idle_cb(a, NULL);
	rt_debug("%s: connected", ts->text);
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
	tsock_put(c->ts, snd->data.data, snd->data.len);
}

static void
conn_fini(rt_actor *a, int reason)
{
	struct conn *c = rt_state(a);

	if (c->ts) {
		c->ts->a = NULL;
		c->ts->dead = true;
		uv_close((uv_handle_t *)&c->ts->h, tsock_close_cb);
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
