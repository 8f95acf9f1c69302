/* The SIP trace (pbxctl trace on [--full]): one log line per message in or
 * out, its first line or, in full, the whole message, with the credentials
 * of Authorization and Proxy-Authorization masked. The logger escapes the
 * line, so CRLF shows as \r\n and the message stays on one line. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sip_stack.h"

struct out {
	char *p;
	size_t n, cap;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->n)
		n = o->cap - o->n;
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Digest parameters that say who and what, not how to prove it: kept. */
static bool
kept(const char *name, size_t n)
{
	static const char *const names[] = { "username",  "realm", "uri",
		                             "algorithm", "qop",   "nc" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n &&
		    strncasecmp(name, names[i], n) == 0)
			return true;
	return false;
}

/* The value [p, end) of a credentials header: the scheme stays; of Digest
 * the parameters in kept() stay and the others' values become ***; any
 * other scheme's credentials become ***. */
static void
mask_creds(struct out *o, const char *p, const char *end)
{
	const char *s = p, *scheme;

	while (p < end && is_ws(*p))
		p++;
	for (scheme = p; p < end && !is_ws(*p);)
		p++;
	if (p == end) {
		/* one word: no scheme in front of it, it may be the secret */
		put(o, s, (size_t)(scheme - s));
		if (p > scheme)
			put(o, "***", 3);
		return;
	}
	put(o, s, (size_t)(p - s));
	if (p - scheme != 6 || strncasecmp(scheme, "Digest", 6) != 0) {
		put(o, " ***", 4);
		return;
	}
	while (p < end) {
		const char *name = p, *v;
		size_t nl;

		/* separators, and CRLF + SP of a folded line, as they are */
		for (s = p; p < end && (is_ws(*p) || *p == ','); p++)
			;
		put(o, s, (size_t)(p - s));
		for (name = p; p < end && *p != '=' && *p != ',' && !is_ws(*p);
		     p++)
			;
		nl = (size_t)(p - name);
		for (; p < end && is_ws(*p); p++)
			;
		put(o, name, (size_t)(p - name));
		if (p == end || *p != '=')
			continue;
		put(o, "=", 1);
		for (s = ++p; p < end && is_ws(*p); p++)
			;
		put(o, s, (size_t)(p - s));
		v = p;
		if (p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			if (p < end)
				p++;
		} else {
			while (p < end && *p != ',' && !is_ws(*p))
				p++;
		}
		if (kept(name, nl))
			put(o, v, (size_t)(p - v));
		else if (p > v && *v == '"')
			put(o, "\"***\"", 5);
		else
			put(o, "***", 3);
	}
}

size_t
sip_trace_mask(char *dst, size_t cap, const char *src, size_t n)
{
	struct out o = { dst, 0, cap };
	const char *p = src, *end = src + n;

	/* the start line */
	const char *eol = memchr(p, '\n', n);

	if (!eol) {
		put(&o, p, n);
		return o.n;
	}
	put(&o, p, (size_t)(eol + 1 - p));
	p = eol + 1;
	while (p < end && *p != '\r' && *p != '\n') {
		const char *line = p, *colon, *vend, *q;
		size_t nl;

		/* the header runs on over folded lines; vend: before its CRLF
		 */
		for (q = p;; q = eol + 1) {
			eol = memchr(q, '\n', (size_t)(end - q));
			if (!eol || eol + 1 == end ||
			    (eol[1] != ' ' && eol[1] != '\t'))
				break;
		}
		p = eol ? eol + 1 : end;
		vend = eol ? eol : end;
		if (vend > line && vend[-1] == '\r' && eol)
			vend--;
		colon = memchr(line, ':', (size_t)(vend - line));
		for (q = colon;
		     q && q > line && (q[-1] == ' ' || q[-1] == '\t');)
			q--;
		nl = colon ? (size_t)(q - line) : 0;
		if (colon &&
		    ((nl == 13 && !strncasecmp(line, "Authorization", 13)) ||
		     (nl == 19 &&
		      !strncasecmp(line, "Proxy-Authorization", 19)))) {
			put(&o, line, (size_t)(colon + 1 - line));
			mask_creds(&o, colon + 1, vend);
			put(&o, vend, (size_t)(p - vend));
		} else {
			put(&o, line, (size_t)(p - line));
		}
	}
	put(&o, p, (size_t)(end - p)); /* the blank line and the body */
	return o.n;
}

void
sip_trace(struct sip_stack *s, bool in, const Pbx__SipFlow *f, const void *data,
          size_t len)
{
	int level = atomic_load_explicit(&s->trace, memory_order_relaxed);
	const char *p = data, *eol;
	char ft[160], *masked;
	size_t cap, n;

	if (level == SIP_TRACE_OFF)
		return;
	sip_flow_text(ft, sizeof(ft), f);
	if (level != SIP_TRACE_FULL) {
		eol = memchr(p, '\r', len);
		rt_info(
		    "sip %s %s %zu bytes: %.*s", in ? "in " : "out", ft, len,
		    (int)((eol ? eol : p + (len < 120 ? len : 120)) - p), p);
		return;
	}
	/* a masked value may be longer than what it hides ("a" -> "***") */
	cap = 2 * len + 64;
	if (!(masked = malloc(cap))) {
		rt_warn("sip %s %s %zu bytes: not traced (no memory)",
		        in ? "in " : "out", ft, len);
		return;
	}
	n = sip_trace_mask(masked, cap, p, len);
	rt_info("sip %s %s %zu bytes: %.*s", in ? "in " : "out", ft, len,
	        (int)n, masked);
	free(masked);
}
