/*
 * The socket of a TCP or TLS connection actor and what it holds: the read
 * buffer, the write queue (one uv_write in flight, the rest in one buffer,
 * bounded by sip.tcp.write_queue), their share of the node's buffer budget,
 * and OpenSSL over memory BIOs for TLS. It outlives its actor until libuv
 * closes the handle.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_tcp_sock.h"

void
tsock_doom(struct tsock *ts, int reason)
{
	if (ts->dead)
		return;
	ts->dead = true;
	if (ts->a)
		rt_stop(ts->a, reason);
}

void
tsock_account(struct tsock *ts)
{
	size_t held = ts->cap + ts->out_cap + ts->wq_cap;

	if (held >= ts->held)
		atomic_fetch_add_explicit(&ts->s->tcp_buffered, held - ts->held,
		                          memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&ts->s->tcp_buffered, ts->held - held,
		                          memory_order_relaxed);
	ts->held = held;
}

bool
tsock_budget_allows(const struct tsock *ts, size_t extra)
{
	uint64_t used =
	    atomic_load_explicit(&ts->s->tcp_buffered, memory_order_relaxed);
	uint32_t n =
	    atomic_load_explicit(&ts->s->tcp_conns, memory_order_relaxed);

	return used + extra <= ts->s->tcp.buffer_budget ||
	       ts->held + extra <= ts->s->tcp.buffer_budget / (n ? n : 1);
}

void
tsock_budget_refuse(struct tsock *ts, size_t extra)
{
	rt_warn("%s: buffer budget exhausted (%llu of %u bytes in use by %u "
	        "connections, %zu here), closing",
	        ts->text,
	        (unsigned long long)atomic_load_explicit(&ts->s->tcp_buffered,
	                                                 memory_order_relaxed),
	        ts->s->tcp.buffer_budget,
	        atomic_load_explicit(&ts->s->tcp_conns, memory_order_relaxed),
	        ts->held + extra);
	tsock_doom(ts, ENOBUFS);
}

static void start_write(struct tsock *ts);

static void
write_cb(uv_write_t *w, int status)
{
	struct tsock *ts = w->handle->data;

	free(ts->out);
	ts->out = NULL;
	ts->out_len = ts->out_cap = 0;
	tsock_account(ts);
	if (status < 0) {
		if (status != UV_ECANCELED)
			tsock_doom(ts, -status);
		return;
	}
	start_write(ts);
}

/* The queue becomes the write in flight (nothing is in flight). */
static void
start_write(struct tsock *ts)
{
	uv_buf_t b;

	if (ts->dead || ts->out || !ts->wq_len)
		return;
	ts->out = ts->wq;
	ts->out_len = ts->wq_len;
	ts->out_cap = ts->wq_cap;
	b = uv_buf_init(ts->out, (unsigned)ts->wq_len);
	ts->wq = NULL;
	ts->wq_len = ts->wq_cap = 0;
	if (uv_write(&ts->w, (uv_stream_t *)&ts->h, &b, 1, write_cb) != 0) {
		free(ts->out);
		ts->out = NULL;
		ts->out_len = ts->out_cap = 0;
		tsock_doom(ts, EIO);
	}
	tsock_account(ts);
}

static void
raw_put(struct tsock *ts, const char *p, size_t n)
{
	size_t limit = ts->s->tcp.write_queue, cap;
	char *q;

	if (ts->dead)
		return;
	if (!ts->out && !ts->wq_len) {
		uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
		int k = uv_try_write((uv_stream_t *)&ts->h, &b, 1);

		if (k == (int)n)
			return;
		if (k < 0 && k != UV_EAGAIN) {
			tsock_doom(ts, -k);
			return;
		}
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		}
	}
	/* a peer that does not read is dead to us */
	if (ts->out_len + ts->wq_len + n > limit) {
		rt_warn("%s: peer does not read, %zu bytes waiting (over "
		        "sip.tcp.write_queue %zu), closing",
		        ts->text, ts->out_len + ts->wq_len + n, limit);
		tsock_doom(ts, ENOBUFS);
		return;
	}
	if (ts->wq_cap - ts->wq_len < n) {
		cap = ts->wq_cap ? ts->wq_cap : 4096;
		while (cap - ts->wq_len < n)
			cap *= 2;
		if (!tsock_budget_allows(ts, cap - ts->wq_cap)) {
			tsock_budget_refuse(ts, cap - ts->wq_cap);
			return;
		}
		if (!(q = realloc(ts->wq, cap))) {
			tsock_doom(ts, ENOMEM);
			return;
		}
		ts->wq = q;
		ts->wq_cap = cap;
		tsock_account(ts);
	}
	memcpy(ts->wq + ts->wq_len, p, n);
	ts->wq_len += n;
	start_write(ts);
}

void
tsock_flush_tls(struct tsock *ts)
{
	char out[16384];
	int k;

	while ((k = BIO_read(ts->wbio, out, sizeof(out))) > 0)
		raw_put(ts, out, (size_t)k);
}

void
tsock_put(struct tsock *ts, const void *p, size_t n)
{
	if (ts->dead)
		return;
	if (!ts->ssl) {
		raw_put(ts, p, n);
		return;
	}
	if (SSL_write(ts->ssl, p, (int)n) <= 0)
		rt_debug("tls write: %s",
		         ERR_reason_error_string(ERR_get_error()));
	tsock_flush_tls(ts);
}

int
tsock_grow(struct tsock *ts)
{
	size_t max = ts->s->limits.max_size + BUF_SLACK, cap;
	char *p;

	if (ts->cap - ts->len >= 2048 || (ts->cap == max && ts->len < max))
		return 0;
	if (ts->cap >= max)
		return EMSGSIZE;
	cap = ts->cap ? ts->cap * 2 : BUF_MIN;
	if (cap > max)
		cap = max;
	if (!tsock_budget_allows(ts, cap - ts->cap))
		return ENOBUFS;
	if (!(p = realloc(ts->buf, cap)))
		return ENOMEM;
	ts->buf = p;
	ts->cap = cap;
	tsock_account(ts);
	return 0;
}

void
tsock_close_cb(uv_handle_t *h)
{
	struct tsock *ts = h->data;

	if (ts->ssl)
		SSL_free(ts->ssl); /* frees both BIOs */
	free(ts->buf);
	free(ts->wq);
	free(ts->out);
	ts->cap = ts->out_cap = ts->wq_cap = 0;
	tsock_account(ts);
	free(ts);
}
