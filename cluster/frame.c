/*
 * The link frame: every nng message between nodes is
 *
 *   header (29 bytes) | batch | HMAC-SHA256(secret, header | batch)
 *
 * header, big-endian: version (1), sender node (4), sender nonce (8),
 * receiver nonce as the sender knows it (8, 0 while unknown), counter (8).
 * The receiver nonce is drawn at random on every start, so a frame that
 * names it was made after this process started: a recording of an older
 * session does not verify as current. The counter rises with every frame to
 * one peer, so a frame replayed within the session is seen as old.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cluster_int.h"

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
mac(uint8_t out[CLUSTER_FRAME_MAC], const struct cluster_key *k,
    const uint8_t *p, size_t n)
{
	unsigned int len = 0;

	if (!HMAC(EVP_sha256(), k->key, (int)k->len, p, n, out, &len) ||
	    len != CLUSTER_FRAME_MAC)
		return EIO;
	return 0;
}

int
cluster_frame_seal(nng_msg *nm, const struct cluster_key *k,
                   const struct cluster_frame *f)
{
	uint8_t hdr[CLUSTER_FRAME_HDR], tag[CLUSTER_FRAME_MAC];

	hdr[0] = CLUSTER_FRAME_VERSION;
	put_be(hdr + 1, f->node, 4);
	put_be(hdr + 5, f->nonce, 8);
	put_be(hdr + 13, f->peer_nonce, 8);
	put_be(hdr + 21, f->counter, 8);
	if (nng_msg_insert(nm, hdr, sizeof(hdr)) != 0)
		return ENOMEM;
	if (mac(tag, k, nng_msg_body(nm), nng_msg_len(nm)) != 0 ||
	    nng_msg_append(nm, tag, sizeof(tag)) != 0) {
		nng_msg_trim(nm, sizeof(hdr));
		return ENOMEM;
	}
	return 0;
}

void
cluster_frame_unseal(nng_msg *nm)
{
	nng_msg_chop(nm, CLUSTER_FRAME_MAC);
	nng_msg_trim(nm, CLUSTER_FRAME_HDR);
}

int
cluster_frame_open(struct cluster_frame *f, const uint8_t **batch, size_t *len,
                   const struct cluster_key *k, const uint8_t *p, size_t n)
{
	uint8_t tag[CLUSTER_FRAME_MAC];
	size_t signed_len;

	if (n < CLUSTER_FRAME_HDR + CLUSTER_FRAME_MAC ||
	    p[0] != CLUSTER_FRAME_VERSION)
		return EBADMSG;
	signed_len = n - CLUSTER_FRAME_MAC;
	if (mac(tag, k, p, signed_len) != 0)
		return EIO;
	if (CRYPTO_memcmp(tag, p + signed_len, CLUSTER_FRAME_MAC) != 0)
		return EACCES;
	f->node = (uint32_t)get_be(p + 1, 4);
	f->nonce = get_be(p + 5, 8);
	f->peer_nonce = get_be(p + 13, 8);
	f->counter = get_be(p + 21, 8);
	*batch = p + CLUSTER_FRAME_HDR;
	*len = signed_len - CLUSTER_FRAME_HDR;
	return 0;
}

bool
cluster_replay_check(struct cluster_replay *w, uint64_t counter)
{
	uint64_t back;

	if (counter > w->max) {
		uint64_t shift = counter - w->max;

		w->seen = shift >= 64 ? 1 : (w->seen << shift) | 1;
		w->max = counter;
		return true;
	}
	back = w->max - counter;
	if (back >= 64 || (w->seen >> back) & 1)
		return false;
	w->seen |= (uint64_t)1 << back;
	return true;
}
