#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "admin_server.h"
#include "log.h"

#define SLOTS 4

enum slot_state { SLOT_RECV, SLOT_WAIT, SLOT_SEND };

struct slot {
	struct admin_server *s;
	unsigned index;
	nng_ctx ctx;
	nng_aio *aio;
	_Atomic int state;
};

struct admin_server {
	rt *rt;
	rt_addr actor;
	nng_socket sock;
	struct slot slots[SLOTS];
	_Atomic bool closing;
	bool has_token;
	unsigned char token_md[32]; /* SHA-256 of admin.token */
	/* refusals logged at most once a second: a flood of bad tokens must
	 * not flood the log; the lines left out are counted in the next one */
	_Atomic int64_t refused_logged_ms; /* monotonic; 0: never logged */
	_Atomic uint64_t refused_unlogged;
};

/* Turn the packed AdminRequest into an Envelope with that body: the same
 * bytes behind the body field's tag (field 48, length-delimited). */
static int
to_envelope(rt_msg **out, const uint8_t *p, size_t n)
{
	uint8_t *buf = malloc(n + 16);
	size_t k = 0;
	uint64_t v = n;
	int err;

	if (!buf)
		return ENOMEM;
	buf[k++] = (uint8_t)((48 << 3 | 2) | 0x80);
	buf[k++] = (uint8_t)((48 << 3 | 2) >> 7);
	while (v >= 0x80) {
		buf[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[k++] = (uint8_t)v;
	for (size_t i = 0; i < n; i++)
		buf[k + i] = p[i];
	err = rt_msg_unpack(out, buf, k + n);
	free(buf);
	return err;
}

static void
send_error(struct slot *sl, int err, const char *text)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;

	r.error = err;
	r.message = (char *)text;
	admin_server_respond(sl->s, sl->index + 1, &r);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Several slots may refuse at once on nng's threads: the slot that wins
 * the compare-and-swap on the last log time writes the line and takes the
 * count of the others left out until then. */
static void
log_refused(struct admin_server *s)
{
	int64_t now = now_ms();
	int64_t last = atomic_load(&s->refused_logged_ms);
	uint64_t left_out;

	if ((last != 0 && now - last < 1000) ||
	    !atomic_compare_exchange_strong(&s->refused_logged_ms, &last,
	                                    now)) {
		atomic_fetch_add(&s->refused_unlogged, 1);
		return;
	}
	left_out = atomic_exchange(&s->refused_unlogged, 0);
	if (left_out)
		rt_warn("admin: request refused: admin token missing or wrong "
		        "(%llu more refused since the last line, not logged)",
		        (unsigned long long)left_out);
	else
		rt_warn("admin: request refused: admin token missing or wrong");
}

/* Compared as SHA-256 digests with CRYPTO_memcmp: the time taken says
 * nothing about how much of the token was right, nor about its length. */
static bool
token_ok(const struct admin_server *s, const uint8_t *p, size_t n)
{
	Pbx__AdminRequest *q;
	unsigned char md[32];
	unsigned int ml = 0;
	bool ok;

	if (!s->has_token)
		return true;
	q = pbx__admin_request__unpack(NULL, n, p);
	if (!q)
		return false;
	ok = EVP_Digest(q->token, strlen(q->token), md, &ml, EVP_sha256(),
	                NULL) == 1 &&
	     ml == sizeof(md) &&
	     CRYPTO_memcmp(md, s->token_md, sizeof(md)) == 0;
	pbx__admin_request__free_unpacked(q, NULL);
	return ok;
}

static void
slot_cb(void *arg)
{
	struct slot *sl = arg;
	struct admin_server *s = sl->s;
	int rv = nng_aio_result(sl->aio);
	rt_addr none = { 0, 0, 0 };
	nng_msg *nm;
	rt_msg *m;

	if (atomic_load(&s->closing) || rv == NNG_ECLOSED)
		return;
	if (atomic_load(&sl->state) == SLOT_SEND) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(sl->aio));
		goto recv;
	}
	if (rv != 0)
		goto recv;
	nm = nng_aio_get_msg(sl->aio);
	if (!token_ok(s, nng_msg_body(nm), nng_msg_len(nm))) {
		nng_msg_free(nm);
		atomic_store(&sl->state, SLOT_WAIT);
		log_refused(s);
		send_error(sl, EACCES, "admin token missing or wrong");
		return;
	}
	rv = to_envelope(&m, nng_msg_body(nm), nng_msg_len(nm));
	nng_msg_free(nm);
	atomic_store(&sl->state, SLOT_WAIT);
	if (rv != 0) {
		send_error(sl, EBADMSG, "malformed admin request");
		return;
	}
	rt_msg_env(m)->correlation = sl->index + 1;
	if (rt_inject(s->rt, none, s->actor, m) != 0) {
		rt_msg_free(m);
		send_error(sl, ESHUTDOWN, "node is shutting down");
	}
	return;
recv:
	atomic_store(&sl->state, SLOT_RECV);
	nng_ctx_recv(sl->ctx, sl->aio);
}

void
admin_server_respond(struct admin_server *s, uint64_t correlation,
                     const Pbx__AdminResponse *resp)
{
	struct slot *sl;
	nng_msg *nm;
	size_t n;

	if (correlation == 0 || correlation > SLOTS)
		return;
	sl = &s->slots[correlation - 1];
	n = pbx__admin_response__get_packed_size(resp);
	if (nng_msg_alloc(&nm, n) != 0)
		return;
	pbx__admin_response__pack(resp, nng_msg_body(nm));
	atomic_store(&sl->state, SLOT_SEND);
	nng_aio_set_msg(sl->aio, nm);
	nng_ctx_send(sl->ctx, sl->aio);
}

int
admin_server_start(struct admin_server **out, rt *r, const char *url,
                   const char *token, rt_addr actor)
{
	struct admin_server *s = calloc(1, sizeof(*s));
	nng_listener l;
	int rv;

	if (!s)
		return ENOMEM;
	s->rt = r;
	s->actor = actor;
	if (token) {
		if (EVP_Digest(token, strlen(token), s->token_md, NULL,
		               EVP_sha256(), NULL) != 1) {
			free(s);
			return EIO;
		}
		s->has_token = true;
	}
	if ((rv = nng_rep0_open(&s->sock)) != 0)
		goto fail;
	/* a socket file only its owner may connect to */
	if ((rv = nng_listener_create(&l, s->sock, url)) != 0 ||
	    (strncmp(url, "ipc://", 6) == 0 &&
	     (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600)) !=
	         0) ||
	    (rv = nng_listener_start(l, 0)) != 0) {
		rt_err("admin: cannot listen on %s: %s", url, nng_strerror(rv));
		nng_close(s->sock);
		free(s);
		return rv == NNG_EADDRINUSE ? EADDRINUSE : EINVAL;
	}
	for (unsigned i = 0; i < SLOTS; i++) {
		struct slot *sl = &s->slots[i];

		sl->s = s;
		sl->index = i;
		if ((rv = nng_ctx_open(&sl->ctx, s->sock)) != 0 ||
		    (rv = nng_aio_alloc(&sl->aio, slot_cb, sl)) != 0)
			goto fail;
		atomic_store(&sl->state, SLOT_RECV);
		nng_ctx_recv(sl->ctx, sl->aio);
	}
	rt_info("admin: listening on %s%s", url,
	        token ? " (requests need admin.token)" : "");
	*out = s;
	return 0;
fail:
	rt_err("admin: %s", nng_strerror(rv));
	admin_server_stop(s);
	return EIO;
}

void
admin_server_stop(struct admin_server *s)
{
	if (!s)
		return;
	atomic_store(&s->closing, true);
	for (unsigned i = 0; i < SLOTS; i++)
		if (s->slots[i].aio)
			nng_aio_stop(s->slots[i].aio);
	nng_close(s->sock);
	for (unsigned i = 0; i < SLOTS; i++)
		nng_aio_free(s->slots[i].aio);
	free(s);
}
