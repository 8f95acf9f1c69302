/* Flows, sending, worker affinity and branch naming: the small pieces
 * every actor of the SIP stack shares (the trace is sip_trace.c's). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "sip_stack.h"

static const char *const tp_names[] = { "?", "udp", "tcp", "tls" };

void
sip_flow_set(rt_msg *m, Pbx__SipFlow *f, enum sip_flow_tp tp,
             const struct sockaddr *remote, unsigned listener,
             const struct sip_stack *s)
{
	const struct sip_listener *l = &s->listen[listener];

	f->transport = tp;
	f->listener = listener;
	if (remote->sa_family == AF_INET6) {
		const struct sockaddr_in6 *r6 = (const void *)remote;

		f->remote_ip.data = rt_msg_memdup(m, &r6->sin6_addr, 16);
		f->remote_ip.len = 16;
		f->remote_port = ntohs(r6->sin6_port);
	} else {
		const struct sockaddr_in *r4 = (const void *)remote;

		f->remote_ip.data = rt_msg_memdup(m, &r4->sin_addr, 4);
		f->remote_ip.len = 4;
		f->remote_port = ntohs(r4->sin_port);
	}
	if (l->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&l->ss;

		f->local_ip.data = rt_msg_memdup(m, &a->sin6_addr, 16);
		f->local_ip.len = 16;
	} else {
		const struct sockaddr_in *a = (const void *)&l->ss;

		f->local_ip.data = rt_msg_memdup(m, &a->sin_addr, 4);
		f->local_ip.len = 4;
	}
	f->local_port = l->port;
}

int
sip_flow_remote(const Pbx__SipFlow *f, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (f->remote_ip.len == 4) {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, f->remote_ip.data, 4);
		a->sin_port = htons((uint16_t)f->remote_port);
		return 0;
	}
	if (f->remote_ip.len == 16) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, f->remote_ip.data, 16);
		a->sin6_port = htons((uint16_t)f->remote_port);
		return 0;
	}
	return EINVAL;
}

Pbx__SipFlow *
sip_flow_copy(rt_msg *m, const Pbx__SipFlow *src)
{
	Pbx__SipFlow *f = rt_msg_alloc(m, sizeof(*f));

	if (!f)
		return NULL;
	pbx__sip_flow__init(f);
	f->transport = src->transport;
	f->remote_port = src->remote_port;
	f->local_port = src->local_port;
	f->listener = src->listener;
	f->remote_ip.len = src->remote_ip.len;
	f->remote_ip.data =
	    rt_msg_memdup(m, src->remote_ip.data, src->remote_ip.len);
	f->local_ip.len = src->local_ip.len;
	f->local_ip.data =
	    rt_msg_memdup(m, src->local_ip.data, src->local_ip.len);
	if (src->conn) {
		f->conn = rt_msg_alloc(m, sizeof(*f->conn));
		pbx__addr__init(f->conn);
		*f->conn = *src->conn;
		f->conn->base.unknown_fields = NULL;
		f->conn->base.n_unknown_fields = 0;
	}
	return f;
}

rt_msg *
sip_flow_msg(const Pbx__SipFlow *f)
{
	Pbx__SipPacket *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, 200, &p);

	if (m && !(p->flow = sip_flow_copy(m, f))) {
		rt_msg_free(m);
		m = NULL;
	}
	return m;
}

rt_msg *
sip_request_copy(const Pbx__SipRequest *r)
{
	Pbx__SipRequest *q;
	rt_msg *m =
	    rt_msg_new(PBX__ENVELOPE__BODY_SIP_REQUEST, r->data.len + 256, &q);

	if (!m)
		return NULL;
	q->data.data = rt_msg_memdup(m, r->data.data, r->data.len);
	q->data.len = r->data.len;
	q->flow = r->flow ? sip_flow_copy(m, r->flow) : NULL;
	if (r->txn) {
		q->txn = rt_msg_alloc(m, sizeof(*q->txn));
		pbx__addr__init(q->txn);
		rt_addr_to_pb(q->txn, rt_addr_from_pb(r->txn));
	}
	return m;
}

static void
ip_text(char *buf, size_t n, const ProtobufCBinaryData *ip, uint32_t port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ip->len == 4)
		inet_ntop(AF_INET, ip->data, a, sizeof(a));
	else if (ip->len == 16)
		inet_ntop(AF_INET6, ip->data, a, sizeof(a));
	snprintf(buf, n, ip->len == 16 ? "[%s]:%u" : "%s:%u", a, port);
}

void
sip_flow_text(char *buf, size_t n, const Pbx__SipFlow *f)
{
	char r[64], l[64];

	ip_text(r, sizeof(r), &f->remote_ip, f->remote_port);
	ip_text(l, sizeof(l), &f->local_ip, f->local_port);
	snprintf(buf, n, "%s %s<->%s",
	         tp_names[f->transport < 4 ? f->transport : 0], r, l);
}

rt_addr
sip_flow_sender(rt_actor *a, const Pbx__SipFlow *f)
{
	rt_addr self = rt_self(a);

	if (f->transport != SIP_FLOW_UDP && f->conn)
		return rt_addr_from_pb(f->conn);
	/* every worker has a UDP socket on each listening address */
	return (rt_addr){ self.node, self.worker, SIP_ID_UDP(f->listener) };
}

int
sip_send(struct sip_stack *st, rt_actor *a, const Pbx__SipFlow *f,
         const void *data, size_t len)
{
	Pbx__SipSend *s;
	rt_msg *m;
	int err;

	/* UDP: this worker's own socket on the flow's address, at once */
	if (f->transport == SIP_FLOW_UDP &&
	    sip_udp_send_here(st, rt_self(a).worker, f, data, len) != ENOENT)
		return 0;
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_SEND, len + 128, &s);
	if (!m)
		return ENOMEM;
	s->data.data = rt_msg_memdup(m, data, len);
	s->data.len = len;
	s->flow = sip_flow_copy(m, f);
	err = rt_send(a, sip_flow_sender(a, f), m);
	if (err)
		rt_msg_free(m);
	return err;
}

/* RFC 3261 §18.2.2 for UDP: to the source address (received), at the port
 * of rport if the client asked for it, else of the Via's sent-by. The top
 * Via of our response already carries both parameters. */
int
sip_send_response(struct sip_stack *st, rt_actor *a, const Pbx__SipFlow *f,
                  const void *data, size_t len)
{
	const char *p = data, *end = p + len, *v = NULL;
	Pbx__SipFlow to = *f;
	struct sip_via via;
	struct pl val;

	if (f->transport != SIP_FLOW_UDP)
		return sip_send(st, a, f, data, len);
	/* the first Via line of the response */
	for (const char *l = memchr(p, '\n', len); l && l + 1 < end;
	     l = memchr(l + 1, '\n', (size_t)(end - l - 1))) {
		const char *s = l + 1;

		if ((size_t)(end - s) > 4 && (strncasecmp(s, "Via:", 4) == 0 ||
		                              strncasecmp(s, "v:", 2) == 0)) {
			v = memchr(s, ':', (size_t)(end - s)) + 1;
			break;
		}
	}
	if (v) {
		const char *e = v, *comma;

		/* the value runs on over folded lines (CRLF + SP/HT) */
		while ((e = memchr(e, '\r', (size_t)(end - e))) != NULL &&
		       e + 2 < end && e[1] == '\n' &&
		       (e[2] == ' ' || e[2] == '\t'))
			e += 2;
		val.p = v;
		val.l = (size_t)((e ? e : end) - v);
		comma = memchr(val.p, ',', val.l);
		if (comma)
			val.l = (size_t)(comma - val.p);
		while (val.l && (*val.p == ' ' || *val.p == '\t')) {
			val.p++;
			val.l--;
		}
		if (sip_via_decode(&via, &val) == 0 && !via.rport_val)
			to.remote_port = via.port ? via.port : 5060;
	}
	return sip_send(st, a, &to, data, len);
}

/* A header's value, found by scanning header names (long or compact). */
static int
find_hdr(const char *p, size_t len, const char *lname, size_t ll, char cname,
         const char **v, size_t *vl)
{
	const char *end = p + len, *line = memchr(p, '\n', len);

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *c, *q;
		size_t nl;

		if (!eol)
			eol = end;
		if (*line == '\r' || *line == '\n')
			break; /* end of headers */
		c = memchr(line, ':', (size_t)(eol - line));
		if (c) {
			for (q = c;
			     q > line && (q[-1] == ' ' || q[-1] == '\t');)
				q--;
			nl = (size_t)(q - line);
			if ((nl == ll && strncasecmp(line, lname, ll) == 0) ||
			    (nl == 1 &&
			     tolower((unsigned char)*line) == cname)) {
				for (c++; c < eol && (*c == ' ' || *c == '\t');)
					c++;
				for (q = eol;
				     q > c && isspace((unsigned char)q[-1]);)
					q--;
				*v = c;
				*vl = (size_t)(q - c);
				return 0;
			}
		}
		line = eol;
	}
	return ENOENT;
}

int
sip_aor_of(char *out, size_t n, const struct sip_addr *a)
{
	size_t k;

	if ((a->uri.scheme != SIP_SCHEME_SIP &&
	     a->uri.scheme != SIP_SCHEME_SIPS) ||
	    !a->uri.user.l || !a->uri.host.l ||
	    a->uri.user.l + a->uri.host.l + 2 > n)
		return EBADMSG;
	memcpy(out, a->uri.user.p, a->uri.user.l);
	k = a->uri.user.l;
	out[k++] = '@';
	for (size_t i = 0; i < a->uri.host.l; i++)
		out[k++] = (char)tolower((unsigned char)a->uri.host.p[i]);
	out[k] = '\0';
	return 0;
}

int
sip_raw_aor(char *out, size_t n, const char *data, size_t len)
{
	const char *v;
	size_t vl;
	struct sip_addr a;
	struct pl to;

	if (find_hdr(data, len, "to", 2, 't', &v, &vl) != 0)
		return EBADMSG;
	to = (struct pl){ v, vl };
	return sip_addr_decode(&a, &to) != 0 ? EBADMSG : sip_aor_of(out, n, &a);
}

rt_addr
sip_route_in(const struct sip_stack *s, rt_addr self, const char *data,
             size_t len)
{
	rt_addr to = { self.node, self.worker, SIP_ID_CORE };
	const char *v;
	size_t vl;

	/* an OPTIONS is answered statelessly: the worker that read it */
	if (len > 8 && memcmp(data, "OPTIONS ", 8) == 0)
		return to;
	/* a REGISTER with credentials goes to this worker's registrar, which
	 * finds its AOR's registration actor (spawned where its first
	 * REGISTER was read); one without gets a stateless 401 here */
	if (len > 9 && memcmp(data, "REGISTER ", 9) == 0) {
		if (s->registrar && find_hdr(data, len, "authorization", 13,
		                             '\0', &v, &vl) == 0)
			to.id = SIP_ID_REGISTRAR;
		return to;
	}
	if (find_hdr(data, len, "call-id", 7, 'i', &v, &vl) != 0)
		to.worker = 0; /* malformed: any core answers it */
	else
		to.worker = rt_worker_of(s->rt, v, vl);
	return to;
}

bool
sip_ratelim_ok(struct sip_ratelim *r, uint64_t *skipped)
{
	struct timespec ts;
	int64_t now, next;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	next = atomic_load_explicit(&r->next, memory_order_relaxed);
	/* one thread wins the slot; the others count themselves out */
	if (now < next ||
	    !atomic_compare_exchange_strong(&r->next, &next, now + 1000)) {
		atomic_fetch_add_explicit(&r->skipped, 1, memory_order_relaxed);
		return false;
	}
	*skipped =
	    atomic_exchange_explicit(&r->skipped, 0, memory_order_relaxed);
	return true;
}

/* Our own headers in an answer: status line, tags, received/rport, Server,
 * Allow and the like, a digest challenge. */
#define ANSWER_EXTRA 4096

char *
sip_answer_room(const struct sip_msg *req, char *buf, size_t *n, char **heap)
{
	size_t need = req->raw.l + ANSWER_EXTRA;

	*heap = NULL;
	if (need <= *n)
		return buf;
	if (!(*heap = malloc(need)))
		return NULL;
	*n = need;
	return *heap;
}

/* Random bytes for what must not be guessed: SHA-256 over a per-thread
 * secret (from the system's generator, once) and a per-thread counter, so
 * a branch costs one hash and no lock or system call. */
static int
random_bytes(unsigned char *out, size_t n)
{
	static _Thread_local struct {
		unsigned char key[32];
		uint64_t count;
	} st;
	static _Thread_local bool seeded;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml;

	if (!seeded) {
		if (RAND_bytes(st.key, sizeof(st.key)) != 1)
			return EIO;
		seeded = true;
	}
	while (n) {
		size_t k;

		st.count++;
		if (EVP_Digest(&st, sizeof(st), md, &ml,
		               sip_digest_md(SIP_DIGEST_SHA256), NULL) != 1)
			return EIO;
		k = n < ml ? n : ml;
		memcpy(out, md, k);
		out += k;
		n -= k;
	}
	return 0;
}

/* z9hG4bK-pbx-<worker, hex>-<128 random bits, hex>: the worker is where
 * the response is looked up, the random part what nobody who did not see
 * the request can guess (RFC 3261 8.1.1.7: unique in space and time). */
#define BRANCH_PREFIX "z9hG4bK-pbx-"
#define BRANCH_RANDOM 16 /* bytes */

int
sip_branch_new(char *buf, size_t n, uint32_t worker)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[BRANCH_RANDOM];
	int k = snprintf(buf, n, BRANCH_PREFIX "%" PRIx32 "-", worker);

	if (k < 0 || (size_t)k + 2 * sizeof(r) >= n)
		return ENOSPC;
	if (random_bytes(r, sizeof(r)) != 0)
		return EIO;
	for (size_t i = 0; i < sizeof(r); i++) {
		buf[k++] = hex[r[i] >> 4];
		buf[k++] = hex[r[i] & 15];
	}
	buf[k] = '\0';
	return 0;
}

int
sip_branch_worker(const struct pl *b, uint32_t *worker)
{
	size_t pl = sizeof(BRANCH_PREFIX) - 1, i = pl;
	uint32_t w = 0;

	if (b->l <= pl || strncmp(b->p, BRANCH_PREFIX, pl) != 0)
		return ENOENT;
	for (; i < b->l && i < pl + 8 && isxdigit((unsigned char)b->p[i]); i++)
		w = w * 16 + (uint32_t)(isdigit((unsigned char)b->p[i])
		                            ? b->p[i] - '0'
		                            : (b->p[i] | 0x20) - 'a' + 10);
	if (i == pl || i >= b->l || b->p[i] != '-' ||
	    b->l - i - 1 != 2 * BRANCH_RANDOM)
		return ENOENT;
	for (i++; i < b->l; i++)
		if (!isxdigit((unsigned char)b->p[i]))
			return ENOENT;
	*worker = w;
	return 0;
}

#define TAG_PREFIX "pbx"

int
sip_dialog_tag_encode(char *buf, size_t n, rt_addr d, uint32_t salt)
{
	int k = snprintf(
	    buf, n, TAG_PREFIX "%" PRIx32 ".%" PRIx32 ".%" PRIx64 ".%08" PRIx32,
	    d.node, d.worker, d.id, salt);

	return k > 0 && (size_t)k < n ? 0 : ENOSPC;
}

int
sip_dialog_tag_decode(const struct pl *tag, rt_addr *d)
{
	char tmp[80];
	unsigned long long id;
	unsigned node, worker, salt;
	size_t pl = sizeof(TAG_PREFIX) - 1;

	if (tag->l <= pl || tag->l >= sizeof(tmp) ||
	    strncmp(tag->p, TAG_PREFIX, pl) != 0)
		return ENOENT;
	memcpy(tmp, tag->p + pl, tag->l - pl);
	tmp[tag->l - pl] = '\0';
	if (sscanf(tmp, "%x.%x.%llx.%x", &node, &worker, &id, &salt) != 4)
		return ENOENT;
	d->node = node;
	d->worker = worker;
	d->id = id;
	return 0;
}
