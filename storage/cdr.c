/*
 * The CDR file: one JSON object per line for each ended call (the whole
 * record), appended by the writer thread after the commit that ended the
 * call and fsync'd with the batch. A line is never written for an event
 * that did not commit; a line that cannot be written is logged and counted
 * (the record itself is in LMDB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

static bool
reserve(struct store_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->n + more <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->n + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
put(struct store_buf *b, const void *p, size_t n)
{
	if (reserve(b, n)) {
		memcpy(b->p + b->n, p, n);
		b->n += n;
	}
}

static void
putf(struct store_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The length of the well-formed UTF-8 sequence at p (of n bytes left), 0 if
 * it is not one (RFC 3629: no overlongs, no surrogates, up to U+10FFFF). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t l;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		l = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		l = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		l = 4;
	else
		return 0;
	if (l > n)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < l; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return l;
}

/* A JSON string: quotes and backslashes escaped, control characters as
 * \n, \t... or \u00XX, UTF-8 passed through, a byte that is not UTF-8 as
 * U+FFFD (so every line is valid JSON whatever the SIP peer sent). */
static void
json_string(struct store_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), l;

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i += l) {
		unsigned char c = p[i];

		l = 1;
		if (c == '"' || c == '\\') {
			put(b, "\\", 1);
			put(b, &c, 1);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\r') {
			put(b, "\\r", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			putf(b, "\\u%04x", c);
		} else if (c < 0x80) {
			put(b, &c, 1);
		} else if ((l = utf8_len(p + i, n - i)) != 0) {
			put(b, p + i, l);
		} else {
			l = 1;
			put(b, "\\ufffd", 6);
		}
	}
	put(b, "\"", 1);
}

static void
field_str(struct store_buf *b, const char *key, const char *v)
{
	putf(b, ",\"%s\":", key);
	json_string(b, v);
}

static void
field_u64(struct store_buf *b, const char *key, uint64_t v)
{
	putf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

/* "KEY":"2026-01-02T03:04:05.678Z","KEY_ms":1767323045678, or nulls for 0
 * (never answered). */
static void
field_time(struct store_buf *b, const char *key, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char iso[40];
	struct tm tm;

	if (!ms || !gmtime_r(&t, &tm)) {
		putf(b, ",\"%s\":null,\"%s_ms\":null", key, key);
		return;
	}
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	putf(b, ",\"%s\":\"%s.%03uZ\",\"%s_ms\":%llu", key, iso,
	     (unsigned)(ms % 1000), key, (unsigned long long)ms);
}

void
store_cdr_line(struct store_buf *b, const Pbx__CallRecord *r)
{
	put(b, "{\"call\":", 8);
	json_string(b, r->call);
	field_str(b, "caller_number", r->caller_number);
	field_str(b, "caller_name", r->caller_name);
	field_str(b, "destination", r->destination);
	field_str(b, "callee", r->callee);
	field_str(b, "profile", r->profile);
	field_str(b, "context", r->context);
	field_str(b, "sip_call_id", r->sip_call_id);
	field_str(b, "network_addr", r->network_addr);
	field_str(b, "user", r->user);
	field_time(b, "start", r->started_ms);
	field_time(b, "answer", r->answered_ms);
	field_time(b, "end", r->ended_ms);
	field_u64(b, "duration", r->duration_s);
	field_u64(b, "billsec", r->billsec);
	field_u64(b, "cause", r->cause);
	field_str(b, "cause_text", r->cause_text);
	field_u64(b, "sip_code", r->sip_code);
	field_str(b, "hangup_by", r->hangup_by);
	field_u64(b, "node", r->node);
	field_u64(b, "callee_node", r->callee_node);
	put(b, "}\n", 2);
	b->lines++;
}

void
store_buf_free(struct store_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
store_set_cdr_file(struct store *s, const char *path)
{
	int fd, none = -1;

	if (!s || !path || !*path)
		return EINVAL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		int err = errno;

		rt_err("store: CDR file %s: %s", path, strerror(err));
		return err;
	}
	if (!atomic_compare_exchange_strong(&s->cdr_fd, &none, fd)) {
		close(fd);
		return EBUSY;
	}
	rt_info("store: CDR lines go to %s", path);
	return 0;
}

/* After a commit: the batch's lines, then one fsync. O_APPEND makes each
 * write land at the end, whoever else appends (logrotate's copytruncate). */
void
store_cdr_flush(struct store *s)
{
	struct store_buf *b = &s->cdr;
	int fd = atomic_load(&s->cdr_fd), err = 0;
	size_t off = 0;

	if (fd < 0 || !b->lines)
		goto out;
	if (b->oom)
		err = ENOMEM; /* a line is cut short: write none */
	while (off < b->n && !err) {
		ssize_t w = write(fd, b->p + off, b->n - off);

		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EINTR)
			err = errno;
		else if (w == 0)
			err = EIO;
	}
	if (!err && fdatasync(fd))
		err = errno;
	if (err) {
		atomic_fetch_add(&s->cdr_lost, b->lines);
		rt_err("store: %zu CDR lines not written: %s", b->lines,
		       strerror(err));
	} else {
		atomic_fetch_add(&s->cdr_lines, b->lines);
	}
out:
	b->n = 0;
	b->lines = 0;
	b->oom = false;
}
