/*
 * The protobuf wire format, as far as the locations projection needs it:
 * an event's binding and the bindings stored under an AOR are read where
 * they lie and spliced as bytes, instead of unpacking both and packing the
 * AOR's bindings again. Every Binding the store holds was packed by
 * protobuf-c (the appender's, kept verbatim), so the spliced value is what
 * packing the unpacked bindings would give (test_store checks it).
 */
#include <errno.h>
#include <string.h>

#include "store_int.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return EBADMSG;
}

/* The next field of [*p, end): its number, and its value (a varint in
 * *v, or length-delimited bytes in *d, *dl); other wire types skipped. */
static int
field(const uint8_t **p, const uint8_t *end, uint32_t *num, uint64_t *v,
      const uint8_t **d, size_t *dl)
{
	uint64_t key, len;

	if (varint(p, end, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return EBADMSG;
	*num = (uint32_t)(key >> 3);
	*v = 0;
	*d = NULL;
	*dl = 0;
	switch (key & 7) {
	case WT_VARINT:
		return varint(p, end, v);
	case WT_I64:
	case WT_I32:
		len = (key & 7) == WT_I64 ? 8 : 4;
		break;
	case WT_LEN:
		if (varint(p, end, &len))
			return EBADMSG;
		*d = *p;
		*dl = (size_t)len;
		break;
	default:
		return EBADMSG; /* groups: not in our messages */
	}
	if (len > (uint64_t)(end - *p))
		return EBADMSG;
	*p += len;
	return 0;
}

int
store_wire_binding(const uint8_t *p, size_t n, struct store_wire_binding *b)
{
	const uint8_t *end = p + n, *d;
	uint32_t num;
	uint64_t v;
	size_t dl;

	memset(b, 0, sizeof(*b));
	b->bytes = p;
	b->len = n;
	b->core_len = n;
	while (p < end) {
		const uint8_t *at = p;

		if (field(&p, end, &num, &v, &d, &dl))
			return EBADMSG;
		/* the version's (origin, seq) are the store's: packed last,
		 * they are left out of the core and written again by
		 * store_wire_put_binding */
		if (num >= 14 && b->core_len == n)
			b->core_len = (size_t)(at - b->bytes);
		switch (num) {
		case 1: /* aor */
			b->aor = (struct store_str){ (const char *)d, dl };
			break;
		case 2: /* contact */
			b->contact = (struct store_str){ (const char *)d, dl };
			break;
		case 3: /* instance */
			b->instance = (struct store_str){ (const char *)d, dl };
			break;
		case 4: /* reg_id */
			b->reg_id = (uint32_t)v;
			break;
		case 7: /* expires_at_ms */
			b->expires_at_ms = v;
			break;
		case 13: /* updated_at_ms */
			b->updated_at_ms = v;
			break;
		case 14: /* origin */
			b->origin = (uint32_t)v;
			break;
		case 15: /* seq */
			b->seq = v;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
store_wire_event(const uint8_t *p, size_t n, struct store_wire_event *e)
{
	const uint8_t *end = p + n, *d, *q, *qe;
	uint32_t num, sub;
	uint64_t v;
	size_t dl, sl;
	const uint8_t *s;

	uint32_t origin = 0;
	uint64_t seq = 0, at_ms = 0;

	memset(e, 0, sizeof(*e));
	while (p < end) {
		if (field(&p, end, &num, &v, &d, &dl))
			return EBADMSG;
		if (num == 1)
			origin = (uint32_t)v;
		else if (num == 2)
			seq = v;
		else if (num == 3)
			at_ms = v;
		if (num < 16 || num > 19) {
			if (num >= 32 && num <= 63)
				e->kind = num;
			continue;
		}
		/* the body (one of): the last one counts, as when unpacked */
		memset(e, 0, sizeof(*e));
		e->kind = num;
		for (q = d, qe = d + dl; q < qe;) {
			if (field(&q, qe, &sub, &v, &s, &sl))
				return EBADMSG;
			if ((num == 16 || num == 17) && sub == 1) {
				e->has_binding = true;
				if (store_wire_binding(s, sl, &e->binding))
					return EBADMSG;
			} else if ((num == 18 || num == 19) && sub == 1) {
				e->aor =
				    (struct store_str){ (const char *)s, sl };
			} else if ((num == 18 || num == 19) && sub == 2) {
				e->contact =
				    (struct store_str){ (const char *)s, sl };
			} else if (num == 19 && sub == 3) {
				e->expired_upto = v;
			}
		}
	}
	e->origin = origin;
	e->seq = seq;
	e->at_ms = at_ms;
	return 0;
}

int
store_wire_next_binding(const uint8_t **p, const uint8_t *end,
                        struct store_wire_binding *b)
{
	const uint8_t *d;
	uint32_t num;
	uint64_t v;
	size_t dl;

	while (*p < end) {
		if (field(p, end, &num, &v, &d, &dl))
			return EBADMSG;
		if (num == 1 && d) /* AorBindings.bindings */
			return store_wire_binding(d, dl, b) ? EBADMSG : 0;
	}
	return ENOENT;
}

static size_t
varint_put(uint8_t *out, uint64_t v)
{
	size_t k = 0;

	do {
		if (out)
			out[k] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		k++;
		v >>= 7;
	} while (v);
	return k;
}

/* Fields 14 and 15 (the version's origin and seq), zero ones left out as
 * proto3 packs them. */
static size_t
version_put(uint8_t *out, uint32_t origin, uint64_t seq)
{
	size_t k = 0;

	if (origin) {
		if (out)
			out[k] = 0x70;
		k++;
		k += varint_put(out ? out + k : NULL, origin);
	}
	if (seq) {
		if (out)
			out[k] = 0x78;
		k++;
		k += varint_put(out ? out + k : NULL, seq);
	}
	return k;
}

size_t
store_wire_put_binding(uint8_t *out, const struct store_wire_binding *b)
{
	size_t k = 1, vl = version_put(NULL, b->origin, b->seq);
	uint64_t l = b->core_len + vl;

	/* field 1 (AorBindings.bindings), length-delimited: the Binding's
	 * fields up to 13 as they are, then its version's origin and seq,
	 * which is how protobuf-c packs it (in field order) */
	if (out)
		out[0] = 0x0a;
	k += varint_put(out ? out + k : NULL, l);
	if (out) {
		memcpy(out + k, b->bytes, b->core_len);
		version_put(out + k + b->core_len, b->origin, b->seq);
	}
	return k + l;
}
